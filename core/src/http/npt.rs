//! DLNA time seeks: `TimeSeekRange.dlna.org: npt=START-[END]` and the answer's echo.
//!
//! Times are normal play time (RFC 2326 §3.6 as profiled by DLNA): either seconds with an
//! optional fraction (`417.33`) or `H:MM:SS` with an optional fraction (`0:06:57.330`), where the
//! hours have any number of digits and minutes and seconds are below 60. We also take `MM:SS`
//! and single-digit minutes or seconds (`1:2:3`), which some control points send. Fractions finer
//! than a microsecond are truncated. Whitespace around `=`, `-` and the times is tolerated; `npt`
//! is case-insensitive. The PS3 sends `npt=0.00-` and later `npt=417.33-`.
//!
//! Times are microseconds in a `u64`. A time that does not fit is [`Error::Overflow`], an END
//! before START is [`Error::Order`], anything else that does not follow the grammar (including
//! `now` and the `/duration` that only answers carry) is [`Error::Syntax`]. All three are 400 for
//! a request that otherwise asks for a supported time seek.

use core::fmt;

use super::range::ByteRange;
use super::{decimal, trim};

/// Why a `TimeSeekRange.dlna.org` value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// Not `npt=START-[END]` with valid times.
    Syntax,
    /// END is before START.
    Order,
    /// A time does not fit in a `u64` of microseconds.
    Overflow,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Syntax => "malformed npt time range",
            Error::Order => "npt range ends before it starts",
            Error::Overflow => "npt time out of range",
        })
    }
}

impl core::error::Error for Error {}

/// A requested time range in microseconds; `end` is `None` for "to the end".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimeRange {
    /// Where playback starts.
    pub start: u64,
    /// Where it ends, if the request said so.
    pub end: Option<u64>,
}

/// Parses a `TimeSeekRange.dlna.org` value such as `npt=417.33-` or `npt=0:00:30-0:04:00`.
pub fn parse(value: &[u8]) -> Result<TimeRange, Error> {
    let value = trim(value);
    let rest = match value.get(..3) {
        Some(unit) if unit.eq_ignore_ascii_case(b"npt") => value.get(3..).unwrap_or_default(),
        _ => return Err(Error::Syntax),
    };
    let rest = trim(rest).strip_prefix(b"=").ok_or(Error::Syntax)?;
    let dash = rest.iter().position(|&b| b == b'-').ok_or(Error::Syntax)?;
    let start = parse_time(trim(rest.get(..dash).unwrap_or_default()))?;
    let end = trim(rest.get(dash + 1..).unwrap_or_default());
    let end = if end.is_empty() { None } else { Some(parse_time(end)?) };
    match end {
        Some(end) if end < start => Err(Error::Order),
        _ => Ok(TimeRange { start, end }),
    }
}

/// One npt time in microseconds: `S[.f]`, `M:SS[.f]` or `H:MM:SS[.f]`.
pub fn parse_time(text: &[u8]) -> Result<u64, Error> {
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => {
            (text.get(..dot).unwrap_or_default(), Some(text.get(dot + 1..).unwrap_or_default()))
        }
        None => (text, None),
    };
    let mut parts = whole.split(|&b| b == b':');
    let fields = [parts.next(), parts.next(), parts.next(), parts.next()];
    let secs = match fields {
        [Some(s), None, None, None] => number(s)?,
        [Some(m), Some(s), None, None] => sexagesimal(0, m, s)?,
        [Some(h), Some(m), Some(s), None] => sexagesimal(number(h)?, m, s)?,
        _ => return Err(Error::Syntax),
    };
    let micros = match fraction {
        None => 0,
        Some(f) if f.is_empty() || !f.iter().all(u8::is_ascii_digit) => return Err(Error::Syntax),
        // Up to six digits; the scale makes "5" 500000 and "333" 333000.
        Some(f) => f
            .iter()
            .take(6)
            .zip([100_000, 10_000, 1000, 100, 10, 1])
            .fold(0, |acc, (d, scale)| acc + u64::from(d - b'0') * scale),
    };
    secs.checked_mul(1_000_000).and_then(|m| m.checked_add(micros)).ok_or(Error::Overflow)
}

/// `hours * 3600 + minutes * 60 + seconds`, with minutes and seconds one or two digits below 60.
fn sexagesimal(hours: u64, minutes: &[u8], seconds: &[u8]) -> Result<u64, Error> {
    let small = |field: &[u8]| match number(field)? {
        n if field.len() <= 2 && n < 60 => Ok(n),
        _ => Err(Error::Syntax),
    };
    let (m, s) = (small(minutes)?, small(seconds)?);
    hours.checked_mul(3600).and_then(|h| h.checked_add(m * 60 + s)).ok_or(Error::Overflow)
}

fn number(digits: &[u8]) -> Result<u64, Error> {
    match decimal(digits) {
        None => Err(Error::Syntax),
        Some(u64::MAX) => Err(Error::Overflow),
        Some(n) => Ok(n),
    }
}

/// Microseconds written as seconds with three decimals (`30.000`), the form DLNA answers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Seconds(pub u64);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1_000_000, self.0 % 1_000_000 / 1000)
    }
}

/// The `TimeSeekRange.dlna.org` value of a time-seek answer, written by its [`fmt::Display`]:
/// `npt=30.000-240.000/240.000 bytes=5292000-42335999/42336000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Answer {
    /// Start of what is sent, in microseconds.
    pub start: u64,
    /// End of what is sent, in microseconds.
    pub end: u64,
    /// The whole duration in microseconds, or `None` to write `*`.
    pub duration: Option<u64>,
    /// The bytes sent and the whole length, for the optional `bytes=` part.
    pub bytes: Option<(ByteRange, u64)>,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "npt={}-{}/", Seconds(self.start), Seconds(self.end))?;
        match self.duration {
            Some(d) => write!(f, "{}", Seconds(d))?,
            None => f.write_str("*")?,
        }
        if let Some((range, len)) = self.bytes {
            write!(f, " bytes={}-{}/{}", range.first, range.last, len)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    fn range(start: u64, end: Option<u64>) -> Result<TimeRange, Error> {
        Ok(TimeRange { start, end })
    }

    #[test]
    fn seconds_forms() {
        // What a PS3 sends: first play, then a seek.
        assert_eq!(parse(b"npt=0.00-"), range(0, None));
        assert_eq!(parse(b"npt=417.33-"), range(417 * S + 330_000, None));
        assert_eq!(parse(b"npt=30-240"), range(30 * S, Some(240 * S)));
        assert_eq!(parse(b"npt=1.5-1.5"), range(1_500_000, Some(1_500_000)));
        assert_eq!(parse(b"npt=0.1234567-"), range(123_456, None));
    }

    #[test]
    fn clock_forms() {
        assert_eq!(parse(b"npt=0:06:57.330-"), range(417 * S + 330_000, None));
        assert_eq!(parse(b"npt=00:00:30.000-00:04:00.000"), range(30 * S, Some(240 * S)));
        assert_eq!(parse(b"npt=10:00:00-"), range(36_000 * S, None));
        assert_eq!(parse(b"npt=1:30-2:00"), range(90 * S, Some(120 * S)));
        assert_eq!(parse(b"npt=1:2:3-"), range(3723 * S, None));
        assert_eq!(parse(b"npt=0:00:05.5-0:00:10"), range(5_500_000, Some(10 * S)));
    }

    #[test]
    fn whitespace_and_case() {
        assert_eq!(parse(b" NPT = 30.0 - 40 "), range(30 * S, Some(40 * S)));
        assert_eq!(parse(b"npt=\t5-\t"), range(5 * S, None));
    }

    #[test]
    fn errors() {
        assert_eq!(parse(b"npt=240-30"), Err(Error::Order));
        assert_eq!(parse(b"npt=0:01:00-0:00:59.999"), Err(Error::Order));
        for bad in [
            &b""[..],
            b"npt",
            b"npt=",
            b"npt=-",
            b"npt=-30",
            b"npt 30-",
            b"smpte=0:00:00-",
            b"npt=now-",
            b"npt=abc-",
            b"npt=1.-",
            b"npt=.5-",
            b"npt=1.2.3-",
            b"npt=0:60:00-",
            b"npt=0:00:60-",
            b"npt=0:000:10-",
            b"npt=1:2:3:4-",
            b"npt=::-",
            b"npt=+5-",
            b"npt=5-10-",
            b"npt=0-240/240",
            b"npt=30.000-240.000/240.000 bytes=0-1/2",
            b"npt=1e3-",
            b"npt=\xff-",
        ] {
            assert_eq!(parse(bad), Err(Error::Syntax), "{:?}", core::str::from_utf8(bad));
        }
        assert_eq!(parse(b"npt=18446744073710-"), Err(Error::Overflow));
        assert_eq!(parse(b"npt=99999999999999999999999999-"), Err(Error::Overflow));
        assert_eq!(parse(b"npt=5124095576030432:00:00-"), Err(Error::Overflow));
        assert_eq!(parse(b"npt=0-99999999999999999999"), Err(Error::Overflow));
        // The largest time that fits.
        assert_eq!(parse_time(b"18446744073709.551615"), Ok(u64::MAX));
        assert_eq!(parse_time(b"18446744073709.551616"), Err(Error::Overflow));
    }

    #[test]
    fn answer_format_and_round_trip() {
        let answer = Answer {
            start: 30 * S,
            end: 240 * S,
            duration: Some(240 * S),
            bytes: Some((ByteRange { first: 5_292_000, last: 42_335_999 }, 42_336_000)),
        };
        let text = answer.to_string();
        assert_eq!(text, "npt=30.000-240.000/240.000 bytes=5292000-42335999/42336000");
        // The npt part of an answer parses back as the same range.
        let npt_part = text.split('/').next().unwrap();
        assert_eq!(parse(npt_part.as_bytes()), range(30 * S, Some(240 * S)));
        let open = Answer { start: 417_330_000, end: 417_330_000, duration: None, bytes: None };
        assert_eq!(open.to_string(), "npt=417.330-417.330/*");
        assert_eq!(Seconds(999).to_string(), "0.000");
        assert_eq!(Seconds(u64::MAX).to_string(), "18446744073709.551");
    }
}
