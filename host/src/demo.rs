//! The demo library, built into the binary so `rill serve` has something to show anywhere.
//!
//! `scripts/make-demo` synthesizes a few short tagged Ogg Vorbis tracks and a cover into
//! `host/demo/`; [`FILES`] embeds them with `include_bytes!` so an installed binary needs no
//! data files. [`unpack`] writes them to `<cache>/<version>/Rill demo/` (once per Rill version;
//! a file with the wrong size is rewritten) and returns that folder to serve.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

macro_rules! demo_files {
    ($($path:literal),* $(,)?) => {
        /// Every demo file: its path relative to the demo root and its contents.
        pub const FILES: &[(&str, &[u8])] =
            &[$(($path, include_bytes!(concat!("../demo/", $path)))),*];
    };
}

demo_files![
    "Rill Ensemble/First Light/01 - Morning Rill.ogg",
    "Rill Ensemble/First Light/02 - Salt & Stone.ogg",
    "Rill Ensemble/First Light/cover.jpg",
    "Various Artists/Night Signals/01 - Evening Current.ogg",
    "Various Artists/Night Signals/02 - Lumière.ogg",
];

/// Writes the demo library under `cache_dir` (if not already there) and returns its folder.
pub fn unpack(cache_dir: &Path) -> Result<PathBuf> {
    // The folder's name is what players show for it.
    let root = cache_dir.join(env!("CARGO_PKG_VERSION")).join("Rill demo");
    for (rel, bytes) in FILES {
        let path = root.join(rel);
        let up_to_date = fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64);
        if up_to_date {
            continue;
        }
        let dir = path.parent().unwrap_or(&root);
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let tmp = path.with_extension("part");
        fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_list_matches_the_demo_folder() {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
        let found = crate::scan::scan(&[demo]);
        let mut on_disk: Vec<String> = found
            .entries
            .iter()
            .filter(|e| matches!(e.kind, crate::scan::Kind::File { .. }))
            .map(|e| e.path.to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(p, _)| (*p).to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        let total: usize = FILES.iter().map(|(_, b)| b.len()).sum();
        assert!(total < 1024 * 1024, "demo library is {total} bytes");
    }

    #[test]
    fn unpacks_real_ogg_files_and_repairs_damage() {
        let cache = tempfile::tempdir().unwrap();
        let root = unpack(cache.path()).unwrap();
        let first = root.join(FILES[0].0);
        assert!(fs::read(&first).unwrap().starts_with(b"OggS"));
        fs::write(&first, b"truncated").unwrap();
        assert_eq!(unpack(cache.path()).unwrap(), root);
        assert_eq!(fs::read(&first).unwrap(), FILES[0].1);
    }
}
