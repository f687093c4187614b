//! Network mounts: how Rill learns that a served folder changed, per folder.
//!
//! inotify reports only the changes made through this machine's kernel: on a network file
//! system (NFS, SMB/CIFS, SSHFS and any other FUSE file system, 9p, Ceph, AFS, ...) a file
//! added on the server or by another client is never reported. So each served folder's file
//! system type is read with `statfs(2)` when it is shared ([`detect`]), and looked up in
//! [`NETWORK`], a table of the kernel's magic numbers (`include/uapi/linux/magic.h`, and the
//! file systems' own sources for those not listed there). A folder on one of them is polled
//! ([`Method::Poll`], see [`crate::live`]); any other keeps inotify ([`Method::Inotify`]).
//! Only the served folder itself is looked at: a network file system mounted somewhere below
//! a local served folder is watched with inotify like the rest of it (and its remote changes
//! are found at the next restart).
//!
//! [`Following`] records, per served folder, which method is used and when it was last
//! polled, for `rill status` (through [`crate::bus`]).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// The network file systems, by `statfs` magic number, with the name shown for each. FUSE
/// covers SSHFS, rclone, gvfs, s3fs, virtiofs and every other file system served by a
/// process: its changes may come from anywhere, so it is polled too.
pub const NETWORK: [(u32, &str); 11] = [
    (0x6969, "nfs"),
    (0x517b, "smb"),
    (0xff53_4d42, "cifs"),
    (0xfe53_4d42, "smb2"),
    (0x6573_5546, "fuse"),
    (0x0102_1997, "9p"),
    (0x00c3_6400, "ceph"),
    (0x5346_414f, "afs"),
    (0x6b41_4653, "afs"),
    (0x7375_7245, "coda"),
    (0x564c, "ncp"),
];

/// The local file systems, by `statfs` magic number: their data and metadata are on this
/// machine's disks or in its memory, so an `open` whose lookup is cached waits for nothing
/// ([`crate::confined::Folder::open_cached`]). Overlay and other stacked file systems are left
/// out: what is under them may be a network mount.
pub const LOCAL: [(u32, &str); 9] = [
    (0xef53, "ext2/3/4"),
    (0x5846_5342, "xfs"),
    (0x9123_683e, "btrfs"),
    (0x0102_1994, "tmpfs"),
    (0x8584_58f6, "ramfs"),
    (0xf2f5_2010, "f2fs"),
    (0xca45_1a4e, "bcachefs"),
    (0x4d44, "vfat"),
    (0x2011_bab0, "exfat"),
];

/// Whether a file system of `statfs` type `kind` is one of the [`LOCAL`] ones.
pub fn is_local(kind: nix::sys::statfs::FsType) -> bool {
    // The magic numbers fit 32 bits; `f_type` is wider on 64-bit targets.
    #[allow(clippy::unnecessary_cast)]
    let magic = kind.0 as u32;
    LOCAL.iter().any(|(m, _)| *m == magic)
}

/// How the changes of a served folder are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// inotify: at once (a local file system).
    Inotify,
    /// A walk of the folder's directories every poll interval (a network file system, named).
    Poll(&'static str),
}

impl Method {
    /// What `rill status` calls the method.
    pub fn name(self) -> &'static str {
        match self {
            Method::Inotify => "inotify",
            Method::Poll(_) => "poll",
        }
    }

    /// The network file system's name, for a polled folder.
    pub fn file_system(self) -> Option<&'static str> {
        match self {
            Method::Inotify => None,
            Method::Poll(fs) => Some(fs),
        }
    }
}

/// How the changes of the folder at `path` are found: [`Method::Poll`] if it is on one of the
/// [`NETWORK`] file systems. A folder whose type cannot be read keeps inotify (logged).
pub fn detect(path: &Path) -> Method {
    match nix::sys::statfs::statfs(path) {
        Ok(stat) => method_of(stat.filesystem_type().0 as u32),
        Err(e) => {
            tracing::warn!(path = %path.display(), "file system type unknown ({e}): inotify");
            Method::Inotify
        }
    }
}

/// The method for a file system of magic number `magic`.
fn method_of(magic: u32) -> Method {
    NETWORK
        .iter()
        .find(|(m, _)| *m == magic)
        .map_or(Method::Inotify, |&(_, name)| Method::Poll(name))
}

/// One served folder as [`Following`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The served folder's path, as it was shared.
    pub path: PathBuf,
    /// How its changes are found.
    pub method: Method,
    /// When its last poll ended (`None`: not polled yet, or not polled at all).
    pub last_poll: Option<SystemTime>,
}

/// How each served folder's changes are found now, by slot (as
/// [`crate::storage::Storage::roots`] numbers them), and the poll interval; written by
/// [`crate::live`], read by [`crate::bus`]. Holds one small entry per served folder.
#[derive(Debug, Default)]
pub struct Following {
    folders: Mutex<Vec<Option<Folder>>>,
    interval: Mutex<Duration>,
}

impl Following {
    /// Records that the folder at `path` in slot `slot` is followed by `method`.
    pub fn set(&self, slot: usize, path: &Path, method: Method) {
        let mut folders = self.folders.lock().unwrap_or_else(PoisonError::into_inner);
        if folders.len() <= slot {
            folders.resize(slot + 1, None);
        }
        if let Some(place) = folders.get_mut(slot) {
            *place = Some(Folder { path: path.to_path_buf(), method, last_poll: None });
        }
    }

    /// Forgets slot `slot` (its folder is no longer served).
    pub fn forget(&self, slot: usize) {
        let mut folders = self.folders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(place) = folders.get_mut(slot) {
            *place = None;
        }
    }

    /// Records that the folder in slot `slot` was polled, ending at `at`.
    pub fn polled(&self, slot: usize, at: SystemTime) {
        let mut folders = self.folders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(Some(folder)) = folders.get_mut(slot) {
            folder.last_poll = Some(at);
        }
    }

    /// Sets the poll interval shown.
    pub fn set_interval(&self, interval: Duration) {
        *self.interval.lock().unwrap_or_else(PoisonError::into_inner) = interval;
    }

    /// The poll interval.
    pub fn interval(&self) -> Duration {
        *self.interval.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The method of the folder in slot `slot` (`None`: no folder there).
    pub fn method(&self, slot: usize) -> Option<Method> {
        let folders = self.folders.lock().unwrap_or_else(PoisonError::into_inner);
        folders.get(slot).and_then(Option::as_ref).map(|f| f.method)
    }

    /// Every served folder, in slot order.
    pub fn folders(&self) -> Vec<Folder> {
        let folders = self.folders.lock().unwrap_or_else(PoisonError::into_inner);
        folders.iter().flatten().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_file_systems_are_polled_and_local_ones_watched() {
        assert_eq!(method_of(0x6969), Method::Poll("nfs"));
        assert_eq!(method_of(0xff53_4d42), Method::Poll("cifs"));
        assert_eq!(method_of(0x6573_5546), Method::Poll("fuse"));
        // ext4, tmpfs, btrfs, xfs.
        for local in [0xef53, 0x0102_1994, 0x9123_683e, 0x5846_5342] {
            assert_eq!(method_of(local), Method::Inotify);
        }
        // The test's temporary folder is on a local file system.
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(detect(dir.path()), Method::Inotify);
    }

    #[test]
    fn disks_and_memory_are_local_and_network_mounts_are_not() {
        use nix::sys::statfs::FsType;
        let kind = |magic: u32| FsType(magic as _);
        // ext4, xfs, btrfs, tmpfs.
        for local in [0xef53, 0x5846_5342, 0x9123_683e, 0x0102_1994] {
            assert!(is_local(kind(local)), "{local:#x}");
        }
        // Every network file system, and overlayfs (0x794c7630), proc (0x9fa0).
        for (magic, _) in NETWORK {
            assert!(!is_local(kind(magic)), "{magic:#x}");
        }
        assert!(!is_local(kind(0x794c_7630)));
        assert!(!is_local(kind(0x9fa0)));
    }

    #[test]
    fn folders_are_shown_in_slot_order_with_their_last_poll() {
        let following = Following::default();
        following.set(2, Path::new("/nas"), Method::Poll("nfs"));
        following.set(0, Path::new("/home/a/Music"), Method::Inotify);
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        following.polled(2, at);
        let folders = following.folders();
        assert_eq!(folders.len(), 2);
        assert_eq!(folders[0].method, Method::Inotify);
        assert_eq!(folders[1].last_poll, Some(at));
        following.forget(0);
        assert_eq!(following.method(0), None);
        assert_eq!(following.method(2), Some(Method::Poll("nfs")));
    }
}
