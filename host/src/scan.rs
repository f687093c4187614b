//! The folder scanner: walks the served roots and lists what the library model will ingest.
//!
//! One pass over each root yields [`Entry`]s in a stable order (folders before their contents,
//! names sorted bytewise), each named by `(root index, relative path)` like [`crate::storage`]
//! expects. Hidden names (leading dot) are skipped, and so is anything that is neither a folder
//! nor a regular file (FIFOs, sockets, device nodes: told by `fstatat` on the listed folder,
//! never opened, so they cannot hang the walk). Every folder is listed, and every name looked
//! up, confined to its served folder ([`crate::confined`]) as files are opened: symlinks are
//! followed only while they stay under the same root, and a folder swapped for a link while the
//! walk runs cannot list what is outside. A folder reached twice (a link back up the tree) is
//! listed once, and depth is bounded, so the walk always ends. Unreadable entries are logged and
//! counted, never fatal. The scanner knows nothing about media types: the library decides what
//! to keep.
//! [`scan_dir`] walks one folder the same way, for the watcher ([`crate::live`]) when a folder
//! appears or is checked again.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::confined::{Folder, Stat};
use crate::storage::is_hidden;

/// How deep below a root the scanner descends.
pub const MAX_DEPTH: usize = 32;

/// One folder or file found under a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Index of the root in the list given to [`scan`].
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

/// Walks every root (canonical paths, as [`crate::storage::Storage::roots`] gives them).
pub fn scan(roots: &[PathBuf]) -> Scan {
    let mut out = Scan::default();
    for (index, root) in roots.iter().enumerate() {
        let (folder, meta) = match open(root, Path::new("")) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(path = %root.display(), "skipped: {e}");
                out.skipped += 1;
                continue;
            }
        };
        let mut walk = Walk::new(index, root, &folder, &mut out);
        walk.visited.insert(Stat::from(&meta).id);
        walk.dir(Path::new(""), 0);
    }
    // The list grew by doubling and lives until the library is built from it: up to half of
    // it was spare room.
    out.entries.shrink_to_fit();
    out
}

/// Walks the folder `rel` under root `root` (index `index`), as [`scan`] would have listed
/// it: the folder itself first (unless `rel` is empty), then its contents. Used when a folder
/// appears or must be checked again.
pub fn scan_dir(root: &Path, index: usize, rel: &Path) -> Scan {
    let mut out = Scan::default();
    let depth = rel.components().count();
    // Gone again, or a link out: nothing to walk.
    let Ok((folder, meta)) = open(root, rel) else { return out };
    if !meta.is_dir() || depth > MAX_DEPTH {
        return out;
    }
    let mut walk = Walk::new(index, root, &folder, &mut out);
    walk.visited.insert(Stat::from(&meta).id);
    if depth > 0 {
        walk.push(rel.to_path_buf(), Kind::Dir);
    }
    walk.dir(rel, depth);
    out
}

/// The served folder at `root`, held open, and what is at `rel` in it (looked up confined).
fn open(root: &Path, rel: &Path) -> Result<(Folder, fs::Metadata), String> {
    let folder = Folder::new(root).map_err(|e| e.to_string())?;
    let meta = folder.stat(rel).map_err(|e| e.to_string())?;
    Ok((folder, meta))
}

struct Walk<'a> {
    root_index: usize,
    root: &'a Path,
    folder: &'a Folder,
    visited: HashSet<(u64, u64)>,
    out: &'a mut Scan,
}

impl<'a> Walk<'a> {
    fn new(root_index: usize, root: &'a Path, folder: &'a Folder, out: &'a mut Scan) -> Self {
        Walk { root_index, root, folder, visited: HashSet::new(), out }
    }

    fn skip(&mut self, path: &Path, why: &dyn std::fmt::Display) {
        tracing::warn!(path = %path.display(), "skipped: {why}");
        self.out.skipped += 1;
    }

    fn dir(&mut self, rel: &Path, depth: usize) {
        let abs = self.root.join(rel);
        let mut children = match self.folder.list(rel) {
            Ok(listing) => listing,
            Err(e) => return self.skip(&abs, &e),
        };
        children.retain(|c| !is_hidden(&c.name));
        children.sort_by(|a, b| a.name.cmp(&b.name));
        for child in children {
            let abs_child = abs.join(&child.name);
            let rel_child = rel.join(&child.name);
            // What the name is, from the listing (`fstatat`, never an open); a link is looked
            // up confined, as files are opened: followed while it stays inside the folder,
            // refused when it leads out.
            let stat = match child.stat {
                Some(stat) => stat,
                None => match self.folder.stat(&rel_child) {
                    Ok(meta) => Stat::from(&meta),
                    Err(e) => {
                        self.skip(&abs_child, &e);
                        continue;
                    }
                },
            };
            if stat.is_dir {
                if depth + 1 > MAX_DEPTH {
                    self.skip(&abs_child, &"too deep");
                } else if self.visited.insert(stat.id) {
                    self.push(rel_child.clone(), Kind::Dir);
                    self.dir(&rel_child, depth + 1);
                }
            } else if stat.is_file {
                self.push(
                    rel_child,
                    Kind::File { size: stat.size, modified: stat.modified, inode: stat.id.1 },
                );
            } else {
                // A FIFO, socket or device node: passed over, never opened.
                tracing::debug!(path = %abs_child.display(), "not listed: not a file or folder");
            }
        }
    }

    fn push(&mut self, path: PathBuf, kind: Kind) {
        self.out.entries.push(Entry { root: self.root_index, path, kind });
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
