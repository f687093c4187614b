//! XML as the UPnP layers need it: escaping writers for output and a small pull reader for input.
//!
//! Output never goes through an intermediate string. Every document (device description, SCPD,
//! SOAP envelope, DIDL-Lite) renders into any [`core::fmt::Write`]; [`Escape`] is a writer adapter
//! that escapes what passes through it, so the DIDL-Lite text of a SOAP `Result` is produced by
//! stacking two of them (`&` becomes `&amp;` in DIDL and `&amp;amp;` in SOAP) without a copy.
//! Large DIDL-Lite answers take the fast path instead: [`escape_into`] and [`escape_twice_into`]
//! append text escaped once or twice straight to a `String`, and fixed markup is a `Markup`
//! constant holding both its plain and its escaped form, the latter computed at compile time.
//! [`Count`] is a writer that only counts bytes: where the platform caps the size of a SOAP answer
//! (see `server::Env::answer_budget`), the server renders into it first to learn the exact size,
//! then reserves that much and renders the same bytes into the buffer it sends from.
//!
//! Input is read by [`Reader`], a non-allocating pull parser over a `&str` sized by the caller. It
//! reports start, end and empty elements, text and CDATA; it decodes the five predefined entities
//! and numeric character references, rejects DOCTYPE and ENTITY declarations (nothing is ever
//! expanded), bounds nesting at [`MAX_DEPTH`] and checks that end tags match. Malformed input is a
//! typed [`Error`]; no input makes it panic or loop.

pub(crate) mod escape;
mod reader;

#[cfg(feature = "alloc")]
pub use escape::{escape_into, escape_twice_into};
pub use escape::{escape_text, Count, Escape, Escaped};
#[cfg(feature = "alloc")]
pub(crate) use escape::{markup, Markup};
pub use reader::{Attribute, Attributes, Event, Name, Reader, Tag, Text, TextChars, MAX_DEPTH};

use core::fmt;

/// A document that renders itself into any [`fmt::Write`].
///
/// The server renders a document into a buffer and sends it from there; where the size of an
/// answer is capped, it first renders into a [`Count`] (see [`Render::rendered_len`]) to check
/// and reserve it. Renderings must be deterministic, which they are as long as the data behind
/// them (e.g. the library) does not change in between.
pub trait Render {
    /// Writes the document.
    fn render(&self, w: &mut dyn fmt::Write) -> fmt::Result;

    /// The exact number of bytes [`Render::render`] writes.
    fn rendered_len(&self) -> Result<usize, fmt::Error> {
        let mut count = Count::default();
        self.render(&mut count)?;
        Ok(count.0)
    }
}

/// Why XML input was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The input ended inside a construct or with elements still open.
    UnexpectedEof,
    /// Something that is not well-formed XML (bad name, stray `<`, missing `=`, ...).
    Syntax,
    /// A DOCTYPE, ENTITY or other `<!` declaration: refused, never expanded.
    Declaration,
    /// An entity reference other than the five predefined ones.
    UnknownEntity,
    /// A numeric character reference that is malformed or names a character XML forbids.
    BadCharRef,
    /// An end tag whose name differs from the open element's.
    MismatchedEnd,
    /// More than [`MAX_DEPTH`] nested elements.
    TooDeep,
    /// More attributes in one tag than the reader accepts.
    TooManyAttributes,
    /// The same attribute name twice in one tag.
    DuplicateAttribute,
    /// Content after the root element, or text outside it.
    TrailingContent,
    /// A caller-supplied buffer was too small for decoded text.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::UnexpectedEof => "unexpected end of XML input",
            Error::Syntax => "malformed XML",
            Error::Declaration => "XML declarations (DOCTYPE, ENTITY) are not accepted",
            Error::UnknownEntity => "unknown XML entity",
            Error::BadCharRef => "invalid XML character reference",
            Error::MismatchedEnd => "XML end tag does not match start tag",
            Error::TooDeep => "XML nested too deeply",
            Error::TooManyAttributes => "too many XML attributes",
            Error::DuplicateAttribute => "duplicate XML attribute",
            Error::TrailingContent => "content outside the XML root element",
            Error::BufferTooSmall => "buffer too small for XML text",
        })
    }
}

impl core::error::Error for Error {}
