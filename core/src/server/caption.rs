//! Subtitles: `/rill/caption/<video id>/<n>.<ext>` serves subtitle `n` of a video (see
//! [`crate::library::sidecar`]), and a media answer names the first one in Samsung's
//! `CaptionInfo.sec` header.
//!
//! A subtitle is read whole (at most [`subtitle::MAX_LEN`] bytes, and no more than
//! [`Env::answer_budget`]) and served as UTF-8 with a BOM whatever it was written in
//! ([`subtitle::to_utf8`]), `Content-Type: <its res MIME type>; charset=utf-8`,
//! `transferMode.dlna.org: Interactive` (as MiniDLNA serves captions), whole or a byte range.
//! A subtitle that is too large or unreadable is refused (500, or 503 when the memory is
//! short) and the platform is told why ([`Env::caption_refused`]).

use core::fmt::{self, Write};

use super::reply::{Body, MediaHeaders, Reply};
use super::{media::whole_or_range, Env, Server};
use crate::dlna::Mime;
use crate::http::request::Request;
use crate::http::response::StatusCode;
use crate::library::{Library, ObjectId};
use crate::media::subtitle::{self, Format};
use crate::upnp::CAPTION_PATH;

use super::reply::MAX_CAPTION_URL;

/// The URL of subtitle `n` of video `id`, reached at `host`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptionUrl<'a> {
    /// `host:port` the client reached the server on.
    pub host: &'a str,
    /// The video.
    pub id: ObjectId,
    /// The subtitle's place in [`Library::subtitles`].
    pub n: usize,
    /// Its format (the URL's extension).
    pub format: Format,
}

impl fmt::Display for CaptionUrl<'_> {
    /// The URL as it is (the host comes from the connection and is not escaped here).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("http://")?;
        f.write_str(self.host)?;
        f.write_str(CAPTION_PATH)?;
        f.write_str(self.id.hex().as_str())?;
        write!(f, "/{}.{}", self.n, self.format.extension())
    }
}

/// Why a subtitle was not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CaptionError {
    /// Larger than [`subtitle::MAX_LEN`] or the platform's answer budget.
    TooLarge,
    /// Reading the file failed part way.
    Unreadable,
    /// No memory for its text.
    OutOfMemory,
}

impl fmt::Display for CaptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaptionError::TooLarge => "subtitle file too large",
            CaptionError::Unreadable => "subtitle file unreadable",
            CaptionError::OutOfMemory => "no memory for the subtitle text",
        })
    }
}

impl core::error::Error for CaptionError {}

/// The `CaptionInfo.sec` value for video `id` reached at `host`: the URL of its first
/// subtitle, if it has one and the URL fits [`MAX_CAPTION_URL`].
pub(super) fn caption_info(
    library: &Library,
    id: ObjectId,
    host: &str,
) -> Option<heapless::String<MAX_CAPTION_URL>> {
    let first = library.subtitles(id).first().copied()?;
    let mut url = heapless::String::new();
    write!(url, "{}", CaptionUrl { host, id, n: 0, format: first.format }).ok()?;
    Some(url)
}

/// The `Content-Type` of a served subtitle of `format`.
fn content_type(format: Format) -> &'static str {
    match format {
        Format::Srt => "text/srt; charset=utf-8",
        Format::Smi => "smi/caption; charset=utf-8",
        Format::Ass => "text/ass; charset=utf-8",
        Format::Ssa => "text/ssa; charset=utf-8",
        Format::Vtt => "text/vtt; charset=utf-8",
    }
}

impl<E: Env> Server<'_, E> {
    /// The answer to a `GET` or `HEAD` of `/rill/caption/<id>/<n>.<ext>`.
    pub(super) fn caption(
        &self,
        req: &Request<'_, '_>,
        id: ObjectId,
        n: usize,
        ext: &str,
    ) -> Reply<E::File> {
        let limit =
            subtitle::MAX_LEN.min(u64::try_from(self.env.answer_budget()).unwrap_or(u64::MAX));
        let read = self.env.with_library(|library| {
            let (sub, file) = library.subtitle_file(id, n)?;
            if sub.format.extension() != ext {
                return None;
            }
            let (mut opened, size) = self.env.open(&file)?;
            let text = if size > limit {
                Err(CaptionError::TooLarge)
            } else {
                read_all(&mut opened, size)
            };
            Some((sub.format, text.inspect_err(|e| self.env.caption_refused(&file, e))))
        });
        let (format, text) = match read {
            None => return Reply::error(StatusCode::NOT_FOUND),
            Some((_, Err(CaptionError::OutOfMemory))) => {
                return Reply::error(StatusCode::SERVICE_UNAVAILABLE)
            }
            Some((_, Err(_))) => return Reply::error(StatusCode::INTERNAL_SERVER_ERROR),
            Some((format, Ok(text))) => (format, text),
        };
        let headers = MediaHeaders::interactive();
        let size = text.len() as u64;
        let mime = Mime::Fixed(content_type(format));
        whole_or_range(req, headers, mime, size, |first, len| {
            if first == 0 && len == size {
                return Ok(Body::Owned(text));
            }
            let span = usize::try_from(first)
                .ok()
                .zip(usize::try_from(first.saturating_add(len)).ok())
                .and_then(|(a, b)| text.get(a..b))
                .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
            Ok(Body::Owned(span.to_vec()))
        })
    }
}

/// The whole file (`size` bytes when opened) as UTF-8 text with a BOM.
fn read_all<F: embedded_io::Read>(
    file: &mut F,
    size: u64,
) -> Result<alloc::vec::Vec<u8>, CaptionError> {
    let size = usize::try_from(size).map_err(|_| CaptionError::TooLarge)?;
    let mut bytes = alloc::vec::Vec::new();
    bytes.try_reserve_exact(size).map_err(|_| CaptionError::OutOfMemory)?;
    bytes.resize(size, 0);
    let mut filled = 0;
    while let Some(rest) = bytes.get_mut(filled..).filter(|r| !r.is_empty()) {
        match file.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(_) => return Err(CaptionError::Unreadable),
        }
    }
    bytes.truncate(filled);
    subtitle::to_utf8(&bytes).map(|(text, _)| text).map_err(|_| CaptionError::OutOfMemory)
}
