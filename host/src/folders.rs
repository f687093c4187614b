//! Where things live on disk when the command line does not say: the music to serve, the state
//! (device identity) and the cache (the unpacked demo library).
//!
//! Follows the XDG base directory and user-dirs conventions: the music folder is
//! `$XDG_MUSIC_DIR` if set, else the `XDG_MUSIC_DIR` entry of `user-dirs.dirs` (what
//! `xdg-user-dir MUSIC` prints). Unlike `xdg-user-dir`, a missing entry does not fall back to the
//! home directory: serving all of `$HOME` by accident would be a privacy bug, so Rill serves its
//! built-in demo library instead.

use std::env;
use std::path::PathBuf;

use anyhow::Result;

/// The user's music folder, if one is configured, exists, and is not the home folder itself.
pub fn music_dir() -> Option<PathBuf> {
    let from_env = env::var_os("XDG_MUSIC_DIR").filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = from_env.or_else(dirs::audio_dir)?;
    let home = dirs::home_dir();
    (dir.is_dir() && Some(&dir) != home.as_ref()).then_some(dir)
}

/// The folders to serve when none were given: the music folder, else the unpacked demo.
pub fn default_roots(cache_dir: &std::path::Path) -> Result<Vec<PathBuf>> {
    if let Some(music) = music_dir() {
        tracing::info!(dir = %music.display(), "no folder given: serving the XDG music folder");
        return Ok(vec![music]);
    }
    let demo = crate::demo::unpack(cache_dir)?;
    tracing::info!(dir = %demo.display(), "no folder given and no music folder: serving the demo");
    Ok(vec![demo])
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
