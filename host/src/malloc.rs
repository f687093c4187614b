//! Tuning of glibc's allocator for a long-running server whose library is built in bursts
//! (the first scan, the index load and its check, the index writer catching up).
//!
//! By default glibc gives every thread that allocates an arena of its own (up to eight per
//! core), each holding on to the memory freed in it: for a server whose threads mostly wait,
//! one shared arena (each thread still caches small blocks) keeps the resident size down by
//! several hundred KB. A burst frees lists, buffers and queued index rows that sat between the
//! library's own blocks; [`trim`] gives the whole free pages among them back to the system
//! (`malloc_trim` returns free pages in the middle of the heap too, not only at its top).
//! On other C libraries both are no-ops.

/// One malloc arena for all threads. Call first thing in `main`, before any other thread.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn one_arena() {
    // SAFETY: mallopt sets an allocator parameter and has no preconditions; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Gives the free memory at the top and in the middle of the heap back to the system: called
/// when a burst of work that freed much is over (the library filled, the index written).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn trim() {
    // SAFETY: malloc_trim has no preconditions; it takes the allocator's own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other C libraries: nothing to tune.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn one_arena() {}

/// Other C libraries: nothing to give back.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim() {}
