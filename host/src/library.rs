//! Building the core's [`Library`] from what the scanner found.
//!
//! Each served root becomes a folder under Folders, named after the directory; every scanned
//! folder and file is inserted by `(root index, relative path)`. The library itself decides what
//! is media (by extension) and ignores the rest. Names that are not UTF-8 cannot be shown or put
//! in a URL, so they are skipped and counted.
//!
//! Ogg Vorbis, FLAC and Ogg Opus files are read with the core's [`probe::audio`] (headers and a
//! bisection over pages, no decoding; FLAC, native or in Ogg, and Opus by its bytes) before
//! they are inserted, so each track appears at once where its tags
//! put it in the music tree; their exact length makes the transcoded L16 and WAV renditions
//! possible. A file that cannot be read so is still listed, as the file it is, and
//! counted. Other audio formats get their tags and play time from [`crate::tags`].
//!
//! [`add`] does it all on a library at hand; a library shared with the HTTP server is instead
//! filled in two steps, [`prepare`] (reads the file, no library needed) then [`insert`], so
//! that its lock is held only to insert and a Browse never waits for the disk.
//!
//! [`prepare`] calls a [`ReadHook`], if it is given one, just before it reads a new file: a
//! test that starts the server in its own process holds the scan there, one file at a time,
//! and sees that the server answers meanwhile. `rill serve` gives none.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use anyhow::{anyhow, Result};
use embedded_io_adapters::std::FromStd;
use rill_core::dlna::{MediaFormat, MediaKind};
use rill_core::library::playlist::Format;
use rill_core::library::{probe, Details, FileInfo, Library};

use crate::playlists;
use crate::scan::{Entry, Kind, Scan};
use crate::storage::Storage;

/// What [`build`] put in, for the start-up log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Media files the library accepted.
    pub media: usize,
    /// Ogg Vorbis, FLAC and Opus files whose headers were read by the core.
    pub vorbis: usize,
    /// Ogg, FLAC and Opus files the core could not read (listed as plain files).
    pub unreadable: usize,
    /// Files or folders skipped because their path is not UTF-8.
    pub not_utf8: usize,
}

/// A library of `roots` (canonical, in order) holding the entries of `scan`, with the details of
/// every Vorbis file read through `storage`.
pub fn build(roots: &[PathBuf], scan: &Scan, storage: &Storage) -> Result<(Library, Counts)> {
    let mut library = with_roots(roots)?;
    let mut counts = Counts::default();
    for entry in &scan.entries {
        add(&mut library, entry, storage, &mut counts)?;
    }
    // Playlists once more, now that every track they may name is in.
    let playlist = |e: &&Entry| e.path.to_str().and_then(Format::from_file_name).is_some();
    for entry in scan.entries.iter().filter(playlist) {
        add(&mut library, entry, storage, &mut counts)?;
    }
    // Children in default order once, so browsing them borrows instead of sorting.
    library.tidy();
    Ok((library, counts))
}

/// An empty library with one top-level folder per root, named after the directory.
pub fn with_roots(roots: &[PathBuf]) -> Result<Library> {
    let mut library = Library::new();
    for (i, root) in roots.iter().enumerate() {
        let name = root.file_name().and_then(|n| n.to_str()).unwrap_or("Music");
        library.add_root(root_index(i)?, name).map_err(|e| anyhow!("adding {name}: {e}"))?;
    }
    Ok(library)
}

/// Adds (or updates) one scanned folder or file, reading a Vorbis file's details through
/// `storage`. A file whose size and modification time are those already in the library is
/// left alone (it was read when they were recorded).
pub fn add(
    library: &mut Library,
    entry: &Entry,
    storage: &Storage,
    counts: &mut Counts,
) -> Result<()> {
    let is_known = |root, rel: &str, file| known(library, root, rel, file);
    match prepare(entry, storage, counts, is_known, None)? {
        Some(ready) => insert(library, ready, counts),
        None => Ok(()),
    }
}

/// A scanned entry, read and ready for [`insert`].
#[derive(Debug)]
pub struct Ready {
    pub(crate) root: u16,
    pub(crate) rel: String,
    /// For a file: its identity and, if it could be read, its details.
    pub(crate) file: Option<(FileInfo, Option<Details>)>,
    /// For a playlist file: what it says (see [`crate::playlists`]).
    pub(crate) playlist: Option<Box<playlists::Parsed>>,
}

/// Whether the library holds the file at `rel` of `root` with identity `file` (then it was
/// read when that was recorded, and need not be again).
pub fn known(library: &Library, root: u16, rel: &str, file: FileInfo) -> bool {
    library
        .lookup_path(root, rel)
        .and_then(|id| library.get(id)?.as_item())
        .is_some_and(|item| item.is_file(file))
}

/// Called by [`prepare`] just before it reads a file the library does not have yet, with no
/// lock held, so that a test running the server in its own process can hold the scan at a
/// file (see the module docs).
#[derive(Clone)]
pub struct ReadHook(Arc<dyn Fn() + Send + Sync>);

impl ReadHook {
    /// A hook that runs `f` before each new file is read.
    pub fn new(f: impl Fn() + Send + Sync + 'static) -> ReadHook {
        ReadHook(Arc::new(f))
    }
}

impl fmt::Debug for ReadHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReadHook")
    }
}

impl PartialEq for ReadHook {
    /// The same hook: clones of one [`ReadHook::new`].
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ReadHook {}

/// Reads one scanned entry without the library, so no lock is held while the disk is read:
/// `None` if there is nothing to add (a name that is not UTF-8, counted, or a file that
/// `is_known` says the library already has; it is asked before the file is read). `before_read`
/// is called just before a file is read.
pub fn prepare(
    entry: &Entry,
    storage: &Storage,
    counts: &mut Counts,
    is_known: impl FnOnce(u16, &str, FileInfo) -> bool,
    before_read: Option<&ReadHook>,
) -> Result<Option<Ready>> {
    let root = root_index(entry.root)?;
    let Some(rel) = slash_path(&entry.path) else {
        counts.not_utf8 += 1;
        tracing::warn!(path = %entry.path.display(), "skipped: name is not UTF-8");
        return Ok(None);
    };
    let file = match entry.kind {
        Kind::Dir => None,
        Kind::File { size, modified, .. } => {
            let mtime =
                modified.and_then(|m| m.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs());
            let file = FileInfo { size, mtime };
            if is_known(root, &rel, file) {
                return Ok(None);
            }
            if let Some(hook) = before_read {
                (hook.0)();
            }
            if Format::from_file_name(&rel).is_some() {
                let Some(playlist) = playlists::read(storage, entry.root, &entry.path) else {
                    return Ok(None);
                };
                let parsed = playlists::Parsed { playlist, roots: playlists::roots(storage) };
                let playlist = Some(Box::new(parsed));
                return Ok(Some(Ready { root, rel, file: None, playlist }));
            }
            Some((file, probe(storage, entry.root, &entry.path, &rel, counts)))
        }
    };
    Ok(Some(Ready { root, rel, file, playlist: None }))
}

/// Puts a [`prepare`]d entry into the library: a track appears directly under its artist and
/// album, a playlist in its folder and under Playlists with the tracks it names that are
/// in the library (see [`crate::playlists`]).
pub fn insert(library: &mut Library, ready: Ready, counts: &mut Counts) -> Result<()> {
    let Ready { root, rel, file, playlist } = ready;
    if let Some(parsed) = playlist {
        return playlists::file(library, root, &rel, &parsed).map(drop);
    }
    let inserted = match file {
        None => library.insert_folder(root, &rel).map(|_| ()),
        Some((file, details)) => match details {
            Some(details) => library.insert_file_with(root, &rel, file, details),
            None => library.insert_file(root, &rel, file),
        }
        .map(|id| counts.media += usize::from(id.is_some())),
    };
    inserted.map_err(|e| anyhow!("adding {rel}: {e}"))
}

/// Reads the details of the file at `path` if it is audio (by its name `rel`): Ogg (Vorbis,
/// FLAC or Opus, as its bytes say) and FLAC with the core's readers, `.m4a` and MP3 with
/// [`crate::m4a`] and [`crate::mp3`], other formats with [`crate::tags`]; videos with
/// [`crate::video`].
fn probe(
    storage: &Storage,
    root: usize,
    path: &Path,
    rel: &str,
    counts: &mut Counts,
) -> Option<Details> {
    let format = MediaFormat::from_file_name(rel)?;
    if format.kind() == MediaKind::Video {
        return crate::video::read(storage, root, path, format);
    }
    if format.kind() != MediaKind::Audio {
        return None;
    }
    // One confined open for every reader (a link out of the folder is refused here).
    let file = storage.open(root, path);
    if !matches!(format, MediaFormat::OggVorbis | MediaFormat::Flac | MediaFormat::Opus) {
        let file = file
            .map_err(|e| tracing::warn!(path = %path.display(), "cannot read the tags: {e}"))
            .ok()?
            .0;
        if format == MediaFormat::M4a {
            return crate::m4a::read(file, path);
        }
        if format == MediaFormat::Mp3 {
            return crate::mp3::read(file, path);
        }
        // Other audio: tags and play time through lofty; served as the file it is.
        return crate::tags::read(file, path);
    }
    let details = file
        .map_err(|e| e.to_string())
        .and_then(|(file, _)| probe::audio(FromStd::new(file)).map_err(|e| e.to_string()));
    match details {
        Ok(d) => {
            counts.vorbis += 1;
            Some(d)
        }
        Err(e) => {
            counts.unreadable += 1;
            tracing::warn!(path = %path.display(), "not readable as Vorbis, FLAC or Opus: {e}");
            None
        }
    }
}

pub(crate) fn root_index(i: usize) -> Result<u16> {
    u16::try_from(i).map_err(|_| anyhow!("too many served folders"))
}

/// The relative path with `/` separators, if every component is UTF-8.
pub(crate) fn slash_path(path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = path.iter().map(|c| c.to_str()).collect();
    Some(parts?.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_core::library::{Shelf, SortSpec};

    #[test]
    fn the_demo_library_becomes_a_folder_tree() {
        let demo =
            std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")).unwrap();
        let scan = crate::scan::scan(std::slice::from_ref(&demo));
        let storage = Storage::new(std::slice::from_ref(&demo)).unwrap();
        let (library, counts) = build(&[demo], &scan, &storage).unwrap();
        assert_eq!(
            counts,
            Counts { media: 5, vorbis: 4, unreadable: 0, not_utf8: 0 },
            "4 tracks and the cover"
        );
        let spec = SortSpec::parse("").unwrap();
        let top = library.children(Shelf::Folders.id(), &spec).unwrap();
        assert_eq!(top.len(), 1);
        let demo_root = top.get(0).unwrap().id();
        assert_eq!(library.get(demo_root).unwrap().title(), "demo");
        let artists: Vec<_> = library
            .children(demo_root, &spec)
            .unwrap()
            .iter()
            .map(|o| o.title().to_string())
            .collect();
        assert_eq!(artists, ["Rill Ensemble", "Various Artists"]);
        let ogg = library.lookup_path(0, "Various Artists/Night Signals/02 - Lumière.ogg");
        let ogg = ogg.expect("track in the library");
        let file = library.file_ref(ogg).unwrap();
        assert_eq!(file.to_string(), "Various Artists/Night Signals/02 - Lumière.ogg");
        // Its tags and exact length were read: compared with what oggenc was given and what
        // ogginfo-independent `oggdec` decodes.
        let object = library.get(ogg).unwrap();
        let item = object.as_item().unwrap();
        assert!(item.is_tagged(), "tags");
        assert_eq!(object.title(), "Lumière");
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("demo/Various Artists/Night Signals/02 - Lumière.ogg");
        let out = std::process::Command::new("oggdec")
            .args(["-Q", "-R", "-o", "-"])
            .arg(&path)
            .output()
            .expect("oggdec (vorbis-tools) runs");
        let audio = item.audio().expect("audio properties");
        let frames = out.stdout.len() as u64 / (2 * u64::from(audio.channels));
        assert_eq!(item.frames(), Some(frames));
    }

    #[test]
    fn a_broken_ogg_file_is_listed_but_not_transcoded() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join("broken.ogg"), b"OggS but not really a stream").unwrap();
        let scan = crate::scan::scan(std::slice::from_ref(&root));
        let storage = Storage::new(std::slice::from_ref(&root)).unwrap();
        let (library, counts) = build(&[root], &scan, &storage).unwrap();
        assert_eq!((counts.media, counts.vorbis, counts.unreadable), (1, 0, 1));
        let id = library.lookup_path(0, "broken.ogg").unwrap();
        assert_eq!(library.get(id).unwrap().as_item().unwrap().frames(), None);
    }
}
