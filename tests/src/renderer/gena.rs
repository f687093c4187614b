//! A GENA subscriber: the control point's side of eventing.
//!
//! [`Subscriber::listen`] runs a tiny HTTP server on 127.0.0.1 (a free port) on its own thread
//! ([`Subscriber::listen_on`]: on the host side of a test namespace's emulator link instead);
//! every NOTIFY it receives is answered `200 OK`, parsed (SID, SEQ, NT, NTS and the
//! `e:propertyset` body, checked with roxmltree) and queued for the test to take with
//! [`Subscriber::next`]. [`Renderer::subscribe`](super::Renderer::subscribe) and friends send
//! SUBSCRIBE, renewal and UNSUBSCRIBE. The listener accepts only peers the renderer may talk
//! to ([`netns::allowed`]: loopback, or the emulator link inside a namespace), reads at most
//! [`MAX_NOTIFY`] bytes per request with a timeout, and stops when the subscriber is dropped or
//! after [`LIFETIME`].

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::http::{find_header, parse_headers};
use super::netns;

/// Largest NOTIFY (head and body) accepted.
pub const MAX_NOTIFY: usize = 64 * 1024;
/// The listener thread ends after this long even if the subscriber is never dropped.
pub const LIFETIME: Duration = Duration::from_secs(300);
/// Per-read timeout on an accepted connection.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between polls of the non-blocking listener.
const POLL: Duration = Duration::from_millis(5);

/// One NOTIFY as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The request path (the callback's path).
    pub path: String,
    /// `SID`.
    pub sid: String,
    /// `SEQ`.
    pub seq: u32,
    /// `NT` (must be `upnp:event`).
    pub nt: String,
    /// `NTS` (must be `upnp:propchange`).
    pub nts: String,
    /// The evented variables, in order: name and text.
    pub properties: Vec<(String, String)>,
}

impl Event {
    /// The value of variable `name`, if the event carries it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// `SystemUpdateID` as a number.
    pub fn system_update_id(&self) -> Option<u32> {
        self.get("SystemUpdateID")?.parse().ok()
    }

    /// `ContainerUpdateIDs` as `(id, update id)` pairs (empty if absent or empty).
    pub fn container_update_ids(&self) -> Vec<(String, u32)> {
        let list = self.get("ContainerUpdateIDs").unwrap_or_default();
        let parts: Vec<&str> = list.split(',').filter(|s| !s.is_empty()).collect();
        parts
            .chunks(2)
            .filter_map(|pair| Some((pair.first()?.to_string(), pair.get(1)?.parse().ok()?)))
            .collect()
    }
}

/// A listener for NOTIFYs on 127.0.0.1 (or an address [`netns::allowed`] permits).
#[derive(Debug)]
pub struct Subscriber {
    addr: SocketAddr,
    events: mpsc::Receiver<Result<Event, String>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

/// A granted subscription: what the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// `SID`.
    pub sid: String,
    /// `TIMEOUT` in seconds.
    pub timeout: u32,
}

impl Subscriber {
    /// Starts listening on a free loopback port.
    pub fn listen() -> io::Result<Subscriber> {
        Self::listen_on(Ipv4Addr::LOCALHOST)
    }

    /// Starts listening on a free port of `ip`, which must be loopback or, inside a test
    /// namespace, the host's address on one of [`netns::TEST_LINKS`] (where an emulated board
    /// sends its NOTIFYs); anything else is an `InvalidInput` error.
    pub fn listen_on(ip: Ipv4Addr) -> io::Result<Subscriber> {
        if !netns::allowed(ip.into()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{ip} not allowed")));
        }
        let listener = TcpListener::bind((ip, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, events) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let end = Instant::now() + LIFETIME;
            while !stopping.load(Ordering::Relaxed) && Instant::now() < end {
                match listener.accept() {
                    Ok((stream, peer)) if netns::allowed(peer.ip()) => {
                        if tx.send(receive(stream)).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(POLL),
                    Err(_) => thread::sleep(POLL),
                }
            }
        });
        Ok(Subscriber { addr, events, stop, thread: Some(thread) })
    }

    /// The `CALLBACK` value for this listener, with `path`: `<http://127.0.0.1:PORT/path>`.
    pub fn callback(&self, path: &str) -> String {
        format!("<http://{}{path}>", self.addr)
    }

    /// The next NOTIFY, waiting at most `wait`; `None` if none came. A NOTIFY that could not be
    /// read or parsed panics with the reason.
    pub fn next(&self, wait: Duration) -> Option<Event> {
        match self.events.recv_timeout(wait) {
            Ok(Ok(event)) => Some(event),
            Ok(Err(why)) => panic!("bad NOTIFY: {why}"),
            Err(_) => None,
        }
    }

    /// NOTIFYs until one satisfies `wanted` (returned with those before it), waiting at most
    /// `wait` in all.
    pub fn until(
        &self,
        wait: Duration,
        wanted: impl Fn(&Event) -> bool,
    ) -> (Vec<Event>, Option<Event>) {
        let end = Instant::now() + wait;
        let mut before = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.next(left) {
                Some(e) if wanted(&e) => return (before, Some(e)),
                Some(e) => before.push(e),
                None => break,
            }
        }
        (before, None)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one NOTIFY from `stream`, answers 200, and parses it.
fn receive(mut stream: TcpStream) -> Result<Event, String> {
    stream.set_nonblocking(false).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).map_err(|e| e.to_string())?;
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_len, body_len) = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&data[..end]).map_err(|e| e.to_string())?;
            let headers = parse_headers(head.split("\r\n").skip(1)).map_err(|e| e.to_string())?;
            let len = find_header(&headers, "content-length").ok_or("no Content-Length")?;
            break (end + 4, len.parse::<usize>().map_err(|e| e.to_string())?);
        }
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 || data.len() + n > MAX_NOTIFY {
            return Err(format!("head cut short or too long after {} bytes", data.len()));
        }
        data.extend_from_slice(&chunk[..n]);
    };
    while data.len() < head_len + body_len {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 || data.len() + n > MAX_NOTIFY {
            return Err("body cut short or too long".into());
        }
        data.extend_from_slice(&chunk[..n]);
    }
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    parse(&data[..head_len], &data[head_len..head_len + body_len])
}

/// Parses a NOTIFY head and body.
pub fn parse(head: &[u8], body: &[u8]) -> Result<Event, String> {
    let head = std::str::from_utf8(head).map_err(|e| e.to_string())?;
    let mut lines = head.trim_end().split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line
        .strip_prefix("NOTIFY ")
        .and_then(|rest| rest.strip_suffix(" HTTP/1.1"))
        .ok_or_else(|| format!("not a NOTIFY request line: {request_line:?}"))?;
    let headers = parse_headers(lines).map_err(|e| e.to_string())?;
    let header = |name: &str| {
        find_header(&headers, name).map(str::to_string).ok_or(format!("no {name} header"))
    };
    let body = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    let doc = roxmltree::Document::parse(body).map_err(|e| format!("{e}: {body}"))?;
    let ns = "urn:schemas-upnp-org:event-1-0";
    if !doc.root_element().has_tag_name((ns, "propertyset")) {
        return Err(format!("not an e:propertyset: {body}"));
    }
    let properties = doc
        .root_element()
        .children()
        .filter(|p| p.has_tag_name((ns, "property")))
        .filter_map(|p| p.first_element_child())
        .map(|v| (v.tag_name().name().to_string(), v.text().unwrap_or_default().to_string()))
        .collect();
    Ok(Event {
        path: path.to_string(),
        sid: header("sid")?,
        seq: header("seq")?.parse().map_err(|e| format!("SEQ: {e}"))?,
        nt: header("nt")?,
        nts: header("nts")?,
        properties,
    })
}

/// Reads a SUBSCRIBE answer: 200 with `SID` and `TIMEOUT: Second-N`, or the status.
pub fn subscription(resp: &super::Response) -> Result<Subscription, u16> {
    if resp.status != 200 {
        return Err(resp.status);
    }
    let sid = resp.header("sid").ok_or(resp.status)?.to_string();
    let timeout = resp
        .header("timeout")
        .and_then(|t| t.strip_prefix("Second-"))
        .and_then(|n| n.parse().ok())
        .ok_or(resp.status)?;
    Ok(Subscription { sid, timeout })
}
