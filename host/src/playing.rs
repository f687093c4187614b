//! The streams now playing, for `rill status` and the D-Bus `Streams` property.
//!
//! Every media file the HTTP server opens for a response (a file served as it is, or the
//! source of a transcode) is a [`MediaFile`] that holds a [`Stream`] entry for as long as it
//! is open: the entry is listed from the moment the file is opened to the moment the response
//! ends and the file is dropped, however it ends. Thumbnails are not streams.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use embedded_io_adapters::std::FromStd;

/// Most streams listed; past it, more are served but not listed (a bound on the list, which
/// the connection limit bounds anyway).
pub const MAX_LISTED: usize = 256;

/// The streams now playing: an id and the file's path relative to its served folder.
#[derive(Debug, Default)]
pub struct Playing {
    next: AtomicU64,
    now: Mutex<Vec<(u64, String)>>,
    /// Marked changed whenever a stream starts or ends, for whoever shows the list
    /// ([`crate::bus`]'s `Streams`), so it need not look periodically.
    changed: tokio::sync::watch::Sender<()>,
}

impl Playing {
    /// Lists a stream of `path` until the returned entry is dropped.
    pub fn start(self: &Arc<Self>, path: String) -> Stream {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        if now.len() < MAX_LISTED {
            now.push((id, path));
        }
        drop(now);
        self.changed.send_replace(());
        Stream { playing: Arc::clone(self), id }
    }

    /// Ticks whenever a stream starts or ends.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<()> {
        self.changed.subscribe()
    }

    /// The files now playing, oldest stream first.
    pub fn list(&self) -> Vec<String> {
        let now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        now.iter().map(|(_, path)| path.clone()).collect()
    }
}

/// One stream's entry in [`Playing`], removed when dropped.
#[derive(Debug)]
pub struct Stream {
    playing: Arc<Playing>,
    id: u64,
}

impl Drop for Stream {
    fn drop(&mut self) {
        let mut now = self.playing.now.lock().unwrap_or_else(PoisonError::into_inner);
        now.retain(|(id, _)| *id != self.id);
        drop(now);
        self.playing.changed.send_replace(());
    }
}

/// An open media file, and the stream entry it keeps while open (none for thumbnails).
pub struct MediaFile {
    /// The file.
    pub file: FromStd<std::fs::File>,
    _stream: Option<Stream>,
    /// The `ffmpeg` writing into `file` when it is a remux's output, killed and reaped when
    /// the file is dropped.
    _remux: Option<crate::remux::Process>,
}

impl MediaFile {
    /// `file`, listed as `stream` while open (if given).
    pub fn new(file: std::fs::File, stream: Option<Stream>) -> MediaFile {
        MediaFile { file: FromStd::new(file), _stream: stream, _remux: None }
    }

    /// The output of a remux by `process`, listed as `stream` while open.
    pub fn remux(output: std::fs::File, stream: Stream, process: crate::remux::Process) -> Self {
        MediaFile { file: FromStd::new(output), _stream: Some(stream), _remux: Some(process) }
    }
}

impl embedded_io::ErrorType for MediaFile {
    type Error = std::io::Error;
}

impl embedded_io::Read for MediaFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.file.read(buf)
    }
}

impl embedded_io::Seek for MediaFile {
    fn seek(&mut self, pos: embedded_io::SeekFrom) -> Result<u64, Self::Error> {
        self.file.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_listed_while_its_entry_lives() {
        let playing = Arc::new(Playing::default());
        let a = playing.start("a.ogg".into());
        let b = playing.start("b/c.flac".into());
        assert_eq!(playing.list(), ["a.ogg", "b/c.flac"]);
        let mut changed = playing.subscribe();
        assert!(!changed.has_changed().unwrap());
        drop(a);
        assert!(changed.has_changed().unwrap(), "an ending is signalled");
        changed.mark_unchanged();
        assert_eq!(playing.list(), ["b/c.flac"]);
        drop(b);
        assert!(playing.list().is_empty());
    }
}
