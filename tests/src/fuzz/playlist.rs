//! `playlist`: playlist files through the core's reader and resolver.
//!
//! Input: a selector byte (its low bits pick `.m3u`, `.m3u8` or `.pls`, the next bit the folder
//! the playlist sits in), then the file's bytes. They go through [`playlist::parse`]; every
//! entry's location through [`Target::of`] and [`Library::resolve_entry`] against a clone of
//! the fixture library (with a served folder path for absolute entries); then the playlist is
//! filed with [`Library::set_playlist`], and removed again.
//!
//! Checked: at most [`MAX_ENTRIES`] entries, each location non-empty, trimmed and on one line;
//! every target's components non-empty, never `.`, `..` only at the head of a relative path,
//! at most [`MAX_PATH_DEPTH`] of them; every resolved id is an item of the library; the filed
//! playlist holds exactly the resolved items in order, under Playlists; removing it leaves
//! every track in place.

use rill_core::library::playlist::{self, Format, Place, Target, MAX_ENTRIES};
use rill_core::library::{Library, Shelf, SortSpec, MAX_PATH_DEPTH};

use super::fixture;

/// The `playlist` target.
pub fn playlist(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let (format, name) = match selector % 3 {
        0 => (Format::M3u, "list.m3u"),
        1 => (Format::M3u8, "list.m3u8"),
        _ => (Format::Pls, "list.pls"),
    };
    let dir = if selector & 4 == 0 { "" } else { "Artist & Co/Album <1>" };
    let Ok(parsed) = playlist::parse(format, bytes) else {
        assert!(bytes.len() > playlist::MAX_BYTES);
        return;
    };
    assert!(parsed.entries.len() <= MAX_ENTRIES);
    let mut lib: Library = fixture::library().clone();
    let roots = [(0, "/srv/Music")];
    let mut resolved = Vec::new();
    for entry in &parsed.entries {
        let location = &entry.location;
        assert!(!location.is_empty() && location.trim() == location && !location.contains('\n'));
        for target in Target::of(location) {
            assert!(!target.components.is_empty() && target.components.len() <= MAX_PATH_DEPTH);
            for (i, c) in target.components.iter().enumerate() {
                assert!(!c.is_empty() && c != ".", "{location:?}: {c:?}");
                if c == ".." {
                    assert!(!target.absolute, "{location:?}");
                    assert!(target.components[..i].iter().all(|p| p == ".."), "{location:?}");
                }
            }
        }
        if let Some(id) = lib.resolve_entry(&roots, Place { root: 0, dir }, location) {
            assert!(lib.get(id).and_then(|o| o.as_item()).is_some());
            resolved.push(id);
        }
    }
    let rel = if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") };
    let id = lib.set_playlist(0, &rel, &resolved).expect("filing").expect("a playlist name");
    let spec = SortSpec::default();
    assert_eq!(lib.children(id, &spec).expect("a container").to_vec(), resolved);
    assert_eq!(lib.children(Shelf::Playlists.id(), &spec).expect("the shelf").to_vec(), [id]);
    let objects = lib.len();
    assert_eq!(lib.remove_path(0, &rel), Ok(1));
    assert_eq!(lib.len(), objects - 1);
    assert!(resolved.iter().all(|&item| lib.get(item).is_some()));
}
