//! Escaping writers: [`Escape`] wraps a [`fmt::Write`] and escapes what passes through; [`Count`]
//! counts bytes without storing them.

use core::fmt::{self, Write};

/// A [`fmt::Write`] adapter that XML-escapes everything written through it.
///
/// `&`, `<`, `>`, `"` and `'` become entity references, so the output is safe both as element
/// text and inside a double- or single-quoted attribute. Characters XML 1.0 cannot carry at all
/// (most C0 controls, U+FFFE, U+FFFF) become U+FFFD, so a file name with a control character
/// still yields a well-formed document. Stacking two adapters escapes twice, which is how a
/// DIDL-Lite document becomes the text of a SOAP `Result`.
#[derive(Debug)]
pub struct Escape<W>(pub W);

/// Bytes that stop the plain-text scan: the five markup characters, the C0 controls XML
/// forbids, and 0xEF, the lead byte of U+FFFE and U+FFFF (the only other characters XML forbids
/// that valid UTF-8 can hold). Every other byte, ASCII or part of a multi-byte character, passes.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = !matches!(b, 0x09 | 0x0a | 0x0d);
        b += 1;
    }
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = true;
    table[b'\'' as usize] = true;
    table[0xef] = true;
    table
};

impl<W: Write> Write for Escape<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_runs(s, &ONCE, |piece| self.0.write_str(piece))
    }
}

/// The replacements of `&`, `<`, `>`, `"` and `'`, in that order.
type Entities = [&'static str; 5];

/// Escaping once.
const ONCE: Entities = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"];

/// Escaping twice: what escaping [`ONCE`]'s output again gives.
#[cfg(feature = "alloc")]
const TWICE: Entities = ["&amp;amp;", "&amp;lt;", "&amp;gt;", "&amp;quot;", "&amp;apos;"];

/// Appends `s` XML-escaped to `out`: what [`Escape`] writes, straight into a `String` (the fast
/// path for large renderings, without a writer between).
#[cfg(feature = "alloc")]
pub fn escape_into(out: &mut alloc::string::String, s: &str) {
    push_escaped(out, s, &ONCE);
}

/// Appends `s` XML-escaped twice to `out`, in one pass: what two stacked [`Escape`]s write (text
/// inside DIDL-Lite inside a SOAP `Result`).
#[cfg(feature = "alloc")]
pub fn escape_twice_into(out: &mut alloc::string::String, s: &str) {
    push_escaped(out, s, &TWICE);
}

#[cfg(feature = "alloc")]
fn push_escaped(out: &mut alloc::string::String, s: &str, entities: &Entities) {
    out.reserve(s.len());
    // Pushing onto a String cannot fail.
    let _ = escape_runs(s, entities, |piece| {
        out.push_str(piece);
        Ok(())
    });
}

/// A fixed piece of markup in both the forms a document may need: as it is, and escaped once
/// (as the text of a SOAP `Result`), the latter computed at compile time by [`markup!`].
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Markup {
    /// The markup itself.
    pub(crate) plain: &'static str,
    /// The markup escaped once.
    pub(crate) escaped: &'static str,
}

/// A [`Markup`] constant from a string constant holding only ASCII (escaping at compile time
/// handles the five markup characters and copies every other byte).
#[cfg(feature = "alloc")]
macro_rules! markup {
    ($plain:expr) => {{
        const PLAIN: &str = $plain;
        const BYTES: [u8; $crate::xml::escape::escaped_len(PLAIN)] =
            $crate::xml::escape::escape_const(PLAIN);
        const ESCAPED: &str = match core::str::from_utf8(&BYTES) {
            Ok(escaped) => escaped,
            Err(_) => PLAIN,
        };
        $crate::xml::Markup { plain: PLAIN, escaped: ESCAPED }
    }};
}
#[cfg(feature = "alloc")]
pub(crate) use markup;

/// The length of `s` escaped once, for [`markup!`].
#[cfg(feature = "alloc")]
pub(crate) const fn escaped_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let (mut len, mut i) = (0, 0);
    while i < bytes.len() {
        len += match entity(bytes[i]) {
            Some(e) => e.len(),
            None => 1,
        };
        i += 1;
    }
    len
}

/// `s` escaped once into an array of its [`escaped_len`], for [`markup!`]. Runs at compile
/// time only: every index is checked against its bound by the loop conditions.
#[cfg(feature = "alloc")]
pub(crate) const fn escape_const<const N: usize>(s: &str) -> [u8; N] {
    let bytes = s.as_bytes();
    let mut out = [0u8; N];
    let (mut i, mut o) = (0, 0);
    while i < bytes.len() && o < N {
        match entity(bytes[i]) {
            Some(e) => {
                let e = e.as_bytes();
                let mut j = 0;
                while j < e.len() && o < N {
                    out[o] = e[j];
                    o += 1;
                    j += 1;
                }
            }
            None => {
                out[o] = bytes[i];
                o += 1;
            }
        }
        i += 1;
    }
    out
}

/// The entity replacing byte `b` of ASCII markup, if it is one of the five.
#[cfg(feature = "alloc")]
const fn entity(b: u8) -> Option<&'static str> {
    match b {
        b'&' => Some(ONCE[0]),
        b'<' => Some(ONCE[1]),
        b'>' => Some(ONCE[2]),
        b'"' => Some(ONCE[3]),
        b'\'' => Some(ONCE[4]),
        _ => None,
    }
}

/// Hands `s` to `emit` escaped with `entities`, as alternating plain runs and replacements.
/// Finding the end of a plain run is a table lookup per byte.
fn escape_runs(
    s: &str,
    entities: &Entities,
    mut emit: impl FnMut(&str) -> fmt::Result,
) -> fmt::Result {
    let bytes = s.as_bytes();
    let (mut plain_from, mut at) = (0, 0);
    // A u8 indexes a 256-entry table: in bounds.
    let special = |b: &u8| SPECIAL[usize::from(*b)];
    while let Some(found) = bytes.get(at..).and_then(|rest| rest.iter().position(special)) {
        at += found;
        let (replacement, len) = match bytes.get(at) {
            Some(b'&') => (entities[0], 1),
            Some(b'<') => (entities[1], 1),
            Some(b'>') => (entities[2], 1),
            Some(b'"') => (entities[3], 1),
            Some(b'\'') => (entities[4], 1),
            // U+FFFE, U+FFFF (EF BF BE, EF BF BF); any other EF.. character is fine.
            Some(0xef) => match bytes.get(at + 1..at + 3) {
                Some([0xbf, 0xbe | 0xbf]) => ("\u{FFFD}", 3),
                _ => {
                    at += 1;
                    continue;
                }
            },
            _ => ("\u{FFFD}", 1),
        };
        // `plain_from` and `at` sit on ASCII bytes or a lead byte: char boundaries.
        emit(s.get(plain_from..at).unwrap_or_default())?;
        emit(replacement)?;
        at += len;
        plain_from = at;
    }
    emit(s.get(plain_from..).unwrap_or_default())
}

/// Whether XML 1.0 allows `c` in a document (production `Char`).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// A [`fmt::Write`] that discards its input and counts the bytes: the exact length of a rendering.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub usize);

impl Write for Count {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.checked_add(s.len()).ok_or(fmt::Error)?;
        Ok(())
    }
}

/// A value that [`fmt::Display`]s XML-escaped; see [`escape_text`].
#[derive(Debug, Clone, Copy)]
pub struct Escaped<T>(T);

/// Wraps `value` so that formatting it writes its text XML-escaped, e.g.
/// `write!(w, "<a>{}</a>", escape_text(title))`.
pub fn escape_text<T: fmt::Display>(value: T) -> Escaped<T> {
    Escaped(value)
}

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escape(f), "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_all_five_and_controls() {
        let mut out = String::new();
        Escape(&mut out).write_str("a&b<c>d\"e'f\u{1}g\u{e9}").unwrap();
        assert_eq!(out, "a&amp;b&lt;c&gt;d&quot;e&apos;f\u{FFFD}g\u{e9}");
    }

    /// The byte-level fast path agrees with escaping char by char, on every mix of markup,
    /// controls, non-ASCII and characters XML forbids.
    #[test]
    fn fast_path_matches_char_by_char() {
        fn reference(s: &str) -> String {
            s.chars()
                .map(|c| match c {
                    '&' => "&amp;".into(),
                    '<' => "&lt;".into(),
                    '>' => "&gt;".into(),
                    '"' => "&quot;".into(),
                    '\'' => "&apos;".into(),
                    c if is_xml_char(c) => c.to_string(),
                    _ => "\u{FFFD}".into(),
                })
                .collect()
        }
        let pieces = [
            "a",
            "&",
            "<",
            ">",
            "\"",
            "'",
            "\u{0}",
            "\u{8}",
            "\t",
            "\u{7f}",
            "\u{e9}",
            "\u{263a}",
            "\u{FFFE}",
            "\u{FFFF}",
            "\u{1F600}",
            "\u{D7FF}",
            "\u{E000}",
            " ",
        ];
        let mut seed = 1u32;
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..(seed % 12) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                s.push_str(pieces[(seed >> 16) as usize % pieces.len()]);
            }
            let mut out = String::new();
            Escape(&mut out).write_str(&s).unwrap();
            assert_eq!(out, reference(&s), "{s:?}");
        }
    }

    #[test]
    fn stacked_escapes_twice() {
        let mut out = String::new();
        let mut inner = Escape(Escape(&mut out));
        let title = "R&B";
        write!(inner, "<t>{title}</t>").unwrap();
        assert_eq!(out, "&amp;lt;t&amp;gt;R&amp;amp;B&amp;lt;/t&amp;gt;");
    }

    /// Escaping twice in one pass equals escaping the escaped text again, on the same mixes as
    /// above; and the compile-time escaping of markup equals the runtime one.
    #[test]
    #[cfg(feature = "alloc")]
    fn twice_in_one_pass_and_markup_constants() {
        let pieces =
            ["a", "&", "<", ">", "\"", "'", "\u{1}", "\u{FFFE}", "\u{FFFD}", "\u{e9}", "&amp;"];
        let mut seed = 7u32;
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..(seed % 9) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                s.push_str(pieces[(seed >> 16) as usize % pieces.len()]);
            }
            let (mut once, mut again, mut twice) = (String::new(), String::new(), String::new());
            escape_into(&mut once, &s);
            escape_into(&mut again, &once);
            escape_twice_into(&mut twice, &s);
            assert_eq!(twice, again, "{s:?}");
        }
        const TAG: Markup = markup!("<a b=\"c\" d='e'>&x</a>");
        let mut escaped = String::new();
        escape_into(&mut escaped, TAG.plain);
        assert_eq!(TAG.escaped, escaped);
        assert_eq!(TAG.escaped, "&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;x&lt;/a&gt;");
        assert_eq!(markup!("plain").escaped, "plain");
    }

    #[test]
    fn count_matches_rendered_length() {
        let text = "x & y \u{263a} <z>";
        let mut counted = Count::default();
        let mut out = String::new();
        write!(counted, "{}", escape_text(text)).unwrap();
        write!(out, "{}", escape_text(text)).unwrap();
        assert_eq!(counted.0, out.len());
        assert_eq!(out, "x &amp; y \u{263a} &lt;z&gt;");
    }
}
