//! [`Tracks`]: the codecs of a video's first video and audio tracks, as far as deciding what a
//! player can play and how to remux it needs, in one byte (a library item holds one; the
//! per-object size is budgeted).

use core::num::NonZeroU8;

use super::{AudioCodec, Info, VideoCodec};

/// A video codec as serving decides on it: H.264 split by the profiles DLNA names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum VideoKind {
    /// H.264 Baseline or Main (`profile_idc` 66 or 77): DLNA's `MP` profiles.
    H264Main,
    /// H.264 High (`profile_idc` 100): DLNA's `HP` profiles.
    H264High,
    /// H.264 of another or an unknown profile (High 10, 4:2:2, ...).
    H264Other,
    /// H.265 / HEVC.
    Hevc,
    /// MPEG-4 part 2 (DivX, Xvid).
    Mpeg4,
    /// MPEG-1 or MPEG-2 video.
    Mpeg2,
    /// Anything else (VP8, VP9, AV1, ...).
    Other,
}

impl VideoKind {
    /// In the order of their codes 1 to 7.
    const ALL: [VideoKind; 7] = [
        VideoKind::H264Main,
        VideoKind::H264High,
        VideoKind::H264Other,
        VideoKind::Hevc,
        VideoKind::Mpeg4,
        VideoKind::Mpeg2,
        VideoKind::Other,
    ];

    /// The kind of a codec the container readers named.
    pub fn of(codec: VideoCodec) -> VideoKind {
        match codec {
            VideoCodec::H264 { profile: 66 | 77 } => VideoKind::H264Main,
            VideoCodec::H264 { profile: 100 } => VideoKind::H264High,
            VideoCodec::H264 { .. } => VideoKind::H264Other,
            VideoCodec::Hevc => VideoKind::Hevc,
            VideoCodec::Mpeg4 => VideoKind::Mpeg4,
            VideoCodec::Mpeg2 => VideoKind::Mpeg2,
            _ => VideoKind::Other,
        }
    }

    /// Whether it is H.264 (any profile), which copies into MPEG-TS as it is.
    pub fn is_h264(self) -> bool {
        matches!(self, VideoKind::H264Main | VideoKind::H264High | VideoKind::H264Other)
    }
}

/// Audio codecs in the order of their codes 1 to 8; a codec not listed is stored as
/// [`AudioCodec::Other`].
const AUDIO: [AudioCodec; 8] = [
    AudioCodec::Aac,
    AudioCodec::Ac3,
    AudioCodec::Eac3,
    AudioCodec::Dts,
    AudioCodec::Mpeg,
    AudioCodec::Xiph,
    AudioCodec::Pcm,
    AudioCodec::Other,
];

/// Bit 7 of every stored byte, which keeps it non-zero.
const BIT7: NonZeroU8 = NonZeroU8::MIN.saturating_add(0x7f);

/// The first video track's [`VideoKind`] and the first audio track's [`AudioCodec`], if any.
///
/// Stored as one byte: bit 7 set, bits 4-6 the video code (0 none, 1-7 [`VideoKind`] in
/// declaration order), bits 0-3 the audio code (0 none, 1-8 as `AUDIO`); the index keeps that
/// byte ([`Tracks::to_byte`], [`Tracks::from_byte`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Tracks(NonZeroU8);

impl Tracks {
    /// The tracks of a file with these codecs.
    pub fn new(video: Option<VideoKind>, audio: Option<AudioCodec>) -> Tracks {
        let code = |found: Option<usize>| found.map_or(0, |i| i + 1) as u8;
        let v = code(video.and_then(|v| VideoKind::ALL.iter().position(|k| *k == v)));
        let a = match audio {
            None => 0,
            Some(a) => code(AUDIO.iter().position(|k| *k == a).or(Some(AUDIO.len() - 1))),
        };
        Tracks(BIT7 | (v << 4 | a))
    }

    /// The tracks a container reader found in a file.
    pub fn of(info: &Info) -> Tracks {
        Tracks::new(info.video.map(|v| VideoKind::of(v.codec)), info.audio.map(|a| a.codec))
    }

    /// The first video track's kind.
    pub fn video(self) -> Option<VideoKind> {
        let code = usize::from(self.0.get() >> 4 & 0x7);
        VideoKind::ALL.get(code.checked_sub(1)?).copied()
    }

    /// The first audio track's codec.
    pub fn audio(self) -> Option<AudioCodec> {
        let code = usize::from(self.0.get() & 0xf);
        AUDIO.get(code.checked_sub(1)?).copied()
    }

    /// The stored byte.
    pub fn to_byte(self) -> u8 {
        self.0.get()
    }

    /// Tracks from a stored byte; `None` if it is not one [`Tracks::to_byte`] gives.
    pub fn from_byte(byte: u8) -> Option<Tracks> {
        let tracks = Tracks(NonZeroU8::new(byte)?);
        let audio_ok = usize::from(byte & 0xf) <= AUDIO.len();
        (byte & 0x80 != 0 && audio_ok).then_some(tracks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_round_trips_through_its_byte() {
        let videos = core::iter::once(None).chain(VideoKind::ALL.map(Some));
        for video in videos {
            for audio in core::iter::once(None).chain(AUDIO.map(Some)) {
                let tracks = Tracks::new(video, audio);
                assert_eq!((tracks.video(), tracks.audio()), (video, audio));
                assert_eq!(Tracks::from_byte(tracks.to_byte()), Some(tracks));
            }
        }
        assert_eq!(core::mem::size_of::<Option<Tracks>>(), 1);
        for byte in [0, 0x7f, 0x89, 0x1f] {
            assert_eq!(Tracks::from_byte(byte), None, "{byte:#x}");
        }
    }

    #[test]
    fn h264_profiles_sort_into_dlna_classes() {
        let kind = |profile| VideoKind::of(VideoCodec::H264 { profile });
        assert_eq!([kind(66), kind(77), kind(100), kind(110)].map(VideoKind::is_h264), [true; 4]);
        assert_eq!(
            [kind(66), kind(77), kind(100), kind(110)],
            [VideoKind::H264Main, VideoKind::H264Main, VideoKind::H264High, VideoKind::H264Other]
        );
        assert!(!VideoKind::of(VideoCodec::Av1).is_h264());
    }
}
