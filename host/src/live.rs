//! The live library: the first scan in the background, then inotify, so that a file dropped
//! into a served folder shows up without a rescan or a restart.
//!
//! [`run`] starts with the library holding only the served folders (the HTTP server answers
//! from the first moment, and `SystemUpdateID` moves as the library fills). It then:
//! 1. watches every folder with inotify (one watch per folder, asking only for the events that
//!    change something, not for opens and reads; kept in one compact table, about 16 bytes a
//!    folder plus its name: `watches`), the kernel queueing events from the start;
//! 2. walks the served folders and adds what it finds as it goes, entry by entry (each file
//!    read first with no lock held, on every core (`fill`), then the library's write lock
//!    taken just to insert it, in the walk's order, so a Browse never waits for the disk; no
//!    list of every file is made: the walk holds the folders on its path ([`scan`]) and at
//!    most `fill::WINDOW` and a few entries wait to be put), with a count of the files
//!    read on a terminal or a log line every few seconds otherwise, telling the event
//!    subscribers ([`events::publish`]) every [`PUBLISH_EVERY`];
//! 3. applies changes as they come. A path that changed is looked at again (a confined `stat`,
//!    [`crate::storage::Storage::stat`], never an open) once it is
//!    quiet: at once for a file closed after writing, a rename, a move or a deletion; for other
//!    writes (a copy or download in progress) once no event came for [`SETTLE`]. What the path
//!    is then decides: gone, it leaves the library (with everything below it); a file is added
//!    or updated; a folder is walked (a folder moved in, or renamed) and watched. Each batch of
//!    changes is published once, so subscribers get one moderated NOTIFY per batch.
//!
//! With a library index ([`Options::index`], see [`crate::index`]), the library is loaded
//! from it whole before the server answers ([`crate::serve::Daemon::bind`]), and the walk of
//! step 2 is its check against the disk: files whose size, modification time and inode are
//! those of the index are not read again, the others are,
//! and what the index held but the walk did not find is removed, all published to event
//! subscribers as above. Every change of the library is then written to the index.
//!
//! A folder shared while running ([`crate::share`], which has already put it into the storage
//! and the library) arrives as a [`Change::Shared`] and is walked like a folder that appeared
//! (watched, read in, published); one unshared arrives as a [`Change::Unshared`] and its
//! watches and pending changes are dropped. A file being read when its folder is unshared is
//! not inserted (checked under the library's lock, which unsharing takes too).
//!
//! Running out of inotify watches (`fs.inotify.max_user_watches`, `ENOSPC`) does not go
//! silent: a warning names the limit and the `sysctl` that raises it, and every folder that
//! could not be watched is walked again every [`Options::rescan_interval`] (default
//! [`RESCAN_INTERVAL`]) instead, which finds the same changes, later. An overflow of the
//! kernel's event queue (`fs.inotify.max_queued_events`) rescans every served folder once.
//!
//! A served folder on a network file system (NFS, SMB/CIFS, SSHFS or another FUSE file
//! system, 9p, ...: see [`crate::mounts`]) gets no inotify watch, since inotify hears nothing
//! of the changes made on the server or by other clients: it is polled every
//! [`Options::poll_interval`] (default [`POLL_INTERVAL`]) instead, by a walk of its folders'
//! modification times that lists again only the folders that changed (`poll`). What a poll
//! finds is applied and published like the changes inotify reports.
//!
//! Limits: a folder reached through a symbolic link is listed (see [`scan`]) but changes inside
//! it are only seen through its own path, which is not watched; a folder created during the
//! start-up walk, before its parent's watch exists, is found by the next change in it or the
//! next restart.

use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use nix::sys::inotify::{AddWatchFlags, InotifyEvent};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::connection::Shared;
use crate::events;
use crate::library::{self, Counts};
use crate::mounts::{self, Method};
use crate::scan::{self, Entry, Kind};
use crate::storage::{is_hidden, Error as StorageError};
use watches::{Seen, Watches};

/// How long a file must go without events before it is read (a copy still in progress writes
/// continually; a file closed after writing is read at once).
pub const SETTLE: Duration = Duration::from_secs(1);

/// The default interval between rescans of folders that inotify could not watch.
pub const RESCAN_INTERVAL: Duration = Duration::from_secs(60);

/// The default interval between polls of the folders on network file systems.
pub const POLL_INTERVAL: Duration = Duration::from_secs(60);

/// How often the first scan tells event subscribers that the library grew.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(250);

/// How long stopping waits for the library index to commit what it was sent.
const INDEX_FLUSH: Duration = Duration::from_millis(500);

/// How often the first scan logs its progress when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// How the library is kept live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// How often folders without an inotify watch are walked again.
    pub rescan_interval: Duration,
    /// How often the folders on network file systems ([`crate::mounts`]) are polled.
    pub poll_interval: Duration,
    /// Pretend the system grants at most this many inotify watches (for tests and for trying
    /// the fallback; `None`: the real limit).
    pub max_watches: Option<usize>,
    /// Called before each new file is read into the library (see [`library::prepare`]): for
    /// tests that run the server in their own process; `None` in `rill serve`. With a hook the
    /// first walk reads on one thread, so the hook sees the files one at a time in walk order.
    pub before_read: Option<library::ReadHook>,
    /// The library index file (`None`: none, the library is read from the disk at every
    /// start).
    pub index: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rescan_interval: RESCAN_INTERVAL,
            poll_interval: POLL_INTERVAL,
            max_watches: None,
            before_read: None,
            index: None,
        }
    }
}

/// A served folder that came or went while running (see [`crate::share`]): the library and
/// the storage already have the change; the watcher follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The folder in this slot is new: watch it and read it into the library.
    Shared(usize),
    /// The folder in this slot left it: forget its watches.
    Unshared(usize),
}

/// Fills the library in the background (setting `ready` when done), then keeps it up to date
/// until `stop` is set, following the folders shared and unshared meanwhile (`changes`).
/// `restored` is the library index already loaded into the library ([`crate::index::restore`],
/// by [`crate::serve::Daemon::bind`]), whose content the first walk checks.
pub async fn run(
    shared: Arc<Shared>,
    options: Options,
    restored: Option<(crate::index::Writer, crate::index::Loaded)>,
    ready: watch::Sender<bool>,
    mut changes: mpsc::UnboundedReceiver<Change>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut roots = shared.storage.roots();
    let rescan_interval = options.rescan_interval;
    let (writer, loaded) = restored.unzip();
    let mut watches = Watches::new(roots.clone(), options);
    watches.index = writer;
    // Events are queued by the kernel from the first watch on, and read once the library is
    // built.
    let mut events = watches.inotify().and_then(|inotify| {
        crate::inotify::Reader::new(inotify)
            .inspect_err(|e| tracing::warn!("file system events cannot be read: {e}"))
            .ok()
    });
    for (slot, root) in roots.iter().enumerate() {
        if let Some(root) = root {
            follow(&shared, &mut watches, slot, root);
        }
    }
    shared.following.set_interval(watches.options.poll_interval);
    let watches = Arc::new(Mutex::new(watches));
    let mut poller = poll::Poller::default();

    let (ingest_shared, ingest_watches) = (Arc::clone(&shared), Arc::clone(&watches));
    let (ingest_roots, ingest_stop) = (roots.clone(), stop.clone());
    let counts = tokio::task::spawn_blocking(move || {
        ingest(&ingest_shared, &ingest_watches, &ingest_roots, &ingest_stop, loaded)
    })
    .await
    .context("library fill task")??;
    tracing::info!(
        media = counts.media,
        vorbis = counts.vorbis,
        unreadable = counts.unreadable,
        objects = shared.library.read().unwrap_or_else(PoisonError::into_inner).len(),
        "library built; watching for changes"
    );
    ready.send_replace(true);

    // The first scan added most of the watches there will be.
    lock(&watches).shrink_to_fit();
    let mut dirty = Dirty::default();
    let mut overflow = false;
    let mut rescan = tokio::time::interval(rescan_interval);
    // Ticks missed while there was nothing to rescan are not made up for.
    rescan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    rescan.tick().await;
    let mut polls = tokio::time::interval(lock(&watches).options.poll_interval);
    polls.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    polls.tick().await;
    loop {
        let (unwatched, polled) = {
            let w = lock(&watches);
            (w.has_unwatched(), !w.polled.is_empty())
        };
        tokio::select! {
            Some(change) = changes.recv() => {
                roots = shared.storage.roots();
                lock(&watches).roots.clone_from(&roots);
                let (shared, watches) = (Arc::clone(&shared), Arc::clone(&watches));
                match change {
                    Change::Shared(root) => {
                        poller.forget(root);
                        if let Some(path) = roots.get(root).and_then(Option::as_ref) {
                            follow(&shared, &mut lock(&watches), root, path);
                        }
                        // Walked like a folder that appeared: watched, read in, published.
                        let all = [(root, PathBuf::new())];
                        tokio::task::spawn_blocking(move || apply(&shared, &watches, &all)).await?;
                    }
                    Change::Unshared(root) => {
                        dirty.forget(root);
                        poller.forget(root);
                        shared.following.forget(root);
                        lock(&watches).polled.remove(&root);
                        lock(&watches).forget_root(root);
                    }
                }
            }
            read = next_events(events.as_ref()) => match read {
                Ok(read) => overflow |= note(&mut dirty, &mut lock(&watches), &read, Instant::now()),
                Err(e) => {
                    tracing::warn!(
                        "file system events can no longer be read ({e}); changes are found \
                         at the next restart"
                    );
                    events = None;
                }
            },
            () = sleep_until(dirty.next_due()) => {
                let due = dirty.take_due(Instant::now());
                let (shared, watches) = (Arc::clone(&shared), Arc::clone(&watches));
                tokio::task::spawn_blocking(move || apply(&shared, &watches, &due)).await?;
            }
            _ = polls.tick(), if polled => {
                let (shared, watches) = (Arc::clone(&shared), Arc::clone(&watches));
                let mut taken = std::mem::take(&mut poller);
                poller = tokio::task::spawn_blocking(move || {
                    poll_round(&shared, &watches, &mut taken);
                    taken
                })
                .await?;
            }
            _ = rescan.tick(), if unwatched => {
                let (shared, watches) = (Arc::clone(&shared), Arc::clone(&watches));
                tokio::task::spawn_blocking(move || rescan_unwatched(&shared, &watches)).await?;
            }
            () = crate::serve::stopped(&mut stop) => {
                let writer = lock(&watches).index.clone();
                if let Some(writer) = writer {
                    // What the index was sent is committed before the process ends.
                    tokio::task::spawn_blocking(move || writer.flush(INDEX_FLUSH)).await?;
                }
                return Ok(());
            }
        }
        if std::mem::take(&mut overflow) {
            tracing::warn!(
                "file system events were lost (queue overflow); rescanning every served folder"
            );
            let (shared, watches) = (Arc::clone(&shared), Arc::clone(&watches));
            tokio::task::spawn_blocking(move || {
                let all: Vec<_> = shared
                    .storage
                    .folders()
                    .into_iter()
                    .map(|(r, _)| (r, PathBuf::new()))
                    .collect();
                apply(&shared, &watches, &all);
            })
            .await?;
        }
    }
}

/// Walks every served folder in `roots` (slots, as [`crate::storage::Storage::roots`] gives
/// them, in slot order) and adds what it finds, watching each folder first; gives up early
/// once `stop` is set (a blocking task cannot be aborted, and shutdown must not wait for a
/// long scan). Given what was `loaded` from the library index, this is the index's check: a
/// folder the index knew is only watched (the library has it), a file the index knew with
/// another inode is read again, and what it knew but the walk did not find is removed (unless
/// the walk was stopped early). Entries are read on every core and put in order ([`fill`]),
/// as the walk yields them: no list of every file is made (see [`fill`] for the bound of the
/// entries in memory, and [`scan`] for what the walk holds).
fn ingest(
    shared: &Shared,
    watches: &Mutex<Watches>,
    roots: &[Option<PathBuf>],
    stop: &watch::Receiver<bool>,
    mut loaded: Option<crate::index::Loaded>,
) -> Result<Counts> {
    {
        let mut w = lock(watches);
        for (root, _) in shared.storage.folders() {
            w.add(root, Path::new(""));
        }
    }
    tracing::info!(roots = roots.len(), "reading the served folders into the library");
    let mut progress = Progress::new();
    let mut counts = Counts::default();
    let mut published = Instant::now();
    let (mut entries, mut files) = (0usize, 0usize);
    // The served folders the walk found something in (see `crate::index::gone`).
    let mut scanned = std::collections::HashSet::new();
    let mut walk = scan::Walk::new(
        roots.iter().enumerate().filter_map(|(i, r)| Some((i, r.clone()?))).collect(),
    );
    let marked = walk.by_ref().map(|entry| {
        let indexed = indexed(loaded.as_mut(), &entry);
        (entry, indexed)
    });
    let hook = lock(watches).options.before_read.clone();
    let read_one = |(entry, indexed): &(Entry, Indexed)| {
        if *stop.borrow() || *indexed == Indexed::Folder {
            return (Ok(None), Counts::default());
        }
        let mut counts = Counts::default();
        let replaced = *indexed == Indexed::Replaced;
        (read(shared, hook.as_ref(), entry, &mut counts, replaced), counts)
    };
    let workers = if hook.is_some() { 1 } else { fill::workers() };
    fill::in_order(marked, workers, read_one, |(entry, _), (ready, read_counts)| {
        if *stop.borrow() {
            return Ok(false);
        }
        counts.vorbis += read_counts.vorbis;
        counts.unreadable += read_counts.unreadable;
        counts.not_utf8 += read_counts.not_utf8;
        entries += 1;
        scanned.extend(library::root_index(entry.root).ok());
        match entry.kind {
            Kind::Dir => lock(watches).add(entry.root, &entry.path),
            Kind::File { .. } => {
                files += 1;
                progress.inc();
            }
        }
        if let Some(ready) = ready? {
            put(shared, watches, &entry, ready, &mut counts)?;
        }
        if published.elapsed() >= PUBLISH_EVERY {
            events::publish(shared);
            published = Instant::now();
        }
        Ok(true)
    })?;
    progress.finish();
    tracing::info!(
        roots = roots.len(),
        entries,
        files,
        skipped = walk.skipped(),
        "walked the served folders"
    );
    if let Some(loaded) = loaded.filter(|_| !*stop.borrow()) {
        let gone = crate::index::gone(&loaded, &scanned);
        drop(loaded);
        if !gone.is_empty() {
            tracing::info!(entries = gone.len(), "gone since the index was written");
        }
        for (root, rel) in gone {
            if let Err(e) = remove(shared, watches, usize::from(root), Path::new(&rel)) {
                tracing::warn!(path = rel, "could not update the library: {e:#}");
            }
        }
    }
    // Playlists read before the tracks they name were added pick those up now.
    crate::playlists::refresh(&shared.library, &shared.storage);
    // Children in default order once, so browsing them borrows instead of sorting.
    shared.library.write().unwrap_or_else(PoisonError::into_inner).tidy();
    events::publish(shared);
    Ok(counts)
}

/// What the library index said of a walked entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Indexed {
    /// Nothing that spares reading it: not in the index, or no index.
    No,
    /// A folder the index had: the library has it already.
    Folder,
    /// A file the index had with another inode (replaced by one of the same size and time):
    /// read again.
    Replaced,
}

/// What `loaded` (the index's content not yet seen by the walk) says of `entry`, which is
/// marked found there ([`crate::index::Loaded::take`]): no longer a candidate for removal.
fn indexed(loaded: Option<&mut crate::index::Loaded>, entry: &Entry) -> Indexed {
    let (Some(loaded), Ok(root), Some(rel)) =
        (loaded, library::root_index(entry.root), library::slash_path(&entry.path))
    else {
        return Indexed::No;
    };
    match (loaded.take(root, &rel), &entry.kind) {
        (Some(None), Kind::Dir) => Indexed::Folder,
        (Some(Some(was)), Kind::File { inode, .. }) if was != *inode => Indexed::Replaced,
        _ => Indexed::No,
    }
}

/// Looks again at each `(root, relative path)` that changed, then tells the subscribers.
fn apply(shared: &Shared, watches: &Mutex<Watches>, due: &[(usize, PathBuf)]) {
    let mut counts = Counts::default();
    for (root, rel) in due {
        if let Err(e) = apply_path(shared, watches, *root, rel, &mut counts) {
            tracing::warn!(path = %rel.display(), "could not update the library: {e:#}");
        }
    }
    // Tracks that arrived may be named by playlists (tracks that left, the core took out).
    if counts.media > 0 {
        crate::playlists::refresh(&shared.library, &shared.storage);
    }
    events::publish(shared);
}

/// Brings the library in line with what is at `rel` under root `root` now.
fn apply_path(
    shared: &Shared,
    watches: &Mutex<Watches>,
    root: usize,
    rel: &Path,
    counts: &mut Counts,
) -> Result<()> {
    if shared.storage.root(root).is_none() || rel.iter().any(is_hidden) {
        return Ok(());
    }
    // Looked up confined and never opened: a link out of the folder is as good as gone, and a
    // FIFO, socket or device node is neither a folder nor a file, so it is not listed.
    let meta = shared.storage.stat(root, rel);
    if let Err(e @ (StorageError::Outside | StorageError::Links)) = meta {
        tracing::debug!(path = %rel.display(), "not listed: {e}");
    }
    match meta.ok() {
        Some(m) if m.is_dir() => sync(shared, watches, root, rel, counts),
        Some(m) if m.is_file() => {
            tracing::debug!(path = %rel.display(), "file changed");
            let entry = Entry { root, path: rel.to_path_buf(), kind: Kind::file(&m) };
            add(shared, watches, &entry, counts, false)
        }
        _ => {
            tracing::debug!(path = %rel.display(), "gone");
            lock(watches).forget(root, rel);
            remove(shared, watches, root, rel)
        }
    }
}

/// Removes `rel` (and everything below it) from the library and its index.
fn remove(shared: &Shared, watches: &Mutex<Watches>, slot: usize, rel: &Path) -> Result<()> {
    let (Some(rel), Ok(root)) = (library::slash_path(rel), library::root_index(slot)) else {
        return Ok(());
    };
    if rel.is_empty() {
        return Ok(());
    }
    if let (Some(writer), Some(base)) = (lock(watches).index.clone(), shared.storage.root(slot)) {
        writer.remove(&base, &rel);
    }
    let mut lib = shared.library.write().unwrap_or_else(PoisonError::into_inner);
    lib.remove_path(root, &rel).map(drop).map_err(|e| anyhow::anyhow!("removing {rel}: {e}"))
}

/// Walks folder `rel` and makes the library's copy of it match: what is gone is removed, what
/// is new or changed is added, and new folders are watched.
fn sync(
    shared: &Shared,
    watches: &Mutex<Watches>,
    root: usize,
    rel: &Path,
    counts: &mut Counts,
) -> Result<()> {
    let Some(base) = shared.storage.root(root) else { return Ok(()) };
    let found = scan::scan_dir(&base, root, rel);
    tracing::debug!(path = %rel.display(), entries = found.entries.len(), "folder walked");
    {
        let mut w = lock(watches);
        w.add(root, rel);
        for entry in found.entries.iter().filter(|e| matches!(e.kind, Kind::Dir)) {
            w.add(root, &entry.path);
        }
    }
    let on_disk: BTreeSet<String> =
        found.entries.iter().filter_map(|e| library::slash_path(&e.path)).collect();
    let known = {
        let lib = shared.library.read().unwrap_or_else(PoisonError::into_inner);
        below(&lib, library::root_index(root)?, &library::slash_path(rel).unwrap_or_default())
    };
    for gone in known.iter().filter(|p| !on_disk.contains(*p)) {
        remove(shared, watches, root, Path::new(gone))?;
    }
    for entry in &found.entries {
        add(shared, watches, entry, counts, false)?;
    }
    Ok(())
}

/// Adds (or updates) one folder or file: [`read`] then [`put`].
fn add(
    shared: &Shared,
    watches: &Mutex<Watches>,
    entry: &Entry,
    counts: &mut Counts,
    replaced: bool,
) -> Result<()> {
    let hook = lock(watches).options.before_read.clone();
    match read(shared, hook.as_ref(), entry, counts, replaced)? {
        Some(ready) => put(shared, watches, entry, ready, counts),
        None => Ok(()),
    }
}

/// Reads one folder or file with no lock held (see [`library::prepare`]): `None` if the
/// library has the file with the same size and time (and it is not `replaced`), or there is
/// nothing to add. `hook` ([`Options::before_read`]) is called just before the file is read.
fn read(
    shared: &Shared,
    hook: Option<&library::ReadHook>,
    entry: &Entry,
    counts: &mut Counts,
    replaced: bool,
) -> Result<Option<library::Ready>> {
    let is_known = |root, rel: &str, file| {
        let lib = shared.library.read().unwrap_or_else(PoisonError::into_inner);
        !replaced && library::known(&lib, root, rel, file)
    };
    library::prepare(entry, &shared.storage, counts, is_known, hook)
}

/// Puts what [`read`] gave for `entry` into the library, write-locked just to insert it,
/// unless its served folder was unshared meanwhile (checked under that lock, which unsharing
/// also takes), and tells the index.
fn put(
    shared: &Shared,
    watches: &Mutex<Watches>,
    entry: &Entry,
    ready: library::Ready,
    counts: &mut Counts,
) -> Result<()> {
    let writer = lock(watches).index.clone();
    let mut lib = shared.library.write().unwrap_or_else(PoisonError::into_inner);
    let Some(base) = shared.storage.root(entry.root) else { return Ok(()) };
    let Some(writer) = writer else { return library::insert(&mut lib, ready, counts) };
    let (root, rel, file) = (ready.root, ready.rel.clone(), ready.file.clone());
    // Playlists are read again at start-up rather than indexed (see `crate::playlists`).
    let playlist = ready.playlist.is_some();
    library::insert(&mut lib, ready, counts)?;
    if playlist {
        return Ok(());
    }
    // Only what the library took (media files and folders) is indexed.
    let Some(id) = lib.lookup_path(root, &rel) else { return Ok(()) };
    drop(lib);
    let inode = match entry.kind {
        Kind::File { inode, .. } => inode,
        Kind::Dir => 0,
    };
    // New or changed: the art cache has nothing of it yet.
    let file =
        file.map(|(info, details)| crate::index::Stored { info, inode, details, thumbnail: false });
    writer.put(&base, &rel, &crate::index::Record { id, file });
    Ok(())
}

/// The relative paths of everything the library holds below folder `rel` of `root`.
fn below(lib: &rill_core::library::Library, root: u16, rel: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(start) = lib.lookup_path(root, rel) else { return out };
    let mut stack = vec![(start, rel.to_string())];
    while let Some((id, path)) = stack.pop() {
        let Some(object) = lib.get(id) else { continue };
        let (Some(container), Some(children)) = (object.as_container(), object.children()) else {
            continue;
        };
        // A playlist's children are listed, not stored, there.
        if matches!(container.kind(), rill_core::library::Kind::Playlist) {
            continue;
        }
        for obj in children.iter() {
            let child = obj.id();
            let child_path = if path.is_empty() {
                obj.name().to_string()
            } else {
                format!("{path}/{}", obj.name())
            };
            out.push(child_path.clone());
            stack.push((child, child_path));
        }
    }
    out
}

/// Finds how the served folder `path` in slot `slot` is followed ([`mounts::detect`]), tells
/// `shared`'s [`mounts::Following`] and `watches`, and says so in the log.
fn follow(shared: &Shared, watches: &mut Watches, slot: usize, path: &Path) {
    let method = mounts::detect(path);
    // Shown as it was shared (as `Folders` shows it), not as resolved.
    let shown = shared.storage.folders().into_iter().find(|(i, _)| *i == slot).map(|(_, r)| r.path);
    shared.following.set(slot, shown.as_deref().unwrap_or(path), method);
    match method {
        Method::Inotify => {
            watches.polled.remove(&slot);
        }
        Method::Poll(fs) => {
            watches.polled.insert(slot);
            tracing::info!(
                path = %path.display(),
                "on a network file system ({fs}): polled for changes every {} s",
                watches.options.poll_interval.as_secs()
            );
        }
    }
}

/// Polls every served folder on a network file system once ([`poll`]), applies what changed
/// and tells the subscribers.
fn poll_round(shared: &Shared, watches: &Mutex<Watches>, poller: &mut poll::Poller) {
    let full = poller.next_round();
    let slots: Vec<usize> = lock(watches).polled.iter().copied().collect();
    for slot in slots {
        let Some(base) = shared.storage.root(slot) else { continue };
        let listed = poller.walk(slot, &base, full);
        tracing::debug!(path = %base.display(), changed = listed.len(), full, "polled");
        let mut counts = Counts::default();
        for folder in &listed {
            if let Err(e) = apply_listed(shared, watches, slot, folder, &mut counts) {
                tracing::warn!(path = %folder.rel.display(), "could not update the library: {e:#}");
            }
        }
        shared.following.polled(slot, std::time::SystemTime::now());
    }
    events::publish(shared);
}

/// Makes the library's copy of one folder a poll listed again match the listing: names no
/// longer there are removed, the entries added (files read again if their size, time or
/// inode changed). A served folder found empty while the library has media in it is more
/// likely a share that went away than one emptied: it is left as it is (logged).
fn apply_listed(
    shared: &Shared,
    watches: &Mutex<Watches>,
    slot: usize,
    folder: &poll::Listed,
    counts: &mut Counts,
) -> Result<()> {
    let root = library::root_index(slot)?;
    let Some(rel) = library::slash_path(&folder.rel) else { return Ok(()) };
    let known: Vec<String> = {
        let lib = shared.library.read().unwrap_or_else(PoisonError::into_inner);
        let children = lib.lookup_path(root, &rel).and_then(|id| lib.get(id)?.children());
        children.map(|c| c.iter().map(|o| o.name().to_string()).collect()).unwrap_or_default()
    };
    if rel.is_empty() && folder.entries.is_empty() && !known.is_empty() {
        tracing::warn!(
            slot,
            "polled folder found empty: its media are kept until it is seen again"
        );
        return Ok(());
    }
    let on_disk: BTreeSet<&std::ffi::OsStr> =
        folder.entries.iter().filter_map(|e| e.path.file_name()).collect();
    for gone in known.iter().filter(|name| !on_disk.contains(std::ffi::OsStr::new(name))) {
        remove(shared, watches, slot, &folder.rel.join(gone))?;
    }
    for entry in &folder.entries {
        add(shared, watches, entry, counts, folder.replaced.contains(&entry.path))?;
    }
    Ok(())
}

/// Walks every folder that has no watch again.
fn rescan_unwatched(shared: &Shared, watches: &Mutex<Watches>) {
    let folders = lock(watches).unwatched.iter().cloned().collect::<Vec<_>>();
    tracing::debug!(folders = folders.len(), "rescanning folders without an inotify watch");
    apply(shared, watches, &folders);
}

fn lock(watches: &Mutex<Watches>) -> std::sync::MutexGuard<'_, Watches> {
    watches.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Records a batch of inotify events (the paths they name, through `watches`' table) at
/// `now`; true if events were lost.
fn note(dirty: &mut Dirty, watches: &mut Watches, events: &[InotifyEvent], now: Instant) -> bool {
    let mut lost = false;
    for event in events {
        match watches.seen(event) {
            Seen::Changed(root, rel) => dirty.note(event.mask, root, rel, now),
            Seen::Overflow => lost = true,
            Seen::Nothing => {}
        }
    }
    lost
}

/// Paths that changed, each with the time it may be looked at.
#[derive(Debug, Default)]
struct Dirty {
    due: HashMap<(usize, PathBuf), Instant>,
}

impl Dirty {
    /// Notes an event of `mask` on `rel` under root `root` at `now` (see the module docs).
    fn note(&mut self, mask: AddWatchFlags, root: usize, rel: PathBuf, now: Instant) {
        let at_once = AddWatchFlags::IN_CLOSE_WRITE
            | AddWatchFlags::IN_MOVED_FROM
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_MOVE_SELF
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_DELETE_SELF
            | AddWatchFlags::IN_UNMOUNT;
        let written =
            AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_ATTRIB;
        let delay = if mask.intersects(at_once)
            || mask.contains(AddWatchFlags::IN_CREATE | AddWatchFlags::IN_ISDIR)
        {
            Duration::ZERO
        } else if mask.intersects(written) {
            SETTLE
        } else {
            // Reads change nothing (and are not asked for: `watches::MASK`).
            return;
        };
        self.due.insert((root, rel), now + delay);
    }

    /// Drops the paths of served folder `root` (it is no longer served).
    fn forget(&mut self, root: usize) {
        self.due.retain(|(r, _), _| *r != root);
    }

    /// When the next path may be looked at.
    fn next_due(&self) -> Option<Instant> {
        self.due.values().min().copied()
    }

    /// The paths that may be looked at by `now`, in path order, removed from the set.
    fn take_due(&mut self, now: Instant) -> Vec<(usize, PathBuf)> {
        let mut ready: Vec<(usize, PathBuf)> =
            self.due.iter().filter(|(_, &at)| at <= now).map(|(key, _)| key.clone()).collect();
        ready.sort();
        for key in &ready {
            self.due.remove(key);
        }
        ready
    }
}

/// The first scan's progress: a counter on a terminal, a log line every [`LOG_EVERY`]
/// otherwise. The walk and the reading go together, so the total is known only at the end:
/// what is shown is the count of files read so far, and their rate.
struct Progress {
    bar: Option<ProgressBar>,
    done: u64,
    logged: Instant,
}

impl Progress {
    fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} reading the library: {pos} files, {per_sec}, {elapsed}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress { bar, done: 0, logged: Instant::now() }
    }

    fn inc(&mut self) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        } else if self.logged.elapsed() >= LOG_EVERY {
            self.logged = Instant::now();
            tracing::info!("reading the library: {} files so far", self.done);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The next inotify events of `events`, or never if there is no instance.
async fn next_events(
    events: Option<&crate::inotify::Reader>,
) -> std::io::Result<Vec<InotifyEvent>> {
    match events {
        Some(events) => events.read().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`, or forever if nothing is scheduled.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

mod fill;
mod poll;
mod table;
mod watches;

#[cfg(test)]
mod tests;
