//! HTTP over embassy-net: a fixed number of connection slots, each driving the core's sans-IO
//! [`Connection`] over a TCP socket, plus one slot that answers 503 when they are all busy.
//!
//! smoltcp has no listen backlog: a listening socket takes exactly one connection. Each slot is
//! one socket that listens on port 80, serves its connection to the end, and listens again;
//! the overflow slot does the same but answers every connection with the core's
//! [`busy`](rill_core::server::busy) answer (`503 Service Unavailable` with `Retry-After`), so a
//! client beyond capacity learns so instead of hanging. Each slot's buffers ([`SlotBuffers`])
//! are sized at build time; the connection receives and sends from them and never grows them.
//!
//! Every time limit of a request is the core's ([`Timeouts::connection`], the same values as
//! the host's), enforced by waiting on the socket no longer than the connection's next
//! deadline. Only a peer that vanished (unplugged, crashed) is the TCP stack's: it is detected
//! by keep-alives and retransmissions and dropped after [`Timeouts::dead_peer`]. Each ending of a
//! connection is logged once with its reason (debug, or a warning when it was the appliance's
//! fault) and counted in [`Occupancy::counters`].

use core::cell::Cell;
use core::fmt::Write as _;
use core::net::IpAddr;

use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::signal::Signal;

use embassy_net::tcp::TcpSocket;
use embassy_net::{IpAddress, Stack};
use embassy_time::{with_deadline, with_timeout, Duration, Instant as Clock};
use embedded_io_async::Write;
use embedded_sdmmc::BlockDevice;
use rill_core::server::connection::{self, Config, Counters, Event, Fault, Outgoing};
use rill_core::server::{Connection, Server};
use rill_core::time::Instant;

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
    /// The limits of each request and response, the core's.
    pub connection: connection::Timeouts,
    /// Without any answer from the peer (keep-alives and retransmissions unanswered).
    pub dead_peer: Duration,
}

impl Timeouts {
    /// The core's [`connection::Timeouts::DEFAULT`], dead peer 60 s.
    pub const DEFAULT: Timeouts =
        Timeouts { connection: connection::Timeouts::DEFAULT, dead_peer: Duration::from_secs(60) };
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
    counters: Cell<Counters>,
}

impl Occupancy {
    /// No slot listening yet.
    pub const fn new() -> Self {
        Occupancy {
            free: Cell::new(0),
            changed: Signal::new(),
            counters: Cell::new(Counters::new()),
        }
    }

    /// What the connections of every slot reported so far.
    pub fn counters(&self) -> Counters {
        self.counters.get()
    }

    /// Counts a connection the overflow slot refused ([`Counters::refuse`]); the counts after.
    fn refuse(&self) -> Counters {
        let mut counters = self.counters.get();
        counters.refuse();
        self.counters.set(counters);
        counters
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
        let config = Config { timeouts: timeouts.connection, send_files: false, chunk: TX };
        let (rx, tx) = (&mut buffers.rx[..], &mut buffers.tx[..]);
        let conn = Connection::new(server, &host, peer_ip, config, rx, tx, now());
        drive(&mut socket, conn, occupancy).await;
        finish(&mut socket).await;
    }
}

/// The monotonic time on the core's clock (the same as the appliance's).
fn now() -> Instant {
    Instant::from_micros(Clock::now().as_micros())
}

/// Runs `conn` over `socket` until it is closed (see the loop in the core's
/// [`rill_core::server::connection`] docs).
async fn drive<E: rill_core::server::Env, S: connection::Storage>(
    socket: &mut TcpSocket<'_>,
    mut conn: Connection<'_, E, S>,
    occupancy: &Occupancy,
) {
    #[cfg(feature = "ttfb")]
    let mut ttfb = Ttfb::default();
    loop {
        conn.handle_timeout(now());
        while let Some(event) = conn.poll_event() {
            report(occupancy, &event);
        }
        let Some(deadline) = conn.poll_at() else { return };
        let deadline = Clock::from_micros(deadline.as_micros());
        match conn.poll_transmit(now()) {
            Some(Outgoing::Bytes(bytes)) => {
                #[cfg(feature = "ttfb")]
                ttfb.writing(bytes);
                match with_deadline(deadline, socket.write(bytes)).await {
                    Ok(Ok(n)) => conn.handle_sent(now(), n),
                    Ok(Err(_)) => conn.handle_io_error(),
                    Err(_) => {}
                }
            }
            // Not asked for (`send_files` is off): the connection reads files itself.
            Some(Outgoing::File { .. }) => conn.handle_body_error(),
            None => {
                // Answering may have finished a response: the deadline is the next request's.
                let Some(deadline) = conn.poll_at() else { continue };
                let deadline = Clock::from_micros(deadline.as_micros());
                match with_deadline(deadline, socket.read(conn.receive_buffer())).await {
                    Ok(Ok(0)) => conn.handle_eof(now()),
                    Ok(Ok(n)) => {
                        #[cfg(feature = "ttfb")]
                        ttfb.received();
                        conn.handle_received(now(), n);
                    }
                    Ok(Err(_)) => conn.handle_io_error(),
                    Err(_) => {}
                }
            }
        }
    }
}

/// Counts `event` and logs the ending of a connection once, as the module docs say.
fn report(occupancy: &Occupancy, event: &Event) {
    let mut counters = occupancy.counters.get();
    counters.record(event);
    occupancy.counters.set(counters);
    match *event {
        Event::Served { status, .. } if status >= 500 && status != 503 => {
            warn!("HTTP: answered {}", status);
        }
        Event::Served { .. } => {}
        Event::Closed(close) => match close.fault() {
            Fault::None | Fault::Client => debug!("HTTP: connection ended: {}", close),
            Fault::Server => warn!("HTTP: connection ended: {} ({})", close, counters),
        },
    }
}

/// Answers 503 to every connection that comes while no slot listens, forever.
pub async fn busy(
    stack: Stack<'_>,
    server_header: &str,
    occupancy: &Occupancy,
    buffers: &mut BusyBuffers,
) -> ! {
    let len = rill_core::server::busy(&mut buffers.head, server_header).unwrap_or(0);
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
        warn!("HTTP: all slots busy, answering 503 ({})", occupancy.refuse());
        // Wait briefly for the request so the answer does not race it; its content is moot.
        let mut scratch = [0u8; 64];
        let _ = with_timeout(Duration::from_millis(500), socket.read(&mut scratch)).await;
        let head = buffers.head.get(..len).unwrap_or_default();
        let _ = with_timeout(Duration::from_secs(2), socket.write_all(head)).await;
        finish(&mut socket).await;
    }
}

/// Closes a connection: our FIN after everything written, a bounded wait for the peer to take
/// it, then the slot is free whatever the peer does.
pub(crate) async fn finish(socket: &mut TcpSocket<'_>) {
    socket.close();
    let _ = with_timeout(Duration::from_secs(2), socket.flush()).await;
    socket.abort();
    let _ = with_timeout(Duration::from_millis(100), socket.flush()).await;
}

/// With feature `ttfb` (the time-to-first-byte bench): logs, for a media answer, the time
/// from the request's first byte read to its head's write and to its body's first write (after
/// a seek: the seek, then the first chunk decoded). Only media heads carry
/// `transferMode.dlna.org`.
#[cfg(feature = "ttfb")]
#[derive(Default)]
struct Ttfb {
    /// When the first byte of the request being read arrived.
    request: Option<Clock>,
    /// When the media request being answered arrived and its head went out.
    media_answer: Option<(Clock, Clock)>,
}

#[cfg(feature = "ttfb")]
impl Ttfb {
    /// Bytes of a request arrived.
    fn received(&mut self) {
        self.request.get_or_insert_with(Clock::now);
    }

    /// `bytes` are about to be written: the first write after a request is its head.
    fn writing(&mut self, bytes: &[u8]) {
        const MEDIA: &[u8] = b"transferMode.dlna.org";
        let now = Clock::now();
        if let Some(arrived) = self.request.take() {
            let media = bytes.windows(MEDIA.len()).any(|w| w == MEDIA);
            self.media_answer = media.then_some((arrived, now));
        } else if let Some((arrived, head)) = self.media_answer.take() {
            info!(
                "HTTP: media answer: head {} us, first body byte {} us after the request",
                (head - arrived).as_micros(),
                (now - arrived).as_micros()
            );
        }
    }
}
