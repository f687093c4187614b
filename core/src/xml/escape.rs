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

impl<W: Write> Write for Escape<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(at) = rest.find(needs_escape) {
            let (plain, tail) = rest.split_at(at);
            self.0.write_str(plain)?;
            let mut chars = tail.chars();
            // `find` returned the index of a char, so `tail` starts with one.
            let replacement = match chars.next() {
                Some('&') => "&amp;",
                Some('<') => "&lt;",
                Some('>') => "&gt;",
                Some('"') => "&quot;",
                Some('\'') => "&apos;",
                _ => "\u{FFFD}",
            };
            self.0.write_str(replacement)?;
            rest = chars.as_str();
        }
        self.0.write_str(rest)
    }
}

fn needs_escape(c: char) -> bool {
    matches!(c, '&' | '<' | '>' | '"' | '\'') || !is_xml_char(c)
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

    #[test]
    fn stacked_escapes_twice() {
        let mut out = String::new();
        let mut inner = Escape(Escape(&mut out));
        let title = "R&B";
        write!(inner, "<t>{title}</t>").unwrap();
        assert_eq!(out, "&amp;lt;t&amp;gt;R&amp;amp;B&amp;lt;/t&amp;gt;");
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
