//! Heap of one FLAC stream (the bound in `rill_core::media::flac`'s module docs): a
//! [`FlacFile`] opened on a `flac`-made file and read to the end, its samples compared with
//! `flac -d`'s, allocates no more at its peak than it reports holding, holds no more than the
//! documented sum (one frame of samples, an input buffer of twice STREAMINFO's largest frame,
//! the seek table and the comment block), frees it all, and stays within 64 KiB for 16-bit
//! 44.1 kHz stereo and 96 KiB for 24-bit 96 kHz stereo (4096-sample blocks).

mod ogg_util;

use ogg_util::Mem;
use rill_core::media::flac::FlacFile;
use rill_tests::flac_corpus::Spec;
use rill_tests::peak_alloc::{live, mark, peak, PeakAlloc};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Opens `spec`'s file, reads it all, checks the samples and the heap; `cap` bounds the peak.
fn check(spec: &Spec, cap: usize) {
    let want = spec.reference();
    let src = Mem::new(spec.bytes());
    let _shared = src.clone(); // the file's bytes outlive the reader
    let ch = usize::from(spec.channels);
    let mut buf = vec![0i32; ch * 4096];
    let base = mark();
    let mut f = FlacFile::open(src).expect("open");
    let mut at = 0;
    loop {
        let n = f.read_i32(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        assert!(buf[..n * ch] == want[at..at + n * ch], "samples {at}.. differ from flac -d");
        at += n * ch;
    }
    assert_eq!(at, want.len(), "whole file decoded");
    let held = live() - base;
    let peak = peak() - base;
    let reported = f.heap_bytes();
    let info = *f.stream_info();
    assert!(
        f.comments().is_some() && info.max_frame > 0,
        "flac writes a comment, the largest frame"
    );
    drop(f);
    let leaked = live() - base;
    eprintln!("{}: peak {peak} bytes, holding {held}, reporting {reported}", spec.name());
    assert_eq!(leaked, 0, "everything freed");
    assert!(peak <= reported, "reported heap {reported} bounds the peak {peak}");
    // The documented sum; the comment block and seek table of a `flac`-made file are small
    // (the vendor string, a point every 10 s).
    let samples = usize::from(info.max_block) * ch * 4;
    let input = 2 * info.max_frame as usize;
    assert!(
        reported <= samples + input + 1024,
        "held {reported} > samples {samples} + input {input} + 1 KiB of comment and seek table"
    );
    assert!(peak <= cap, "peak heap {peak} bytes over {cap}");
}

#[test]
fn cd_stereo_stream_peaks_within_64_kib() {
    check(&Spec { frames: 44_100 * 20, ..Spec::cd(&["-5"]) }, 64 * 1024);
}

#[test]
fn hires_stereo_stream_peaks_within_96_kib() {
    let spec = Spec { bits: 24, rate: 96_000, frames: 96_000 * 10, ..Spec::cd(&["-8"]) };
    check(&spec, 96 * 1024);
}
