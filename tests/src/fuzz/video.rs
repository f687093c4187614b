//! `mkv` and `mp4_video`: Matroska and WebM headers through [`mkv::read`], MP4 and QuickTime
//! video through [`mp4::read`].
//!
//! Input: a file. The reader must return (an [`Info`](rill_core::media::video::Info) or an
//! error) without panicking, after reading at most two windows of [`mkv::HEAD`] bytes; what it
//! returns must be what Browse can show: a play time that fits the DIDL `duration`, a sample
//! rate and picture size that are plain numbers.

use rill_core::media::video::{mkv, mp4, Info};

use super::mem::Mem;

/// The `mkv` target.
pub fn mkv(data: &[u8]) {
    let Ok(info) = mkv::read(Mem::new(data)) else { return };
    check(&info);
    let _ = info.matroska_profile();
}

/// The `mp4_video` target.
pub fn mp4_video(data: &[u8]) {
    let Ok(info) = mp4::read(Mem::new(data)) else { return };
    check(&info);
    let _ = info.mp4_profile();
}

/// What Browse prints must be printable.
fn check(info: &Info) {
    if let Some(ms) = info.duration_ms {
        assert!(ms < 1_000_000_000_000_000, "duration {ms} ms");
    }
    if let Some(audio) = info.audio {
        assert!(audio.rate < 10_000_000, "rate {}", audio.rate);
    }
}
