//! SUBSCRIBE and UNSUBSCRIBE heads: what the GENA header fields ask for.
//!
//! [`parse`] reads `CALLBACK`, `NT`, `SID` and `TIMEOUT` from an already parsed request head
//! (the HTTP layer has checked framing and limits) and tells a new subscription, a renewal and
//! a cancellation apart, with UDA 1.0's rules:
//! - `SUBSCRIBE` with `SID` is a renewal; it must not carry `NT` or `CALLBACK` (400);
//! - `SUBSCRIBE` without `SID` needs `NT: upnp:event` and a `CALLBACK` holding at least one
//!   usable URL (412 otherwise);
//! - `UNSUBSCRIBE` needs a `SID` (412) and must not carry `NT` or `CALLBACK` (400).
//!
//! A `CALLBACK` is one or more `<URL>` in angle brackets. Only `http://` URLs whose host is an
//! IP literal (`192.168.1.20`, `[fe80::1]`) are usable: the device resolves no names, and a
//! NOTIFY goes only to an address the table can check against the subscriber's own
//! ([`super::Subscriptions::subscribe`]). The path must be printable ASCII without spaces (it
//! goes into a request line as it is) and at most [`MAX_CALLBACK_PATH`] bytes.
//!
//! `TIMEOUT: Second-N` asks for N seconds; `Second-infinite`, a missing or a malformed value
//! ask for nothing in particular (the table picks its default). Nothing here allocates or
//! panics; every slice access goes through `get` or `split`.

use core::net::{IpAddr, SocketAddr};

use super::Error;
use crate::http::decimal;
use crate::http::request::{Headers, Method};

/// Longest callback path (with query) accepted; real control points use well under 128 bytes.
pub const MAX_CALLBACK_PATH: usize = 192;

/// Most `<URL>` entries looked at in one `CALLBACK`.
pub const MAX_CALLBACK_URLS: usize = 8;

/// What a SUBSCRIBE or UNSUBSCRIBE asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'b> {
    /// A new subscription.
    Subscribe {
        /// The `CALLBACK` field, with at least one usable URL.
        callbacks: Callbacks<'b>,
        /// Seconds asked for, if any (see the module docs).
        timeout: Option<u32>,
    },
    /// A renewal of subscription `sid`.
    Renew {
        /// The `SID` as sent.
        sid: &'b str,
        /// Seconds asked for, if any.
        timeout: Option<u32>,
    },
    /// The end of subscription `sid`.
    Unsubscribe {
        /// The `SID` as sent.
        sid: &'b str,
    },
}

/// A `CALLBACK` field value: `<URL><URL>...`. Iterating yields its usable URLs in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Callbacks<'b>(&'b str);

impl<'b> Callbacks<'b> {
    /// A view over a `CALLBACK` value (its URLs are checked when iterated).
    pub fn new(value: &'b str) -> Self {
        Callbacks(value)
    }

    /// The usable URLs, in the order sent (at most [`MAX_CALLBACK_URLS`] entries are read).
    pub fn iter(&self) -> impl Iterator<Item = Callback<'b>> + 'b {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            let start = rest.find('<')?;
            let after = rest.get(start + 1..)?;
            let end = after.find('>')?;
            let url = after.get(..end)?;
            rest = after.get(end + 1..).unwrap_or_default();
            Some(url)
        })
        .take(MAX_CALLBACK_URLS)
        .filter_map(Callback::parse)
    }
}

/// One usable callback URL: where a NOTIFY goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Callback<'b> {
    /// The address and port (80 when the URL names none).
    pub addr: SocketAddr,
    /// Path and query, starting with `/` (`/` when the URL has none).
    pub path: &'b str,
}

impl<'b> Callback<'b> {
    /// Parses `http://IP[:port][/path]`; anything else is `None` (see the module docs).
    pub fn parse(url: &'b str) -> Option<Callback<'b>> {
        let url = url.trim();
        let scheme = url.get(..7)?;
        if !scheme.eq_ignore_ascii_case("http://") {
            return None;
        }
        let rest = url.get(7..)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (rest.get(..i)?, rest.get(i..)?),
            None => (rest, "/"),
        };
        let path_ok = path.len() <= MAX_CALLBACK_PATH && path.bytes().all(|b| b.is_ascii_graphic());
        if !path_ok {
            return None;
        }
        let (ip, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, tail) = v6.split_once(']')?;
            (IpAddr::V6(super::addr::ipv6(host)?), tail)
        } else {
            let (host, tail) = match authority.find(':') {
                Some(i) => (authority.get(..i)?, authority.get(i..)?),
                None => (authority, ""),
            };
            (IpAddr::V4(super::addr::ipv4(host)?), tail)
        };
        let port = match port.strip_prefix(':') {
            None if port.is_empty() => 80,
            None => return None,
            Some(digits) if digits.len() <= 5 => {
                u16::try_from(decimal(digits.as_bytes())?).ok().filter(|&p| p != 0)?
            }
            Some(_) => return None,
        };
        Some(Callback { addr: SocketAddr::new(ip, port), path })
    }
}

/// Reads what a `SUBSCRIBE` or `UNSUBSCRIBE` head asks for; any other method is
/// [`Error::NotGena`].
pub fn parse<'b>(method: Method<'_>, headers: &Headers<'_, 'b>) -> Result<Request<'b>, Error> {
    let sid = headers.get("sid").map(|v| core::str::from_utf8(v).map_err(|_| Error::UnknownSid));
    let nt = headers.get("nt");
    let callback = headers.get("callback");
    let timeout = headers.get("timeout").and_then(timeout_secs);
    match (method, sid) {
        (Method::Subscribe | Method::Unsubscribe, Some(_))
            if nt.is_some() || callback.is_some() =>
        {
            Err(Error::IncompatibleHeaders)
        }
        (Method::Subscribe, Some(sid)) => Ok(Request::Renew { sid: non_empty(sid?)?, timeout }),
        (Method::Unsubscribe, Some(sid)) => Ok(Request::Unsubscribe { sid: non_empty(sid?)? }),
        (Method::Unsubscribe, None) => Err(Error::UnknownSid),
        (Method::Subscribe, None) => {
            if !nt.is_some_and(|nt| nt.eq_ignore_ascii_case(b"upnp:event")) {
                return Err(Error::BadNt);
            }
            let value = callback.and_then(|v| core::str::from_utf8(v).ok());
            let callbacks = Callbacks::new(value.ok_or(Error::BadCallback)?);
            if callbacks.iter().next().is_none() {
                return Err(Error::BadCallback);
            }
            Ok(Request::Subscribe { callbacks, timeout })
        }
        _ => Err(Error::NotGena),
    }
}

fn non_empty(sid: &str) -> Result<&str, Error> {
    if sid.is_empty() {
        Err(Error::UnknownSid)
    } else {
        Ok(sid)
    }
}

/// `Second-N` as N (saturating at `u32::MAX`); `None` for `Second-infinite` and anything else.
fn timeout_secs(value: &[u8]) -> Option<u32> {
    let prefix = value.get(..7)?;
    if !prefix.eq_ignore_ascii_case(b"second-") {
        return None;
    }
    let n = decimal(value.get(7..)?)?;
    Some(u32::try_from(n).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::{self, Parsed, EMPTY_HEADER};

    fn parsed(head: &str, check: impl FnOnce(Result<Request<'_>, Error>)) {
        let mut storage = [EMPTY_HEADER; 16];
        let Ok(Parsed::Complete(req)) =
            request::parse(head.as_bytes(), &mut storage, &request::RequestLimits::DEFAULT)
        else {
            panic!("test head does not parse: {head:?}");
        };
        check(parse(req.method, &req.headers));
    }

    /// A SUBSCRIBE as gupnp (Rygel's and many players' stack) sends it.
    const GUPNP: &str = "SUBSCRIBE /rill/cd/event HTTP/1.1\r\nHost: 192.168.1.10:8210\r\n\
        Callback: <http://192.168.1.20:41233/GUPnP-1f6b2/ContentDirectory>\r\n\
        NT: upnp:event\r\nTimeout: Second-300\r\nUser-Agent: gupnp\r\n\r\n";

    #[test]
    fn a_new_subscription() {
        parsed(GUPNP, |r| {
            let Ok(Request::Subscribe { callbacks, timeout }) = r else { panic!("{r:?}") };
            assert_eq!(timeout, Some(300));
            let all: heapless::Vec<Callback<'_>, 4> = callbacks.iter().collect();
            assert_eq!(
                all.as_slice(),
                [Callback {
                    addr: "192.168.1.20:41233".parse().unwrap(),
                    path: "/GUPnP-1f6b2/ContentDirectory"
                }]
            );
        });
    }

    #[test]
    fn renewals_and_cancellations() {
        let renew = "SUBSCRIBE /rill/cd/event HTTP/1.1\r\nSID: uuid:abc\r\n\
                     TIMEOUT: Second-infinite\r\n\r\n";
        parsed(renew, |r| assert_eq!(r, Ok(Request::Renew { sid: "uuid:abc", timeout: None })));
        let cancel = "UNSUBSCRIBE /rill/cd/event HTTP/1.1\r\nSID:  uuid:abc \r\n\r\n";
        parsed(cancel, |r| assert_eq!(r, Ok(Request::Unsubscribe { sid: "uuid:abc" })));
    }

    #[test]
    fn refusals_follow_uda() {
        let cases: [(&str, Error); 8] = [
            // SID together with NT or CALLBACK: 400.
            ("SUBSCRIBE / HTTP/1.1\r\nSID: uuid:a\r\nNT: upnp:event\r\n\r\n", Error::IncompatibleHeaders),
            ("UNSUBSCRIBE / HTTP/1.1\r\nSID: uuid:a\r\nCALLBACK: <http://1.2.3.4/>\r\n\r\n", Error::IncompatibleHeaders),
            // No SID to cancel, an empty one: 412.
            ("UNSUBSCRIBE / HTTP/1.1\r\n\r\n", Error::UnknownSid),
            ("SUBSCRIBE / HTTP/1.1\r\nSID:\r\n\r\n", Error::UnknownSid),
            // Wrong or missing NT, missing or unusable CALLBACK: 412.
            ("SUBSCRIBE / HTTP/1.1\r\nNT: upnp:propchange\r\nCALLBACK: <http://1.2.3.4/>\r\n\r\n", Error::BadNt),
            ("SUBSCRIBE / HTTP/1.1\r\nCALLBACK: <http://1.2.3.4/>\r\n\r\n", Error::BadNt),
            ("SUBSCRIBE / HTTP/1.1\r\nNT: upnp:event\r\n\r\n", Error::BadCallback),
            ("SUBSCRIBE / HTTP/1.1\r\nNT: upnp:event\r\nCALLBACK: http://1.2.3.4/\r\n\r\n", Error::BadCallback),
        ];
        for (head, want) in cases {
            parsed(head, |r| assert_eq!(r, Err(want), "{head:?}"));
        }
        parsed("GET / HTTP/1.1\r\n\r\n", |r| assert_eq!(r, Err(Error::NotGena)));
        assert_eq!(Error::IncompatibleHeaders.status().as_u16(), 400);
        assert_eq!(Error::BadCallback.status().as_u16(), 412);
    }

    #[test]
    fn callback_urls() {
        fn ok(url: &str) -> Option<(String, &str)> {
            Callback::parse(url).map(|c| (c.addr.to_string(), c.path))
        }
        assert_eq!(ok("http://10.0.0.2"), Some(("10.0.0.2:80".into(), "/")));
        assert_eq!(ok("HTTP://10.0.0.2:8080/a?b=c"), Some(("10.0.0.2:8080".into(), "/a?b=c")));
        assert_eq!(ok("http://[fe80::1]:5000/ev"), Some(("[fe80::1]:5000".into(), "/ev")));
        for bad in [
            "https://10.0.0.2/",
            "http://host.local/",
            "http://10.0.0.2:0/",
            "http://10.0.0.2:65536/",
            "http://10.0.0.2:/",
            "http://10.0.0.2:80x/",
            "http://10.0.0.2/a b",
            "http://10.0.0.2/\u{e9}",
            "http://[fe80::1/",
            "http://10.0.0.2x/",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
        let long = std::format!("http://10.0.0.2/{}", "a".repeat(MAX_CALLBACK_PATH));
        assert_eq!(ok(&long), None);
        // Unusable entries are skipped, the usable ones kept in order.
        let list = Callbacks::new("<https://x/> <http://10.0.0.3:1/a><http://10.0.0.4:2/b> junk");
        let got: heapless::Vec<_, 4> = list.iter().map(|c| c.addr.port()).collect();
        assert_eq!(got.as_slice(), [1, 2]);
        assert_eq!(Callbacks::new("<http://10.0.0.3:1/a").iter().count(), 0);
    }

    #[test]
    fn timeouts() {
        assert_eq!(timeout_secs(b"Second-1800"), Some(1800));
        assert_eq!(timeout_secs(b"second-99999999999"), Some(u32::MAX));
        assert_eq!(timeout_secs(b"Second-infinite"), None);
        assert_eq!(timeout_secs(b"Second-"), None);
        assert_eq!(timeout_secs(b"1800"), None);
    }
}
