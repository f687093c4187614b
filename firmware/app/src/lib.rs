//! # rill-firmware
//!
//! The Rill appliance: the same `rill-core` SSDP, HTTP, UPnP, library and L16 code as the host
//! server, served over embassy-net (smoltcp) from a FAT volume. This crate is the whole
//! application; a board adds only its drivers (Ethernet, the block device of its card, a time
//! driver, a watchdog), its heap and the task that calls [`run`]. The host simulation runs the
//! same [`run`] on embassy's std executor over a tap device.
//!
//! What runs, all in one task joined with `embassy_futures`:
//! - addressing ([`net`]): DHCP, a static fallback when no lease comes in time;
//! - discovery ([`ssdp`]): the core's responder on UDP 1900, multicast group joined;
//! - HTTP ([`http`]): `SLOTS` connection slots driving the core's sans-IO `Connection`, plus an
//!   overflow slot answering 503; timeouts reclaim the slots of idle or dead clients;
//! - eventing ([`events`]): the NOTIFYs of the core's GENA subscription table, sent one at a
//!   time on a TCP client socket;
//! - the [`Appliance`] behind the server: the library built at boot ([`library`]), files from
//!   [`storage`], the subscription table, a fixed number of decoder slots (503 beyond them).
//!
//! Memory: every buffer is sized at build time ([`Buffers`]); the heap holds only what the core
//! allocates, within the budget described in [`heap`]. Beside the buffers, the [`Appliance`]
//! holds the GENA subscription table, `rill_core::server::SUBSCRIPTIONS` (16) slots of about
//! 1 KiB each (15 KiB).
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

extern crate alloc;

// The logging shim first, so every module sees its macros.
mod fmt;

pub mod appliance;
pub mod events;
pub mod heap;
pub mod http;
pub mod identity;
pub mod library;
pub mod net;
pub mod ssdp;
pub mod storage;

use embassy_futures::join::{join4, join_array};
use embassy_net::Stack;
use embedded_sdmmc::BlockDevice;
use rill_core::http::request::RequestLimits;
use rill_core::server::Server;
use rill_core::upnp::description::Device;

pub use appliance::Appliance;
pub use identity::Identity;

/// Sockets the network stack needs for [`run`] with `slots` HTTP slots: one per slot, the
/// overflow slot, SSDP, DHCP and the GENA event sender.
pub const fn sockets(slots: usize) -> usize {
    slots + 4
}

/// How the appliance behaves on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// DHCP and the static fallback.
    pub addressing: net::Addressing,
    /// How long HTTP clients may take.
    pub timeouts: http::Timeouts,
}

impl Config {
    /// [`net::Addressing::DEFAULT`] and [`http::Timeouts::DEFAULT`].
    pub const DEFAULT: Config =
        Config { addressing: net::Addressing::DEFAULT, timeouts: http::Timeouts::DEFAULT };
}

/// All of the appliance's buffers, for `SLOTS` HTTP slots (at least 4 on a board): per slot
/// [`http::SlotBuffers`] (18 KiB), the overflow slot's [`http::BusyBuffers`] (1.3 KiB),
/// [`ssdp::Buffers`] and the event sender's [`events::Buffers`] (10.3 KiB: one NOTIFY of
/// `rill_core::gena::MAX_NOTIFY` bytes and its socket's).
pub struct Buffers<const SLOTS: usize> {
    slots: [http::SlotBuffers; SLOTS],
    busy: http::BusyBuffers,
    ssdp: ssdp::Buffers,
    events: events::Buffers,
}

impl<const SLOTS: usize> Buffers<SLOTS> {
    /// Zeroed buffers (a `const fn`: a board keeps them in a `static`).
    pub const fn new() -> Self {
        Buffers {
            slots: [const { http::SlotBuffers::new() }; SLOTS],
            busy: http::BusyBuffers::new(),
            ssdp: ssdp::Buffers::new(),
            events: events::Buffers::new(),
        }
    }
}

impl<const SLOTS: usize> Default for Buffers<SLOTS> {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs the appliance on `stack` (started with DHCP), forever. The stack's runner must run
/// alongside (its own task on a board).
pub async fn run<D: BlockDevice, const SLOTS: usize>(
    stack: Stack<'_>,
    appliance: &Appliance<'_, D>,
    identity: &Identity,
    config: &Config,
    buffers: &mut Buffers<SLOTS>,
) -> ! {
    stack.wait_link_up().await;
    let addr = net::configure(stack, &config.addressing).await;
    let device = Device::rill(&identity.name, &identity.udn, &[]);
    let server = Server::new(appliance, device, &identity.server, RequestLimits::DEFAULT);
    let Buffers { slots, busy, ssdp, events } = buffers;
    let timeouts = config.timeouts;
    let occupancy = http::Occupancy::new();
    let slots =
        join_array(slots.each_mut().map(|b| http::slot(stack, &server, &occupancy, b, timeouts)));
    info!("serving as {} ({})", identity.name.as_str(), identity.udn.as_str());
    let (never, _, _, _) = join4(
        ssdp::run(stack, addr, identity, ssdp),
        http::busy(stack, &identity.server, &occupancy, busy),
        events::run(stack, appliance, events),
        slots,
    )
    .await;
    never
}
