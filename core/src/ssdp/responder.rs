//! The SSDP responder: a sans-IO machine that announces the device and answers searches.
//!
//! The shell owns the sockets and the clock. It feeds the machine with
//! [`Responder::handle_datagram`] (every datagram received on port 1900, multicast or unicast),
//! then calls [`Responder::poll_transmit`] until it returns `None`, sends each datagram it gets,
//! and sleeps until [`Responder::poll_at`] (or the next datagram). [`Responder::start`] begins
//! announcing, [`Responder::shutdown`] says goodbye; after shutdown the shell drains
//! `poll_transmit` until `poll_at` is `None`. No call blocks, reads a clock or allocates.
//!
//! What it sends, per interface, with that interface's `LOCATION`:
//! - at [`start`](Responder::start): the `ssdp:alive` set (six messages, one per [`Target`])
//!   three times, one second apart, because UDP loses datagrams;
//! - then the set twice more (a second apart) every `max_age / 2` minus up to `max_age / 10` of
//!   random jitter, so with the minimum max-age of 1800 s every 810 to 900 s, well before
//!   control points let the device expire;
//! - at [`shutdown`](Responder::shutdown): the `ssdp:byebye` set twice, at once; the same on
//!   one interface alone at [`leave_interface`](Responder::leave_interface), which then
//!   forgets it (an interface whose address is already gone is simply
//!   [removed](Responder::remove_interface));
//! - for each search that names one of our targets, or `ssdp:all` (one answer per target), a
//!   unicast answer to the searcher. A multicast search must carry `MAN: "ssdp:discover"` and an
//!   `MX`; it is answered after a uniform random delay in `0..min(MX, 5)` seconds. A unicast
//!   search (UDA 1.1) needs the `MAN` too and is answered at once. Anything else is ignored.
//!
//! Flood limits, so that hostile or broken peers can neither grow memory nor turn the device
//! into a traffic amplifier:
//! - pending answers live in a fixed queue of `PENDING` entries (one entry answers one search,
//!   up to six datagrams); when it is full, new searches are dropped;
//! - a second search from the same address and port while one is pending merges into it;
//!   at most [`MAX_PENDING_PER_SOURCE`] entries are held per source IP address;
//! - all search answers together are paced by a token bucket: at most [`REPLY_BURST`]
//!   datagrams at once and one per [`REPLY_INTERVAL`] (40 per second) after that, whatever
//!   arrives. Announcements are not paced; they are few and self-timed;
//! - searches from unspecified, multicast or broadcast addresses, or from port 0, are dropped.
//!
//! Call order: [`Responder::new`], [`Responder::add_interface`] for each interface,
//! optionally [`Responder::set_unix_time`] (for the `DATE` header), [`Responder::start`], then
//! the loop above, then [`Responder::shutdown`] and a final drain. Interfaces may come and go
//! at any time in between (the shell follows the network).

use core::fmt;
use core::net::{Ipv4Addr, SocketAddrV4};

use heapless::{String, Vec};

use super::message::{self, is_header_text, Advert, Message};
use super::{Target, MULTICAST};
use crate::http::date::HttpDate;
use crate::time::{Duration, Instant};

/// Longest device UUID accepted (a standard UUID has 36 characters).
pub const UUID_CAP: usize = 64;
/// Longest `SERVER` value accepted.
pub const SERVER_CAP: usize = 128;
/// Longest `LOCATION` URL accepted.
pub const LOCATION_CAP: usize = 128;
/// A buffer of this many bytes holds any datagram the responder writes (tested with every
/// field at its longest).
pub const MAX_DATAGRAM: usize = 1024;
/// The smallest `max-age` advertised (UDA); smaller configured values are raised to it.
pub const MIN_MAX_AGE: u32 = 1800;
/// Pending search answers held per source IP address.
pub const MAX_PENDING_PER_SOURCE: usize = 2;
/// Search-answer datagrams that may go out back to back.
pub const REPLY_BURST: u32 = 36;
/// After a burst, one search-answer datagram per this interval.
pub const REPLY_INTERVAL: Duration = Duration::from_millis(25);

/// The largest `MX` honoured, in seconds (UDA 1.1).
const MAX_MX_SECS: u64 = 5;
/// Rounds of the alive set at start, and at each refresh.
const START_ROUNDS: u8 = 3;
const REFRESH_ROUNDS: u8 = 2;
/// Rounds of the byebye set at shutdown, sent back to back.
const BYEBYE_ROUNDS: u8 = 2;
/// Time between rounds of the alive set.
const ROUND_GAP: Duration = Duration::from_secs(1);
/// Every target, as a bit set over [`Target::ALL`].
const ALL_TARGETS: u8 = (1 << Target::ALL.len()) - 1;

/// Why the responder could not be configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// A UUID, SERVER or LOCATION is longer than its capacity, or the UUID is empty.
    BadLength,
    /// A UUID, SERVER or LOCATION contains control characters (or the UUID whitespace).
    InvalidText,
    /// All interface slots are taken.
    TooManyInterfaces,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::BadLength => "identity text empty or too long",
            Error::InvalidText => "identity text contains control characters",
            Error::TooManyInterfaces => "no free interface slot",
        })
    }
}

impl core::error::Error for Error {}

/// The device identity the responder announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config<'a> {
    /// The device UUID, with or without the `uuid:` prefix.
    pub uuid: &'a str,
    /// The `SERVER` value, normally a [`message::ServerHeader`] formatted to text.
    pub server: &'a str,
    /// `CACHE-CONTROL: max-age` in seconds; raised to [`MIN_MAX_AGE`] if smaller.
    pub max_age: u32,
    /// `BOOTID.UPNP.ORG`: persisted by the shell and increased at each boot.
    pub boot_id: u32,
    /// `CONFIGID.UPNP.ORG`: changes whenever the descriptions change.
    pub config_id: u32,
    /// Seed for the delays and jitter; any value works, a per-boot random one is best.
    pub seed: u64,
}

/// The shell's name for a network interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IfaceId(pub u32);

/// A datagram to send: `len` bytes at the start of the buffer given to `poll_transmit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// The interface to send on.
    pub iface: IfaceId,
    /// That interface's address, to send from.
    pub src: Ipv4Addr,
    /// Where to: [`MULTICAST`] for announcements, the searcher for answers.
    pub dst: SocketAddrV4,
    /// The datagram's length.
    pub len: usize,
}

// defmt has no `Format` for `core::net` addresses, so this one is written out.
#[cfg(feature = "defmt")]
impl defmt::Format for Transmit {
    fn format(&self, f: defmt::Formatter<'_>) {
        let [a, b, c, d] = self.src.octets();
        let [e, g, h, i] = self.dst.ip().octets();
        defmt::write!(
            f,
            "Transmit {{ iface: {}, src: {}.{}.{}.{}, dst: {}.{}.{}.{}:{}, len: {} }}",
            self.iface,
            a,
            b,
            c,
            d,
            e,
            g,
            h,
            i,
            self.dst.port(),
            self.len
        )
    }
}

/// What [`Responder::handle_datagram`] did with a datagram (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Handled {
    /// A search for our targets; the answers are queued.
    Queued,
    /// Not for us: not a search, a target we do not have, an unknown interface, or the
    /// responder is not running.
    Ignored,
    /// A search that breaks the rules (unparsable, no `MAN: "ssdp:discover"`, multicast
    /// without `MX`, or from an address nobody can answer).
    Invalid,
    /// A valid search dropped by the flood limits.
    Limited,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Alive,
    ByeBye,
}

/// A set of announcements in progress or scheduled on one interface.
#[derive(Debug, Clone, Copy)]
struct Burst {
    kind: Kind,
    /// When the current round is due.
    at: Instant,
    /// Index into [`Target::ALL`] of the next message of the round.
    next: usize,
    rounds_left: u8,
}

#[derive(Debug)]
struct Iface {
    id: IfaceId,
    addr: Ipv4Addr,
    location: String<LOCATION_CAP>,
    burst: Option<Burst>,
    /// Saying goodbye before being forgotten ([`Responder::leave_interface`]).
    leaving: bool,
}

/// Answers owed to one searcher.
#[derive(Debug, Clone, Copy)]
struct Reply {
    due: Instant,
    iface: IfaceId,
    dst: SocketAddrV4,
    /// Bits over [`Target::ALL`] still to answer.
    targets: u8,
}

/// Paces search answers: `tokens` datagrams may go now, one more each [`REPLY_INTERVAL`].
#[derive(Debug)]
struct Bucket {
    tokens: u32,
    /// The time the last token was credited (or the bucket was last full).
    credited: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let interval = REPLY_INTERVAL.as_micros();
        let earned = now.saturating_since(self.credited).as_micros() / interval;
        let room = u64::from(REPLY_BURST - self.tokens.min(REPLY_BURST));
        if earned >= room {
            self.tokens = REPLY_BURST;
            self.credited = now;
        } else {
            // `earned < room <= REPLY_BURST`, so it fits in u32 and the sum stays in bounds.
            self.tokens += earned as u32;
            self.credited = self.credited + Duration::from_micros(earned * interval);
        }
    }

    /// When sending may resume.
    fn ready_at(&self) -> Option<Instant> {
        (self.tokens == 0).then(|| self.credited + REPLY_INTERVAL)
    }
}

/// splitmix64: small, fast and good enough for delays and jitter.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (bias below 2^-40 for the ranges used here); 0 when `n` is 0.
    fn below(&mut self, n: u64) -> u64 {
        self.next().checked_rem(n).unwrap_or(0)
    }
}

/// The SSDP responder for one root device on up to `IFACES` interfaces, holding up to
/// `PENDING` searches. See the module docs.
#[derive(Debug)]
pub struct Responder<const IFACES: usize = 4, const PENDING: usize = 16> {
    uuid: String<UUID_CAP>,
    server: String<SERVER_CAP>,
    max_age: u32,
    boot_id: u32,
    config_id: u32,
    rng: Rng,
    ifaces: Vec<Iface, IFACES>,
    replies: Vec<Reply, PENDING>,
    bucket: Bucket,
    running: bool,
    /// A Unix time in seconds and the instant it was true at.
    clock: Option<(Instant, u64)>,
}

/// Which datagram to write.
enum Datagram {
    Alive,
    ByeBye,
    Response,
}

/// The next thing to send.
enum Due {
    Burst(usize),
    Reply(usize),
}

impl<const IFACES: usize, const PENDING: usize> Responder<IFACES, PENDING> {
    /// A stopped responder with no interfaces.
    pub fn new(config: &Config<'_>) -> Result<Self, Error> {
        let uuid = config.uuid.trim();
        let uuid = match uuid.get(..5) {
            Some(p) if p.eq_ignore_ascii_case("uuid:") => uuid.get(5..).unwrap_or_default(),
            _ => uuid,
        };
        if uuid.is_empty() {
            return Err(Error::BadLength);
        }
        if uuid.contains(char::is_whitespace) {
            return Err(Error::InvalidText);
        }
        Ok(Responder {
            uuid: checked_text(uuid)?,
            server: checked_text(config.server)?,
            max_age: config.max_age.max(MIN_MAX_AGE),
            boot_id: config.boot_id,
            config_id: config.config_id,
            rng: Rng(config.seed),
            ifaces: Vec::new(),
            replies: Vec::new(),
            bucket: Bucket { tokens: REPLY_BURST, credited: Instant::ZERO },
            running: false,
            clock: None,
        })
    }

    /// Adds an interface (or updates the address and location of a known one). `location` is
    /// the description URL as reachable through this interface. When running, the interface's
    /// alive set starts at once.
    pub fn add_interface(
        &mut self,
        now: Instant,
        iface: IfaceId,
        addr: Ipv4Addr,
        location: &str,
    ) -> Result<(), Error> {
        let location = checked_text(location)?;
        let burst = self.running.then_some(Burst {
            kind: Kind::Alive,
            at: now,
            next: 0,
            rounds_left: START_ROUNDS,
        });
        if let Some(known) = self.ifaces.iter_mut().find(|i| i.id == iface) {
            let burst = if known.leaving { burst } else { burst.or(known.burst) };
            *known = Iface { id: iface, addr, location, burst, leaving: false };
            return Ok(());
        }
        self.ifaces
            .push(Iface { id: iface, addr, location, burst, leaving: false })
            .map_err(|_| Error::TooManyInterfaces)
    }

    /// Forgets an interface (its address is gone, so no byebye) and the answers owed on it.
    /// Returns whether it was known.
    pub fn remove_interface(&mut self, iface: IfaceId) -> bool {
        self.replies.retain(|r| r.iface != iface);
        let before = self.ifaces.len();
        self.ifaces.retain(|i| i.id != iface);
        self.ifaces.len() != before
    }

    /// Says goodbye on one interface that stops being served while the device goes on (the
    /// shell no longer wants it, or its address is changing): drops the answers owed there,
    /// ignores searches arriving there, queues its byebye set at once and forgets the interface
    /// once `poll_transmit` has handed out the last of it. When not running there is nothing to
    /// take back and the interface is forgotten at once. Returns whether it was known.
    pub fn leave_interface(&mut self, now: Instant, iface: IfaceId) -> bool {
        if !self.running {
            return self.remove_interface(iface);
        }
        self.replies.retain(|r| r.iface != iface);
        let Some(known) = self.ifaces.iter_mut().find(|i| i.id == iface) else {
            return false;
        };
        known.leaving = true;
        known.burst =
            Some(Burst { kind: Kind::ByeBye, at: now, next: 0, rounds_left: BYEBYE_ROUNDS });
        true
    }

    /// Tells the responder that the Unix time is `unix_secs` at `now`, so answers carry a
    /// `DATE`. Without it (a board with no real-time clock yet), `DATE` is left out.
    pub fn set_unix_time(&mut self, now: Instant, unix_secs: u64) {
        self.clock = Some((now, unix_secs));
    }

    /// Starts announcing on every interface and answering searches.
    pub fn start(&mut self, now: Instant) {
        self.running = true;
        for iface in &mut self.ifaces {
            iface.burst =
                Some(Burst { kind: Kind::Alive, at: now, next: 0, rounds_left: START_ROUNDS });
        }
    }

    /// Stops answering, drops pending answers and queues the byebye set on every interface.
    /// Does nothing if not running.
    pub fn shutdown(&mut self, now: Instant) {
        if !self.running {
            return;
        }
        self.running = false;
        self.replies.clear();
        for iface in &mut self.ifaces {
            iface.burst =
                Some(Burst { kind: Kind::ByeBye, at: now, next: 0, rounds_left: BYEBYE_ROUNDS });
        }
    }

    /// Whether the responder is announcing and answering (between `start` and `shutdown`).
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Takes in a datagram received on `iface` from `src`; `multicast` says whether it was sent
    /// to the SSDP group (as opposed to this host's unicast address).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        iface: IfaceId,
        src: SocketAddrV4,
        datagram: &[u8],
        multicast: bool,
    ) -> Handled {
        if !self.running || !self.ifaces.iter().any(|i| i.id == iface && !i.leaving) {
            return Handled::Ignored;
        }
        let search = match message::parse(datagram) {
            Ok(Message::Search(search)) => search,
            Ok(_) => return Handled::Ignored,
            Err(_) => return Handled::Invalid,
        };
        let ip = src.ip();
        if !search.man_ok
            || src.port() == 0
            || ip.is_unspecified()
            || ip.is_multicast()
            || ip.is_broadcast()
        {
            return Handled::Invalid;
        }
        let targets = if search.st.trim().eq_ignore_ascii_case("ssdp:all") {
            ALL_TARGETS
        } else {
            match Target::from_search(search.st, &self.uuid) {
                Some(t) => 1 << target_index(t),
                None => return Handled::Ignored,
            }
        };
        let due = if multicast {
            let Some(mx) = search.mx else {
                return Handled::Invalid;
            };
            let window = u64::from(mx).min(MAX_MX_SECS) * 1_000_000;
            now + Duration::from_micros(self.rng.below(window))
        } else {
            now
        };
        self.enqueue(Reply { due, iface, dst: src, targets })
    }

    fn enqueue(&mut self, reply: Reply) -> Handled {
        if let Some(r) =
            self.replies.iter_mut().find(|r| r.iface == reply.iface && r.dst == reply.dst)
        {
            r.targets |= reply.targets;
            r.due = r.due.min(reply.due);
            return Handled::Queued;
        }
        let same_source = self.replies.iter().filter(|r| r.dst.ip() == reply.dst.ip()).count();
        if same_source >= MAX_PENDING_PER_SOURCE {
            return Handled::Limited;
        }
        match self.replies.push(reply) {
            Ok(()) => Handled::Queued,
            Err(_) => Handled::Limited,
        }
    }

    /// Writes the next datagram due at `now` into `buf` and says where to send it, or `None`
    /// when nothing is due. Call until `None`. A datagram that does not fit `buf` is dropped;
    /// a buffer of [`MAX_DATAGRAM`] bytes always fits.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        // Each turn consumes one message, so this ends: bursts and the queue are finite.
        loop {
            let (iface_id, dst, target, kind) = match self.next_due(now)? {
                Due::Burst(i) => {
                    let (target, kind) = self.advance_burst(i)?;
                    let kind = match kind {
                        Kind::Alive => Datagram::Alive,
                        Kind::ByeBye => Datagram::ByeBye,
                    };
                    (self.ifaces.get(i)?.id, MULTICAST, target, kind)
                }
                Due::Reply(j) => match self.take_reply(j) {
                    Some((iface, dst, target)) => (iface, dst, target, Datagram::Response),
                    None => continue,
                },
            };
            let Some(iface) = self.ifaces.iter().find(|i| i.id == iface_id) else {
                continue;
            };
            let (src, gone) = (iface.addr, iface.leaving && iface.burst.is_none());
            let ad = self.advert(target, &iface.location);
            let written = match kind {
                Datagram::Alive => ad.emit_alive(buf),
                Datagram::ByeBye => ad.emit_byebye(buf),
                Datagram::Response => {
                    ad.emit_response(self.unix_time(now).map(HttpDate::from_unix), buf)
                }
            };
            if gone {
                // That was the last of its goodbye.
                self.ifaces.retain(|i| i.id != iface_id);
            }
            if let Ok(len) = written {
                return Some(Transmit { iface: iface_id, src, dst, len });
            }
        }
    }

    /// Takes the next target owed by reply `j` (and the reply itself once it owes nothing),
    /// spending a token of the pacing bucket.
    fn take_reply(&mut self, j: usize) -> Option<(IfaceId, SocketAddrV4, Target)> {
        let reply = self.replies.get_mut(j)?;
        let bit = reply.targets.trailing_zeros();
        let target = Target::ALL.get(bit as usize).copied();
        // `bit` is below 8 whenever `targets` is not empty, so the shift cannot overflow.
        reply.targets &= !1u8.checked_shl(bit).unwrap_or(0);
        let (iface, dst, empty) = (reply.iface, reply.dst, reply.targets == 0);
        if empty || target.is_none() {
            self.replies.swap_remove(j);
        }
        self.bucket.tokens = self.bucket.tokens.saturating_sub(1);
        Some((iface, dst, target?))
    }

    /// When `poll_transmit` next has something to send, or `None` when idle (stopped and
    /// drained). The instant may be in the past: then poll now.
    #[must_use]
    pub fn poll_at(&self) -> Option<Instant> {
        let bursts = self.ifaces.iter().filter_map(|i| i.burst.map(|b| b.at)).min();
        let replies =
            self.replies.iter().map(|r| r.due).min().map(|due| match self.bucket.ready_at() {
                Some(ready) => due.max(ready),
                None => due,
            });
        match (bursts, replies) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn next_due(&mut self, now: Instant) -> Option<Due> {
        if let Some(i) = self.ifaces.iter().position(|i| i.burst.is_some_and(|b| b.at <= now)) {
            return Some(Due::Burst(i));
        }
        self.bucket.refill(now);
        if self.bucket.tokens == 0 {
            return None;
        }
        self.replies
            .iter()
            .enumerate()
            .filter(|(_, r)| r.due <= now)
            .min_by_key(|(_, r)| r.due)
            .map(|(j, _)| Due::Reply(j))
    }

    /// Takes the next message of interface `i`'s burst and moves the burst on.
    fn advance_burst(&mut self, i: usize) -> Option<(Target, Kind)> {
        let max_age = self.max_age;
        let rng = &mut self.rng;
        let iface = self.ifaces.get_mut(i)?;
        let burst = iface.burst.as_mut()?;
        let target = *Target::ALL.get(burst.next)?;
        let kind = burst.kind;
        burst.next += 1;
        if burst.next == Target::ALL.len() {
            burst.next = 0;
            burst.rounds_left = burst.rounds_left.saturating_sub(1);
            if burst.rounds_left > 0 {
                burst.at = burst.at + if kind == Kind::Alive { ROUND_GAP } else { Duration::ZERO };
            } else if kind == Kind::Alive {
                burst.at = burst.at + refresh_delay(rng, max_age);
                burst.rounds_left = REFRESH_ROUNDS;
            } else {
                iface.burst = None;
            }
        }
        Some((target, kind))
    }

    fn advert<'s>(&'s self, target: Target, location: &'s str) -> Advert<'s> {
        Advert {
            uuid: &self.uuid,
            target,
            location,
            server: &self.server,
            max_age: self.max_age,
            boot_id: self.boot_id,
            config_id: self.config_id,
        }
    }

    fn unix_time(&self, now: Instant) -> Option<u64> {
        let (at, secs) = self.clock?;
        Some(if now >= at {
            secs.saturating_add(now.saturating_since(at).as_secs())
        } else {
            secs.saturating_sub(at.saturating_since(now).as_secs())
        })
    }
}

/// The time from the last round of an alive set to the first of the next: half the max-age
/// minus up to a tenth of it.
fn refresh_delay(rng: &mut Rng, max_age: u32) -> Duration {
    let max_age = u64::from(max_age) * 1_000_000;
    Duration::from_micros(max_age / 2 - rng.below(max_age / 10))
}

fn target_index(target: Target) -> usize {
    Target::ALL.iter().position(|t| *t == target).unwrap_or(0)
}

fn checked_text<const N: usize>(text: &str) -> Result<String<N>, Error> {
    if !is_header_text(text) {
        return Err(Error::InvalidText);
    }
    String::try_from(text).map_err(|_| Error::BadLength)
}

#[cfg(test)]
mod tests;
