//! `http_request`: request heads and the header grammars the media path uses.
//!
//! Input: the bytes a client sent. They go through [`request::parse`] with caller header
//! storage and the default [`RequestLimits`]; every header value of a complete head then goes
//! through [`range::resolve`] and [`npt::parse`], and the target through
//! [`percent::decode_path`]. The raw input is fed to the same functions too, so the grammars are
//! fuzzed without a valid head around them.

use rill_core::http::request::{self, Parsed, RequestLimits, EMPTY_HEADER};
use rill_core::http::{npt, percent, range};
use rill_core::player::Player;

/// Representation lengths the `Range` values are resolved against.
const LENGTHS: [u64; 5] = [0, 1, 1000, 1 << 40, u64::MAX];

/// The `http_request` target.
pub fn http_request(data: &[u8]) {
    let mut storage = [EMPTY_HEADER; 64];
    if let Ok(Parsed::Complete(req)) = request::parse(data, &mut storage, &RequestLimits::DEFAULT) {
        assert!(req.head_len <= data.len());
        assert!(req.content_length <= RequestLimits::DEFAULT.max_body);
        for (_, value) in req.headers.iter() {
            header_value(value);
        }
        path(req.target);
        let _ = Player::from_headers(&req.headers);
    }
    header_value(data);
    if let Ok(text) = core::str::from_utf8(data) {
        path(text);
    }
}

/// A header value as a `Range` and as a `TimeSeekRange.dlna.org`.
fn header_value(value: &[u8]) {
    for len in LENGTHS {
        if let range::Resolution::Partial(span) = range::resolve(value, len) {
            assert!(span.first <= span.last && span.last < len, "{span:?} outside {len}");
        }
    }
    if let Ok(t) = npt::parse(value) {
        assert!(t.end.is_none_or(|end| end >= t.start));
        let answer = npt::Answer {
            start: t.start,
            end: t.end.unwrap_or(t.start),
            duration: t.end,
            bytes: None,
        };
        let _ = std::format!("{answer}");
    }
}

/// A request target through the path decoder; a decoded path must be plain names.
fn path(target: &str) {
    let mut out = [0u8; 256];
    if let Ok(decoded) = percent::decode_path(target, &mut out) {
        assert!(decoded.starts_with('/'), "{decoded:?}");
        for segment in decoded.split('/').skip(1) {
            assert!(segment != "." && segment != "..", "dot segment in {decoded:?}");
        }
        assert!(!decoded.contains('\\') && !decoded.chars().any(char::is_control), "{decoded:?}");
    }
}
