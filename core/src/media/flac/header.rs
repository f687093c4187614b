//! The frame header (RFC 9639 §9.1): sync code, block size, rate, channel assignment, bit
//! depth, coded frame or sample number, and its CRC-8.
//!
//! [`FrameHeader::parse`] is also the frame sync test used to find frames in unknown bytes:
//! it accepts a candidate only when the reserved bits are zero, no code is reserved or
//! forbidden, the coded number is well formed, the header agrees with STREAMINFO and the
//! CRC-8 matches.

use super::crc::crc8;
use super::metadata::StreamInfo;
use super::Error;

/// Longest frame header in bytes: 4 fixed, 7 coded number, 2 + 2 uncommon, 1 CRC.
pub const MAX_HEADER_LEN: usize = 16;

/// How the channels of a frame are coded (§9.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Assignment {
    /// Every channel coded as it is.
    Independent,
    /// Left, then side (left − right).
    LeftSide,
    /// Side, then right.
    SideRight,
    /// Mid, then side.
    MidSide,
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FrameHeader {
    /// The coded number counts samples (variable block size) rather than frames.
    pub(super) variable: bool,
    /// Samples per channel in the frame.
    pub(super) block_size: u32,
    pub(super) assignment: Assignment,
    /// Channel count.
    pub(super) channels: u8,
    /// Bits per sample.
    pub(super) bits: u32,
    /// The coded frame number (fixed) or first sample (variable).
    pub(super) number: u64,
    /// Header length in bytes, CRC-8 included.
    pub(super) len: usize,
}

impl FrameHeader {
    /// The frame's first sample.
    pub(super) fn first_sample(&self, info: &StreamInfo) -> u64 {
        if self.variable {
            self.number
        } else {
            // libFLAC: the frame number times the fixed block size when STREAMINFO has one.
            let step = if info.fixed_block() { u32::from(info.max_block) } else { self.block_size };
            self.number.saturating_mul(u64::from(step))
        }
    }

    /// Parses the header at the start of `data`. [`Error::Truncated`] when `data` ends inside
    /// it; [`Error::Sync`] when it is not a valid header; [`Error::Mismatch`] when it disagrees
    /// with `info` (channels, bit depth, a block larger than the largest).
    pub(super) fn parse(data: &[u8], info: &StreamInfo) -> Result<Self, Error> {
        let byte = |i: usize| data.get(i).copied().ok_or(Error::Truncated);
        if byte(0)? != 0xFF || byte(1)? & 0xFE != 0xF8 {
            return Err(Error::Sync);
        }
        let variable = byte(1)? & 1 != 0;
        let (bs_code, rate_code) = (byte(2)? >> 4, byte(2)? & 15);
        let (ch_code, bits_code, reserved) = (byte(3)? >> 4, (byte(3)? >> 1) & 7, byte(3)? & 1);
        if bs_code == 0 || rate_code == 15 || ch_code > 10 || bits_code == 3 || reserved != 0 {
            return Err(Error::Sync);
        }
        let mut at = 4;
        let number = coded_number(data, &mut at)?;
        if !variable && number >= 1 << 31 {
            return Err(Error::Sync);
        }
        let mut tail = |n: usize| -> Result<u32, Error> {
            let mut v = 0u32;
            for _ in 0..n {
                v = v << 8 | u32::from(byte(at)?);
                at += 1;
            }
            Ok(v)
        };
        let block_size = match bs_code {
            1 => 192,
            2..=5 => 144 << bs_code,
            6 => tail(1)? + 1,
            7 => match tail(2)? {
                0xFFFF => return Err(Error::Sync),
                v => v + 1,
            },
            _ => 1 << bs_code,
        };
        // The rate is not needed to decode; its uncommon bytes are read to find the CRC.
        match rate_code {
            12 => drop(tail(1)?),
            13 | 14 => drop(tail(2)?),
            _ => {}
        }
        let crc = byte(at)?;
        if crc8(data.get(..at).unwrap_or_default()) != crc {
            return Err(Error::HeaderCrc);
        }
        let bits = match bits_code {
            0 => u32::from(info.bits),
            1 => 8,
            2 => 12,
            4 => 16,
            5 => 20,
            6 => 24,
            _ => 32,
        };
        let (channels, assignment) = match ch_code {
            0..=7 => (ch_code + 1, Assignment::Independent),
            8 => (2, Assignment::LeftSide),
            9 => (2, Assignment::SideRight),
            _ => (2, Assignment::MidSide),
        };
        if channels != info.channels
            || bits != u32::from(info.bits)
            || block_size > u32::from(info.max_block)
        {
            return Err(Error::Mismatch);
        }
        Ok(FrameHeader { variable, block_size, assignment, channels, bits, number, len: at + 1 })
    }
}

/// Reads the UTF-8-like coded number (§9.1.5) at `*at`: 1 to 7 bytes, up to 36 bits.
fn coded_number(data: &[u8], at: &mut usize) -> Result<u64, Error> {
    let first = *data.get(*at).ok_or(Error::Truncated)?;
    let extra = first.leading_ones() as usize;
    let (mut v, extra) = match extra {
        0 => (u64::from(first), 0),
        2..=7 => (u64::from(first) & (0x7F >> extra), extra - 1),
        _ => return Err(Error::Sync),
    };
    for i in 1..=extra {
        let b = *data.get(*at + i).ok_or(Error::Truncated)?;
        if b & 0xC0 != 0x80 {
            return Err(Error::Sync);
        }
        v = v << 6 | u64::from(b & 0x3F);
    }
    *at += extra + 1;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> StreamInfo {
        StreamInfo {
            min_block: 4096,
            max_block: 4096,
            min_frame: 0,
            max_frame: 0,
            rate: 44_100,
            channels: 2,
            bits: 16,
            total: 0,
            md5: [0; 16],
        }
    }

    fn with_crc(mut h: alloc::vec::Vec<u8>) -> alloc::vec::Vec<u8> {
        h.push(crc8(&h));
        h
    }

    #[test]
    fn parses() {
        // Fixed, block code 12 (4096), 44.1 kHz, mid/side, 16 bits, frame 2 (coded in 2 bytes).
        let h = with_crc(alloc::vec![0xFF, 0xF8, 0xC9, 0xA8, 0xC0, 0x82]);
        let f = FrameHeader::parse(&h, &info()).unwrap();
        assert_eq!((f.block_size, f.channels, f.bits, f.number, f.len), (4096, 2, 16, 2, 7));
        assert_eq!(f.assignment, Assignment::MidSide);
        assert_eq!(f.first_sample(&info()), 8192);
        assert_eq!(FrameHeader::parse(&h[..5], &info()), Err(Error::Truncated));
        let mut bad = h.clone();
        bad[6] ^= 1;
        assert_eq!(FrameHeader::parse(&bad, &info()), Err(Error::HeaderCrc));
        // Uncommon 16-bit block size 1000 and a 16-bit rate in Hz.
        let h = with_crc(alloc::vec![0xFF, 0xF9, 0x7D, 0x18, 0x00, 0x03, 0xE7, 0x1F, 0x40]);
        let f = FrameHeader::parse(&h, &info()).unwrap();
        assert_eq!((f.block_size, f.variable, f.len), (1000, true, 10));
        // Reserved bit depth code 3.
        let h = with_crc(alloc::vec![0xFF, 0xF8, 0xC9, 0x16, 0x00]);
        assert_eq!(FrameHeader::parse(&h, &info()), Err(Error::Sync));
    }
}
