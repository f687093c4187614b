//! The `esds` box of an `mp4a` sample entry (ISO/IEC 14496-1 §7.2.6 descriptors) and the
//! AudioSpecificConfig it carries (ISO/IEC 14496-3 §1.6.2.1).
//!
//! Descriptors are a tag byte, a length of one to four 7-bit groups, and a body; each body is
//! read within its stated length, which is checked against what encloses it.

use super::boxes::{full, Bytes};
use super::Error;

/// MPEG-4 audio object types Rill names.
pub mod object_type {
    /// AAC Main.
    pub const AAC_MAIN: u8 = 1;
    /// AAC LC.
    pub const AAC_LC: u8 = 2;
    /// SBR (HE-AAC).
    pub const SBR: u8 = 5;
    /// ER AAC LC.
    pub const ER_AAC_LC: u8 = 17;
    /// PS (HE-AAC v2).
    pub const PS: u8 = 29;
}

/// What the `esds` of an `mp4a` entry says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Esds {
    /// objectTypeIndication: 0x40 MPEG-4 audio, 0x66-0x68 MPEG-2 AAC, 0x69/0x6B MP3.
    pub oti: u8,
    /// maxBitrate in bits per second (0: unknown).
    pub max_bitrate: u32,
    /// avgBitrate in bits per second (0: unknown or variable).
    pub avg_bitrate: u32,
    /// The AudioSpecificConfig, when there is one and it parses.
    pub config: Option<AudioConfig>,
}

impl Esds {
    /// Whether the stream is MPEG-1/2 audio (MP3) rather than AAC.
    pub fn is_mp3(&self) -> bool {
        matches!(self.oti, 0x69 | 0x6b)
    }

    /// Parses the body of an `esds` box.
    pub fn parse(body: &[u8]) -> Result<Esds, Error> {
        let (_, _, rest) = full(body)?;
        let mut r = Bytes::new(rest);
        let es = descriptor(&mut r, 3)?;
        let mut r = Bytes::new(es);
        r.skip(2)?; // ES_ID
        let flags = r.u8()?;
        if flags & 0x80 != 0 {
            r.skip(2)?; // dependsOn_ES_ID
        }
        if flags & 0x40 != 0 {
            let len = r.u8()?;
            r.skip(usize::from(len))?; // URL
        }
        if flags & 0x20 != 0 {
            r.skip(2)?; // OCR_ES_Id
        }
        let dc = descriptor(&mut r, 4)?;
        let mut r = Bytes::new(dc);
        let oti = r.u8()?;
        r.skip(4)?; // streamType, upStream, reserved, bufferSizeDB
        let max_bitrate = r.u32()?;
        let avg_bitrate = r.u32()?;
        let config = match descriptor(&mut r, 5) {
            Ok(dsi) if !matches!(oti, 0x69 | 0x6b) => AudioConfig::parse(dsi).ok(),
            _ => None,
        };
        Ok(Esds { oti, max_bitrate, avg_bitrate, config })
    }
}

/// Reads descriptors from `r` until one with `tag`, returning its body; others are skipped.
fn descriptor<'a>(r: &mut Bytes<'a>, tag: u8) -> Result<&'a [u8], Error> {
    // Each round consumes at least two bytes, so the loop ends.
    loop {
        let t = r.u8()?;
        let mut len: usize = 0;
        for i in 0..4 {
            let b = r.u8()?;
            len = (len << 7) | usize::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
            if i == 3 {
                return Err(Error::BadBox);
            }
        }
        let body = r.take(len)?;
        if t == tag {
            return Ok(body);
        }
    }
}

/// The AudioSpecificConfig: object type, rates and channels, with SBR and PS whether they
/// are signalled explicitly (object types 5 and 29) or by a sync extension after the core
/// config (backward-compatible signalling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioConfig {
    /// The core audio object type (2 for LC, also under SBR and PS).
    pub object_type: u8,
    /// The core sampling rate in Hz.
    pub rate: u32,
    /// The output rate in Hz with SBR (double the core rate, usually); the core rate without.
    pub output_rate: u32,
    /// Channel count from channelConfiguration (0 when a program config element defines it).
    pub channels: u8,
    /// Spectral band replication (HE-AAC) is present.
    pub sbr: bool,
    /// Parametric stereo (HE-AAC v2) is present.
    pub ps: bool,
}

/// Rates of the sampling frequency indices 0..=12.
const RATES: [u32; 13] =
    [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/// The sync word of a backward-compatible SBR extension, and of a PS one after it.
const SYNC_SBR: u32 = 0x2b7;
const SYNC_PS: u32 = 0x548;

impl AudioConfig {
    /// Parses an AudioSpecificConfig.
    pub fn parse(data: &[u8]) -> Result<AudioConfig, Error> {
        let mut b = Bits::new(data);
        let mut aot = object_type(&mut b)?;
        let rate = rate(&mut b)?;
        let channel_config = b.read(4)? as u8;
        let channels = match channel_config {
            7 => 8,
            n if n <= 6 => n,
            _ => 0,
        };
        let (mut sbr, mut ps, mut output_rate) = (false, false, rate);
        if aot == object_type::SBR || aot == object_type::PS {
            sbr = true;
            ps = aot == object_type::PS;
            output_rate = self::rate(&mut b)?;
            aot = object_type(&mut b)?;
        }
        // Backward-compatible signalling: after an LC core's GASpecificConfig, a sync extension.
        if aot == object_type::AAC_LC && !sbr && channel_config != 0 {
            let _frame_length = b.read(1)?;
            if b.read(1)? == 1 {
                b.read(14)?; // coreCoderDelay
            }
            let _extension = b.read(1)?;
            if b.left() >= 16 && b.read(11)? == SYNC_SBR && object_type(&mut b)? == object_type::SBR
            {
                sbr = b.read(1)? == 1;
                if sbr {
                    output_rate = self::rate(&mut b)?;
                    if b.left() >= 12 && b.read(11)? == SYNC_PS {
                        ps = b.read(1)? == 1;
                    }
                }
            }
        }
        Ok(AudioConfig { object_type: aot, rate, output_rate, channels, sbr, ps })
    }
}

/// A 5-bit object type, 31 escaping to 32 plus 6 more bits.
fn object_type(b: &mut Bits<'_>) -> Result<u8, Error> {
    match b.read(5)? as u8 {
        31 => Ok(32 + b.read(6)? as u8),
        n => Ok(n),
    }
}

/// A 4-bit sampling frequency index, 15 escaping to an explicit 24-bit rate.
fn rate(b: &mut Bits<'_>) -> Result<u32, Error> {
    match b.read(4)? {
        15 => b.read(24),
        i => RATES.get(i as usize).copied().ok_or(Error::BadConfig),
    }
}

/// An MSB-first bit reader over a byte slice.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits { data, pos: 0 }
    }

    fn left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    /// The next `n <= 24` bits.
    fn read(&mut self, n: u32) -> Result<u32, Error> {
        let mut v = 0;
        for _ in 0..n {
            let byte = self.data.get(self.pos / 8).ok_or(Error::Truncated)?;
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_specific_configs() {
        // LC, 44.1 kHz, stereo (what ffmpeg writes).
        let lc = AudioConfig::parse(&[0x12, 0x10]).unwrap();
        assert_eq!(
            (lc.object_type, lc.rate, lc.channels, lc.sbr, lc.ps),
            (2, 44100, 2, false, false)
        );
        // Explicit HE-AAC: AOT 5, core 24 kHz, stereo, extension 48 kHz, core LC.
        let he = AudioConfig::parse(&[0x2b, 0x11, 0x88, 0x00]).unwrap();
        assert_eq!((he.object_type, he.rate, he.output_rate, he.sbr), (2, 24000, 48000, true));
        // Explicit HE-AAC v2: AOT 29, core 24 kHz, mono, extension 48 kHz.
        let v2 = AudioConfig::parse(&[0xeb, 0x09, 0x88, 0x00]).unwrap();
        assert_eq!((v2.object_type, v2.channels, v2.sbr, v2.ps), (2, 1, true, true));
        // Implicit: LC 22.05 kHz stereo + sync extension 0x2b7, SBR, 44.1 kHz.
        let imp = AudioConfig::parse(&[0x13, 0x90, 0x56, 0xe5, 0xa0]).unwrap();
        assert_eq!((imp.rate, imp.output_rate, imp.sbr, imp.ps), (22050, 44100, true, false));
        // Escaped object type 31 + 6 bits, explicit rate, 8 channels.
        let esc = AudioConfig::parse(&[0xf8, 0x1e, 0x00, 0x5d, 0xc0, 0xe0]).unwrap();
        assert_eq!((esc.object_type, esc.rate, esc.channels), (32, 12000, 8));
        assert_eq!(AudioConfig::parse(&[0x12]), Err(Error::Truncated));
        assert_eq!(AudioConfig::parse(&[0x16, 0x80]), Err(Error::BadConfig));
    }

    #[test]
    fn esds_descriptors() {
        // ES_Descriptor with a DecoderConfig (OTI 0x40, max 200000, avg 128000) and an ASC.
        let body = [
            0, 0, 0, 0, 3, 0x80, 0x80, 0x80, 25, 0, 1, 0, 4, 0x80, 0x80, 0x80, 17, 0x40, 0x15, 0,
            0, 0, 0, 3, 0x0d, 0x40, 0, 1, 0xf4, 0, 5, 2, 0x12, 0x10, 6, 1, 2,
        ];
        let e = Esds::parse(&body).unwrap();
        assert_eq!((e.oti, e.max_bitrate, e.avg_bitrate), (0x40, 200_000, 128_000));
        assert_eq!(e.config.map(|c| c.rate), Some(44100));
        assert!(!e.is_mp3());
        assert!(Esds::parse(&body[..20]).is_err());
    }
}
