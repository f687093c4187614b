//! `mkv` and `mp4_video`: Matroska and WebM headers through [`mkv::read`] (and their keyframe
//! index through [`mkv::cues`]), MP4 and QuickTime
//! video through [`mp4::read`]; `avi`, `mpeg_ts`, `mpeg_ps` and `asf`: AVI through
//! [`avi::read`], MPEG transport streams (188 and 192-byte packets) through [`ts::read`],
//! program streams through [`ps::read`], ASF through [`asf::read`], each with its DLNA profile.
//!
//! Input: a file. The reader must return (an [`Info`] or an
//! error) without panicking, after reading at most two windows of [`mkv::HEAD`] bytes (and
//! the Matroska `Cues`, at most [`mkv::cues::MAX_CUES`]); what it
//! returns must be what Browse can show: a play time that fits the DIDL `duration`, a sample
//! rate and picture size that are plain numbers.

use rill_core::media::video::{self, asf, avi, mkv, mp4, ps, ts, Info};

use super::mem::Mem;

/// The `mkv` target. The `Cues` are searched too, for the keyframe at or before time 0 and
/// the latest time there is: one found must be no later than the time asked.
pub fn mkv(data: &[u8]) {
    for at_us in [0, u64::MAX] {
        if let Ok(Some(keyframe)) = mkv::cues::keyframe_at_or_before(Mem::new(data), at_us) {
            assert!(keyframe <= at_us, "keyframe {keyframe} us after {at_us} us");
        }
    }
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

/// The `avi` target.
pub fn avi(data: &[u8]) {
    let Ok(info) = avi::read(Mem::new(data)) else { return };
    check(&info);
}

/// The `mpeg_ts` target: the bitrate follows from the file's size and play time.
pub fn mpeg_ts(data: &[u8]) {
    let Ok(ts) = ts::read(Mem::new(data)) else { return };
    check(&ts.info);
    if ts.info.duration_ms.is_none() {
        assert_eq!(ts.bitrate, 0);
    }
    let _ = ts.profile();
}

/// The `mpeg_ps` target.
pub fn mpeg_ps(data: &[u8]) {
    let Ok(ps) = ps::read(Mem::new(data)) else { return };
    check(&ps.info);
    let _ = ps.profile();
}

/// The `asf` target.
pub fn asf(data: &[u8]) {
    let Ok(asf) = asf::read(Mem::new(data)) else { return };
    check(&asf.info);
    let _ = asf.profile();
}

/// What Browse prints must be printable.
fn check(info: &Info) {
    if let Some(ms) = info.duration_ms {
        assert!(ms < video::MAX_DURATION_MS, "duration {ms} ms");
    }
    if let Some(audio) = info.audio {
        assert!(audio.rate <= video::MAX_RATE_HZ, "rate {}", audio.rate);
    }
}
