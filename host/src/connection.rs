//! One HTTP connection: `rill_core`'s [`Server`] over a tokio TCP stream.
//!
//! The whole HTTP side (parsing, limits, keep-alive, description, SOAP, media, transcodes) is the
//! core's, shared with the firmware. This module only provides what the core asks of a platform
//! ([`Env`]: the library behind its lock, files from the served folders, the clocks, the player
//! table, the event subscriptions) and the socket with its [`Timeouts`]:
//! - the first byte of a request may take up to [`IDLE_TIMEOUT`] (a client that sends nothing
//!   is dropped);
//! - the whole request, head and body, must then arrive within [`REQUEST_TIMEOUT`] of that
//!   first byte, so a client trickling a header byte now and then cannot hold a connection
//!   (and its buffers) for ever. A new request begins when the previous one is answered: the
//!   first write of a response other than `100 Continue` ends the request's clock;
//! - a write waits at most [`STALL_TIMEOUT`]: a paused player stops reading (DLNA's connection
//!   stall) and resumes later, so this is long; past it the connection is dropped.
//!
//! A connection that runs out of time is closed without an answer.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Result};
use nix::sys::sendfile::sendfile64;
use rill_core::gena::Subscriptions;
use rill_core::http::request::Limits;
use rill_core::library::{FileInfo, FileRef, Library};
use rill_core::profile::Clients;
use rill_core::server::{Env, Server, Transmit, CLIENTS, SUBSCRIPTIONS};
use rill_core::time::Instant;
use rill_core::upnp::description::Device;
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::TcpStream;

use crate::art;
use crate::playing::{MediaFile, Playing};
use crate::storage::Storage;

/// How long a connection may sit without sending anything we wait for.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a request (head and body) may take to arrive, from its first byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a player may stop reading (paused) before its connection is dropped.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Receive buffer per connection: a request head (8 KiB) plus the largest body (64 KiB).
const RX: usize = 80 * 1024;

/// Send buffer per connection: response heads, and the chunk size of media streaming.
const TX: usize = 64 * 1024;

/// The time limits of a connection (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Longest wait for the first byte of a request.
    pub idle: Duration,
    /// Longest time from the first byte of a request to its last.
    pub request: Duration,
    /// Longest wait for a client to take more of a response.
    pub stall: Duration,
}

impl Default for Timeouts {
    /// [`IDLE_TIMEOUT`], [`REQUEST_TIMEOUT`], [`STALL_TIMEOUT`].
    fn default() -> Self {
        Timeouts { idle: IDLE_TIMEOUT, request: REQUEST_TIMEOUT, stall: STALL_TIMEOUT }
    }
}

/// What every connection shares: the device identity, the library and the served folders.
#[derive(Debug)]
pub struct Shared {
    /// The friendly name.
    pub name: String,
    /// The UDN, `uuid:...`.
    pub udn: String,
    /// The `SERVER` header value.
    pub server: String,
    /// The served folders, for media files.
    pub storage: Storage,
    /// The library; read-locked while a response is built, never while it is sent.
    pub library: RwLock<Library>,
    /// The players recognised per client address.
    pub clients: Mutex<Clients<CLIENTS>>,
    /// The start of [`Env::now`]'s clock.
    pub epoch: std::time::Instant,
    /// The GENA subscription table; [`crate::events`] sends its NOTIFYs.
    pub events: Mutex<Subscriptions<SUBSCRIPTIONS>>,
    /// Poked after every use of the table, so the event sender looks at it again.
    pub events_changed: tokio::sync::Notify,
    /// The thumbnail cache, if there is a cache folder.
    pub art: Option<art::Cache>,
    /// The streams now playing.
    pub playing: Arc<Playing>,
}

impl Shared {
    /// Shared state for a server with this identity, folders and library.
    pub fn new(
        name: String,
        udn: String,
        server: String,
        storage: Storage,
        library: Library,
    ) -> Self {
        Shared {
            name,
            udn,
            server,
            storage,
            library: RwLock::new(library),
            clients: Mutex::new(Clients::new()),
            epoch: std::time::Instant::now(),
            events: Mutex::new(Subscriptions::new(uuid::Uuid::new_v4().as_u64_pair().0)),
            events_changed: tokio::sync::Notify::new(),
            art: art::Cache::new(),
            playing: Arc::default(),
        }
    }

    /// A core instant (on [`Env::now`]'s clock) as a tokio instant to sleep until.
    pub fn instant(&self, at: Instant) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.epoch + Duration::from_micros(at.as_micros()))
    }
}

impl Env for Shared {
    type File = MediaFile;

    fn with_library<R>(&self, f: impl FnOnce(&Library) -> R) -> R {
        f(&self.library.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn open(&self, file: &FileRef<'_>) -> Option<(Self::File, u64)> {
        let rel: PathBuf = file.components().collect();
        match self.storage.open(usize::from(file.root), &rel) {
            Ok((f, meta)) => {
                let stream = self.playing.start(file.to_string());
                Some((MediaFile::new(f, Some(stream)), meta.len()))
            }
            Err(e) => {
                tracing::warn!(path = %rel.display(), "cannot open a library file: {e}");
                None
            }
        }
    }

    fn open_art(&self, file: &FileRef<'_>, info: FileInfo) -> Option<(Self::File, u64)> {
        let root = self.storage.root(usize::from(file.root))?;
        let (f, len) = self.art.as_ref()?.open(&root, file, info)?;
        Some((MediaFile::new(f, None), len))
    }

    fn unix_time(&self) -> Option<u64> {
        SystemTime::now().duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
    }

    fn now(&self) -> Instant {
        Instant::from_micros(u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    fn with_clients<R>(&self, f: impl FnOnce(&mut Clients<CLIENTS>) -> R) -> R {
        f(&mut self.clients.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn with_events<R>(&self, f: impl FnOnce(&mut Subscriptions<SUBSCRIPTIONS>) -> R) -> R {
        let out = f(&mut self.events.lock().unwrap_or_else(PoisonError::into_inner));
        self.events_changed.notify_one();
        out
    }
}

/// Serves one accepted connection until it ends or runs out of time.
pub async fn serve(stream: TcpStream, shared: Arc<Shared>, timeouts: Timeouts) -> Result<()> {
    no_delay(&stream)?;
    let local = stream.local_addr()?;
    let peer: SocketAddr = stream.peer_addr()?;
    let device = Device::rill(&shared.name, &shared.udn, &[]);
    let server = Server::new(&*shared, device, &shared.server, Limits::DEFAULT);
    let mut conn = Timed { stream, timeouts, request_start: None };
    let (mut rx, mut tx) = (vec![0u8; RX], vec![0u8; TX]);
    server
        .serve(&mut conn, &mut rx, &mut tx, &local.to_string(), peer.ip())
        .await
        .map_err(|e| anyhow!("{e:?}"))
}

/// Turns Nagle's algorithm off. The server writes a response head, then its body: with Nagle
/// on, a body shorter than a segment waits for the ACK of the head, which the client delays
/// (40 ms on Linux), so every small answer on a kept-alive connection and the tail of every
/// media answer would come 40 ms late.
fn no_delay(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)
}

/// A TCP stream whose reads and writes time out (see the module docs).
struct Timed {
    stream: TcpStream,
    timeouts: Timeouts,
    /// When the first byte of the request being read arrived; `None` between requests.
    request_start: Option<tokio::time::Instant>,
}

impl Timed {
    /// A response is being written: the request is complete.
    fn answering(&mut self) {
        self.request_start = None;
    }
}

impl embedded_io_async::ErrorType for Timed {
    type Error = io::Error;
}

impl embedded_io_async::Read for Timed {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let limit = match self.request_start {
            None => self.timeouts.idle,
            Some(start) => self.timeouts.request.saturating_sub(start.elapsed()),
        };
        let n = within(limit, self.stream.read(buf)).await?;
        if n > 0 && self.request_start.is_none() {
            self.request_start = Some(tokio::time::Instant::now());
        }
        Ok(n)
    }
}

/// Files go out with `sendfile(2)`: from the page cache to the socket without a copy through
/// user space (what MiniDLNA does too), waiting for the socket to be writable in between.
impl Transmit<MediaFile> for Timed {
    async fn transmit(
        &mut self,
        file: &mut MediaFile,
        first: u64,
        len: u64,
        _buf: &mut [u8],
    ) -> io::Result<bool> {
        let (Ok(mut offset), Ok(end)) =
            (i64::try_from(first), i64::try_from(first.saturating_add(len)))
        else {
            return Ok(false);
        };
        self.answering();
        let file = file.file.inner();
        while offset < end {
            let chunk = usize::try_from(end - offset).unwrap_or(usize::MAX).min(SENDFILE_CHUNK);
            within(self.timeouts.stall, self.stream.writable()).await?;
            let sent = self.stream.try_io(Interest::WRITABLE, || {
                sendfile64(&self.stream, file, Some(&mut offset), chunk).map_err(io::Error::from)
            });
            match sent {
                // The file is shorter than announced: the framing is broken, the caller closes.
                Ok(0) => return Ok(false),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

/// Most bytes one `sendfile` call is asked for, so a huge range still yields to the runtime.
const SENDFILE_CHUNK: usize = 4 << 20;

impl embedded_io_async::Write for Timed {
    async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // `100 Continue` invites the body of the request still being read.
        if !buf.starts_with(b"HTTP/1.1 100 ") {
            self.answering();
        }
        within(self.timeouts.stall, self.stream.write(buf)).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        within(self.timeouts.stall, self.stream.flush()).await
    }
}

async fn within<T>(limit: Duration, io: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    tokio::time::timeout(limit, io).await.unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: keep-alive answers with short bodies came 40 ms late (the 340 requests of
    /// `random_ranges_on_every_kind_of_file` in `tests/tests/playback.rs` took 13.5 s instead
    /// of 0.7 s).
    #[tokio::test]
    async fn accepted_connections_send_without_delay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        assert!(!accepted.nodelay().unwrap(), "Nagle is on by default");
        no_delay(&accepted).unwrap();
        assert!(accepted.nodelay().unwrap());
        drop(client);
    }
}
