//! Vorbis, FLAC, ALAC and Opus to exact-length PCM: the renditions a player that cannot decode
//! them is offered.
//!
//! A Vorbis, FLAC, ALAC or Opus (48 kHz; with the `opus` feature and a platform decoder) track
//! of `n` frames becomes `audio/L16` (big-endian, no header) or `audio/wav` (RIFF header,
//! little-endian) of exactly `n × channels × 2` sample bytes. Because the length is exact and
//! the decoder seeks to the exact sample, any byte range or time range of the rendition is
//! produced directly: [`Layout`] maps it to a frame and [`Transcoder`] seeks there and encodes,
//! and the bytes equal the same slice of a full decode (for Opus, once the decoder has
//! converged after the seek's 80 ms pre-roll: see [`crate::media::opus_file`]). The decoders are
//! [`PcmSource`]s; [`Decoder`] opens a file as whichever its bytes say. Samples wider than 16
//! bits (24-bit FLAC or ALAC) are rounded to the nearest 16-bit value, a pure function of the
//! sample, so the exactness holds for them too.

//!
//! A stream outside DLNA's LPCM profile (more than two channels, or a rate other than 44.1 or
//! 48 kHz) also has an LPCM-profile version ([`Wrapping::Lpcm`]): downmixed ([`downmix`]) and
//! resampled ([`resample`]) by a [`Converter`] whose output frame `n` is a pure function of the
//! input frames around `n × from / to`, so it too is exact in length and exact under seeking.

mod convert;
pub mod downmix;
mod layout;
mod offer;
pub mod resample;
mod source;
mod stream;

pub use convert::{lpcm_target, target_rate, Converter};
pub use layout::{frames_to_us, Layout, Position, Wrapping, MAX_CHANNELS, MAX_HEADER};
pub use offer::WRAPPINGS;
#[cfg(feature = "opus")]
pub use source::OpusDecoder;
pub use source::{Decoder, PcmSource};
pub use stream::{Error, Transcoder};
