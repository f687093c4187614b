//! SSDP, the discovery half of UPnP: multicast search and announcement over UDP.
//!
//! - [`message`] is the wire format: it parses datagrams into searches, announcements and search
//!   responses, and writes the three datagrams a device sends (search response, `ssdp:alive`,
//!   `ssdp:byebye`) into caller buffers.
//! - [`Target`] names the six things a Rill media server answers for (root device, device UUID,
//!   device type, three service types) and their `NT`/`ST` and `USN` forms.
//! - [`responder`] is the sans-IO machine: the shell feeds it received datagrams and the time,
//!   and sends what [`responder::Responder::poll_transmit`] gives it when
//!   [`responder::Responder::poll_at`] says so.
//!
//! All of it follows UPnP Device Architecture 1.0 and the UDA 1.1 additions (`BOOTID.UPNP.ORG`,
//! `CONFIGID.UPNP.ORG`, unicast search), advertising `UPnP/1.0` in `SERVER` because old players
//! (the PS3) prefer it.

use core::net::{Ipv4Addr, SocketAddrV4};

pub mod message;
pub mod responder;
mod target;

pub use target::Target;

/// The SSDP multicast group and port, 239.255.255.250:1900.
pub const MULTICAST: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(239, 255, 255, 250), PORT);

/// The SSDP port.
pub const PORT: u16 = 1900;

/// The IP TTL for multicast SSDP (UDA 1.1 says 2; UDA 1.0 devices used 4).
pub const MULTICAST_TTL: u32 = 2;
