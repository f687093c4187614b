//! Apple Lossless (ALAC): the stream configuration (the MP4 sample entry's magic cookie).

pub mod config;

use core::fmt;

pub use self::config::Config;

/// Why an ALAC stream cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The magic cookie is missing or describes an unsupported stream.
    BadConfig,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::BadConfig => "invalid ALAC configuration",
        })
    }
}

impl core::error::Error for Error {}
