//! The SSDP task: drives the core's sans-IO `Responder` with an embassy-net UDP socket on port
//! 1900, joined to the SSDP group, and embassy-time.
//!
//! The responder decides everything (what to announce, when, what to answer); this task feeds
//! it each datagram with whether it came to the group, sends what `poll_transmit` hands back,
//! and sleeps until `poll_at` or the next datagram. The appliance has one interface,
//! `IfaceId(0)`, announced once the address is known.

use core::fmt::Write as _;
use core::net::{Ipv4Addr, SocketAddrV4};

use embassy_futures::select::{select, Either};
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{IpAddress, IpEndpoint, Stack};
use embassy_time::{Instant as Clock, Timer};
use rill_core::ssdp::responder::{Config, IfaceId, Responder, MAX_DATAGRAM};
use rill_core::ssdp::MULTICAST;
use rill_core::time::Instant;
use rill_core::upnp::DESCRIPTION_PATH;

use crate::http;
use crate::identity::Identity;

/// The SSDP port.
pub const PORT: u16 = 1900;
/// Searches waiting for their random delay.
const PENDING: usize = 8;
/// `CACHE-CONTROL: max-age` announced.
const MAX_AGE: u32 = 1800;
/// Largest datagram received; searches are a few hundred bytes.
const RECV_MAX: usize = 1024;
/// Datagrams queued per direction.
const QUEUED: usize = 4;

type Machine = Responder<1, PENDING>;

/// The SSDP task's memory.
pub struct Buffers {
    rx_meta: [PacketMetadata; QUEUED],
    tx_meta: [PacketMetadata; QUEUED],
    rx: [u8; RECV_MAX * QUEUED],
    tx: [u8; MAX_DATAGRAM * QUEUED],
    datagram: [u8; MAX_DATAGRAM],
    received: [u8; RECV_MAX],
}

impl Buffers {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        Buffers {
            rx_meta: [PacketMetadata::EMPTY; QUEUED],
            tx_meta: [PacketMetadata::EMPTY; QUEUED],
            rx: [0; RECV_MAX * QUEUED],
            tx: [0; MAX_DATAGRAM * QUEUED],
            datagram: [0; MAX_DATAGRAM],
            received: [0; RECV_MAX],
        }
    }
}

impl Default for Buffers {
    fn default() -> Self {
        Self::new()
    }
}

/// Waits forever (discovery off, HTTP still served).
async fn idle() -> ! {
    loop {
        core::future::pending::<()>().await;
    }
}

fn now() -> Instant {
    Instant::from_micros(Clock::now().as_micros())
}

/// Announces the device at `addr` and answers searches, forever.
pub async fn run(
    stack: Stack<'_>,
    addr: Ipv4Addr,
    identity: &Identity,
    buffers: &mut Buffers,
) -> ! {
    let Buffers { rx_meta, tx_meta, rx, tx, datagram, received } = buffers;
    let mut socket = UdpSocket::new(stack, rx_meta, rx, tx_meta, tx);
    if socket.bind(PORT).is_err() || stack.join_multicast_group(*MULTICAST.ip()).is_err() {
        warn!("SSDP: cannot listen on port 1900; discovery is off");
        idle().await;
    }
    socket.set_hop_limit(Some(rill_core::ssdp::MULTICAST_TTL as u8));
    let mut location = heapless::String::<64>::new();
    let _ = write!(location, "http://{}:{}{}", addr, http::PORT, DESCRIPTION_PATH);
    let mac = identity.mac;
    let seed = u64::from_le_bytes([mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], 0, 0])
        ^ Clock::now().as_ticks();
    let config = Config {
        uuid: &identity.udn,
        server: &identity.server,
        max_age: MAX_AGE,
        // No persistent storage for a boot counter: every boot is boot 1.
        boot_id: 1,
        config_id: 1,
        seed,
    };
    let mut responder = match Machine::new(&config) {
        Ok(r) => r,
        Err(_) => {
            warn!("SSDP: identity refused; discovery is off");
            idle().await;
        }
    };
    if responder.add_interface(now(), IfaceId(0), addr, &location).is_err() {
        warn!("SSDP: location refused; discovery is off");
        idle().await;
    }
    responder.start(now());
    info!("SSDP: announcing {}", location.as_str());
    loop {
        while let Some(t) = responder.poll_transmit(now(), datagram) {
            let bytes = datagram.get(..t.len).unwrap_or_default();
            let dst = IpEndpoint::new(IpAddress::Ipv4(*t.dst.ip()), t.dst.port());
            // A lost datagram is repeated by SSDP itself.
            if socket.send_to(bytes, dst).await.is_err() {
                debug!("SSDP: send failed");
            }
        }
        let wake = responder.poll_at().map(|at| Clock::from_micros(at.as_micros()));
        let sleep = async {
            match wake {
                Some(at) => Timer::at(at).await,
                None => core::future::pending().await,
            }
        };
        match select(socket.recv_from(received), sleep).await {
            Either::First(Ok((n, meta))) => {
                let IpAddress::Ipv4(src) = meta.endpoint.addr;
                let src = SocketAddrV4::new(src, meta.endpoint.port);
                let multicast = meta.local_address == Some(IpAddress::Ipv4(*MULTICAST.ip()));
                let bytes = received.get(..n).unwrap_or_default();
                let _ = responder.handle_datagram(now(), IfaceId(0), src, bytes, multicast);
            }
            Either::First(Err(_)) => debug!("SSDP: oversized datagram dropped"),
            Either::Second(()) => {}
        }
    }
}
