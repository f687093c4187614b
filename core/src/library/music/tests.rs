use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::*;
use crate::library::{class_of, Details, FileInfo, SortSpec};

fn info(size: u64) -> FileInfo {
    FileInfo { size, mtime: 1_700_000_000 }
}

#[derive(Default, Clone)]
struct T<'a> {
    title: Option<&'a str>,
    artist: Option<&'a str>,
    album_artist: Option<&'a str>,
    album: Option<&'a str>,
    genre: Option<&'a str>,
    track: Option<u32>,
    disc: Option<u32>,
    date: Option<&'a str>,
    compilation: bool,
}

impl T<'_> {
    fn details(&self) -> Details {
        let n = |s: Option<&str>| s.map(Box::from);
        Details::tagged(crate::library::Tags {
            title: self.title.map(Box::from),
            artist: n(self.artist),
            album_artist: n(self.album_artist),
            album: n(self.album),
            genre: n(self.genre),
            track: self.track,
            disc: self.disc,
            date: n(self.date),
            compilation: self.compilation,
        })
    }
}

fn titles(lib: &Library, id: ObjectId) -> Vec<String> {
    let kids = lib.children(id, &SortSpec::default()).unwrap();
    kids.iter().map(|k| k.title().to_string()).collect()
}

fn child(lib: &Library, id: ObjectId, title: &str) -> ObjectId {
    let kids = lib.children(id, &SortSpec::default()).unwrap();
    let found = kids.iter().find(|k| k.title() == title).map(ObjectRef::id);
    found.unwrap_or_else(|| panic!("no {title:?} in {:?}", titles(lib, id)))
}

/// A library with a compilation, a multi-disc album, an untagged file and an album artist.
fn sample() -> Library {
    let mut lib = Library::new();
    lib.add_root(0, "Music").unwrap();
    let mut add = |path: &str, t: T<'_>| {
        lib.insert_file_with(0, path, info(1), t.details()).unwrap().unwrap();
    };
    // A compilation marked as such, tracks by different artists.
    for (i, artist) in ["Ann", "Bob", "Cy"].iter().enumerate() {
        let title = ["Opening", "Middle", "Closing"][i];
        let t = T {
            title: Some(title),
            artist: Some(artist),
            album: Some("Hits 2001"),
            track: Some(i as u32 + 1),
            compilation: true,
            genre: Some("Pop"),
            ..T::default()
        };
        add(&format!("Comp/{i}.ogg"), t);
    }
    // A two-disc album, added out of order; tracks tagged with featured artists but one
    // ALBUMARTIST.
    for (disc, track) in [(2, 1), (1, 10), (2, 2), (1, 2), (1, 1)] {
        let title = format!("d{disc}t{track}");
        let artist = if track == 2 { "Dee feat. Eve" } else { "Dee" };
        let t = T {
            title: Some(&title),
            artist: Some(artist),
            album_artist: Some("Dee"),
            album: Some("Double"),
            disc: Some(disc),
            track: Some(track),
            date: Some("1997"),
            genre: Some("Rock"),
            ..T::default()
        };
        add(&format!("Dee/Double/{disc}-{track}.ogg"), t);
    }
    // Two albums of the same name by Dee, ordered by date; one is older.
    let t = T {
        title: Some("x"),
        artist: Some("Dee"),
        album: Some("Alive"),
        date: Some("1990"),
        ..T::default()
    };
    add("Dee/Alive/x.ogg", t);
    // Nothing tagged at all, and a file that was never read.
    add("loose/untagged song.ogg", T::default());
    lib.insert_file(0, "loose/never read.mp3", info(1)).unwrap().unwrap();
    // Not music.
    lib.insert_file(0, "loose/clip.mkv", info(1)).unwrap().unwrap();
    lib.insert_file(0, "loose/photo.jpg", info(1)).unwrap().unwrap();
    lib
}

#[test]
fn tree_shapes_from_tags() {
    let mut lib = sample();
    let top = Shelf::Root.id();
    assert_eq!(titles(&lib, top), ["Music", "Video", "Pictures", "Playlists", "Folders"]);
    assert_eq!(titles(&lib, Shelf::Music.id()), ["Artists", "Albums", "Genres", "All Tracks"]);
    let artists = Shelf::Artists.id();
    assert_eq!(titles(&lib, artists), ["Dee", "Unknown Artist", "Various Artists"]);
    // ALBUMARTIST gathers the featured artist's tracks; albums by name.
    let dee = child(&lib, artists, "Dee");
    assert_eq!(titles(&lib, dee), ["Alive", "Double"]);
    // Multi-disc: disc, then track, whatever the insertion order.
    let double = child(&lib, dee, "Double");
    assert_eq!(titles(&lib, double), ["d1t1", "d1t2", "d1t10", "d2t1", "d2t2"]);
    // The compilation is under Various Artists, in track order.
    let various = child(&lib, artists, "Various Artists");
    let hits = child(&lib, various, "Hits 2001");
    assert_eq!(titles(&lib, hits), ["Opening", "Middle", "Closing"]);
    assert_eq!(lib.album_artist(hits), Some("Various Artists"));
    // Missing tags: Unknown Artist / Unknown Album, titled by the file name.
    let unknown = child(&lib, artists, "Unknown Artist");
    let unknown_album = child(&lib, unknown, "Unknown Album");
    assert_eq!(titles(&lib, unknown_album), ["never read", "untagged song"]);
    // Albums lists each album once, by name.
    assert_eq!(titles(&lib, Shelf::Albums.id()), ["Alive", "Double", "Hits 2001", "Unknown Album"]);
    assert_eq!(titles(&lib, Shelf::Genres.id()), ["Pop", "Rock"]);
    let rock = child(&lib, Shelf::Genres.id(), "Rock");
    assert_eq!(titles(&lib, rock).len(), 5);
    assert_eq!(titles(&lib, Shelf::AllTracks.id()).len(), 11);
    assert_eq!(titles(&lib, Shelf::Video.id()), ["clip"]);
    assert_eq!(titles(&lib, Shelf::Pictures.id()), ["photo"]);
    // The album container in Albums is the one under its artist.
    assert_eq!(child(&lib, Shelf::Albums.id(), "Double"), double);
    assert_eq!(lib.get(double).unwrap().parent(), dee);
    // Classes.
    let class = |id| class_of(lib.get(id).unwrap());
    assert_eq!(class(dee), "object.container.person.musicArtist");
    assert_eq!(class(double), "object.container.album.musicAlbum");
    assert_eq!(class(rock), "object.container.genre.musicGenre");
    // A second album of the same name by another artist sorts by date: tag one in 1980.
    let t = T {
        title: Some("y"),
        artist: Some("Zed"),
        album: Some("Alive"),
        date: Some("1980"),
        ..T::default()
    };
    lib.insert_file_with(0, "Zed/y.ogg", info(1), t.details()).unwrap();
    let albums = lib.children(Shelf::Albums.id(), &SortSpec::default()).unwrap().to_vec();
    let alive: Vec<&str> = albums.iter().filter_map(|&a| lib.album_artist(a)).take(2).collect();
    assert_eq!(alive, ["Zed", "Dee"], "older first");
}

/// Without album artist or compilation tags, one album title in one folder by several
/// artists is a compilation; by one artist it is that artist's album. Tracks move as the
/// folder's tracks come, go and change.
#[test]
fn several_artists_in_one_album_folder_are_guessed_a_compilation() {
    let mut lib = Library::new();
    lib.add_root(0, "M").unwrap();
    let tagged = |artist, album| T { artist: Some(artist), album: Some(album), ..T::default() };
    let add = |lib: &mut Library, path: &str, t: T<'_>| {
        lib.insert_file_with(0, path, info(1), t.details()).unwrap().unwrap()
    };
    let artists = Shelf::Artists.id();
    // A normal album, and a sampler whose first track alone looks like one.
    add(&mut lib, "Solo/1.ogg", tagged("Dee", "Mine"));
    add(&mut lib, "Solo/2.ogg", tagged("Dee", "Mine"));
    add(&mut lib, "Now/1.ogg", tagged("Ann", "Now"));
    assert_eq!(titles(&lib, artists), ["Ann", "Dee"]);
    lib.take_container_updates();
    // The second artist in the folder's album: every track of it moves to Various Artists.
    let bob = add(&mut lib, "Now/2.ogg", tagged("Bob", "Now"));
    add(&mut lib, "Now/3.ogg", tagged(" Cy ", "Now"));
    assert_eq!(titles(&lib, artists), ["Dee", "Various Artists"]);
    let various = child(&lib, artists, "Various Artists");
    let now = child(&lib, various, "Now");
    assert_eq!(titles(&lib, now), ["1", "2", "3"]);
    assert_eq!(lib.album_artist(now), Some(VARIOUS_ARTISTS));
    assert_eq!(titles(&lib, child(&lib, artists, "Dee")), ["Mine"]);
    assert_eq!(titles(&lib, Shelf::Albums.id()), ["Mine", "Now"]);
    let changed: Vec<ObjectId> = lib.take_container_updates().into_iter().map(|(c, _)| c).collect();
    assert!(changed.contains(&now) && changed.contains(&Shelf::Artists.id()));
    assert!(!changed.contains(&child(&lib, artists, "Dee")), "Dee's album did not move");
    // The same title by one artist in another folder is that artist's own album.
    add(&mut lib, "Other/1.ogg", tagged("Eve", "Now"));
    assert_eq!(titles(&lib, child(&lib, child(&lib, artists, "Eve"), "Now")), ["1"]);
    assert_eq!(titles(&lib, now), ["1", "2", "3"]);
    // Tagged album artists and compilations are not guessed at: they say where they go.
    let t = T { album_artist: Some("Ann"), ..tagged("Zed", "Now") };
    add(&mut lib, "Now/4.ogg", t);
    assert_eq!(titles(&lib, child(&lib, child(&lib, artists, "Ann"), "Now")), ["4"]);
    assert_eq!(titles(&lib, now), ["1", "2", "3"]);
    // Retagged to Ann and Cy left: still two artists. Cy gone too: back to Ann alone.
    lib.set_details(bob, tagged("Ann", "Now").details()).unwrap();
    assert_eq!(titles(&lib, now), ["1", "2", "3"]);
    lib.remove_path(0, "Now/3.ogg").unwrap();
    assert_eq!(titles(&lib, artists), ["Ann", "Dee", "Eve"]);
    let ann = child(&lib, artists, "Ann");
    assert_eq!(titles(&lib, child(&lib, ann, "Now")), ["1", "2", "4"]);
    assert!(lib.get(now).is_none(), "the compilation is gone");
    // Three groups of one artist each: each group's number of artists, each artist's tracks.
    assert!(lib.groups.len() == 2 * 3, "{:?}", lib.groups);
    // Removing the folders leaves no group behind.
    for folder in ["Now", "Solo", "Other"] {
        lib.remove_path(0, folder).unwrap();
    }
    assert!(lib.groups.is_empty() && lib.objects.names.is_empty());
    assert_eq!(titles(&lib, artists), Vec::<String>::new());
}

#[test]
fn ids_survive_restarts_and_rescans() {
    let a = sample();
    // Another "run": the same files found in another order, one removed and re-added.
    let mut b = Library::new();
    b.add_root(0, "Music").unwrap();
    let mut items: Vec<(String, ObjectId)> = Vec::new();
    for (id, obj) in a.iter() {
        if obj.as_item().is_some() {
            items.push((a.file_ref(id).unwrap().to_string(), id));
        }
    }
    items.reverse();
    for (path, id) in &items {
        let item = a.get(*id).unwrap().as_item().unwrap();
        b.insert_file_with(0, path, item.file(), a.get(*id).unwrap().details().unwrap()).unwrap();
    }
    b.remove_path(0, "Dee").unwrap();
    for (path, id) in &items {
        let item = a.get(*id).unwrap().as_item().unwrap();
        b.insert_file_with(0, path, item.file(), a.get(*id).unwrap().details().unwrap()).unwrap();
    }
    let ids = |lib: &Library| -> Vec<(ObjectId, String, ObjectId)> {
        let mut ids: Vec<_> =
            lib.iter().map(|(id, o)| (id, o.name().to_owned(), o.parent())).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&a), ids(&b));
    let dee = a.artist_id("Dee").map(|f| f.id).unwrap();
    assert_eq!(dee, PathHash::tag("artist", &["Dee"]).candidate(0));
}

#[test]
fn update_ids_change_exactly_where_a_track_goes() {
    let mut lib = sample();
    lib.take_container_updates();
    let changed = |lib: &mut Library| -> Vec<ObjectId> {
        let mut ids: Vec<ObjectId> =
            lib.take_container_updates().into_iter().map(|(id, _)| id).collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<ObjectId>| {
        v.sort();
        v
    };
    let dee = lib.artist_id("Dee").map(|f| f.id).unwrap();
    let double = lib.album_id("Dee", "Double").map(|f| f.id).unwrap();
    let rock = lib.genre_id("Rock").map(|f| f.id).unwrap();
    let folder = lib.lookup_path(0, "Dee/Double").unwrap();
    // One more track on an existing album: its folder, All Tracks, the album and the genre.
    let t = T {
        title: Some("d1t3"),
        album_artist: Some("Dee"),
        album: Some("Double"),
        disc: Some(1),
        track: Some(3),
        genre: Some("Rock"),
        ..T::default()
    };
    let id = lib.insert_file_with(0, "Dee/Double/1-3.ogg", info(1), t.details()).unwrap().unwrap();
    assert_eq!(changed(&mut lib), sorted(vec![folder, Shelf::AllTracks.id(), double, rock]));
    // Retagged into a new artist, album and genre: they appear under their shelves.
    let t2 = T {
        title: Some("new"),
        artist: Some("Fay"),
        album: Some("Solo"),
        genre: Some("Jazz"),
        ..T::default()
    };
    lib.set_details(id, t2.details()).unwrap();
    let fay = lib.artist_id("Fay").map(|f| f.id).unwrap();
    let solo = lib.album_id("Fay", "Solo").map(|f| f.id).unwrap();
    let jazz = lib.genre_id("Jazz").map(|f| f.id).unwrap();
    assert_eq!(
        changed(&mut lib),
        sorted(vec![
            folder,
            Shelf::AllTracks.id(),
            double,
            rock,
            Shelf::Artists.id(),
            Shelf::Albums.id(),
            Shelf::Genres.id(),
            fay,
            solo,
            jazz
        ])
    );
    // Only its duration changes: the containers showing it.
    let mut d = t2.details();
    d.duration_ms = Some(5);
    lib.set_details(id, d).unwrap();
    assert_eq!(changed(&mut lib), sorted(vec![folder, Shelf::AllTracks.id(), solo, jazz]));
    // Removed: its album, artist and genre disappear; their shelves change.
    let s = lib.system_update_id();
    assert_eq!(lib.remove_path(0, "Dee/Double/1-3.ogg"), Ok(1));
    assert!(lib.system_update_id() > s);
    assert_eq!(
        changed(&mut lib),
        sorted(vec![
            folder,
            Shelf::AllTracks.id(),
            Shelf::Artists.id(),
            Shelf::Albums.id(),
            Shelf::Genres.id()
        ])
    );
    assert_eq!(
        (lib.artist_id("Fay").map(|f| f.id), lib.get(solo), lib.get(jazz)),
        (None, None, None)
    );
    assert!(lib.get(dee).is_some());
    // Removing a whole folder: Dee's albums go, Dee goes.
    lib.remove_path(0, "Dee").unwrap();
    assert_eq!(lib.get(dee), None);
    assert_eq!(
        titles(&lib, Shelf::Artists.id()),
        ["Unknown Artist", "Various Artists", "Zed"][..2]
    );
    assert_eq!(lib.genre_id("Rock").map(|f| f.id), None);
}

#[test]
fn names_are_shared_and_released() {
    let mut lib = sample();
    let pop: Vec<NameId> = lib
        .objects
        .values()
        .filter_map(|o| o.as_item()?.name(Tag::Genre))
        .filter(|&g| lib.objects.names.get(g) == "Pop")
        .collect();
    assert_eq!(pop.len(), 3);
    assert!(pop.windows(2).all(|w| w[0] == w[1]), "one copy of \"Pop\"");
    let has = |lib: &Library, name| lib.objects.names.find(name).is_some();
    assert!(has(&lib, "Pop"));
    lib.remove_path(0, "Comp").unwrap();
    assert!(!has(&lib, "Pop") && !has(&lib, "Hits 2001"));
    assert!(has(&lib, "Rock"));
}

#[test]
fn cover_images_and_embedded_art() {
    let mut lib = sample();
    let track = lib.lookup_path(0, "Dee/Double/1-1.ogg").unwrap();
    let double = lib.album_id("Dee", "Double").map(|f| f.id).unwrap();
    assert_eq!(lib.art(track), None);
    // A cover beside the tracks counts once it has a thumbnail.
    let cover = lib.insert_file(0, "Dee/Double/Cover.JPG", info(9)).unwrap().unwrap();
    lib.insert_file(0, "Dee/Double/scan.jpg", info(9)).unwrap();
    assert_eq!(lib.art(track), None);
    lib.take_container_updates();
    lib.set_thumbnail(cover, true).unwrap();
    assert_eq!(lib.art(track), Some(cover));
    assert_eq!(lib.art(double), Some(cover));
    let changed: Vec<ObjectId> =
        lib.take_container_updates().into_iter().map(|(id, _)| id).collect();
    assert!(
        changed.contains(&double) && changed.contains(&Shelf::AllTracks.id()),
        "tracks show new art"
    );
    // Its own picture wins.
    lib.set_thumbnail(track, true).unwrap();
    assert_eq!(lib.art(track), Some(track));
    // folder.jpg ranks after cover.*; removing the cover falls back to nothing here.
    lib.remove_path(0, "Dee/Double/Cover.JPG").unwrap();
    let other = lib.lookup_path(0, "Dee/Double/1-2.ogg").unwrap();
    assert_eq!(lib.art(other), None);
    let folder_jpg = lib.insert_file(0, "Dee/Double/folder.jpg", info(9)).unwrap().unwrap();
    lib.set_thumbnail(folder_jpg, true).unwrap();
    assert_eq!(lib.art(other), Some(folder_jpg));
    assert_eq!(cover_rank("cover.jpg"), Some(0));
    assert_eq!(cover_rank("AlbumArt_{X}_Large.jpg"), Some(3));
    assert_eq!(cover_rank("covers.jpg"), None);
    assert_eq!(lib.set_thumbnail(double, true), Err(Error::NotAnItem));
}

/// The model: for every item, the containers its tags put it in. Checked against the library
/// after random inserts, retags and removals.
#[test]
fn random_operations_keep_listings_consistent() {
    let mut lib = Library::new();
    lib.add_root(0, "M").unwrap();
    let mut s = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: u64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s % n
    };
    let artists = ["A", "B", "C"];
    let albums = ["X", "Y"];
    let genres = ["G", "H"];
    for step in 0..2000u64 {
        let path = format!("d{}/f{}.ogg", next(4), next(6));
        match next(4) {
            0 => {
                lib.remove_path(0, &path).unwrap();
            }
            1 if next(2) == 0 => {
                lib.remove_path(0, path.split('/').next().unwrap()).unwrap();
            }
            _ => {
                let t = T {
                    artist: (next(4) > 0).then(|| artists[next(3) as usize]),
                    album_artist: (next(3) == 0).then(|| artists[next(3) as usize]),
                    album: (next(4) > 0).then(|| albums[next(2) as usize]),
                    genre: (next(3) > 0).then(|| genres[next(2) as usize]),
                    compilation: next(5) == 0,
                    track: Some(next(5) as u32),
                    ..T::default()
                };
                if next(2) == 0 {
                    lib.insert_file_with(0, &path, info(step), t.details()).unwrap();
                } else {
                    let id = lib.insert_file(0, &path, info(step % 3)).unwrap().unwrap();
                    lib.set_details(id, t.details()).unwrap();
                }
            }
        }
        if step % 50 != 49 {
            continue;
        }
        crate::library::tree::tests::assert_links(&lib, &format!("step {step}"));
        // Expected membership from the items alone: first the artists of each folder's album
        // among tracks without an album artist or compilation flag, then each item's listing.
        fn grouped(obj: ObjectRef<'_>) -> Option<((ObjectId, &str), &str)> {
            let item = obj.as_item()?;
            let free = obj.tag(Tag::AlbumArtist).is_none() && !item.compilation();
            free.then(|| Some(((obj.parent(), obj.tag(Tag::Album)?), obj.tag(Tag::Artist)?)))?
        }
        let mut groups: BTreeMap<_, BTreeSet<&str>> = BTreeMap::new();
        for obj in lib.objects.values() {
            if let Some((key, artist)) = grouped(obj) {
                groups.entry(key).or_default().insert(artist);
            }
        }
        let mut expected: BTreeMap<ObjectId, Vec<ObjectId>> = BTreeMap::new();
        let mut all = Vec::new();
        for (id, obj) in lib.iter() {
            if obj.as_item().is_none() {
                continue;
            }
            all.push(id);
            let various = grouped(obj).is_some_and(|(key, _)| groups[&key].len() > 1);
            for slot in listing(obj, various).unwrap_or_default() {
                let c = lib
                    .slot_id(&slot)
                    .map(|f| f.id)
                    .unwrap_or_else(|| panic!("{slot:?} missing at {step}"));
                expected.entry(c).or_default().push(id);
            }
        }
        all.sort();
        expected.values_mut().for_each(|kids| kids.sort());
        for (id, obj) in lib.iter() {
            let Some(c) = obj.as_container() else { continue };
            let mut kids = obj.children().unwrap().to_vec();
            kids.sort();
            match c.kind() {
                Kind::Album { .. } | Kind::Genre => {
                    assert_eq!(Some(&kids), expected.get(&id), "{} at {step}", obj.name());
                    if let Kind::Album { date } = c.kind() {
                        assert!(date.is_none());
                    }
                }
                Kind::Shelf(Shelf::AllTracks) => assert_eq!(kids, all, "at {step}"),
                Kind::Artist => {
                    assert!(!kids.is_empty(), "empty artist at {step}");
                    for album in &kids {
                        assert_eq!(lib.get(*album).unwrap().parent(), id);
                    }
                }
                Kind::Shelf(Shelf::Albums) => {
                    let albums = lib
                        .objects
                        .values()
                        .filter(|o| {
                            matches!(o.as_container().map(|c| c.kind()), Some(Kind::Album { .. }))
                        })
                        .count();
                    assert_eq!(kids.len(), albums);
                }
                _ => {}
            }
        }
        let names: usize = lib.objects.names.len();
        assert!(names <= artists.len() + albums.len() + genres.len(), "names leak at {step}");
    }
}
