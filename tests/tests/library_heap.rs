//! Heap of the in-memory library per file (issue 17, memory at 100,000 and 1,000,000 files):
//! a library of 20,000 generated tagged FLAC files (`rill_tests::library_gen`, ten tracks an
//! album, nested `Artist/Album/track` folders), each read by the core's own probe as the
//! scanner reads it, inserted and tidied as after a first scan; the live heap it holds,
//! divided by the files, stays within the budget. The figure printed is what BENCHMARKS.md's
//! "Library at scale" reports.

use std::io::Cursor;

use embedded_io_adapters::std::FromStd;

use rill_core::library::{probe, FileInfo, Library};
use rill_tests::library_gen::{Base, Track};
use rill_tests::peak_alloc::{blocks, live, mark, PeakAlloc};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Files in the library.
const FILES: usize = 20_000;

/// Heap bytes a file may cost, its share of folders, albums, artists and genres included:
/// 122 measured with items as records of variable length in the text arena (a title the file
/// name holds kept once), 16-byte objects with no id of their own, containers in a table of
/// their own, child lists of 4-byte slot numbers and a hash table of slots as the id index,
/// and the arena and lists trimmed after the scan (132 with the ids kept in 24-byte objects,
/// 188 with 80-byte objects holding fixed 60-byte items, 234 with 8-byte texts and ids in the
/// lists; BENCHMARKS.md, "Library at scale"), with a tenth for what may come.
const BUDGET: usize = 135;

/// Live heap blocks ten files may cost: 2.4 measured (tags inline: a file's record is in a
/// chunk of slots, its texts in arenas; what is left is mostly the containers' child lists).
const BLOCKS_PER_10_FILES: usize = 3;

#[test]
fn a_tagged_library_costs_at_most_its_budget_per_file() {
    let base = Base::new();
    let before = mark();
    let blocks_before = blocks();
    let mut library = Library::new();
    library.add_root(0, "Music").expect("a served folder");
    for n in 0..FILES {
        let track = Track::new(n, 0);
        let bytes = base.tagged(&track.tags);
        let details = probe::audio(FromStd::new(Cursor::new(&bytes))).expect("the file reads");
        let tags = details.tags.as_deref().expect("tags read");
        assert_eq!(tags.title.as_deref(), Some(track.title.as_str()));
        let file = FileInfo { size: bytes.len() as u64, mtime: 1_700_000_000 + n as u64 };
        let id = library.insert_file_with(0, &track.rel, file, details).expect("inserted");
        assert!(id.is_some(), "{} is media", track.rel);
    }
    library.tidy();
    let held = live() - before;
    let per_file = held / FILES;
    let held_blocks = blocks() - blocks_before;
    eprintln!(
        "{FILES} files, {} objects: {held} heap bytes in {held_blocks} blocks, {per_file} bytes \
         and {:.2} blocks per file ({} bytes per object)",
        library.len(),
        held_blocks as f64 / FILES as f64,
        held / library.len()
    );
    // Every track, album (ten tracks each), artist and folder is there.
    let albums = FILES / 10;
    let artists = albums.div_ceil(10);
    assert!(library.len() >= FILES + 2 * albums + 2 * artists, "{} objects", library.len());
    assert!(per_file <= BUDGET, "{per_file} heap bytes per file, budget {BUDGET}");
    assert!(
        held_blocks * 10 <= FILES * BLOCKS_PER_10_FILES,
        "{held_blocks} heap blocks for {FILES} files"
    );
    drop(library);
    // Everything freed: a leak per file would be 20,000 times itself; a few hundred bytes are
    // what something allocated once on first use may keep (128 here after the merges of
    // stop 14, not yet traced).
    let kept = live().saturating_sub(before);
    assert!(kept < 1024, "{kept} bytes still held after the library was dropped");
}
