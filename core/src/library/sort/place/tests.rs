use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::*;
use crate::library::{Details, FileInfo, Shelf, SortSpec, Tags};

/// A fixed-seed xorshift, so every run replays the same operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// Titles with case and accent variants, so ties and folded comparisons happen.
const TITLES: [&str; 9] = ["Alpha", "alpha", "ALPHA", "Beta", "Éclair", "eclair", "Zed", "b", ""];
const ARTISTS: [&str; 4] = ["Ann", "Bob", "ann", "Cy"];
const ALBUMS: [&str; 3] = ["One", "Two", "one"];
const DATES: [&str; 4] = ["1990", "2001", "1985-05", ""];

/// Random tags: any of them may be missing.
fn details(rng: &mut Rng) -> Details {
    let text = |rng: &mut Rng, from: &[&'static str]| {
        let s = rng.pick(from);
        (!s.is_empty() && rng.below(5) != 0).then_some(s)
    };
    let tags = Tags {
        title: text(rng, &TITLES).map(Box::from),
        artist: text(rng, &ARTISTS).map(Into::into),
        album: text(rng, &ALBUMS).map(Into::into),
        date: text(rng, &DATES).map(Into::into),
        genre: text(rng, &ARTISTS).map(Into::into),
        track: (rng.below(4) != 0).then(|| rng.below(5) as u32),
        disc: (rng.below(3) == 0).then(|| rng.below(3) as u32),
        ..Tags::default()
    };
    Details { tags: Some(Box::new(tags)), ..Details::default() }
}

fn path(rng: &mut Rng) -> String {
    let dir = ["", "A/", "A/b/", "Z/"][rng.below(4)];
    let ext = ["ogg", "flac", "mp3"][rng.below(3)];
    format!("{dir}{}{}.{ext}", rng.pick(&["x", "X", "é", "e", "track"]), rng.below(6))
}

/// Every child list equals a full (stable) sort of it by its container's default order, and
/// borrows in Browse.
fn assert_all_sorted(lib: &Library, step: usize) {
    for (id, obj) in lib.iter() {
        let Some(c) = obj.as_container() else { continue };
        let sorted = lib.sorted(&c.children, &order_of(&c.kind));
        assert_eq!(sorted, c.children, "step {step}: container {id} ({:?})", c.kind);
        let browsed = lib.children(id, &SortSpec::default()).unwrap();
        assert!(browsed.is_borrowed());
    }
    crate::library::tree::tests::assert_links(lib, &alloc::format!("step {step}"));
}

#[test]
fn random_inserts_retags_and_removals_keep_every_list_sorted() {
    let mut rng = Rng(0x5eed_0017);
    let mut lib = Library::new();
    lib.add_root(0, "Music").unwrap();
    lib.add_root(1, "Other").unwrap();
    let mut moves = 0;
    for step in 0..3000 {
        let p = path(&mut rng);
        match rng.below(10) {
            0..=3 => {
                let d = details(&mut rng);
                let size = rng.below(3) as u64;
                lib.insert_file_with(0, &p, FileInfo { size, mtime: 1 }, d).unwrap();
            }
            4 => {
                lib.insert_file(0, &p, FileInfo { size: rng.below(3) as u64, mtime: 2 }).unwrap();
            }
            5..=6 => {
                if let Some(id) = lib.lookup_path(0, &p) {
                    let d = details(&mut rng);
                    if lib.set_details(id, d).is_ok() {
                        moves += 1;
                    }
                }
            }
            7 => {
                lib.remove_path(0, &p).unwrap();
            }
            8 => {
                let dir = ["A", "A/b", "Z"][rng.below(3)];
                if rng.below(8) == 0 {
                    lib.remove_path(0, dir).unwrap();
                }
            }
            _ => {
                let name = rng.pick(&["Music", "music", "Zoo", "Another", "Ångström"]);
                lib.add_root(rng.below(2) as u16, name).unwrap();
            }
        }
        assert_all_sorted(&lib, step);
    }
    assert!(moves > 150, "{moves} retags");
    let tracks = lib.get(Shelf::AllTracks.id()).unwrap().as_container().unwrap();
    assert!(tracks.child_count() > 20, "{} tracks", tracks.child_count());
    let albums = lib.get(Shelf::Albums.id()).unwrap().as_container().unwrap();
    assert!(albums.child_count() > 3, "{} albums", albums.child_count());
}

#[test]
fn a_retitled_child_moves_both_ways_and_ties_keep_arrival_order() {
    let mut lib = Library::new();
    lib.add_root(0, "M").unwrap();
    let titled = |t: &str| Details {
        tags: Some(Box::new(Tags { title: Some(t.into()), ..Tags::default() })),
        ..Details::default()
    };
    let file = FileInfo { size: 1, mtime: 1 };
    for (name, title) in [("1.ogg", "b"), ("2.ogg", "d"), ("3.ogg", "f"), ("4.ogg", "h")] {
        lib.insert_file_with(0, name, file, titled(title)).unwrap();
    }
    let folder = lib.lookup_path(0, "").unwrap();
    let titles = |lib: &Library| -> Vec<String> {
        let kids = lib.children(folder, &SortSpec::default()).unwrap();
        kids.iter().map(|k| String::from(k.title())).collect()
    };
    let third = lib.lookup_path(0, "3.ogg").unwrap();
    lib.set_details(third, titled("a")).unwrap();
    assert_eq!(titles(&lib), ["a", "b", "d", "h"]);
    lib.set_details(third, titled("z")).unwrap();
    assert_eq!(titles(&lib), ["b", "d", "h", "z"]);
    lib.set_details(third, titled("e")).unwrap();
    assert_eq!(titles(&lib), ["b", "d", "e", "h"]);
    // Equal titles (the raw name decides) and a new child equal to an old one.
    lib.insert_file_with(0, "0.ogg", file, titled("D")).unwrap();
    assert_eq!(titles(&lib), ["b", "D", "d", "e", "h"]);
}
