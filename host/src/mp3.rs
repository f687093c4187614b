//! MP3 files: tags through [`crate::tags`] (lofty), the play time, rate and channels through
//! the core's [`mp3`] reader, which takes the frame count from a Xing or VBRI header, else
//! from the length of a file whose bitrate is constant, else by walking its frames (lofty,
//! like MiniDLNA, would estimate a headerless VBR file's play time from its first frame's
//! bitrate).

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

use embedded_io_adapters::std::FromStd;
use rill_core::library::{AudioProps, Details};
use rill_core::media::mp3;

/// What reading the MP3 `file` (named `path`, opened confined by the caller) revealed, or
/// `None` if neither reader makes anything of it.
pub fn read(mut file: File, path: &Path) -> Option<Details> {
    let walked = mp3::read(FromStd::new(&mut file));
    // lofty reads the same file from its start.
    file.seek(SeekFrom::Start(0)).ok()?;
    let tagged = crate::tags::read(file, path);
    let info = match walked {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(path = %path.display(), "MPEG audio frames not read: {e}");
            return tagged;
        }
    };
    let mut details = tagged.unwrap_or_default();
    details.duration_ms = Some(info.duration_ms()).filter(|&ms| ms > 0);
    details.audio =
        Some(AudioProps { sample_rate: info.rate, channels: info.channels, bits_per_sample: 0 });
    Some(details)
}
