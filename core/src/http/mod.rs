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

#[cfg(test)]
mod tests {
    //! Every parser in this module on mangled versions of real inputs: no panic, and whatever
    //! comes back stays inside its input.

    use super::*;

    /// Deterministic variants of `seed`: every truncation, and byte substitutions and
    /// insertions at every position with bytes that matter to the grammars.
    fn variants(seed: &[u8], mut each: impl FnMut(&[u8])) {
        const SPECIAL: &[u8] = b"\x00\r\n :,-=.%/\\\x7f\xff0";
        for end in 0..=seed.len() {
            each(&seed[..end]);
        }
        for i in 0..seed.len() {
            for &b in SPECIAL {
                let mut v = seed.to_vec();
                v[i] = b;
                each(&v);
                v.insert(i, b);
                each(&v);
            }
        }
    }

    #[test]
    fn mangled_inputs_never_panic() {
        let request = b"GET /media/1.l16?x=%41 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\
                        Connection: close\r\nRange: bytes=0-99\r\n\r\nhello";
        variants(request, |v| {
            let mut storage = [request::EMPTY_HEADER; 8];
            let limits = request::RequestLimits { max_head: 96, max_headers: 8, max_body: 10 };
            if let Ok(request::Parsed::Complete(r)) = request::parse(v, &mut storage, &limits) {
                assert!(r.head_len <= v.len() && r.head_len <= 96);
                assert!(r.content_length <= 10);
                let mut path = [0u8; 64];
                let _ = percent::decode_path(r.target, &mut path);
            }
        });
        variants(b"bytes=0-99, 200-, -300", |v| {
            if let range::Resolution::Partial(r) = range::resolve(v, 1000) {
                assert!(r.first <= r.last && r.last < 1000);
            }
        });
        variants(b"npt=0:01:02.345-417.33", |v| {
            if let Ok(t) = npt::parse(v) {
                assert!(t.end.is_none_or(|end| end >= t.start));
            }
        });
        variants(b"/a%20b/%E2%82%AC/c.mp3", |v| {
            let text = String::from_utf8_lossy(v);
            let mut out = [0u8; 32];
            if let Ok(p) = percent::decode_path(&text, &mut out) {
                assert!(p.starts_with('/') && !p.split('/').any(|s| s == ".."));
            }
        });
    }
}
