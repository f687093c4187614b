//! Metadata blocks (RFC 9639 §8): the block header, STREAMINFO and SEEKTABLE points.
//!
//! VORBIS_COMMENT and PICTURE blocks are kept as bytes and read with
//! [`crate::media::tags`]; PADDING, APPLICATION and CUESHEET blocks are skipped.

use super::Error;

/// Length of the STREAMINFO block body.
pub const STREAMINFO_LEN: usize = 34;
/// Length of one SEEKTABLE point.
pub const SEEK_POINT_LEN: usize = 18;

/// Block types Rill reads.
pub(super) const STREAMINFO: u8 = 0;
pub(super) const SEEKTABLE: u8 = 3;
pub(super) const VORBIS_COMMENT: u8 = 4;
pub(super) const PICTURE: u8 = 6;

/// A metadata block header: last-block flag, type and body length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BlockHeader {
    pub(super) last: bool,
    pub(super) kind: u8,
    pub(super) len: u32,
}

impl BlockHeader {
    /// Parses the 4 header bytes. Type 127 is forbidden (§8.1).
    pub(super) fn parse(b: [u8; 4]) -> Result<Self, Error> {
        let kind = b[0] & 0x7F;
        if kind == 127 {
            return Err(Error::BadMetadata);
        }
        Ok(BlockHeader {
            last: b[0] & 0x80 != 0,
            kind,
            len: u32::from_be_bytes([0, b[1], b[2], b[3]]),
        })
    }
}

/// The STREAMINFO block: the stream's fixed properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StreamInfo {
    /// Smallest block size in samples (the last block excepted); equal to `max_block` for a
    /// fixed block size stream.
    pub min_block: u16,
    /// Largest block size in samples.
    pub max_block: u16,
    /// Smallest frame in bytes; 0 when unknown.
    pub min_frame: u32,
    /// Largest frame in bytes; 0 when unknown.
    pub max_frame: u32,
    /// Sample rate in Hz.
    pub rate: u32,
    /// Channels, 1 to 8.
    pub channels: u8,
    /// Bits per sample, 4 to 32.
    pub bits: u8,
    /// Samples per channel in the stream; 0 when unknown.
    pub total: u64,
    /// MD5 of the decoded samples; all zero when unknown.
    pub md5: [u8; 16],
}

impl StreamInfo {
    /// Parses the 34-byte body, checking what the decoder relies on: block sizes 16..=65535
    /// (the smallest may be lower only if equal to the largest, as some encoders write for
    /// one-frame files), a non-zero rate, 4 to 32 bits.
    pub fn parse(b: &[u8; STREAMINFO_LEN]) -> Result<Self, Error> {
        let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let u24_at = |i: usize| u32::from_be_bytes([0, b[i], b[i + 1], b[i + 2]]);
        let packed = u64::from_be_bytes([b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17]]);
        let mut md5 = [0u8; 16];
        md5.copy_from_slice(&b[18..34]);
        let info = StreamInfo {
            min_block: u16_at(0),
            max_block: u16_at(2),
            min_frame: u24_at(4),
            max_frame: u24_at(7),
            rate: (packed >> 44) as u32,
            channels: ((packed >> 41) & 7) as u8 + 1,
            bits: ((packed >> 36) & 31) as u8 + 1,
            total: packed & 0xF_FFFF_FFFF,
            md5,
        };
        let blocks_ok = info.max_block >= 16 && info.min_block <= info.max_block;
        if !blocks_ok || info.rate == 0 || info.bits < 4 {
            return Err(Error::BadMetadata);
        }
        Ok(info)
    }

    /// The stream has a fixed block size: frame `n` starts at sample `n × max_block`.
    pub fn fixed_block(&self) -> bool {
        self.min_block == self.max_block
    }
}

/// One SEEKTABLE point: a frame starting at `sample`, `offset` bytes after the first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeekPoint {
    /// First sample of the frame.
    pub sample: u64,
    /// Byte offset of the frame from the first frame header.
    pub offset: u64,
}

impl SeekPoint {
    /// Parses an 18-byte point; placeholders and points without samples give `None`.
    pub(super) fn parse(b: &[u8; SEEK_POINT_LEN]) -> Option<Self> {
        let sample = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let offset = u64::from_be_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]);
        let frames = u16::from_be_bytes([b[16], b[17]]);
        (sample != u64::MAX && frames != 0).then_some(SeekPoint { sample, offset })
    }
}

/// Length of an ID3v2 tag at the start of `head` (10 header bytes, a syncsafe size and, when
/// flagged, a 10-byte footer), or `None` when `head` does not start with one.
pub(super) fn id3v2_len(head: &[u8; 10]) -> Option<u64> {
    if &head[..3] != b"ID3" || head[6..10].iter().any(|&b| b & 0x80 != 0) {
        return None;
    }
    let size = head[6..10].iter().fold(0u64, |s, &b| s << 7 | u64::from(b));
    let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
    Some(10 + size + footer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_info() {
        let mut b = [0u8; STREAMINFO_LEN];
        b[..4].copy_from_slice(&[0x10, 0x00, 0x10, 0x00]);
        // 44100 Hz, 2 channels, 16 bits, 1000 samples.
        let packed: u64 = (44_100 << 44) | (1 << 41) | (15 << 36) | 1000;
        b[10..18].copy_from_slice(&packed.to_be_bytes());
        let i = StreamInfo::parse(&b).unwrap();
        assert_eq!((i.rate, i.channels, i.bits, i.total), (44_100, 2, 16, 1000));
        assert!(i.fixed_block());
        b[2] = 0; // max block 0
        assert_eq!(StreamInfo::parse(&b), Err(Error::BadMetadata));
    }

    #[test]
    fn id3() {
        assert_eq!(id3v2_len(b"ID3\x04\x00\x00\x00\x00\x01\x01"), Some(10 + 129));
        assert_eq!(id3v2_len(b"ID3\x04\x00\x10\x00\x00\x00\x01"), Some(21));
        assert_eq!(id3v2_len(b"fLaC\x00\x00\x00\x22\x00\x00"), None);
    }
}
