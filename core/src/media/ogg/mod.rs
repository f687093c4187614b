//! The Ogg container (RFC 3533): pages, and packets assembled from them.
//!
//! [`page`] is the wire layer: a zero-copy page view, the page CRC and capture-pattern sync.
//! [`packet`] (with `alloc`) is a sans-IO demuxer that assembles packets across pages in
//! bounded buffers and reports holes the way libogg does.

#[cfg(feature = "alloc")]
pub mod packet;
pub mod page;
