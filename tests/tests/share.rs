//! Folders shared and unshared while the server runs, end to end: a real server on loopback,
//! a control point browsing it and subscribed to its ContentDirectory events. A folder shared
//! at run time appears in Browse with its tracks (read from files `vorbiscomment` wrote) and
//! the subscriber is told; unshared, it vanishes and the subscriber is told again; the other
//! folder's object ids never change.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use rill_core::library::Shelf;
use rill_tests::corpus::tagged;
use rill_tests::renderer::didl::Object;
use rill_tests::renderer::gena::Subscriber;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Player, Renderer, CONTENT_DIRECTORY};

/// How long a change may take to show (generous: a failure is a missing change, not a slow
/// one).
const WAIT: Duration = Duration::from_secs(10);

/// The served folders under Folders: (title, id).
fn folders(cp: &Renderer, control: &str) -> Vec<(String, String)> {
    let id = Shelf::Folders.id().to_string();
    let children = cp.browse(control, &Browse::children(&id)).unwrap();
    children.containers().map(|c| (c.title.clone(), c.id.clone())).collect()
}

/// Waits until the folder titled `title` is listed with `count` items below it; returns them.
fn wait_for(cp: &Renderer, control: &str, title: &str, count: usize) -> Vec<Object> {
    let deadline = Instant::now() + WAIT;
    loop {
        let found = folders(cp, control).into_iter().find(|(t, _)| t == title);
        let items = found.map(|(_, id)| common::items(cp, control, &id)).unwrap_or_default();
        if items.len() == count {
            return items;
        }
        assert!(Instant::now() < deadline, "{title}: {} items, not {count}", items.len());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn ids(items: &[Object]) -> Vec<(String, String)> {
    let mut ids: Vec<_> = items.iter().map(|o| (o.title.clone(), o.id.clone())).collect();
    ids.sort();
    ids
}

/// Waits for a NOTIFY whose SystemUpdateID is above `above`; returns it.
fn notified(listener: &Subscriber, above: u32, what: &str) -> u32 {
    let (_, event) = listener.until(WAIT, |e| e.system_update_id().is_some_and(|id| id > above));
    let event = event.unwrap_or_else(|| panic!("{what}: no NOTIFY with a newer SystemUpdateID"));
    event.system_update_id().unwrap()
}

#[test]
fn folders_shared_and_unshared_while_running() {
    isolated("folders_shared_and_unshared_while_running", || {
        let (dir, first) = common::empty_dir();
        tagged(&first, "a/one.ogg", &["TITLE=One", "ARTIST=Ann"]);
        tagged(&first, "a/two.ogg", &["TITLE=Two", "ARTIST=Ann"]);
        // Spaces and non-ASCII in the shared folder's name.
        let second = dir.path().join("Zweite Sammlung – Müsik");
        for (i, title) in ["Drei", "Vier", "Fünf"].into_iter().enumerate() {
            let title = format!("TITLE={title}");
            tagged(&second, &format!("b/{i}.ogg"), &[&*title, "ARTIST=Bea"]);
        }
        let state = dir.path().join("state");
        let server = common::launch(state, first.clone(), Some(dir), |_| {});
        let cp = Renderer::new(Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let location = format!("http://{}/rill/description.xml", server.http);
        let desc = cp.fetch_description(&location).unwrap();
        let event_url = desc.service(CONTENT_DIRECTORY).unwrap().event_sub_url.clone();
        let listener = Subscriber::listen().unwrap();
        cp.subscribe(&event_url, &listener.callback("/cd"), 300).unwrap().unwrap();
        let initial = listener.next(WAIT).expect("the initial event");
        let mut update_id = initial.system_update_id().unwrap();

        let before = ids(&wait_for(&cp, &control, "media", 2));
        let name = second.file_name().unwrap().to_str().unwrap();
        server.sharing.share(std::slice::from_ref(&second)).unwrap();
        update_id = notified(&listener, update_id, "share");
        let shared = wait_for(&cp, &control, name, 3);
        let mut titles: Vec<_> = shared.iter().map(|o| o.title.as_str()).collect();
        titles.sort();
        assert_eq!(titles, ["Drei", "Fünf", "Vier"]);
        assert_eq!(ids(&wait_for(&cp, &control, "media", 2)), before, "the other folder's ids");
        let listed = server.sharing.folders();
        let counts: Vec<_> = listed.iter().map(|f| (f.path.as_path(), f.media)).collect();
        assert_eq!(counts, [(first.as_path(), 2), (second.as_path(), 3)]);

        // A file added to the new folder is seen: the watcher follows it too.
        tagged(&second, "b/late.ogg", &["TITLE=Spät"]);
        update_id = notified(&listener, update_id, "a file in the new folder");
        wait_for(&cp, &control, name, 4);

        // Sharing it again (by another path to it) changes nothing.
        let again = second.join("b/..");
        server.sharing.share(&[again]).unwrap();
        assert_eq!(server.sharing.folders().len(), 2);

        server.sharing.unshare(std::slice::from_ref(&second)).unwrap();
        update_id = notified(&listener, update_id, "unshare");
        let titles: Vec<_> = folders(&cp, &control).into_iter().map(|(t, _)| t).collect();
        assert_eq!(titles, ["media"]);
        assert_eq!(ids(&wait_for(&cp, &control, "media", 2)), before, "the other folder's ids");
        assert!(server.sharing.unshare(std::slice::from_ref(&second)).is_err());
        assert!(server.sharing.share(&[Path::new("/nonexistent/rill").into()]).is_err());

        // Unsharing the first folder and sharing it again gives back the same ids.
        server.sharing.unshare(std::slice::from_ref(&first)).unwrap();
        update_id = notified(&listener, update_id, "unshare the first");
        assert!(folders(&cp, &control).is_empty());
        server.sharing.share(std::slice::from_ref(&first)).unwrap();
        notified(&listener, update_id, "share the first again");
        assert_eq!(ids(&wait_for(&cp, &control, "media", 2)), before, "ids after a reshare");
        server.shutdown();
    });
}

/// Whether a GET of `url` on `http` has been answered: reads the head and a first piece of
/// the body, then stops reading, so the server is left writing the rest.
fn start_reading(http: std::net::SocketAddrV4, url: &str) -> std::net::TcpStream {
    use std::io::{Read, Write};
    let path = url.split_once(&http.to_string()).map_or(url, |(_, p)| p);
    let mut stream = std::net::TcpStream::connect(http).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {http}\r\n\r\n").unwrap();
    let mut head = [0u8; 1024];
    let n = stream.read(&mut head).unwrap();
    assert!(head[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head[..n]));
    stream
}

#[test]
fn streams_now_playing_are_listed_while_they_play() {
    isolated("streams_now_playing_are_listed_while_they_play", || {
        let (dir, media) = common::empty_dir();
        // Served as it is (its tags cannot be read), and far larger than the socket buffers,
        // so the server is still sending it while the client does not read.
        let big: Vec<u8> = (0..16u32 << 20).map(|i| (i * 7) as u8).collect();
        std::fs::write(media.join("big.mp3"), big).unwrap();
        let server = common::start((dir, media));
        let cp = Renderer::new(Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let item = wait_for(&cp, &control, "media", 1).remove(0);
        let url = item.res.first().expect("a resource").url.clone();
        let playing = &server.sharing.shared().playing;
        assert!(playing.list().is_empty());
        let stream = start_reading(server.http, &url);
        assert_eq!(playing.list(), ["big.mp3"]);
        drop(stream);
        let deadline = Instant::now() + WAIT;
        while !playing.list().is_empty() {
            assert!(Instant::now() < deadline, "the stream is still listed after it ended");
            std::thread::sleep(Duration::from_millis(20));
        }
        server.shutdown();
    });
}
