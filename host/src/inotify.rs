//! inotify on the tokio runtime, through nix: an instance whose watches are added and removed
//! from any thread ([`open`]), and whose events a task reads when the kernel has some
//! ([`Reader`]: no thread of its own, no polling). Used by the live library
//! ([`crate::live`]) and the config file's watch ([`crate::config::watch`]).
//!
//! Only the events asked for in a watch's mask are queued by the kernel, so a watch that
//! leaves out `IN_OPEN`, `IN_ACCESS` and `IN_CLOSE_NOWRITE` wakes no one when its files are
//! read. Events that do not fit the kernel's queue (`fs.inotify.max_queued_events`) are lost,
//! which the next read reports as one `IN_Q_OVERFLOW` event.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::Arc;

use nix::sys::inotify::{InitFlags, Inotify, InotifyEvent};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// A new inotify instance, non-blocking (for [`Reader`]) and closed on `exec`.
pub fn open() -> io::Result<Arc<Inotify>> {
    Ok(Arc::new(Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?))
}

/// Reads an instance's events on the tokio runtime.
#[derive(Debug)]
pub struct Reader(AsyncFd<Fd>);

/// The instance, shared with whoever adds its watches.
#[derive(Debug)]
struct Fd(Arc<Inotify>);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Reader {
    /// Reads the events of `inotify` (from [`open`]); called on the runtime.
    #[allow(unsafe_code)]
    pub fn new(inotify: Arc<Inotify>) -> io::Result<Reader> {
        // SAFETY: `register` needs the descriptor to stay open and the same while the
        // `AsyncFd` lives. `Fd` holds the instance, whose `OwnedFd` is closed only when the
        // last `Arc` goes (the `AsyncFd`'s among them), and always gives the same descriptor.
        let fd = unsafe { AsyncFd::register_with_interest(Fd(inotify), Interest::READABLE) };
        Ok(Reader(fd.map_err(io::Error::from)?))
    }

    /// The events queued, waiting until there is at least one (at most 4 KiB of them: one
    /// `read`).
    pub async fn read(&self) -> io::Result<Vec<InotifyEvent>> {
        loop {
            let mut ready = self.0.readable().await?;
            match ready.try_io(|fd| fd.get_ref().0.read_events().map_err(io::Error::from)) {
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(events) => return events,
                // Read already: the readiness is cleared, wait again.
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::inotify::AddWatchFlags;

    #[tokio::test]
    async fn events_are_read_as_they_come_and_reads_are_not_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let inotify = open().unwrap();
        let mask = AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_DELETE;
        let wd = inotify.add_watch(dir.path(), mask).unwrap();
        let reader = Reader::new(Arc::clone(&inotify)).unwrap();
        std::fs::write(dir.path().join("a"), b"1").unwrap();
        // Opened and read: nothing queued for that.
        assert_eq!(std::fs::read(dir.path().join("a")).unwrap(), b"1");
        std::fs::remove_file(dir.path().join("a")).unwrap();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            for event in reader.read().await.unwrap() {
                assert_eq!(event.wd, wd);
                assert_eq!(event.name.as_deref(), Some(std::ffi::OsStr::new("a")));
                seen.push(event.mask);
            }
        }
        assert_eq!(seen, [AddWatchFlags::IN_CLOSE_WRITE, AddWatchFlags::IN_DELETE]);
        // Nothing more is waiting (the open and the read queued nothing).
        assert_eq!(inotify.read_events().unwrap_err(), nix::errno::Errno::EAGAIN);
    }
}
