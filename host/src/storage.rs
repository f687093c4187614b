//! The served folders and safe access to the files under them.
//!
//! [`Storage`] holds the canonical roots (`rill serve DIR...`) and opens a file by
//! `(root index, relative path)`, the pair the library's object IDs carry. It is defense in depth
//! behind the object-ID scheme: even if an ID were forged, a request can only reach a regular,
//! non-hidden file whose canonical path is under one of the roots, so `..`, absolute paths and
//! symlinks pointing out of a root are refused.

use std::fmt;
use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The canonical roots being served.
#[derive(Debug, Clone)]
pub struct Storage {
    roots: Vec<PathBuf>,
}

/// Why [`Storage::open`] refused or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The root index names no served folder.
    NoSuchRoot,
    /// The relative path is absolute, has `..`, or names a hidden file or folder.
    BadPath,
    /// The path resolves (through a symlink) to somewhere outside its root.
    Outside,
    /// Nothing exists at the path.
    NotFound,
    /// The path names something other than a regular file.
    NotAFile,
    /// Another I/O error, such as permission denied.
    Io(io::ErrorKind),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoSuchRoot => f.write_str("no such served folder"),
            Error::BadPath => f.write_str("path is not a plain relative path"),
            Error::Outside => f.write_str("path leads outside the served folder"),
            Error::NotFound => f.write_str("no such file"),
            Error::NotAFile => f.write_str("not a regular file"),
            Error::Io(kind) => write!(f, "I/O error: {kind}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::NotFound => Error::NotFound,
            kind => Error::Io(kind),
        }
    }
}

impl Storage {
    /// Canonicalizes `dirs` (each must be an existing directory); duplicates are served once.
    pub fn new(dirs: &[PathBuf]) -> Result<Storage> {
        let mut roots: Vec<PathBuf> = Vec::with_capacity(dirs.len());
        for dir in dirs {
            let canonical =
                fs::canonicalize(dir).with_context(|| format!("cannot serve {}", dir.display()))?;
            if !canonical.is_dir() {
                bail!("cannot serve {}: not a directory", dir.display());
            }
            if !roots.contains(&canonical) {
                roots.push(canonical);
            }
        }
        if roots.is_empty() {
            bail!("no folder to serve");
        }
        Ok(Storage { roots })
    }

    /// The canonical roots, in the order given; a root's position is its index.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Opens the regular file at `rel` under root `root`.
    pub fn open(&self, root: usize, rel: &Path) -> Result<(File, Metadata), Error> {
        let base = self.roots.get(root).ok_or(Error::NoSuchRoot)?;
        let mut joined = base.clone();
        for component in rel.components() {
            match component {
                Component::Normal(name) if !is_hidden(name) => joined.push(name),
                Component::CurDir => {}
                _ => return Err(Error::BadPath),
            }
        }
        let canonical = fs::canonicalize(&joined)?;
        if !canonical.starts_with(base) {
            return Err(Error::Outside);
        }
        let file = File::open(&canonical)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(Error::NotAFile);
        }
        Ok((file, meta))
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
        assert_eq!(storage.roots(), [fs::canonicalize(dir.path().join("music")).unwrap()]);
        assert!(Storage::new(&[dir.path().join("secret.txt")]).is_err());
        assert!(Storage::new(&[dir.path().join("absent")]).is_err());
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
}
