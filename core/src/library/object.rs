//! The objects of the library: containers (folders) and items (media files).

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::num::NonZeroU16;

use super::text::{Text, Texts};
use super::{ObjectId, Shelf};
use crate::dlna::aac::AacProfile;
use crate::dlna::video::VideoProfile;
use crate::dlna::{MediaFormat, OggCodec};
use crate::media::video::Tracks;

/// A tag value shared by every item that carries it (an artist, album, genre or date): the
/// library interns these, so 1,000 tracks of one artist hold one copy of the name.
///
/// One pointer wide (an `Arc<str>` is two): [`Tags`] holds five of them, and every tagged item
/// holds a [`Tags`]. The text sits behind a second pointer, which costs one small block per
/// distinct name. Compares, orders and prints as its text.
#[derive(Clone)]
pub struct Name(Arc<Box<str>>);

impl Name {
    /// How many `Name`s share this text (the library's table counts as one).
    pub fn strong_count(this: &Name) -> usize {
        Arc::strong_count(&this.0)
    }

    /// Whether `a` and `b` are the same shared copy.
    pub fn ptr_eq(a: &Name, b: &Name) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name(Arc::new(Box::from(text)))
    }
}

impl From<alloc::string::String> for Name {
    fn from(text: alloc::string::String) -> Name {
        Name(Arc::new(text.into_boxed_str()))
    }
}

impl core::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl core::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        **self == **other
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> core::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl core::hash::Hash for Name {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl core::fmt::Debug for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&**self, f)
    }
}

impl core::fmt::Display for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self)
    }
}

/// A container or an item, as the library stores it: its name is an offset into the
/// library's text arena, so it is read through an [`ObjectRef`] ([`super::Library::get`]).
///
/// Memory: `size_of::<Object>()` is 104 bytes on 64-bit hosts (checked by a test), stored in a
/// dense slot (see `store.rs`) with about 12 bytes of id index, its name in the text arena
/// (its bytes, no heap block of its own), 8 bytes in each list showing it,
/// and a [`Tags`] block when tags were read: about 170 bytes per item with a 30-byte name and
/// no tags, so 100,000 items take roughly 17 MB on a 64-bit host (less on 32-bit firmware,
/// where pointers are half the size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub(crate) parent: ObjectId,
    pub(crate) name: Text,
    pub(crate) node: Node,
}

/// One object of a library, with what it needs to read its texts: what
/// [`super::Library::get`] hands out. Derefs to the stored [`Object`].
#[derive(Debug, Clone, Copy)]
pub struct ObjectRef<'a> {
    object: &'a Object,
    texts: &'a Texts,
}

/// What an object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A folder (or the root, or a served folder).
    Container(Container),
    /// A media file.
    Item(Item),
}

/// A container: its children, update id and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub(crate) children: Vec<ObjectId>,
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
        /// The earliest date of its tracks, ordering albums of the same name.
        date: Option<Name>,
    },
    /// A genre of the music tree; its children are tracks.
    Genre,
    /// A playlist file (`.m3u`, `.m3u8`, `.pls`) in a folder, listed in its folder and in
    /// [`Shelf::Playlists`]; its children are the items it names, in its order (see
    /// [`super::playlist`]).
    Playlist,
}

/// Size and modification time of a file as the scanner saw it.
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

/// Tags read from a file. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags {
    /// Track title; replaces the file name as the item title.
    pub title: Option<Box<str>>,
    /// Artist.
    pub artist: Option<Name>,
    /// Album artist (`ALBUMARTIST`): files the track under this artist in the music tree.
    pub album_artist: Option<Name>,
    /// Album.
    pub album: Option<Name>,
    /// Genre.
    pub genre: Option<Name>,
    /// Track number within the album (or disc).
    pub track: Option<u32>,
    /// Disc number within a multi-disc album.
    pub disc: Option<u32>,
    /// Date, ISO 8601 (`2003` or `2003-05-01`) as tagged.
    pub date: Option<Name>,
    /// Marked as part of a compilation (`COMPILATION=1`, ID3 `TCMP`, MP4 `cpil`): without an
    /// album artist, the album is filed under "Various Artists".
    pub compilation: bool,
}

impl Tags {
    /// The interned names, for [`super::Library`]'s string table.
    pub(crate) fn names_mut(&mut self) -> [&mut Option<Name>; 5] {
        [&mut self.artist, &mut self.album_artist, &mut self.album, &mut self.genre, &mut self.date]
    }
}

/// Details learned by reading a file, set with [`super::Library::set_details`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Details {
    /// Play time in milliseconds.
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
        let aac = self.aac_profile.map(AacProfile::name);
        aac.or(self.video_profile.map(VideoProfile::name))
    }

    /// Details that carry only tags.
    pub fn tagged(tags: Tags) -> Self {
        Details { tags: Some(Box::new(tags)), ..Details::default() }
    }
}

/// A media file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The format, from the file extension.
    pub format: MediaFormat,
    /// Size and modification time.
    pub file: FileInfo,
    /// What reading the file revealed.
    pub details: Details,
    /// Whether the shell has a `JPEG_TN` thumbnail of this file (its embedded picture, the
    /// image itself scaled down, or a video frame); set with
    /// [`super::Library::set_thumbnail`].
    pub thumbnail: bool,
}

impl<'a> ObjectRef<'a> {
    /// `object`, whose texts are in `texts`.
    pub(crate) fn new(object: &'a Object, texts: &'a Texts) -> Self {
        ObjectRef { object, texts }
    }

    /// The stored object.
    pub fn object(self) -> &'a Object {
        self.object
    }

    /// The id of the containing object (the root's parent is the root itself).
    pub fn parent(self) -> ObjectId {
        self.object.parent
    }

    /// The file or folder name (the last path component).
    pub fn name(self) -> &'a str {
        self.texts.get(self.object.name)
    }

    /// Container or item data.
    pub fn node(self) -> &'a Node {
        &self.object.node
    }

    /// The item data, if this is an item.
    pub fn as_item(self) -> Option<&'a Item> {
        self.object.as_item()
    }

    /// The container data, if this is a container.
    pub fn as_container(self) -> Option<&'a Container> {
        self.object.as_container()
    }

    /// The display title: the tagged title, else the file name without its extension, else
    /// (for containers) the folder name.
    pub fn title(self) -> &'a str {
        let name = self.name();
        match &self.object.node {
            Node::Container(Container { kind: Kind::Playlist, .. }) => stem(name),
            Node::Container(_) => name,
            Node::Item(item) => match item.tags().and_then(|t| t.title.as_deref()) {
                Some(title) => title,
                None => stem(name),
            },
        }
    }
}

impl PartialEq for ObjectRef<'_> {
    /// The same parent, name and node.
    fn eq(&self, other: &Self) -> bool {
        self.parent() == other.parent()
            && self.name() == other.name()
            && self.node() == other.node()
    }
}

impl Eq for ObjectRef<'_> {}

impl core::ops::Deref for ObjectRef<'_> {
    type Target = Object;

    fn deref(&self) -> &Object {
        self.object
    }
}

impl Object {
    /// The item data, if this is an item.
    pub fn as_item(&self) -> Option<&Item> {
        match &self.node {
            Node::Item(item) => Some(item),
            Node::Container(_) => None,
        }
    }

    /// The container data, if this is a container.
    pub fn as_container(&self) -> Option<&Container> {
        match &self.node {
            Node::Container(c) => Some(c),
            Node::Item(_) => None,
        }
    }
}

/// A file name without its extension.
fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

impl Container {
    /// The children in the container's default order (see [`super::SortSpec`]; a playlist's
    /// own order for a playlist).
    pub fn children(&self) -> &[ObjectId] {
        &self.children
    }

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

impl Item {
    /// The tags, if any were read.
    pub fn tags(&self) -> Option<&Tags> {
        self.details.tags.as_deref()
    }
}
