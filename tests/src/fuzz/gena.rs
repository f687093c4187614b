//! `gena`: SUBSCRIBE and UNSUBSCRIBE heads through the subscription table, and the NOTIFYs
//! it writes.
//!
//! Input: a selector byte, then request heads back to back (at most [`MAX_REQUESTS`]). The
//! selector picks the subscriber's address (IPv4, IPv4-mapped IPv6, IPv6) and the player's
//! quirks. Each head is parsed by `http::request::parse`, its GENA fields by [`gena::parse`],
//! and the request is applied to a [`Subscriptions`] table of [`SLOTS`] slots on a clock that
//! moves by a few seconds per request (so subscriptions expire and moderation intervals pass).
//! A `SID` of `$` stands for the last SID the table granted, so renewals and cancellations of
//! live subscriptions are reachable. After each request the library "changes" (a SystemUpdateID
//! and a container update derived from the request's index) and every NOTIFY due is drained.
//! The raw input is also read as a `CALLBACK` value and as one callback URL.
//!
//! Checked: a refusal maps to 400, 412 or 503; the table never holds more than its slots; every
//! NOTIFY is a complete HTTP/1.1 `NOTIFY` request to the subscriber's own address with an exact
//! `Content-Length` and a well-formed `e:propertyset` body; each subscription's events count
//! 0, 1, 2, ...; parsed callback paths are printable ASCII starting with `/`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rill_core::gena::{
    self, header::MAX_CALLBACK_PATH, Callback, Callbacks, Subscriptions, MAX_NOTIFY,
};
use rill_core::http::request::{self, Parsed, RequestLimits, EMPTY_HEADER};
use rill_core::library::ObjectId;
use rill_core::player::Player;
use rill_core::time::{Duration, Instant};
use rill_core::upnp::Service;

/// Subscription slots of the fuzzed table (small, so that "full" is reachable).
pub const SLOTS: usize = 4;
/// Most requests applied per input.
pub const MAX_REQUESTS: usize = 32;

/// The `gena` target.
pub fn gena(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        for callback in Callbacks::new(text).iter() {
            check_callback(&callback);
        }
        if let Some(callback) = Callback::parse(text) {
            check_callback(&callback);
        }
    }
    let Some((&selector, mut rest)) = data.split_first() else { return };
    let peer = match selector % 3 {
        0 => IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)),
        1 => IpAddr::V6(Ipv4Addr::new(192, 168, 1, 20).to_ipv6_mapped()),
        _ => IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
    };
    let quirks = Player::ALL[usize::from(selector / 3) % Player::ALL.len()].quirks();
    let mut table: Subscriptions<SLOTS> = Subscriptions::new(u64::from(selector));
    let mut last_sid = String::new();
    let mut seqs: HashMap<String, u32> = HashMap::new();
    let mut buf = vec![0u8; MAX_NOTIFY];
    let mut now = Instant::from_millis(1);
    for round in 0..MAX_REQUESTS as u32 {
        let mut storage = [EMPTY_HEADER; 32];
        let req = match request::parse(rest, &mut storage, &RequestLimits::DEFAULT) {
            Ok(Parsed::Complete(req)) => req,
            _ => break,
        };
        let service = Service::ALL[round as usize % Service::ALL.len()];
        let result = gena::parse(req.method, &req.headers).and_then(|r| match r {
            gena::Request::Subscribe { callbacks, timeout } => {
                table.subscribe(now, service, peer, callbacks, timeout, quirks).map(Some)
            }
            gena::Request::Renew { sid, timeout } => {
                let sid = if sid == "$" { last_sid.as_str() } else { sid };
                table.renew(now, service, sid, timeout).map(Some)
            }
            gena::Request::Unsubscribe { sid } => {
                let sid = if sid == "$" { last_sid.as_str() } else { sid };
                table.unsubscribe(now, service, sid).map(|()| None)
            }
        });
        match result {
            Ok(Some(accepted)) => {
                assert!(
                    accepted.timeout >= gena::MIN_TIMEOUT && accepted.timeout <= gena::MAX_TIMEOUT
                );
                // As the server does once the answer is out (a renewal's call changes nothing);
                // sometimes not, so the initial event's own deadline is reached too.
                if round % 3 != 2 {
                    table.answered(&accepted.sid);
                }
                last_sid = accepted.sid.to_string();
            }
            Ok(None) => {}
            Err(e) => assert!(matches!(e.status().as_u16(), 400 | 405 | 412 | 503), "{e:?}"),
        }
        assert!(table.len() <= SLOTS);
        table.changed(round + 1, &[(ObjectId(u64::from(round) + 1), round)]);
        // Each subscription has at most one NOTIFY due per poll; a delivery report frees it.
        for _ in 0..SLOTS * 2 {
            let Some(notify) = table.poll_notify(now, &mut buf) else { break };
            assert_eq!(notify.dst.ip(), canonical(peer));
            let sid = check_notify(&buf[..notify.len], notify.seq);
            let expected = seqs.get(&sid).map_or(0, |s| s.checked_add(1).unwrap_or(1));
            assert_eq!(notify.seq, expected, "SEQ of {sid}");
            seqs.insert(sid, notify.seq);
            table.delivered(notify.delivery, round % 5 != 4);
        }
        now = now + Duration::from_millis(u64::from(selector) * 50 + 150);
        rest = rest.get(req.head_len..).unwrap_or_default();
    }
}

/// A callback URL the parser accepted.
fn check_callback(callback: &Callback<'_>) {
    assert!(callback.path.starts_with('/'));
    assert!(callback.path.len() <= MAX_CALLBACK_PATH);
    assert!(callback.path.bytes().all(|b| b.is_ascii_graphic()));
    assert_ne!(callback.addr.port(), 0);
}

/// Checks one NOTIFY; returns its SID.
fn check_notify(bytes: &[u8], seq: u32) -> String {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(bytes) {
        Ok(httparse::Status::Complete(head)) => head,
        other => {
            panic!("NOTIFY head does not parse ({other:?}): {:?}", String::from_utf8_lossy(bytes))
        }
    };
    assert_eq!((req.method, req.version), (Some("NOTIFY"), Some(1)));
    assert!(req.path.is_some_and(|p| p.starts_with('/')));
    let header = |name: &str| {
        let h = req.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name));
        std::str::from_utf8(h.expect("NOTIFY header present").value).expect("ASCII value")
    };
    let body = &bytes[head..];
    assert_eq!(header("content-length"), body.len().to_string());
    assert_eq!((header("nt"), header("nts")), ("upnp:event", "upnp:propchange"));
    assert_eq!(header("seq"), seq.to_string());
    let text = std::str::from_utf8(body).expect("UTF-8 body");
    let doc = roxmltree::Document::parse(text).expect("well-formed propertyset");
    assert!(doc.root_element().has_tag_name(("urn:schemas-upnp-org:event-1-0", "propertyset")));
    header("sid").to_string()
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}
