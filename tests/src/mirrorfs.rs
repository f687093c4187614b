//! A FUSE file system that shows a folder of the test's, read-only, as a network mount shows
//! a server's: the test changes the folder itself (not through the mount), so the kernel
//! serving the mount hears of nothing and inotify on the mount reports nothing, as with a
//! file changed on a NAS by another machine. Names and attributes are never cached (a zero
//! time to live), so each lookup through the mount sees the folder as it is now, with its
//! real sizes and modification times (folders' too).
//!
//! Like [`crate::hangfs`] it is mounted inside `unshare -rnm`
//! ([`crate::renderer::netns::isolated_with_mounts`]), served by a background thread of the
//! test process, and unmounted when dropped. Inode numbers are the mount's own, one per path
//! seen, kept for the mount's life (a file replaced under the same name keeps its number).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use fuser::{
    BackgroundSession, FileAttr, FileType, Filesystem, MountOption, ReplyAttr, ReplyData,
    ReplyDirectory, ReplyEntry, ReplyOpen, Request,
};

/// Names and attributes are looked up again every time.
const TTL: Duration = Duration::ZERO;

/// The file system: the source folder, and the path of each inode handed out.
struct MirrorFs {
    source: PathBuf,
    /// Inode `n` is `paths[n - 1]` (relative to the source; inode 1, FUSE's root, is `""`).
    paths: Vec<PathBuf>,
    inodes: HashMap<PathBuf, u64>,
}

/// The errno of an I/O error (`EIO` if it has none).
fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(nix::libc::EIO)
}

impl MirrorFs {
    fn path(&self, ino: u64) -> Option<&PathBuf> {
        self.paths.get(usize::try_from(ino).ok()?.checked_sub(1)?)
    }

    /// The inode of `rel`, handed out on first sight.
    fn inode(&mut self, rel: PathBuf) -> u64 {
        if let Some(&ino) = self.inodes.get(&rel) {
            return ino;
        }
        self.paths.push(rel.clone());
        let ino = self.paths.len() as u64;
        self.inodes.insert(rel, ino);
        ino
    }

    fn attr(ino: u64, meta: &Metadata) -> FileAttr {
        let kind = if meta.is_dir() { FileType::Directory } else { FileType::RegularFile };
        let time = |secs: i64, nsecs: i64| {
            UNIX_EPOCH + Duration::new(secs.max(0) as u64, nsecs.clamp(0, 999_999_999) as u32)
        };
        FileAttr {
            ino,
            size: meta.len(),
            blocks: meta.blocks(),
            atime: time(meta.atime(), meta.atime_nsec()),
            mtime: time(meta.mtime(), meta.mtime_nsec()),
            ctime: time(meta.ctime(), meta.ctime_nsec()),
            crtime: UNIX_EPOCH,
            kind,
            // Read-only for everyone: the mount is a view.
            perm: if meta.is_dir() { 0o555 } else { 0o444 },
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        }
    }

    /// The metadata of what inode `ino` names now.
    fn meta(&self, ino: u64) -> io::Result<Metadata> {
        let rel = self.path(ino).ok_or_else(|| io::Error::from_raw_os_error(nix::libc::ENOENT))?;
        std::fs::symlink_metadata(self.source.join(rel))
    }
}

impl Filesystem for MirrorFs {
    fn lookup(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEntry) {
        let Some(rel) = self.path(parent).map(|p| p.join(name)) else {
            return reply.error(nix::libc::ENOENT);
        };
        match std::fs::symlink_metadata(self.source.join(&rel)) {
            Ok(meta) if meta.is_dir() || meta.is_file() => {
                let ino = self.inode(rel);
                reply.entry(&TTL, &Self::attr(ino, &meta), 0);
            }
            Ok(_) => reply.error(nix::libc::ENOENT),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn getattr(&mut self, _req: &Request<'_>, ino: u64, _fh: Option<u64>, reply: ReplyAttr) {
        match self.meta(ino) {
            Ok(meta) => reply.attr(&TTL, &Self::attr(ino, &meta)),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn open(&mut self, _req: &Request<'_>, ino: u64, _flags: i32, reply: ReplyOpen) {
        match self.meta(ino) {
            Ok(meta) if meta.is_file() => reply.opened(0, 0),
            Ok(_) => reply.error(nix::libc::EISDIR),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn read(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        _fh: u64,
        offset: i64,
        size: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyData,
    ) {
        let Some(path) = self.path(ino).map(|rel| self.source.join(rel)) else {
            return reply.error(nix::libc::ENOENT);
        };
        let mut buf = vec![0u8; size as usize];
        let offset = u64::try_from(offset).unwrap_or(0);
        match std::fs::File::open(path).and_then(|f| f.read_at(&mut buf, offset)) {
            Ok(n) => reply.data(&buf[..n]),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn readdir(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        _fh: u64,
        offset: i64,
        reply: ReplyDirectory,
    ) {
        let Some(rel) = self.path(ino).cloned() else { return reply.error(nix::libc::ENOENT) };
        let listing = match std::fs::read_dir(self.source.join(&rel)) {
            Ok(listing) => listing,
            Err(e) => return reply.error(errno(&e)),
        };
        let mut entries =
            vec![(ino, FileType::Directory, ".".into()), (ino, FileType::Directory, "..".into())];
        let mut names: Vec<_> = listing.flatten().collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let kind = match entry.file_type() {
                Ok(t) if t.is_dir() => FileType::Directory,
                Ok(t) if t.is_file() => FileType::RegularFile,
                _ => continue,
            };
            let child = self.inode(rel.join(entry.file_name()));
            entries.push((child, kind, entry.file_name()));
        }
        crate::hangfs::reply_entries(reply, offset, &entries);
    }
}

/// A mounted `MirrorFs`; unmounted when dropped.
pub struct Mirror {
    _session: BackgroundSession,
}

impl Mirror {
    /// Mounts a read-only view of the folder `source` at `at` (which must exist).
    pub fn mount(source: &Path, at: &Path) -> io::Result<Mirror> {
        let fs = MirrorFs {
            source: source.to_path_buf(),
            paths: vec![PathBuf::new()],
            inodes: HashMap::from([(PathBuf::new(), fuser::FUSE_ROOT_ID)]),
        };
        let options = [MountOption::RO, MountOption::FSName("rill-mirror".into())];
        Ok(Mirror { _session: fuser::spawn_mount2(fs, at, &options)? })
    }
}
