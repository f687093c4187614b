//! The identification header (the first Vorbis packet) and packet classification.

use super::bits::Reader;
use super::Error;

/// What a Vorbis packet is, judged from its first byte (and the `vorbis` magic for headers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKind {
    /// Identification header (type 1).
    Ident,
    /// Comment header (type 3).
    Comment,
    /// Setup header (type 5).
    Setup,
    /// An audio packet (first bit clear).
    Audio,
    /// Anything else: empty, an unknown header type or a header without the magic.
    Unknown,
}

/// Classifies `packet` by its first byte; header types also need the `vorbis` magic.
pub fn packet_kind(packet: &[u8]) -> PacketKind {
    let Some(&first) = packet.first() else {
        return PacketKind::Unknown;
    };
    if first & 1 == 0 {
        return PacketKind::Audio;
    }
    if packet.get(1..7) != Some(b"vorbis") {
        return PacketKind::Unknown;
    }
    match first {
        1 => PacketKind::Ident,
        3 => PacketKind::Comment,
        5 => PacketKind::Setup,
        _ => PacketKind::Unknown,
    }
}

/// The identification header: channel count, rate, bitrate hints and the two block sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ident {
    /// Number of audio channels, 1..=255.
    pub channels: u8,
    /// Sample rate in Hz, non-zero.
    pub rate: u32,
    /// Maximum bitrate hint in bits per second (0 or -1 when unset).
    pub bitrate_max: i32,
    /// Nominal bitrate hint in bits per second (0 or -1 when unset).
    pub bitrate_nominal: i32,
    /// Minimum bitrate hint in bits per second (0 or -1 when unset).
    pub bitrate_min: i32,
    /// Short and long block sizes in samples: powers of two, 64..=8192, short <= long.
    pub blocksize: [u16; 2],
}

impl Ident {
    /// Parses and validates an identification header packet.
    pub fn parse(packet: &[u8]) -> Result<Ident, Error> {
        if packet_kind(packet) != PacketKind::Ident {
            return Err(Error::NotVorbis);
        }
        let mut r = Reader::new(packet.get(7..).unwrap_or(&[]));
        let mut read = |n| r.read(n).ok_or(Error::BadHeader);
        if read(32)? != 0 {
            return Err(Error::UnsupportedVersion);
        }
        let channels = read(8)? as u8;
        let rate = read(32)?;
        let bitrate_max = read(32)? as i32;
        let bitrate_nominal = read(32)? as i32;
        let bitrate_min = read(32)? as i32;
        let b0 = read(4)?;
        let b1 = read(4)?;
        let framing = read(1)?;
        if channels == 0 || rate == 0 || !(6..=13).contains(&b0) || !(6..=13).contains(&b1) {
            return Err(Error::BadHeader);
        }
        if b0 > b1 || framing != 1 {
            return Err(Error::BadHeader);
        }
        Ok(Ident {
            channels,
            rate,
            bitrate_max,
            bitrate_nominal,
            bitrate_min,
            blocksize: [1 << b0, 1 << b1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(channels: u8, b0: u8, b1: u8) -> [u8; 30] {
        let mut p = [0u8; 30];
        p[0] = 1;
        p[1..7].copy_from_slice(b"vorbis");
        p[11] = channels;
        p[12..16].copy_from_slice(&44100u32.to_le_bytes());
        p[20..24].copy_from_slice(&128000i32.to_le_bytes());
        p[28] = b0 | (b1 << 4);
        p[29] = 1;
        p
    }

    #[test]
    fn parses_a_stereo_header() {
        let id = Ident::parse(&header(2, 8, 11)).unwrap();
        assert_eq!(id.channels, 2);
        assert_eq!(id.rate, 44100);
        assert_eq!(id.bitrate_nominal, 128000);
        assert_eq!(id.blocksize, [256, 2048]);
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(Ident::parse(&header(0, 8, 11)), Err(Error::BadHeader));
        assert_eq!(Ident::parse(&header(2, 11, 8)), Err(Error::BadHeader));
        assert_eq!(Ident::parse(&header(2, 5, 8)), Err(Error::BadHeader));
        let mut no_framing = header(2, 8, 11);
        no_framing[29] = 0;
        assert_eq!(Ident::parse(&no_framing), Err(Error::BadHeader));
        assert_eq!(Ident::parse(&header(2, 8, 11)[..29]), Err(Error::BadHeader));
        let mut version = header(2, 8, 11);
        version[7] = 1;
        assert_eq!(Ident::parse(&version), Err(Error::UnsupportedVersion));
        assert_eq!(Ident::parse(b"\x01vorbix"), Err(Error::NotVorbis));
    }

    #[test]
    fn classifies_packets() {
        assert_eq!(packet_kind(&header(2, 8, 11)), PacketKind::Ident);
        assert_eq!(packet_kind(b"\x03vorbis"), PacketKind::Comment);
        assert_eq!(packet_kind(b"\x05vorbis"), PacketKind::Setup);
        assert_eq!(packet_kind(b"\x07vorbis"), PacketKind::Unknown);
        assert_eq!(packet_kind(b"\x05vorbiz"), PacketKind::Unknown);
        assert_eq!(packet_kind(&[0x42]), PacketKind::Audio);
        assert_eq!(packet_kind(&[]), PacketKind::Unknown);
    }
}
