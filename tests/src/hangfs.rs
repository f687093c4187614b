//! A FUSE file system the test controls, for the tests of a server whose disk hangs: one folder
//! holding one read-only file, whose reads answer at once until [`Mounted::hang`], then wait,
//! each parked with its offset, until [`Mounted::release`]; and whose opens, likewise, wait
//! from [`Mounted::hang_opens`] on. It stands for a network mount that stopped answering.
//!
//! Mounting needs `/dev/fuse` and the right to mount: a test runs it inside `unshare -rnm` (see
//! [`crate::renderer::netns::isolated_with_mounts`]), where it is root of its own user and mount
//! namespaces, and the kernel lets it mount FUSE directly (no `fusermount`). The file system is
//! served by a background thread of the test process, which never blocks: a hung read is a
//! parked reply, so the test can list, release and unmount while reads wait.
//!
//! The kernel keeps the file's pages across opens (`FOPEN_KEEP_CACHE`: otherwise each open
//! would wait for the pages of a hung read to drop them, and opens would hang too), and
//! [`Mounted::hang`] drops them, so what the scanner read before does not hide the hang.
//!
//! A test that fails while reads hang must not leave them hanging: the process could not exit
//! (its threads wait in the kernel for the file system it serves), so dropping a [`Mounted`]
//! releases them first.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use fuser::{
    BackgroundSession, FileAttr, FileType, Filesystem, KernelConfig, MountOption, ReplyAttr,
    ReplyData, ReplyDirectory, ReplyEntry, ReplyOpen, Request,
};

/// How long the kernel may keep names and attributes: they never change.
const TTL: Duration = Duration::from_secs(3600);
/// The folder's inode (FUSE's root).
const ROOT: u64 = fuser::FUSE_ROOT_ID;
/// The file's inode.
const FILE: u64 = 2;

/// Reads the kernel may have waiting at the file system at once.
const MAX_BACKGROUND: u16 = 256;

/// Reads held while hanging: the read's offset, and its reply.
type Parked = Vec<(u64, u32, ReplyData)>;

/// What the test and the file system thread share.
#[derive(Default)]
struct Gate {
    /// `Some` while reads hang, with the reads waiting.
    parked: Option<Parked>,
    /// `Some` while opens hang, with the opens waiting.
    opens: Option<Vec<ReplyOpen>>,
}

/// The file system: one file in the root folder.
struct HangFs {
    name: String,
    data: Arc<Vec<u8>>,
    gate: Arc<Mutex<Gate>>,
}

fn lock(gate: &Mutex<Gate>) -> MutexGuard<'_, Gate> {
    gate.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HangFs {
    fn attr(&self, ino: u64) -> FileAttr {
        let (kind, perm, size) = if ino == ROOT {
            (FileType::Directory, 0o555, 0)
        } else {
            (FileType::RegularFile, 0o444, self.data.len() as u64)
        };
        FileAttr {
            ino,
            size,
            blocks: size.div_ceil(512),
            atime: UNIX_EPOCH,
            mtime: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            ctime: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            crtime: UNIX_EPOCH,
            kind,
            perm,
            nlink: if ino == ROOT { 2 } else { 1 },
            uid: 0,
            gid: 0,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        }
    }
}

impl Filesystem for HangFs {
    fn init(
        &mut self,
        _req: &Request<'_>,
        config: &mut KernelConfig,
    ) -> Result<(), nix::libc::c_int> {
        // Every stream's reads must reach the file system however many wait: past the
        // kernel's default of 12 reads in the background, the next would wait in the kernel.
        let _ = config.set_max_background(MAX_BACKGROUND);
        let _ = config.set_congestion_threshold(MAX_BACKGROUND);
        Ok(())
    }

    fn lookup(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEntry) {
        if parent == ROOT && name == OsStr::new(&self.name) {
            reply.entry(&TTL, &self.attr(FILE), 0);
        } else {
            reply.error(nix::libc::ENOENT);
        }
    }

    fn getattr(&mut self, _req: &Request<'_>, ino: u64, _fh: Option<u64>, reply: ReplyAttr) {
        match ino {
            ROOT | FILE => reply.attr(&TTL, &self.attr(ino)),
            _ => reply.error(nix::libc::ENOENT),
        }
    }

    fn open(&mut self, _req: &Request<'_>, ino: u64, _flags: i32, reply: ReplyOpen) {
        if ino != FILE {
            return reply.error(nix::libc::EISDIR);
        }
        match &mut lock(&self.gate).opens {
            Some(opens) => opens.push(reply),
            None => opened(reply),
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
        if ino != FILE {
            return reply.error(nix::libc::EISDIR);
        }
        let offset = u64::try_from(offset).unwrap_or(0);
        let mut gate = lock(&self.gate);
        match &mut gate.parked {
            Some(parked) => parked.push((offset, size, reply)),
            None => reply.data(span(&self.data, offset, size)),
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
        if ino != ROOT {
            return reply.error(nix::libc::ENOTDIR);
        }
        let entries = [
            (ROOT, FileType::Directory, "."),
            (ROOT, FileType::Directory, ".."),
            (FILE, FileType::RegularFile, self.name.as_str()),
        ];
        crate::hangfs::reply_entries(reply, offset, &entries);
    }
}

/// A mounted `HangFs`; unmounted when dropped (release first, or hung reads fail then).
pub struct Mounted {
    gate: Arc<Mutex<Gate>>,
    data: Arc<Vec<u8>>,
    session: BackgroundSession,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        // Unmounting with reads still waiting would leave their threads stuck.
        self.release();
    }
}

impl Mounted {
    /// Mounts a folder at `at` (which must exist) holding one file `name` with `data`.
    pub fn mount(at: &Path, name: &str, data: Vec<u8>) -> std::io::Result<Mounted> {
        let gate = Arc::new(Mutex::new(Gate::default()));
        let data = Arc::new(data);
        let fs = HangFs { name: name.into(), data: Arc::clone(&data), gate: Arc::clone(&gate) };
        let options = [MountOption::RO, MountOption::FSName("rill-hang".into())];
        let session = fuser::spawn_mount2(fs, at, &options)?;
        Ok(Mounted { gate, data, session })
    }

    /// From now on, reads wait until [`Mounted::release`]; the pages the kernel cached are
    /// dropped, so every read of the file from here on waits.
    pub fn hang(&self) -> std::io::Result<()> {
        let mut gate = lock(&self.gate);
        if gate.parked.is_none() {
            gate.parked = Some(Vec::new());
        }
        drop(gate);
        // Offset 0, length 0: every page.
        self.session.notifier().inval_inode(FILE, 0, 0)
    }

    /// The offsets of the reads waiting now.
    pub fn waiting(&self) -> Vec<u64> {
        let gate = lock(&self.gate);
        gate.parked.iter().flatten().map(|(offset, ..)| *offset).collect()
    }

    /// From now on, opens of the file wait until [`Mounted::release`] (the name stays known:
    /// only the open itself waits, as on a server that stopped answering).
    pub fn hang_opens(&self) {
        lock(&self.gate).opens.get_or_insert_with(Vec::new);
    }

    /// How many opens wait now.
    pub fn opens_waiting(&self) -> usize {
        lock(&self.gate).opens.as_ref().map_or(0, Vec::len)
    }

    /// Answers every waiting open and read, and lets later ones through at once.
    pub fn release(&self) {
        let (parked, opens) = {
            let mut gate = lock(&self.gate);
            (gate.parked.take(), gate.opens.take())
        };
        opens.into_iter().flatten().for_each(opened);
        for (offset, size, reply) in parked.into_iter().flatten() {
            reply.data(span(&self.data, offset, size));
        }
    }

    /// Waits until reads wait at every offset `wanted` says is waited at, at most `limit`;
    /// returns the offsets waited at then.
    pub fn wait_for(&self, limit: Duration, wanted: impl Fn(&[u64]) -> bool) -> Vec<u64> {
        until(limit, || self.waiting(), |waiting| wanted(waiting))
    }

    /// Waits until at least `n` opens wait, at most `limit`; returns how many wait then.
    pub fn wait_for_opens(&self, limit: Duration, n: usize) -> usize {
        until(limit, || self.opens_waiting(), |&waiting| waiting >= n)
    }
}

/// What `now` gives once `done` holds of it, or once `limit` has passed.
fn until<T>(limit: Duration, now: impl Fn() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let seen = now();
        if done(&seen) || std::time::Instant::now() > deadline {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Answers an open of the file: its pages stay cached across opens (see the module docs).
fn opened(reply: ReplyOpen) {
    reply.opened(0, fuser::consts::FOPEN_KEEP_CACHE);
}

/// The bytes of `data` a read of `size` at `offset` returns.
fn span(data: &[u8], offset: u64, size: u32) -> &[u8] {
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
    let end = start.saturating_add(size as usize).min(data.len());
    &data[start..end]
}

/// Answers a `readdir` from `offset` on with `entries` (inode, type, name), as many as the
/// reply buffer takes; each entry's offset is its index plus one, where the next call resumes.
/// Shared by the test file systems ([`crate::mirrorfs`] too).
pub(crate) fn reply_entries<N: AsRef<std::ffi::OsStr>>(
    mut reply: ReplyDirectory,
    offset: i64,
    entries: &[(u64, FileType, N)],
) {
    for (i, (ino, kind, name)) in
        entries.iter().enumerate().skip(usize::try_from(offset).unwrap_or(0))
    {
        if reply.add(*ino, i as i64 + 1, *kind, name) {
            break;
        }
    }
    reply.ok();
}
