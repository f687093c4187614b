//! Playlist files (`.m3u`, `.m3u8`, `.pls`) in the served folders, read and filed in the
//! library as playlist containers (see [`rill_core::library::playlist`]).
//!
//! A playlist file found by the scan or the watcher is read like a media file, with no lock
//! held ([`read`]: confined open, at most [`MAX_BYTES`], parsed by the core), then filed with
//! the library's write lock taken ([`file()`]): each entry is resolved to a library item and the
//! playlist's container gets exactly those, in order. Tracks that leave the library leave every
//! playlist at once (the core does that); tracks that arrive later are picked up by
//! [`refresh`], which reads every playlist again and is called once a scan or a batch of
//! changes has added media. Playlists are not written to the library index: their ids hash
//! their paths, so they are the same after a restart, and the start-up walk reads them again.
//! Every failure is logged with the file's path; an entry that resolves to nothing is logged at
//! debug level with its location and title.

use std::io::Read;
use std::path::Path;
use std::sync::{PoisonError, RwLock};

use anyhow::{anyhow, Result};
use rill_core::library::playlist::{self, Format, Place, Playlist, MAX_BYTES};
use rill_core::library::{Library, ObjectId, Shelf};

use crate::storage::Storage;

/// Reads and parses the playlist file at `path` of served folder `root` (its name says the
/// format); `None`, logged, if it cannot be read or is too large.
pub fn read(storage: &Storage, root: usize, path: &Path) -> Option<Playlist> {
    let format = path.file_name().and_then(|n| n.to_str()).and_then(Format::from_file_name)?;
    let warn = |e: &dyn std::fmt::Display| {
        tracing::warn!(path = %path.display(), "playlist not read: {e}");
    };
    let (file, _) = storage.open(root, path).map_err(|e| warn(&e)).ok()?;
    let mut bytes = Vec::new();
    // One byte past the limit tells a file at the limit from a larger one.
    let limit = u64::try_from(MAX_BYTES).unwrap_or(u64::MAX).saturating_add(1);
    if let Err(e) = file.take(limit).read_to_end(&mut bytes) {
        warn(&e);
        return None;
    }
    let parsed = playlist::parse(format, &bytes).map_err(|e| warn(&e)).ok()?;
    if parsed.truncated {
        tracing::warn!(
            path = %path.display(),
            kept = parsed.entries.len(),
            "playlist has more entries than are kept"
        );
    }
    Some(parsed)
}

/// A playlist parsed from disk, with what filing it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The parsed file.
    pub playlist: Playlist,
    /// The served folders' paths by index (see [`roots`]), for absolute entries.
    pub roots: Vec<(u16, String)>,
}

/// The served folders of `storage` by index, as paths for absolute entries to match.
pub fn roots(storage: &Storage) -> Vec<(u16, String)> {
    storage
        .roots()
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| Some((u16::try_from(i).ok()?, r?.to_str()?.to_string())))
        .collect()
}

/// Files the playlist `parsed` from `rel` of served folder `root` in the library, its
/// entries resolved against the library and the served folders.
pub fn file(
    library: &mut Library,
    root: u16,
    rel: &str,
    parsed: &Parsed,
) -> Result<Option<ObjectId>> {
    let Parsed { playlist, roots } = parsed;
    let roots: Vec<(u16, &str)> = roots.iter().map(|(i, r)| (*i, r.as_str())).collect();
    let dir = rel.rsplit_once('/').map_or("", |(dir, _)| dir);
    let place = Place { root, dir };
    let mut items = Vec::with_capacity(playlist.entries.len());
    for entry in &playlist.entries {
        match library.resolve_entry(&roots, place, &entry.location) {
            Some(id) => items.push(id),
            None => tracing::debug!(
                playlist = rel,
                entry = %entry.location,
                title = entry.title.as_deref().unwrap_or(""),
                "playlist entry skipped: no such track in the library"
            ),
        }
    }
    library.set_playlist(root, rel, &items).map_err(|e| anyhow!("adding playlist {rel}: {e}"))
}

/// Reads every playlist in the library again and files it anew, so that tracks added since
/// appear in it. The files are read with no lock held; the library is write-locked to file
/// each one. A playlist whose file is gone or unreadable is left as it is (the watcher removes
/// a file that is gone).
pub fn refresh(library: &RwLock<Library>, storage: &Storage) {
    let paths: Vec<(u16, String)> = {
        let lib = library.read().unwrap_or_else(PoisonError::into_inner);
        let Some(shelf) = lib.get(Shelf::Playlists.id()).and_then(|o| o.children()) else {
            return;
        };
        shelf.ids().filter_map(|id| lib.file_ref(id).map(|f| (f.root, f.to_string()))).collect()
    };
    for (root, rel) in paths {
        let Some(playlist) = read(storage, usize::from(root), Path::new(&rel)) else { continue };
        let parsed = Parsed { playlist, roots: roots(storage) };
        let mut lib = library.write().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = file(&mut lib, root, &rel, &parsed) {
            tracing::warn!(path = %rel, "could not update the playlist: {e:#}");
        }
    }
}
