//! Which clients may talk to the server: the optional allow-list of client subnets
//! (`rill serve --allow 192.168.1.0/24 --allow 10.0.0.7`).
//!
//! Without `--allow`, every client that can reach the served interfaces is served (the
//! interfaces themselves are the first fence, see [`crate::iface`]). With it, a client whose
//! address lies in none of the subnets is refused before a byte is read from it: its TCP
//! connection is closed at once, without an answer (a 403 would tell a stranger that a media
//! server is there), and its SSDP searches are ignored. IPv4-mapped IPv6 addresses
//! (`::ffff:a.b.c.d`) count as the IPv4 address they carry.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IPv4 or IPv6 subnet: an address and a prefix length (`192.168.1.0/24`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    addr: IpAddr,
    prefix: u8,
}

impl Subnet {
    /// The subnet of the addresses whose first `prefix` bits are those of `addr` (the bits
    /// after them are ignored), or `None` if `prefix` is longer than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Subnet> {
        let bits = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (prefix <= bits).then_some(Subnet { addr: canonical(addr), prefix })
    }

    /// Whether `ip` lies in this subnet.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                same_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

/// `::ffff:a.b.c.d` as `a.b.c.d`; every other address unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Whether the first `bits` bits of `a` and `b` agree (`bits` is at most their length).
fn same_prefix(a: &[u8], b: &[u8], bits: u8) -> bool {
    let bits = usize::from(bits);
    let (whole, rest) = (bits / 8, bits % 8);
    if a.get(..whole) != b.get(..whole) {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    match (a.get(whole), b.get(whole)) {
        (Some(x), Some(y)) => x & mask == y & mask,
        _ => false,
    }
}

/// Why a subnet did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The part before `/` is not an IPv4 or IPv6 address.
    Address,
    /// The part after `/` is not a number up to 32 (IPv4) or 128 (IPv6).
    Prefix,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::Address => "not an IPv4 or IPv6 address (expected e.g. 192.168.1.0/24)",
            ParseError::Prefix => "bad prefix length (0-32 for IPv4, 0-128 for IPv6)",
        })
    }
}

impl std::error::Error for ParseError {}

/// `ADDR/LEN`, or a bare `ADDR` (that address alone).
impl FromStr for Subnet {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Subnet, ParseError> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse::<Ipv4Addr>()
            .map(IpAddr::V4)
            .or_else(|_| addr.parse::<Ipv6Addr>().map(IpAddr::V6))
            .map_err(|_| ParseError::Address)?;
        let full = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => full,
            // Digits only: `u8::from_str` would also take a leading `+`.
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().map_err(|_| ParseError::Prefix)?
            }
            Some(_) => return Err(ParseError::Prefix),
        };
        Subnet::new(addr, prefix).ok_or(ParseError::Prefix)
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The clients allowed to use the server: everyone (empty list), or those in one of the
/// subnets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    subnets: Vec<Subnet>,
}

impl AllowList {
    /// Allows the clients in any of `subnets`; no subnets allows everyone.
    pub fn new(subnets: Vec<Subnet>) -> AllowList {
        AllowList { subnets }
    }

    /// Whether the client at `ip` may be served.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.subnets.is_empty() || self.subnets.iter().any(|s| s.contains(ip))
    }

    /// The subnets (empty: everyone is allowed).
    pub fn subnets(&self) -> &[Subnet] {
        &self.subnets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_matches_subnets() {
        let lan: Subnet = "192.168.1.0/24".parse().unwrap();
        assert!(lan.contains(ip("192.168.1.0")) && lan.contains(ip("192.168.1.255")));
        assert!(!lan.contains(ip("192.168.2.1")) && !lan.contains(ip("10.192.168.1")));
        // Mapped IPv6 is the IPv4 address; other IPv6 never matches an IPv4 subnet.
        assert!(lan.contains(ip("::ffff:192.168.1.9")));
        assert!(!lan.contains(ip("::1")) && !lan.contains(ip("fe80::c0a8:109")));

        // Host bits after the prefix are ignored; odd prefixes compare the leading bits only.
        let odd: Subnet = "10.1.2.3/15".parse().unwrap();
        assert_eq!(odd.to_string(), "10.1.2.3/15");
        assert!(odd.contains(ip("10.0.0.0")) && odd.contains(ip("10.1.255.255")));
        assert!(!odd.contains(ip("10.2.0.0")) && !odd.contains(ip("11.0.0.0")));

        let host: Subnet = "127.0.0.2".parse().unwrap();
        assert_eq!(host, "127.0.0.2/32".parse().unwrap());
        assert!(host.contains(ip("127.0.0.2")) && !host.contains(ip("127.0.0.1")));

        let v6: Subnet = "fd00:1::/32".parse().unwrap();
        assert!(v6.contains(ip("fd00:1:ffff::1")) && !v6.contains(ip("fd00:2::1")));
        let lo6: Subnet = "::1/128".parse().unwrap();
        assert!(lo6.contains(ip("::1")) && !lo6.contains(ip("::2")));

        let any: Subnet = "0.0.0.0/0".parse().unwrap();
        assert!(any.contains(ip("8.8.8.8")) && !any.contains(ip("::2")));
    }

    #[test]
    fn refuses_malformed_subnets() {
        for (text, err) in [
            ("", ParseError::Address),
            ("192.168.1/24", ParseError::Address),
            ("192.168.1.0/", ParseError::Prefix),
            ("192.168.1.0/33", ParseError::Prefix),
            ("192.168.1.0/+8", ParseError::Prefix),
            ("192.168.1.0/-1", ParseError::Prefix),
            ("192.168.1.0/24/8", ParseError::Prefix),
            ("::1/129", ParseError::Prefix),
            ("::1/999999999999", ParseError::Prefix),
            ("eth0", ParseError::Address),
            (" 10.0.0.1", ParseError::Address),
        ] {
            assert_eq!(text.parse::<Subnet>(), Err(err), "{text:?}");
        }
    }

    #[test]
    fn empty_list_allows_everyone() {
        assert!(AllowList::default().permits(ip("203.0.113.9")));
        let list = AllowList::new(vec!["192.168.1.0/24".parse().unwrap(), "::1".parse().unwrap()]);
        assert!(list.permits(ip("192.168.1.30")) && list.permits(ip("::1")));
        assert!(!list.permits(ip("192.168.0.30")) && !list.permits(ip("127.0.0.1")));
    }
}
