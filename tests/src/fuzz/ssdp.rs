//! `ssdp`: datagrams received on port 1900.
//!
//! Input: one datagram. It is parsed by [`message::parse`], then handed to a started
//! [`Responder`] twice (as multicast and as unicast, from a LAN address), and the responder is
//! drained with [`Responder::poll_transmit`] on a clock that jumps to each [`Responder::poll_at`],
//! for a bounded number of rounds. Every datagram the responder sends must parse back as SSDP.

use core::net::{Ipv4Addr, SocketAddrV4};

use rill_core::ssdp::message::{self, Message};
use rill_core::ssdp::responder::{Config, IfaceId, Responder, MAX_DATAGRAM};
use rill_core::time::Instant;

const LAN: IfaceId = IfaceId(1);

/// The `ssdp` target.
pub fn ssdp(data: &[u8]) {
    if let Ok(Message::Search(search)) = message::parse(data) {
        assert!(search.st.trim() == search.st);
    }
    let config = Config {
        uuid: "uuid:4d696e69-444c-164e-9d41-b827eb5f3a10",
        server: "Linux/6.1 UPnP/1.0 DLNADOC/1.50 Rill/0.1.0",
        max_age: 1800,
        boot_id: 1,
        config_id: 1,
        seed: 7,
    };
    let mut r: Responder<2, 4> = Responder::new(&config).expect("valid config");
    let location = "http://192.168.1.10:8200/rill/description.xml";
    r.add_interface(Instant::ZERO, LAN, Ipv4Addr::new(192, 168, 1, 10), location)
        .expect("one interface fits");
    r.start(Instant::ZERO);
    let mut now = drain(&mut r, Instant::ZERO, 8);
    let src = SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 20), 50_000);
    let _ = r.handle_datagram(now, LAN, src, data, true);
    let _ = r.handle_datagram(now, LAN, src, data, false);
    now = drain(&mut r, now, 64);
    r.shutdown(now);
    drain(&mut r, now, 8);
}

/// Sends what is due, moving the clock to each deadline, for at most `rounds` deadlines.
/// Returns the clock.
fn drain(r: &mut Responder<2, 4>, mut now: Instant, rounds: usize) -> Instant {
    let mut buf = [0u8; MAX_DATAGRAM];
    for _ in 0..rounds {
        // A responder owes at most a few dozen datagrams at any instant.
        for _ in 0..256 {
            let Some(tx) = r.poll_transmit(now, &mut buf) else { break };
            let sent = buf.get(..tx.len).expect("length within the buffer");
            assert!(message::parse(sent).is_ok(), "unparsable datagram {:?}", sent);
        }
        match r.poll_at() {
            Some(at) if at > now => now = at,
            Some(_) => {}
            None => break,
        }
    }
    now
}
