//! Vorbis to exact-length PCM: the renditions a player that cannot decode Vorbis is offered.
//!
//! A Vorbis track of `n` frames becomes `audio/L16` (big-endian, no header) or `audio/wav`
//! (RIFF header, little-endian) of exactly `n × channels × 2` sample bytes. Because the length
//! is exact and the decoder seeks to the exact sample, any byte range or time range of the
//! rendition is produced directly: [`Layout`] maps it to a frame and [`Transcoder`] seeks there
//! and encodes, and the bytes equal the same slice of a full decode.

mod layout;
mod offer;
mod stream;

pub use layout::{frames_to_us, Container, Layout, Position, MAX_CHANNELS, MAX_HEADER};
pub use offer::CONTAINERS;
pub use stream::{Error, Transcoder};
