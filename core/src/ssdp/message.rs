//! SSDP datagrams: parsing what arrives, writing what a device sends.
//!
//! [`parse`] reads any SSDP datagram into a [`Message`]: an `M-SEARCH` ([`Search`]), a `NOTIFY`
//! ([`Notify`]) or a search response ([`Response`]). Header names are matched in any case and
//! values are trimmed; headers httparse cannot read are skipped rather than failing the whole
//! datagram. The parser does not judge a search: [`Search::man_ok`] and [`Search::mx`] report
//! what was sent and the [`responder`](super::responder) decides (UDA: a multicast search needs
//! `MAN: "ssdp:discover"`, quotes included, and an `MX`).
//!
//! [`Advert`] describes one target of this device and writes the three datagrams a device sends,
//! with the headers the UPnP Device Architecture 1.1 (section 1, Discovery) gives them: the
//! search response, `NOTIFY ssdp:alive` and `NOTIFY ssdp:byebye`. Each returns the datagram length or how many bytes it needs.

use core::fmt::{self, Write};

use super::{Target, MULTICAST};
use crate::http::date::HttpDate;
use crate::http::request::Headers;
use crate::http::{decimal, SliceWriter, WriteError};

/// The most header fields read from one datagram; the rest are ignored.
const MAX_HEADERS: usize = 32;

/// Why a datagram is not an SSDP message we can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// Not an HTTP-over-UDP message (bad start line or header syntax, too many headers).
    Malformed,
    /// A request other than `M-SEARCH` or `NOTIFY`, or a response other than 200.
    Unsupported,
    /// A header the message kind requires (`ST`, `NT`, `NTS`, `USN`) is missing or not text.
    MissingHeader,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Malformed => "malformed SSDP datagram",
            Error::Unsupported => "unsupported SSDP message",
            Error::MissingHeader => "SSDP message lacks a required header",
        })
    }
}

impl core::error::Error for Error {}

/// A parsed SSDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// `M-SEARCH * HTTP/1.1`
    Search(Search<'a>),
    /// `NOTIFY * HTTP/1.1` (another device announcing itself)
    Notify(Notify<'a>),
    /// `HTTP/1.1 200 OK` (a device answering a search)
    Response(Response<'a>),
}

/// An `M-SEARCH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Search<'a> {
    /// The search target, trimmed.
    pub st: &'a str,
    /// The `MX` in seconds (values over 255 read as 255); `None` when absent or not a number.
    pub mx: Option<u8>,
    /// Whether `MAN` is `"ssdp:discover"` (quotes required, case and whitespace free).
    pub man_ok: bool,
    /// The `HOST` header, if any.
    pub host: Option<&'a str>,
}

/// A `NOTIFY` from another device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notify<'a> {
    /// Notification type (`NT`).
    pub nt: &'a str,
    /// Notification subtype (`NTS`): `ssdp:alive`, `ssdp:byebye` or `ssdp:update`.
    pub nts: &'a str,
    /// Unique service name (`USN`).
    pub usn: &'a str,
    /// Description URL (`LOCATION`), absent in byebye.
    pub location: Option<&'a str>,
}

/// A search response from a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// The search target answered (`ST`).
    pub st: &'a str,
    /// Unique service name (`USN`).
    pub usn: &'a str,
    /// Description URL (`LOCATION`).
    pub location: Option<&'a str>,
}

/// Parses one SSDP datagram.
pub fn parse(datagram: &[u8]) -> Result<Message<'_>, Error> {
    let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
    if datagram.starts_with(b"HTTP/") {
        let mut resp = httparse::Response::new(&mut storage);
        let mut config = httparse::ParserConfig::default();
        config.ignore_invalid_headers_in_responses(true);
        match config.parse_response(&mut resp, datagram) {
            Ok(httparse::Status::Complete(_)) => {}
            _ => return Err(Error::Malformed),
        }
        if resp.code != Some(200) {
            return Err(Error::Unsupported);
        }
        let h = Headers::new(resp.headers);
        return Ok(Message::Response(Response {
            st: required(&h, "st")?,
            usn: required(&h, "usn")?,
            location: h.get_str("location"),
        }));
    }
    let mut req = httparse::Request::new(&mut storage);
    let mut config = httparse::ParserConfig::default();
    config.ignore_invalid_headers_in_requests(true);
    match config.parse_request(&mut req, datagram) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(Error::Malformed),
    }
    let method = req.method;
    let h = Headers::new(req.headers);
    match method {
        Some("M-SEARCH") => Ok(Message::Search(Search {
            st: required(&h, "st")?,
            mx: h.get("mx").and_then(decimal).map(|mx| u8::try_from(mx).unwrap_or(u8::MAX)),
            man_ok: h.get("man").is_some_and(|m| m.eq_ignore_ascii_case(b"\"ssdp:discover\"")),
            host: h.get_str("host"),
        })),
        Some("NOTIFY") => Ok(Message::Notify(Notify {
            nt: required(&h, "nt")?,
            nts: required(&h, "nts")?,
            usn: required(&h, "usn")?,
            location: h.get_str("location"),
        })),
        _ => Err(Error::Unsupported),
    }
}

fn required<'b>(h: &Headers<'_, 'b>, name: &str) -> Result<&'b str, Error> {
    h.get_str(name).ok_or(Error::MissingHeader)
}

/// The `SERVER` header of a Rill device, written by its [`fmt::Display`]:
/// `<os>/<os_version> UPnP/1.0 DLNADOC/1.50 Rill/<version>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerHeader<'a> {
    /// Operating system name, e.g. `Linux` or `embassy`.
    pub os: &'a str,
    /// Operating system version.
    pub os_version: &'a str,
    /// Rill's version.
    pub version: &'a str,
}

impl fmt::Display for ServerHeader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} UPnP/1.0 DLNADOC/1.50 Rill/{}", self.os, self.os_version, self.version)
    }
}

/// One advertised target of this device: everything its three datagrams carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advert<'a> {
    /// The device UUID, without `uuid:`.
    pub uuid: &'a str,
    /// Which of the six targets.
    pub target: Target,
    /// The description URL reachable on the interface the datagram leaves by.
    pub location: &'a str,
    /// The `SERVER` value (see [`ServerHeader`]).
    pub server: &'a str,
    /// `CACHE-CONTROL: max-age` in seconds (UDA: at least 1800).
    pub max_age: u32,
    /// `BOOTID.UPNP.ORG`: grows with each boot, fixed while running.
    pub boot_id: u32,
    /// `CONFIGID.UPNP.ORG`: changes when the descriptions change.
    pub config_id: u32,
}

impl Advert<'_> {
    /// Writes the unicast answer to a search (`HTTP/1.1 200 OK`). `date` is the current time,
    /// if the shell knows it; `DATE` is left out otherwise.
    pub fn emit_response(
        &self,
        date: Option<HttpDate>,
        buf: &mut [u8],
    ) -> Result<usize, WriteError> {
        self.emit(buf, |w| {
            w.write_str("HTTP/1.1 200 OK\r\n")?;
            write!(w, "CACHE-CONTROL: max-age={}\r\n", self.max_age)?;
            if let Some(date) = date {
                write!(w, "DATE: {date}\r\n")?;
            }
            w.write_str("EXT:\r\n")?;
            write!(w, "LOCATION: {}\r\n", self.location)?;
            write!(w, "SERVER: {}\r\n", self.server)?;
            write!(w, "ST: {}\r\n", self.target.notification_type(self.uuid))?;
            write!(w, "USN: {}\r\n", self.target.usn(self.uuid))?;
            self.write_ids(w)?;
            w.write_str("Content-Length: 0\r\n\r\n")
        })
    }

    /// Writes the `NOTIFY * HTTP/1.1` with `NTS: ssdp:alive` for multicast.
    pub fn emit_alive(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        self.emit(buf, |w| {
            write!(w, "NOTIFY * HTTP/1.1\r\nHOST: {MULTICAST}\r\n")?;
            write!(w, "CACHE-CONTROL: max-age={}\r\n", self.max_age)?;
            write!(w, "LOCATION: {}\r\n", self.location)?;
            write!(w, "NT: {}\r\n", self.target.notification_type(self.uuid))?;
            w.write_str("NTS: ssdp:alive\r\n")?;
            write!(w, "SERVER: {}\r\n", self.server)?;
            write!(w, "USN: {}\r\n", self.target.usn(self.uuid))?;
            self.write_ids(w)?;
            w.write_str("\r\n")
        })
    }

    /// Writes the `NOTIFY * HTTP/1.1` with `NTS: ssdp:byebye` for multicast.
    pub fn emit_byebye(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        self.emit(buf, |w| {
            write!(w, "NOTIFY * HTTP/1.1\r\nHOST: {MULTICAST}\r\n")?;
            write!(w, "NT: {}\r\n", self.target.notification_type(self.uuid))?;
            w.write_str("NTS: ssdp:byebye\r\n")?;
            write!(w, "USN: {}\r\n", self.target.usn(self.uuid))?;
            self.write_ids(w)?;
            w.write_str("\r\n")
        })
    }

    fn write_ids(&self, w: &mut SliceWriter<'_>) -> fmt::Result {
        write!(w, "BOOTID.UPNP.ORG: {}\r\nCONFIGID.UPNP.ORG: {}\r\n", self.boot_id, self.config_id)
    }

    /// Runs `body` into `buf` after checking that no text field could break the message.
    fn emit(
        &self,
        buf: &mut [u8],
        body: impl FnOnce(&mut SliceWriter<'_>) -> fmt::Result,
    ) -> Result<usize, WriteError> {
        if ![self.uuid, self.location, self.server].iter().all(|s| is_header_text(s)) {
            return Err(WriteError::InvalidHeader);
        }
        let mut w = SliceWriter::new(buf);
        body(&mut w).map_err(|_| WriteError::Format)?;
        w.finish()
    }
}

/// Whether `s` can stand in a header value: no control characters at all.
pub(crate) fn is_header_text(s: &str) -> bool {
    !s.bytes().any(|b| b.is_ascii_control())
}

#[cfg(test)]
mod tests;
