//! [`Item`]: a media file as the library stores it: one record of variable length in the
//! store's text arena, read back into an [`Item`] value.
//!
//! The shell hands the library a file's [`Details`] (owned strings, optional fields: what a
//! reader produces); the library writes them as one record, a text of the store's arena
//! (`text.rs`), and an object keeps only the record's 4-byte place ([`Text`]). The record is a
//! run of numbers in ASCII bytes ([`put_number`]: six bits a byte, so a track number takes one
//! byte, a name id two or three, a size three or four), each field only when present (the
//! first number's bits say which), the sample rate as a one-byte code when it is a common
//! one, each tag name as the number of its [`NameId`] in the library's names table, and the
//! title last, as it is, or, when the file name ends with it (`03 - Song Title.flac` titled
//! `Song Title`), as two small numbers: where in the name it starts and how long it is. A
//! tagged FLAC track's record takes about 30 bytes, where a fixed 60-byte item and a title
//! of its own took 75. Reading an item decodes its record ([`Item::read`]: a few dozen byte
//! reads, no allocation); changing one writes a new record and frees the old one for the
//! arena's compaction (see `store.rs`).
//!
//! The play length is kept as the exact length in frames when it is known (and the sample
//! rate with it), the play time then read from them as every reader derives it
//! ([`frames_to_us`] over 1000); else as the play time in milliseconds.
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
//!
//! A record is written by the library itself, so it always reads back; still, reading never
//! panics: a field cut short reads as 0 (as absent where 0 is not a value).

use alloc::string::String;
use core::num::NonZeroU16;

use super::names::{NameId, Names};
use super::text::{put_number, Numbers, Text, Texts};
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

/// The largest size kept, 2^48 - 1 bytes.
const MAX_SIZE: u64 = (1 << 48) - 1;

/// The most frames kept, plus one (2^47 - 1), and the most milliseconds kept (2^47 - 1).
const MAX_LENGTH: u64 = (1 << 47) - 1;

// The bits of an item's flags, the first number of its record: those a tagged track has are
// the low twelve, so its flags take two bytes.
const TAGGED: u32 = 1;
const AUDIO: u32 = 1 << 1;
const TRACK: u32 = 1 << 2;
/// The title is a part of the file name.
const TITLE_IN_NAME: u32 = 1 << 3;
/// The title is the rest of the record.
const TITLE_OWN: u32 = 1 << 4;
/// The length is the play time in milliseconds.
const MILLIS: u32 = 1 << 5;
/// The length is the exact number of frames.
const FRAMES: u32 = 1 << 6;
/// The bit of each tag name, in the order of [`Tag`]'s variants (the album artist, the
/// rarest, last).
const NAMES: [u32; 5] = [1 << 7, 1 << 11, 1 << 8, 1 << 9, 1 << 10];
const DISC: u32 = 1 << 12;
const PICTURE: u32 = 1 << 13;
const THUMBNAIL: u32 = 1 << 14;
const COMPILATION: u32 = 1 << 15;
const RESOLUTION: u32 = 1 << 16;
const AAC: u32 = 1 << 17;
const VIDEO: u32 = 1 << 18;
const TRACKS: u32 = 1 << 19;
const OGG: u32 = 1 << 20;
/// The bits an [`Item`] keeps; the others say which fields its record has, and follow
/// from the fields.
const FACTS: u32 =
    TAGGED | AUDIO | TRACK | MILLIS | FRAMES | DISC | PICTURE | THUMBNAIL | COMPILATION;

/// The sample rates kept as a one-byte code (their index); any other is kept as itself plus
/// the number of codes.
const RATES: [u32; 12] = [
    44_100, 48_000, 96_000, 88_200, 192_000, 176_400, 22_050, 32_000, 16_000, 24_000, 8_000, 11_025,
];

/// What an item keeps of `file`: its size and time, each saturated (see [`Item::file`]).
fn kept(file: FileInfo) -> (u64, u32) {
    (file.size.min(MAX_SIZE), u32::try_from(file.mtime).unwrap_or(u32::MAX))
}

/// `flag` if `on`.
fn bit(on: bool, flag: u32) -> u32 {
    if on {
        flag
    } else {
        0
    }
}

/// Where an item's title is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Title {
    /// Untitled: the file name without its extension stands for it.
    None,
    /// Bytes `start..start + len` of the file name.
    InName { start: u32, len: u32 },
    /// The rest of the record, from byte `from`.
    Own { from: u32 },
}

/// A media file: its format, size and time, and what reading it revealed (read through the
/// methods; tag texts and the title through [`super::ObjectRef`]). Decoded from the library's
/// record of it (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The format, from the file extension.
    pub format: MediaFormat,
    /// Yes-or-no facts and which numbers are present ([`FACTS`]).
    flags: u32,
    /// The file's size (see [`Item::file`]).
    size: u64,
    /// The file's modification time, in seconds since the Unix epoch (see [`Item::file`]).
    mtime: u32,
    /// The exact length in frames (with [`FRAMES`]) or the play time in milliseconds (with
    /// [`MILLIS`]).
    length: u64,
    /// Artist, album artist, album, genre, date: in the order of [`Tag`]'s variants.
    names: [Option<NameId>; 5],
    sample_rate: u32,
    track: u16,
    disc: u16,
    resolution: Option<(NonZeroU16, NonZeroU16)>,
    channels: u8,
    bits_per_sample: u8,
    aac_profile: Option<AacProfile>,
    video_profile: Option<VideoProfile>,
    tracks: Option<Tracks>,
    ogg_codec: Option<OggCodec>,
    title: Title,
}

/// The DLNA profile reading a file named (an AAC file's or a video's), which replaces the one
/// of its format.
pub(crate) fn dlna_profile(
    aac: Option<AacProfile>,
    video: Option<VideoProfile>,
) -> Option<&'static str> {
    aac.map(AacProfile::name).or(video.map(VideoProfile::name))
}

// A format's or a profile's code in a record is its index in its `ALL`, which lists them in
// declaration order: the variant's discriminant (checked in the tests), written without a
// search.

/// The value of code `n` in `all`.
fn decode<T: Copy>(all: &[T], n: u64) -> Option<T> {
    all.get(usize::try_from(n).ok()?).copied()
}

impl Item {
    /// Writes the record of a file of `format` and `file` with `details`, named `name` and
    /// with a thumbnail if `thumbnail` (see [`Item::thumbnail`]), to `texts`, its names
    /// interned in `names`. Fails only when one of them is full (then nothing of it stays in
    /// either).
    #[inline(never)]
    pub(crate) fn store(
        format: MediaFormat,
        file: FileInfo,
        details: &Details,
        name: &str,
        thumbnail: bool,
        texts: &mut Texts,
        names: &mut Names,
    ) -> Result<Text, Error> {
        let audio = details.audio;
        let sample_rate = audio.map_or(0, |a| a.sample_rate);
        let (size, mtime) = kept(file);
        let mut item = Item {
            format,
            flags: bit(details.picture, PICTURE)
                | bit(audio.is_some(), AUDIO)
                | bit(thumbnail, THUMBNAIL),
            size,
            mtime,
            length: 0,
            names: [None; 5],
            sample_rate,
            track: 0,
            disc: 0,
            resolution: details.resolution,
            channels: audio.map_or(0, |a| a.channels),
            bits_per_sample: audio.map_or(0, |a| a.bits_per_sample),
            aac_profile: details.aac_profile,
            video_profile: details.video_profile,
            tracks: details.tracks,
            ogg_codec: details.ogg_codec,
            title: Title::None,
        };
        item.set_length(details);
        let mut own = "";
        if let Some(tags) = details.tags.as_deref() {
            let number = |n: Option<u32>| n.and_then(|n| u16::try_from(n).ok());
            let (track, disc) = (number(tags.track), number(tags.disc));
            item.flags |= TAGGED
                | bit(tags.compilation, COMPILATION)
                | bit(track.is_some(), TRACK)
                | bit(disc.is_some(), DISC);
            item.track = track.unwrap_or(0);
            item.disc = disc.unwrap_or(0);
            if let Some(title) = tags.title.as_deref() {
                // The end of the name's stem: `03 - Song Title` or `Artist - Song Title`.
                let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
                let found = stem.len().checked_sub(title.len()).filter(|_| stem.ends_with(title));
                let place = found.filter(|_| !title.is_empty()).and_then(|start| {
                    Some((u32::try_from(start).ok()?, u32::try_from(title.len()).ok()?))
                });
                match place {
                    Some((start, len)) => item.title = Title::InName { start, len },
                    None => {
                        item.title = Title::Own { from: 0 };
                        own = title;
                    }
                }
            }
            let given = [&tags.artist, &tags.album_artist, &tags.album, &tags.genre, &tags.date];
            for (n, text) in given.into_iter().enumerate() {
                let Some(text) = text else { continue };
                match names.intern(text) {
                    Ok(id) => {
                        if let Some(place) = item.names.get_mut(n) {
                            *place = Some(id);
                        }
                    }
                    Err(e) => {
                        item.release(names);
                        return Err(e);
                    }
                }
            }
        }
        let mut record = String::new();
        item.write(own, &mut record);
        texts.push(&record).inspect_err(|_| item.release(names))
    }

    /// Sets the length `details` give, as the item keeps it: the exact frames when they are
    /// known with a rate and below [`MAX_LENGTH`] (the play time then read from them), else
    /// the play time, saturated at [`MAX_LENGTH`] ms.
    fn set_length(&mut self, details: &Details) {
        let rate = self.sample_rate;
        let frames = details.frames.filter(|&f| rate > 0 && f < MAX_LENGTH);
        match (frames, details.duration_ms) {
            (Some(frames), _) => {
                self.flags |= FRAMES;
                self.length = frames;
            }
            (None, Some(ms)) => {
                self.flags |= MILLIS;
                self.length = ms.min(MAX_LENGTH);
            }
            (None, None) => {}
        }
    }

    /// Appends the item's record to `out`, with `own` as its title if it has one of its own.
    // Out of line: one copy for `store` and `rewrite` (8 B less flash on NUCLEO-H743ZI2 even
    // where `store` is its only caller).
    #[inline(never)]
    fn write(&self, own: &str, out: &mut String) {
        let names = self.names.iter().zip(NAMES).filter(|(n, _)| n.is_some());
        let flags = self.flags
            | names.fold(0, |f, (_, b)| f | b)
            | bit(self.resolution.is_some(), RESOLUTION)
            | bit(self.aac_profile.is_some(), AAC)
            | bit(self.video_profile.is_some(), VIDEO)
            | bit(self.tracks.is_some(), TRACKS)
            | bit(self.ogg_codec.is_some(), OGG)
            | match self.title {
                Title::None => 0,
                Title::InName { .. } => TITLE_IN_NAME,
                Title::Own { .. } => TITLE_OWN,
            };
        let mut put = |n: u64| put_number(out, n);
        put(u64::from(flags));
        put(self.format as u64);
        put(self.size);
        put(u64::from(self.mtime));
        if flags & (MILLIS | FRAMES) != 0 {
            put(self.length);
        }
        if flags & AUDIO != 0 {
            let rate = u64::from(self.sample_rate);
            let common = RATES.iter().position(|&r| r == self.sample_rate);
            put(common.map_or(rate + RATES.len() as u64, |i| i as u64));
            put(u64::from(self.channels));
            put(u64::from(self.bits_per_sample));
        }
        if flags & TRACK != 0 {
            put(u64::from(self.track));
        }
        if flags & DISC != 0 {
            put(u64::from(self.disc));
        }
        for id in self.names.iter().flatten() {
            put(u64::from(id.number()));
        }
        if let Some((w, h)) = self.resolution {
            put(u64::from(w.get()));
            put(u64::from(h.get()));
        }
        if let Some(p) = self.aac_profile {
            put(p as u64);
        }
        if let Some(p) = self.video_profile {
            put(p as u64);
        }
        if let Some(t) = self.tracks {
            put(u64::from(t.to_byte()));
        }
        if let Some(c) = self.ogg_codec {
            put(u64::from(c.code()));
        }
        if let Title::InName { start, len } = self.title {
            put(u64::from(start));
            put(u64::from(len));
        }
        if let Title::Own { .. } = self.title {
            out.push_str(own);
        }
    }

    /// The item whose record is `record` (see the module docs; never panics, whatever the
    /// bytes).
    pub(crate) fn read(record: &str) -> Item {
        let mut numbers = Numbers::new(record);
        let n = &mut numbers;
        let flags = n.next_u32();
        let has = |bit: u32| flags & bit != 0;
        let format = decode(&MediaFormat::ALL, n.next_or_0()).unwrap_or(MediaFormat::ALL[0]);
        let size = n.next_or_0().min(MAX_SIZE);
        let mtime = u32::try_from(n.next_or_0()).unwrap_or(u32::MAX);
        let length = if has(MILLIS | FRAMES) { n.next_or_0().min(MAX_LENGTH) } else { 0 };
        let (mut sample_rate, mut channels, mut bits_per_sample) = (0, 0, 0);
        if has(AUDIO) {
            let rate = n.next_or_0();
            sample_rate = match decode(&RATES, rate) {
                Some(rate) => rate,
                None => u32::try_from(rate.saturating_sub(RATES.len() as u64)).unwrap_or(0),
            };
            channels = u8::try_from(n.next_u32()).unwrap_or(0);
            bits_per_sample = u8::try_from(n.next_u32()).unwrap_or(0);
        }
        let small = |n: &mut Numbers, on: bool| {
            if on {
                u16::try_from(n.next_u32()).unwrap_or(0)
            } else {
                0
            }
        };
        let (track, disc) = (small(n, has(TRACK)), small(n, has(DISC)));
        let mut names = [None; 5];
        for (place, name) in names.iter_mut().zip(NAMES) {
            if has(name) {
                *place = NameId::new(n.next_u32());
            }
        }
        let resolution = if has(RESOLUTION) {
            let w = NonZeroU16::new(small(n, true));
            w.zip(NonZeroU16::new(small(n, true)))
        } else {
            None
        };
        let aac_profile = if has(AAC) { decode(&AacProfile::ALL, n.next_or_0()) } else { None };
        let video_profile =
            if has(VIDEO) { decode(&VideoProfile::ALL, n.next_or_0()) } else { None };
        let byte = |n: &mut Numbers| u8::try_from(n.next_or_0()).ok();
        let tracks = if has(TRACKS) { byte(n).and_then(Tracks::from_byte) } else { None };
        let ogg_codec = if has(OGG) { byte(n).and_then(OggCodec::from_code) } else { None };
        let title = if has(TITLE_IN_NAME) {
            let start = n.next_u32();
            Title::InName { start, len: n.next_u32() }
        } else if has(TITLE_OWN) {
            Title::Own { from: u32::try_from(n.at()).unwrap_or(u32::MAX) }
        } else {
            Title::None
        };
        Item {
            format,
            flags: flags & FACTS,
            size,
            mtime,
            length,
            names,
            sample_rate,
            track,
            disc,
            resolution,
            channels,
            bits_per_sample,
            aac_profile,
            video_profile,
            tracks,
            ogg_codec,
            title,
        }
    }

    /// Gives back the item's names (its record is going or being replaced).
    pub(crate) fn release(&self, names: &mut Names) {
        for id in self.names.iter().flatten() {
            names.release(*id);
        }
    }

    /// Writes the record of this item, read from `record` (the title of its own from there),
    /// with its thumbnail flag set to `thumbnail`, to `texts`.
    pub(crate) fn rewrite(
        &self,
        record: Text,
        thumbnail: bool,
        texts: &mut Texts,
    ) -> Result<Text, Error> {
        let item =
            Item { flags: (self.flags & !THUMBNAIL) | bit(thumbnail, THUMBNAIL), ..self.clone() };
        let mut new = String::new();
        item.write(item.own_title(texts.get(record)).unwrap_or(""), &mut new);
        texts.push(&new)
    }

    /// The title of its own, in its record `record`.
    fn own_title<'a>(&self, record: &'a str) -> Option<&'a str> {
        match self.title {
            Title::Own { from } => record.get(usize::try_from(from).ok()?..),
            _ => None,
        }
    }

    /// The tagged title, from the file name `name` or the item's record `record`; `None`
    /// when untitled.
    pub(crate) fn title<'a>(&self, name: &'a str, record: &'a str) -> Option<&'a str> {
        match self.title {
            Title::None => None,
            Title::InName { start, len } => {
                let start = usize::try_from(start).ok()?;
                name.get(start..start.checked_add(usize::try_from(len).ok()?)?)
            }
            Title::Own { .. } => self.own_title(record),
        }
    }

    /// The id of the name tagged as `tag`.
    pub(crate) fn name(&self, tag: Tag) -> Option<NameId> {
        self.names.get(tag as usize).copied().flatten()
    }

    /// The details the item was given, rebuilt (its tagged title `title`, the names from
    /// `names`).
    pub(crate) fn details(&self, title: Option<&str>, names: &Names) -> Details {
        let tags = (self.flags & TAGGED != 0).then(|| {
            let name = |tag| self.name(tag).map(|id| names.get(id).into());
            alloc::boxed::Box::new(super::Tags {
                title: title.map(Into::into),
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

    /// Whether `given` are the details this item was given: what [`Item::details`] rebuilds
    /// equals `given` (its tagged title `title`, the names from `names`), compared without
    /// rebuilding them (no allocation; the firmware's flash).
    pub(crate) fn has_details(&self, title: Option<&str>, names: &Names, given: &Details) -> bool {
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
        } = given;
        let same_tags = match tags.as_deref() {
            None => !self.is_tagged(),
            Some(super::Tags {
                title: given_title,
                artist,
                album_artist,
                album,
                genre,
                track,
                disc,
                date,
                compilation,
            }) => {
                let name = |tag, given: &Option<alloc::boxed::Box<str>>| {
                    self.name(tag).map(|id| names.get(id)) == given.as_deref()
                };
                self.is_tagged()
                    && given_title.as_deref() == title
                    && name(Tag::Artist, artist)
                    && name(Tag::AlbumArtist, album_artist)
                    && name(Tag::Album, album)
                    && name(Tag::Genre, genre)
                    && *track == self.track().map(u32::from)
                    && *disc == self.disc().map(u32::from)
                    && name(Tag::Date, date)
                    && *compilation == self.compilation()
            }
        };
        same_tags
            && *duration_ms == self.duration_ms()
            && *frames == self.frames()
            && *audio == self.audio()
            && *picture == self.picture()
            && *aac_profile == self.aac_profile
            && *resolution == self.resolution
            && *video_profile == self.video_profile
            && *tracks == self.tracks
            && *ogg_codec == self.ogg_codec
    }

    /// Whether the shell has a `JPEG_TN` thumbnail of this file (its embedded picture, the
    /// image itself scaled down, or a video frame); set with
    /// [`super::Library::set_thumbnail`].
    pub fn thumbnail(&self) -> bool {
        self.flags & THUMBNAIL != 0
    }

    /// The file's size and modification time as the item keeps them: the size up to 2^48 - 1
    /// bytes (256 TiB) and the time up to `u32::MAX` seconds (2106-02-07 06:28:15 UTC), a
    /// larger one read as the largest (see the module docs).
    pub fn file(&self) -> FileInfo {
        FileInfo { size: self.size, mtime: u64::from(self.mtime) }
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
            None => (self.flags & MILLIS != 0).then_some(self.length),
        }
    }

    /// Exact decoded length in frames, when the file decodes to one rate and channel count
    /// throughout (see [`Details::frames`]): transcoded renditions are offered exactly then.
    /// Kept below 2^47 - 1 frames (5.8 years at 768 kHz), and only with a sample rate; a
    /// longer length is dropped (see the module docs).
    pub fn frames(&self) -> Option<u64> {
        (self.flags & FRAMES != 0).then_some(self.length)
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
            tracks: Some(Tracks::new(None, None)),
            ogg_codec: Some(OggCodec::Flac),
        }
    }

    /// Details with the title `title`.
    fn titled(title: &str) -> Details {
        let mut details = full();
        if let Some(tags) = details.tags.as_deref_mut() {
            tags.title = Some(title.into());
        }
        details
    }

    /// The arenas of a store.
    fn arenas() -> (Texts, Names) {
        (Texts::default(), Names::default())
    }

    /// The details of the item recorded in `record` for a file named `name`.
    fn details_of(name: &str, record: Text, texts: &Texts, names: &Names) -> Details {
        let record = texts.get(record);
        let item = Item::read(record);
        item.details(item.title(name, record), names)
    }

    #[test]
    fn details_come_back_as_they_were_given_and_their_names_go_with_the_item() {
        let (mut texts, mut names) = arenas();
        let file = FileInfo { size: 9, mtime: 1 };
        // A 50-day play time without frames (an MP3's: more milliseconds than a `u32` holds).
        let timed = Details { duration_ms: Some(50 * 86_400_000), frames: None, ..full() };
        // Rates with a code of their own and not, and a title in the name, of its own
        // (UTF-8) and empty.
        let rates = [44_100, 11_025, 0, 7, 44_101, u32::MAX].map(|sample_rate| Details {
            audio: Some(AudioProps { sample_rate, channels: 2, bits_per_sample: 16 }),
            frames: None,
            ..titled("Søng")
        });
        let all = [full(), timed, Details::default(), Details::tagged(Tags::default())];
        let name = "03 - Søng.flac";
        for details in all.into_iter().chain(rates).chain([titled("Sång"), titled("03 -")]) {
            let record =
                Item::store(MediaFormat::Flac, file, &details, name, false, &mut texts, &mut names)
                    .unwrap();
            assert_eq!(details_of(name, record, &texts, &names), details);
            let item = Item::read(texts.get(record));
            assert!(!item.thumbnail());
            let title = item.title(name, texts.get(record));
            assert!(item.has_details(title, &names, &details));
            for other in
                [full(), Details::default(), titled("other"), Details { picture: false, ..full() }]
            {
                assert_eq!(item.has_details(title, &names, &other), other == details);
            }
            let shown = item.rewrite(record, true, &mut texts).unwrap();
            assert!(Item::read(texts.get(shown)).thumbnail());
            assert_eq!(details_of(name, shown, &texts, &names), details);
            item.release(&mut names);
            assert!(names.is_empty());
        }
        // What does not fit is dropped: never a panic, never a wrong number.
        let mut odd = full();
        if let Some(tags) = odd.tags.as_deref_mut() {
            tags.track = Some(65_536);
        }
        let record =
            Item::store(MediaFormat::Flac, file, &odd, name, false, &mut texts, &mut names)
                .unwrap();
        let item = Item::read(texts.get(record));
        assert_eq!((item.track(), item.disc()), (None, Some(0)));
        assert_eq!(item.dlna_profile(), Some("AAC_ISO"));
        // Artist and album share one name.
        assert_eq!(item.name(Tag::Artist), item.name(Tag::Album));
        assert_eq!(names.len(), 3);
    }

    #[test]
    fn a_title_the_name_holds_is_kept_once_and_a_tagged_track_is_small() {
        let (mut texts, mut names) = arenas();
        let file = FileInfo { size: 31_415_926, mtime: 1_700_000_000 };
        let audio = AudioProps { sample_rate: 44_100, channels: 2, bits_per_sample: 16 };
        let tags = Tags {
            title: Some("Song Title".into()),
            artist: Some("Artist".into()),
            album: Some("Album".into()),
            genre: Some("Genre".into()),
            date: Some("1999".into()),
            track: Some(3),
            ..Tags::default()
        };
        let details = Details {
            duration_ms: Some(240_000),
            frames: Some(10_584_000),
            audio: Some(audio),
            tags: Some(Box::new(tags)),
            ..Details::default()
        };
        let name = "03 - Song Title.flac";
        let store = |texts: &mut Texts, names: &mut Names, name| {
            Item::store(MediaFormat::Flac, file, &details, name, false, texts, names).unwrap()
        };
        let record = store(&mut texts, &mut names, name);
        let bytes = texts.get(record);
        assert!(!bytes.contains("Song Title"), "the title is not copied");
        // Flags 2 bytes, format 1, size 5, time 6, frames 4, rate, channels and bits 3,
        // track 1, four names 4, the title's place in the name 2.
        assert_eq!(bytes.len(), 28);
        assert_eq!(Item::read(bytes).title(name, bytes), Some("Song Title"));
        // A title the name does not hold is the record's last part.
        let other = store(&mut texts, &mut names, "03.flac");
        let bytes = texts.get(other);
        assert!(bytes.ends_with("Song Title"));
        assert_eq!(Item::read(bytes).title("03.flac", bytes), Some("Song Title"));
        assert_eq!(details_of("03.flac", other, &texts, &names), details);
    }

    #[test]
    fn any_bytes_read_as_some_item_without_a_panic() {
        let (mut texts, mut names) = arenas();
        let name = "x.flac";
        let record = Item::store(
            MediaFormat::Flac,
            FileInfo::default(),
            &titled("Sång"),
            name,
            false,
            &mut texts,
            &mut names,
        )
        .unwrap();
        let bytes = texts.get(record);
        // Every prefix, and each byte changed (to ASCII, as the arena holds).
        for end in 0..=bytes.len() {
            if let Some(cut) = bytes.get(..end) {
                let item = Item::read(cut);
                let _ = (item.title(name, cut), item.details(item.title(name, cut), &names));
            }
        }
        let mut changed = String::from(bytes);
        for at in 0..bytes.len().min(24) {
            for byte in [0u8, 0x3f, 0x40, 0x7f] {
                let mut raw = changed.clone().into_bytes();
                raw[at] = byte;
                if let Ok(text) = String::from_utf8(raw) {
                    let item = Item::read(&text);
                    let _ = (item.title(name, &text), item.duration_ms(), item.audio());
                }
            }
        }
        changed.clear();
        assert_eq!(Item::read("").title(name, ""), None);
    }

    /// An item of `file` with `details` (and no tags).
    fn item(file: FileInfo, details: Details) -> Item {
        let (mut texts, mut names) = arenas();
        let record =
            Item::store(MediaFormat::Flac, file, &details, "x.flac", false, &mut texts, &mut names)
                .unwrap();
        Item::read(texts.get(record))
    }

    #[test]
    fn codes_are_indexes_in_all() {
        assert!(MediaFormat::ALL.iter().enumerate().all(|(i, &f)| f as usize == i));
        assert!(AacProfile::ALL.iter().enumerate().all(|(i, &p)| p as usize == i));
        assert!(VideoProfile::ALL.iter().enumerate().all(|(i, &p)| p as usize == i));
    }

    #[test]
    fn sizes_and_times_past_their_bounds_saturate_and_still_match_the_file() {
        let details = Details::default;
        let largest = FileInfo { size: MAX_SIZE, mtime: u64::from(u32::MAX) };
        assert_eq!(item(largest, details()).file(), largest);
        // 256 TiB and 2107-01-01: read as the largest kept, and still the same file.
        let past = FileInfo { size: MAX_SIZE + 1, mtime: 4_323_283_200 };
        let kept = item(past, details());
        assert_eq!(kept.file(), largest);
        assert!(kept.is_file(past) && kept.is_file(largest));
        assert!(!kept.is_file(FileInfo { size: MAX_SIZE - 1, ..past }));
        assert!(!kept.is_file(FileInfo { mtime: u64::from(u32::MAX) - 1, ..past }));
        assert_eq!(item(FileInfo { size: u64::MAX, mtime: u64::MAX }, details()).file(), largest);
    }

    #[test]
    fn lengths_past_their_bounds_saturate_or_are_dropped() {
        let file = FileInfo { size: 1, mtime: 1 };
        let timed = |ms| item(file, Details { duration_ms: Some(ms), ..Details::default() });
        // Play times saturate at 2^47 - 1 ms.
        let most = MAX_LENGTH;
        for (given, read) in [(most - 1, most - 1), (most, most), (most + 1, most)] {
            assert_eq!(timed(given).duration_ms(), Some(read));
        }
        assert_eq!(timed(u64::MAX).duration_ms(), Some(most));
        // Frames are kept below 2^47 - 1, with a rate; past that the given play time stays.
        let audio = AudioProps { sample_rate: 48_000, channels: 2, bits_per_sample: 16 };
        let exact = |frames, audio| {
            let details = Details { duration_ms: Some(7), frames: Some(frames), audio, ..full() };
            let item = item(file, details);
            (item.frames(), item.duration_ms())
        };
        // 48 frames a millisecond.
        let longest = (most - 1) / 48;
        assert_eq!(exact(most - 1, Some(audio)), (Some(most - 1), Some(longest)));
        assert_eq!(exact(most, Some(audio)), (None, Some(7)));
        assert_eq!(exact(u64::MAX, Some(audio)), (None, Some(7)));
        assert_eq!(exact(480_000, None), (None, Some(7)), "no rate to read a time from");
        // Exact frames give the play time, as the readers derive it.
        assert_eq!(exact(480_001, Some(audio)), (Some(480_001), Some(10_000)));
    }
}
