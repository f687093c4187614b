//! `rill serve`: binds the sockets, runs the SSDP and HTTP tasks, and shuts down gracefully.
//!
//! [`Daemon::bind`] does everything that can fail up front (identity, roots, sockets), so a bad
//! command line or a taken port is reported before anything is announced; it also gives tests the
//! real HTTP addresses when they asked for port 0. [`Daemon::run`] then serves until the given
//! shutdown future completes (SIGINT/SIGTERM in `main`), tells every task to stop, lets SSDP say
//! goodbye, and returns within [`SHUTDOWN_GRACE`]. Meanwhile the served interfaces follow the
//! network ([`crate::network`], [`Daemon::served`]).
//!
//! Every accepted connection is first checked against the [`AllowList`] (a client outside it is
//! closed at once, unanswered), then takes one of [`Config::max_connections`] slots for as long
//! as it is open. When all slots are taken, a new connection is answered
//! `503 Service Unavailable` with `Retry-After` and closed, so a crowd of idle or slow clients
//! (each bounded in time by [`Timeouts`]) delays newcomers at worst until a slot frees, and never
//! exhausts the process's file descriptors: [`Daemon::bind`] raises the soft `RLIMIT_NOFILE` to
//! the hard limit and lowers the number of slots to what the descriptors allow.
//!
//! The host does I/O only: the SSDP responder, the HTTP server (descriptions, SOAP, media,
//! transcodes), event subscriptions and the library model come from `rill-core`. The library is
//! loaded from its index, if there is one, before the server answers (see [`crate::index`]),
//! then filled or checked in the background and kept up to date by [`live`]; the server
//! answers meanwhile.

use std::future::Future;
use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use rill_core::server::busy;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::access::AllowList;
use crate::connection::{self, Shared, Timeouts};
use crate::identity::Identity;
use crate::net::{http, ssdp};
use crate::network::{Network, Served};
use crate::share::{self, Sharing};
use crate::storage::Storage;
use crate::{bookmarks, config, discovery, events, library, live};

/// How long shutdown may take before remaining tasks are aborted.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Pause after a failed `accept`.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Connections served at once, by default.
pub const MAX_CONNECTIONS: usize = 1024;

/// File descriptors kept free of connections: listeners, SSDP sockets, the runtime, scans.
const RESERVED_FDS: u64 = 64;

/// Connections being refused with a 503 at once (beyond them, refusal is a plain close).
const REFUSING: usize = 64;

/// How long a refused connection is drained before it is closed, so the client reads the 503
/// (closing with its request unread would reset the connection and could lose the answer).
const REFUSE_LINGER: Duration = Duration::from_secs(1);

/// Everything `rill serve` needs, resolved from the command line and the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The friendly name players show.
    pub name: String,
    /// The HTTP port of every served interface (0: one free port, chosen at start).
    pub http_port: u16,
    /// The SSDP port ([`ssdp::PORT`] except in socket tests).
    pub ssdp_port: u16,
    /// The interfaces to serve on, by name or IPv4 address (empty: every interface that is up
    /// with multicast, and loopback), followed as they come and go: see [`crate::network`].
    pub interfaces: Vec<String>,
    /// The folders to serve at start.
    pub roots: Vec<PathBuf>,
    /// Where the list of shared folders is kept, for the folders shared and unshared while
    /// running ([`crate::share`]).
    pub sharing: share::Settings,
    /// Where the device identity is kept.
    pub state_dir: PathBuf,
    /// How the library is kept up to date (rescan interval, watch limit).
    pub live: live::Options,
    /// The clients served (default: everyone who reaches the interfaces).
    pub allow: AllowList,
    /// The time limits of each HTTP connection.
    pub timeouts: Timeouts,
    /// HTTP connections served at once (default [`MAX_CONNECTIONS`]); lowered to what the file
    /// descriptor limit allows.
    pub max_connections: usize,
}

/// A server whose sockets are bound, ready to [`run`](Daemon::run).
#[derive(Debug)]
pub struct Daemon {
    config: Config,
    identity: Identity,
    shared: Arc<Shared>,
    sharing: Arc<Sharing>,
    changes: mpsc::UnboundedReceiver<live::Change>,
    network: Network,
    ssdp: ssdp::Sockets,
    ready: watch::Sender<bool>,
    serving: watch::Sender<Option<Arc<Shared>>>,
    /// The library index, loaded into the library before the server answers, and what it
    /// held (for [`live`]'s check against the disk).
    restored: Option<(crate::index::Writer, crate::index::Loaded)>,
}

impl Daemon {
    /// Loads the identity, checks the roots and binds every socket. Needs a tokio runtime.
    pub fn bind(mut config: Config) -> Result<Daemon> {
        let fds = raise_fd_limit();
        // A connection holds its socket and, while streaming, a file.
        let fit = usize::try_from(fds.saturating_sub(RESERVED_FDS) / 2).unwrap_or(usize::MAX);
        if config.max_connections > fit {
            tracing::warn!(fds, "serving at most {fit} connections at once (file descriptors)");
            config.max_connections = fit;
        }
        let identity = Identity::load(&config.state_dir, &config.name)?;
        let storage = Storage::new(&config.roots)?;
        let network = Network::bind(config.interfaces.clone(), config.http_port)?;
        let ssdp = ssdp::Sockets::open(config.ssdp_port)?;
        let (ready, _) = watch::channel(false);
        // The library starts with the served folders only and fills in the background.
        let roots: Vec<PathBuf> = storage.roots().into_iter().flatten().collect();
        let library = library::with_roots(&roots)?;
        let mut shared = Shared::new(
            config.name.clone(),
            format!("uuid:{}", identity.uuid),
            discovery::server_string(),
            storage,
            library,
        );
        shared.bookmarks = bookmarks::Store::load(&config.state_dir);
        match &shared.remuxer {
            Some(r) => {
                tracing::info!(ffmpeg = %r.ffmpeg().display(), "videos are remuxed for players that need it")
            }
            None => tracing::info!("ffmpeg or ffprobe not on PATH: no video is remuxed"),
        }
        let shared = Arc::new(shared);
        // Loaded before anything answers, so the first Browse already sees the whole library.
        let restored =
            config.live.index.as_deref().and_then(|path| crate::index::restore(&shared, path));
        if let Some((writer, _)) = &restored {
            let _ = shared.index.set(writer.clone());
        }
        let (live, changes) = mpsc::unbounded_channel();
        let sharing = Arc::new(Sharing::new(Arc::clone(&shared), live, config.sharing.clone()));
        let (serving, _) = watch::channel(None);
        Ok(Daemon {
            config,
            identity,
            shared,
            sharing,
            changes,
            network,
            ssdp,
            ready,
            serving,
            restored,
        })
    }

    /// The served folders, to share and unshare folders while the server runs.
    pub fn sharing(&self) -> Arc<Sharing> {
        Arc::clone(&self.sharing)
    }

    /// The HTTP address of each interface served now, in interface order.
    pub fn http_addrs(&self) -> Vec<SocketAddrV4> {
        self.network.served().borrow().iter().map(|s| s.http).collect()
    }

    /// The interface addresses served, with their HTTP addresses; changes as the network does.
    pub fn served(&self) -> watch::Receiver<Vec<Served>> {
        self.network.served()
    }

    /// Becomes `true` once the first scan of the served folders is in the library (the server
    /// answers before that, from a library that is still filling).
    pub fn ready(&self) -> watch::Receiver<bool> {
        self.ready.subscribe()
    }

    /// Becomes the running server's shared state once every HTTP listener is accepting: from
    /// then on HTTP answers (the service manager's `READY=1`, [`crate::notify`]).
    pub fn serving(&self) -> watch::Receiver<Option<Arc<Shared>>> {
        self.serving.subscribe()
    }

    /// The device identity in use for this run.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Serves until `shutdown` completes, then stops everything within [`SHUTDOWN_GRACE`].
    /// Runs on tokio's multi-thread runtime only: connections hand their file work to the
    /// [`pool`](crate::pool) with `block_in_place`.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let Daemon {
            config,
            identity,
            shared,
            sharing,
            changes,
            network,
            ssdp,
            ready,
            serving,
            restored,
        } = self;
        tracing::info!(
            name = %config.name,
            uuid = %identity.uuid,
            boot_id = identity.boot_id,
            config_id = identity.config_id,
            "starting Rill {}",
            env!("CARGO_PKG_VERSION"),
        );
        for served in network.served().borrow().iter() {
            tracing::info!("serving on {}: http://{}/", served.iface, served.http);
        }

        crate::art::spawn(&shared, ready.subscribe());

        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let allow = config.allow.clone();
        let served = network.served();
        tasks.spawn(discovery::run(ssdp, served, identity, allow, stop_rx.clone()));
        let gate = Arc::new(Gate {
            allow: config.allow,
            timeouts: config.timeouts,
            slots: Arc::new(Semaphore::new(config.max_connections)),
            refusing: Arc::new(Semaphore::new(REFUSING)),
        });
        // Each listener's accept loop, for the addresses served now and those to come.
        let accept = {
            let shared = Arc::clone(&shared);
            move |listener, stop| {
                accept_task(listener, Arc::clone(&shared), Arc::clone(&gate), stop)
            }
        };
        tasks.spawn(network.run(accept, stop_rx.clone()));
        // The table starts from the library's SystemUpdateID (the served folders are in).
        events::publish(&shared);
        tasks.spawn(events::run(Arc::clone(&shared), stop_rx.clone()));
        tasks.spawn(live::run(
            Arc::clone(&shared),
            config.live.clone(),
            restored,
            ready,
            changes,
            stop_rx.clone(),
        ));
        tasks.spawn(config::watch(Arc::clone(&sharing), stop_rx.clone()));
        serving.send_replace(Some(Arc::clone(&shared)));

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

/// Raises the soft limit on open files to the hard limit, and returns the limit in force.
fn raise_fd_limit() -> u64 {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else { return 1024 };
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return hard;
    }
    soft
}

/// Who may connect, for how long, and how many at once: shared by every listener.
#[derive(Debug)]
struct Gate {
    allow: AllowList,
    timeouts: Timeouts,
    /// One permit per connection being served.
    slots: Arc<Semaphore>,
    /// One permit per connection being refused with a 503.
    refusing: Arc<Semaphore>,
}

/// What becomes of an accepted connection.
enum Admission {
    /// Served, holding its slot until it ends.
    Serve(OwnedSemaphorePermit),
    /// Every slot is taken: answered 503.
    Busy(OwnedSemaphorePermit),
    /// Outside the allow-list: closed at once, unanswered.
    Close,
    /// Too busy even to refuse politely: closed at once.
    Drop,
}

impl Gate {
    fn admit(&self, peer: std::net::IpAddr) -> Admission {
        if !self.allow.permits(peer) {
            return Admission::Close;
        }
        if let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() {
            return Admission::Serve(slot);
        }
        match Arc::clone(&self.refusing).try_acquire_owned() {
            Ok(permit) => Admission::Busy(permit),
            Err(_) => Admission::Drop,
        }
    }
}

/// Answers 503 (the core's [`busy`] answer), then reads and drops what the client sends for a
/// moment before closing.
async fn refuse_busy(mut stream: TcpStream, server_header: &str) {
    let mut answer = [0u8; 512];
    let Ok(len) = busy(&mut answer, server_header) else { return };
    // A fresh socket's send buffer takes the whole answer at once; if not, just close.
    if stream.try_write(answer.get(..len).unwrap_or_default()).is_err() {
        return;
    }
    let _ = tokio::time::timeout(REFUSE_LINGER, async {
        let mut sink = [0u8; 1024];
        while let Ok(1..) = stream.read(&mut sink).await {}
    })
    .await;
}

/// Accepts HTTP connections on one listener until told to stop.
async fn accept_task(
    listener: http::Listener,
    shared: Arc<Shared>,
    gate: Arc<Gate>,
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
                Ok((stream, peer)) => match gate.admit(peer.ip()) {
                    Admission::Serve(slot) => {
                        tracing::debug!(%peer, local = %listener.addr, "HTTP connection");
                        let shared = Arc::clone(&shared);
                        let timeouts = gate.timeouts;
                        connections.spawn(async move {
                            connection::serve(stream, shared, timeouts).await;
                            drop(slot);
                        });
                    }
                    Admission::Busy(permit) => {
                        tracing::debug!(%peer, "HTTP connection refused: all slots taken");
                        shared.refused();
                        let shared = Arc::clone(&shared);
                        connections.spawn(async move {
                            refuse_busy(stream, &shared.server).await;
                            drop(permit);
                        });
                    }
                    Admission::Close => {
                        tracing::debug!(%peer, "HTTP connection closed: not on the allow-list");
                        drop(stream);
                    }
                    Admission::Drop => {
                        tracing::debug!(%peer, "HTTP connection closed: too many refusals");
                        shared.refused();
                        drop(stream);
                    }
                },
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
