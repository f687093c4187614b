//! The connection on a simulated clock: every timer, `100 Continue`, keep-alive and
//! pipelining, HEAD, partial writes, files handed to the shell, buffers that grow and shrink,
//! and clients that go away.

use std::string::String;
use std::vec;
use std::vec::Vec;

use super::{Close, Config, Connection, Event, Growable, Outgoing, Storage, Timeouts, Timer};
use crate::http::request::RequestLimits;
use crate::server::tests::{drive, server, test_env, TestEnv, PEER};
use crate::server::{busy, RETRY_AFTER};
use crate::time::{Duration, Instant};

const T0: Instant = Instant::from_millis(1000);
const HOST: &str = "127.0.0.1:8200";
const DESCRIPTION: &[u8] = b"GET /rill/description.xml HTTP/1.1\r\nHost: x\r\n\r\n";

fn config(send_files: bool) -> Config {
    Config { timeouts: Timeouts::DEFAULT, send_files, chunk: 4096 }
}

fn at(secs: u64) -> Instant {
    T0 + Duration::from_secs(secs)
}

/// The statuses of the responses in `out`, each with its body skipped by `Content-Length`
/// (`heads` of them, from the first, answer HEAD and have none).
fn statuses(mut out: &[u8], mut heads: usize) -> Vec<u16> {
    let mut found = Vec::new();
    while !out.is_empty() {
        let mut storage = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut storage);
        let httparse::Status::Complete(n) = parsed.parse(out).unwrap() else {
            panic!("truncated head")
        };
        let status = parsed.code.unwrap();
        let len: usize = parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .map(|h| core::str::from_utf8(h.value).unwrap().parse().unwrap())
            .unwrap_or(0);
        let len = if status == 100 || heads > 0 { 0 } else { len };
        if status != 100 {
            heads = heads.saturating_sub(1);
        }
        found.push(status);
        out = &out[n + len..];
    }
    found
}

fn closed(events: &[Event]) -> Option<Close> {
    events.iter().find_map(|e| match e {
        Event::Closed(c) => Some(*c),
        Event::Served { .. } => None,
    })
}

fn served(events: &[Event]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Served { status, .. } => Some(*status),
            Event::Closed(_) => None,
        })
        .collect()
}

fn growable() -> (Growable, Growable) {
    (Growable::new(1024, 80 * 1024), Growable::new(0, 64 * 1024))
}

fn media_get(env_id: crate::library::ObjectId, extra: &str) -> Vec<u8> {
    std::format!("GET /rill/media/{}.mp3 HTTP/1.1\r\nHost: x\r\n{extra}\r\n", env_id).into_bytes()
}

fn song(env: &TestEnv) -> Vec<u8> {
    env.files.get("a/song.mp3").unwrap().clone()
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let (env, _) = test_env();
    let server = server(&env);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    assert_eq!(conn.poll_at(), Some(at(30)));
    conn.handle_timeout(at(30) - Duration::from_micros(1));
    assert_eq!(conn.poll_event(), None);
    conn.handle_timeout(at(30));
    assert_eq!(conn.poll_event(), Some(Event::Closed(Close::TimedOut(Timer::Idle))));
    assert_eq!(conn.poll_event(), None);
    assert_eq!(conn.poll_at(), None);
}

#[test]
fn a_trickled_request_is_cut_off_by_the_request_timeout() {
    let (env, _) = test_env();
    let server = server(&env);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    // The first byte starts the request's clock; later bytes do not extend it.
    assert_eq!(conn.handle_input(at(5), b"GET / HT"), 8);
    assert_eq!(conn.poll_at(), Some(at(15)));
    assert_eq!(conn.handle_input(at(14), b"TP/1.1\r\n"), 8);
    assert_eq!(conn.poll_at(), Some(at(15)));
    assert!(conn.poll_transmit(at(14)).is_none());
    conn.handle_timeout(at(15));
    assert_eq!(conn.poll_event(), Some(Event::Closed(Close::TimedOut(Timer::Request))));
    assert!(conn.is_closed());
}

#[test]
fn the_idle_clock_restarts_when_a_response_is_sent_in_full() {
    let (env, _) = test_env();
    let server = server(&env);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    conn.handle_input(at(1), DESCRIPTION);
    // Answering: the stall clock runs from the response's start.
    assert_eq!(conn.poll_at(), Some(at(1) + Timeouts::DEFAULT.stall));
    let seen = drive(&mut conn, at(2), b"", 1, usize::MAX, false);
    assert_eq!(served(&seen.events), [200]);
    assert_eq!(conn.poll_at(), Some(at(32)));
    assert!(!conn.is_closed());
}

#[test]
fn a_client_that_stops_reading_is_dropped_after_the_stall_timeout() {
    let (env, id) = test_env();
    let server = server(&env);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    conn.handle_input(T0, &media_get(id, ""));
    let stall = Timeouts::DEFAULT.stall;
    // Some progress at 60 s moves the deadline; then nothing more is taken.
    let Some(Outgoing::Bytes(head)) = conn.poll_transmit(at(60)) else { panic!("no head") };
    let n = head.len();
    conn.handle_sent(at(60), n);
    assert_eq!(conn.poll_at(), Some(at(60) + stall));
    assert!(matches!(conn.poll_transmit(at(61)), Some(Outgoing::Bytes(_))));
    conn.handle_sent(at(61), 0);
    assert_eq!(conn.poll_at(), Some(at(60) + stall));
    conn.handle_timeout(at(60) + stall);
    assert_eq!(conn.poll_event(), Some(Event::Closed(Close::TimedOut(Timer::Stall))));
}

#[test]
fn pipelined_requests_are_answered_in_order_in_any_split() {
    let (env, id) = test_env();
    let server = server(&env);
    let mut input = DESCRIPTION.to_vec();
    input.extend(media_get(id, "Range: bytes=10-19\r\n"));
    input.extend(b"GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n");
    input.extend(DESCRIPTION); // never answered: the previous request closed the connection
    let mut outputs = Vec::new();
    for (chunk, take) in [(usize::MAX, usize::MAX), (1, 7), (13, 1)] {
        let (rx, tx) = growable();
        let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
        let seen = drive(&mut conn, T0, &input, chunk, take, false);
        assert_eq!(statuses(&seen.output, 0), [200, 206, 404]);
        assert_eq!(served(&seen.events), [200, 206, 404]);
        assert_eq!(closed(&seen.events), Some(Close::Done));
        outputs.push(seen.output);
    }
    // Partial writes and reads change nothing in the bytes.
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

#[test]
fn a_file_body_read_by_the_connection_or_sent_by_the_shell_is_the_same() {
    let (env, id) = test_env();
    let server = server(&env);
    let data = song(&env);
    let input = media_get(id, "Range: bytes=1000-70999\r\nConnection: close\r\n");
    let mut bodies = Vec::new();
    for send_files in [false, true] {
        let (rx, tx) = growable();
        let mut conn = Connection::new(&server, HOST, PEER, config(send_files), rx, tx, T0);
        let seen = drive(&mut conn, T0, &input, usize::MAX, 5000, false);
        assert_eq!(served(&seen.events), [206]);
        assert_eq!(closed(&seen.events), Some(Close::Done));
        let body_at = seen.output.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        bodies.push(seen.output[body_at..].to_vec());
    }
    assert_eq!(bodies[0], &data[1000..71000]);
    assert_eq!(bodies[1], bodies[0]);
}

#[test]
fn the_shell_is_handed_the_file_and_reports_progress() {
    let (env, id) = test_env();
    let server = server(&env);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(true), rx, tx, T0);
    conn.handle_input(T0, &media_get(id, "Range: bytes=100-\r\n"));
    let Some(Outgoing::Bytes(head)) = conn.poll_transmit(T0) else { panic!("no head") };
    let n = head.len();
    conn.handle_sent(T0, n);
    let Some(Outgoing::File { offset, len, .. }) = conn.poll_transmit(T0) else {
        panic!("no file")
    };
    assert_eq!((offset, len), (100, 100_000 - 100));
    conn.handle_sent(at(1), 40_000);
    let Some(Outgoing::File { offset, len, .. }) = conn.poll_transmit(at(1)) else {
        panic!("no file")
    };
    assert_eq!((offset, len), (40_100, 100_000 - 40_100));
    // The file turns out shorter than it was: the framing is broken, the connection ends.
    conn.handle_body_error();
    assert_eq!(conn.poll_event(), Some(Event::Closed(Close::BodyFailed)));
    assert!(conn.poll_transmit(at(1)).is_none());
}

#[test]
fn head_answers_have_a_length_and_no_body() {
    let (env, id) = test_env();
    let server = server(&env);
    let mut input = std::format!("HEAD /rill/media/{}.mp3 HTTP/1.1\r\n\r\n", id).into_bytes();
    input.extend(DESCRIPTION);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(true), rx, tx, T0);
    let seen = drive(&mut conn, T0, &input, usize::MAX, usize::MAX, true);
    assert_eq!(statuses(&seen.output, 1), [200, 200]);
    let text = String::from_utf8_lossy(&seen.output);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Length: 100000\r\n"), "{text}");
    assert_eq!(closed(&seen.events), Some(Close::ClientClosed));
}

#[test]
fn expect_100_continue_is_answered_before_the_body_and_the_request_clock_keeps_running() {
    let (env, _) = test_env();
    let server = server(&env);
    let body = "<x/>";
    let head = std::format!(
        "POST /rill/cd/control HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    conn.handle_input(at(1), head.as_bytes());
    // Written in two parts: the invitation goes out whole.
    let Some(Outgoing::Bytes(b)) = conn.poll_transmit(at(1)) else { panic!("no 100") };
    assert_eq!(b, b"HTTP/1.1 100 Continue\r\n\r\n");
    conn.handle_sent(at(1), 9);
    let Some(Outgoing::Bytes(b)) = conn.poll_transmit(at(1)) else { panic!("no rest") };
    assert_eq!(b, b"100 Continue\r\n\r\n");
    let n = b.len();
    conn.handle_sent(at(1), n);
    assert!(conn.poll_transmit(at(1)).is_none());
    assert_eq!(conn.poll_at(), Some(at(11)));
    conn.handle_timeout(at(11));
    assert_eq!(conn.poll_event(), Some(Event::Closed(Close::TimedOut(Timer::Request))));

    // In time, the body is answered (a SOAP fault for this body).
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let mut input = head.into_bytes();
    let seen = drive(&mut conn, T0, &input, usize::MAX, usize::MAX, false);
    assert_eq!(statuses(&seen.output, 0), [100]);
    input.clear();
    let seen = drive(&mut conn, T0, body.as_bytes(), usize::MAX, usize::MAX, false);
    assert_eq!(statuses(&seen.output, 0), [500]);

    // A body sent without waiting gets no 100.
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let mut all = std::format!(
        "POST /rill/cd/control HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    all.extend(body.as_bytes());
    let seen = drive(&mut conn, T0, &all, usize::MAX, usize::MAX, false);
    assert_eq!(statuses(&seen.output, 0), [500]);
}

#[test]
fn the_receive_buffer_grows_for_a_body_and_shrinks_back() {
    let (env, _) = test_env();
    let server = server(&env);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    assert_eq!(conn.rx.bytes().len(), 1024);
    let body = "x".repeat(20_000);
    let mut input =
        std::format!("POST /rill/cd/control HTTP/1.1\r\nContent-Length: {}\r\n\r\n", body.len())
            .into_bytes();
    input.extend(body.as_bytes());
    let seen = drive(&mut conn, T0, &input, 1500, usize::MAX, false);
    // Not SOAP: UPnP answers a control request it cannot take with a fault, status 500.
    assert_eq!(statuses(&seen.output, 0), [500]);
    assert_eq!(served(&seen.events), [500]);
    assert!(!conn.is_closed());
    // Back to the start, send buffer given back.
    assert_eq!(conn.rx.bytes().len(), 1024);
    assert_eq!(conn.tx.bytes().len(), 0);

    // A head longer than the limit: 431; a body beyond the buffer's bound: 413.
    let mut big = b"GET / HTTP/1.1\r\n".to_vec();
    while big.len() <= RequestLimits::DEFAULT.max_head {
        big.extend(b"X-Filler: aaaaaaaaaaaaaaaaaaaa\r\n");
    }
    for (input, status) in [
        (big, 431),
        (b"POST /rill/cd/control HTTP/1.1\r\nContent-Length: 65536\r\n\r\n".to_vec(), 413),
    ] {
        let (_, tx) = growable();
        let rx = Growable::new(1024, 16 * 1024);
        let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
        let seen = drive(&mut conn, T0, &input, usize::MAX, usize::MAX, false);
        assert_eq!(statuses(&seen.output, 0), [status]);
        assert_eq!(closed(&seen.events), Some(Close::Refused(status)));
    }
}

#[test]
fn a_client_that_goes_away_ends_the_connection_with_its_reason() {
    let (env, id) = test_env();
    let server = server(&env);
    // Between requests: closed by the client.
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let seen = drive(&mut conn, T0, DESCRIPTION, usize::MAX, usize::MAX, true);
    assert_eq!(served(&seen.events), [200]);
    assert_eq!(closed(&seen.events), Some(Close::ClientClosed));
    // In the middle of a request.
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let seen = drive(&mut conn, T0, b"GET / HTTP/1.1\r\n", usize::MAX, usize::MAX, true);
    assert_eq!(closed(&seen.events), Some(Close::ClientGone));
    // In the middle of a response: the socket failed.
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    conn.handle_input(T0, &media_get(id, ""));
    assert!(conn.poll_transmit(T0).is_some());
    conn.handle_io_error();
    assert_eq!(conn.poll_event(), Some(Event::Closed(Close::ClientGone)));
    assert_eq!(conn.poll_event(), None);
    assert_eq!(Close::ClientGone.fault(), super::Fault::Client);
    assert_eq!(Close::BodyFailed.fault(), super::Fault::Server);
}

#[test]
fn a_request_received_before_the_client_closed_is_still_answered() {
    let (env, _) = test_env();
    let server = server(&env);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let mut input = DESCRIPTION.to_vec();
    input.extend(DESCRIPTION);
    conn.handle_input(T0, &input);
    conn.handle_eof(T0);
    let seen = drive(&mut conn, T0, b"", 1, usize::MAX, false);
    assert_eq!(served(&seen.events), [200, 200]);
    assert_eq!(closed(&seen.events), Some(Close::ClientClosed));
}

#[test]
fn every_503_asks_to_retry_after_the_same_time() {
    let mut buf = [0u8; 256];
    let n = busy(&mut buf, "Test/1 UPnP/1.0 DLNADOC/1.50 Rill/0").unwrap();
    let text = core::str::from_utf8(&buf[..n]).unwrap();
    assert!(text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{text}");
    assert!(text.contains(&std::format!("Retry-After: {RETRY_AFTER}\r\n")), "{text}");
    assert!(text.contains("Content-Length: 0\r\n"), "{text}");
    assert!(text.contains("Connection: close\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n"));
    // A 503 from the server itself (here a SOAP answer over the budget) says the same.
    let (mut env, _) = test_env();
    env.answer_budget = 10;
    let server = server(&env);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let body = r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:Browse xmlns:u="urn:schemas-upnp-org:service:ContentDirectory:1"><ObjectID>0</ObjectID><BrowseFlag>BrowseDirectChildren</BrowseFlag><Filter>*</Filter><StartingIndex>0</StartingIndex><RequestedCount>0</RequestedCount><SortCriteria></SortCriteria></u:Browse></s:Body></s:Envelope>"#;
    let input = std::format!(
        "POST /rill/cd/control HTTP/1.1\r\nSOAPACTION: \"urn:schemas-upnp-org:service:ContentDirectory:1#Browse\"\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let seen = drive(&mut conn, T0, input.as_bytes(), usize::MAX, usize::MAX, false);
    let text = String::from_utf8_lossy(&seen.output);
    assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
    assert!(text.contains(&std::format!("Retry-After: {RETRY_AFTER}\r\n")), "{text}");
}

#[test]
fn fixed_buffers_work_as_a_board_gives_them() {
    let (env, id) = test_env();
    let server = server(&env);
    let (mut rx, mut tx) = (vec![0u8; 4096], vec![0u8; 1024]);
    let mut conn =
        Connection::new(&server, HOST, PEER, config(false), &mut rx[..], &mut tx[..], T0);
    let seen = drive(&mut conn, T0, &media_get(id, "Connection: close\r\n"), 100, 333, false);
    assert_eq!(served(&seen.events), [200]);
    let body_at = seen.output.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&seen.output[body_at..], &song(&env)[..]);
}

#[test]
fn counters_add_up_what_connections_report() {
    let (env, _) = test_env();
    let server = server(&env);
    let mut counters = super::Counters::new();
    let mut input = DESCRIPTION.to_vec();
    input.extend(b"GET /nowhere HTTP/1.1\r\n\r\n");
    input.extend(b"GARBAGE\r\n\r\n");
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let seen = drive(&mut conn, T0, &input, usize::MAX, usize::MAX, false);
    for event in &seen.events {
        counters.record(event);
    }
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    conn.handle_input(at(1), b"GET / HTTP/1.1\r\n");
    conn.handle_timeout(at(11));
    counters.record(&conn.poll_event().unwrap());
    assert_eq!(counters.served, 3);
    assert_eq!(counters.client_errors, 2);
    assert_eq!(counters.server_errors, 0);
    assert_eq!(counters.bytes, seen.output.len() as u64);
    assert_eq!(counters.closed, 2);
    assert_eq!(counters.client_faults, 2);
    assert_eq!(counters.server_faults, 0);
    assert_eq!(counters.timeouts, 1);
    assert_eq!(counters.refused, 0);
    counters.refuse();
    assert_eq!(counters.refused, 1);
    assert_eq!(counters.closed, 2, "a refusal is no connection's ending");
}

/// Copies `bytes` into the receive buffer as a shell's read would, without reporting them.
fn read_into<S: Storage>(conn: &mut Connection<'_, TestEnv, S>, bytes: &[u8]) -> usize {
    conn.receive_buffer()[..bytes.len()].copy_from_slice(bytes);
    bytes.len()
}

#[test]
fn the_shell_is_told_which_calls_touch_files() {
    let (env, id) = test_env();
    let server = server(&env);
    // A description is answered from memory; a media request opens a file, and a body the
    // connection reads itself is produced from it after the head.
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let n = read_into(&mut conn, DESCRIPTION);
    assert!(!conn.opens_files(n));
    conn.handle_received(T0, n);
    let seen = drive(&mut conn, T0, b"", usize::MAX, usize::MAX, false);
    assert_eq!(served(&seen.events), [200]);
    let n = read_into(&mut conn, &media_get(id, "Range: bytes=0-9999\r\n"));
    assert!(!conn.opens_files(0), "not before the bytes are counted");
    assert!(conn.opens_files(n));
    conn.handle_received(T0, n);
    assert!(!conn.opens_files(0), "answered, so no longer waiting");
    let Some(Outgoing::Bytes(head)) = conn.poll_transmit(T0) else { panic!("no head") };
    let len = head.len();
    assert!(!conn.produces(), "the head is still to send");
    conn.handle_sent(T0, len);
    assert!(conn.produces(), "the next chunk is read from the file");
    // A shell that sends files itself is handed them: nothing is produced.
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(true), rx, tx, T0);
    conn.handle_input(T0, &media_get(id, ""));
    let Some(Outgoing::Bytes(head)) = conn.poll_transmit(T0) else { panic!("no head") };
    let len = head.len();
    conn.handle_sent(T0, len);
    assert!(!conn.produces());
    // A media request pipelined behind another is answered when that one ends.
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(true), rx, tx, T0);
    let mut input = DESCRIPTION.to_vec();
    input.extend(media_get(id, ""));
    conn.handle_input(T0, &input);
    assert!(conn.opens_files(0));
}

#[test]
fn a_shell_without_room_answers_503_and_ends_the_connection() {
    let (env, id) = test_env();
    let server = server(&env);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(true), rx, tx, T0);
    let n = read_into(&mut conn, &media_get(id, ""));
    assert!(conn.opens_files(n));
    assert!(conn.handle_busy(T0));
    let seen = drive(&mut conn, T0, b"", usize::MAX, usize::MAX, false);
    let text = String::from_utf8_lossy(&seen.output);
    assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
    assert!(text.contains(&std::format!("Retry-After: {RETRY_AFTER}\r\n")), "{text}");
    assert_eq!(served(&seen.events), [503]);
    assert_eq!(closed(&seen.events), Some(Close::Refused(503)));
    // While a response is being sent, the next request waits its turn instead.
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(true), rx, tx, T0);
    conn.handle_input(T0, &media_get(id, ""));
    assert!(!conn.handle_busy(T0));
    assert!(!conn.is_closed());
}

#[test]
fn the_shell_is_told_which_file_a_request_only_opens() {
    let (env, id) = test_env();
    let server = server(&env);
    let named = |request: &[u8]| {
        let (rx, tx) = growable();
        let mut conn = Connection::new(&server, HOST, PEER, config(true), rx, tx, T0);
        let n = read_into(&mut conn, request);
        conn.with_file_to_open(n, |file| std::format!("{file}"))
    };
    let song = Some(String::from("a/song.mp3"));
    assert_eq!(named(&media_get(id, "Range: bytes=0-9\r\n")), song);
    let head = std::format!("HEAD /rill/media/{id}.mp3 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(named(head.as_bytes()), song);
    let escaped = std::format!("GET /rill/%6Dedia/{id}.mp3 HTTP/1.1\r\n\r\n");
    assert_eq!(named(escaped.as_bytes()), song, "decoded as the answer decodes it");
    // Not all here yet: the head, or its body.
    let get = media_get(id, "");
    assert_eq!(named(&get[..get.len() - 2]), None);
    let with_body =
        std::format!("GET /rill/media/{id}.mp3 HTTP/1.1\r\nContent-Length: 4\r\n\r\nab");
    assert_eq!(named(with_body.as_bytes()), None);
    // Anything else: a rendition, another method, art, a description, a subtitle, no such item.
    for other in [
        std::format!("GET /rill/media/{id}.l16 HTTP/1.1\r\n\r\n"),
        std::format!("POST /rill/media/{id}.mp3 HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
        std::format!("GET /rill/art/{id}.jpg HTTP/1.1\r\n\r\n"),
        std::format!("GET /rill/caption/{id}/0.srt HTTP/1.1\r\n\r\n"),
        String::from("GET /rill/description.xml HTTP/1.1\r\n\r\n"),
        String::from("GET /rill/media/99999.mp3 HTTP/1.1\r\n\r\n"),
    ] {
        assert_eq!(named(other.as_bytes()), None, "{other}");
    }
    // The answer then opens that file (and only then): the bytes are the file's.
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let seen =
        drive(&mut conn, T0, &media_get(id, "Range: bytes=0-9\r\n"), usize::MAX, usize::MAX, false);
    assert_eq!(served(&seen.events), [206]);
    assert!(seen.output.ends_with(&env.files["a/song.mp3"][..10]));
}

/// An answer is rendered into the buffer the platform lends (emptied first), and that buffer
/// goes back to the platform once the answer is sent, or its connection ends half-way.
#[test]
fn answers_are_rendered_into_the_lent_buffer_and_given_back() {
    let (env, _) = test_env();
    let server = server(&env);
    let mut lent = Vec::with_capacity(1 << 16);
    lent.extend_from_slice(b"left over from an earlier answer");
    let at_ptr = lent.as_ptr();
    env.answers.borrow_mut().push(lent);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    let seen = drive(&mut conn, at(1), DESCRIPTION, usize::MAX, usize::MAX, false);
    assert_eq!(served(&seen.events), [200]);
    let text = String::from_utf8(seen.output).unwrap();
    assert!(text.contains("<friendlyName>Test</friendlyName>"));
    assert!(!text.contains("left over"));
    let back = env.answers.borrow_mut().pop().expect("the buffer came back");
    assert_eq!((back.as_ptr(), back.capacity()), (at_ptr, 1 << 16), "the same allocation");

    // A client that goes away in the middle of an answer: its buffer comes back too.
    env.answers.borrow_mut().push(back);
    let (rx, tx) = growable();
    let mut conn = Connection::new(&server, HOST, PEER, config(false), rx, tx, T0);
    conn.handle_input(at(1), DESCRIPTION);
    let Some(Outgoing::Bytes(head)) = conn.poll_transmit(at(1)) else { panic!("no head") };
    let n = head.len();
    conn.handle_sent(at(1), n);
    assert!(env.answers.borrow().is_empty(), "lent while the answer is sent");
    conn.handle_io_error();
    assert_eq!(conn.poll_event(), Some(Event::Closed(Close::ClientGone)));
    assert_eq!(env.answers.borrow().first().map(Vec::as_ptr), Some(at_ptr));
}
