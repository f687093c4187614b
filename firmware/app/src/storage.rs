//! Media storage: a FAT volume read through `embedded-sdmmc`, from an SD card on a board or from
//! a disk image in memory ([`MemoryDisk`], QEMU's PSRAM and the host simulation): the same code
//! path either way.
//!
//! Names are the long (VFAT) names where a file has one, its 8.3 name otherwise; opening a path
//! walks it component by component, matching either name. The volume manager tracks at most
//! [`MAX_FILES`] open files and [`MAX_DIRS`] open directories (fixed tables, no heap); every
//! HTTP slot holds at most one file at a time, so [`MAX_FILES`] covers the slots and a walk.
//!
//! `embedded-sdmmc` opens a file only once at a time, but players do open one file on two
//! connections at once (a seek on a new connection while the old one winds down), so every
//! [`File`] keeps its own position over one shared handle per file, counted in a fixed table
//! and closed with its last user.

use core::cell::{Cell, RefCell};
use core::fmt;
use core::ops::ControlFlow;

use alloc::string::String;
use alloc::vec::Vec;
use embedded_io::{ErrorKind, SeekFrom};
use embedded_sdmmc::{
    Block, BlockCount, BlockDevice, BlockIdx, DirEntry, LfnBuffer, Mode, RawDirectory, RawFile,
    ShortFileName, TimeSource, Timestamp, VolumeIdx, VolumeManager,
};
use heapless::Vec as Table;

/// Open directories the volume manager tracks: the root plus a walk of [`MAX_DEPTH`] levels.
pub const MAX_DIRS: usize = MAX_DEPTH + 2;
/// Open files the volume manager tracks: one per HTTP slot (8 at most) plus one for the
/// library scan.
pub const MAX_FILES: usize = 9;
/// Deepest folder nesting walked below the root.
pub const MAX_DEPTH: usize = 6;
/// Longest long file name read (UTF-8 bytes); longer names are skipped.
const LFN_CAP: usize = 255;

type Manager<D> = VolumeManager<D, NoClock, MAX_DIRS, MAX_FILES, 1>;

/// A read-only disk image in memory, in 512-byte blocks.
#[derive(Debug, Clone, Copy)]
pub struct MemoryDisk<'a>(pub &'a [u8]);

/// Why a [`MemoryDisk`] could not do what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskError {
    /// A block past the end of the image.
    OutOfRange,
    /// The image is read-only.
    ReadOnly,
}

impl fmt::Display for DiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DiskError::OutOfRange => "block past the end of the disk image",
            DiskError::ReadOnly => "the disk image is read-only",
        })
    }
}

impl core::error::Error for DiskError {}

impl BlockDevice for MemoryDisk<'_> {
    type Error = DiskError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), DiskError> {
        let first = usize::try_from(start.0).map_err(|_| DiskError::OutOfRange)?;
        for (at, block) in (first..).zip(blocks.iter_mut()) {
            let from = at.checked_mul(Block::LEN).ok_or(DiskError::OutOfRange)?;
            let bytes = self.0.get(from..from + Block::LEN).ok_or(DiskError::OutOfRange)?;
            block.contents.copy_from_slice(bytes);
        }
        Ok(())
    }

    fn write(&self, _blocks: &[Block], _start: BlockIdx) -> Result<(), DiskError> {
        Err(DiskError::ReadOnly)
    }

    fn num_blocks(&self) -> Result<BlockCount, DiskError> {
        u32::try_from(self.0.len() / Block::LEN).map(BlockCount).map_err(|_| DiskError::OutOfRange)
    }
}

/// Timestamps for the volume manager: the appliance never writes, so never needs the time.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClock;

impl TimeSource for NoClock {
    fn get_timestamp(&self) -> Timestamp {
        Timestamp::from_calendar(2000, 1, 1, 0, 0, 0).unwrap_or(Timestamp {
            year_since_1970: 30,
            zero_indexed_month: 0,
            zero_indexed_day: 0,
            hours: 0,
            minutes: 0,
            seconds: 0,
        })
    }
}

/// Why the volume could not be mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MountError {
    /// No FAT volume in the first partition (nor a partitionless FAT image).
    NoVolume,
    /// The root directory could not be opened.
    NoRoot,
}

impl fmt::Display for MountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MountError::NoVolume => "no FAT volume found",
            MountError::NoRoot => "cannot open the root directory",
        })
    }
}

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its long name, or its 8.3 name.
    pub name: String,
    /// Its 8.3 name, by which it is opened.
    short: ShortFileName,
    /// A directory (else a file).
    pub is_dir: bool,
    /// Its size in bytes (0 for directories).
    pub size: u32,
    /// Where its directory entry is: what tells one open file from another.
    at: Place,
}

/// The block and offset of a file's directory entry, as `embedded-sdmmc` tells open files
/// apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place(BlockIdx, u32);

impl Place {
    fn of(entry: &DirEntry) -> Self {
        Place(entry.entry_block, entry.entry_offset)
    }
}

/// One file open in the volume manager and how many [`File`]s read it.
#[derive(Debug, Clone, Copy)]
struct Handle {
    at: Place,
    raw: RawFile,
    users: usize,
}

/// The FAT volume the media live on.
pub struct Storage<D: BlockDevice> {
    manager: Manager<D>,
    root: RawDirectory,
    /// Files held open by transcoded streams (see [`File::hold`]).
    streams: Cell<usize>,
    /// The files open now, each shared by its readers.
    handles: RefCell<Table<Handle, MAX_FILES>>,
}

impl<D: BlockDevice> Storage<D> {
    /// Mounts the first FAT volume of `device`.
    pub fn mount(device: D) -> Result<Self, MountError> {
        let manager = Manager::new_with_limits(device, NoClock, 0);
        let volume = manager.open_raw_volume(VolumeIdx(0)).map_err(|_| MountError::NoVolume)?;
        let root = manager.open_root_dir(volume).map_err(|_| MountError::NoRoot)?;
        Ok(Storage { manager, root, streams: Cell::new(0), handles: RefCell::new(Table::new()) })
    }

    /// The entries of the directory at `path` (components from the root; empty for the root),
    /// without `.` and `..`, or `None` if it cannot be read.
    pub fn list<'p>(&self, path: impl IntoIterator<Item = &'p str>) -> Option<Vec<Entry>> {
        let dir = Dir::open(self, path)?;
        let mut entries = Vec::new();
        let mut lfn = [0u8; LFN_CAP];
        let mut lfn = LfnBuffer::new(&mut lfn);
        let listed = self.manager.iterate_dir_lfn(dir.raw, &mut lfn, |entry, long| {
            let is_dir = entry.attributes.is_directory();
            let dot = entry.name == ShortFileName::this_dir()
                || entry.name == ShortFileName::parent_dir();
            if dot || entry.attributes.is_volume() || entry.attributes.is_hidden() {
                return ControlFlow::Continue(());
            }
            let name = match long {
                Some(long) => String::from(long),
                None => short_name(&entry.name),
            };
            let at = Place::of(entry);
            entries.push(Entry { name, short: entry.name, is_dir, size: entry.size, at });
            ControlFlow::Continue(())
        });
        listed.ok().map(|()| entries)
    }

    /// Opens the file at `path` for reading, with its size; a file already open elsewhere is
    /// shared.
    pub fn open<'p>(&self, path: impl IntoIterator<Item = &'p str>) -> Option<(File<'_, D>, u64)> {
        let mut parts: Vec<&str> = path.into_iter().collect();
        let name = parts.pop()?;
        let dir = Dir::open(self, parts.iter().copied())?;
        let entry = self.find(dir.raw, name)?;
        if entry.is_dir {
            return None;
        }
        let raw = self.share(&dir, &entry)?;
        let file = File { storage: self, raw, at: entry.at, pos: 0, stream: false };
        let len = self.manager.file_length(raw).ok()?;
        Some((file, u64::from(len)))
    }

    /// The handle of `entry` (in `dir`) with one more user: the one already open, or a new one.
    fn share(&self, dir: &Dir<'_, D>, entry: &Entry) -> Option<RawFile> {
        let mut handles = self.handles.borrow_mut();
        if let Some(handle) = handles.iter_mut().find(|h| h.at == entry.at) {
            handle.users += 1;
            return Some(handle.raw);
        }
        let raw = self.manager.open_file_in_dir(dir.raw, entry.short, Mode::ReadOnly).ok()?;
        // The table has the volume manager's capacity, so a file it opened always fits.
        if handles.push(Handle { at: entry.at, raw, users: 1 }).is_err() {
            let _ = self.manager.close_file(raw);
            return None;
        }
        Some(raw)
    }

    /// One user fewer of the handle of the file at `at`; the last one closes it.
    fn release(&self, at: Place) {
        let mut handles = self.handles.borrow_mut();
        let Some(i) = handles.iter().position(|h| h.at == at) else { return };
        let Some(handle) = handles.get_mut(i) else { return };
        handle.users = handle.users.saturating_sub(1);
        if handle.users == 0 {
            let _ = self.manager.close_file(handle.raw);
            handles.swap_remove(i);
        }
    }

    /// The entry called `name` (long or 8.3 name) in `dir`.
    fn find(&self, dir: RawDirectory, name: &str) -> Option<Entry> {
        let mut found = None;
        let mut lfn = [0u8; LFN_CAP];
        let mut lfn = LfnBuffer::new(&mut lfn);
        let searched = self.manager.iterate_dir_lfn(dir, &mut lfn, |entry, long| {
            let short = short_name(&entry.name);
            if long == Some(name) || short.eq_ignore_ascii_case(name) {
                found = Some(Entry {
                    name: String::from(name),
                    short: entry.name,
                    is_dir: entry.attributes.is_directory(),
                    size: entry.size,
                    at: Place::of(entry),
                });
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        searched.ok().and(found)
    }
}

/// The 8.3 name as text (`NAME.EXT`, or `NAME` without an extension).
fn short_name(name: &ShortFileName) -> String {
    let mut text = String::new();
    let base = core::str::from_utf8(name.base_name()).unwrap_or("");
    let ext = core::str::from_utf8(name.extension()).unwrap_or("");
    text.push_str(base);
    if !ext.is_empty() {
        text.push('.');
        text.push_str(ext);
    }
    text
}

/// An open directory, closed on drop (the root is never closed).
struct Dir<'s, D: BlockDevice> {
    storage: &'s Storage<D>,
    raw: RawDirectory,
}

impl<'s, D: BlockDevice> Dir<'s, D> {
    /// Walks `path` down from the root.
    fn open<'p>(storage: &'s Storage<D>, path: impl IntoIterator<Item = &'p str>) -> Option<Self> {
        let mut dir = Dir { storage, raw: storage.root };
        for (depth, name) in path.into_iter().enumerate() {
            if depth >= MAX_DEPTH {
                return None;
            }
            let entry = storage.find(dir.raw, name).filter(|e| e.is_dir)?;
            let raw = storage.manager.open_dir(dir.raw, entry.short).ok()?;
            // The parent closes as it is replaced.
            dir = Dir { storage, raw };
        }
        Some(dir)
    }
}

impl<D: BlockDevice> Drop for Dir<'_, D> {
    fn drop(&mut self) {
        if self.raw != self.storage.root {
            let _ = self.storage.manager.close_dir(self.raw);
        }
    }
}

/// A file open for reading: blocking [`embedded_io`] reads and seeks at its own position (the
/// handle may be shared, see the module docs), closed on drop. A file opened for a transcoded
/// stream counts as one of the appliance's decoder slots until dropped.
pub struct File<'s, D: BlockDevice> {
    storage: &'s Storage<D>,
    raw: RawFile,
    at: Place,
    /// This reader's position: the shared handle's may have been moved by another.
    pos: u32,
    stream: bool,
}

impl<D: BlockDevice> File<'_, D> {
    /// Counts this file as a transcoded stream's until it is dropped.
    pub(crate) fn hold(&mut self) {
        if !self.stream {
            self.stream = true;
            self.storage.streams.set(self.storage.streams.get() + 1);
        }
    }
}

impl<D: BlockDevice> Storage<D> {
    /// Files held open by transcoded streams now.
    pub fn streams(&self) -> usize {
        self.streams.get()
    }
}

impl<D: BlockDevice> Drop for File<'_, D> {
    fn drop(&mut self) {
        self.storage.release(self.at);
        if self.stream {
            self.storage.streams.set(self.storage.streams.get().saturating_sub(1));
        }
    }
}

/// A failed read or seek of a [`File`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileError;

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("storage read failed")
    }
}

impl core::error::Error for FileError {}

impl embedded_io::Error for FileError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

impl<D: BlockDevice> embedded_io::ErrorType for File<'_, D> {
    type Error = FileError;
}

impl<D: BlockDevice> embedded_io::Read for File<'_, D> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FileError> {
        let manager = &self.storage.manager;
        let len = manager.file_length(self.raw).map_err(|_| FileError)?;
        if buf.is_empty() || self.pos >= len {
            return Ok(0);
        }
        if manager.file_offset(self.raw).map_err(|_| FileError)? != self.pos {
            manager.file_seek_from_start(self.raw, self.pos).map_err(|_| FileError)?;
        }
        let n = manager.read(self.raw, buf).map_err(|_| FileError)?;
        // At most `len - pos` bytes were read, so the sum stays within the file's u32 length.
        self.pos = self.pos.saturating_add(u32::try_from(n).map_err(|_| FileError)?);
        Ok(n)
    }
}

impl<D: BlockDevice> embedded_io::Seek for File<'_, D> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, FileError> {
        let manager = &self.storage.manager;
        let len = i64::from(manager.file_length(self.raw).map_err(|_| FileError)?);
        let here = i64::from(self.pos);
        let target = match pos {
            SeekFrom::Start(n) => i64::try_from(n).map_err(|_| FileError)?,
            SeekFrom::End(d) => len.checked_add(d).ok_or(FileError)?,
            SeekFrom::Current(d) => here.checked_add(d).ok_or(FileError)?,
        };
        // FAT files end at 4 GiB; a seek past the end is clamped to it, as reads there give 0.
        let target = u32::try_from(target.clamp(0, len)).map_err(|_| FileError)?;
        manager.file_seek_from_start(self.raw, target).map_err(|_| FileError)?;
        self.pos = target;
        Ok(u64::from(target))
    }
}
