//! A view of the frames one decoded packet completed, planar per channel, with interleaving
//! writers for float and 16-bit output.

use core::ops::Range;

/// The frames completed by the last [`super::Decoder::decode`] call, per channel.
#[derive(Clone, Copy)]
pub struct Pcm<'a> {
    /// All channels; channel `c` starts at `c * stride`.
    data: &'a [f32],
    stride: usize,
    frames: usize,
    channels: usize,
}

/// libvorbis' float to 16-bit conversion: scale by 32768, round to nearest (ties to even, the FPU
/// default), clamp.
#[inline]
pub(crate) fn to_i16(x: f32) -> i16 {
    let v = (x * 32768.0).clamp(-32768.0, 32767.0);
    // Adding 1.5 * 2^23 rounds to an integer, ties to even, for |v| < 2^22: the sum's ulp is 1,
    // so its bits are those of 1.5 * 2^23 plus the rounded value. Pure arithmetic on bits, so
    // the conversion loop vectorizes (a float-to-int cast would saturate element by element).
    const MAGIC: f32 = 12_582_912.0;
    (v + MAGIC).to_bits().wrapping_sub(MAGIC.to_bits()) as i16
}

impl core::fmt::Debug for Pcm<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pcm")
            .field("frames", &self.frames)
            .field("channels", &self.channels)
            .finish()
    }
}

impl<'a> Pcm<'a> {
    pub(crate) fn new(data: &'a [f32], stride: usize, frames: usize, channels: usize) -> Pcm<'a> {
        Pcm { data, stride, frames, channels }
    }

    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The samples of channel `c` (in Vorbis channel order), or an empty slice if out of range.
    pub fn channel(&self, c: usize) -> &'a [f32] {
        if c >= self.channels {
            return &[];
        }
        let start = c * self.stride;
        self.data.get(start..start + self.frames).unwrap_or(&[])
    }

    /// Frames of `range` that exist and fit in `out` (channels per frame).
    fn span(&self, range: Range<usize>, out_len: usize) -> Range<usize> {
        let end = range.end.min(self.frames);
        let start = range.start.min(end);
        let fit = out_len.checked_div(self.channels).unwrap_or(0);
        start..end.min(start + fit)
    }

    fn write<T>(&self, range: Range<usize>, out: &mut [T], conv: impl Fn(f32) -> T) -> usize {
        let span = self.span(range, out.len());
        let ch = self.channels;
        if ch == 2 {
            // Stereo, the common case, in one pass over both channels.
            let (l, r) = (self.channel(0).get(span.clone()), self.channel(1).get(span.clone()));
            let frames = out.chunks_exact_mut(2).zip(l.unwrap_or(&[])).zip(r.unwrap_or(&[]));
            for ((o, &a), &b) in frames {
                o[0] = conv(a);
                o[1] = conv(b);
            }
            return span.len();
        }
        for c in 0..ch {
            let Some(src) = self.channel(c).get(span.clone()) else { continue };
            // Frame by frame (`ch > 0` here): a strided iterator would cost a step per sample.
            for (o, &s) in out.chunks_exact_mut(ch).zip(src) {
                if let Some(o) = o.get_mut(c) {
                    *o = conv(s);
                }
            }
        }
        span.len()
    }

    /// Interleaves frames `range` into `out` (`channels` values per frame); returns the number of
    /// frames written (limited by the frames available and `out.len()`).
    pub fn write_f32(&self, range: Range<usize>, out: &mut [f32]) -> usize {
        self.write(range, out, |s| s)
    }

    /// As [`Pcm::write_f32`] in 16 bits, rounded like libvorbis: to nearest, clamped.
    pub fn write_i16(&self, range: Range<usize>, out: &mut [i16]) -> usize {
        self.write(range, out, to_i16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_and_clamps_like_libvorbis() {
        assert_eq!(to_i16(0.0), 0);
        assert_eq!(to_i16(1.0), 32767);
        assert_eq!(to_i16(-1.5), -32768);
        assert_eq!(to_i16(0.6 / 32768.0), 1);
        assert_eq!(to_i16(-0.6 / 32768.0), -1);
        assert_eq!(to_i16(0.4 / 32768.0), 0);
        assert_eq!(to_i16(2.5 / 32768.0), 2);
        assert_eq!(to_i16(-2.5 / 32768.0), -2);
        assert_eq!(to_i16(-1.0), -32768);
        assert_eq!(to_i16(-32767.6 / 32768.0), -32768);
    }

    #[test]
    fn interleaves_a_range() {
        let data = [1.0, 2.0, 3.0, 9.0, -1.0, -2.0, -3.0, 9.0];
        let pcm = Pcm::new(&data, 4, 3, 2);
        assert_eq!(pcm.channel(1), &[-1.0, -2.0, -3.0]);
        assert!(pcm.channel(2).is_empty());
        let mut out = [0f32; 5];
        assert_eq!(pcm.write_f32(1..3, &mut out), 2);
        assert_eq!(out, [2.0, -2.0, 3.0, -3.0, 0.0]);
        assert_eq!(pcm.write_f32(0..3, &mut out[..3]), 1);
        assert_eq!(pcm.write_f32(5..9, &mut out), 0);
    }

    #[test]
    fn interleaves_more_channels_in_16_bits() {
        let data = [0.5, -0.5, 9.0, 1.0, 0.0, 9.0, -1.0, 0.25, 9.0];
        let pcm = Pcm::new(&data, 3, 2, 3);
        let mut out = [7i16; 7];
        assert_eq!(pcm.write_i16(0..2, &mut out), 2);
        assert_eq!(out, [16384, 32767, -32768, -16384, 0, 8192, 7]);
    }
}
