//! The NOTIFY request that carries an event: head and `e:propertyset` body, written into a
//! caller's buffer.
//!
//! ```text
//! NOTIFY /callback/path HTTP/1.1
//! HOST: 192.168.1.20:41233
//! CONTENT-TYPE: text/xml; charset="utf-8"
//! NT: upnp:event
//! NTS: upnp:propchange
//! SID: uuid:...
//! SEQ: 0
//! CONTENT-LENGTH: 181
//! CONNECTION: close
//!
//! <?xml version="1.0" encoding="utf-8"?>
//! <e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0"><e:property>
//! <SystemUpdateID>7</SystemUpdateID></e:property></e:propertyset>
//! ```
//!
//! The body is rendered twice, once to count its bytes for `CONTENT-LENGTH` and once into the
//! buffer, so nothing is copied. Values are XML-escaped; the path and SID come from the
//! subscription table, which only holds printable ASCII in them.

use core::fmt::{self, Write};
use core::net::{Ipv6Addr, SocketAddr};

use crate::http::{SliceWriter, WriteError};
use crate::xml::{escape_text, Count};

/// One evented state variable and its value.
pub type Property<'a> = (&'a str, &'a dyn fmt::Display);

/// Writes the NOTIFY for event `seq` of subscription `sid` to `dst` + `path` into `buf`;
/// returns its length, or how long a buffer it needs.
pub fn emit(
    buf: &mut [u8],
    dst: SocketAddr,
    path: &str,
    sid: &str,
    seq: u32,
    properties: &[Property<'_>],
) -> Result<usize, WriteError> {
    let mut count = Count::default();
    body(&mut count, properties).map_err(|_| WriteError::Format)?;
    let mut w = SliceWriter::new(buf);
    write!(
        w,
        "NOTIFY {path} HTTP/1.1\r\nHOST: {}\r\nCONTENT-TYPE: text/xml; charset=\"utf-8\"\r\n\
         NT: upnp:event\r\nNTS: upnp:propchange\r\nSID: {sid}\r\nSEQ: {seq}\r\n\
         CONTENT-LENGTH: {}\r\nCONNECTION: close\r\n\r\n",
        Host(dst),
        count.0
    )
    .map_err(|_| WriteError::Format)?;
    body(&mut w, properties).map_err(|_| WriteError::Format)?;
    w.finish()
}

/// `dst` as `SocketAddr`'s `Display` writes it (`a.b.c.d:port`, `[v6%scope]:port`).
///
/// Written here because core's IPv6 `Display` is 1.7 KB of flash that only this header would
/// link into the firmware, whose network stack has no IPv6.
struct Host(SocketAddr);

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SocketAddr::V4(a) => write!(f, "{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => {
                f.write_char('[')?;
                ipv6(f, a.ip())?;
                if a.scope_id() != 0 {
                    write!(f, "%{}", a.scope_id())?;
                }
                write!(f, "]:{}", a.port())
            }
        }
    }
}

/// Writes `ip` in RFC 5952 form, as core's `Display` does: IPv4-mapped addresses as
/// `::ffff:a.b.c.d`, otherwise lowercase hex groups with the first longest run of two or more
/// zero groups written `::`.
fn ipv6(f: &mut fmt::Formatter<'_>, ip: &Ipv6Addr) -> fmt::Result {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return write!(f, "::ffff:{v4}");
    }
    let groups = ip.segments();
    // (start, length) of the longest zero run so far and of the current one.
    let (mut best, mut run) = ((0, 0), (0, 0));
    for (i, &g) in groups.iter().enumerate() {
        if g != 0 {
            run.1 = 0;
            continue;
        }
        if run.1 == 0 {
            run.0 = i;
        }
        run.1 += 1;
        if run.1 > best.1 {
            best = run;
        }
    }
    if best.1 < 2 {
        return hex_groups(f, &groups);
    }
    hex_groups(f, groups.get(..best.0).unwrap_or_default())?;
    f.write_str("::")?;
    hex_groups(f, groups.get(best.0 + best.1..).unwrap_or_default())
}

/// Writes `groups` as lowercase hex, `:`-separated.
fn hex_groups(f: &mut fmt::Formatter<'_>, groups: &[u16]) -> fmt::Result {
    for (k, g) in groups.iter().enumerate() {
        if k > 0 {
            f.write_char(':')?;
        }
        write!(f, "{g:x}")?;
    }
    Ok(())
}

/// The `e:propertyset` document.
fn body(w: &mut dyn Write, properties: &[Property<'_>]) -> fmt::Result {
    w.write_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
         <e:propertyset xmlns:e=\"urn:schemas-upnp-org:event-1-0\">",
    )?;
    for (name, value) in properties {
        write!(w, "<e:property><{name}>{}</{name}></e:property>", escape_text(value))?;
    }
    w.write_str("</e:propertyset>\r\n")
}

/// The status code of a subscriber's answer to a NOTIFY (its `HTTP/1.x NNN ...` status line),
/// for [`Subscriptions::delivered`](super::Subscriptions::delivered): the shells read the first
/// bytes of the answer and ask this whether it was a 2xx. `None` if it is no HTTP/1 status line.
pub fn answer_status(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|&b| b == b'\r').next()?;
    let mut words = line.split(|&b| b == b' ');
    if !words.next()?.starts_with(b"HTTP/1.") {
        return None;
    }
    core::str::from_utf8(words.next()?).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notify_parses_back_with_its_exact_body() {
        let mut buf = [0u8; 1024];
        let dst: SocketAddr = "192.168.1.20:41233".parse().unwrap();
        let ids = "1f,3,a2,9";
        let props: [Property<'_>; 2] = [("SystemUpdateID", &7u32), ("ContainerUpdateIDs", &ids)];
        let n = emit(&mut buf, dst, "/ev?x=1", "uuid:s", 4, &props).unwrap();
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut req = httparse::Request::new(&mut headers);
        let head = match req.parse(&buf[..n]).unwrap() {
            httparse::Status::Complete(head) => head,
            httparse::Status::Partial => panic!("partial"),
        };
        assert_eq!((req.method, req.path, req.version), (Some("NOTIFY"), Some("/ev?x=1"), Some(1)));
        let get = |name: &str| {
            let h = req.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).unwrap();
            core::str::from_utf8(h.value).unwrap()
        };
        assert_eq!(get("host"), "192.168.1.20:41233");
        assert_eq!((get("nt"), get("nts")), ("upnp:event", "upnp:propchange"));
        assert_eq!((get("sid"), get("seq")), ("uuid:s", "4"));
        let body = core::str::from_utf8(&buf[head..n]).unwrap();
        assert_eq!(get("content-length"), body.len().to_string());
        let doc = roxmltree::Document::parse(body).unwrap();
        let ns = "urn:schemas-upnp-org:event-1-0";
        assert!(doc.root_element().has_tag_name((ns, "propertyset")));
        let values: std::vec::Vec<(&str, &str)> = doc
            .root_element()
            .children()
            .filter(|p| p.has_tag_name((ns, "property")))
            .filter_map(|p| p.first_element_child())
            .map(|v| (v.tag_name().name(), v.text().unwrap_or("")))
            .collect();
        assert_eq!(values, [("SystemUpdateID", "7"), ("ContainerUpdateIDs", "1f,3,a2,9")]);
    }

    #[test]
    fn values_are_escaped_and_small_buffers_say_what_they_need() {
        let mut big = [0u8; 512];
        let text = "a<b&c";
        let props: [Property<'_>; 1] = [("SourceProtocolInfo", &text)];
        let dst: SocketAddr = "[::1]:9".parse().unwrap();
        let n = emit(&mut big, dst, "/", "uuid:s", 0, &props).unwrap();
        let out = core::str::from_utf8(&big[..n]).unwrap();
        assert!(out.contains("HOST: [::1]:9\r\n"), "{out}");
        assert!(out.contains("<SourceProtocolInfo>a&lt;b&amp;c</SourceProtocolInfo>"), "{out}");
        let mut small = [0u8; 40];
        assert_eq!(
            emit(&mut small, dst, "/", "uuid:s", 0, &props),
            Err(WriteError::BufferTooSmall { needed: n })
        );
    }

    #[test]
    fn host_is_written_as_core_writes_socket_addresses() {
        use core::net::{Ipv4Addr, SocketAddrV6};
        // Every pattern of zero and non-zero groups, so every zero-run position, length and tie.
        let mut addrs: std::vec::Vec<SocketAddr> = (0u32..256)
            .map(|mask| {
                let groups: [u16; 8] = core::array::from_fn(|i| {
                    if mask >> i & 1 == 1 {
                        [0x1, 0xabcd, 0x20, 0xffff][i % 4]
                    } else {
                        0
                    }
                });
                let ip = Ipv6Addr::from(groups);
                SocketAddr::V6(SocketAddrV6::new(ip, 1900, 0, mask % 3))
            })
            .collect();
        addrs.push(SocketAddr::new(Ipv4Addr::new(192, 168, 1, 20).to_ipv6_mapped().into(), 9));
        addrs.push(SocketAddr::new(Ipv4Addr::new(1, 2, 3, 4).to_ipv6_compatible().into(), 9));
        addrs.push("10.0.2.2:41233".parse().unwrap());
        addrs.push("[fe80::1:2]:80".parse().unwrap());
        for addr in addrs {
            assert_eq!(Host(addr).to_string(), addr.to_string());
        }
    }

    #[test]
    fn answer_status_lines() {
        assert_eq!(answer_status(b"HTTP/1.1 200 OK\r\n\r\n"), Some(200));
        assert_eq!(answer_status(b"HTTP/1.0 412 Precondition Failed\r\n"), Some(412));
        assert_eq!(answer_status(b"HTTP/1.1 204"), Some(204));
        assert_eq!(answer_status(b"SIP/2.0 200 OK\r\n"), None);
        assert_eq!(answer_status(b"HTTP/1.1 OK\r\n"), None);
        assert_eq!(answer_status(b""), None);
    }
}
