//! The bookmarks Samsung TVs set ([`rill_core::upnp::bookmarks`]), kept in a file in the state
//! folder so that a TV resumes where it stopped after a restart too.
//!
//! The file `bookmarks` holds the table's text form (one `<object id> <position>` line each).
//! It is rewritten, through a temporary file and a rename, after each `X_SetBookmark` that
//! changed the table: a TV sets one when playback stops, so writes are rare and small (at most
//! [`CAPACITY`] lines, about 100 KB). A file that cannot be read or written is logged and the
//! table lives in memory only.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rill_core::upnp::bookmarks::{Bookmarks, CAPACITY};

/// The bookmark table and where it is saved.
#[derive(Debug)]
pub struct Store {
    table: Mutex<Saved>,
    /// The file, or `None` for a table kept in memory only.
    path: Option<PathBuf>,
}

#[derive(Debug)]
struct Saved {
    bookmarks: Bookmarks,
    /// The [`Bookmarks::generation`] last written (or read).
    saved: u64,
}

impl Default for Store {
    /// A table in memory only.
    fn default() -> Self {
        Store::holding(Bookmarks::new(CAPACITY), None)
    }
}

impl Store {
    fn holding(bookmarks: Bookmarks, path: Option<PathBuf>) -> Store {
        let saved = bookmarks.generation();
        Store { table: Mutex::new(Saved { bookmarks, saved }), path }
    }

    /// The table saved in `state_dir`, or an empty one saved there from now on when there is
    /// none yet (or it cannot be read: logged).
    pub fn load(state_dir: &Path) -> Store {
        let path = state_dir.join("bookmarks");
        let bookmarks = match std::fs::read_to_string(&path) {
            Ok(text) => Bookmarks::parse(&text, CAPACITY).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), "ignoring the saved bookmarks: {e}");
                Bookmarks::new(CAPACITY)
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Bookmarks::new(CAPACITY),
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot read the saved bookmarks: {e}");
                Bookmarks::new(CAPACITY)
            }
        };
        Store::holding(bookmarks, Some(path))
    }

    /// Runs `f` with the table, then saves the table if `f` changed it.
    pub fn with<R>(&self, f: impl FnOnce(&mut Bookmarks) -> R) -> R {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let out = f(&mut table.bookmarks);
        let generation = table.bookmarks.generation();
        if generation != table.saved {
            table.saved = generation;
            if let Some(path) = &self.path {
                if let Err(e) = save(path, &table.bookmarks.to_string()) {
                    tracing::warn!(path = %path.display(), "cannot save the bookmarks: {e}");
                }
            }
        }
        out
    }
}

/// Writes `text` to `path` through a temporary file beside it, so a crash leaves the old file
/// or the new one, never half of one.
fn save(path: &Path, text: &str) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_core::library::ObjectId;

    #[test]
    fn a_table_survives_a_reload_and_a_damaged_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::load(dir.path());
        store.with(|b| b.set(ObjectId(0xabc), 95));
        store.with(|b| b.set(ObjectId(0x12), 7));
        let file = dir.path().join("bookmarks");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "abc 95\n12 7\n");
        let again = Store::load(dir.path());
        assert_eq!(
            again.with(|b| (b.get(ObjectId(0xabc)), b.get(ObjectId(0x12)))),
            (Some(95), Some(7))
        );

        std::fs::write(&file, "abc 95\ngarbage\n").unwrap();
        assert!(Store::load(dir.path()).with(|b| b.is_empty()));
        let unsaved = Store::load(&dir.path().join("missing"));
        unsaved.with(|b| b.set(ObjectId(1), 1));
        assert!(!dir.path().join("missing").exists(), "no folder, nothing saved, no panic");
    }
}
