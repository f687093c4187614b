//! The D-Bus interface: share and unshare folders, and see what the server is doing, from any
//! desktop tool (`rill share`, `busctl`, `gdbus`, a file manager's action).
//!
//! Rill owns [`NAME`] on the session bus (`DBUS_SESSION_BUS_ADDRESS`) and serves interface
//! [`INTERFACE`] at object [`PATH`] (the major version in all three, as the D-Bus API design
//! guidelines ask, so a later incompatible `Rill2` can live beside it):
//!
//! | member | signature | what |
//! |---|---|---|
//! | method `Share` | `as` → () | shares the folders (absolute paths); all or none |
//! | method `Unshare` | `as` → () | unshares them; all or none |
//! | property `Folders` | `a(su)` | each shared folder: absolute path, media count |
//! | property `Players` | `a(ss)` | each player seen in the last hour: address, player |
//! | property `Streams` | `as` | each stream now playing: its file, relative to its folder |
//! | property `Connections` | `a{st}` | HTTP counts since start ([`COUNTERS`]); not signalled |
//! | property `Following` | `a(ssstt)` | each shared folder: path, how its changes are found (`inotify` or `poll`), the network file system (`""` if local), the poll interval in seconds and the end of the last poll in Unix seconds (0 if none); not signalled |
//!
//! The properties are read-only and emit `org.freedesktop.DBus.Properties.PropertiesChanged`:
//! `Folders` at once when a folder is shared or unshared, and each of the three when it differs
//! from what was last signalled, looked at when something it shows changes (the library, a new
//! player, a stream starting or ending), at most once per [`SETTLE`] (a folder being read
//! changes its media count with every file). Nothing wakes the task while nothing changes; a
//! player forgotten after an hour unseen is signalled with the next change. Errors are
//! `org.freedesktop.DBus.Error.InvalidArgs` with a message saying which path and why.
//!
//! Without a session bus (a headless server, no user session) Rill serves anyway and says so
//! in one log line; the same if another Rill owns the name.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use anyhow::Result;
use rill_core::server::Env;
use zbus::object_server::SignalEmitter;
use zbus::{fdo, interface};

use crate::connection::Shared;
use crate::share::Sharing;

/// The well-known bus name Rill owns.
pub const NAME: &str = "org.rill.Rill1";

/// The object path of the interface.
pub const PATH: &str = "/org/rill/Rill1";

/// The interface name.
pub const INTERFACE: &str = "org.rill.Rill1";

/// Shortest time between two looks at what changed, so a folder being read (a change per
/// file) is signalled once a second rather than once a file.
pub const SETTLE: Duration = Duration::from_secs(1);

/// The object served at [`PATH`].
#[derive(Debug)]
struct Rill {
    sharing: Arc<Sharing>,
    shared: Arc<Shared>,
}

/// Absolute paths from a method's argument: relative ones mean nothing to the server (its
/// working directory is not the caller's), so they are refused.
fn absolute(paths: Vec<String>) -> fdo::Result<Vec<PathBuf>> {
    if paths.is_empty() {
        return Err(fdo::Error::InvalidArgs("no folder given".into()));
    }
    paths
        .into_iter()
        .map(|p| {
            let path = PathBuf::from(&p);
            if path.is_absolute() {
                Ok(path)
            } else {
                Err(fdo::Error::InvalidArgs(format!("{p:?} is not an absolute path")))
            }
        })
        .collect()
}

#[interface(name = "org.rill.Rill1")]
impl Rill {
    /// Shares folders (absolute paths) at once, and keeps them in the config file.
    async fn share(&self, paths: Vec<String>) -> fdo::Result<()> {
        let dirs = absolute(paths)?;
        let sharing = Arc::clone(&self.sharing);
        let done = tokio::task::spawn_blocking(move || sharing.share(&dirs)).await;
        done.map_err(|e| fdo::Error::Failed(e.to_string()))?
            .map_err(|e| fdo::Error::InvalidArgs(format!("{e:#}")))
    }

    /// Unshares folders (absolute paths) at once, and removes them from the config file.
    async fn unshare(&self, paths: Vec<String>) -> fdo::Result<()> {
        let dirs = absolute(paths)?;
        let sharing = Arc::clone(&self.sharing);
        let done = tokio::task::spawn_blocking(move || sharing.unshare(&dirs)).await;
        done.map_err(|e| fdo::Error::Failed(e.to_string()))?
            .map_err(|e| fdo::Error::InvalidArgs(format!("{e:#}")))
    }

    /// The shared folders: absolute path and media count of each.
    #[zbus(property)]
    async fn folders(&self) -> Vec<(String, u32)> {
        folders(&self.sharing)
    }

    /// The players seen in the last hour: address and the player recognised there.
    #[zbus(property)]
    async fn players(&self) -> Vec<(String, String)> {
        players(&self.shared)
    }

    /// The streams now playing: the file of each, relative to its shared folder.
    #[zbus(property)]
    async fn streams(&self) -> Vec<String> {
        streams(&self.shared)
    }

    /// What the HTTP connections reported since the start, by name (see [`counters`]). Not
    /// signalled: it changes with every request; read it when it is wanted.
    #[zbus(property(emits_changed_signal = "false"))]
    async fn connections(&self) -> HashMap<String, u64> {
        counters(&self.shared)
    }

    /// How each shared folder's changes are found (see [`crate::mounts`]): path, method,
    /// network file system, poll interval and last poll. Not signalled: every poll changes it.
    #[zbus(property(emits_changed_signal = "false"))]
    async fn following(&self) -> Vec<(String, String, String, u64, u64)> {
        following(&self.shared)
    }
}

fn folders(sharing: &Sharing) -> Vec<(String, u32)> {
    sharing
        .folders()
        .into_iter()
        .map(|f| {
            let media = u32::try_from(f.media).unwrap_or(u32::MAX);
            (f.path.to_string_lossy().into_owned(), media)
        })
        .collect()
}

fn players(shared: &Shared) -> Vec<(String, String)> {
    let now = shared.now();
    let clients = shared.clients.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out: Vec<_> =
        clients.iter(now).map(|(addr, player)| (addr.to_string(), format!("{player:?}"))).collect();
    out.sort();
    out
}

fn following(shared: &Shared) -> Vec<(String, String, String, u64, u64)> {
    let interval = shared.following.interval().as_secs();
    shared
        .following
        .folders()
        .into_iter()
        .map(|f| {
            let polled = f.method.file_system().is_some();
            let last = f.last_poll.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            (
                f.path.to_string_lossy().into_owned(),
                f.method.name().to_string(),
                f.method.file_system().unwrap_or_default().to_string(),
                if polled { interval } else { 0 },
                last.map_or(0, |d| d.as_secs()),
            )
        })
        .collect()
}

fn streams(shared: &Shared) -> Vec<String> {
    shared.playing.list()
}

/// The names of the `Connections` counts, each a field of core's
/// [`Counters`](rill_core::server::connection::Counters).
pub const COUNTERS: [&str; 9] = [
    "served",
    "client_errors",
    "server_errors",
    "bytes",
    "closed",
    "client_faults",
    "server_faults",
    "timeouts",
    "refused",
];

/// The connection counters by name ([`COUNTERS`]).
fn counters(shared: &Shared) -> HashMap<String, u64> {
    let c = *shared.counters.lock().unwrap_or_else(PoisonError::into_inner);
    let values = [
        c.served,
        c.client_errors,
        c.server_errors,
        c.bytes,
        c.closed,
        c.client_faults,
        c.server_faults,
        c.timeouts,
        c.refused,
    ];
    COUNTERS.iter().map(|name| name.to_string()).zip(values).collect()
}

/// Serves the interface on the session bus for as long as the task runs (the server's
/// `main` aborts it when the server stops). Never fails the server: no bus, or the name
/// taken, is one log line and the end of this task.
pub async fn run(sharing: Arc<Sharing>) -> Result<()> {
    let mut changed = sharing.subscribe();
    let shared = Arc::clone(sharing.shared());
    let object = Rill { sharing, shared };
    let built = async {
        zbus::connection::Builder::session()?.name(NAME)?.serve_at(PATH, object)?.build().await
    };
    let connection = match built.await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(
                "no D-Bus interface ({e}): `rill share`, `rill unshare` and `rill status` cannot \
                 reach this server; it serves anyway"
            );
            return Ok(());
        }
    };
    tracing::info!("D-Bus interface {INTERFACE} at {PATH} on the session bus as {NAME}");
    let iface = connection.object_server().interface::<_, Rill>(PATH).await?;
    let mut library = iface.get().await.shared.changes.subscribe();
    let mut playing = iface.get().await.shared.playing.subscribe();
    let mut last = Snapshot::default();
    loop {
        let shared = tokio::select! {
            changes = changed.changed() => {
                if changes.is_err() { return Ok(()) }
                // A share or unshare is signalled at once.
                false
            }
            changes = library.changed() => { changes?; true }
            changes = playing.changed() => { changes?; true }
        };
        if shared {
            // Let a burst of changes (a folder being read) settle into one signal.
            tokio::time::sleep(SETTLE).await;
        }
        library.mark_unchanged();
        playing.mark_unchanged();
        let now = {
            let rill = iface.get().await;
            Snapshot {
                folders: folders(&rill.sharing),
                players: players(&rill.shared),
                streams: streams(&rill.shared),
            }
        };
        if let Err(e) = signal(&iface, &last, &now).await {
            tracing::debug!("PropertiesChanged not sent: {e}");
        }
        last = now;
    }
}

/// The properties as last signalled.
#[derive(Debug, Default, PartialEq, Eq)]
struct Snapshot {
    folders: Vec<(String, u32)>,
    players: Vec<(String, String)>,
    streams: Vec<String>,
}

/// Emits PropertiesChanged for each property that differs between `last` and `now`.
async fn signal(
    iface: &zbus::object_server::InterfaceRef<Rill>,
    last: &Snapshot,
    now: &Snapshot,
) -> zbus::Result<()> {
    let emitter: &SignalEmitter<'_> = iface.signal_emitter();
    let rill = iface.get().await;
    if last.folders != now.folders {
        rill.folders_changed(emitter).await?;
    }
    if last.players != now.players {
        rill.players_changed(emitter).await?;
    }
    if last.streams != now.streams {
        rill.streams_changed(emitter).await?;
    }
    Ok(())
}

/// The client side, for `rill share`, `rill unshare` and `rill status`.
#[zbus::proxy(
    interface = "org.rill.Rill1",
    default_service = "org.rill.Rill1",
    default_path = "/org/rill/Rill1"
)]
pub trait Rill1 {
    /// See the server's `Share`.
    fn share(&self, paths: &[&str]) -> zbus::Result<()>;
    /// See the server's `Unshare`.
    fn unshare(&self, paths: &[&str]) -> zbus::Result<()>;
    /// See the server's `Folders`.
    #[zbus(property)]
    fn folders(&self) -> zbus::Result<Vec<(String, u32)>>;
    /// See the server's `Players`.
    #[zbus(property)]
    fn players(&self) -> zbus::Result<Vec<(String, String)>>;
    /// See the server's `Streams`.
    #[zbus(property)]
    fn streams(&self) -> zbus::Result<Vec<String>>;
    /// See the server's `Connections`.
    #[zbus(property(emits_changed_signal = "false"))]
    fn connections(&self) -> zbus::Result<HashMap<String, u64>>;
    /// See the server's `Following`.
    #[zbus(property(emits_changed_signal = "false"))]
    fn following(&self) -> zbus::Result<Vec<(String, String, String, u64, u64)>>;
}
