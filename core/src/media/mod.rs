//! Media formats: the Ogg container and the Vorbis I audio codec.
//!
//! [`ogg`] splits a byte stream into pages and packets and knows granule positions, chains and
//! holes; [`vorbis`] turns Vorbis packets into PCM. Both are `no_std`; the decoder's heap use is
//! fixed once a stream's headers are read. [`tags`] reads Vorbis comments and embedded pictures;
//! [`jpeg`] tells whether a picture is already a `JPEG_TN` the firmware can offer as it is.

pub mod jpeg;
pub mod ogg;
pub mod tags;
#[cfg(feature = "alloc")]
pub mod vorbis;
#[cfg(feature = "alloc")]
pub mod vorbis_file;
