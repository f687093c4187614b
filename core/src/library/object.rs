//! The objects of the library: containers (folders) and items (media files).

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::ObjectId;
use crate::dlna::MediaFormat;

/// A container or an item.
///
/// Memory: `size_of::<Object>()` is 88 bytes on 64-bit hosts (checked by a test), plus the name's
/// heap block, the B-tree slot holding it (key 8 bytes, about 1.3x node overhead), 8 bytes in the
/// parent's child list, and a [`Tags`] block when tags were read: about 180 bytes per item with a
/// 30-byte name and no tags, so 100,000 items take roughly 18 MB on a 64-bit host (less on
/// 32-bit firmware, where pointers and `Box<str>` are half the size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub(crate) parent: ObjectId,
    pub(crate) name: Box<str>,
    pub(crate) node: Node,
}

/// What an object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A folder (or the root, or a served folder).
    Container(Container),
    /// A media file.
    Item(Item),
}

/// A folder: its children and update id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub(crate) children: Vec<ObjectId>,
    pub(crate) update_id: u32,
    /// Whether `children` is in the default order (see [`super::SortSpec`]).
    pub(crate) sorted: bool,
    /// For a served folder (a child of the root), its root index.
    pub(crate) root: Option<u16>,
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
    pub artist: Option<Box<str>>,
    /// Album.
    pub album: Option<Box<str>>,
    /// Genre.
    pub genre: Option<Box<str>>,
    /// Track number within the album.
    pub track: Option<u32>,
    /// Date, ISO 8601 (`2003` or `2003-05-01`) as tagged.
    pub date: Option<Box<str>>,
}

/// Details learned by reading a file, set with [`super::Library::set_details`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Details {
    /// Play time in milliseconds.
    pub duration_ms: Option<u64>,
    /// Audio properties.
    pub audio: Option<AudioProps>,
    /// Tags, if the file had any.
    pub tags: Option<Box<Tags>>,
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
}

impl Object {
    /// The id of the containing object (the root's parent is the root itself).
    pub fn parent(&self) -> ObjectId {
        self.parent
    }

    /// The file or folder name (the last path component).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Container or item data.
    pub fn node(&self) -> &Node {
        &self.node
    }

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

    /// The display title: the tagged title, else the file name without its extension, else
    /// (for containers) the folder name.
    pub fn title(&self) -> &str {
        match &self.node {
            Node::Container(_) => &self.name,
            Node::Item(item) => match item.tags().and_then(|t| t.title.as_deref()) {
                Some(title) => title,
                None => self.name.rsplit_once('.').map_or(&*self.name, |(stem, _)| stem),
            },
        }
    }
}

impl Container {
    /// The children in the library's stored order (default order once [`super::Library::tidy`]
    /// ran or when inserted in order).
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
}

impl Item {
    /// The tags, if any were read.
    pub fn tags(&self) -> Option<&Tags> {
        self.details.tags.as_deref()
    }
}
