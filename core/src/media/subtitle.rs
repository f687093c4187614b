//! Sidecar subtitle files: which files beside a video are its subtitles, and their text as
//! the players read it.
//!
//! A subtitle belongs to a video when its name is the video's stem, an optional tag (a
//! language such as `en` or `eng`, or any word without dots, at most [`MAX_TAG`] bytes), and
//! a subtitle extension: `movie.srt`, `movie.en.srt`, `Movie.ENG.SRT` all belong to
//! `movie.mkv` ([`tag_of`]; compared case-insensitively, as MiniDLNA and UMS match them).
//!
//! Players read subtitle text in their own locale's code page unless the file says otherwise,
//! and every TV reads a UTF-8 byte-order mark (Aegisub and Subtitle Edit write one by default,
//! and it is the usual advice for Samsung and LG TVs). So [`to_utf8`] gives every subtitle as
//! UTF-8 with a BOM: UTF-8 as it is (a BOM added when missing), UTF-16 (told by its BOM)
//! converted, and anything else, which is not valid UTF-8, read as Windows-1252 (the Latin-1
//! superset most legacy Western subtitles use). Other legacy code pages (1250, 1251, ...)
//! cannot be told from the bytes alone by this reader and come out as Windows-1252.

use crate::util::fold::fold_eq;
use alloc::vec::Vec;

/// Longest tag between a video's stem and the subtitle extension (`movie.<tag>.srt`).
pub const MAX_TAG: usize = 16;

/// Largest subtitle file served, in bytes: two hours of SubRip are about 100 KB, and a heavily
/// styled ASS file a few hundred; a larger file is refused rather than read into memory.
pub const MAX_LEN: u64 = 4 * 1024 * 1024;

/// The UTF-8 byte-order mark every served subtitle starts with.
pub const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// A subtitle file format, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Format {
    /// SubRip, `.srt`: the one every player reads, so offered first.
    Srt,
    /// SAMI, `.smi` (Samsung, LG).
    Smi,
    /// Advanced SubStation Alpha, `.ass`.
    Ass,
    /// SubStation Alpha, `.ssa`.
    Ssa,
    /// WebVTT, `.vtt` (LG webOS).
    Vtt,
}

impl Format {
    /// Every format, in the order players are offered them.
    pub const ALL: [Format; 5] = [Format::Srt, Format::Smi, Format::Ass, Format::Ssa, Format::Vtt];

    /// The format of extension `ext` (without the dot, any case).
    pub fn from_extension(ext: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| ext.eq_ignore_ascii_case(f.extension()))
    }

    /// The format of a file name by its extension, if it is a subtitle.
    pub fn from_file_name(name: &str) -> Option<Format> {
        match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => Format::from_extension(ext),
            _ => None,
        }
    }

    /// The extension (lower case, no dot), also Samsung's `sec:type` and the URL's.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Srt => "srt",
            Format::Smi => "smi",
            Format::Ass => "ass",
            Format::Ssa => "ssa",
            Format::Vtt => "vtt",
        }
    }

    /// The MIME type of its `res` and its answer: `text/srt` and `smi/caption` as MiniDLNA
    /// offers them (players match these strings), the others as UMS does (`text/<ext>`,
    /// WebVTT's registered `text/vtt`).
    pub fn mime(self) -> &'static str {
        match self {
            Format::Srt => "text/srt",
            Format::Smi => "smi/caption",
            Format::Ass => "text/ass",
            Format::Ssa => "text/ssa",
            Format::Vtt => "text/vtt",
        }
    }
}

/// Whether `subtitle` (a file name) is a subtitle of the video named `video`, and with which
/// tag: `Some(None)` for `movie.srt`, `Some(Some("en"))` for `movie.en.srt`, `None` when it
/// belongs to another video or is no subtitle.
pub fn tag_of<'a>(video: &str, subtitle: &'a str) -> Option<Option<&'a str>> {
    let (rest, ext) = subtitle.rsplit_once('.')?;
    Format::from_extension(ext)?;
    let stem = video.rsplit_once('.').map_or(video, |(stem, _)| stem);
    if stem.is_empty() {
        return None;
    }
    let (head, tag) = match rest.rsplit_once('.') {
        Some((head, tag)) if fold_eq(head, stem) => (head, Some(tag)),
        _ => (rest, None),
    };
    if !fold_eq(head, stem) {
        return None;
    }
    match tag {
        Some(t) if t.is_empty() || t.len() > MAX_TAG => None,
        tag => Some(tag),
    }
}

/// The text encoding a subtitle file was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Encoding {
    /// UTF-8 (with or without a BOM).
    Utf8,
    /// UTF-16, little-endian (told by its BOM).
    Utf16Le,
    /// UTF-16, big-endian (told by its BOM).
    Utf16Be,
    /// Not valid UTF-8 and no BOM: read as Windows-1252.
    Windows1252,
}

/// What the bytes of a subtitle file are in: a BOM decides; without one, valid UTF-8 is
/// UTF-8 and anything else Windows-1252.
pub fn detect(bytes: &[u8]) -> Encoding {
    match bytes {
        [0xef, 0xbb, 0xbf, ..] => Encoding::Utf8,
        [0xff, 0xfe, ..] => Encoding::Utf16Le,
        [0xfe, 0xff, ..] => Encoding::Utf16Be,
        _ if core::str::from_utf8(bytes).is_ok() => Encoding::Utf8,
        _ => Encoding::Windows1252,
    }
}

/// The code points of Windows-1252's bytes 0x80 to 0x9f (the rest are Latin-1's); the five
/// bytes it leaves undefined map to their C1 control, as the WHATWG Encoding Standard does.
const CP1252_HIGH: [u16; 32] = [
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

/// Appends `c` to `out` as UTF-8.
fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// The text of subtitle file `bytes` as UTF-8 starting with a BOM (see the module docs), and
/// the encoding it was found in. UTF-16 with unpaired surrogates gets U+FFFD for them, and an
/// odd last byte is dropped. Fails only when the memory for the text cannot be had.
pub fn to_utf8(bytes: &[u8]) -> Result<(Vec<u8>, Encoding), alloc::collections::TryReserveError> {
    let encoding = detect(bytes);
    let mut out = Vec::new();
    // UTF-8 keeps its size; each Windows-1252 byte takes at most 3, each UTF-16 unit 3/2.
    let room = match encoding {
        Encoding::Utf8 => bytes.len(),
        Encoding::Utf16Le | Encoding::Utf16Be => bytes.len().saturating_mul(3) / 2,
        Encoding::Windows1252 => bytes.len().saturating_mul(3),
    };
    out.try_reserve_exact(room.saturating_add(UTF8_BOM.len()))?;
    out.extend_from_slice(UTF8_BOM);
    match encoding {
        Encoding::Utf8 => out.extend_from_slice(bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let le = encoding == Encoding::Utf16Le;
            let units = bytes.get(2..).unwrap_or_default().chunks_exact(2).map(|pair| {
                let pair = [pair.first().copied().unwrap_or(0), pair.get(1).copied().unwrap_or(0)];
                if le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            });
            for c in char::decode_utf16(units) {
                push_char(&mut out, c.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
        Encoding::Windows1252 => {
            for &b in bytes {
                let code = match b {
                    0x80..=0x9f => {
                        CP1252_HIGH.get(usize::from(b - 0x80)).copied().unwrap_or(0xfffd)
                    }
                    _ => u16::from(b),
                };
                push_char(&mut out, char::from_u32(u32::from(code)).unwrap_or('\u{fffd}'));
            }
        }
    }
    Ok((out, encoding))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtitles_belong_to_the_video_of_their_stem() {
        assert_eq!(tag_of("movie.mkv", "movie.srt"), Some(None));
        assert_eq!(tag_of("movie.mkv", "movie.en.srt"), Some(Some("en")));
        assert_eq!(tag_of("Movie.mp4", "MOVIE.ENG.SRT"), Some(Some("ENG")));
        assert_eq!(tag_of("Été.mkv", "éTÉ.ass"), Some(None));
        assert_eq!(tag_of("a.b.mkv", "a.b.vtt"), Some(None));
        assert_eq!(tag_of("a.b.mkv", "a.b.fr.smi"), Some(Some("fr")));
        assert_eq!(tag_of("movie.mkv", "movie2.srt"), None);
        assert_eq!(tag_of("movie.mkv", "movie.en.txt"), None);
        assert_eq!(tag_of("movie.mkv", "other.en.srt"), None);
        assert_eq!(tag_of("movie.mkv", "movie.x.y.srt"), None);
        assert_eq!(tag_of("movie.mkv", "movie..srt"), None);
        assert_eq!(tag_of("movie.mkv", "movie.a-very-long-tag-indeed.srt"), None);
        assert_eq!(Format::from_file_name("x.SSA"), Some(Format::Ssa));
        assert_eq!(Format::from_file_name(".srt"), None);
    }

    #[test]
    fn every_encoding_becomes_utf8_with_a_bom() {
        let text = "1\n00:00:01,000 --> 00:00:02,000\nÇa coûte 5 € — “oui”\n";
        let want = [UTF8_BOM, text.as_bytes()].concat();
        let utf16 = |le: bool| {
            let mut v = if le { alloc::vec![0xff, 0xfe] } else { alloc::vec![0xfe, 0xff] };
            for u in text.encode_utf16() {
                v.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            v
        };
        // Windows-1252 bytes of the same text, written out by hand from the code page table.
        let mut cp1252 = Vec::new();
        for c in text.chars() {
            cp1252.push(match c {
                '€' => 0x80,
                '—' => 0x97,
                '“' => 0x93,
                '”' => 0x94,
                c => u8::try_from(u32::from(c)).unwrap(),
            });
        }
        let cases = [
            (text.as_bytes().to_vec(), Encoding::Utf8),
            (want.clone(), Encoding::Utf8),
            (utf16(true), Encoding::Utf16Le),
            (utf16(false), Encoding::Utf16Be),
            (cp1252, Encoding::Windows1252),
        ];
        for (bytes, encoding) in cases {
            assert_eq!(to_utf8(&bytes).unwrap(), (want.clone(), encoding));
        }
        // Broken UTF-16 and odd lengths do not panic.
        let (out, _) = to_utf8(&[0xff, 0xfe, 0x00, 0xd8, 0x41]).unwrap();
        assert_eq!(out, [UTF8_BOM, "\u{fffd}".as_bytes()].concat());
    }
}
