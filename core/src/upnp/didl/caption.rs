//! A video's sidecar subtitles in DIDL-Lite, the ways players look for them:
//!
//! - Samsung ([`Quirks::samsung_extensions`](crate::player::Quirks::samsung_extensions)):
//!   `<sec:CaptionInfoEx sec:type="srt">URL</sec:CaptionInfoEx>` for each subtitle (MiniDLNA
//!   `upnpsoap.c`, one per subtitle as Gerbera writes them) and `<sec:CaptionInfo
//!   sec:type="srt">URL</sec:CaptionInfo>` for the first (older series), each when the
//!   `Filter` allows it (`*` does);
//! - players that take a subtitle `res` ([`Quirks::caption_res`](crate::player::Quirks::caption_res)):
//!   one `<res protocolInfo="http-get:*:text/srt:*">URL</res>` per subtitle, after the video's
//!   own (MiniDLNA's `FLAG_CAPTION_RES`; `smi/caption` for SAMI).
//!
//! The URLs are [`CaptionUrl`](crate::server::CaptionUrl)s.

use super::{Document, Sink};
use crate::library::{ObjectId, Subtitle};
use crate::upnp::CAPTION_PATH;
use crate::xml::markup;

impl<'a> Document<'a> {
    /// Samsung's `sec:CaptionInfoEx` and `sec:CaptionInfo` elements of video `id`.
    pub(super) fn sec_captions(&self, s: &mut Sink<'a>, id: ObjectId) {
        if !self.quirks.samsung_extensions {
            return;
        }
        let (ex, plain) =
            (self.filter.allows("sec:CaptionInfoEx"), self.filter.allows("sec:CaptionInfo"));
        if !ex && !plain {
            return;
        }
        for (n, sub) in self.library.subtitles(id).iter().enumerate() {
            if ex {
                s.markup(markup!("<sec:CaptionInfoEx sec:type=\""));
                s.ascii(sub.format.extension());
                s.markup(markup!("\">"));
                s.caption_url(self.host, id, n, sub);
                s.markup(markup!("</sec:CaptionInfoEx>"));
            }
            if plain && n == 0 {
                s.markup(markup!("<sec:CaptionInfo sec:type=\""));
                s.ascii(sub.format.extension());
                s.markup(markup!("\">"));
                s.caption_url(self.host, id, n, sub);
                s.markup(markup!("</sec:CaptionInfo>"));
            }
        }
    }

    /// The subtitle `res` elements of video `id`.
    pub(super) fn caption_res(&self, s: &mut Sink<'a>, id: ObjectId) {
        if !self.quirks.caption_res || !self.filter.allows_res() {
            return;
        }
        for (n, sub) in self.library.subtitles(id).iter().enumerate() {
            s.markup(markup!("<res protocolInfo=\"http-get:*:"));
            s.ascii(sub.format.mime());
            s.markup(markup!(":*\">"));
            s.caption_url(self.host, id, n, sub);
            s.markup(markup!("</res>"));
        }
    }
}

impl Sink<'_> {
    /// The URL of subtitle `n` (`sub`) of video `id` on `host`.
    fn caption_url(&mut self, host: &str, id: ObjectId, n: usize, sub: &Subtitle<'_>) {
        self.markup(markup!("http://"));
        self.text(host);
        self.markup(markup!(CAPTION_PATH));
        self.ascii(id.hex().as_str());
        self.markup(markup!("/"));
        self.number(n as u64);
        self.markup(markup!("."));
        self.ascii(sub.format.extension());
    }
}

/// Every format's `res` MIME type is plain ASCII that no escaping changes (checked here, as
/// [`Sink::ascii`] writes it unescaped).
#[cfg(test)]
#[test]
fn mime_types_need_no_escaping() {
    for f in crate::media::subtitle::Format::ALL {
        assert!(f.mime().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'/'));
    }
}
