//! MP4 audio files (`.m4a`): tags through [`crate::tags`] (lofty), everything else through the
//! core's [`probe::mp4`]: ALAC or AAC told apart by the sample description, the AAC DLNA
//! profile, the play time from the MP4 header and, for ALAC, the exact length and bit depth.

use std::fs::File;
use std::path::Path;

use embedded_io_adapters::std::FromStd;
use rill_core::library::{probe, Details};

/// What reading the `.m4a` file at `path` revealed, or `None` if it is not a readable MP4.
pub fn read(path: &Path) -> Option<Details> {
    let file = File::open(path).ok()?;
    let mut details = match probe::mp4(FromStd::new(file)) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(path = %path.display(), "not readable as MP4 audio: {e}");
            return crate::tags::read(path);
        }
    };
    if let Some(tagged) = crate::tags::read(path) {
        details.tags = tagged.tags;
        details.picture = tagged.picture;
    }
    Some(details)
}
