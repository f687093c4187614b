//! Whether a span of a file can be sent without waiting for its storage: all of it is in the
//! page cache, on a file system that can say so without blocking.
//!
//! [`crate::connection`] sends such a span with `sendfile(2)` right on the async worker, and
//! only a span that may have to be read from the disk or a mount (or one this cannot tell)
//! through a place of the [`pool`](crate::pool), whose hand-over costs far more than the send of
//! a cached span (see the pool's docs). Two calls, neither of which reads the file's storage:
//!
//! 1. `preadv2(2)` of one byte at the span's start with `RWF_NOWAIT`: it succeeds only on a file
//!    system that supports reads that never block (local disks and tmpfs; FUSE and NFS refuse it
//!    with `EOPNOTSUPP`, since even their cached pages may need a round trip to revalidate) and
//!    only if that page is cached;
//! 2. `cachestat(2)` (Linux 6.5) over the span: how many of its pages are cached, all of which
//!    must be. On an older kernel (`ENOSYS`) every span counts as one that may block.
//!
//! A page evicted between the look and the send is read by `sendfile` on the worker: a rare
//! wait of one disk read, never one on a dead mount (those fail the first test).

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
    use std::io::Write;

    use super::*;

    /// A sparse file's pages are not cached (nothing was read or written there); once
    /// written, they are, and reads of them need no I/O.
    #[test]
    fn written_pages_are_held_and_holes_are_not() {
        const LEN: u64 = 1 << 20;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let f = File::create(&path).unwrap();
        f.set_len(LEN).unwrap();
        let f = File::options().read(true).write(true).open(&path).unwrap();
        assert!(!holds(&f, 0, LEN));
        assert!(!holds(&f, 4096, 1));
        (&f).write_all(&[7u8; 64 << 10]).unwrap();
        assert!(holds(&f, 0, 64 << 10));
        assert!(holds(&f, 4095, 2), "two pages");
        assert!(!holds(&f, 0, (64 << 10) + 1), "one byte of a hole");
        assert!(!holds(&f, 0, 0), "an empty span is not worth a look");
        assert!(!holds(&f, LEN, 1), "past the end");
    }
}
