//! Response heads: the one writer of every status line and header block the server sends,
//! including the answer to a connection beyond capacity ([`busy`]).

use super::reply::Reply;
use super::{Env, Server};
use crate::http::request::Version;
use crate::http::response::{Head, StatusCode};
use crate::http::{SliceWriter, WriteError};

/// Seconds a client is asked to wait (`Retry-After`) in every `503 Service Unavailable`: long
/// enough for a stream to end or a slot to free, short enough that a player retrying is not
/// seen as hung.
pub const RETRY_AFTER: u32 = 5;

/// Smallest send buffer a connection needs: room for any response head the server writes.
pub const MIN_TX: usize = 1024;

/// `100 Continue`, the invitation to send a request body.
pub(super) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Writes the whole answer to a connection the server has no room for (`503` with
/// [`RETRY_AFTER`], no body, `Connection: close`) into `buf`; returns its length. 256 bytes hold
/// it with a `server_header` of up to 128 bytes.
pub fn busy(buf: &mut [u8], server_header: &str) -> Result<usize, WriteError> {
    let mut head =
        Head::new(SliceWriter::new(buf), Version::Http11, StatusCode::SERVICE_UNAVAILABLE);
    head.header("Server", server_header);
    head.header("Retry-After", RETRY_AFTER);
    head.content_length(0);
    head.connection(false);
    head.finish_len()
}

impl<E: Env> Server<'_, E> {
    /// Writes the head of `reply` into `tx`; returns its length. A body of unknown length
    /// ([`super::reply::Body::Stream`]) gets no `Content-Length`: `keep_alive` is then false
    /// and the end of the connection ends the body.
    pub(super) fn head<F>(
        &self,
        tx: &mut [u8],
        version: Version,
        reply: &Reply<F>,
        keep_alive: bool,
    ) -> Result<usize, WriteError> {
        let mut head = Head::new(SliceWriter::new(tx), version, reply.status);
        head.header("Server", self.server_header);
        if let Some(now) = self.env.unix_time() {
            head.date(now);
        }
        if let Some(content_type) = reply.content_type {
            head.header("Content-Type", content_type);
        }
        if let Some(len) = reply.body.len() {
            head.content_length(len);
        }
        if reply.status == StatusCode::SERVICE_UNAVAILABLE {
            head.header("Retry-After", RETRY_AFTER);
        }
        if let Some(allow) = reply.allow {
            head.header("Allow", allow);
        }
        if let Some(accepted) = &reply.subscription {
            head.header("SID", accepted.sid.as_str());
            head.header("TIMEOUT", format_args!("Second-{}", accepted.timeout));
        }
        if let Some(media) = &reply.media {
            head.header("Accept-Ranges", "bytes");
            if let Some(range) = media.content_range {
                head.header("Content-Range", range);
            }
            if let Some(features) = media.features {
                head.header("contentFeatures.dlna.org", features);
            }
            head.header("transferMode.dlna.org", media.transfer_mode.as_str());
            if let Some(answer) = media.time_seek {
                head.header("TimeSeekRange.dlna.org", answer);
                head.header("Vary", "TimeSeekRange.dlna.org");
            }
            if let Some(ms) = media.sec_duration_ms {
                head.header("MediaInfo.sec", format_args!("SEC_Duration={ms}"));
            }
            if let Some(url) = &media.caption_info {
                head.header("CaptionInfo.sec", url.as_str());
            }
            head.header("realTimeInfo.dlna.org", "DLNA.ORG_TLAG=*");
        }
        head.header("EXT", "");
        head.connection(keep_alive);
        head.finish_len()
    }
}
