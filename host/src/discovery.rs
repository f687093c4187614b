//! The SSDP task: drives `rill_core`'s sans-IO [`Responder`] with real sockets and a real clock.
//!
//! The responder decides everything (what to announce, when, what to answer); this task only
//! feeds it the datagrams [`ssdp::Sockets`] receives from clients the [`AllowList`] permits, with the arrival interface and whether
//! they came to the group, sends whatever `poll_transmit` hands back on the socket of the named
//! interface, and sleeps until `poll_at`. On stop it calls `shutdown` and sends the byebyes
//! before returning (the caller bounds the whole shutdown in time).
//!
//! Interface `i` of the served list is `IfaceId(i)`; its `LOCATION` is the description URL on
//! that interface's HTTP listener.

use std::net::SocketAddrV4;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Result};
use rill_core::ssdp::message::Server;
use rill_core::ssdp::responder::{Config, Handled, IfaceId, Responder, MAX_DATAGRAM};
use rill_core::upnp::DESCRIPTION_PATH;
use tokio::sync::watch;

use crate::access::AllowList;
use crate::clock::Clock;
use crate::iface::Interface;
use crate::net::ssdp;
use crate::state::Identity;

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

/// Where the description is reachable through each served interface.
pub fn locations(http: &[SocketAddrV4]) -> Vec<String> {
    http.iter().map(|addr| format!("http://{addr}{DESCRIPTION_PATH}")).collect()
}

/// The `SERVER` value of SSDP and HTTP: `Linux/<kernel> UPnP/1.0 DLNADOC/1.50 Rill/<version>`.
pub fn server_string() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let os_version = release.trim().split('-').next().unwrap_or("0");
    Server { os: "Linux", os_version, version: env!("CARGO_PKG_VERSION") }.to_string()
}

/// Announces, answers searches until `stop` is set, then says goodbye.
pub async fn run(
    sockets: ssdp::Sockets,
    ifaces: Vec<Interface>,
    http: Vec<SocketAddrV4>,
    identity: Identity,
    allow: AllowList,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let clock = Clock::start();
    let mut responder = responder(&identity, &ifaces, &http, &clock)?;
    responder.start(clock.now());
    let mut rx = vec![0u8; RECV_MAX];
    let mut tx = vec![0u8; MAX_DATAGRAM];
    loop {
        flush(&mut responder, &sockets, &clock, &mut tx).await;
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
                let bytes = rx.get(..got.len).unwrap_or_default();
                let iface = IfaceId(u32::try_from(got.iface)?);
                let handled =
                    responder.handle_datagram(clock.now(), iface, got.src, bytes, got.multicast);
                match handled {
                    Handled::Queued => tracing::debug!(src = %got.src, "SSDP search queued"),
                    Handled::Ignored => {}
                    Handled::Invalid => tracing::debug!(src = %got.src, "invalid SSDP search"),
                    Handled::Limited => tracing::debug!(src = %got.src, "SSDP search dropped (flood limit)"),
                }
            }
            () = sleep_until(wake) => {}
            () = crate::serve::stopped(&mut stop) => break,
        }
    }
    responder.shutdown(clock.now());
    while let Some(at) = responder.poll_at() {
        tokio::time::sleep_until(clock.to_tokio(at)).await;
        flush(&mut responder, &sockets, &clock, &mut tx).await;
    }
    tracing::info!("SSDP: goodbye sent");
    Ok(())
}

fn responder(
    identity: &Identity,
    ifaces: &[Interface],
    http: &[SocketAddrV4],
    clock: &Clock,
) -> Result<Machine> {
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
    let now = clock.now();
    for (i, (iface, location)) in ifaces.iter().zip(locations(http)).enumerate() {
        responder
            .add_interface(now, IfaceId(u32::try_from(i)?), iface.addr, &location)
            .map_err(|e| anyhow!("SSDP on {iface}: {e} (at most {MAX_IFACES} interfaces)"))?;
        tracing::info!("SSDP on {iface}: LOCATION {location}");
    }
    if let Ok(unix) = SystemTime::now().duration_since(UNIX_EPOCH) {
        responder.set_unix_time(now, unix.as_secs());
    }
    Ok(responder)
}

/// Sends everything the responder has due now.
async fn flush(responder: &mut Machine, sockets: &ssdp::Sockets, clock: &Clock, buf: &mut [u8]) {
    while let Some(t) = responder.poll_transmit(clock.now(), buf) {
        let bytes = buf.get(..t.len).unwrap_or_default();
        let iface = usize::try_from(t.iface.0).unwrap_or(usize::MAX);
        // A failed send (interface went down, buffer full) loses one datagram; SSDP repeats.
        if let Err(e) = sockets.send(iface, t.dst, bytes).await {
            tracing::warn!(dst = %t.dst, "SSDP send failed: {e}");
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
