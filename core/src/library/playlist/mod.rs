//! Playlists: `.m3u`, `.m3u8` and `.pls` files in the served folders, shown as
//! `object.container.playlistContainer`s holding the library items they name.
//!
//! [`parse`] reads a file's text into [`Entry`]s ([`parse.rs`](parse) has the formats and
//! bounds); [`Target::of`] turns an entry's location into the paths it may mean; and
//! [`Library::resolve_entry`] finds the library item such a path names: relative to the
//! playlist's folder, or absolute inside a served folder, exactly first and then ignoring case
//! component by component; a Windows path (`C:\Users\me\Music\x.flac`) or an absolute path
//! outside every served folder is matched by its tail under the served folders (the longest
//! tail that names an item wins, MiniDLNA's "drop the first component and retry"). Entries
//! that resolve to nothing are skipped, as MiniDLNA, Gerbera and UMS do.
//!
//! [`Library::set_playlist`] files the playlist at its path: the container is a child of its
//! folder (so it shows there, and its id hashes its path like every file's, the same after a
//! restart) and is listed in [`Shelf::Playlists`] too, as albums are under their artist and in
//! Albums. Its children are the resolved items themselves, in playlist order (repeats kept), not
//! copies: a Browse renders them with the playlist as `parentID`, and they play by the same
//! `res` URL as anywhere else, the way the music tree lists tracks (see [`super::music`]).
//! MiniDLNA (`playlist.c`, under Music/Playlists `1$F`) and Gerbera (`playlists.js`) instead
//! add one object per entry whose `refID` names the item (the design notes, `tv.md`); control
//! points play either form, since they play the `res`, and a `refID` is only an attribute
//! they may follow. An item that leaves the library leaves every playlist with it; when items
//! come back, the shell resolves its playlists again.

mod parse;
mod target;

use crate::util::fold::fold_eq;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use parse::{parse, Entry, Playlist, MAX_BYTES, MAX_ENTRIES};
pub use target::{Spellings, Target};

use super::store::SlotNo;
use super::tree::{components, is_hidden, new_container, unique};
use super::{Error as LibraryError, Kind, Library, ObjectId, ObjectRef, Shelf, MAX_PATH_DEPTH};

/// A playlist file format, from the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Format {
    /// `.m3u`: (extended) M3U in UTF-8 or, failing that, Latin-1.
    M3u,
    /// `.m3u8`: (extended) M3U in UTF-8.
    M3u8,
    /// `.pls`: the INI-style PLS format.
    Pls,
}

impl Format {
    /// The format of a file named `name` (extension in any case), if it is a playlist.
    pub fn from_file_name(name: &str) -> Option<Format> {
        let (_, ext) = name.rsplit_once('.')?;
        [("m3u", Format::M3u), ("m3u8", Format::M3u8), ("pls", Format::Pls)]
            .into_iter()
            .find(|(e, _)| ext.eq_ignore_ascii_case(e))
            .map(|(_, f)| f)
    }
}

/// Why a playlist file could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The file is larger than [`MAX_BYTES`].
    TooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::TooLarge => "playlist file too large",
        })
    }
}

impl core::error::Error for Error {}

/// Where a playlist is: its served folder and the folder holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place<'a> {
    /// The served folder's index.
    pub root: u16,
    /// The folder holding the playlist, relative to the served folder (`""` for the top).
    pub dir: &'a str,
}

impl Library {
    /// The item a playlist entry at `location` names, for a playlist at `at` (see the module
    /// docs); `roots` are the served folders' absolute paths (`/` separators) by index, for
    /// absolute entries. `None` when nothing matches.
    ///
    /// Cost: a few id lookups when the path is exact; the case-insensitive walk reads the
    /// names in each folder on the way, and a foreign path tries each of its tails under each
    /// served folder (at most [`MAX_PATH_DEPTH`] tails).
    pub fn resolve_entry(
        &self,
        roots: &[(u16, &str)],
        at: Place<'_>,
        location: &str,
    ) -> Option<ObjectId> {
        Target::of(location).iter().find_map(|target| self.resolve_target(roots, at, target))
    }

    fn resolve_target(
        &self,
        roots: &[(u16, &str)],
        at: Place<'_>,
        target: &Target,
    ) -> Option<ObjectId> {
        let comps: Vec<&str> = target.components.iter().map(String::as_str).collect();
        if !target.absolute {
            let mut joined: Vec<&str> = at.dir.split('/').filter(|c| !c.is_empty()).collect();
            for c in comps {
                if c == ".." {
                    joined.pop()?;
                } else {
                    joined.push(c);
                }
            }
            return self.find_item(at.root, &joined);
        }
        if !target.foreign {
            for &(root, base) in roots {
                let base: Vec<&str> = base.split('/').filter(|c| !c.is_empty()).collect();
                if let Some(rest) = comps.strip_prefix(base.as_slice()) {
                    if let Some(id) = self.find_item(root, rest) {
                        return Some(id);
                    }
                }
            }
        }
        // A tail under a served folder, the playlist's own first; a Windows path's whole
        // (drive-less) path is its longest tail.
        let others = roots.iter().map(|r| r.0).filter(|&r| r != at.root);
        let order: Vec<u16> = core::iter::once(at.root).chain(others).collect();
        (usize::from(!target.foreign)..comps.len())
            .filter_map(|skip| comps.get(skip..))
            .find_map(|tail| order.iter().find_map(|&root| self.find_item(root, tail)))
    }

    /// The item at `comps` under served folder `root`: the exact path, else the first path
    /// that matches ignoring case (exact names preferred at each step).
    fn find_item(&self, root: u16, comps: &[&str]) -> Option<ObjectId> {
        if comps.is_empty() || comps.len() > MAX_PATH_DEPTH {
            return None;
        }
        let is_item = |id: ObjectId| self.get(id).is_some_and(ObjectRef::is_item);
        let exact = self.lookup_path(root, &comps.join("/"));
        if let Some(id) = exact.filter(|&id| is_item(id)) {
            return Some(id);
        }
        let mut cur = self.get(self.lookup_path(root, "")?)?;
        for comp in comps {
            let children = cur.children()?;
            let on_disk = |o: &ObjectRef<'_>| match o.as_container() {
                None => true,
                Some(c) => matches!(c.kind(), Kind::Folder { .. }),
            };
            let exact = children.iter().filter(on_disk).find(|o| o.name() == *comp);
            let found =
                exact.or_else(|| children.iter().filter(on_disk).find(|o| fold_eq(o.name(), comp)));
            cur = found?;
        }
        cur.is_item().then_some(cur.id())
    }

    /// Adds or updates the playlist file at `rel` under served folder `root`, holding `items`
    /// in this order (ids that are not items of the library are left out). Returns its id, or
    /// `None` when the name is not a playlist's or a component is hidden. The playlist, its
    /// folder and [`Shelf::Playlists`] change (and are evented) only when something did.
    pub fn set_playlist(
        &mut self,
        root: u16,
        rel: &str,
        items: &[ObjectId],
    ) -> Result<Option<ObjectId>, LibraryError> {
        let comps = components(rel)?;
        let Some((&name, dirs)) = comps.split_last() else { return Err(LibraryError::BadPath) };
        if Format::from_file_name(name).is_none() || is_hidden(&comps) {
            return Ok(None);
        }
        let items: Vec<SlotNo> = items
            .iter()
            .filter_map(|id| self.objects.slot_of(id))
            .filter(|&slot| self.objects.at(slot).is_some_and(ObjectRef::is_item))
            .collect();
        let (parent, state) = self.ensure_folders(root, dirs)?;
        let state = state.push(dirs.is_empty(), name);
        let mut changed = false;
        let id = match self.find(state, root, &comps) {
            Some(found) if self.is_playlist(found.id) => found.id,
            found => {
                changed = true;
                if let Some(other) = found {
                    self.detach(other.id);
                }
                let playlist = self.create(parent, state, name, new_container(Kind::Playlist))?;
                self.list(Library::shelf(Shelf::Playlists), playlist.slot);
                playlist.id
            }
        };
        if let Some(c) = self.objects.container_mut(&id) {
            if c.children != items {
                c.children = items;
                changed = true;
            }
        }
        if changed {
            self.touch_child(id);
            self.bump_system();
        }
        Ok(Some(id))
    }

    /// Whether `id` is a playlist container.
    pub(crate) fn is_playlist(&self, id: ObjectId) -> bool {
        self.get(id)
            .and_then(|o| o.as_container())
            .is_some_and(|c| matches!(c.kind(), Kind::Playlist))
    }

    /// Records that every playlist holding item `id` changed (the item's tags or file did, so
    /// what the playlist shows of it did): their update ids move and they are evented. Costs
    /// one pass over the playlists' entries, and nothing without playlists.
    pub(crate) fn touch_playlists_of(&mut self, id: ObjectId) {
        let Some(slot) = self.objects.slot_of(&id) else { return };
        let holding: Vec<ObjectId> = self
            .get(Shelf::Playlists.id())
            .and_then(ObjectRef::children)
            .map(|shelf| {
                shelf
                    .iter()
                    .filter(|p| p.as_container().is_some_and(|c| c.children.contains(&slot)))
                    .map(ObjectRef::id)
                    .collect()
            })
            .unwrap_or_default();
        for playlist in holding {
            self.touch_child(playlist);
        }
    }

    /// Takes the objects in `doomed` (about to be removed) out of [`Shelf::Playlists`] and out
    /// of every playlist that holds them.
    pub(crate) fn forget_in_playlists(&mut self, doomed: &[ObjectId]) {
        let shelf = Shelf::Playlists.id();
        let has_playlists =
            self.get(shelf).and_then(|o| o.as_container()).is_some_and(|c| c.child_count() > 0);
        if !has_playlists {
            return;
        }
        let mut doomed = doomed.to_vec();
        unique(&mut doomed);
        self.unlist(shelf, &doomed);
        let playlists: Vec<ObjectId> =
            self.get(shelf).and_then(ObjectRef::children).map(|c| c.to_vec()).unwrap_or_default();
        for playlist in playlists {
            self.unlist(playlist, &doomed);
        }
    }
}

#[cfg(test)]
mod tests;
