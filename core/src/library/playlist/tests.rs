use super::*;
use crate::library::{Details, FileInfo, SortSpec, Tags};
use alloc::vec;

const ROOTS: [(u16, &str); 2] = [(0, "/srv/music"), (1, "/home/me/More Music")];

fn info() -> FileInfo {
    FileInfo { size: 1, mtime: 1_700_000_000 }
}

/// Two served folders with a few tracks, one name with a space, one with an accent.
fn library() -> Library {
    let mut lib = Library::new();
    lib.add_root(0, "music").unwrap();
    lib.add_root(1, "More Music").unwrap();
    for rel in [
        "Rock/Band/a.flac",
        "Rock/Band/b.ogg",
        "Jazz/My Song.flac",
        "Jazz/Caf\u{e9}.mp3",
        "top.flac",
    ] {
        lib.insert_file(0, rel, info()).unwrap().unwrap();
    }
    lib.insert_file(1, "Extra/x.flac", info()).unwrap().unwrap();
    lib
}

fn id(lib: &Library, root: u16, rel: &str) -> ObjectId {
    lib.lookup_path(root, rel).unwrap()
}

fn resolve(lib: &Library, dir: &str, location: &str) -> Option<ObjectId> {
    lib.resolve_entry(&ROOTS, Place { root: 0, dir }, location)
}

#[test]
fn formats_by_extension() {
    assert_eq!(Format::from_file_name("a.m3u"), Some(Format::M3u));
    assert_eq!(Format::from_file_name("a.M3U8"), Some(Format::M3u8));
    assert_eq!(Format::from_file_name("a.b.Pls"), Some(Format::Pls));
    assert_eq!(Format::from_file_name("m3u"), None);
    assert_eq!(Format::from_file_name("a.flac"), None);
}

#[test]
fn relative_entries_resolve_from_the_playlists_folder() {
    let lib = library();
    let a = id(&lib, 0, "Rock/Band/a.flac");
    assert_eq!(resolve(&lib, "Rock/Band", "a.flac"), Some(a));
    assert_eq!(resolve(&lib, "Rock", "Band/a.flac"), Some(a));
    assert_eq!(resolve(&lib, "Jazz", "../Rock/Band/a.flac"), Some(a));
    assert_eq!(resolve(&lib, "Jazz", r"..\Rock\Band\a.flac"), Some(a));
    assert_eq!(resolve(&lib, "", "./Rock/./Band/a.flac"), Some(a));
    // Above the served folder: nothing.
    assert_eq!(resolve(&lib, "", "../music/Rock/Band/a.flac"), None);
    // A folder is not an item.
    assert_eq!(resolve(&lib, "", "Rock/Band"), None);
    assert_eq!(resolve(&lib, "", "Rock/Band/missing.flac"), None);
}

#[test]
fn absolute_paths_and_file_urls_resolve_inside_served_folders() {
    let lib = library();
    let a = id(&lib, 0, "Rock/Band/a.flac");
    let x = id(&lib, 1, "Extra/x.flac");
    assert_eq!(resolve(&lib, "Jazz", "/srv/music/Rock/Band/a.flac"), Some(a));
    assert_eq!(resolve(&lib, "Jazz", "/home/me/More Music/Extra/x.flac"), Some(x));
    assert_eq!(resolve(&lib, "Jazz", "file:///home/me/More%20Music/Extra/x.flac"), Some(x));
    assert_eq!(resolve(&lib, "Jazz", "file://localhost/srv/music/Rock/Band/a.flac"), Some(a));
    assert_eq!(resolve(&lib, "", "http://host/Rock/Band/a.flac"), None);
}

#[test]
fn percent_encoded_paths_resolve() {
    let lib = library();
    let song = id(&lib, 0, "Jazz/My Song.flac");
    let cafe = id(&lib, 0, "Jazz/Caf\u{e9}.mp3");
    assert_eq!(resolve(&lib, "", "Jazz/My%20Song.flac"), Some(song));
    assert_eq!(resolve(&lib, "", "Jazz/Caf%C3%A9.mp3"), Some(cafe));
    assert_eq!(resolve(&lib, "", "/srv/music/Jazz/My%20Song.flac"), Some(song));
}

#[test]
fn case_is_ignored_when_the_exact_path_is_missing() {
    let mut lib = library();
    let a = id(&lib, 0, "Rock/Band/a.flac");
    assert_eq!(resolve(&lib, "", "ROCK/band/A.FLAC"), Some(a));
    assert_eq!(resolve(&lib, "", "jazz/CAF\u{c9}.MP3"), Some(id(&lib, 0, "Jazz/Caf\u{e9}.mp3")));
    // The exact name wins over one that differs only in case.
    let upper = lib.insert_file(0, "Rock/Band/A.flac", info()).unwrap().unwrap();
    assert_eq!(resolve(&lib, "", "Rock/Band/A.flac"), Some(upper));
    assert_eq!(resolve(&lib, "", "Rock/Band/a.flac"), Some(a));
}

#[test]
fn windows_and_foreign_paths_match_by_their_tail() {
    let lib = library();
    let a = id(&lib, 0, "Rock/Band/a.flac");
    let x = id(&lib, 1, "Extra/x.flac");
    assert_eq!(resolve(&lib, "", r"C:\Users\me\Music\Rock\Band\a.flac"), Some(a));
    assert_eq!(resolve(&lib, "", r"\\nas\share\Rock\Band\a.flac"), Some(a));
    assert_eq!(resolve(&lib, "", "/mnt/old/disk/Rock/Band/a.flac"), Some(a));
    assert_eq!(resolve(&lib, "", r"D:\stuff\extra\X.FLAC"), Some(x));
    assert_eq!(resolve(&lib, "", r"C:\top.flac"), Some(id(&lib, 0, "top.flac")));
    assert_eq!(resolve(&lib, "", r"C:\Users\me\nothing.flac"), None);
}

#[test]
fn a_playlist_holds_its_items_in_order_in_its_folder_and_under_playlists() {
    let mut lib = library();
    let a = id(&lib, 0, "Rock/Band/a.flac");
    let b = id(&lib, 0, "Rock/Band/b.ogg");
    let folder = id(&lib, 0, "Rock");
    let pl = lib.set_playlist(0, "Rock/mix.m3u", &[b, a, b, ObjectId(12345)]).unwrap().unwrap();
    let obj = lib.get(pl).unwrap();
    assert_eq!(obj.title(), "mix");
    assert_eq!(obj.parent(), folder);
    assert_eq!(crate::library::class_of(obj), "object.container.playlistContainer");
    assert_eq!(lib.children(pl, &SortSpec::default()).unwrap().to_vec(), [b, a, b]);
    assert!(lib.children(folder, &SortSpec::default()).unwrap().contains(pl));
    assert_eq!(lib.children(Shelf::Playlists.id(), &SortSpec::default()).unwrap().to_vec(), [pl]);
    assert_eq!(lib.lookup_path(0, "Rock/mix.m3u"), Some(pl));
    assert_eq!(lib.file_ref(pl).unwrap().to_string(), "Rock/mix.m3u");
    // Not a playlist name, or hidden: nothing.
    assert_eq!(lib.set_playlist(0, "Rock/mix.txt", &[a]).unwrap(), None);
    assert_eq!(lib.set_playlist(0, ".hidden/mix.m3u", &[a]).unwrap(), None);
    // The same path on another library gets the same id: ids hash paths.
    let mut other = library();
    assert_eq!(other.set_playlist(0, "Rock/mix.m3u", &[]).unwrap(), Some(pl));
}

#[test]
fn changes_are_counted_only_when_something_changed() {
    let mut lib = library();
    let a = id(&lib, 0, "Rock/Band/a.flac");
    let b = id(&lib, 0, "Rock/Band/b.ogg");
    let pl = lib.set_playlist(0, "mix.pls", &[a]).unwrap().unwrap();
    let _ = lib.take_container_updates();
    let system = lib.system_update_id();
    assert_eq!(lib.set_playlist(0, "mix.pls", &[a]).unwrap(), Some(pl));
    assert_eq!(lib.system_update_id(), system);
    assert!(lib.take_container_updates().is_empty());
    lib.set_playlist(0, "mix.pls", &[a, b]).unwrap();
    assert_ne!(lib.system_update_id(), system);
    let updates = lib.take_container_updates();
    assert!(updates.iter().any(|(id, _)| *id == pl), "{updates:?}");
}

#[test]
fn a_track_whose_tags_change_changes_the_playlists_holding_it() {
    let mut lib = library();
    let a = id(&lib, 0, "Rock/Band/a.flac");
    let b = id(&lib, 0, "Rock/Band/b.ogg");
    let with_a = lib.set_playlist(0, "with-a.m3u", &[b, a]).unwrap().unwrap();
    let without = lib.set_playlist(0, "without.m3u", &[b]).unwrap().unwrap();
    let _ = lib.take_container_updates();
    let retagged =
        |title: &str| Details::tagged(Tags { title: Some(title.into()), ..Tags::default() });
    // Retagged in place (same file, new details), then rewritten (a new size).
    lib.set_details(a, retagged("New")).unwrap();
    let updates: Vec<ObjectId> = lib.take_container_updates().iter().map(|u| u.0).collect();
    assert!(updates.contains(&with_a) && !updates.contains(&without), "{updates:?}");
    let bigger = FileInfo { size: 2, ..info() };
    assert_eq!(lib.insert_file_with(0, "Rock/Band/a.flac", bigger, retagged("Newer")), Ok(Some(a)));
    let updates: Vec<ObjectId> = lib.take_container_updates().iter().map(|u| u.0).collect();
    assert!(updates.contains(&with_a) && !updates.contains(&without), "{updates:?}");
    assert_eq!(lib.children(with_a, &SortSpec::default()).unwrap().to_vec(), [b, a]);
    assert_eq!(lib.get(a).unwrap().title(), "Newer");
}

#[test]
fn removed_tracks_leave_their_playlists_and_removed_playlists_leave_the_shelf() {
    let mut lib = library();
    let a = id(&lib, 0, "Rock/Band/a.flac");
    let b = id(&lib, 0, "Rock/Band/b.ogg");
    let top = id(&lib, 0, "top.flac");
    let pl = lib.set_playlist(0, "Jazz/mix.m3u8", &[a, top, b, a]).unwrap().unwrap();
    let _ = lib.take_container_updates();
    lib.remove_path(0, "Rock/Band/a.flac").unwrap();
    assert_eq!(lib.children(pl, &SortSpec::default()).unwrap().to_vec(), [top, b]);
    assert!(lib.take_container_updates().iter().any(|(id, _)| *id == pl));
    // A whole folder with tracks in the playlist.
    lib.remove_path(0, "Rock").unwrap();
    assert_eq!(lib.children(pl, &SortSpec::default()).unwrap().to_vec(), [top]);
    // New files take the removed objects' slots: the playlist does not show them.
    for n in 0..8 {
        lib.insert_file(0, &format!("New/{n}.ogg"), info()).unwrap().unwrap();
    }
    assert_eq!(lib.children(pl, &SortSpec::default()).unwrap().to_vec(), [top]);
    crate::library::tree::tests::assert_links(&lib, "after reusing slots");
    // Removing the playlist keeps its tracks.
    assert_eq!(lib.remove_path(0, "Jazz/mix.m3u8").unwrap(), 1);
    assert!(lib.get(top).is_some());
    assert!(lib.get(pl).is_none());
    assert!(lib.children(Shelf::Playlists.id(), &SortSpec::default()).unwrap().is_empty());
    // A folder holding a playlist takes it off the shelf too.
    lib.set_playlist(0, "Jazz/again.m3u", &[top]).unwrap().unwrap();
    lib.remove_path(0, "Jazz").unwrap();
    assert!(lib.children(Shelf::Playlists.id(), &SortSpec::default()).unwrap().is_empty());
    assert!(lib.get(top).is_some());
}

#[test]
fn a_playlist_replaces_a_file_at_its_path_and_back() {
    let mut lib = library();
    let a = id(&lib, 0, "Rock/Band/a.flac");
    let pl = lib.set_playlist(0, "Rock/odd.m3u", &[a]).unwrap().unwrap();
    // A folder named like a playlist replaces it.
    lib.insert_folder(0, "Rock/odd.m3u").unwrap();
    assert!(!lib.is_playlist(lib.lookup_path(0, "Rock/odd.m3u").unwrap()));
    assert!(lib.children(Shelf::Playlists.id(), &SortSpec::default()).unwrap().is_empty());
    let again = lib.set_playlist(0, "Rock/odd.m3u", &[a]).unwrap().unwrap();
    assert!(lib.is_playlist(again));
    assert_eq!(
        vec![again],
        lib.children(Shelf::Playlists.id(), &SortSpec::default()).unwrap().to_vec()
    );
    let _ = pl;
}
