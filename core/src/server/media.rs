//! Media responses: files served as they are, with byte ranges and the DLNA headers.
//!
//! - `Range: bytes=...` gives 206 with `Content-Range`, or 416 with `Content-Range: bytes */len`
//!   past the end, or 200 with everything (see [`crate::http::range`] for multi-range lists).
//! - `TimeSeekRange.dlna.org` gives 406: files are offered with `DLNA.ORG_OP=01`, byte seek only.
//! - `transferMode.dlna.org` is echoed; a value other than Streaming, Interactive or Background
//!   gives 406. Without one, audio and video answer `Streaming` and images `Interactive`.
//! - `getcontentFeatures.dlna.org: 1` gives `contentFeatures.dlna.org` with the item's DLNA 4th
//!   field, the same text as in its Browse `res@protocolInfo`.
//! - Every media answer has `Accept-Ranges: bytes`, an empty `EXT`, and
//!   `realTimeInfo.dlna.org: DLNA.ORG_TLAG=*`.
//!
//! The `Content-Length` is the file's size when it is opened, not when it was scanned, so a file
//! that changed since is still framed exactly.

use super::reply::{Body, MediaHeaders, Reply, TransferMode};
use super::{Env, Server};
use crate::dlna::{ContentFeatures, MediaKind};
use crate::http::range::{self, ContentRange, Resolution};
use crate::http::request::Request;
use crate::http::response::StatusCode;
use crate::library::ObjectId;

impl<E: Env> Server<'_, E> {
    /// The answer to a `GET` or `HEAD` of `/rill/media/<id>.<ext>`.
    pub(super) fn media(&self, req: &Request<'_, '_>, id: ObjectId, ext: &str) -> Reply<E::File> {
        let opened = self.env.with_library(|library| {
            let item = library.get(id)?.as_item()?;
            if item.format.extension() != ext {
                return None;
            }
            let file = library.file_ref(id)?;
            Some((item.format, self.env.open(&file)))
        });
        let (format, (file, size)) = match opened {
            Some((format, Some(opened))) => (format, opened),
            _ => return Reply::error(StatusCode::NOT_FOUND),
        };
        let transfer_mode = match req.headers.get("transferMode.dlna.org") {
            None if format.kind() == MediaKind::Image => TransferMode::Interactive,
            None => TransferMode::Streaming,
            Some(value) => match TransferMode::parse(value) {
                Some(mode) => mode,
                None => return Reply::error(StatusCode::NOT_ACCEPTABLE),
            },
        };
        if req.headers.get("TimeSeekRange.dlna.org").is_some() {
            return Reply::error(StatusCode::NOT_ACCEPTABLE);
        }
        let wants_features = req
            .headers
            .get("getcontentFeatures.dlna.org")
            .is_some_and(|v| crate::http::trim(v) == b"1");
        let mut headers = MediaHeaders {
            features: wants_features.then(|| ContentFeatures::for_file(format)),
            transfer_mode,
            content_range: None,
        };
        let resolution = match req.headers.get("range") {
            Some(value) => range::resolve(value, size),
            None => Resolution::Whole,
        };
        let (status, first, len) = match resolution {
            Resolution::Whole => (StatusCode::OK, 0, size),
            Resolution::Partial(span) => {
                headers.content_range = Some(ContentRange::Bytes { range: span, len: size });
                (StatusCode::PARTIAL_CONTENT, span.first, span.len())
            }
            Resolution::Unsatisfiable => {
                headers.content_range = Some(ContentRange::Unsatisfied { len: size });
                let mut reply = Reply::error(StatusCode::RANGE_NOT_SATISFIABLE);
                reply.media = Some(headers);
                return reply;
            }
        };
        let mut reply = Reply::new(status, format.mime(), Body::File { file, first, len });
        reply.media = Some(headers);
        reply
    }
}
