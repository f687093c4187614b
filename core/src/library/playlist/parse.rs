//! Reading a playlist file's text: M3U and extended M3U (`.m3u`, `.m3u8`) and PLS (`.pls`).
//!
//! - Text: a UTF-8 byte order mark is dropped. `.m3u8` is UTF-8 (a bad sequence becomes U+FFFD,
//!   so that entry finds nothing while the rest still count); `.m3u` and `.pls` are UTF-8 when
//!   the whole file is valid UTF-8, else ISO-8859-1 (Latin-1, what Windows players wrote), one
//!   byte to one character. Lines end with LF or CRLF (a lone CR too); surrounding white space
//!   is trimmed; empty lines are skipped.
//! - M3U: a line starting with `#` is a comment, except `#EXTINF:<seconds>,<title>` whose title
//!   goes with the next entry (`#EXTM3U` is not required). Every other line is an entry.
//! - PLS (INI): `File<N>=<location>` and `Title<N>=<title>`, keys in any case, spaces around
//!   `=` allowed, the `[playlist]` header optional; entries in the order of `N` (the first of
//!   two `File` lines with the same `N` wins). `NumberOfEntries`, `Length<N>` and `Version` are
//!   read past: hand-edited files often get the count wrong, and the `File` keys say it all.
//!
//! Bounds: at most [`MAX_BYTES`] of input ([`Error::TooLarge`] beyond, checked before any
//! work) and at most [`MAX_ENTRIES`] entries (the rest are dropped, and
//! [`Playlist::truncated`] says so). Work is linear in the input, but for the PLS sort of at
//! most [`MAX_ENTRIES`] entries.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Error, Format};

/// The largest playlist file read, in bytes (1 MiB: some 10,000 entries of 100-byte paths).
pub const MAX_BYTES: usize = 1 << 20;

/// The most entries kept of one playlist.
pub const MAX_ENTRIES: usize = 10_000;

/// One line of a playlist: where the track is, as written, and the title the file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The location as written (trimmed): a path, relative or absolute, with `/` or `\`
    /// separators, or a URL. [`super::Target::of`] says what it points at.
    pub location: String,
    /// The title from `#EXTINF` or `Title<N>`, if any. Browse shows the library item's own
    /// title; this one is for diagnostics (a skipped entry is named by it in the log).
    pub title: Option<String>,
}

/// A parsed playlist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Playlist {
    /// The entries in playlist order, at most [`MAX_ENTRIES`].
    pub entries: Vec<Entry>,
    /// Whether entries past [`MAX_ENTRIES`] were dropped.
    pub truncated: bool,
}

/// Parses a playlist file of `format` (see the module docs).
pub fn parse(format: Format, bytes: &[u8]) -> Result<Playlist, Error> {
    if bytes.len() > MAX_BYTES {
        return Err(Error::TooLarge);
    }
    let text = decode(format, bytes);
    Ok(match format {
        Format::M3u | Format::M3u8 => m3u(&text),
        Format::Pls => pls(&text),
    })
}

/// The file's text: BOM dropped, then UTF-8 or Latin-1 as the module docs say.
fn decode(format: Format, bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match (format, core::str::from_utf8(bytes)) {
        (_, Ok(text)) => Cow::Borrowed(text),
        (Format::M3u8, Err(_)) => String::from_utf8_lossy(bytes),
        (Format::M3u | Format::Pls, Err(_)) => {
            Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())
        }
    }
}

/// The non-empty trimmed lines of `text` (LF, CRLF or CR line ends).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', '\r']).map(str::trim).filter(|line| !line.is_empty())
}

/// A title as given, or none when it is empty.
fn title(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| String::from(text))
}

fn m3u(text: &str) -> Playlist {
    let mut out = Playlist::default();
    let mut pending = None;
    for line in lines(text) {
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(info) = strip_prefix_caseless(comment, "EXTINF:") {
                pending = info.split_once(',').and_then(|(_, t)| title(t));
            }
            continue;
        }
        if out.entries.len() == MAX_ENTRIES {
            out.truncated = true;
            break;
        }
        out.entries.push(Entry { location: String::from(line), title: pending.take() });
    }
    out
}

fn pls(text: &str) -> Playlist {
    // (N, line number, location) and (N, title): sorted, then joined by N.
    let mut files: Vec<(u32, usize, &str)> = Vec::new();
    let mut titles: Vec<(u32, &str)> = Vec::new();
    let mut truncated = false;
    for (at, line) in lines(text).enumerate() {
        let Some((key, value)) = line.split_once('=') else { continue };
        let (key, value) = (key.trim(), value.trim());
        if let Some(n) = numbered(key, "File") {
            if value.is_empty() {
                continue;
            }
            if files.len() == MAX_ENTRIES {
                truncated = true;
                continue;
            }
            files.push((n, at, value));
        } else if let Some(n) = numbered(key, "Title") {
            if titles.len() < MAX_ENTRIES {
                titles.push((n, value));
            }
        }
    }
    crate::util::heapsort::sort_unstable_by(&mut files, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    files.dedup_by_key(|f| f.0);
    crate::util::heapsort::sort_unstable_by(&mut titles, |a, b| a.0.cmp(&b.0));
    let entries = files
        .into_iter()
        .map(|(n, _, location)| {
            let title = titles
                .binary_search_by_key(&n, |t| t.0)
                .ok()
                .and_then(|i| titles.get(i))
                .and_then(|t| title(t.1));
            Entry { location: String::from(location), title }
        })
        .collect();
    Playlist { entries, truncated }
}

/// `N` of a key `<name><N>` (`name` in any case, `N` decimal).
fn numbered(key: &str, name: &str) -> Option<u32> {
    let digits = strip_prefix_caseless(key, name)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `text` without `prefix`, compared ignoring ASCII case.
fn strip_prefix_caseless<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| text.get(prefix.len()..)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn locations(p: &Playlist) -> Vec<&str> {
        p.entries.iter().map(|e| e.location.as_str()).collect()
    }

    fn titles(p: &Playlist) -> Vec<Option<&str>> {
        p.entries.iter().map(|e| e.title.as_deref()).collect()
    }

    #[test]
    fn plain_m3u_lists_every_non_comment_line() {
        let p =
            parse(Format::M3u, b"a.flac\n# a comment\n\n  sub/b.ogg  \nhttp://x/y.mp3\n").unwrap();
        assert_eq!(locations(&p), ["a.flac", "sub/b.ogg", "http://x/y.mp3"]);
        assert_eq!(titles(&p), [None, None, None]);
        assert!(!p.truncated);
    }

    #[test]
    fn extended_m3u_titles_go_with_the_next_entry_only() {
        let text = "#EXTM3U\r\n#EXTINF:123,Artist - Song, Part 1\r\nsong.flac\r\nnext.flac\r\n\
                    #extinf:-1,\r\nuntitled.flac\r\n#EXTINF:5\r\nnocomma.flac\r\n";
        let p = parse(Format::M3u8, text.as_bytes()).unwrap();
        assert_eq!(locations(&p), ["song.flac", "next.flac", "untitled.flac", "nocomma.flac"]);
        assert_eq!(titles(&p), [Some("Artist - Song, Part 1"), None, None, None]);
    }

    #[test]
    fn a_bom_and_cr_line_ends_are_tolerated() {
        let p = parse(Format::M3u8, b"\xEF\xBB\xBF#EXTM3U\rone.flac\rtwo.flac").unwrap();
        assert_eq!(locations(&p), ["one.flac", "two.flac"]);
        let p = parse(Format::Pls, b"\xEF\xBB\xBF[playlist]\r\nFile1=x.flac\r\n").unwrap();
        assert_eq!(locations(&p), ["x.flac"]);
    }

    #[test]
    fn m3u_is_utf8_when_valid_else_latin1() {
        let p = parse(Format::M3u, "Bj\u{f6}rk/J\u{f3}ga.flac\n".as_bytes()).unwrap();
        assert_eq!(locations(&p), ["Bj\u{f6}rk/J\u{f3}ga.flac"]);
        // The same name in ISO-8859-1: ö is 0xF6, ó 0xF3.
        let p = parse(Format::M3u, b"Bj\xF6rk/J\xF3ga.flac\n").unwrap();
        assert_eq!(locations(&p), ["Bj\u{f6}rk/J\u{f3}ga.flac"]);
        let p = parse(Format::Pls, b"File1=Caf\xE9.flac\nTitle1=Caf\xE9\n").unwrap();
        assert_eq!(locations(&p), ["Caf\u{e9}.flac"]);
        assert_eq!(titles(&p), [Some("Caf\u{e9}")]);
    }

    #[test]
    fn m3u8_is_always_utf8_and_a_bad_line_does_not_spoil_the_rest() {
        let p = parse(Format::M3u8, b"Bj\xF6rk.flac\ngood.flac\n").unwrap();
        assert_eq!(locations(&p), ["Bj\u{fffd}rk.flac", "good.flac"]);
    }

    #[test]
    fn pls_orders_by_number_with_titles_any_case_and_spacing() {
        let text = "[playlist]\nNumberOfEntries=3\nfile3 = c.flac\nTitle1=First\nFILE1=a.flac\n\
                    Length1=-1\nFile2=b.flac\nFile2=again.flac\nFileX=no.flac\nFile=no.flac\n\
                    File4=\nVersion=2\n";
        let p = parse(Format::Pls, text.as_bytes()).unwrap();
        assert_eq!(locations(&p), ["a.flac", "b.flac", "c.flac"]);
        assert_eq!(titles(&p), [Some("First"), None, None]);
        // No header needed; a numbered key far past the count still counts.
        let p = parse(Format::Pls, b"File10=z.flac\nFile9=y.flac\n").unwrap();
        assert_eq!(locations(&p), ["y.flac", "z.flac"]);
        // A location may itself contain `=`.
        let p = parse(Format::Pls, b"File1=a=b.flac\n").unwrap();
        assert_eq!(locations(&p), ["a=b.flac"]);
    }

    #[test]
    fn pls_numbers_too_large_are_not_entries() {
        let p = parse(Format::Pls, b"File99999999999999999999=a.flac\nFile1=b.flac\n").unwrap();
        assert_eq!(locations(&p), ["b.flac"]);
    }

    #[test]
    fn bounds_hold() {
        let big = alloc::vec![b'a'; MAX_BYTES + 1];
        assert_eq!(parse(Format::M3u, &big), Err(Error::TooLarge));
        let many: String = (0..MAX_ENTRIES + 5).map(|i| format!("{i}.flac\n")).collect();
        let p = parse(Format::M3u, many.as_bytes()).unwrap();
        assert_eq!(p.entries.len(), MAX_ENTRIES);
        assert!(p.truncated);
        let many: String = (0..MAX_ENTRIES + 5).map(|i| format!("File{i}={i}.flac\n")).collect();
        let p = parse(Format::Pls, many.as_bytes()).unwrap();
        assert_eq!(p.entries.len(), MAX_ENTRIES);
        assert!(p.truncated);
    }

    #[test]
    fn empty_and_junk_input_give_no_entries() {
        for format in [Format::M3u, Format::M3u8, Format::Pls] {
            assert_eq!(parse(format, b"").unwrap(), Playlist::default());
            assert!(parse(format, b"\n\r\n   \n#EXTM3U\n").unwrap().entries.is_empty());
        }
        assert!(parse(Format::Pls, b"just some text\n[playlist]\n").unwrap().entries.is_empty());
    }
}
