//! Following the network: a real Rill server (in-process, default interface choice) starts in
//! the test's private network namespace with nothing but `lo`; then a veth pair appears, its far
//! end in a [`Nested`] namespace standing for another machine on a new network. From there, the
//! server must be heard (alive NOTIFY) and found (M-SEARCH answered with a `LOCATION` on the new
//! address, whose HTTP answers) within 2 s; an address change (DHCP renewal) moves it; an
//! interface that stops being wanted while still up gets a byebye; one that loses its carrier
//! is dropped and announced again when the carrier is back; a removed interface is noticed;
//! and through it all Rill keeps serving on `lo`. With `--interface`, a named interface that
//! does not exist yet is waited for, and others that appear are left alone.

mod common;

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::{Duration, Instant};

use rill_tests::renderer::netns::{self, isolated, Nested, VETH_LINK};
use rill_tests::renderer::ssdp::{self, Listener, Message};
use rill_tests::renderer::{Player, Renderer};

/// How soon a change must be served.
const FOLLOW: Duration = Duration::from_secs(2);
/// The server's side of the veth pair (in the test's namespace).
const NEAR: &str = "rill-near";
/// The other machine's side (in the nested namespace).
const FAR: &str = "rill-far";

fn addr(host: u8) -> Ipv4Addr {
    let [a, b, c, _] = VETH_LINK.0.octets();
    Ipv4Addr::new(a, b, c, host)
}

fn cidr(host: u8) -> String {
    format!("{}/{}", addr(host), VETH_LINK.1)
}

/// The first of our NOTIFYs of kind `nts` with `location` (`None`: any) heard by `listener`
/// before `deadline`, with when it was heard.
fn heard(
    listener: &Listener,
    uuid: &str,
    nts: &str,
    location: Option<&str>,
    deadline: Instant,
) -> Option<(Message, Instant)> {
    while Instant::now() < deadline {
        let messages = listener.collect(Duration::from_millis(50)).unwrap();
        let at = Instant::now();
        let found = messages.into_iter().find(|m| {
            m.method() == Some("NOTIFY")
                && m.header("nts") == Some(nts)
                && m.header("usn").is_some_and(|u| u.contains(uuid))
                && (location.is_none() || m.header("location") == location)
        });
        if found.is_some() {
            return found.map(|m| (m, at));
        }
    }
    None
}

/// Our answers to a multicast `M-SEARCH` for the root device sent from `from`.
fn found(from: Ipv4Addr, uuid: &str) -> Vec<Message> {
    let answers = ssdp::discover(from, "upnp:rootdevice", Duration::from_millis(1500)).unwrap();
    answers.into_iter().filter(|m| m.header("usn").is_some_and(|u| u.contains(uuid))).collect()
}

/// Waits until the server's served list satisfies `pred`, at most [`FOLLOW`].
fn served_until(server: &common::Running, what: &str, pred: impl Fn(&[Ipv4Addr]) -> bool) {
    let deadline = Instant::now() + FOLLOW;
    loop {
        let addrs: Vec<Ipv4Addr> = server.served.borrow().iter().map(|s| s.iface.addr).collect();
        if pred(&addrs) {
            return;
        }
        assert!(Instant::now() < deadline, "not {what} within {FOLLOW:?}: serving {addrs:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Rill still answers on loopback: found there, and its description served.
fn still_on_loopback(server: &common::Running) {
    let answers = found(Ipv4Addr::LOCALHOST, &server.uuid);
    let location = format!("http://{}/rill/description.xml", server.http);
    assert!(!answers.is_empty(), "no answer on lo");
    assert!(answers.iter().all(|m| m.header("location") == Some(location.as_str())));
    let desc = Renderer::new(Player::GENERIC).fetch_description(&location).unwrap();
    assert_eq!(desc.udn, format!("uuid:{}", server.uuid));
}

/// Waits until `link` (in this namespace) reports its carrier (operational state `UP`): the
/// moment the kernel tells, which is what Rill can follow.
fn wait_for_carrier(link: &str) {
    let deadline = Instant::now() + FOLLOW;
    loop {
        let out = Command::new("ip").args(["-br", "link", "show", "dev", link]).output().unwrap();
        let brief = String::from_utf8_lossy(&out.stdout).into_owned();
        if brief.split_whitespace().nth(1) == Some("UP") {
            return;
        }
        assert!(Instant::now() < deadline, "{link} has no carrier: {brief}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A nested namespace holding the far end of a new veth pair (`NEAR` stays here, down and
/// without an address), its end up at host 2 of [`VETH_LINK`].
fn other_machine() -> Nested {
    let far = Nested::new();
    let tid = far.tid().to_string();
    netns::ip(&["link", "add", NEAR, "type", "veth", "peer", "name", FAR, "netns", &tid]);
    far.ip(&["addr", "add", &cidr(2), "dev", FAR]);
    far.ip(&["link", "set", FAR, "up"]);
    far
}

#[test]
fn serves_interfaces_that_come_and_go() {
    isolated("serves_interfaces_that_come_and_go", || {
        let server = common::start_with(common::empty_dir(), |c| c.interfaces.clear());
        let uuid = server.uuid.clone();
        let port = server.http.port();
        assert_eq!(*server.http.ip(), Ipv4Addr::LOCALHOST, "only lo at start");

        // The other machine: its end of the link up and addressed, listening for SSDP.
        let far = other_machine();
        let listener = far.run(|| Listener::open(addr(2)).unwrap());
        let listener = std::sync::Arc::new(listener);

        // The link comes up (the kernel takes up to a second to report its carrier), then gets
        // its address, as from DHCP: announced, found and served within 2 s.
        netns::ip(&["link", "set", NEAR, "up"]);
        wait_for_carrier(NEAR);
        netns::ip(&["addr", "add", &cidr(1), "dev", NEAR]);
        let appeared = Instant::now();
        let location = format!("http://{}:{port}/rill/description.xml", addr(1));
        let (l, want, id) = (listener.clone(), location.clone(), uuid.clone());
        let alive = far.run(move || heard(&l, &id, "ssdp:alive", Some(&want), appeared + FOLLOW));
        let (_, at) = alive.unwrap_or_else(|| panic!("no alive from {location} within {FOLLOW:?}"));
        let (want, id) = (location.clone(), uuid.clone());
        let (answers, desc) = far.run(move || {
            let answers = found(addr(2), &id);
            let desc = Renderer::new(Player::GENERIC).fetch_description(&want).unwrap();
            (answers, desc)
        });
        let answered = Instant::now();
        eprintln!("alive heard {:?} after the address appeared", at - appeared);
        assert!(at - appeared < FOLLOW, "alive after {:?}", at - appeared);
        assert!(!answers.is_empty(), "M-SEARCH from the new network not answered");
        for m in &answers {
            assert_eq!(m.header("location"), Some(location.as_str()));
        }
        assert_eq!(desc.udn, format!("uuid:{uuid}"));
        // The search waits up to MX (1 s) for its answers, the fetch is at once.
        assert!(answered - appeared < FOLLOW + Duration::from_millis(1500));
        served_until(&server, "serving the new address", |a| a.contains(&addr(1)));
        still_on_loopback(&server);

        // A DHCP renewal with a new address: the old one is dropped, the new one announced.
        netns::ip(&["addr", "del", &cidr(1), "dev", NEAR]);
        netns::ip(&["addr", "add", &cidr(3), "dev", NEAR]);
        let renewed = Instant::now();
        let moved = format!("http://{}:{port}/rill/description.xml", addr(3));
        let (l, want, id) = (listener.clone(), moved.clone(), uuid.clone());
        let alive = far.run(move || heard(&l, &id, "ssdp:alive", Some(&want), renewed + FOLLOW));
        assert!(alive.is_some(), "no alive from {moved} within {FOLLOW:?}");
        served_until(&server, "following the renewal", |a| {
            a.contains(&addr(3)) && !a.contains(&addr(1))
        });
        let (want, id) = (moved.clone(), uuid.clone());
        let answers = far.run(move || {
            let answers = found(addr(2), &id);
            Renderer::new(Player::GENERIC).fetch_description(&want).unwrap();
            answers
        });
        assert!(!answers.is_empty());
        assert!(answers.iter().all(|m| m.header("location") == Some(moved.as_str())));

        // No longer wanted while still up (multicast turned off): a byebye goes out there.
        netns::ip(&["link", "set", NEAR, "multicast", "off"]);
        let dropped = Instant::now();
        let (l, id) = (listener.clone(), uuid.clone());
        let bye = far.run(move || heard(&l, &id, "ssdp:byebye", None, dropped + FOLLOW));
        assert!(bye.is_some(), "no byebye within {FOLLOW:?}");
        served_until(&server, "dropping the interface", |a| !a.contains(&addr(3)));
        netns::ip(&["link", "set", NEAR, "multicast", "on"]);
        served_until(&server, "taking the interface back", |a| a.contains(&addr(3)));

        // The carrier goes (the other machine sleeps, a cable is pulled) and comes back: the
        // address is dropped meanwhile, then announced again.
        far.ip(&["link", "set", FAR, "down"]);
        served_until(&server, "dropping the interface without carrier", |a| !a.contains(&addr(3)));
        far.ip(&["link", "set", FAR, "up"]);
        wait_for_carrier(NEAR);
        let resumed = Instant::now();
        let (l, want, id) = (listener.clone(), moved.clone(), uuid.clone());
        let alive = far.run(move || heard(&l, &id, "ssdp:alive", Some(&want), resumed + FOLLOW));
        assert!(alive.is_some(), "no alive from {moved} within {FOLLOW:?} of the carrier");

        // The interface is removed: noticed, and loopback goes on.
        netns::ip(&["link", "del", NEAR]);
        served_until(&server, "noticing the removal", |a| a == [Ipv4Addr::LOCALHOST]);
        still_on_loopback(&server);
        drop(far);
        server.shutdown();
    });
}

#[test]
fn waits_for_a_named_interface_and_leaves_others_alone() {
    isolated("waits_for_a_named_interface_and_leaves_others_alone", || {
        let wanted = [Ipv4Addr::LOCALHOST.to_string(), NEAR.to_string()];
        let server = common::start_with(common::empty_dir(), |c| c.interfaces = wanted.to_vec());
        let port = server.http.port();
        served_until(&server, "serving lo alone", |a| a == [Ipv4Addr::LOCALHOST]);

        // An interface nobody asked for comes up with an address: not served. Both its ends
        // stay here, on a documentation subnet (TEST-NET-1) of its own.
        netns::ip(&["link", "add", "rill-other", "type", "veth", "peer", "name", "rill-other-p"]);
        netns::ip(&["addr", "add", "192.0.2.1/24", "dev", "rill-other"]);
        netns::ip(&["link", "set", "rill-other", "up"]);
        netns::ip(&["link", "set", "rill-other-p", "up"]);

        // The named one appears: served, with its LOCATION on the same port.
        let far = other_machine();
        netns::ip(&["addr", "add", &cidr(1), "dev", NEAR]);
        netns::ip(&["link", "set", NEAR, "up"]);
        served_until(&server, "serving the named interface", |a| a.contains(&addr(1)));
        let addrs: Vec<Ipv4Addr> = server.served.borrow().iter().map(|s| s.iface.addr).collect();
        assert_eq!(addrs, [Ipv4Addr::LOCALHOST, addr(1)], "only what was asked for");
        let uuid = server.uuid.clone();
        let answers = far.run(move || found(addr(2), &uuid));
        let location = format!("http://{}:{port}/rill/description.xml", addr(1));
        assert!(!answers.is_empty(), "M-SEARCH on the named interface not answered");
        assert!(answers.iter().all(|m| m.header("location") == Some(location.as_str())));
        drop(far);
        server.shutdown();
    });
}
