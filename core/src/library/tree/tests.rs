use super::*;
use crate::library::{SortField, Tags};

/// Asserts that every list of `lib` names live objects that belong in it, that every object's
/// parent lists it once, and that every item is in each container of its listing: what a
/// removed object's slot, reused while a list still named it, would break (`at` says where).
pub(crate) fn assert_links(lib: &Library, at: &str) {
    let objects = &lib.objects;
    // The shelves stay in their first slots, where `Library::shelf` finds them.
    for shelf in Shelf::ALL {
        let found = Library::shelf(shelf);
        assert_eq!(lib.objects.slot_of(&shelf.id()), Some(found.slot), "{at}: {shelf:?}");
    }
    for (slot, obj) in objects.slots() {
        let id = obj.id();
        assert_eq!(objects.slot_of(&id), Some(slot), "{at}: the index of {id:?}");
        let parent =
            objects.at(obj.parent).unwrap_or_else(|| panic!("{at}: {id:?} lost its parent"));
        if id != ObjectId::ROOT {
            let siblings = parent.children().unwrap_or_else(|| panic!("{at}: {id:?} in an item"));
            let listed = siblings.slots().iter().filter(|&&s| s == slot).count();
            assert_eq!(listed, 1, "{at}: {id:?} listed {listed} times by its parent");
        }
        let listing = lib.item_listing(id).unwrap_or_default();
        for container in listing.iter().map(|s| Some(lib.slot_id(s)?.id)) {
            let container = container.unwrap_or_else(|| panic!("{at}: {id:?} unlisted"));
            let list = lib.get(container).and_then(ObjectRef::children).unwrap();
            assert!(list.slots().contains(&slot), "{at}: {id:?} missing from {container:?}");
        }
        let Some(c) = obj.as_container() else { continue };
        for &s in &c.children {
            let child = objects.at(s).unwrap_or_else(|| panic!("{at}: {id:?} lists a free slot"));
            let kind = child.as_container().map(Container::kind);
            let belongs = child.parent == slot
                || (c.kind == Kind::Playlist && child.as_item().is_some())
                || (id == Shelf::Albums.id() && matches!(kind, Some(Kind::Album { .. })))
                || (id == Shelf::Playlists.id() && kind == Some(&Kind::Playlist))
                || lib
                    .item_listing(child.id())
                    .is_some_and(|l| l.iter().any(|s| lib.slot_id(s).map(|f| f.id) == Some(id)));
            assert!(belongs, "{at}: {id:?} lists {:?}, which is not its own", child.id());
        }
    }
}

/// The shelves every library starts with.
const FIXED: usize = Shelf::ALL.len();
/// "Unknown Artist" and its "Unknown Album", which hold untagged tracks.
const UNKNOWN: usize = 2;

fn info(size: u64) -> FileInfo {
    FileInfo { size, mtime: 1_700_000_000 }
}

/// A deterministic shuffle (xorshift), so tests see many insertion orders.
fn shuffled<T>(mut v: Vec<T>, seed: u64) -> Vec<T> {
    let mut s = seed | 1;
    for i in (1..v.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v.swap(i, (s % (i as u64 + 1)) as usize);
    }
    v
}

fn paths() -> Vec<String> {
    let mut v = Vec::new();
    for a in 0..5 {
        for t in 0..20 {
            v.push(format!("Artist {a}/Album/{t:02} Track.ogg"));
        }
        v.push(format!("Artist {a}/cover.jpg"));
    }
    v.push("loose.mp3".into());
    v
}

fn build(order_seed: u64) -> Library {
    let mut lib = Library::new();
    lib.add_root(0, "Music").unwrap();
    for p in shuffled(paths(), order_seed) {
        lib.insert_file(0, &p, info(p.len() as u64)).unwrap().unwrap();
    }
    lib
}

#[test]
fn ids_are_stable_and_independent_of_order() {
    let a = build(1);
    let b = build(99);
    assert_eq!(a.len(), b.len());
    // 5 artists x (folder + Album folder + 20 tracks + cover) + loose + served folder.
    assert_eq!(a.len(), 5 * 23 + 2 + FIXED + UNKNOWN);
    for p in paths() {
        let id = a.lookup_path(0, &p).unwrap();
        assert_eq!(b.lookup_path(0, &p), Some(id));
        assert_eq!(a.file_ref(id).unwrap().to_string(), p);
        assert_eq!(a.file_ref(id).unwrap().root, 0);
        let mut state = PathHash::new(0);
        for (i, c) in p.split('/').enumerate() {
            state = state.push(i == 0, c);
        }
        assert_eq!(id, state.candidate(0), "no collisions expected in a small tree");
    }
    // Every id is computed from its object's place: none is kept beside it.
    assert_eq!(a.objects.kept(), 0);
    for (id, obj) in a.iter() {
        assert_eq!(b.get(id).map(|o| (o.name(), o.parent())), Some((obj.name(), obj.parent())));
    }
}

#[test]
fn skips_hidden_and_non_media_and_rejects_bad_paths() {
    let mut lib = Library::new();
    assert_eq!(lib.insert_file(0, "a.ogg", info(1)), Err(Error::UnknownRoot));
    lib.add_root(0, "Music").unwrap();
    assert_eq!(lib.insert_file(0, ".hidden.ogg", info(1)), Ok(None));
    assert_eq!(lib.insert_file(0, ".git/a.ogg", info(1)), Ok(None));
    assert_eq!(lib.insert_file(0, "notes.txt", info(1)), Ok(None));
    assert_eq!(lib.insert_folder(0, "x/.cache"), Ok(None));
    assert_eq!(lib.len(), FIXED + 1, "nothing but the shelves and the served folder");
    for bad in ["/a.ogg", "a//b.ogg", "a/../b.ogg", "./b.ogg", "a.ogg/", ""] {
        assert_eq!(lib.insert_file(0, bad, info(1)), Err(Error::BadPath), "{bad:?}");
    }
    let deep = "d/".repeat(MAX_PATH_DEPTH) + "x.ogg";
    assert_eq!(lib.insert_file(0, &deep, info(1)), Err(Error::PathTooDeep));
    assert_eq!(lib.len(), FIXED + 1);
}

#[test]
fn update_ids_track_changes() {
    let mut lib = Library::new();
    let music = lib.add_root(0, "Music").unwrap();
    let s0 = lib.system_update_id();
    let id = lib.insert_file(0, "Album/a.ogg", info(10)).unwrap().unwrap();
    let album = lib.lookup_path(0, "Album").unwrap();
    assert_eq!(lib.get(id).unwrap().parent(), album);
    assert_eq!(lib.get(album).unwrap().parent(), music);
    assert!(lib.system_update_id() > s0);
    let album_uid = lib.get(album).unwrap().as_container().unwrap().update_id();

    // Same file again: no change at all.
    let s1 = lib.system_update_id();
    assert_eq!(lib.insert_file(0, "Album/a.ogg", info(10)).unwrap(), Some(id));
    assert_eq!(lib.system_update_id(), s1);

    // Modified file: same id, details cleared, update ids bumped.
    let details = Details { duration_ms: Some(1000), ..Details::default() };
    lib.set_details(id, details).unwrap();
    assert_eq!(lib.insert_file(0, "Album/a.ogg", info(11)).unwrap(), Some(id));
    let item = lib.get(id).unwrap().as_item().unwrap();
    assert_eq!((item.file().size, item.duration_ms()), (11, None));
    assert!(lib.get(album).unwrap().as_container().unwrap().update_id() > album_uid);
    assert!(lib.system_update_id() > s1);
    assert_eq!(lib.set_details(album, Details::default()), Err(Error::NotAnItem));

    // Every touched container is reported once, with its current update id.
    let updates = lib.take_container_updates();
    let album_now = lib.get(album).unwrap().as_container().unwrap().update_id();
    assert!(updates.contains(&(album, album_now)));
    assert!(updates.iter().any(|&(id, _)| id == music));
    assert_eq!(lib.take_container_updates(), []);

    // Removing the folder takes its contents.
    lib.insert_file(0, "Album/b.ogg", info(1)).unwrap();
    let s2 = lib.system_update_id();
    assert_eq!(lib.remove_path(0, "Album"), Ok(3));
    assert_eq!(lib.get(id), None);
    assert_eq!(lib.lookup_path(0, "Album/a.ogg"), None);
    assert!(lib.system_update_id() > s2);
    assert_eq!(lib.remove_path(0, "Album"), Ok(0));
    assert!(lib.get(music).unwrap().children().unwrap().is_empty());
    let changed: Vec<ObjectId> =
        lib.take_container_updates().into_iter().map(|(id, _)| id).collect();
    // The folder, and All Tracks, Artists and Albums lost the tracks and Unknown Artist; the
    // removed folder and Unknown Artist are left out.
    let expected = [Shelf::AllTracks, Shelf::Artists, Shelf::Albums].map(Shelf::id);
    assert_eq!(changed, [&expected[..], &[music]].concat(), "removed containers left out");
}

#[test]
fn containers_changed_over_and_over_are_kept_once() {
    let mut lib = Library::new();
    let shelves = [Shelf::Genres, Shelf::AllTracks, Shelf::Artists].map(Shelf::id);
    for round in 0..10_000u32 {
        for &id in &shelves {
            lib.touch_child(id);
        }
        assert!(lib.changed.capacity() < 4 * 3 + 4, "round {round}: {}", lib.changed.capacity());
    }
    let mut expected: Vec<(ObjectId, u32)> = shelves
        .iter()
        .map(|&id| (id, lib.get(id).unwrap().as_container().unwrap().update_id()))
        .collect();
    expected.sort();
    assert!(expected.iter().all(|&(_, uid)| uid == 10_000));
    assert_eq!(lib.take_container_updates(), expected);
    assert_eq!(lib.take_container_updates(), []);
}

#[test]
fn a_file_replaces_a_folder_and_back() {
    let mut lib = Library::new();
    lib.add_root(0, "M").unwrap();
    let folder = lib.insert_folder(0, "x.ogg").unwrap().unwrap();
    lib.insert_file(0, "x.ogg/inner.mp3", info(1)).unwrap();
    let file = lib.insert_file(0, "x.ogg", info(2)).unwrap().unwrap();
    assert_eq!(folder, file, "same path, same id");
    assert!(lib.get(file).unwrap().as_item().is_some());
    assert_eq!(lib.lookup_path(0, "x.ogg/inner.mp3"), None);
    assert_eq!(lib.len(), FIXED + 2 + UNKNOWN);
    lib.insert_file(0, "x.ogg/inner.mp3", info(1)).unwrap();
    assert!(lib.get(file).unwrap().as_container().is_some());
    assert_eq!(lib.len(), FIXED + 3 + UNKNOWN);
}

#[test]
fn collisions_probe_deterministically() {
    let mut lib = Library::new();
    lib.add_root(0, "M").unwrap();
    let plain = PathHash::new(0).push(true, "a.ogg");
    // Occupy the plain id with a foreign object, as a colliding path would.
    let root = lib.objects.slot_of(&ObjectId::ROOT);
    lib.objects.insert(plain.candidate(0), root, "zz", new_container(FOLDER)).unwrap();
    let id = lib.insert_file(0, "a.ogg", info(1)).unwrap().unwrap();
    assert_eq!(id, plain.candidate(1));
    assert_eq!(lib.lookup_path(0, "a.ogg"), Some(id));
    assert_eq!(lib.file_ref(id).unwrap().to_string(), "a.ogg");
    for p in 1..MAX_PROBES {
        lib.objects
            .insert(
                PathHash::new(0).push(true, "b.ogg").candidate(p - 1),
                root,
                "zz",
                new_container(FOLDER),
            )
            .unwrap();
    }
    let last = PathHash::new(0).push(true, "b.ogg").candidate(MAX_PROBES - 1);
    assert_eq!(lib.insert_file(0, "b.ogg", info(1)), Ok(Some(last)));
    lib.objects
        .insert(
            PathHash::new(0).push(true, "c.ogg").candidate(0),
            root,
            "zz",
            new_container(FOLDER),
        )
        .unwrap();
    for p in 1..MAX_PROBES {
        lib.objects
            .insert(
                PathHash::new(0).push(true, "c.ogg").candidate(p),
                root,
                "zz",
                new_container(FOLDER),
            )
            .unwrap();
    }
    assert_eq!(lib.insert_file(0, "c.ogg", info(1)), Err(Error::IdCollision));
}

#[test]
fn probed_ids_are_kept_until_their_objects_go() {
    let mut lib = Library::new();
    lib.add_root(0, "M").unwrap();
    let plain = PathHash::new(0).push(true, "d").push(false, "a.ogg");
    // A foreign object at the file's plain id, as a colliding path would hold it.
    let root = lib.objects.slot_of(&ObjectId::ROOT);
    lib.objects.insert(plain.candidate(0), root, "zz", new_container(FOLDER)).unwrap();
    assert_eq!(lib.objects.kept(), 1);
    let id = lib.insert_file(0, "d/a.ogg", info(1)).unwrap().unwrap();
    assert_eq!(id, plain.candidate(1));
    assert_eq!(lib.objects.kept(), 2, "the probed id is kept beside its object");
    assert_eq!(lib.get(id).map(ObjectRef::id), Some(id));
    let tracks = lib.children(Shelf::AllTracks.id(), &SortSpec::default()).unwrap().to_vec();
    assert_eq!(tracks, [id]);
    assert_eq!(lib.remove_path(0, "d"), Ok(2));
    assert_eq!(lib.objects.kept(), 1);
    assert!(lib.get(id).is_none());
    // Its slot, reused by a file at its plain id, does not keep the old id.
    let b = lib.insert_file(0, "b.ogg", info(1)).unwrap().unwrap();
    assert_eq!(b, PathHash::new(0).push(true, "b.ogg").candidate(0));
    assert_eq!(lib.objects.kept(), 1);
    assert!(lib.get(id).is_none());
    assert_eq!(lib.get(b).map(ObjectRef::id), Some(b));
}

#[test]
fn default_and_criteria_orders() {
    let mut lib = build(7);
    let album = lib.lookup_path(0, "Artist 3/Album").unwrap();
    let default = lib.children(album, &SortSpec::default()).unwrap().to_vec();
    let titles: Vec<&str> = default.iter().map(|&id| lib.get(id).unwrap().title()).collect();
    let mut expected = titles.clone();
    expected.sort();
    assert_eq!(titles, expected);
    assert_eq!(titles[0], "00 Track");

    // Tag tracks in reverse so track order is the reverse of title order.
    for (i, &id) in default.iter().enumerate() {
        let tags = Tags {
            track: Some(20 - i as u32),
            title: Some(format!("t{i}").into()),
            ..Tags::default()
        };
        lib.set_details(id, Details { tags: Some(Box::new(tags)), ..Details::default() }).unwrap();
    }
    let by_track = SortSpec::parse("+upnp:originalTrackNumber").unwrap();
    let ids = lib.children(album, &by_track).unwrap().to_vec();
    let tracks: Vec<u32> = ids
        .iter()
        .map(|&id| u32::from(lib.get(id).unwrap().as_item().unwrap().track().unwrap()))
        .collect();
    assert_eq!(tracks, (1..=20).collect::<Vec<_>>());
    let desc = lib.children(album, &SortSpec::parse("-upnp:originalTrackNumber").unwrap()).unwrap();
    assert_eq!(desc.ids().next().as_ref(), ids.last());

    // Retitling moved each track to its place: the default order is borrowed, already right.
    let default = lib.children(album, &SortSpec::default()).unwrap();
    assert!(default.is_borrowed());
    assert_eq!(default.get(0).unwrap().title(), "t0");

    // Containers come first in the default order.
    let artist = lib.lookup_path(0, "Artist 0").unwrap();
    let kids = lib.children(artist, &SortSpec::default()).unwrap().to_vec();
    assert!(lib.get(kids[0]).unwrap().as_container().is_some());
    assert_eq!(lib.children(kids[1], &SortSpec::default()).err(), Some(Error::NotAContainer));
}

#[test]
fn sort_criteria_parse() {
    let spec = SortSpec::parse(" +dc:title , -dc:date,upnp:album ").unwrap();
    let fields: Vec<(SortField, bool)> =
        spec.keys().iter().map(|k| (k.field, k.descending)).collect();
    assert_eq!(
        fields,
        [(SortField::Title, false), (SortField::Date, true), (SortField::Album, false)]
    );
    assert!(SortSpec::parse("").unwrap().is_default());
    assert_eq!(SortSpec::parse("+dc:bogus"), Err(Error::BadSortCriteria));
    assert_eq!(SortSpec::parse("+res@size"), Err(Error::BadSortCriteria));
    assert_eq!(SortSpec::parse(&"+dc:title,".repeat(9)), Err(Error::BadSortCriteria));
}

#[test]
fn hundred_thousand_items_in_shuffled_order() {
    let mut lib = Library::new();
    lib.add_root(0, "Big").unwrap();
    let names: Vec<String> =
        (0..100_000)
            .map(|i| {
                if i < 50_000 {
                    format!("flat/{i:06}.ogg")
                } else {
                    format!("d{}/{i}.mp3", i % 300)
                }
            })
            .collect();
    for p in shuffled(names, 42) {
        lib.insert_file(0, &p, info(1)).unwrap().unwrap();
    }
    assert_eq!(lib.len(), 100_000 + 300 + 1 + 1 + FIXED + UNKNOWN);
    let flat = lib.lookup_path(0, "flat").unwrap();
    let kids = lib.children(flat, &SortSpec::default()).unwrap().to_vec();
    assert_eq!(kids.len(), 50_000);
    assert_eq!(lib.get(kids[0]).unwrap().name(), "000000.ogg");
    assert_eq!(lib.get(kids[49_999]).unwrap().name(), "049999.ogg");
    lib.tidy();
    assert!(lib.children(flat, &SortSpec::default()).unwrap().is_borrowed());
    assert_eq!(lib.remove_path(0, "flat"), Ok(50_001));
    assert_eq!(lib.len(), 50_000 + 300 + 1 + FIXED + UNKNOWN);
}

#[test]
fn limit_and_memory_per_object() {
    // The served folder, a.ogg, its artist and album, b.ogg.
    let mut lib = Library::with_limit(FIXED + 5);
    lib.add_root(0, "M").unwrap();
    lib.insert_file(0, "a.ogg", info(1)).unwrap();
    lib.insert_file(0, "b.ogg", info(1)).unwrap();
    assert_eq!(lib.insert_file(0, "c.ogg", info(1)), Err(Error::Full));
    assert_eq!(lib.len(), FIXED + 5);
    // The documented per-object size (64-bit hosts): its parent's 4-byte slot, its name a
    // 4-byte offset, an item's record a 4-byte offset (a container's place in the table of
    // containers 4 bytes), no id of its own, and no more for a free slot.
    assert_eq!(core::mem::size_of::<crate::library::Object>(), 16);
    assert_eq!(core::mem::size_of::<Option<crate::library::Object>>(), 16);
}

#[test]
fn served_folders_and_root() {
    let mut lib = Library::new();
    let a = lib.add_root(0, "Music").unwrap();
    let b = lib.add_root(1, "Pictures").unwrap();
    assert_ne!(a, b);
    assert_eq!(lib.add_root(0, "Musik").unwrap(), a);
    assert_eq!(lib.get(a).unwrap().title(), "Musik");
    let folders = lib.children(Shelf::Folders.id(), &SortSpec::default()).unwrap();
    assert_eq!(folders.len(), 2);
    assert_eq!(lib.file_ref(ObjectId::ROOT), None);
    assert_eq!(lib.file_ref(Shelf::Folders.id()), None);
    assert_eq!(lib.file_ref(a).unwrap().to_string(), "");
    let id = lib.insert_file(1, "x/y.png", info(5)).unwrap().unwrap();
    assert_eq!(lib.file_ref(id).unwrap().root, 1);
    assert_eq!(lib.file_ref(id).unwrap().components().collect::<Vec<_>>(), ["x", "y.png"]);
    assert_eq!(lib.lookup_path(0, "x/y.png"), None);
    assert_eq!(lib.remove_path(1, ""), Ok(3));
    assert_eq!(lib.children(Shelf::Folders.id(), &SortSpec::default()).unwrap().len(), 1);
}

#[test]
fn random_operations_match_a_path_set_model() {
    use std::collections::BTreeSet;
    let mut lib = Library::new();
    lib.add_root(0, "M").unwrap();
    let mut files: BTreeSet<String> = BTreeSet::new();
    let mut s = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |n: u64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s % n
    };
    for step in 0..3000 {
        let depth = 1 + next(3);
        let dirs: Vec<String> = (0..depth - 1).map(|_| format!("d{}", next(3))).collect();
        let name = format!("f{}.ogg", next(4));
        let path = dirs.iter().cloned().chain([name]).collect::<Vec<_>>().join("/");
        if next(3) == 0 {
            // Remove a file or a whole folder.
            let target = if next(2) == 0 || dirs.is_empty() { path } else { dirs.join("/") };
            let before: usize = files.len();
            files.retain(|f| *f != target && !f.starts_with(&format!("{target}/")));
            let removed = lib.remove_path(0, &target).unwrap();
            assert!(removed >= before - files.len(), "step {step}");
        } else {
            // A file may replace a folder of the same name; the model drops its contents.
            files.retain(|f| !f.starts_with(&format!("{path}/")));
            // Inserting under a path whose prefix is a file replaces that file with a folder.
            let prefixes: Vec<String> = (1..=dirs.len()).map(|i| dirs[..i].join("/")).collect();
            files.retain(|f| !prefixes.contains(f));
            lib.insert_file(0, &path, info(step)).unwrap().unwrap();
            files.insert(path);
        }
        if step % 100 == 99 {
            let mut dirs_in_model = BTreeSet::new();
            for f in &files {
                let id = lib.lookup_path(0, f).unwrap_or_else(|| panic!("{f} lost at {step}"));
                assert!(lib.get(id).unwrap().as_item().is_some());
                assert_eq!(lib.file_ref(id).unwrap().to_string(), *f);
                let parts: Vec<&str> = f.split('/').collect();
                for i in 1..parts.len() {
                    dirs_in_model.insert(parts[..i].join("/"));
                }
            }
            // Every object is a model file, a folder on the way to one, or an emptied folder
            // that still exists; no item exists outside the model.
            let items = lib.objects.values().filter(|o| o.as_item().is_some()).count();
            assert_eq!(items, files.len(), "step {step}");
            for d in &dirs_in_model {
                assert!(lib.get(lib.lookup_path(0, d).unwrap()).unwrap().as_container().is_some());
            }
            // Every list names live objects that belong in it; no object is orphaned.
            assert_links(&lib, &format!("step {step}"));
        }
    }
}
