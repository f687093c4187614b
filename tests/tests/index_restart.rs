//! The library index across restarts (issue 17), on a generated library of 20,000 tagged FLAC
//! files (`rill_tests::library_gen`): the first run reads them all and writes the index; a
//! restart answers Browse from the index, with every object id (containers included) as
//! before, while its check against the disk is held on the first file it must read again; the
//! changes made while the server was stopped (a file added, one rewritten, one removed) then
//! show and are evented to a GENA subscriber, and a restart without the hold answers its first
//! Browse from the index and shows a change within 5 s of its start.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use rill::library::ReadHook;
use rill_tests::library_gen::{snapshot, Base, Library, Track};
use rill_tests::renderer::gena::Subscriber;
use rill_tests::renderer::{Browse, Player, Renderer};

/// Files in the library.
const FILES: usize = 20_000;

/// The longest a change made while stopped may take to show after a start.
const NOTICED: Duration = Duration::from_secs(5);

type Snapshot = Vec<(String, String, String, String)>;

/// A server on `media` keeping its index at `index`, optionally holding its reads at `hook`.
fn start(dir: &Path, media: &Path, index: &Path, hook: Option<ReadHook>) -> common::Running {
    let index = index.to_path_buf();
    common::spawn(dir.join("state"), media.to_path_buf(), None, move |config| {
        config.live.index = Some(index);
        config.live.before_read = hook;
    })
}

/// The server's listing once `done` holds for it, polled until `within` has passed.
fn wait_for(
    cp: &Renderer,
    control: &str,
    within: Duration,
    done: impl Fn(&Snapshot) -> bool,
) -> Snapshot {
    let deadline = Instant::now() + within;
    loop {
        let now = snapshot(cp, control);
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "not listed in time");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn titled<'a>(listing: &'a Snapshot, title: &str) -> Vec<&'a (String, String, String, String)> {
    listing.iter().filter(|row| row.2 == title).collect()
}

#[test]
fn a_restart_answers_from_the_index_with_the_same_ids_then_finds_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let media: PathBuf = dir.path().join("media");
    let index = dir.path().join("cache").join(rill::index::FILE_NAME);
    let base = Base::new();
    let made = Instant::now();
    let library = Library::write(&base, &media, FILES);
    eprintln!("{FILES} files written in {:?}", made.elapsed());
    let media = std::fs::canonicalize(&media).unwrap();
    let cp = Renderer::new(Player::GENERIC);

    // First run: everything read and indexed.
    let first = start(dir.path(), &media, &index, None);
    let control = common::control_url(&cp, &first);
    let deadline = Instant::now() + common::READY_TIMEOUT;
    while !*first.ready.borrow() {
        assert!(Instant::now() < deadline, "the first scan did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = snapshot(&cp, &control);
    let tracks = before.iter().filter(|r| r.1 == "4").count();
    assert_eq!(tracks, FILES, "All Tracks lists every file");
    first.shutdown();
    assert!(index.exists());

    // While stopped: one file rewritten (new title), one removed, one added.
    let changed = library.rewrite(&base, 5, 1);
    let removed = Track::new(7, 0);
    std::fs::remove_file(media.join(&removed.rel)).unwrap();
    let added = Track::new(FILES, 0);
    std::fs::create_dir_all(media.join(&added.rel).parent().unwrap()).unwrap();
    std::fs::write(media.join(&added.rel), base.tagged(&added.tags)).unwrap();

    // Restart, its check held at the first file it reads again (the rewritten one).
    let (reached, held) = mpsc::channel();
    let gate = Arc::new(Mutex::new(()));
    let hold = gate.lock().unwrap();
    let hook = {
        let (reached, gate) = (Mutex::new(reached), Arc::clone(&gate));
        ReadHook::new(move || {
            let _ = reached.lock().unwrap().send(());
            drop(gate.lock());
        })
    };
    let started = Instant::now();
    let second = start(dir.path(), &media, &index, Some(hook));
    held.recv_timeout(common::READY_TIMEOUT).expect("the check reads the rewritten file");
    eprintln!("check reached the first changed file {:?} after the start", started.elapsed());
    let control = common::control_url(&cp, &second);
    let from_index = snapshot(&cp, &control);
    assert!(!*second.ready.borrow(), "the check is still held");
    // Compared without printing 20,000 rows when they differ.
    let differ = from_index.iter().zip(&before).filter(|(a, b)| a != b).take(5).collect::<Vec<_>>();
    assert!(
        from_index.len() == before.len() && differ.is_empty(),
        "the index gives the same objects, ids and order: {} rows against {}, first differences {differ:?}",
        from_index.len(),
        before.len()
    );

    // A subscriber is told of what the check changes, like of any live change: the album
    // folder that lost a track is named in ContainerUpdateIDs.
    let event_url = {
        let location = format!("http://{}/rill/description.xml", second.http);
        let desc = cp.fetch_description(&location).unwrap();
        desc.service(rill_tests::renderer::CONTENT_DIRECTORY).unwrap().event_sub_url.clone()
    };
    let listener = Subscriber::listen().unwrap();
    cp.subscribe(&event_url, &listener.callback("/cd"), 300).unwrap().unwrap();
    listener.next(Duration::from_secs(10)).expect("the initial event");
    let folder = before
        .iter()
        .find(|r| r.2 == removed.album && r.1 != "7")
        .map(|r| r.0.clone())
        .expect("the removed track's album folder");

    // Released: the changes show, the rest keeps its ids.
    drop(hold);
    let (_, event) = listener.until(common::READY_TIMEOUT, |e| {
        e.container_update_ids().iter().any(|(id, _)| *id == folder)
    });
    assert!(event.is_some(), "the removal found by the check is evented");
    let after = wait_for(&cp, &control, common::READY_TIMEOUT, |now| {
        titled(now, &changed.title).len() == 1
            && titled(now, &removed.title).is_empty()
            && titled(now, &added.title).len() == 1
    });
    let old_title = Track::new(5, 0).title;
    let same = |row: &&(String, String, String, String)| {
        ![&old_title, &removed.title, &added.title, &changed.title].contains(&&row.2)
    };
    let kept: BTreeSet<_> = after.iter().filter(same).map(|r| (&r.0, &r.2)).collect();
    let was: BTreeSet<_> = before.iter().filter(same).map(|r| (&r.0, &r.2)).collect();
    // Every object kept its id; the new ones are the added track's album and artist.
    let lost: Vec<_> = was.difference(&kept).collect();
    assert!(lost.is_empty(), "objects lost or renumbered: {lost:?}");
    let new: BTreeSet<&str> = kept.difference(&was).map(|(_, title)| title.as_str()).collect();
    assert_eq!(new, BTreeSet::from([added.album.as_str(), added.artist.as_str()]));
    second.shutdown();

    // A change while stopped shows within 5 s of a start with nothing held: the track's own
    // object (its id is its path's) is asked for, so each look is one small Browse.
    let old = Track::new(11, 0).title;
    let id = before.iter().find(|r| r.1 == "4" && r.2 == old).map(|r| r.0.clone()).unwrap();
    let changed = library.rewrite(&base, 11, 2);
    let started = Instant::now();
    let third = start(dir.path(), &media, &index, None);
    let control = common::control_url(&cp, &third);
    // The index is loaded before the server answers: the very first Browse knows the track.
    let at_once = cp.browse(&control, &Browse::metadata(&id));
    assert!(
        at_once.is_ok_and(|got| got.objects.len() == 1),
        "the first Browse after a start answers from the index"
    );
    loop {
        let got = cp.browse(&control, &Browse::metadata(&id));
        if got.is_ok_and(|got| got.objects.first().is_some_and(|o| o.title == changed.title)) {
            break;
        }
        assert!(started.elapsed() < NOTICED, "the change did not show within {NOTICED:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("a change made while stopped showed {:?} after the start", started.elapsed());
    third.shutdown();
}
