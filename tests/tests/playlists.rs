//! Playlists end to end: `.m3u`, `.m3u8` and `.pls` files written by the test beside tagged
//! Vorbis tracks (made with `vorbiscomment`), served by an in-process server and browsed over
//! loopback by the mock renderer. Checks that each playlist is an
//! `object.container.playlistContainer` under Playlists and in its folder, holding exactly the
//! entries that resolve (relative, absolute, `file://`, percent-encoded, Windows separators,
//! another case, Latin-1 text; streams and missing files skipped) in the playlist's order, as
//! the same item ids as in the folders; that the ids survive a restart; and that a playlist
//! follows live changes, evented over GENA: a track added, removed or retagged, the playlist
//! rewritten or removed.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::control_url;
use rill_tests::corpus::tagged;
use rill_tests::renderer::didl::Object;
use rill_tests::renderer::gena::Subscriber;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Player, Renderer};

/// The id of the Playlists container (fixed, like the other top-level containers).
const PLAYLISTS: &str = "65";
const CLASS: &str = "object.container.playlistContainer";

struct Walk {
    cp: Renderer,
    control: String,
}

impl Walk {
    fn new(cp: Renderer, server: &common::Running) -> Walk {
        let control = control_url(&cp, server);
        Walk { cp, control }
    }

    fn children(&self, id: &str) -> Vec<Object> {
        let result = self.cp.browse(&self.control, &Browse::children(id)).unwrap();
        assert_eq!(result.total_matches as usize, result.objects.len());
        assert!(result.objects.iter().all(|o| o.parent_id == id), "{}", result.didl);
        result.objects
    }

    fn child(&self, id: &str, title: &str) -> Object {
        let kids = self.children(id);
        let titles: Vec<&str> = kids.iter().map(|o| o.title.as_str()).collect();
        let found = kids.iter().find(|o| o.title == title);
        found.unwrap_or_else(|| panic!("no {title:?} in {titles:?}")).clone()
    }

    /// The object at `path` (titles, `/` between) below the served folder `media`.
    fn at(&self, path: &str) -> Object {
        let folders = self.child("0", "Folders");
        let mut cur = self.child(&folders.id, "media");
        for title in path.split('/') {
            cur = self.child(&cur.id, title);
        }
        cur
    }

    /// The titles of a container's children, in order.
    fn titles(&self, id: &str) -> Vec<String> {
        self.children(id).into_iter().map(|o| o.title).collect()
    }
}

/// Three albums' worth of tracks, one name with a space and one with an accent.
fn tracks(media: &Path) {
    tagged(media, "Rock/Band/01 One.ogg", &["TITLE=One"]);
    tagged(media, "Rock/Band/02 Two.ogg", &["TITLE=Two"]);
    tagged(media, "Jazz/My Song.ogg", &["TITLE=Song"]);
    tagged(media, "Jazz/Caf\u{e9}.ogg", &["TITLE=Cafe"]);
}

#[test]
fn playlists_hold_the_entries_that_resolve_in_order() {
    isolated("playlists_hold_the_entries_that_resolve_in_order", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        tracks(&media);
        let abs = media.canonicalize().unwrap();
        let abs = abs.to_str().unwrap();
        // Extended M3U in UTF-8 with a BOM and CRLF: a stream, a missing file, a
        // percent-encoded name, an absolute path, a repeat.
        let m3u8 = format!(
            "\u{feff}#EXTM3U\r\n#EXTINF:1,Two\r\nRock/Band/02 Two.ogg\r\nhttp://radio.invalid/x.mp3\r\n\
             missing.ogg\r\n#EXTINF:1,Song\r\nJazz/My%20Song.ogg\r\n{abs}/Rock/Band/01 One.ogg\r\n\
             Rock/Band/02 Two.ogg\r\n"
        );
        std::fs::write(media.join("mix.m3u8"), m3u8).unwrap();
        // Plain M3U in Latin-1 written on Windows: `..\`, another case, `é` as one byte.
        std::fs::write(
            media.join("Jazz/win.m3u"),
            b"..\\ROCK\\band\\01 one.OGG\r\nCaf\xe9.ogg\r\n",
        )
        .unwrap();
        // PLS out of order, with a file URL (percent-encoded UTF-8) and a drive-letter path.
        let pls = format!(
            "[playlist]\nFile3=C:\\Users\\me\\Music\\Jazz\\My Song.ogg\n\
             File2=file://{abs}/Jazz/Caf%C3%A9.ogg\nFile1=Band/01 One.ogg\nTitle1=One\n\
             NumberOfEntries=3\nVersion=2\n"
        );
        std::fs::write(media.join("Rock/list.pls"), pls).unwrap();

        let state = dir.path().join("state");
        let server = common::start_at(state.clone(), media.clone(), None);
        let walk = Walk::new(Renderer::new(Player::PS3), &server);
        let shelf = walk.child("0", "Playlists");
        assert_eq!(shelf.id, PLAYLISTS);
        assert_eq!(walk.titles(PLAYLISTS), ["list", "mix", "win"]);

        let expect = [
            ("mix.m3u8", "mix", vec!["Two", "Song", "One", "Two"]),
            ("Jazz/win.m3u", "win", vec!["One", "Cafe"]),
            ("Rock/list.pls", "list", vec!["One", "Cafe", "Song"]),
        ];
        let folder_ids = |walk: &Walk| {
            ["Rock/Band/One", "Rock/Band/Two", "Jazz/Song", "Jazz/Cafe"]
                .map(|p| (p.rsplit('/').next().unwrap().to_string(), walk.at(p).id))
        };
        let ids = folder_ids(&walk);
        let mut playlist_ids = Vec::new();
        for (path, title, tracks) in &expect {
            let listed = walk.child(PLAYLISTS, title);
            assert_eq!(listed.class, CLASS);
            assert_eq!(listed.child_count, Some(tracks.len() as u32), "{path}");
            // The same container in its folder.
            let parent = path.rsplit_once('/').map_or("", |(dir, _)| dir);
            let in_folder = if parent.is_empty() {
                let folders = walk.child("0", "Folders");
                walk.child(&walk.child(&folders.id, "media").id, title)
            } else {
                walk.child(&walk.at(parent).id, title)
            };
            assert_eq!(in_folder.id, listed.id, "{path}");
            assert_eq!(in_folder.class, CLASS);
            let items = walk.children(&listed.id);
            let titles: Vec<&str> = items.iter().map(|o| o.title.as_str()).collect();
            assert_eq!(titles, *tracks, "{path}");
            // The items are the library's own: the same ids and resources as in their folders.
            for item in &items {
                let (_, id) = ids.iter().find(|(t, _)| *t == item.title).unwrap();
                assert_eq!(&item.id, id, "{path}: {}", item.title);
                assert!(item.res.iter().any(|r| r.url.ends_with(".ogg")));
            }
            playlist_ids.push(listed.id);
        }
        server.shutdown();

        // A restart finds the same playlists under the same ids, holding the same items.
        let server = common::start_at(state, media, None);
        let walk = Walk::new(walk.cp, &server);
        let again: Vec<String> =
            expect.iter().map(|(_, title, _)| walk.child(PLAYLISTS, title).id).collect();
        assert_eq!(again, playlist_ids);
        assert_eq!(folder_ids(&walk), ids);
        assert_eq!(walk.titles(&again[0]), ["Two", "Song", "One", "Two"]);
        server.shutdown();
        drop(dir);
    });
}

/// How long a live change may take to show (generous: a failure is a missing change).
const WAIT: Duration = Duration::from_secs(10);

/// Waits until an event names container `id` and a Browse of it gives `titles`; panics after
/// [`WAIT`].
fn expect_evented(walk: &Walk, events: &Subscriber, id: &str, titles: &[&str], what: &str) {
    let deadline = Instant::now() + WAIT;
    let mut named = false;
    loop {
        if named && walk.titles(id) == titles {
            return;
        }
        let left = deadline.checked_duration_since(Instant::now());
        let Some(event) = left.and_then(|left| events.next(left)) else {
            panic!("{what}: no event naming {id} with {titles:?}; now {:?}", walk.titles(id))
        };
        named |= event.container_update_ids().iter().any(|(c, _)| c == id);
    }
}

#[test]
fn a_playlist_follows_its_file_and_its_tracks_live() {
    isolated("a_playlist_follows_its_file_and_its_tracks_live", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        let outside = dir.path().join("outside");
        tagged(&media, "Band/one.ogg", &["TITLE=One"]);
        std::fs::write(media.join("mix.m3u"), "Band/one.ogg\nBand/two.ogg\n").unwrap();
        let server = common::start_at(dir.path().join("state"), media.clone(), None);
        let walk = Walk::new(Renderer::new(Player::GENERIC), &server);
        let location = format!("http://{}/rill/description.xml", server.http);
        let desc = walk.cp.fetch_description(&location).unwrap();
        let event_url =
            desc.service(rill_tests::renderer::CONTENT_DIRECTORY).unwrap().event_sub_url.clone();
        let events = Subscriber::listen().unwrap();
        walk.cp.subscribe(&event_url, &events.callback("/cd"), 1800).unwrap().unwrap();
        events.next(WAIT).expect("the initial event");

        let mix = walk.child(PLAYLISTS, "mix").id;
        assert_eq!(walk.titles(&mix), ["One"], "the missing track is skipped");

        // The missing track arrives (moved in whole, as a finished download is).
        tagged(&outside, "two.ogg", &["TITLE=Two"]);
        std::fs::rename(outside.join("two.ogg"), media.join("Band/two.ogg")).unwrap();
        expect_evented(&walk, &events, &mix, &["One", "Two"], "track added");

        // A track goes.
        std::fs::remove_file(media.join("Band/one.ogg")).unwrap();
        expect_evented(&walk, &events, &mix, &["Two"], "track removed");

        // The playlist is rewritten.
        tagged(&outside, "three.ogg", &["TITLE=Three"]);
        std::fs::rename(outside.join("three.ogg"), media.join("Band/three.ogg")).unwrap();
        std::fs::write(outside.join("mix.m3u"), "Band/three.ogg\nBand/two.ogg\nBand/three.ogg\n")
            .unwrap();
        std::fs::rename(outside.join("mix.m3u"), media.join("mix.m3u")).unwrap();
        expect_evented(&walk, &events, &mix, &["Three", "Two", "Three"], "playlist rewritten");

        // A new playlist appears, then the first one is removed.
        std::fs::write(outside.join("new.pls"), "File1=Band/two.ogg\n").unwrap();
        std::fs::rename(outside.join("new.pls"), media.join("new.pls")).unwrap();
        expect_evented(&walk, &events, PLAYLISTS, &["mix", "new"], "playlist added");
        std::fs::remove_file(media.join("mix.m3u")).unwrap();
        expect_evented(&walk, &events, PLAYLISTS, &["new"], "playlist removed");
        let new = walk.child(PLAYLISTS, "new").id;
        assert_eq!(walk.titles(&new), ["Two"]);

        // The track's tags change (rewritten in place, as a tag editor saves): the playlist
        // shows its new title, and its subscribers are told.
        tagged(&outside, "two.ogg", &["TITLE=Deux"]);
        std::fs::copy(outside.join("two.ogg"), media.join("Band/two.ogg")).unwrap();
        expect_evented(&walk, &events, &new, &["Deux"], "track retagged");
        server.shutdown();
        drop(dir);
    });
}
