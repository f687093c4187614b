//! Request heads: parsing, limits, framing and keep-alive.
//!
//! [`parse`] runs [`httparse`] over the bytes received so far with header storage the caller
//! owns (`[EMPTY_HEADER; N]`), then checks what httparse leaves to the server: the size limits
//! in [`RequestLimits`], the body framing (`Content-Length`, `Transfer-Encoding`) and the
//! version. The result borrows both the bytes and the storage; nothing is copied.
//!
//! Request bodies must be framed by `Content-Length`. A request carrying `Transfer-Encoding` is
//! refused with 501 Not Implemented (RFC 9112 §6.1: a server that does not understand a transfer
//! coding answers 501); the connection must then be closed, since the body cannot be skipped.
//! UPnP control points send SOAP bodies with `Content-Length`, so nothing real is lost.
//!
//! A missing `Host` header is tolerated on HTTP/1.1: some control points omit it, and the server
//! has a single authority anyway.

use core::fmt;

pub use httparse::{Header, EMPTY_HEADER};

use super::response::StatusCode;
use super::{decimal, trim};

/// Bounds on what a request may make the server hold or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RequestLimits {
    /// Largest request head (request line, headers and the blank line) in bytes; beyond it 431.
    pub max_head: usize,
    /// Most header fields; beyond it 431. The caller's header storage is a second cap.
    pub max_headers: usize,
    /// Largest `Content-Length` accepted; beyond it 413.
    pub max_body: u64,
}

impl RequestLimits {
    /// 8 KiB of head, 48 headers, 64 KiB of body: real control points send heads under 1 KiB
    /// with about a dozen headers, and the largest SOAP request (a Search) is a few KiB.
    pub const DEFAULT: RequestLimits =
        RequestLimits { max_head: 8 * 1024, max_headers: 48, max_body: 64 * 1024 };
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits::DEFAULT
    }
}

/// The outcome of parsing the bytes received so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The head is not complete yet: read more bytes and parse again from the start.
    Partial,
    /// The head is complete.
    Complete(T),
}

/// Why a request was refused. Each variant maps to the status to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// Not an HTTP request head (bad request line, header syntax, non-UTF-8 target): 400.
    Malformed,
    /// The head is longer than [`RequestLimits::max_head`]: 431.
    HeadTooLarge,
    /// More header fields than [`RequestLimits::max_headers`] or the storage holds: 431.
    TooManyHeaders,
    /// `Content-Length` is not a decimal number, or several disagree: 400.
    BadContentLength,
    /// `Content-Length` is larger than [`RequestLimits::max_body`]: 413.
    BodyTooLarge,
    /// The request has a `Transfer-Encoding`, which this server does not decode: 501.
    TransferEncoding,
    /// Not HTTP/1.0 or HTTP/1.1 (HTTP/0.9 simple requests, HTTP/2.0, HTTP/1.2, ...): 505.
    UnsupportedVersion,
}

impl Error {
    /// The status code a server answers this error with.
    pub const fn status(self) -> StatusCode {
        match self {
            Error::Malformed | Error::BadContentLength => StatusCode::BAD_REQUEST,
            Error::HeadTooLarge | Error::TooManyHeaders => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            Error::BodyTooLarge => StatusCode::CONTENT_TOO_LARGE,
            Error::TransferEncoding => StatusCode::NOT_IMPLEMENTED,
            Error::UnsupportedVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            Error::Malformed => "malformed request head",
            Error::HeadTooLarge => "request head too large",
            Error::TooManyHeaders => "too many header fields",
            Error::BadContentLength => "invalid Content-Length",
            Error::BodyTooLarge => "request body too large",
            Error::TransferEncoding => "Transfer-Encoding in requests is not supported",
            Error::UnsupportedVersion => "unsupported HTTP version",
        };
        f.write_str(what)
    }
}

impl core::error::Error for Error {}

/// The request method. UPnP adds `SUBSCRIBE`, `UNSUBSCRIBE`, `NOTIFY` (GENA) and `M-SEARCH`
/// (SSDP) to the usual ones; anything else is kept as text in [`Method::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Method<'b> {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `OPTIONS`
    Options,
    /// `SUBSCRIBE` (GENA)
    Subscribe,
    /// `UNSUBSCRIBE` (GENA)
    Unsubscribe,
    /// `NOTIFY` (GENA events, SSDP announcements)
    Notify,
    /// `M-SEARCH` (SSDP)
    MSearch,
    /// Any other method token, exactly as sent (methods are case-sensitive).
    Other(&'b str),
}

impl<'b> Method<'b> {
    /// The method named by a request-line token.
    pub fn from_token(token: &'b str) -> Self {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "OPTIONS" => Method::Options,
            "SUBSCRIBE" => Method::Subscribe,
            "UNSUBSCRIBE" => Method::Unsubscribe,
            "NOTIFY" => Method::Notify,
            "M-SEARCH" => Method::MSearch,
            other => Method::Other(other),
        }
    }

    /// The method as it appears on the request line.
    pub fn as_str(&self) -> &'b str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Options => "OPTIONS",
            Method::Subscribe => "SUBSCRIBE",
            Method::Unsubscribe => "UNSUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::MSearch => "M-SEARCH",
            Method::Other(s) => s,
        }
    }
}

/// The HTTP version of a request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Version {
    /// HTTP/1.0: no chunked coding, connections close unless asked otherwise.
    Http10,
    /// HTTP/1.1.
    Http11,
}

impl Version {
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// The header fields of a parsed head, looked up by case-insensitive name.
#[derive(Debug, Clone, Copy)]
pub struct Headers<'h, 'b> {
    list: &'h [Header<'b>],
}

impl<'h, 'b> Headers<'h, 'b> {
    /// A view over parsed header fields.
    pub fn new(list: &'h [Header<'b>]) -> Self {
        Headers { list }
    }

    /// The value of the first field called `name` (any case), without surrounding whitespace.
    pub fn get(&self, name: &str) -> Option<&'b [u8]> {
        self.get_all(name).next()
    }

    /// Like [`Headers::get`], as text; `None` also when the value is not UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&'b str> {
        self.get(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The values of every field called `name` (any case), in order, trimmed.
    pub fn get_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'b [u8]> + use<'h, 'b, 'n> {
        self.list.iter().filter(move |h| h.name.eq_ignore_ascii_case(name)).map(|h| trim(h.value))
    }

    /// Whether a comma-separated field (like `Connection`) lists `token`, in any case.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name)
            .flat_map(|v| v.split(|&b| b == b','))
            .any(|t| trim(t).eq_ignore_ascii_case(token.as_bytes()))
    }

    /// All fields in the order received, as `(name, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&'b str, &'b [u8])> + use<'h, 'b> {
        self.list.iter().map(|h| (h.name, trim(h.value)))
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// A parsed request head.
#[derive(Debug, Clone, Copy)]
pub struct Request<'h, 'b> {
    /// The method.
    pub method: Method<'b>,
    /// The request target as sent (`/path?query`, `*`, or an absolute URL), not decoded.
    pub target: &'b str,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The header fields.
    pub headers: Headers<'h, 'b>,
    /// Bytes of the head including the final blank line; the body starts here.
    pub head_len: usize,
    /// The body length from `Content-Length`, 0 when absent.
    pub content_length: u64,
    /// Whether the connection stays open after the response: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`.
    pub keep_alive: bool,
}

/// Parses the request head at the start of `buf` into `storage`, checking it against `limits`.
///
/// Call again with all bytes received so far after [`Parsed::Partial`]. At most
/// `limits.max_head` bytes are ever scanned, so a client cannot make the server buffer more.
pub fn parse<'h, 'b>(
    buf: &'b [u8],
    storage: &'h mut [Header<'b>],
    limits: &RequestLimits,
) -> Result<Parsed<Request<'h, 'b>>, Error> {
    let scan = buf.get(..limits.max_head).unwrap_or(buf);
    let slots = storage.len().min(limits.max_headers);
    let storage = match storage.get_mut(..slots) {
        Some(s) => s,
        None => return Err(Error::TooManyHeaders),
    };
    let mut req = httparse::Request::new(storage);
    let head_len = match req.parse(scan) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial)
            if scan.len() < buf.len() || scan.len() >= limits.max_head =>
        {
            return Err(Error::HeadTooLarge)
        }
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(httparse::Error::TooManyHeaders) => return Err(Error::TooManyHeaders),
        Err(httparse::Error::Version | httparse::Error::Token | httparse::Error::NewLine) => {
            return Err(refusal_for(scan))
        }
        Err(_) => return Err(Error::Malformed),
    };
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return Err(Error::Malformed);
    };
    let version = match minor {
        0 => Version::Http10,
        1 => Version::Http11,
        _ => return Err(Error::UnsupportedVersion),
    };
    let headers = Headers::new(req.headers);
    if headers.get("transfer-encoding").is_some() {
        return Err(Error::TransferEncoding);
    }
    let content_length = content_length(&headers, limits.max_body)?;
    let keep_alive = match version {
        Version::Http10 => headers.has_token("connection", "keep-alive"),
        Version::Http11 => !headers.has_token("connection", "close"),
    };
    Ok(Parsed::Complete(Request {
        method: Method::from_token(method),
        target,
        version,
        headers,
        head_len,
        content_length,
        keep_alive,
    }))
}

/// Tells a version problem (505) from other syntax errors (400) after httparse refused a head.
///
/// httparse only knows `HTTP/1.0` and `HTTP/1.1`. A request line whose third word still looks
/// like `HTTP/<digit>` (but is not 1.0 or 1.1), or an HTTP/0.9 simple request (`GET /path` and nothing else), is a
/// request in a version this server does not speak.
fn refusal_for(buf: &[u8]) -> Error {
    let line = buf.split(|&b| b == b'\n').next().unwrap_or(buf);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut words = line.split(|&b| b == b' ');
    let (method, target, version, rest) = (words.next(), words.next(), words.next(), words.next());
    let is_token = |w: &[u8]| !w.is_empty() && w.iter().all(|b| b.is_ascii_alphabetic());
    match (method, target, version, rest) {
        // With a version we speak, the fault is elsewhere in the line.
        (Some(m), Some(_), Some(v), None) if is_token(m) => match v.strip_prefix(b"HTTP/") {
            Some(b"1.0" | b"1.1") => Error::Malformed,
            Some([d, ..]) if d.is_ascii_digit() => Error::UnsupportedVersion,
            _ => Error::Malformed,
        },
        // Only a complete simple request line is HTTP/0.9; half a line is just malformed.
        (Some(m), Some(t), None, None)
            if is_token(m) && t.first() == Some(&b'/') && buf.contains(&b'\n') =>
        {
            Error::UnsupportedVersion
        }
        _ => Error::Malformed,
    }
}

/// The body length announced by every `Content-Length` field (RFC 9110 §8.6: a list of equal
/// values is the same length; differing values are an error).
fn content_length(headers: &Headers<'_, '_>, max_body: u64) -> Result<u64, Error> {
    let mut found: Option<u64> = None;
    for value in headers.get_all("content-length") {
        for item in value.split(|&b| b == b',') {
            let n = decimal(trim(item)).ok_or(Error::BadContentLength)?;
            match found {
                Some(prev) if prev != n => return Err(Error::BadContentLength),
                _ => found = Some(n),
            }
        }
    }
    let n = found.unwrap_or(0);
    if n > max_body {
        Err(Error::BodyTooLarge)
    } else {
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
