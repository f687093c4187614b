//! `mp3`: MP3 files through [`mp3::read`] (ID3v2 skipped, the first frame found, its Xing or
//! VBRI header, else the walk over the frames with resync over damage).
//!
//! Input: a file. The reader must return without panicking; what it returns must be an MPEG
//! audio stream's rate, channels and frame size, and a walked frame count no larger than the
//! frames the input can hold.

use rill_core::media::mp3::{self, Source};

use super::mem::Mem;

/// The `mp3` target.
pub fn mp3(data: &[u8]) {
    let Ok(info) = mp3::read(Mem::new(data)) else { return };
    assert!((8_000..=48_000).contains(&info.rate), "{info:?}");
    assert!(matches!(info.channels, 1 | 2), "{info:?}");
    assert!(matches!(info.samples_per_frame, 384 | 576 | 1152), "{info:?}");
    if info.source == Source::Walk {
        // The shortest frame is 24 bytes (Layer III, 8 kb/s at 24 kHz).
        assert!(info.frames <= data.len() as u64 / 24 + 1, "{info:?}");
    }
    let _ = info.duration_ms();
}
