//! Apple Lossless (ALAC): the decoder and a seekable reader of ALAC in MP4.
//!
//! [`Config`] is the stream configuration (the MP4 sample entry's magic cookie);
//! [`Decoder`] turns one packet into PCM (16, 20, 24 or 32 bits, 1 to 8 channels: SCE, CPE
//! and LFE elements, DSE and FIL skipped, escaped (uncompressed) and partial frames, shifted
//! low bytes, adaptive Golomb-Rice residuals, the adaptive predictor and stereo unmixing);
//! [`AlacFile`] reads an `.m4a` over a `Read + Seek` source with the MP4 sample tables:
//! exact length, and since every packet is independent, exact seeks to any frame.
//!
//! Samples come out as interleaved `i32` at the stream's own width (a 24-bit sample is in
//! `-2^23..2^23`), channels in the order the elements are coded (for 5.1: C L R Ls Rs LFE).
//! Bad input gives an [`Error`], never a panic; every loop consumes bits or samples.

mod bits;
pub mod config;
pub mod decoder;
pub mod file;
mod predict;
mod rice;

use core::fmt;

pub use self::config::Config;
pub use self::decoder::Decoder;
pub use self::file::AlacFile;
use crate::media::mp4;

/// Why an ALAC stream cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The magic cookie is missing or describes an unsupported stream.
    BadConfig,
    /// A packet ended before its last element did.
    Truncated,
    /// A packet's contents are invalid.
    Corrupt,
    /// A packet uses a feature ALAC decoders do not support (CCE, PCE elements, samples wider
    /// than 32 bits).
    Unsupported,
    /// The output buffer cannot hold one packet (decoder) or one frame (file).
    BufferTooSmall,
    /// An allocation failed.
    OutOfMemory,
    /// The MP4 container is unreadable or holds no ALAC track.
    Mp4(mp4::Error),
    /// The source failed.
    Io(embedded_io::ErrorKind),
}

/// Where coded channel `i` of a stream of `c` channels goes in WAV order (FL FR FC LFE BL BR
/// FLC FRC SL SR, the order ffmpeg decodes to):
/// `TO_WAV[c - 1][i]` (Apple's layouts: C L R Cs; C L R Ls Rs LFE; C L R Ls Rs Cs LFE;
/// C Lc Rc L R Ls Rs LFE).
pub const TO_WAV: [&[usize]; 8] = [
    &[0],
    &[0, 1],
    &[2, 0, 1],
    &[2, 0, 1, 3],
    &[2, 0, 1, 3, 4],
    &[2, 0, 1, 4, 5, 3],
    &[2, 0, 1, 4, 5, 6, 3],
    &[2, 6, 7, 0, 1, 4, 5, 3],
];

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadConfig => f.write_str("invalid ALAC configuration"),
            Error::Truncated => f.write_str("ALAC packet truncated"),
            Error::Corrupt => f.write_str("corrupt ALAC packet"),
            Error::Unsupported => f.write_str("unsupported ALAC feature"),
            Error::BufferTooSmall => f.write_str("output buffer too small"),
            Error::OutOfMemory => f.write_str("out of memory"),
            Error::Mp4(e) => write!(f, "{e}"),
            Error::Io(k) => write!(f, "read error: {k:?}"),
        }
    }
}

impl core::error::Error for Error {}

impl From<mp4::Error> for Error {
    fn from(e: mp4::Error) -> Self {
        Error::Mp4(e)
    }
}
