//! The served folders and confined access to the files under them.
//!
//! [`Storage`] holds the served folders (`rill serve DIR...`, and those shared or unshared
//! while running, see [`crate::share`]) and opens a file by
//! `(root index, relative path)`, the pair the library's object IDs carry. It is defense in depth
//! behind the object-ID scheme: even if an ID were forged, a request can only reach a regular,
//! non-hidden file under one of the roots. `..`, absolute paths and hidden names are refused
//! here; the open itself is one confined call relative to the folder's descriptor
//! ([`crate::confined`]), so a symlink pointing out of a root, even one put there while the
//! path is being opened, is refused, and a FIFO or device node is never waited on.
use std::fs::{self, File, Metadata};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use anyhow::{bail, Context, Result};

pub use crate::confined::Error;
use crate::confined::Folder;

/// The served folders, each in its slot: a folder's slot number is its root index in the
/// library's object ids, so it never changes while the folder is shared. A folder unshared at
/// run time leaves its slot empty (the other folders keep theirs, and so their ids); a folder
/// shared later takes the first empty slot. The roots are behind a lock so they can change
/// while connections read them; it is held only to look a root up or to change the list.
#[derive(Debug, Default)]
pub struct Storage {
    roots: RwLock<Vec<Option<Root>>>,
}

/// One served folder.
#[derive(Debug, Clone)]
pub struct Root {
    /// The path as the user gave it, made absolute (what `rill status` shows and the config
    /// file keeps).
    pub path: PathBuf,
    /// The canonical path (symbolic links resolved): what the scanner walks.
    pub canonical: PathBuf,
    /// The folder held open: what files are opened from.
    folder: Arc<Folder>,
}

impl Root {
    /// The folder at `dir` (absolute or relative to the working directory), which must be an
    /// existing directory.
    pub fn new(dir: &Path) -> Result<Root> {
        let path =
            std::path::absolute(dir).with_context(|| format!("cannot serve {}", dir.display()))?;
        let canonical =
            fs::canonicalize(&path).with_context(|| format!("cannot serve {}", dir.display()))?;
        if !canonical.is_dir() {
            bail!("cannot serve {}: not a directory", dir.display());
        }
        let folder =
            Folder::new(&canonical).with_context(|| format!("cannot serve {}", dir.display()))?;
        Ok(Root { path, canonical, folder: Arc::new(folder) })
    }
}

impl Storage {
    /// Serves `dirs` (each must be an existing directory), in slots 0, 1, ...; a folder given
    /// twice (even through another path) is served once.
    pub fn new(dirs: &[PathBuf]) -> Result<Storage> {
        let storage = Storage::default();
        for dir in dirs {
            storage.share(Root::new(dir)?);
        }
        Ok(storage)
    }

    /// The canonical path of root `root`, if that slot holds a folder.
    pub fn root(&self, root: usize) -> Option<PathBuf> {
        self.read().get(root)?.as_ref().map(|r| r.canonical.clone())
    }

    /// Every slot, empty or holding its folder's canonical path (a snapshot).
    pub fn roots(&self) -> Vec<Option<PathBuf>> {
        self.read().iter().map(|slot| slot.as_ref().map(|r| r.canonical.clone())).collect()
    }

    /// The served folders with their slot numbers (a snapshot).
    pub fn folders(&self) -> Vec<(usize, Root)> {
        self.read().iter().enumerate().filter_map(|(i, r)| Some((i, r.clone()?))).collect()
    }

    /// Serves `root` in the first empty slot. Returns its slot and `true`, or the slot of the
    /// same folder already served and `false`.
    pub fn share(&self, root: Root) -> (usize, bool) {
        let mut roots = self.roots.write().unwrap_or_else(PoisonError::into_inner);
        let same =
            roots.iter().position(|r| r.as_ref().is_some_and(|r| r.canonical == root.canonical));
        if let Some(i) = same {
            return (i, false);
        }
        match roots.iter().position(Option::is_none) {
            Some(i) => {
                if let Some(slot) = roots.get_mut(i) {
                    *slot = Some(root);
                }
                (i, true)
            }
            None => {
                roots.push(Some(root));
                (roots.len() - 1, true)
            }
        }
    }

    /// Stops serving the folder at `path` (its absolute path as shared, or any path that leads
    /// to it while it exists), emptying its slot. Returns what was served there.
    pub fn unshare(&self, path: &Path) -> Option<(usize, Root)> {
        let canonical = fs::canonicalize(path).ok();
        let mut roots = self.roots.write().unwrap_or_else(PoisonError::into_inner);
        let i = roots.iter().position(|r| {
            r.as_ref().is_some_and(|r| r.path == path || Some(&r.canonical) == canonical.as_ref())
        })?;
        let root = roots.get_mut(i)?.take()?;
        // Trailing empty slots go, so a later folder reuses the lowest number.
        while roots.last().is_some_and(Option::is_none) {
            roots.pop();
        }
        Some((i, root))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Option<Root>>> {
        self.roots.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens the regular file at `rel` under root `root`, confined to that folder.
    pub fn open(&self, root: usize, rel: &Path) -> Result<(File, Metadata), Error> {
        self.folder(root, rel)?.open(rel)
    }

    /// Opens the regular file at `rel` under root `root` as [`Storage::open`] does, if that
    /// cannot block ([`Folder::open_cached`]); `Ok(None)` if it might.
    pub fn open_cached(&self, root: usize, rel: &Path) -> Result<Option<(File, Metadata)>, Error> {
        self.folder(root, rel)?.open_cached(rel)
    }

    /// What is at `rel` under root `root` (looked up confined, never opened for reading): for
    /// the watcher, which must not open a FIFO to learn that it is one.
    pub fn stat(&self, root: usize, rel: &Path) -> Result<Metadata, Error> {
        self.folder(root, rel)?.stat(rel)
    }

    /// The folder of root `root`, if `rel` is a plain relative path without hidden names.
    fn folder(&self, root: usize, rel: &Path) -> Result<Arc<Folder>, Error> {
        let plain = rel.components().all(|c| match c {
            Component::Normal(name) => !is_hidden(name),
            Component::CurDir => true,
            _ => false,
        });
        if !plain {
            return Err(Error::BadPath);
        }
        let roots = self.read();
        let slot = roots.get(root).and_then(Option::as_ref).ok_or(Error::NoSuchRoot)?;
        Ok(Arc::clone(&slot.folder))
    }
}

/// Hidden by the Unix convention: the name starts with a dot.
pub fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::fs::symlink;

    fn tree() -> (tempfile::TempDir, Storage) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("music");
        fs::create_dir_all(root.join("album")).unwrap();
        fs::create_dir_all(root.join(".hidden")).unwrap();
        fs::write(root.join("album/track.ogg"), b"OggS-track").unwrap();
        fs::write(root.join(".hidden/x.ogg"), b"hidden").unwrap();
        fs::write(dir.path().join("secret.txt"), b"secret").unwrap();
        symlink(dir.path().join("secret.txt"), root.join("escape.ogg")).unwrap();
        symlink(root.join("album/track.ogg"), root.join("inside.ogg")).unwrap();
        let storage = Storage::new(&[root.clone(), root.join("../music")]).unwrap();
        (dir, storage)
    }

    fn read(storage: &Storage, rel: &str) -> Result<Vec<u8>, Error> {
        let (mut file, _) = storage.open(0, Path::new(rel))?;
        let mut out = Vec::new();
        file.read_to_end(&mut out).unwrap();
        Ok(out)
    }

    #[test]
    fn roots_are_canonical_and_deduplicated() {
        let (dir, storage) = tree();
        assert_eq!(storage.roots(), [Some(fs::canonicalize(dir.path().join("music")).unwrap())]);
        assert!(Storage::new(&[dir.path().join("secret.txt")]).is_err());
        assert!(Storage::new(&[dir.path().join("absent")]).is_err());
    }

    #[test]
    fn folders_come_and_go_in_stable_slots() {
        let dir = tempfile::tempdir().unwrap();
        let [a, b, c] = ["a", "b", "c"].map(|n| dir.path().join(n));
        for d in [&a, &b, &c] {
            fs::create_dir_all(d).unwrap();
        }
        let storage = Storage::new(&[a.clone(), b.clone()]).unwrap();
        // Another path to a served folder is the same folder.
        assert_eq!(storage.share(Root::new(&a.join("../a")).unwrap()), (0, false));
        let (slot, gone) = storage.unshare(&a).unwrap();
        assert_eq!((slot, gone.path), (0, a.clone()));
        assert!(storage.unshare(&a).is_none());
        // b keeps its slot; c takes the empty one.
        assert_eq!(storage.root(1), Some(fs::canonicalize(&b).unwrap()));
        assert_eq!(storage.share(Root::new(&c).unwrap()), (0, true));
        // Unshared by a path that leads to it; trailing empty slots go.
        assert_eq!(storage.unshare(&b.join(".")).map(|(i, _)| i), Some(1));
        assert_eq!(storage.roots().len(), 1);
        assert!(storage.open(1, Path::new("x")).is_err());
        assert!(Root::new(&dir.path().join("absent")).is_err());
    }

    #[test]
    fn opens_files_inside_the_root() {
        let (_dir, storage) = tree();
        assert_eq!(read(&storage, "album/track.ogg").unwrap(), b"OggS-track");
        assert_eq!(read(&storage, "./album/track.ogg").unwrap(), b"OggS-track");
        assert_eq!(read(&storage, "inside.ogg").unwrap(), b"OggS-track");
    }

    #[test]
    fn refuses_everything_else() {
        let (dir, storage) = tree();
        assert_eq!(read(&storage, "../secret.txt"), Err(Error::BadPath));
        assert_eq!(read(&storage, "album/../../secret.txt"), Err(Error::BadPath));
        let absolute = dir.path().join("secret.txt");
        assert_eq!(read(&storage, absolute.to_str().unwrap()), Err(Error::BadPath));
        assert_eq!(read(&storage, ".hidden/x.ogg"), Err(Error::BadPath));
        assert_eq!(read(&storage, "escape.ogg"), Err(Error::Outside));
        assert_eq!(read(&storage, "album"), Err(Error::NotAFile));
        assert_eq!(read(&storage, "album/none.ogg"), Err(Error::NotFound));
        assert_eq!(storage.open(1, Path::new("album/track.ogg")).err(), Some(Error::NoSuchRoot));
    }

    /// An id resolved to its relative path, then a folder on that path swapped for a link to
    /// a folder outside with the same names, then the open: it must not reach outside.
    #[test]
    fn a_swap_between_lookup_and_open_is_refused() {
        let (dir, storage) = tree();
        let rel = "album/track.ogg";
        assert_eq!(read(&storage, rel).unwrap(), b"OggS-track");
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("track.ogg"), b"secret").unwrap();
        let root = storage.root(0).unwrap();
        fs::rename(root.join("album"), dir.path().join("album-was")).unwrap();
        symlink(&outside, root.join("album")).unwrap();
        assert_eq!(read(&storage, rel), Err(Error::Outside));
        assert_eq!(storage.stat(0, Path::new(rel)).err(), Some(Error::Outside));
    }
}
