//! The SSDP task: drives `rill_core`'s sans-IO [`Responder`] with real sockets and a real clock.
//!
//! The responder decides everything (what to announce, when, what to answer); this task only
//! feeds it the datagrams [`ssdp::Sockets`] receives from clients the [`AllowList`] permits, with
//! the arrival interface and whether they came to the group, sends whatever `poll_transmit` hands
//! back on the [`ssdp::Sender`] of the named interface address, and sleeps until `poll_at`. On
//! stop it calls `shutdown` and sends the byebyes before returning (the caller bounds the whole
//! shutdown in time).
//!
//! The served addresses come from [`crate::network`] and change while the task runs. Each gets an
//! [`IfaceId`] of its own (never reused), a sender, the group joined on its interface and its
//! `LOCATION` (the description URL on its HTTP listener); the alive set goes out at once. An
//! address no longer served is left: its byebye set goes out if it still can (the interface is
//! up and the address still there: it is only no longer wanted), then its sender is closed. A
//! search arriving on an interface with several served addresses is answered from the one on
//! the searcher's network (else the first).

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Result};
use rill_core::ssdp::message::ServerHeader;
use rill_core::ssdp::responder::{Config, Handled, IfaceId, Responder, MAX_DATAGRAM};
use rill_core::upnp::DESCRIPTION_PATH;
use tokio::sync::watch;

use crate::access::AllowList;
use crate::clock::Clock;
use crate::identity::Identity;
use crate::net::ssdp;
use crate::network::Served;

/// Most interfaces served at once.
pub const MAX_IFACES: usize = 16;
/// Searches waiting for their random delay, across all searchers.
const PENDING: usize = 32;
/// `CACHE-CONTROL: max-age` announced (the UDA minimum; the responder re-announces at half).
const MAX_AGE: u32 = 1800;
/// Pause after a failed receive.
const RECV_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);
/// Largest datagram received; searches are a few hundred bytes.
const RECV_MAX: usize = 2048;

type Machine = Responder<MAX_IFACES, PENDING>;

/// Where the description is reachable through the HTTP listener at `http`.
pub fn location(http: SocketAddrV4) -> String {
    format!("http://{http}{DESCRIPTION_PATH}")
}

/// The `SERVER` value of SSDP and HTTP: `Linux/<kernel> UPnP/1.0 DLNADOC/1.50 Rill/<version>`.
pub fn server_string() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let os_version = release.trim().split('-').next().unwrap_or("0");
    ServerHeader { os: "Linux", os_version, version: env!("CARGO_PKG_VERSION") }.to_string()
}

/// Announces on the served addresses as they come and go, answers searches until `stop` is
/// set, then says goodbye.
pub async fn run(
    mut sockets: ssdp::Sockets,
    mut served: watch::Receiver<Vec<Served>>,
    identity: Identity,
    allow: AllowList,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let clock = Clock::start();
    let mut responder = responder(&identity, &clock)?;
    let mut slots = Slots::default();
    let first = served.borrow_and_update().clone();
    slots.update(&mut responder, &mut sockets, &first, &clock);
    responder.start(clock.now());
    let mut following = true;
    let mut rx = vec![0u8; RECV_MAX];
    let mut tx = vec![0u8; MAX_DATAGRAM];
    loop {
        flush(&mut responder, &slots, &clock, &mut tx).await;
        // Whatever goodbye the left addresses had to say is out now.
        slots.forget_left();
        let wake = responder.poll_at().map(|at| clock.to_tokio(at));
        tokio::select! {
            got = sockets.recv(&mut rx) => {
                let got = match got {
                    Ok(got) => got,
                    // One odd datagram must not end discovery; pause in case the error persists.
                    Err(e) => {
                        tracing::warn!("receiving SSDP: {e}");
                        tokio::time::sleep(RECV_BACKOFF).await;
                        continue;
                    }
                };
                if !allow.permits((*got.src.ip()).into()) {
                    tracing::debug!(src = %got.src, "SSDP datagram ignored: not on the allow-list");
                    continue;
                }
                let Some(iface) = slots.on(got.ifindex, *got.src.ip()) else { continue };
                let bytes = rx.get(..got.len).unwrap_or_default();
                let handled =
                    responder.handle_datagram(clock.now(), iface, got.src, bytes, got.multicast);
                match handled {
                    Handled::Queued => tracing::debug!(src = %got.src, "SSDP search queued"),
                    Handled::Ignored => {}
                    Handled::Invalid => tracing::debug!(src = %got.src, "invalid SSDP search"),
                    Handled::Limited => tracing::debug!(src = %got.src, "SSDP search dropped (flood limit)"),
                }
            }
            changed = served.changed(), if following => match changed {
                Ok(()) => {
                    let now = served.borrow_and_update().clone();
                    slots.update(&mut responder, &mut sockets, &now, &clock);
                }
                // The network task has ended (shutdown): serve what is served until the stop.
                Err(_) => following = false,
            },
            () = sleep_until(wake) => {}
            () = crate::serve::stopped(&mut stop) => break,
        }
    }
    responder.shutdown(clock.now());
    while let Some(at) = responder.poll_at() {
        tokio::time::sleep_until(clock.to_tokio(at)).await;
        flush(&mut responder, &slots, &clock, &mut tx).await;
    }
    tracing::info!("SSDP: goodbye sent");
    Ok(())
}

/// One served address as the SSDP task knows it.
#[derive(Debug)]
struct Slot {
    id: IfaceId,
    served: Served,
    sender: ssdp::Sender,
    /// No longer served: its goodbye is queued, the slot goes after the next flush.
    leaving: bool,
}

/// The served addresses, each with the responder's name for it and its sender.
#[derive(Debug, Default)]
struct Slots {
    slots: Vec<Slot>,
    /// The next [`IfaceId`] to hand out.
    next: u32,
}

impl Slots {
    /// Leaves the addresses that are not in `now` any more and takes on the new ones.
    fn update(
        &mut self,
        responder: &mut Machine,
        sockets: &mut ssdp::Sockets,
        now: &[Served],
        clock: &Clock,
    ) {
        for slot in self.slots.iter_mut().filter(|s| !s.leaving && !now.contains(&s.served)) {
            tracing::info!("SSDP: leaving {}", slot.served.iface);
            responder.leave_interface(clock.now(), slot.id);
            slot.leaving = true;
        }
        for slot in self.slots.iter().filter(|s| s.leaving) {
            let index = slot.served.iface.index;
            if !self.slots.iter().any(|s| !s.leaving && s.served.iface.index == index) {
                sockets.leave(index);
            }
        }
        for served in now {
            if self.slots.iter().any(|s| !s.leaving && s.served == *served) {
                continue;
            }
            if let Err(e) = self.add(responder, sockets, served, clock) {
                tracing::warn!("no SSDP on {}: {e:#}", served.iface);
            }
        }
    }

    fn add(
        &mut self,
        responder: &mut Machine,
        sockets: &mut ssdp::Sockets,
        served: &Served,
        clock: &Clock,
    ) -> Result<()> {
        let id = IfaceId(self.next);
        let location = location(served.http);
        let sender = ssdp::Sender::open(&served.iface)?;
        responder
            .add_interface(clock.now(), id, served.iface.addr, &location)
            .map_err(|e| anyhow!("{e} (at most {MAX_IFACES} interfaces)"))?;
        if let Err(e) = sockets.join(&served.iface) {
            responder.remove_interface(id);
            return Err(e);
        }
        self.next = self.next.wrapping_add(1);
        tracing::info!("SSDP on {}: LOCATION {location}", served.iface);
        self.slots.push(Slot { id, served: served.clone(), sender, leaving: false });
        Ok(())
    }

    /// The responder's name for the served address a datagram from `src` arriving on interface
    /// `ifindex` is answered from: the one on `src`'s network, else the first.
    fn on(&self, ifindex: u32, src: Ipv4Addr) -> Option<IfaceId> {
        let mut there = self.slots.iter().filter(|s| !s.leaving && s.served.iface.index == ifindex);
        let first = there.clone().next();
        there.find(|s| s.served.iface.on_link(src)).or(first).map(|s| s.id)
    }

    fn get(&self, id: IfaceId) -> Option<&Slot> {
        self.slots.iter().find(|s| s.id == id)
    }

    /// Closes the senders of the addresses left.
    fn forget_left(&mut self) {
        self.slots.retain(|s| !s.leaving);
    }
}

fn responder(identity: &Identity, clock: &Clock) -> Result<Machine> {
    let server = server_string();
    let config = Config {
        uuid: &identity.uuid,
        server: &server,
        max_age: MAX_AGE,
        boot_id: identity.boot_id,
        config_id: identity.config_id,
        seed: uuid::Uuid::new_v4().as_u64_pair().0,
    };
    let mut responder = Machine::new(&config).map_err(|e| anyhow!("SSDP identity: {e}"))?;
    if let Ok(unix) = SystemTime::now().duration_since(UNIX_EPOCH) {
        responder.set_unix_time(clock.now(), unix.as_secs());
    }
    Ok(responder)
}

/// Sends everything the responder has due now.
async fn flush(responder: &mut Machine, slots: &Slots, clock: &Clock, buf: &mut [u8]) {
    while let Some(t) = responder.poll_transmit(clock.now(), buf) {
        let bytes = buf.get(..t.len).unwrap_or_default();
        let Some(slot) = slots.get(t.iface) else { continue };
        // A failed send (interface went down, buffer full) loses one datagram; SSDP repeats.
        // A goodbye on an address that is already gone cannot be sent: that is expected.
        match slot.sender.send(t.dst, bytes).await {
            Ok(()) => {}
            Err(e) if slot.leaving => {
                tracing::debug!(dst = %t.dst, "SSDP goodbye on {} not sent: {e}", slot.served.iface);
            }
            Err(e) => tracing::warn!(dst = %t.dst, "SSDP send failed: {e}"),
        }
    }
}

/// Sleeps until `at`, or forever if there is nothing scheduled.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iface::Interface;

    fn slot(id: u32, addr: [u8; 4], prefix: u8, leaving: bool) -> Slot {
        let iface = Interface {
            name: "lo".into(),
            index: 1,
            addr: addr.into(),
            prefix,
            up: true,
            multicast: false,
            loopback: true,
        };
        let sender = ssdp::Sender::open(&iface).unwrap();
        let http = SocketAddrV4::new(iface.addr, 8210);
        Slot { id: IfaceId(id), served: Served { iface, http }, sender, leaving }
    }

    #[tokio::test]
    async fn a_search_is_answered_from_the_address_on_its_network() {
        let slots = Slots {
            slots: vec![
                slot(0, [127, 0, 0, 3], 8, true),
                slot(1, [127, 0, 0, 1], 32, false),
                slot(2, [127, 0, 0, 2], 8, false),
            ],
            next: 3,
        };
        assert_eq!(slots.on(1, Ipv4Addr::new(127, 5, 5, 5)), Some(IfaceId(2)));
        assert_eq!(slots.on(1, Ipv4Addr::new(127, 0, 0, 1)), Some(IfaceId(1)));
        // Not on any served network (a routed searcher): the first address still served.
        assert_eq!(slots.on(1, Ipv4Addr::new(10, 0, 0, 1)), Some(IfaceId(1)));
        assert_eq!(slots.on(2, Ipv4Addr::new(127, 5, 5, 5)), None);
    }
}
