//! The music library end to end: tagged Vorbis files written by `vorbiscomment`, served by an
//! in-process server, browsed and searched over loopback by the mock renderer posing as a PS3.
//! Checks the tree shapes tags give (compilations, missing tags, multi-disc albums, album
//! artists), that every object id survives a restart, and Search on the new fields.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use rill_tests::corpus::Spec;
use rill_tests::renderer::didl::Object;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Player, Renderer, CONTENT_DIRECTORY};

/// Writes `tags` into a copy of a short corpus file at `dir/rel`.
fn tagged(dir: &Path, rel: &str, tags: &[&str]) {
    let out = dir.join(rel);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let source = Spec { frames: 4410, ..Spec::stereo(0) }.path();
    let mut cmd = Command::new("vorbiscomment");
    cmd.arg("-w");
    for t in tags {
        cmd.args(["-t", t]);
    }
    let status = cmd.arg(&source).arg(&out).status().expect("vorbiscomment (vorbis-tools) runs");
    assert!(status.success());
}

/// The test library: a compilation, a two-disc album with a featured artist, an untagged file.
fn write_library(dir: &Path) {
    for (i, (artist, title)) in
        [("Ann", "Opening"), ("Bob", "Middle"), ("Cy", "Closing")].into_iter().enumerate()
    {
        let (artist, title, track) = (
            format!("ARTIST={artist}"),
            format!("TITLE={title}"),
            format!("TRACKNUMBER={}", i + 1),
        );
        let tags = [&*artist, &*title, &*track, "ALBUM=Hits 2001", "COMPILATION=1", "GENRE=Pop"];
        tagged(dir, &format!("Various/Hits/{i}.ogg"), &tags);
    }
    // Added in file-name order, which is not disc/track order.
    for (disc, track) in [(1, 1), (1, 2), (1, 10), (2, 1), (2, 2)] {
        let title = format!("TITLE=Disc {disc} Track {track}");
        let artist = if track == 2 { "ARTIST=Dee feat. Eve" } else { "ARTIST=Dee" };
        let (disc_tag, track_tag) = (format!("DISCNUMBER={disc}"), format!("TRACKNUMBER={track}"));
        let tags = [&*title, artist, "ALBUMARTIST=Dee", "ALBUM=Double", &*disc_tag, &*track_tag];
        tagged(dir, &format!("Dee/Double/{disc}-{track:02}.ogg"), &tags);
    }
    tagged(dir, "loose/raw take.ogg", &[]);
}

struct Walk<'a> {
    ps3: Renderer,
    control: &'a str,
}

impl Walk<'_> {
    fn children(&self, id: &str) -> Vec<Object> {
        let result = self.ps3.browse(self.control, &Browse::children(id)).unwrap();
        assert_eq!(result.total_matches as usize, result.objects.len());
        // Every child, wherever it really lives, is listed with this container as parent.
        assert!(result.objects.iter().all(|o| o.parent_id == id), "{:?}", result.didl);
        result.objects
    }

    fn titles(&self, id: &str) -> Vec<String> {
        self.children(id).into_iter().map(|o| o.title).collect()
    }

    fn child(&self, id: &str, title: &str) -> Object {
        let kids = self.children(id);
        kids.iter()
            .find(|o| o.title == title)
            .unwrap_or_else(|| panic!("no {title:?} in {:?}", self.titles(id)))
            .clone()
    }

    /// Every object reachable from the root: id -> (title, parent as listed, class).
    fn everything(&self) -> BTreeMap<String, (String, String, String)> {
        let mut all = BTreeMap::new();
        let mut stack = vec!["0".to_string()];
        while let Some(id) = stack.pop() {
            for o in self.children(&id) {
                if o.is_container {
                    stack.push(o.id.clone());
                }
                all.insert(format!("{}<{}", o.id, o.parent_id), (o.title, o.parent_id, o.class));
            }
        }
        all
    }

    fn search(&self, container: &str, criteria: &str) -> Vec<String> {
        let args = [
            ("ContainerID", container),
            ("SearchCriteria", criteria),
            ("Filter", "*"),
            ("StartingIndex", "0"),
            ("RequestedCount", "0"),
            ("SortCriteria", "+dc:title"),
        ];
        let out = self.ps3.soap(self.control, CONTENT_DIRECTORY, "Search", &args).unwrap();
        let didl = &out.iter().find(|(k, _)| k == "Result").unwrap().1;
        rill_tests::renderer::didl::parse(didl).unwrap().into_iter().map(|o| o.title).collect()
    }
}

fn control_url(ps3: &Renderer, server: &common::Running) -> String {
    let location = format!("http://{}/rill/description.xml", server.http);
    let desc = ps3.fetch_description(&location).unwrap();
    desc.service(CONTENT_DIRECTORY).unwrap().control_url.clone()
}

#[test]
fn tags_build_the_music_tree_and_ids_survive_a_restart() {
    isolated("tags_build_the_music_tree_and_ids_survive_a_restart", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        write_library(&media);
        let state = dir.path().join("state");
        let server = common::start_at(state.clone(), media.clone(), None);
        let ps3 = Renderer::new(Player::PS3);
        let control = control_url(&ps3, &server);
        let walk = Walk { ps3, control: &control };

        assert_eq!(walk.titles("0"), ["Music", "Video", "Pictures", "Folders"]);
        let music = walk.child("0", "Music");
        assert_eq!(walk.titles(&music.id), ["Artists", "Albums", "Genres", "All Tracks"]);
        let artists = walk.child(&music.id, "Artists");
        assert_eq!(artists.class, "object.container.storageFolder");
        // ALBUMARTIST gathers "Dee feat. Eve"; the compilation is under Various Artists; the
        // untagged file under Unknown Artist.
        assert_eq!(walk.titles(&artists.id), ["Dee", "Unknown Artist", "Various Artists"]);
        let dee = walk.child(&artists.id, "Dee");
        assert_eq!(dee.class, "object.container.person.musicArtist");
        let double = walk.child(&dee.id, "Double");
        assert_eq!(double.class, "object.container.album.musicAlbum");
        assert_eq!(double.artist.as_deref(), Some("Dee"));
        assert_eq!(double.child_count, Some(5));
        assert_eq!(
            walk.titles(&double.id),
            [
                "Disc 1 Track 1",
                "Disc 1 Track 2",
                "Disc 1 Track 10",
                "Disc 2 Track 1",
                "Disc 2 Track 2"
            ]
        );
        let featured = walk.child(&double.id, "Disc 1 Track 2");
        assert_eq!(featured.artist.as_deref(), Some("Dee feat. Eve"));
        assert!(featured.res.iter().any(|r| r.url.ends_with(".ogg")));
        let various = walk.child(&artists.id, "Various Artists");
        let hits = walk.child(&various.id, "Hits 2001");
        assert_eq!(walk.titles(&hits.id), ["Opening", "Middle", "Closing"]);
        let unknown = walk.child(&artists.id, "Unknown Artist");
        let unknown_album = walk.child(&unknown.id, "Unknown Album");
        assert_eq!(walk.titles(&unknown_album.id), ["raw take"], "titled by the file name");
        let albums = walk.child(&music.id, "Albums");
        assert_eq!(walk.titles(&albums.id), ["Double", "Hits 2001", "Unknown Album"]);
        assert_eq!(walk.child(&albums.id, "Double").id, double.id, "one album, two listings");
        let genres = walk.child(&music.id, "Genres");
        assert_eq!(walk.titles(&genres.id), ["Pop"]);
        let all = walk.child(&music.id, "All Tracks");
        assert_eq!(walk.children(&all.id).len(), 9);

        // The same track in its folder and in its album: one id, the same resources.
        let folders = walk.child("0", "Folders");
        let media_folder = walk.child(&folders.id, "media");
        let disc_folder = walk.child(&walk.child(&media_folder.id, "Dee").id, "Double");
        let in_folder = walk.child(&disc_folder.id, "Disc 1 Track 2");
        assert_eq!(in_folder.id, featured.id);
        assert_eq!(in_folder.res, featured.res);
        let meta = walk.ps3.browse(&control, &Browse::metadata(&featured.id)).unwrap();
        assert_eq!(meta.objects[0].parent_id, disc_folder.id, "metadata names the folder");

        // Search on the new fields, as WMP and the Xbox send it.
        let audio = "upnp:class derivedfrom \"object.item.audioItem\"";
        assert_eq!(walk.search("0", audio).len(), 9, "each track once");
        assert_eq!(
            walk.search("0", &format!("{audio} and upnp:artist contains \"eve\"")),
            ["Disc 1 Track 2", "Disc 2 Track 2"]
        );
        assert_eq!(
            walk.search("4", "upnp:album = \"hits 2001\" and dc:title contains \"o\""),
            ["Closing", "Opening"]
        );
        assert_eq!(walk.search("0", "upnp:genre = \"Pop\" or dc:title = \"raw take\"").len(), 4);
        assert_eq!(
            walk.search("7", "upnp:class derivedfrom \"object.container.album\""),
            ["Double", "Hits 2001", "Unknown Album"]
        );

        let before = walk.everything();
        server.shutdown();

        // A restart scans again from nothing: every id is the same.
        let server = common::start_at(state, media, None);
        let control = control_url(&walk.ps3, &server);
        let walk = Walk { ps3: walk.ps3, control: &control };
        assert_eq!(walk.everything(), before);
        server.shutdown();
        drop(dir);
    });
}
