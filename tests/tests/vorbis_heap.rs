//! Peak heap of one stream: a [`VorbisFile`] opened on a 44.1 kHz stereo q5 file and read to
//! the end (demuxer buffers, setup, decoder, comment and link table) stays within 64 KiB, and
//! what it reports as held bounds what it allocated.

mod ogg_util;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ogg_util::Mem;
use rill_core::media::vorbis_file::VorbisFile;
use rill_tests::corpus::Spec;

/// Counts live heap bytes of each thread and their peak, so parallel tests do not interfere.
struct PeakAlloc;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
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
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(layout.size())));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Restarts peak tracking; returns the live bytes now (the baseline).
fn mark() -> usize {
    let live = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(live));
    live
}

#[test]
fn q5_stereo_stream_peaks_within_64_kib() {
    let spec = Spec { frames: 44_100 * 30, ..Spec::stereo(5) };
    let file = spec.bytes();
    let want = spec.oggdec_i16();
    let src = Mem::new(file);
    let _shared = src.clone(); // the file's bytes outlive the reader
    let mut buf = vec![0i16; 2 * 4096];
    let base = mark();
    let mut f = VorbisFile::open(src).expect("open");
    let (mut at, mut differ) = (0, 0);
    loop {
        let n = f.read_i16(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        for (&got, &w) in buf[..2 * n].iter().zip(want.get(at..).unwrap_or(&[])) {
            assert!((i32::from(got) - i32::from(w)).abs() <= 1, "sample {at}: {got} vs {w}");
            differ += usize::from(got != w);
        }
        at += 2 * n;
    }
    let held = LIVE.with(Cell::get) - base;
    let peak = PEAK.with(Cell::get) - base;
    let reported = f.heap_bytes();
    drop(f);
    let leaked = LIVE.with(Cell::get) - base;
    eprintln!("peak {peak} bytes, holding {held}, reporting {reported}");
    assert_eq!(leaked, 0, "everything freed");
    assert_eq!(at, want.len(), "whole file decoded");
    assert!(differ * 1000 <= want.len(), "{differ} of {} samples differ", want.len());
    assert!(held <= reported, "reported heap {reported} bounds the heap held {held}");
    assert!(peak <= 64 * 1024, "peak heap {peak} bytes (holding {held})");
}
