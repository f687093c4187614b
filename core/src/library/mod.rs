//! The media library model: a tree of containers (folders) and items (media files) that the
//! ContentDirectory browses.
//!
//! The shell's scanner (and later a file watcher) feeds it paths: [`Library::add_root`] for each
//! served folder, then [`Library::insert_folder`], [`Library::insert_file`] (or
//! [`Library::insert_file_with`] when the file was read first) and [`Library::remove_path`], all
//! addressed by `(root index, relative path)` with `/` between components. The fixed
//! [`Shelf`] containers hold everything: Music (artists, albums, genres and all tracks, built
//! from tags, see [`music`]), Video, Pictures, Playlists (see [`playlist`]: the shell files
//! each `.m3u`/`.m3u8`/`.pls` with [`Library::set_playlist`]), and Folders with one container
//! per served folder, named by the shell; under it are sub-folders, media files (recognised by
//! extension, hidden names skipped) and playlists. Subtitle files beside videos are no objects:
//! each folder keeps their names, and `Library::subtitles` gives a video its own (see
//! `sidecar`; feature `subtitles`).
//! Every object gets a stable [`ObjectId`] hashed from its path, so ids survive restarts and do
//! not depend on scan order; the library computes it from the path when needed rather than
//! keeping it in the object (see `derived.rs`). URLs never carry paths: the server maps an id back to a
//! [`FileRef`] (root index + relative path) that the shell opens.
//!
//! Each change bumps [`Library::system_update_id`] and the update id of every container whose
//! children changed. Lookups by id are `O(1)` (a hash table of slots, see `idtable.rs`; inside
//! the library objects name each other by slot, see `store.rs`, and an insert's steps pass on
//! the objects they found by slot). Every child
//! list is kept in its container's default order as children are inserted, retagged or removed
//! (binary-search placement, see `sort::place`), so a default-order Browse borrows it and never
//! sorts. Nothing is quadratic in the size of a folder except inserting many children of one
//! container in random order (a `memmove` of the list's tail each; [`Library::batch`] appends
//! them and sorts each list once instead, as the host's index load does) and removing many
//! children of one folder one by one.

mod derived;
mod id;
mod idmap;
mod idtable;
mod item;
mod list;
pub mod music;
mod names;
mod object;
pub mod playlist;
pub mod probe;
mod shelf;
#[cfg(feature = "subtitles")]
pub mod sidecar;
mod sort;
mod store;
mod text;
mod tree;

pub(crate) use id::Hex;
pub use id::{ObjectId, MAX_PROBES};
pub use item::{Item, Tag};
pub use list::List;
pub use names::NameId;
pub(crate) use object::Node;
pub use object::{AudioProps, Container, Details, FileInfo, Kind, Object, ObjectRef, Tags};
pub use shelf::Shelf;
#[cfg(feature = "subtitles")]
pub use sidecar::{Subtitle, Subtitles, MAX_SUBTITLES};
pub use sort::{class_of, SortField, SortKey, SortSpec, MAX_SORT_KEYS};
pub(crate) use store::SlotNo;
pub use tree::{FileRef, Library, MAX_PATH_DEPTH};

use core::fmt;

/// Why a library operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The root index was never added with [`Library::add_root`].
    UnknownRoot,
    /// A relative path with an empty, `.` or `..` component, or a leading or trailing `/`.
    BadPath,
    /// More than [`MAX_PATH_DEPTH`] path components.
    PathTooDeep,
    /// No object with that id or path.
    NotFound,
    /// The object is an item where a container was needed.
    NotAContainer,
    /// The object is a container where an item was needed.
    NotAnItem,
    /// All [`MAX_PROBES`] id candidates of a path are taken by other paths.
    IdCollision,
    /// The library holds the maximum number of objects it was created with.
    Full,
    /// A sort criteria entry names an unsupported property, or there are too many.
    BadSortCriteria,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::UnknownRoot => "unknown served folder",
            Error::BadPath => "malformed relative path",
            Error::PathTooDeep => "path too deep",
            Error::NotFound => "no such object",
            Error::NotAContainer => "object is not a container",
            Error::NotAnItem => "object is not an item",
            Error::IdCollision => "object id space exhausted for this path",
            Error::Full => "library is full",
            Error::BadSortCriteria => "unsupported sort criteria",
        })
    }
}

impl core::error::Error for Error {}
