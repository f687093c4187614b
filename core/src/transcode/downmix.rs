//! Downmixing multichannel Vorbis to stereo for the DLNA LPCM profile (1 or 2 channels).
//!
//! Mono stays mono and stereo stays stereo (both are inside the profile). Three to eight
//! channels become stereo with the ITU-R BS.775 / ATSC A/52 "Lo/Ro" downmix: each front side
//! at unity, the centre and the surrounds at −3 dB (`1/√2`) into both sides or their own side,
//! and the LFE channel dropped. Sources: ITU-R BS.775-3 Annex 4 ("Downward mixing of
//! multichannel audio signals", 3/2 to 2/0: `L = L + 0.7071 C + 0.7071 Ls`); ATSC A/52 §7.8
//! (the same equations with the default `clev = slev = 0.707`, the LFE not part of a two-channel
//! downmix; a single surround, as in 3/1, goes to both sides at `0.707 × slev`). Layouts A/52
//! does not define are extended the way decoders commonly do: 7.1's side and rear pairs are
//! both surrounds at −3 dB, 6.1's rear centre is a single surround.
//!
//! Clip-safe normalisation: each output row is divided by the sum of its gains (5.1: by
//! `1 + 2 × 0.7071 = 2.414`, −7.7 dB), so a full-scale input in every channel cannot exceed full
//! scale. Vorbis channel order (Vorbis I spec §4.3.9): 3 = L C R; 4 = FL FR RL RR; 5 = FL C FR
//! RL RR; 6 = FL C FR RL RR LFE; 7 = FL C FR SL SR RC LFE; 8 = FL C FR SL SR RL RR LFE.

use super::layout::MAX_CHANNELS;

/// −3 dB: the centre and surround level of the Lo/Ro downmix.
pub const MINUS_3DB: f32 = core::f32::consts::FRAC_1_SQRT_2;

const H: f32 = MINUS_3DB;
/// A single surround (3/1): `0.707 × slev` into each side.
const HH: f32 = MINUS_3DB * MINUS_3DB;

/// Left-output gains per Vorbis channel, for 3 to 8 channels (unnormalised). The right output
/// mirrors them: see [`RIGHT`].
const LEFT: [[f32; MAX_CHANNELS as usize]; 6] = [
    [1.0, H, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1.0, 0.0, H, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1.0, H, 0.0, H, 0.0, 0.0, 0.0, 0.0],
    [1.0, H, 0.0, H, 0.0, 0.0, 0.0, 0.0],
    [1.0, H, 0.0, H, 0.0, HH, 0.0, 0.0],
    [1.0, H, 0.0, H, 0.0, H, 0.0, 0.0],
];

/// Right-output gains per Vorbis channel, for 3 to 8 channels (unnormalised).
const RIGHT: [[f32; MAX_CHANNELS as usize]; 6] = [
    [0.0, H, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, H, 0.0, 0.0, 0.0, 0.0],
    [0.0, H, 1.0, 0.0, H, 0.0, 0.0, 0.0],
    [0.0, H, 1.0, 0.0, H, 0.0, 0.0, 0.0],
    [0.0, H, 1.0, 0.0, H, HH, 0.0, 0.0],
    [0.0, H, 1.0, 0.0, H, 0.0, H, 0.0],
];

/// A channel conversion from a Vorbis channel count to 1 or 2 output channels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Downmix {
    inputs: usize,
    outputs: usize,
    /// Normalised gains per output channel, per Vorbis input channel.
    rows: [[f32; MAX_CHANNELS as usize]; 2],
}

/// The channel count of the LPCM-profile version of a stream of `channels` (1 to
/// [`MAX_CHANNELS`]): 1 stays 1, the rest become 2.
pub fn target_channels(channels: u8) -> u8 {
    channels.min(2)
}

impl Downmix {
    /// The downmix of `channels` Vorbis channels, or `None` outside 1..=[`MAX_CHANNELS`].
    pub fn new(channels: u8) -> Option<Downmix> {
        let inputs = usize::from(channels);
        let mut rows = [[0.0; MAX_CHANNELS as usize]; 2];
        match channels {
            1 | 2 => {
                for (c, row) in rows.iter_mut().enumerate().take(inputs) {
                    if let Some(gain) = row.get_mut(c) {
                        *gain = 1.0;
                    }
                }
            }
            3..=MAX_CHANNELS => {
                let k = inputs - 3;
                for (row, gains) in rows.iter_mut().zip([LEFT.get(k)?, RIGHT.get(k)?]) {
                    let sum: f32 = gains.iter().sum();
                    for (r, g) in row.iter_mut().zip(gains) {
                        *r = g / sum;
                    }
                }
            }
            _ => return None,
        }
        Some(Downmix { inputs, outputs: usize::from(target_channels(channels)), rows })
    }

    /// Output channels: 1 or 2.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The normalised gain of Vorbis channel `input` in output channel `output`.
    pub fn gain(&self, output: usize, input: usize) -> f32 {
        self.rows.get(output).and_then(|r| r.get(input)).copied().unwrap_or(0.0)
    }

    /// Mixes one frame (`inputs` samples in Vorbis order) into `out` (`outputs` samples),
    /// summing channels in order.
    pub fn apply(&self, frame: &[f32], out: &mut [f32]) {
        for (o, row) in out.iter_mut().zip(&self.rows).take(self.outputs) {
            *o = row.iter().zip(frame).take(self.inputs).fold(0.0, |acc, (g, s)| acc + g * s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_one_is_the_lo_ro_downmix() {
        let d = Downmix::new(6).unwrap();
        assert_eq!(d.outputs(), 2);
        let norm = 1.0 + 2.0 * core::f32::consts::FRAC_1_SQRT_2;
        // Vorbis FL C FR RL RR LFE.
        let left = [1.0 / norm, H / norm, 0.0, H / norm, 0.0, 0.0];
        let right = [0.0, H / norm, 1.0 / norm, 0.0, H / norm, 0.0];
        for c in 0..6 {
            assert!((d.gain(0, c) - left[c]).abs() < 1e-7, "L{c}");
            assert!((d.gain(1, c) - right[c]).abs() < 1e-7, "R{c}");
        }
        let mut out = [0.0; 2];
        d.apply(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0], &mut out);
        assert!(out.iter().all(|&v| (v - 1.0).abs() < 1e-6), "full scale stays full scale");
        d.apply(&[0.0, 0.0, 0.0, 0.0, 0.0, 1.0], &mut out);
        assert_eq!(out, [0.0, 0.0], "LFE dropped");
    }

    #[test]
    fn every_layout_is_clip_safe_and_symmetric() {
        for channels in 1..=MAX_CHANNELS {
            let d = Downmix::new(channels).unwrap();
            assert_eq!(d.outputs(), usize::from(target_channels(channels)));
            for o in 0..d.outputs() {
                let sum: f32 = (0..usize::from(channels)).map(|c| d.gain(o, c).abs()).sum();
                assert!((sum - 1.0).abs() < 1e-6, "{channels} ch, output {o}: {sum}");
            }
            if channels >= 2 {
                let left: f32 = (0..8).map(|c| d.gain(0, c)).sum();
                let right: f32 = (0..8).map(|c| d.gain(1, c)).sum();
                assert_eq!(left, right, "{channels}");
            }
        }
        assert!(Downmix::new(0).is_none() && Downmix::new(9).is_none());
        let mut out = [0.0; 1];
        Downmix::new(1).unwrap().apply(&[0.5], &mut out);
        assert_eq!(out, [0.5]);
    }
}
