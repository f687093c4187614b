//! Media formats: the Ogg and MP4 containers, the Vorbis I and FLAC audio codecs.
//!
//! [`ogg`] splits a byte stream into pages and packets and knows granule positions, chains and
//! holes; [`vorbis`] turns Vorbis packets into PCM; `flac` (feature `flac`) reads native and
//! Ogg FLAC with exact lengths and sample-accurate seeks; [`mp4`] finds an MP4 file's audio
//! track, its codec configuration and where its samples lie, and [`alac`] decodes the ALAC in
//! it; [`opus_file`] reads Ogg Opus with exact lengths and seeks around a decoder the caller
//! supplies. All are `no_std`; each decoder's heap use is fixed once a stream's headers are read.
//! [`tags`] reads Vorbis comments and embedded pictures; [`jpeg`] tells whether a picture is
//! already a `JPEG_TN` the firmware can offer as it is. [`mp3`] finds an MP3 file's play time
//! (from its Xing or VBRI header, else by walking its frames). [`video`] reads video containers'
//! headers (play time, picture size, codecs) for Browse. `subtitle` (feature `subtitles`)
//! tells which files beside a video are its subtitles and serves their text as UTF-8.

#[cfg(feature = "alloc")]
pub mod alac;
#[cfg(feature = "flac")]
pub mod flac;
pub mod jpeg;
#[cfg(feature = "alloc")]
pub mod mp3;
#[cfg(feature = "alloc")]
pub mod mp4;
pub mod ogg;
#[cfg(feature = "alloc")]
pub mod opus_file;
#[cfg(feature = "alloc")]
mod pcm;
#[cfg(feature = "alloc")]
#[cfg(feature = "subtitles")]
pub mod subtitle;
pub mod tags;
#[cfg(feature = "alloc")]
pub mod video;
#[cfg(feature = "alloc")]
pub mod vorbis;
#[cfg(feature = "alloc")]
pub mod vorbis_file;
