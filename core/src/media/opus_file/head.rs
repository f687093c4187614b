//! The Ogg Opus identification header (`OpusHead`, RFC 7845 §5.1) and packet durations from
//! the TOC byte (RFC 6716 §3.1).

use super::Error;

/// Most channels Rill decodes: mapping families 0 and 1 (RFC 7845 §5.1.1) go up to 8.
pub const MAX_CHANNELS: usize = 8;

/// Longest Opus packet, in 48 kHz samples per channel (120 ms, RFC 6716 §3.2.5).
pub const MAX_PACKET_FRAMES: usize = 5760;

/// A parsed `OpusHead`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Output channels, 1 to [`MAX_CHANNELS`].
    pub channels: u8,
    /// Samples (at 48 kHz) to discard from the decoder's output at the start of the link.
    pub pre_skip: u16,
    /// The encoder's input rate: metadata only, never the decode rate (always 48 kHz here).
    pub input_rate: u32,
    /// Output gain in Q7.8 dB, applied to every sample.
    pub gain: i16,
    /// Channel mapping family: 0 (mono/stereo) or 1 (Vorbis order, up to 8 channels).
    pub family: u8,
    /// Opus streams in each packet.
    pub streams: u8,
    /// How many of them are coupled (stereo); they come first.
    pub coupled: u8,
    /// For each output channel, the decoded channel it takes (255: silence); the first
    /// `channels` entries are used.
    pub mapping: [u8; MAX_CHANNELS],
}

impl Head {
    /// Parses an `OpusHead` packet; families other than 0 and 1 are refused, as RFC 7845 asks
    /// players to (255) or leaves undefined (2 to 254).
    pub fn parse(p: &[u8]) -> Result<Head, Error> {
        if !p.starts_with(b"OpusHead") {
            return Err(Error::NotOpus);
        }
        let byte = |i: usize| p.get(i).copied().ok_or(Error::BadHead);
        let u16_at = |i: usize| Ok::<_, Error>(u16::from_le_bytes([byte(i)?, byte(i + 1)?]));
        if byte(8)? > 15 {
            return Err(Error::BadHead);
        }
        let channels = byte(9)?;
        let pre_skip = u16_at(10)?;
        let input_rate = u32::from(u16_at(12)?) | u32::from(u16_at(14)?) << 16;
        let gain = u16_at(16)? as i16;
        let family = byte(18)?;
        let n = usize::from(channels);
        if n == 0 || n > MAX_CHANNELS {
            return Err(Error::Unsupported);
        }
        let mut mapping = [0u8; MAX_CHANNELS];
        let (streams, coupled) = match family {
            0 if n <= 2 => {
                for (i, m) in mapping.iter_mut().enumerate().take(n) {
                    *m = i as u8;
                }
                (1, channels - 1)
            }
            1 => {
                let (streams, coupled) = (byte(19)?, byte(20)?);
                if streams == 0 || coupled > streams {
                    return Err(Error::BadHead);
                }
                let decoded = usize::from(streams) + usize::from(coupled);
                for (i, m) in mapping.iter_mut().enumerate().take(n) {
                    *m = byte(21 + i)?;
                    if *m != 255 && usize::from(*m) >= decoded {
                        return Err(Error::BadHead);
                    }
                }
                (streams, coupled)
            }
            _ => return Err(Error::Unsupported),
        };
        Ok(Head { channels, pre_skip, input_rate, gain, family, streams, coupled, mapping })
    }

    /// The used part of the mapping table.
    pub fn mapping(&self) -> &[u8] {
        self.mapping.get(..usize::from(self.channels)).unwrap_or(&[])
    }

    /// The linear factor of the output gain, `10^(gain / (20 · 256))`.
    pub fn gain_factor(&self) -> f32 {
        libm::powf(10.0, f32::from(self.gain) / 5120.0)
    }
}

/// Samples per channel (48 kHz) that an Opus packet decodes to, from its TOC byte and, for
/// code 3, its frame count byte; `None` for an empty or malformed packet or one over 120 ms.
/// In a multistream packet the first stream's packet starts the same way (its self-delimited
/// framing keeps the TOC and count bytes in front, RFC 6716 Appendix B), so this reads the
/// duration of the whole packet.
pub fn packet_frames(p: &[u8]) -> Option<usize> {
    let toc = *p.first()?;
    let config = toc >> 3;
    // Frame duration in units of 2.5 ms (120 samples).
    let units: usize = match config {
        0..=11 => [4, 8, 16, 24][usize::from(config & 3)],
        12..=15 => [4, 8][usize::from(config & 1)],
        _ => [1, 2, 4, 8][usize::from(config & 3)],
    };
    let count = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => usize::from(*p.get(1)? & 0x3f),
    };
    let frames = units * 120 * count;
    (count > 0 && frames <= MAX_PACKET_FRAMES).then_some(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_from_toc() {
        // CELT FB 20 ms, one frame; SILK NB 60 ms; hybrid 10 ms, two frames; code 3, 6 × 20 ms.
        assert_eq!(packet_frames(&[31 << 3]), Some(960));
        assert_eq!(packet_frames(&[3 << 3]), Some(2880));
        assert_eq!(packet_frames(&[12 << 3 | 1]), Some(960));
        assert_eq!(packet_frames(&[31 << 3 | 3, 6]), Some(5760));
        assert_eq!(packet_frames(&[31 << 3 | 3, 7]), None);
        assert_eq!(packet_frames(&[31 << 3 | 3, 0]), None);
        assert_eq!(packet_frames(&[]), None);
    }

    #[test]
    fn head_families() {
        let mut h = *b"OpusHead\x01\x02\x38\x01\x44\xac\x00\x00\x00\x01\x00";
        let head = Head::parse(&h).unwrap();
        assert_eq!((head.channels, head.pre_skip, head.input_rate), (2, 312, 44_100));
        assert_eq!((head.streams, head.coupled, head.mapping()), (1, 1, &[0u8, 1][..]));
        assert_eq!(head.gain, 256);
        h[18] = 255;
        assert_eq!(Head::parse(&h), Err(Error::Unsupported));
        assert_eq!(Head::parse(&h[..12]), Err(Error::BadHead));
        let mut six = b"OpusHead\x01\x06\x38\x01\x80\xbb\x00\x00\x00\x00\x01\x04\x02".to_vec();
        six.extend_from_slice(&[0, 4, 1, 2, 3, 5]);
        let head = Head::parse(&six).unwrap();
        assert_eq!((head.streams, head.coupled, head.mapping()), (4, 2, &[0u8, 4, 1, 2, 3, 5][..]));
        six[21] = 6;
        assert_eq!(Head::parse(&six), Err(Error::BadHead));
    }
}
