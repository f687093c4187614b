//! Heap of the first walk (issue 17, memory during the first scan): the host's walk of a
//! served folder ([`rill::scan::Walk`]) over generated libraries of 5,000 and 20,000 tagged
//! files (`rill_tests::library_gen`, nested `Artist/Album/track` folders) yields every folder
//! and file in the walk's order while its peak heap stays flat: what grows with the library
//! is only the set of folders walked (16 bytes a folder and the hash table's room), not a
//! list of every file, which the collected scan ([`rill::scan::scan`]) still makes and which
//! is printed beside it.

use std::path::{Path, PathBuf};

use rill::scan::{self, Kind, Walk};
use rill_tests::library_gen::{Base, Library, Track, ALBUMS_PER_ARTIST, TRACKS_PER_ALBUM};
use rill_tests::peak_alloc::{mark, peak, PeakAlloc};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Heap bytes the walk's peak may grow by for each file more: its share of the set of
/// folders walked (17 bytes a folder in a hash table at most half empty, held beside its
/// previous half-size table while it grows: at most 51 bytes a folder, one folder to ten
/// files here; 5 bytes a file measured), with room to spare. A list of every file costs more
/// than 200 bytes a file (printed).
const GROWTH_PER_FILE: usize = 10;

/// The walk's peak heap over a generated library of `files` files, having checked that it
/// yielded them all in order, each after its folders.
fn walk_peak(base: &Base, dir: &Path, files: usize) -> usize {
    let root = std::fs::canonicalize(Library::write(base, dir, files).dir).expect("the library");
    let mut expected = (0..files).map(|n| Track::new(n, 0).rel);
    // The last folder yielded, and how many.
    let (mut folder, mut folders) = (PathBuf::new(), 0);
    let before = mark();
    let mut walk = Walk::new(vec![(0, root)]);
    for entry in walk.by_ref() {
        match entry.kind {
            Kind::Dir => (folder, folders) = (entry.path, folders + 1),
            Kind::File { .. } => {
                let want = expected.next().expect("no more files than written");
                assert_eq!(entry.path, Path::new(&want), "files in the walk's order");
                let parent = entry.path.parent().expect("in a folder");
                assert_eq!(parent, folder, "its folder just before");
            }
        }
    }
    let held = peak() - before;
    assert_eq!(expected.next(), None, "every file walked");
    assert_eq!(walk.skipped(), 0);
    let albums = files / TRACKS_PER_ALBUM;
    assert_eq!(folders, albums + albums.div_ceil(ALBUMS_PER_ARTIST), "every folder");
    held
}

#[test]
fn the_walk_peak_heap_does_not_grow_with_the_files() {
    let base = Base::new();
    let (small, large) = (5_000, 20_000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let small_peak = walk_peak(&base, &dir.path().join("small"), small);
    let large_peak = walk_peak(&base, &dir.path().join("large"), large);

    let before = mark();
    let root = std::fs::canonicalize(dir.path().join("large")).expect("the library");
    let listed = scan::scan(&[root]);
    let collected = peak() - before;
    assert_eq!(
        listed.entries.iter().filter(|e| matches!(e.kind, Kind::File { .. })).count(),
        large
    );
    drop(listed);

    let growth = large_peak.saturating_sub(small_peak) / (large - small);
    eprintln!(
        "walk peak heap: {small_peak} bytes at {small} files, {large_peak} at {large} \
         ({growth} bytes a file more); the collected list of {large} files: {collected} bytes \
         ({} a file)",
        collected / large
    );
    assert!(growth <= GROWTH_PER_FILE, "the walk's peak grew {growth} bytes a file");
    assert!(large_peak * 10 < collected, "{large_peak} bytes walked, {collected} collected");
}
