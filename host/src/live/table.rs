//! The table of inotify watches: for each watch descriptor, the watch of the folder it is in
//! and its own name, so that the path an event names is rebuilt by walking up to the served
//! folder's own watch.
//!
//! One watched folder costs 16 bytes in one array sorted by watch descriptor (the kernel hands
//! them out in increasing order, so adding one is a push) plus its name's bytes in one arena
//! shared by all; the names that removed or renamed folders leave behind are reclaimed once
//! they are half the arena. Finding a watch is a binary search, rebuilding an event's path
//! costs the folder's depth; finding a folder by its path and removing a folder with
//! everything below it are passes over the table, done only when folders go.
//!
//! A watch descriptor stands for a folder (an inode), not a path: a folder met again under
//! another path (renamed or moved) keeps its descriptor and its entry here takes the new
//! place, with everything below it. A served folder's own entry stays one (nested served
//! folders: events inside the inner one are told as its own). A place that would make a
//! folder its own ancestor (a folder mounted inside itself) is refused, so walking up always
//! ends.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// The watched folders, by watch descriptor `W` (`Copy + Ord`: nix's, or a number in tests).
#[derive(Debug)]
pub(super) struct Table<W> {
    /// One entry a watched folder, sorted by `wd`.
    nodes: Vec<Node<W>>,
    /// The folders' names, one after the other.
    names: Vec<u8>,
    /// Bytes of `names` that no entry refers to any more.
    garbage: usize,
}

/// One watched folder.
#[derive(Debug, Clone, Copy)]
struct Node<W> {
    wd: W,
    /// The watch of the folder this one is in; `wd` itself for a served folder.
    parent: W,
    /// Where its name starts in [`Table::names`].
    at: u32,
    /// Its name's length (a name is at most `NAME_MAX`, 255 bytes, on Linux).
    len: u16,
    /// For a served folder's own watch, its slot; 0 below.
    slot: u16,
}

impl<W> Default for Table<W> {
    fn default() -> Self {
        Table { nodes: Vec::new(), names: Vec::new(), garbage: 0 }
    }
}

impl<W: Copy + Ord> Table<W> {
    /// How many folders are watched.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether `wd` is a watch of this table.
    pub fn contains(&self, wd: W) -> bool {
        self.node(wd).is_some()
    }

    /// The watch of served folder `slot` itself.
    pub fn root(&self, slot: usize) -> Option<W> {
        self.nodes.iter().find(|n| n.parent == n.wd && usize::from(n.slot) == slot).map(|n| n.wd)
    }

    /// Records `wd` as the watch of served folder `slot` itself; false (nothing recorded) if
    /// the slot does not fit the table's 16 bits.
    pub fn set_root(&mut self, wd: W, slot: usize) -> bool {
        let Ok(slot) = u16::try_from(slot) else { return false };
        self.put(Node { wd, parent: wd, at: 0, len: 0, slot });
        true
    }

    /// Records `wd` as the folder `name` in the folder watched by `parent` (a watch already
    /// here with another place moves, everything below it following). False, and nothing
    /// changed, if `parent` is not here, `wd` is a served folder's own watch, `parent` is
    /// `wd` or below it, or the name is too long.
    pub fn set(&mut self, wd: W, parent: W, name: &OsStr) -> bool {
        if let Some(node) = self.node(wd) {
            if node.parent == node.wd {
                return false;
            }
            if node.parent == parent && self.name(node) == name {
                return true;
            }
        }
        let mut above = self.up(parent).peekable();
        if above.peek().is_none() || above.any(|n| n.wd == wd) {
            return false;
        }
        drop(above);
        let Some((at, len)) = self.intern(name.as_bytes()) else { return false };
        self.put(Node { wd, parent, at, len, slot: 0 });
        true
    }

    /// The served folder slot and the path relative to it of the folder `wd` watches.
    pub fn path(&self, wd: W) -> Option<(usize, PathBuf)> {
        let chain: Vec<&Node<W>> = self.up(wd).collect();
        let top = chain.last().filter(|n| n.parent == n.wd)?;
        let mut rel = PathBuf::new();
        for node in chain.iter().rev().skip(1) {
            rel.push(self.name(node));
        }
        Some((usize::from(top.slot), rel))
    }

    /// The watch of folder `rel` of served folder `slot`, looked up name by name.
    pub fn find(&self, slot: usize, rel: &Path) -> Option<W> {
        let mut at = self.root(slot)?;
        for part in rel.components() {
            let Component::Normal(name) = part else { return None };
            let child =
                self.nodes.iter().find(|n| n.parent == at && n.wd != at && self.name(n) == name);
            at = child?.wd;
        }
        Some(at)
    }

    /// Removes `wd` and every watch below it; returns them (sorted), for the caller to
    /// remove from the kernel (empty if `wd` was not here).
    pub fn remove(&mut self, wd: W) -> Vec<W> {
        if !self.contains(wd) {
            return Vec::new();
        }
        let mut gone = vec![wd];
        let mut level = vec![wd];
        while !level.is_empty() {
            // `nodes` is sorted, so is `next`.
            let next: Vec<W> = self
                .nodes
                .iter()
                .filter(|n| n.parent != n.wd && level.binary_search(&n.parent).is_ok())
                .filter(|n| gone.binary_search(&n.wd).is_err())
                .map(|n| n.wd)
                .collect();
            gone.extend_from_slice(&next);
            gone.sort_unstable();
            level = next;
        }
        let mut freed = 0;
        self.nodes.retain(|n| {
            let keep = gone.binary_search(&n.wd).is_err();
            if !keep {
                freed += usize::from(n.len);
            }
            keep
        });
        self.garbage += freed;
        gone
    }

    /// The heap this table holds, in bytes (for tests).
    #[cfg(test)]
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<Node<W>>() + self.names.capacity()
    }

    /// Gives back the spare room of growth (after the first scan, which added most watches).
    pub fn shrink_to_fit(&mut self) {
        if self.garbage > 0 {
            self.compact();
        }
        self.nodes.shrink_to_fit();
        self.names.shrink_to_fit();
    }

    /// Every watch here, in descriptor order (for tests).
    #[cfg(test)]
    pub fn all(&self) -> impl Iterator<Item = W> + '_ {
        self.nodes.iter().map(|n| n.wd)
    }

    fn node(&self, wd: W) -> Option<&Node<W>> {
        let i = self.nodes.binary_search_by(|n| n.wd.cmp(&wd)).ok()?;
        self.nodes.get(i)
    }

    fn name(&self, node: &Node<W>) -> &OsStr {
        let start = node.at as usize;
        OsStr::from_bytes(self.names.get(start..start + usize::from(node.len)).unwrap_or_default())
    }

    /// `wd`'s entry, then the one of the folder it is in, and so on up to a served folder's
    /// (or to a folder no longer here); bounded by the table's size.
    fn up(&self, wd: W) -> impl Iterator<Item = &Node<W>> {
        let mut next = self.node(wd);
        std::iter::from_fn(move || {
            let node = next?;
            next = if node.parent == node.wd { None } else { self.node(node.parent) };
            Some(node)
        })
        .take(self.nodes.len())
    }

    /// Adds or replaces the entry of `node.wd`.
    fn put(&mut self, node: Node<W>) {
        match self.nodes.binary_search_by(|n| n.wd.cmp(&node.wd)) {
            Ok(i) => {
                self.garbage += usize::from(self.nodes[i].len);
                self.nodes[i] = node;
            }
            Err(i) => self.nodes.insert(i, node),
        }
    }

    /// Appends `name` to the arena (reclaiming the garbage first when it is half of it);
    /// where it starts and its length, or `None` if it does not fit the entry's fields.
    fn intern(&mut self, name: &[u8]) -> Option<(u32, u16)> {
        let len = u16::try_from(name.len()).ok()?;
        if self.garbage > self.names.len() / 2 {
            self.compact();
        }
        let at = u32::try_from(self.names.len()).ok()?;
        u32::try_from(self.names.len() + name.len()).ok()?;
        self.names.extend_from_slice(name);
        Some((at, len))
    }

    /// Rewrites the arena with only the names entries refer to.
    fn compact(&mut self) {
        let mut names = Vec::with_capacity(self.names.len() - self.garbage);
        for node in &mut self.nodes {
            let start = node.at as usize;
            let name = self.names.get(start..start + usize::from(node.len)).unwrap_or_default();
            // Never longer than the arena it came from, whose offsets fit.
            node.at = u32::try_from(names.len()).unwrap_or(u32::MAX);
            names.extend_from_slice(name);
        }
        self.names = names;
        self.garbage = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table<u32> {
        // Served folder 0 at watch 1: a/b/c and a/d; served folder 2 at watch 10.
        let mut t = Table::default();
        assert!(t.set_root(1, 0));
        assert!(t.set(2, 1, OsStr::new("a")));
        assert!(t.set(3, 2, OsStr::new("b")));
        assert!(t.set(4, 3, OsStr::new("c")));
        assert!(t.set(5, 2, OsStr::new("d")));
        assert!(t.set_root(10, 2));
        t
    }

    fn path(t: &Table<u32>, wd: u32) -> Option<(usize, String)> {
        t.path(wd).map(|(slot, rel)| (slot, rel.to_str().unwrap().to_string()))
    }

    #[test]
    fn a_nested_folder_s_path_is_rebuilt_and_found() {
        let t = table();
        assert_eq!(path(&t, 4), Some((0, "a/b/c".into())));
        assert_eq!(path(&t, 1), Some((0, String::new())));
        assert_eq!(path(&t, 10), Some((2, String::new())));
        assert_eq!(path(&t, 7), None);
        assert_eq!(t.find(0, Path::new("a/b/c")), Some(4));
        assert_eq!(t.find(0, Path::new("a/d")), Some(5));
        assert_eq!(t.find(0, Path::new("")), Some(1));
        assert_eq!(t.find(0, Path::new("a/x")), None);
        assert_eq!(t.find(2, Path::new("a")), None);
        assert_eq!(t.root(2), Some(10));
    }

    #[test]
    fn a_folder_is_removed_with_everything_below_it() {
        let mut t = table();
        assert_eq!(t.remove(3), [3, 4]);
        assert_eq!((path(&t, 3), path(&t, 4)), (None, None));
        assert_eq!(path(&t, 5), Some((0, "a/d".into())));
        assert_eq!(t.remove(3), Vec::<u32>::new());
        // A served folder's subtree stops at another served folder inside it.
        assert!(t.set(11, 10, OsStr::new("x")));
        assert_eq!(t.remove(1), [1, 2, 5]);
        assert_eq!(path(&t, 11), Some((2, "x".into())));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn a_moved_folder_takes_its_new_place_with_what_is_below_it() {
        let mut t = table();
        // a/b renamed to a/bee, then moved to the top as "e".
        assert!(t.set(3, 2, OsStr::new("bee")));
        assert_eq!(path(&t, 4), Some((0, "a/bee/c".into())));
        assert!(t.set(3, 1, OsStr::new("e")));
        assert_eq!(path(&t, 4), Some((0, "e/c".into())));
        assert_eq!(t.find(0, Path::new("a/b")), None);
        assert_eq!(t.find(0, Path::new("e/c")), Some(4));
        // Moved into the other served folder.
        assert!(t.set(3, 10, OsStr::new("e")));
        assert_eq!(path(&t, 4), Some((2, "e/c".into())));
        assert_eq!(t.len(), 6);
    }

    #[test]
    fn places_that_would_loop_or_hide_a_served_folder_are_refused() {
        let mut t = table();
        // "a" inside "a/b/c" (a mount of a folder inside itself), or inside itself.
        assert!(!t.set(2, 4, OsStr::new("loop")));
        assert!(!t.set(2, 2, OsStr::new("loop")));
        // Under a watch that is not here.
        assert!(!t.set(6, 99, OsStr::new("f")));
        // A served folder met again inside another stays a served folder.
        assert!(!t.set(10, 1, OsStr::new("inner")));
        assert_eq!(path(&t, 4), Some((0, "a/b/c".into())));
        assert_eq!(path(&t, 10), Some((2, String::new())));
        assert!(!t.set_root(12, 70_000));
    }

    #[test]
    fn names_left_behind_are_reclaimed() {
        let mut t = table();
        for i in 0..10_000 {
            assert!(t.set(3, 2, OsStr::new(&format!("renamed {i}"))));
        }
        assert_eq!(path(&t, 4), Some((0, "a/renamed 9999/c".into())));
        t.shrink_to_fit();
        // a, renamed 9999, c, d: all that is left.
        assert_eq!(t.names.len(), 1 + 12 + 1 + 1);
    }

    #[test]
    fn ten_thousand_nested_folders_cost_16_bytes_each_plus_their_names() {
        // Artist/Album, as the 100,000-file library of BENCHMARKS.md: 1,000 artists of 9
        // albums (10,001 folders), watch descriptors in the kernel's increasing order.
        let mut t = Table::default();
        assert!(t.set_root(1, 0));
        let mut wd = 1;
        let mut name_bytes = 0;
        for artist in 0..1_000 {
            let name = format!("Artist {artist:04}");
            wd += 1;
            let parent = wd;
            assert!(t.set(parent, 1, OsStr::new(&name)));
            name_bytes += name.len();
            for album in 0..9 {
                let name = format!("Album {album} of artist {artist:04}");
                wd += 1;
                assert!(t.set(wd, parent, OsStr::new(&name)));
                name_bytes += name.len();
            }
        }
        assert_eq!(path(&t, wd), Some((0, "Artist 0999/Album 8 of artist 0999".into())));
        let folders = t.len();
        assert_eq!(folders, 10_001);
        // Grown by doubling: at most as much again spare.
        assert!(t.heap_bytes() <= 2 * (16 * folders + name_bytes), "{} bytes", t.heap_bytes());
        t.shrink_to_fit();
        assert!(t.heap_bytes() <= 16 * folders + name_bytes, "{} bytes", t.heap_bytes());
    }
}
