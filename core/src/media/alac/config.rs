//! The ALAC magic cookie: the 24-byte ALACSpecificConfig (Apple's
//! `ALACMagicCookieDescription.txt`), big-endian, possibly followed by a channel layout.

use super::Error;

/// Largest `frameLength` accepted: Apple's and FFmpeg's encoders write 4096. It bounds the
/// decoder's buffers (two `i32` per sample per channel).
pub const MAX_FRAME_LENGTH: u32 = 16_384;

/// Most channels an ALAC stream has.
pub const MAX_CHANNELS: u8 = 8;

/// The decoder configuration of an ALAC stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// PCM frames per packet (the last packet may hold fewer).
    pub frame_length: u32,
    /// Bits per sample: 16, 20, 24 or 32.
    pub bit_depth: u8,
    /// Rice tuning: history multiplier.
    pub pb: u8,
    /// Rice tuning: initial history.
    pub mb: u8,
    /// Rice tuning: parameter limit.
    pub kb: u8,
    /// Channel count, 1 to 8.
    pub channels: u8,
    /// Longest run of zeros the encoder codes (informational).
    pub max_run: u16,
    /// Largest packet in bytes (0: unknown).
    pub max_frame_bytes: u32,
    /// Average bitrate in bits per second (0: unknown).
    pub avg_bit_rate: u32,
    /// Sample rate in Hz.
    pub rate: u32,
}

impl Config {
    /// Parses a cookie (at least 24 bytes; a channel layout after them is ignored: the
    /// channels come out in the order the elements are coded).
    pub fn parse(cookie: &[u8]) -> Result<Config, Error> {
        let b: &[u8; 24] =
            cookie.get(..24).and_then(|b| b.try_into().ok()).ok_or(Error::BadConfig)?;
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let c = Config {
            frame_length: u32_at(0),
            bit_depth: b[5],
            pb: b[6],
            mb: b[7],
            kb: b[8],
            channels: b[9],
            max_run: u16::from_be_bytes([b[10], b[11]]),
            max_frame_bytes: u32_at(12),
            avg_bit_rate: u32_at(16),
            rate: u32_at(20),
        };
        let valid = b[4] == 0
            && matches!(c.bit_depth, 16 | 20 | 24 | 32)
            && (1..=MAX_CHANNELS).contains(&c.channels)
            && (1..=MAX_FRAME_LENGTH).contains(&c.frame_length)
            && c.rate > 0
            && c.kb <= 32;
        if valid {
            Ok(c)
        } else {
            Err(Error::BadConfig)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_fields() {
        let mut cookie = [0u8; 24];
        cookie[..4].copy_from_slice(&4096u32.to_be_bytes());
        cookie[5..10].copy_from_slice(&[24, 40, 10, 14, 2]);
        cookie[10..12].copy_from_slice(&255u16.to_be_bytes());
        cookie[20..].copy_from_slice(&48_000u32.to_be_bytes());
        let c = Config::parse(&cookie).unwrap();
        assert_eq!((c.frame_length, c.bit_depth, c.channels, c.rate), (4096, 24, 2, 48_000));
        assert_eq!((c.pb, c.mb, c.kb, c.max_run), (40, 10, 14, 255));
        assert_eq!(Config::parse(&cookie[..23]), Err(Error::BadConfig));
        for (at, bad) in [(5, 18), (9, 0), (9, 9), (4, 1), (0, 1)] {
            let mut c = cookie;
            c[at] = bad;
            assert_eq!(Config::parse(&c), Err(Error::BadConfig), "byte {at} = {bad}");
        }
    }
}
