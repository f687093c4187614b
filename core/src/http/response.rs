//! Response heads: status codes and a writer for the status line and header fields.
//!
//! [`Head`] writes `HTTP/1.x NNN Reason\r\n`, then one `Name: value\r\n` per call, then the blank
//! line, into any [`fmt::Write`]. It refuses header names that are not tokens and values holding
//! CR, LF or NUL, so text that came from a request or a file name cannot split a response. An
//! error is sticky: later calls do nothing and [`Head::finish`] reports the first one, so a chain
//! of calls needs a single check at the end.
//!
//! ```
//! use rill_core::http::{response::{Head, StatusCode}, request::Version, SliceWriter};
//! let mut buf = [0u8; 128];
//! let mut head = Head::new(SliceWriter::new(&mut buf), Version::Http11, StatusCode::OK);
//! head.content_length(42).connection(true).header("Accept-Ranges", "bytes");
//! let len = head.finish_len().unwrap();
//! assert!(buf[..len].starts_with(b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n"));
//! ```

use core::fmt::{self, Write};

use super::date::HttpDate;
use super::request::Version;
use super::{SliceWriter, WriteError};

/// An HTTP status code with its reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StatusCode(u16);

impl StatusCode {
    /// 200 OK
    pub const OK: StatusCode = StatusCode(200);
    /// 204 No Content
    pub const NO_CONTENT: StatusCode = StatusCode(204);
    /// 206 Partial Content: the answer to a satisfiable byte `Range`.
    pub const PARTIAL_CONTENT: StatusCode = StatusCode(206);
    /// 304 Not Modified
    pub const NOT_MODIFIED: StatusCode = StatusCode(304);
    /// 400 Bad Request
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 403 Forbidden
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404 Not Found
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 405 Method Not Allowed
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// 406 Not Acceptable: DLNA's answer to an unsupported transfer mode or time seek.
    pub const NOT_ACCEPTABLE: StatusCode = StatusCode(406);
    /// 408 Request Timeout
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    /// 411 Length Required
    pub const LENGTH_REQUIRED: StatusCode = StatusCode(411);
    /// 412 Precondition Failed: GENA's answer to an unknown SID or a bad CALLBACK.
    pub const PRECONDITION_FAILED: StatusCode = StatusCode(412);
    /// 413 Content Too Large
    pub const CONTENT_TOO_LARGE: StatusCode = StatusCode(413);
    /// 414 URI Too Long
    pub const URI_TOO_LONG: StatusCode = StatusCode(414);
    /// 416 Range Not Satisfiable
    pub const RANGE_NOT_SATISFIABLE: StatusCode = StatusCode(416);
    /// 431 Request Header Fields Too Large
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: StatusCode = StatusCode(431);
    /// 500 Internal Server Error: also the status of every SOAP fault.
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    /// 501 Not Implemented
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// 503 Service Unavailable
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    /// 505 HTTP Version Not Supported
    pub const HTTP_VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);

    /// A status code from its number, if it has three digits (100 to 999).
    pub const fn new(code: u16) -> Option<StatusCode> {
        if code >= 100 && code <= 999 {
            Some(StatusCode(code))
        } else {
            None
        }
    }

    /// The number.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// The RFC 9110 reason phrase, or a generic one for the code's class. Not inlined: its
    /// table is one copy for the status line and the error bodies (flash on the boards).
    #[inline(never)]
    pub const fn reason(self) -> &'static str {
        match self.0 {
            100 => "Continue",
            200 => "OK",
            201 => "Created",
            202 => "Accepted",
            204 => "No Content",
            206 => "Partial Content",
            301 => "Moved Permanently",
            302 => "Found",
            304 => "Not Modified",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            408 => "Request Timeout",
            409 => "Conflict",
            411 => "Length Required",
            412 => "Precondition Failed",
            413 => "Content Too Large",
            414 => "URI Too Long",
            415 => "Unsupported Media Type",
            416 => "Range Not Satisfiable",
            431 => "Request Header Fields Too Large",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            505 => "HTTP Version Not Supported",
            _ => match self.0 / 100 {
                1 => "Informational",
                2 => "Success",
                3 => "Redirection",
                4 => "Client Error",
                _ => "Server Error",
            },
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.reason())
    }
}

/// A response head being written into `W`. See the module docs.
#[derive(Debug)]
#[must_use = "a head is only complete after finish()"]
pub struct Head<W: Write> {
    out: W,
    error: Option<WriteError>,
}

impl<W: Write> Head<W> {
    /// Starts a head with the status line `HTTP/1.x NNN Reason`.
    pub fn new(out: W, version: Version, status: StatusCode) -> Self {
        let mut head = Head { out, error: None };
        if write!(head.out, "{} {}\r\n", version.as_str(), status).is_err() {
            head.error = Some(WriteError::Format);
        }
        head
    }

    /// Adds `name: value`. `name` must be an HTTP token; `value` must not contain CR, LF or NUL.
    pub fn header(&mut self, name: &str, value: impl fmt::Display) -> &mut Self {
        self.header_dyn(name, &value)
    }

    /// [`Head::header`] for any value type: one copy of the code per writer rather than one per
    /// writer and value type (the value is formatted through `fmt::Arguments`, dynamically
    /// dispatched anyway), which keeps the firmware images smaller at no cost on the host.
    fn header_dyn(&mut self, name: &str, value: &dyn fmt::Display) -> &mut Self {
        if self.error.is_some() {
            return self;
        }
        if !is_token(name) {
            self.error = Some(WriteError::InvalidHeader);
            return self;
        }
        let mut result = write!(self.out, "{name}: ");
        let mut guard = ValueGuard { out: &mut self.out, bad: false };
        result = result.and_then(|()| write!(guard, "{value}"));
        let bad = guard.bad;
        result = result.and_then(|()| self.out.write_str("\r\n"));
        if bad {
            self.error = Some(WriteError::InvalidHeader);
        } else if result.is_err() {
            self.error = Some(WriteError::Format);
        }
        self
    }

    /// Adds `Content-Length: n`.
    pub fn content_length(&mut self, n: u64) -> &mut Self {
        self.header("Content-Length", n)
    }

    /// Adds `Connection: keep-alive` or `Connection: close`.
    pub fn connection(&mut self, keep_alive: bool) -> &mut Self {
        self.header("Connection", if keep_alive { "keep-alive" } else { "close" })
    }

    /// Adds `Date:` for `unix_secs` seconds since 1970-01-01T00:00:00Z.
    pub fn date(&mut self, unix_secs: u64) -> &mut Self {
        self.header("Date", HttpDate::from_unix(unix_secs))
    }

    /// Ends the head with the blank line and returns the writer, or the first error.
    pub fn finish(mut self) -> Result<W, WriteError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.out.write_str("\r\n").map_err(|_| WriteError::Format)?;
        Ok(self.out)
    }
}

impl Head<SliceWriter<'_>> {
    /// Ends the head and returns its length in the buffer, or the size it needs.
    pub fn finish_len(self) -> Result<usize, WriteError> {
        self.finish()?.finish()
    }
}

/// Whether `s` is an RFC 9110 token (the grammar of header names).
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Passes text through, refusing CR, LF and NUL.
struct ValueGuard<'w, W: Write> {
    out: &'w mut W,
    bad: bool,
}

impl<W: Write> Write for ValueGuard<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            self.bad = true;
            return Err(fmt::Error);
        }
        self.out.write_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emit(
        f: impl FnOnce(&mut Head<SliceWriter<'_>>),
        buf: &mut [u8],
    ) -> Result<usize, WriteError> {
        let mut head =
            Head::new(SliceWriter::new(buf), Version::Http10, StatusCode::PARTIAL_CONTENT);
        f(&mut head);
        head.finish_len()
    }

    #[test]
    fn writes_status_line_headers_and_blank_line() {
        let mut buf = [0u8; 256];
        let len = emit(
            |h| {
                h.date(784_111_777)
                    .content_length(500)
                    .connection(false)
                    .header("Content-Range", format_args!("bytes {}-{}/{}", 0, 499, 1234));
            },
            &mut buf,
        )
        .unwrap();
        let text = core::str::from_utf8(&buf[..len]).unwrap();
        assert_eq!(
            text,
            "HTTP/1.0 206 Partial Content\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             Content-Length: 500\r\nConnection: close\r\nContent-Range: bytes 0-499/1234\r\n\r\n"
        );
        // The same head parses back as a response with httparse.
        let mut hs = [httparse::EMPTY_HEADER; 8];
        let mut resp = httparse::Response::new(&mut hs);
        assert_eq!(resp.parse(&buf[..len]), Ok(httparse::Status::Complete(len)));
        assert_eq!(resp.code, Some(206));
        assert_eq!(resp.headers.len(), 4);
    }

    #[test]
    fn too_small_reports_needed_size() {
        let mut big = [0u8; 256];
        let full = emit(
            |h| {
                h.content_length(7);
            },
            &mut big,
        )
        .unwrap();
        for size in [0, 1, 10, full - 1] {
            let mut small = vec![0u8; size];
            assert_eq!(
                emit(
                    |h| {
                        h.content_length(7);
                    },
                    &mut small
                ),
                Err(WriteError::BufferTooSmall { needed: full })
            );
        }
        let mut exact = vec![0u8; full];
        assert_eq!(
            emit(
                |h| {
                    h.content_length(7);
                },
                &mut exact
            ),
            Ok(full)
        );
    }

    #[test]
    fn refuses_header_injection() {
        let mut buf = [0u8; 256];
        let inject = |h: &mut Head<SliceWriter<'_>>| {
            h.header("X-Name", "a\r\nSet-Cookie: x").content_length(1);
        };
        assert_eq!(emit(inject, &mut buf), Err(WriteError::InvalidHeader));
        let bad_name = |h: &mut Head<SliceWriter<'_>>| {
            h.header("Bad Name", 1);
        };
        assert_eq!(emit(bad_name, &mut buf), Err(WriteError::InvalidHeader));
        let bare_crlf = |h: &mut Head<SliceWriter<'_>>| {
            h.header("X", "\r\n");
        };
        assert_eq!(emit(bare_crlf, &mut buf), Err(WriteError::InvalidHeader));
        let nul = |h: &mut Head<SliceWriter<'_>>| {
            h.header("X", "a\0b");
        };
        assert_eq!(emit(nul, &mut buf), Err(WriteError::InvalidHeader));
        let lf_in_display = |h: &mut Head<SliceWriter<'_>>| {
            h.header("X", format_args!("a{}", '\n'));
        };
        assert_eq!(emit(lf_in_display, &mut buf), Err(WriteError::InvalidHeader));
        // An empty value (SSDP's `EXT:`) is fine.
        let ext = |h: &mut Head<SliceWriter<'_>>| {
            h.header("EXT", "");
        };
        assert!(emit(ext, &mut buf).is_ok());
    }

    #[test]
    fn status_codes_and_reasons() {
        assert_eq!(StatusCode::RANGE_NOT_SATISFIABLE.reason(), "Range Not Satisfiable");
        assert_eq!(StatusCode::new(299).map(StatusCode::reason), Some("Success"));
        assert_eq!(StatusCode::new(99), None);
        assert_eq!(StatusCode::new(1000), None);
        assert_eq!(
            format!("{}", StatusCode::HTTP_VERSION_NOT_SUPPORTED),
            "505 HTTP Version Not Supported"
        );
    }
}
