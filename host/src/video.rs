//! Video files' details for Browse (play time, picture size, audio rate and channels, DLNA
//! profile), read by the core's container readers ([`rill_core::media::video`]) through the
//! confined [`Storage`]; when they cannot read a file, [`crate::ffprobe`] (if installed) gives
//! what it can, without a DLNA profile.

use std::path::Path;

use embedded_io_adapters::std::FromStd;
use rill_core::dlna::MediaFormat;
use rill_core::library::{probe, Details};

use crate::storage::Storage;

/// The details of the video at `path` under served folder `root`, if Rill reads its container
/// (Matroska, WebM, MP4, QuickTime, AVI, MPEG-TS/M2TS, MPEG-PS and ASF), else (no play time
/// in them) what ffprobe reads of it; a file that neither reads is logged and gets what its
/// headers gave, if anything.
pub fn read(storage: &Storage, root: usize, path: &Path, format: MediaFormat) -> Option<Details> {
    let reader = match format {
        MediaFormat::Mkv => probe::matroska::<FromStd<std::fs::File>>,
        MediaFormat::Mp4 => probe::mp4_video::<FromStd<std::fs::File>>,
        MediaFormat::Avi => probe::avi::<FromStd<std::fs::File>>,
        MediaFormat::MpegTs => probe::mpeg_ts::<FromStd<std::fs::File>>,
        MediaFormat::Mpeg => probe::mpeg_ps::<FromStd<std::fs::File>>,
        MediaFormat::Wmv => probe::asf::<FromStd<std::fs::File>>,
        _ => return None,
    };
    let details = storage
        .open(root, path)
        .map_err(|e| e.to_string())
        .and_then(|(file, _)| reader(FromStd::new(file)).map_err(|e| e.to_string()));
    // Without a play time players draw no seek bar: ask ffprobe, keeping what the headers
    // gave if it cannot help.
    let mut partial = None;
    let error = match details {
        Ok(details) if details.duration_ms.is_some() => return Some(details),
        Ok(details) => {
            partial = details.resolution.is_some().then_some(details);
            "no play time in the headers".to_string()
        }
        Err(e) => e,
    };
    // ffprobe reads the file opened here, confined, never a path of its own.
    storage
        .open(root, path)
        .map_err(|e| e.to_string())
        .and_then(|(file, _)| crate::ffprobe::read(file))
        .map_err(|e| tracing::warn!(path = %path.display(), "video headers not read: {error}; {e}"))
        .ok()
        .or(partial)
}
