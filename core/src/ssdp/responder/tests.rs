//! Scenario tests: the responder driven on a simulated clock, its datagrams parsed back.

use std::string::String;
use std::vec::Vec;

use super::*;
use crate::ssdp::message::{Notify, Response};

const UUID: &str = "4d696e69-444c-164e-9d41-b827eb5f3a10";
const SERVER: &str = "Linux/6.1 UPnP/1.0 DLNADOC/1.50 Rill/0.1.0";
const LAN: IfaceId = IfaceId(1);
const WIFI: IfaceId = IfaceId(2);
const LAN_ADDR: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
const WIFI_ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 5);
const LAN_LOCATION: &str = "http://192.168.1.10:8200/rootDesc.xml";
const WIFI_LOCATION: &str = "http://10.0.0.5:8200/rootDesc.xml";
const SECOND: u64 = 1_000_000;

/// A datagram the responder sent, with when.
#[derive(Debug, Clone)]
struct Sent {
    at: Instant,
    tx: Transmit,
    bytes: Vec<u8>,
}

impl Sent {
    fn text(&self) -> &str {
        core::str::from_utf8(&self.bytes).unwrap()
    }
    fn notify(&self) -> Notify<'_> {
        match message::parse(&self.bytes) {
            Ok(Message::Notify(n)) => n,
            other => panic!("not a NOTIFY: {other:?}"),
        }
    }
    fn response(&self) -> Response<'_> {
        match message::parse(&self.bytes) {
            Ok(Message::Response(r)) => r,
            other => panic!("not a response: {other:?}"),
        }
    }
}

/// The responder, a simulated clock and everything sent so far.
struct Sim {
    r: Responder<2, 16>,
    now: Instant,
    sent: Vec<Sent>,
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let config = Config {
            uuid: &format!("uuid:{UUID}"),
            server: SERVER,
            max_age: 1800,
            boot_id: 7,
            config_id: 3,
            seed,
        };
        let mut r = Responder::new(&config).unwrap();
        r.add_interface(Instant::ZERO, LAN, LAN_ADDR, LAN_LOCATION).unwrap();
        Sim { r, now: Instant::ZERO, sent: Vec::new() }
    }

    fn started(seed: u64) -> Sim {
        let mut sim = Sim::new(seed);
        sim.r.start(sim.now);
        sim.drain();
        sim.run_for(10 * SECOND);
        sim.sent.clear();
        sim
    }

    /// Sends everything due now.
    fn drain(&mut self) {
        let mut buf = [0u8; MAX_DATAGRAM];
        for _ in 0..10_000 {
            let Some(tx) = self.r.poll_transmit(self.now, &mut buf) else { return };
            self.sent.push(Sent { at: self.now, tx, bytes: buf[..tx.len].to_vec() });
        }
        panic!("poll_transmit never ran dry");
    }

    /// Advances the clock `micros`, waking at every deadline the responder asks for.
    fn run_for(&mut self, micros: u64) {
        let end = self.now + Duration::from_micros(micros);
        for _ in 0..100_000 {
            self.drain();
            match self.r.poll_at() {
                Some(at) if at <= end => {
                    assert!(
                        at >= self.now || at + REPLY_INTERVAL >= self.now,
                        "deadline in the past"
                    );
                    self.now = self.now.max(at);
                }
                _ => {
                    self.now = end;
                    self.drain();
                    return;
                }
            }
        }
        panic!("too many wake-ups");
    }

    fn search(&mut self, src: SocketAddrV4, datagram: &[u8], multicast: bool) -> Handled {
        self.r.handle_datagram(self.now, LAN, src, datagram, multicast)
    }
}

fn msearch(st: &str, mx: Option<u8>) -> Vec<u8> {
    let mut s = format!("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nST: {st}\r\n");
    if let Some(mx) = mx {
        s += &format!("MX: {mx}\r\n");
    }
    (s + "\r\n").into_bytes()
}

fn searcher(n: u32) -> SocketAddrV4 {
    let [a, b, c, d] = (0xc0a8_0000 + n).to_be_bytes();
    SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), 50_000)
}

fn all_names() -> Vec<String> {
    Target::ALL.iter().map(|t| t.notification_type(UUID).to_string()).collect()
}

#[test]
fn start_sends_alive_set_three_times() {
    let mut sim = Sim::new(1);
    assert_eq!(sim.r.poll_at(), None, "quiet before start");
    sim.r.start(sim.now);
    sim.run_for(10 * SECOND);
    assert_eq!(sim.sent.len(), 18);
    for (round, chunk) in sim.sent.chunks(6).enumerate() {
        let nts: Vec<&str> = chunk.iter().map(|s| s.notify().nts).collect();
        assert_eq!(nts, ["ssdp:alive"; 6]);
        let nts: Vec<String> = chunk.iter().map(|s| s.notify().nt.to_owned()).collect();
        assert_eq!(nts, all_names());
        for s in chunk {
            assert_eq!(
                s.tx,
                Transmit { iface: LAN, src: LAN_ADDR, dst: MULTICAST, len: s.bytes.len() }
            );
            assert_eq!(s.notify().location, Some(LAN_LOCATION));
            assert!(s.text().contains("CACHE-CONTROL: max-age=1800\r\n"));
            assert!(s.text().contains(&format!("SERVER: {SERVER}\r\n")));
            assert!(s.text().contains("BOOTID.UPNP.ORG: 7\r\nCONFIGID.UPNP.ORG: 3\r\n"));
            assert_eq!(s.at.as_micros(), round as u64 * SECOND);
        }
    }
    let usns: Vec<&str> = sim.sent[..6].iter().map(|s| s.notify().usn).collect();
    assert_eq!(usns[0], format!("uuid:{UUID}::upnp:rootdevice"));
    assert_eq!(usns[1], format!("uuid:{UUID}"));
    assert_eq!(
        usns[5],
        format!("uuid:{UUID}::urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1")
    );
}

#[test]
fn each_interface_gets_its_own_location() {
    let mut sim = Sim::new(2);
    sim.r.add_interface(sim.now, WIFI, WIFI_ADDR, WIFI_LOCATION).unwrap();
    assert_eq!(
        sim.r.add_interface(sim.now, IfaceId(3), LAN_ADDR, "x"),
        Err(Error::TooManyInterfaces)
    );
    sim.r.start(sim.now);
    sim.run_for(10 * SECOND);
    assert_eq!(sim.sent.len(), 36);
    for s in &sim.sent {
        let (addr, location) =
            if s.tx.iface == LAN { (LAN_ADDR, LAN_LOCATION) } else { (WIFI_ADDR, WIFI_LOCATION) };
        assert_eq!(s.tx.src, addr);
        assert_eq!(s.notify().location, Some(location));
    }
    // A search on the Wi-Fi side is answered with the Wi-Fi location.
    let src = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 1900);
    sim.sent.clear();
    let datagram = msearch("upnp:rootdevice", None);
    assert_eq!(sim.r.handle_datagram(sim.now, WIFI, src, &datagram, false), Handled::Queued);
    sim.drain();
    assert_eq!(sim.sent.len(), 1);
    assert_eq!(sim.sent[0].tx.iface, WIFI);
    assert_eq!(sim.sent[0].response().location, Some(WIFI_LOCATION));
    // A removed interface sends nothing more and takes no searches.
    assert!(sim.r.remove_interface(WIFI));
    assert!(!sim.r.remove_interface(WIFI));
    assert_eq!(sim.r.handle_datagram(sim.now, WIFI, src, &datagram, false), Handled::Ignored);
}

#[test]
fn answers_each_target_once() {
    for (i, name) in all_names().iter().enumerate() {
        let mut sim = Sim::started(10 + i as u64);
        let src = searcher(1);
        assert_eq!(sim.search(src, &msearch(name, Some(3)), true), Handled::Queued);
        let t0 = sim.now;
        sim.run_for(4 * SECOND);
        assert_eq!(sim.sent.len(), 1, "{name}");
        let s = &sim.sent[0];
        assert_eq!(s.tx.dst, src);
        assert!(s.at >= t0 && s.at < t0 + Duration::from_secs(3));
        let r = s.response();
        assert_eq!(r.st, name);
        assert_eq!(r.usn, Target::ALL[i].usn(UUID).to_string());
        assert_eq!(r.location, Some(LAN_LOCATION));
        assert!(s.text().contains("\r\nEXT:\r\n"));
    }
}

#[test]
fn ssdp_all_gets_one_answer_per_target() {
    let mut sim = Sim::started(3);
    let src = searcher(1);
    assert_eq!(sim.search(src, &msearch("ssdp:all", Some(2)), true), Handled::Queued);
    sim.run_for(3 * SECOND);
    let sts: Vec<String> = sim.sent.iter().map(|s| s.response().st.to_owned()).collect();
    assert_eq!(sts, all_names());
    assert!(sim.sent.iter().all(|s| s.tx.dst == src));
}

#[test]
fn ignores_other_targets_and_invalid_searches() {
    let mut sim = Sim::started(4);
    let src = searcher(1);
    for st in ["urn:schemas-upnp-org:device:MediaRenderer:1", "uuid:someone-else", "roku:ecp"] {
        assert_eq!(sim.search(src, &msearch(st, Some(1)), true), Handled::Ignored);
    }
    // Multicast without MX, and any search without the quoted MAN, are dropped.
    assert_eq!(sim.search(src, &msearch("ssdp:all", None), true), Handled::Invalid);
    let no_man = b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: ssdp:discover\r\nST: ssdp:all\r\nMX: 1\r\n\r\n";
    assert_eq!(sim.search(src, no_man, true), Handled::Invalid);
    assert_eq!(sim.search(src, no_man, false), Handled::Invalid);
    assert_eq!(sim.search(src, b"\x00\x01garbage", true), Handled::Invalid);
    // Sources nobody can answer.
    for bad in [
        SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 1900),
        SocketAddrV4::new(Ipv4Addr::BROADCAST, 1900),
        SocketAddrV4::new(Ipv4Addr::new(239, 255, 255, 250), 1900),
        SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 2), 0),
    ] {
        assert_eq!(sim.search(bad, &msearch("ssdp:all", Some(1)), true), Handled::Invalid);
    }
    // Other devices' announcements and answers are not ours to handle.
    let mut buf = [0u8; MAX_DATAGRAM];
    let ad = Advert {
        uuid: "x",
        target: Target::RootDevice,
        location: "http://x/",
        server: "s",
        max_age: 1800,
        boot_id: 1,
        config_id: 1,
    };
    let n = ad.emit_alive(&mut buf).unwrap();
    assert_eq!(sim.search(src, &buf[..n], true), Handled::Ignored);
    sim.run_for(10 * SECOND);
    assert!(sim.sent.is_empty());
}

#[test]
fn mx_delay_is_uniform_within_bound() {
    for (mx, bound) in [(1u8, 1u64), (3, 3), (5, 5), (120, 5), (255, 5)] {
        let mut sim = Sim::started(u64::from(mx));
        let t0 = sim.now;
        for n in 0..16 {
            assert_eq!(
                sim.search(searcher(n), &msearch("upnp:rootdevice", Some(mx)), true),
                Handled::Queued
            );
        }
        sim.run_for(10 * SECOND);
        assert_eq!(sim.sent.len(), 16);
        let delays: Vec<u64> =
            sim.sent.iter().map(|s| s.at.saturating_since(t0).as_micros()).collect();
        assert!(delays.iter().all(|&d| d < bound * SECOND), "MX {mx}: {delays:?}");
        // Spread over the window, not bunched at its start.
        let (lo, hi) = (delays.iter().min().unwrap(), delays.iter().max().unwrap());
        assert!(hi - lo > bound * SECOND / 2, "MX {mx}: {delays:?}");
    }
    // MX 0 means at once.
    let mut sim = Sim::started(9);
    sim.search(searcher(1), &msearch("upnp:rootdevice", Some(0)), true);
    sim.drain();
    assert_eq!(sim.sent.len(), 1);
}

#[test]
fn spoofed_huge_mx_waits_at_most_five_seconds() {
    for (i, mx) in ["6", "256", "4294967296", "99999999999999999999999999999999"].iter().enumerate()
    {
        let mut sim = Sim::started(40 + i as u64);
        let t0 = sim.now;
        let search = std::format!(
            "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n\
             MX: {mx}\r\nST: upnp:rootdevice\r\n\r\n"
        );
        for n in 0..8 {
            assert_eq!(sim.search(searcher(n), search.as_bytes(), true), Handled::Queued, "{mx}");
        }
        sim.run_for(5 * SECOND);
        assert_eq!(sim.sent.len(), 8, "MX {mx}: every answer within five seconds");
        let late = sim.sent.iter().map(|s| s.at.saturating_since(t0).as_micros()).max();
        assert!(late < Some(5 * SECOND), "MX {mx}: {late:?}");
    }
    // An MX that is not a number is no MX: a multicast search without one is dropped.
    let mut sim = Sim::started(50);
    for mx in ["-1", "1e9", "0x10", ""] {
        let search = std::format!(
            "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n\
             MX: {mx}\r\nST: upnp:rootdevice\r\n\r\n"
        );
        assert_eq!(sim.search(searcher(1), search.as_bytes(), true), Handled::Invalid, "{mx:?}");
    }
}

#[test]
fn unicast_search_is_answered_at_once() {
    let mut sim = Sim::started(5);
    let src = SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 77), 41_234);
    assert_eq!(sim.search(src, &msearch("upnp:rootdevice", None), false), Handled::Queued);
    assert_eq!(sim.r.poll_at(), Some(sim.now));
    sim.drain();
    assert_eq!(sim.sent.len(), 1);
    assert_eq!(sim.sent[0].tx.dst, src);
    assert_eq!(sim.sent[0].response().st, "upnp:rootdevice");
}

#[test]
fn readvertises_before_expiry() {
    let mut sim = Sim::new(6);
    sim.r.start(sim.now);
    let hours = 3;
    sim.run_for(hours * 3600 * SECOND);
    for name in all_names() {
        let times: Vec<u64> = sim
            .sent
            .iter()
            .filter(|s| s.notify().nt == name && s.notify().nts == "ssdp:alive")
            .map(|s| s.at.as_micros())
            .collect();
        // Never a gap of more than half the max-age, and never needlessly often.
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(gap <= 900 * SECOND, "{name}: gap {gap}");
            assert!(gap >= SECOND, "{name}: gap {gap}");
        }
        assert!(times.len() >= 3 + 2 * (hours as usize * 4), "{name}: {}", times.len());
        assert!(times.len() <= 3 + 2 * (hours as usize * 5), "{name}: {}", times.len());
    }
}

#[test]
fn shutdown_sends_byebye_set_and_goes_quiet() {
    let mut sim = Sim::started(7);
    sim.r.add_interface(sim.now, WIFI, WIFI_ADDR, WIFI_LOCATION).unwrap();
    sim.drain();
    // A search pending at shutdown is dropped.
    sim.search(searcher(1), &msearch("ssdp:all", Some(5)), true);
    sim.sent.clear();
    sim.r.shutdown(sim.now);
    assert!(!sim.r.is_running());
    sim.drain();
    assert_eq!(sim.r.poll_at(), None);
    assert_eq!(sim.sent.len(), 24, "2 rounds of 6 on 2 interfaces");
    for iface in [LAN, WIFI] {
        let nts: Vec<String> = sim
            .sent
            .iter()
            .filter(|s| s.tx.iface == iface)
            .map(|s| s.notify().nt.to_owned())
            .collect();
        assert_eq!(nts, [all_names(), all_names()].concat());
    }
    for s in &sim.sent {
        let n = s.notify();
        assert_eq!((n.nts, n.location, s.tx.dst), ("ssdp:byebye", None, MULTICAST));
        assert!(!s.text().contains("SERVER"));
    }
    sim.sent.clear();
    assert_eq!(sim.search(searcher(2), &msearch("ssdp:all", Some(1)), true), Handled::Ignored);
    sim.run_for(3600 * SECOND);
    assert!(sim.sent.is_empty());
    // Shutting down twice sends nothing more.
    sim.r.shutdown(sim.now);
    assert_eq!(sim.r.poll_at(), None);
}

#[test]
fn leaving_one_interface_says_goodbye_there_only() {
    let mut sim = Sim::started(8);
    sim.r.add_interface(sim.now, WIFI, WIFI_ADDR, WIFI_LOCATION).unwrap();
    sim.run_for(10 * SECOND);
    let wifi_src = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 1900);
    let search = msearch("ssdp:all", Some(3));
    // An answer owed on the leaving interface is dropped with it.
    assert_eq!(sim.r.handle_datagram(sim.now, WIFI, wifi_src, &search, true), Handled::Queued);
    sim.sent.clear();
    assert!(sim.r.leave_interface(sim.now, WIFI));
    assert_eq!(sim.r.handle_datagram(sim.now, WIFI, wifi_src, &search, true), Handled::Ignored);
    sim.drain();
    assert_eq!(sim.sent.len(), 12, "2 rounds of 6, on Wi-Fi only");
    for s in &sim.sent {
        assert_eq!((s.tx.iface, s.tx.src, s.tx.dst), (WIFI, WIFI_ADDR, MULTICAST));
        assert_eq!(s.notify().nts, "ssdp:byebye");
    }
    // Forgotten once the goodbye is out; the other interface goes on as before.
    assert!(!sim.r.remove_interface(WIFI));
    assert!(!sim.r.leave_interface(sim.now, WIFI));
    sim.sent.clear();
    sim.run_for(3600 * SECOND);
    assert!(!sim.sent.is_empty());
    assert!(sim.sent.iter().all(|s| s.tx.iface == LAN && s.notify().nts == "ssdp:alive"));
    // Coming back announces it afresh.
    sim.sent.clear();
    sim.r.add_interface(sim.now, WIFI, WIFI_ADDR, WIFI_LOCATION).unwrap();
    sim.drain();
    assert_eq!(sim.sent.len(), 6);
    assert!(sim.sent.iter().all(|s| s.tx.iface == WIFI && s.notify().nts == "ssdp:alive"));
    // Stopped, leaving forgets at once: there is nothing to take back.
    sim.r.shutdown(sim.now);
    sim.drain();
    sim.sent.clear();
    assert!(sim.r.leave_interface(sim.now, LAN));
    sim.drain();
    assert!(sim.sent.is_empty());
}

#[test]
fn flood_is_bounded() {
    let mut sim = Sim::started(8);
    // One source hammering: merges into at most MAX_PENDING_PER_SOURCE entries.
    let src = searcher(1);
    let mut outcomes = [0usize; 4];
    for port in 0..1000u16 {
        let from = SocketAddrV4::new(*src.ip(), 1024 + port % 3);
        let h = sim.search(from, &msearch("ssdp:all", Some(5)), true);
        outcomes[h as usize] += 1;
    }
    assert_eq!(outcomes[Handled::Queued as usize], 1000 - outcomes[Handled::Limited as usize]);
    sim.run_for(6 * SECOND);
    assert_eq!(sim.sent.len(), 6 * MAX_PENDING_PER_SOURCE);

    // Many sources, two thousand searches a second for ten seconds: the pending queue (16
    // entries) refuses most, and the answers never exceed the pacing budget.
    sim.sent.clear();
    let t1 = sim.now;
    let (mut queued, mut limited) = (0, 0);
    for tick in 0..100u32 {
        for n in 0..200u32 {
            let from = searcher(tick * 200 + n);
            match sim.search(from, &msearch("ssdp:all", None), false) {
                Handled::Queued => queued += 1,
                Handled::Limited => limited += 1,
                other => panic!("{other:?}"),
            }
        }
        sim.run_for(SECOND / 10);
    }
    let elapsed = sim.now.saturating_since(t1).as_micros();
    let budget = u64::from(REPLY_BURST) + elapsed / REPLY_INTERVAL.as_micros();
    assert!(sim.sent.len() as u64 <= budget, "{} > {budget}", sim.sent.len());
    // ...while still answering at the paced rate, not starving.
    assert!(sim.sent.len() as u64 >= budget * 9 / 10, "{} of {budget}", sim.sent.len());
    assert_eq!(queued + limited, 20_000);
    assert!(limited > 19_000, "{limited}");
    // Every accepted search is answered in full once the flood stops, and nothing else is sent.
    sim.run_for(10 * SECOND);
    assert_eq!(sim.sent.len(), 6 * queued);
    assert!(sim.sent.iter().all(|s| s.response().st.len() > 4));
}

#[test]
fn date_header_follows_the_shell_clock() {
    let mut sim = Sim::started(11);
    sim.r.set_unix_time(sim.now, 784_111_777);
    sim.run_for(60 * SECOND);
    sim.search(searcher(1), &msearch("upnp:rootdevice", None), false);
    sim.drain();
    assert!(sim.sent[0].text().contains("\r\nDATE: Sun, 06 Nov 1994 08:50:37 GMT\r\n"));
}

#[test]
fn small_buffer_drops_without_looping() {
    let mut sim = Sim::started(12);
    sim.search(searcher(1), &msearch("ssdp:all", None), false);
    let mut tiny = [0u8; 16];
    assert_eq!(sim.r.poll_transmit(sim.now, &mut tiny), None);
    assert_eq!(sim.r.poll_at().filter(|at| *at <= sim.now), None);
}

#[test]
fn longest_fields_fit_max_datagram() {
    let uuid = "u".repeat(UUID_CAP);
    let server = "s".repeat(SERVER_CAP);
    let location = "l".repeat(LOCATION_CAP);
    let config = Config {
        uuid: &uuid,
        server: &server,
        max_age: u32::MAX,
        boot_id: u32::MAX,
        config_id: u32::MAX,
        seed: 0,
    };
    let mut r: Responder<1, 1> = Responder::new(&config).unwrap();
    r.add_interface(Instant::ZERO, LAN, LAN_ADDR, &location).unwrap();
    r.set_unix_time(Instant::ZERO, u64::MAX);
    r.start(Instant::ZERO);
    let mut buf = [0u8; MAX_DATAGRAM];
    let mut sent = 0;
    while r.poll_transmit(Instant::ZERO, &mut buf).is_some() {
        sent += 1;
    }
    assert_eq!(sent, 6);
    let src = searcher(1);
    r.handle_datagram(Instant::ZERO, LAN, src, &msearch("ssdp:all", None), false);
    while r.poll_transmit(Instant::ZERO, &mut buf).is_some() {
        sent += 1;
    }
    assert_eq!(sent, 12);
    r.shutdown(Instant::ZERO);
    while r.poll_transmit(Instant::ZERO, &mut buf).is_some() {
        sent += 1;
    }
    assert_eq!(sent, 24);
}

#[test]
fn config_errors() {
    let ok = Config { uuid: UUID, server: SERVER, max_age: 100, boot_id: 1, config_id: 1, seed: 0 };
    let r: Responder = Responder::new(&ok).unwrap();
    assert_eq!(r.max_age, MIN_MAX_AGE);
    assert_eq!(r.uuid.as_str(), UUID);
    let err = |c: Config<'_>| Responder::<1, 1>::new(&c).err();
    assert_eq!(err(Config { uuid: "uuid:", ..ok }), Some(Error::BadLength));
    assert_eq!(err(Config { uuid: "a b", ..ok }), Some(Error::InvalidText));
    assert_eq!(err(Config { server: "x\r\nEVIL: 1", ..ok }), Some(Error::InvalidText));
    assert_eq!(err(Config { server: &"s".repeat(SERVER_CAP + 1), ..ok }), Some(Error::BadLength));
    let mut r: Responder<1, 1> = Responder::new(&ok).unwrap();
    assert_eq!(
        r.add_interface(Instant::ZERO, LAN, LAN_ADDR, &"l".repeat(LOCATION_CAP + 1)),
        Err(Error::BadLength)
    );
    assert_eq!(
        r.add_interface(Instant::ZERO, LAN, LAN_ADDR, "http://x/\n"),
        Err(Error::InvalidText)
    );
}

#[test]
fn searches_before_start_are_ignored() {
    let mut sim = Sim::new(13);
    assert_eq!(sim.search(searcher(1), &msearch("ssdp:all", Some(1)), true), Handled::Ignored);
    assert_eq!(sim.r.poll_at(), None);
}
