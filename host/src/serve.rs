//! `rill serve`: binds the sockets, runs the SSDP and HTTP tasks, and shuts down gracefully.
//!
//! [`Server::bind`] does everything that can fail up front (identity, roots, sockets), so a bad
//! command line or a taken port is reported before anything is announced; it also gives tests the
//! real HTTP addresses when they asked for port 0. [`Server::run`] then serves until the given
//! shutdown future completes (SIGINT/SIGTERM in `main`), tells every task to stop, lets SSDP say
//! goodbye, and returns within [`SHUTDOWN_GRACE`].
//!
//! The host does I/O only: the SSDP responder, the HTTP server (descriptions, SOAP, media,
//! transcodes) and the library model come from `rill-core`.

use std::future::Future;
use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::connection::{self, Shared};
use crate::iface::Interface;
use crate::net::{http, ssdp};
use crate::state::Identity;
use crate::storage::Storage;
use crate::{discovery, library, scan};

/// How long shutdown may take before remaining tasks are aborted.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Pause after a failed `accept`.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Everything `rill serve` needs, resolved from the command line and the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The friendly name players show.
    pub name: String,
    /// The HTTP port (0: a free port per interface).
    pub http_port: u16,
    /// The SSDP port ([`ssdp::PORT`] except in socket tests).
    pub ssdp_port: u16,
    /// The interfaces to serve on.
    pub interfaces: Vec<Interface>,
    /// The folders to serve.
    pub roots: Vec<PathBuf>,
    /// Where the device identity is kept.
    pub state_dir: PathBuf,
}

/// A server whose sockets are bound, ready to [`run`](Server::run).
#[derive(Debug)]
pub struct Server {
    config: Config,
    identity: Identity,
    storage: Storage,
    listeners: Vec<http::Listener>,
    ssdp: ssdp::Sockets,
}

impl Server {
    /// Loads the identity, checks the roots and binds every socket. Needs a tokio runtime.
    pub fn bind(config: Config) -> Result<Server> {
        let identity = Identity::load(&config.state_dir, &config.name)?;
        let storage = Storage::new(&config.roots)?;
        let listeners = http::bind(&config.interfaces, config.http_port)?;
        let ssdp = ssdp::Sockets::open(&config.interfaces, config.ssdp_port)?;
        Ok(Server { config, identity, storage, listeners, ssdp })
    }

    /// The HTTP address of each served interface, in interface order.
    pub fn http_addrs(&self) -> Vec<SocketAddrV4> {
        self.listeners.iter().map(|l| l.addr).collect()
    }

    /// The device identity in use for this run.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Serves until `shutdown` completes, then stops everything within [`SHUTDOWN_GRACE`].
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let Server { config, identity, storage, listeners, ssdp } = self;
        tracing::info!(
            name = %config.name,
            uuid = %identity.uuid,
            boot_id = identity.boot_id,
            config_id = identity.config_id,
            "starting Rill {}",
            env!("CARGO_PKG_VERSION"),
        );
        for (iface, listener) in config.interfaces.iter().zip(&listeners) {
            tracing::info!("serving on {iface}: http://{}/", listener.addr);
        }

        let roots = storage.roots().to_vec();
        let found = tokio::task::spawn_blocking(move || scan::scan(&roots))
            .await
            .context("folder scan task")?;
        let files = found.entries.iter().filter(|e| matches!(e.kind, scan::Kind::File { .. }));
        tracing::info!(
            roots = storage.roots().len(),
            entries = found.entries.len(),
            files = files.count(),
            skipped = found.skipped,
            "scanned the served folders"
        );
        let (library, counts) = library::build(storage.roots(), &found, &storage)?;
        tracing::info!(
            media = counts.media,
            vorbis = counts.vorbis,
            unreadable = counts.unreadable,
            objects = library.len(),
            "library built"
        );
        let shared = Arc::new(Shared::new(
            config.name.clone(),
            format!("uuid:{}", identity.uuid),
            discovery::server_string(),
            storage,
            library,
        ));
        crate::art::spawn(Arc::clone(&shared));

        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let http_addrs: Vec<_> = listeners.iter().map(|l| l.addr).collect();
        let ifaces = config.interfaces.clone();
        tasks.spawn(discovery::run(ssdp, ifaces, http_addrs, identity, stop_rx.clone()));
        for listener in listeners {
            tasks.spawn(accept_task(listener, Arc::clone(&shared), stop_rx.clone()));
        }

        tokio::select! {
            () = shutdown => tracing::info!("shutting down"),
            Some(ended) = tasks.join_next() => {
                // A task only ends early on a fatal socket error.
                ended.context("server task panicked")??;
            }
        }
        stop_tx.send_replace(true);
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while let Some(ended) = tasks.join_next().await {
                if let Err(e) = ended.map_err(anyhow::Error::from).and_then(|r| r) {
                    tracing::warn!("task ended with an error during shutdown: {e:#}");
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!("tasks still busy after {SHUTDOWN_GRACE:?}; aborting them");
            tasks.abort_all();
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes once the stop flag is set (or its sender is gone, which also means stop).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped here, before any later await.
    drop(stop.wait_for(|stopped| *stopped).await);
}

/// Accepts HTTP connections on one listener until told to stop.
async fn accept_task(
    listener: http::Listener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    // Dropped (and so aborted) when this task ends: shutdown does not wait for open
    // connections.
    let mut connections = JoinSet::new();
    loop {
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
        tokio::select! {
            accepted = listener.socket.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, local = %listener.addr, "HTTP connection");
                    let shared = Arc::clone(&shared);
                    connections.spawn(async move {
                        if let Err(e) = connection::serve(stream, shared).await {
                            tracing::debug!(%peer, "connection ended: {e:#}");
                        }
                    });
                }
                // Not fatal (a peer reset before accept, or out of file descriptors); pause so
                // a persistent error does not spin.
                Err(e) => {
                    tracing::warn!(local = %listener.addr, "accept failed: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            () = stopped(&mut stop) => return Ok(()),
        }
    }
}
