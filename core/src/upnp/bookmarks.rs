//! [`Bookmarks`]: where a TV stopped playing each item, so that it can resume there.
//!
//! Samsung TVs report the position with `X_SetBookmark` when playback stops and read it back
//! from `sec:dcmInfo` (`BM=<position>`) in Browse (see [`super::samsung`]). The table is plain
//! data in core; the platform keeps it behind a lock ([`crate::server::Env::with_bookmarks`]),
//! saves it with [`Bookmarks`]'s `Display` form and loads it with [`Bookmarks::parse`], so a TV
//! resumes after a restart too. Object ids are hashed from paths and survive restarts, so the
//! saved ids still name the same files.
//!
//! The position is stored as the TV sent it: most Samsung series count seconds, the Q and QN
//! series milliseconds (MiniDLNA, Gerbera #1288), and each reads back what it wrote.
//!
//! Memory: at most `capacity` entries of 24 bytes (id, position, recency stamp), sorted by id
//! for `O(log n)` lookups while a Browse page is written; when full, the entry set longest ago
//! makes room.

use alloc::vec::Vec;
use core::fmt;

use crate::library::ObjectId;

/// Bookmarks kept by default: 4,096 entries, about 100 KB (a household's films and episodes).
pub const CAPACITY: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    id: ObjectId,
    position: u32,
    /// When it was set, in [`Bookmarks::stamp`] order: the smallest is the oldest.
    stamp: u64,
}

/// Playback positions by object, bounded by a capacity given at construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookmarks {
    /// Sorted by id, no id twice.
    entries: Vec<Entry>,
    capacity: usize,
    /// The next recency stamp; also counts the changes, see [`Bookmarks::generation`].
    stamp: u64,
}

/// Why a line of a saved table was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BadLine {
    /// The line number, from 1.
    pub line: usize,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bookmark line {} is not `<object id> <position>`", self.line)
    }
}

impl core::error::Error for BadLine {}

impl Bookmarks {
    /// An empty table holding at most `capacity` bookmarks (0: a platform that keeps none;
    /// every [`Bookmarks::set`] is then forgotten at once).
    pub const fn new(capacity: usize) -> Self {
        Bookmarks { entries: Vec::new(), capacity, stamp: 0 }
    }

    /// The position stored for `id`.
    pub fn get(&self, id: ObjectId) -> Option<u32> {
        let at = self.entries.binary_search_by_key(&id, |e| e.id).ok()?;
        self.entries.get(at).map(|e| e.position)
    }

    /// Stores `position` for `id`; a position of 0 (played from the start, or to the end)
    /// removes the bookmark. In a full table the bookmark set longest ago makes room.
    pub fn set(&mut self, id: ObjectId, position: u32) {
        self.stamp = self.stamp.wrapping_add(1);
        let stamp = self.stamp;
        match self.entries.binary_search_by_key(&id, |e| e.id) {
            Ok(at) if position == 0 => {
                self.entries.remove(at);
            }
            Ok(at) => {
                if let Some(e) = self.entries.get_mut(at) {
                    *e = Entry { id, position, stamp };
                }
            }
            Err(_) if position == 0 || self.capacity == 0 => {}
            Err(mut at) => {
                if self.entries.len() >= self.capacity {
                    let oldest = self.entries.iter().enumerate().min_by_key(|(_, e)| e.stamp);
                    if let Some((old, _)) = oldest {
                        self.entries.remove(old);
                        if old < at {
                            at -= 1;
                        }
                    }
                }
                self.entries.insert(at, Entry { id, position, stamp });
            }
        }
    }

    /// A number that changes whenever [`Bookmarks::set`] is called: the platform saves the
    /// table when it differs from the one it saved last.
    pub fn generation(&self) -> u64 {
        self.stamp
    }

    /// How many bookmarks are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no bookmark is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reads a table saved with `Display` (one `<object id> <position>` line each, oldest
    /// first) into a table of `capacity`. Blank lines are skipped; the first malformed line
    /// is an error, since a saved table is never malformed unless damaged.
    pub fn parse(text: &str, capacity: usize) -> Result<Bookmarks, BadLine> {
        let mut table = Bookmarks::new(capacity);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let entry = line.split_once(' ').and_then(|(id, position)| {
                Some((ObjectId::parse(id)?, position.trim().parse::<u32>().ok()?))
            });
            let (id, position) = entry.ok_or(BadLine { line: n.saturating_add(1) })?;
            table.set(id, position);
        }
        Ok(table)
    }
}

impl fmt::Display for Bookmarks {
    /// One `<object id> <position>` line per bookmark, oldest first, so that
    /// [`Bookmarks::parse`] restores the order in which they make room.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut by_age: Vec<&Entry> = self.entries.iter().collect();
        by_age.sort_unstable_by_key(|e| e.stamp);
        for e in by_age {
            writeln!(f, "{} {}", e.id, e.position)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_replace_and_clear() {
        let mut marks = Bookmarks::new(8);
        assert_eq!(marks.get(ObjectId(7)), None);
        marks.set(ObjectId(7), 1234);
        marks.set(ObjectId(3), 60);
        assert_eq!((marks.get(ObjectId(7)), marks.get(ObjectId(3))), (Some(1234), Some(60)));
        let before = marks.generation();
        marks.set(ObjectId(7), 1300);
        assert_ne!(marks.generation(), before);
        assert_eq!(marks.get(ObjectId(7)), Some(1300));
        marks.set(ObjectId(7), 0);
        assert_eq!((marks.get(ObjectId(7)), marks.len()), (None, 1));
        marks.set(ObjectId(9), 0);
        assert_eq!(marks.len(), 1);
    }

    #[test]
    fn a_full_table_forgets_the_oldest() {
        let mut marks = Bookmarks::new(3);
        for id in [50, 10, 30] {
            marks.set(ObjectId(id), 100);
        }
        marks.set(ObjectId(50), 200); // now the newest
        marks.set(ObjectId(20), 300);
        assert_eq!(marks.len(), 3);
        assert_eq!(marks.get(ObjectId(10)), None, "the oldest made room");
        for (id, pos) in [(20, 300), (30, 100), (50, 200)] {
            assert_eq!(marks.get(ObjectId(id)), Some(pos), "{id}");
        }
        let mut none = Bookmarks::new(0);
        none.set(ObjectId(1), 5);
        assert!(none.is_empty());
    }

    #[test]
    fn saved_text_round_trips_with_its_age_order() {
        let mut marks = Bookmarks::new(3);
        marks.set(ObjectId(0xbeef), 42);
        marks.set(ObjectId(0x10), 7);
        marks.set(ObjectId(0xbeef), 43);
        let text = marks.to_string();
        assert_eq!(text, "10 7\nbeef 43\n");
        let mut back = Bookmarks::parse(&text, 2).unwrap();
        assert_eq!((back.get(ObjectId(0x10)), back.get(ObjectId(0xbeef))), (Some(7), Some(43)));
        back.set(ObjectId(1), 1);
        assert_eq!(back.get(ObjectId(0x10)), None, "the oldest line is the oldest entry");
        assert_eq!(Bookmarks::parse("\n\n", 4).unwrap().len(), 0);
        for bad in ["zz 1", "10", "10 -1", "10 99999999999", "10 1 2"] {
            assert_eq!(Bookmarks::parse(&format!("a 1\n{bad}\n"), 4), Err(BadLine { line: 2 }));
        }
    }
}
