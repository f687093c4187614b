//! Polling the served folders on network file systems ([`crate::mounts`]), where inotify
//! hears nothing of the changes made elsewhere.
//!
//! A poll is a cheap walk: every folder known under the served folder is looked up (one
//! `stat`, confined as every lookup), and only those whose modification time or identity
//! changed since the last poll are listed again (one level, names looked up with `fstatat`,
//! nothing opened). Adding, removing or renaming a name changes its folder's modification
//! time, so a file added, removed or replaced by a rename is found so; the folder's new
//! listing is then compared with the library by [`super`] (gone names removed, files whose
//! size or time differ, or whose inode changed, read again). A file rewritten in place
//! changes no folder: every [`FULL_EVERY`]th poll lists every folder to find those too.
//! The first poll of a folder lists everything (there is nothing to compare with yet).
//!
//! What is kept between polls: per folder, its time and identity, its sub-folders' names and
//! its files' inodes (about 60 bytes a file plus the name), for the polled folders only.
//! A folder that cannot be looked at or listed (the server not answering) is left as it is
//! and tried again at the next poll; depth is bounded by [`crate::scan::MAX_DEPTH`] and a
//! folder reached twice (a link back up) is walked once, so a poll always ends.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::confined::{Folder, Stat};
use crate::scan::{Entry, Kind, MAX_DEPTH};
use crate::storage::is_hidden;

/// Every this many polls, every folder is listed, to find files rewritten in place.
pub const FULL_EVERY: u64 = 10;

/// A folder's modification time and `(device, inode)`: when these are unchanged, so are its
/// names.
type Stamp = (Option<SystemTime>, (u64, u64));

/// What the last poll saw of one folder.
#[derive(Debug)]
struct Dir {
    stamp: Stamp,
    /// Its sub-folders, relative to the served folder.
    subdirs: Vec<PathBuf>,
    /// Its files' inodes, by name.
    files: HashMap<OsString, u64>,
}

/// A folder listed again by a poll: what is in it now, one level deep.
#[derive(Debug, Default)]
pub(super) struct Listed {
    /// The folder, relative to the served folder (`""`: the served folder itself).
    pub rel: PathBuf,
    /// Its folders and files now, in name order.
    pub entries: Vec<Entry>,
    /// Its files whose inode changed since the last poll (replaced by another file), to be
    /// read again even with the same size and time.
    pub replaced: HashSet<PathBuf>,
}

/// The polled folders' state between polls.
#[derive(Debug, Default)]
pub(super) struct Poller {
    /// By served folder slot: what the last poll saw, by folder relative path.
    trees: HashMap<usize, HashMap<PathBuf, Dir>>,
    /// Polls done, to make every [`FULL_EVERY`]th a full one.
    polls: u64,
}

impl Poller {
    /// Starts a poll round; true if it must list every folder.
    pub fn next_round(&mut self) -> bool {
        self.polls += 1;
        self.polls.is_multiple_of(FULL_EVERY)
    }

    /// Forgets served folder `slot` (no longer served, or served again from scratch).
    pub fn forget(&mut self, slot: usize) {
        self.trees.remove(&slot);
    }

    /// Walks served folder `slot` at `base` (canonical) and returns the folders that changed
    /// since the last poll (every folder if `full`), listed again.
    pub fn walk(&mut self, slot: usize, base: &Path, full: bool) -> Vec<Listed> {
        let folder = match Folder::new(base) {
            Ok(folder) => folder,
            Err(e) => {
                tracing::warn!(path = %base.display(), "not polled: {e}");
                return Vec::new();
            }
        };
        let mut old = self.trees.remove(&slot).unwrap_or_default();
        let mut now = HashMap::new();
        let mut visited = HashSet::new();
        let mut out = Vec::new();
        let mut stack = vec![(PathBuf::new(), 0usize)];
        while let Some((rel, depth)) = stack.pop() {
            let before = old.remove(&rel);
            let meta = match folder.stat(&rel) {
                Ok(meta) if meta.is_dir() => meta,
                // A file now: its folder's listing says so. Gone: likewise.
                Ok(_) | Err(crate::confined::Error::NotFound) => continue,
                Err(e) => {
                    tracing::debug!(path = %rel.display(), "not polled this time: {e}");
                    keep(before, &rel, &mut now, &mut stack, depth);
                    continue;
                }
            };
            let stamp = (meta.modified().ok(), (meta.dev(), meta.ino()));
            if !visited.insert(stamp.1) {
                continue;
            }
            match before {
                Some(dir) if dir.stamp == stamp && !full => {
                    keep(Some(dir), &rel, &mut now, &mut stack, depth);
                }
                before => match list(&folder, slot, &rel, depth, stamp, before.as_ref()) {
                    Some((dir, listed)) => {
                        stack.extend(dir.subdirs.iter().map(|s| (s.clone(), depth + 1)));
                        now.insert(rel, dir);
                        out.push(listed);
                    }
                    None => keep(before, &rel, &mut now, &mut stack, depth),
                },
            }
        }
        self.trees.insert(slot, now);
        out
    }
}

/// Keeps what the last poll saw of folder `rel` (unchanged, or not readable now), and walks
/// its sub-folders as they were.
fn keep(
    dir: Option<Dir>,
    rel: &Path,
    now: &mut HashMap<PathBuf, Dir>,
    stack: &mut Vec<(PathBuf, usize)>,
    depth: usize,
) {
    if let Some(dir) = dir {
        stack.extend(dir.subdirs.iter().map(|s| (s.clone(), depth + 1)));
        now.insert(rel.to_path_buf(), dir);
    }
}

/// Lists folder `rel` (at `depth`) one level deep: what to keep of it and what it holds;
/// `None` if it cannot be listed now (logged).
fn list(
    folder: &Folder,
    slot: usize,
    rel: &Path,
    depth: usize,
    stamp: Stamp,
    before: Option<&Dir>,
) -> Option<(Dir, Listed)> {
    let mut children = match folder.list(rel) {
        Ok(children) => children,
        Err(e) => {
            tracing::warn!(path = %rel.display(), "not polled this time: {e}");
            return None;
        }
    };
    children.retain(|c| !is_hidden(&c.name));
    children.sort_by(|a, b| a.name.cmp(&b.name));
    let mut dir = Dir { stamp, subdirs: Vec::new(), files: HashMap::new() };
    let mut listed = Listed { rel: rel.to_path_buf(), ..Listed::default() };
    for child in children {
        let path = rel.join(&child.name);
        // A link is looked up confined, as the scan does: followed while it stays inside.
        let stat = match child.stat {
            Some(stat) => stat,
            None => match folder.stat(&path) {
                Ok(meta) => Stat::from(&meta),
                Err(e) => {
                    tracing::debug!(path = %path.display(), "not listed: {e}");
                    continue;
                }
            },
        };
        if stat.is_dir && depth < MAX_DEPTH {
            dir.subdirs.push(path.clone());
            listed.entries.push(Entry { root: slot, path, kind: Kind::Dir });
        } else if stat.is_file {
            let inode = stat.id.1;
            let was = before.and_then(|d| d.files.get(&child.name));
            if was.is_some_and(|&was| was != inode) {
                listed.replaced.insert(path.clone());
            }
            dir.files.insert(child.name, inode);
            let kind = Kind::File { size: stat.size, modified: stat.modified, inode };
            listed.entries.push(Entry { root: slot, path, kind });
        }
    }
    Some((dir, listed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(listed: &[Listed]) -> Vec<String> {
        let mut out: Vec<String> = listed.iter().map(|l| l.rel.display().to_string()).collect();
        out.sort();
        out
    }

    #[test]
    fn only_folders_that_changed_are_listed_again() {
        let dir = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir_all(base.join("a/deep")).unwrap();
        fs::create_dir_all(base.join("b")).unwrap();
        fs::write(base.join("a/deep/1.ogg"), b"1").unwrap();
        fs::write(base.join("b/2.ogg"), b"22").unwrap();
        let mut poller = Poller::default();
        // The first poll lists everything.
        assert_eq!(names(&poller.walk(0, &base, false)), ["", "a", "a/deep", "b"]);
        assert!(poller.walk(0, &base, false).is_empty(), "nothing changed");
        fs::write(base.join("a/deep/3.ogg"), b"333").unwrap();
        let listed = poller.walk(0, &base, false);
        assert_eq!(names(&listed), ["a/deep"]);
        let found: Vec<_> = listed[0].entries.iter().map(|e| e.path.clone()).collect();
        assert_eq!(found, [PathBuf::from("a/deep/1.ogg"), PathBuf::from("a/deep/3.ogg")]);
        // Replaced by a rename: the folder changed, and the file is another inode.
        fs::write(base.join("b/new"), b"xx").unwrap();
        fs::rename(base.join("b/new"), base.join("b/2.ogg")).unwrap();
        let listed = poller.walk(0, &base, false);
        assert_eq!(names(&listed), ["b"]);
        assert!(listed[0].replaced.contains(Path::new("b/2.ogg")));
        // A folder removed: its parent is listed again, without it.
        fs::remove_dir_all(base.join("a/deep")).unwrap();
        let listed = poller.walk(0, &base, false);
        assert_eq!(names(&listed), ["a"]);
        assert!(listed[0].entries.is_empty());
        // A full poll lists every folder.
        assert_eq!(names(&poller.walk(0, &base, true)), ["", "a", "b"]);
    }

    #[test]
    fn every_tenth_round_is_full() {
        let mut poller = Poller::default();
        let rounds: Vec<bool> = (0..20).map(|_| poller.next_round()).collect();
        assert_eq!(rounds.iter().filter(|f| **f).count(), 2);
        assert!(rounds[9] && rounds[19]);
    }
}
