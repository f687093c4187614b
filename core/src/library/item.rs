//! [`Item`]: a media file as the library stores it, what reading it revealed inline.
//!
//! The shell hands the library a file's [`Details`] (owned strings, optional fields: what a
//! reader produces); the library keeps them in one fixed-size record with no heap block of its
//! own: the title's bytes in the store's text arena (a 4-byte [`Text`]), each tag name as a
//! [`NameId`] into the library's names table (4 bytes), track and disc as `u16`, the size and
//! the play length in 48 bits each, the modification time in 32, and the presence of the rest
//! in one byte of flags. So an item is 60 bytes on 64-bit hosts and on 32-bit firmware alike
//! (checked by a test; no field needs 8-byte alignment), where it was 80 bytes, and before
//! that 88 plus an 80-byte tags block and a title block. [`super::ObjectRef::details`] gives
//! the [`Details`] back.
//!
//! The play length is one 48-bit field: the exact length in frames when it is known (and the
//! sample rate with it), the play time then read from them as every reader derives it
//! ([`frames_to_us`] over 1000); else the play time in milliseconds.
//!
//! What does not fit is capped or dropped, never wrapped and never an error (each bound far
//! beyond any real file; [`Item::file`] and [`Item::duration_ms`] say which):
//! - a size above 2^48 - 1 bytes (256 TiB) reads as 2^48 - 1;
//! - a modification time after `u32::MAX` seconds (2106-02-07 06:28:15 UTC) reads as that;
//!   both are compared capped ([`Item::is_file`]), so such a file is not seen as changed at
//!   every scan;
//! - a play time of 2^47 ms or more (4,459 years) reads as 2^47 - 1 ms;
//! - an exact length of 2^47 - 1 frames or more (5.8 years at 768 kHz) is dropped (the
//!   transcoded renditions that need it are then not offered), the play time kept;
//! - a track or disc number above 65,535 is dropped.

use core::num::NonZeroU16;

use super::names::{NameId, Names};
use super::text::{Text, Texts};
use super::{AudioProps, Details, Error, FileInfo};
use crate::dlna::aac::AacProfile;
use crate::dlna::video::VideoProfile;
use crate::dlna::{MediaFormat, OggCodec};
use crate::media::video::Tracks;
use crate::transcode::frames_to_us;

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

/// A number below 2^48 in six bytes (three `u16`, so 2-byte aligned): what an item keeps of
/// a 64-bit size or length, which no real file comes near.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct U48([u16; 3]);

impl U48 {
    /// The largest value, 2^48 - 1.
    const MAX: u64 = (1 << 48) - 1;

    /// `n`, or [`U48::MAX`] if it is larger (saturating, never wrapping).
    fn saturating(n: u64) -> U48 {
        let n = n.min(U48::MAX);
        let part = |shift: u32| (n >> shift & 0xffff) as u16;
        U48([part(0), part(16), part(32)])
    }

    /// The number.
    fn get(self) -> u64 {
        let [low, mid, high] = self.0.map(u64::from);
        high << 32 | mid << 16 | low
    }
}

/// Bit 47 of `Item::length`: set when the rest is the exact length in frames, clear when it
/// is the play time in milliseconds.
const FRAMES: u64 = 1 << 47;

/// `Item::length` when the play time is unknown: every bit set (as frames, one past the
/// largest kept).
const UNKNOWN: u64 = U48::MAX;

// The bits of `Item::flags`.
const THUMBNAIL: u8 = 1;
const PICTURE: u8 = 1 << 1;
const COMPILATION: u8 = 1 << 2;
const TAGGED: u8 = 1 << 3;
const AUDIO: u8 = 1 << 4;
const TRACK: u8 = 1 << 5;
const DISC: u8 = 1 << 6;
const TITLE: u8 = 1 << 7;

/// What an item keeps of `file`: its size and time, each saturated (see [`Item::file`]).
fn kept(file: FileInfo) -> (U48, u32) {
    (U48::saturating(file.size), u32::try_from(file.mtime).unwrap_or(u32::MAX))
}

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
    /// The file's size (see [`Item::file`]).
    size: U48,
    /// The file's modification time, in seconds since the Unix epoch (see [`Item::file`]).
    mtime: u32,
    /// The exact length in frames (with [`FRAMES`]) or the play time in milliseconds; see
    /// [`Item::length_of`].
    length: U48,
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

// At most 64 bytes on every target, the firmware's too (the host's tests check it is exactly
// 60): with its own 8-byte id, a 4-byte parent and a 4-byte name, an [`super::Object`] fits
// in 80.
const _: () = assert!(core::mem::size_of::<Item>() <= 64);

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
        let audio = details.audio;
        let mut flags = bit(details.picture, PICTURE) | bit(audio.is_some(), AUDIO);
        let sample_rate = audio.map_or(0, |a| a.sample_rate);
        let (size, mtime) = kept(file);
        let mut item = Item {
            format,
            size,
            mtime,
            length: Item::length_of(&details, sample_rate),
            title: Text::default(),
            names: [None; 5],
            sample_rate,
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

    /// What `Item::length` keeps of `details` for a file at `sample_rate`: the exact frames
    /// when they are known with a rate and below `FRAMES - 1` (the play time then read from
    /// them), else the play time, saturated at `FRAMES - 1` ms.
    fn length_of(details: &Details, sample_rate: u32) -> U48 {
        let frames = details.frames.filter(|&f| sample_rate > 0 && f < FRAMES - 1);
        U48::saturating(match (frames, details.duration_ms) {
            (Some(frames), _) => FRAMES | frames,
            (None, Some(ms)) => ms.min(FRAMES - 1),
            (None, None) => UNKNOWN,
        })
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

    /// The file's size and modification time as the item keeps them: the size up to 2^48 - 1
    /// bytes (256 TiB) and the time up to `u32::MAX` seconds (2106-02-07 06:28:15 UTC), a
    /// larger one read as the largest (see the module docs).
    pub fn file(&self) -> FileInfo {
        FileInfo { size: self.size.get(), mtime: u64::from(self.mtime) }
    }

    /// Whether the shell's `file` (as it scans it) is the one this item was recorded with:
    /// the same size and time once capped as [`Item::file`] caps them, so a file past a bound
    /// is not seen as changed at every scan (nor a change beyond the bound seen at all).
    pub fn is_file(&self, file: FileInfo) -> bool {
        kept(file) == (self.size, self.mtime)
    }

    /// Play time in milliseconds: read from the exact frames when the item has them
    /// ([`frames_to_us`] over 1000, as every reader derives it), else as given, up to
    /// 2^47 - 1 ms (4,459 years; a longer one reads as that).
    pub fn duration_ms(&self) -> Option<u64> {
        match self.frames() {
            Some(frames) => Some(frames_to_us(frames, self.sample_rate) / 1000),
            None => Some(self.length.get()).filter(|&ms| ms != UNKNOWN),
        }
    }

    /// Exact decoded length in frames, when the file decodes to one rate and channel count
    /// throughout (see [`Details::frames`]): transcoded renditions are offered exactly then.
    /// Kept below 2^47 - 1 frames (5.8 years at 768 kHz), and only with a sample rate; a
    /// longer length is dropped (see the module docs).
    pub fn frames(&self) -> Option<u64> {
        let length = self.length.get();
        (length & FRAMES != 0 && length != UNKNOWN).then_some(length & !FRAMES)
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
            // 134,217.727968... s: the play time every reader derives from the frames.
            duration_ms: Some(134_217_727),
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
        // A 50-day play time without frames (an MP3's: more milliseconds than a `u32` holds).
        let timed = Details { duration_ms: Some(50 * 86_400_000), frames: None, ..full() };
        for details in [full(), timed, Details::default(), Details::tagged(Tags::default())] {
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
        // What does not fit is dropped: never a panic, never a wrong number.
        let mut odd = full();
        if let Some(tags) = odd.tags.as_deref_mut() {
            tags.track = Some(65_536);
        }
        let item = Item::new(MediaFormat::Flac, file, odd, &mut texts, &mut names).unwrap();
        assert_eq!((item.track(), item.disc()), (None, Some(0)));
        assert_eq!(item.dlna_profile(), Some("AAC_ISO"));
        // Artist and album share one name.
        assert_eq!(item.name(Tag::Artist), item.name(Tag::Album));
        assert_eq!(names.len(), 3);
    }

    /// An item of `file` with `details` (and no tags).
    fn item(file: FileInfo, details: Details) -> Item {
        let (mut texts, mut names) = (Texts::default(), Names::default());
        Item::new(MediaFormat::Flac, file, details, &mut texts, &mut names).unwrap()
    }

    #[test]
    fn sizes_and_times_past_their_bounds_saturate_and_still_match_the_file() {
        let details = Details::default;
        let largest = FileInfo { size: U48::MAX, mtime: u64::from(u32::MAX) };
        assert_eq!(item(largest, details()).file(), largest);
        // 256 TiB and 2107-01-01: read as the largest kept, and still the same file.
        let past = FileInfo { size: U48::MAX + 1, mtime: 4_323_283_200 };
        let kept = item(past, details());
        assert_eq!(kept.file(), largest);
        assert!(kept.is_file(past) && kept.is_file(largest));
        assert!(!kept.is_file(FileInfo { size: U48::MAX - 1, ..past }));
        assert!(!kept.is_file(FileInfo { mtime: u64::from(u32::MAX) - 1, ..past }));
        assert_eq!(item(FileInfo { size: u64::MAX, mtime: u64::MAX }, details()).file(), largest);
    }

    #[test]
    fn lengths_past_their_bounds_saturate_or_are_dropped() {
        let file = FileInfo { size: 1, mtime: 1 };
        let timed = |ms| item(file, Details { duration_ms: Some(ms), ..Details::default() });
        // Play times saturate at 2^47 - 1 ms.
        for (given, read) in
            [(FRAMES - 2, FRAMES - 2), (FRAMES - 1, FRAMES - 1), (FRAMES, FRAMES - 1)]
        {
            assert_eq!(timed(given).duration_ms(), Some(read));
        }
        assert_eq!(timed(u64::MAX).duration_ms(), Some(FRAMES - 1));
        // Frames are kept below 2^47 - 1, with a rate; past that the given play time stays.
        let audio = AudioProps { sample_rate: 48_000, channels: 2, bits_per_sample: 16 };
        let exact = |frames, audio| {
            let details = Details { duration_ms: Some(7), frames: Some(frames), audio, ..full() };
            let item = item(file, details);
            (item.frames(), item.duration_ms())
        };
        // 48 frames a millisecond.
        let longest = (FRAMES - 2) / 48;
        assert_eq!(exact(FRAMES - 2, Some(audio)), (Some(FRAMES - 2), Some(longest)));
        assert_eq!(exact(FRAMES - 1, Some(audio)), (None, Some(7)));
        assert_eq!(exact(u64::MAX, Some(audio)), (None, Some(7)));
        assert_eq!(exact(480_000, None), (None, Some(7)), "no rate to read a time from");
        // Exact frames give the play time, as the readers derive it.
        assert_eq!(exact(480_001, Some(audio)), (Some(480_001), Some(10_000)));
    }
}
