//! The appliance scenario shared by the firmware tests (QEMU and the host simulation): media on
//! a FAT image, a tap link inside the test's private namespace (with a DHCP server on it, or
//! without, where the board takes its static fallback), and a mock renderer driving the
//! appliance over ordinary sockets: discovery, description, Browse, L16 streams with byte and
//! time seeks, bit-exact against a decode of the same file on the host, two streams at once
//! and one file on two connections at once; and GENA subscriptions with their initial events.
#![allow(dead_code)] // each test binary uses a different part

pub mod qemu;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rill_tests::corpus::{Encoder, Spec};
use rill_tests::flac_corpus::{self, Spec as FlacSpec};
use rill_tests::renderer::gena::Subscriber;
use rill_tests::renderer::netns::{self, DHCP_LINK_HOST, TEST_LINK_HOST};
use rill_tests::renderer::{didl, ssdp, Browse, Client, Player, Renderer, Url, CONTENT_DIRECTORY};

use crate::ogg_util::{open, read_all_i16};

/// The appliance's static fallback address (`rill_firmware::net::Addressing::DEFAULT`).
pub const BOARD: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
/// The MAC address the tests give the board, and the UDN the firmware derives from it.
pub const MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
/// See [`MAC`].
pub const UDN: &str = "uuid:52696c6c-0000-5000-8000-525400123456";
/// The tap device's name.
pub const TAP: &str = "tap0";

/// A media file on the card, with its reference L16 rendition.
pub struct Media {
    /// Its path on the card.
    pub path: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its L16 rendition, from a linear decode on the host (big-endian, Vorbis channel order,
    /// which is L16's for one and two channels; for FLAC, `flac -d`'s samples).
    pub l16: Vec<u8>,
    /// Sample rate.
    pub rate: u32,
    /// Bytes per frame of the rendition.
    pub frame_bytes: usize,
}

/// Two short files: a stereo q5 and a mono q0 (a few seconds each, so the
/// test stays fast under emulation).
pub fn media() -> Vec<Media> {
    let specs = [
        (
            "Artist/Album/01 Stereo.ogg",
            Spec {
                quality: 5,
                channels: 2,
                rate: 44_100,
                frames: 3 * 44_100,
                encoder: Encoder::Oggenc,
            },
        ),
        (
            "Artist/Album/02 Mono.ogg",
            Spec {
                quality: 0,
                channels: 1,
                rate: 44_100,
                frames: 2 * 44_100,
                encoder: Encoder::Oggenc,
            },
        ),
    ];
    specs
        .into_iter()
        .map(|(path, spec)| {
            let ogg = spec.bytes();
            let mut f = open(&ogg);
            let (rate, channels) = (f.rate(), f.channels());
            let l16 = read_all_i16(&mut f).iter().flat_map(|s| s.to_be_bytes()).collect();
            Media { path, bytes: ogg, l16, rate, frame_bytes: 2 * usize::from(channels) }
        })
        .collect()
}

/// A FLAC file of `spec` (made by `flac`) at `path` on the card, with its reference L16
/// rendition: `flac -d`'s samples (16-bit, stereo or mono, so WAV order is L16's), big-endian.
pub fn flac_media(path: &'static str, spec: &FlacSpec) -> Media {
    assert_eq!(spec.bits, 16, "the reference is `flac -d`'s 16-bit output");
    let bytes = spec.bytes();
    let little = flac_corpus::reference_raw(&spec.path(), 16, spec.ogg);
    let l16 = little.chunks_exact(2).flat_map(|s| [s[1], s[0]]).collect();
    Media { path, bytes, l16, rate: spec.rate, frame_bytes: 2 * usize::from(spec.channels) }
}

/// The card: a FAT image with the media and a file that is not media.
pub fn card(media: &[Media]) -> Vec<u8> {
    let mut files: Vec<(&str, &[u8])> = media.iter().map(|m| (m.path, &m.bytes[..])).collect();
    files.push(("README.TXT", b"not media"));
    rill_tests::fat::image(0, &files)
}

/// A link between the test's namespace and the board: the tap device, with the host's address
/// on it and the address the board is expected at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The host's side of the tap (a /24).
    pub host: Ipv4Addr,
    /// The board's address.
    pub board: Ipv4Addr,
}

/// No DHCP server on the link: the board takes its static fallback, [`BOARD`].
pub const STATIC: Link = Link { host: TEST_LINK_HOST, board: BOARD };
/// A link where [`DhcpServer`] leases the board 10.0.3.50: another subnet than the fallback's,
/// so a board that fell back cannot be reached there.
pub const LEASED: Link = Link { host: DHCP_LINK_HOST, board: Ipv4Addr::new(10, 0, 3, 50) };

/// Creates the tap device inside the test's private namespace, host side at `link.host`/24.
/// Refuses to run anywhere else: outside a namespace this would add an interface to the real
/// machine.
pub fn tap_up(link: &Link) {
    assert!(netns::inside(), "the appliance tests must run in a private network namespace");
    let host = format!("{}/24", link.host);
    for args in [
        &["tuntap", "add", TAP, "mode", "tap"][..],
        &["addr", "add", &host, "dev", TAP],
        &["link", "set", TAP, "up"],
        &["route", "add", "239.0.0.0/8", "dev", TAP],
    ] {
        let status = Command::new("ip").args(args).status().expect("running ip");
        assert!(status.success(), "ip {args:?} failed");
    }
}

/// dnsmasq serving DHCP on the tap (and nothing else: no DNS, no other interface), leasing the
/// board its [`Link::board`] address and no other; killed on drop, printing its log.
pub struct DhcpServer {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl DhcpServer {
    /// Starts dnsmasq on the tap made by [`tap_up`] and waits until it listens. dnsmasq
    /// (Debian's dnsmasq-base) is required: without it this fails.
    pub fn start(link: &Link) -> DhcpServer {
        assert!(netns::inside(), "the DHCP server must run in the test's private namespace");
        // Debian installs it in /usr/sbin, which is not on a user's PATH.
        let sbin = Path::new("/usr/sbin/dnsmasq");
        let program = if sbin.exists() { sbin } else { Path::new("dnsmasq") };
        let mut child = Command::new(program)
            .args([
                "--no-daemon",
                "--conf-file=/dev/null",
                &format!("--interface={TAP}"),
                "--bind-interfaces",
                "--except-interface=lo",
                // No DNS, no files of the machine's, no pid or lease file, no privilege drop
                // (the namespace maps only root).
                "--port=0",
                "--no-resolv",
                "--no-hosts",
                "--leasefile-ro",
                "--pid-file=",
                "--user=root",
                // The address is the test's: offer it at once, without a ping to see if it
                // is in use.
                "--no-ping",
                "--dhcp-authoritative",
                &format!("--dhcp-range={0},{0},255.255.255.0,1h", link.board),
                "--log-facility=-",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect(
                "dnsmasq is required for the firmware DHCP test (apt-get install dnsmasq-base)",
            );
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("dnsmasq's stderr");
        let lines = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = lines.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut server = DhcpServer { child, log };
        let start = Instant::now();
        while !server.log().contains("sockets bound exclusively to interface") {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("dnsmasq exited ({status}):\n{}", server.log());
            }
            assert!(start.elapsed() < Duration::from_secs(10), "dnsmasq did not start");
            thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// What dnsmasq logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for DhcpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("--- dnsmasq log ---\n{}", self.log());
    }
}

/// Discovers the appliance on `link` and plays its media (see the module docs); returns the L16
/// URL of each file.
pub fn scenario(link: &Link, media: &[Media]) -> Vec<String> {
    let urls = urls(link, media);
    for (m, url) in media.iter().zip(&urls) {
        stream_and_seek(&Renderer::new(Player::PS3), m, url);
    }

    // Two streams at once, each on its own connection, while two more connections are open
    // (all four of the boards' HTTP slots in use: the firmware test reads its heap high-water
    // mark after this).
    let open: Vec<Client> = (0..2).map(|_| connect(link)).collect();
    at_once(link, media.iter().zip(&urls));
    drop(open);

    // One file on two connections at once, as when a player seeks on a new connection while
    // the old one winds down: both get the whole stream.
    let first = media.iter().zip(&urls).take(1);
    at_once(link, first.clone().chain(first));
    urls
}

/// Plays each (file, L16 URL) to its end, all at once, each on its own connection, and checks
/// every stream against the host decode.
fn at_once<'a>(link: &Link, streams: impl Iterator<Item = (&'a Media, &'a String)>) {
    let all: Vec<_> = streams
        .map(|(m, url)| {
            let (url, want, path, link) = (url.clone(), m.l16.clone(), m.path, *link);
            thread::spawn(move || {
                // Connected with retries, and asked again after a 503 as a player would: a
                // slot may still be closing an earlier connection.
                let url = Url::parse(&url).expect("URL");
                let got = (0..20)
                    .find_map(|_| {
                        let got = connect(&link)
                            .request("GET", &url, Player::PS3.headers, &[])
                            .expect("GET");
                        if got.status == 503 {
                            thread::sleep(Duration::from_millis(250));
                            return None;
                        }
                        Some(got)
                    })
                    .unwrap_or_else(|| panic!("{path}: the board stayed busy (503) for 5 s"));
                assert_eq!(got.status, 200, "{path}");
                assert!(got.body == want, "{path}: concurrent stream differs from the host decode");
            })
        })
        .collect();
    for t in all {
        t.join().expect("a concurrent stream");
    }
}

/// Discovers the appliance on `link`, checks that it answers at `link.board` and checks its
/// description; returns its ContentDirectory control URL.
pub fn content_directory(link: &Link) -> String {
    // Discovery: a multicast search from the host side of the link, answered by the board.
    let mut location = None;
    for _ in 0..5 {
        let answers = ssdp::discover(
            link.host,
            "urn:schemas-upnp-org:device:MediaServer:1",
            Duration::from_secs(2),
        )
        .expect("M-SEARCH");
        location = answers
            .iter()
            .filter(|m| m.status() == Some(200))
            .find(|m| m.header("usn").is_some_and(|u| u.starts_with(UDN)))
            .and_then(|m| m.header("location").map(str::to_string));
        if location.is_some() {
            break;
        }
    }
    let location = location.expect("the board answers a multicast search");
    let board = Url::parse(&location).expect("LOCATION");
    assert_eq!(board.addr.ip(), IpAddr::V4(link.board), "LOCATION names the board");

    let ps3 = Renderer::new(Player::PS3);
    let description = ps3.fetch_description(&location).expect("description");
    assert_eq!(description.udn, UDN);
    assert!(description.friendly_name.starts_with("Rill "), "{}", description.friendly_name);
    description.service(CONTENT_DIRECTORY).expect("ContentDirectory").control_url.clone()
}

/// Browses all children of `id` as a control point does: RequestedCount 0 ("all"), then on
/// from NumberReturned while the answers list fewer than TotalMatches (the server may cut a
/// page short). Returns the objects and how many answers it took.
pub fn browse_all(player: &Renderer, control: &str, id: &str) -> (Vec<didl::Object>, usize) {
    let mut objects = Vec::new();
    let mut answers = 0;
    loop {
        let what = Browse { start: objects.len() as u32, ..Browse::children(id) };
        let page = player.browse(control, &what).expect("Browse");
        answers += 1;
        let total = page.total_matches as usize;
        assert!(page.number_returned > 0 || objects.len() >= total, "an empty page of {id}");
        objects.extend(page.objects);
        if objects.len() >= total {
            assert_eq!(objects.len(), total, "{id}: more objects than TotalMatches");
            return (objects, answers);
        }
        assert!(answers < 100, "{id}: paging does not end");
    }
}

/// Browses the whole tree (music views and folders) behind the ContentDirectory `control` URL;
/// returns every item once (a track is listed in several containers under one id).
pub fn items(control: &str) -> Vec<didl::Object> {
    let ps3 = Renderer::new(Player::PS3);
    let mut items: Vec<didl::Object> = Vec::new();
    let mut pending = vec!["0".to_string()];
    for _ in 0..64 {
        let Some(id) = pending.pop() else { break };
        let (objects, _) = browse_all(&ps3, control, &id);
        let (containers, files): (Vec<_>, Vec<_>) =
            objects.into_iter().partition(|o| o.is_container);
        pending.extend(containers.into_iter().map(|c| c.id));
        for file in files {
            if !items.iter().any(|i| i.id == file.id) {
                items.push(file);
            }
        }
    }
    assert!(pending.is_empty(), "the tree has more containers than the walk allows");
    items
}

/// Discovers the appliance on `link`, checks its description and browses it; returns the L16
/// URL of each file, checking its exact length and that it names the board's address.
pub fn urls(link: &Link, media: &[Media]) -> Vec<String> {
    let items = items(&content_directory(link));
    assert_eq!(items.len(), media.len(), "one item per media file, nothing else: {items:?}");

    let mut urls = Vec::new();
    for m in media {
        let name = m.path.rsplit('/').next().unwrap();
        let (title, ext) = name.rsplit_once('.').unwrap();
        let item = items
            .iter()
            .find(|i| i.title == title || m.path.ends_with(&format!("{}.{ext}", i.title)))
            .unwrap_or_else(|| panic!("no item for {}: {items:?}", m.path));
        let res = item
            .res
            .iter()
            .find(|r| {
                r.mime().is_some_and(|mime| mime.starts_with("audio/L16"))
                    && r.sample_frequency == Some(m.rate)
            })
            .unwrap_or_else(|| panic!("no L16 resource for {}", m.path));
        assert_eq!(res.size, Some(m.l16.len() as u64), "{}: exact length", m.path);
        let url = Url::parse(&res.url).expect("a resource URL");
        assert_eq!(url.addr.ip(), IpAddr::V4(link.board), "{}: URL names the board", res.url);
        urls.push(res.url.clone());
    }
    urls
}

/// Subscribes to the board's ContentDirectory and ConnectionManager from the host side of
/// `link` and checks their initial events: SEQ 0 under the SID granted, the ContentDirectory's
/// SystemUpdateID the same as GetSystemUpdateID answers (the library never changes after
/// boot), the ConnectionManager's protocolInfo list (a NOTIFY larger than the board's socket
/// buffer); then cancels both.
pub fn initial_events(link: &Link) {
    /// How long an event may take before the test fails (a missing event, not a slow one).
    const WAIT: Duration = Duration::from_secs(10);
    let cp = Renderer::new(Player::GENERIC);
    let location = format!("http://{}/rill/description.xml", link.board);
    let description = cp.fetch_description(&location).expect("description");
    let cd = description.service(CONTENT_DIRECTORY).expect("ContentDirectory");
    let cm = description
        .service("urn:schemas-upnp-org:service:ConnectionManager:1")
        .expect("ConnectionManager");
    let listener = Subscriber::listen_on(link.host).expect("a listener on the test link");

    let sub = cp.subscribe(&cd.event_sub_url, &listener.callback("/cd"), 300).expect("SUBSCRIBE");
    let sub = sub.expect("the ContentDirectory subscription is granted");
    assert_eq!(sub.timeout, 300);
    let initial = listener.next(WAIT).expect("the ContentDirectory's initial event");
    assert_eq!(
        (initial.sid.as_str(), initial.seq, initial.path.as_str()),
        (sub.sid.as_str(), 0, "/cd")
    );
    assert_eq!((initial.nt.as_str(), initial.nts.as_str()), ("upnp:event", "upnp:propchange"));
    let id = cp.soap(&cd.control_url, CONTENT_DIRECTORY, "GetSystemUpdateID", &[]);
    let id: u32 = id.expect("GetSystemUpdateID")[0].1.parse().expect("a number");
    assert_eq!(initial.system_update_id(), Some(id), "{initial:?}");
    assert_eq!(initial.get("ContainerUpdateIDs"), Some(""), "{initial:?}");

    let cm_sub =
        cp.subscribe(&cm.event_sub_url, &listener.callback("/cm"), 300).expect("SUBSCRIBE");
    let cm_sub = cm_sub.expect("the ConnectionManager subscription is granted");
    assert_ne!(cm_sub.sid, sub.sid);
    let cm_initial = listener.next(WAIT).expect("the ConnectionManager's initial event");
    assert_eq!((cm_initial.sid.as_str(), cm_initial.seq), (cm_sub.sid.as_str(), 0));
    let source = cm_initial.get("SourceProtocolInfo").expect("SourceProtocolInfo");
    assert!(source.contains("audio/L16"), "{source}");

    assert_eq!(cp.unsubscribe(&cd.event_sub_url, &sub.sid).expect("UNSUBSCRIBE"), 200);
    assert_eq!(cp.unsubscribe(&cm.event_sub_url, &cm_sub.sid).expect("UNSUBSCRIBE"), 200);
    assert_eq!(cp.unsubscribe(&cd.event_sub_url, &sub.sid).expect("UNSUBSCRIBE"), 412);
}

/// The whole rendition, a byte range and a time seek of one file, against the host decode.
pub fn stream_and_seek(player: &Renderer, m: &Media, url: &str) {
    let whole = player.get(url, &[]).expect("GET");
    assert_eq!(whole.status, 200, "{}", m.path);
    assert!(whole.body == m.l16, "{}: L16 differs from the host decode", m.path);

    // A byte range starting mid-frame, ending mid-file.
    let (first, last) = (m.l16.len() / 3 + 1, m.l16.len() / 2 + 1000);
    let range = format!("bytes={first}-{last}");
    let part = player.get(url, &[("Range", &range)]).expect("GET range");
    assert_eq!(part.status, 206, "{}", m.path);
    assert!(part.body == m.l16[first..=last], "{}: range {range} differs", m.path);

    // A time seek to 1.25 s: frames from floor(1.25 × rate) to the end.
    let seek = player.get(url, &[("TimeSeekRange.dlna.org", "npt=1.250-")]).expect("GET seek");
    assert_eq!(seek.status, 200, "{}", m.path);
    let from = (m.rate as usize * 5 / 4) * m.frame_bytes;
    assert!(seek.body == m.l16[from..], "{}: time seek differs", m.path);
}

/// Connects to the board's HTTP port on `link` (for tests that hold connections open), with
/// [`retrying`].
pub fn connect(link: &Link) -> Client {
    retrying(|| Client::connect(SocketAddr::new(IpAddr::V4(link.board), 80)))
}

/// Retries `connect` for a few seconds, as a player would: smoltcp has no listen backlog, so a
/// connection arriving while a slot is between connections is reset.
pub fn retrying<T>(connect: impl Fn() -> std::io::Result<T>) -> T {
    for _ in 0..50 {
        if let Ok(connection) = connect() {
            return connection;
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("cannot connect to the board");
}
