//! The service manager's notification protocol (sd_notify(3)): `READY=1`, `STATUS=`,
//! `WATCHDOG=1` and `STOPPING=1`, sent as datagrams to the socket named by `NOTIFY_SOCKET`.
//!
//! systemd starts a `Type=notify` unit with `NOTIFY_SOCKET` set to a Unix datagram socket, a
//! path or (starting with `@`) a Linux abstract name; each message is one datagram of
//! newline-separated `KEY=VALUE` lines, attributed by the kernel-supplied sender credentials.
//! Without `NOTIFY_SOCKET` (started from a terminal) there is no [`Notifier`] and nothing is
//! sent. `vsock:` addresses (for virtual machines) are not supported and are reported once.
//!
//! What Rill says, and when ([`run`]):
//! - `READY=1` once every HTTP listener is accepting ([`Daemon::serving`]), so whoever waits
//!   for the unit to be started can talk to it at once; the library may still be filling;
//! - `STATUS=` in the same message, then again whenever what it says changes ("12,345 tracks
//!   in 3 folders, 2 players"), at most once every [`STATUS_EVERY`]; this is what
//!   `systemctl --user status rill` shows;
//! - `WATCHDOG=1` every half of `WATCHDOG_USEC` when the manager asks for it (`WatchdogSec=`
//!   in the unit), and `WATCHDOG_PID` is unset or names this process;
//! - `STOPPING=1` as soon as shutdown begins ([`Notifier::stopping`], called by `main` on
//!   SIGTERM/SIGINT before the SSDP goodbye).
//!
//! Nothing here wakes the process on a timer except the watchdog the manager asked for: status
//! updates wait on the library's and the player table's change signal ([`Shared::changes`]).
//!
//! [`Daemon::serving`]: crate::serve::Daemon::serving

use std::fmt::Write as _;
use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use rill_core::dlna::MediaKind;
use tokio::sync::watch;

use crate::connection::Shared;

/// Shortest time between two `STATUS=` messages: a scan changes the library many times a
/// second, and the status is for people to read.
pub const STATUS_EVERY: Duration = Duration::from_secs(1);

/// The service manager's notification socket, from `NOTIFY_SOCKET`.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    addr: SocketAddr,
}

impl Notifier {
    /// The notifier `NOTIFY_SOCKET` names, or `None` when it is unset or empty (not started
    /// by a service manager) or names something this build cannot send to (logged).
    pub fn from_env() -> Option<Notifier> {
        let name = std::env::var_os("NOTIFY_SOCKET")?;
        let name = name.to_str().unwrap_or_default();
        if name.is_empty() {
            return None;
        }
        match Notifier::connect(name) {
            Ok(notifier) => Some(notifier),
            Err(e) => {
                tracing::warn!("NOTIFY_SOCKET={name}: {e}; not telling the service manager");
                None
            }
        }
    }

    /// A notifier sending to `name`: a path, or `@` and an abstract socket name.
    pub fn connect(name: &str) -> io::Result<Notifier> {
        let addr = address(name)?;
        let socket = UnixDatagram::unbound()?;
        // A full receive queue must not stall the server: a lost status line is harmless.
        socket.set_nonblocking(true)?;
        Ok(Notifier { socket, addr })
    }

    /// Sends one message (`KEY=VALUE` lines). Failures are logged, never fatal: the service
    /// manager's view of Rill is not worth stopping the service for.
    pub fn send(&self, message: &str) {
        if let Err(e) = self.socket.send_to_addr(message.as_bytes(), &self.addr) {
            tracing::debug!("sd_notify {message:?} not sent: {e}");
        }
    }

    /// Tells the manager that Rill is stopping (then the SSDP goodbye follows).
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=Stopping");
    }
}

/// The socket address for `NOTIFY_SOCKET`'s value.
fn address(name: &str) -> io::Result<SocketAddr> {
    if let Some(abstract_name) = name.strip_prefix('@') {
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            return SocketAddr::from_abstract_name(abstract_name.as_bytes());
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = abstract_name;
            return Err(io::Error::new(io::ErrorKind::Unsupported, "abstract socket"));
        }
    }
    if name.starts_with('/') {
        return SocketAddr::from_pathname(name);
    }
    Err(io::Error::new(io::ErrorKind::Unsupported, "not a Unix socket path or @name"))
}

/// The watchdog ping interval asked for by the environment: half of `WATCHDOG_USEC`, if that
/// is set and `WATCHDOG_PID` is unset or names this process.
pub fn watchdog_from_env() -> Option<Duration> {
    let usec = std::env::var("WATCHDOG_USEC").ok();
    let pid = std::env::var("WATCHDOG_PID").ok();
    watchdog_interval(usec.as_deref(), pid.as_deref(), std::process::id())
}

/// [`watchdog_from_env`] over given values (`own` is this process's id).
fn watchdog_interval(usec: Option<&str>, pid: Option<&str>, own: u32) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.parse::<u32>().ok()? != own {
            return None;
        }
    }
    let usec = usec?.parse::<u64>().ok().filter(|&usec| usec > 0)?;
    Some(Duration::from_micros(usec / 2).max(Duration::from_millis(1)))
}

/// What the server serves, for `STATUS=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Audio items.
    pub tracks: usize,
    /// Video items.
    pub videos: usize,
    /// Image items.
    pub pictures: usize,
    /// Served folders.
    pub folders: usize,
    /// Players in the player table: those recognised since start, up to the table's size (an
    /// entry expired after an hour of silence still counts).
    pub players: usize,
    /// Whether the first scan is still filling the library.
    pub scanning: bool,
}

impl Summary {
    /// Counts what `shared` holds now; `scanning` says whether the first scan goes on.
    pub fn of(shared: &Shared, scanning: bool) -> Summary {
        let mut summary = Summary {
            folders: shared.storage.roots().len(),
            players: shared.clients.lock().unwrap_or_else(PoisonError::into_inner).len(),
            scanning,
            ..Summary::default()
        };
        let library = shared.library.read().unwrap_or_else(PoisonError::into_inner);
        for (_, object) in library.iter() {
            if let Some(item) = object.as_item() {
                match item.format.kind() {
                    MediaKind::Audio => summary.tracks += 1,
                    MediaKind::Video => summary.videos += 1,
                    MediaKind::Image => summary.pictures += 1,
                }
            }
        }
        summary
    }
}

impl std::fmt::Display for Summary {
    /// "12,345 tracks in 3 folders, 2 players"; videos and pictures are named when there are
    /// some, and a first scan still running is said first ("Scanning: ...").
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.scanning {
            f.write_str("Scanning: ")?;
        }
        let mut media = vec![counted(self.tracks, "track", "tracks")];
        if self.videos > 0 {
            media.push(counted(self.videos, "video", "videos"));
        }
        if self.pictures > 0 {
            media.push(counted(self.pictures, "picture", "pictures"));
        }
        let media = match media.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        write!(
            f,
            "{media} in {}, {}",
            counted(self.folders, "folder", "folders"),
            counted(self.players, "player", "players")
        )
    }
}

/// "1 track", "12,345 tracks".
fn counted(n: usize, one: &str, many: &str) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let noun = if n == 1 { one } else { many };
    let mut out = grouped;
    let _ = write!(out, " {noun}");
    out
}

/// Tells the service manager about the server: `READY=1` and the first `STATUS=` once
/// `serving` holds the running server's state, then the status as it changes (the first scan
/// ending is `scanned`), and the watchdog pings if `watchdog` is set. Runs until the process
/// ends.
pub async fn run(
    notifier: Arc<Notifier>,
    mut serving: watch::Receiver<Option<Arc<Shared>>>,
    mut scanned: watch::Receiver<bool>,
    watchdog: Option<Duration>,
) {
    let mut pings = watchdog.map(|every| {
        let mut pings = tokio::time::interval(every);
        pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        pings
    });
    // The manager's watchdog runs from the start, before READY=1: ping while starting too.
    let shared = loop {
        tokio::select! {
            changed = serving.changed() => {
                if changed.is_err() {
                    return;
                }
                if let Some(shared) = serving.borrow_and_update().clone() {
                    break shared;
                }
            }
            () = tick(&mut pings) => notifier.send("WATCHDOG=1"),
        }
    };
    let mut changes = shared.changes.subscribe();
    let mut shown = Summary::of(&shared, !*scanned.borrow_and_update());
    notifier.send(&format!("READY=1\nSTATUS={shown}"));
    let mut scan_over = !shown.scanning;
    loop {
        tokio::select! {
            () = tick(&mut pings) => {
                notifier.send("WATCHDOG=1");
                continue;
            }
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            changed = scanned.changed(), if !scan_over => {
                scan_over = changed.is_err() || *scanned.borrow_and_update();
            }
        }
        // Let a burst of changes settle, still pinging the watchdog meanwhile.
        let settle = tokio::time::sleep(STATUS_EVERY);
        tokio::pin!(settle);
        loop {
            tokio::select! {
                () = &mut settle => break,
                () = tick(&mut pings) => notifier.send("WATCHDOG=1"),
            }
        }
        changes.borrow_and_update();
        scan_over = scan_over || *scanned.borrow_and_update();
        let now = Summary::of(&shared, !scan_over);
        if now != shown {
            notifier.send(&format!("STATUS={now}"));
            shown = now;
        }
    }
}

/// The next watchdog tick, or never without a watchdog.
async fn tick(pings: &mut Option<tokio::time::Interval>) {
    match pings {
        Some(pings) => {
            pings.tick().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchdog_interval_is_half_when_addressed_to_us() {
        let half = Some(Duration::from_secs(15));
        assert_eq!(watchdog_interval(Some("30000000"), None, 7), half);
        assert_eq!(watchdog_interval(Some("30000000"), Some("7"), 7), half);
        assert_eq!(watchdog_interval(Some("30000000"), Some("8"), 7), None);
        assert_eq!(watchdog_interval(Some("30000000"), Some("x"), 7), None);
        assert_eq!(watchdog_interval(None, Some("7"), 7), None);
        assert_eq!(watchdog_interval(Some("0"), None, 7), None);
        assert_eq!(watchdog_interval(Some("soon"), None, 7), None);
        assert_eq!(watchdog_interval(Some("1"), None, 7), Some(Duration::from_millis(1)));
    }

    #[test]
    fn addresses() {
        assert!(address("/run/user/1000/systemd/notify").unwrap().as_pathname().is_some());
        let abstract_addr = address("@rill/notify").unwrap();
        assert!(abstract_addr.as_pathname().is_none() && !abstract_addr.is_unnamed());
        assert!(address("vsock:2:1234").is_err());
        assert!(address("relative").is_err());
    }

    #[test]
    fn status_lines() {
        let s = Summary { tracks: 12_345, folders: 3, players: 2, ..Summary::default() };
        assert_eq!(s.to_string(), "12,345 tracks in 3 folders, 2 players");
        let s = Summary { tracks: 1, folders: 1, players: 1, scanning: true, ..s };
        assert_eq!(s.to_string(), "Scanning: 1 track in 1 folder, 1 player");
        let s = Summary { tracks: 0, videos: 1, pictures: 1_000_000, scanning: false, ..s };
        assert_eq!(s.to_string(), "0 tracks, 1 video and 1,000,000 pictures in 1 folder, 1 player");
        let s = Summary { videos: 0, players: 0, ..s };
        assert_eq!(s.to_string(), "0 tracks and 1,000,000 pictures in 1 folder, 0 players");
        assert_eq!(counted(999, "x", "xs"), "999 xs");
        assert_eq!(counted(1000, "x", "xs"), "1,000 xs");
    }

    #[test]
    fn sends_datagrams_to_a_path_and_an_abstract_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let receiver = UnixDatagram::bind(&path).unwrap();
        Notifier::connect(path.to_str().unwrap()).unwrap().send("READY=1\nSTATUS=x");
        let mut buf = [0u8; 64];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=x");

        use std::os::linux::net::SocketAddrExt;
        let name = format!("rill-test-{}", std::process::id());
        let receiver =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        Notifier::connect(&format!("@{name}")).unwrap().stopping();
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1\nSTATUS=Stopping");
    }
}
