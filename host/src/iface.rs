//! Network interfaces: which IPv4 interfaces exist, and which of them Rill serves on.
//!
//! Rill listens only on the interfaces it was told about (`--interface`), or by default on every
//! IPv4 interface that is up and can multicast, and on loopback (so the server runs for local
//! players and tests even on a plane). The choice is made again whenever the network changes
//! ([`crate::network`]). SSDP needs the interface *index* (to learn where a search arrived) and
//! its IPv4 *address* (to bind the HTTP listener and to build a `LOCATION` reachable from that
//! network).

use std::fmt;
use std::net::Ipv4Addr;

use anyhow::{Context, Result};
use nix::ifaddrs::getifaddrs;
use nix::net::if_::{if_nametoindex, InterfaceFlags};

/// One IPv4 address of one network interface, as the OS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// The interface name (`eth0`, `lo`).
    pub name: String,
    /// The kernel's interface index, as carried in `IP_PKTINFO`.
    pub index: u32,
    /// The interface's IPv4 address.
    pub addr: Ipv4Addr,
    /// The prefix length of the address's network (from its netmask; 32 if none is known).
    pub prefix: u8,
    /// The interface is administratively up and has its carrier (`IFF_UP` and `IFF_RUNNING`):
    /// it can carry traffic now. A cable plugged in or a link resumed makes it so.
    pub up: bool,
    /// The interface supports multicast (`IFF_MULTICAST`).
    pub multicast: bool,
    /// The interface is a loopback interface.
    pub loopback: bool,
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, index {})", self.name, self.addr, self.index)
    }
}

/// Lists every IPv4 address of every interface (one entry per address).
pub fn list() -> Result<Vec<Interface>> {
    let mut out = Vec::new();
    for ifa in getifaddrs().context("listing network interfaces (getifaddrs)")? {
        let Some(addr) = ifa.address.as_ref().and_then(|a| a.as_sockaddr_in()) else {
            continue;
        };
        let index = if_nametoindex(ifa.interface_name.as_str())
            .with_context(|| format!("index of interface {}", ifa.interface_name))?;
        let mask = ifa.netmask.as_ref().and_then(|m| m.as_sockaddr_in()).map(|m| m.ip());
        out.push(Interface {
            name: ifa.interface_name.clone(),
            index,
            addr: addr.ip(),
            prefix: mask.map_or(32, |m| u8::try_from(u32::from(m).leading_ones()).unwrap_or(32)),
            up: ifa.flags.contains(InterfaceFlags::IFF_UP | InterfaceFlags::IFF_RUNNING),
            multicast: ifa.flags.contains(InterfaceFlags::IFF_MULTICAST),
            loopback: ifa.flags.contains(InterfaceFlags::IFF_LOOPBACK),
        });
    }
    Ok(out)
}

/// Chooses the interfaces to serve on from `all`, as they are now.
///
/// Each entry of `wanted` is an interface name (every IPv4 address of it is used) or one of the
/// interfaces' IPv4 addresses; an entry that matches nothing, or only interfaces that are down
/// (or without carrier), is simply not served *yet*: Rill follows the network ([`crate::network`]) and starts serving
/// there when it appears (a Wi-Fi or VPN interface that comes up after login), see
/// [`missing`]. An empty `wanted` means every interface that is up with multicast and not
/// loopback, plus loopback itself (it reaches only this machine, so local players find Rill
/// even with no network up).
pub fn select(all: &[Interface], wanted: &[String]) -> Vec<Interface> {
    let mut chosen: Vec<Interface> = Vec::new();
    for i in all.iter().filter(|i| i.up) {
        let take = if wanted.is_empty() {
            i.loopback || i.multicast
        } else {
            wanted.iter().any(|w| matches(i, w))
        };
        if take && !chosen.contains(i) {
            chosen.push(i.clone());
        }
    }
    chosen
}

/// The entries of `wanted` that match no interface that is up in `all` (waited for).
pub fn missing<'w>(all: &[Interface], wanted: &'w [String]) -> Vec<&'w str> {
    wanted
        .iter()
        .filter(|w| !all.iter().any(|i| i.up && matches(i, w)))
        .map(String::as_str)
        .collect()
}

impl Interface {
    /// Whether `ip` is on this address's network.
    pub fn on_link(&self, ip: Ipv4Addr) -> bool {
        let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix.min(32))).unwrap_or(0);
        u32::from(ip) & mask == u32::from(self.addr) & mask
    }
}

/// Whether `want` (a name or an IPv4 address) names `iface`.
fn matches(iface: &Interface, want: &str) -> bool {
    iface.name == want || want.parse::<Ipv4Addr>().is_ok_and(|a| a == iface.addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, index: u32, addr: [u8; 4], up: bool, mc: bool, lo: bool) -> Interface {
        Interface {
            name: name.into(),
            index,
            addr: Ipv4Addr::from(addr),
            prefix: 24,
            up,
            multicast: mc,
            loopback: lo,
        }
    }

    fn sample() -> Vec<Interface> {
        vec![
            iface("lo", 1, [127, 0, 0, 1], true, false, true),
            iface("eth0", 2, [192, 168, 1, 5], true, true, false),
            iface("eth0", 2, [10, 0, 0, 5], true, true, false),
            iface("wlan0", 3, [172, 16, 0, 9], false, true, false),
            iface("tun0", 4, [10, 8, 0, 1], true, false, false),
        ]
    }

    fn addrs(chosen: &[Interface]) -> Vec<String> {
        chosen.iter().map(|i| i.addr.to_string()).collect()
    }

    #[test]
    fn default_takes_up_multicast_and_loopback() {
        assert_eq!(addrs(&select(&sample(), &[])), ["127.0.0.1", "192.168.1.5", "10.0.0.5"]);
        let only_lo: Vec<_> = sample().into_iter().filter(|i| i.name != "eth0").collect();
        assert_eq!(addrs(&select(&only_lo, &[])), ["127.0.0.1"]);
    }

    #[test]
    fn by_name_and_by_address_without_duplicates() {
        let wanted = ["lo".to_string(), "127.0.0.1".to_string(), "10.0.0.5".to_string()];
        assert_eq!(addrs(&select(&sample(), &wanted)), ["127.0.0.1", "10.0.0.5"]);
        assert!(missing(&sample(), &wanted).is_empty());
    }

    #[test]
    fn unknown_or_down_is_waited_for() {
        let wanted = ["nope0".to_string(), "wlan0".to_string(), "eth0".to_string()];
        assert_eq!(addrs(&select(&sample(), &wanted)), ["192.168.1.5", "10.0.0.5"]);
        assert_eq!(missing(&sample(), &wanted), ["nope0", "wlan0"]);
        // wlan0 comes up: now it is served, and nothing but nope0 is missing.
        let mut now = sample();
        now[3].up = true;
        assert_eq!(addrs(&select(&now, &wanted)), ["192.168.1.5", "10.0.0.5", "172.16.0.9"]);
        assert_eq!(missing(&now, &wanted), ["nope0"]);
    }

    #[test]
    fn on_link_follows_the_prefix() {
        let eth0 = &sample()[1];
        assert!(eth0.on_link(Ipv4Addr::new(192, 168, 1, 200)));
        assert!(!eth0.on_link(Ipv4Addr::new(192, 168, 2, 5)));
        let whole = Interface { prefix: 0, ..eth0.clone() };
        assert!(whole.on_link(Ipv4Addr::new(8, 8, 8, 8)));
        let host = Interface { prefix: 32, ..eth0.clone() };
        assert!(host.on_link(eth0.addr) && !host.on_link(Ipv4Addr::new(192, 168, 1, 6)));
    }

    #[test]
    fn the_real_machine_has_loopback() {
        let all = list().unwrap();
        let lo = all.iter().find(|i| i.addr == Ipv4Addr::LOCALHOST).expect("127.0.0.1 listed");
        assert!(lo.loopback && lo.index > 0);
        assert_eq!(lo.prefix, 8);
    }
}
