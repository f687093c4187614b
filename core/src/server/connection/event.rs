//! What a connection reports: each response sent, and why it ended; and the counters a shell
//! keeps of them.

use core::fmt;

use super::timer::Timer;

/// Something that happened on a connection, from [`Connection::poll_event`](super::Connection::poll_event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// A response went out in full: its status and the bytes sent (head and body).
    Served {
        /// The status answered.
        status: u16,
        /// Bytes of head and body.
        bytes: u64,
    },
    /// The connection is over, for this reason; the shell closes its socket. Always the last
    /// event.
    Closed(Close),
}

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Close {
    /// A response was the last one (`Connection: close`, or HTTP/1.0 without keep-alive).
    Done,
    /// The client closed the connection between requests.
    ClientClosed,
    /// The client went away in the middle of a request or a response (a reset, a broken pipe,
    /// or its end of the connection closed early).
    ClientGone,
    /// The client took longer than a [`Timeouts`](super::Timeouts) limit allows.
    TimedOut(Timer),
    /// A request that could not be framed (malformed, too large), answered with this status.
    Refused(u16),
    /// The file of a response failed or ended before its `Content-Length` (it shrank, or cannot
    /// be read): the framing is broken.
    BodyFailed,
    /// A transcoded rendition could not be produced to its end (a file damaged since it was
    /// indexed): the framing is broken.
    Transcode(crate::transcode::Error),
    /// No memory for a buffer the response needed.
    OutOfMemory,
}

/// Whose fault an ending was, which decides how loudly a shell logs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Fault {
    /// Nobody's: the connection ended as HTTP says it may.
    None,
    /// The client's (it went away, took too long, sent garbage): log at debug level.
    Client,
    /// Rill's (a file it could not read, memory it lacked): log as a warning.
    Server,
}

impl Close {
    /// Whose fault this ending is.
    pub const fn fault(self) -> Fault {
        match self {
            Close::Done | Close::ClientClosed | Close::TimedOut(Timer::Idle) => Fault::None,
            Close::ClientGone | Close::TimedOut(_) | Close::Refused(_) => Fault::Client,
            Close::BodyFailed | Close::Transcode(_) | Close::OutOfMemory => Fault::Server,
        }
    }
}

impl fmt::Display for Close {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Close::Done => f.write_str("done"),
            Close::ClientClosed => f.write_str("closed by the client"),
            Close::ClientGone => f.write_str("the client went away"),
            Close::TimedOut(Timer::Idle) => f.write_str("idle timeout"),
            Close::TimedOut(Timer::Request) => f.write_str("request not received in time"),
            Close::TimedOut(Timer::Stall) => f.write_str("client stopped reading (stall timeout)"),
            Close::Refused(status) => write!(f, "request refused with {status}"),
            Close::BodyFailed => f.write_str("the file failed or ended before its length"),
            Close::Transcode(e) => write!(f, "transcoding failed: {e}"),
            Close::OutOfMemory => f.write_str("out of memory for a buffer"),
        }
    }
}

impl core::error::Error for Close {}

/// Counts of what connections reported, for a status display and the firmware's log. Feed it
/// every [`Event`] with [`Counters::record`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Counters {
    /// Responses sent in full.
    pub served: u64,
    /// Of them, 4xx answers.
    pub client_errors: u64,
    /// Of them, 5xx answers.
    pub server_errors: u64,
    /// Bytes of all responses sent in full.
    pub bytes: u64,
    /// Connections ended, for any reason.
    pub closed: u64,
    /// Connections ended by the client's fault ([`Fault::Client`]).
    pub client_faults: u64,
    /// Connections ended by Rill's fault ([`Fault::Server`]).
    pub server_faults: u64,
    /// Connections ended by a timeout other than idle.
    pub timeouts: u64,
    /// Connections refused before a request was read, because every connection slot was
    /// taken: answered with the core's [`busy`](crate::server::busy) 503, or closed unanswered
    /// when even the refusals are too many ([`Counters::refuse`]).
    pub refused: u64,
}

impl Counters {
    /// Nothing counted yet (a `const fn`, for a `static`).
    pub const fn new() -> Self {
        Counters {
            served: 0,
            client_errors: 0,
            server_errors: 0,
            bytes: 0,
            closed: 0,
            client_faults: 0,
            server_faults: 0,
            timeouts: 0,
            refused: 0,
        }
    }

    /// Counts a connection refused because every slot was taken (no [`Event`] says so: it
    /// never had a [`Connection`](super::Connection)).
    pub fn refuse(&mut self) {
        self.refused = self.refused.saturating_add(1);
    }

    /// Counts `event`.
    pub fn record(&mut self, event: &Event) {
        match *event {
            Event::Served { status, bytes } => {
                self.served = self.served.saturating_add(1);
                self.bytes = self.bytes.saturating_add(bytes);
                match status {
                    400..=499 => self.client_errors = self.client_errors.saturating_add(1),
                    500..=599 => self.server_errors = self.server_errors.saturating_add(1),
                    _ => {}
                }
            }
            Event::Closed(close) => {
                self.closed = self.closed.saturating_add(1);
                match close.fault() {
                    Fault::None => {}
                    Fault::Client => self.client_faults = self.client_faults.saturating_add(1),
                    Fault::Server => self.server_faults = self.server_faults.saturating_add(1),
                }
                if matches!(close, Close::TimedOut(Timer::Request | Timer::Stall)) {
                    self.timeouts = self.timeouts.saturating_add(1);
                }
            }
        }
    }
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} served ({} 4xx, {} 5xx, {} bytes); {} closed ({} client faults, {} server faults, {} timeouts); {} refused when full",
            self.served,
            self.client_errors,
            self.server_errors,
            self.bytes,
            self.closed,
            self.client_faults,
            self.server_faults,
            self.timeouts,
            self.refused
        )
    }
}
