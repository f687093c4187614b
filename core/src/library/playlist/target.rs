//! What a playlist entry's location points at: [`Target::of`] undoes URL forms, percent
//! escapes, Windows separators and drive letters, and `.`/`..` components, without looking at
//! the library.
//!
//! - `http://`, `https://` and every other `scheme://` but `file://` are streams, not files:
//!   no target.
//! - `file://` URLs (`file:///music/a.flac`, `file://localhost/...`, `file:///C:/...`) are
//!   absolute paths, always percent-decoded.
//! - A plain path is tried as written, then percent-decoded when that differs (`%20` is a
//!   space to most players that write them, and a literal `%` in a file name is rare but real).
//! - `\` separates like `/`; a leading drive (`C:`) or UNC host (`\\server\share`) makes the
//!   path absolute and foreign: it is matched against the served folders by its tail.

use alloc::string::String;
use alloc::vec::Vec;

use super::MAX_PATH_DEPTH;

/// The spellings of one entry, in the order to try them.
pub type Spellings = heapless::Vec<Target, 2>;

/// A path a playlist entry names, split into components, `.` and `..` already applied
/// (a `..` above the top is kept as a leading `..` of a relative path and fails to resolve).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Whether the path is absolute (a leading `/`, a drive letter, a UNC name or a `file:` URL).
    pub absolute: bool,
    /// Whether the path is a Windows one (drive letter or UNC): its head is not a served path.
    pub foreign: bool,
    /// The components, none empty or `.`, `..` only at the start of a relative path.
    pub components: Vec<String>,
}

impl Target {
    /// The targets `location` may mean, most likely first (see the module docs); empty for
    /// streams, empty locations and paths over [`MAX_PATH_DEPTH`] components.
    pub fn of(location: &str) -> Spellings {
        let mut out = Spellings::new();
        let location = location.trim();
        if let Some((scheme, rest)) = location.split_once("://") {
            let is_scheme = !scheme.is_empty()
                && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
            if is_scheme {
                if scheme.eq_ignore_ascii_case("file") {
                    // `file://host/path`: the host (usually empty or `localhost`) is dropped.
                    let path = rest.find('/').and_then(|at| rest.get(at..)).unwrap_or("");
                    if let Some(target) = decode(path).and_then(|p| Target::split(&p, true)) {
                        let _ = out.push(target);
                    }
                }
                return out;
            }
        }
        if let Some(target) = Target::split(location, false) {
            let _ = out.push(target);
        }
        if location.contains('%') {
            if let Some(target) = decode(location).and_then(|p| Target::split(&p, false)) {
                if out.first() != Some(&target) {
                    let _ = out.push(target);
                }
            }
        }
        out
    }

    /// Splits a path (either separator) and applies its dot components.
    fn split(path: &str, url: bool) -> Option<Target> {
        let path = path.replace('\\', "/");
        let mut rest = path.as_str();
        let mut absolute = false;
        let mut foreign = false;
        // `/C:/x` in a URL, `C:/x` or `C:x` in a path.
        let drive = |p: &str| {
            let b = p.as_bytes();
            b.len() >= 2
                && b.first().is_some_and(u8::is_ascii_alphabetic)
                && b.get(1) == Some(&b':')
        };
        if url && rest.starts_with('/') && drive(rest.get(1..).unwrap_or("")) {
            rest = rest.get(1..).unwrap_or("");
        }
        if drive(rest) {
            rest = rest.get(2..).unwrap_or("");
            absolute = true;
            foreign = true;
        } else if let Some(unc) = rest.strip_prefix("//") {
            // `\\server\share\x`: the server is not a path component.
            rest = unc.split_once('/').map_or("", |(_, tail)| tail);
            absolute = true;
            foreign = true;
        } else if rest.starts_with('/') {
            absolute = true;
        }
        let mut components: Vec<String> = Vec::new();
        for c in rest.split('/') {
            match c {
                "" | "." => {}
                ".." if components.last().is_some_and(|l| l != "..") => {
                    components.pop();
                }
                ".." if absolute => {}
                c => {
                    if components.len() == MAX_PATH_DEPTH {
                        return None;
                    }
                    components.push(String::from(c));
                }
            }
        }
        (!components.is_empty()).then_some(Target { absolute, foreign, components })
    }
}

/// Percent-decodes `text`; `None` for a malformed escape or bytes that are not UTF-8.
fn decode(text: &str) -> Option<String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(crate::http::percent::hex)?;
            let lo = bytes.next().and_then(crate::http::percent::hex)?;
            out.push(hi << 4 | lo);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(absolute: bool, foreign: bool, components: &[&str]) -> Target {
        Target {
            absolute,
            foreign,
            components: components.iter().map(|c| String::from(*c)).collect(),
        }
    }

    fn of(location: &str) -> Vec<Target> {
        Target::of(location).into_iter().collect()
    }

    #[test]
    fn relative_and_absolute_paths() {
        assert_eq!(of("a.flac"), [t(false, false, &["a.flac"])]);
        assert_eq!(of("./sub//b.flac"), [t(false, false, &["sub", "b.flac"])]);
        assert_eq!(of("../Music/x/../a.flac"), [t(false, false, &["..", "Music", "a.flac"])]);
        assert_eq!(of("../../a.flac"), [t(false, false, &["..", "..", "a.flac"])]);
        assert_eq!(of("/srv/music/a.flac"), [t(true, false, &["srv", "music", "a.flac"])]);
        assert_eq!(of("/../srv/a.flac"), [t(true, false, &["srv", "a.flac"])]);
        assert!(of("").is_empty());
        assert!(of("./..").iter().all(|t| t.components == [".."]));
        assert!(of("/").is_empty());
    }

    #[test]
    fn windows_separators_drives_and_unc_names() {
        assert_eq!(of(r"..\Music\a.flac"), [t(false, false, &["..", "Music", "a.flac"])]);
        assert_eq!(
            of(r"C:\Users\me\Music\a.flac"),
            [t(true, true, &["Users", "me", "Music", "a.flac"])]
        );
        assert_eq!(of(r"d:Music\a.flac"), [t(true, true, &["Music", "a.flac"])]);
        assert_eq!(of(r"\\nas\share\Music\a.flac"), [t(true, true, &["share", "Music", "a.flac"])]);
        assert_eq!(of(r"\Music\a.flac"), [t(true, false, &["Music", "a.flac"])]);
    }

    #[test]
    fn urls() {
        assert_eq!(
            of("file:///srv/My%20Music/a.flac"),
            [t(true, false, &["srv", "My Music", "a.flac"])]
        );
        assert_eq!(of("FILE://localhost/srv/a.flac"), [t(true, false, &["srv", "a.flac"])]);
        assert_eq!(
            of("file:///C:/Music/a%C3%A9.flac"),
            [t(true, true, &["Music", "a\u{e9}.flac"])]
        );
        assert!(of("http://radio.example/stream.mp3").is_empty());
        assert!(of("https://x/y.flac").is_empty());
        assert!(of("rtsp://x/y").is_empty());
        assert!(of("file:///bad%zz").is_empty());
        assert!(of("file:///bad%FF").is_empty());
        // Not a scheme: kept as a path.
        assert_eq!(of("a b://c"), [t(false, false, &["a b:", "c"])]);
    }

    #[test]
    fn percent_escapes_give_a_second_spelling() {
        assert_eq!(
            of("My%20Music/100%25.flac"),
            [
                t(false, false, &["My%20Music", "100%25.flac"]),
                t(false, false, &["My Music", "100%.flac"])
            ]
        );
        // A bad escape: only the literal spelling.
        assert_eq!(of("50%.flac"), [t(false, false, &["50%.flac"])]);
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "a/".repeat(MAX_PATH_DEPTH) + "b.flac";
        assert!(of(&deep).is_empty());
        let ok = "a/".repeat(MAX_PATH_DEPTH - 1) + "b.flac";
        assert_eq!(of(&ok).len(), 1);
    }
}
