//! The subscription table on a simulated clock, its NOTIFYs parsed back with httparse and
//! roxmltree.

use std::string::{String, ToString};
use std::vec::Vec;

use super::*;
use crate::gena::MAX_NOTIFY;
use crate::player::Player;

const PEER: IpAddr = IpAddr::V4(core::net::Ipv4Addr::new(192, 168, 1, 20));
const CALLBACK: &str = "<http://192.168.1.20:41233/ev/cd>";

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// A NOTIFY as the subscriber reads it.
#[derive(Debug)]
struct Event {
    path: String,
    sid: String,
    seq: u32,
    properties: Vec<(String, String)>,
}

impl Event {
    fn get(&self, name: &str) -> Option<&str> {
        self.properties.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn read(bytes: &[u8]) -> Event {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut req = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head) = req.parse(bytes).unwrap() else { panic!("partial") };
    assert_eq!(req.method, Some("NOTIFY"));
    let get = |name: &str| {
        let h = req.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).unwrap();
        core::str::from_utf8(h.value).unwrap().to_string()
    };
    let body = core::str::from_utf8(&bytes[head..]).unwrap();
    assert_eq!(get("content-length"), body.len().to_string());
    let doc = roxmltree::Document::parse(body).unwrap();
    let properties = doc
        .root_element()
        .children()
        .filter_map(|p| p.first_element_child())
        .map(|v| (v.tag_name().name().to_string(), v.text().unwrap_or("").to_string()))
        .collect();
    Event {
        path: req.path.unwrap().to_string(),
        sid: get("sid"),
        seq: get("seq").parse().unwrap(),
        properties,
    }
}

type Table = Subscriptions<4>;

/// Subscribes to the ContentDirectory and, as the server does, says the answer went out.
fn subscribe(t: &mut Table, now: Instant, callback: &str, timeout: Option<u32>) -> Accepted {
    let cb = Callbacks::new(callback);
    let a = t.subscribe(now, Service::ContentDirectory, PEER, cb, timeout, GENERIC).unwrap();
    t.answered(&a.sid);
    a
}

const GENERIC: Quirks = Quirks::GENERIC;

/// Polls one NOTIFY at `now`, reports it delivered, and returns where it went and what it said.
fn next(t: &mut Table, now: Instant) -> Option<(SocketAddr, Event)> {
    let mut buf = [0u8; MAX_NOTIFY];
    let n = t.poll_notify(now, &mut buf)?;
    t.delivered(n.delivery, true);
    let event = read(&buf[..n.len]);
    assert_eq!(event.seq, n.seq);
    Some((n.dst, event))
}

#[test]
fn initial_event_then_moderated_changes() {
    let mut t = Table::new(1);
    t.changed(5, &[]);
    let a = subscribe(&mut t, at(1000), CALLBACK, Some(300));
    assert_eq!(a.timeout, 300);
    assert_eq!(t.poll_at(), Some(at(1000) + AFTER_ANSWER), "the initial event's time");
    let mut buf = [0u8; MAX_NOTIFY];
    assert!(t.poll_notify(at(1499), &mut buf).is_none());
    let n = t.poll_notify(at(1500), &mut buf).unwrap();
    assert_eq!(n.dst, "192.168.1.20:41233".parse().unwrap());
    let e = read(&buf[..n.len]);
    assert_eq!((e.path.as_str(), e.sid.as_str(), e.seq), ("/ev/cd", a.sid.as_str(), 0));
    assert_eq!(e.get("SystemUpdateID"), Some("5"));
    assert_eq!(e.get("ContainerUpdateIDs"), Some(""));
    // One in flight at a time: a change waits for the delivery report.
    t.changed(6, &[(ObjectId(0x1f), 2)]);
    assert!(t.poll_notify(at(2000), &mut buf).is_none());
    t.delivered(n.delivery, true);
    let (_, e) = next(&mut t, at(2000)).unwrap();
    assert_eq!(e.seq, 1);
    assert_eq!((e.get("SystemUpdateID"), e.get("ContainerUpdateIDs")), (Some("6"), Some("1f,2")));
    // Two changes within the moderation interval: one event with both, the later update id.
    t.changed(7, &[(ObjectId(0x1f), 3), (ObjectId(0xa), 1)]);
    t.changed(8, &[(ObjectId(0x1f), 4)]);
    assert_eq!(t.poll_at(), Some(at(2000) + MODERATION));
    assert!(next(&mut t, at(2100)).is_none());
    let (_, e) = next(&mut t, at(2200)).unwrap();
    assert_eq!(e.seq, 2);
    assert_eq!(
        (e.get("SystemUpdateID"), e.get("ContainerUpdateIDs")),
        (Some("8"), Some("1f,4,a,1"))
    );
    // Nothing more owed; the next deadline is the expiry.
    assert!(next(&mut t, at(9000)).is_none());
    assert_eq!(t.poll_at(), Some(at(1000) + Duration::from_secs(300)));
    // No change, no event.
    t.changed(8, &[]);
    assert!(next(&mut t, at(9000)).is_none());
}

#[test]
fn the_initial_event_waits_for_the_answer() {
    let mut t = Table::new(1);
    let cd = Service::ContentDirectory;
    let a = t.subscribe(at(0), cd, PEER, Callbacks::new(CALLBACK), None, GENERIC).unwrap();
    assert_eq!(t.poll_at(), Some(at(0) + ANSWER_WAIT));
    assert!(next(&mut t, at(10)).is_none());
    t.answered(&a.sid);
    t.answered(&a.sid);
    assert_eq!(t.poll_at(), Some(at(0) + AFTER_ANSWER), "AFTER_ANSWER after the SUBSCRIBE");
    assert!(next(&mut t, at(10)).is_none());
    assert_eq!(next(&mut t, at(0) + AFTER_ANSWER).unwrap().1.seq, 0);
    // Without the call, it goes after ANSWER_WAIT anyway; a late call changes nothing.
    let b = t.subscribe(at(0), cd, PEER, Callbacks::new("<http://192.168.1.20:9/>"), None, GENERIC);
    assert!(next(&mut t, at(999)).is_none());
    assert_eq!(next(&mut t, at(1000)).unwrap().1.seq, 0);
    t.answered(&b.unwrap().sid);
    assert!(next(&mut t, at(1001)).is_none());
}

#[test]
fn only_content_directory_subscribers_hear_of_changes() {
    let mut t = Table::new(1);
    let cm = t
        .subscribe(at(0), Service::ConnectionManager, PEER, Callbacks::new(CALLBACK), None, GENERIC)
        .unwrap();
    t.answered(&cm.sid);
    let (_, e) = next(&mut t, at(0) + AFTER_ANSWER).unwrap();
    assert_eq!(e.sid, cm.sid.as_str());
    let source = connection_manager::source_protocol_info(&GENERIC);
    assert_eq!(e.get("SourceProtocolInfo"), Some(source.as_str()));
    assert_eq!((e.get("SinkProtocolInfo"), e.get("CurrentConnectionIDs")), (Some(""), Some("0")));
    t.changed(1, &[(ObjectId(1), 1)]);
    assert!(next(&mut t, at(5000)).is_none());
}

#[test]
fn every_initial_event_fits_max_notify() {
    let long_path = std::format!("/{}", "p".repeat(crate::gena::header::MAX_CALLBACK_PATH - 1));
    let callback =
        std::format!("<http://[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff1]:65535{long_path}>");
    let peer: IpAddr = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff1".parse().unwrap();
    for player in Player::ALL {
        for service in Service::ALL {
            let mut t = Table::new(1);
            t.changed(u32::MAX, &[]);
            let cb = Callbacks::new(&callback);
            let a = t.subscribe(at(0), service, peer, cb, None, player.quirks()).unwrap();
            t.answered(&a.sid);
            let mut buf = [0u8; MAX_NOTIFY];
            assert!(
                t.poll_notify(at(0) + AFTER_ANSWER, &mut buf).is_some(),
                "{player:?} {service:?}"
            );
        }
    }
    // The largest change event: MAX_PENDING containers with the longest ids and update ids.
    let mut t = Table::new(1);
    let a = t
        .subscribe(at(0), Service::ContentDirectory, peer, Callbacks::new(&callback), None, GENERIC)
        .unwrap();
    t.answered(&a.sid);
    let mut buf = [0u8; MAX_NOTIFY];
    let first = t.poll_notify(at(0) + AFTER_ANSWER, &mut buf).unwrap();
    t.delivered(first.delivery, true);
    let full: Vec<(ObjectId, u32)> =
        (0..MAX_PENDING as u64).map(|i| (ObjectId(u64::MAX - i), u32::MAX)).collect();
    t.changed(u32::MAX, &full);
    let n = t.poll_notify(at(1000), &mut buf).unwrap();
    assert_eq!(read(&buf[..n.len]).get("ContainerUpdateIDs").unwrap().split(',').count(), 64);
}

#[test]
fn a_bulk_change_sends_system_update_id_alone() {
    let mut t = Table::new(1);
    subscribe(&mut t, at(0), CALLBACK, None);
    next(&mut t, at(0) + AFTER_ANSWER).unwrap();
    let many: Vec<(ObjectId, u32)> =
        (1..=MAX_PENDING as u64 + 1).map(|i| (ObjectId(i), 1)).collect();
    t.changed(40, &many);
    let (_, e) = next(&mut t, at(1000)).unwrap();
    assert_eq!(e.properties, [("SystemUpdateID".to_string(), "40".to_string())]);
    // The next event starts afresh.
    t.changed(41, &[(ObjectId(9), 2)]);
    let (_, e) = next(&mut t, at(2000)).unwrap();
    assert_eq!(e.get("ContainerUpdateIDs"), Some("9,2"));
}

#[test]
fn timeouts_renewal_expiry_and_cancellation() {
    let mut t = Table::new(1);
    assert_eq!(subscribe(&mut t, at(0), CALLBACK, None).timeout, MAX_TIMEOUT);
    assert_eq!(subscribe(&mut t, at(0), "<http://192.168.1.20:2/>", Some(5)).timeout, MIN_TIMEOUT);
    let a = subscribe(&mut t, at(0), "<http://192.168.1.20:3/>", Some(u32::MAX));
    assert_eq!(a.timeout, MAX_TIMEOUT);
    assert_eq!(t.len(), 3);
    // Renewed at 50 s, then at 1000 s for 120 s: lives to 1120 s; the others expire at 60 s
    // and 1800 s.
    let cd = Service::ContentDirectory;
    assert_eq!(t.renew(at(50_000), cd, &a.sid, None).unwrap().timeout, MAX_TIMEOUT);
    assert_eq!(t.len(), 3);
    assert_eq!(
        t.renew(at(50_000), Service::ConnectionManager, &a.sid, None),
        Err(Error::UnknownSid)
    );
    let b = t.renew(at(1_000_000), cd, &std::format!(" {} ", a.sid), Some(120)).unwrap();
    assert_eq!(b.sid, a.sid);
    assert_eq!(t.len(), 2, "the 60 s one expired");
    let mut buf = [0u8; MAX_NOTIFY];
    while let Some(n) = t.poll_notify(at(1_000_000), &mut buf) {
        t.delivered(n.delivery, true);
    }
    assert_eq!(t.poll_at(), Some(at(1_120_000)));
    assert!(t.poll_notify(at(1_120_000), &mut buf).is_none());
    assert_eq!(t.len(), 1);
    assert_eq!(t.renew(at(1_120_000), cd, &a.sid, None), Err(Error::UnknownSid));
    // The last one is cancelled; a second cancellation is refused.
    let left = t.subs[0].sid.clone();
    assert_eq!(t.unsubscribe(at(1_200_000), cd, &left), Ok(()));
    assert_eq!(t.unsubscribe(at(1_200_000), cd, &left), Err(Error::UnknownSid));
    assert!(t.is_empty() && t.poll_at().is_none());
}

#[test]
fn callbacks_must_be_at_the_subscriber() {
    let mut t = Table::new(1);
    let cd = Service::ContentDirectory;
    let elsewhere = Callbacks::new("<http://192.168.1.99:80/x>");
    assert_eq!(t.subscribe(at(0), cd, PEER, elsewhere, None, GENERIC), Err(Error::BadCallback));
    // The first URL at the peer's address is the one used.
    let list =
        Callbacks::new("<http://10.9.9.9:1/a><http://192.168.1.20:7/b><http://192.168.1.20:8/c>");
    let a = t.subscribe(at(0), cd, PEER, list, None, GENERIC).unwrap();
    t.answered(&a.sid);
    let (dst, e) = next(&mut t, at(0) + AFTER_ANSWER).unwrap();
    assert_eq!((dst.port(), e.path.as_str()), (7, "/b"));
    // A dual-stack socket reports an IPv4 peer as IPv4-mapped IPv6.
    let mapped: IpAddr = "::ffff:192.168.1.20".parse().unwrap();
    let a = t.subscribe(at(0), cd, mapped, Callbacks::new(CALLBACK), None, GENERIC).unwrap();
    t.answered(&a.sid);
    assert_eq!(
        next(&mut t, at(0) + AFTER_ANSWER).unwrap().0,
        "192.168.1.20:41233".parse().unwrap()
    );
}

#[test]
fn a_full_table_refuses_and_a_repeat_subscriber_replaces_itself() {
    let mut t = Table::new(1);
    for port in 1..=4 {
        subscribe(&mut t, at(0), &std::format!("<http://192.168.1.20:{port}/>"), None);
    }
    let cd = Service::ContentDirectory;
    let fifth = Callbacks::new("<http://192.168.1.20:5/>");
    assert_eq!(t.subscribe(at(0), cd, PEER, fifth, None, GENERIC), Err(Error::Full));
    assert_eq!(Error::Full.status().as_u16(), 503);
    // The control point at port 2 restarted and subscribes again: it replaces its old slot.
    let again = subscribe(&mut t, at(0), "<http://192.168.1.20:2/>", None);
    assert_eq!(t.len(), 4);
    assert_eq!(t.subs.iter().filter(|s| s.dst.port() == 2).count(), 1);
    assert_eq!(t.subs.iter().find(|s| s.dst.port() == 2).unwrap().sid, again.sid);
}

#[test]
fn sids_are_distinct_uuids() {
    let mut t = Table::new(0x1234_5678_9abc_def0);
    let mut seen = Vec::new();
    for port in 1..=200u16 {
        let a = subscribe(&mut t, at(0), &std::format!("<http://192.168.1.20:{port}/>"), None);
        t.unsubscribe(at(0), Service::ContentDirectory, &a.sid).unwrap();
        let s = a.sid.as_str();
        assert_eq!(s.len(), SID_LEN);
        let groups: Vec<&str> = s.strip_prefix("uuid:").unwrap().split('-').collect();
        let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        assert_eq!(lens, [8, 4, 4, 4, 12], "{s}");
        assert!(groups[2].starts_with('4') && "89ab".contains(&groups[3][..1]), "{s}");
        seen.push(a.sid);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 200);
    // Another boot's seed gives other SIDs.
    let mut other = Table::new(1);
    assert_ne!(subscribe(&mut other, at(0), CALLBACK, None).sid, seen[0]);
}

#[test]
fn seq_wraps_to_one_and_failures_drop_the_subscriber() {
    let mut t = Table::new(1);
    subscribe(&mut t, at(0), CALLBACK, None);
    next(&mut t, at(0) + AFTER_ANSWER).unwrap();
    t.subs[0].next_seq = u32::MAX;
    t.changed(1, &[]);
    assert_eq!(next(&mut t, at(1000)).unwrap().1.seq, u32::MAX);
    t.changed(2, &[]);
    assert_eq!(next(&mut t, at(2000)).unwrap().1.seq, 1);
    // Three failed deliveries in a row end the subscription; a success resets the count.
    let mut buf = [0u8; MAX_NOTIFY];
    for (i, ok) in [false, false, true, false, false, false].into_iter().enumerate() {
        assert_eq!(t.len(), 1);
        t.changed(10 + i as u32, &[]);
        let n = t.poll_notify(at(3000 + 1000 * i as u64), &mut buf).unwrap();
        t.delivered(n.delivery, ok);
        // A stale report changes nothing.
        t.delivered(n.delivery, true);
    }
    assert!(t.is_empty(), "three failures in a row");
}
