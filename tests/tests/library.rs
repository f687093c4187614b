//! The music library end to end: tagged Vorbis files written by `vorbiscomment`, served by an
//! in-process server, browsed and searched over loopback by the mock renderer posing as a PS3.
//! Checks the tree shapes tags give (compilations tagged or guessed, missing tags, multi-disc
//! albums, album artists), that every object id survives a restart, and Search on the new
//! fields and below any container.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::control_url;
use rill_tests::corpus::tagged;
use rill_tests::renderer::didl::Object;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Player, Renderer, CONTENT_DIRECTORY};

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

struct Walk {
    ps3: Renderer,
    control: String,
}

impl Walk {
    /// Walks `server`'s ContentDirectory as `ps3`.
    fn new(ps3: Renderer, server: &common::Running) -> Self {
        let control = control_url(&ps3, server);
        Walk { ps3, control }
    }

    fn children(&self, id: &str) -> Vec<Object> {
        let result = self.ps3.browse(&self.control, &Browse::children(id)).unwrap();
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
        let out = self.ps3.soap(&self.control, CONTENT_DIRECTORY, "Search", &args).unwrap();
        let didl = &out.iter().find(|(k, _)| k == "Result").unwrap().1;
        rill_tests::renderer::didl::parse(didl).unwrap().into_iter().map(|o| o.title).collect()
    }
}

#[test]
fn tags_build_the_music_tree_and_ids_survive_a_restart() {
    isolated("tags_build_the_music_tree_and_ids_survive_a_restart", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        write_library(&media);
        let state = dir.path().join("state");
        let server = common::start_at(state.clone(), media.clone(), None);
        let walk = Walk::new(Renderer::new(Player::PS3), &server);

        assert_eq!(walk.titles("0"), ["Music", "Video", "Pictures", "Playlists", "Folders"]);
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
        let meta = walk.ps3.browse(&walk.control, &Browse::metadata(&featured.id)).unwrap();
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
        let walk = Walk::new(walk.ps3, &server);
        assert_eq!(walk.everything(), before);
        server.shutdown();
        drop(dir);
    });
}

/// Runs ffmpeg with `args`, which must succeed.
fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// Width and height of an image file, as ffprobe reads it.
fn dimensions(path: &Path) -> (u32, u32) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let (w, h) = text.trim().split_once(',').unwrap_or_else(|| panic!("{text:?}"));
    (w.parse().unwrap(), h.parse().unwrap())
}

/// A FLAC picture block (front cover) holding `png`, in base64, for METADATA_BLOCK_PICTURE.
fn picture_block(png: &[u8]) -> String {
    let mut block = Vec::new();
    block.extend_from_slice(&3u32.to_be_bytes());
    block.extend_from_slice(&9u32.to_be_bytes());
    block.extend_from_slice(b"image/png");
    block.extend_from_slice(&0u32.to_be_bytes());
    for v in [300u32, 300, 24, 0, png.len() as u32] {
        block.extend_from_slice(&v.to_be_bytes());
    }
    block.extend_from_slice(png);
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for ch in block.chunks(3) {
        let v = ch.iter().fold(0u32, |a, &b| a << 8 | u32::from(b)) << (8 * (3 - ch.len()));
        for i in 0..4 {
            b64.push(if i <= ch.len() {
                T[(v >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    b64
}

/// With a library index, album art is offered from the first Browse after a restart: the
/// index keeps which items have a thumbnail, so the art does not wait for the check against
/// the disk (held here on a track added while stopped) and the art pass after it.
#[test]
fn album_art_is_offered_at_once_after_a_restart_with_the_index() {
    isolated("album_art_is_offered_at_once_after_a_restart_with_the_index", || {
        use std::sync::{mpsc, Arc, Mutex};
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        let cache = dir.path().join("cache");
        // The server caches in $XDG_CACHE_HOME/rill/art (this runs in a process of its own).
        std::env::set_var("XDG_CACHE_HOME", &cache);
        std::fs::create_dir_all(media.join("Album")).unwrap();
        let cover = media.join("Album/cover.jpg");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=400x300",
            "-frames:v",
            "1",
            cover.to_str().unwrap(),
        ]);
        tagged(&media, "Album/1.ogg", &["TITLE=One", "ALBUM=A", "ARTIST=X", "TRACKNUMBER=1"]);
        let index = cache.join("rill").join(rill::index::FILE_NAME);
        let state = dir.path().join("state");
        let configure = |hook: Option<rill::library::ReadHook>| {
            let index = index.clone();
            move |config: &mut rill::serve::Config| {
                config.live.index = Some(index);
                config.live.before_read = hook;
            }
        };
        let server = common::launch(state.clone(), media.clone(), None, configure(None));
        let walk = Walk::new(Renderer::new(Player::PS3), &server);
        let all = walk.child(&walk.child("0", "Music").id, "All Tracks").id;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while walk.children(&all).iter().any(|o| o.album_art.is_none()) {
            assert!(std::time::Instant::now() < deadline, "no album art made");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let art = walk.children(&all)[0].album_art.clone();
        server.shutdown();

        // While stopped, a track is added: the restart's check is held when it reads it.
        tagged(&media, "Album/2.ogg", &["TITLE=Two", "ALBUM=A", "ARTIST=X", "TRACKNUMBER=2"]);
        let (reached, held) = mpsc::channel();
        let gate = Arc::new(Mutex::new(()));
        let hold = gate.lock().unwrap();
        let hook = {
            let (reached, gate) = (Mutex::new(reached), Arc::clone(&gate));
            rill::library::ReadHook::new(move || {
                let _ = reached.lock().unwrap().send(());
                drop(gate.lock());
            })
        };
        let server = common::spawn(state, media.clone(), None, configure(Some(hook)));
        held.recv_timeout(common::READY_TIMEOUT).expect("the check reads the added track");
        let walk = Walk::new(walk.ps3, &server);
        let listed = walk.children(&all);
        assert_eq!(listed.len(), 1, "the added track waits for the check");
        assert!(!*server.ready.borrow(), "the check is still held");
        assert_eq!(listed[0].album_art, art, "the cover's thumbnail, from the index");
        drop(hold);
        server.shutdown();
    });
}

#[test]
fn album_art_and_thumbnails_are_served_and_cached() {
    isolated("album_art_and_thumbnails_are_served_and_cached", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        let cache = dir.path().join("cache");
        // The server caches in $XDG_CACHE_HOME/rill/art (this runs in a process of its own).
        std::env::set_var("XDG_CACHE_HOME", &cache);
        std::fs::create_dir_all(media.join("Album")).unwrap();
        // A 400x300 cover beside two tracks.
        let cover = media.join("Album/cover.jpg");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=400x300",
            "-frames:v",
            "1",
            cover.to_str().unwrap(),
        ]);
        tagged(&media, "Album/1.ogg", &["TITLE=One", "ALBUM=A", "ARTIST=X", "TRACKNUMBER=1"]);
        tagged(&media, "Album/2.ogg", &["TITLE=Two", "ALBUM=A", "ARTIST=X", "TRACKNUMBER=2"]);
        // A 300x300 PNG embedded in a track of its own.
        let png_path = dir.path().join("embedded.png");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=300x300",
            "-frames:v",
            "1",
            png_path.to_str().unwrap(),
        ]);
        let block =
            format!("METADATA_BLOCK_PICTURE={}", picture_block(&std::fs::read(&png_path).unwrap()));
        tagged(&media, "Solo/pic.ogg", &["TITLE=Pic", "ALBUM=P", "ARTIST=Y", &block]);
        // A 4-second 320x240 video.
        let clip = media.join("clip.avi");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc=d=4:s=320x240:r=10",
            "-c:v",
            "mjpeg",
            clip.to_str().unwrap(),
        ]);

        // A thumbnail in the flat layout of earlier versions.
        let legacy = cache.join("rill/art/0123456789abcdef.jpg");
        std::fs::create_dir_all(legacy.parent().unwrap()).unwrap();
        std::fs::write(&legacy, b"old").unwrap();

        let state = dir.path().join("state");
        let server = common::start_at(state.clone(), media.clone(), None);
        let walk = Walk::new(Renderer::new(Player::PS3), &server);
        let all = walk.child(&walk.child("0", "Music").id, "All Tracks").id;
        let video = walk.child("0", "Video").id;
        // The thumbnails are made in the background; poll, bounded.
        let arts = |walk: &Walk| -> Vec<Option<(String, Option<String>)>> {
            let mut v: Vec<_> = walk.children(&all).into_iter().map(|o| o.album_art).collect();
            v.extend(walk.children(&video).into_iter().map(|o| o.album_art));
            v
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut art = arts(&walk);
        while art.iter().any(Option::is_none) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
            art = arts(&walk);
        }
        let art: Vec<(String, Option<String>)> = art.into_iter().map(Option::unwrap).collect();
        // One, Pic, Two (titles), then the clip.
        assert!(art.iter().all(|(_, profile)| profile.as_deref() == Some("JPEG_TN")));
        assert_eq!(art[0].0, art[2].0, "the album's tracks share the cover");
        assert_ne!(art[0].0, art[1].0);
        let album = walk.child(&walk.child(&walk.child("0", "Music").id, "Albums").id, "A");
        assert_eq!(album.album_art.as_ref().map(|a| &a.0), Some(&art[0].0));
        let expected = [(160, 120), (160, 160), (160, 120), (160, 120)];
        for ((url, _), dims) in art.iter().zip(expected) {
            let got = walk.ps3.get(url, &[]).unwrap();
            assert_eq!(got.status, 200, "{url}");
            assert_eq!(got.header("content-type"), Some("image/jpeg"));
            let file = dir.path().join("got.jpg");
            std::fs::write(&file, &got.body).unwrap();
            assert_eq!(dimensions(&file), dims, "{url}");
        }
        server.shutdown();

        // Cached on disk, keyed by file identity: a restart serves the same files unchanged.
        let cached = || -> BTreeSet<(PathBuf, std::time::SystemTime)> {
            let mut v = BTreeSet::new();
            for folder in std::fs::read_dir(cache.join("rill/art")).unwrap() {
                let folder = folder.unwrap().path();
                for e in std::fs::read_dir(&folder).into_iter().flatten().map(Result::unwrap) {
                    if e.path().extension().is_some_and(|x| x == "jpg") {
                        v.insert((e.path(), e.metadata().unwrap().modified().unwrap()));
                    }
                }
            }
            v
        };
        let before = cached();
        assert_eq!(before.len(), 3, "cover, embedded picture, video frame");
        assert!(!legacy.exists(), "the flat layout of earlier versions is cleared");
        let server = common::start_at(state.clone(), media.clone(), None);
        let walk = Walk::new(walk.ps3, &server);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while arts(&walk).iter().any(Option::is_none) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(arts(&walk).iter().all(Option::is_some));
        assert_eq!(cached(), before, "nothing made again");
        // A changed cover (another size) is a new file to the cache: made again, and the
        // thumbnail of the old one, which no file has any more, removed.
        server.shutdown();
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=green:s=200x400",
            "-frames:v",
            "1",
            cover.to_str().unwrap(),
        ]);
        let server = common::start_at(state, media.clone(), None);
        let walk = Walk::new(walk.ps3, &server);
        let replaced = |now: &BTreeSet<_>| now.len() == 3 && now.intersection(&before).count() == 2;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !replaced(&cached()) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let after = cached();
        assert!(replaced(&after), "{before:?} then {after:?}");
        // A file removed while serving takes its thumbnail with it.
        std::fs::remove_file(&clip).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while cached().len() == 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let left = cached();
        assert_eq!(left.len(), 2);
        assert!(left.is_subset(&after));
        assert!(walk.children(&video).is_empty());
        server.shutdown();
    });
}

#[test]
fn search_below_any_container_covers_its_subtree() {
    isolated("search_below_any_container_covers_its_subtree", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        for (i, title) in ["Xa", "Xb"].into_iter().enumerate() {
            let (title, track) = (format!("TITLE={title}"), format!("TRACKNUMBER={}", i + 1));
            let tags = [&*title, &*track, "ARTIST=Xavier", "ALBUM=Ex", "GENRE=Rock"];
            tagged(&media, &format!("Xavier/Ex/{i}.ogg"), &tags);
        }
        tagged(&media, "Xavier/Live/1.ogg", &["TITLE=Xc", "ARTIST=Xavier", "ALBUM=Live"]);
        let tags = ["TITLE=Ya", "ARTIST=Yan feat. Xavier", "ALBUMARTIST=Yan", "ALBUM=Why"];
        tagged(&media, "Yan/Why/1.ogg", &[&tags[..], &["GENRE=Jazz"]].concat());
        tagged(&media, "Yan/Why/2.ogg", &["TITLE=Yb", "ARTIST=Yan", "ALBUM=Why", "GENRE=Jazz"]);

        let state = dir.path().join("state");
        let server = common::start_at(state, media, None);
        let walk = Walk::new(Renderer::new(Player::PS3), &server);
        let music = walk.child("0", "Music").id;
        let artists = walk.child(&music, "Artists").id;
        let xavier = walk.child(&artists, "Xavier").id;
        let yan = walk.child(&artists, "Yan").id;
        let why = walk.child(&yan, "Why").id;
        let genres = walk.child(&music, "Genres").id;
        let albums = walk.child(&music, "Albums").id;
        let media_folder = walk.child(&walk.child("0", "Folders").id, "media").id;
        let xavier_folder = walk.child(&media_folder, "Xavier").id;

        let audio = "upnp:class derivedfrom \"object.item.audioItem\"";
        let with_x = "upnp:artist contains \"xavier\"";
        // Under an artist: the tracks of all its albums, and the albums themselves.
        assert_eq!(walk.search(&xavier, audio), ["Xa", "Xb", "Xc"]);
        assert_eq!(
            walk.search(&xavier, "upnp:class derivedfrom \"object.container\""),
            ["Ex", "Live"]
        );
        assert_eq!(walk.search(&yan, &format!("{audio} and {with_x}")), ["Ya"]);
        // Under an album: its tracks only, with the same criteria as anywhere.
        assert_eq!(walk.search(&why, with_x), ["Ya"]);
        assert_eq!(walk.search(&why, "upnp:artist contains \"yan\""), ["Ya", "Yb"]);
        assert_eq!(walk.search(&why, "dc:title = \"Xa\""), Vec::<String>::new());
        // Under Genres and one genre.
        assert_eq!(
            walk.search(&genres, &format!("{audio} and upnp:genre = \"jazz\"")),
            ["Ya", "Yb"]
        );
        assert_eq!(
            walk.search(&genres, "upnp:class = \"object.container.genre.musicGenre\""),
            ["Jazz", "Rock"]
        );
        let rock = walk.child(&genres, "Rock").id;
        assert_eq!(walk.search(&rock, with_x), ["Xa", "Xb"]);
        // Under a folder of Folders: everything below it, folders too.
        assert_eq!(walk.search(&xavier_folder, audio), ["Xa", "Xb", "Xc"]);
        assert_eq!(
            walk.search(&xavier_folder, "upnp:class = \"object.container.storageFolder\""),
            ["Ex", "Live"]
        );
        assert_eq!(walk.search(&media_folder, with_x), ["Xa", "Xb", "Xc", "Ya"]);
        // Albums carry their album artist, as Browse shows it: the albums of an artist.
        let albums_of = |artist: &str| {
            let criteria = format!(
                "upnp:class derivedfrom \"object.container.album\" and upnp:artist = \"{artist}\""
            );
            walk.search(&albums, &criteria)
        };
        assert_eq!(albums_of("Xavier"), ["Ex", "Live"]);
        assert_eq!(albums_of("yan"), ["Why"]);
        server.shutdown();
        drop(dir);
    });
}

#[test]
fn an_album_folder_of_several_artists_is_a_compilation() {
    isolated("an_album_folder_of_several_artists_is_a_compilation", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        // A sampler without ALBUMARTIST or COMPILATION tags, and a normal album beside it.
        for (i, artist) in ["Ann", "Bob", "Cy"].into_iter().enumerate() {
            let (artist, track) = (format!("ARTIST={artist}"), format!("TRACKNUMBER={}", i + 1));
            tagged(&media, &format!("Sampler/{i}.ogg"), &[&*artist, &*track, "ALBUM=Now"]);
        }
        for i in 1..=2 {
            let track = format!("TRACKNUMBER={i}");
            tagged(&media, &format!("Dee/Mine/{i}.ogg"), &["ARTIST=Dee", "ALBUM=Mine", &*track]);
        }
        let state = dir.path().join("state");
        let server = common::start_at(state, media, None);
        let walk = Walk::new(Renderer::new(Player::PS3), &server);
        let music = walk.child("0", "Music").id;
        let artists = walk.child(&music, "Artists").id;
        assert_eq!(walk.titles(&artists), ["Dee", "Various Artists"]);
        let now = walk.child(&walk.child(&artists, "Various Artists").id, "Now");
        assert_eq!(now.artist.as_deref(), Some("Various Artists"));
        assert_eq!(now.child_count, Some(3));
        let tracks = walk.children(&now.id);
        let by: Vec<_> = tracks.iter().map(|t| t.artist.as_deref().unwrap_or("")).collect();
        assert_eq!(by, ["Ann", "Bob", "Cy"], "each track keeps its own artist");
        let mine = walk.child(&walk.child(&artists, "Dee").id, "Mine");
        assert_eq!((mine.artist.as_deref(), mine.child_count), (Some("Dee"), Some(2)));
        assert_eq!(walk.titles(&walk.child(&music, "Albums").id), ["Mine", "Now"]);
        server.shutdown();
        drop(dir);
    });
}
