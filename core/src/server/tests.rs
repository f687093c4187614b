//! Scenario tests: whole requests as bytes through a [`Connection`] driven as a shell would,
//! connection, responses parsed back with httparse.

use core::convert::Infallible;
use std::collections::HashMap;
use std::string::String;
use std::vec::Vec;

use core::cell::RefCell;
use core::net::{IpAddr, Ipv4Addr};

use super::connection::{Config, Connection, Event, Outgoing, Storage, Timeouts};
use super::{Env, Server, CLIENTS, SUBSCRIPTIONS};
use crate::gena::{Subscriptions, MAX_NOTIFY};
use crate::http::request::RequestLimits;
use crate::library::{AudioProps, Details, FileInfo, FileRef, Library, ObjectId};
use crate::player::Clients;
use crate::time::Instant;
use crate::upnp::description::Device;

/// A file in memory.
pub(crate) struct MemFile {
    data: Vec<u8>,
    pub pos: usize,
}

impl embedded_io::ErrorType for MemFile {
    type Error = Infallible;
}

impl embedded_io::Read for MemFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl embedded_io::Seek for MemFile {
    fn seek(&mut self, pos: embedded_io::SeekFrom) -> Result<u64, Infallible> {
        if let embedded_io::SeekFrom::Start(p) = pos {
            self.pos = p as usize;
        }
        Ok(self.pos as u64)
    }
}

/// A library of one folder with a few files, their bytes kept in memory.
pub(crate) struct TestEnv {
    library: Library,
    pub files: HashMap<String, Vec<u8>>,
    clients: RefCell<Clients<CLIENTS>>,
    events: RefCell<Subscriptions<SUBSCRIPTIONS>>,
    pub answer_budget: usize,
    /// Buffers given back by sent answers, lent to the next ones ([`Env::answer_buffer`]).
    pub answers: RefCell<Vec<Vec<u8>>>,
    /// What a remux sends (its keyframes every 2 s), and whether all remux slots are taken;
    /// `None`: the platform has no remuxer.
    #[cfg(feature = "remux")]
    pub remux: Option<(Vec<u8>, bool)>,
}

impl Env for TestEnv {
    type File = MemFile;

    fn with_library<R>(&self, f: impl FnOnce(&Library) -> R) -> R {
        f(&self.library)
    }

    fn open(&self, file: &FileRef<'_>) -> Option<(MemFile, u64)> {
        let data = self.files.get(&std::format!("{file}"))?.clone();
        let len = data.len() as u64;
        Some((MemFile { data, pos: 0 }, len))
    }

    fn open_art(&self, file: &FileRef<'_>, info: FileInfo) -> Option<(MemFile, u64)> {
        // Thumbnails are keyed like the host's cache: path, size and mtime.
        let data = self.files.get(&std::format!("art:{file}:{}:{}", info.size, info.mtime))?;
        Some((MemFile { data: data.clone(), pos: 0 }, data.len() as u64))
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

    fn answer_budget(&self) -> usize {
        self.answer_budget
    }

    fn answer_buffer(&self) -> Vec<u8> {
        self.answers.borrow_mut().pop().unwrap_or_default()
    }

    fn answer_sent(&self, buffer: Vec<u8>) {
        self.answers.borrow_mut().push(buffer);
    }

    #[cfg(feature = "remux")]
    fn remuxes(&self) -> bool {
        self.remux.is_some()
    }

    #[cfg(feature = "remux")]
    fn open_remux(
        &self,
        _file: &FileRef<'_>,
        _remux: &crate::player::Remux,
        start_us: u64,
    ) -> Result<(MemFile, u64), super::Unavailable> {
        match &self.remux {
            Some((_, true)) => Err(super::Unavailable::Busy),
            Some((data, false)) => {
                Ok((MemFile { data: data.clone(), pos: 0 }, start_us / 2_000_000 * 2_000_000))
            }
            None => Err(super::Unavailable::Gone),
        }
    }
}

pub(crate) fn test_env() -> (TestEnv, ObjectId) {
    let mut library = Library::new();
    library.add_root(0, "Music").unwrap();
    let mut files = HashMap::new();
    let song: Vec<u8> =
        (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let id = library
        .insert_file(0, "a/song.mp3", FileInfo { size: song.len() as u64, mtime: 1 })
        .unwrap()
        .unwrap();
    files.insert("a/song.mp3".into(), song);
    let events = RefCell::new(Subscriptions::new(7));
    let clients = RefCell::new(Clients::new());
    let env = TestEnv {
        library,
        files,
        clients,
        events,
        answer_budget: usize::MAX,
        answers: RefCell::default(),
        #[cfg(feature = "remux")]
        remux: None,
    };
    (env, id)
}

/// What a simulated client saw of a connection: the bytes it received and the events.
pub(crate) struct Seen {
    pub output: Vec<u8>,
    pub events: Vec<Event>,
}

/// Drives `conn` at a fixed `now` as a shell would: the client's `input` delivered `chunk`
/// bytes at a time, then the end of its stream (if `eof`), and at most `take` bytes accepted
/// per write (files read as a board does when the connection hands them out). Returns once the
/// connection is closed or waits for more input.
pub(crate) fn drive<S: Storage>(
    conn: &mut Connection<'_, TestEnv, S>,
    now: Instant,
    input: &[u8],
    chunk: usize,
    take: usize,
    eof: bool,
) -> Seen {
    let mut seen = Seen { output: Vec::new(), events: Vec::new() };
    let (mut pos, mut ended) = (0, false);
    for _ in 0..10_000_000 {
        conn.handle_timeout(now);
        seen.events.extend(core::iter::from_fn(|| conn.poll_event()));
        if conn.is_closed() {
            return seen;
        }
        match conn.poll_transmit(now) {
            Some(Outgoing::Bytes(bytes)) => {
                let n = bytes.len().min(take);
                seen.output.extend_from_slice(&bytes[..n]);
                conn.handle_sent(now, n);
            }
            Some(Outgoing::File { file, offset, len }) => {
                let mut buf = vec![0u8; (len as usize).min(take).min(8192)];
                file.pos = offset as usize;
                let n = embedded_io::Read::read(file, &mut buf).unwrap();
                seen.output.extend_from_slice(&buf[..n]);
                if n == 0 {
                    conn.handle_body_error();
                } else {
                    conn.handle_sent(now, n);
                }
            }
            None if pos < input.len() => {
                let end = input.len().min(pos.saturating_add(chunk));
                let n = conn.handle_input(now, &input[pos..end]);
                assert!(n > 0, "the connection takes no input while waiting for it");
                pos += n;
            }
            None if eof && !ended => {
                conn.handle_eof(now);
                ended = true;
            }
            None => return seen,
        }
    }
    panic!("the connection did not settle");
}

/// A server for the tests.
pub(crate) fn server(env: &TestEnv) -> Server<'_, TestEnv> {
    let device = Device::rill("Test", "uuid:00000000-0000-4000-8000-000000000000", &[]);
    Server::new(env, device, "Test/1 UPnP/1.0 DLNADOC/1.50 Rill/0", RequestLimits::DEFAULT)
}

/// The address the test clients come from.
pub(crate) const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// One parsed response.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends `input` through a fresh server; returns the responses. `head_requests` says how many
/// responses (from the first) answer HEAD requests, whose Content-Length has no body behind it.
fn exchange_with(env: &TestEnv, input: &[u8], chunk: usize, head_requests: usize) -> Vec<Response> {
    let server = server(env);
    let (mut rx, mut tx) = (vec![0u8; 16 * 1024], vec![0u8; 4096]);
    let config = Config { timeouts: Timeouts::DEFAULT, send_files: false, chunk: 4096 };
    let now = Instant::from_millis(1);
    let mut conn =
        Connection::new(&server, "127.0.0.1:8200", PEER, config, &mut rx[..], &mut tx[..], now);
    let seen = drive(&mut conn, now, input, chunk, usize::MAX, true);
    parse_responses(&seen.output, head_requests)
}

fn exchange(input: &[u8]) -> Vec<Response> {
    exchange_with(&test_env().0, input, usize::MAX, 0)
}

fn parse_responses(mut out: &[u8], mut heads: usize) -> Vec<Response> {
    let mut responses = Vec::new();
    while !out.is_empty() {
        let mut storage = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut storage);
        let n = match parsed.parse(out).unwrap() {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => panic!("truncated response head"),
        };
        let headers: Vec<(String, String)> = parsed
            .headers
            .iter()
            .map(|h| (h.name.into(), String::from_utf8(h.value.to_vec()).unwrap()))
            .collect();
        let status = parsed.code.unwrap();
        let mut response = Response { status, headers, body: Vec::new() };
        let body_len = if status == 100 {
            0
        } else if heads > 0 {
            heads -= 1;
            0
        } else {
            // No length: the body runs to the end of the connection.
            response.header("content-length").map_or(out.len() - n, |l| l.parse().unwrap())
        };
        response.body = out[n..n + body_len].to_vec();
        out = &out[n + body_len..];
        responses.push(response);
    }
    responses
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    std::format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8200\r\n{extra}\r\n").into_bytes()
}

#[test]
fn description_is_served_and_well_formed() {
    let r = exchange(&get("/rill/description.xml", "Connection: close\r\n"));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].status, 200);
    assert_eq!(r[0].header("content-type"), Some("text/xml; charset=\"utf-8\""));
    assert_eq!(r[0].header("connection"), Some("close"));
    assert_eq!(r[0].header("date"), Some("Tue, 14 Nov 2023 22:13:20 GMT"));
    let text = String::from_utf8(r[0].body.clone()).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert!(doc.descendants().any(|n| n.has_tag_name("friendlyName") && n.text() == Some("Test")));
}

#[test]
fn album_art_is_served_only_when_the_library_has_it() {
    let (mut env, id) = test_env();
    let size = env.files["a/song.mp3"].len();
    let thumb: Vec<u8> = b"\xff\xd8\xff\xe0 a JPEG".to_vec();
    env.files.insert(std::format!("art:a/song.mp3:{size}:1"), thumb.clone());
    let path = std::format!("/rill/art/{id}.jpg");
    let r = exchange_with(&env, &get(&path, "Connection: close\r\n"), 4096, 0);
    assert_eq!(r[0].status, 404, "not marked yet");
    env.library.set_thumbnail(id, true).unwrap();
    let mut input = get(&path, "");
    input.extend(get(&path, "Range: bytes=2-4\r\n"));
    input.extend(get("/rill/art/0.jpg", ""));
    input.extend(get("/rill/art/zz.jpg", "Connection: close\r\n"));
    let r = exchange_with(&env, &input, 4096, 0);
    assert_eq!((r[0].status, &r[0].body), (200, &thumb));
    assert_eq!(r[0].header("content-type"), Some("image/jpeg"));
    assert_eq!((r[1].status, &r[1].body[..]), (206, &thumb[2..5]));
    assert_eq!((r[2].status, r[3].status), (404, 404));
    // The file changed since: its thumbnail (keyed by the old size and mtime) is not served.
    env.library.insert_file(0, "a/song.mp3", FileInfo { size: 5, mtime: 2 }).unwrap();
    let r = exchange_with(&env, &get(&path, "Connection: close\r\n"), 4096, 0);
    assert_eq!(r[0].status, 404);
}

#[test]
fn keep_alive_and_pipelining_in_small_reads() {
    let (env, _) = test_env();
    let mut input = get("/rill/cd/scpd.xml", "");
    input.extend(get("/rill/cm/scpd.xml", ""));
    input.extend(get("/nope", "Connection: close\r\n"));
    // Delivered 7 bytes at a time: heads arrive split everywhere.
    let r = exchange_with(&env, &input, 7, 0);
    let statuses: Vec<u16> = r.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 404]);
    assert!(String::from_utf8_lossy(&r[0].body).contains("<name>Browse</name>"));
    assert!(String::from_utf8_lossy(&r[1].body).contains("<name>GetProtocolInfo</name>"));
    assert_eq!(r[0].header("connection"), Some("keep-alive"));
}

#[test]
fn media_whole_range_suffix_and_past_end() {
    let (env, id) = test_env();
    let original = env.files["a/song.mp3"].clone();
    let path = std::format!("/rill/media/{id}.mp3");
    let mut input = get(&path, "getcontentFeatures.dlna.org: 1\r\n");
    input.extend(get(&path, "Range: bytes=1000-1999\r\n"));
    input.extend(get(&path, "Range: bytes=-10\r\n"));
    input.extend(get(&path, "Range: bytes=99990-\r\n"));
    input.extend(get(&path, "Range: bytes=100000-\r\nConnection: close\r\n"));
    let r = exchange_with(&env, &input, usize::MAX, 0);
    assert_eq!(r.len(), 5);
    assert_eq!(r[0].status, 200);
    assert_eq!(r[0].body, original);
    assert_eq!(r[0].header("content-type"), Some("audio/mpeg"));
    assert_eq!(r[0].header("accept-ranges"), Some("bytes"));
    assert_eq!(r[0].header("transfermode.dlna.org"), Some("Streaming"));
    let features = r[0].header("contentfeatures.dlna.org").unwrap();
    assert!(features.starts_with("DLNA.ORG_PN=MP3;DLNA.ORG_OP=01;DLNA.ORG_CI=0;"), "{features}");
    assert_eq!(r[1].status, 206);
    assert_eq!(r[1].body, original[1000..2000]);
    assert_eq!(r[1].header("content-range"), Some("bytes 1000-1999/100000"));
    assert!(r[1].header("contentfeatures.dlna.org").is_none());
    assert_eq!(r[2].status, 206);
    assert_eq!(r[2].body, original[99_990..]);
    assert_eq!(r[3].body, original[99_990..]);
    assert_eq!(r[4].status, 416);
    assert_eq!(r[4].header("content-range"), Some("bytes */100000"));
}

#[test]
fn head_has_length_but_no_body() {
    let (env, id) = test_env();
    let input = std::format!(
        "HEAD /rill/media/{id}.mp3 HTTP/1.0\r\ngetcontentFeatures.dlna.org: 1\r\n\r\n"
    );
    let r = exchange_with(&env, input.as_bytes(), usize::MAX, 1);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].status, 200);
    assert_eq!(r[0].header("content-length"), Some("100000"));
    assert!(r[0].body.is_empty());
    // HTTP/1.0 without keep-alive: the server closes after one answer.
    assert_eq!(r[0].header("connection"), Some("close"));
}

#[test]
fn media_refusals() {
    let (env, id) = test_env();
    let path = std::format!("/rill/media/{id}.mp3");
    let mut input = get(&path, "TimeSeekRange.dlna.org: npt=10-\r\n");
    input.extend(get(&path, "transferMode.dlna.org: Teleport\r\n"));
    input.extend(get(&std::format!("/rill/media/{id}.ogg"), ""));
    input.extend(get("/rill/media/ffffffff.mp3", ""));
    input.extend(get("/rill/media/../../etc/passwd", ""));
    input.extend(get("/rill/media/%2e%2e%2fetc%2fpasswd", ""));
    input.extend(get("/rill/media/x%00.mp3", ""));
    input.extend(get("/rill/media/%c0%ae%c0%ae/passwd", ""));
    input.extend(b"POST /rill/description.xml HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    input.extend(get("/rill/cd/control", "Connection: close\r\n"));
    let r = exchange_with(&env, &input, usize::MAX, 0);
    let statuses: Vec<u16> = r.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [406, 406, 404, 404, 400, 400, 400, 400, 405, 405]);
    assert_eq!(r[8].header("allow"), Some("GET, HEAD"));
    assert_eq!(r[9].header("allow"), Some("POST"));
}

#[test]
fn framing_errors_close_the_connection() {
    let cases: [(&[u8], u16); 4] = [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"POST /rill/cd/control HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        (b"POST /rill/cd/control HTTP/1.1\r\nContent-Length: 999999\r\n\r\n", 413),
    ];
    for (input, status) in cases {
        let mut input = input.to_vec();
        // Anything after a refused request is never answered.
        input.extend(get("/rill/description.xml", ""));
        let r = exchange(&input);
        assert_eq!(r.len(), 1, "{}", String::from_utf8_lossy(&input));
        assert_eq!(r[0].status, status);
        assert_eq!(r[0].header("connection"), Some("close"));
    }
    // A head that never ends within the buffer: 431.
    let mut big = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..2000 {
        big.extend(std::format!("X-Filler-{i}: {}\r\n", "a".repeat(10)).as_bytes());
    }
    assert_eq!(exchange(&big)[0].status, 431);
}

fn soap(action: &str, args: &str) -> Vec<u8> {
    let body = std::format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>\
         <u:{action} xmlns:u=\"urn:schemas-upnp-org:service:ContentDirectory:1\">{args}</u:{action}>\
         </s:Body></s:Envelope>"
    );
    std::format!(
        "POST /rill/cd/control HTTP/1.1\r\nHost: 127.0.0.1:8200\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n\
         SOAPACTION: \"urn:schemas-upnp-org:service:ContentDirectory:1#{action}\"\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A Browse request of `object` with `flag` (`BrowseMetadata` or `BrowseDirectChildren`, all
/// of them).
fn browse(object: &str, flag: &str) -> Vec<u8> {
    soap(
        "Browse",
        &std::format!(
            "<ObjectID>{object}</ObjectID><BrowseFlag>{flag}</BrowseFlag>\
             <Filter>*</Filter><StartingIndex>0</StartingIndex><RequestedCount>0</RequestedCount>\
             <SortCriteria></SortCriteria>"
        ),
    )
}

/// An answer of one object is never cut: over the budget, it is refused (503); within it, it
/// is rendered exactly as without a budget. (Longer pages are cut to what fits: see
/// `upnp::content_directory`'s tests and `long_pages_are_cut_to_the_budget`.)
#[test]
fn answers_over_the_budget_are_refused_and_the_rest_rendered_exactly() {
    let (mut env, _) = test_env();
    let request = browse("0", "BrowseMetadata");
    let unbounded = exchange_with(&env, &request, 512, 0);
    let len = unbounded[0].body.len();
    for (budget, status) in [(len, 200), (len - 1, 503)] {
        env.answer_budget = budget;
        let r = exchange_with(&env, &request, 512, 0);
        assert_eq!(r[0].status, status, "budget {budget} for an answer of {len} bytes");
        if status == 200 {
            assert_eq!(r[0].body, unbounded[0].body, "the same answer, measured first");
        }
    }
}

#[test]
fn browse_and_faults_over_http() {
    let (env, id) = test_env();
    let browse = |object: &str| {
        soap(
            "Browse",
            &std::format!(
                "<ObjectID>{object}</ObjectID><BrowseFlag>BrowseDirectChildren</BrowseFlag>\
                 <Filter>*</Filter><StartingIndex>0</StartingIndex><RequestedCount>0</RequestedCount>\
                 <SortCriteria></SortCriteria>"
            ),
        )
    };
    let mut input = browse("0");
    input.extend(browse("ffffffffffff"));
    input.extend(soap("Frobnicate", ""));
    let mut meta = soap(
        "Browse",
        &std::format!(
            "<ObjectID>{id}</ObjectID><BrowseFlag>BrowseMetadata</BrowseFlag><Filter>*</Filter>\
             <StartingIndex>0</StartingIndex><RequestedCount>0</RequestedCount><SortCriteria></SortCriteria>"
        ),
    );
    // Split the body from its head as a client waiting for 100 Continue would.
    let at = meta.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    meta.splice(at..at, b"\r\nExpect: 100-continue".iter().copied());
    input.extend(meta);
    let r = exchange_with(&env, &input, 512, 0);
    let statuses: Vec<u16> = r.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 500, 500, 100, 200]);
    let text = |r: &Response| String::from_utf8(r.body.clone()).unwrap();
    assert!(text(&r[0]).contains("&lt;container id=&quot;"), "{}", text(&r[0]));
    assert!(text(&r[1]).contains("<errorCode>701</errorCode>"));
    assert!(text(&r[2]).contains("<errorCode>401</errorCode>"));
    let url = std::format!("http://127.0.0.1:8200/rill/media/{id}.mp3");
    assert!(text(&r[4]).contains(&url), "{}", text(&r[4]));
}

#[test]
fn players_are_recognised_and_remembered_per_client() {
    let (env, id) = test_env();
    // The Xbox 360 gets the model it insists on, and a ':' in the friendly name.
    let r = exchange_with(
        &env,
        &get("/rill/description.xml", "User-Agent: Xbox/2.0.8955.0 UPnP/1.0 Xbox/2.0.8955.0\r\n"),
        usize::MAX,
        0,
    );
    let text = String::from_utf8(r[0].body.clone()).unwrap();
    assert!(text.contains("<modelName>Windows Media Player Sharing</modelName>"), "{text}");
    assert!(text.contains("<friendlyName>Test: 1</friendlyName>"), "{text}");
    // The same address, no identifying header now: still the Xbox (remembered).
    let r = exchange_with(&env, &get("/rill/description.xml", ""), usize::MAX, 0);
    assert!(String::from_utf8_lossy(&r[0].body).contains("Windows Media Player Sharing"));
    // A PS3 at that address replaces it: AVI-style overrides aside, its media answers carry
    // the plain file features, and the description is the plain one again.
    let path = std::format!("/rill/media/{id}.mp3");
    let ps3 = "User-Agent: PLAYSTATION 3\r\ngetcontentFeatures.dlna.org: 1\r\n";
    let r = exchange_with(&env, &get(&path, ps3), usize::MAX, 0);
    assert_eq!(r[0].status, 200);
    let r = exchange_with(&env, &get("/rill/description.xml", ""), usize::MAX, 0);
    assert!(String::from_utf8_lossy(&r[0].body).contains("<modelName>Rill</modelName>"));
}

#[test]
fn subscribe_renew_unsubscribe_over_http() {
    let (env, _) = test_env();
    // The test peer is 127.0.0.2; its callback must be there too.
    let subscribe = "SUBSCRIBE /rill/cd/event HTTP/1.1\r\nHost: 127.0.0.1:8200\r\n\
                     CALLBACK: <http://127.0.0.2:4000/cd>\r\nNT: upnp:event\r\n\
                     TIMEOUT: Second-300\r\n\r\n";
    let r = exchange_with(&env, subscribe.as_bytes(), usize::MAX, 0);
    assert_eq!(r[0].status, 200);
    assert_eq!(r[0].header("timeout"), Some("Second-300"));
    assert_eq!(r[0].header("content-length"), Some("0"));
    let sid = r[0].header("sid").unwrap().to_string();
    assert!(sid.starts_with("uuid:") && sid.len() == 41, "{sid}");
    // The initial event is due AFTER_ANSWER after the SUBSCRIBE: SEQ 0 to the callback, with
    // the library's SystemUpdateID.
    let system_update_id = env.library.system_update_id();
    let mut buf = vec![0u8; MAX_NOTIFY];
    let notify = {
        let mut table = env.events.borrow_mut();
        table.changed(system_update_id, &[]);
        table.poll_notify(Instant::from_millis(2) + crate::gena::AFTER_ANSWER, &mut buf).unwrap()
    };
    assert_eq!((notify.dst, notify.seq), ("127.0.0.2:4000".parse().unwrap(), 0));
    let text = String::from_utf8_lossy(&buf[..notify.len]).into_owned();
    assert!(text.starts_with("NOTIFY /cd HTTP/1.1\r\n"), "{text}");
    assert!(text.contains(&std::format!("\r\nSID: {sid}\r\n")), "{text}");
    assert!(text.contains(&std::format!("<SystemUpdateID>{system_update_id}</SystemUpdateID>")));

    let mut input = std::format!(
        "SUBSCRIBE /rill/cd/event HTTP/1.1\r\nSID: {sid}\r\nTIMEOUT: Second-infinite\r\n\r\n"
    );
    // Refusals: a renewal with NT (400), an unknown SID (412), a callback elsewhere (412), the
    // SID of another service (412), GET on an event URL (405).
    input.push_str(&std::format!(
        "SUBSCRIBE /rill/cd/event HTTP/1.1\r\nSID: {sid}\r\nNT: upnp:event\r\n\r\n\
         SUBSCRIBE /rill/cd/event HTTP/1.1\r\nSID: uuid:nobody\r\n\r\n\
         SUBSCRIBE /rill/cd/event HTTP/1.1\r\nNT: upnp:event\r\nCALLBACK: <http://10.1.1.1/>\r\n\r\n\
         UNSUBSCRIBE /rill/cm/event HTTP/1.1\r\nSID: {sid}\r\n\r\n\
         GET /rill/cd/event HTTP/1.1\r\n\r\n\
         UNSUBSCRIBE /rill/cd/event HTTP/1.1\r\nSID: {sid}\r\n\r\n\
         UNSUBSCRIBE /rill/cd/event HTTP/1.1\r\nSID: {sid}\r\nConnection: close\r\n\r\n"
    ));
    let r = exchange_with(&env, input.as_bytes(), 13, 0);
    let statuses: Vec<u16> = r.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 400, 412, 412, 412, 405, 200, 412]);
    assert_eq!(r[0].header("sid"), Some(sid.as_str()));
    assert_eq!(r[0].header("timeout"), Some("Second-1800"));
    assert_eq!(r[5].header("allow"), Some("SUBSCRIBE, UNSUBSCRIBE"));
    assert!(r[6].header("sid").is_none() && r[6].body.is_empty());
    assert!(env.events.borrow().is_empty());
}

/// A page of several objects over the budget is cut to the objects that fit, not refused.
#[test]
fn long_pages_are_cut_to_the_budget() {
    let (mut env, _) = test_env();
    let request = browse("0", "BrowseDirectChildren");
    let unbounded = exchange_with(&env, &request, 512, 0);
    let text = |body: &[u8]| String::from_utf8(body.to_vec()).unwrap();
    let full = text(&unbounded[0].body).matches("&lt;container ").count();
    assert!(full > 1, "the root lists several containers");
    env.answer_budget = unbounded[0].body.len() - 1;
    let cut = exchange_with(&env, &request, 512, 0);
    assert_eq!(cut[0].status, 200);
    assert!(cut[0].body.len() <= env.answer_budget);
    let cut = text(&cut[0].body);
    assert_eq!(cut.matches("&lt;container ").count(), full - 1);
    let number_returned = std::format!("<NumberReturned>{}</NumberReturned>", full - 1);
    assert!(cut.contains(&number_returned), "{cut}");
}

/// An Opus rendition on a platform that lends no Opus decoder (the default, as on the
/// firmware) is refused with 500, never a panic, and the file itself is still served.
#[test]
fn an_opus_rendition_without_a_decoder_is_refused() {
    let (mut env, _) = test_env();
    // The first page of an Ogg Opus file: enough for its bytes to say Opus.
    let mut opus = b"OggS".to_vec();
    opus.resize(26, 0);
    opus.push(19);
    opus.extend_from_slice(b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00");
    let details = Details {
        duration_ms: Some(1000),
        frames: Some(48_000),
        audio: Some(AudioProps { sample_rate: 48_000, channels: 2, bits_per_sample: 0 }),
        ..Details::default()
    };
    let info = FileInfo { size: opus.len() as u64, mtime: 1 };
    let id = env.library.insert_file_with(0, "a/x.opus", info, details).unwrap().unwrap();
    env.files.insert("a/x.opus".into(), opus.clone());
    let mut input = get(&std::format!("/rill/media/{id}.l16"), "");
    input.extend(get(&std::format!("/rill/media/{id}.opus"), "Connection: close\r\n"));
    let r = exchange_with(&env, &input, usize::MAX, 0);
    let statuses: Vec<u16> = r.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 200]);
    assert_eq!(r[1].body, opus);
}

#[test]
#[cfg(feature = "subtitles")]
fn subtitles_are_served_as_utf8_and_named_in_caption_info() {
    let (mut env, _) = test_env();
    let info = FileInfo { size: 1, mtime: 1 };
    let video = env.library.insert_file(0, "a/film.mkv", info).unwrap().unwrap();
    env.library.insert_file(0, "a/FILM.srt", info).unwrap();
    // Latin-1 "été": served as UTF-8 with a BOM.
    env.files.insert("a/film.mkv".into(), std::vec![0; 1000]);
    env.files.insert("a/FILM.srt".into(), b"1\n\xe9t\xe9\n".to_vec());
    let caption = std::format!("/rill/caption/{video}/0.srt");
    let mut input = get(&caption, "");
    input.extend(get(&std::format!("/rill/media/{video}.mkv"), "getCaptionInfo.sec: 1\r\n"));
    input.extend(get(&std::format!("/rill/media/{video}.mkv"), "Range: bytes=0-1\r\n"));
    input.extend(get(&std::format!("/rill/caption/{video}/1.srt"), ""));
    input.extend(get(&std::format!("/rill/caption/{video}/0.vtt"), "Connection: close\r\n"));
    let r = exchange_with(&env, &input, 4096, 0);
    assert_eq!((r[0].status, &r[0].body[..]), (200, "\u{feff}1\nété\n".as_bytes()));
    assert_eq!(r[0].header("content-type"), Some("text/srt; charset=utf-8"));
    assert_eq!(r[0].header("transferMode.dlna.org"), Some("Interactive"));
    let url = std::format!("http://127.0.0.1:8200{caption}");
    assert_eq!(r[1].header("CaptionInfo.sec"), Some(url.as_str()));
    assert_eq!(r[2].header("CaptionInfo.sec"), None, "not asked");
    assert_eq!((r[3].status, r[4].status), (404, 404));
    // Over the platform's answer budget: refused.
    env.answer_budget = 5;
    let r = exchange_with(&env, &get(&caption, "Connection: close\r\n"), 4096, 0);
    assert_eq!(r[0].status, 500);
}

/// A Matroska video a PS3 cannot play: its `.ts` is the platform's remux, without a length,
/// closing the connection, the time seek echoed from the keyframe the platform started at;
/// refused past the end (416), beyond the platform's cap (503), and without a remuxer (404).
#[test]
#[cfg(feature = "remux")]
fn a_remux_streams_until_it_ends_and_echoes_its_keyframe() {
    use crate::media::video::{AudioCodec, Tracks, VideoKind};
    let (mut env, song) = test_env();
    let details = Details {
        duration_ms: Some(6000),
        resolution: core::num::NonZeroU16::new(320).zip(core::num::NonZeroU16::new(240)),
        tracks: Some(Tracks::new(Some(VideoKind::H264High), Some(AudioCodec::Dts))),
        ..Details::default()
    };
    let info = FileInfo { size: 1000, mtime: 1 };
    let id = env.library.insert_file_with(0, "a/film.mkv", info, details).unwrap().unwrap();
    let stream: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    env.remux = Some((stream.clone(), false));
    let ps3 = "User-Agent: PLAYSTATION 3\r\n";
    let seek = std::format!("{ps3}TimeSeekRange.dlna.org: npt=3.3-\r\n");
    let r = exchange_with(&env, &get(&std::format!("/rill/media/{id}.ts"), &seek), usize::MAX, 0);
    assert_eq!(r.len(), 1, "the connection ends with the stream");
    assert_eq!(r[0].status, 200);
    assert_eq!(r[0].header("content-type"), Some("video/mpeg"));
    assert_eq!(r[0].header("content-length"), None);
    assert_eq!(r[0].header("connection"), Some("close"));
    assert_eq!(r[0].header("timeseekrange.dlna.org"), Some("npt=2.000-6.000/6.000"));
    assert_eq!(r[0].body, stream);

    let past = std::format!("{ps3}TimeSeekRange.dlna.org: npt=6.0-\r\n");
    let r = exchange_with(&env, &get(&std::format!("/rill/media/{id}.ts"), &past), usize::MAX, 0);
    assert_eq!(r[0].status, 416);
    // Only videos have a remux; the song's `.ts` names nothing.
    let r = exchange_with(&env, &get(&std::format!("/rill/media/{song}.ts"), ps3), usize::MAX, 0);
    assert_eq!(r[0].status, 404);
    env.remux = Some((stream, true));
    let r = exchange_with(&env, &get(&std::format!("/rill/media/{id}.ts"), ps3), usize::MAX, 0);
    assert_eq!((r[0].status, r[0].header("retry-after")), (503, Some("5")));
    env.remux = None;
    let r = exchange_with(&env, &get(&std::format!("/rill/media/{id}.ts"), ps3), usize::MAX, 0);
    assert_eq!(r[0].status, 404, "no remuxer, no remux");
}
