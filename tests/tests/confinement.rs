//! A served folder holding what must never be listed or opened: a FIFO (opening one for
//! reading waits for a writer, forever), a unix socket, and symbolic links leading out of the
//! folder, beside a link that stays inside. The scan finishes in bounded time, Browse lists
//! only the regular files and the inside link, and files swapped after the scan (for a link
//! out, a folder swapped for a link out, a FIFO) are refused by id, answered at once, with
//! nothing of the outside served.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::control_url;
use rill_tests::corpus::tagged;
use rill_tests::renderer::didl::Object;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Player, Renderer};

/// How long the first scan of this small folder may take (it has nothing to wait for).
const SCAN_LIMIT: Duration = Duration::from_secs(20);

/// How long a refusal may take (an open that waited for a FIFO's writer would never answer).
const ANSWER_LIMIT: Duration = Duration::from_secs(3);

/// A FIFO at `path`, made by `mkfifo(1)`.
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn fifos_sockets_and_links_out_are_neither_listed_nor_opened() {
    isolated("fifos_sockets_and_links_out_are_neither_listed_nor_opened", || {
        let dir = tempfile::tempdir().unwrap();
        let (media, outside) = (dir.path().join("media"), dir.path().join("outside"));
        for rel in ["real.ogg", "later.ogg", "piped.ogg", "sub/track.ogg"] {
            tagged(&media, rel, &[]);
        }
        tagged(&outside, "secret.ogg", &["TITLE=Secret"]);
        tagged(&outside, "track.ogg", &["TITLE=Secret"]);
        let secret = fs::read(outside.join("secret.ogg")).unwrap();
        symlink("real.ogg", media.join("inside.ogg")).unwrap();
        symlink(outside.join("secret.ogg"), media.join("out-abs.ogg")).unwrap();
        symlink("../outside/secret.ogg", media.join("out-rel.ogg")).unwrap();
        symlink("../outside", media.join("out-dir")).unwrap();
        mkfifo(&media.join("pipe.ogg"));
        let _socket = UnixListener::bind(media.join("socket.ogg")).unwrap();

        // No watcher and no rescan: the files swapped below stay in the library as scanned, so
        // their ids reach the server's open.
        let started = Instant::now();
        let server = common::spawn(dir.path().join("state"), media.clone(), None, |config| {
            config.live.max_watches = Some(0);
            config.live.rescan_interval = Duration::from_secs(3600);
        });
        while !*server.ready.borrow() {
            assert!(started.elapsed() < SCAN_LIMIT, "the first scan did not finish");
            std::thread::sleep(Duration::from_millis(5));
        }

        let ps3 = Renderer::new(Player::PS3);
        let control = control_url(&ps3, &server);
        let children = |id: &str| ps3.browse(&control, &Browse::children(id)).unwrap().objects;
        let child = |id: &str, title: &str| -> Object {
            let kids = children(id);
            kids.iter().find(|o| o.title == title).unwrap_or_else(|| panic!("{title}")).clone()
        };
        let folder = child(&child("0", "Folders").id, "media");
        let listed = children(&folder.id);
        let titles: Vec<&str> = listed.iter().map(|o| o.title.as_str()).collect();
        assert_eq!(titles, ["sub", "inside", "later", "piped", "real"], "{titles:?}");
        let item = |title: &str| listed.iter().find(|o| o.title == title).unwrap().clone();
        let in_sub = child(&item("sub").id, "track");

        // Each served file, and the inside link, is served as the file it is.
        let original = |o: &Object| {
            o.res
                .iter()
                .find(|r| r.mime() == Some("audio/ogg"))
                .unwrap_or_else(|| panic!("{o:?}"))
                .clone()
        };
        let real = fs::read(media.join("real.ogg")).unwrap();
        for (o, bytes) in [(item("inside"), &real), (item("real"), &real)] {
            let got = ps3.get(&original(&o).url, &[]).unwrap();
            assert_eq!((got.status, &got.body), (200, bytes), "{}", o.title);
        }

        // Swapped after the scan: a file for a link out, a folder for a link out to a folder
        // with the same names, a file for a FIFO.
        fs::remove_file(media.join("later.ogg")).unwrap();
        symlink(outside.join("secret.ogg"), media.join("later.ogg")).unwrap();
        fs::rename(media.join("sub"), dir.path().join("sub-was")).unwrap();
        symlink("../outside", media.join("sub")).unwrap();
        fs::remove_file(media.join("piped.ogg")).unwrap();
        mkfifo(&media.join("piped.ogg"));
        for o in [item("later"), in_sub, item("piped")] {
            // The file as it is, and a transcode from it (the PS3 is offered L16 first).
            let mut urls = vec![original(&o).url];
            urls.extend(
                o.res
                    .iter()
                    .find(|r| r.mime().is_some_and(|m| m.starts_with("audio/L16")))
                    .map(|r| r.url.clone()),
            );
            assert_eq!(urls.len(), 2, "{o:?}");
            for url in urls {
                let asked = Instant::now();
                let got = ps3.get(&url, &[]).unwrap();
                assert!(
                    asked.elapsed() < ANSWER_LIMIT,
                    "{url}: answered after {:?}",
                    asked.elapsed()
                );
                assert_eq!(got.status, 404, "{}: {url}", o.title);
                assert!(!got.body.windows(secret.len()).any(|w| w == secret), "{url}");
            }
        }
        // The server still serves what it may.
        let got = ps3.get(&original(&item("real")).url, &[]).unwrap();
        assert_eq!((got.status, &got.body), (200, &real));
        server.shutdown();
    });
}

/// The watcher looks at what appears after the scan the same way: a FIFO, a socket and a link
/// out made while serving never show up, a FIFO put in place of a listed file takes it out of
/// the listing, and a regular file made beside them does show up.
#[test]
fn the_watcher_lists_no_fifo_socket_or_link_out_either() {
    isolated("the_watcher_lists_no_fifo_socket_or_link_out_either", || {
        let dir = tempfile::tempdir().unwrap();
        let (media, outside) = (dir.path().join("media"), dir.path().join("outside"));
        tagged(&media, "first.ogg", &[]);
        tagged(&outside, "secret.ogg", &["TITLE=Secret"]);
        let server = common::launch(dir.path().join("state"), media.clone(), None, |_| {});
        let ps3 = Renderer::new(Player::PS3);
        let control = control_url(&ps3, &server);
        let titles = || -> Vec<String> {
            let top = ps3.browse(&control, &Browse::children("0")).unwrap().objects;
            let folders = top.into_iter().find(|o| o.title == "Folders").unwrap();
            let roots = ps3.browse(&control, &Browse::children(&folders.id)).unwrap().objects;
            let folder = roots.into_iter().find(|o| o.title == "media").unwrap();
            let kids = ps3.browse(&control, &Browse::children(&folder.id)).unwrap().objects;
            kids.into_iter().map(|o| o.title).collect()
        };
        assert_eq!(titles(), ["first"]);

        mkfifo(&media.join("late-pipe.ogg"));
        let _socket = UnixListener::bind(media.join("late-socket.ogg")).unwrap();
        symlink(outside.join("secret.ogg"), media.join("late-out.ogg")).unwrap();
        fs::remove_file(media.join("first.ogg")).unwrap();
        mkfifo(&media.join("first.ogg"));
        tagged(&media, "late.ogg", &[]);
        // Each change is looked at within the watcher's settling time; poll, bounded, until
        // the listing is what it must become, then check it stays so.
        let deadline = Instant::now() + SCAN_LIMIT;
        while titles() != ["late"] {
            assert!(Instant::now() < deadline, "listed: {:?}", titles());
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(rill::live::SETTLE * 2);
        assert_eq!(titles(), ["late"]);
        server.shutdown();
    });
}
