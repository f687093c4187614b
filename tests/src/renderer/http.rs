//! A tiny blocking HTTP/1.1 client that sends exact bytes and reads responses strictly.
//!
//! Tests hand [`Client::send_raw`] whatever bytes they like (malformed requests, `HEAD` over
//! HTTP/1.0, pipelined requests) and read each answer with [`Client::read_response`]. The reader
//! takes the body by `Content-Length`, decodes `chunked` only when the request was HTTP/1.1 (a
//! chunked answer to HTTP/1.0 is an error: those clients cannot parse it), reads to EOF when the
//! server closes instead, and never reads a body for `HEAD`, 1xx, 204 or 304. The connection is
//! reused (keep-alive) until the server says `Connection: close`. Every read and write has a
//! timeout and every size a bound, so a misbehaving server fails a test instead of hanging it.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Per-read and per-write timeout.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest response head accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest response body accepted (a few minutes of 44.1 kHz stereo L16).
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// A parsed `http://host:port/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// The server's socket address (always loopback: see [`Url::parse`]).
    pub addr: SocketAddr,
    /// The `host:port` text as written, for the `Host` header.
    pub authority: String,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Url {
    /// Parses an absolute `http://` URL whose host is a loopback address (tests never talk to
    /// anything else but an emulated board on a namespace's test link, see
    /// [`super::netns::allowed`]; anything else is an `InvalidInput` error).
    pub fn parse(url: &str) -> io::Result<Url> {
        let rest =
            url.strip_prefix("http://").ok_or_else(|| invalid(format!("not http: {url}")))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let addr = authority
            .to_socket_addrs()
            .or_else(|_| (authority, 80).to_socket_addrs())?
            .next()
            .ok_or_else(|| invalid(format!("no address for {authority}")))?;
        if !super::netns::allowed(addr.ip()) {
            let msg = format!("refusing non-loopback address {addr} ({url})");
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        Ok(Url { addr, authority: authority.to_string(), path: path.to_string() })
    }

    /// Resolves `href` (absolute URL, absolute path or relative path) against this URL.
    pub fn join(&self, href: &str) -> io::Result<Url> {
        if href.starts_with("http://") {
            return Url::parse(href);
        }
        let path = if href.starts_with('/') {
            href.to_string()
        } else {
            let dir = self.path.rfind('/').map_or("/", |i| &self.path[..=i]);
            format!("{dir}{href}")
        };
        Ok(Url { path, ..self.clone() })
    }
}

/// One HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (decoded if it came chunked).
    pub body: Vec<u8>,
    /// Whether the body came with `Transfer-Encoding: chunked`.
    pub chunked: bool,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Every header named `name` (case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| &**v)
    }

    /// The body as UTF-8 text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A kept-alive connection to one server.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    /// Bytes read past the previous response.
    buf: Vec<u8>,
    /// `(method, version)` of each request sent and not yet answered.
    pending: VecDeque<(String, String)>,
    closed: bool,
}

impl Client {
    /// Connects to `addr`, which must be a loopback address.
    pub fn connect(addr: SocketAddr) -> io::Result<Client> {
        if !super::netns::allowed(addr.ip()) {
            let msg = format!("refusing non-loopback address {addr}");
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Client { stream, buf: Vec::new(), pending: VecDeque::new(), closed: false })
    }

    /// Whether the server announced it will close the connection (or closed it).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Sends `bytes` exactly: one request (or garbage) per call, so pipelined requests take one
    /// call each. The request line (method and version) is remembered so the matching
    /// [`read_response`](Client::read_response) knows how to read the body.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let line_end = bytes.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(bytes.len());
        let line = String::from_utf8_lossy(&bytes[..line_end]);
        let mut words = line.split(' ');
        let method = words.next().unwrap_or_default().to_string();
        let version = words.next_back().unwrap_or("HTTP/1.1").to_string();
        self.pending.push_back((method, version));
        self.stream.write_all(bytes)
    }

    /// Sends an HTTP/1.1 request with `Host`, the given headers and, if `body` is not empty,
    /// `Content-Length`; then reads the response.
    pub fn request(
        &mut self,
        method: &str,
        url: &Url,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        self.send(method, url, headers, body)?;
        self.read_response()
    }

    /// Sends the request [`request`](Client::request) would, without reading the answer (for
    /// [`read_head`](Client::read_head) and [`read_body`](Client::read_body)).
    pub fn send(
        &mut self,
        method: &str,
        url: &Url,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<()> {
        let mut req = format!("{method} {} HTTP/1.1\r\nHost: {}\r\n", url.path, url.authority);
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes)
    }

    /// Reads the response to the oldest request sent and not yet answered.
    pub fn read_response(&mut self) -> io::Result<Response> {
        let (mut resp, framing) = self.head()?;
        resp.body = match framing {
            Framing::None => Vec::new(),
            Framing::Chunked => self.read_chunked()?,
            Framing::Length(len) => self.read_exact_body(len)?,
            Framing::ToClose => self.read_to_close()?,
        };
        Ok(resp)
    }

    /// Reads only the head of the response to the oldest request not yet answered, leaving its
    /// body on the connection for [`read_body`](Client::read_body): a player that streams
    /// media reads it bit by bit, stops reading while paused, or drops the connection halfway.
    /// Chunked answers to HTTP/1.0 requests are refused here as in
    /// [`read_response`](Client::read_response).
    pub fn read_head(&mut self) -> io::Result<Response> {
        Ok(self.head()?.0)
    }

    /// Reads the next `n` bytes of a body whose head [`read_head`](Client::read_head) read
    /// (raw bytes: no chunked decoding). Fewer only if the server closes first (then the
    /// connection counts as closed); never more than [`MAX_BODY`] at once.
    pub fn read_body(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n > MAX_BODY {
            return Err(invalid(format!("{n} body bytes at once is too many")));
        }
        while self.buf.len() < n {
            if self.fill()? == 0 {
                break;
            }
        }
        let n = n.min(self.buf.len());
        Ok(self.buf.drain(..n).collect())
    }

    /// The head of the next response, and how its body is framed.
    fn head(&mut self) -> io::Result<(Response, Framing)> {
        let (method, req_version) =
            self.pending.pop_front().unwrap_or_else(|| ("GET".into(), "HTTP/1.1".into()));
        loop {
            let head_end = self.fill_head()?;
            let head = String::from_utf8(self.buf[..head_end].to_vec())
                .map_err(|_| invalid("response head is not UTF-8".into()))?;
            self.buf.drain(..head_end + 4);
            let mut resp = parse_head(&head)?;
            if (100..200).contains(&resp.status) && resp.status != 101 {
                continue; // 100 Continue and friends precede the real answer.
            }
            let connection = resp.header("connection").unwrap_or_default().to_ascii_lowercase();
            let closes = connection.contains("close")
                || (resp.version == "HTTP/1.0" && !connection.contains("keep-alive"));
            let no_body = method.eq_ignore_ascii_case("HEAD") || matches!(resp.status, 204 | 304);
            resp.chunked = resp
                .header("transfer-encoding")
                .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
            let framing = if no_body {
                Framing::None
            } else if resp.chunked {
                if req_version == "HTTP/1.0" {
                    return Err(invalid("chunked response to an HTTP/1.0 request".into()));
                }
                Framing::Chunked
            } else if let Some(len) = resp.header("content-length") {
                let len: usize =
                    len.trim().parse().map_err(|_| invalid(format!("Content-Length {len}")))?;
                Framing::Length(len)
            } else {
                Framing::ToClose
            };
            self.closed |= closes;
            return Ok((resp, framing));
        }
    }

    /// Reads more bytes into `buf`; `Ok(0)` at EOF.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            self.closed = true;
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads until `buf` holds a whole head; returns the offset of its `\r\n\r\n`.
    fn fill_head(&mut self) -> io::Result<usize> {
        loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                return Ok(i);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(invalid("response head too large".into()));
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "closed before a response",
                ));
            }
        }
    }

    fn read_exact_body(&mut self, len: usize) -> io::Result<Vec<u8>> {
        if len > MAX_BODY {
            return Err(invalid(format!("body of {len} bytes is too large")));
        }
        while self.buf.len() < len {
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("body ended after {} of {len} bytes", self.buf.len()),
                ));
            }
        }
        Ok(self.buf.drain(..len).collect())
    }

    fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        while self.fill()? != 0 {
            if self.buf.len() > MAX_BODY {
                return Err(invalid("body too large".into()));
            }
        }
        Ok(std::mem::take(&mut self.buf))
    }

    fn read_line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(invalid("chunk line too long".into()));
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed inside a chunk"));
            }
        }
    }

    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line()?;
            let size_text = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| invalid(format!("bad chunk size line {line:?}")))?;
            if size == 0 {
                while !self.read_line()?.is_empty() {} // trailers
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(invalid("chunked body too large".into()));
            }
            body.extend(self.read_exact_body(size)?);
            if !self.read_line()?.is_empty() {
                return Err(invalid("chunk not followed by CRLF".into()));
            }
        }
    }
}

/// How the body of a response is delimited.
enum Framing {
    /// No body (`HEAD`, 204, 304).
    None,
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// `Content-Length` bytes.
    Length(usize),
    /// Until the server closes the connection.
    ToClose,
}

/// One request on a fresh connection: `GET`-like convenience for tests.
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Response> {
    let url = Url::parse(url)?;
    Client::connect(url.addr)?.request(method, &url, headers, body)
}

/// Parses a status line and headers (without the final blank line).
pub fn parse_head(head: &str) -> io::Result<Response> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return Err(invalid(format!("bad status line {status_line:?}")));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let reason = parts.next().unwrap_or_default().to_string();
    let headers = parse_headers(lines)?;
    Ok(Response {
        version: version.to_string(),
        status,
        reason,
        headers,
        body: Vec::new(),
        chunked: false,
    })
}

/// Parses `Name: value` lines strictly (no folding, no space before the colon).
pub fn parse_headers<'a>(
    lines: impl Iterator<Item = &'a str>,
) -> io::Result<Vec<(String, String)>> {
    lines
        .map(|line| {
            let (name, value) =
                line.split_once(':').ok_or_else(|| invalid(format!("bad header {line:?}")))?;
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.!#$%&'*+^`|~".contains(&b));
            if !token {
                return Err(invalid(format!("bad header name in {line:?}")));
            }
            Ok((name.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// The first value of header `name` in `headers` (case-insensitive).
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// A one-connection server on loopback that checks what it reads and answers `reply`.
    fn serve_once(expect: &'static [u8], reply: &'static [u8]) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut got = vec![0u8; expect.len()];
            s.read_exact(&mut got).unwrap();
            assert_eq!(got, expect);
            s.write_all(reply).unwrap();
        });
        addr
    }

    #[test]
    fn url_parse_and_join() {
        let u = Url::parse("http://127.0.0.1:8210/dev/desc.xml").unwrap();
        assert_eq!(u.addr, "127.0.0.1:8210".parse().unwrap());
        assert_eq!(u.path, "/dev/desc.xml");
        assert_eq!(u.join("cd/control").unwrap().path, "/dev/cd/control");
        assert_eq!(u.join("/ctl").unwrap().path, "/ctl");
        assert_eq!(Url::parse("http://127.0.0.1:1").unwrap().path, "/");
        assert!(Url::parse("http://192.0.2.1:80/").is_err());
        assert!(Url::parse("https://127.0.0.1/").is_err());
    }

    #[test]
    fn keep_alive_and_pipelining() {
        let addr = serve_once(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n\
              Content-Length: 99\r\nConnection: close\r\n\r\n",
        );
        let mut c = Client::connect(addr).unwrap();
        c.send_raw(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        c.send_raw(b"HEAD /b HTTP/1.0\r\n\r\n").unwrap();
        let a = c.read_response().unwrap();
        assert_eq!((a.status, a.body.as_slice()), (200, &b"hello"[..]));
        assert!(!c.is_closed());
        let b = c.read_response().unwrap();
        assert_eq!(b.header("CONTENT-LENGTH"), Some("99"));
        assert!(b.body.is_empty(), "HEAD has no body");
        assert!(c.is_closed());
    }

    #[test]
    fn a_body_read_bit_by_bit_then_the_next_response() {
        let addr = serve_once(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789HTTP/1.1 200 OK\r\n\
              Content-Length: 4\r\nConnection: close\r\n\r\nabc",
        );
        let mut c = Client::connect(addr).unwrap();
        // Pipelined: the test server answers once it has read both.
        c.send_raw(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        c.send_raw(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let head = c.read_head().unwrap();
        assert_eq!((head.status, head.body.len()), (200, 0));
        assert_eq!(c.read_body(3).unwrap(), b"012");
        assert_eq!(c.read_body(7).unwrap(), b"3456789");
        assert_eq!(c.read_head().unwrap().header("content-length"), Some("4"));
        // The server closes one byte short: what came, and the connection counts as closed.
        assert_eq!(c.read_body(4).unwrap(), b"abc");
        assert!(c.is_closed());
        assert!(c.read_body(MAX_BODY + 1).is_err());
    }

    #[test]
    fn chunked_is_decoded_for_1_1_and_refused_for_1_0() {
        let reply: &[u8] =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let addr = serve_once(b"GET / HTTP/1.1\r\n\r\n", reply);
        let mut c = Client::connect(addr).unwrap();
        c.send_raw(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let r = c.read_response().unwrap();
        assert_eq!((r.body.as_slice(), r.chunked), (&b"abcde"[..], true));

        let addr = serve_once(b"GET / HTTP/1.0\r\n\r\n", reply);
        let mut c = Client::connect(addr).unwrap();
        c.send_raw(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(c.read_response().unwrap_err().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn body_to_close_skips_100_continue_and_short_bodies_fail() {
        let addr = serve_once(
            b"X",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 404 Not Found\r\nServer: t\r\n\r\ngone",
        );
        let mut c = Client::connect(addr).unwrap();
        c.send_raw(b"X").unwrap();
        let r = c.read_response().unwrap();
        assert_eq!(
            (r.version.as_str(), r.status, r.reason.as_str()),
            ("HTTP/1.0", 404, "Not Found")
        );
        assert_eq!(r.text(), "gone");

        let addr = serve_once(b"Y", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
        let mut c = Client::connect(addr).unwrap();
        c.send_raw(b"Y").unwrap();
        assert_eq!(c.read_response().unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn malformed_heads_are_errors() {
        assert!(parse_head("HTTP/2 200 OK").is_err());
        assert!(parse_head("HTTP/1.1 abc OK").is_err());
        assert!(parse_head("HTTP/1.1 200 OK\r\nNo colon").is_err());
        assert!(parse_head("HTTP/1.1 200 OK\r\nBad Name: x").is_err());
        let r = parse_head("HTTP/1.1 206 Partial Content\r\nContent-Range:  bytes 0-1/2 ").unwrap();
        assert_eq!(r.header("content-range"), Some("bytes 0-1/2"));
    }
}
