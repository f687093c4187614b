//! Network interfaces: which IPv4 interfaces exist, and which of them Rill serves on.
//!
//! Rill listens only on the interfaces it was told about (`--interface`), or by default on every
//! IPv4 interface that is up, can multicast and is not loopback. If there is none (a laptop on a
//! plane), it falls back to loopback so the server still runs for local players and tests. SSDP
//! needs the interface *index* (to learn where a search arrived) and its IPv4 *address* (to bind
//! the HTTP listener and to build a `LOCATION` reachable from that network).

use std::fmt;
use std::net::Ipv4Addr;

use anyhow::{bail, Context, Result};
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
    /// The interface is administratively up.
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
        out.push(Interface {
            name: ifa.interface_name.clone(),
            index,
            addr: addr.ip(),
            up: ifa.flags.contains(InterfaceFlags::IFF_UP),
            multicast: ifa.flags.contains(InterfaceFlags::IFF_MULTICAST),
            loopback: ifa.flags.contains(InterfaceFlags::IFF_LOOPBACK),
        });
    }
    Ok(out)
}

/// Chooses the interfaces to serve on from `all`.
///
/// Each entry of `wanted` is an interface name (every IPv4 address of it is used) or one of the
/// interfaces' IPv4 addresses. An empty `wanted` means the default described in the module doc.
/// Asking for something that does not exist, or is down, is an error rather than a silent skip:
/// a server that quietly listens nowhere is worse than one that refuses to start.
pub fn select(all: &[Interface], wanted: &[String]) -> Result<Vec<Interface>> {
    if wanted.is_empty() {
        let chosen: Vec<_> =
            all.iter().filter(|i| i.up && i.multicast && !i.loopback).cloned().collect();
        if !chosen.is_empty() {
            return Ok(chosen);
        }
        let lo: Vec<_> = all.iter().filter(|i| i.up && i.loopback).cloned().collect();
        if lo.is_empty() {
            bail!("no usable IPv4 interface: none is up with multicast, and loopback is down");
        }
        return Ok(lo);
    }
    let mut chosen: Vec<Interface> = Vec::new();
    for want in wanted {
        let by_addr = want.parse::<Ipv4Addr>().ok();
        let found: Vec<_> =
            all.iter().filter(|i| Some(i.addr) == by_addr || i.name == *want).collect();
        if found.is_empty() {
            let known: Vec<String> = all.iter().map(ToString::to_string).collect();
            bail!("no IPv4 interface named or addressed {want:?}; known: {}", known.join(", "));
        }
        for i in found {
            if !i.up {
                bail!("interface {i} is down");
            }
            if !chosen.contains(i) {
                chosen.push(i.clone());
            }
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, index: u32, addr: [u8; 4], up: bool, mc: bool, lo: bool) -> Interface {
        Interface {
            name: name.into(),
            index,
            addr: Ipv4Addr::from(addr),
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

    #[test]
    fn default_takes_up_multicast_non_loopback() {
        let chosen = select(&sample(), &[]).unwrap();
        let addrs: Vec<_> = chosen.iter().map(|i| i.addr.to_string()).collect();
        assert_eq!(addrs, ["192.168.1.5", "10.0.0.5"]);
    }

    #[test]
    fn default_falls_back_to_loopback() {
        let only_lo: Vec<_> = sample().into_iter().filter(|i| i.name != "eth0").collect();
        let chosen = select(&only_lo, &[]).unwrap();
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].name, "lo");
    }

    #[test]
    fn by_name_and_by_address_without_duplicates() {
        let wanted = ["lo".to_string(), "127.0.0.1".to_string(), "10.0.0.5".to_string()];
        let chosen = select(&sample(), &wanted).unwrap();
        let addrs: Vec<_> = chosen.iter().map(|i| i.addr.to_string()).collect();
        assert_eq!(addrs, ["127.0.0.1", "10.0.0.5"]);
    }

    #[test]
    fn unknown_or_down_is_an_error() {
        assert!(select(&sample(), &["nope0".to_string()]).is_err());
        assert!(select(&sample(), &["wlan0".to_string()]).is_err());
    }

    #[test]
    fn the_real_machine_has_loopback() {
        let all = list().unwrap();
        let lo = all.iter().find(|i| i.addr == Ipv4Addr::LOCALHOST).expect("127.0.0.1 listed");
        assert!(lo.loopback && lo.index > 0);
    }
}
