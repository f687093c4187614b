//! [`Record`]: what the index keeps of one folder or file, and its bytes in the database.
//!
//! Layout (all integers little-endian): a kind byte (`0` folder, `1` file), the object id
//! (`u64`); for a file then its size, modification time and inode (`u64` each), a byte whose
//! bit 0 says whether it could be read and bit 1 whether the art cache has a thumbnail of it
//! (other bits zero), and if it could be read its [`Details`]: a presence
//! byte (bit 0 duration, 1 exact length, 2 audio properties, 3 tags, 4 embedded picture, 5 AAC
//! profile, 6 video resolution, 7 video profile), the present values in that order (`u64`,
//! `u64`, rate `u32` + channels `u8` + bits `u8`, the tags, the AAC profile's DLNA name as a
//! string, width `u16` + height `u16`, the video profile's DLNA name as a string), where the
//! tags are a presence `u16` (title, artist, album artist, album, genre, date, track, disc,
//! compilation) followed by the present strings (a `u16` length then UTF-8) and numbers
//! (`u32`); then a second presence byte (bit 0 the video's tracks, bit 1 the Ogg codec) and
//! the present values: the tracks' byte ([`Tracks::to_byte`]), the codec's
//! ([`OggCodec::code`]). A string is at most [`MAX_TEXT`] bytes; a record is at most a few KB.
//!
//! [`Record::decode`] takes untrusted bytes (the file may be damaged): anything short, long,
//! unknown or not UTF-8 is `None`, never a panic. Every field of [`Details`], [`Tags`] and
//! [`AudioProps`] is named where it is encoded, so a field added to them fails to compile here
//! until the index keeps it too.

use core::num::NonZeroU16;

use rill_core::dlna::aac::AacProfile;
use rill_core::dlna::video::VideoProfile;
use rill_core::dlna::OggCodec;
use rill_core::library::{AudioProps, Details, FileInfo, ObjectId, Tags};
use rill_core::media::video::Tracks;

/// The longest string a record holds (longer tags are cut at a character boundary).
pub const MAX_TEXT: usize = u16::MAX as usize;

/// One folder or file of the library as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The object id the library gave it (checked again when it is loaded).
    pub id: ObjectId,
    /// A file's identity and what reading it revealed; `None` for a folder.
    pub file: Option<Stored>,
}

/// What the index keeps of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Size and modification time, as the library compares them.
    pub info: FileInfo,
    /// The inode number: a file replaced by another of the same size and time is read again.
    pub inode: u64,
    /// What reading it revealed, if it could be read.
    pub details: Option<Details>,
    /// Whether the art cache has a thumbnail of it ([`crate::art`]), so that its album art is
    /// offered from the first Browse after a restart.
    pub thumbnail: bool,
}

impl Record {
    /// The record's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(u8::from(self.file.is_some()));
        out.extend_from_slice(&self.id.0.to_le_bytes());
        let Some(file) = &self.file else { return out };
        for n in [file.info.size, file.info.mtime, file.inode] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.push(u8::from(file.details.is_some()) | u8::from(file.thumbnail) << 1);
        if let Some(details) = &file.details {
            encode_details(details, &mut out);
        }
        out
    }

    /// Reads a record's bytes; `None` if they are not one.
    pub fn decode(bytes: &[u8]) -> Option<Record> {
        let mut r = Reader(bytes);
        let kind = r.u8()?;
        let id = ObjectId(r.u64()?);
        let file = match kind {
            0 => None,
            1 => {
                let info = FileInfo { size: r.u64()?, mtime: r.u64()? };
                let inode = r.u64()?;
                let flags = r.u8()?;
                if flags & !3 != 0 {
                    return None;
                }
                let details = match flags & 1 {
                    0 => None,
                    _ => Some(decode_details(&mut r)?),
                };
                Some(Stored { info, inode, details, thumbnail: flags & 2 != 0 })
            }
            _ => return None,
        };
        r.0.is_empty().then_some(Record { id, file })
    }
}

fn encode_details(details: &Details, out: &mut Vec<u8>) {
    let Details {
        duration_ms,
        frames,
        audio,
        tags,
        picture,
        aac_profile,
        resolution,
        video_profile,
        tracks,
        ogg_codec,
    } = details;
    let flags = u8::from(duration_ms.is_some())
        | u8::from(frames.is_some()) << 1
        | u8::from(audio.is_some()) << 2
        | u8::from(tags.is_some()) << 3
        | u8::from(*picture) << 4
        | u8::from(aac_profile.is_some()) << 5
        | u8::from(resolution.is_some()) << 6
        | u8::from(video_profile.is_some()) << 7;
    out.push(flags);
    for n in [duration_ms, frames].into_iter().flatten() {
        out.extend_from_slice(&n.to_le_bytes());
    }
    if let Some(AudioProps { sample_rate, channels, bits_per_sample }) = audio {
        out.extend_from_slice(&sample_rate.to_le_bytes());
        out.extend_from_slice(&[*channels, *bits_per_sample]);
    }
    if let Some(tags) = tags {
        encode_tags(tags, out);
    }
    if let Some(profile) = aac_profile {
        text(profile.name(), out);
    }
    if let Some((width, height)) = resolution {
        out.extend_from_slice(&width.get().to_le_bytes());
        out.extend_from_slice(&height.get().to_le_bytes());
    }
    if let Some(profile) = video_profile {
        text(profile.name(), out);
    }
    out.push(u8::from(tracks.is_some()) | u8::from(ogg_codec.is_some()) << 1);
    if let Some(tracks) = tracks {
        out.push(tracks.to_byte());
    }
    if let Some(codec) = ogg_codec {
        out.push(codec.code());
    }
}

fn decode_details(r: &mut Reader<'_>) -> Option<Details> {
    let flags = r.u8()?;
    let has = |bit: u8| flags & (1 << bit) != 0;
    let duration_ms = if has(0) { Some(r.u64()?) } else { None };
    let frames = if has(1) { Some(r.u64()?) } else { None };
    let audio = if has(2) {
        Some(AudioProps { sample_rate: r.u32()?, channels: r.u8()?, bits_per_sample: r.u8()? })
    } else {
        None
    };
    let tags = if has(3) { Some(Box::new(decode_tags(r)?)) } else { None };
    let aac_profile = if has(5) {
        let name = r.text()?;
        Some(AacProfile::ALL.into_iter().find(|p| p.name() == name)?)
    } else {
        None
    };
    let resolution =
        if has(6) { Some((NonZeroU16::new(r.u16()?)?, NonZeroU16::new(r.u16()?)?)) } else { None };
    let video_profile = if has(7) {
        let name = r.text()?;
        Some(VideoProfile::ALL.into_iter().find(|p| p.name() == name)?)
    } else {
        None
    };
    let more = r.u8()?;
    if more & !3 != 0 {
        return None;
    }
    let tracks = if more & 1 != 0 { Some(Tracks::from_byte(r.u8()?)?) } else { None };
    let ogg_codec = if more & 2 != 0 { Some(OggCodec::from_code(r.u8()?)?) } else { None };
    Some(Details {
        duration_ms,
        frames,
        audio,
        tags,
        picture: has(4),
        aac_profile,
        resolution,
        video_profile,
        tracks,
        ogg_codec,
    })
}

fn encode_tags(tags: &Tags, out: &mut Vec<u8>) {
    let Tags { title, artist, album_artist, album, genre, track, disc, date, compilation } = tags;
    let texts: [Option<&str>; 6] = [
        title.as_deref(),
        artist.as_deref(),
        album_artist.as_deref(),
        album.as_deref(),
        genre.as_deref(),
        date.as_deref(),
    ];
    let mut flags = 0u16;
    for (bit, present) in
        texts.iter().map(Option::is_some).chain([track.is_some(), disc.is_some()]).enumerate()
    {
        flags |= u16::from(present) << bit;
    }
    flags |= u16::from(*compilation) << 8;
    out.extend_from_slice(&flags.to_le_bytes());
    for t in texts.into_iter().flatten() {
        text(t, out);
    }
    for n in [track, disc].into_iter().flatten() {
        out.extend_from_slice(&n.to_le_bytes());
    }
}

fn decode_tags(r: &mut Reader<'_>) -> Option<Tags> {
    let flags = r.u16()?;
    if flags & !0x1ff != 0 {
        return None;
    }
    let has = |bit: u16| flags & (1 << bit) != 0;
    let mut texts: [Option<&str>; 6] = [None; 6];
    for (bit, slot) in (0..).zip(texts.iter_mut()) {
        if has(bit) {
            *slot = Some(r.text()?);
        }
    }
    let [title, artist, album_artist, album, genre, date] = texts;
    let track = if has(6) { Some(r.u32()?) } else { None };
    let disc = if has(7) { Some(r.u32()?) } else { None };
    Some(Tags {
        title: title.map(Box::from),
        artist: artist.map(Into::into),
        album_artist: album_artist.map(Into::into),
        album: album.map(Into::into),
        genre: genre.map(Into::into),
        track,
        disc,
        date: date.map(Into::into),
        compilation: has(8),
    })
}

/// Appends `t` (cut to [`MAX_TEXT`] bytes at a character boundary) with its length.
fn text(t: &str, out: &mut Vec<u8>) {
    let mut end = t.len().min(MAX_TEXT);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    let t = t.get(..end).unwrap_or_default();
    out.extend_from_slice(&u16::try_from(t.len()).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(t.as_bytes());
}

/// Untrusted bytes, read from the front.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }

    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = usize::from(self.u16()?);
        let (bytes, rest) = self.0.split_at_checked(len)?;
        self.0 = rest;
        std::str::from_utf8(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_core::media::video::{AudioCodec, VideoKind};

    fn full() -> Details {
        Details {
            duration_ms: Some(183_250),
            frames: Some(8_081_325),
            audio: Some(AudioProps { sample_rate: 44_100, channels: 2, bits_per_sample: 24 }),
            tags: Some(Box::new(Tags {
                title: Some("Lumière".into()),
                artist: Some("Rill Ensemble".into()),
                album_artist: Some("Various Artists".into()),
                album: Some("Night Signals".into()),
                genre: Some("Ambient".into()),
                track: Some(2),
                disc: Some(1),
                date: Some("2003-05-01".into()),
                compilation: true,
            })),
            picture: true,
            aac_profile: Some(AacProfile::HEAAC_L2_ISO_128),
            resolution: NonZeroU16::new(1920).zip(NonZeroU16::new(1080)),
            video_profile: Some(VideoProfile::AVC_MP4_HP_HD_AAC),
            tracks: Some(Tracks::new(Some(VideoKind::H264High), Some(AudioCodec::Dts))),
            ogg_codec: Some(OggCodec::Opus),
        }
    }

    #[test]
    fn records_round_trip() {
        let mut cases = vec![
            Record { id: ObjectId(0x1234_5678_9abc_def0), file: None },
            Record {
                id: ObjectId(7),
                file: Some(Stored {
                    info: FileInfo { size: 1 << 40, mtime: 1_700_000_000 },
                    inode: 99,
                    details: None,
                    thumbnail: true,
                }),
            },
        ];
        for ogg_codec in OggCodec::ALL.map(Some).into_iter().chain([None]) {
            let details = Details { tracks: None, ogg_codec, ..full() };
            let info = FileInfo { size: 5, mtime: 6 };
            let file = Stored { info, inode: 3, details: Some(details), thumbnail: false };
            cases.push(Record { id: ObjectId(8), file: Some(file) });
        }
        for profile in AacProfile::ALL {
            let mut details = full();
            details.aac_profile = Some(profile);
            let info = FileInfo { size: 5, mtime: 6 };
            let file = Stored { info, inode: 3, details: Some(details), thumbnail: false };
            cases.push(Record { id: ObjectId(u64::MAX), file: Some(file) });
        }
        for profile in VideoProfile::ALL {
            let mut details = full();
            details.video_profile = Some(profile);
            let info = FileInfo { size: 5, mtime: 6 };
            let file = Stored { info, inode: 3, details: Some(details), thumbnail: false };
            cases.push(Record { id: ObjectId(u64::MAX), file: Some(file) });
        }
        let info = FileInfo { size: 5, mtime: 6 };
        let empty = Stored { info, inode: 3, details: Some(Details::default()), thumbnail: true };
        cases.push(Record { id: ObjectId(1), file: Some(empty) });
        let only_tags = Details::tagged(Tags { track: Some(9), ..Tags::default() });
        let tagged = Stored { info, inode: 3, details: Some(only_tags), thumbnail: false };
        cases.push(Record { id: ObjectId(2), file: Some(tagged) });
        for record in cases {
            assert_eq!(Record::decode(&record.encode()), Some(record.clone()));
        }
    }

    #[test]
    fn damaged_bytes_are_refused_not_panicked_on() {
        let info = FileInfo { size: 5, mtime: 6 };
        let file = Stored { info, inode: 3, details: Some(full()), thumbnail: true };
        let bytes = Record { id: ObjectId(42), file: Some(file) }.encode();
        // Every truncation, every byte flipped, and trailing bytes.
        for len in 0..bytes.len() {
            assert_eq!(Record::decode(&bytes[..len]), None, "cut at {len}");
        }
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0xff;
            let _ = Record::decode(&bad);
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(Record::decode(&long), None);
        assert_eq!(Record::decode(&[2, 0, 0, 0, 0, 0, 0, 0, 0]), None, "unknown kind");
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary() {
        let title = "é".repeat(MAX_TEXT);
        let tags = Tags { title: Some(title.as_str().into()), ..Tags::default() };
        let info = FileInfo { size: 1, mtime: 1 };
        let file =
            Stored { info, inode: 1, details: Some(Details::tagged(tags)), thumbnail: false };
        let back = Record::decode(&Record { id: ObjectId(1), file: Some(file) }.encode()).unwrap();
        let details = back.file.unwrap().details.unwrap();
        let cut = details.tags.unwrap().title.unwrap();
        assert!(cut.len() <= MAX_TEXT && cut.len() >= MAX_TEXT - 1);
        assert!(title.starts_with(&*cut));
    }
}
