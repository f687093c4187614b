//! Where every byte of a PCM rendition lies: lengths, byte-to-frame and time-to-frame mapping,
//! channel order and the WAV header.
//!
//! A rendition of `frames` frames of `channels` 16-bit samples is `frames × channels × 2` bytes
//! of samples, after a header for WAV (44 bytes, or 68 with `WAVE_FORMAT_EXTENSIBLE` for more
//! than two channels) and none for L16. Every byte offset names one sample byte (or header
//! byte), so a byte range maps to a frame to start decoding at and a number of bytes to drop
//! from that frame; a time maps to `floor(t × rate)`.
//!
//! Channel order: both renditions use the WAV/SMPTE order (FL FR FC LFE BL BR ...), remapped
//! from Vorbis' order (FL FC FR ...); for one and two channels the orders agree.

use core::fmt;
use core::ops::Range;

use crate::util::wide::mul_div;

/// Which rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Wrapping {
    /// `audio/L16`: big-endian samples, no header (RFC 2586, DLNA LPCM).
    L16,
    /// `audio/wav`: a RIFF header, then little-endian samples.
    Wav,
    /// `audio/L16` in DLNA's LPCM profile, converted from a stream outside it: downmixed to
    /// stereo and/or resampled to 44.1 or 48 kHz (see [`crate::transcode::Converter`]). Bytes
    /// as [`Wrapping::L16`]; the layout gives the converted rate, channels and length.
    Lpcm,
}

/// The most channels a rendition carries (Vorbis allows 255; the channel maps below know 8).
pub const MAX_CHANNELS: u8 = 8;

/// Largest WAV header written (RIFF + `WAVE_FORMAT_EXTENSIBLE` fmt chunk + data chunk head).
pub const MAX_HEADER: usize = 68;

/// Vorbis channel index for each output channel, by channel count (Vorbis I spec §4.3.9 to
/// the WAVEFORMATEXTENSIBLE order).
const ORDER: [&[usize]; 8] = [
    &[0],
    &[0, 1],
    &[0, 2, 1],
    &[0, 1, 2, 3],
    &[0, 2, 1, 3, 4],
    &[0, 2, 1, 5, 3, 4],
    &[0, 2, 1, 6, 5, 3, 4],
    &[0, 2, 1, 7, 5, 6, 3, 4],
];

/// `dwChannelMask` of the WAV header, by channel count.
const MASK: [u32; 8] = [0x4, 0x3, 0x7, 0x33, 0x37, 0x3f, 0x70f, 0x63f];

/// A PCM rendition of a decoded stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Layout {
    /// L16 or WAV.
    pub wrapping: Wrapping,
    /// Frames per second.
    pub rate: u32,
    /// Channels, 1 to [`MAX_CHANNELS`].
    pub channels: u8,
    /// Exact number of frames.
    pub frames: u64,
}

/// A byte offset of a rendition, located.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Inside the header, at this offset.
    Header(usize),
    /// In the samples: frame `frame`, byte `skip` of it.
    Sample {
        /// The frame.
        frame: u64,
        /// Bytes of that frame before the offset.
        skip: usize,
    },
}

impl Layout {
    /// A layout, or `None` for a channel count outside 1..=[`MAX_CHANNELS`] or rate 0.
    pub fn new(wrapping: Wrapping, rate: u32, channels: u8, frames: u64) -> Option<Layout> {
        (rate > 0 && (1..=MAX_CHANNELS).contains(&channels)).then_some(Layout {
            wrapping,
            rate,
            channels,
            frames,
        })
    }

    /// Bytes per frame.
    pub fn frame_bytes(&self) -> usize {
        usize::from(self.channels) * 2
    }

    /// Bytes of header before the samples.
    pub fn header_len(&self) -> usize {
        match self.wrapping {
            Wrapping::L16 | Wrapping::Lpcm => 0,
            Wrapping::Wav if self.channels <= 2 => 44,
            Wrapping::Wav => MAX_HEADER,
        }
    }

    /// Bytes of samples.
    pub fn data_len(&self) -> u64 {
        self.frames.saturating_mul(self.frame_bytes() as u64)
    }

    /// Exact length of the whole rendition: the `size` in DIDL-Lite and the `Content-Length`.
    /// Not inlined: one copy for its five callers (flash on the boards).
    #[inline(never)]
    pub fn total_len(&self) -> u64 {
        self.data_len().saturating_add(self.header_len() as u64)
    }

    /// Bytes per second (DLNA's `bitrate`).
    pub fn byte_rate(&self) -> u64 {
        u64::from(self.rate) * self.frame_bytes() as u64
    }

    /// Play time in microseconds.
    pub fn duration_us(&self) -> u64 {
        frames_to_us(self.frames, self.rate)
    }

    /// Where byte `offset` lies (offsets past the end locate past the last frame).
    pub fn locate(&self, offset: u64) -> Position {
        let header = self.header_len() as u64;
        if offset < header {
            // offset < header_len <= 68: fits usize.
            return Position::Header(offset as usize);
        }
        let data = offset - header;
        let fb = self.frame_bytes() as u64;
        Position::Sample { frame: data / fb, skip: (data % fb) as usize }
    }

    /// The byte offset where frame `frame` starts.
    pub fn frame_offset(&self, frame: u64) -> u64 {
        (self.header_len() as u64).saturating_add(frame.saturating_mul(self.frame_bytes() as u64))
    }

    /// The frame playing at `us` microseconds: `floor(us × rate / 10⁶)`, at most `frames`.
    pub fn frame_at(&self, us: u64) -> u64 {
        mul_div(us, u64::from(self.rate), 1_000_000).unwrap_or(u64::MAX).min(self.frames)
    }

    /// The frames a time seek from `start_us` to `end_us` (`None`: to the end) plays:
    /// `floor(start × rate)` up to `floor(end × rate)`, or up to the last frame when the end is
    /// open or at least the duration. (The duration is rounded down to whole microseconds, so
    /// `frame_at(duration_us())` can fall a frame short of the end.)
    pub fn time_span(&self, start_us: u64, end_us: Option<u64>) -> Range<u64> {
        let first = self.frame_at(start_us);
        let end = match end_us {
            Some(end) if end < self.duration_us() => self.frame_at(end),
            _ => self.frames,
        };
        first..end.max(first)
    }

    /// The Vorbis channel feeding output channel `out`.
    pub fn source_channel(&self, out: usize) -> usize {
        order(self.channels).get(out).copied().unwrap_or(out)
    }

    /// Writes the WAV header into `out` (at least [`Layout::header_len`] bytes); returns its
    /// length (0 for L16). A rendition over 4 GiB carries the largest sizes RIFF can state.
    pub fn write_header(&self, out: &mut [u8]) -> usize {
        let len = self.header_len();
        let Some(out) = out.get_mut(..len) else { return 0 };
        if len == 0 {
            return 0;
        }
        let data = u32::try_from(self.data_len()).unwrap_or(u32::MAX);
        let riff = u32::try_from(self.total_len() - 8).unwrap_or(u32::MAX);
        let channels = u16::from(self.channels);
        let block = channels * 2;
        let extensible = len == MAX_HEADER;
        let mut w = Put { out, at: 0 };
        w.bytes(b"RIFF");
        w.u32(riff);
        w.bytes(b"WAVEfmt ");
        w.u32(if extensible { 40 } else { 16 });
        w.u16(if extensible { 0xfffe } else { 1 });
        w.u16(channels);
        w.u32(self.rate);
        w.u32(self.rate.saturating_mul(u32::from(block)));
        w.u16(block);
        w.u16(16);
        if extensible {
            w.u16(22);
            w.u16(16);
            w.u32(MASK.get(usize::from(self.channels) - 1).copied().unwrap_or(0));
            // KSDATAFORMAT_SUBTYPE_PCM: 00000001-0000-0010-8000-00aa00389b71.
            w.bytes(&[1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]);
        }
        w.bytes(b"data");
        w.u32(data);
        len
    }
}

/// Microseconds of `frames` frames at `rate`.
pub fn frames_to_us(frames: u64, rate: u32) -> u64 {
    if rate == 0 {
        return 0;
    }
    mul_div(frames, 1_000_000, u64::from(rate)).unwrap_or(u64::MAX)
}

/// For each WAV-order channel of a `channels`-channel frame, its Vorbis channel index.
pub(super) fn order(channels: u8) -> &'static [usize] {
    ORDER.get(usize::from(channels).wrapping_sub(1)).copied().unwrap_or(&[])
}

/// Little-endian writer over a slice exactly as long as the header.
struct Put<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl Put<'_> {
    fn bytes(&mut self, b: &[u8]) {
        if let Some(dst) = self.out.get_mut(self.at..self.at + b.len()) {
            dst.copy_from_slice(b);
        }
        self.at += b.len();
    }
    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
}

impl fmt::Display for Wrapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Wrapping::L16 => "L16",
            Wrapping::Wav => "WAV",
            Wrapping::Lpcm => "LPCM",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_locations() {
        let l16 = Layout::new(Wrapping::L16, 44_100, 2, 44_100 * 240).unwrap();
        assert_eq!(l16.total_len(), 42_336_000);
        assert_eq!(l16.byte_rate(), 176_400);
        assert_eq!(l16.duration_us(), 240_000_000);
        assert_eq!(l16.locate(0), Position::Sample { frame: 0, skip: 0 });
        assert_eq!(l16.locate(5_292_003), Position::Sample { frame: 1_323_000, skip: 3 });
        assert_eq!(l16.frame_at(30_000_000), 1_323_000);
        assert_eq!(l16.frame_offset(1_323_000), 5_292_000);
        assert_eq!(l16.frame_at(u64::MAX), l16.frames);
        let wav = Layout { wrapping: Wrapping::Wav, ..l16 };
        assert_eq!(wav.total_len(), 42_336_044);
        assert_eq!(wav.locate(43), Position::Header(43));
        assert_eq!(wav.locate(44 + 9), Position::Sample { frame: 2, skip: 1 });
        let six = Layout::new(Wrapping::Wav, 48_000, 6, 10).unwrap();
        assert_eq!(six.header_len(), 68);
        assert_eq!(six.total_len(), 68 + 120);
        assert!(Layout::new(Wrapping::L16, 44_100, 0, 1).is_none());
        assert!(Layout::new(Wrapping::L16, 44_100, 9, 1).is_none());
        assert!(Layout::new(Wrapping::L16, 0, 2, 1).is_none());
    }

    /// Regression: a time seek to the end (open, or closed at the duration) used to stop at
    /// `frame_at(duration_us())`, one frame short when the duration is not a whole number of
    /// microseconds (1000 frames at 44.1 kHz last 22675.73 µs).
    #[test]
    fn time_spans_reach_the_last_frame() {
        let l16 = Layout::new(Wrapping::L16, 44_100, 2, 1000).unwrap();
        let d = l16.duration_us();
        assert_eq!(d, 22_675);
        assert_eq!(l16.frame_at(d), 999);
        assert_eq!(l16.time_span(0, None), 0..1000);
        assert_eq!(l16.time_span(0, Some(d)), 0..1000);
        assert_eq!(l16.time_span(14_000, Some(u64::MAX)), 617..1000);
        assert_eq!(l16.time_span(14_000, Some(d - 1)), 617..999);
        assert_eq!(l16.time_span(10_000, Some(10_000)), 441..441);
        assert_eq!(l16.time_span(u64::MAX, None), 1000..1000);
    }

    #[test]
    fn channel_order_is_a_permutation_matching_the_masks() {
        for c in 1..=MAX_CHANNELS {
            let mut seen: std::vec::Vec<usize> = order(c).to_vec();
            seen.sort_unstable();
            assert_eq!(seen, (0..usize::from(c)).collect::<std::vec::Vec<_>>());
            assert_eq!(MASK[usize::from(c) - 1].count_ones(), u32::from(c));
        }
        let six = Layout::new(Wrapping::L16, 48_000, 6, 0).unwrap();
        // WAV order FL FR FC LFE BL BR from Vorbis FL FC FR BL BR LFE.
        let from: std::vec::Vec<usize> = (0..6).map(|o| six.source_channel(o)).collect();
        assert_eq!(from, [0, 2, 1, 5, 3, 4]);
    }

    /// The header parsed field by field, as a WAV reader would.
    #[test]
    fn wav_headers() {
        let mut buf = [0u8; MAX_HEADER];
        let wav = Layout::new(Wrapping::Wav, 44_100, 2, 1000).unwrap();
        assert_eq!(wav.write_header(&mut buf), 44);
        let u32_at = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        let u16_at = |b: &[u8], i: usize| u16::from_le_bytes(b[i..i + 2].try_into().unwrap());
        assert_eq!(&buf[0..4], b"RIFF");
        assert_eq!(u32_at(&buf, 4), 4000 + 36);
        assert_eq!(&buf[8..16], b"WAVEfmt ");
        assert_eq!((u16_at(&buf, 20), u16_at(&buf, 22), u32_at(&buf, 24)), (1, 2, 44_100));
        assert_eq!((u32_at(&buf, 28), u16_at(&buf, 32), u16_at(&buf, 34)), (176_400, 4, 16));
        assert_eq!((&buf[36..40], u32_at(&buf, 40)), (&b"data"[..], 4000));
        let six = Layout::new(Wrapping::Wav, 48_000, 6, 10).unwrap();
        assert_eq!(six.write_header(&mut buf), 68);
        assert_eq!((u32_at(&buf, 16), u16_at(&buf, 20)), (40, 0xfffe));
        assert_eq!(u32_at(&buf, 40), 0x3f);
        assert_eq!((&buf[60..64], u32_at(&buf, 64)), (&b"data"[..], 120));
        assert_eq!(Layout { wrapping: Wrapping::L16, ..six }.write_header(&mut buf), 0);
        // A buffer too short gets nothing.
        assert_eq!(six.write_header(&mut buf[..10]), 0);
    }
}
