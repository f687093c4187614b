//! The objects of the library: containers (folders) and items (media files).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::num::NonZeroU16;

use super::item::{dlna_profile, Tag};
use super::names::NameId;
use super::store::{Objects, SlotNo};
use super::text::Text;
use super::{Item, List, ObjectId, Shelf};
use crate::dlna::aac::AacProfile;
use crate::dlna::video::VideoProfile;
use crate::dlna::OggCodec;
use crate::media::video::Tracks;

/// A container or an item, as the library stores it: its name is an offset into the
/// library's text arena, so it is read through an [`ObjectRef`] ([`super::Library::get`]).
///
/// Memory: `size_of::<Object>()` is 16 bytes on 64-bit hosts (checked by a test: its parent's
/// 4-byte slot number, its name's 4-byte offset, what it is in 8; no id of its own, which
/// [`ObjectRef::id`] computes from its path or tags, see `derived.rs`), stored in a dense
/// slot (see `store.rs`) with 4 to 9 bytes of id index, its name and an item's record in the
/// text arena (their bytes and a length byte, no heap block of their own; 28 bytes for a
/// tagged track's record, see [`Item`]), a container in the store's table of containers,
/// 4 bytes (its slot number) in each list showing it: about 92 bytes per item with a 22-byte
/// name holding its title and four listings, so 100,000 items take roughly 9 MB on a 64-bit
/// host. `tests/tests/library_heap.rs` measures 122 heap bytes a tagged file, its share of
/// the folders, albums, artists and genres included (188 with 80-byte objects holding their
/// own ids and fixed 60-byte items, and the titles as texts of their own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its parent's slot (its own for the root).
    pub(crate) parent: SlotNo,
    pub(crate) name: Text,
    pub(crate) body: Body,
}

/// What an object is, as the store keeps it (8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// A container, at this index of the store's table of containers.
    Container(u32),
    /// An item, with its record in the text arena (see [`Item`]).
    Item(Text),
}

/// One object of a library, with the store it is in (to read its texts and follow its
/// links): what [`super::Library::get`] hands out. Derefs to the stored [`Object`].
#[derive(Debug, Clone, Copy)]
pub struct ObjectRef<'a> {
    /// Its slot, which its id is kept by when it is not the plain one (see `derived.rs`).
    slot: SlotNo,
    object: &'a Object,
    objects: &'a Objects,
}

/// What a new object is, as it is handed to the store (which keeps it as a [`Body`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// A folder (or the root, or a served folder).
    Container(Container),
    /// A media file, with its record written (see [`Objects::item`]).
    Item(Text),
}

/// A container: its children, update id and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// The children's slots (4 bytes a listing; [`ObjectRef::children`] reads them).
    pub(crate) children: Vec<SlotNo>,
    pub(crate) update_id: u32,
    pub(crate) kind: Kind,
}

/// What a container stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// One of the fixed containers: the root, Music, Artists, ..., Folders.
    Shelf(Shelf),
    /// A served folder, with its root index.
    Served {
        /// The index given to [`super::Library::add_root`].
        root: u16,
        /// The image in it that serves as album art for its tracks (`cover.jpg`, ...).
        cover: Option<ObjectId>,
    },
    /// A folder below a served folder.
    Folder {
        /// The image in it that serves as album art for its tracks (`cover.jpg`, ...).
        cover: Option<ObjectId>,
    },
    /// An artist (the album artist) of the music tree; its children are albums.
    Artist,
    /// An album of the music tree; its children are tracks in disc and track order.
    Album {
        /// The earliest date of its tracks, ordering albums of the same name (its text:
        /// [`ObjectRef::album_date`]).
        date: Option<NameId>,
    },
    /// A genre of the music tree; its children are tracks.
    Genre,
    /// A playlist file (`.m3u`, `.m3u8`, `.pls`) in a folder, listed in its folder and in
    /// [`Shelf::Playlists`]; its children are the items it names, in its order (see
    /// [`super::playlist`]).
    Playlist,
}

/// Size and modification time of a file as the scanner saw it (an item keeps the size up to
/// 2^48 - 1 bytes and the time up to `u32::MAX` seconds, in 2106: see [`Item::file`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileInfo {
    /// Size in bytes.
    pub size: u64,
    /// Modification time in seconds since the Unix epoch.
    pub mtime: u64,
}

/// Audio stream properties, filled in once a file has been read (e.g. by the Vorbis reader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioProps {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u8,
    /// Bits per sample of the source (0 when not meaningful, as for Vorbis).
    pub bits_per_sample: u8,
}

/// Tags read from a file, as a reader hands them to the library (which keeps the texts in its
/// arena and names table: see [`Item`]). Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags {
    /// Track title; replaces the file name as the item title.
    pub title: Option<Box<str>>,
    /// Artist.
    pub artist: Option<Box<str>>,
    /// Album artist (`ALBUMARTIST`): files the track under this artist in the music tree.
    pub album_artist: Option<Box<str>>,
    /// Album.
    pub album: Option<Box<str>>,
    /// Genre.
    pub genre: Option<Box<str>>,
    /// Track number within the album (or disc); the library keeps it up to 65,535.
    pub track: Option<u32>,
    /// Disc number within a multi-disc album; the library keeps it up to 65,535.
    pub disc: Option<u32>,
    /// Date, ISO 8601 (`2003` or `2003-05-01`) as tagged.
    pub date: Option<Box<str>>,
    /// Marked as part of a compilation (`COMPILATION=1`, ID3 `TCMP`, MP4 `cpil`): without an
    /// album artist, the album is filed under "Various Artists".
    pub compilation: bool,
}

/// Details learned by reading a file, set with [`super::Library::set_details`] (which keeps
/// them compactly in the [`Item`]; [`ObjectRef::details`] gives them back).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Details {
    /// Play time in milliseconds. With [`Details::frames`] and a sample rate, the library
    /// keeps only the frames and reads the play time from them, as the readers derive it (see
    /// [`Item::duration_ms`]).
    pub duration_ms: Option<u64>,
    /// Exact decoded length in frames, when the file decodes to one rate and channel count
    /// throughout (a Vorbis file whose links agree). Transcoded renditions (L16, WAV) are offered
    /// exactly when this is known, since their sizes are computed from it.
    pub frames: Option<u64>,
    /// Audio properties.
    pub audio: Option<AudioProps>,
    /// Tags, if the file had any.
    pub tags: Option<Box<Tags>>,
    /// Whether the file embeds a picture (cover art), which the shell may make a thumbnail of.
    pub picture: bool,
    /// The DLNA profile of an AAC file, from its configuration and bitrate (one byte: the
    /// per-object size is budgeted). An `.m4a` without one (ALAC, or AAC outside every
    /// profile) is served without `DLNA.ORG_PN`.
    pub aac_profile: Option<AacProfile>,
    /// A video's picture size in pixels, width and height (none over 65,535; four bytes:
    /// the per-object size is budgeted).
    pub resolution: Option<(NonZeroU16, NonZeroU16)>,
    /// A video's DLNA profile, from its container and codecs (one byte).
    pub video_profile: Option<VideoProfile>,
    /// A video's first video and audio codecs (one byte), which decide whether a player
    /// needs it remuxed and how.
    pub tracks: Option<Tracks>,
    /// The codec of an Ogg file (`.ogg`, `.oga`: Vorbis, Opus or FLAC, as its bytes say), which
    /// decides which of its versions a player gets first; `None` for other formats.
    pub ogg_codec: Option<OggCodec>,
}

impl Details {
    /// The DLNA profile reading the file named (an AAC file's or a video's), which replaces
    /// the one of its format; the same in Browse and in `contentFeatures.dlna.org`.
    pub fn dlna_profile(&self) -> Option<&'static str> {
        dlna_profile(self.aac_profile, self.video_profile)
    }

    /// Details that carry only tags.
    pub fn tagged(tags: Tags) -> Self {
        Details { tags: Some(Box::new(tags)), ..Details::default() }
    }
}

impl<'a> ObjectRef<'a> {
    /// `object`, stored in slot `slot` of `objects`.
    pub(crate) fn new(slot: SlotNo, object: &'a Object, objects: &'a Objects) -> Self {
        ObjectRef { slot, object, objects }
    }

    /// Its id, computed from its place (see `derived.rs`: a walk up its folders and a hash
    /// of its path, `O(depth)`).
    pub fn id(self) -> ObjectId {
        let id = self.objects.id_at(self.slot);
        debug_assert!(id.is_some(), "the object in {:?} has no id", self.slot);
        id.unwrap_or(ObjectId::ROOT)
    }

    /// Its slot in the store.
    pub(crate) fn slot(self) -> SlotNo {
        self.slot
    }

    /// The stored object.
    pub fn object(self) -> &'a Object {
        self.object
    }

    /// The id of the containing object (the root's parent is the root itself).
    pub fn parent(self) -> ObjectId {
        let parent = self.objects.id_at(self.object.parent);
        debug_assert!(parent.is_some(), "the parent of {:?} is gone", self.slot);
        parent.unwrap_or(ObjectId::ROOT)
    }

    /// A container's children in its default order (see [`super::SortSpec`]; a playlist's
    /// own order for a playlist); `None` for an item.
    pub fn children(self) -> Option<List<'a>> {
        let c = self.as_container()?;
        Some(List::new(self.objects, alloc::borrow::Cow::Borrowed(&c.children)))
    }

    /// The file or folder name (the last path component).
    pub fn name(self) -> &'a str {
        self.objects.texts.get(self.object.name)
    }

    /// The item data, if this is an item: decoded from its record (see [`Item`]).
    pub fn as_item(self) -> Option<Item> {
        Some(Item::read(self.record()?))
    }

    /// Whether this is an item.
    pub fn is_item(self) -> bool {
        matches!(self.object.body, Body::Item(_))
    }

    /// An item's record.
    pub(crate) fn record(self) -> Option<&'a str> {
        match self.object.body {
            Body::Item(record) => Some(self.objects.texts.get(record)),
            Body::Container(_) => None,
        }
    }

    /// The container data, if this is a container.
    pub fn as_container(self) -> Option<&'a Container> {
        match self.object.body {
            Body::Container(at) => self.objects.container(at),
            Body::Item(_) => None,
        }
    }

    /// The display title: the tagged title, else the file name without its extension, else
    /// (for containers) the folder name.
    pub fn title(self) -> &'a str {
        let name = self.name();
        match self.record() {
            Some(record) => Item::read(record).title(name, record).unwrap_or_else(|| stem(name)),
            None if self.as_container().is_some_and(|c| c.kind == Kind::Playlist) => stem(name),
            None => name,
        }
    }

    /// The id of the name an item is tagged with as `tag`; `None` for a container or an
    /// untagged item. Out of line: the item read once here for its many callers (the
    /// firmware's flash).
    #[inline(never)]
    pub(crate) fn name_id(self, tag: Tag) -> Option<NameId> {
        self.as_item()?.name(tag)
    }

    /// The text of an item's `tag`; `None` for a container or an untagged item.
    pub fn tag(self, tag: Tag) -> Option<&'a str> {
        let id = self.name_id(tag)?;
        Some(self.objects.names.get(id))
    }

    /// An album container's date: the earliest of its tracks'.
    pub fn album_date(self) -> Option<&'a str> {
        match self.as_container()?.kind {
            Kind::Album { date: Some(id) } => Some(self.objects.names.get(id)),
            _ => None,
        }
    }

    /// An item's details as they were set, rebuilt from the library's record (allocates).
    pub fn details(self) -> Option<Details> {
        let record = self.record()?;
        let item = Item::read(record);
        Some(item.details(item.title(self.name(), record), &self.objects.names))
    }

    /// Whether this is an item whose details are `given` (as [`ObjectRef::details`] would
    /// rebuild them, without rebuilding them).
    pub(crate) fn has_details(self, given: &Details) -> bool {
        let Some(record) = self.record() else { return false };
        let item = Item::read(record);
        item.has_details(item.title(self.name(), record), &self.objects.names, given)
    }

    /// The text of the shared name `id`.
    pub(crate) fn name_text(self, id: NameId) -> &'a str {
        self.objects.names.get(id)
    }
}

impl PartialEq for ObjectRef<'_> {
    /// The same parent, name and node, texts compared as texts and children as ids (so
    /// objects of two libraries compare).
    fn eq(&self, other: &Self) -> bool {
        let same_node = match (self.as_item(), other.as_item()) {
            (Some(a), Some(b)) => {
                (a.format, a.file(), a.thumbnail()) == (b.format, b.file(), b.thumbnail())
                    && self.details() == other.details()
            }
            (Some(_), None) | (None, Some(_)) => false,
            (None, None) => {
                let (Some(a), Some(b)) = (self.as_container(), other.as_container()) else {
                    return false;
                };
                let same_kind = match (&a.kind, &b.kind) {
                    (Kind::Album { .. }, Kind::Album { .. }) => {
                        self.album_date() == other.album_date()
                    }
                    (a, b) => a == b,
                };
                same_kind
                    && a.update_id == b.update_id
                    && self
                        .children()
                        .is_some_and(|x| other.children().is_some_and(|y| x.ids().eq(y.ids())))
            }
        };
        self.parent() == other.parent() && self.name() == other.name() && same_node
    }
}

impl Eq for ObjectRef<'_> {}

impl core::ops::Deref for ObjectRef<'_> {
    type Target = Object;

    fn deref(&self) -> &Object {
        self.object
    }
}

/// A file name without its extension.
fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

impl Container {
    /// The number of children.
    pub fn child_count(&self) -> usize {
        self.children.len()
    }

    /// The container's update id: increases (wrapping) whenever a child is added, removed or
    /// changed.
    pub fn update_id(&self) -> u32 {
        self.update_id
    }

    /// What the container stands for.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }
}
