//! One HTTP connection: `rill_core`'s sans-IO [`Connection`] driven over a tokio TCP stream.
//!
//! The whole HTTP side (parsing, limits, keep-alive, `100 Continue`, every timeout, the answers
//! and the bodies of transcodes) is the core's, shared with the firmware. This module provides
//! what the core asks of a platform ([`Env`]: the library behind its lock, files from the served
//! folders, the clocks, the player table, the event subscriptions) and the socket: it reads
//! into the connection's buffer, writes what it hands out, sends files with `sendfile(2)`, and
//! waits for the socket no longer than the connection's next deadline. Every call that may
//! block on a file (answering a media request, producing a transcode's next chunk, a
//! `sendfile` of a span not all in the page cache) runs on a place of the bounded
//! [`pool`], which answers a new request 503 when it stays full, and goes on
//! sending there while the socket takes it (`push`); the rest never leaves the async workers.
//! A request for a file as it is whose open cannot block is answered on the worker, the file
//! opened first ([`crate::opened`]), and its cached spans sent there too.
//!
//! Each event is counted in [`Shared::counters`] and logged once: a connection that ended by
//! the client's doing (it went away, took too long, sent garbage) at debug level, by Rill's
//! (a file that cannot be read, a damaged stream, no memory) as a warning, and so is every
//! answer with a 5xx status other than the 503 of a full server. Why a transcoded stream could
//! not be opened (damaged, over the stream budget, no memory: the 500 or 503 alone does not
//! say) is logged as a warning too, as the core reports it (`Env::stream_refused`).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::sys::sendfile::sendfile64;
use rill_core::gena::Subscriptions;
use rill_core::http::request::RequestLimits;
use rill_core::library::{FileInfo, FileRef, Library};
use rill_core::player::Clients;
use rill_core::server::connection::{Close, Config, Counters, Event, Fault, Growable, Outgoing};
use rill_core::server::{Connection, Env, Server, Unavailable, CLIENTS, SUBSCRIPTIONS};
use rill_core::time::Instant;
use rill_core::upnp::bookmarks::Bookmarks;
use rill_core::upnp::description::Device;
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::TcpStream;

pub use rill_core::server::connection::Timeouts;

use crate::answers::Answers;
use crate::opened::{self, Opened};
use crate::playing::{MediaFile, Playing};
use crate::pool::{self, Place, Pool};
use crate::remux::{self, Remuxer};
use crate::storage::Storage;
use crate::{art, bookmarks, page_cache};

/// Receive buffer per connection at first: real players' request heads are well under
/// 1 KiB. It grows for a longer head, or a SOAP body, up to [`RX_MAX`], and shrinks back.
const RX_START: usize = 2 * 1024;

/// Largest receive buffer: a request head (8 KiB) plus the largest body (64 KiB), as
/// [`RequestLimits::DEFAULT`] allows.
const RX_MAX: usize = 80 * 1024;

/// Chunk of a transcoded stream: the send buffer while one is sent (files go with `sendfile`,
/// SOAP answers from their own buffer; between responses there is none).
const CHUNK: usize = 64 * 1024;

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
    /// Marked changed when the library changes ([`crate::events::publish`]) or a new player
    /// enters the player table, for whoever shows what the server serves
    /// ([`crate::notify`]'s `STATUS=`).
    pub changes: tokio::sync::watch::Sender<()>,
    /// What the HTTP connections reported (see the module docs).
    pub counters: Mutex<Counters>,
    /// The streams now playing.
    pub playing: Arc<Playing>,
    /// The playback positions Samsung TVs set (in memory only unless replaced by a loaded one).
    pub bookmarks: bookmarks::Store,
    /// Where connections run what blocks on files.
    pub pool: Pool,
    /// How each served folder's changes are found ([`crate::mounts`]), for `rill status`.
    pub following: crate::mounts::Following,
    /// The library index's writer, if there is an index: the art cache tells it of the
    /// thumbnails it made ([`crate::art`]).
    pub index: std::sync::OnceLock<crate::index::Writer>,
    /// `ffmpeg`, if found on `PATH` at start: videos are then remuxed for players that need it.
    pub remuxer: Option<Remuxer>,
    /// Buffers of sent answers, lent to the next ones.
    pub answers: Answers,
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
            changes: tokio::sync::watch::Sender::new(()),
            counters: Mutex::new(Counters::default()),
            playing: Arc::default(),
            bookmarks: bookmarks::Store::default(),
            pool: Pool::default(),
            following: crate::mounts::Following::default(),
            index: std::sync::OnceLock::new(),
            remuxer: Remuxer::find(),
            answers: Answers::default(),
        }
    }

    /// Counts a connection refused because every slot was taken ([`Counters::refuse`]).
    pub fn refused(&self) {
        self.counters.lock().unwrap_or_else(PoisonError::into_inner).refuse();
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
        let root = usize::from(file.root);
        match opened::take(root, &rel).map_or_else(|| self.storage.open(root, &rel), Ok) {
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
        let (result, grew) = {
            let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
            let before = clients.len();
            let result = f(&mut clients);
            (result, clients.len() != before)
        };
        if grew {
            self.changes.send_replace(());
        }
        result
    }

    fn with_bookmarks<R>(&self, f: impl FnOnce(&mut Bookmarks) -> R) -> R {
        self.bookmarks.with(f)
    }

    fn with_events<R>(&self, f: impl FnOnce(&mut Subscriptions<SUBSCRIPTIONS>) -> R) -> R {
        let out = f(&mut self.events.lock().unwrap_or_else(PoisonError::into_inner));
        self.events_changed.notify_one();
        out
    }

    fn opus_decoder(&self) -> Option<rill_core::transcode::OpusDecoder> {
        Some(Box::new(crate::opus::LibOpus::new()))
    }

    fn remuxes(&self) -> bool {
        self.remuxer.is_some()
    }

    fn open_remux(
        &self,
        file: &FileRef<'_>,
        plan: &rill_core::player::Remux,
        start_us: u64,
    ) -> Result<(Self::File, u64), Unavailable> {
        let remuxer = self.remuxer.as_ref().ok_or(Unavailable::Gone)?;
        let rel: PathBuf = file.components().collect();
        let input = match self.storage.open(usize::from(file.root), &rel) {
            Ok((input, _)) => input,
            Err(e) => {
                tracing::warn!(path = %rel.display(), "cannot open a video to remux: {e}");
                return Err(Unavailable::Gone);
            }
        };
        match remuxer.start(input, plan, start_us) {
            Ok((output, process, started)) => {
                tracing::debug!(path = %rel.display(), pid = process.id(), started, "remuxing");
                let stream = self.playing.start(file.to_string());
                Ok((MediaFile::remux(output, stream, process), started))
            }
            Err(remux::Error::Busy) => {
                tracing::warn!(path = %rel.display(), "remux refused with 503: {}", remux::Error::Busy);
                Err(Unavailable::Busy)
            }
            Err(e) => {
                tracing::warn!(path = %rel.display(), "remux not started: {e}");
                Err(Unavailable::Gone)
            }
        }
    }

    fn answer_buffer(&self) -> Vec<u8> {
        self.answers.take()
    }

    fn answer_sent(&self, buffer: Vec<u8>) {
        self.answers.give(buffer);
    }

    fn stream_refused(&self, reason: &rill_core::transcode::Error) {
        tracing::warn!("a transcoded stream could not be opened: {reason}");
    }

    fn caption_refused(&self, file: &FileRef<'_>, reason: &rill_core::server::CaptionError) {
        tracing::warn!(path = %file, "subtitle not served: {reason}");
    }
}

/// Serves one accepted connection until it ends; what happened is logged and counted.
pub async fn serve(mut stream: TcpStream, shared: Arc<Shared>, timeouts: Timeouts) {
    let (local, peer) = match (stream.local_addr(), stream.peer_addr(), no_delay(&stream)) {
        (Ok(local), Ok(peer), Ok(())) => (local, peer),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => {
            tracing::debug!("connection lost before it was served: {e}");
            let gone = Event::Closed(Close::ClientGone);
            shared.counters.lock().unwrap_or_else(PoisonError::into_inner).record(&gone);
            return;
        }
    };
    let device = Device::rill(&shared.name, &shared.udn, &[]);
    let server = Server::new(&*shared, device, &shared.server, RequestLimits::DEFAULT);
    let host = local.to_string();
    let config = Config { timeouts, send_files: true, chunk: CHUNK };
    let (rx, tx) = (Growable::new(RX_START, RX_MAX), Growable::new(0, CHUNK));
    let mut conn = Connection::new(&server, &host, peer.ip(), config, rx, tx, shared.now());
    loop {
        conn.handle_timeout(shared.now());
        while let Some(event) = conn.poll_event() {
            report(&shared, peer, event);
        }
        let Some(deadline) = conn.poll_at() else { return };
        let deadline = shared.instant(deadline);
        if conn.produces() || (conn.is_sending() && conn.opens_files(0)) {
            // Wait until the socket takes bytes, so the place is not taken for nothing.
            if tokio::time::timeout_at(deadline, stream.writable()).await.is_err() {
                continue;
            }
            let Some(place) = place(&shared, &mut conn, peer, deadline).await else { continue };
            place.run(|| push(&shared, &mut conn, &stream, peer));
            continue;
        }
        match conn.poll_transmit(shared.now()) {
            Some(Outgoing::Bytes(bytes)) => {
                match tokio::time::timeout_at(deadline, stream.write(bytes)).await {
                    Ok(Ok(n)) => sent(&shared, &mut conn, peer, deadline, n).await,
                    Ok(Err(e)) => gone(&mut conn, peer, &e),
                    Err(_) => {}
                }
            }
            Some(Outgoing::File { file, offset, len }) => {
                let file = file.file.inner();
                if !page_cache::holds(file, offset, len.min(SENDFILE_CHUNK as u64)) {
                    // The file may block: the span goes from a place, once the socket takes it.
                    if tokio::time::timeout_at(deadline, stream.writable()).await.is_ok() {
                        if let Some(place) = place(&shared, &mut conn, peer, deadline).await {
                            place.run(|| push(&shared, &mut conn, &stream, peer));
                        }
                    }
                    continue;
                }
                match tokio::time::timeout_at(deadline, send_file(&stream, file, offset, len)).await
                {
                    Ok(Ok(n)) => sent(&shared, &mut conn, peer, deadline, n).await,
                    Ok(Err(e)) => file_failed(&mut conn, peer, e),
                    Err(_) => {}
                }
            }
            None => {
                // Answering may have finished a response: the deadline is the next request's.
                let Some(deadline) = conn.poll_at() else { continue };
                let deadline = shared.instant(deadline);
                let read = stream.read(conn.receive_buffer());
                match tokio::time::timeout_at(deadline, read).await {
                    Ok(Ok(0)) if conn.opens_files(0) => {
                        if let Some(file) = open_cached(&shared, &conn, 0) {
                            file.answer(|| conn.handle_eof(shared.now()));
                            continue;
                        }
                        let Some(place) = place(&shared, &mut conn, peer, deadline).await else {
                            continue;
                        };
                        place.run(|| {
                            conn.handle_eof(shared.now());
                            push(&shared, &mut conn, &stream, peer);
                        });
                    }
                    Ok(Ok(0)) => conn.handle_eof(shared.now()),
                    Ok(Ok(n)) if conn.opens_files(n) => {
                        if let Some(file) = open_cached(&shared, &conn, n) {
                            file.answer(|| conn.handle_received(shared.now(), n));
                            continue;
                        }
                        let Some(place) = place(&shared, &mut conn, peer, deadline).await else {
                            continue;
                        };
                        place.run(|| {
                            conn.handle_received(shared.now(), n);
                            push(&shared, &mut conn, &stream, peer);
                        });
                    }
                    Ok(Ok(n)) => conn.handle_received(shared.now(), n),
                    Ok(Err(e)) => gone(&mut conn, peer, &e),
                    Err(_) => {}
                }
            }
        }
    }
}

/// The connection of one accepted socket, as [`serve`] drives it.
type Conn<'a> = Connection<'a, Shared, Growable>;

/// Most bytes [`push`] sends in one turn on a place, so a fast client of a long stream lets
/// the place go now and then: a few seconds of an L16 stream, and more than the largest
/// ranges players ask for.
const PUSH_MAX: usize = 1 << 20;

/// On a place: sends what `conn` has for the socket for as long as the socket takes it without
/// waiting (and at most [`PUSH_MAX`] bytes), producing transcoded chunks and reading files as
/// it goes, which may block. So one hand-over to the pool answers a media request, head and
/// body, or streams several chunks, instead of one hand-over per step. Returns when the socket
/// is full, the connection waits for the client, or it closed.
fn push(shared: &Shared, conn: &mut Conn<'_>, stream: &TcpStream, peer: SocketAddr) {
    let mut pushed = 0usize;
    while pushed < PUSH_MAX {
        while let Some(event) = conn.poll_event() {
            report(shared, peer, event);
        }
        let sent = match conn.poll_transmit(shared.now()) {
            Some(Outgoing::Bytes(bytes)) => stream.try_write(bytes).map_err(SendError::Socket),
            Some(Outgoing::File { file, offset, len }) => {
                sendfile(stream, file.file.inner(), offset, len)
            }
            None => return,
        };
        match sent {
            Ok(n) => {
                pushed = pushed.saturating_add(n);
                conn.handle_sent(shared.now(), n);
            }
            Err(SendError::Socket(e)) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => return file_failed(conn, peer, e),
        }
    }
}

/// Reports `n` bytes sent at `deadline`'s loop turn; finishing the response may answer a
/// pipelined request that needs a file, which then runs on the pool.
async fn sent(
    shared: &Shared,
    conn: &mut Conn<'_>,
    peer: SocketAddr,
    deadline: tokio::time::Instant,
    n: usize,
) {
    if !conn.opens_files(0) {
        return conn.handle_sent(shared.now(), n);
    }
    if let Some(file) = open_cached(shared, conn, 0) {
        return file.answer(|| conn.handle_sent(shared.now(), n));
    }
    // Without a place by the deadline, the connection times out at the next turn.
    if let Some(place) = place(shared, conn, peer, deadline).await {
        place.run(|| conn.handle_sent(shared.now(), n));
    }
}

/// The file the next request on `conn` opens (with `unread` bytes just read), opened here if
/// that cannot block ([`crate::opened`]): that request is then answered on the worker.
fn open_cached(shared: &Shared, conn: &Conn<'_>, unread: usize) -> Option<Opened> {
    conn.with_file_to_open(unread, |file| Opened::open(&shared.storage, file)).flatten()
}

/// A place in the pool for the next call on `conn`, which may block on a file. A new request
/// gets [`pool::WAIT`] at most, then is answered 503 (`None`); anything else waits until the
/// connection's `deadline` (`None`: it has passed, and the next turn ends the connection).
async fn place<'p>(
    shared: &'p Shared,
    conn: &mut Conn<'_>,
    peer: SocketAddr,
    deadline: tokio::time::Instant,
) -> Option<Place<'p>> {
    let soon = deadline.min(tokio::time::Instant::now() + pool::WAIT);
    if let Ok(place) = tokio::time::timeout_at(soon, shared.pool.enter()).await {
        return place;
    }
    if conn.handle_busy(shared.now()) {
        tracing::warn!(
            %peer,
            "request refused with 503: all {} places of the file pool stayed busy for {:?}",
            pool::SIZE,
            pool::WAIT
        );
        return None;
    }
    tokio::time::timeout_at(deadline, shared.pool.enter()).await.ok().flatten()
}

/// The socket failed: the client is gone (reset, broken pipe).
fn gone(conn: &mut Conn<'_>, peer: SocketAddr, e: &io::Error) {
    tracing::trace!(%peer, "socket error: {e}");
    conn.handle_io_error();
}

/// Sending a body failed, by the file's fault or the socket's.
fn file_failed(conn: &mut Conn<'_>, peer: SocketAddr, e: SendError) {
    match e {
        SendError::File(e) => {
            // The warning is the connection's ending, reported once.
            tracing::debug!(%peer, "cannot send a file: {e}");
            conn.handle_body_error();
        }
        SendError::Socket(e) => gone(conn, peer, &e),
    }
}

/// Counts `event` and logs it as the module docs say.
fn report(shared: &Shared, peer: SocketAddr, event: Event) {
    shared.counters.lock().unwrap_or_else(PoisonError::into_inner).record(&event);
    match event {
        Event::Served { status, bytes } if status >= 500 && status != 503 => {
            tracing::warn!(%peer, status, bytes, "answered with a server error");
        }
        Event::Served { status, bytes } => tracing::trace!(%peer, status, bytes, "answered"),
        Event::Closed(close) => match close.fault() {
            Fault::None | Fault::Client => tracing::debug!(%peer, "connection ended: {close}"),
            Fault::Server => tracing::warn!(%peer, "connection ended: {close}"),
        },
    }
}

/// Why [`sendfile`] failed.
enum SendError {
    /// Reading the file failed, or it ended before the span did.
    File(io::Error),
    /// Writing the socket failed (`WouldBlock`: the socket is full).
    Socket(io::Error),
}

/// Sends up to `len` bytes of `file` from `offset` with `sendfile(2)`, once the socket is
/// writable: only for a span in the page cache ([`page_cache::holds`]), on the async worker.
async fn send_file(
    stream: &TcpStream,
    file: &std::fs::File,
    offset: u64,
    len: u64,
) -> Result<usize, SendError> {
    loop {
        stream.writable().await.map_err(SendError::Socket)?;
        match sendfile(stream, file, offset, len) {
            Err(SendError::Socket(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
            sent => return sent,
        }
    }
}

/// Sends up to `len` bytes of `file` from `offset` with one `sendfile(2)`: from the page cache
/// to the socket without a copy through user space (what MiniDLNA does too), as much as the
/// socket takes now (none: `WouldBlock`). Blocks while the file's storage reads, so it runs on
/// a place of the pool unless the span is cached. Returns the bytes sent; a file that ended
/// early is a [`SendError::File`].
fn sendfile(
    stream: &TcpStream,
    file: &std::fs::File,
    offset: u64,
    len: u64,
) -> Result<usize, SendError> {
    use nix::errno::Errno;
    let mut offset = i64::try_from(offset).map_err(|e| SendError::File(io::Error::other(e)))?;
    let chunk = usize::try_from(len).unwrap_or(usize::MAX).min(SENDFILE_CHUNK);
    let mut failed = None;
    let sent = stream.try_io(Interest::WRITABLE, || {
        sendfile64(stream, file, Some(&mut offset), chunk).map_err(|e| match e {
            Errno::EAGAIN => io::ErrorKind::WouldBlock.into(),
            // Errors of the input file (sendfile(2)): an I/O error, or no such span.
            Errno::EIO | Errno::EINVAL | Errno::EOVERFLOW | Errno::ESPIPE => {
                failed = Some(e);
                io::Error::from(e)
            }
            e => io::Error::from(e),
        })
    });
    match sent {
        Ok(0) if chunk > 0 => {
            Err(SendError::File(io::Error::new(io::ErrorKind::UnexpectedEof, "the file ended")))
        }
        Ok(n) => Ok(n),
        Err(e) if failed.is_some() => Err(SendError::File(e)),
        Err(e) => Err(SendError::Socket(e)),
    }
}

/// Most bytes one `sendfile` call is asked for, so a huge range still yields to the runtime.
const SENDFILE_CHUNK: usize = 4 << 20;

/// Turns Nagle's algorithm off. The server writes a response head, then its body: with Nagle
/// on, a body shorter than a segment waits for the ACK of the head, which the client delays
/// (40 ms on Linux), so every small answer on a kept-alive connection and the tail of every
/// media answer would come 40 ms late.
fn no_delay(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)
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
