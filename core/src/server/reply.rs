//! A response before it is written: status, the few headers that vary, and the body.

use alloc::vec::Vec;

use alloc::boxed::Box;

use crate::dlna::{ContentFeatures, Mime};
use crate::gena::Accepted;
use crate::http::npt;
use crate::http::range::ContentRange;
use crate::http::response::StatusCode;
use crate::transcode::Transcoder;

/// Where the body of a response comes from.
pub(super) enum Body<F> {
    /// A short fixed text.
    Text(&'static str),
    /// A rendered document.
    Owned(Vec<u8>),
    /// A byte range of a transcoded rendition, produced as it is sent.
    Transcode(Box<Transcoder<F>>),
    /// A stream of unknown length (a remux), read until it ends: sent without a
    /// `Content-Length`, the end of the connection marking the end of the body. Only the
    /// remux makes one today, so a build without it never does.
    #[cfg_attr(not(feature = "remux"), allow(dead_code))]
    Stream(F),
    /// `len` bytes of an open file from byte `first` on.
    File {
        /// The open file.
        file: F,
        /// Offset of the first byte sent.
        first: u64,
        /// Bytes to send.
        len: u64,
    },
}

impl<F> Body<F> {
    /// The exact number of body bytes, the `Content-Length`; `None` for a [`Body::Stream`].
    pub(super) fn len(&self) -> Option<u64> {
        match self {
            Body::Text(t) => Some(t.len() as u64),
            Body::Owned(v) => Some(v.len() as u64),
            Body::Transcode(t) => Some(t.remaining()),
            Body::File { len, .. } => Some(*len),
            Body::Stream(_) => None,
        }
    }
}

/// The DLNA transfer mode of a media request (`transferMode.dlna.org`), echoed in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TransferMode {
    Streaming,
    Interactive,
    Background,
}

impl TransferMode {
    /// Parses a header value, case-insensitively.
    pub(super) fn parse(value: &[u8]) -> Option<TransferMode> {
        let value = crate::http::trim(value);
        [TransferMode::Streaming, TransferMode::Interactive, TransferMode::Background]
            .into_iter()
            .find(|m| value.eq_ignore_ascii_case(m.as_str().as_bytes()))
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            TransferMode::Streaming => "Streaming",
            TransferMode::Interactive => "Interactive",
            TransferMode::Background => "Background",
        }
    }
}

/// Longest `CaptionInfo.sec` URL: `http://`, a host of up to 64 bytes (an IPv6 address in
/// brackets with a port is at most 47), the path (about 40). A longer one is not sent.
pub(super) const MAX_CAPTION_URL: usize = 128;

/// Headers only media responses carry.
pub(super) struct MediaHeaders {
    /// `contentFeatures.dlna.org`, when the client asked for it.
    pub features: Option<ContentFeatures<'static>>,
    /// `transferMode.dlna.org`.
    pub transfer_mode: TransferMode,
    /// `Content-Range` of a 206 or 416.
    pub content_range: Option<ContentRange>,
    /// `TimeSeekRange.dlna.org` of an answer to a time seek.
    pub time_seek: Option<npt::Answer>,
    /// The play time in milliseconds for Samsung's `MediaInfo.sec: SEC_Duration=<ms>`, when a
    /// Samsung player asked with `getMediaInfo.sec: 1` (UMS answers it so).
    pub sec_duration_ms: Option<u64>,
    /// Samsung's `CaptionInfo.sec`: the URL of the video's first subtitle, when the request
    /// carried `getCaptionInfo.sec: 1` and the video has one.
    pub caption_info: Option<heapless::String<MAX_CAPTION_URL>>,
}

impl MediaHeaders {
    /// The headers of a file served beside the media (album art, a subtitle file): only
    /// `transferMode.dlna.org: Interactive`.
    pub fn interactive() -> MediaHeaders {
        MediaHeaders {
            features: None,
            transfer_mode: TransferMode::Interactive,
            content_range: None,
            time_seek: None,
            sec_duration_ms: None,
            caption_info: None,
        }
    }
}

/// A response: what [`super::conn`] writes.
pub(super) struct Reply<F> {
    pub status: StatusCode,
    pub content_type: Option<Mime<'static>>,
    pub body: Body<F>,
    pub media: Option<MediaHeaders>,
    /// Close the connection after this response whatever the request asked.
    pub close: bool,
    /// `Allow` for a 405.
    pub allow: Option<&'static str>,
    /// `SID` and `TIMEOUT` of a granted subscription.
    pub subscription: Option<Accepted>,
}

/// `Content-Type` of XML documents and SOAP answers.
pub(super) const XML: Mime<'static> = Mime::Fixed("text/xml; charset=\"utf-8\"");

impl<F> Reply<F> {
    /// A response with a body and no extra headers.
    pub(super) fn new(status: StatusCode, content_type: Mime<'static>, body: Body<F>) -> Self {
        Reply {
            status,
            content_type: Some(content_type),
            body,
            media: None,
            close: false,
            allow: None,
            subscription: None,
        }
    }

    /// 200 to a SUBSCRIBE, with the subscription's `SID` and `TIMEOUT` and no body.
    pub(super) fn subscribed(accepted: Accepted) -> Self {
        Reply {
            content_type: None,
            subscription: Some(accepted),
            ..Reply::new(StatusCode::OK, XML, Body::Text(""))
        }
    }

    /// 200 with no body (an UNSUBSCRIBE).
    pub(super) fn empty() -> Self {
        Reply { content_type: None, ..Reply::new(StatusCode::OK, XML, Body::Text("")) }
    }

    /// An error answer with a one-line text body naming the status.
    pub(super) fn error(status: StatusCode) -> Self {
        Reply::new(status, Mime::Fixed("text/plain; charset=utf-8"), Body::Text(status.reason()))
    }

    /// An error answer after which the connection closes (the request could not be framed).
    pub(super) fn fatal(status: StatusCode) -> Self {
        Reply { close: true, ..Reply::error(status) }
    }

    /// 405 with the methods the path takes.
    pub(super) fn method_not_allowed(allow: &'static str) -> Self {
        Reply { allow: Some(allow), ..Reply::error(StatusCode::METHOD_NOT_ALLOWED) }
    }
}
