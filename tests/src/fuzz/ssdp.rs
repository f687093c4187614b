//! `ssdp`: datagrams received on port 1900.
//!
//! Input: one datagram. It is parsed by [`message::parse`], then handed to a started
//! [`Responder`] twice (as multicast and as unicast, from a LAN address), and the responder is
//! drained with [`Responder::poll_transmit`] on a clock that jumps to each [`Responder::poll_at`]
//! until every answer is out (searches are answered within `MAX_DELAY`). Every answer must
//! parse back as SSDP. Announcements, which do not depend on the input, are sent but not
//! parsed back (that parsing would take most of the time of each run).

use core::net::{Ipv4Addr, SocketAddrV4};

use rill_core::ssdp::message::{self, Message};
use rill_core::ssdp::responder::{Config, IfaceId, Responder, MAX_DATAGRAM};
use rill_core::ssdp::MULTICAST;
use rill_core::time::{Duration, Instant};

const LAN: IfaceId = IfaceId(1);

/// Searches are answered within `MX` seconds, capped at 5; a little margin on top.
const MAX_DELAY: Duration = Duration::from_secs(6);

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
    let src = SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 20), 50_000);
    let now = Instant::from_millis(10);
    let _ = r.handle_datagram(now, LAN, src, data, true);
    let _ = r.handle_datagram(now, LAN, src, data, false);
    let mut buf = [0u8; MAX_DATAGRAM];
    let mut at = now;
    // Each round sends at least one datagram or moves the clock to a later deadline.
    for _ in 0..64 {
        // At most 6 announcements and 4 answers of 6 datagrams are due at once.
        for _ in 0..64 {
            let Some(tx) = r.poll_transmit(at, &mut buf) else { break };
            if tx.dst != MULTICAST {
                let sent = buf.get(..tx.len).expect("length within the buffer");
                assert!(message::parse(sent).is_ok(), "unparsable answer {sent:?}");
            }
        }
        match r.poll_at() {
            Some(next) if next <= now + MAX_DELAY => at = at.max(next),
            _ => break,
        }
    }
    r.shutdown(at);
    let _ = r.poll_transmit(at, &mut buf);
}
