//! Sort orders for a container's children: the default order and UPnP `SortCriteria`.

use core::cmp::Ordering;

use super::{Error, Kind, Node, Object};

/// The most keys a [`SortSpec`] holds; longer criteria are [`Error::BadSortCriteria`].
pub const MAX_SORT_KEYS: usize = 8;

/// A property a container's children can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SortField {
    /// `dc:title`.
    Title,
    /// `upnp:class` (containers before items).
    Class,
    /// `upnp:artist`.
    Artist,
    /// `dc:creator` (the artist, as Rill renders it).
    Creator,
    /// `upnp:album`.
    Album,
    /// `upnp:genre`.
    Genre,
    /// `upnp:originalTrackNumber`.
    TrackNumber,
    /// `dc:date`.
    Date,
}

impl SortField {
    /// Every field with its UPnP property name; also the GetSortCapabilities answer.
    pub const PROPERTIES: [(&'static str, SortField); 8] = [
        ("dc:title", SortField::Title),
        ("upnp:class", SortField::Class),
        ("upnp:artist", SortField::Artist),
        ("dc:creator", SortField::Creator),
        ("upnp:album", SortField::Album),
        ("upnp:genre", SortField::Genre),
        ("upnp:originalTrackNumber", SortField::TrackNumber),
        ("dc:date", SortField::Date),
    ];

    /// The field for a UPnP property name (exact spelling).
    pub fn from_property(name: &str) -> Option<SortField> {
        SortField::PROPERTIES.iter().find(|(p, _)| *p == name).map(|&(_, f)| f)
    }
}

/// One sort key: a field and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SortKey {
    /// What to compare.
    pub field: SortField,
    /// `-` in the criteria: largest first.
    pub descending: bool,
}

/// A sequence of sort keys, parsed from a UPnP `SortCriteria` such as `+dc:title,-dc:date`.
///
/// Ties (and the empty spec) fall back to the default order: containers first, then titles
/// compared case-insensitively, then names byte-wise. Missing values (an item without an album)
/// sort after present ones in ascending order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SortSpec {
    keys: heapless::Vec<SortKey, MAX_SORT_KEYS>,
}

impl SortSpec {
    /// Parses `SortCriteria`: comma-separated properties, each with an optional `+` or `-`
    /// (missing means `+`, as some control points omit it); blanks around entries are ignored
    /// and an empty string is the default order. An unknown property or more than
    /// [`MAX_SORT_KEYS`] keys is [`Error::BadSortCriteria`].
    pub fn parse(criteria: &str) -> Result<SortSpec, Error> {
        let mut keys = heapless::Vec::new();
        for entry in criteria.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (descending, name) = match entry.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, entry.strip_prefix('+').unwrap_or(entry)),
            };
            let field = SortField::from_property(name.trim()).ok_or(Error::BadSortCriteria)?;
            keys.push(SortKey { field, descending }).map_err(|_| Error::BadSortCriteria)?;
        }
        Ok(SortSpec { keys })
    }

    /// The keys, most significant first.
    pub fn keys(&self) -> &[SortKey] {
        &self.keys
    }

    /// Whether this is the default order (no keys).
    pub fn is_default(&self) -> bool {
        self.keys.is_empty()
    }

    /// Compares two objects by the keys, then by the default order.
    pub fn compare(&self, a: &Object, b: &Object) -> Ordering {
        self.keys
            .iter()
            .map(|key| {
                let order = compare_field(key.field, a, b);
                if key.descending {
                    order.reverse()
                } else {
                    order
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or_else(|| default_order(a, b))
    }
}

/// How a container's children are ordered when no criteria are given.
pub(crate) type Order = fn(&Object, &Object) -> Ordering;

/// The default order of a container of this kind: tracks of an album by disc and track number,
/// albums by name and then date, everything else by [`default_order`].
pub(crate) fn order_of(kind: &Kind) -> Order {
    match kind {
        Kind::Album { .. } => track_order,
        Kind::Artist | Kind::Shelf(super::Shelf::Albums) => album_order,
        Kind::Playlist => playlist_order,
        _ => default_order,
    }
}

/// A playlist's own order: every pair ties, and sorts keep ties in stored order.
fn playlist_order(_: &Object, _: &Object) -> Ordering {
    Ordering::Equal
}

/// Disc number (missing counts as 0), then track number (numbered first), then the default.
fn track_order(a: &Object, b: &Object) -> Ordering {
    let tags = |o: &Object| o.as_item().and_then(|i| i.tags()).map(|t| (t.disc, t.track));
    let (da, ta) = tags(a).unwrap_or_default();
    let (db, tb) = tags(b).unwrap_or_default();
    da.unwrap_or(0)
        .cmp(&db.unwrap_or(0))
        .then_with(|| option_cmp(ta, tb, |x, y| x.cmp(&y)))
        .then_with(|| default_order(a, b))
}

/// Album name (case-folded), then date (dated first, earliest first), then the default.
fn album_order(a: &Object, b: &Object) -> Ordering {
    fn date(o: &Object) -> Option<&str> {
        match o.as_container().map(|c| &c.kind) {
            Some(Kind::Album { date }) => date.as_deref(),
            _ => None,
        }
    }
    fold_cmp(a.title(), b.title())
        .then_with(|| option_cmp(date(a), date(b), str::cmp))
        .then_with(|| default_order(a, b))
}

/// The default order: containers first, then case-folded title, then raw name.
pub(crate) fn default_order(a: &Object, b: &Object) -> Ordering {
    let is_item = |o: &Object| matches!(o.node, Node::Item(_));
    is_item(a)
        .cmp(&is_item(b))
        .then_with(|| fold_cmp(a.title(), b.title()))
        .then_with(|| a.name.cmp(&b.name))
}

/// Compares two strings case-insensitively, character by character through [`fold`].
fn fold_cmp(a: &str, b: &str) -> Ordering {
    a.chars().map(fold).cmp(b.chars().map(fold))
}

/// A small case fold: the lowercase of an uppercase letter of ASCII, Latin-1, Latin
/// Extended-A, basic Greek and Cyrillic, computed rather than looked up (core's full Unicode
/// lowercase table is 11.7 KB of the firmware's flash); every other character is itself.
///
/// It agrees with `char::to_lowercase` on those blocks, except that `İ` (U+0130, lowercase
/// `i` plus a combining dot) folds to a plain `i`.
fn fold(c: char) -> char {
    let u = u32::from(c);
    let lower = match u {
        // ASCII, Latin-1 (but `×`), Greek (but the unassigned U+03A2) and Cyrillic А..Я:
        // the lowercase is 32 code points on.
        0x41..=0x5A | 0xC0..=0xDE | 0x391..=0x3AB | 0x410..=0x42F if u != 0xD7 && u != 0x3A2 => {
            u + 32
        }
        // Cyrillic Ѐ..Џ.
        0x400..=0x40F => u + 80,
        0x130 => u32::from(b'i'),
        0x178 => 0xFF,
        // Latin Extended-A: each uppercase letter is followed by its lowercase, pairs start on
        // an even code point except between the two letters without case (ĸ, ŉ).
        0x100..=0x137 | 0x14A..=0x177 if u % 2 == 0 => u + 1,
        0x139..=0x148 | 0x179..=0x17E if u % 2 == 1 => u + 1,
        _ => u,
    };
    char::from_u32(lower).unwrap_or(c)
}

/// Present values first, then by `cmp`.
fn option_cmp<T>(a: Option<T>, b: Option<T>, cmp: impl FnOnce(T, T) -> Ordering) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => cmp(a, b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn compare_field(field: SortField, a: &Object, b: &Object) -> Ordering {
    fn tags(o: &Object) -> Option<&super::Tags> {
        o.as_item().and_then(|i| i.tags())
    }
    fn text(o: &Object, get: fn(&super::Tags) -> Option<&str>) -> Option<&str> {
        tags(o).and_then(get)
    }
    match field {
        SortField::Title => fold_cmp(a.title(), b.title()),
        SortField::Class => class_of(a).cmp(class_of(b)),
        SortField::Artist | SortField::Creator => {
            option_cmp(text(a, |t| t.artist.as_deref()), text(b, |t| t.artist.as_deref()), fold_cmp)
        }
        SortField::Album => {
            option_cmp(text(a, |t| t.album.as_deref()), text(b, |t| t.album.as_deref()), fold_cmp)
        }
        SortField::Genre => {
            option_cmp(text(a, |t| t.genre.as_deref()), text(b, |t| t.genre.as_deref()), fold_cmp)
        }
        SortField::Date => {
            option_cmp(text(a, |t| t.date.as_deref()), text(b, |t| t.date.as_deref()), str::cmp)
        }
        SortField::TrackNumber => {
            option_cmp(tags(a).and_then(|t| t.track), tags(b).and_then(|t| t.track), |x, y| {
                x.cmp(&y)
            })
        }
    }
}

/// The UPnP class Rill gives an object.
pub fn class_of(object: &Object) -> &'static str {
    match &object.node {
        Node::Container(c) => match c.kind {
            Kind::Artist => "object.container.person.musicArtist",
            Kind::Album { .. } => "object.container.album.musicAlbum",
            Kind::Genre => "object.container.genre.musicGenre",
            Kind::Playlist => "object.container.playlistContainer",
            Kind::Shelf(_) | Kind::Served { .. } | Kind::Folder { .. } => {
                "object.container.storageFolder"
            }
        },
        Node::Item(item) => item.format.upnp_class(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where `fold` changes a character, it gives what std's full Unicode lowercase gives.
    #[test]
    fn fold_agrees_with_unicode_lowercase_where_it_folds() {
        let mut folded = 0;
        for c in (0..0x500).filter_map(char::from_u32) {
            let mut std_lower = c.to_lowercase();
            let first = std_lower.next();
            if c == '\u{130}' {
                assert_eq!(fold(c), 'i');
                continue;
            }
            if fold(c) != c {
                folded += 1;
                assert_eq!((first, std_lower.next()), (Some(fold(c)), None), "{c:?}");
            } else if c < '\u{180}' || matches!(c, '\u{391}'..='\u{3AB}' | '\u{400}'..='\u{42F}') {
                // Inside the folded blocks, a character left alone has no lowercase.
                assert_eq!(first, Some(c), "{c:?}");
            }
        }
        // A..Z, 30 of Latin-1, 62 of Extended-A (İ apart), 26 Greek (24 letters, Ϊ, Ϋ), and
        // 48 Cyrillic.
        assert_eq!(folded, 26 + 30 + 62 + 26 + 48);
    }

    /// Accented titles sort case-insensitively among their unaccented neighbours' order.
    #[test]
    fn accented_titles_sort_case_insensitively() {
        let mut titles = ["Zoë", "élan", "Éclair", "ÉLAN", "eagle", "Œuvre", "œil", "Ångström"];
        titles.sort_by(|a, b| fold_cmp(a, b).then_with(|| a.cmp(b)));
        assert_eq!(titles, ["eagle", "Zoë", "Ångström", "Éclair", "ÉLAN", "élan", "œil", "Œuvre"]);
        assert_eq!(fold_cmp("ŁÓDŹ", "łódź"), Ordering::Equal);
        assert_eq!(fold_cmp("ΑΘΗΝΑ", "αθηνα"), Ordering::Equal);
        assert_eq!(fold_cmp("МОСКВА", "москва"), Ordering::Equal);
    }
}
