//! ContentDirectory `SearchCriteria`: parsing and matching against library objects.
//!
//! The full CDS:1 grammar is accepted: `*`, relations `property op "value"` with `=`, `!=`,
//! `<`, `<=`, `>`, `>=`, `contains`, `doesNotContain`, `derivedfrom`, `property exists bool`,
//! `and` (binding tighter) and `or`, and parentheses (nested at most [`MAX_NESTING`] deep).
//! String comparisons ignore ASCII case. Properties Rill does not know (and `@refID`, since it
//! has no references) are absent: relations on them are false, `exists false` is true. Syntax
//! errors are [`ErrorCode::BadSearchCriteria`](super::soap::ErrorCode::BadSearchCriteria).
//!
//! An object has the properties its DIDL-Lite shows: an item its tags, an album container its
//! album artist as `upnp:artist` and `dc:creator` (so `upnp:class derivedfrom
//! "object.container.album" and upnp:artist = "X"` finds the albums of X), any object its
//! class and title. A Search below a container looks at everything reachable from it (see
//! [`super::content_directory`]): under an artist, its albums and their tracks; under an album
//! or a genre, its tracks; under a folder, everything below it.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::library::{class_of, Library, ObjectId, ObjectRef, Tag};

/// The deepest parenthesis nesting accepted.
pub const MAX_NESTING: usize = 16;

/// The most relations one criteria string may hold.
const MAX_TERMS: usize = 64;

/// The properties matched by [`Criteria`]; also the GetSearchCapabilities answer.
pub const CAPABILITIES: &str =
    "upnp:class,dc:title,dc:creator,upnp:artist,upnp:album,upnp:genre,dc:date,@refID";

/// A search criteria string that failed to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    DoesNotContain,
    DerivedFrom,
    Exists,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr<'a> {
    Relation { property: &'a str, op: Op, value: Cow<'a, str> },
    And(usize, usize),
    Or(usize, usize),
}

/// Parsed `SearchCriteria`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criteria<'a> {
    /// Expression nodes; `root` indexes the top. `None` root: `*` (everything).
    nodes: Vec<Expr<'a>>,
    root: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    Word(&'a str),
    Quoted(Cow<'a, str>),
}

fn tokenize(s: &str) -> Result<Vec<Token<'_>>, SyntaxError> {
    let mut tokens = Vec::new();
    let mut rest = s.trim_start();
    while let Some(c) = rest.chars().next() {
        let (token, after) = match c {
            '(' => (Token::Open, rest.get(1..).unwrap_or("")),
            ')' => (Token::Close, rest.get(1..).unwrap_or("")),
            '"' => quoted(rest.get(1..).unwrap_or(""))?,
            _ => {
                let end =
                    rest.find(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '"');
                let (word, after) = rest.split_at(end.unwrap_or(rest.len()));
                (Token::Word(word), after)
            }
        };
        tokens.push(token);
        if tokens.len() > MAX_TERMS * 4 {
            return Err(SyntaxError);
        }
        rest = after.trim_start();
    }
    Ok(tokens)
}

/// A quoted value after its opening quote: `\"` and `\\` are escapes.
fn quoted(s: &str) -> Result<(Token<'_>, &str), SyntaxError> {
    let mut owned: Option<String> = None;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let after = s.get(i + 1..).unwrap_or("");
                let value = match owned {
                    Some(o) => Cow::Owned(o),
                    None => Cow::Borrowed(s.get(..i).unwrap_or("")),
                };
                return Ok((Token::Quoted(value), after));
            }
            '\\' => {
                let (_, escaped) = chars.next().ok_or(SyntaxError)?;
                owned.get_or_insert_with(|| String::from(s.get(..i).unwrap_or(""))).push(escaped);
            }
            _ => {
                if let Some(o) = owned.as_mut() {
                    o.push(c);
                }
            }
        }
    }
    Err(SyntaxError)
}

struct Parser<'a> {
    tokens: core::iter::Peekable<alloc::vec::IntoIter<Token<'a>>>,
    nodes: Vec<Expr<'a>>,
}

impl<'a> Parser<'a> {
    fn push(&mut self, e: Expr<'a>) -> Result<usize, SyntaxError> {
        if self.nodes.len() >= MAX_TERMS * 2 {
            return Err(SyntaxError);
        }
        self.nodes.push(e);
        Ok(self.nodes.len() - 1)
    }

    fn or(&mut self, depth: usize) -> Result<usize, SyntaxError> {
        let mut left = self.and(depth)?;
        while matches!(self.tokens.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case("or")) {
            self.tokens.next();
            let right = self.and(depth)?;
            left = self.push(Expr::Or(left, right))?;
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<usize, SyntaxError> {
        let mut left = self.primary(depth)?;
        while matches!(self.tokens.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case("and")) {
            self.tokens.next();
            let right = self.primary(depth)?;
            left = self.push(Expr::And(left, right))?;
        }
        Ok(left)
    }

    fn primary(&mut self, depth: usize) -> Result<usize, SyntaxError> {
        match self.tokens.next() {
            Some(Token::Open) => {
                if depth >= MAX_NESTING {
                    return Err(SyntaxError);
                }
                let inner = self.or(depth + 1)?;
                match self.tokens.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err(SyntaxError),
                }
            }
            Some(Token::Word(property)) => {
                let Some(Token::Word(op)) = self.tokens.next() else { return Err(SyntaxError) };
                let op = match op {
                    "=" => Op::Eq,
                    "!=" => Op::Ne,
                    "<" => Op::Lt,
                    "<=" => Op::Le,
                    ">" => Op::Gt,
                    ">=" => Op::Ge,
                    "contains" => Op::Contains,
                    "doesNotContain" => Op::DoesNotContain,
                    "derivedfrom" => Op::DerivedFrom,
                    "exists" => Op::Exists,
                    _ => return Err(SyntaxError),
                };
                let value = match (op, self.tokens.next()) {
                    (Op::Exists, Some(Token::Word(b))) if b == "true" || b == "false" => {
                        Cow::Borrowed(b)
                    }
                    (Op::Exists, _) => return Err(SyntaxError),
                    (_, Some(Token::Quoted(v))) => v,
                    _ => return Err(SyntaxError),
                };
                self.push(Expr::Relation { property, op, value })
            }
            _ => Err(SyntaxError),
        }
    }
}

impl<'a> Criteria<'a> {
    /// Parses a `SearchCriteria` argument.
    pub fn parse(criteria: &'a str) -> Result<Self, SyntaxError> {
        if criteria.trim() == "*" {
            return Ok(Criteria { nodes: Vec::new(), root: None });
        }
        let mut parser =
            Parser { tokens: tokenize(criteria)?.into_iter().peekable(), nodes: Vec::new() };
        let root = parser.or(0)?;
        if parser.tokens.next().is_some() {
            return Err(SyntaxError);
        }
        Ok(Criteria { nodes: parser.nodes, root: Some(root) })
    }

    /// Whether `object`, which is `library`'s object `id`, matches.
    pub fn matches(&self, library: &Library, id: ObjectId, object: ObjectRef<'_>) -> bool {
        let subject = Subject { library, id, object };
        self.root.is_none_or(|root| self.eval(root, &subject))
    }

    fn eval(&self, node: usize, subject: &Subject<'_>) -> bool {
        // Children are always pushed before their parent, so recursion depth is bounded by
        // the number of nodes (at most 2 * MAX_TERMS).
        match self.nodes.get(node) {
            Some(Expr::And(a, b)) => self.eval(*a, subject) && self.eval(*b, subject),
            Some(Expr::Or(a, b)) => self.eval(*a, subject) || self.eval(*b, subject),
            Some(Expr::Relation { property, op, value }) => relation(subject, property, *op, value),
            None => false,
        }
    }
}

/// The object a criteria is matched against, with what it needs to know of the library.
struct Subject<'a> {
    library: &'a Library,
    id: ObjectId,
    object: ObjectRef<'a>,
}

fn property<'o>(subject: &Subject<'o>, name: &str) -> Option<&'o str> {
    let object = subject.object;
    match name {
        "upnp:class" => Some(class_of(object)),
        "dc:title" => Some(object.title()),
        "dc:creator" | "upnp:artist" if object.as_container().is_some() => {
            subject.library.album_artist(subject.id)
        }
        "dc:creator" | "upnp:artist" => object.tag(Tag::Artist),
        "upnp:album" => object.tag(Tag::Album),
        "upnp:genre" => object.tag(Tag::Genre),
        "dc:date" => object.tag(Tag::Date),
        _ => None,
    }
}

fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn relation(subject: &Subject<'_>, name: &str, op: Op, value: &str) -> bool {
    let actual = property(subject, name);
    let Some(actual) = actual else {
        return op == Op::Exists && value == "false";
    };
    match op {
        Op::Exists => value == "true",
        Op::Eq => cmp_ignore_case(actual, value).is_eq(),
        Op::Ne => cmp_ignore_case(actual, value).is_ne(),
        Op::Lt => cmp_ignore_case(actual, value).is_lt(),
        Op::Le => cmp_ignore_case(actual, value).is_le(),
        Op::Gt => cmp_ignore_case(actual, value).is_gt(),
        Op::Ge => cmp_ignore_case(actual, value).is_ge(),
        Op::Contains => contains_ignore_case(actual, value),
        Op::DoesNotContain => !contains_ignore_case(actual, value),
        Op::DerivedFrom => {
            actual.len() >= value.len()
                && actual.get(..value.len()).is_some_and(|p| p.eq_ignore_ascii_case(value))
                && matches!(actual.as_bytes().get(value.len()), None | Some(b'.'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::{Details, FileInfo, Library, ObjectId, Shelf, SortSpec, Tags};

    /// A tagged song, a photo, their folder and the song's album.
    fn lib() -> (Library, [ObjectId; 4]) {
        let mut lib = Library::new();
        lib.add_root(0, "M").unwrap();
        let song = lib.insert_file(0, "a/Song.ogg", FileInfo::default()).unwrap().unwrap();
        let tags = Tags {
            artist: Some("The \"Band\"".into()),
            album: Some("Live".into()),
            ..Tags::default()
        };
        lib.set_details(song, Details { tags: Some(Box::new(tags)), ..Details::default() })
            .unwrap();
        let photo = lib.insert_file(0, "a/pic.jpg", FileInfo::default()).unwrap().unwrap();
        let folder = lib.lookup_path(0, "a").unwrap();
        let albums =
            lib.children(Shelf::Albums.id(), &SortSpec::parse("").unwrap()).unwrap().to_vec();
        let [album] = albums[..] else { panic!("one album: {albums:?}") };
        (lib, [song, photo, folder, album])
    }

    #[test]
    fn matches_real_control_point_criteria() {
        let (lib, ids) = lib();
        let check = |criteria: &str, expected: [bool; 4]| {
            let c = Criteria::parse(criteria).unwrap_or_else(|_| panic!("{criteria}"));
            let got = ids.map(|id| c.matches(&lib, id, lib.get(id).unwrap()));
            assert_eq!(got, expected, "{criteria}");
        };
        check("*", [true, true, true, true]);
        // Windows Media Player / Xbox.
        check(
            "upnp:class derivedfrom \"object.item.audioItem\" and @refID exists false",
            [true, false, false, false],
        );
        check("(upnp:class derivedfrom \"object.item.imageItem\") or (upnp:class = \"object.container.storageFolder\")", [false, true, true, false]);
        check("upnp:class derivedfrom \"object.item.audio\"", [false, false, false, false]);
        check("dc:title contains \"SONG\"", [true, false, false, false]);
        // The album has its album artist, as its DIDL-Lite shows.
        check("upnp:artist = \"the \\\"band\\\"\"", [true, false, false, true]);
        check(
            "upnp:class = \"object.container.album.musicAlbum\" and dc:creator contains \"band\"",
            [false, false, false, true],
        );
        check(
            "upnp:album exists true and dc:title doesNotContain \"x\"",
            [true, false, false, false],
        );
        check("upnp:album exists false", [false, true, true, true]);
        check("upnp:artist exists false", [false, true, true, false]);
        check("dc:title >= \"pic\"", [true, true, false, false]);
        check(
            "a = \"1\" or b = \"2\" and c = \"3\" or dc:title = \"pic\"",
            [false, true, false, false],
        );
    }

    #[test]
    fn rejects_bad_criteria() {
        for bad in [
            "",
            "dc:title",
            "dc:title = ",
            "dc:title = \"x",
            "dc:title ~ \"x\"",
            "(dc:title = \"x\"",
            "dc:title = \"x\" and",
            "dc:title exists maybe",
            "dc:title = \"x\")",
        ] {
            assert_eq!(Criteria::parse(bad), Err(SyntaxError), "{bad:?}");
        }
        let deep = "(".repeat(MAX_NESTING + 1) + "dc:title = \"x\"" + &")".repeat(MAX_NESTING + 1);
        assert_eq!(Criteria::parse(&deep), Err(SyntaxError));
        let ok = "(".repeat(MAX_NESTING) + "dc:title = \"x\"" + &")".repeat(MAX_NESTING);
        assert!(Criteria::parse(&ok).is_ok());
        let long = vec!["dc:title = \"x\""; MAX_TERMS + 1].join(" or ");
        assert_eq!(Criteria::parse(&long), Err(SyntaxError));
    }
}
