//! Remux responses: `/rill/media/<id>.ts` of a video the platform remuxes to MPEG-TS (see
//! [`crate::player::video`] for which, and [`Env::open_remux`] for the stream).
//!
//! - 200 with `Content-Type: video/mpeg`, no `Content-Length`, `Connection: close`: the body is
//!   the remuxer's output until it ends, and the connection's end marks the body's end (as
//!   UMS does for transcodes of unknown size with `TranscodedVideoFileSize=-1`; chunked
//!   encoding is not used, since DLNA players' HTTP stacks often lack it).
//! - `TimeSeekRange.dlna.org: npt=T-[END]` starts the remux at the keyframe at or before T
//!   (the video is copied, so it can start nowhere else) and echoes where it really starts,
//!   `npt=START-DUR/DUR`, START that keyframe's time, not T. A T at or past the play time gives
//!   416, a malformed value 400. END is not honoured: the stream runs to the end (a player
//!   stops reading when it wants). Pausing players drop the connection and come back with a
//!   new time seek.
//! - `Range` is ignored (the remux is offered with `DLNA.ORG_OP=10`, time seek only).
//! - `transferMode.dlna.org`, `getcontentFeatures.dlna.org` and the DLNA headers as for any
//!   media answer (see `media.rs`).
//! - Beyond the platform's cap on concurrent remuxes: 503 with `Retry-After`.

use super::media::caption_header;
use super::reply::{Body, MediaHeaders, Reply, TransferMode};
use super::{Env, Server, Unavailable};
use crate::http::npt;
use crate::http::request::Request;
use crate::http::response::StatusCode;
use crate::library::ObjectId;
use crate::player::video::{self, Remux};
use crate::player::Quirks;

impl<E: Env> Server<'_, E> {
    /// The answer to a `GET` or `HEAD` of `/rill/media/<id>.<ext>` when it names the remux of
    /// a video; `None` when it does not (another extension, a file that is itself MPEG-TS, a
    /// video that cannot be remuxed, or no remuxer).
    pub(super) fn remux(
        &self,
        req: &Request<'_, '_>,
        id: ObjectId,
        ext: &str,
        host: &str,
        quirks: &Quirks,
    ) -> Option<Reply<E::File>> {
        if ext != video::EXTENSION || !self.env.remuxes() {
            return None;
        }
        let seek = match req.headers.get("TimeSeekRange.dlna.org").map(npt::parse) {
            None => None,
            Some(Ok(range)) => Some(range),
            Some(Err(_)) => return Some(Reply::error(StatusCode::BAD_REQUEST)),
        };
        let transfer_mode = match req.headers.get("transferMode.dlna.org") {
            None => TransferMode::Streaming,
            Some(value) => match TransferMode::parse(value) {
                Some(mode) => mode,
                None => return Some(Reply::error(StatusCode::NOT_ACCEPTABLE)),
            },
        };
        let start = seek.map_or(0, |range| range.start);
        let opened = self.env.with_library(|library| {
            let item = library.get(id)?.as_item()?;
            let size = item.resolution().map(|(w, h)| (u32::from(w.get()), u32::from(h.get())));
            let remux = Remux::served(quirks, item.format, item.tracks()?, size)?;
            let duration_us = item.duration_ms().and_then(|ms| ms.checked_mul(1000));
            if duration_us.is_some_and(|d| start >= d) {
                return Some(Err(StatusCode::RANGE_NOT_SATISFIABLE));
            }
            let file = library.file_ref(id)?;
            let caption = caption_header(req, library, id, host);
            Some(Ok((remux, duration_us, caption, self.env.open_remux(&file, &remux, start))))
        })?;
        let (remux, duration_us, caption_info, (stream, started)) = match opened {
            Ok((remux, duration, caption, Ok(opened))) => (remux, duration, caption, opened),
            Ok((_, _, _, Err(Unavailable::Busy))) => {
                return Some(Reply::error(StatusCode::SERVICE_UNAVAILABLE))
            }
            Ok((_, _, _, Err(Unavailable::Gone))) => {
                return Some(Reply::error(StatusCode::NOT_FOUND))
            }
            Err(status) => return Some(Reply::error(status)),
        };
        let info = remux.protocol_info();
        let wants_features = req
            .headers
            .get("getcontentFeatures.dlna.org")
            .is_some_and(|v| crate::http::trim(v) == b"1");
        let time_seek = seek.zip(duration_us).map(|(_, duration)| npt::Answer {
            start: started.min(duration),
            end: duration,
            duration: Some(duration),
            bytes: None,
        });
        let headers = MediaHeaders {
            features: wants_features.then_some(info.features),
            transfer_mode,
            content_range: None,
            time_seek,
            sec_duration_ms: None,
            caption_info,
        };
        Some(Reply {
            media: Some(headers),
            ..Reply::new(StatusCode::OK, info.mime, Body::Stream(stream))
        })
    }
}
