//! GENA eventing end to end: a mock control point subscribes to a real server's
//! ContentDirectory over loopback, receives the initial event, renews, cancels, and sees the
//! library's changes as NOTIFYs: from inotify on a local folder, and from polls on a FUSE
//! mount (a network file system, where inotify hears nothing).

mod common;

use std::time::Duration;

use rill_tests::mirrorfs::Mirror;
use rill_tests::renderer::gena::Subscriber;
use rill_tests::renderer::netns::{isolated, isolated_with_mounts};
use rill_tests::renderer::{Browse, Player, Renderer, CONTENT_DIRECTORY};

/// How long a test waits for an event before failing (generous: a failure is a missing event,
/// not a slow one).
const WAIT: Duration = Duration::from_secs(10);

/// The ContentDirectory's event and control URLs of a running server.
fn urls(renderer: &Renderer, server: &common::Running) -> (String, String) {
    let location = format!("http://{}/rill/description.xml", server.http);
    let desc = renderer.fetch_description(&location).unwrap();
    let cd = desc.service(CONTENT_DIRECTORY).unwrap();
    (cd.event_sub_url.clone(), cd.control_url.clone())
}

#[test]
fn subscribe_initial_event_renew_and_cancel() {
    isolated("subscribe_initial_event_renew_and_cancel", || {
        let server = common::start(common::empty_dir());
        let cp = Renderer::new(Player::GENERIC);
        let (event_url, control_url) = urls(&cp, &server);
        let listener = Subscriber::listen().unwrap();

        let sub = cp.subscribe(&event_url, &listener.callback("/cd"), 300).unwrap().unwrap();
        assert_eq!(sub.timeout, 300);
        assert!(sub.sid.starts_with("uuid:"), "{}", sub.sid);
        let initial = listener.next(WAIT).expect("the initial event");
        assert_eq!(
            (initial.sid.as_str(), initial.seq, initial.path.as_str()),
            (sub.sid.as_str(), 0, "/cd")
        );
        assert_eq!((initial.nt.as_str(), initial.nts.as_str()), ("upnp:event", "upnp:propchange"));
        // The evented SystemUpdateID is the one GetSystemUpdateID reports.
        let id = cp.soap(&control_url, CONTENT_DIRECTORY, "GetSystemUpdateID", &[]).unwrap();
        let id: u32 = id[0].1.parse().unwrap();
        assert!(initial.system_update_id().unwrap() <= id);

        // A ConnectionManager subscription gets its own initial event.
        let location = format!("http://{}/rill/description.xml", server.http);
        let desc = cp.fetch_description(&location).unwrap();
        let cm = desc.service("urn:schemas-upnp-org:service:ConnectionManager:1").unwrap();
        let cm_sub = cp.subscribe(&cm.event_sub_url, &listener.callback("/cm"), 300).unwrap();
        let cm_sub = cm_sub.unwrap();
        let (_, cm_initial) = listener.until(WAIT, |e| e.sid == cm_sub.sid);
        let cm_initial = cm_initial.expect("the ConnectionManager's initial event");
        assert_eq!(cm_initial.path, "/cm");
        assert!(cm_initial.get("SourceProtocolInfo").unwrap().contains("audio/L16"));

        // Renewal keeps the SID; a renewal of an unknown SID is 412; a callback at another
        // address is refused.
        let renewed = cp.renew(&event_url, &sub.sid, 1800).unwrap().unwrap();
        assert_eq!((renewed.sid.as_str(), renewed.timeout), (sub.sid.as_str(), 1800));
        assert_eq!(cp.renew(&event_url, "uuid:unknown", 1800).unwrap(), Err(412));
        let elsewhere = cp.subscribe(&event_url, "<http://127.0.0.2:9/x>", 300).unwrap();
        assert_eq!(elsewhere, Err(412));

        assert_eq!(cp.unsubscribe(&event_url, &sub.sid).unwrap(), 200);
        assert_eq!(cp.unsubscribe(&event_url, &sub.sid).unwrap(), 412);
        assert_eq!(cp.unsubscribe(&cm.event_sub_url, &cm_sub.sid).unwrap(), 200);
        server.shutdown();
    });
}

/// The promise: a change is seen by a subscribed control point within 2 seconds.
const LIVE: Duration = Duration::from_secs(2);

/// A served folder with two sub-folders and a file, a running server, a subscribed control
/// point that has had its initial event.
struct Live {
    server: common::Running,
    cp: Renderer,
    control: String,
    listener: Subscriber,
    sid: String,
    media: std::path::PathBuf,
    outside: std::path::PathBuf,
    last_system_update_id: u32,
    state: std::path::PathBuf,
    /// The FUSE view served instead of `media`, if any.
    _mirror: Option<Mirror>,
    _dir: tempfile::TempDir,
}

impl Live {
    fn start(live: rill::live::Options) -> Live {
        Live::start_in(live, false)
    }

    /// [`Live::start`] with the served folder a FUSE view of `media` ([`Mirror`], named
    /// `media` too): the test changes `media` as another machine changes a NAS.
    fn start_mirrored(live: rill::live::Options) -> Live {
        Live::start_in(live, true)
    }

    fn start_in(live: rill::live::Options, mirrored: bool) -> Live {
        let (dir, media) = common::empty_dir();
        std::fs::create_dir_all(media.join("album")).unwrap();
        std::fs::create_dir_all(media.join("other")).unwrap();
        std::fs::write(media.join("album/a.mp3"), vec![1u8; 1000]).unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        let state = dir.path().join("state");
        let (served, mirror) = if mirrored {
            let at = dir.path().join("mount/media");
            std::fs::create_dir_all(&at).unwrap();
            (at.clone(), Some(Mirror::mount(&media, &at).expect("mounting the FUSE view")))
        } else {
            (media.clone(), None)
        };
        let server = common::launch(state.clone(), served, None, |c| c.live = live);
        let cp = Renderer::new(Player::GENERIC);
        let (event_url, control) = urls(&cp, &server);
        let listener = Subscriber::listen().unwrap();
        let sub = cp.subscribe(&event_url, &listener.callback("/cd"), 1800).unwrap().unwrap();
        let initial = listener.next(WAIT).expect("the initial event");
        assert_eq!(initial.seq, 0);
        let last_system_update_id = initial.system_update_id().unwrap();
        Live {
            server,
            cp,
            control,
            listener,
            sid: sub.sid,
            media,
            outside,
            last_system_update_id,
            state,
            _mirror: mirror,
            _dir: dir,
        }
    }

    /// The id of the folder at `rel` ("" for the served folder), found by browsing. The served
    /// folder (`media`) is looked for a few levels down from the root, wherever the library
    /// puts its folder view.
    fn folder(&self, rel: &str) -> String {
        let mut level = vec!["0".to_string()];
        let mut served = None;
        for _ in 0..3 {
            let mut next = Vec::new();
            for id in &level {
                let children = self.cp.browse(&self.control, &Browse::children(id)).unwrap();
                served = served.or_else(|| {
                    children.containers().find(|c| c.title == "media").map(|c| c.id.clone())
                });
                next.extend(children.containers().map(|c| c.id.clone()));
            }
            if served.is_some() {
                break;
            }
            level = next;
        }
        let mut id = served.expect("the served folder is listed");
        for name in rel.split('/').filter(|s| !s.is_empty()) {
            let children = self.cp.browse(&self.control, &Browse::children(&id)).unwrap();
            let found = children.containers().find(|c| c.title == name);
            id = found.unwrap_or_else(|| panic!("no folder {name} in {rel}")).id.clone();
        }
        id
    }

    /// Titles and sizes of the items in folder `rel`, sorted.
    fn items(&self, rel: &str) -> Vec<(String, Option<u64>)> {
        let id = self.folder(rel);
        let children = self.cp.browse(&self.control, &Browse::children(&id)).unwrap();
        let mut items: Vec<_> = children
            .items()
            .map(|i| (i.title.clone(), i.res.first().and_then(|r| r.size)))
            .collect();
        items.sort();
        items
    }

    /// Waits up to `wait` for events that, together, name every container in `expected` (by
    /// id) with the update id Browse now reports for it, and no folder of `untouched`; checks
    /// that SystemUpdateID grew and SEQ counted on.
    fn expect_change(&mut self, what: &str, wait: Duration, expected: &[&str], untouched: &[&str]) {
        let started = std::time::Instant::now();
        let mut seen: Vec<(String, u32)> = Vec::new();
        let mut last_seq = None;
        while !expected.iter().all(|id| seen.iter().any(|(s, _)| s == id)) {
            let left = wait.checked_sub(started.elapsed()).unwrap_or_default();
            let Some(event) = self.listener.next(left) else {
                panic!("{what}: no event naming {expected:?} within {wait:?}; saw {seen:?}")
            };
            assert_eq!(event.sid, self.sid);
            if let Some(prev) = last_seq {
                assert_eq!(event.seq, prev + 1, "{what}: SEQ counts on");
            }
            last_seq = Some(event.seq);
            let id = event.system_update_id().unwrap();
            assert!(id > self.last_system_update_id, "{what}: SystemUpdateID {id} did not grow");
            self.last_system_update_id = id;
            seen.extend(event.container_update_ids());
        }
        eprintln!("{what}: evented {:?} after the change", started.elapsed());
        for id in untouched {
            assert!(!seen.iter().any(|(s, _)| s == id), "{what}: {id} did not change: {seen:?}");
        }
        for id in expected {
            let evented = seen.iter().rev().find(|(s, _)| s == id).unwrap().1;
            // The evented update id is the container's current one.
            let children = self.cp.browse(&self.control, &Browse::children(id)).unwrap();
            assert_eq!(evented, children.update_id, "{what}: update id of {id}");
        }
    }
}

fn mp3(bytes: usize) -> Vec<u8> {
    (0..bytes).map(|i| (i * 7) as u8).collect()
}

#[test]
fn files_added_changed_renamed_moved_and_removed_are_evented() {
    isolated("files_added_changed_renamed_moved_and_removed_are_evented", || {
        let mut live = Live::start(rill::live::Options::default());
        let (album, other) = (live.folder("album"), live.folder("other"));
        let media = live.media.clone();

        std::fs::write(media.join("album/b.mp3"), mp3(2000)).unwrap();
        live.expect_change("added", LIVE, &[&album], &[&other]);
        let a = ("a".to_string(), Some(1000));
        assert_eq!(live.items("album"), [a.clone(), ("b".into(), Some(2000))]);

        std::fs::write(media.join("album/b.mp3"), mp3(3000)).unwrap();
        live.expect_change("changed", LIVE, &[&album], &[&other]);
        assert_eq!(live.items("album"), [a.clone(), ("b".into(), Some(3000))]);

        std::fs::rename(media.join("album/b.mp3"), media.join("album/c.mp3")).unwrap();
        live.expect_change("renamed", LIVE, &[&album], &[&other]);
        assert_eq!(live.items("album"), [a.clone(), ("c".into(), Some(3000))]);

        std::fs::rename(media.join("album/c.mp3"), media.join("other/c.mp3")).unwrap();
        live.expect_change("moved", LIVE, &[&album, &other], &[]);
        assert_eq!(live.items("album"), std::slice::from_ref(&a));
        assert_eq!(live.items("other"), [("c".into(), Some(3000))]);

        std::fs::remove_file(media.join("other/c.mp3")).unwrap();
        live.expect_change("removed", LIVE, &[&other], &[&album]);
        assert!(live.items("other").is_empty());

        // A file written in pieces while open is read once it is complete.
        {
            use std::io::Write;
            let mut f = std::fs::File::create(media.join("other/slow.mp3")).unwrap();
            for _ in 0..4 {
                f.write_all(&mp3(5000)).unwrap();
                f.flush().unwrap();
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        live.expect_change("copied", LIVE, &[&other], &[&album]);
        // Events may have come while it was written; wait until the last size is evented.
        let deadline = std::time::Instant::now() + WAIT;
        while live.items("other") != [("slow".to_string(), Some(20_000))] {
            assert!(std::time::Instant::now() < deadline, "{:?}", live.items("other"));
            let _ = live.listener.next(Duration::from_millis(200));
        }
        // An Ogg Vorbis file dropped in is read like one found by the scan: its tags name it,
        // and its exact length makes the L16 rendition possible.
        let (name, ogg) = rill::demo::FILES.iter().find(|(p, _)| p.ends_with(".ogg")).unwrap();
        std::fs::write(media.join("other/dropped.ogg"), ogg).unwrap();
        live.expect_change("an Ogg file", LIVE, &[&other], &[&album]);
        let id = live.folder("other");
        let page = live.cp.browse(&live.control, &Browse::children(&id)).unwrap();
        let dropped = page.items().find(|i| i.res.iter().any(|r| r.url.ends_with(".ogg")));
        let dropped = dropped.unwrap_or_else(|| panic!("{name} not listed: {}", page.didl));
        assert_ne!(dropped.title, "dropped", "the title comes from the tags of {name}");
        assert!(
            dropped.res.iter().any(|r| r.protocol_info.contains("audio/L16")),
            "{:?}",
            dropped.res
        );

        // A file that arrived while serving has the id a fresh scan gives it after a restart.
        let ids = |live: &Live| {
            let other = live.folder("other");
            let page = live.cp.browse(&live.control, &Browse::children(&other)).unwrap();
            (other, page.objects.iter().map(|o| o.id.clone()).collect::<Vec<_>>())
        };
        let before = ids(&live);
        live.server.shutdown();
        live.server = common::start_at(live.state.clone(), live.media.clone(), None);
        live.control = urls(&live.cp, &live.server).1;
        assert_eq!(ids(&live), before);
        live.server.shutdown();
    });
}

#[test]
fn folders_moved_in_renamed_and_moved_out_are_evented_and_watched() {
    isolated("folders_moved_in_renamed_and_moved_out_are_evented_and_watched", || {
        let mut live = Live::start(rill::live::Options::default());
        let (top, album) = (live.folder(""), live.folder("album"));
        let (media, outside) = (live.media.clone(), live.outside.clone());

        // A folder with a sub-folder arrives from outside the served folder.
        std::fs::create_dir_all(outside.join("new/disc 2")).unwrap();
        std::fs::write(outside.join("new/1.mp3"), mp3(100)).unwrap();
        std::fs::write(outside.join("new/disc 2/2.mp3"), mp3(200)).unwrap();
        std::fs::rename(outside.join("new"), media.join("new")).unwrap();
        live.expect_change("folder moved in", LIVE, &[&top], &[&album]);
        assert_eq!(live.items("new"), [("1".to_string(), Some(100))]);
        assert_eq!(live.items("new/disc 2"), [("2".to_string(), Some(200))]);
        // It is watched now: a file added inside shows up.
        let new = live.folder("new/disc 2");
        std::fs::write(media.join("new/disc 2/3.mp3"), mp3(300)).unwrap();
        live.expect_change("added in a moved-in folder", LIVE, &[&new], &[&album]);

        // Renamed: the old path leaves, the new one comes, and stays watched.
        std::fs::rename(media.join("new"), media.join("renamed")).unwrap();
        live.expect_change("folder renamed", LIVE, &[&top], &[&album]);
        assert_eq!(live.items("renamed/disc 2").len(), 2);
        let top_children = live.cp.browse(&live.control, &Browse::children(&top)).unwrap();
        let mut names: Vec<_> = top_children.containers().map(|c| c.title.clone()).collect();
        names.sort();
        assert_eq!(names, ["album", "other", "renamed"]);
        let disc = live.folder("renamed/disc 2");
        std::fs::remove_file(media.join("renamed/disc 2/2.mp3")).unwrap();
        live.expect_change("removed in a renamed folder", LIVE, &[&disc], &[&album]);

        // Moved out: gone with everything below it.
        std::fs::rename(media.join("renamed"), outside.join("back")).unwrap();
        live.expect_change("folder moved out", LIVE, &[&top], &[&album]);
        let top_children = live.cp.browse(&live.control, &Browse::children(&top)).unwrap();
        assert_eq!(top_children.containers().count(), 2);
        match live.cp.browse(&live.control, &Browse::metadata(&disc)) {
            Err(rill_tests::renderer::Error::Fault { code: 701, .. }) => {}
            other => panic!("expected 701 for a folder moved out, got {other:?}"),
        }
        live.server.shutdown();
    });
}

/// How long a change on the FUSE mount may take to be evented, polled every second: a file
/// rewritten in place changes no folder, and waits for the full poll (every tenth).
const POLLED: Duration = Duration::from_secs(15);

#[test]
fn files_on_a_network_mount_are_polled_and_evented() {
    isolated_with_mounts("files_on_a_network_mount_are_polled_and_evented", || {
        let options =
            rill::live::Options { poll_interval: Duration::from_secs(1), ..Default::default() };
        let mut live = Live::start_mirrored(options);
        let shared = std::sync::Arc::clone(live.server.sharing.shared());
        let followed = shared.following.folders();
        assert_eq!(followed.len(), 1, "{followed:?}");
        assert_eq!(followed[0].method, rill::mounts::Method::Poll("fuse"));
        let (album, other) = (live.folder("album"), live.folder("other"));
        let media = live.media.clone();

        std::fs::write(media.join("album/b.mp3"), mp3(2000)).unwrap();
        live.expect_change("added", POLLED, &[&album], &[&other]);
        let a = ("a".to_string(), Some(1000));
        assert_eq!(live.items("album"), [a.clone(), ("b".into(), Some(2000))]);
        assert!(shared.following.folders()[0].last_poll.is_some(), "the last poll is shown");

        // Rewritten in place: the folder's time stays, the full poll finds it.
        std::fs::write(media.join("album/b.mp3"), mp3(3000)).unwrap();
        live.expect_change("changed", POLLED, &[&album], &[&other]);
        assert_eq!(live.items("album"), [a.clone(), ("b".into(), Some(3000))]);

        std::fs::rename(media.join("album/b.mp3"), media.join("other/c.mp3")).unwrap();
        live.expect_change("moved", POLLED, &[&album, &other], &[]);
        assert_eq!(live.items("album"), std::slice::from_ref(&a));
        assert_eq!(live.items("other"), [("c".into(), Some(3000))]);

        std::fs::remove_file(media.join("other/c.mp3")).unwrap();
        live.expect_change("removed", POLLED, &[&other], &[&album]);
        assert!(live.items("other").is_empty());

        std::fs::create_dir_all(media.join("other/new")).unwrap();
        std::fs::write(media.join("other/new/d.mp3"), mp3(4000)).unwrap();
        live.expect_change("a folder added", POLLED, &[&other], &[&album]);
        assert_eq!(live.items("other/new"), [("d".into(), Some(4000))]);
        live.server.shutdown();
    });
}

#[test]
fn out_of_inotify_watches_falls_back_to_rescans() {
    isolated("out_of_inotify_watches_falls_back_to_rescans", || {
        // Inside the test's user namespace the real limit can be lowered: two watches, the
        // served folder's and one of its two sub-folders'. Elsewhere the server pretends.
        let real = std::fs::write("/proc/sys/user/max_inotify_watches", "2").is_ok();
        let options = rill::live::Options {
            rescan_interval: Duration::from_secs(1),
            max_watches: (!real).then_some(2),
            ..Default::default()
        };
        eprintln!("watch limit: {}", if real { "real (user namespace)" } else { "simulated" });
        let mut live = Live::start(options);
        let (album, other) = (live.folder("album"), live.folder("other"));
        let media = live.media.clone();
        // "album" sorts first and got the last watch; "other" is rescanned every second.
        std::fs::write(media.join("album/live.mp3"), mp3(10)).unwrap();
        live.expect_change("watched folder", LIVE, &[&album], &[&other]);
        std::fs::write(media.join("other/rescanned.mp3"), mp3(20)).unwrap();
        live.expect_change("unwatched folder", WAIT, &[&other], &[&album]);
        assert_eq!(live.items("other"), [("rescanned".to_string(), Some(20))]);
        std::fs::remove_file(media.join("other/rescanned.mp3")).unwrap();
        live.expect_change("unwatched folder, removal", WAIT, &[&other], &[&album]);
        assert!(live.items("other").is_empty());
        live.server.shutdown();
    });
}
