//! Byte ranges: the `Range: bytes=...` request header and the `Content-Range` answer.
//!
//! [`resolve`] turns a `Range` value and the representation length into what to send:
//! - [`Resolution::Partial`]: 206 with `Content-Range: bytes first-last/len`;
//! - [`Resolution::Unsatisfiable`]: 416 with `Content-Range: bytes */len`;
//! - [`Resolution::Whole`]: 200 with everything, as if there were no `Range` header.
//!
//! Grammar (RFC 9110 §14.1): `bytes=` then a comma list of `first-last`, `first-` or `-suffix`,
//! with optional whitespace around every item, the `=` and the `-`; the unit name is
//! case-insensitive; empty list items are skipped. A value that does not follow the grammar, uses
//! another unit, or has `last < first` is ignored (200 whole, as RFC 9110 §14.2 allows). Numbers
//! are arbitrarily long digit strings: one beyond `u64` saturates at `u64::MAX`, which is past
//! every length, so a huge `first` is unsatisfiable and a huge `last` or suffix means "to the end".
//!
//! Several ranges (we never send `multipart/byteranges`): the satisfiable ones are sorted and
//! coalesced when they overlap or touch. If they come to one span, that span is answered with
//! 206 (`bytes=0-99,100-199` is `0-199`); if they stay apart, the whole representation is sent
//! with 200; if none is satisfiable, 416. A list of more than [`MAX_RANGES`] items is ignored
//! (200 whole), which also bounds the work a hostile header can cause.

use core::fmt;

use heapless::Vec;

use super::{decimal, trim};

/// The most range items looked at in one `Range` header; longer lists are ignored.
pub const MAX_RANGES: usize = 8;

/// One item of a byte range list, before the representation length is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Spec {
    /// `first-last`, both inclusive.
    FromTo(u64, u64),
    /// `first-`: from `first` to the end.
    From(u64),
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

impl Spec {
    /// The inclusive byte span this item selects in a representation of `len` bytes, if any.
    pub fn resolve(self, len: u64) -> Option<ByteRange> {
        let last_byte = len.checked_sub(1)?;
        let (first, last) = match self {
            Spec::FromTo(first, last) => (first, last.min(last_byte)),
            Spec::From(first) => (first, last_byte),
            Spec::Suffix(0) => return None,
            Spec::Suffix(n) => (len.saturating_sub(n), last_byte),
        };
        (first <= last).then_some(ByteRange { first, last })
    }
}

/// An inclusive span of bytes `first..=last` inside a representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ByteRange {
    /// The first byte sent.
    pub first: u64,
    /// The last byte sent (inclusive).
    pub last: u64,
}

impl ByteRange {
    /// The number of bytes in the span (the `Content-Length` of a 206).
    pub const fn len(self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a span holds at least one byte. (Present because `len` is.)
    pub const fn is_empty(self) -> bool {
        false
    }
}

/// What to answer a request with a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Resolution {
    /// 206 Partial Content with this span.
    Partial(ByteRange),
    /// 416 Range Not Satisfiable with `Content-Range: bytes */len`.
    Unsatisfiable,
    /// 200 OK with the whole representation (malformed, other unit, or disjoint ranges).
    Whole,
}

/// Parses a `Range` value into its items; `None` when it is to be ignored (bad syntax, another
/// unit, `last < first`, no items, or more than [`MAX_RANGES`]).
pub fn parse(value: &[u8]) -> Option<Vec<Spec, MAX_RANGES>> {
    let value = trim(value);
    let eq = value.iter().position(|&b| b == b'=')?;
    let (unit, list) = (value.get(..eq)?, value.get(eq + 1..)?);
    if !trim(unit).eq_ignore_ascii_case(b"bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for item in list.split(|&b| b == b',').map(trim).filter(|i| !i.is_empty()) {
        specs.push(parse_spec(item)?).ok()?;
    }
    (!specs.is_empty()).then_some(specs)
}

fn parse_spec(item: &[u8]) -> Option<Spec> {
    let dash = item.iter().position(|&b| b == b'-')?;
    let (first, last) = (trim(item.get(..dash)?), trim(item.get(dash + 1..)?));
    match (first.is_empty(), last.is_empty()) {
        (true, true) => None,
        (true, false) => Some(Spec::Suffix(decimal(last)?)),
        (false, true) => Some(Spec::From(decimal(first)?)),
        (false, false) => {
            let (first, last) = (decimal(first)?, decimal(last)?);
            (first <= last).then_some(Spec::FromTo(first, last))
        }
    }
}

/// Decides the answer to `Range: value` for a representation of `len` bytes (see module docs).
pub fn resolve(value: &[u8], len: u64) -> Resolution {
    let Some(specs) = parse(value) else {
        return Resolution::Whole;
    };
    let mut spans: Vec<ByteRange, MAX_RANGES> =
        specs.iter().filter_map(|s| s.resolve(len)).collect();
    crate::util::insertion_sort::sort_by_key(&mut spans, |s| *s);
    let mut spans = spans.iter();
    let Some(mut merged) = spans.next().copied() else {
        return Resolution::Unsatisfiable;
    };
    for span in spans {
        // Sorted by `first`, so `span` extends `merged` if it starts no later than one past its end.
        if span.first <= merged.last.saturating_add(1) {
            merged.last = merged.last.max(span.last);
        } else {
            return Resolution::Whole;
        }
    }
    Resolution::Partial(merged)
}

/// A `Content-Range` value, written by its [`fmt::Display`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ContentRange {
    /// `bytes first-last/len`, for a 206.
    Bytes {
        /// The span sent.
        range: ByteRange,
        /// The length of the whole representation.
        len: u64,
    },
    /// `bytes */len`, for a 416.
    Unsatisfied {
        /// The length of the whole representation.
        len: u64,
    },
}

impl fmt::Display for ContentRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentRange::Bytes { range, len } => {
                write!(f, "bytes {}-{}/{}", range.first, range.last, len)
            }
            ContentRange::Unsatisfied { len } => write!(f, "bytes */{len}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(first: u64, last: u64) -> Resolution {
        Resolution::Partial(ByteRange { first, last })
    }

    #[test]
    fn single_ranges() {
        assert_eq!(resolve(b"bytes=0-499", 10_000), partial(0, 499));
        assert_eq!(resolve(b"bytes=500-999", 10_000), partial(500, 999));
        assert_eq!(resolve(b"bytes=9500-", 10_000), partial(9500, 9999));
        assert_eq!(resolve(b"bytes=-500", 10_000), partial(9500, 9999));
        // VLC and most renderers: an open range from where they want to resume.
        assert_eq!(resolve(b"bytes=4096-", 42_336_000), partial(4096, 42_335_999));
        // Kodi asks for the whole file as a range.
        assert_eq!(resolve(b"bytes=0-", 42_336_000), partial(0, 42_335_999));
        // A last past the end is clamped; a suffix longer than the file is the whole file.
        assert_eq!(resolve(b"bytes=9000-20000", 10_000), partial(9000, 9999));
        assert_eq!(resolve(b"bytes=-20000", 10_000), partial(0, 9999));
        assert_eq!(resolve(b"bytes=5-5", 10), partial(5, 5));
    }

    #[test]
    fn whitespace_and_case() {
        assert_eq!(resolve(b"  Bytes = 100 - 199 ", 1000), partial(100, 199));
        assert_eq!(resolve(b"BYTES=\t-10", 1000), partial(990, 999));
        assert_eq!(resolve(b"bytes=, 0-9 ,,", 1000), partial(0, 9));
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(resolve(b"bytes=10000-", 10_000), Resolution::Unsatisfiable);
        assert_eq!(resolve(b"bytes=10000-10005", 10_000), Resolution::Unsatisfiable);
        assert_eq!(resolve(b"bytes=-0", 10_000), Resolution::Unsatisfiable);
        assert_eq!(resolve(b"bytes=0-", 0), Resolution::Unsatisfiable);
        assert_eq!(resolve(b"bytes=-5", 0), Resolution::Unsatisfiable);
        assert_eq!(resolve(b"bytes=20-30,40-", 10), Resolution::Unsatisfiable);
    }

    #[test]
    fn malformed_is_ignored() {
        for bad in [
            &b""[..],
            b"bytes",
            b"bytes=",
            b"bytes=-",
            b"bytes=a-b",
            b"bytes=5-4",
            b"bytes=1-2-3",
            b"bytes=0x10-",
            b"bytes=+5-",
            b"bytes=-+5",
            b"items=0-5",
            b"bytes 0-5",
            b"bytes=0-5;6-7",
            b"bytes=\xff-",
        ] {
            assert_eq!(parse(bad), None, "{:?}", core::str::from_utf8(bad));
            assert_eq!(resolve(bad, 100), Resolution::Whole);
        }
    }

    #[test]
    fn absurd_numbers() {
        let huge = b"bytes=99999999999999999999999999999999-";
        assert_eq!(parse(huge).unwrap()[0], Spec::From(u64::MAX));
        assert_eq!(resolve(huge, u64::MAX), Resolution::Unsatisfiable);
        assert_eq!(resolve(b"bytes=0-99999999999999999999999", 10), partial(0, 9));
        assert_eq!(resolve(b"bytes=-99999999999999999999999", 10), partial(0, 9));
        assert_eq!(
            resolve(b"bytes=18446744073709551614-", u64::MAX),
            partial(u64::MAX - 1, u64::MAX - 1)
        );
        assert_eq!(ByteRange { first: 0, last: u64::MAX - 1 }.len(), u64::MAX);
        // Two huge spans that touch at the top do not overflow when merged.
        assert_eq!(
            resolve(
                b"bytes=18446744073709551613-18446744073709551613,18446744073709551614-",
                u64::MAX
            ),
            partial(u64::MAX - 2, u64::MAX - 1)
        );
    }

    #[test]
    fn multiple_ranges() {
        // Adjacent and overlapping spans coalesce into one 206, in any order.
        assert_eq!(resolve(b"bytes=0-99,100-199", 1000), partial(0, 199));
        assert_eq!(resolve(b"bytes=100-199, 0-149", 1000), partial(0, 199));
        assert_eq!(resolve(b"bytes=500-, -600", 1000), partial(400, 999));
        assert_eq!(resolve(b"bytes=0-0,0-0,0-0", 1000), partial(0, 0));
        // Unsatisfiable items are dropped before merging.
        assert_eq!(resolve(b"bytes=0-9,5000-6000", 1000), partial(0, 9));
        // Disjoint spans: the whole representation.
        assert_eq!(resolve(b"bytes=0-9,20-29", 1000), Resolution::Whole);
        assert_eq!(resolve(b"bytes=-1,0-0", 1000), Resolution::Whole);
        // One bad item spoils the header.
        assert_eq!(resolve(b"bytes=0-9,x", 1000), Resolution::Whole);
        // Up to MAX_RANGES items are considered, more are ignored.
        assert_eq!(resolve(b"bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13,14-15", 1000), partial(0, 15));
        assert_eq!(
            resolve(b"bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13,14-15,16-17", 1000),
            Resolution::Whole
        );
    }

    #[test]
    fn content_range_format() {
        let range = ByteRange { first: 5_292_000, last: 42_335_999 };
        assert_eq!(
            ContentRange::Bytes { range, len: 42_336_000 }.to_string(),
            "bytes 5292000-42335999/42336000"
        );
        assert_eq!(ContentRange::Unsatisfied { len: 10 }.to_string(), "bytes */10");
        assert_eq!(range.len(), 37_044_000);
    }
}
