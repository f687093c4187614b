//! The appliance's identity, derived from its MAC address: the same board always announces the
//! same UUID and friendly name, so players keep it across reboots, and two boards differ.

use core::fmt::Write;

use heapless::String;
use rill_core::ssdp::message::ServerHeader;

/// Longest friendly name: `Rill ` plus the last three MAC bytes.
const NAME_CAP: usize = 32;
/// `uuid:` plus the 36 characters of a UUID.
const UDN_CAP: usize = 41;
/// The `SERVER` value of SSDP and HTTP.
const SERVER_CAP: usize = 64;

/// Who the appliance says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The MAC address everything else is derived from.
    pub mac: [u8; 6],
    /// The friendly name players show: `Rill aabbcc` (the last three MAC bytes).
    pub name: String<NAME_CAP>,
    /// The UDN, `uuid:` and a version-5-shaped UUID whose node field is the MAC address.
    pub udn: String<UDN_CAP>,
    /// `embassy/1 UPnP/1.0 DLNADOC/1.50 Rill/<version>`.
    pub server: String<SERVER_CAP>,
}

impl Identity {
    /// The identity of the board with this MAC address.
    pub fn from_mac(mac: [u8; 6]) -> Identity {
        let [a, b, c, d, e, f] = mac;
        let mut name = String::new();
        // Capacities fit the longest values written (checked by the tests), so the writes
        // cannot fail; an error would only shorten a name.
        let _ = write!(name, "Rill {d:02x}{e:02x}{f:02x}");
        let mut udn = String::new();
        let _ =
            write!(udn, "uuid:52696c6c-0000-5000-8000-{a:02x}{b:02x}{c:02x}{d:02x}{e:02x}{f:02x}");
        let mut server = String::new();
        let product =
            ServerHeader { os: "embassy", os_version: "1", version: env!("CARGO_PKG_VERSION") };
        let _ = write!(server, "{product}");
        Identity { mac, name, udn, server }
    }

    /// A locally administered unicast MAC address made from a chip's unique ID, for boards
    /// without one of their own (the first byte is `0x02`, the rest a fold of the ID).
    pub fn mac_from_unique_id(id: &[u8]) -> [u8; 6] {
        let mut mac = [0x02, 0, 0, 0, 0, 0];
        for (i, byte) in id.iter().enumerate() {
            if let Some(slot) = mac.get_mut(1 + i % 5) {
                *slot ^= byte.rotate_left((i / 5) as u32);
            }
        }
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_fits_and_depends_on_the_mac() {
        let one = Identity::from_mac([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
        assert_eq!(one.name, "Rill 123456");
        assert_eq!(one.udn, "uuid:52696c6c-0000-5000-8000-525400123456");
        assert_eq!(one.udn.len(), UDN_CAP);
        assert!(one.server.starts_with("embassy/1 UPnP/1.0 DLNADOC/1.50 Rill/"));
        let two = Identity::from_mac([0x52, 0x54, 0x00, 0x12, 0x34, 0x57]);
        assert_ne!(one.udn, two.udn);
    }

    #[test]
    fn unique_ids_give_distinct_local_macs() {
        let a = Identity::mac_from_unique_id(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let b = Identity::mac_from_unique_id(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13]);
        assert_eq!(a[0], 0x02, "locally administered, unicast");
        assert_ne!(a, b);
    }
}
