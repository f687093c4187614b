//! GENA, UPnP's eventing: subscriptions to a service's evented state variables, and the NOTIFY
//! requests that report their changes.
//!
//! A control point sends `SUBSCRIBE <eventSubURL>` with a `CALLBACK` URL; the device answers with
//! a `SID` and a `TIMEOUT`, sends the current values (the initial event, `SEQ: 0`; here
//! [`AFTER_ANSWER`] after the SUBSCRIBE, see there why not at once), then
//! a NOTIFY whenever a value changes, until the subscription is cancelled (`UNSUBSCRIBE`) or
//! expires without renewal. For a media server the values that change are the ContentDirectory's
//! `SystemUpdateID` and `ContainerUpdateIDs`: that is how players learn that the library changed
//! without polling.
//!
//! Layers, like the rest of the core:
//! - [`header`]: the wire side of SUBSCRIBE and UNSUBSCRIBE heads (`CALLBACK`, `NT`, `SID`,
//!   `TIMEOUT`), borrowed from the parsed HTTP request;
//! - [`event`]: the NOTIFY request with its `e:propertyset` body, written into a caller buffer;
//! - [`Subscriptions`]: the sans-IO subscription table (requests and time in, NOTIFY bytes and
//!   deadlines out), with a fixed capacity.
//!
//! Sending a NOTIFY is a TCP client connection to the callback address, which belongs to the
//! shell (tokio on the host, an embassy-net socket on a board): it sends the bytes, reads the
//! status line, closes, and reports the outcome.

mod addr;
pub mod event;
pub mod header;
mod table;

pub use header::{parse, Callback, Callbacks, Request};
pub use table::{
    Accepted, Delivery, Notify, Sid, Subscriptions, AFTER_ANSWER, ANSWER_WAIT, MAX_FAILURES,
    MAX_PENDING, MAX_TIMEOUT, MIN_TIMEOUT, MODERATION, SID_LEN,
};

use core::fmt;

use crate::http::response::StatusCode;

/// A buffer of this many bytes holds every NOTIFY the table writes, for every player's quirks
/// (the largest is ConnectionManager's initial event with its list of protocolInfo values).
pub const MAX_NOTIFY: usize = 8 * 1024;

/// Why a SUBSCRIBE or UNSUBSCRIBE was refused; [`Error::status`] is the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// `SID` together with `NT` or `CALLBACK`: 400.
    IncompatibleHeaders,
    /// A new subscription without `NT: upnp:event`: 412.
    BadNt,
    /// No usable `CALLBACK` URL at the subscriber's own address: 412.
    BadCallback,
    /// No `SID` where one is needed, or one the table does not know (expired, cancelled): 412.
    UnknownSid,
    /// Every subscription slot is taken: 503.
    Full,
    /// The method is neither SUBSCRIBE nor UNSUBSCRIBE: 405.
    NotGena,
}

impl Error {
    /// The HTTP status to refuse the request with.
    pub fn status(self) -> StatusCode {
        match self {
            Error::IncompatibleHeaders => StatusCode::BAD_REQUEST,
            Error::BadNt | Error::BadCallback | Error::UnknownSid => {
                StatusCode::PRECONDITION_FAILED
            }
            Error::Full => StatusCode::SERVICE_UNAVAILABLE,
            Error::NotGena => StatusCode::METHOD_NOT_ALLOWED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::IncompatibleHeaders => "SID together with NT or CALLBACK",
            Error::BadNt => "NT is not upnp:event",
            Error::BadCallback => "no usable CALLBACK URL at the subscriber's address",
            Error::UnknownSid => "missing or unknown SID",
            Error::Full => "no free subscription slot",
            Error::NotGena => "not a GENA method",
        })
    }
}

impl core::error::Error for Error {}
