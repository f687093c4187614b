//! Slow, idle and too many clients over real sockets: 500 connections that send nothing or
//! trickle a request head a byte at a time do not stop a player from browsing and streaming;
//! the tricklers are cut off by the request timeout and the idle ones by the idle timeout (as
//! is a body trickled after `100 Continue`); beyond the connection cap newcomers get a 503, and
//! a closed connection frees its slot.
//!
//! Timeouts are shortened through the server's configuration so the test is quick; nothing
//! passes or fails on timing except generous bounded waits for things that must happen.

mod common;
mod ogg_util;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::thread::sleep;
use std::time::{Duration, Instant};

use ogg_util::Mem;
use rill::connection::Timeouts;
use rill_core::media::vorbis_file::VorbisFile;
use rill_core::time::Duration as CoreDuration;
use rill_tests::corpus::{Encoder, Spec};
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Client, Player, Renderer, Url};

/// Connections that never send a byte.
const IDLE: usize = 250;
/// Connections that send one byte of a request head every [`TRICKLE`].
const TRICKLING: usize = 250;
const TRICKLE: Duration = Duration::from_millis(500);

/// A served folder holding one stereo oggenc file of five seconds, and the file.
fn folder() -> ((tempfile::TempDir, PathBuf), Vec<u8>) {
    let (dir, media) = common::empty_dir();
    let spec =
        Spec { quality: 3, channels: 2, rate: 44_100, frames: 220_500, encoder: Encoder::Oggenc };
    let ogg = spec.bytes();
    std::fs::write(media.join("tone.ogg"), &ogg).unwrap();
    ((dir, media), ogg)
}

/// The file's L16 rendition, computed here: a linear decode, big-endian samples.
fn l16(ogg: &[u8]) -> Vec<u8> {
    let mut file = VorbisFile::open(Mem::new(ogg.to_vec())).unwrap();
    let mut buf = vec![0i16; 8192];
    let mut out = Vec::new();
    loop {
        let frames = file.read_i16(&mut buf).unwrap();
        if frames == 0 {
            return out;
        }
        buf[..frames * 2].iter().for_each(|s| out.extend_from_slice(&s.to_be_bytes()));
    }
}

/// What a well-behaved player does: browse to the track, fetch the original file and the L16
/// rendition in full on one kept-alive connection, and compare every byte.
fn play(addr: SocketAddr, ogg: &[u8], pcm: &[u8]) {
    let cp = Renderer::new(Player::GENERIC);
    let control = format!("http://{addr}/rill/cd/control");
    let found = common::items(&cp, &control, "0");
    let track = found.iter().find(|o| o.title == "tone").expect("the track is listed");
    let res = |mime: &str| {
        let r = track.res.iter().find(|r| r.mime().is_some_and(|m| m.starts_with(mime)));
        Url::parse(&r.unwrap_or_else(|| panic!("no {mime} res")).url).unwrap()
    };
    let mut c = Client::connect(addr).unwrap();
    for (url, want) in [(res("audio/L16"), pcm), (res("audio/ogg"), ogg)] {
        let resp = c.request("GET", &url, &[], &[]).unwrap();
        assert_eq!(resp.status, 200, "{}", url.path);
        assert!(
            resp.body == want,
            "{}: {} bytes, not the {} expected",
            url.path,
            resp.body.len(),
            want.len()
        );
    }
}

/// Whether `s` is still open, without waiting (a read timeout of a millisecond takes far longer
/// on a loaded machine, and the tricklers' request clock runs meanwhile).
fn open_now(s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 1];
    let open = matches!(s.peek(&mut buf), Err(e) if e.kind() == ErrorKind::WouldBlock);
    s.set_nonblocking(false).unwrap();
    open
}

/// Whether the server has closed `s` (end of stream or reset); waits at most `wait`.
fn closed_within(mut s: &TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 512];
    match s.read(&mut buf) {
        Ok(0) => true,
        // An answer to a partial head would be a bug: there is nothing to answer yet.
        Ok(n) => panic!("{n} bytes sent to a client that never finished a request"),
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

#[test]
fn idle_and_trickling_clients_do_not_stop_a_player() {
    isolated("idle_and_trickling_clients_do_not_stop_a_player", || {
        let (dir, ogg) = folder();
        let pcm = l16(&ogg);
        // The player's work takes a second or two; idle connections must outlive it.
        let timeouts = Timeouts {
            idle: CoreDuration::from_secs(20),
            request: CoreDuration::from_secs(3),
            stall: CoreDuration::from_secs(60),
        };
        let server = common::start_with(dir, |c| c.timeouts = timeouts);
        let addr = SocketAddr::from(server.http);

        let connect = || {
            let s = TcpStream::connect(addr).unwrap();
            s.set_nodelay(true).unwrap();
            s
        };
        let idle: Vec<TcpStream> = (0..IDLE).map(|_| connect()).collect();
        let mut trickling: Vec<TcpStream> = (0..TRICKLING).map(|_| connect()).collect();
        // A head that never ends: one header line after another.
        let head = b"GET /rill/description.xml HTTP/1.1\r\nHost: x\r\n"
            .iter()
            .chain(b"X: y\r\n".iter().cycle());
        let head: Vec<u8> = head.take(4096).copied().collect();
        let mut sent = 0;
        let trickle = |streams: &mut Vec<TcpStream>, sent: &mut usize| {
            // Connections the server has cut are dropped from the list.
            let byte = [head[*sent % head.len()]];
            streams.retain_mut(|s| s.write_all(&byte).is_ok());
            *sent += 1;
        };
        trickle(&mut trickling, &mut sent);

        // Every slow connection is accepted and held while the player is served in full.
        play(addr, &ogg, &pcm);
        trickle(&mut trickling, &mut sent);
        let open_idle = idle.iter().filter(|s| open_now(s)).count();
        assert_eq!(
            open_idle, IDLE,
            "idle connections are held, not refused, while a player is served"
        );

        // The tricklers are cut off by the request timeout, though they keep sending.
        let start = Instant::now();
        while !trickling.is_empty() && start.elapsed() < Duration::from_secs(60) {
            sleep(TRICKLE);
            trickle(&mut trickling, &mut sent);
        }
        assert!(trickling.is_empty(), "{} trickling connections still open", trickling.len());
        assert!(sent > 4, "the tricklers were sending for a while ({sent} bytes)");

        // The idle connections end at the idle timeout.
        let deadline = Instant::now() + Duration::from_secs(60);
        for s in &idle {
            let left =
                deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            assert!(closed_within(s, left), "an idle connection outlived the idle timeout");
        }
        // And the server still serves.
        play(addr, &ogg, &pcm);
        server.shutdown();
    });
}

/// A kept-alive connection whose first request was answered 200, retried on 503 while a slot
/// is being freed (the server notices a close within a bounded wait).
fn served(addr: SocketAddr) -> Client {
    let start = Instant::now();
    loop {
        let mut c = Client::connect(addr).unwrap();
        c.send_raw(b"GET /rill/description.xml HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        match c.read_response().unwrap().status {
            200 => return c,
            503 if start.elapsed() < Duration::from_secs(30) => sleep(Duration::from_millis(20)),
            status => panic!("no free slot: {status}"),
        }
    }
}

#[test]
fn connections_beyond_the_cap_get_503_and_closed_ones_free_their_slot() {
    isolated("connections_beyond_the_cap_get_503_and_closed_ones_free_their_slot", || {
        let (dir, _) = folder();
        let server = common::start_with(dir, |c| c.max_connections = 8);
        let addr = SocketAddr::from(server.http);
        let description = b"GET /rill/description.xml HTTP/1.1\r\nHost: x\r\n\r\n";

        // Eight kept-alive connections, each answered once: every slot is taken.
        let mut held: Vec<Client> = (0..8)
            .map(|_| {
                let mut c = Client::connect(addr).unwrap();
                c.send_raw(description).unwrap();
                assert_eq!(c.read_response().unwrap().status, 200);
                c
            })
            .collect();
        for _ in 0..3 {
            let mut c = Client::connect(addr).unwrap();
            c.send_raw(description).unwrap();
            let r = c.read_response().unwrap();
            assert_eq!(r.status, 503);
            assert_eq!(r.header("retry-after"), Some("5"));
            assert!(c.is_closed(), "a refused connection is closed");
        }
        // The held ones are still served.
        held[3].send_raw(description).unwrap();
        assert_eq!(held[3].read_response().unwrap().status, 200);

        // One leaves: its slot goes to the next newcomer.
        held.pop();
        let mut newcomer = served(addr);
        newcomer.send_raw(description).unwrap();
        assert_eq!(newcomer.read_response().unwrap().status, 200);
        // All leave: eight at once are served again, so every slot came back.
        drop((held, newcomer));
        let again: Vec<Client> = (0..8).map(|_| served(addr)).collect();
        assert_eq!(again.len(), 8);
        server.shutdown();
    });
}

#[test]
fn a_body_trickled_after_100_continue_is_cut_off_too() {
    isolated("a_body_trickled_after_100_continue_is_cut_off_too", || {
        let (dir, _) = folder();
        let timeouts = Timeouts { request: CoreDuration::from_secs(2), ..Timeouts::default() };
        let server = common::start_with(dir, |c| c.timeouts = timeouts);
        let mut s = TcpStream::connect(SocketAddr::from(server.http)).unwrap();
        s.write_all(
            b"POST /rill/cd/control HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\
              SOAPACTION: \"urn:schemas-upnp-org:service:ContentDirectory:1#Browse\"\r\n\
              Content-Length: 1000\r\n\r\n",
        )
        .unwrap();
        let mut head = [0u8; 25];
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 100 Continue\r\n\r\n");
        // The body, a byte at a time: the request's clock kept running through the 100.
        let start = Instant::now();
        let mut sent = 0;
        while start.elapsed() < Duration::from_secs(60) && s.write_all(b" ").is_ok() {
            sent += 1;
            if closed_within(&s, TRICKLE) {
                break;
            }
        }
        assert!(sent < 1000, "the whole trickled body was taken");
        assert!(closed_within(&s, Duration::from_secs(10)), "the connection was not closed");
        server.shutdown();
    });
}
