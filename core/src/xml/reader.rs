//! A non-allocating pull reader over a `&str` holding a whole XML document.
//!
//! Every slice the reader takes is at an index returned by `find` or by a char-boundary scan of
//! the same string, so no slicing here can panic; lengths are checked with `get`.

use super::escape::is_xml_char;
use super::Error;

/// The deepest element nesting [`Reader`] accepts; deeper input is [`Error::TooDeep`].
pub const MAX_DEPTH: usize = 32;

/// The most attributes one tag may carry before [`Error::TooManyAttributes`].
const MAX_ATTRIBUTES: usize = 32;

/// One step of the document, as returned by [`Reader::next_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// `<name attr="...">`.
    Start(Tag<'a>),
    /// `</name>`.
    End(Name<'a>),
    /// `<name attr="..."/>`: a start immediately followed by its end.
    Empty(Tag<'a>),
    /// Character data inside an element (a run of text, or one CDATA section).
    Text(Text<'a>),
    /// The root element is closed and only whitespace, comments or processing instructions
    /// followed.
    Eof,
}

/// An element or attribute name split at its namespace prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name<'a> {
    /// The whole name as written, e.g. `s:Envelope`.
    pub qualified: &'a str,
    /// The prefix before `:`, if any, e.g. `s`.
    pub prefix: Option<&'a str>,
    /// The local part, e.g. `Envelope`.
    pub local: &'a str,
}

/// A start or empty element tag: its name and (already validated) attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The element name.
    pub name: Name<'a>,
    attrs: &'a str,
}

/// One attribute of a [`Tag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The attribute name, e.g. `xmlns:u`.
    pub name: Name<'a>,
    /// The value, entity references still encoded.
    pub value: Text<'a>,
}

/// Character data as it appears in the input; decoding is lazy and cannot fail because the
/// reader validated every reference when it produced the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a> {
    raw: &'a str,
    cdata: bool,
}

/// The pull reader. Create it over the whole document and call [`Reader::next_event`] until
/// [`Event::Eof`] or an error; after an error every further call returns the same error.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a str,
    pos: usize,
    /// Byte ranges in `input` of the names of the open elements, outermost first.
    open: [(usize, usize); MAX_DEPTH],
    depth: usize,
    seen_root: bool,
    failed: Option<Error>,
}

impl<'a> Reader<'a> {
    /// A reader over `input`. The caller bounds the input size (e.g. the HTTP body limit); the
    /// reader itself uses a fixed amount of memory. A leading byte order mark is skipped.
    pub fn new(input: &'a str) -> Self {
        Reader {
            input: input.strip_prefix('\u{FEFF}').unwrap_or(input),
            pos: 0,
            open: [(0, 0); MAX_DEPTH],
            depth: 0,
            seen_root: false,
            failed: None,
        }
    }

    /// The number of currently open elements.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The next event of the document, or why the document is not acceptable.
    pub fn next_event(&mut self) -> Result<Event<'a>, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let result = self.advance();
        if let Err(e) = result {
            self.failed = Some(e);
        }
        result
    }

    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    /// Skips past `terminator` searched from `from` bytes into the rest.
    fn skip_past(&mut self, from: usize, terminator: &str) -> Result<(), Error> {
        let rest = self.rest();
        let body = rest.get(from..).ok_or(Error::UnexpectedEof)?;
        let end = crate::util::find::find(body, terminator).ok_or(Error::UnexpectedEof)?;
        self.pos += from + end + terminator.len();
        Ok(())
    }

    fn advance(&mut self) -> Result<Event<'a>, Error> {
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return if self.depth == 0 && self.seen_root {
                    Ok(Event::Eof)
                } else {
                    Err(Error::UnexpectedEof)
                };
            }
            if !rest.starts_with('<') {
                let len = rest.find('<').unwrap_or(rest.len());
                let (raw, _) = rest.split_at(len);
                self.pos += len;
                if self.depth == 0 {
                    if raw.chars().all(is_xml_space) {
                        continue;
                    }
                    return Err(Error::TrailingContent);
                }
                validate_text(raw)?;
                return Ok(Event::Text(Text { raw, cdata: false }));
            }
            if rest.starts_with("<?") {
                self.skip_past(2, "?>")?;
            } else if rest.starts_with("<!--") {
                self.skip_past(4, "-->")?;
            } else if let Some(body) = rest.strip_prefix("<![CDATA[") {
                if self.depth == 0 {
                    return Err(Error::TrailingContent);
                }
                let end = crate::util::find::find(body, "]]>").ok_or(Error::UnexpectedEof)?;
                let (raw, _) = body.split_at(end);
                if !raw.chars().all(is_xml_char) {
                    return Err(Error::Syntax);
                }
                self.pos += "<![CDATA[".len() + end + "]]>".len();
                return Ok(Event::Text(Text { raw, cdata: true }));
            } else if rest.starts_with("<!") {
                return Err(Error::Declaration);
            } else if let Some(body) = rest.strip_prefix("</") {
                return self.end_tag(body);
            } else {
                return self.start_tag();
            }
        }
    }

    fn end_tag(&mut self, body: &'a str) -> Result<Event<'a>, Error> {
        let (name, after) = split_name(body)?;
        let after_ws = after.trim_start_matches(is_xml_space);
        if !after_ws.starts_with('>') {
            return Err(if after_ws.is_empty() { Error::UnexpectedEof } else { Error::Syntax });
        }
        let top = self.depth.checked_sub(1).ok_or(Error::TrailingContent)?;
        let &(start, end) = self.open.get(top).ok_or(Error::Syntax)?;
        if self.input.get(start..end) != Some(name.qualified) {
            return Err(Error::MismatchedEnd);
        }
        self.depth = top;
        self.pos = self.input.len() - after_ws.len() + 1;
        Ok(Event::End(name))
    }

    fn start_tag(&mut self) -> Result<Event<'a>, Error> {
        if self.depth == 0 && self.seen_root {
            return Err(Error::TrailingContent);
        }
        let rest = self.rest();
        let body = rest.get(1..).ok_or(Error::UnexpectedEof)?;
        let (name, after) = split_name(body)?;
        let close = find_tag_end(after)?;
        let (inner, _) = after.split_at(close);
        let (attrs, empty) = match inner.strip_suffix('/') {
            Some(attrs) => (attrs, true),
            None => (inner, false),
        };
        validate_attributes(attrs)?;
        let tag = Tag { name, attrs };
        let name_start = self.pos + 1;
        self.pos = self.input.len() - after.len() + close + 1;
        self.seen_root = true;
        if empty {
            return Ok(Event::Empty(tag));
        }
        let slot = self.open.get_mut(self.depth).ok_or(Error::TooDeep)?;
        *slot = (name_start, name_start + name.qualified.len());
        self.depth += 1;
        Ok(Event::Start(tag))
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':' || (!c.is_ascii() && is_xml_char(c))
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.'
}

/// Splits a name off the front of `s`; returns it and the remainder.
fn split_name(s: &str) -> Result<(Name<'_>, &str), Error> {
    let first = s.chars().next().ok_or(Error::UnexpectedEof)?;
    if !is_name_start(first) {
        return Err(Error::Syntax);
    }
    let len = s.find(|c| !is_name_char(c)).unwrap_or(s.len());
    let (qualified, rest) = s.split_at(len);
    let name = match qualified.split_once(':') {
        None => Name { qualified, prefix: None, local: qualified },
        Some((prefix, local)) => {
            if prefix.is_empty() || local.is_empty() || local.contains(':') {
                return Err(Error::Syntax);
            }
            Name { qualified, prefix: Some(prefix), local }
        }
    };
    Ok((name, rest))
}

/// The index of the `>` closing a tag, skipping quoted attribute values.
fn find_tag_end(s: &str) -> Result<usize, Error> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '>') => return Ok(i),
            (None, '<') => return Err(Error::Syntax),
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            _ => {}
        }
    }
    Err(Error::UnexpectedEof)
}

/// Splits one attribute off the front of `s` (which starts at its name).
fn split_attribute(s: &str) -> Result<(Attribute<'_>, &str), Error> {
    let (name, rest) = split_name(s)?;
    let rest = rest.trim_start_matches(is_xml_space);
    let rest = rest.strip_prefix('=').ok_or(Error::Syntax)?;
    let rest = rest.trim_start_matches(is_xml_space);
    let quote = rest.chars().next().ok_or(Error::Syntax)?;
    if quote != '"' && quote != '\'' {
        return Err(Error::Syntax);
    }
    let body = rest.get(1..).ok_or(Error::Syntax)?;
    let end = body.find(quote).ok_or(Error::Syntax)?;
    let (raw, after) = body.split_at(end);
    let after = after.get(1..).ok_or(Error::Syntax)?;
    Ok((Attribute { name, value: Text { raw, cdata: false } }, after))
}

fn validate_attributes(mut s: &str) -> Result<(), Error> {
    let all = s;
    let mut count = 0;
    loop {
        let trimmed = s.trim_start_matches(is_xml_space);
        if trimmed.is_empty() {
            return Ok(());
        }
        if trimmed.len() == s.len() {
            // Attributes must be separated from the name and from each other by whitespace.
            return Err(Error::Syntax);
        }
        let (attr, rest) = split_attribute(trimmed)?;
        if attr.value.raw.contains('<') {
            return Err(Error::Syntax);
        }
        validate_text(attr.value.raw)?;
        count += 1;
        if count > MAX_ATTRIBUTES {
            return Err(Error::TooManyAttributes);
        }
        // At most MAX_ATTRIBUTES earlier attributes: the pairwise check is bounded.
        let before = all.get(..all.len() - trimmed.len()).unwrap_or("");
        if (Attributes { rest: before }).any(|a| a.name.qualified == attr.name.qualified) {
            return Err(Error::DuplicateAttribute);
        }
        s = rest;
    }
}

/// Checks every character and every reference in a text run.
fn validate_text(raw: &str) -> Result<(), Error> {
    let mut rest = raw;
    loop {
        let at = rest.find(|c| c == '&' || !is_xml_char(c));
        let Some(at) = at else { return Ok(()) };
        let (_, tail) = rest.split_at(at);
        let Some(reference) = tail.strip_prefix('&') else { return Err(Error::Syntax) };
        let (_, len) = parse_reference(reference)?;
        rest = reference.get(len..).ok_or(Error::Syntax)?;
    }
}

/// Parses the reference after a `&`: returns the character and the bytes consumed (through `;`).
fn parse_reference(s: &str) -> Result<(char, usize), Error> {
    // The longest valid reference is `#x10FFFF` or `#1114111`; allow leading zeros up to a bound.
    // A byte search: `;` is ASCII, so its index is a char boundary whatever follows.
    let end = s.bytes().take(16).position(|b| b == b';').ok_or(Error::Syntax)?;
    let (body, _) = s.split_at(end);
    let c = match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let Some(number) = body.strip_prefix('#') else {
                return Err(Error::UnknownEntity);
            };
            let (digits, radix) = match number.strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return Err(Error::BadCharRef);
            }
            let value = u32::from_str_radix(digits, radix).map_err(|_| Error::BadCharRef)?;
            char::from_u32(value).filter(|&c| is_xml_char(c)).ok_or(Error::BadCharRef)?
        }
    };
    Ok((c, end + 1))
}

impl<'a> Tag<'a> {
    /// The tag's attributes in document order.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes { rest: self.attrs }
    }

    /// The value of the attribute named `qualified` (e.g. `xmlns:u`), if present.
    pub fn attribute(&self, qualified: &str) -> Option<Text<'a>> {
        self.attributes().find(|a| a.name.qualified == qualified).map(|a| a.value)
    }

    /// The namespace URI this tag binds to `prefix` with an `xmlns:prefix` attribute (or the
    /// default namespace with `xmlns` when `prefix` is `None`).
    ///
    /// SOAP readers resolve a prefix by asking the element and then its ancestors; a full scope
    /// chain is not needed for the documents Rill reads.
    pub fn namespace_for(&self, prefix: Option<&str>) -> Option<Text<'a>> {
        self.attributes()
            .find(|a| match prefix {
                Some(p) => a.name.prefix == Some("xmlns") && a.name.local == p,
                None => a.name.qualified == "xmlns",
            })
            .map(|a| a.value)
    }
}

/// Iterator over a [`Tag`]'s attributes; see [`Tag::attributes`].
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        let trimmed = self.rest.trim_start_matches(is_xml_space);
        // The reader validated the attribute list, so this parses until the list is exhausted.
        let (attr, rest) = split_attribute(trimmed).ok()?;
        self.rest = rest;
        Some(attr)
    }
}

impl<'a> Text<'a> {
    /// The text as written in the input (references not decoded; CDATA content verbatim).
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// Whether this came from a CDATA section.
    pub fn is_cdata(&self) -> bool {
        self.cdata
    }

    /// The decoded characters.
    pub fn chars(&self) -> TextChars<'a> {
        TextChars { rest: self.raw, cdata: self.cdata }
    }

    /// Whether the decoded text equals `s`, without allocating.
    pub fn eq_str(&self, s: &str) -> bool {
        self.chars().eq(s.chars())
    }

    /// Whether the text is only XML whitespace.
    pub fn is_whitespace(&self) -> bool {
        self.chars().all(is_xml_space)
    }

    /// Decodes into `buf` and returns the decoded string, or [`Error::BufferTooSmall`].
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let mut len = 0;
        for c in self.chars() {
            let end = len + c.len_utf8();
            let slot = buf.get_mut(len..end).ok_or(Error::BufferTooSmall)?;
            c.encode_utf8(slot);
            len = end;
        }
        let filled = buf.get(..len).ok_or(Error::BufferTooSmall)?;
        // Only whole UTF-8 encodings of chars were written.
        core::str::from_utf8(filled).map_err(|_| Error::Syntax)
    }

    /// The decoded text, borrowed from the input when it holds no references.
    #[cfg(feature = "alloc")]
    pub fn decode(&self) -> alloc::borrow::Cow<'a, str> {
        if self.cdata || !self.raw.contains('&') {
            alloc::borrow::Cow::Borrowed(self.raw)
        } else {
            alloc::borrow::Cow::Owned(self.chars().collect())
        }
    }
}

/// Iterator over the decoded characters of a [`Text`].
#[derive(Debug, Clone)]
pub struct TextChars<'a> {
    rest: &'a str,
    cdata: bool,
}

impl Iterator for TextChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let mut chars = self.rest.chars();
        let c = chars.next()?;
        self.rest = chars.as_str();
        if c != '&' || self.cdata {
            return Some(c);
        }
        // Validated by the reader; an impossible failure ends the text instead of panicking.
        let (decoded, len) = parse_reference(self.rest).ok()?;
        self.rest = self.rest.get(len..).unwrap_or("");
        Some(decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(doc: &str) -> Result<Vec<String>, Error> {
        let mut reader = Reader::new(doc);
        let mut out = Vec::new();
        loop {
            let event = reader.next_event()?;
            out.push(match event {
                Event::Start(t) => format!("<{}", t.name.qualified),
                Event::Empty(t) => format!("<{}/", t.name.qualified),
                Event::End(n) => format!("</{}", n.qualified),
                Event::Text(t) => format!("'{}", t.chars().collect::<String>()),
                Event::Eof => return Ok(out),
            });
        }
    }

    #[test]
    fn reads_elements_text_and_references() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- c --><a:r xmlns:a=\"urn:x\"><b k='v&amp;w'>x &lt;&#65;&#x42;\
                   &quot;&apos;&gt;</b><![CDATA[<&amp;>]]><c/></a:r>\n";
        assert_eq!(
            events(doc).unwrap(),
            ["<a:r", "<b", "'x <AB\"'>", "</b", "'<&amp;>", "<c/", "</a:r"]
        );
        let mut reader = Reader::new(doc);
        let Ok(Event::Start(root)) = reader.next_event() else { panic!("no root") };
        assert_eq!(root.name.prefix, Some("a"));
        assert_eq!(root.name.local, "r");
        assert!(root.namespace_for(root.name.prefix).unwrap().eq_str("urn:x"));
        assert!(root.namespace_for(None).is_none());
        let Ok(Event::Start(b)) = reader.next_event() else { panic!("no b") };
        assert!(b.attribute("k").unwrap().eq_str("v&w"));
        let Ok(Event::Text(t)) = reader.next_event() else { panic!("no text") };
        let mut buf = [0u8; 16];
        assert_eq!(t.decode_into(&mut buf).unwrap(), "x <AB\"'>");
        assert_eq!(t.decode_into(&mut [0u8; 4]), Err(Error::BufferTooSmall));
        assert_eq!(events("\u{FEFF}<a/>").unwrap(), ["<a/"]);
        // A reference followed by multi-byte characters across the lookahead window.
        for pad in 0..4 {
            let text = format!("{}{}", "x".repeat(pad), "\u{e9}".repeat(12));
            let doc = format!("<r>&amp;{text}&#233;</r>");
            assert_eq!(events(&doc).unwrap(), ["<r", &format!("'&{text}\u{e9}"), "</r"]);
        }
    }

    #[test]
    fn rejects_declarations_and_unknown_entities() {
        let bomb = "<!DOCTYPE r [<!ENTITY a \"aaaa\">]><r>&a;</r>";
        assert_eq!(events(bomb), Err(Error::Declaration));
        assert_eq!(events("<r><!ENTITY a 'x'></r>"), Err(Error::Declaration));
        assert_eq!(events("<r>&a;</r>"), Err(Error::UnknownEntity));
        assert_eq!(events("<r>&#0;</r>"), Err(Error::BadCharRef));
        assert_eq!(events("<r>&#xD800;</r>"), Err(Error::BadCharRef));
        assert_eq!(events("<r>&#x110000;</r>"), Err(Error::BadCharRef));
        assert_eq!(events("<r>&#99999999999999999;</r>"), Err(Error::Syntax));
        assert_eq!(events("<r>a & b</r>"), Err(Error::Syntax));
        assert_eq!(events("<r a='&bogus;'/>"), Err(Error::UnknownEntity));
    }

    #[test]
    fn rejects_malformed_structure() {
        assert_eq!(events("<a><b></a></b>"), Err(Error::MismatchedEnd));
        assert_eq!(events("<a>"), Err(Error::UnexpectedEof));
        assert_eq!(events(""), Err(Error::UnexpectedEof));
        assert_eq!(events("<a/><b/>"), Err(Error::TrailingContent));
        assert_eq!(events("x<a/>"), Err(Error::TrailingContent));
        assert_eq!(events("</a>"), Err(Error::TrailingContent));
        assert_eq!(events("<a b='1'c='2'/>"), Err(Error::Syntax));
        assert_eq!(events("<a b='1' b='2'/>"), Err(Error::DuplicateAttribute));
        assert_eq!(events("<a b=1/>"), Err(Error::Syntax));
        assert_eq!(events("<a b='<'/>"), Err(Error::Syntax));
        assert_eq!(events("<:a/>"), Err(Error::Syntax));
        assert_eq!(events("<a:/>"), Err(Error::Syntax));
        assert_eq!(events("<a\u{1}/>"), Err(Error::Syntax));
        assert_eq!(events("<a>\u{1}</a>"), Err(Error::Syntax));
        assert_eq!(events("<a><![CDATA[x</a>"), Err(Error::UnexpectedEof));
        assert_eq!(events("<a><!-- x</a>"), Err(Error::UnexpectedEof));
        let many: String = (0..=MAX_ATTRIBUTES).map(|i| format!(" a{i}='x'")).collect::<String>();
        assert_eq!(events(&format!("<a{many}/>")), Err(Error::TooManyAttributes));
    }

    #[test]
    fn bounds_depth() {
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(events(&ok).is_ok());
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(events(&deep), Err(Error::TooDeep));
        // A million opens fails fast at the bound instead of growing anything.
        assert_eq!(events(&"<a>".repeat(1_000_000)), Err(Error::TooDeep));
    }

    #[test]
    fn errors_are_sticky_and_every_prefix_fails_cleanly() {
        let doc = "<s:Envelope xmlns:s=\"urn:s\"><s:Body><u:A xmlns:u=\"urn:u\">\
                   <X>1 &amp; &#x263A;</X><![CDATA[z]]></u:A></s:Body></s:Envelope>";
        assert!(events(doc).is_ok());
        // Every truncation (at char boundaries) is an error, never a panic or a hang.
        for (cut, _) in doc.char_indices() {
            let mut reader = Reader::new(&doc[..cut]);
            let mut steps = 0;
            let err = loop {
                steps += 1;
                assert!(steps < 100);
                match reader.next_event() {
                    Ok(Event::Eof) => panic!("truncated document accepted at {cut}"),
                    Ok(_) => {}
                    Err(e) => break e,
                }
            };
            assert_eq!(reader.next_event(), Err(err));
        }
    }
}
