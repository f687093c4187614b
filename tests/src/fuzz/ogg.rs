//! `ogg_vorbis`: Ogg Vorbis files through [`VorbisFile`], and Vorbis packets straight into the
//! decoder.
//!
//! Input, when it starts with `OggS`: a file. It is opened, read to the end with
//! [`VorbisFile::read_i16`], then sought to a frame chosen from the input's checksum (anywhere
//! from the start to just past the end) and read a little further.
//!
//! Otherwise: packets, each a little-endian `u16` length and that many bytes (a short last one
//! takes what is left). The first is parsed with [`Ident::parse`], the second with
//! [`Setup::parse`], then a [`Decoder`] decodes the rest; an empty packet resets it, as a seek
//! does.
//!
//! Decoding work is bounded by [`MAX_SAMPLES`] per input (counted as output samples for files,
//! as channels times half the long block per decoded packet for packets): a hostile stream can
//! ask for 255 channels of 8192-sample blocks per byte, which is slow but not a bug.

use rill_core::media::vorbis::{Decoder, Ident, Setup};
use rill_core::media::vorbis_file::VorbisFile;

use super::mem::Mem;

/// Decoded samples (all channels) after which an input is not decoded further.
pub const MAX_SAMPLES: usize = 1 << 22;

/// The `ogg_vorbis` target.
pub fn ogg_vorbis(data: &[u8]) {
    if data.starts_with(b"OggS") {
        file(data);
    } else {
        packets(data);
    }
}

fn file(data: &[u8]) {
    let Ok(mut file) = VorbisFile::open(Mem::new(data)) else { return };
    let total = file.total_frames();
    // 4096 samples hold a frame of the most channels a link can have (255).
    let mut out = vec![0i16; 4096];
    let mut budget = MAX_SAMPLES;
    read(&mut file, &mut out, &mut budget, usize::MAX);
    let sum = data.iter().fold(0u64, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let frame = sum % total.saturating_add(2).max(1);
    if file.seek(frame).is_ok() {
        read(&mut file, &mut out, &mut budget, 4);
    }
}

/// Reads at most `reads` times, while `budget` samples last.
fn read(file: &mut VorbisFile<Mem<'_>>, out: &mut [i16], budget: &mut usize, reads: usize) {
    for _ in 0..reads {
        if *budget == 0 {
            return;
        }
        match file.read_i16(out) {
            Ok(0) | Err(_) => return,
            Ok(frames) => {
                let samples = frames * usize::from(file.channels());
                assert!(samples <= out.len(), "{frames} frames overflow {}", out.len());
                *budget = budget.saturating_sub(samples.max(1));
            }
        }
    }
}

fn packets(data: &[u8]) {
    let mut rest = data;
    let mut next = move || {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let n = usize::from(u16::from_le_bytes(*len)).min(tail.len());
        let (packet, tail) = tail.split_at(n);
        rest = tail;
        Some(packet)
    };
    let Some(Ok(ident)) = next().map(Ident::parse) else { return };
    let Some(Ok(setup)) = next().map(|p| Setup::parse(&ident, p)) else { return };
    let Ok(mut decoder) = Decoder::new(ident, setup) else { return };
    let channels = usize::from(ident.channels);
    let block = channels * usize::from(ident.blocksize[1]) / 2;
    let mut out = vec![0i16; block];
    let mut budget = MAX_SAMPLES;
    while let Some(packet) = next() {
        if budget == 0 {
            return;
        }
        if packet.is_empty() {
            decoder.reset();
            continue;
        }
        if let Ok(frames) = decoder.decode(packet) {
            let pcm = decoder.pcm();
            assert_eq!(pcm.frames(), frames);
            assert_eq!(pcm.write_i16(0..frames, &mut out), frames);
        }
        budget = budget.saturating_sub(block);
    }
}
