//! Peak heap of one stream: a [`VorbisFile`] opened on a 44.1 kHz stereo q5 file and read to
//! the end (demuxer buffers, setup, decoder, comment and link table) stays within its documented
//! bound, and what it reports as held bounds what it allocated.

mod ogg_util;

use ogg_util::Mem;
use rill_core::media::vorbis_file::VorbisFile;
use rill_tests::corpus::Spec;
use rill_tests::peak_alloc::{live, mark, peak, PeakAlloc};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// The documented bound: 64 KiB (what the boards budget), plus on 64-bit hosts the inverse MDCT's
/// scratch of half a long block of floats (2048 / 2 * 4 bytes here), the price of its vectorised
/// FFT.
const BOUND: usize = 64 * 1024 + if cfg!(target_pointer_width = "64") { 2048 / 2 * 4 } else { 0 };

#[test]
fn q5_stereo_stream_peaks_within_its_bound() {
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
    let held = live() - base;
    let peak = peak() - base;
    let reported = f.heap_bytes();
    drop(f);
    let leaked = live() - base;
    eprintln!("peak {peak} bytes, holding {held}, reporting {reported}");
    assert_eq!(leaked, 0, "everything freed");
    assert_eq!(at, want.len(), "whole file decoded");
    assert!(differ * 1000 <= want.len(), "{differ} of {} samples differ", want.len());
    assert!(held <= reported, "reported heap {reported} bounds the heap held {held}");
    assert!(peak <= BOUND, "peak heap {peak} bytes (holding {held})");
}
