//! Time to first byte after a seek on the appliance, in the board's own time.
//!
//! `RILL_FIRMWARE_CARD=card.img cargo bench -p rill-tests --bench firmware_ttfb`, run by
//! `bench/firmware.sh`, which makes the card with the `firmware_card` example (q0, q5 and q10
//! files, 10 s of 44.1 kHz stereo each, the card of the decode figures).
//!
//! The mps2-an386 firmware, built with feature `ttfb`, boots in QEMU under `-icount shift=0`
//! inside a private network namespace, on a tap link where dnsmasq leases it an address (as in
//! `tests/firmware_qemu.rs`; traffic never leaves the namespace). Virtual time then advances
//! 1 ns per guest instruction, and the board's clock (SysTick at 25 MHz, read to the
//! microsecond) counts instructions: 1 µs of board time is 1000 guest instructions, whatever the
//! host. For each file, fresh connections ask for the L16 rendition with a byte range
//! (`Range: bytes=N-M`, N at 45, 50 and 55 % of its length, mid-frame, 16 KiB) and with a DLNA
//! time seek (`TimeSeekRange.dlna.org: npt=T1-T2`, T1 at 4.5, 5 and 5.5 s, 0.1 s), each read to
//! its end. The spans are bounded so that each stream has ended (and closed its file) before the
//! next request opens the file again; up to the first body byte the board does the same work
//! as for an open-ended seek.
//!
//! The board logs each media answer's time from the request's first byte read to its head's
//! write (open and seek) and to its body's first write (the first 4 KiB chunk decoded); the
//! host times from sending the request to receiving the first body byte (wall-clock under
//! QEMU, for reference only: not a board's time). Medians of the three positions are printed,
//! guest instructions also as milliseconds on a 480 MHz Cortex-M7 at about one instruction a
//! cycle.

#[path = "../tests/appliance/mod.rs"]
mod appliance;
#[path = "../tests/ogg_util/mod.rs"]
mod ogg_util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use appliance::qemu::{self, build_firmware, Qemu};
use appliance::{DhcpServer, LEASED};
use rill_tests::renderer::{netns, Player, Renderer, Url, CONTENT_DIRECTORY};

/// The environment variable naming the card image (an argument would not reach the run inside
/// the namespace, which gets the test harness's arguments).
const CARD: &str = "RILL_FIRMWARE_CARD";
/// The files on the card, by title, and their length.
const FILES: [&str; 3] = ["q0", "q5", "q10"];
const SECONDS: f64 = 10.0;
/// Where in a file the seeks go, as fractions of it.
const POSITIONS: [f64; 3] = [0.45, 0.5, 0.55];
/// How much each seek asks for: a bounded span (more than the first 4 KiB chunk), so that each
/// answer ends and its stream closes the file before the next request opens it again.
const SPAN_BYTES: u64 = 16 * 1024;
const SPAN_SECONDS: f64 = 0.1;
/// What the board logs per media answer (feature `ttfb` of rill-firmware).
const LOG: &str = "HTTP: media answer: head ";
/// The clock the guest instruction counts are converted to.
const TARGET_HZ: f64 = 480e6;

fn main() {
    let card = std::env::var_os(CARD).map(PathBuf::from);
    let card = card.unwrap_or_else(|| panic!("{CARD} must name a card image (bench/firmware.sh)"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("firmware-ttfb");
    // Built before entering the namespace, whose run is bounded in time.
    if !netns::inside() {
        qemu::require();
        assert!(netns::available(), "the bench needs `unshare -rn` for a private namespace");
        std::fs::create_dir_all(&dir).expect("the bench's directory");
        build_firmware("ttfb", &dir);
    }
    netns::isolated("firmware_ttfb", || run(&dir.join("firmware.elf"), &card));
}

/// A seek as a player asks for it.
#[derive(Clone, Copy)]
enum Seek {
    /// `Range: bytes=N-M`.
    Bytes,
    /// `TimeSeekRange.dlna.org: npt=T1-T2`.
    Time,
}

fn run(elf: &Path, card: &Path) {
    let dir = tempfile::tempdir().unwrap();
    appliance::tap_up(&LEASED);
    let _dhcp = DhcpServer::start(&LEASED);
    let serial = dir.path().join("serial.log");
    let mut board = Qemu::boot(elf, card, &serial, &["-icount", "shift=0"]);
    board.wait_for("SSDP: announcing", Duration::from_secs(60));
    // Straight to the description: under -icount an idle board's clock runs slower than the
    // host's, and its SSDP answers wait for their random delay (up to MX, 1 s) in its time.
    let location = format!("http://{}/rill/description.xml", LEASED.board);
    let description = Renderer::new(Player::PS3).fetch_description(&location);
    let description = description.expect("the board's description");
    let cd = description.service(CONTENT_DIRECTORY).expect("a ContentDirectory");
    let items = appliance::items(&cd.control_url);

    println!(
        "{:<5} {:<10} {:>36} {:>11} {:>16} {:>22}",
        "file",
        "seek",
        "to first body byte: median (range)",
        "at 480 MHz",
        "to head (seek)",
        "host wall-clock (QEMU)"
    );
    let mut answers = 0;
    for title in FILES {
        let item = items.iter().find(|i| i.title == title);
        let item = item.unwrap_or_else(|| panic!("no item {title} on the card: {items:?}"));
        let res = item.res.iter().find(|r| r.mime().is_some_and(|m| m.starts_with("audio/L16")));
        let res = res.unwrap_or_else(|| panic!("no L16 resource for {title}"));
        let url = Url::parse(&res.url).expect("the resource URL");
        let size = res.size.expect("the rendition's size");
        for seek in [Seek::Bytes, Seek::Time] {
            let (mut body, mut head, mut wall) = (Vec::new(), Vec::new(), Vec::new());
            for at in POSITIONS {
                let (header, value, status) = match seek {
                    Seek::Bytes => {
                        let first = (size as f64 * at) as u64;
                        ("Range", format!("bytes={first}-{}", first + SPAN_BYTES - 1), 206)
                    }
                    Seek::Time => {
                        let (from, to) = (SECONDS * at, SECONDS * at + SPAN_SECONDS);
                        ("TimeSeekRange.dlna.org", format!("npt={from:.3}-{to:.3}"), 200)
                    }
                };
                wall.push(seek_answer(&url, (header, &value), status));
                answers += 1;
                board.wait_for_times(LOG, answers, Duration::from_secs(10));
                let (to_head, to_body) = logged(&board.log(), answers - 1);
                head.push(to_head);
                body.push(to_body);
            }
            let name = match seek {
                Seek::Bytes => "bytes=N-M",
                Seek::Time => "npt=T1-T2",
            };
            // 1 µs of guest time is 1000 instructions.
            let m = |us: u64| us as f64 * 1e3 / 1e6;
            let instructions = median(&mut body) as f64 * 1e3;
            println!(
                "{title:<5} {name:<10} {:>11.1} M instr. ({:.1}-{:.1} M) {:>8.1} ms \
                 {:>7.1} M instr. {:>12.0} ms",
                instructions / 1e6,
                m(body[0]),
                m(body[body.len() - 1]),
                instructions / TARGET_HZ * 1e3,
                m(median(&mut head)),
                median(&mut wall) as f64 / 1e3,
            );
        }
    }
    assert!(!board.log().contains("panic"), "the firmware panicked");
}

/// Sends a PS3's `GET` of `url` with `seek` on a fresh connection and reads the answer to its
/// end; checks its status and length; returns the host's microseconds from sending the request
/// to receiving the first body byte.
fn seek_answer(url: &Url, seek: (&str, &str), status: u16) -> u128 {
    let mut request = format!("GET {} HTTP/1.1\r\nHost: {}\r\n", url.path, url.authority);
    for (name, value) in Player::PS3.headers.iter().chain([&seek]) {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    // `url.addr` passed `netns::allowed` in `Url::parse`: the board on the test link.
    let mut conn = appliance::retrying(|| TcpStream::connect(url.addr));
    conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let sent = Instant::now();
    conn.write_all(request.as_bytes()).expect("sending the request");
    let mut received = Vec::new();
    let mut first_byte = None;
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).expect("reading the answer");
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buf[..n]);
        let head_end = received.windows(4).position(|w| w == b"\r\n\r\n");
        if first_byte.is_none() && head_end.is_some_and(|end| received.len() > end + 4) {
            first_byte = Some(sent.elapsed().as_micros());
        }
    }
    let end = received.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    let head = String::from_utf8_lossy(&received[..end]);
    assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{seek:?}: {head}");
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .expect("Content-Length");
    assert_eq!(received.len() - end - 4, length, "{seek:?}: the whole body");
    first_byte.expect("a body")
}

/// The `index`th media answer's logged times (µs from the request to its head and to its first
/// body byte).
fn logged(log: &str, index: usize) -> (u64, u64) {
    let line = log.lines().filter_map(|l| l.split(LOG).nth(1)).nth(index).expect("the log line");
    let numbers: Vec<u64> =
        line.split_whitespace().filter_map(|w| w.parse().ok()).collect::<Vec<_>>();
    match numbers[..] {
        [head, body] => (head, body),
        _ => panic!("unexpected log line: {line}"),
    }
}

/// The median of `values` (sorted in place).
fn median<T: Ord + Copy>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}
