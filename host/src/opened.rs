//! A served file opened on the async worker, handed to the answer of the request that needs it.
//!
//! A range of a file as it is may block in two places: its open and its sends. A send of a
//! span in the page cache goes on the worker ([`crate::page_cache`]); so does the open when it
//! cannot block ([`Storage::open_cached`]: a local file system, the lookup all in the kernel's
//! name cache). The core names the file the next request opens before answering it
//! (`Connection::with_file_to_open`), [`crate::connection`] opens it then ([`Opened::open`])
//! and answers the request on the worker with [`Opened::answer`]: while the answer runs, the
//! file waits in a slot of the worker thread, where the connection's `Env::open` takes it
//! ([`take`]) instead of opening it again. So a range of a cached file costs no hand-over to
//! the [`pool`](crate::pool) at all. A file that cannot be opened so is opened on the pool as
//! before, where the answer then runs.
//!
//! The slot holds at most one file, and only while [`Opened::answer`] runs on this thread: it
//! is emptied when the answer returns, whether the file was taken or not.

use std::cell::RefCell;
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};

use rill_core::library::FileRef;

use crate::storage::Storage;

thread_local! {
    /// The file opened for the answer running on this thread, if any.
    static READY: RefCell<Option<Opened>> = const { RefCell::new(None) };
}

/// A file of a served folder opened without blocking, for the answer to one request.
#[derive(Debug)]
pub struct Opened {
    root: usize,
    rel: PathBuf,
    file: File,
    meta: Metadata,
}

impl Opened {
    /// The library file `file`, opened if that cannot block ([`Storage::open_cached`]);
    /// `None` if it might, or failed (the open on the pool then tells why).
    pub fn open(storage: &Storage, file: &FileRef<'_>) -> Option<Opened> {
        let root = usize::from(file.root);
        let rel: PathBuf = file.components().collect();
        let (file, meta) = storage.open_cached(root, &rel).ok().flatten()?;
        Some(Opened { root, rel, file, meta })
    }

    /// Runs `answer`, which opens this file through [`take`], with the file in this thread's
    /// slot; the slot is empty again when it returns.
    pub fn answer<R>(self, answer: impl FnOnce() -> R) -> R {
        READY.with(|ready| *ready.borrow_mut() = Some(self));
        let out = answer();
        READY.with(|ready| ready.borrow_mut().take());
        out
    }
}

/// The file at `rel` under root `root`, if [`Opened::answer`] opened it for the answer running
/// on this thread.
pub fn take(root: usize, rel: &Path) -> Option<(File, Metadata)> {
    READY.with(|ready| {
        let mut ready = ready.borrow_mut();
        if ready.as_ref().is_some_and(|o| o.root == root && o.rel == rel) {
            ready.take().map(|o| (o.file, o.meta))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The file is there for the answer, only for the file it is, and only during the answer.
    #[test]
    fn the_answer_takes_the_file_it_was_opened_for() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/x.ogg"), b"xx").unwrap();
        let storage = Storage::new(&[dir.path().to_path_buf()]).unwrap();
        let opened = storage.open_cached(0, Path::new("a/x.ogg")).unwrap().unwrap();
        let ready = Opened { root: 0, rel: "a/x.ogg".into(), file: opened.0, meta: opened.1 };
        let (other, mut file) = ready.answer(|| {
            let other =
                take(0, Path::new("a/y.ogg")).is_some() || take(1, Path::new("a/x.ogg")).is_some();
            (other, take(0, Path::new("a/x.ogg")).expect("the file opened for the answer"))
        });
        assert!(!other, "another file, or another root");
        let mut out = Vec::new();
        file.0.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"xx");
        let unused = storage.open_cached(0, Path::new("a/x.ogg")).unwrap().unwrap();
        let ready = Opened { root: 0, rel: "a/x.ogg".into(), file: unused.0, meta: unused.1 };
        ready.answer(|| ());
        assert!(take(0, Path::new("a/x.ogg")).is_none(), "emptied after the answer");
    }
}
