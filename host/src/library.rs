//! Building the core's [`Library`] from what the scanner found.
//!
//! Each served root becomes a folder under Folders, named after the directory; every scanned
//! folder and file is inserted by `(root index, relative path)`. The library itself decides what
//! is media (by extension) and ignores the rest. Names that are not UTF-8 cannot be shown or put
//! in a URL, so they are skipped and counted.
//!
//! Ogg Vorbis files are read with the core's [`probe::vorbis`] (headers and a bisection over
//! pages, no decoding) before they are inserted, so each track appears at once where its tags
//! put it in the music tree; their exact length makes the transcoded L16 and WAV renditions
//! possible. A file that cannot be read as Vorbis is still listed, as the file it is, and
//! counted. Other audio formats get their tags and play time from [`crate::tags`].

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{anyhow, Result};
use embedded_io_adapters::std::FromStd;
use rill_core::dlna::{MediaFormat, MediaKind};
use rill_core::library::{probe, Details, FileInfo, Library};

use crate::scan::{Entry, Kind, Scan};
use crate::storage::Storage;

/// What [`build`] put in, for the start-up log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Media files the library accepted.
    pub media: usize,
    /// Ogg Vorbis files whose headers were read.
    pub vorbis: usize,
    /// Ogg files that could not be read as Vorbis (listed as plain files).
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
    let root = root_index(entry.root)?;
    let Some(rel) = slash_path(&entry.path) else {
        counts.not_utf8 += 1;
        tracing::warn!(path = %entry.path.display(), "skipped: name is not UTF-8");
        return Ok(());
    };
    let inserted = match entry.kind {
        Kind::Dir => library.insert_folder(root, &rel).map(|_| ()),
        Kind::File { size, modified } => {
            let mtime =
                modified.and_then(|m| m.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs());
            let file = FileInfo { size, mtime };
            let known = library
                .lookup_path(root, &rel)
                .and_then(|id| library.get(id)?.as_item())
                .is_some_and(|item| item.file == file);
            if known {
                return Ok(());
            }
            // Read first, then insert with the details: the track appears directly under its
            // artist and album.
            match probe(storage, entry.root, &entry.path, &rel, counts) {
                Some(details) => library.insert_file_with(root, &rel, file, details),
                None => library.insert_file(root, &rel, file),
            }
            .map(|id| counts.media += usize::from(id.is_some()))
        }
    };
    inserted.map_err(|e| anyhow!("adding {rel}: {e}"))
}

/// Reads the details of the file at `path` if it is audio (by its name `rel`): Ogg Vorbis with
/// the core's reader, other formats with [`crate::tags`].
fn probe(
    storage: &Storage,
    root: usize,
    path: &Path,
    rel: &str,
    counts: &mut Counts,
) -> Option<Details> {
    let format = MediaFormat::from_file_name(rel)?;
    if format.kind() != MediaKind::Audio {
        return None;
    }
    if format != MediaFormat::OggVorbis {
        // Other audio: tags and play time through lofty; served as the file it is.
        return crate::tags::read(&storage.roots().get(root)?.join(path));
    }
    let details = storage
        .open(root, path)
        .map_err(|e| e.to_string())
        .and_then(|(file, _)| probe::vorbis(FromStd::new(file)).map_err(|e| e.to_string()));
    match details {
        Ok(d) => {
            counts.vorbis += 1;
            Some(d)
        }
        Err(e) => {
            counts.unreadable += 1;
            tracing::warn!(path = %path.display(), "not readable as Ogg Vorbis: {e}");
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
        let demo_root = top[0];
        assert_eq!(library.get(demo_root).unwrap().title(), "demo");
        let artists: Vec<_> = library
            .children(demo_root, &spec)
            .unwrap()
            .iter()
            .map(|&id| library.get(id).unwrap().title().to_string())
            .collect();
        assert_eq!(artists, ["Rill Ensemble", "Various Artists"]);
        let ogg = library.lookup_path(0, "Various Artists/Night Signals/02 - Lumière.ogg");
        let ogg = ogg.expect("track in the library");
        let file = library.file_ref(ogg).unwrap();
        assert_eq!(file.to_string(), "Various Artists/Night Signals/02 - Lumière.ogg");
        // Its tags and exact length were read: compared with what oggenc was given and what
        // ogginfo-independent `oggdec` decodes.
        let item = library.get(ogg).unwrap().as_item().unwrap();
        let tags = item.details.tags.as_deref().expect("tags");
        assert_eq!(tags.title.as_deref(), Some("Lumière"));
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("demo/Various Artists/Night Signals/02 - Lumière.ogg");
        let out = std::process::Command::new("oggdec")
            .args(["-Q", "-R", "-o", "-"])
            .arg(&path)
            .output()
            .expect("oggdec (vorbis-tools) runs");
        let audio = item.details.audio.expect("audio properties");
        let frames = out.stdout.len() as u64 / (2 * u64::from(audio.channels));
        assert_eq!(item.details.frames, Some(frames));
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
        assert_eq!(library.get(id).unwrap().as_item().unwrap().details.frames, None);
    }
}
