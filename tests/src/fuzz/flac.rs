//! `flac`: native and Ogg FLAC files through [`FlacFile`].
//!
//! Input: a file (any bytes). It is opened within a 4 MiB budget, read to the end with
//! [`FlacFile::read_i32`], then sought to a frame chosen from the input's checksum (anywhere
//! from the start to just past the end) and read a little further, once more with
//! [`FlacFile::read_i16`].
//!
//! Decoding work is bounded by [`MAX_SAMPLES`] per input: a 49-byte frame of constant
//! subframes can stand for half a million samples, which is slow but not a bug.

use rill_core::media::flac::FlacFile;

use super::mem::Mem;

/// Decoded samples (all channels) after which an input is not decoded further.
pub const MAX_SAMPLES: usize = 1 << 22;

/// Memory budget of the reader.
const BUDGET: usize = 4 << 20;

/// The `flac` target.
pub fn flac(data: &[u8]) {
    let Ok(mut file) = FlacFile::open_with_budget(Mem::new(data), BUDGET) else { return };
    assert!(file.heap_bytes() <= BUDGET, "heap {} over the budget", file.heap_bytes());
    let total = file.total_frames();
    let channels = usize::from(file.channels());
    let mut out = vec![0i32; 4096];
    let mut budget = MAX_SAMPLES;
    for _ in 0..usize::MAX {
        if budget == 0 {
            break;
        }
        let before = file.position();
        match file.read_i32(&mut out) {
            Ok(0) | Err(_) => break,
            Ok(frames) => {
                assert!(frames * channels <= out.len(), "{frames} frames overflow the buffer");
                assert!(file.position() <= total, "position past the length");
                assert!(file.position() >= before + frames as u64, "position went back");
                budget = budget.saturating_sub(frames * channels);
            }
        }
    }
    let sum = data.iter().fold(0u64, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let frame = sum % total.saturating_add(2).max(1);
    if file.seek(frame).is_ok() {
        assert_eq!(file.position(), frame.min(total));
        let mut small = vec![0i16; 1024];
        for _ in 0..4 {
            match file.read_i16(&mut small) {
                Ok(0) | Err(_) => break,
                Ok(frames) => assert!(frames * channels <= small.len()),
            }
        }
    }
}
