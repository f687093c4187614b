//! The time limits of a connection: one set of values for the host and the firmware.

use crate::time::Duration;

/// How long a client may take over each part of a connection.
///
/// - [`Timeouts::idle`] runs from the moment the connection is ready for a request (accepted,
///   or the previous response sent in full) to the first byte of the next request: a client
///   that sends nothing is dropped.
/// - [`Timeouts::request`] runs from a request's first byte to its last (head and body, across
///   a `100 Continue`), so a client trickling a byte now and then cannot hold the connection
///   and its buffers for ever.
/// - [`Timeouts::stall`] runs from the last progress of a response (any bytes taken by the
///   client): a paused player stops reading (DLNA's connection stall) and resumes later, so it
///   is long; past it the connection is dropped.
///
/// A peer that vanished without a word (unplugged) is the TCP stack's business: keep-alives
/// and retransmission limits, a socket option of each shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timeouts {
    /// Longest wait for the first byte of a request.
    pub idle: Duration,
    /// Longest time from the first byte of a request to its last.
    pub request: Duration,
    /// Longest wait for a client to take more of a response.
    pub stall: Duration,
}

impl Timeouts {
    /// Idle 30 s (players reuse a connection within seconds or not at all), request 10 s (a
    /// head and a SOAP body are a few KiB: a LAN client sends them in milliseconds), stall
    /// 15 minutes (players pause by not reading; the PS3 resumes a stream paused for several
    /// minutes on the same connection).
    pub const DEFAULT: Timeouts = Timeouts {
        idle: Duration::from_secs(30),
        request: Duration::from_secs(10),
        stall: Duration::from_secs(15 * 60),
    };
}

impl Default for Timeouts {
    /// [`Timeouts::DEFAULT`].
    fn default() -> Self {
        Timeouts::DEFAULT
    }
}

/// Which limit a deadline enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Timer {
    /// [`Timeouts::idle`].
    Idle,
    /// [`Timeouts::request`].
    Request,
    /// [`Timeouts::stall`].
    Stall,
}
