//! Which requests make the platform touch its files, so a shell that must not block its event
//! loop (the host's async workers) knows which calls to run elsewhere.
//!
//! Only media and thumbnail answers open, read, probe or seek files (through
//! [`Env::open`](crate::server::Env::open) and its siblings); descriptions, SOAP actions and
//! event subscriptions are answered from memory. The request line is looked at before the
//! request is framed, so the test is conservative: a target that is not a plain absolute path
//! (percent escapes, an absolute URL, a malformed line), whatever it would route to, counts as
//! one that may open a file. A false alarm costs the shell a hand-over; a miss would block it.
//!
//! Of those, the commonest (a `GET` or `HEAD` of a media file as it is, not of a rendition or
//! a remux) blocks only in its one [`Env::open`]: [`Server::file_answered`] names its file, so
//! a shell that can open that file without blocking (the host, on a local disk whose lookup
//! is cached) may answer it where it is.

use super::super::route::MAX_PATH;
use super::super::{Env, Server};
use crate::http::percent;
use crate::http::request::{Method, Request};
use crate::library::FileRef;
use crate::upnp::{self, ART_PATH, CAPTION_PATH, MEDIA_PATH};

/// Whether answering the first request in `received` (the bytes received and not yet answered,
/// from the start of a request) may open a file. `false` while its request line is incomplete:
/// a request is answered only once its whole head is here.
pub(super) fn opens_files(received: &[u8]) -> bool {
    // A server ignores empty lines before a request line (RFC 9112, section 2.2).
    let start = received.iter().position(|b| !matches!(b, b'\r' | b'\n'));
    let Some(rest) = start.and_then(|start| received.get(start..)) else { return false };
    let Some(end) = rest.iter().position(|&b| b == b'\n') else { return false };
    let line = rest.get(..end).unwrap_or_default();
    let target = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
    let in_memory = target.starts_with(b"/")
        && !target.contains(&b'%')
        && !target.starts_with(MEDIA_PATH.as_bytes())
        && !target.starts_with(ART_PATH.as_bytes())
        && !target.starts_with(CAPTION_PATH.as_bytes());
    !in_memory
}

impl<E: Env> Server<'_, E> {
    /// When answering `req` opens one library file as it is, through [`Env::open`], and does
    /// nothing else that may block (a `GET` or `HEAD` of `/rill/media/<id>.<ext>` whose `ext`
    /// is the file's own, so neither a rendition nor a remux), runs `f` with that file under
    /// the library's lock and returns what it gave; `None` for any other request.
    pub(super) fn file_answered<R>(
        &self,
        req: &Request<'_, '_>,
        f: impl FnOnce(&FileRef<'_>) -> R,
    ) -> Option<R> {
        if !matches!(req.method, Method::Get | Method::Head) {
            return None;
        }
        let mut storage = [0u8; MAX_PATH];
        let path = percent::decode_path(req.target, &mut storage).ok()?;
        let (id, ext) = upnp::parse_media_path(path)?;
        // A `.ts` may name a remux, which starts a process.
        #[cfg(feature = "remux")]
        if ext == crate::player::video::EXTENSION && self.env.remuxes() {
            return None;
        }
        self.env.with_library(|library| {
            let item = library.get(id)?.as_item()?;
            if item.format.extension() != ext {
                return None;
            }
            Some(f(&library.file_ref(id)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::opens_files;

    #[test]
    fn media_and_art_open_files() {
        assert!(opens_files(b"GET /rill/media/12.ogg HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(opens_files(b"HEAD /rill/media/12.l16 HTTP/1.1\r\n"));
        assert!(opens_files(b"GET /rill/art/12.jpg HTTP/1.1\r\n"));
        assert!(opens_files(b"\r\n\r\nGET /rill/media/12.ogg HTTP/1.1\r\n"));
    }

    #[test]
    fn subtitles_open_files() {
        assert!(opens_files(b"GET /rill/caption/12/0.srt HTTP/1.1\r\n"));
    }

    #[test]
    fn descriptions_and_control_do_not() {
        assert!(!opens_files(b"GET /rill/description.xml HTTP/1.1\r\n\r\n"));
        assert!(!opens_files(b"POST /rill/ContentDirectory/control HTTP/1.1\r\n"));
        assert!(!opens_files(b"SUBSCRIBE /rill/ContentDirectory/event HTTP/1.1\r\n"));
    }

    #[test]
    fn an_incomplete_line_is_not_answered_yet() {
        assert!(!opens_files(b""));
        assert!(!opens_files(b"\r\n"));
        assert!(!opens_files(b"GET /rill/media/12.ogg HTT"));
    }

    #[test]
    fn targets_that_may_decode_to_media_count_as_media() {
        assert!(opens_files(b"GET /rill/%6Dedia/12.ogg HTTP/1.1\r\n"));
        assert!(opens_files(b"GET http://h/rill/media/12.ogg HTTP/1.1\r\n"));
        assert!(opens_files(b"GET  /rill/media/12.ogg HTTP/1.1\r\n"));
        assert!(opens_files(b"garbage\r\n"));
    }
}
