//! Building the core's [`Library`] from what the scanner found.
//!
//! Each served root becomes a top-level folder named after the directory; every scanned folder
//! and file is inserted by `(root index, relative path)`. The library itself decides what is
//! media (by extension) and ignores the rest. Names that are not UTF-8 cannot be shown or put in
//! a URL, so they are skipped and counted.
//!
//! INTEGRATION(tags): tags, durations and audio properties are not read yet; once an Ogg/Vorbis
//! header reader exists, feed its results to `Library::set_details` (titles then come from tags
//! instead of file names, and `res` gets duration and sample rate).

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{anyhow, Result};
use rill_core::library::{FileInfo, Library};

use crate::scan::{Kind, Scan};

/// What [`build`] put in, for the start-up log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Media files the library accepted.
    pub media: usize,
    /// Files or folders skipped because their path is not UTF-8.
    pub not_utf8: usize,
}

/// A library of `roots` (canonical, in order) holding the entries of `scan`.
pub fn build(roots: &[PathBuf], scan: &Scan) -> Result<(Library, Counts)> {
    let mut library = Library::new();
    let mut counts = Counts::default();
    for (i, root) in roots.iter().enumerate() {
        let name = root.file_name().and_then(|n| n.to_str()).unwrap_or("Music");
        library.add_root(root_index(i)?, name).map_err(|e| anyhow!("adding {name}: {e}"))?;
    }
    for entry in &scan.entries {
        let root = root_index(entry.root)?;
        let Some(rel) = slash_path(&entry.path) else {
            counts.not_utf8 += 1;
            tracing::warn!(path = %entry.path.display(), "skipped: name is not UTF-8");
            continue;
        };
        let inserted = match entry.kind {
            Kind::Dir => library.insert_folder(root, &rel).map(|_| ()),
            Kind::File { size, modified } => {
                let mtime = modified
                    .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                library.insert_file(root, &rel, FileInfo { size, mtime }).map(|id| {
                    counts.media += usize::from(id.is_some());
                })
            }
        };
        inserted.map_err(|e| anyhow!("adding {rel}: {e}"))?;
    }
    Ok((library, counts))
}

fn root_index(i: usize) -> Result<u16> {
    u16::try_from(i).map_err(|_| anyhow!("too many served folders"))
}

/// The relative path with `/` separators, if every component is UTF-8.
fn slash_path(path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = path.iter().map(|c| c.to_str()).collect();
    Some(parts?.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_core::library::ObjectId;
    use rill_core::library::SortSpec;

    #[test]
    fn the_demo_library_becomes_a_folder_tree() {
        let demo =
            std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")).unwrap();
        let scan = crate::scan::scan(std::slice::from_ref(&demo));
        let (library, counts) = build(&[demo], &scan).unwrap();
        assert_eq!(counts, Counts { media: 5, not_utf8: 0 }, "4 tracks and the cover");
        let spec = SortSpec::parse("").unwrap();
        let top = library.children(ObjectId::ROOT, &spec).unwrap();
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
        let file = library.file_ref(ogg.expect("track in the library")).unwrap();
        assert_eq!(file.to_string(), "Various Artists/Night Signals/02 - Lumière.ogg");
    }
}
