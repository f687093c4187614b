//! Shared pieces of the Opus rendition tests: Rill's linear decode checked against libopusfile,
//! and the tolerance of a seek while the decoder converges.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::Cursor;

use embedded_io_adapters::std::FromStd;
use rill::opus::LibOpus;
use rill_core::media::opus_file::OpusFile;
use rill_tests::opus_corpus::{quality, Signal, Spec};
use rill_tests::rendition::f32_to_16;

/// A quarter of full scale, in 16-bit steps: how far a sample may be off while the decoder
/// converges after a seek (issue 13, item 2).
pub const TOLERANCE: i32 = 8192;

/// Frames after a seek from which a CELT stream's samples are identical (0.5 s).
pub const CONVERGED: u64 = 24_000;

/// Frames after a seek from which samples must be identical: CELT (music) streams only (SILK
/// may take over a second to converge).
pub fn converged(spec: &Spec) -> Option<u64> {
    (spec.signal == Signal::Music).then_some(CONVERGED)
}

/// Rill's linear decode of `spec` ([`OpusFile`] over libopus) as 16-bit samples in Vorbis
/// order, rounded as the renditions promise, after checking its float decode against
/// libopusfile's (`opusdec --float --rate 48000`): the same length, `opus_compare` quality at
/// least 0.
pub fn checked_decode(spec: &Spec) -> Vec<i16> {
    let reference = spec.reference();
    let file = FromStd::new(Cursor::new(spec.bytes()));
    let mut f = OpusFile::open(file, LibOpus::new()).expect("open as Opus");
    let mut pcm = Vec::new();
    let mut buf = vec![0.0f32; 8 * 4096];
    loop {
        let n = f.read_f32(&mut buf).expect("decode");
        if n == 0 {
            break;
        }
        pcm.extend_from_slice(&buf[..n * usize::from(f.channels())]);
    }
    assert_eq!(pcm.len(), reference.len(), "{}: length against libopusfile", spec.name());
    let q = quality(&reference, &pcm, usize::from(spec.channels));
    assert!(q >= 0.0, "{}: opus_compare quality {q}", spec.name());
    pcm.into_iter().map(f32_to_16).collect()
}
