use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;

use super::*;
use crate::library::{Details, FileInfo, Shelf, SortSpec, Tags};

/// A fixed-seed xorshift, so every run replays the same inserts.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Titles, artists and albums with case variants and repeats, so ties happen; dates in random
/// order, so albums move as earlier tracks arrive.
fn details(rng: &mut Rng) -> Details {
    let pick = |rng: &mut Rng, from: &[&'static str]| from[rng.below(from.len())];
    let tags = Tags {
        title: Some(Box::from(pick(rng, &["Intro", "intro", "Alpha", "Zed", "Éclair", "b"]))),
        artist: Some(pick(rng, &["Ann", "Bob", "ann"]).into()),
        // Albums of the same name by several artists (ties in Albums but for the date).
        album_artist: (rng.below(2) == 0).then(|| pick(rng, &["Cy", "Di", "Ed"]).into()),
        album: Some(pick(rng, &["One", "Two", "one", "Hits"]).into()),
        date: (rng.below(4) != 0).then(|| pick(rng, &["1990", "2001", "1985-05"]).into()),
        genre: Some(pick(rng, &["Rock", "Jazz"]).into()),
        track: (rng.below(4) != 0).then(|| rng.below(5) as u32),
        ..Tags::default()
    };
    Details { tags: Some(Box::new(tags)), ..Details::default() }
}

/// Every container's children, in listing order, with its id.
fn lists(lib: &Library) -> Vec<(ObjectId, Vec<ObjectId>)> {
    let mut lists: Vec<_> =
        lib.iter().filter_map(|(id, o)| Some((id, o.children()?.to_vec()))).collect();
    lists.sort();
    lists
}

#[test]
fn a_batch_of_inserts_in_any_order_lists_as_inserting_one_at_a_time() {
    let mut rng = Rng(0x5eed_0b47);
    // Distinct files in a scrambled order, in folders big and small, each with random tags.
    let mut files: Vec<(alloc::string::String, Details)> = (0..1500)
        .map(|n| {
            let dir = ["", "A/", "A/b/", "Z/", "Z/y/x/"][n % 5];
            (format!("{dir}{:04} {}.flac", (n * 7919) % 1500, n % 3), details(&mut rng))
        })
        .collect();
    for i in (1..files.len()).rev() {
        files.swap(i, rng.below(i + 1));
    }
    let insert = |lib: &mut Library| {
        lib.add_root(0, "Music").unwrap();
        for (n, (path, details)) in files.iter().enumerate() {
            if n % 100 == 0 {
                lib.insert_folder(0, "Empty/Folder").unwrap();
            }
            let file = FileInfo { size: n as u64, mtime: 1 };
            lib.insert_file_with(0, path, file, details.clone()).unwrap();
        }
    };
    let mut one_by_one = Library::new();
    insert(&mut one_by_one);
    let mut batched = Library::new();
    batched.batch(|lib| {
        insert(lib);
        assert!(lib.batching());
    });
    assert!(!batched.batching());
    assert_eq!(lists(&batched), lists(&one_by_one));
    assert_eq!(batched.system_update_id(), one_by_one.system_update_id());
    // The same containers changed (how many times each may differ: a folder's tracks are
    // refiled in arrival order rather than in listing order when its compilation guess flips).
    let changed = |lib: &mut Library| -> Vec<ObjectId> {
        lib.take_container_updates().into_iter().map(|(id, _)| id).collect()
    };
    assert_eq!(changed(&mut batched), changed(&mut one_by_one));
    let tracks = batched.children(Shelf::AllTracks.id(), &SortSpec::default()).unwrap();
    assert_eq!(tracks.len(), files.len());
    assert!(tracks.is_borrowed());
    // Some albums were created undated and moved as dated tracks came: both ways agree.
    let albums = batched.children(Shelf::Albums.id(), &SortSpec::default()).unwrap();
    assert!(albums.len() >= 12, "{} albums", albums.len());
}
