//! A global allocator for heap tests: counts the live heap bytes of each thread and their peak,
//! so tests running in parallel threads do not see each other's allocations.
//!
//! A test binary installs it with `#[global_allocator] static ALLOC: PeakAlloc = PeakAlloc;`,
//! calls [`mark`] before the code it measures, and reads [`live`], [`blocks`] and [`peak`] after.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The counting allocator (forwards to [`System`]).
pub struct PeakAlloc;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static BLOCKS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counters are const-initialised thread locals,
// which never allocate.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|l| {
            let live = l.get() + layout.size();
            l.set(live);
            let _ = PEAK.try_with(|p| p.set(p.get().max(live)));
        });
        let _ = BLOCKS.try_with(|b| b.set(b.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(layout.size())));
        let _ = BLOCKS.try_with(|b| b.set(b.get().saturating_sub(1)));
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Restarts this thread's peak tracking; returns its live bytes now (the baseline).
pub fn mark() -> usize {
    let live = live();
    PEAK.with(|p| p.set(live));
    live
}

/// This thread's live heap bytes.
pub fn live() -> usize {
    LIVE.with(Cell::get)
}

/// This thread's live heap blocks (each costs the system allocator a header and rounding).
pub fn blocks() -> usize {
    BLOCKS.with(Cell::get)
}

/// This thread's peak of live heap bytes since the last [`mark`].
pub fn peak() -> usize {
    PEAK.with(Cell::get)
}
