//! Where things live on disk when the command line does not say: the folders to serve, the
//! state (device identity) and the cache (the unpacked demo library).
//!
//! Follows the XDG base directory and user-dirs conventions: the default folders are the
//! user's Music, Videos and Pictures folders, the `XDG_MUSIC_DIR`, `XDG_VIDEOS_DIR` and
//! `XDG_PICTURES_DIR` entries of `user-dirs.dirs` (what `xdg-user-dir MUSIC` prints; the
//! environment variable of the same name, if set, takes precedence), those that exist. Unlike
//! `xdg-user-dir`, a missing entry does not fall back to the home directory: serving all of
//! `$HOME` by accident would be a privacy bug, so with none of the three Rill serves its
//! built-in demo library instead.

use std::env;
use std::path::{Path, PathBuf};

use anyhow::Result;

/// The user's Music, Videos and Pictures folders that are configured, exist, and are not the
/// home folder itself.
pub fn media_dirs() -> Vec<PathBuf> {
    let home = dirs::home_dir();
    let mut out: Vec<PathBuf> = Vec::new();
    let wanted = [
        ("XDG_MUSIC_DIR", dirs::audio_dir as fn() -> Option<PathBuf>),
        ("XDG_VIDEOS_DIR", dirs::video_dir),
        ("XDG_PICTURES_DIR", dirs::picture_dir),
    ];
    for (var, from_file) in wanted {
        let from_env = env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from);
        let Some(dir) = from_env.or_else(from_file) else { continue };
        if dir.is_dir() && Some(&dir) != home.as_ref() && !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}

/// The folders to serve when none were given and there is no config file: the Music, Videos
/// and Pictures folders that exist (listed, so they are written to the config file with the
/// first change), else the unpacked demo (served, never listed). Returns the folders to serve
/// and whether they are the demo.
pub fn default_roots(cache_dir: &Path) -> Result<(Vec<PathBuf>, bool)> {
    let media = media_dirs();
    if !media.is_empty() {
        for dir in &media {
            tracing::info!(dir = %dir.display(), "no folder given: serving an XDG user folder");
        }
        return Ok((media, false));
    }
    let demo = crate::demo::unpack(cache_dir)?;
    tracing::info!(
        dir = %demo.display(),
        "no folder given and no Music, Videos or Pictures folder: serving the demo"
    );
    Ok((vec![demo], true))
}

/// The default cache directory: `$XDG_CACHE_HOME/rill`, else `~/.cache/rill`.
pub fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().or_else(|| dirs::home_dir().map(|h| h.join(".cache"))).map(|d| d.join("rill"))
}

/// The default state directory: `$XDG_STATE_HOME/rill`, else `~/.local/state/rill`.
pub fn default_state_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .map(|d| d.join("rill"))
}
