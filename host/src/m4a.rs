//! MP4 audio files (`.m4a`): tags through [`crate::tags`] (lofty), everything else through the
//! core's [`probe::mp4`]: ALAC or AAC told apart by the sample description, the AAC DLNA
//! profile, the play time from the MP4 header and, for ALAC, the exact length and bit depth.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

use embedded_io_adapters::std::FromStd;
use rill_core::library::{probe, Details};

/// What reading the `.m4a` `file` (named `path`, opened confined by the caller) revealed, or
/// `None` if it is not a readable MP4.
pub fn read(mut file: File, path: &Path) -> Option<Details> {
    let probed = probe::mp4(FromStd::new(&mut file));
    // lofty reads the same file from its start.
    file.seek(SeekFrom::Start(0)).ok()?;
    let mut details = match probed {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(path = %path.display(), "not readable as MP4 audio: {e}");
            return crate::tags::read(file, path);
        }
    };
    if let Some(tagged) = crate::tags::read(file, path) {
        details.tags = tagged.tags;
        details.picture = tagged.picture;
    }
    Some(details)
}
