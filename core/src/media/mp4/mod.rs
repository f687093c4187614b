//! The MP4 / ISO base media file format (`.m4a`, `.mp4`, `.mov`): enough of it to find an
//! audio track, tell ALAC from AAC (and MP3 in `mp4a`), read its configuration, its duration
//! and where each of its samples lies.
//!
//! [`Movie::read`] walks the top-level boxes of a `Read + Seek` source, reading only their
//! headers and seeking over the others, until it finds `moov`, which it reads whole into one
//! buffer bounded by a caller's budget. Everything else is a zero-copy view into that buffer:
//! [`boxes`] parses headers (each size checked against the parent box and the file; 64-bit
//! sizes; size 0 runs to the end), [`track`] follows the fixed path to the first sound
//! track's sample description and tables, [`esds`] reads the AAC configuration and
//! [`table`] maps a sample index to a byte offset and size.
//!
//! Hostile input (files of this format often are) gives an [`Error`], never a panic and never
//! a loop: every walk consumes at least one box header per step or narrows a range, the path
//! walked is fixed (so the depth is bounded), and every table count is checked against its
//! box before an entry is read.

pub mod boxes;
pub mod esds;
pub mod table;
pub mod track;

use alloc::vec::Vec;
use core::fmt;

use embedded_io::{Read, Seek, SeekFrom};

use self::boxes::Header;
pub use self::track::{Codec, Track};

/// Budget for the movie box used by [`Movie::read`] callers that have no better figure: the
/// `moov` of an hour of AAC is about 1.3 MB (a 4-byte size per 1024 frames), of ALAC far less.
pub const DEFAULT_MOOV_BUDGET: usize = 16 * 1024 * 1024;

/// Why an MP4 file cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The source failed.
    Io(embedded_io::ErrorKind),
    /// The source ended inside a box or a field.
    Truncated,
    /// A box's size is smaller than its header or larger than what encloses it.
    BadBox,
    /// No `moov` box at the top level.
    NoMovie,
    /// No sound track with a sample description.
    NoAudio,
    /// A sample table is inconsistent (counts beyond the box, chunks out of order).
    BadTable,
    /// A codec configuration (`esds`, ALAC cookie) is missing or invalid.
    BadConfig,
    /// The movie box is larger than the budget.
    Budget,
    /// An allocation within the budget failed.
    OutOfMemory,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Io(_) => "read error",
            Error::Truncated => "MP4 file truncated",
            Error::BadBox => "MP4 box size out of bounds",
            Error::NoMovie => "no MP4 movie box",
            Error::NoAudio => "no audio track",
            Error::BadTable => "inconsistent MP4 sample tables",
            Error::BadConfig => "missing or invalid codec configuration",
            Error::Budget => "MP4 movie box larger than the memory budget",
            Error::OutOfMemory => "out of memory",
        })
    }
}

impl core::error::Error for Error {}

impl Error {
    fn io(e: impl embedded_io::Error) -> Self {
        Error::Io(e.kind())
    }
}

/// The movie box of a file, read into memory.
#[derive(Debug, Clone)]
pub struct Movie {
    moov: Vec<u8>,
    /// Whether `moov` comes before the media data (`mdat`), as DLNA's ISO profiles and
    /// progressive players want.
    pub moov_first: bool,
    /// Length of the file in bytes.
    pub file_len: u64,
}

impl Movie {
    /// Finds the `moov` box of `src` and reads it, refusing one larger than `budget` bytes.
    /// The source is left at an unspecified position.
    pub fn read<R: Read + Seek>(src: &mut R, budget: usize) -> Result<Movie, Error> {
        let len = src.seek(SeekFrom::End(0)).map_err(Error::io)?;
        let mut pos = 0u64;
        let mut mdat_seen = false;
        // Each round moves `pos` forward by a whole box (at least 8 bytes): the loop ends.
        while pos < len {
            src.seek(SeekFrom::Start(pos)).map_err(Error::io)?;
            let mut head = [0u8; 16];
            let want = usize::try_from((len - pos).min(16)).unwrap_or(16);
            let got = head.get_mut(..want).ok_or(Error::Truncated)?;
            src.read_exact(got).map_err(|_| Error::Truncated)?;
            let h = Header::parse(got, len - pos)?;
            if &h.kind == b"moov" {
                let body_len = usize::try_from(h.body_len()).map_err(|_| Error::Budget)?;
                if body_len > budget {
                    return Err(Error::Budget);
                }
                let mut moov = Vec::new();
                moov.try_reserve_exact(body_len).map_err(|_| Error::OutOfMemory)?;
                moov.resize(body_len, 0);
                src.seek(SeekFrom::Start(pos + u64::from(h.header_len))).map_err(Error::io)?;
                src.read_exact(&mut moov).map_err(|_| Error::Truncated)?;
                return Ok(Movie { moov, moov_first: !mdat_seen, file_len: len });
            }
            mdat_seen |= &h.kind == b"mdat";
            pos += h.size;
        }
        Err(Error::NoMovie)
    }

    /// The body of the movie box.
    pub fn moov(&self) -> &[u8] {
        &self.moov
    }

    /// Heap held: the movie box.
    pub fn heap_bytes(&self) -> usize {
        self.moov.capacity()
    }

    /// The first sound track.
    pub fn audio(&self) -> Result<Track<'_>, Error> {
        Track::find(&self.moov)
    }
}
