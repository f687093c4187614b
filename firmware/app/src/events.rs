//! The GENA event sender: drives `rill_core`'s subscription table with embassy-time and
//! delivers its NOTIFYs over one embassy-net TCP socket.
//!
//! The table (in the [`Appliance`]) decides everything: which events are due, their bytes,
//! moderation, expiry. This task asks it for the next NOTIFY that is due, writes it into a
//! buffer of [`MAX_NOTIFY`] bytes, and sends it on a fresh connection to the callback address:
//! connect, write, read the status line, close, each step within [`DELIVERY_TIMEOUT`] in all.
//! The outcome (a 2xx status or not) goes back to the table, which keeps one NOTIFY per
//! subscription in flight, so they arrive in SEQ order, and drops subscribers that fail
//! repeatedly. With nothing due, the task sleeps until the table's `poll_at` or until a
//! SUBSCRIBE or UNSUBSCRIBE went through [`Env::with_events`](rill_core::server::Env), which
//! signals it.
//!
//! The callback is at the subscriber's own IP address (the table refuses others), so the
//! appliance never sends requests to third parties. Deliveries go one at a time over the one
//! socket: an unresponsive subscriber delays the others by at most [`DELIVERY_TIMEOUT`]. The
//! library never changes after boot, so in practice each subscription gets its initial event
//! only.

use core::net::SocketAddr;

use embassy_futures::select::select;
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpAddress, IpEndpoint, Stack};
use embassy_time::{with_timeout, Duration, Instant as Clock, Timer};
use embedded_io_async::Write as _;
use embedded_sdmmc::BlockDevice;
use rill_core::gena::MAX_NOTIFY;
use rill_core::server::Env as _;

use crate::appliance::Appliance;
use crate::http;

/// How long one NOTIFY may take, from connecting to reading the subscriber's status line.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(3);
/// The socket's receive window: only the subscriber's status line is read (`HTTP/1.1 200 OK`
/// and some slack for a long reason phrase); the rest of its answer is left unread.
pub const SOCKET_RX: usize = 256;
/// The socket's send buffer. A NOTIFY is mostly under 1 KiB (ContentDirectory's events); the
/// largest (ConnectionManager's initial event, up to [`MAX_NOTIFY`]) goes out in several fills.
pub const SOCKET_TX: usize = 2 * 1024;
/// Bytes of the answer searched for the end of the status line.
const STATUS_MAX: usize = 64;

/// The sender's memory: the NOTIFY being sent and its socket's buffers, about 10.3 KiB.
pub struct Buffers {
    notify: [u8; MAX_NOTIFY],
    socket_rx: [u8; SOCKET_RX],
    socket_tx: [u8; SOCKET_TX],
}

impl Buffers {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        Buffers { notify: [0; MAX_NOTIFY], socket_rx: [0; SOCKET_RX], socket_tx: [0; SOCKET_TX] }
    }
}

impl Default for Buffers {
    fn default() -> Self {
        Self::new()
    }
}

/// Sends the NOTIFYs of `appliance`'s subscription table as they fall due, forever.
pub async fn run<D: BlockDevice>(
    stack: Stack<'_>,
    appliance: &Appliance<'_, D>,
    buffers: &mut Buffers,
) -> ! {
    let Buffers { notify, socket_rx, socket_tx } = buffers;
    loop {
        let now = appliance.now();
        let Some(due) = appliance.events(|table| table.poll_notify(now, notify)) else {
            let wake = appliance.events(|table| table.poll_at());
            let sleep = async {
                match wake {
                    Some(at) => Timer::at(Clock::from_micros(at.as_micros())).await,
                    None => core::future::pending().await,
                }
            };
            select(appliance.events_changed(), sleep).await;
            continue;
        };
        let bytes = notify.get(..due.len).unwrap_or_default();
        // The stack is IPv4 only, and the table holds only the addresses of its peers.
        let ok = match due.dst {
            SocketAddr::V4(dst) => {
                let dst = IpEndpoint::new(IpAddress::Ipv4(*dst.ip()), dst.port());
                let mut socket = TcpSocket::new(stack, socket_rx, socket_tx);
                socket.set_timeout(Some(DELIVERY_TIMEOUT));
                let status = with_timeout(DELIVERY_TIMEOUT, deliver(&mut socket, dst, bytes)).await;
                http::finish(&mut socket).await;
                let ok = matches!(status, Ok(Some(200..=299)));
                if !ok {
                    debug!("GENA: NOTIFY SEQ {} to {} failed", due.seq, dst);
                }
                ok
            }
            SocketAddr::V6(_) => false,
        };
        appliance.events(|table| table.delivered(due.delivery, ok));
    }
}

/// Sends one NOTIFY on `socket` and returns the status code of the answer, if one came.
async fn deliver(socket: &mut TcpSocket<'_>, dst: IpEndpoint, bytes: &[u8]) -> Option<u16> {
    socket.connect(dst).await.ok()?;
    socket.write_all(bytes).await.ok()?;
    socket.flush().await.ok()?;
    let mut answer = [0u8; STATUS_MAX];
    let mut len = 0;
    while len < STATUS_MAX && !answer.get(..len)?.windows(2).any(|w| w == b"\r\n") {
        let n = socket.read(answer.get_mut(len..)?).await.ok()?;
        if n == 0 {
            break;
        }
        len += n;
    }
    rill_core::gena::event::answer_status(answer.get(..len)?)
}
