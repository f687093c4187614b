//! Media responses: files as they are, and transcoded renditions of Vorbis, FLAC, ALAC and Opus
//! files.
//!
//! `/rill/media/<id>.<ext>` names the original file when `ext` is the file's own extension, and
//! a rendition when it is `l16`, `wav` or `lpcm` (the LPCM-profile version of a stream outside
//! the profile; see [`crate::transcode`]). Both are byte seekable:
//! - `Range: bytes=...` gives 206 with `Content-Range`, or 416 with `Content-Range: bytes */len`
//!   past the end, or 200 with everything (see [`crate::http::range`] for multi-range lists).
//!
//! Renditions are also time seekable:
//! - `TimeSeekRange.dlna.org: npt=START-[END]` gives 200 with the frames from
//!   `floor(START × rate)` to `floor(END × rate)` (or the end, when END is absent or at least
//!   the duration), the header echoed with the byte span
//!   (`npt=30.000-240.000/240.000 bytes=5292000-42335999/42336000`; the PS3 loses its
//!   position without it) and `Vary: TimeSeekRange.dlna.org`; a START past the end gives 416, a
//!   malformed value 400. On an original file it gives 406: files are offered with
//!   `DLNA.ORG_OP=01`.
//!
//! For both:
//! - `transferMode.dlna.org` is echoed; a value other than Streaming, Interactive or Background
//!   gives 406. Without one, audio and video answer `Streaming` and images `Interactive`.
//! - `getMediaInfo.sec: 1` from a Samsung player gives `MediaInfo.sec: SEC_Duration=<ms>`
//!   when the play time is known.
//! - `getCaptionInfo.sec: 1` (from any player, as MiniDLNA answers it) on a video with a
//!   subtitle gives `CaptionInfo.sec: <URL of its first subtitle>` (see `caption.rs`).
//! - `getcontentFeatures.dlna.org: 1` gives `contentFeatures.dlna.org` with the resource's DLNA
//!   4th field, the same text as in its Browse `res@protocolInfo`.
//! - Every media answer has `Accept-Ranges: bytes`, an empty `EXT`, and
//!   `realTimeInfo.dlna.org: DLNA.ORG_TLAG=*`.
//!
//! The `Content-Length` of a file is its size when it is opened, not when it was scanned, so a
//! file that changed since is still framed exactly; that of a rendition is computed from the
//! exact length indexed for the file.

use alloc::boxed::Box;

use super::reply::{Body, MediaHeaders, Reply, TransferMode, MAX_CAPTION_URL};
use super::{Env, Server, Unavailable};
use crate::dlna::{MediaFormat, MediaKind, Mime};
use crate::http::npt;
use crate::http::range::{self, ByteRange, ContentRange, Resolution};
use crate::http::request::Request;
use crate::http::response::StatusCode;
use crate::library::{Library, ObjectId};
use crate::player::Quirks;
use crate::transcode::{self, Decoder, Layout, Transcoder};

/// What a media URL names.
#[derive(Clone, Copy)]
enum Source {
    /// The file as it is, and the DLNA profile reading it named.
    File(MediaFormat, Option<&'static str>),
    /// A transcoded rendition of it.
    Rendition(Layout),
}

impl<E: Env> Server<'_, E> {
    /// The answer to a `GET` or `HEAD` of `/rill/media/<id>.<ext>`.
    pub(super) fn media(
        &self,
        req: &Request<'_, '_>,
        id: ObjectId,
        ext: &str,
        host: &str,
        quirks: &Quirks,
    ) -> Reply<E::File> {
        let opened = self.env.with_library(|library| {
            let item = library.get(id)?.as_item()?;
            let source = if item.format.extension() == ext {
                Source::File(item.format, item.dlna_profile())
            } else {
                Source::Rendition(Layout::of_extension(&item, ext)?)
            };
            let file = library.file_ref(id)?;
            let opened = match source {
                Source::File(..) => self.env.open(&file).ok_or(Unavailable::Gone),
                Source::Rendition(_) => self.env.open_stream(&file),
            };
            let caption = caption_header(req, library, id, host);
            Some((source, opened, (item.duration_ms(), caption)))
        });
        let (source, (file, size), (duration_ms, caption_info)) = match opened {
            Some((source, Ok(opened), extra)) => (source, opened, extra),
            Some((_, Err(Unavailable::Busy), _)) => {
                return Reply::error(StatusCode::SERVICE_UNAVAILABLE)
            }
            _ => return Reply::error(StatusCode::NOT_FOUND),
        };
        let image = matches!(source, Source::File(f, _) if f.kind() == MediaKind::Image);
        let transfer_mode = match req.headers.get("transferMode.dlna.org") {
            None if image => TransferMode::Interactive,
            None => TransferMode::Streaming,
            Some(value) => match TransferMode::parse(value) {
                Some(mode) => mode,
                None => return Reply::error(StatusCode::NOT_ACCEPTABLE),
            },
        };
        let wants_features = req
            .headers
            .get("getcontentFeatures.dlna.org")
            .is_some_and(|v| crate::http::trim(v) == b"1");
        let seek = quirks.transcode_seek;
        let info = match source {
            Source::File(format, probed) => quirks.probed_protocol_info(format, probed),
            Source::Rendition(layout) => layout.protocol_info(seek.time, seek.byte),
        };
        let wants_sec_info = quirks.samsung_extensions
            && req.headers.get("getMediaInfo.sec").is_some_and(|v| crate::http::trim(v) == b"1");
        let headers = MediaHeaders {
            features: wants_features.then_some(info.features),
            transfer_mode,
            content_range: None,
            time_seek: None,
            sec_duration_ms: duration_ms.filter(|_| wants_sec_info),
            caption_info,
        };
        match source {
            Source::File(..) => whole_or_range(req, headers, info.mime, size, |first, len| {
                if req.headers.get("TimeSeekRange.dlna.org").is_some() {
                    return Err(StatusCode::NOT_ACCEPTABLE);
                }
                Ok(Body::File { file, first, len })
            }),
            Source::Rendition(layout) => rendition(req, headers, layout, || self.decoder(file)),
        }
    }

    /// `file` opened as the decoder its bytes call for, within the platform's stream budget,
    /// with the platform's Opus decoder for an Opus file (feature `opus`).
    /// Why it could not be opened is told to the platform ([`Env::stream_refused`]).
    fn decoder(&self, file: E::File) -> Result<Decoder<E::File>, transcode::Error> {
        let budget = self.env.stream_budget();
        #[cfg(feature = "opus")]
        let opened = Decoder::open_with_opus(file, budget, self.env.opus_decoder());
        #[cfg(not(feature = "opus"))]
        let opened = Decoder::open(file, budget);
        opened.inspect_err(|e| self.env.stream_refused(e))
    }

    /// The answer to a `GET` or `HEAD` of `/rill/art/<id>.jpg`: the platform's `JPEG_TN`
    /// thumbnail of item `id`, whole or a byte range, if the library marks it as having one.
    pub(super) fn art(
        &self,
        req: &Request<'_, '_>,
        id: ObjectId,
        quirks: &Quirks,
    ) -> Reply<E::File> {
        let opened = self.env.with_library(|library| {
            let item = library.get(id)?.as_item().filter(|item| item.thumbnail())?;
            self.env.open_art(&library.file_ref(id)?, item.file())
        });
        let Some((file, size)) = opened else { return Reply::error(StatusCode::NOT_FOUND) };
        let headers = MediaHeaders::interactive();
        let mime = quirks.file_protocol_info(MediaFormat::Jpeg).mime;
        whole_or_range(req, headers, mime, size, |first, len| Ok(Body::File { file, first, len }))
    }
}

/// The answer for a rendition: a time seek, or a byte range of it; `open` opens its decoder.
fn rendition<F: embedded_io::Read + embedded_io::Seek>(
    req: &Request<'_, '_>,
    mut headers: MediaHeaders,
    layout: Layout,
    open: impl FnOnce() -> Result<Decoder<F>, transcode::Error>,
) -> Reply<F> {
    let body = |first, len| {
        let file = open().map_err(open_error)?;
        match Transcoder::new(file, layout, first, len) {
            Ok(t) => Ok(Body::Transcode(Box::new(t))),
            Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
        }
    };
    let Some(value) = req.headers.get("TimeSeekRange.dlna.org") else {
        return whole_or_range(req, headers, layout.mime(), layout.total_len(), body);
    };
    let Ok(range) = npt::parse(value) else {
        return Reply::error(StatusCode::BAD_REQUEST);
    };
    let duration = layout.duration_us();
    if range.start > duration {
        return Reply::error(StatusCode::RANGE_NOT_SATISFIABLE);
    }
    let end_us = range.end.map_or(duration, |end| end.min(duration));
    let frames = layout.time_span(range.start, range.end);
    let first = layout.frame_offset(frames.start);
    let len = layout.frame_offset(frames.end) - first;
    let bytes = (len > 0).then(|| (ByteRange { first, last: first + len - 1 }, layout.total_len()));
    headers.time_seek =
        Some(npt::Answer { start: range.start, end: end_us, duration: Some(duration), bytes });
    match body(first, len) {
        Ok(body) => {
            Reply { media: Some(headers), ..Reply::new(StatusCode::OK, layout.mime(), body) }
        }
        Err(status) => Reply::error(status),
    }
}

/// Answers `Range` (or its absence) on a representation of `size` bytes, whose body `body`
/// makes for a byte span (or refuses with a status).
pub(super) fn whole_or_range<F>(
    req: &Request<'_, '_>,
    mut headers: MediaHeaders,
    mime: Mime<'static>,
    size: u64,
    body: impl FnOnce(u64, u64) -> Result<Body<F>, StatusCode>,
) -> Reply<F> {
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
            return Reply {
                media: Some(headers),
                ..Reply::error(StatusCode::RANGE_NOT_SATISFIABLE)
            };
        }
    };
    match body(first, len) {
        Ok(body) => Reply { media: Some(headers), ..Reply::new(status, mime, body) },
        Err(status) => Reply::error(status),
    }
}

/// The status for a rendition whose file cannot be opened as Vorbis, FLAC, ALAC or Opus any
/// more.
fn open_error(e: transcode::Error) -> StatusCode {
    // Out of the memory budget for a stream: refuse this one, keep serving.
    if e.is_memory() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// The `CaptionInfo.sec` answer header for video `id` reached at `host`, when `req` asks for it
/// (`getCaptionInfo.sec: 1`, Samsung) and the video has a subtitle; on any answer for the
/// video, its remux too.
pub(super) fn caption_header(
    req: &Request<'_, '_>,
    library: &Library,
    id: ObjectId,
    host: &str,
) -> Option<heapless::String<MAX_CAPTION_URL>> {
    #[cfg(feature = "subtitles")]
    if req.headers.get("getCaptionInfo.sec").is_some_and(|v| crate::http::trim(v) == b"1") {
        return super::caption::caption_info(library, id, host);
    }
    #[cfg(not(feature = "subtitles"))]
    let _ = (req, library, id, host);
    None
}
