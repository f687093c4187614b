//! `server`: whole connections through [`Server::serve`].
//!
//! Input: a selector byte, then what the client sends. The selector is the size of each read
//! the connection delivers (0 for everything at once), so heads and bodies arrive split at every
//! place. The server has the [`fixture`] library with its files in memory, and a fixed clock.
//!
//! The connection accepts at most [`MAX_OUTPUT`] bytes of answers and then fails its writes,
//! which bounds the work a pipeline of media requests asks for; the future is polled a bounded
//! number of times (the in-memory connection is always ready, so it never needs more than one).
//!
//! The answers must be framed exactly: a sequence of response heads that parse (httparse), each
//! with a `Content-Length` that its body matches, transcoded renditions included (the fixture
//! files are intact, so a short body is a bug). Only the last answer may be cut, by the output
//! limit. After a `HEAD` no body follows, so where the input holds `HEAD`, a head directly
//! followed by the next head is accepted too.

use core::cell::RefCell;
use core::future::Future;
use core::net::{IpAddr, Ipv4Addr};
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use embedded_io_async::ErrorKind;
use rill_core::gena::Subscriptions;
use rill_core::http::request::Limits;
use rill_core::library::{FileInfo, FileRef, Library};
use rill_core::profile::Clients;
use rill_core::server::{Env, Server, CLIENTS, MIN_TX, SUBSCRIPTIONS};
use rill_core::time::Instant;
use rill_core::upnp::description::Device;

use super::fixture;
use super::mem::Mem;

/// Bytes of answers the connection takes before its writes fail.
pub const MAX_OUTPUT: usize = 4 << 20;

/// The platform: the fixture library and files, a fixed clock.
struct FuzzEnv {
    clients: RefCell<Clients<CLIENTS>>,
    events: RefCell<Subscriptions<SUBSCRIPTIONS>>,
}

impl Env for FuzzEnv {
    type File = Mem<'static>;

    fn with_library<R>(&self, f: impl FnOnce(&Library) -> R) -> R {
        f(fixture::library())
    }

    fn open(&self, file: &FileRef<'_>) -> Option<(Mem<'static>, u64)> {
        let path = file.to_string();
        let (_, data) = fixture::FILES.iter().find(|(p, _)| *p == path)?;
        Some((Mem::new(data), data.len() as u64))
    }

    fn open_art(&self, file: &FileRef<'_>, _: FileInfo) -> Option<(Mem<'static>, u64)> {
        // The fixture has no thumbnails of its own: the file stands in for one.
        self.open(file)
    }

    fn unix_time(&self) -> Option<u64> {
        Some(1_700_000_000)
    }

    fn now(&self) -> Instant {
        Instant::from_millis(1)
    }

    fn with_clients<R>(&self, f: impl FnOnce(&mut Clients<CLIENTS>) -> R) -> R {
        f(&mut self.clients.borrow_mut())
    }

    fn with_events<R>(&self, f: impl FnOnce(&mut Subscriptions<SUBSCRIPTIONS>) -> R) -> R {
        f(&mut self.events.borrow_mut())
    }
}

/// The client's bytes in, `chunk` at a time; the answers kept.
struct Conn<'a> {
    input: &'a [u8],
    chunk: usize,
    output: Vec<u8>,
}

/// Files are sent the default way, through the send buffer (as on the firmware).
impl rill_core::server::Transmit<Mem<'static>> for Conn<'_> {}

impl embedded_io_async::ErrorType for Conn<'_> {
    type Error = ErrorKind;
}

impl embedded_io_async::Read for Conn<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        let n = self.input.len().min(buf.len()).min(self.chunk);
        let (now, later) = self.input.split_at(n);
        buf[..n].copy_from_slice(now);
        self.input = later;
        Ok(n)
    }
}

impl embedded_io_async::Write for Conn<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        if self.output.len() + buf.len() > MAX_OUTPUT {
            return Err(ErrorKind::OutOfMemory);
        }
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// The `server` target.
pub fn server(data: &[u8]) {
    let Some((&chunk, input)) = data.split_first() else { return };
    let env = FuzzEnv {
        clients: RefCell::new(Clients::new()),
        events: RefCell::new(Subscriptions::new(1)),
    };
    let device = Device::rill("Fuzz", "uuid:00000000-0000-4000-8000-000000000000", &[]);
    let server =
        Server::new(&env, device, "Linux/6.1 UPnP/1.0 DLNADOC/1.50 Rill/0.1.0", Limits::DEFAULT);
    let chunk = if chunk == 0 { usize::MAX } else { usize::from(chunk) };
    let mut conn = Conn { input, chunk, output: Vec::new() };
    let (mut rx, mut tx) = (vec![0u8; 16 * 1024], vec![0u8; MIN_TX * 2]);
    let peer = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20));
    let served = block_on(server.serve(&mut conn, &mut rx, &mut tx, "192.168.1.10:8200", peer));
    // The in-memory connection fails only at the output limit.
    let cut = served.is_err();
    let heads = input.windows(4).any(|w| w == b"HEAD");
    check_framing(&conn.output, heads, cut);
}

/// Checks that `out` is a sequence of exactly framed responses (see the module docs).
fn check_framing(mut out: &[u8], heads: bool, cut: bool) {
    while !out.is_empty() {
        let mut storage = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut storage);
        let n = match response.parse(out) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if cut => return,
            other => panic!("bad response head ({other:?}) in {:?}", String::from_utf8_lossy(out)),
        };
        if response.code == Some(100) {
            out = &out[n..];
            continue;
        }
        let length = response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| std::str::from_utf8(h.value).ok()?.parse::<usize>().ok())
            .expect("every final response has a Content-Length");
        let rest = &out[n..];
        if heads && (rest.is_empty() || rest.starts_with(b"HTTP/1.")) {
            out = rest;
            continue;
        }
        match rest.get(length..) {
            Some(next) => out = next,
            None => {
                assert!(cut, "a body of {} bytes for Content-Length {length}", rest.len());
                return;
            }
        }
    }
}

/// Runs a future whose I/O is always ready to completion.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("the server did not finish over an always-ready connection");
}
