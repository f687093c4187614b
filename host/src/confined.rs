//! Opening files confined to a served folder, in one call, with no check-then-open race.
//!
//! A [`Folder`] holds a directory descriptor of a served folder, taken when the folder is
//! shared. Every served file is opened relative to it by [`Folder::open`], which resolves the
//! relative path in the kernel with `openat2(2)` and `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`:
//! no `..`, no symbolic link and no `/proc` magic link can take the lookup out of the folder,
//! however the tree changes while it runs, because the check and the open are the same system
//! call. Symbolic links that stay inside the folder are followed (users have them).
//!
//! Two cases are finished by a walk in user space, one component at a time, each step an
//! `openat(2)` with `O_NOFOLLOW | O_PATH` relative to the descriptor of the folder reached so
//! far, never a path from the root of the file system:
//! - `openat2` is missing (`ENOSYS`: a kernel older than 5.6, or a sandbox that filters it);
//! - `openat2` refused with `EXDEV`: the path crossed a link that leads out, or an absolute
//!   link. An absolute link whose target is inside the folder (`/home/me/Music/a.ogg` in
//!   `/home/me/Music`) is followed from the folder's descriptor; one that leads anywhere else is
//!   refused as [`Error::Outside`], like a relative one that climbs out.
//!
//! The walk reads each link from its own `O_PATH` descriptor, so what it follows is what it
//! looked at; a component swapped for a link after it was looked at makes the final
//! `O_NOFOLLOW` open fail instead of following it.
//!
//! A file is opened with `O_NONBLOCK`, so a FIFO or a device node reached by a forged or raced
//! path can never hang the caller on `open`, and is then checked with `fstat` to be a regular
//! file ([`Error::NotAFile`] otherwise): the scanner never lists anything else, this is the
//! defence in depth. The regular file's `O_NONBLOCK` is then cleared, so reading it is plain
//! blocking I/O whatever the file system.
//!
//! [`Folder::stat`] and [`Folder::list`] look up and list the same confined way without
//! opening anything for reading, for the scanner and the watcher.
//!
//! [`Folder::open_cached`] opens a file the same confined way, but only if that cannot block,
//! so the HTTP connection can do it on its async worker (see [`crate::pool`]): the folder is
//! on a local file system ([`crate::mounts::LOCAL`], read with `fstatfs` when it is shared),
//! whose `open` sends no request anywhere, and `openat2` is also given `RESOLVE_CACHED` (the
//! lookup only from the kernel's name cache: no directory is read from the disk, Linux 5.12)
//! and `RESOLVE_NO_XDEV` (no mount point crossed, so a network or FUSE mount below a local
//! folder is never entered). Anything else (`EAGAIN`: a name not cached; `EXDEV`: a mount or
//! a link leading out; an older kernel) is left to [`Folder::open`], on the pool.
//!
//! The `nix` crate's `openat2`, `openat` and `readlinkat` are used rather than `cap-std`: `nix`
//! is already a dependency, its wrappers are safe (the host stays `deny(unsafe_code)`), and the
//! policy for absolute links inside the folder, which `cap-std` refuses, stays ours.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::AtFlags;
use nix::fcntl::{fcntl, openat, openat2, readlinkat, FcntlArg, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{fstat, fstatat, FileStat, Mode, SFlag};
use nix::sys::statfs::fstatfs;

/// Most symbolic links followed in one lookup (the kernel's own limit, `MAXSYMLINKS`).
pub const MAX_LINKS: usize = 40;

/// How often `openat2` is asked again when it answers `EAGAIN` (a rename elsewhere in the
/// tree raced the lookup) before the walk takes over.
const RETRIES: usize = 4;

/// Why a confined open refused or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The root index names no served folder.
    NoSuchRoot,
    /// The relative path is absolute, has `..`, or names a hidden file or folder.
    BadPath,
    /// The path resolves (through a symlink) to somewhere outside its folder.
    Outside,
    /// Nothing exists at the path.
    NotFound,
    /// The path names something other than a regular file (a folder, FIFO, socket, device).
    NotAFile,
    /// More than [`MAX_LINKS`] symbolic links, or a magic link such as `/proc/self/fd/0`.
    Links,
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
            Error::Links => f.write_str("too many symbolic links, or a magic link"),
            Error::Io(kind) => write!(f, "I/O error: {kind}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e.raw_os_error().map(Errno::from_raw) {
            Some(errno) => errno.into(),
            None if e.kind() == io::ErrorKind::NotFound => Error::NotFound,
            None => Error::Io(e.kind()),
        }
    }
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Self {
        match e {
            Errno::ENOENT | Errno::ENOTDIR => Error::NotFound,
            Errno::EXDEV => Error::Outside,
            Errno::ELOOP => Error::Links,
            e => Error::Io(io::Error::from(e).kind()),
        }
    }
}

/// One name in a [`Folder::list`]ing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The name in its folder.
    pub name: OsString,
    /// What the name itself is (`fstatat` without following it, relative to the listed
    /// folder's descriptor); `None` for a symbolic link, to be followed with [`Folder::stat`].
    pub stat: Option<Stat>,
}

/// What a lookup tells of a name: what the scanner needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// A folder.
    pub is_dir: bool,
    /// A regular file (neither this nor a folder: a FIFO, socket or device node).
    pub is_file: bool,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time, where the file system records one.
    pub modified: Option<SystemTime>,
    /// Device and inode: what tells a folder reached twice from another.
    pub id: (u64, u64),
}

impl From<&Metadata> for Stat {
    fn from(meta: &Metadata) -> Stat {
        Stat {
            is_dir: meta.is_dir(),
            is_file: meta.is_file(),
            size: meta.len(),
            modified: meta.modified().ok(),
            id: (meta.dev(), meta.ino()),
        }
    }
}

impl From<&FileStat> for Stat {
    fn from(st: &FileStat) -> Stat {
        let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
        let modified = u64::try_from(st.st_mtime).ok().and_then(|secs| {
            let nanos = u32::try_from(st.st_mtime_nsec).unwrap_or(0);
            UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
        });
        Stat {
            is_dir: kind == SFlag::S_IFDIR,
            is_file: kind == SFlag::S_IFREG,
            size: u64::try_from(st.st_size).unwrap_or(0),
            modified,
            #[allow(clippy::unnecessary_cast)] // `dev_t` and `ino_t` are not u64 everywhere
            id: (st.st_dev as u64, st.st_ino as u64),
        }
    }
}

/// A served folder, held open: the directory every confined open starts from.
#[derive(Debug)]
pub struct Folder {
    fd: OwnedFd,
    /// The folder's canonical path, to recognise absolute links that stay inside it.
    canonical: PathBuf,
    /// The folder is on a local file system, where [`Folder::open_cached`] may open.
    local: bool,
}

impl Folder {
    /// Opens the folder at `canonical` (a canonical path: symbolic links resolved).
    pub fn new(canonical: &Path) -> io::Result<Folder> {
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let fd = nix::fcntl::open(canonical, flags, Mode::empty())?;
        let local = fstatfs(&fd).is_ok_and(|st| crate::mounts::is_local(st.filesystem_type()));
        Ok(Folder { fd, canonical: canonical.to_path_buf(), local })
    }

    /// Opens the regular file at `rel` (relative, `..` and links allowed as long as they stay
    /// inside the folder) for reading, with its metadata.
    pub fn open(&self, rel: &Path) -> Result<(File, Metadata), Error> {
        opened(File::from(self.resolve(rel, read_flags())?))
    }

    /// Opens the regular file at `rel` as [`Folder::open`] does, if that cannot block (see the
    /// module docs): `Ok(None)` when it might, and [`Folder::open`] must be asked instead.
    pub fn open_cached(&self, rel: &Path) -> Result<Option<(File, Metadata)>, Error> {
        if !self.local {
            return Ok(None);
        }
        let resolve = ResolveFlag::RESOLVE_BENEATH
            | ResolveFlag::RESOLVE_NO_MAGICLINKS
            | ResolveFlag::RESOLVE_NO_XDEV
            | ResolveFlag::from_bits_retain(libc::RESOLVE_CACHED);
        let how = OpenHow::new().flags(read_flags()).resolve(resolve);
        match openat2(self.fd.as_fd(), rel, how) {
            Ok(fd) => opened(File::from(fd)).map(Some),
            // Not all cached, a mount or a link out, no RESOLVE_CACHED (before Linux 5.12).
            Err(Errno::EAGAIN | Errno::EXDEV | Errno::ENOSYS | Errno::EINVAL) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The metadata of what is at `rel`, looked up confined like [`Folder::open`] but never
    /// opened for reading (an `O_PATH` descriptor), so a FIFO or device is not touched.
    pub fn stat(&self, rel: &Path) -> Result<Metadata, Error> {
        let flags = OFlag::O_PATH | OFlag::O_CLOEXEC;
        Ok(File::from(self.resolve(rel, flags)?).metadata()?)
    }

    /// The names in the folder at `rel` (looked up confined like [`Folder::open`]), without
    /// `.` and `..`, each with what it is (nothing is opened, links are not followed).
    pub fn list(&self, rel: &Path) -> Result<Vec<Listed>, Error> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let fd = self.resolve(rel, flags)?;
        let mut dir = Dir::from_fd(fd.try_clone()?)?;
        let mut out = Vec::new();
        for entry in dir.iter() {
            let entry = entry?;
            let name = entry.file_name();
            if matches!(name.to_bytes(), b"." | b"..") {
                continue;
            }
            let st = fstatat(fd.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
            let link = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFLNK;
            let name = OsStr::from_bytes(name.to_bytes()).to_os_string();
            out.push(Listed { name, stat: (!link).then(|| Stat::from(&st)) });
        }
        Ok(out)
    }

    /// `rel` opened with `flags`: by `openat2`, else by [`Folder::walk`] (see the module docs).
    fn resolve(&self, rel: &Path, flags: OFlag) -> Result<OwnedFd, Error> {
        let resolve = ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS;
        let how = OpenHow::new().flags(flags).resolve(resolve);
        let path = if rel.as_os_str().is_empty() { Path::new(".") } else { rel };
        for _ in 0..RETRIES {
            match openat2(self.fd.as_fd(), path, how) {
                Ok(fd) => return Ok(fd),
                Err(Errno::EAGAIN) => continue,
                Err(Errno::ENOSYS | Errno::EXDEV) => break,
                Err(e) => return Err(e.into()),
            }
        }
        self.walk(rel, flags)
    }

    /// `rel` opened with `flags` by a walk in user space, one `O_NOFOLLOW` step at a time
    /// from the folder's descriptor (see the module docs).
    fn walk(&self, rel: &Path, flags: OFlag) -> Result<OwnedFd, Error> {
        // The folders entered so far, below the folder itself; `..` leaves the last one.
        let mut dirs: Vec<OwnedFd> = Vec::new();
        // Names still to resolve, the next one last.
        let mut todo: Vec<OsString> = Vec::new();
        push_components(&mut todo, rel)?;
        let mut links = 0;
        while let Some(name) = todo.pop() {
            if name == ".." {
                dirs.pop().ok_or(Error::Outside)?;
                continue;
            }
            let here = dirs.last().map_or(self.fd.as_fd(), AsFd::as_fd);
            let step = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
            let found = openat(here, name.as_os_str(), step, Mode::empty())?;
            let kind = SFlag::from_bits_truncate(fstat(found.as_fd())?.st_mode) & SFlag::S_IFMT;
            if kind == SFlag::S_IFLNK {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Error::Links);
                }
                let target = PathBuf::from(readlinkat(found.as_fd(), "")?);
                if target.is_absolute() {
                    let inside =
                        target.strip_prefix(&self.canonical).map_err(|_| Error::Outside)?;
                    dirs.clear();
                    push_components(&mut todo, inside)?;
                } else {
                    push_components(&mut todo, &target)?;
                }
            } else if todo.is_empty() {
                // The last name: opened for real, never through a link put there since.
                return Ok(openat(
                    here,
                    name.as_os_str(),
                    flags | OFlag::O_NOFOLLOW,
                    Mode::empty(),
                )?);
            } else if kind == SFlag::S_IFDIR {
                dirs.push(found);
            } else {
                return Err(Error::NotFound);
            }
        }
        // The path named a folder (the folder itself, or one reached by `..` or a link).
        let here = dirs.last().map_or(self.fd.as_fd(), AsFd::as_fd);
        Ok(openat(here, ".", flags, Mode::empty())?)
    }
}

/// The flags of a file opened to be read (see the module docs for `O_NONBLOCK`).
fn read_flags() -> OFlag {
    OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC
}

/// `file` (opened with [`read_flags`]) and its metadata, if it is a regular file, made to
/// block on reads as usual (a file system may heed `O_NONBLOCK`).
fn opened(file: File) -> Result<(File, Metadata), Error> {
    let (file, meta) = regular(file)?;
    fcntl(file.as_fd(), FcntlArg::F_SETFL(OFlag::empty()))?;
    Ok((file, meta))
}

/// `file` and its metadata, if it is a regular file.
fn regular(file: File) -> Result<(File, Metadata), Error> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::NotAFile);
    }
    Ok((file, meta))
}

/// Pushes the names of `path` (relative) onto `todo` so that the first is popped first.
fn push_components(todo: &mut Vec<OsString>, path: &Path) -> Result<(), Error> {
    let start = todo.len();
    for component in path.components() {
        match component {
            Component::Normal(name) => todo.push(name.to_os_string()),
            Component::ParentDir => todo.push(OsString::from("..")),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return Err(Error::Outside),
        }
    }
    if let Some(pushed) = todo.get_mut(start..) {
        pushed.reverse();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Read;
    use std::os::unix::fs::{symlink, FileTypeExt};

    /// A served folder `music` in a temporary directory, beside a `secret` folder.
    fn tree() -> (tempfile::TempDir, PathBuf, Folder) {
        let dir = tempfile::tempdir().unwrap();
        let music = dir.path().join("music");
        fs::create_dir_all(music.join("album/disc")).unwrap();
        fs::create_dir_all(dir.path().join("secret")).unwrap();
        fs::write(music.join("album/track.ogg"), b"track").unwrap();
        fs::write(music.join("album/disc/deep.ogg"), b"deep").unwrap();
        fs::write(dir.path().join("secret/key"), b"secret").unwrap();
        let canonical = fs::canonicalize(&music).unwrap();
        // Links that stay inside: relative, absolute, to a folder, through `..`.
        symlink("album/track.ogg", music.join("rel.ogg")).unwrap();
        symlink(canonical.join("album/track.ogg"), music.join("abs.ogg")).unwrap();
        symlink(canonical.join("album"), music.join("abs-dir")).unwrap();
        symlink("../track.ogg", music.join("album/disc/up.ogg")).unwrap();
        // Links that lead out.
        symlink("../secret/key", music.join("rel-out")).unwrap();
        symlink(dir.path().join("secret/key"), music.join("abs-out")).unwrap();
        symlink(dir.path().join("secret"), music.join("dir-out")).unwrap();
        symlink("loop-b", music.join("loop-a")).unwrap();
        symlink("loop-a", music.join("loop-b")).unwrap();
        nix::unistd::mkfifo(&music.join("fifo"), Mode::S_IRUSR | Mode::S_IWUSR).unwrap();
        let folder = Folder::new(&canonical).unwrap();
        (dir, canonical, folder)
    }

    fn contents(opened: Result<OwnedFd, Error>) -> Result<Vec<u8>, Error> {
        let (mut file, _) = regular(File::from(opened?))?;
        let mut out = Vec::new();
        file.read_to_end(&mut out).unwrap();
        Ok(out)
    }

    /// Every case, through `openat2` and through the walk alone, with the same outcome.
    #[test]
    fn openat2_and_the_walk_agree() {
        let (_dir, _, folder) = tree();
        let cases: [(&str, Result<&[u8], Error>); 14] = [
            ("album/track.ogg", Ok(b"track")),
            ("rel.ogg", Ok(b"track")),
            ("abs.ogg", Ok(b"track")),
            ("abs-dir/disc/deep.ogg", Ok(b"deep")),
            ("album/disc/up.ogg", Ok(b"track")),
            ("album/disc/../track.ogg", Ok(b"track")),
            ("rel-out", Err(Error::Outside)),
            ("abs-out", Err(Error::Outside)),
            ("dir-out/key", Err(Error::Outside)),
            ("../music/album/track.ogg", Err(Error::Outside)),
            ("album", Err(Error::NotAFile)),
            ("fifo", Err(Error::NotAFile)),
            ("loop-a", Err(Error::Links)),
            ("album/none.ogg", Err(Error::NotFound)),
        ];
        for (rel, want) in cases {
            let want = want.map(<[u8]>::to_vec);
            let opened = folder.open(Path::new(rel)).map(|(f, _)| OwnedFd::from(f));
            assert_eq!(contents(opened), want, "openat2: {rel}");
            assert_eq!(contents(folder.walk(Path::new(rel), read_flags())), want, "walk: {rel}");
        }
    }

    /// The race the confinement exists for: the file is looked up (its id resolved to a
    /// relative path), then a folder on that path is swapped for a link leading out, then the
    /// file is opened. The open must not reach the other side.
    #[test]
    fn a_folder_swapped_for_a_link_between_lookup_and_open_is_refused() {
        let (dir, canonical, folder) = tree();
        let rel = Path::new("album/track.ogg");
        assert!(folder.open(rel).is_ok(), "looked up");
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("track.ogg"), b"not served").unwrap();
        fs::rename(canonical.join("album"), dir.path().join("moved")).unwrap();
        symlink(&outside, canonical.join("album")).unwrap();
        assert_eq!(folder.open(rel).err(), Some(Error::Outside));
        assert_eq!(folder.walk(rel, read_flags()).err(), Some(Error::Outside));
        // A relative link out is refused the same way.
        fs::remove_file(canonical.join("album")).unwrap();
        symlink("../outside", canonical.join("album")).unwrap();
        assert_eq!(folder.open(rel).err(), Some(Error::Outside));
        assert_eq!(folder.walk(rel, read_flags()).err(), Some(Error::Outside));
    }

    /// A file whose lookup the kernel has cached opens without the pool, confined as ever; a
    /// name it has never looked up is left to the pool (the lookup would read the disk), and
    /// once the pool's open has looked it up, its absence is cached too.
    #[test]
    fn only_a_cached_lookup_opens_without_the_pool() {
        let (dir, _, folder) = tree();
        assert!(folder.local, "a temporary folder is on a local file system");
        let cached = |rel: &str| folder.open_cached(Path::new(rel));
        let (mut file, meta) = cached("album/track.ogg").unwrap().expect("cached: just written");
        let mut out = Vec::new();
        file.read_to_end(&mut out).unwrap();
        assert_eq!((out.as_slice(), meta.len()), (&b"track"[..], 5));
        // Links out, `..` out, FIFOs: refused or left to the pool, never opened.
        for out in ["rel-out", "abs-out", "dir-out/key", "../music/album/track.ogg"] {
            assert!(!matches!(cached(out), Ok(Some(_))), "{out}");
        }
        assert_eq!(cached("fifo").err(), Some(Error::NotAFile));
        // Never looked up: not in the cache, so not "not found" either.
        let never = "album/never-looked-up.ogg";
        assert!(matches!(cached(never), Ok(None)));
        assert_eq!(folder.open(Path::new(never)).err(), Some(Error::NotFound));
        assert_eq!(cached(never).err(), Some(Error::NotFound), "a cached absence");
        // A folder on no local file system never opens here.
        let remote = Folder { local: false, ..Folder::new(&dir.path().join("music")).unwrap() };
        assert!(matches!(remote.open_cached(Path::new("album/track.ogg")), Ok(None)));
    }

    #[test]
    fn stat_looks_without_opening() {
        let (_dir, _, folder) = tree();
        // A FIFO is seen for what it is; opening it for reading would wait for a writer.
        assert!(folder.stat(Path::new("fifo")).unwrap().file_type().is_fifo());
        assert!(folder.stat(Path::new("abs-dir")).unwrap().is_dir());
        assert!(folder.stat(Path::new("")).unwrap().is_dir());
        assert_eq!(folder.stat(Path::new("abs-out")).err(), Some(Error::Outside));
    }

    #[test]
    fn listings_are_confined_and_say_what_each_name_is() {
        let (dir, _, folder) = tree();
        let mut names: Vec<(String, bool)> = folder
            .list(Path::new("abs-dir"))
            .unwrap()
            .into_iter()
            .map(|l| (l.name.into_string().unwrap(), l.stat.unwrap().is_file))
            .collect();
        names.sort();
        assert_eq!(names, [("disc".into(), false), ("track.ogg".into(), true)]);
        let top = folder.list(Path::new("")).unwrap();
        let kind = |name: &str| top.iter().find(|l| l.name == name).unwrap().stat;
        let fifo = kind("fifo").unwrap();
        assert!(!fifo.is_file && !fifo.is_dir, "{fifo:?}");
        assert_eq!(kind("abs-out"), None, "a link, to be followed confined");
        let real = Stat::from(&fs::metadata(dir.path().join("music/album/track.ogg")).unwrap());
        let listed = folder.list(Path::new("album")).unwrap();
        let track = listed.iter().find(|l| l.name == "track.ogg").unwrap().stat.unwrap();
        assert_eq!(track, real, "fstatat and metadata agree");
        assert_eq!(folder.list(Path::new("dir-out")).err(), Some(Error::Outside));
        assert_eq!(folder.list(Path::new("album/track.ogg")).err(), Some(Error::NotFound));
    }
}
