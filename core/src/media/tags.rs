//! Vorbis comments: the vendor string, `KEY=value` fields and embedded cover art.
//!
//! [`Comments::parse`] borrows the comment header packet (`\x03vorbis`, vendor, fields) and
//! iterates its fields without copying; [`Tags`] picks out the fields a media library shows
//! (keys compare case-insensitively, the first occurrence wins). `METADATA_BLOCK_PICTURE`
//! holds a base64 FLAC picture block; [`Picture::decode`] decodes it into a caller buffer.
//! Every length is checked against the input, so no input can make these parsers panic or
//! allocate.

use core::fmt;
use core::ops::Range;

/// Why a comment packet or picture block is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// Not a Vorbis comment header packet.
    NotComment,
    /// A length field points past the end of the data.
    Truncated,
    /// Invalid base64 in a picture field.
    BadBase64,
    /// The caller's buffer is too small for the decoded picture block.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::NotComment => "not a Vorbis comment header",
            Error::Truncated => "truncated Vorbis comment data",
            Error::BadBase64 => "invalid base64 in picture",
            Error::BufferTooSmall => "buffer too small for picture",
        })
    }
}

impl core::error::Error for Error {}

/// A little-endian or big-endian cursor over bytes that never reads past the end.
struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.data.len() {
            return Err(Error::Truncated);
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn u32_le(&mut self) -> Result<u32, Error> {
        let b = self.take(4)?.try_into().map_err(|_| Error::Truncated)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u32_be(&mut self) -> Result<u32, Error> {
        let b = self.take(4)?.try_into().map_err(|_| Error::Truncated)?;
        Ok(u32::from_be_bytes(b))
    }

    fn len_prefixed_le(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u32_le()?;
        self.take(usize::try_from(n).map_err(|_| Error::Truncated)?)
    }

    fn len_prefixed_be(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u32_be()?;
        self.take(usize::try_from(n).map_err(|_| Error::Truncated)?)
    }
}

/// A parsed comment header: the vendor string and the raw fields.
#[derive(Debug, Clone, Copy)]
pub struct Comments<'a> {
    vendor: &'a [u8],
    count: u32,
    fields: &'a [u8],
}

impl<'a> Comments<'a> {
    /// Parses a comment header packet. The field count is not trusted: iteration stops at the
    /// first field that does not fit.
    pub fn parse(packet: &'a [u8]) -> Result<Self, Error> {
        let body = packet.strip_prefix(b"\x03vorbis").ok_or(Error::NotComment)?;
        let mut c = Cursor { data: body };
        let vendor = c.len_prefixed_le()?;
        let count = c.u32_le()?;
        Ok(Comments { vendor, count, fields: c.data })
    }

    /// Parses the body of a FLAC VORBIS_COMMENT metadata block: the same fields without the
    /// packet's `\x03vorbis` prefix (RFC 9639 §8.6).
    pub fn parse_block(block: &'a [u8]) -> Result<Self, Error> {
        let mut c = Cursor { data: block };
        let vendor = c.len_prefixed_le()?;
        let count = c.u32_le()?;
        Ok(Comments { vendor, count, fields: c.data })
    }

    /// The encoder's vendor string (invalid UTF-8 gives an empty string).
    pub fn vendor(&self) -> &'a str {
        core::str::from_utf8(self.vendor).unwrap_or("")
    }

    /// All fields as (key, value) byte strings, split at the first `=`; fields without `=` are
    /// skipped.
    pub fn fields(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let mut c = Cursor { data: self.fields };
        (0..self.count).map_while(move |_| c.len_prefixed_le().ok()).filter_map(|f| {
            let eq = f.iter().position(|&b| b == b'=')?;
            Some((f.get(..eq)?, f.get(eq + 1..)?))
        })
    }

    /// Values of every field whose key equals `key` ignoring ASCII case, as UTF-8 (invalid
    /// values are skipped).
    pub fn get<'k>(&self, key: &'k str) -> impl Iterator<Item = &'a str> + 'k
    where
        'a: 'k,
    {
        self.fields()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key.as_bytes()))
            .filter_map(|(_, v)| core::str::from_utf8(v).ok())
    }

    /// The first value for `key`, if any.
    pub fn first(&self, key: &str) -> Option<&'a str> {
        self.get(key).next()
    }
}

/// A number with an optional total, as in `TRACKNUMBER=3/12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The number (3 in "3/12").
    pub number: u32,
    /// The total (12 in "3/12"), when given.
    pub total: Option<u32>,
}

impl Position {
    /// Parses "3", " 3 / 12 " and the like; `None` when the number is missing or not decimal.
    pub fn parse(s: &str) -> Option<Self> {
        let (n, t) = match s.split_once('/') {
            Some((n, t)) => (n, Some(t)),
            None => (s, None),
        };
        let number = n.trim().parse().ok()?;
        let total = t.and_then(|t| t.trim().parse().ok());
        Some(Position { number, total })
    }
}

/// The fields a media library shows, borrowed from a comment header.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tags<'a> {
    /// `TITLE`.
    pub title: Option<&'a str>,
    /// `ARTIST`.
    pub artist: Option<&'a str>,
    /// `ALBUM`.
    pub album: Option<&'a str>,
    /// `ALBUMARTIST` (also accepted: `ALBUM ARTIST`).
    pub album_artist: Option<&'a str>,
    /// `TRACKNUMBER`, with `TRACKTOTAL` as the total when the number has none.
    pub track: Option<Position>,
    /// `DISCNUMBER`, with `DISCTOTAL` as the total when the number has none.
    pub disc: Option<Position>,
    /// `GENRE`.
    pub genre: Option<&'a str>,
    /// `DATE`.
    pub date: Option<&'a str>,
    /// `COMPILATION=1`: the track belongs to a compilation.
    pub compilation: bool,
    /// The raw base64 `METADATA_BLOCK_PICTURE` value: the front cover (type 3) if present,
    /// else the first picture. Decode with [`Picture::decode`].
    pub picture: Option<&'a str>,
}

impl<'a> Tags<'a> {
    /// Picks the known fields out of parsed comments.
    pub fn from_comments(c: &Comments<'a>) -> Self {
        let position = |key, total_key| {
            let mut p = c.first(key).and_then(Position::parse)?;
            if p.total.is_none() {
                p.total = c.first(total_key).and_then(|t| t.trim().parse().ok());
            }
            Some(p)
        };
        let picture = c
            .get("METADATA_BLOCK_PICTURE")
            .find(|v| picture_type(v) == Some(3))
            .or_else(|| c.first("METADATA_BLOCK_PICTURE"));
        Tags {
            title: c.first("TITLE"),
            artist: c.first("ARTIST"),
            album: c.first("ALBUM"),
            album_artist: c.first("ALBUMARTIST").or_else(|| c.first("ALBUM ARTIST")),
            track: position("TRACKNUMBER", "TRACKTOTAL"),
            disc: position("DISCNUMBER", "DISCTOTAL"),
            genre: c.first("GENRE"),
            date: c.first("DATE"),
            compilation: c.first("COMPILATION").is_some_and(|v| v.trim() == "1"),
            picture,
        }
    }
}

/// The picture type of a base64 picture block, from its first 8 base64 characters.
fn picture_type(b64: &str) -> Option<u32> {
    let mut out = [0u8; 6];
    let n = decode_base64(b64.as_bytes().get(..8)?, &mut out).ok()?;
    let b = out.get(..4.min(n))?;
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

/// A FLAC picture block (as carried in `METADATA_BLOCK_PICTURE`), decoded into a caller buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture<'a> {
    /// Picture type (ID3v2 APIC numbering: 3 = front cover).
    pub kind: u32,
    /// MIME type, e.g. `image/jpeg`.
    pub mime: &'a str,
    /// Description (UTF-8; empty if invalid).
    pub description: &'a str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Colour depth in bits per pixel.
    pub depth: u32,
    /// Number of palette colours (0 for non-indexed images).
    pub colors: u32,
    /// Where the image bytes lie in the buffer given to [`Picture::decode`].
    pub data: Range<usize>,
}

impl<'a> Picture<'a> {
    /// An upper bound of the decoded size of a base64 value: the buffer size to offer.
    pub fn decoded_len_bound(b64: &str) -> usize {
        b64.len() / 4 * 3 + 3
    }

    /// Decodes a base64 picture block into `buf` and parses it.
    pub fn decode(b64: &str, buf: &'a mut [u8]) -> Result<Self, Error> {
        let n = decode_base64(b64.as_bytes(), buf)?;
        let block: &'a [u8] = buf.get(..n).ok_or(Error::BufferTooSmall)?;
        Self::parse(block)
    }

    /// Parses a binary FLAC picture block.
    pub fn parse(block: &'a [u8]) -> Result<Self, Error> {
        let mut c = Cursor { data: block };
        let kind = c.u32_be()?;
        let mime = core::str::from_utf8(c.len_prefixed_be()?).unwrap_or("");
        let description = core::str::from_utf8(c.len_prefixed_be()?).unwrap_or("");
        let (width, height, depth, colors) = (c.u32_be()?, c.u32_be()?, c.u32_be()?, c.u32_be()?);
        let data_len = c.u32_be()?;
        let start = block.len() - c.data.len();
        c.take(usize::try_from(data_len).map_err(|_| Error::Truncated)?)?;
        let data = start..block.len() - c.data.len();
        Ok(Picture { kind, mime, description, width, height, depth, colors, data })
    }
}

/// Decodes standard base64 (padding optional, no whitespace) into `out`; returns the length.
fn decode_base64(input: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    fn value(c: u8) -> Result<u32, Error> {
        Ok(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(Error::BadBase64),
        }))
    }
    let input = input.strip_suffix(b"==").or(input.strip_suffix(b"=")).unwrap_or(input);
    let mut n = 0;
    for chunk in input.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = acc << 6 | value(c)?;
        }
        let bytes = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return Err(Error::BadBase64),
        };
        acc <<= 6 * (4 - chunk.len() as u32);
        let dst = out.get_mut(n..n + bytes).ok_or(Error::BufferTooSmall)?;
        for (i, d) in dst.iter_mut().enumerate() {
            *d = (acc >> (16 - 8 * i)) as u8;
        }
        n += bytes;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(vendor: &str, fields: &[&str]) -> Vec<u8> {
        let mut p = b"\x03vorbis".to_vec();
        p.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        p.extend_from_slice(vendor.as_bytes());
        p.extend_from_slice(&(fields.len() as u32).to_le_bytes());
        for f in fields {
            p.extend_from_slice(&(f.len() as u32).to_le_bytes());
            p.extend_from_slice(f.as_bytes());
        }
        p.push(1);
        p
    }

    #[test]
    fn known_fields() {
        let p = packet(
            "Xiph.Org libVorbis I 20200704 (Reducing Environment)",
            &[
                "title=Song",
                "ARTIST=A",
                "Artist=B",
                "TRACKNUMBER=3/12",
                "DiscNumber=2",
                "DISCTOTAL=3",
                "genre=Rock",
                "DATE=1999",
                "noequals",
                "ALBUMARTIST=V",
                "compilation=1",
            ],
        );
        let c = Comments::parse(&p).unwrap();
        assert_eq!(c.vendor(), "Xiph.Org libVorbis I 20200704 (Reducing Environment)");
        assert_eq!(c.get("artist").collect::<Vec<_>>(), ["A", "B"]);
        let t = Tags::from_comments(&c);
        assert_eq!(t.title, Some("Song"));
        assert_eq!(t.artist, Some("A"));
        assert_eq!(t.album, None);
        assert_eq!(t.album_artist, Some("V"));
        assert_eq!(t.track, Some(Position { number: 3, total: Some(12) }));
        assert_eq!(t.disc, Some(Position { number: 2, total: Some(3) }));
        assert_eq!((t.genre, t.date), (Some("Rock"), Some("1999")));
        assert!(t.compilation);
        assert!(
            !Tags::from_comments(&Comments::parse(&packet("v", &["COMPILATION=0"])).unwrap())
                .compilation
        );
    }

    #[test]
    fn picture_round_trip() {
        // Block built by hand: front cover, image/png, "d", 2x3, 24 bit, 0 colours, 5 bytes.
        let mut block = Vec::new();
        block.extend_from_slice(&3u32.to_be_bytes());
        block.extend_from_slice(&9u32.to_be_bytes());
        block.extend_from_slice(b"image/png");
        block.extend_from_slice(&1u32.to_be_bytes());
        block.extend_from_slice(b"d");
        for v in [2u32, 3, 24, 0, 5] {
            block.extend_from_slice(&v.to_be_bytes());
        }
        block.extend_from_slice(b"\x89PNG!");
        // Base64 from the standard alphabet, written independently of the decoder.
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b64 = String::new();
        for ch in block.chunks(3) {
            let v = ch.iter().fold(0u32, |a, &b| a << 8 | u32::from(b)) << (8 * (3 - ch.len()));
            for i in 0..4 {
                if i <= ch.len() {
                    b64.push(T[(v >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    b64.push('=');
                }
            }
        }
        let p = packet("v", &[&format!("METADATA_BLOCK_PICTURE={b64}")]);
        let c = Comments::parse(&p).unwrap();
        let t = Tags::from_comments(&c);
        let mut buf = vec![0; Picture::decoded_len_bound(t.picture.unwrap())];
        let pic = Picture::decode(t.picture.unwrap(), &mut buf).unwrap();
        assert_eq!((pic.kind, pic.mime, pic.description), (3, "image/png", "d"));
        assert_eq!((pic.width, pic.height, pic.depth, pic.colors), (2, 3, 24, 0));
        let data = pic.data.clone();
        assert_eq!(&buf[data], b"\x89PNG!");
    }

    #[test]
    fn never_panics_on_truncation_or_garbage() {
        let p = packet("vendor", &["A=1", "METADATA_BLOCK_PICTURE=AAAAAw==", "TRACKNUMBER=x/"]);
        for n in 0..p.len() {
            if let Ok(c) = Comments::parse(&p[..n]) {
                let t = Tags::from_comments(&c);
                if let Some(pic) = t.picture {
                    let mut buf = [0u8; 16];
                    let _ = Picture::decode(pic, &mut buf);
                }
            }
        }
        let mut lying = packet("v", &["A=1"]);
        lying[7 + 4 + 1..7 + 4 + 1 + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Comments::parse(&lying).unwrap().fields().count(), 1);
        assert_eq!(Picture::decode("AAAAAw==", &mut [0u8; 8]), Err(Error::Truncated));
        assert_eq!(Picture::decode("A", &mut [0u8; 8]), Err(Error::BadBase64));
    }
}
