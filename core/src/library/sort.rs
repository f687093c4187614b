//! Sort orders for a container's children: the default order and UPnP `SortCriteria`.

use crate::util::fold::fold_cmp;
use core::cmp::Ordering;

use super::{Error, Kind, ObjectRef, Shelf, Tag};

mod batch;
mod place;

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
    pub fn compare(&self, a: ObjectRef<'_>, b: ObjectRef<'_>) -> Ordering {
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
pub(crate) type Order = fn(ObjectRef<'_>, ObjectRef<'_>) -> Ordering;

/// The default order of a container of this kind: tracks of an album by disc and track number,
/// albums by name and then date, a playlist's entries and the fixed shelves of the root and of
/// Music as stored, everything else by [`default_order`]. Every child list is kept in its
/// container's order (see `place`).
pub(crate) fn order_of(kind: &Kind) -> Order {
    match kind {
        Kind::Album { .. } => track_order,
        Kind::Artist | Kind::Shelf(Shelf::Albums) => album_order,
        Kind::Playlist | Kind::Shelf(Shelf::Root | Shelf::Music) => stored_order,
        _ => default_order,
    }
}

/// A playlist's own order, and the fixed order of the shelves: every pair ties, and sorts and
/// insertions keep ties in stored order.
fn stored_order(_: ObjectRef<'_>, _: ObjectRef<'_>) -> Ordering {
    Ordering::Equal
}

/// Disc number (missing counts as 0), then track number (numbered first), then the default.
fn track_order(a: ObjectRef<'_>, b: ObjectRef<'_>) -> Ordering {
    let tags = |o: ObjectRef<'_>| o.as_item().map(|i| (i.disc(), i.track()));
    let (da, ta) = tags(a).unwrap_or_default();
    let (db, tb) = tags(b).unwrap_or_default();
    da.unwrap_or(0)
        .cmp(&db.unwrap_or(0))
        .then_with(|| option_cmp(ta, tb, |x, y| x.cmp(&y)))
        .then_with(|| default_order(a, b))
}

/// Album name (case-folded), then date (dated first, earliest first), then the default, then
/// the artist's id: albums of the same name and date by different artists never tie, so their
/// order does not depend on when each one's date settled (a scan and an index load, which
/// sorts once at its end, agree; see `batch`).
fn album_order(a: ObjectRef<'_>, b: ObjectRef<'_>) -> Ordering {
    fold_cmp(a.title(), b.title())
        .then_with(|| option_cmp(a.album_date(), b.album_date(), str::cmp))
        .then_with(|| default_order(a, b))
        .then_with(|| a.parent().cmp(&b.parent()))
}

/// The default order: containers first, then case-folded title, then raw name.
pub(crate) fn default_order(a: ObjectRef<'_>, b: ObjectRef<'_>) -> Ordering {
    let is_item = |o: ObjectRef<'_>| o.is_item();
    is_item(a)
        .cmp(&is_item(b))
        .then_with(|| fold_cmp(a.title(), b.title()))
        .then_with(|| a.name().cmp(b.name()))
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

fn compare_field(field: SortField, a: ObjectRef<'_>, b: ObjectRef<'_>) -> Ordering {
    let tag = |tag: Tag, cmp: fn(&str, &str) -> Ordering| option_cmp(a.tag(tag), b.tag(tag), cmp);
    match field {
        SortField::Title => fold_cmp(a.title(), b.title()),
        SortField::Class => class_of(a).cmp(class_of(b)),
        SortField::Artist | SortField::Creator => tag(Tag::Artist, fold_cmp),
        SortField::Album => tag(Tag::Album, fold_cmp),
        SortField::Genre => tag(Tag::Genre, fold_cmp),
        SortField::Date => tag(Tag::Date, str::cmp),
        SortField::TrackNumber => {
            let track = |o: ObjectRef<'_>| o.as_item().and_then(|i| i.track());
            option_cmp(track(a), track(b), |x, y| x.cmp(&y))
        }
    }
}

/// The UPnP class Rill gives an object.
pub fn class_of(object: ObjectRef<'_>) -> &'static str {
    match object.as_container() {
        Some(c) => match c.kind {
            Kind::Artist => "object.container.person.musicArtist",
            Kind::Album { .. } => "object.container.album.musicAlbum",
            Kind::Genre => "object.container.genre.musicGenre",
            Kind::Playlist => "object.container.playlistContainer",
            Kind::Shelf(_) | Kind::Served { .. } | Kind::Folder { .. } => {
                "object.container.storageFolder"
            }
        },
        None => object.as_item().map_or("object.item", |item| item.format.upnp_class()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
