//! `mp4` and `alac`: MP4 files through the box parser, and ALAC through its decoder.
//!
//! `mp4` input: a file. [`Movie::read`] finds and reads the movie box, [`Movie::audio`] its
//! first sound track; then the duration, a time lookup and a walk of every sample's location
//! (bounded by [`MAX_SAMPLES`]) with the property that a cursor made at a sample agrees with
//! the walk there, and that a time lookup lands at or before the time asked.
//!
//! `alac` input: a first byte selects the mode. 0: a raw packet: the next 24 bytes are the
//! magic cookie (ALACSpecificConfig), the rest one packet for [`Decoder::decode`]. Otherwise:
//! the rest is an MP4 file opened with [`AlacFile`], read to the end (bounded by
//! [`MAX_SAMPLES`]), then sought to a frame chosen from the input's checksum and read again.

use rill_core::media::alac::{AlacFile, Config, Decoder};
use rill_core::media::mp4::{Movie, DEFAULT_MOOV_BUDGET};

use super::mem::Mem;

/// Samples (or sample-table entries) after which an input is not processed further.
pub const MAX_SAMPLES: usize = 1 << 21;

/// The `mp4` target.
pub fn mp4(data: &[u8]) {
    let Ok(movie) = Movie::read(&mut Mem::new(data), DEFAULT_MOOV_BUDGET) else { return };
    let Ok(track) = movie.audio() else { return };
    let _ = track.duration_us();
    let table = track.samples;
    let t = checksum(data) % table.duration().saturating_add(2);
    if let Some((_, start)) = table.sample_at(t) {
        assert!(start <= t, "sample at {t} starts at {start}");
    }
    let Ok(mut cursor) = table.cursor(0) else { return };
    let probe = u32::try_from(checksum(data) % u64::from(table.len().max(1))).unwrap_or(0);
    for _ in 0..MAX_SAMPLES {
        let Some(at) = cursor.location(&table) else { return };
        if cursor.sample() == probe {
            if let Ok(direct) = table.cursor(probe) {
                assert_eq!(direct.location(&table), Some(at), "cursor at {probe}");
            }
        }
        if cursor.advance(&table).is_err() {
            return;
        }
    }
}

/// The `alac` target.
pub fn alac(data: &[u8]) {
    match data.split_first() {
        Some((0, rest)) => packet(rest),
        Some((_, rest)) => file(rest),
        None => {}
    }
}

fn packet(data: &[u8]) {
    let Some((cookie, packet)) = data.split_at_checked(24) else { return };
    let Ok(config) = Config::parse(cookie) else { return };
    let Ok(mut decoder) = Decoder::new(config) else { return };
    let mut out = vec![0i32; config.frame_length as usize * usize::from(config.channels)];
    if let Ok(frames) = decoder.decode(packet, &mut out) {
        assert!(frames >= 1 && frames <= config.frame_length as usize, "{frames} frames");
        let depth = u32::from(config.bit_depth);
        let limit = 1i64 << (depth - 1);
        for &s in &out[..frames * usize::from(config.channels)] {
            assert!((-limit..limit).contains(&i64::from(s)), "{s} outside {depth} bits");
        }
    }
}

fn file(data: &[u8]) {
    let Ok(mut file) = AlacFile::open(Mem::new(data)) else { return };
    let total = file.total_frames();
    let mut out = vec![0i32; 4096];
    let mut budget = MAX_SAMPLES;
    read(&mut file, &mut out, &mut budget, usize::MAX);
    let frame = checksum(data) % total.saturating_add(2).max(1);
    if file.seek(frame).is_ok() {
        assert_eq!(file.position(), frame.min(total));
        read(&mut file, &mut out, &mut budget, 4);
    }
}

/// Reads at most `reads` times, while `budget` samples last; checks the position.
fn read(file: &mut AlacFile<Mem<'_>>, out: &mut [i32], budget: &mut usize, reads: usize) {
    for _ in 0..reads {
        if *budget == 0 {
            return;
        }
        let before = file.position();
        match file.read(out) {
            Ok(0) | Err(_) => return,
            Ok(frames) => {
                let samples = frames * usize::from(file.channels());
                assert!(samples <= out.len(), "{frames} frames overflow {}", out.len());
                assert_eq!(file.position(), before + frames as u64);
                assert!(file.position() <= file.total_frames());
                *budget = budget.saturating_sub(samples.max(1));
            }
        }
    }
}

fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0u64, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}
