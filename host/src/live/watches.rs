//! The inotify watches of the served folders: one per folder, kept in one compact [`Table`]
//! (about 16 bytes a folder plus its name), the folders left without one (out of watches:
//! rescanned instead), and the served folders polled instead of watched.
//!
//! A folder's watch is asked of the kernel by its path; the kernel answers with the same
//! descriptor for a folder it already watches, which is how a folder renamed or moved is
//! recognised (its entry takes the new place) and how the watch of the folder a new one is in
//! is found. An event names a descriptor and a name; [`Watches::seen`] turns it into the path
//! that changed. A folder gone (deleted, or moved out of the served folders) has its watch
//! removed by the kernel (`IN_IGNORED`) or by [`Watches::forget`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, Inotify, InotifyEvent, WatchDescriptor};

use super::table::Table;
use super::Options;

/// What Rill asks inotify to report of a watched folder: names created, written and closed,
/// written, changed in their metadata, moved out and in, deleted; the folder itself deleted or
/// moved. Not opens, reads or closes after reading (serving and probing open every file).
pub(super) const MASK: AddWatchFlags = AddWatchFlags::IN_CREATE
    .union(AddWatchFlags::IN_CLOSE_WRITE)
    .union(AddWatchFlags::IN_MODIFY)
    .union(AddWatchFlags::IN_ATTRIB)
    .union(AddWatchFlags::IN_MOVED_FROM)
    .union(AddWatchFlags::IN_MOVED_TO)
    .union(AddWatchFlags::IN_DELETE)
    .union(AddWatchFlags::IN_DELETE_SELF)
    .union(AddWatchFlags::IN_MOVE_SELF)
    .union(AddWatchFlags::IN_ONLYDIR);

/// What one inotify event says.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Seen {
    /// Path `1` of served folder `0` changed (a name in a watched folder, or the folder).
    Changed(usize, PathBuf),
    /// Events were lost: every served folder must be looked at again.
    Overflow,
    /// Nothing to look at: a watch went away, or a folder no longer watched.
    Nothing,
}

/// The inotify watches: one per folder, their count, and the folders left without one.
pub(super) struct Watches {
    /// The served folders by slot, as [`crate::storage::Storage::roots`] gives them.
    pub roots: Vec<Option<PathBuf>>,
    /// The inotify instance (`None`: none could be had, every folder is rescanned).
    inotify: Option<Arc<Inotify>>,
    /// The library index, told of every change (`None`: no index).
    pub index: Option<crate::index::Writer>,
    /// Watched folders, by watch descriptor.
    table: Table<WatchDescriptor>,
    /// Folders (with everything below them) that could not be watched: rescanned instead.
    pub unwatched: BTreeSet<(usize, PathBuf)>,
    /// The served folders (slots) on network file systems: polled, never watched.
    pub polled: BTreeSet<usize>,
    pub options: Options,
    warned: bool,
}

impl Watches {
    /// Watches for the served folders `roots` (none watched yet), with a new inotify instance.
    pub fn new(roots: Vec<Option<PathBuf>>, options: Options) -> Watches {
        let inotify = match crate::inotify::open() {
            Ok(inotify) => Some(inotify),
            Err(e) => {
                tracing::warn!(
                    "cannot watch the served folders for changes ({e}); they are rescanned \
                     periodically instead (if inotify instances run out, raise \
                     fs.inotify.max_user_instances: `sudo sysctl fs.inotify.max_user_instances=1024`)"
                );
                None
            }
        };
        Watches {
            roots,
            // Without an instance at all, the warning above has said it.
            warned: inotify.is_none(),
            inotify,
            table: Table::default(),
            unwatched: BTreeSet::new(),
            polled: BTreeSet::new(),
            index: None,
            options,
        }
    }

    /// The inotify instance whose events [`Watches::seen`] reads (`None`: none).
    pub fn inotify(&self) -> Option<Arc<Inotify>> {
        self.inotify.clone()
    }

    pub fn has_unwatched(&self) -> bool {
        !self.unwatched.is_empty()
    }

    /// Gives back the table's spare room (after the first scan).
    pub fn shrink_to_fit(&mut self) {
        self.table.shrink_to_fit();
    }

    /// What `event` says: the path it names, rebuilt from the table, or that events were lost;
    /// a watch the kernel removed (`IN_IGNORED`: its folder is gone) leaves the table, with
    /// any watch still below it.
    pub fn seen(&mut self, event: &InotifyEvent) -> Seen {
        if event.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
            return Seen::Overflow;
        }
        if event.mask.contains(AddWatchFlags::IN_IGNORED) {
            self.unwatch(event.wd);
            return Seen::Nothing;
        }
        let Some((root, mut rel)) = self.table.path(event.wd) else { return Seen::Nothing };
        if let Some(name) = &event.name {
            rel.push(name);
        }
        Seen::Changed(root, rel)
    }

    /// Watches folder `rel` of `root`, or records it for rescans when that is not possible;
    /// nothing for a polled served folder.
    pub fn add(&mut self, root: usize, rel: &Path) {
        if self.polled.contains(&root)
            || self.unwatched.iter().any(|(r, p)| *r == root && rel.starts_with(p))
        {
            return;
        }
        let Some(abs) = self.roots.get(root).and_then(Option::as_ref).map(|r| r.join(rel)) else {
            return;
        };
        let Some(inotify) = self.inotify.clone() else { return self.limit_reached(root, rel) };
        let wd = match inotify.add_watch(&abs, MASK) {
            Ok(wd) => wd,
            Err(Errno::ENOSPC) => return self.limit_reached(root, rel),
            Err(e) => {
                // Gone again already: its removal event follows.
                tracing::debug!(path = %abs.display(), "not watched: {e}");
                return;
            }
        };
        if self.table.contains(wd) {
            if self.table.path(wd).is_some_and(|(r, p)| r == root && p == rel) {
                return;
            }
        } else if self.options.max_watches.is_some_and(|max| self.table.len() >= max) {
            let _ = inotify.rm_watch(wd);
            return self.limit_reached(root, rel);
        }
        let placed = match (rel.parent(), rel.file_name()) {
            (Some(_), Some(name)) => {
                // The kernel knows the folder it is in by the same descriptor as the table.
                let parent = abs.parent().map(|p| inotify.add_watch(p, MASK));
                match parent {
                    Some(Ok(parent)) if self.table.contains(parent) => {
                        self.table.set(wd, parent, name)
                    }
                    Some(Ok(stray)) => {
                        let _ = inotify.rm_watch(stray);
                        false
                    }
                    _ => false,
                }
            }
            _ => {
                if let Some(old) = self.table.root(root).filter(|&old| old != wd) {
                    self.unwatch(old);
                }
                self.table.set_root(wd, root)
            }
        };
        if !placed && !self.table.contains(wd) {
            let _ = inotify.rm_watch(wd);
            tracing::debug!(path = %abs.display(), "not watched: the folder it is in is not");
        }
    }

    fn limit_reached(&mut self, root: usize, rel: &Path) {
        if !self.warned {
            self.warned = true;
            let limit = match self.options.max_watches {
                Some(n) => format!("{n} by --max-watches"),
                None => std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|_| "unknown".into()),
            };
            let watching = self.table.len();
            tracing::warn!(
                "out of inotify watches (fs.inotify.max_user_watches = {limit}, {watching} in use \
                 here): changes in folders without a watch are found by rescanning them every \
                 {} s instead of at once. Raise the limit with \
                 `sudo sysctl fs.inotify.max_user_watches=524288` (and put \
                 `fs.inotify.max_user_watches=524288` in /etc/sysctl.d/90-rill.conf to keep it)",
                self.options.rescan_interval.as_secs()
            );
        }
        tracing::debug!(path = %rel.display(), "no inotify watch; rescanned periodically");
        self.unwatched.retain(|(r, p)| !(*r == root && p.starts_with(rel)));
        self.unwatched.insert((root, rel.to_path_buf()));
    }

    /// Forgets every watch of the served folder in slot `root` (no longer served).
    pub fn forget_root(&mut self, root: usize) {
        if let Some(wd) = self.table.root(root) {
            self.unwatch(wd);
        }
        self.unwatched.retain(|(r, _)| *r != root);
    }

    /// Forgets the watches of folder `rel` of `root` and below (it is gone from there).
    pub fn forget(&mut self, root: usize, rel: &Path) {
        if let Some(wd) = self.table.find(root, rel) {
            self.unwatch(wd);
        }
        self.unwatched.retain(|(r, p)| !(*r == root && p.starts_with(rel)));
    }

    /// Removes watch `wd` and those below it, from the table and the kernel (which may have
    /// removed them already: a folder deleted).
    fn unwatch(&mut self, wd: WatchDescriptor) {
        for wd in self.table.remove(wd) {
            if let Some(inotify) = &self.inotify {
                let _ = inotify.rm_watch(wd);
            }
        }
    }

    /// The served folder slot and relative path of every watched folder, sorted (for tests).
    #[cfg(test)]
    pub fn watched(&self) -> Vec<(usize, PathBuf)> {
        let mut all = self.table.all().filter_map(|wd| self.table.path(wd)).collect::<Vec<_>>();
        all.sort();
        all
    }
}
