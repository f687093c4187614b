//! The music tree and the video and picture lists: where an item is shown besides its folder.
//!
//! Every audio item is listed in [`Shelf::AllTracks`], in its album (under its album artist)
//! and in its genre; every video in [`Shelf::Video`], every picture in [`Shelf::Pictures`]. The
//! album artist is `ALBUMARTIST`, else "Various Artists" for a track marked as part of a
//! compilation or guessed to be one (its folder holds tracks of the same album by other
//! artists, see `various.rs`), else the artist, else "Unknown Artist"; a missing album is
//! "Unknown Album"; a track without a genre is in no genre. Artist, album and genre containers
//! exist exactly while some item is in them: the last item leaving takes its album (and an
//! artist without albums, and an empty genre) away. Their ids hash their tags (see
//! [`ObjectId`]), so they are the same after a restart or rescan.
//!
//! An item listed in such a container is the same object, not a copy: the list holds its slot
//! number (4 bytes per listing, no strings), and a Browse of the container renders it with the
//! container as its `parentID`, while BrowseMetadata gives its folder. Rygel lists the items
//! of its virtual containers the same way; MiniDLNA and Gerbera instead create a second object
//! per listing with a `refID` pointing at the original, which costs a full object per track
//! and container. Control points (PS3, Xbox 360, WMP, BubbleUPnP, Kodi) navigate by the ids of
//! containers and play an item by its `res` URL, which is the same in every listing. An album
//! container is likewise listed both under its artist (its parent) and in
//! [`Shelf::Albums`]. A Search below several listings of one item returns it once.
//!
//! The art shown for an item (`upnp:albumArtURI`) is its own thumbnail when the shell has one
//! ([`super::Library::set_thumbnail`]: an embedded picture, a picture scaled down, a video
//! frame), else for a track the thumbnail of its folder's cover image (`cover.jpg`,
//! `folder.jpg`, `front.png`, `AlbumArt*.jpg`, ...); an album shows the art of its first track
//! that has some.
//!
//! Change tracking stays exact: when an item joins, leaves or changes, exactly the containers
//! it is listed in (its folder, All Tracks, its album and genre), the containers that appear or
//! disappear, and their parents' lists change update ids.

use alloc::string::String;
use alloc::vec::Vec;

use super::id::PathHash;
use super::names::{NameId, Names};
use super::tree::Found;
use super::tree::{new_container, unique};
use super::{Container, Error, Kind, Library, ObjectId, ObjectRef, Shelf, Tag};
use crate::dlna::MediaKind;

mod various;

pub(crate) use various::Groups;

/// The artist of tracks tagged with neither an album artist nor an artist.
pub const UNKNOWN_ARTIST: &str = "Unknown Artist";
/// The album of tracks without an album tag.
pub const UNKNOWN_ALBUM: &str = "Unknown Album";
/// The album artist of compilations without an album artist tag.
pub const VARIOUS_ARTISTS: &str = "Various Artists";

/// A tag value, or the fallback shown when it is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Label {
    Tag(NameId),
    Fallback(&'static str),
}

impl Label {
    /// The text shown, its tag's from `names`.
    fn as_str<'a>(&self, names: &'a Names) -> &'a str {
        match *self {
            Label::Tag(name) => names.get(name).trim(),
            Label::Fallback(s) => s,
        }
    }
}

/// One container an item is listed in besides its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slot {
    Shelf(Shelf),
    Album { artist: Label, album: Label },
    Genre(NameId),
}

/// Every container an item is listed in besides its folder.
pub(crate) type Listing = heapless::Vec<Slot, 3>;

/// An item's listing, date and compilation group before a change.
#[derive(Debug)]
pub(crate) struct Before {
    listing: Listing,
    date: Option<NameId>,
    member: Option<various::Member>,
}

/// `name` (an item's tag, read from its record decoded once for all its tags), unless it is
/// blank.
fn present(obj: ObjectRef<'_>, name: Option<NameId>) -> Option<NameId> {
    name.filter(|&id| !obj.name_text(id).trim().is_empty())
}

/// Where `obj` is listed, from its kind and tags, and whether it is guessed to be part of a
/// compilation; `None` if it is not an item.
fn listing(obj: ObjectRef<'_>, various: bool) -> Option<Listing> {
    let item = obj.as_item()?;
    let mut slots = Listing::new();
    // Capacity 3 holds the most slots any kind has.
    match item.format.kind() {
        MediaKind::Video => {
            let _ = slots.push(Slot::Shelf(Shelf::Video));
        }
        MediaKind::Image => {
            let _ = slots.push(Slot::Shelf(Shelf::Pictures));
        }
        MediaKind::Audio => {
            let get = |tag| present(obj, item.name(tag));
            let artist = get(Tag::AlbumArtist)
                .map(Label::Tag)
                .or_else(|| {
                    let compilation = various || item.compilation();
                    compilation.then_some(Label::Fallback(VARIOUS_ARTISTS))
                })
                .or_else(|| get(Tag::Artist).map(Label::Tag))
                .unwrap_or(Label::Fallback(UNKNOWN_ARTIST));
            let album = get(Tag::Album).map_or(Label::Fallback(UNKNOWN_ALBUM), Label::Tag);
            let _ = slots.push(Slot::Shelf(Shelf::AllTracks));
            let _ = slots.push(Slot::Album { artist, album });
            if let Some(genre) = get(Tag::Genre) {
                let _ = slots.push(Slot::Genre(genre));
            }
        }
    }
    Some(slots)
}

/// Whether a file name names a folder's cover image, and how strongly (lower wins).
fn cover_rank(name: &str) -> Option<usize> {
    const STEMS: [&str; 5] = ["cover", "folder", "front", "albumart", "album"];
    let (stem, _) = name.rsplit_once('.')?;
    STEMS.iter().position(|s| {
        stem.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s))
            && (stem.len() == s.len() || *s == "albumart")
    })
}

fn container(obj: ObjectRef<'_>) -> Option<&Container> {
    obj.as_container()
}

impl Library {
    /// The listing of item `id` as it is now (`None` if it is not an item).
    pub(crate) fn item_listing(&self, id: ObjectId) -> Option<Listing> {
        self.objects.get(&id).and_then(|obj| self.listing_of(obj))
    }

    /// The listing of `obj` as it is now (`None` if it is not an item).
    fn listing_of(&self, obj: ObjectRef<'_>) -> Option<Listing> {
        listing(obj, self.guessed_various(obj))
    }

    fn artist_id(&self, artist: &str) -> Option<Found> {
        self.find_by(PathHash::tag("artist", &[artist]), |o| {
            matches!(container(o).map(|c| &c.kind), Some(Kind::Artist)) && o.name() == artist
        })
    }

    fn album_id(&self, artist: &str, album: &str) -> Option<Found> {
        self.find_by(PathHash::tag("album", &[artist, album]), |o| {
            matches!(container(o).map(|c| &c.kind), Some(Kind::Album { .. }))
                && o.name() == album
                && self.objects.at(o.parent).is_some_and(|a| a.name() == artist)
        })
    }

    fn genre_id(&self, genre: &str) -> Option<Found> {
        self.find_by(PathHash::tag("genre", &[genre]), |o| {
            matches!(container(o).map(|c| &c.kind), Some(Kind::Genre)) && o.name() == genre
        })
    }

    /// The container of `slot`, if it exists.
    pub(crate) fn slot_id(&self, slot: &Slot) -> Option<Found> {
        match slot {
            Slot::Shelf(shelf) => Some(Library::shelf(*shelf)),
            Slot::Album { artist, album } => {
                let names = &self.objects.names;
                self.album_id(artist.as_str(names), album.as_str(names))
            }
            Slot::Genre(genre) => self.genre_id(self.objects.names.get(*genre).trim()),
        }
    }

    /// The container of `slot`, created (with its artist) if missing.
    #[inline(never)]
    fn ensure_slot(&mut self, slot: &Slot) -> Result<Found, Error> {
        if let Some(found) = self.slot_id(slot) {
            return Ok(found);
        }
        match slot {
            Slot::Shelf(shelf) => Ok(Library::shelf(*shelf)),
            Slot::Album { artist, album } => {
                // Copied, in one string: the store changes below.
                let names = &self.objects.names;
                let mut both = String::from(artist.as_str(names));
                let split = both.len();
                both.push_str(album.as_str(names));
                let (artist, album) = both.split_at(split);
                let artist_found = match self.artist_id(artist) {
                    Some(found) => found,
                    None => self.create(
                        Library::shelf(Shelf::Artists),
                        PathHash::tag("artist", &[artist]),
                        artist,
                        new_container(Kind::Artist),
                    )?,
                };
                let state = PathHash::tag("album", &[artist, album]);
                let node = new_container(Kind::Album { date: None });
                let found = self.create(artist_found, state, album, node)?;
                self.list(Library::shelf(Shelf::Albums), found.slot);
                Ok(found)
            }
            Slot::Genre(genre) => {
                let genre = String::from(self.objects.names.get(*genre).trim());
                let genre = genre.as_str();
                let state = PathHash::tag("genre", &[genre]);
                let genres = Library::shelf(Shelf::Genres);
                self.create(genres, state, genre, new_container(Kind::Genre))
            }
        }
    }

    /// How item `id` is listed now, for [`Library::relist`] after it changes.
    pub(crate) fn before(&self, id: ObjectId) -> Option<Before> {
        let obj = self.objects.get(&id)?;
        self.before_as(obj, self.guessed_various(obj), various::member(obj))
    }

    /// [`Library::before`] with the compilation guess `various` and group `member` given.
    fn before_as(
        &self,
        obj: ObjectRef<'_>,
        various: bool,
        member: Option<various::Member>,
    ) -> Option<Before> {
        // `listing` is `None` for a container.
        let date = obj.name_id(Tag::Date);
        Some(Before { listing: listing(obj, various)?, date, member })
    }

    /// Moves item `id` from the containers it was listed in (`old`) to those of its current
    /// listing: it leaves the ones it is no longer in, joins the new ones, and the ones it
    /// stays in record that it changed. If that changes the compilation guess of its album, the
    /// album's other tracks move too.
    pub(crate) fn relist(&mut self, item: Found, old: Option<Before>) -> Result<(), Error> {
        let (old, old_date, member) =
            old.map_or((Listing::new(), None, None), |b| (b.listing, b.date, b.member));
        let (flips, various) = self.regroup(item.slot, member);
        let obj = self.objects.at(item.slot);
        let new = obj.and_then(|obj| listing(obj, various)).unwrap_or_default();
        let date = obj.and_then(|o| o.name_id(Tag::Date));
        let gone: Vec<(ObjectId, Slot)> =
            old.iter().filter(|s| !new.contains(s)).map(|s| (item.id, s.clone())).collect();
        // Removes the containers left empty, never the item: its slot stays its own.
        self.leave_all(gone);
        for slot in &new {
            let c = if old.contains(slot) {
                let Some(c) = self.slot_id(slot) else { continue };
                self.moved(c.id, item.id);
                if old_date != date && old_date.is_some() && self.album_date(c.id) == old_date {
                    // The date that was the album's earliest moved: look at every track.
                    self.refresh_album(c.id);
                }
                c
            } else {
                let c = self.ensure_slot(slot)?;
                self.list(c, item.slot);
                c
            };
            self.note_date(c.id, date);
        }
        if new.contains(&Slot::Shelf(Shelf::Pictures)) {
            if let Some(parent) = self.objects.at(item.slot).map(ObjectRef::parent) {
                self.refresh_cover(parent);
            }
        }
        self.refile(flips, item.id)
    }

    /// Takes each item out of the container of its slot, all at once per container, and
    /// removes the albums, artists and genres left empty.
    pub(crate) fn leave_all(&mut self, pairs: Vec<(ObjectId, Slot)>) {
        // Grouped by sorting rather than in a map of sets: one B-tree type fewer on the firmware.
        let mut pairs: Vec<(ObjectId, ObjectId)> = pairs
            .into_iter()
            .filter_map(|(item, slot)| Some((self.slot_id(&slot)?.id, item)))
            .collect();
        crate::util::heapsort::sort_unstable_by(&mut pairs, Ord::cmp);
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(c, _)) = run.first() else { continue };
            // Sorted, as the pairs are.
            let gone: Vec<ObjectId> = run.iter().map(|&(_, item)| item).collect();
            let left = self.unlist(c, &gone);
            let (kind, parent) = match self.objects.get(&c) {
                Some(o) => (o.as_container().map(|c| c.kind.clone()), o.parent()),
                None => continue,
            };
            // Out of every list before out of the store: its slot is reused.
            match kind {
                Some(Kind::Album { .. }) if left == 0 => {
                    self.unlist(Shelf::Albums.id(), &[c]);
                    let artist_left = self.unlist(parent, &[c]);
                    self.objects.remove(&c);
                    if artist_left == 0 {
                        self.unlist(Shelf::Artists.id(), &[parent]);
                        self.objects.remove(&parent);
                    }
                }
                Some(Kind::Album { .. }) => self.refresh_album(c),
                Some(Kind::Genre) if left == 0 => {
                    self.unlist(Shelf::Genres.id(), &[c]);
                    self.objects.remove(&c);
                }
                _ => {}
            }
        }
    }

    fn album_date(&self, album: ObjectId) -> Option<NameId> {
        match self.objects.get(&album)?.as_container()?.kind {
            Kind::Album { date } => date,
            _ => None,
        }
    }

    /// Recomputes an album's date (the earliest of its tracks'), `O(tracks)`.
    fn refresh_album(&mut self, album: ObjectId) {
        let Some(Container { kind: Kind::Album { .. }, children, .. }) =
            self.objects.get(&album).and_then(ObjectRef::as_container)
        else {
            return;
        };
        let names = &self.objects.names;
        let earliest = children
            .iter()
            .filter_map(|&t| self.objects.at(t)?.name_id(Tag::Date))
            .min_by(|&a, &b| names.get(a).cmp(names.get(b)));
        self.set_album_date(album, earliest);
    }

    /// Lowers an album's date to `date` if that is earlier, `O(1)`.
    fn note_date(&mut self, album: ObjectId, date: Option<NameId>) {
        let Some(date) = date else { return };
        if !matches!(
            self.objects.get(&album).and_then(ObjectRef::as_container).map(|c| &c.kind),
            Some(Kind::Album { .. })
        ) {
            return;
        }
        let names = &self.objects.names;
        if self.album_date(album).is_none_or(|d| names.get(date) < names.get(d)) {
            self.set_album_date(album, Some(date));
        }
    }

    /// Sets an album's date (the album is one more user of its name); if it moved, the
    /// album's place in its artist and in Albums may have too.
    fn set_album_date(&mut self, album: ObjectId, date: Option<NameId>) {
        let old = self.album_date(album);
        if old == date {
            return;
        }
        let Some(artist) = self.objects.get(&album).map(ObjectRef::parent) else { return };
        let Some(c) = self.objects.container_mut(&album) else { return };
        c.kind = Kind::Album { date };
        if let Some(date) = date {
            self.objects.names.acquire(date);
        }
        if let Some(old) = old {
            self.objects.names.release(old);
        }
        self.moved(artist, album);
        self.moved(Shelf::Albums.id(), album);
    }

    /// Picks the cover image of `folder` among its pictures; if it changed, the tracks beside
    /// it show different art.
    pub(crate) fn refresh_cover(&mut self, folder: ObjectId) {
        let Some(c) = self.objects.get(&folder).and_then(ObjectRef::as_container) else { return };
        let current = match c.kind {
            Kind::Folder { cover } | Kind::Served { cover, .. } => cover,
            _ => return,
        };
        let best = c
            .children
            .iter()
            .filter_map(|&slot| {
                let obj = self.objects.at(slot)?;
                let item = obj.as_item()?;
                (item.format.kind() == MediaKind::Image).then_some(())?;
                // A folder's names differ: the slot never decides.
                Some((cover_rank(obj.name())?, obj.name(), slot))
            })
            .min()
            .and_then(|(_, _, slot)| self.objects.id_at(slot));
        if best == current {
            return;
        }
        if let Some(c) = self.objects.container_mut(&folder) {
            match &mut c.kind {
                Kind::Folder { cover } | Kind::Served { cover, .. } => *cover = best,
                _ => {}
            }
        }
        let shown = |id: Option<ObjectId>| {
            id.and_then(|id| self.objects.get(&id)?.as_item()).is_some_and(|i| i.thumbnail())
        };
        if shown(current) || shown(best) {
            self.touch_tracks_of(folder);
        }
    }

    /// Records that every track in `folder` changed (its art did).
    fn touch_tracks_of(&mut self, folder: ObjectId) {
        let Some(c) = self.objects.get(&folder).and_then(ObjectRef::as_container) else { return };
        let mut touched = alloc::vec![folder];
        for &child in &c.children {
            let Some(obj) = self.objects.at(child) else { continue };
            if obj.as_item().is_some_and(|item| item.format.kind() == MediaKind::Audio) {
                let listing = self.listing_of(obj).unwrap_or_default();
                touched.extend(listing.iter().filter_map(|s| Some(self.slot_id(s)?.id)));
            }
        }
        unique(&mut touched);
        for c in touched {
            self.touch_child(c);
        }
    }

    /// Records that item `id` changed where it is shown: its folder and listings, and if it is
    /// its folder's cover, wherever the tracks beside it are.
    pub(crate) fn touch_shown(&mut self, id: ObjectId) {
        let Some(obj) = self.objects.get(&id) else { return };
        let parent = obj.parent();
        let slots: Vec<ObjectId> = self
            .listing_of(obj)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| Some(self.slot_id(s)?.id))
            .collect();
        self.touch_child(parent);
        for c in slots {
            self.touch_child(c);
        }
        if self.cover_of(parent) == Some(id) {
            self.touch_tracks_of(parent);
        }
    }

    fn cover_of(&self, folder: ObjectId) -> Option<ObjectId> {
        match self.objects.get(&folder)?.as_container()?.kind {
            Kind::Folder { cover } | Kind::Served { cover, .. } => cover,
            _ => None,
        }
    }

    /// The object whose thumbnail is the art of `id` (see the module docs), if any.
    pub fn art(&self, id: ObjectId) -> Option<ObjectId> {
        let obj = self.objects.get(&id)?;
        if let Some(c) = obj.as_container() {
            return match c.kind {
                Kind::Album { .. } => {
                    c.children.iter().find_map(|&t| self.art(self.objects.id_at(t)?))
                }
                _ => None,
            };
        }
        let item = obj.as_item()?;
        if item.thumbnail() {
            Some(id)
        } else if item.format.kind() == MediaKind::Audio {
            let cover = self.cover_of(obj.parent())?;
            self.objects.get(&cover)?.as_item()?.thumbnail().then_some(cover)
        } else {
            None
        }
    }

    /// The album artist of an album container (its parent's name).
    pub fn album_artist(&self, album: ObjectId) -> Option<&str> {
        let obj = self.objects.get(&album)?;
        matches!(obj.as_container()?.kind, Kind::Album { .. })
            .then(|| self.objects.at(obj.parent).map(ObjectRef::name))
            .flatten()
    }
}

#[cfg(test)]
mod tests;
