//! The Ogg container (RFC 3533): pages, and packets assembled from them.
//!
//! [`page`] is the wire layer: a zero-copy page view, the page CRC and capture-pattern sync.
//! [`packet`] (with `alloc`) is a sans-IO demuxer that assembles packets across pages in
//! bounded buffers and reports holes the way libogg does. [`timeline`] maps the granule
//! positions of an audio link's pages to its output frames (start offset, pre-skip, end trim,
//! chained links), and `io` (with `alloc`) finds pages in a seekable source, for the Opus,
//! Vorbis and Ogg FLAC readers alike.

#[cfg(feature = "alloc")]
pub(crate) mod io;
#[cfg(feature = "alloc")]
pub mod packet;
pub mod page;
pub mod timeline;
