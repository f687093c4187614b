//! HTTP/1.x as a wire format: request heads in, response heads out, no I/O.
//!
//! Everything here works on byte slices the caller owns. [`request::parse`] borrows the received
//! bytes and a caller-supplied header array and answers `Partial` (read more) or a parsed
//! [`request::Request`]; every way a request can be refused is a variant of the flat
//! [`request::Error`], which knows the status code to answer with. [`response::Head`] writes a
//! status line and headers into any [`core::fmt::Write`], and [`SliceWriter`] makes a byte buffer
//! one that reports how many bytes a head needed when the buffer was too small.
//!
//! The DLNA media path needs a few header grammars on top: byte ranges ([`range`]), normal play
//! time seeks ([`npt`]), the IMF-fixdate of `Date` ([`date`]) and percent-decoding of request
//! paths with the checks that keep `..` and friends out of the file system ([`percent`]).
//!
//! No function in this module panics on any input: indexing goes through `get`, arithmetic is
//! checked or saturating, and numbers too large for their type are errors (or, where a grammar
//! says so, saturate).

pub mod date;
pub mod npt;
pub mod percent;
pub mod range;
pub mod request;
pub mod response;
mod write;

pub use write::{SliceWriter, WriteError};

/// A non-empty run of ASCII digits as a number, saturating at `u64::MAX` (any such length is
/// over every limit anyway).
pub(crate) fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let d = u64::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
        Some(acc.saturating_mul(10).saturating_add(d))
    })
}

/// `bytes` without leading and trailing spaces and tabs.
pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}
