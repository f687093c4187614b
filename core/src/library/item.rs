//! [`Item`]: a media file as the library stores it, what reading it revealed inline.
//!
//! The shell hands the library a file's [`Details`] (owned strings, optional fields: what a
//! reader produces); the library keeps them in one fixed-size record with no heap block of its
//! own: the title's bytes in the store's text arena (an 8-byte [`Text`]), each tag name as a
//! [`NameId`] into the library's names table (4 bytes), track and disc as `u16`, durations as
//! `u64` with `u64::MAX` for "unknown", and the presence of the rest in one byte of flags. So an
//! item is 80 bytes on 64-bit hosts (checked by a test), where it was 88 plus an 80-byte tags
//! block and a title block. [`super::ObjectRef::details`] gives the [`Details`] back.
//!
//! What does not fit is dropped, never an error: a track or disc number above 65,535, and a
//! duration or length of `u64::MAX` (584 million years), read as unknown.

use core::num::NonZeroU16;

use super::names::{NameId, Names};
use super::text::{Text, Texts};
use super::{AudioProps, Details, Error, FileInfo};
use crate::dlna::aac::AacProfile;
use crate::dlna::video::VideoProfile;
use crate::dlna::{MediaFormat, OggCodec};
use crate::media::video::Tracks;

/// A tag whose value is a shared name (see [`super::ObjectRef::tag`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `ARTIST`.
    Artist,
    /// `ALBUMARTIST`: files the track under this artist in the music tree.
    AlbumArtist,
    /// `ALBUM`.
    Album,
    /// `GENRE`.
    Genre,
    /// `DATE`, ISO 8601 (`2003` or `2003-05-01`) as tagged.
    Date,
}

/// The value the `u64` fields hold for "unknown".
const UNKNOWN: u64 = u64::MAX;

// The bits of `Item::flags`.
const THUMBNAIL: u8 = 1;
const PICTURE: u8 = 1 << 1;
const COMPILATION: u8 = 1 << 2;
const TAGGED: u8 = 1 << 3;
const AUDIO: u8 = 1 << 4;
const TRACK: u8 = 1 << 5;
const DISC: u8 = 1 << 6;
const TITLE: u8 = 1 << 7;

/// `flag` if `on`.
fn bit(on: bool, flag: u8) -> u8 {
    if on {
        flag
    } else {
        0
    }
}

/// A media file: its format, size and time, and what reading it revealed (read through the
/// methods; tag texts through [`super::ObjectRef`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The format, from the file extension.
    pub format: MediaFormat,
    /// Size and modification time.
    pub file: FileInfo,
    duration_ms: u64,
    frames: u64,
    /// The tagged title (with [`TITLE`]), in the store's text arena.
    title: Text,
    /// Artist, album artist, album, genre, date: in the order of [`Tag`]'s variants.
    names: [Option<NameId>; 5],
    sample_rate: u32,
    track: u16,
    disc: u16,
    resolution: Option<(NonZeroU16, NonZeroU16)>,
    channels: u8,
    bits_per_sample: u8,
    flags: u8,
    aac_profile: Option<AacProfile>,
    video_profile: Option<VideoProfile>,
    tracks: Option<Tracks>,
    ogg_codec: Option<OggCodec>,
}

/// The DLNA profile reading a file named (an AAC file's or a video's), which replaces the one
/// of its format.
pub(crate) fn dlna_profile(
    aac: Option<AacProfile>,
    video: Option<VideoProfile>,
) -> Option<&'static str> {
    aac.map(AacProfile::name).or(video.map(VideoProfile::name))
}

impl Item {
    /// The record of a file of `format` and `file` with `details`: its title pushed to
    /// `texts`, its names interned in `names`. Fails only when one of them is full (then
    /// nothing of it stays in either).
    #[inline(never)]
    pub(crate) fn new(
        format: MediaFormat,
        file: FileInfo,
        details: Details,
        texts: &mut Texts,
        names: &mut Names,
    ) -> Result<Item, Error> {
        let known = |v: Option<u64>| v.unwrap_or(UNKNOWN);
        let audio = details.audio;
        let mut flags = bit(details.picture, PICTURE) | bit(audio.is_some(), AUDIO);
        let mut item = Item {
            format,
            file,
            duration_ms: known(details.duration_ms),
            frames: known(details.frames),
            title: Text::default(),
            names: [None; 5],
            sample_rate: audio.map_or(0, |a| a.sample_rate),
            track: 0,
            disc: 0,
            resolution: details.resolution,
            channels: audio.map_or(0, |a| a.channels),
            bits_per_sample: audio.map_or(0, |a| a.bits_per_sample),
            flags,
            aac_profile: details.aac_profile,
            video_profile: details.video_profile,
            tracks: details.tracks,
            ogg_codec: details.ogg_codec,
        };
        let Some(tags) = details.tags else { return Ok(item) };
        let number = |n: Option<u32>| n.and_then(|n| u16::try_from(n).ok());
        let (track, disc) = (number(tags.track), number(tags.disc));
        flags |= TAGGED
            | bit(tags.compilation, COMPILATION)
            | bit(track.is_some(), TRACK)
            | bit(disc.is_some(), DISC);
        item.track = track.unwrap_or(0);
        item.disc = disc.unwrap_or(0);
        item.flags = flags;
        if let Some(title) = tags.title.as_deref() {
            item.title = texts.push(title)?;
            item.flags |= TITLE;
        }
        let given = [tags.artist, tags.album_artist, tags.album, tags.genre, tags.date];
        for (place, text) in item.names.iter_mut().zip(given) {
            let Some(text) = text else { continue };
            match names.intern(&text) {
                Ok(id) => *place = Some(id),
                Err(e) => {
                    item.release(texts, names);
                    return Err(e);
                }
            }
        }
        Ok(item)
    }

    /// Gives back the title's text and the names (the item is going or being replaced).
    pub(crate) fn release(&self, texts: &mut Texts, names: &mut Names) {
        if self.flags & TITLE != 0 {
            texts.free(self.title);
        }
        for id in self.names.iter().flatten() {
            names.release(*id);
        }
    }

    /// The tagged title's place in the text arena.
    pub(crate) fn title_text(&self) -> Option<Text> {
        (self.flags & TITLE != 0).then_some(self.title)
    }

    /// Moves the title into the new arena `texts` of a compaction (see [`Texts::compact`]).
    pub(crate) fn keep_title(&mut self, texts: &mut Texts, old: &Texts) {
        if self.flags & TITLE != 0 {
            // The new arena is smaller than the old one: every text fits.
            self.title = texts.keep(old, self.title).unwrap_or_default();
        }
    }

    /// The id of the name tagged as `tag`.
    pub(crate) fn name(&self, tag: Tag) -> Option<NameId> {
        self.names.get(tag as usize).copied().flatten()
    }

    /// The details the item was given, rebuilt (the texts from `texts` and `names`).
    pub(crate) fn details(&self, texts: &Texts, names: &Names) -> Details {
        let tags = (self.flags & TAGGED != 0).then(|| {
            let name = |tag| self.name(tag).map(|id| names.get(id).into());
            alloc::boxed::Box::new(super::Tags {
                title: self.title_text().map(|t| texts.get(t).into()),
                artist: name(Tag::Artist),
                album_artist: name(Tag::AlbumArtist),
                album: name(Tag::Album),
                genre: name(Tag::Genre),
                track: self.track().map(u32::from),
                disc: self.disc().map(u32::from),
                date: name(Tag::Date),
                compilation: self.compilation(),
            })
        });
        Details {
            duration_ms: self.duration_ms(),
            frames: self.frames(),
            audio: self.audio(),
            tags,
            picture: self.picture(),
            aac_profile: self.aac_profile,
            resolution: self.resolution,
            video_profile: self.video_profile,
            tracks: self.tracks,
            ogg_codec: self.ogg_codec,
        }
    }

    /// Whether the shell has a `JPEG_TN` thumbnail of this file (its embedded picture, the
    /// image itself scaled down, or a video frame); set with
    /// [`super::Library::set_thumbnail`].
    pub fn thumbnail(&self) -> bool {
        self.flags & THUMBNAIL != 0
    }

    pub(crate) fn set_thumbnail(&mut self, thumbnail: bool) {
        self.flags = (self.flags & !THUMBNAIL) | bit(thumbnail, THUMBNAIL);
    }

    /// Play time in milliseconds.
    pub fn duration_ms(&self) -> Option<u64> {
        Some(self.duration_ms).filter(|&d| d != UNKNOWN)
    }

    /// Exact decoded length in frames, when the file decodes to one rate and channel count
    /// throughout (see [`Details::frames`]): transcoded renditions are offered exactly then.
    pub fn frames(&self) -> Option<u64> {
        Some(self.frames).filter(|&f| f != UNKNOWN)
    }

    /// Audio properties.
    pub fn audio(&self) -> Option<AudioProps> {
        (self.flags & AUDIO != 0).then_some(AudioProps {
            sample_rate: self.sample_rate,
            channels: self.channels,
            bits_per_sample: self.bits_per_sample,
        })
    }

    /// Whether the file embeds a picture (cover art), which the shell may make a thumbnail of.
    pub fn picture(&self) -> bool {
        self.flags & PICTURE != 0
    }

    /// The DLNA profile of an AAC file (see [`Details::aac_profile`]).
    pub fn aac_profile(&self) -> Option<AacProfile> {
        self.aac_profile
    }

    /// A video's picture size in pixels, width and height.
    pub fn resolution(&self) -> Option<(NonZeroU16, NonZeroU16)> {
        self.resolution
    }

    /// A video's DLNA profile, from its container and codecs.
    pub fn video_profile(&self) -> Option<VideoProfile> {
        self.video_profile
    }

    /// A video's first video and audio codecs, which decide whether a player needs it
    /// remuxed and how.
    pub fn tracks(&self) -> Option<Tracks> {
        self.tracks
    }

    /// The codec of an Ogg file (see [`Details::ogg_codec`]); `None` for other formats.
    pub fn ogg_codec(&self) -> Option<OggCodec> {
        self.ogg_codec
    }

    /// The DLNA profile reading the file named (an AAC file's or a video's), which replaces
    /// the one of its format; the same in Browse and in `contentFeatures.dlna.org`.
    pub fn dlna_profile(&self) -> Option<&'static str> {
        dlna_profile(self.aac_profile, self.video_profile)
    }

    /// Whether tags were read from the file.
    pub fn is_tagged(&self) -> bool {
        self.flags & TAGGED != 0
    }

    /// Track number within the album (or disc).
    pub fn track(&self) -> Option<u16> {
        (self.flags & TRACK != 0).then_some(self.track)
    }

    /// Disc number within a multi-disc album.
    pub fn disc(&self) -> Option<u16> {
        (self.flags & DISC != 0).then_some(self.disc)
    }

    /// Marked as part of a compilation (see [`super::Tags::compilation`]).
    pub fn compilation(&self) -> bool {
        self.flags & COMPILATION != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Tags;
    use alloc::boxed::Box;

    fn full() -> Details {
        Details {
            duration_ms: Some(183_000),
            frames: Some(u64::from(u32::MAX) * 3),
            audio: Some(AudioProps { sample_rate: 96_000, channels: 6, bits_per_sample: 24 }),
            tags: Some(Box::new(Tags {
                title: Some("".into()),
                artist: Some("Ann".into()),
                album_artist: None,
                album: Some("Ann".into()),
                genre: Some(" Pop ".into()),
                track: Some(65_535),
                disc: Some(0),
                date: Some("2003-05-01".into()),
                compilation: true,
            })),
            picture: true,
            aac_profile: Some(AacProfile::AAC_ISO),
            resolution: NonZeroU16::new(1920).zip(NonZeroU16::new(1080)),
            video_profile: Some(VideoProfile::ALL[0]),
            tracks: None,
            ogg_codec: Some(OggCodec::Flac),
        }
    }

    #[test]
    fn details_come_back_as_they_were_given_and_their_texts_go_with_the_item() {
        let (mut texts, mut names) = (Texts::default(), Names::default());
        let file = FileInfo { size: 9, mtime: 1 };
        for details in [full(), Details::default(), Details::tagged(Tags::default())] {
            let mut item =
                Item::new(MediaFormat::Flac, file, details.clone(), &mut texts, &mut names)
                    .unwrap();
            assert_eq!(item.details(&texts, &names), details);
            assert!(!item.thumbnail());
            item.set_thumbnail(true);
            assert!(item.thumbnail() && item.details(&texts, &names) == details);
            item.release(&mut texts, &mut names);
            assert!(names.is_empty());
        }
        // What does not fit reads as unknown: never a panic, never a wrong number.
        let mut odd = full();
        odd.duration_ms = Some(u64::MAX);
        if let Some(tags) = odd.tags.as_deref_mut() {
            tags.track = Some(65_536);
        }
        let item = Item::new(MediaFormat::Flac, file, odd, &mut texts, &mut names).unwrap();
        assert_eq!((item.duration_ms(), item.track(), item.disc()), (None, None, Some(0)));
        assert_eq!(item.dlna_profile(), Some("AAC_ISO"));
        // Artist and album share one name.
        assert_eq!(item.name(Tag::Artist), item.name(Tag::Album));
        assert_eq!(names.len(), 3);
    }
}
