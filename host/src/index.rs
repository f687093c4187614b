//! The library index: the library kept on disk, so that a restart answers Browse at once,
//! with the same object ids, instead of reading every file again.
//!
//! The index is one SQLite file (through `rusqlite`, chosen over redb by measurement, see
//! BENCHMARKS.md), by default `$XDG_CACHE_HOME/rill/index.sqlite` (`--cache-dir`,
//! `RILL_CACHE_DIR`). It holds one row per folder and media file the library accepted, keyed
//! by the served folder's canonical path and the path below it, with a [`Record`]: the object
//! id, and for a file its size, modification time, inode and what reading it revealed (tags,
//! exact length, audio properties, whether it embeds a picture, its AAC profile, whether the
//! art cache has a thumbnail of it). Containers of the music tree and album art follow from
//! those as on a first scan (the same inserts give the same ids, see
//! `rill_core::library::ObjectId`); thumbnails stay in the art cache, which tells the index
//! when it made one ([`Writer::thumbnail`]).
//!
//! [`Index::open`] opens it in WAL mode: a write is a transaction, and a crash or power cut in
//! the middle of one leaves the index as it was before that transaction. A file that is not
//! an index of this format (damaged, another program's, an older layout) is renamed
//! `*.corrupt`, with one log line, and a new one is made. [`Index::load`] then fills a
//! library from it, and [`Writer`] (a thread of its own) takes the library's changes as they
//! happen and commits them in batches of at most [`BATCH`] rows or [`LINGER`], never a
//! transaction per file; a clean stop moves the write-ahead log into the file. SQLite's page
//! cache is kept small (`CACHE_KIB`), and once the writer is idle after a burst of rows it
//! gives the memory they held back ([`crate::malloc::trim`]). The index is a
//! cache: at every start [`crate::live`] checks it against the disk (size, mtime, inode) and
//! reads again only what changed, so a change that a crash kept out of it is found then.
//!
//! [`restore`] loads it before the server answers ([`crate::serve::Daemon::bind`]), so the
//! first Browse already sees the whole library (20,000 files load in well under a second). During the check
//! the paths and inodes loaded ([`Loaded`], about 70 bytes a file in two blocks) are kept,
//! then dropped.
//! Album art URIs are offered from the first Browse too: the items the index says have a
//! thumbnail are marked so as they are loaded.

mod loaded;
mod record;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use rill_core::library::Library;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::connection::Shared;

pub use loaded::Loaded;
pub use record::{Record, Stored};

/// The index's file name under the cache folder.
pub const FILE_NAME: &str = "index.sqlite";

/// SQLite's `application_id` of a Rill index ("RILL").
const APPLICATION_ID: i64 = 0x5249_4c4c;

/// The layout version (`user_version`); an index of another version is set aside and rebuilt.
/// 3: records carry the video's track codecs (for the remux), and MP3 play times are read
/// again (before, a VBR file without a Xing or VBRI header had its play time estimated from
/// its first frame). 4: records carry an Ogg file's codec (Vorbis, Opus or FLAC), which orders
/// its versions.
const VERSION: i64 = 4;

/// Rows per write transaction at most.
pub const BATCH: usize = 4096;

/// How long a change may wait for others to share its transaction.
pub const LINGER: Duration = Duration::from_millis(250);

/// Changes queued for the writer thread; past it, the library's updates wait for the disk.
const QUEUE: usize = 4 * BATCH;

/// SQLite's page cache, in KiB (its default is 2,000): the writer mostly appends rows in path
/// order and the load reads them once, so a small cache costs little time and keeps the
/// resident memory down (issue 17: at most MiniDLNA's).
const CACHE_KIB: i64 = 512;

/// Rows written, past which the writer, once [`IDLE`], gives SQLite's spare memory and the
/// freed heap back to the system ([`crate::malloc::trim`]): a first scan or a check queues
/// rows between the library's own blocks, and frees them as they are written.
const TRIM_AFTER: usize = BATCH;

/// How long the writer waits with nothing to write before giving memory back.
const IDLE: Duration = Duration::from_secs(1);

/// An open index file.
#[derive(Debug)]
pub struct Index {
    db: Connection,
    path: PathBuf,
}

impl Index {
    /// Opens the index at `path` (creating it and its folder), or, if the file there is not a
    /// readable index of this version, sets it aside as `*.corrupt` (one log line) and starts
    /// a new one.
    pub fn open(path: &Path) -> Result<Index> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        match Index::open_checked(path) {
            Ok(index) => Ok(index),
            Err(e) => {
                let aside = set_aside(path)?;
                tracing::warn!(
                    "library index {} is unusable ({e:#}): set aside as {} and rebuilt",
                    path.display(),
                    aside.display()
                );
                Index::open_checked(path)
            }
        }
    }

    fn open_checked(path: &Path) -> Result<Index> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let db = Connection::open_with_flags(path, flags)?;
        // Journal first: it reads the header, so a file that is not SQLite fails here.
        db.pragma_update(None, "journal_mode", "WAL")?;
        // WAL with NORMAL: a commit survives a crash of the process; a power cut may lose the
        // last ones but never leaves a damaged file.
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.pragma_update(None, "cache_size", -CACHE_KIB)?;
        let app: i64 = db.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tables: i64 = db.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        if tables == 0 {
            db.execute_batch(
                "CREATE TABLE entries (
                     root BLOB NOT NULL,
                     path TEXT NOT NULL,
                     record BLOB NOT NULL,
                     PRIMARY KEY (root, path)
                 ) WITHOUT ROWID;",
            )?;
            db.pragma_update(None, "application_id", APPLICATION_ID)?;
            db.pragma_update(None, "user_version", VERSION)?;
        } else if app != APPLICATION_ID {
            return Err(anyhow!("not a Rill index (application id {app:#x})"));
        } else if version != VERSION {
            return Err(anyhow!("index layout {version}, this Rill reads {VERSION}"));
        }
        Ok(Index { db, path: path.to_path_buf() })
    }

    /// Fills `library` (holding the served folders `roots`, by slot) from the index, and drops
    /// the rows of folders no longer served. Returns what was loaded, for the check against
    /// the disk. Rows that do not decode are skipped (their files are read again by the
    /// check); a database error sets the whole index aside (see [`Index::open`]), and the
    /// library is then filled by the scan alone.
    pub fn load(&mut self, library: &mut Library, roots: &[Option<PathBuf>]) -> Loaded {
        match self.try_load(library, roots) {
            Ok(loaded) => loaded,
            Err(e) => {
                let path = self.path.clone();
                tracing::warn!(
                    "library index {} is unusable ({e:#}); rebuilding it",
                    path.display()
                );
                match reopen_aside(&path) {
                    Ok(index) => *self = index,
                    Err(e) => tracing::warn!("library index not rebuilt: {e:#}"),
                }
                Loaded::default()
            }
        }
    }

    fn try_load(&mut self, library: &mut Library, roots: &[Option<PathBuf>]) -> Result<Loaded> {
        let started = Instant::now();
        let served: Vec<(u16, &[u8])> = roots
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                Some((u16::try_from(i).ok()?, r.as_deref()?.as_os_str().as_bytes()))
            })
            .collect();
        let mut loaded = Loaded::default();
        let (mut bad, mut moved) = (0usize, 0usize);
        let mut query = self.db.prepare("SELECT path, record FROM entries WHERE root = ?1")?;
        // One batch: child lists sorted once at its end, not kept in order row by row (rows
        // come in path order, which is not every list's order: `O(n log n)`, not `O(n²)`).
        library.batch(|library| -> Result<()> {
            for &(slot, root) in &served {
                let mut rows = query.query([root])?;
                while let Some(row) = rows.next()? {
                    let rel: String = row.get(0)?;
                    let Some(record) = Record::decode(row.get_ref(1)?.as_blob()?) else {
                        bad += 1;
                        continue;
                    };
                    let (inserted, inode) = match record.file {
                        None => (library.insert_folder(slot, &rel), None),
                        Some(Stored { info, inode, details, thumbnail }) => {
                            let id = match details {
                                Some(details) => {
                                    library.insert_file_with(slot, &rel, info, details)
                                }
                                None => library.insert_file(slot, &rel, info),
                            };
                            if let (Ok(Some(id)), true) = (&id, thumbnail) {
                                let _ = library.set_thumbnail(*id, true);
                            }
                            (id, Some(inode))
                        }
                    };
                    match inserted {
                        Ok(Some(id)) => {
                            moved += usize::from(id != record.id);
                            loaded.push(slot, &rel, inode);
                        }
                        _ => bad += 1,
                    }
                }
            }
            Ok(())
        })?;
        drop(query);
        loaded.finish();
        library.tidy();
        // Folders no longer served: their rows would only grow the file.
        let tx = self.db.transaction()?;
        {
            let mut roots = tx.prepare("SELECT DISTINCT root FROM entries")?;
            let known: Vec<Vec<u8>> =
                roots.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            for root in known.iter().filter(|k| !served.iter().any(|(_, r)| r == k)) {
                tx.execute("DELETE FROM entries WHERE root = ?1", [root])?;
            }
        }
        tx.commit()?;
        if bad > 0 {
            tracing::warn!(bad, "library index rows that could not be used: read again");
        }
        if moved > 0 {
            // Only colliding ids (one pair in 2^64) depend on the order of insertion.
            tracing::warn!(moved, "library index: objects whose id changed on loading");
        }
        tracing::info!(
            entries = loaded.len(),
            ms = started.elapsed().as_millis() as u64,
            "library loaded from the index {}",
            self.path.display()
        );
        Ok(loaded)
    }

    /// Starts the writer thread, which owns the index from now on.
    pub fn writer(self) -> Result<Writer> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("rill-index".into())
            .spawn(move || write_loop(self, rx))
            .context("starting the index writer")?;
        Ok(Writer(tx))
    }
}

/// Renames the index at `path` to `*.corrupt` (replacing an earlier one) and removes its
/// write-ahead log; returns the new name.
fn set_aside(path: &Path) -> Result<PathBuf> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".corrupt");
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside).with_context(|| format!("renaming {}", path.display()))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    Ok(aside)
}

/// Sets the index at `path` aside and opens a new one there.
fn reopen_aside(path: &Path) -> Result<Index> {
    let aside = set_aside(path)?;
    tracing::warn!("library index set aside as {}", aside.display());
    Index::open_checked(path)
}

/// A change for the index.
#[derive(Debug)]
enum Op {
    /// The folder or file at `path` under served folder `root` is now `record` (encoded).
    Put { root: Vec<u8>, path: String, record: Vec<u8> },
    /// `path` under `root` and everything below it left the library (`""`: the whole folder).
    Remove { root: Vec<u8>, path: String },
    /// The file at `path` under `root` has a thumbnail in the art cache now.
    Thumbnail { root: Vec<u8>, path: String },
    /// Commit what is queued and move the write-ahead log into the file (the server is
    /// stopping), then say so.
    Flush(mpsc::SyncSender<()>),
}

/// Sends the library's changes to the index's writer thread (cheap to clone). The thread ends
/// once every `Writer` is dropped, after committing what it was sent.
#[derive(Debug, Clone)]
pub struct Writer(mpsc::SyncSender<Op>);

impl Writer {
    /// Records the folder or file at `rel` under served folder `root` (a canonical path).
    pub fn put(&self, root: &Path, rel: &str, record: &Record) {
        let op = Op::Put { root: root_key(root), path: rel.to_string(), record: record.encode() };
        self.send(op);
    }

    /// Records that `rel` (and everything below it) under `root` left the library.
    pub fn remove(&self, root: &Path, rel: &str) {
        self.send(Op::Remove { root: root_key(root), path: rel.to_string() });
    }

    /// Records that the art cache has a thumbnail of the file at `rel` under `root` (see
    /// [`Stored::thumbnail`]); nothing if the index does not hold that file.
    pub fn thumbnail(&self, root: &Path, rel: &str) {
        self.send(Op::Thumbnail { root: root_key(root), path: rel.to_string() });
    }

    /// Waits (at most `timeout`) until everything sent so far is committed and in the main
    /// file (for a clean stop); false if it was not in time.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Op::Flush(tx));
        rx.recv_timeout(timeout).is_ok()
    }

    fn send(&self, op: Op) {
        if self.0.send(op).is_err() {
            tracing::warn!("library index writer is gone: the index misses a change");
        }
    }
}

fn root_key(root: &Path) -> Vec<u8> {
    root.as_os_str().as_bytes().to_vec()
}

/// The writer thread: batches of changes, each one transaction.
fn write_loop(mut index: Index, rx: mpsc::Receiver<Op>) {
    let mut failed = false;
    let mut written = 0usize;
    loop {
        let first = if written >= TRIM_AFTER {
            match rx.recv_timeout(IDLE) {
                Ok(op) => op,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(e) = index.db.execute_batch("PRAGMA shrink_memory") {
                        tracing::debug!("library index memory: {e}");
                    }
                    crate::malloc::trim();
                    written = 0;
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(op) => op,
                Err(mpsc::RecvError) => break,
            }
        };
        let mut batch = vec![first];
        let deadline = Instant::now() + LINGER;
        while batch.len() < BATCH {
            let wait = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut flushed = Vec::new();
        let ops: Vec<Op> = batch
            .into_iter()
            .filter_map(|op| match op {
                Op::Flush(done) => {
                    flushed.push(done);
                    None
                }
                op => Some(op),
            })
            .collect();
        written = written.saturating_add(ops.len());
        if let Err(e) = commit(&mut index.db, &ops) {
            if !failed {
                tracing::warn!(
                    "library index not updated ({e:#}); it is checked again at the next start"
                );
                failed = true;
            }
        }
        if !flushed.is_empty() {
            // Stopping: everything into the main file, the log emptied.
            if let Err(e) = index.db.pragma_update(None, "wal_checkpoint", "TRUNCATE") {
                tracing::debug!("library index checkpoint: {e}");
            }
        }
        for done in flushed {
            let _ = done.send(());
        }
    }
}

/// Applies `ops` in one transaction.
fn commit(db: &mut Connection, ops: &[Op]) -> rusqlite::Result<()> {
    if ops.is_empty() {
        return Ok(());
    }
    let tx = db.transaction()?;
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO entries (root, path, record) VALUES (?1, ?2, ?3)",
        )?;
        // Paths below `p` sort between `p/` and `p0` ('0' follows '/').
        let mut remove = tx.prepare_cached(
            "DELETE FROM entries WHERE root = ?1
             AND (?2 = '' OR path = ?2 OR (path > ?2 || '/' AND path < ?2 || '0'))",
        )?;
        let mut get =
            tx.prepare_cached("SELECT record FROM entries WHERE root = ?1 AND path = ?2")?;
        for op in ops {
            match op {
                Op::Put { root, path, record } => put.execute(params![root, path, record])?,
                Op::Remove { root, path } => remove.execute(params![root, path])?,
                Op::Thumbnail { root, path } => {
                    let found: Option<Vec<u8>> =
                        get.query_row(params![root, path], |r| r.get(0)).optional()?;
                    let record = found.as_deref().and_then(Record::decode);
                    match record {
                        Some(Record { id, file: Some(mut file) }) if !file.thumbnail => {
                            file.thumbnail = true;
                            let record = Record { id, file: Some(file) }.encode();
                            put.execute(params![root, path, record])?
                        }
                        _ => 0,
                    }
                }
                Op::Flush(_) => 0,
            };
        }
    }
    tx.commit()
}

/// Opens the index at `path` and loads it into `shared`'s library (which holds only the
/// served folders yet), in one swap so a Browse never sees it half loaded; then publishes the
/// change. Returns the writer for the library's changes and what was loaded, for the check
/// against the disk; `None` (logged) if the index cannot be used at all, and the library is
/// then filled by the scan alone.
pub fn restore(shared: &Shared, path: &Path) -> Option<(Writer, Loaded)> {
    let mut index = match Index::open(path) {
        Ok(index) => index,
        Err(e) => {
            tracing::warn!(
                "no library index ({e:#}): the library is read from the disk at every start"
            );
            return None;
        }
    };
    let roots = shared.storage.roots();
    let (mut library, before) = {
        let lib = shared.library.read().unwrap_or_else(PoisonError::into_inner);
        (lib.clone(), lib.system_update_id())
    };
    let loaded = index.load(&mut library, &roots);
    {
        let mut lib = shared.library.write().unwrap_or_else(PoisonError::into_inner);
        // A folder shared meanwhile would be lost by the swap: the scan fills it instead.
        if lib.system_update_id() == before && !loaded.is_empty() {
            *lib = library;
        }
    }
    crate::events::publish(shared);
    match index.writer() {
        Ok(writer) => Some((writer, loaded)),
        Err(e) => {
            tracing::warn!("library index not kept up to date: {e:#}");
            None
        }
    }
}

/// What the index held that the scan did not find (gone while Rill was stopped), by served
/// folder slot and path, the topmost only (removing a folder removes what is below it). Only
/// in the served folders `scanned` (those where the scan found anything): a folder found empty
/// is more likely a network share not mounted yet than a library deleted, so its entries stay
/// (logged) until it is seen again.
pub fn gone(loaded: &Loaded, scanned: &std::collections::HashSet<u16>) -> Vec<(u16, String)> {
    let (out, kept) = loaded.gone(scanned);
    for root in kept {
        tracing::warn!(
            slot = root,
            "served folder found empty or unreadable: its indexed media are kept until it is seen again"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_core::library::{Details, FileInfo, ObjectId, Tags};

    fn roots(dir: &Path) -> Vec<Option<PathBuf>> {
        vec![Some(dir.join("music")), Some(dir.join("films"))]
    }

    fn details(title: &str) -> Details {
        Details::tagged(Tags {
            title: Some(title.into()),
            artist: Some("Artist".into()),
            album: Some("Album".into()),
            track: Some(1),
            ..Tags::default()
        })
    }

    /// A library of the two roots with a few folders and files, and its records as the live
    /// module writes them.
    fn library(roots: &[Option<PathBuf>]) -> (Library, Vec<(usize, String, Record)>) {
        let mut lib = Library::new();
        lib.add_root(0, "music").unwrap();
        lib.add_root(1, "films").unwrap();
        let mut records = Vec::new();
        let info = FileInfo { size: 10, mtime: 20 };
        for (slot, rel, file) in [
            (0, "A", None),
            (0, "A/1.flac", Some(Some(details("One")))),
            (0, "A/B/2.ogg", Some(None)),
            (1, "x.mkv", Some(Some(Details::default()))),
        ] {
            let id = match &file {
                None => lib.insert_folder(slot as u16, rel).unwrap().unwrap(),
                Some(Some(d)) => {
                    lib.insert_file_with(slot as u16, rel, info, d.clone()).unwrap().unwrap()
                }
                Some(None) => lib.insert_file(slot as u16, rel, info).unwrap().unwrap(),
            };
            let file = file.map(|details| Stored { info, inode: 7, details, thumbnail: false });
            records.push((slot, rel.to_string(), Record { id, file }));
        }
        lib.tidy();
        assert!(roots.len() == 2);
        (lib, records)
    }

    fn objects(lib: &Library) -> Vec<(ObjectId, ObjectId, String, Option<Details>)> {
        let mut objects: Vec<_> =
            lib.iter().map(|(id, o)| (id, o.parent(), o.name().to_string(), o.details())).collect();
        objects.sort_by_key(|(id, ..)| *id);
        objects
    }

    #[test]
    fn a_library_written_is_loaded_with_the_same_objects_and_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache/index.sqlite");
        let roots = roots(dir.path());
        let (want, records) = library(&roots);
        let writer = Index::open(&path).unwrap().writer().unwrap();
        for (slot, rel, record) in &records {
            writer.put(roots[*slot].as_deref().unwrap(), rel, record);
        }
        // A folder that leaves, with what is below it, and a served folder that no longer is.
        writer.put(Path::new("/elsewhere"), "old.ogg", &records[2].2);
        writer.put(roots[0].as_deref().unwrap(), "Gone", &Record { id: ObjectId(5), file: None });
        writer.put(roots[0].as_deref().unwrap(), "Gone/3.ogg", &records[2].2);
        writer.remove(roots[0].as_deref().unwrap(), "Gone");
        assert!(writer.flush(Duration::from_secs(10)));
        drop(writer);

        let mut index = Index::open(&path).unwrap();
        let mut got = Library::new();
        got.add_root(0, "music").unwrap();
        got.add_root(1, "films").unwrap();
        let loaded = index.load(&mut got, &roots);
        assert_eq!(objects(&got), objects(&want));
        assert_eq!(loaded.len(), 4);
        assert_eq!(loaded.get(0, "A"), Some(None));
        assert_eq!(loaded.get(1, "x.mkv"), Some(Some(7)));
        let stale: i64 =
            index.db.query_row("SELECT count(*) FROM entries", [], |r| r.get(0)).unwrap();
        assert_eq!(stale, 4, "the rows of /elsewhere are dropped");
    }

    #[test]
    fn a_damaged_or_foreign_file_is_set_aside_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.sqlite");
        let aside = dir.path().join("index.sqlite.corrupt");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        let mut index = Index::open(&path).unwrap();
        assert_eq!(std::fs::read(&aside).unwrap(), vec![0x5a; 8192]);
        let mut lib = Library::new();
        assert!(index.load(&mut lib, &[]).is_empty());
        drop(index);

        // Another program's SQLite database.
        std::fs::remove_file(&path).unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("CREATE TABLE photos (name TEXT)").unwrap();
        drop(other);
        Index::open(&path).unwrap();
        let kept = Connection::open(&aside).unwrap();
        let n: i64 = kept.query_row("SELECT count(*) FROM photos", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
        // The new index is one.
        assert!(Index::open_checked(&path).is_ok());
    }
}
