//! Percent-decoding of request paths, hardened against path traversal.
//!
//! [`decode_path`] decodes the path of an origin-form request target (`/a%20b/c?x` gives
//! `/a b/c`; the query and fragment are cut off first) into a caller buffer and refuses every
//! trick that could make a path name something other than what its segments say:
//! - malformed escapes (`%`, `%4`, `%zz`),
//! - control characters, encoded or not, NUL (`%00`) first among them: the ASCII ones and DEL,
//!   and the C1 controls U+0080 to U+009F (such as NEL, a line break to some software),
//! - an encoded separator (`%2F`) and backslashes in any form, so one segment stays one name,
//! - bytes that are not UTF-8 after decoding, which includes overlong forms such as `%C0%AE`
//!   (a disguised `.`) and `%C0%AF` (a disguised `/`), and encoded surrogates,
//! - `.` and `..` segments, whether written plainly or as `%2e`, `%2E%2e`, ...
//!
//! A decoded path that passes is a `/`-separated list of plain names, safe to look up segment by
//! segment. `+` is not a space in paths and stays `+`.

use core::fmt;

/// Why a request path was refused (answer 400, or 404 to reveal less).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The path does not start with `/`.
    NotAbsolute,
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// A control character (C0 including NUL, DEL or C1), encoded or not.
    ControlCharacter,
    /// `%2F`, or a backslash in any form.
    Separator,
    /// The decoded bytes are not UTF-8 (including overlong encodings).
    InvalidUtf8,
    /// A `.` or `..` segment.
    DotSegment,
    /// The output buffer is shorter than the decoded path.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::NotAbsolute => "path does not start with /",
            Error::BadEscape => "malformed percent escape",
            Error::ControlCharacter => "control character in path",
            Error::Separator => "encoded separator or backslash in path",
            Error::InvalidUtf8 => "path is not UTF-8",
            Error::DotSegment => "dot segment in path",
            Error::BufferTooSmall => "path longer than buffer",
        })
    }
}

impl core::error::Error for Error {}

/// Decodes the path part of `target` into `out` and checks it (see the module docs).
pub fn decode_path<'o>(target: &str, out: &'o mut [u8]) -> Result<&'o str, Error> {
    let path = target.split(['?', '#']).next().unwrap_or_default().as_bytes();
    if path.first() != Some(&b'/') {
        return Err(Error::NotAbsolute);
    }
    let mut len = 0;
    let mut bytes = path.iter();
    while let Some(&b) = bytes.next() {
        let decoded = if b == b'%' {
            let hi = bytes.next().and_then(|&h| hex(h));
            let lo = bytes.next().and_then(|&l| hex(l));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(Error::BadEscape);
            };
            let byte = hi << 4 | lo;
            if byte == b'/' {
                return Err(Error::Separator);
            }
            byte
        } else {
            b
        };
        if decoded.is_ascii_control() {
            return Err(Error::ControlCharacter);
        }
        if decoded == b'\\' {
            return Err(Error::Separator);
        }
        *out.get_mut(len).ok_or(Error::BufferTooSmall)? = decoded;
        len += 1;
    }
    let decoded = out.get(..len).unwrap_or_default();
    let text = core::str::from_utf8(decoded).map_err(|_| Error::InvalidUtf8)?;
    // The ASCII controls were refused byte by byte; the C1 controls need the decoded chars.
    if text.chars().any(char::is_control) {
        return Err(Error::ControlCharacter);
    }
    if text.split('/').any(|segment| segment == "." || segment == "..") {
        return Err(Error::DotSegment);
    }
    Ok(text)
}

/// The value of one hexadecimal digit (either case); also used by the playlist reader.
pub(crate) fn hex(digit: u8) -> Option<u8> {
    // `to_digit(16)` is below 16, so the narrowing is lossless.
    char::from(digit).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(target: &str) -> Result<String, Error> {
        let mut buf = [0u8; 64];
        decode_path(target, &mut buf).map(str::to_owned)
    }

    #[test]
    fn decodes() {
        assert_eq!(decode("/media/1.l16"), Ok("/media/1.l16".into()));
        assert_eq!(decode("/a%20b/c%2bd+e"), Ok("/a b/c+d+e".into()));
        assert_eq!(decode("/%E2%82%AC%e2%82%ac"), Ok("/€€".into()));
        assert_eq!(decode("/music/track.ogg?dlna=1#x"), Ok("/music/track.ogg".into()));
        assert_eq!(decode("/..a/a../.../%2e%2e%2e"), Ok("/..a/a../.../...".into()));
        assert_eq!(decode("/"), Ok("/".into()));
        assert_eq!(decode("//x//"), Ok("//x//".into()));
    }

    #[test]
    fn refuses_traversal_and_tricks() {
        let cases: &[(&str, Error)] = &[
            ("/../etc/passwd", Error::DotSegment),
            ("/a/..", Error::DotSegment),
            ("/a/./b", Error::DotSegment),
            ("/%2e%2e/etc/passwd", Error::DotSegment),
            ("/%2E./x", Error::DotSegment),
            ("/.%2e/x", Error::DotSegment),
            ("/a%2F..%2Fb", Error::Separator),
            ("/a%2fb", Error::Separator),
            ("/..\\x", Error::Separator),
            ("/a%5cb", Error::Separator),
            ("/a%00.mp3", Error::ControlCharacter),
            ("/a%0d%0aSet-Cookie:x", Error::ControlCharacter),
            ("/a%7f", Error::ControlCharacter),
            ("/a\tb", Error::ControlCharacter),
            ("/a%c2%85b", Error::ControlCharacter),
            // Found by the http_request fuzz target: a raw C1 control (U+0096) in the target.
            ("/ct/lContend\u{96}r", Error::ControlCharacter),
            ("/%c0%ae%c0%ae/x", Error::InvalidUtf8),
            ("/%c0%af", Error::InvalidUtf8),
            ("/%e0%80%ae", Error::InvalidUtf8),
            ("/%ed%a0%80", Error::InvalidUtf8),
            ("/%ff", Error::InvalidUtf8),
            ("/%e2%82", Error::InvalidUtf8),
            ("/a%", Error::BadEscape),
            ("/a%4", Error::BadEscape),
            ("/a%zz", Error::BadEscape),
            ("/a%%41", Error::BadEscape),
            ("a/b", Error::NotAbsolute),
            ("http://host/x", Error::NotAbsolute),
            ("*", Error::NotAbsolute),
            ("", Error::NotAbsolute),
        ];
        for (target, error) in cases {
            assert_eq!(decode(target), Err(*error), "{target}");
        }
    }

    #[test]
    fn buffer_bound() {
        let mut small = [0u8; 4];
        assert_eq!(decode_path("/abcd", &mut small), Err(Error::BufferTooSmall));
        // Escapes shrink, so a long encoded path can fit a short buffer.
        assert_eq!(decode_path("/%41%42%43", &mut small), Ok("/ABC"));
    }
}
