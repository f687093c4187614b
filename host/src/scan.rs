//! The folder scanner: walks the served roots and yields what the library model will ingest.
//!
//! A [`Walk`] goes over each root once and yields [`Entry`]s one at a time, in a stable order
//! (folders before their contents, names sorted bytewise within a folder), each named by
//! `(root index, relative path)` like [`crate::storage`] expects. Hidden names (leading dot)
//! are skipped, and so is anything that is neither a folder nor a regular file (FIFOs,
//! sockets, device nodes: told by `fstatat` on the listed folder, never opened, so they cannot
//! hang the walk). Every folder is listed, and every name looked up, confined to its served
//! folder ([`crate::confined`]) as files are opened: symlinks are followed only while they
//! stay under the same root, and a folder swapped for a link while the walk runs cannot list
//! what is outside. A folder reached twice (a link back up the tree) is listed once, and depth
//! is bounded, so the walk always ends. Unreadable entries are logged and counted, never
//! fatal. The scanner knows nothing about media types: the library decides what to keep.
//!
//! Memory: a walk never holds the list of every file. It holds the listings of the folders on
//! the path to the entry it is at (at most [`MAX_DEPTH`] + 1 of them, each listing about 100
//! bytes a name, held until its folder is done: so the largest folders bound it, not the
//! library; a single folder of a million files would still cost about 100 MB) and the device
//! and inode of every folder of the root it is walking (16 bytes a folder, to list each once).
//! [`scan`] and [`scan_dir`] collect a walk into a list, for a few folders (one that appears
//! while the watcher runs, [`crate::live`]) or a small library.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::confined::{Folder, Listed, Stat};
use crate::storage::is_hidden;

/// How deep below a root the scanner descends.
pub const MAX_DEPTH: usize = 32;

/// One folder or file found under a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Index (slot) of the root, as given to [`Walk::new`].
    pub root: usize,
    /// Path relative to the root, as reached (through a followed symlink, the link's path).
    pub path: PathBuf,
    /// Folder or file, with the file's size and modification time.
    pub kind: Kind,
}

/// What an [`Entry`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder (never the root itself).
    Dir,
    /// A regular file.
    File {
        /// Size in bytes.
        size: u64,
        /// Last modification time, where the filesystem records one.
        modified: Option<SystemTime>,
        /// The inode number (with size and time, what the library index compares).
        inode: u64,
    },
}

impl Kind {
    /// A regular file's entry kind, from its metadata.
    pub fn file(meta: &fs::Metadata) -> Kind {
        use std::os::unix::fs::MetadataExt;
        Kind::File { size: meta.len(), modified: meta.modified().ok(), inode: meta.ino() }
    }
}

/// The result of a scan.
#[derive(Debug, Default)]
pub struct Scan {
    /// Everything found, folders before their contents.
    pub entries: Vec<Entry>,
    /// Entries that could not be read or that lead outside their root.
    pub skipped: usize,
}

/// Walks every root (canonical paths, as [`crate::storage::Storage::roots`] gives them; root
/// `i` is slot `i`) and collects what it found.
pub fn scan(roots: &[PathBuf]) -> Scan {
    Walk::new(roots.iter().cloned().enumerate().collect()).collect_all()
}

/// Walks the folder `rel` under root `root` (index `index`), as [`scan`] would have listed
/// it: the folder itself first (unless `rel` is empty), then its contents. Used when a folder
/// appears or must be checked again.
pub fn scan_dir(root: &Path, index: usize, rel: &Path) -> Scan {
    Walk::folder(root, index, rel).collect_all()
}

/// A walk of served folders, yielding their entries one at a time (see the module docs for
/// the order and for what it holds).
#[derive(Debug)]
pub struct Walk {
    /// The roots not started yet, as `(slot, canonical path)`, the next one last.
    roots: Vec<(usize, PathBuf)>,
    /// The root being walked.
    tree: Option<Tree>,
    /// What is yielded before the tree's contents ([`Walk::folder`]'s own folder).
    first: Option<Entry>,
    skipped: usize,
}

/// The walk of one root.
#[derive(Debug)]
struct Tree {
    index: usize,
    root: PathBuf,
    folder: Folder,
    /// Every folder listed so far (device, inode).
    visited: HashSet<(u64, u64)>,
    /// The folders on the path to the current entry, the innermost last.
    open: Vec<Level>,
}

/// A folder being walked: its path and depth, and its names not yet yielded, in order.
#[derive(Debug)]
struct Level {
    rel: PathBuf,
    depth: usize,
    names: std::vec::IntoIter<Listed>,
}

impl Walk {
    /// Walks every root in `roots` (`(slot, canonical path)`), in that order; a root that
    /// cannot be opened is logged and counted as skipped.
    pub fn new(mut roots: Vec<(usize, PathBuf)>) -> Walk {
        roots.reverse();
        Walk { roots, tree: None, first: None, skipped: 0 }
    }

    /// Walks the folder `rel` under the root at `root` (slot `index`): the folder itself first
    /// (unless `rel` is empty), then its contents; nothing if it is gone, not a folder, too
    /// deep or outside the root.
    pub fn folder(root: &Path, index: usize, rel: &Path) -> Walk {
        let mut walk = Walk::new(Vec::new());
        let depth = rel.components().count();
        // Gone again, or a link out: nothing to walk.
        let Ok((folder, meta)) = open(root, rel) else { return walk };
        if !meta.is_dir() || depth > MAX_DEPTH {
            return walk;
        }
        if depth > 0 {
            walk.first = Some(Entry { root: index, path: rel.to_path_buf(), kind: Kind::Dir });
        }
        let mut tree = Tree {
            index,
            root: root.to_path_buf(),
            folder,
            visited: HashSet::from([Stat::from(&meta).id]),
            open: Vec::new(),
        };
        tree.enter(rel.to_path_buf(), depth, &mut walk.skipped);
        walk.tree = Some(tree);
        walk
    }

    /// The entries that could not be read or that lead outside their root, so far.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Everything left to walk, as a list.
    fn collect_all(mut self) -> Scan {
        let entries = self.by_ref().collect();
        Scan { entries, skipped: self.skipped }
    }

    /// Opens the next root, if any is left: false when none is.
    fn start_next(&mut self) -> bool {
        let Some((index, root)) = self.roots.pop() else { return false };
        match open(&root, Path::new("")) {
            Ok((folder, meta)) => {
                let visited = HashSet::from([Stat::from(&meta).id]);
                let mut tree = Tree { index, root, folder, visited, open: Vec::new() };
                tree.enter(PathBuf::new(), 0, &mut self.skipped);
                self.tree = Some(tree);
            }
            Err(e) => {
                tracing::warn!(path = %root.display(), "skipped: {e}");
                self.skipped += 1;
            }
        }
        true
    }
}

/// The served folder at `root`, held open, and what is at `rel` in it (looked up confined).
fn open(root: &Path, rel: &Path) -> Result<(Folder, fs::Metadata), String> {
    let folder = Folder::new(root).map_err(|e| e.to_string())?;
    let meta = folder.stat(rel).map_err(|e| e.to_string())?;
    Ok((folder, meta))
}

impl Iterator for Walk {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        loop {
            if let Some(tree) = &mut self.tree {
                match tree.next(&mut self.skipped) {
                    Some(entry) => return Some(entry),
                    None => self.tree = None,
                }
            } else if !self.start_next() {
                return None;
            }
        }
    }
}

impl Tree {
    /// Lists the folder `rel` (at `depth`) to walk its names next; one more `skipped` if it
    /// cannot be listed.
    fn enter(&mut self, rel: PathBuf, depth: usize, skipped: &mut usize) {
        let mut names = match self.folder.list(&rel) {
            Ok(listing) => listing,
            Err(e) => {
                tracing::warn!(path = %self.root.join(&rel).display(), "skipped: {e}");
                *skipped += 1;
                return;
            }
        };
        names.retain(|c| !is_hidden(&c.name));
        names.sort_by(|a, b| a.name.cmp(&b.name));
        self.open.push(Level { rel, depth, names: names.into_iter() });
    }

    /// The next entry of this root (`None`: the root is done), counting in `skipped` what
    /// could not be read or leads out.
    fn next(&mut self, skipped: &mut usize) -> Option<Entry> {
        loop {
            let level = self.open.last_mut()?;
            let Some(child) = level.names.next() else {
                self.open.pop();
                continue;
            };
            let depth = level.depth;
            let rel = level.rel.join(&child.name);
            let mut skip = |why: &dyn std::fmt::Display| {
                tracing::warn!(path = %self.root.join(&rel).display(), "skipped: {why}");
                *skipped += 1;
            };
            // What the name is, from the listing (`fstatat`, never an open); a link is looked
            // up confined, as files are opened: followed while it stays inside the folder,
            // refused when it leads out.
            let stat = match child.stat {
                Some(stat) => stat,
                None => match self.folder.stat(&rel) {
                    Ok(meta) => Stat::from(&meta),
                    Err(e) => {
                        skip(&e);
                        continue;
                    }
                },
            };
            if stat.is_dir {
                if depth + 1 > MAX_DEPTH {
                    skip(&"too deep");
                } else if self.visited.insert(stat.id) {
                    self.enter(rel.clone(), depth + 1, skipped);
                    return Some(Entry { root: self.index, path: rel, kind: Kind::Dir });
                }
            } else if stat.is_file {
                let kind =
                    Kind::File { size: stat.size, modified: stat.modified, inode: stat.id.1 };
                return Some(Entry { root: self.index, path: rel, kind });
            } else {
                // A FIFO, socket or device node: passed over, never opened.
                tracing::debug!(
                    path = %self.root.join(&rel).display(),
                    "not listed: not a file or folder"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn listing(scan: &Scan) -> Vec<String> {
        scan.entries
            .iter()
            .map(|e| {
                let tag = match e.kind {
                    Kind::Dir => "d".to_string(),
                    Kind::File { size, .. } => format!("f{size}"),
                };
                format!("{}:{}:{}", e.root, e.path.display(), tag)
            })
            .collect()
    }

    #[test]
    fn walks_in_order_skipping_hidden_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::create_dir_all(a.join("Zeta/inner")).unwrap();
        fs::create_dir_all(a.join("Alpha")).unwrap();
        fs::create_dir_all(a.join(".git")).unwrap();
        fs::create_dir_all(&b).unwrap();
        fs::write(a.join("Alpha/1.ogg"), b"12345").unwrap();
        fs::write(a.join("Zeta/inner/2.ogg"), b"12").unwrap();
        fs::write(a.join(".git/config"), b"x").unwrap();
        fs::write(a.join(".hidden.ogg"), b"x").unwrap();
        fs::write(b.join("3.ogg"), b"123").unwrap();
        fs::write(dir.path().join("outside.ogg"), b"x").unwrap();
        symlink(dir.path().join("outside.ogg"), a.join("escape.ogg")).unwrap();
        symlink(&b, a.join("escape-dir")).unwrap();
        symlink(a.join("Alpha"), a.join("loop")).unwrap();
        symlink(&a, a.join("Zeta/up")).unwrap();

        let roots = [fs::canonicalize(&a).unwrap(), fs::canonicalize(&b).unwrap()];
        let found = scan(&roots);
        assert_eq!(
            listing(&found),
            [
                "0:Alpha:d",
                "0:Alpha/1.ogg:f5",
                "0:Zeta:d",
                "0:Zeta/inner:d",
                "0:Zeta/inner/2.ogg:f2",
                "1:3.ogg:f3",
            ]
        );
        // escape.ogg and escape-dir lead out of root 0; `loop` and `Zeta/up` revisit folders.
        assert_eq!(found.skipped, 2);
    }

    #[test]
    fn one_folder_is_walked_like_the_whole_root() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("x/y")).unwrap();
        fs::write(dir.path().join("x/y/1.ogg"), b"1").unwrap();
        fs::write(dir.path().join("top.ogg"), b"22").unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            listing(&scan_dir(&root, 3, Path::new("x"))),
            ["3:x:d", "3:x/y:d", "3:x/y/1.ogg:f1"]
        );
        assert_eq!(
            listing(&scan_dir(&root, 0, Path::new(""))),
            listing(&scan(std::slice::from_ref(&root)))
        );
        assert!(scan_dir(&root, 0, Path::new("top.ogg")).entries.is_empty());
        assert!(scan_dir(&root, 0, Path::new("absent")).entries.is_empty());
    }

    #[test]
    fn fifos_sockets_and_links_to_them_are_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("real.ogg"), b"1234").unwrap();
        nix::unistd::mkfifo(&dir.path().join("pipe.ogg"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("sock.ogg")).unwrap();
        symlink("pipe.ogg", dir.path().join("to-pipe.ogg")).unwrap();
        // Opening the FIFO would wait for a writer forever: the walk ends, so it never did.
        let found = scan(&[fs::canonicalize(dir.path()).unwrap()]);
        assert_eq!(listing(&found), ["0:real.ogg:f4"]);
        assert_eq!(found.skipped, 0);
    }

    #[test]
    fn a_link_to_a_file_inside_the_root_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("real.ogg"), b"1234").unwrap();
        symlink(dir.path().join("real.ogg"), dir.path().join("alias.ogg")).unwrap();
        let found = scan(&[fs::canonicalize(dir.path()).unwrap()]);
        assert_eq!(listing(&found), ["0:alias.ogg:f4", "0:real.ogg:f4"]);
    }
}
