//! The served network: which interface addresses Rill serves, an HTTP listener on each, and
//! following the changes while it runs.
//!
//! [`Network::bind`] opens the [`Watcher`] first, then reads the interfaces, chooses the ones to
//! serve ([`iface::select`]: `--interface`, or the default) and binds an HTTP listener on each
//! address, all on one port: the one asked for, or with port 0 the free port the first listener
//! got (a free port found on loopback when nothing is served yet). [`Network::run`] then serves
//! them, and on each change the watcher reports re-reads and re-selects the interfaces and
//! applies the difference without a restart:
//! - a new address gets its listener on the same port, served by the accept loop the caller
//!   provides, and is published in [`Network::served`] (the SSDP task announces it there, see
//!   [`crate::discovery`]);
//! - an address no longer there (or no longer wanted: the interface went down, lost its carrier
//!   or multicast, or was renamed) is dropped from [`Network::served`] and its listener's accept loop is told
//!   to stop, which closes the listener and the connections that came through it;
//! - an address that changed (a DHCP renewal with a new lease) is one of each.
//!
//! An address that cannot be bound (another program holds the port there) is logged and not
//! served; it is tried again at the next change. Where netlink is unavailable (a sandbox that
//! denies `AF_NETLINK`), Rill says so and serves the interfaces chosen at start. A `--interface` entry that matches nothing yet
//! is waited for, with a warning at start. A change is applied within [`SETTLE_MAX`](crate::netwatch::SETTLE_MAX) of its last
//! netlink message plus the time to bind; nothing here wakes while the network stays as it is.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::iface::{self, Interface};
use crate::net::http;
use crate::netwatch::Watcher;

/// Pause after the watcher failed, so a persistent error does not spin.
const WATCH_BACKOFF: Duration = Duration::from_secs(1);

/// One served interface address and where its HTTP listener is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The interface and address.
    pub iface: Interface,
    /// The HTTP listener's address (the interface address and the server's port).
    pub http: SocketAddrV4,
}

/// The served addresses, bound and ready to [`run`](Network::run).
#[derive(Debug)]
pub struct Network {
    /// `--interface` entries (empty: the default choice).
    wanted: Vec<String>,
    /// The HTTP port of every listener.
    port: u16,
    /// `None` when netlink is unavailable (a sandbox without `AF_NETLINK`): served as at start.
    watcher: Option<Watcher>,
    /// Listeners bound at start, until `run` serves them.
    listeners: Vec<(Served, http::Listener)>,
    served: watch::Sender<Vec<Served>>,
}

impl Network {
    /// Opens the watcher, chooses the interfaces to serve from `wanted` and binds HTTP on each
    /// at `port` (0: one free port for all). Needs a tokio runtime.
    pub fn bind(wanted: Vec<String>, port: u16) -> Result<Network> {
        let watcher = match Watcher::open() {
            Ok(watcher) => Some(watcher),
            Err(e) => {
                tracing::warn!("not following network changes: {e:#}");
                None
            }
        };
        let all = iface::list()?;
        for i in &all {
            let flags = format!(
                "{}{}{}",
                if i.up { "up" } else { "down" },
                if i.multicast { ",multicast" } else { "" },
                if i.loopback { ",loopback" } else { "" }
            );
            tracing::debug!("interface {i}: {flags}");
        }
        for want in iface::missing(&all, &wanted) {
            tracing::warn!(
                "no IPv4 interface named or addressed {want:?} is up yet; serving there once it is"
            );
        }
        let mut port = port;
        let mut listeners = Vec::new();
        for iface in iface::select(&all, &wanted) {
            let listener = http::bind(&iface, port)?;
            port = listener.addr.port();
            listeners.push((Served { iface, http: listener.addr }, listener));
        }
        if listeners.is_empty() {
            tracing::warn!("no interface to serve on yet; waiting for one to come up");
            if port == 0 {
                port = free_port()?;
            }
        }
        let (served, _) = watch::channel(listeners.iter().map(|(s, _)| s.clone()).collect());
        Ok(Network { wanted, port, watcher, listeners, served })
    }

    /// The addresses served now; changes as the network does.
    pub fn served(&self) -> watch::Receiver<Vec<Served>> {
        self.served.subscribe()
    }

    /// Serves each listener with `accept` (given the listener and a receiver that changes, or
    /// whose sender is dropped, when it must stop) and follows the network until `stop` is set.
    /// Returning drops every listener's stop sender, so all their accept loops end too.
    pub async fn run<F, Fut>(self, accept: F, mut stop: watch::Receiver<bool>) -> Result<()>
    where
        F: Fn(http::Listener, watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        let Network { wanted, port, mut watcher, listeners, served } = self;
        let mut tasks = JoinSet::new();
        let mut live: Vec<(Served, watch::Sender<bool>)> = Vec::new();
        for (s, listener) in listeners {
            let (tx, rx) = watch::channel(false);
            tasks.spawn(accept(listener, rx));
            live.push((s, tx));
        }
        loop {
            tokio::select! {
                changed = changed(&mut watcher) => match changed {
                    Ok(()) => {
                        follow(&wanted, port, &mut live, &mut |listener, rx| {
                            tasks.spawn(accept(listener, rx));
                        });
                        served.send_if_modified(|now| {
                            let next: Vec<Served> = live.iter().map(|(s, _)| s.clone()).collect();
                            let modified = *now != next;
                            *now = next;
                            modified
                        });
                    }
                    Err(e) => {
                        tracing::warn!("following network changes (netlink): {e}");
                        tokio::select! {
                            () = tokio::time::sleep(WATCH_BACKOFF) => {}
                            () = crate::serve::stopped(&mut stop) => return Ok(()),
                        }
                    }
                },
                Some(ended) = tasks.join_next() => match ended {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!("HTTP listener ended: {e:#}"),
                    Err(e) => tracing::warn!("HTTP listener task failed: {e}"),
                },
                () = crate::serve::stopped(&mut stop) => return Ok(()),
            }
        }
    }
}

/// The next change heard by `watcher`, or never without one.
async fn changed(watcher: &mut Option<Watcher>) -> std::io::Result<()> {
    match watcher {
        Some(watcher) => watcher.changed().await,
        None => std::future::pending().await,
    }
}

/// Re-reads the interfaces and brings `live` in line with them: stops the listeners of the
/// addresses no longer served and binds (then hands to `spawn`) those of the new ones.
fn follow(
    wanted: &[String],
    port: u16,
    live: &mut Vec<(Served, watch::Sender<bool>)>,
    spawn: &mut impl FnMut(http::Listener, watch::Receiver<bool>),
) {
    let all = match iface::list() {
        Ok(all) => all,
        Err(e) => {
            tracing::warn!("re-reading the network interfaces: {e:#}");
            return;
        }
    };
    let now = iface::select(&all, wanted);
    live.retain(|(s, _)| {
        let keep = now.iter().any(|i| same(i, &s.iface));
        if !keep {
            // Dropping the sender stops that listener's accept loop.
            tracing::info!("no longer serving on {}", s.iface);
        }
        keep
    });
    for iface in now {
        if live.iter().any(|(s, _)| same(&s.iface, &iface)) {
            continue;
        }
        match http::bind(&iface, port) {
            Ok(listener) => {
                tracing::info!("serving on {iface}: http://{}/", listener.addr);
                let (tx, rx) = watch::channel(false);
                live.push((Served { iface, http: listener.addr }, tx));
                spawn(listener, rx);
            }
            Err(e) => tracing::warn!("not serving on {iface}: {e:#}"),
        }
    }
}

/// Whether `a` and `b` are the same address of the same interface (flags aside).
fn same(a: &Interface, b: &Interface) -> bool {
    (a.index, a.addr, a.prefix, &a.name) == (b.index, b.addr, b.prefix, &b.name)
}

/// A TCP port free on loopback now, for `--port 0` when no interface is up at start.
fn free_port() -> Result<u16> {
    let probe = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .context("finding a free port for HTTP")?;
    match probe.local_addr()? {
        SocketAddr::V4(a) => Ok(a.port()),
        SocketAddr::V6(a) => anyhow::bail!("IPv4 probe reports IPv6 address {a}"),
    }
}
