//! The allocators of a long-running server whose library is built in bursts (the first scan,
//! the index load and its check, the index writer catching up), tuned for resident memory.
//!
//! The `rill` binary allocates Rust memory with jemalloc ([`Allocator`], declared in
//! `main.rs`): after a first scan of 100,000 files its resident memory is about 8 MiB below
//! glibc's malloc holding the same live blocks (BENCHMARKS.md, "Library at scale"), because
//! jemalloc keeps small blocks of one size together in pages, with no header each, so the scan's
//! temporary buffers and queued index rows, once freed, leave whole pages empty instead of
//! holes between the library's blocks. Its options ([`JEMALLOC_CONF`]): one arena (the
//! threads mostly wait; each still caches a few blocks), and pages freed for a second given
//! back to the system at once (`MADV_DONTNEED`: no lazy `MADV_FREE` pages that still count
//! as resident until the kernel wants them). Without a background thread jemalloc gives pages
//! back only while it is called, so [`trim`] purges them when a burst is over.
//!
//! The C code in the process (SQLite, the C library) keeps glibc's malloc: [`one_arena`]
//! gives it one arena for all threads (by default glibc gives every thread that allocates an
//! arena of its own, each holding on to what was freed in it), and [`trim`] gives its free
//! pages back too (`malloc_trim` returns free pages in the middle of the heap, not only at its
//! top). On other C libraries those two are no-ops. Integration tests that link the library
//! keep the system allocator; [`trim`] is harmless there.

use std::ptr;

/// The allocator of the `rill` binary (its `#[global_allocator]`): jemalloc.
pub type Allocator = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read at its first allocation (see the module docs): one arena; freed
/// pages given back after at most a second of disuse, and given back with `MADV_DONTNEED`
/// (`muzzy_decay_ms:0`) so that what is freed leaves the resident set.
pub const JEMALLOC_CONF: &[u8] = b"narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// One malloc arena for glibc's allocator, which the C code uses. Call first thing in `main`,
/// before any other thread.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn one_arena() {
    // SAFETY: mallopt sets an allocator parameter and has no preconditions; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Other C libraries: nothing to tune.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn one_arena() {}

/// Gives the free memory of both allocators back to the system: called when a burst of work
/// that freed much is over (the library filled, the index written).
#[allow(unsafe_code)]
pub fn trim() {
    // jemalloc's `arena.<i>.purge` with `MALLCTL_ARENAS_ALL` (4096): every arena's unused
    // pages, at once rather than as they age.
    // SAFETY: the name is NUL-terminated and this control reads and writes nothing, so all
    // the pointers are null and the length 0, as `mallctl` requires for it.
    let purged = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            0,
        )
    };
    if purged != 0 {
        tracing::debug!(error = purged, "jemalloc purge failed");
    }
    trim_libc();
}

/// glibc: gives the free pages at the top and in the middle of its heap back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim_libc() {
    // SAFETY: malloc_trim has no preconditions; it takes the allocator's own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other C libraries: nothing to give back.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_libc() {}
