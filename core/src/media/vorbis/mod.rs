//! A Vorbis I audio decoder: headers, codebooks, floors 0 and 1, residues 0-2, channel coupling,
//! inverse MDCT and overlap-add, as the Vorbis I specification describes them.
//!
//! Use: [`Ident::parse`] the first packet, skip the comment packet, [`Setup::parse`] the third,
//! then [`Decoder::new`] and feed audio packets to [`Decoder::decode`]; each returns how many
//! frames it completed, read through [`Decoder::pcm`]. Granule positions, trimming and seeking
//! belong to the Ogg layer: this decoder only knows packets.
//!
//! Promises: no panics on any input (every count and index from the setup header is checked, and
//! decoding uses checked access); all heap memory is allocated fallibly when the headers are
//! parsed and the decoder built (sizes given by [`Setup::heap_bytes`] and
//! [`Decoder::buffer_bytes`]; about 57 KB in all for a 44.1 kHz stereo q5 stream), none while
//! decoding. Output matches stock libvorbis to float rounding, including its readings where the
//! spec is loose (15-bit floor 1 posts, at most 65 of them; books without used entries; end of
//! packet inside a codeword). VQ tables are never expanded: vectors are computed from the entry
//! number.
//!
//! Limits beyond the spec's: a codebook may have at most 65536 used entries
//! ([`Error::Unsupported`]); encoders use a few hundred.

use alloc::vec::Vec;
use core::fmt;

mod bits;
mod codebook;
mod decoder;
mod floor0;
mod floor1;
mod ident;
mod mdct;
mod pcm;
mod residue;
mod setup;
mod window;

pub use decoder::Decoder;
pub use ident::{packet_kind, Ident, PacketKind};
pub(crate) use pcm::to_i16;
pub use pcm::Pcm;
pub use setup::Setup;

/// Why a Vorbis header or packet was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// Not the expected Vorbis header packet (wrong type byte or no `vorbis` magic).
    NotVorbis,
    /// A malformed identification header.
    BadHeader,
    /// A Vorbis version other than 0.
    UnsupportedVersion,
    /// A malformed or inconsistent setup header.
    BadSetup,
    /// Valid but beyond this decoder's limits (a codebook with more than 65536 used entries).
    Unsupported,
    /// A header packet (or an empty packet) where an audio packet was expected.
    NotAudio,
    /// An audio packet naming an invalid mode, or too short to hold its mode and window flags.
    BadPacket,
    /// An allocation failed.
    OutOfMemory,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::NotVorbis => "not a Vorbis header",
            Error::BadHeader => "malformed Vorbis identification header",
            Error::UnsupportedVersion => "unsupported Vorbis version",
            Error::BadSetup => "malformed Vorbis setup header",
            Error::Unsupported => "Vorbis stream exceeds decoder limits",
            Error::NotAudio => "not a Vorbis audio packet",
            Error::BadPacket => "malformed Vorbis audio packet",
            Error::OutOfMemory => "out of memory for Vorbis decoder",
        })
    }
}

impl core::error::Error for Error {}

/// A vector of `len` copies of `value`, allocated fallibly.
fn try_vec<T: Clone>(len: usize, value: T) -> Result<Vec<T>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::OutOfMemory)?;
    v.resize(len, value);
    Ok(v)
}
