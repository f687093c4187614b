//! SSDP as a control point sees it: M-SEARCH out, unicast answers and NOTIFYs in.
//!
//! Everything here is loopback-only: the sending socket is bound to the given loopback address
//! and has `IP_MULTICAST_IF` set to it, so a datagram to the group leaves through `lo` and nowhere
//! else (see the parent module doc for why this works without any route); any other address is
//! refused with `InvalidInput`. Collection loops stop at a deadline and after [`MAX_MESSAGES`].

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use super::http::{find_header, parse_headers};

/// The SSDP multicast group and port.
pub const GROUP: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(239, 255, 255, 250), 1900);
/// The most datagrams one collection returns.
pub const MAX_MESSAGES: usize = 512;

/// One SSDP datagram: a search response (`HTTP/1.1 200 OK`), a `NOTIFY` or an `M-SEARCH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The first line, e.g. `HTTP/1.1 200 OK` or `NOTIFY * HTTP/1.1`.
    pub start_line: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Who sent it.
    pub from: SocketAddr,
}

impl Message {
    /// Parses a datagram strictly: CRLF line ends, a blank line at the end, `Name: value`
    /// headers. Anything else is `InvalidData`.
    pub fn parse(bytes: &[u8], from: SocketAddr) -> io::Result<Message> {
        let text = std::str::from_utf8(bytes).map_err(|_| bad("SSDP datagram is not UTF-8"))?;
        let head = text
            .strip_suffix("\r\n\r\n")
            .ok_or_else(|| bad("SSDP datagram must end in CRLF CRLF"))?;
        let mut lines = head.split("\r\n");
        let start_line = lines.next().unwrap_or_default().to_string();
        if start_line.is_empty() {
            return Err(bad("empty SSDP datagram"));
        }
        Ok(Message { start_line, headers: parse_headers(lines)?, from })
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The status code if this is a response.
    pub fn status(&self) -> Option<u16> {
        let rest = self.start_line.strip_prefix("HTTP/1.1 ")?;
        rest.split(' ').next()?.parse().ok()
    }

    /// The request method if this is a request (`NOTIFY`, `M-SEARCH`).
    pub fn method(&self) -> Option<&str> {
        let method = self.start_line.strip_suffix(" * HTTP/1.1")?;
        Some(method)
    }
}

/// Sends a multicast `M-SEARCH` for `st` with `MX: 1` from `iface` (a loopback address) and
/// collects the answers that arrive within `wait`.
pub fn discover(iface: Ipv4Addr, st: &str, wait: Duration) -> io::Result<Vec<Message>> {
    let request = format!(
        "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n\
         MX: 1\r\nST: {st}\r\n\r\n"
    );
    search(iface, GROUP, request.as_bytes(), wait)
}

/// Sends `request` exactly (well-formed or not) to `dst` (the group, or a loopback unicast
/// address) from `iface`, and collects what comes back within `wait`.
pub fn search(
    iface: Ipv4Addr,
    dst: SocketAddrV4,
    request: &[u8],
    wait: Duration,
) -> io::Result<Vec<Message>> {
    if !super::netns::allowed((*dst.ip()).into()) && dst != GROUP {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to send to {dst}"),
        ));
    }
    let sock = sender(iface)?;
    sock.send_to(request, dst)?;
    collect(&sock, wait)
}

/// A socket that hears SSDP multicast (NOTIFY alive/byebye, other searches) on a loopback
/// interface: bound to `0.0.0.0:1900` sharing the port, member of the group on `iface` only.
#[derive(Debug)]
pub struct Listener {
    sock: UdpSocket,
}

impl Listener {
    /// Joins the group on `iface` (a loopback address).
    pub fn open(iface: Ipv4Addr) -> io::Result<Listener> {
        require_loopback(iface)?;
        let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
        sock.set_reuse_address(true)?;
        sock.set_reuse_port(true)?;
        sock.bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, GROUP.port()).into())?;
        sock.set_multicast_all_v4(false)?;
        sock.join_multicast_v4(GROUP.ip(), &iface)?;
        Ok(Listener { sock: sock.into() })
    }

    /// Everything that arrives within `wait`, in arrival order.
    pub fn collect(&self, wait: Duration) -> io::Result<Vec<Message>> {
        collect(&self.sock, wait)
    }
}

fn require_loopback(iface: Ipv4Addr) -> io::Result<()> {
    if super::netns::allowed(iface.into()) {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{iface} is not loopback")))
    }
}

/// A UDP socket on `iface` whose multicast can only leave through that (loopback) interface.
fn sender(iface: Ipv4Addr) -> io::Result<UdpSocket> {
    require_loopback(iface)?;
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_multicast_if_v4(&iface)?;
    sock.set_multicast_loop_v4(true)?;
    sock.set_multicast_ttl_v4(1)?;
    sock.bind(&SocketAddrV4::new(iface, 0).into())?;
    Ok(sock.into())
}

fn collect(sock: &UdpSocket, wait: Duration) -> io::Result<Vec<Message>> {
    let deadline = Instant::now() + wait;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < MAX_MESSAGES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        sock.set_read_timeout(Some(left))?;
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => out.push(Message::parse(&buf[..n], from)?),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                break
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> SocketAddr {
        "127.0.0.1:1900".parse().unwrap()
    }

    #[test]
    fn parses_a_search_response() {
        // Shaped like UDA 1.1 section 1.3.3's example.
        let bytes = b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\n\
            DATE: Thu, 26 Nov 2026 05:00:00 GMT\r\nEXT:\r\nLOCATION: http://127.0.0.1:8210/d.xml\r\n\
            SERVER: Linux/6 UPnP/1.0 Rill/0.1\r\nST: upnp:rootdevice\r\n\
            USN: uuid:1234::upnp:rootdevice\r\nBOOTID.UPNP.ORG: 7\r\n\r\n";
        let m = Message::parse(bytes, from()).unwrap();
        assert_eq!(m.status(), Some(200));
        assert_eq!(m.method(), None);
        assert_eq!(m.header("ext"), Some(""));
        assert_eq!(m.header("Location"), Some("http://127.0.0.1:8210/d.xml"));
        assert_eq!(m.header("bootid.upnp.org"), Some("7"));
        assert_eq!(m.headers.len(), 8);
    }

    #[test]
    fn parses_a_notify_and_rejects_malformed_datagrams() {
        let m = Message::parse(
            b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNTS: ssdp:byebye\r\n\r\n",
            from(),
        )
        .unwrap();
        assert_eq!((m.method(), m.header("nts")), (Some("NOTIFY"), Some("ssdp:byebye")));
        assert!(Message::parse(b"HTTP/1.1 200 OK\r\nST: x\r\n", from()).is_err());
        assert!(Message::parse(b"HTTP/1.1 200 OK\nST: x\n\n", from()).is_err());
        assert!(Message::parse(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", from()).is_err());
        assert!(Message::parse(b"\r\n\r\n", from()).is_err());
    }

    #[test]
    fn refuses_non_loopback() {
        let lan = Ipv4Addr::new(192, 0, 2, 2);
        assert_eq!(sender(lan).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert!(Listener::open(lan).is_err());
        let dst = SocketAddrV4::new(lan, 1900);
        let err = search(Ipv4Addr::LOCALHOST, dst, b"x", Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_search_reaches_a_listener_over_loopback_multicast() {
        // Ports are shared (SO_REUSEPORT) and each socket gets its own copy of a group datagram,
        // so this does not disturb a server running beside the tests.
        let listener = Listener::open(Ipv4Addr::LOCALHOST).unwrap();
        discover(Ipv4Addr::LOCALHOST, "urn:rill-test:unit", Duration::from_millis(50)).unwrap();
        let heard = listener.collect(Duration::from_millis(500)).unwrap();
        let ours = heard
            .iter()
            .find(|m| m.header("ST") == Some("urn:rill-test:unit"))
            .expect("our M-SEARCH looped back on lo");
        assert_eq!(ours.method(), Some("M-SEARCH"));
        assert_eq!(ours.header("MAN"), Some("\"ssdp:discover\""));
        assert!(ours.from.ip().is_loopback());
    }
}
