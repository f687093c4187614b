//! Whether a span of a file can be sent without waiting for its storage: all of it is in the
//! page cache, on a file system that can say so without blocking.
//!
//! [`crate::connection`] sends such a span with `sendfile(2)` right on the async worker, and
//! only a span that may have to be read from the disk or a mount (or one this cannot tell)
//! through a place of the [`pool`](crate::pool), whose hand-over costs far more than the send of
//! a cached span (see the pool's docs). Two calls, neither of which reads the file's storage:
//!
//! 1. `preadv2(2)` of one byte at the span's start with `RWF_NOWAIT`: it succeeds only on a file
//!    system that supports reads that never block (ext4, XFS, Btrfs; FUSE, NFS and tmpfs refuse
//!    it with `EOPNOTSUPP`, FUSE and NFS since even their cached pages may need a round trip to
//!    revalidate) and only if that page is cached or needs no I/O to be (a hole, which the read
//!    fills with zeroes). On an uncached page it fails with `EAGAIN`, having started the
//!    readahead that the send from the pool then finds under way;
//! 2. `cachestat(2)` (Linux 6.5) over the span: how many of its pages are cached, all of which
//!    must be. On an older kernel (`ENOSYS`) every span counts as one that may block.
//!
//! A page evicted between the look and the send is read by `sendfile` on the worker: a rare
//! wait of one disk read, never one on a dead mount (those fail the first test). Files on a
//! file system that refuses the first test (tmpfs included) always go through the pool.

#![allow(unsafe_code)] // two system calls without a safe wrapper; each call's contract is stated where it is made

use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::OnceLock;

/// Whether all of the `len` bytes of `file` from `offset` on are in the page cache, on a file
/// system that reads them without blocking (see the module docs). `false` when in doubt.
pub fn holds(file: &File, offset: u64, len: u64) -> bool {
    len > 0 && reads_without_blocking(file, offset) && all_cached(file, offset, len)
}

/// Step 1 of the module docs: one byte at `offset`, read only if it needs no I/O.
fn reads_without_blocking(file: &File, offset: u64) -> bool {
    let Ok(offset) = libc::off_t::try_from(offset) else { return false };
    let mut byte = 0u8;
    let iov = libc::iovec { iov_base: std::ptr::from_mut(&mut byte).cast(), iov_len: 1 };
    // SAFETY: `iov` describes one writable byte that outlives the call, and `file` keeps its
    // descriptor open for the call.
    let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, offset, libc::RWF_NOWAIT) };
    n == 1
}

/// `cachestat(2)`'s number, the same on every Linux architecture (the libc crate does not
/// name it on all of them).
const SYS_CACHESTAT: libc::c_long = 451;

/// Step 2 of the module docs: every page of the span is cached.
fn all_cached(file: &File, offset: u64, len: u64) -> bool {
    let page = page_size();
    let Some(last) = len.checked_sub(1).and_then(|l| offset.checked_add(l)) else { return false };
    let pages = last / page - offset / page + 1;
    // `struct cachestat_range` of `<linux/mman.h>`: offset and length.
    let range: [u64; 2] = [offset, len];
    // `struct cachestat`: pages cached, dirty, under writeback, evicted, recently evicted.
    let mut stat = [0u64; 5];
    // SAFETY: `range` and `stat` have the layout of the kernel's structs (`u64` fields only),
    // live for the call, and `stat` is writable; flags must be 0; `file` keeps its descriptor
    // open.
    let r = unsafe {
        libc::syscall(SYS_CACHESTAT, file.as_raw_fd(), range.as_ptr(), stat.as_mut_ptr(), 0)
    };
    r == 0 && stat[0] >= pages
}

/// The page size, asked once.
fn page_size() -> u64 {
    static PAGE: OnceLock<u64> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        u64::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileExt;

    use super::*;

    /// Pages written are held; once written back and dropped from the page cache they are not,
    /// and the look itself does not wait for them; read again, they are held again. The file
    /// lies beside the test executable, on the disk the build is on: `/tmp` may be a tmpfs,
    /// which refuses `RWF_NOWAIT`, so nothing there is ever held.
    #[test]
    fn cached_pages_are_held_and_dropped_ones_are_not() {
        const LEN: u64 = 4 << 20;
        let exe = std::env::current_exe().unwrap();
        let dir = tempfile::tempdir_in(exe.parent().unwrap()).unwrap();
        let f = File::options().read(true).write(true).create_new(true).open(dir.path().join("f"));
        let f = f.unwrap();
        let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        f.write_all_at(&data, 0).unwrap();
        assert!(holds(&f, 0, LEN), "written pages are in the page cache");
        assert!(holds(&f, 4095, 2), "two pages");
        assert!(!holds(&f, 0, 0), "an empty span is not worth a look");
        assert!(!holds(&f, LEN, 1), "past the end");
        assert!(!holds(&f, 0, LEN + 1), "one byte past the end");

        // Written back, then dropped: cachestat sees no page, and the look at the last page
        // (which starts its readahead) does not wait for it.
        f.sync_all().unwrap();
        let fd = f.as_raw_fd();
        // SAFETY: `f` keeps `fd` open for the call; no memory is passed.
        let r = unsafe { libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(r, 0);
        let last = LEN - 4096;
        assert!(!all_cached(&f, 0, LEN), "dropped pages are not cached");
        assert!(!holds(&f, last, 4096), "a dropped page is not held");

        let mut back = vec![0u8; data.len()];
        f.read_exact_at(&mut back, 0).unwrap();
        assert!(back == data);
        assert!(holds(&f, 0, LEN), "read again, every page is held");
    }

    /// A span no call has touched has no page in the cache, on any file system.
    #[test]
    fn a_hole_never_touched_is_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let f = File::create(dir.path().join("sparse")).unwrap();
        f.set_len(1 << 20).unwrap();
        assert!(!all_cached(&f, 0, 1 << 20));
        assert!(!all_cached(&f, 4096, 1));
    }
}
