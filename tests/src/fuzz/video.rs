//! `mkv`: Matroska and WebM headers through [`mkv::read`].
//!
//! Input: a file. The reader must return (an [`Info`](rill_core::media::video::Info) or an
//! error) without panicking, after reading at most two windows of [`mkv::HEAD`] bytes; what it
//! returns must be what Browse can show: a play time that fits the DIDL `duration`, a sample
//! rate and picture size that are plain numbers.

use rill_core::media::video::mkv;

use super::mem::Mem;

/// The `mkv` target.
pub fn mkv(data: &[u8]) {
    let Ok(info) = mkv::read(Mem::new(data)) else { return };
    if let Some(ms) = info.duration_ms {
        assert!(ms < 1_000_000_000_000_000, "duration {ms} ms");
    }
    if let Some(audio) = info.audio {
        assert!(audio.rate < 10_000_000, "rate {}", audio.rate);
    }
    let _ = info.matroska_profile();
}
