//! `tags`: Vorbis comment headers and the cover art they carry.
//!
//! Input: a comment header packet (`\x03vorbis`, vendor, fields) or any bytes. It goes through
//! [`Comments::parse`] and [`Tags::from_comments`]; the chosen picture is decoded with
//! [`Picture::decode`] into a buffer of [`Picture::decoded_len_bound`] bytes, which must always
//! be enough. The input is also parsed as a binary picture block ([`Picture::parse`]) and, when
//! it is UTF-8, decoded as a base64 one; a parsed picture's data range must lie in its block.

use rill_core::media::tags::{Comments, Error, Picture, Tags};

/// The `tags` target.
pub fn tags(data: &[u8]) {
    if let Ok(comments) = Comments::parse(data) {
        let _ = comments.vendor();
        let _ = comments.fields().count();
        let tags = Tags::from_comments(&comments);
        if let Some(b64) = tags.picture {
            base64_picture(b64);
        }
    }
    if let Ok(picture) = Picture::parse(data) {
        assert!(picture.data.start <= picture.data.end && picture.data.end <= data.len());
    }
    if let Ok(text) = core::str::from_utf8(data) {
        base64_picture(text);
    }
}

fn base64_picture(b64: &str) {
    let mut buf = vec![0u8; Picture::decoded_len_bound(b64)];
    let len = buf.len();
    match Picture::decode(b64, &mut buf) {
        Ok(picture) => assert!(picture.data.end <= len),
        Err(e) => assert_ne!(e, Error::BufferTooSmall, "the bound is too small for {b64:?}"),
    }
}
