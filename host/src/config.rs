//! The config file, `$XDG_CONFIG_HOME/rill/rill.toml`: the folders Rill shares.
//!
//! ```toml
//! # The folders Rill shares (absolute paths). ...
//! folders = ["/home/ann/Music", "/home/ann/Videos", "/media/disk/Films"]
//! # Seconds between polls of the folders on network file systems (default 60).
//! poll_interval = 300
//! ```
//!
//! `rill serve` without folder arguments serves the folders of this file when it exists
//! ([`load`]); `rill share`/`rill unshare` and the D-Bus interface write it after each change
//! ([`save`], through a temporary file and a rename, so a reader never sees half a file). A
//! person may edit it too: [`watch()`] re-reads it whenever it changes and applies the
//! difference. A file that cannot be read or parsed is reported in one log line and the
//! folders shared before are kept. `poll_interval` ([`poll_interval`]) is read at start
//! (`--poll-interval` overrides it) and kept when the file is rewritten.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use nix::sys::inotify::AddWatchFlags;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::share::Sharing;

/// The file's name inside `$XDG_CONFIG_HOME/rill`.
pub const FILE_NAME: &str = "rill.toml";

/// How long the file must be quiet after a change before it is read (an editor may write it
/// in several steps).
const SETTLE: Duration = Duration::from_millis(200);

/// Largest config file read, so a wrong file (a disk image named `rill.toml`) is refused
/// instead of read into memory.
const MAX_SIZE: u64 = 1 << 20;

/// What the file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// The shared folders, absolute paths.
    #[serde(default)]
    folders: Vec<String>,
    /// Seconds between polls of the folders on network file systems ([`crate::mounts`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    poll_interval: Option<u64>,
}

/// The default config file: `$XDG_CONFIG_HOME/rill/rill.toml`, else `~/.config/rill/rill.toml`.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".config")))
        .map(|d| d.join("rill").join(FILE_NAME))
}

/// The folders listed in the file at `path`; `None` if there is no such file.
pub fn load(path: &Path) -> Result<Option<Vec<PathBuf>>> {
    read(path)?
        .map(|text| parse(&text).with_context(|| format!("in {}", path.display())))
        .transpose()
}

/// The poll interval the file at `path` sets, in seconds; `None` if it sets none or there is
/// no such file.
pub fn poll_interval(path: &Path) -> Result<Option<u64>> {
    let Some(text) = read(path)? else { return Ok(None) };
    let file: File = toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
    Ok(file.poll_interval)
}

/// The text of the file at `path`; `None` if there is no such file.
fn read(path: &Path) -> Result<Option<String>> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if meta.len() > MAX_SIZE {
        bail!("{} is larger than {MAX_SIZE} bytes: not a Rill config file", path.display());
    }
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    Ok(Some(text))
}

/// The folders of a config file's text: each must be an absolute path.
fn parse(text: &str) -> Result<Vec<PathBuf>> {
    let file: File = toml::from_str(text)?;
    let mut folders = Vec::with_capacity(file.folders.len());
    for folder in file.folders {
        let path = PathBuf::from(&folder);
        if !path.is_absolute() {
            bail!("folder {folder:?} is not an absolute path");
        }
        if !folders.contains(&path) {
            folders.push(path);
        }
    }
    Ok(folders)
}

/// Writes `folders` to the file at `path` (creating its folder), replacing it whole but for
/// the poll interval it sets, which is kept.
pub fn save(path: &Path, folders: &[PathBuf]) -> Result<()> {
    let poll_interval = poll_interval(path).ok().flatten();
    let folders = folders
        .iter()
        .map(|p| {
            p.to_str()
                .map(str::to_string)
                .with_context(|| format!("{} is not UTF-8: cannot be written", p.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let body = toml::to_string(&File { folders, poll_interval })?;
    let text = format!(
        "# The folders Rill shares (absolute paths). Rill rewrites this file when folders are\n\
         # shared or unshared (`rill share DIR`, `rill unshare DIR`), and re-reads it when it\n\
         # is edited.\n{body}"
    );
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = path.with_extension("toml.tmp");
    fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Re-reads the config file of `sharing` whenever it changes (written, replaced, created) and
/// applies its folders, until `stop` is set (like every server task, it ends only then).
/// Watches the file's folder (created if missing), since editors replace files by renaming.
pub async fn watch(sharing: Arc<Sharing>, mut stop: watch::Receiver<bool>) -> Result<()> {
    if let Some(path) = sharing.file().map(Path::to_path_buf) {
        follow(&sharing, &path, &mut stop).await;
    }
    crate::serve::stopped(&mut stop).await;
    Ok(())
}

/// [`watch`] with a file; returns early if the file cannot be watched (logged).
async fn follow(sharing: &Sharing, path: &Path, stop: &mut watch::Receiver<bool>) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return };
    let name = name.to_os_string();
    if let Err(e) = fs::create_dir_all(dir) {
        tracing::warn!(dir = %dir.display(), "config file changes are not followed: {e}");
        return;
    }
    // Names written, replaced by a rename, or deleted; not reads.
    let mask = AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_MODIFY
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_DELETE;
    let watched = crate::inotify::open().and_then(|inotify| {
        inotify.add_watch(dir, mask)?;
        Ok((crate::inotify::Reader::new(Arc::clone(&inotify))?, inotify))
    });
    let (reader, inotify) = match watched {
        Ok(watched) => watched,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), "config file changes are not followed: {e}");
            return;
        }
    };
    loop {
        let events = tokio::select! {
            events = reader.read() => events,
            () = crate::serve::stopped(stop) => return,
        };
        match events {
            // Ours, or lost (which may have been ours).
            Ok(events)
                if events.iter().any(|e| {
                    e.name.as_ref() == Some(&name) || e.mask.contains(AddWatchFlags::IN_Q_OVERFLOW)
                }) => {}
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(dir = %dir.display(), "config file changes are no longer followed: {e}");
                return;
            }
        }
        // Let the writer finish, and take the events of the same change with it.
        tokio::time::sleep(SETTLE).await;
        while inotify.read_events().is_ok() {}
        match load(path) {
            Ok(Some(folders)) => sharing.set(&folders),
            // Deleted: nothing to apply; the next write brings it back.
            Ok(None) => {}
            Err(e) => {
                tracing::warn!("config file not applied, the folders stay as they were: {e:#}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_folders_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/rill.toml");
        assert!(load(&path).unwrap().is_none());
        let folders = [PathBuf::from("/a b/Müsik"), PathBuf::from("/c \"quoted\"")];
        save(&path, &folders).unwrap();
        assert_eq!(load(&path).unwrap().unwrap(), folders);
        assert_eq!(poll_interval(&path).unwrap(), None);
        // A poll interval written by hand stays when the folders are saved again.
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, format!("{text}poll_interval = 300\n")).unwrap();
        assert_eq!(poll_interval(&path).unwrap(), Some(300));
        save(&path, &folders[..1]).unwrap();
        assert_eq!(poll_interval(&path).unwrap(), Some(300));
        assert_eq!(load(&path).unwrap().unwrap(), &folders[..1]);
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(parse("folders = [\"relative/path\"]").is_err());
        assert!(parse("folders = \"/not/a/list\"").is_err());
        assert!(parse("folder = [\"/typo\"]").is_err());
        assert!(parse("folders = [").is_err());
        assert_eq!(parse("").unwrap(), Vec::<PathBuf>::new());
        assert_eq!(parse("folders = [\"/x\", \"/x\"]").unwrap(), [PathBuf::from("/x")]);
    }
}
