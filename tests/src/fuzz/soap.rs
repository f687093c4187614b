//! `soap`: control requests against a small library, and the XML reader on its own.
//!
//! Input: a selector byte, then the request. The selector picks the [`Service`] (`b % 3`),
//! whether a `SOAPACTION` header is sent (`b / 3 % 2`; it is then the first line of the rest,
//! the body the remainder) and the player quirks of the context (`b / 6`, into
//! [`Player::ALL`], or the generic quirks past it). Bytes that are not UTF-8 are replaced, as
//! the server would refuse them before the SOAP layer.
//!
//! The result of [`control::handle`] (response or fault) is rendered; its length must equal the
//! counting pass, and the document must be well-formed XML to an independent parser
//! (roxmltree). The body also goes through [`Reader`] alone: it must stop within one event per
//! input byte, and every text it reports must decode.

use std::borrow::Cow;

use rill_core::player::{Player, Quirks};
use rill_core::upnp::bookmarks::Bookmarks;
use rill_core::upnp::control::{self, Ctx};
use rill_core::upnp::Service;
use rill_core::xml::{Event, Reader, Render, Text};

use super::fixture;

/// The `soap` target.
pub fn soap(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let service = Service::ALL[usize::from(selector % 3)];
    let quirks = Player::ALL.get(usize::from(selector / 6)).map_or(Quirks::GENERIC, |p| p.quirks());
    let rest = String::from_utf8_lossy(rest);
    let (header, body) = match (selector / 3 % 2, rest.split_once('\n')) {
        (1, Some((header, body))) => (Some(header), body),
        _ => (None, rest.as_ref()),
    };
    let ctx = Ctx { host: "192.168.1.10:8200", quirks, answer_budget: usize::MAX };
    match control::handle(service, header, body, fixture::library(), &mut Bookmarks::new(4), &ctx) {
        Ok(response) => check_rendering(&response),
        Err(fault) => check_rendering(&fault),
    }
    read_all(&rest);
}

/// Renders `doc`, checks its length against the counting pass and its well-formedness.
fn check_rendering(doc: &dyn Render) {
    let mut out = String::new();
    doc.render(&mut out).expect("rendering into a String");
    assert_eq!(doc.rendered_len().ok(), Some(out.len()));
    if let Err(e) = roxmltree::Document::parse(&out) {
        panic!("rendered document is not well-formed ({e}): {out}");
    }
}

/// Reads `text` with [`Reader`] to its end or first error.
fn read_all(text: &str) {
    let mut reader = Reader::new(text);
    // Every event but Eof consumes at least one byte of input.
    for _ in 0..=text.len() + 1 {
        match reader.next_event() {
            Ok(Event::Eof) => return,
            Ok(Event::Start(tag) | Event::Empty(tag)) => {
                for attr in tag.attributes() {
                    decodes(attr.value);
                }
                let _ = tag.namespace_for(tag.name.prefix);
            }
            Ok(Event::Text(t)) => decodes(t),
            Ok(Event::End(_)) => {}
            Err(e) => {
                assert_eq!(reader.next_event(), Err(e), "errors are sticky");
                return;
            }
        }
    }
    panic!("the XML reader did not finish {} bytes in as many events", text.len());
}

/// A text the reader accepted decodes, to no more bytes than it was written with.
fn decodes(text: Text<'_>) {
    let mut buf = vec![0u8; text.raw().len()];
    let decoded = text.decode_into(&mut buf).expect("accepted text decodes");
    assert_eq!(Cow::Borrowed(decoded), text.decode());
}
