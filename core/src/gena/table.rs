//! [`Subscriptions`]: the subscription table, a sans-IO machine.
//!
//! Inputs: [`Subscriptions::subscribe`], [`Subscriptions::renew`] and
//! [`Subscriptions::unsubscribe`] from the HTTP server; [`Subscriptions::changed`] from whoever
//! changes the library (with what [`crate::library::Library::take_container_updates`] returned);
//! [`Subscriptions::delivered`] from the shell once it has sent a NOTIFY (or given up). Outputs:
//! [`Subscriptions::poll_notify`] writes the next NOTIFY that is due into the caller's buffer and
//! says where to send it; [`Subscriptions::poll_at`] says when to call it again. Every call takes
//! the current [`Instant`]; nothing here reads a clock, blocks or allocates.
//!
//! Call order for the shell: after every input, drain `poll_notify` (sending each NOTIFY on a
//! fresh TCP connection to its `dst` and reporting the outcome with `delivered`), then sleep
//! until `poll_at` or the next input.
//!
//! Rules:
//! - a new subscription gets a fresh SID and, once the answer carrying it is sent
//!   ([`Subscriptions::answered`]) and [`AFTER_ANSWER`] has passed since the SUBSCRIBE, its
//!   initial event (SEQ 0) with the current value of every evented variable of its service;
//! - a subscription lasts its timeout: the requested seconds clamped to
//!   [`MIN_TIMEOUT`]..=[`MAX_TIMEOUT`] (missing or infinite: [`MAX_TIMEOUT`]); a renewal starts
//!   it again; then it expires and is dropped;
//! - ContentDirectory subscriptions get an event when the library changes: `SystemUpdateID`, and
//!   `ContainerUpdateIDs` listing `id,updateID` for every container that changed since the
//!   subscriber's last event. Events are moderated: at most one per subscription per
//!   [`MODERATION`], changes in between are merged. A subscriber whose list would pass
//!   [`MAX_PENDING`] containers (a bulk change such as the first scan) gets `SystemUpdateID`
//!   alone, which tells it to re-browse;
//! - SEQ counts 0, 1, 2, ... and wraps from `u32::MAX` to 1 (UDA 1.0: 0 is the initial event
//!   only);
//! - one NOTIFY per subscription is in flight at a time, so they arrive in SEQ order;
//!   [`MAX_FAILURES`] failed deliveries in a row drop the subscription;
//! - the callback must be at the subscriber's own IP address (the HTTP peer). Otherwise anyone
//!   could make the device send requests to a third party; UDA does not ask for it, and real
//!   control points always give their own address;
//! - a new subscription with the same service and callback as an existing one replaces it (the
//!   control point has lost its SID, e.g. after a restart), so one peer cannot fill the table.
//!
//! Memory: `N` slots of about 1 KB each (callback path, SID, [`MAX_PENDING`] container updates),
//! fixed at compile time. A full table answers 503.

use core::fmt;
use core::net::{IpAddr, SocketAddr};

use heapless::{String, Vec};

use super::event::{self, Property};
use super::header::{Callbacks, MAX_CALLBACK_PATH};
use super::Error;
use crate::http::WriteError;
use crate::library::ObjectId;
use crate::player::Quirks;
use crate::time::{Duration, Instant};
use crate::upnp::{connection_manager, Service};

/// Shortest subscription granted, in seconds.
pub const MIN_TIMEOUT: u32 = 60;
/// Longest subscription granted, in seconds; also the default (UDA's recommended minimum).
pub const MAX_TIMEOUT: u32 = 1800;
/// Least time between two events of one subscription (Rygel batches changes over 200 ms;
/// ContentDirectory leaves the rate to the device).
pub const MODERATION: Duration = Duration::from_millis(200);
/// Container updates held per subscription between two events.
pub const MAX_PENDING: usize = 32;
/// Failed deliveries in a row after which a subscription is dropped.
pub const MAX_FAILURES: u8 = 3;
/// How long the initial event waits for [`Subscriptions::answered`] at most.
pub const ANSWER_WAIT: Duration = Duration::from_secs(1);
/// How long after the SUBSCRIBE an answered subscription's initial event goes. Not at once:
/// libgupnp (gupnp-universal-cp, and other GUPnP control points) answers 200 to a NOTIFY that
/// arrives before it has read the SID from the SUBSCRIBE answer but drops it, then re-subscribes
/// when the next event's SEQ skips one. On loopback, with the event sent right after the
/// answer, it lost most initial events; with the event 1 s after the SUBSCRIBE, none.
pub const AFTER_ANSWER: Duration = Duration::from_millis(500);
/// Length of a SID: `uuid:` and a hyphenated UUID.
pub const SID_LEN: usize = 41;

/// A subscription identifier, `uuid:xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx`.
pub type Sid = String<SID_LEN>;

/// A granted subscription or renewal: the `SID` and `TIMEOUT: Second-N` to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The subscription's SID.
    pub sid: Sid,
    /// Seconds until it expires unless renewed.
    pub timeout: u32,
}

/// Names one NOTIFY handed out by [`Subscriptions::poll_notify`], for
/// [`Subscriptions::delivered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    serial: u32,
}

/// A NOTIFY to send: the first `len` bytes of the buffer given to `poll_notify`, to `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a NOTIFY must be sent and its Delivery reported"]
pub struct Notify {
    /// The subscriber's callback address.
    pub dst: SocketAddr,
    /// The request's length in bytes.
    pub len: usize,
    /// Report the outcome with [`Subscriptions::delivered`].
    pub delivery: Delivery,
    /// The event's SEQ (0 for the initial event).
    pub seq: u32,
}

#[derive(Debug)]
struct Sub {
    sid: Sid,
    serial: u32,
    service: Service,
    dst: SocketAddr,
    path: String<MAX_CALLBACK_PATH>,
    quirks: Quirks,
    expires: Instant,
    /// When the SUBSCRIBE came.
    subscribed_at: Instant,
    /// When the initial event may go: [`AFTER_ANSWER`] after the subscription once the
    /// SUBSCRIBE answer is out, or [`ANSWER_WAIT`] after it at the latest.
    initial_at: Instant,
    next_seq: u32,
    /// When the last event went out.
    last_sent: Option<Instant>,
    in_flight: bool,
    failures: u8,
    /// A change event is owed.
    dirty: bool,
    /// The containers changed since the last event, by id; incomplete if `overflow`.
    pending: Vec<(ObjectId, u32), MAX_PENDING>,
    overflow: bool,
}

impl Sub {
    /// When this subscription next wants `poll_notify`, if it has an event to send.
    fn due(&self) -> Option<Instant> {
        if self.in_flight {
            return None;
        }
        if self.next_seq == 0 {
            return Some(self.initial_at);
        }
        self.dirty.then(|| self.last_sent.map_or(Instant::ZERO, |at| at + MODERATION))
    }
}

/// The subscription table of a device: up to `N` subscriptions. See the module docs.
#[derive(Debug)]
pub struct Subscriptions<const N: usize> {
    subs: Vec<Sub, N>,
    seed: u64,
    serial: u32,
    system_update_id: u32,
}

impl<const N: usize> Subscriptions<N> {
    /// An empty table. `seed` makes the SIDs unguessable and different across boots: any value
    /// works, a per-boot random one is best.
    pub fn new(seed: u64) -> Self {
        Subscriptions { subs: Vec::new(), seed, serial: 0, system_update_id: 0 }
    }

    /// The number of live subscriptions (expired ones count until the next call that takes
    /// the time).
    pub fn len(&self) -> usize {
        self.subs.len()
    }

    /// Whether there are no subscriptions.
    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    /// Starts a subscription to `service` for the subscriber at `peer`, whose request carried
    /// `callbacks`, `timeout` and whose player has `quirks`. The first callback URL at
    /// `peer`'s address is used; if there is none, [`Error::BadCallback`].
    pub fn subscribe(
        &mut self,
        now: Instant,
        service: Service,
        peer: IpAddr,
        callbacks: Callbacks<'_>,
        timeout: Option<u32>,
        quirks: Quirks,
    ) -> Result<Accepted, Error> {
        self.expire(now);
        let peer = canonical(peer);
        let callback =
            callbacks.iter().find(|c| canonical(c.addr.ip()) == peer).ok_or(Error::BadCallback)?;
        let path = String::try_from(callback.path).map_err(|_| Error::BadCallback)?;
        let dst = SocketAddr::new(peer, callback.addr.port());
        self.subs.retain(|s| !(s.service == service && s.dst == dst && s.path == path));
        if self.subs.is_full() {
            return Err(Error::Full);
        }
        self.serial = self.serial.wrapping_add(1);
        let sid = self.sid(self.serial).map_err(|_| Error::Full)?;
        let timeout = clamp(timeout);
        let sub = Sub {
            sid: sid.clone(),
            serial: self.serial,
            service,
            dst,
            path,
            quirks,
            expires: now + Duration::from_secs(u64::from(timeout)),
            subscribed_at: now,
            initial_at: now + ANSWER_WAIT,
            next_seq: 0,
            last_sent: None,
            in_flight: false,
            failures: 0,
            dirty: false,
            pending: Vec::new(),
            overflow: false,
        };
        self.subs.push(sub).map_err(|_| Error::Full)?;
        Ok(Accepted { sid, timeout })
    }

    /// The answer granting subscription `sid` has been sent: its initial event may go
    /// [`AFTER_ANSWER`] after the SUBSCRIBE. (A control point learns its SID from that answer,
    /// and may drop events for SIDs it does not know yet; without this call the initial event
    /// waits [`ANSWER_WAIT`].)
    pub fn answered(&mut self, sid: &str) {
        if let Some(sub) = self.subs.iter_mut().find(|s| s.sid == sid && s.next_seq == 0) {
            sub.initial_at = sub.initial_at.min(sub.subscribed_at + AFTER_ANSWER);
        }
    }

    /// Renews subscription `sid` of `service` for `timeout` (clamped as for a new one).
    pub fn renew(
        &mut self,
        now: Instant,
        service: Service,
        sid: &str,
        timeout: Option<u32>,
    ) -> Result<Accepted, Error> {
        self.expire(now);
        let sub = self.find(service, sid).ok_or(Error::UnknownSid)?;
        let timeout = clamp(timeout);
        sub.expires = now + Duration::from_secs(u64::from(timeout));
        Ok(Accepted { sid: sub.sid.clone(), timeout })
    }

    /// Ends subscription `sid` of `service`.
    pub fn unsubscribe(&mut self, now: Instant, service: Service, sid: &str) -> Result<(), Error> {
        self.expire(now);
        let before = self.subs.len();
        self.subs.retain(|s| !(s.service == service && s.sid == sid.trim()));
        if self.subs.len() == before {
            return Err(Error::UnknownSid);
        }
        Ok(())
    }

    /// The library changed: its SystemUpdateID is now `system_update_id`, and `containers`
    /// (`(id, update id)`) changed. Every ContentDirectory subscriber is owed an event.
    pub fn changed(&mut self, system_update_id: u32, containers: &[(ObjectId, u32)]) {
        if system_update_id == self.system_update_id && containers.is_empty() {
            return;
        }
        self.system_update_id = system_update_id;
        for sub in self.subs.iter_mut().filter(|s| s.service == Service::ContentDirectory) {
            sub.dirty = true;
            for &(id, update) in containers {
                if let Some(entry) = sub.pending.iter_mut().find(|(held, _)| *held == id) {
                    entry.1 = update;
                } else if sub.pending.push((id, update)).is_err() {
                    sub.overflow = true;
                }
            }
        }
    }

    /// Writes the next NOTIFY that is due at `now` into `buf` and says where it goes; `None`
    /// when nothing is due. Expired subscriptions are dropped first. An event that does not
    /// fit in `buf` (see [`super::MAX_NOTIFY`]) is skipped.
    pub fn poll_notify(&mut self, now: Instant, buf: &mut [u8]) -> Option<Notify> {
        self.expire(now);
        let system_update_id = self.system_update_id;
        let sub = self.subs.iter_mut().find(|s| s.due().is_some_and(|at| at <= now))?;
        let seq = sub.next_seq;
        let written = if seq == 0 {
            initial(sub, buf, system_update_id)
        } else {
            change(sub, buf, system_update_id)
        };
        sub.dirty = false;
        sub.pending.clear();
        sub.overflow = false;
        sub.last_sent = Some(now);
        sub.next_seq = seq.checked_add(1).unwrap_or(1);
        match written {
            Ok(len) => {
                sub.in_flight = true;
                Some(Notify { dst: sub.dst, len, delivery: Delivery { serial: sub.serial }, seq })
            }
            // Skipped: the SEQ gap tells the subscriber it missed an event.
            Err(_) => self.poll_notify(now, buf),
        }
    }

    /// When `poll_notify` next has something to do (an event due or a subscription expiring);
    /// `None` when the table is empty.
    pub fn poll_at(&self) -> Option<Instant> {
        self.subs.iter().flat_map(|s| [s.due(), Some(s.expires)]).flatten().min()
    }

    /// Reports how the NOTIFY of `delivery` went: `ok` if the subscriber answered 2xx. The
    /// subscription's next event may go out from now on; after [`MAX_FAILURES`] failures in a
    /// row it is dropped. Reports for deliveries no longer in flight (already reported, or of an
    /// expired or cancelled subscription) are ignored.
    pub fn delivered(&mut self, delivery: Delivery, ok: bool) {
        let Some(i) = self.subs.iter().position(|s| s.serial == delivery.serial) else { return };
        let Some(sub) = self.subs.get_mut(i).filter(|s| s.in_flight) else { return };
        sub.in_flight = false;
        sub.failures = if ok { 0 } else { sub.failures.saturating_add(1) };
        if sub.failures >= MAX_FAILURES {
            self.subs.swap_remove(i);
        }
    }

    fn find(&mut self, service: Service, sid: &str) -> Option<&mut Sub> {
        self.subs.iter_mut().find(|s| s.service == service && s.sid == sid.trim())
    }

    fn expire(&mut self, now: Instant) {
        self.subs.retain(|s| s.expires > now);
    }

    /// The SID of subscription number `serial`: a UUID (version 4 layout) from two rounds of
    /// the SplitMix64 finaliser over the seed and the serial. The finaliser is a bijection, so
    /// different serials of one boot never share a SID.
    fn sid(&self, serial: u32) -> Result<Sid, fmt::Error> {
        let hi = mix(self.seed ^ u64::from(serial));
        let lo = mix(hi ^ self.seed.rotate_left(32));
        let mut sid = Sid::new();
        fmt::Write::write_fmt(
            &mut sid,
            format_args!(
                "uuid:{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                hi >> 32,
                (hi >> 16) & 0xffff,
                hi & 0x0fff,
                0x8000 | ((lo >> 48) & 0x3fff),
                lo & 0xffff_ffff_ffff
            ),
        )?;
        Ok(sid)
    }
}

/// The initial event: every evented variable of the service.
fn initial(sub: &Sub, buf: &mut [u8], system_update_id: u32) -> Result<usize, WriteError> {
    let mut emit =
        |props: &[Property<'_>]| event::emit(buf, sub.dst, &sub.path, &sub.sid, 0, props);
    match sub.service {
        Service::ContentDirectory => {
            emit(&[("SystemUpdateID", &system_update_id), ("ContainerUpdateIDs", &"")])
        }
        Service::ConnectionManager => {
            let source = connection_manager::source_protocol_info(&sub.quirks);
            emit(&[
                ("SourceProtocolInfo", &source),
                ("SinkProtocolInfo", &""),
                ("CurrentConnectionIDs", &"0"),
            ])
        }
        Service::Registrar => emit(&[
            ("AuthorizationGrantedUpdateID", &0u32),
            ("AuthorizationDeniedUpdateID", &0u32),
            ("ValidationSucceededUpdateID", &0u32),
            ("ValidationRevokedUpdateID", &0u32),
        ]),
    }
}

/// A change event of a ContentDirectory subscription.
fn change(sub: &Sub, buf: &mut [u8], system_update_id: u32) -> Result<usize, WriteError> {
    let ids = ContainerUpdateIds(&sub.pending);
    let mut props: [Property<'_>; 2] =
        [("SystemUpdateID", &system_update_id), ("ContainerUpdateIDs", &ids)];
    let n = if sub.overflow || sub.pending.is_empty() { 1 } else { 2 };
    let props = props.get_mut(..n).unwrap_or_default();
    event::emit(buf, sub.dst, &sub.path, &sub.sid, sub.next_seq, props)
}

/// `id,updateID,id,updateID`.
struct ContainerUpdateIds<'a>(&'a [(ObjectId, u32)]);

impl fmt::Display for ContainerUpdateIds<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (id, update)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{id},{update}")?;
        }
        Ok(())
    }
}

/// The timeout granted for a request of `asked` seconds.
fn clamp(asked: Option<u32>) -> u32 {
    asked.map_or(MAX_TIMEOUT, |s| s.clamp(MIN_TIMEOUT, MAX_TIMEOUT))
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is (a dual-stack socket reports peers
/// that way).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
