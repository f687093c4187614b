//! `server`: whole connections through the core's sans-IO [`Connection`].
//!
//! Input: a selector byte, then what the client sends. The selector is the size of each read
//! the shell delivers (0 for everything at once), so heads and bodies arrive split at every
//! place; the client then closes its side. The server has the `fixture` library with its files
//! in memory, and a fixed clock; the connection has fixed buffers, as on a board.
//!
//! The shell takes at most [`MAX_OUTPUT`] bytes of answers and then fails its writes, which
//! bounds the work a pipeline of media requests asks for; the loop is bounded too (each turn
//! moves bytes in or out, or ends the connection).
//!
//! The answers must be framed exactly: a sequence of response heads that parse (httparse), each
//! with a `Content-Length` that its body matches, transcoded renditions included (the fixture
//! files are intact, so a short body is a bug). Only the last answer may be cut, by the output
//! limit. After a `HEAD` no body follows, so where the input holds `HEAD`, a head directly
//! followed by the next head is accepted too.

use core::cell::RefCell;
use core::net::{IpAddr, Ipv4Addr};

use rill_core::gena::Subscriptions;
use rill_core::http::request::RequestLimits;
use rill_core::library::{FileInfo, FileRef, Library};
use rill_core::player::Clients;
use rill_core::server::connection::{Config, Event, Fault, Outgoing, Timeouts};
use rill_core::server::{Connection, Env, Server, CLIENTS, MIN_TX, SUBSCRIPTIONS};
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

/// The `server` target.
pub fn server(data: &[u8]) {
    let Some((&chunk, mut input)) = data.split_first() else { return };
    let env = FuzzEnv {
        clients: RefCell::new(Clients::new()),
        events: RefCell::new(Subscriptions::new(1)),
    };
    let device = Device::rill("Fuzz", "uuid:00000000-0000-4000-8000-000000000000", &[]);
    let server = Server::new(
        &env,
        device,
        "Linux/6.1 UPnP/1.0 DLNADOC/1.50 Rill/0.1.0",
        RequestLimits::DEFAULT,
    );
    let chunk = if chunk == 0 { usize::MAX } else { usize::from(chunk) };
    let (mut rx, mut tx) = (vec![0u8; 16 * 1024], vec![0u8; MIN_TX * 2]);
    let peer = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20));
    let config = Config { timeouts: Timeouts::DEFAULT, send_files: false, chunk: MIN_TX * 2 };
    let now = Instant::from_millis(1);
    let (rx, tx) = (&mut rx[..], &mut tx[..]);
    let mut conn = Connection::new(&server, "192.168.1.10:8200", peer, config, rx, tx, now);
    let heads = input.windows(4).any(|w| w == b"HEAD");
    let (mut output, mut cut, mut eof) = (Vec::new(), false, false);
    // Each turn moves at least one byte, or ends the input or the connection.
    for _ in 0..(2 * MAX_OUTPUT + data.len() + 2) {
        while let Some(event) = conn.poll_event() {
            if let Event::Closed(close) = event {
                assert_ne!(close.fault(), Fault::Server, "{close}");
            }
        }
        if conn.is_closed() {
            break;
        }
        match conn.poll_transmit(now) {
            Some(Outgoing::Bytes(bytes)) if output.len() + bytes.len() > MAX_OUTPUT => {
                cut = true;
                conn.handle_io_error();
            }
            Some(Outgoing::Bytes(bytes)) => {
                let n = bytes.len();
                output.extend_from_slice(bytes);
                conn.handle_sent(now, n);
            }
            Some(Outgoing::File { .. }) => panic!("a file handed out with send_files off"),
            None if !input.is_empty() => {
                let n = conn.handle_input(now, &input[..input.len().min(chunk)]);
                assert!(n > 0, "no room for input while the connection waits for it");
                input = &input[n..];
            }
            None if !eof => {
                conn.handle_eof(now);
                eof = true;
            }
            None => panic!("the connection waits for nothing after the client closed"),
        }
    }
    assert!(conn.is_closed(), "the connection did not finish");
    check_framing(&output, heads, cut);
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
