//! Folders shared and unshared while the server runs.
//!
//! [`Sharing`] is the one place that changes the set of served folders at run time, for the
//! D-Bus interface ([`crate::bus`]) and the config file watcher ([`crate::config`]). A change
//! takes effect at once: under the library's write lock, the folder enters (or leaves) the
//! [`Storage`](crate::storage::Storage) and the library gets (or loses) its container under
//! Folders, so a Browse sees both or neither; then the event subscribers are told
//! ([`events::publish`]: `SystemUpdateID` and `ContainerUpdateIDs` move) and the watcher
//! ([`live`]) watches the new folder and reads its media in, or forgets the old one's watches.
//! The other folders keep their slots, and so their object ids.
//!
//! Which folders should be shared (the *list*) is kept apart from which are served: a listed
//! folder that does not exist right now (an unplugged disk) stays listed, and the list is what
//! is written to the config file after each change, when the server has one. The built-in
//! demo library is served when nothing else is, but never listed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{anyhow, bail, Result};
use rill_core::library::Library;
use tokio::sync::{mpsc, watch};

use crate::connection::Shared;
use crate::storage::Root;
use crate::{config, events, library, live};

/// Where the list of shared folders comes from and goes to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The config file the list is written to after each change (and read from when it
    /// changes, see [`config::watch`]); `None` when the folders came from the command line:
    /// changes then last until the server stops.
    pub file: Option<PathBuf>,
    /// The folders listed at start (absolute), served or not.
    pub listed: Vec<PathBuf>,
    /// The demo library's folder, if it is served because nothing else is: never listed.
    pub demo: Option<PathBuf>,
}

/// A served folder, as `rill status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The absolute path, as given when it was shared.
    pub path: PathBuf,
    /// How many media files of it the library holds.
    pub media: usize,
}

/// The served folders of a running server, changed at run time (see the module docs).
#[derive(Debug)]
pub struct Sharing {
    shared: Arc<Shared>,
    live: mpsc::UnboundedSender<live::Change>,
    file: Option<PathBuf>,
    demo: Option<PathBuf>,
    /// The folders that should be shared (absolute paths, in the order they were shared);
    /// also serialises changes, so two at once cannot interleave their config writes.
    listed: Mutex<Vec<PathBuf>>,
    /// Counts changes, for whoever shows the folders ([`crate::bus`]).
    changed: watch::Sender<u64>,
}

impl Sharing {
    /// The controller of `shared`'s folders, telling the watcher through `live`.
    pub fn new(
        shared: Arc<Shared>,
        live: mpsc::UnboundedSender<live::Change>,
        settings: Settings,
    ) -> Sharing {
        let Settings { file, listed, demo } = settings;
        let (changed, _) = watch::channel(0);
        Sharing { shared, live, file, demo, listed: Mutex::new(listed), changed }
    }

    /// The server's shared state.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The config file the list is kept in, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Ticks on every change of the served folders.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Shares every folder of `dirs` (absolute, or relative to this process's working
    /// directory), each an existing directory; a folder already shared is left as it is.
    /// Either every folder is valid and shared, or nothing changes.
    pub fn share(&self, dirs: &[PathBuf]) -> Result<()> {
        let roots = dirs.iter().map(|d| Root::new(d)).collect::<Result<Vec<_>>>()?;
        let mut listed = self.lock();
        for root in roots {
            if !listed.contains(&root.path) {
                listed.push(root.path.clone());
            }
            self.serve(root);
        }
        self.changed(&listed)
    }

    /// Stops sharing every folder of `dirs` (as shared, or any path that leads to it). Either
    /// every one is shared (or listed) and is unshared, or nothing changes.
    pub fn unshare(&self, dirs: &[PathBuf]) -> Result<()> {
        let paths = dirs.iter().map(std::path::absolute).collect::<std::io::Result<Vec<_>>>()?;
        let mut listed = self.lock();
        let served = self.shared.storage.folders();
        for path in &paths {
            let canonical = std::fs::canonicalize(path).ok();
            let known = listed.contains(path)
                || served
                    .iter()
                    .any(|(_, r)| r.path == *path || Some(&r.canonical) == canonical.as_ref());
            if !known {
                bail!("{} is not shared", path.display());
            }
        }
        for path in &paths {
            if let Some(root) = self.unserve(path) {
                listed.retain(|p| *p != root.path);
            }
            listed.retain(|p| p != path);
        }
        self.changed(&listed)
    }

    /// Makes the list `wanted` (the config file's, just re-read): unshares what is no longer
    /// in it, shares what is in it and not served (new, or missing until now). A listed folder
    /// that does not exist is kept listed and logged, not served.
    pub fn set(&self, wanted: &[PathBuf]) {
        let mut listed = self.lock();
        let mut changed = false;
        for gone in listed.iter().filter(|p| !wanted.contains(p)) {
            if self.unserve(gone).is_some() {
                tracing::info!(folder = %gone.display(), "no longer shared (config file)");
                changed = true;
            }
        }
        for path in wanted {
            match Root::new(path) {
                Ok(root) => {
                    if self.serve(root) {
                        tracing::info!(folder = %path.display(), "shared (config file)");
                        changed = true;
                    }
                }
                Err(e) => tracing::warn!("listed in the config file but not shared: {e:#}"),
            }
        }
        listed.clone_from(&wanted.to_vec());
        if changed {
            events::publish(&self.shared);
            self.changed.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// The served folders, in slot order, with their media counts.
    pub fn folders(&self) -> Vec<Folder> {
        let folders = self.shared.storage.folders();
        let lib = self.shared.library.read().unwrap_or_else(PoisonError::into_inner);
        folders
            .into_iter()
            .map(|(i, root)| {
                let media = library::root_index(i).map_or(0, |r| media_in(&lib, r));
                Folder { path: root.path, media }
            })
            .collect()
    }

    /// Serves `root` (if it is not already) and tells the watcher; whether it is new.
    fn serve(&self, root: Root) -> bool {
        let name = root.canonical.file_name().and_then(|n| n.to_str()).unwrap_or("Folder");
        let name = name.to_string();
        let added = {
            let mut lib = self.shared.library.write().unwrap_or_else(PoisonError::into_inner);
            let (slot, new) = self.shared.storage.share(root);
            let added = library::root_index(slot)
                .and_then(|r| lib.add_root(r, &name).map_err(|e| anyhow!("adding {name}: {e}")));
            match added {
                Ok(_) => new.then_some(slot),
                Err(e) => {
                    tracing::warn!("cannot share: {e:#}");
                    None
                }
            }
        };
        let Some(slot) = added else { return false };
        tracing::info!(folder = %name, slot, "sharing a new folder");
        // The watcher only ends with the server.
        let _ = self.live.send(live::Change::Shared(slot));
        true
    }

    /// Stops serving the folder at `path`, if it is served; returns it.
    fn unserve(&self, path: &Path) -> Option<Root> {
        let (slot, root) = {
            let mut lib = self.shared.library.write().unwrap_or_else(PoisonError::into_inner);
            let (slot, root) = self.shared.storage.unshare(path)?;
            if let Ok(r) = library::root_index(slot) {
                if let Err(e) = lib.remove_path(r, "") {
                    tracing::warn!(folder = %root.path.display(), "cannot remove: {e}");
                }
            }
            (slot, root)
        };
        tracing::info!(folder = %root.path.display(), slot, "folder no longer shared");
        let _ = self.live.send(live::Change::Unshared(slot));
        Some(root)
    }

    /// After a change: tells subscribers and watchers, writes the list to the config file.
    fn changed(&self, listed: &[PathBuf]) -> Result<()> {
        events::publish(&self.shared);
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
        if let Some(file) = &self.file {
            let listed: Vec<PathBuf> =
                listed.iter().filter(|p| Some(*p) != self.demo.as_ref()).cloned().collect();
            config::save(file, &listed)?;
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PathBuf>> {
        self.listed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How many media items served folder `root` holds, however deep.
fn media_in(lib: &Library, root: u16) -> usize {
    let Some(top) = lib.lookup_path(root, "") else { return 0 };
    let mut count = 0;
    let mut stack = vec![top];
    while let Some(id) = stack.pop() {
        match lib.get(id) {
            Some(obj) if obj.as_item().is_some() => count += 1,
            Some(obj) => {
                if let Some(children) = obj.children() {
                    stack.extend(children.ids());
                }
            }
            None => {}
        }
    }
    count
}
