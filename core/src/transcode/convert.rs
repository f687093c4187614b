//! The LPCM-profile version of a stream outside the profile: decode, downmix, resample, round.
//!
//! DLNA's LPCM profile is L16 with 1 or 2 channels at 44.1 or 48 kHz. A stream outside it keeps
//! its honest renditions (true rate and channels, no `DLNA.ORG_PN`), and players that accept
//! only the profile also get this version ([`lpcm_target`] says what it is):
//! - channels: 1 stays 1, 2 stays 2, 3 to 8 are downmixed to stereo ([`super::downmix`]);
//! - rate: 44.1 and 48 kHz stay; any other rate goes to whichever of the two makes the simpler
//!   ratio (fewer distinct output phases; 48 kHz on a tie), which sends the 11.025 kHz family
//!   (11.025, 22.05, 88.2, 176.4 kHz) to 44.1 kHz and the 8 kHz family (8, 16, 24, 32, 96,
//!   192 kHz) to 48 kHz, each by a small integer ratio ([`super::resample`]).
//!
//! Length: `ceil(frames × to / from)` output frames ([`resample::frames_out`]), so byte and time
//! positions of the version map exactly as for any [`super::Layout`]. Decoded floats are
//! downmixed, resampled and then rounded to 16 bits once, with libvorbis' rounding.
//!
//! Seeking: output frame `n` depends only on the input frames of its window, so the
//! [`Converter`] seeks the decoder to the window's first frame (frames before the stream are
//! zeros) and produces from `n` exactly what a conversion from the start produces at `n`.
//!
//! Memory: the resampler's table (at most [`resample::MAX_COEFFS`] floats = 32 KiB, under 2 KiB
//! for usual rates), a history of `taps + CHUNK` downmixed frames (at most 558 + 256 stereo
//! frames, 6.4 KiB) and a decode buffer of `CHUNK` frames of up to 8 channels (8 KiB), all
//! allocated once, fallibly, when the converter is made.

use alloc::vec::Vec;

use super::downmix::{target_channels, Downmix};
use super::resample::{self, Resampler};
use super::source::PcmSource;
use super::stream::Error;
use crate::media::vorbis::to_i16;

/// Frames decoded per step.
pub const CHUNK: usize = 256;

/// The rate of the LPCM-profile version of a stream at `rate`: 44.1 and 48 kHz stay, others go
/// to the one of the two whose ratio to `rate` needs fewer output phases (48 kHz on a tie).
pub fn target_rate(rate: u32) -> u32 {
    if matches!(rate, 44_100 | 48_000) || rate == 0 {
        return rate;
    }
    let phases = |to: u32| to / gcd(rate, to);
    if phases(44_100) < phases(48_000) {
        44_100
    } else {
        48_000
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Rate and channels of the LPCM-profile version of a stream of `rate` and `channels`, or
/// `None` when the stream is inside the profile already (its L16 rendition is the profile
/// version) or cannot be converted (no channels or more than 8, rate 0 or above
/// [`resample::MAX_RATE`]).
pub fn lpcm_target(rate: u32, channels: u8) -> Option<(u32, u8)> {
    let in_profile = matches!(rate, 44_100 | 48_000) && matches!(channels, 1 | 2);
    let convertible = Downmix::new(channels).is_some() && (1..=resample::MAX_RATE).contains(&rate);
    (!in_profile && convertible).then(|| (target_rate(rate), target_channels(channels)))
}

/// Produces the LPCM-profile version of a stream (any [`PcmSource`]), frame by frame, from any
/// frame on.
#[derive(Debug)]
pub struct Converter {
    rate: u32,
    channels: u8,
    mix: Downmix,
    /// `None` when the rate stays.
    resampler: Option<Resampler>,
    frames_in: u64,
    frames_out: u64,
    /// Downmixed input frames `base..base + held`, planar: channel `c` at `c × capacity`.
    history: Vec<f32>,
    base: i64,
    held: usize,
    capacity: usize,
    /// Decoded frames before downmixing.
    decoded: Vec<f32>,
    /// The next output frame.
    next: u64,
    /// The decoder ended before `frames_in`: nothing more can be produced.
    ended: bool,
}

impl Converter {
    /// A converter of a stream of `frames` frames at `rate` with `channels` to its
    /// [`lpcm_target`] (or to `rate` and the downmixed channels when `rate` is in the profile).
    pub fn new(rate: u32, channels: u8, frames: u64) -> Result<Converter, Error> {
        let mix = Downmix::new(channels).ok_or(Error::Unsupported)?;
        let to = target_rate(rate);
        let resampler = match to == rate {
            true => None,
            false => Some(Resampler::new(rate, to).map_err(|e| match e {
                resample::Error::Rate => Error::Unsupported,
                resample::Error::OutOfMemory => Error::OutOfMemory,
            })?),
        };
        let taps = resampler.as_ref().map_or(1, Resampler::taps);
        let capacity = taps + CHUNK;
        let mut history = Vec::new();
        history.try_reserve_exact(capacity * mix.outputs()).map_err(|_| Error::OutOfMemory)?;
        history.resize(capacity * mix.outputs(), 0.0);
        let mut decoded = Vec::new();
        decoded.try_reserve_exact(CHUNK * usize::from(channels)).map_err(|_| Error::OutOfMemory)?;
        decoded.resize(CHUNK * usize::from(channels), 0.0);
        Ok(Converter {
            rate,
            channels,
            mix,
            frames_in: frames,
            frames_out: resample::frames_out(frames, rate, to),
            resampler,
            history,
            base: 0,
            held: 0,
            capacity,
            decoded,
            next: 0,
            ended: false,
        })
    }

    /// Output rate.
    pub fn rate_out(&self) -> u32 {
        target_rate(self.rate)
    }

    /// Output channels.
    pub fn channels_out(&self) -> u8 {
        target_channels(self.channels)
    }

    /// Output frames in all.
    pub fn frames_out(&self) -> u64 {
        self.frames_out
    }

    /// Input frames output frame `n` reads: its first, and how many.
    fn window(&self, n: u64) -> (i64, usize, u64) {
        match &self.resampler {
            Some(r) => {
                let w = r.window(n);
                (w.first, r.taps(), w.phase)
            }
            None => (i64::try_from(n).unwrap_or(i64::MAX), 1, 0),
        }
    }

    /// Positions `file` so that the next frame read is output frame `n` (at most the end).
    pub fn seek(&mut self, file: &mut impl PcmSource, n: u64) -> Result<(), Error> {
        let n = n.min(self.frames_out);
        let (first, _, _) = self.window(n);
        file.seek(u64::try_from(first).unwrap_or(0))?;
        self.held = 0;
        self.base = first;
        self.next = n;
        self.ended = false;
        Ok(())
    }

    /// Makes the history cover input frames `from..end`, dropping frames before `from` when
    /// room is needed. `false` when the decoder ended before the stream's length.
    fn fill(&mut self, file: &mut impl PcmSource, from: i64, end: i64) -> Result<bool, Error> {
        let (outs, cap) = (self.mix.outputs(), self.capacity);
        let frames_in = i64::try_from(self.frames_in).unwrap_or(i64::MAX);
        loop {
            let held = self.held;
            let next = self.base.saturating_add(held as i64);
            if next >= end {
                return Ok(true);
            }
            if held == cap {
                let drop = usize::try_from(from.saturating_sub(self.base)).unwrap_or(0).min(held);
                if drop == 0 {
                    // Windows are at most `taps` frames and capacity is larger: unreachable,
                    // but never loop on it.
                    return Ok(false);
                }
                for c in 0..outs {
                    // c × cap + held <= history.len(): in bounds.
                    self.history.copy_within(c * cap + drop..c * cap + held, c * cap);
                }
                self.held -= drop;
                self.base = self.base.saturating_add(drop as i64);
                continue;
            }
            let room = cap - held;
            if next < 0 || next >= frames_in {
                // Outside the stream: zeros, up to the stream's start or the window's end.
                let until = if next < 0 { end.min(0) } else { end };
                let n = usize::try_from(until - next).unwrap_or(usize::MAX).min(room);
                for c in 0..outs {
                    let at = c * cap + held;
                    self.history.get_mut(at..at + n).unwrap_or_default().fill(0.0);
                }
                self.held += n;
                continue;
            }
            if file.prepare()? && (file.channels() != self.channels || file.rate() != self.rate) {
                return Err(Error::ChannelsChanged);
            }
            let left = usize::try_from(frames_in - next).unwrap_or(usize::MAX);
            let want = room.min(CHUNK).min(left) * usize::from(self.channels);
            let got = file.read_f32(self.decoded.get_mut(..want).unwrap_or_default())?;
            if got == 0 {
                return Ok(false);
            }
            let mut mixed = [0.0f32; 2];
            let frames = self.decoded.chunks_exact(usize::from(self.channels)).take(got);
            for (i, frame) in frames.enumerate() {
                self.mix.apply(frame, &mut mixed);
                for (c, &v) in mixed.iter().enumerate().take(outs) {
                    if let Some(slot) = self.history.get_mut(c * cap + held + i) {
                        *slot = v;
                    }
                }
            }
            self.held += got;
        }
    }

    /// Writes the next output frames (interleaved, 1 or 2 channels) into `out`; returns how
    /// many, 0 at the end (or when the decoder ended early: the caller knows the length).
    pub fn read(&mut self, file: &mut impl PcmSource, out: &mut [i16]) -> Result<usize, Error> {
        let outs = self.mix.outputs();
        let mut n = 0;
        for frame in out.chunks_exact_mut(outs) {
            if self.next >= self.frames_out || self.ended {
                break;
            }
            let (first, taps, phase) = self.window(self.next);
            if !self.fill(file, first, first.saturating_add(taps as i64))? {
                self.ended = true;
                break;
            }
            // `fill` made `base <= first` and `first + taps <= base + held`.
            let at = usize::try_from(first - self.base).unwrap_or(0);
            for (c, o) in frame.iter_mut().enumerate() {
                let start = c * self.capacity + at;
                let input = self.history.get(start..start + taps).unwrap_or_default();
                let y = match &self.resampler {
                    Some(r) => r.convolve(phase, input),
                    None => input.first().copied().unwrap_or(0.0),
                };
                *o = to_i16(y);
            }
            self.next += 1;
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(lpcm_target(44_100, 2), None);
        assert_eq!(lpcm_target(48_000, 1), None);
        assert_eq!(lpcm_target(48_000, 6), Some((48_000, 2)));
        assert_eq!(lpcm_target(96_000, 2), Some((48_000, 2)));
        assert_eq!(lpcm_target(22_050, 1), Some((44_100, 1)));
        assert_eq!(lpcm_target(8_000, 1), Some((48_000, 1)));
        assert_eq!(lpcm_target(44_100, 8), Some((44_100, 2)));
        for (from, to) in [
            (11_025, 44_100),
            (88_200, 44_100),
            (176_400, 44_100),
            (16_000, 48_000),
            (24_000, 48_000),
            (32_000, 48_000),
            (192_000, 48_000),
            (12_000, 48_000),
            (37_800, 44_100),
            (47_999, 44_100),
        ] {
            assert_eq!(target_rate(from), to, "{from}");
        }
        assert_eq!(lpcm_target(resample::MAX_RATE + 1, 2), None);
        assert_eq!(lpcm_target(0, 2), None);
        assert_eq!(lpcm_target(96_000, 9), None);
    }
}
