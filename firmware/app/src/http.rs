//! HTTP over embassy-net: a fixed number of connection slots running the core's
//! `Server::serve`, plus one slot that answers 503 when they are all busy.
//!
//! smoltcp has no listen backlog: a listening socket takes exactly one connection. Each slot is
//! one socket that listens on port 80, serves its connection to the end, and listens again;
//! the overflow slot does the same but answers every connection with `503 Service Unavailable`
//! and `Retry-After`, so a client beyond capacity learns so instead of hanging. Each slot's
//! buffers ([`SlotBuffers`]) are sized at build time.
//!
//! Slots are reclaimed from clients that stop playing their part (see [`Timeouts`]):
//! - waiting for a request: at most [`Timeouts::idle`] for its first byte;
//! - once it has begun, its head and body must arrive within [`Timeouts::header`] (a client
//!   that trickles a header byte at a time cannot hold a slot);
//! - a write may wait [`Timeouts::stall`] for the client to read (a paused player stops
//!   reading, DLNA's connection stall, and resumes later);
//! - a peer that vanished (unplugged, crashed) is detected by TCP keep-alives and
//!   retransmissions and dropped after [`Timeouts::dead_peer`].

use core::cell::Cell;
use core::fmt::Write as _;
use core::net::IpAddr;

use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::signal::Signal;

use embassy_net::tcp::{self, TcpSocket};
use embassy_net::{IpAddress, Stack};
use embassy_time::{with_deadline, with_timeout, Duration, Instant};
use embedded_io_async::{ErrorKind, Write};
use embedded_sdmmc::BlockDevice;
use rill_core::http::request::Version;
use rill_core::http::response::{Head, StatusCode};
use rill_core::http::SliceWriter;
use rill_core::server::{Server, Transmit};

use crate::appliance::Appliance;

/// The HTTP port.
pub const PORT: u16 = 80;
/// Receive buffer for one request: its head and body (a Browse is under 2 KiB).
pub const RX: usize = 4 * 1024;
/// Send buffer: response heads and the chunk of media streaming.
pub const TX: usize = 4 * 1024;
/// The TCP socket's receive window.
pub const SOCKET_RX: usize = 2 * 1024;
/// The TCP socket's send buffer: several segments in flight for throughput.
pub const SOCKET_TX: usize = 8 * 1024;

/// How long clients may take; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Between requests, for the first byte of the next.
    pub idle: Duration,
    /// From the first byte of a request to the last of its body.
    pub header: Duration,
    /// For a client to take what we write.
    pub stall: Duration,
    /// Without any answer from the peer (keep-alives and retransmissions unanswered).
    pub dead_peer: Duration,
}

impl Timeouts {
    /// Idle 30 s, header 10 s, stall 5 min, dead peer 60 s.
    pub const DEFAULT: Timeouts = Timeouts {
        idle: Duration::from_secs(30),
        header: Duration::from_secs(10),
        stall: Duration::from_secs(300),
        dead_peer: Duration::from_secs(60),
    };
}

/// One slot's memory: the socket's buffers and the server's.
pub struct SlotBuffers {
    socket_rx: [u8; SOCKET_RX],
    socket_tx: [u8; SOCKET_TX],
    rx: [u8; RX],
    tx: [u8; TX],
}

impl SlotBuffers {
    /// Zeroed buffers (a `const fn`, so they can live in a `static`).
    pub const fn new() -> Self {
        SlotBuffers {
            socket_rx: [0; SOCKET_RX],
            socket_tx: [0; SOCKET_TX],
            rx: [0; RX],
            tx: [0; TX],
        }
    }
}

impl Default for SlotBuffers {
    fn default() -> Self {
        Self::new()
    }
}

/// The overflow slot's memory: a small socket, since it only says "busy".
pub struct BusyBuffers {
    socket_rx: [u8; 512],
    socket_tx: [u8; 512],
    head: [u8; 256],
}

impl BusyBuffers {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        BusyBuffers { socket_rx: [0; 512], socket_tx: [0; 512], head: [0; 256] }
    }
}

impl Default for BusyBuffers {
    fn default() -> Self {
        Self::new()
    }
}

/// How many slots are listening, so the overflow slot listens only when none is.
pub struct Occupancy {
    free: Cell<usize>,
    changed: Signal<NoopRawMutex, ()>,
}

impl Occupancy {
    /// No slot listening yet.
    pub const fn new() -> Self {
        Occupancy { free: Cell::new(0), changed: Signal::new() }
    }

    fn add(&self, n: isize) {
        self.free.set(self.free.get().saturating_add_signed(n));
        self.changed.signal(());
    }

    /// Waits until `(free slots > 0) == listening`.
    async fn until(&self, listening: bool) {
        while (self.free.get() > 0) != listening {
            self.changed.wait().await;
        }
    }
}

impl Default for Occupancy {
    fn default() -> Self {
        Self::new()
    }
}

/// Serves connections on one slot, forever.
pub async fn slot<D: BlockDevice>(
    stack: Stack<'_>,
    server: &Server<'_, Appliance<'_, D>>,
    occupancy: &Occupancy,
    buffers: &mut SlotBuffers,
    timeouts: Timeouts,
) -> ! {
    loop {
        let mut socket = TcpSocket::new(stack, &mut buffers.socket_rx, &mut buffers.socket_tx);
        socket.set_timeout(Some(timeouts.dead_peer));
        socket.set_keep_alive(Some(timeouts.dead_peer / 4));
        socket.set_nagle_enabled(false);
        occupancy.add(1);
        let accepted = socket.accept(PORT).await;
        occupancy.add(-1);
        if accepted.is_err() {
            continue;
        }
        let (Some(local), Some(peer)) = (socket.local_endpoint(), socket.remote_endpoint()) else {
            continue;
        };
        let mut host = heapless::String::<32>::new();
        let _ = write!(host, "{local}");
        let peer_ip = match peer.addr {
            IpAddress::Ipv4(v4) => IpAddr::V4(v4),
        };
        debug!("HTTP: connection from {}", peer);
        let mut conn = Timed::new(&mut socket, timeouts);
        let served =
            server.serve(&mut conn, &mut buffers.rx, &mut buffers.tx, &host, peer_ip).await;
        match served {
            Ok(()) => {}
            Err(rill_core::server::Error::Io(e)) => debug!("HTTP: {} ended: {}", peer, e),
            Err(rill_core::server::Error::TxTooSmall) => warn!("HTTP: send buffer too small"),
        }
        finish(&mut socket).await;
    }
}

/// Answers 503 to every connection that comes while no slot listens, forever.
pub async fn busy(
    stack: Stack<'_>,
    server_header: &str,
    occupancy: &Occupancy,
    buffers: &mut BusyBuffers,
) -> ! {
    let len = busy_head(&mut buffers.head, server_header);
    loop {
        occupancy.until(false).await;
        let mut socket = TcpSocket::new(stack, &mut buffers.socket_rx, &mut buffers.socket_tx);
        socket.set_timeout(Some(Duration::from_secs(5)));
        // Stop listening as soon as a slot listens again: the connection is the slot's.
        match select(socket.accept(PORT), occupancy.until(true)).await {
            Either::First(Ok(())) => {}
            Either::First(Err(_)) => continue,
            Either::Second(()) => {
                socket.abort();
                continue;
            }
        }
        warn!("HTTP: all slots busy, answering 503");
        // Wait briefly for the request so the answer does not race it; its content is moot.
        let mut scratch = [0u8; 64];
        let _ = with_timeout(Duration::from_millis(500), socket.read(&mut scratch)).await;
        let head = buffers.head.get(..len).unwrap_or_default();
        let _ = with_timeout(Duration::from_secs(2), socket.write_all(head)).await;
        finish(&mut socket).await;
    }
}

/// Writes the overflow answer into `buf`; returns its length.
fn busy_head(buf: &mut [u8], server_header: &str) -> usize {
    let mut head =
        Head::new(SliceWriter::new(buf), Version::Http11, StatusCode::SERVICE_UNAVAILABLE);
    head.header("Server", server_header);
    head.header("Retry-After", 2);
    head.content_length(0);
    head.connection(false);
    head.finish_len().unwrap_or(0)
}

/// Closes a connection: our FIN after everything written, a bounded wait for the peer to take
/// it, then the slot is free whatever the peer does.
pub(crate) async fn finish(socket: &mut TcpSocket<'_>) {
    socket.close();
    let _ = with_timeout(Duration::from_secs(2), socket.flush()).await;
    socket.abort();
    let _ = with_timeout(Duration::from_millis(100), socket.flush()).await;
}

/// A TCP connection whose reads and writes time out as the module docs say.
struct Timed<'a, 's> {
    socket: &'a mut TcpSocket<'s>,
    timeouts: Timeouts,
    /// When the request being read must be complete (`None` between requests).
    request_deadline: Option<Instant>,
    /// With feature `ttfb`: when the media request being answered arrived and its head went out.
    #[cfg(feature = "ttfb")]
    media_answer: Option<(Instant, Instant)>,
}

impl<'a, 's> Timed<'a, 's> {
    fn new(socket: &'a mut TcpSocket<'s>, timeouts: Timeouts) -> Self {
        Timed {
            socket,
            timeouts,
            request_deadline: None,
            #[cfg(feature = "ttfb")]
            media_answer: None,
        }
    }

    /// With feature `ttfb` (the time-to-first-byte bench): logs, for a media answer, the time
    /// from the request's first byte read to its head's write and to its body's first write
    /// (after a seek: the seek, then the first chunk decoded). Called before each write: the
    /// first after a request is the head (whole, on a fresh connection's empty send buffer),
    /// and only media heads carry `transferMode.dlna.org`.
    #[cfg(feature = "ttfb")]
    fn ttfb(&mut self, buf: &[u8]) {
        const MEDIA: &[u8] = b"transferMode.dlna.org";
        let now = Instant::now();
        if let Some(deadline) = self.request_deadline {
            let media = buf.windows(MEDIA.len()).any(|w| w == MEDIA);
            self.media_answer = media.then(|| (deadline - self.timeouts.header, now));
        } else if let Some((arrived, head)) = self.media_answer.take() {
            info!(
                "HTTP: media answer: head {} us, first body byte {} us after the request",
                (head - arrived).as_micros(),
                (now - arrived).as_micros()
            );
        }
    }
}

/// Why a connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConnError {
    /// The peer reset the connection, or TCP gave up on it.
    Reset,
    /// The client took longer than a [`Timeouts`] allows.
    TimedOut,
}

impl core::fmt::Display for ConnError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ConnError::Reset => "connection reset",
            ConnError::TimedOut => "client timed out",
        })
    }
}

impl core::error::Error for ConnError {}

impl embedded_io_async::Error for ConnError {
    fn kind(&self) -> ErrorKind {
        match self {
            ConnError::Reset => ErrorKind::ConnectionReset,
            ConnError::TimedOut => ErrorKind::TimedOut,
        }
    }
}

impl From<tcp::Error> for ConnError {
    fn from(_: tcp::Error) -> Self {
        ConnError::Reset
    }
}

impl embedded_io_async::ErrorType for Timed<'_, '_> {
    type Error = ConnError;
}

impl embedded_io_async::Read for Timed<'_, '_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ConnError> {
        let deadline = self.request_deadline.unwrap_or_else(|| Instant::now() + self.timeouts.idle);
        let n = with_deadline(deadline, self.socket.read(buf))
            .await
            .map_err(|_| ConnError::TimedOut)??;
        if n > 0 && self.request_deadline.is_none() {
            self.request_deadline = Some(Instant::now() + self.timeouts.header);
        }
        Ok(n)
    }
}

impl embedded_io_async::Write for Timed<'_, '_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ConnError> {
        #[cfg(feature = "ttfb")]
        self.ttfb(buf);
        // Answering means the request was read: the next one gets a fresh idle period.
        self.request_deadline = None;
        Ok(with_timeout(self.timeouts.stall, self.socket.write(buf))
            .await
            .map_err(|_| ConnError::TimedOut)??)
    }

    async fn flush(&mut self) -> Result<(), ConnError> {
        Ok(with_timeout(self.timeouts.stall, self.socket.flush())
            .await
            .map_err(|_| ConnError::TimedOut)??)
    }
}

/// Files go out through the send buffer, the default of [`Transmit`]: no zero-copy path here.
impl<F: embedded_io::Read + embedded_io::Seek> Transmit<F> for Timed<'_, '_> {}
