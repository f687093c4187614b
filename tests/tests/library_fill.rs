//! The server answers while its first scan runs: the scan is held just before each file it
//! reads (a [`ReadHook`] given to the in-process server, which waits for this test to let one
//! file through), and at every stop the description, Browse and GetSystemUpdateID are
//! answered while the file is still unread, with the library grown by exactly the files let
//! through. A file being read holds no lock: a Browse waiting for one would never be answered
//! here.

mod common;

use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::control_url;
use rill::library::ReadHook;
use rill_tests::corpus::tagged;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Player, Renderer, CONTENT_DIRECTORY};

/// Tracks in the test folder.
const FILES: usize = 4;

#[test]
fn the_server_answers_while_the_first_scan_runs() {
    isolated("the_server_answers_while_the_first_scan_runs", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        for i in 0..FILES {
            let (title, track) = (format!("TITLE=T{i}"), format!("TRACKNUMBER={}", i + 1));
            let tags = [&*title, &*track, "ARTIST=Band", "ALBUM=Album"];
            tagged(&media, &format!("Band/Album/{i}.ogg"), &tags);
        }
        // The hook tells us the scan is at a file, then waits for one message per file; once
        // `release` is dropped, files are read freely.
        let (at_file, scan_at_file) = mpsc::channel::<()>();
        let (release, released) = mpsc::channel::<()>();
        let released = Mutex::new(released);
        let hook = ReadHook::new(move || {
            let _ = at_file.send(());
            let _ = released.lock().unwrap().recv();
        });
        let server = common::spawn(dir.path().join("state"), media, None, |config| {
            config.live.before_read = Some(hook);
        });
        // Wait (bounded) for the scan to reach its first file.
        scan_at_file.recv_timeout(common::READY_TIMEOUT).expect("the scan reached a file");

        let ps3 = Renderer::new(Player::PS3);
        let control = control_url(&ps3, &server);
        let children = |id: &str| ps3.browse(&control, &Browse::children(id)).unwrap();
        let child = |id: &str, title: &str| {
            let kids = children(id);
            kids.objects.into_iter().find(|o| o.title == title).unwrap_or_else(|| panic!("{title}"))
        };
        let system_update_id = || {
            let out = ps3.soap(&control, CONTENT_DIRECTORY, "GetSystemUpdateID", &[]).unwrap();
            out.iter().find(|(k, _)| k == "Id").unwrap().1.parse::<u32>().unwrap()
        };
        let all = child(&child("0", "Music").id, "All Tracks").id;
        // Folders come before the files in them: the album's folder is there, still empty.
        let media_folder = child(&child("0", "Folders").id, "media").id;
        let album_folder = child(&child(&media_folder, "Band").id, "Album");
        assert_eq!(album_folder.child_count, Some(0));

        let mut last: Option<(u32, u32)> = None;
        for read in 0..=FILES {
            // Wait (bounded) until the files let through so far are in.
            let deadline = Instant::now() + common::READY_TIMEOUT;
            let mut listing = children(&all);
            while listing.total_matches as usize != read {
                assert!(Instant::now() < deadline, "{read} files let through, not all in");
                std::thread::sleep(Duration::from_millis(10));
                listing = children(&all);
            }
            if read < FILES {
                // The scan is held before file `read`: not done, and answering.
                assert!(!*server.ready.borrow(), "the scan finished with a file held");
            }
            let titles: Vec<String> = listing.objects.iter().map(|o| o.title.clone()).collect();
            let expected: Vec<String> = (0..read).map(|i| format!("T{i}")).collect();
            assert_eq!(titles, expected);
            let folder = children(&album_folder.id);
            assert_eq!(folder.total_matches as usize, read);
            // Each file moves SystemUpdateID and the container's UpdateID on.
            let now = (system_update_id(), listing.update_id);
            if let Some(before) = last {
                assert!(now.0 > before.0 && now.1 > before.1, "{before:?} then {now:?}");
            }
            last = Some(now);
            if read < FILES {
                release.send(()).unwrap();
            }
        }
        drop(release);
        let deadline = Instant::now() + common::READY_TIMEOUT;
        while !*server.ready.borrow() {
            assert!(Instant::now() < deadline, "the first scan did not finish");
            std::thread::sleep(Duration::from_millis(10));
        }
        let artists = child(&child("0", "Music").id, "Artists").id;
        let band = child(&artists, "Band");
        assert_eq!(child(&band.id, "Album").child_count, Some(FILES as u32));
        server.shutdown();
        drop(dir);
    });
}
