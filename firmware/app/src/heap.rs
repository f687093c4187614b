//! The heap budget, and an allocator wrapper that measures it.
//!
//! Every buffer the appliance keeps is sized at build time (`http::SlotBuffers`,
//! `ssdp::Buffers`, `events::Buffers`, the network stack's sockets), and so is the GENA
//! subscription table in the [`crate::Appliance`] (`rill_core::server::SUBSCRIPTIONS` slots,
//! about 15 KiB; the NOTIFYs are written into `events::Buffers`, never onto the heap); the heap
//! holds only what `rill-core` allocates, each part bounded:
//! - the library: [`crate::library::Capacity::objects`] objects;
//! - per transcoded stream, its Vorbis or FLAC reader, at most
//!   [`crate::appliance::Budget::stream_budget`] (refused with 503 beyond it), and the
//!   transcoder around it; at most [`crate::appliance::Budget::streams`] at once (503 beyond);
//! - per HTTP slot, one SOAP or description answer at a time, rendered into a buffer of its
//!   exact size, reserved fallibly: a SOAP answer larger than
//!   [`crate::appliance::Budget::answer_budget`], or one the heap cannot hold at that moment,
//!   gets 503 instead of the memory.
//!
//! Stream readers and SOAP answers allocate fallibly, so running out of heap costs a request
//! (503), not the board. What remains infallible is small (a transcoder's box, a description's
//! name); the arena a board configures leaves room for them above two streams, the library and
//! a large Browse page.
//!
//! [`Counted`] wraps the board's allocator and keeps the bytes in use and their high-water
//! mark, which the boards log and BENCHMARKS.md reports.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

/// A global allocator that counts what `A` hands out.
pub struct Counted<A> {
    inner: A,
    used: AtomicUsize,
    peak: AtomicUsize,
}

impl<A> Counted<A> {
    /// Wraps `inner`.
    pub const fn new(inner: A) -> Self {
        Counted { inner, used: AtomicUsize::new(0), peak: AtomicUsize::new(0) }
    }

    /// The allocator wrapped.
    pub fn inner(&self) -> &A {
        &self.inner
    }

    /// Bytes allocated now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// The most bytes allocated at once since boot (or the last [`Counted::reset_peak`]).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Starts a new high-water measurement from what is in use now.
    pub fn reset_peak(&self) {
        self.peak.store(self.used(), Ordering::Relaxed);
    }

    fn add(&self, n: usize) {
        // Single core; a load/store pair would do, but fetch_add is as cheap on Cortex-M4.
        let now = self.used.fetch_add(n, Ordering::Relaxed) + n;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to `inner` unchanged; only successful allocations are
// counted, with the size of their layout. Not inlined: each allocating call site would get a
// copy of the counting (flash; an allocation is rare next to the work around it).
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counted<A> {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { self.inner.alloc(layout) };
        if !p.is_null() {
            self.add(layout.size());
        }
        p
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.inner.dealloc(ptr, layout) };
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            self.used.fetch_sub(layout.size(), Ordering::Relaxed);
            self.add(new_size);
        }
        p
    }
}
