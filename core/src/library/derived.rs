//! The id an object's place gives it, computed when it is needed instead of kept in every
//! object (8 bytes each).
//!
//! An [`ObjectId`] is a hash of where an object is (see [`ObjectId`]), and the library keeps
//! everything that hash reads: [`plain_id`] recomputes it from the object and the objects
//! above it. A shelf has its constant; a served folder, folder, file or playlist the hash of
//! its root index and the names on its way up to its served folder ([`file_ref`], at most
//! [`MAX_PATH_DEPTH`] of them, the served folder's own name not among them); an artist or a
//! genre the hash of its name; an album that of its artist's name (its parent's) and its
//! own. That is the plain candidate, probe 0; an object whose id is another candidate (a
//! collision, about one pair in 2^64, or a hash of 0) or that stands where no such place is
//! (only tests build those) has its id kept beside it by the store (see `store.rs`).
//!
//! So an id stays what it was exactly as long as the names it hashes do: the store renames only
//! served folders, whose names no id reads, and a folder renamed on disk is removed and added again
//! under its new path (new ids for its subtree), as before. An object leaves the store before the
//! objects above it (see `Library::detach`), so every stored object's id can be computed. Cost: one
//! step up a level and the FNV-1a hash of the path's bytes, `O(depth)`; the id table computes an id
//! only for the entries whose tag matches (see `idtable.rs`), Browse once for each entry and its
//! parent, and the load's steps hand each other the objects they found or created by slot (`Found`,
//! see `tree.rs`) rather than look their ids up again. Measured with `library-load 1000000 300`
//! (`tests/src/bin`, a loaded machine): the load takes 1.13 to 1.22 times the CPU time it took with
//! the ids kept, and Browse pages of 100 stay at about 0.2 ms.

use super::id::PathHash;
use super::object::Body;
use super::store::SlotNo;
use super::text::Texts;
use super::tree::{Components, FileRef};
use super::{Container, Kind, Object, ObjectId, MAX_PATH_DEPTH};

/// The kind of `obj` if it is a container (its place in `containers`), `None` for an item.
fn kind_of<'a>(obj: &Object, containers: &'a [Container]) -> Option<Option<&'a Kind>> {
    match obj.body {
        Body::Container(at) => Some(Some(&containers.get(usize::try_from(at).ok()?)?.kind)),
        Body::Item(_) => Some(None),
    }
}

/// Where `obj` lives on disk, the objects above it read through `object`: its served folder's
/// index and the names from there down; `None` for an object not below a served folder.
pub(crate) fn file_ref<'a>(
    obj: &'a Object,
    object: &dyn Fn(SlotNo) -> Option<&'a Object>,
    containers: &[Container],
    texts: &'a Texts,
) -> Option<FileRef<'a>> {
    let mut components = Components::new();
    let mut cur = obj;
    // Each step moves one level up; paths are at most MAX_PATH_DEPTH deep.
    for _ in 0..=MAX_PATH_DEPTH {
        match kind_of(cur, containers)? {
            Some(Kind::Served { root, .. }) => {
                components.reverse();
                return Some(FileRef { root: *root, components });
            }
            Some(Kind::Folder { .. } | Kind::Playlist) | None => {}
            Some(_) => return None,
        }
        components.push(texts.get(cur.name)).ok()?;
        cur = object(cur.parent)?;
    }
    None
}

/// The plain id candidate (probe 0) of `obj`, from its place (see the module docs), the
/// objects above it read through `object`; `None` for an object in no place that gives an
/// id (an album outside an artist, a folder outside a served folder).
// Out of line, with the objects read through a `dyn`: one copy of the code for every caller
// saves the firmware flash (NUCLEO-H743ZI2 has a few KB to spare).
#[inline(never)]
pub(crate) fn plain_id<'a>(
    obj: &'a Object,
    object: &dyn Fn(SlotNo) -> Option<&'a Object>,
    containers: &[Container],
    texts: &'a Texts,
) -> Option<ObjectId> {
    let name = texts.get(obj.name);
    let state = match kind_of(obj, containers)? {
        Some(Kind::Shelf(shelf)) => return Some(shelf.id()),
        Some(Kind::Artist) => PathHash::tag("artist", &[name]),
        Some(Kind::Genre) => PathHash::tag("genre", &[name]),
        Some(Kind::Album { .. }) => {
            let artist = object(obj.parent)?;
            if !matches!(kind_of(artist, containers)?, Some(Kind::Artist)) {
                return None;
            }
            PathHash::tag("album", &[texts.get(artist.name), name])
        }
        Some(Kind::Served { .. } | Kind::Folder { .. } | Kind::Playlist) | None => {
            let file = file_ref(obj, object, containers, texts)?;
            let mut state = PathHash::new(file.root);
            for (i, c) in file.components().enumerate() {
                state = state.push(i == 0, c);
            }
            state
        }
    };
    Some(state.candidate(0))
}
