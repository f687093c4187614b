//! The video rows of the player table ([`VideoRow`]: the containers and audio codecs a player
//! plays) and the [`Remux`] to MPEG-TS offered to a player that cannot play a video as it is.
//!
//! A remux copies the H.264 video into an MPEG-TS (188-byte packets) and copies the audio when
//! the player plays it and MPEG-TS carries it, else converts it to AC-3, which every player
//! with a row plays in MPEG-TS. Only H.264 in Matroska or MP4 is remuxed: AVI stays as it is
//! (the PS3 takes it as `video/divx`), MPEG-PS and MPEG-TS need no remux.
//!
//! Sources: Universal Media Server renderer `.conf` files (U), MiniDLNA `clients.c` (M);
//! see `tv.md`.

use super::Quirks;
use crate::dlna::video::VideoProfile;
use crate::dlna::{ContentFeatures, Flags, MediaFormat, Mime, ProtocolInfo};
use crate::media::video::{AudioCodec, Tracks, VideoKind};

/// What video a player plays without conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoRow {
    /// The video containers it plays.
    pub containers: &'static [MediaFormat],
    /// The audio codecs it plays inside them.
    pub audio: &'static [AudioCodec],
    /// Plays H.264 in MPEG-TS, the target of a remux: a player without it is offered none.
    pub ts_h264: bool,
}

impl VideoRow {
    /// PS3 (U `Sony-PlayStation3.conf`): MPEG-PS, MPEG-TS (H.264 with AAC-LC, AC-3, LPCM or MPEG
    /// audio), AVI, MP4 (H.264 with AAC-LC or AC-3); no Matroska (U, M), no DTS.
    pub const PS3: VideoRow = VideoRow {
        containers: &[MediaFormat::Mpeg, MediaFormat::MpegTs, MediaFormat::Avi, MediaFormat::Mp4],
        audio: &[AudioCodec::Aac, AudioCodec::Ac3, AudioCodec::Mpeg, AudioCodec::Pcm],
        ts_h264: true,
    };

    /// Xbox 360 (U `Microsoft-Xbox360.conf`): AVI (DivX/MPEG-4 with AC-3 or MP3), MP4 (H.264 or
    /// MPEG-4 with AAC-LC), WMV; no MPEG-TS, so no remux (U transcodes the rest to WMV).
    pub const XBOX_360: VideoRow = VideoRow {
        containers: &[MediaFormat::Avi, MediaFormat::Mp4],
        audio: &[AudioCodec::Aac, AudioCodec::Ac3, AudioCodec::Mpeg],
        ts_h264: false,
    };

    /// Samsung TVs (U `Samsung-TV-2019+.conf`, `Samsung-ES8000.conf`): Matroska, MP4, AVI,
    /// MPEG-PS and MPEG-TS with AC-3, E-AC-3, AAC, LPCM or MP3. DTS only on some series (ES
    /// yes, 2019+ no), so DTS counts as not played.
    pub const SAMSUNG: VideoRow = VideoRow {
        containers: TV_CONTAINERS,
        audio: &[
            AudioCodec::Aac,
            AudioCodec::Ac3,
            AudioCodec::Eac3,
            AudioCodec::Mpeg,
            AudioCodec::Pcm,
        ],
        ts_h264: true,
    };

    /// LG webOS TVs (U `LG-WebOS.conf`, `LG-OLED-2020.conf`): Matroska (with Vorbis and Opus),
    /// MP4, AVI, MPEG-PS, MPEG-TS with AAC, AC-3, E-AC-3, MP3, LPCM. DTS is missing on the
    /// 2020 and 2021 sets (back in 2023), so it counts as not played.
    pub const LG: VideoRow = VideoRow {
        containers: TV_CONTAINERS,
        audio: &[
            AudioCodec::Aac,
            AudioCodec::Ac3,
            AudioCodec::Eac3,
            AudioCodec::Mpeg,
            AudioCodec::Pcm,
            AudioCodec::Xiph,
        ],
        ts_h264: true,
    };
}

/// The containers Samsung and LG TVs play: Matroska, MP4, AVI, MPEG-PS and MPEG-TS.
const TV_CONTAINERS: &[MediaFormat] =
    &[MediaFormat::Mkv, MediaFormat::Mp4, MediaFormat::Avi, MediaFormat::Mpeg, MediaFormat::MpegTs];

/// Audio codecs the MPEG-TS muxer carries as they are.
const TS_AUDIO: [AudioCodec; 5] =
    [AudioCodec::Aac, AudioCodec::Ac3, AudioCodec::Eac3, AudioCodec::Mpeg, AudioCodec::Dts];

/// Audio codecs a player of unknown video abilities gets copied: those DLNA's `AVC_TS`
/// profiles name.
const DLNA_TS_AUDIO: [AudioCodec; 3] = [AudioCodec::Aac, AudioCodec::Ac3, AudioCodec::Mpeg];

/// What a remux does with the audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RemuxAudio {
    /// The file has no audio track.
    None,
    /// Copied as it is.
    Copy(AudioCodec),
    /// Converted to AC-3.
    Ac3,
}

/// A remux of a video to MPEG-TS: the video copied, the audio as [`RemuxAudio`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Remux {
    /// The audio.
    pub audio: RemuxAudio,
    /// The DLNA profile of the result, if DLNA names one (`AVC_TS_*_ISO`).
    pub profile: Option<VideoProfile>,
}

/// The extension of the media URL naming an item's remux (`/rill/media/<id>.ts`).
pub const EXTENSION: &str = "ts";

/// The MIME type of a remux.
pub const MIME: &str = "video/mpeg";

impl Remux {
    /// The remux of a `format` file with `tracks` and picture `size` that a player with video
    /// row `row` needs: `None` when it plays the file as it is, when no remux is possible (not
    /// H.264 in Matroska or MP4), or when the player's abilities are unknown (no row) or it
    /// plays no MPEG-TS.
    pub fn needed(
        row: Option<&VideoRow>,
        format: MediaFormat,
        tracks: Tracks,
        size: Option<(u32, u32)>,
    ) -> Option<Remux> {
        let row = row.filter(|r| r.ts_h264)?;
        let audio = tracks.audio();
        let plays_audio = audio.is_none_or(|a| row.audio.contains(&a));
        if row.containers.contains(&format) && plays_audio {
            return None;
        }
        Remux::of(row.audio, format, tracks, size)
    }

    /// The remux served at a `.ts` URL to a player with `quirks`: as [`Remux::needed`] says
    /// for it, or for a player that needs none or is unknown the audio copied when a DLNA
    /// `AVC_TS` profile names it (AAC, AC-3, MP3), else converted. `None` when the file cannot
    /// be remuxed.
    pub fn served(
        quirks: &Quirks,
        format: MediaFormat,
        tracks: Tracks,
        size: Option<(u32, u32)>,
    ) -> Option<Remux> {
        Remux::needed(quirks.video, format, tracks, size)
            .or_else(|| Remux::of(&DLNA_TS_AUDIO, format, tracks, size))
    }

    /// The remux of a file for a player playing `audio` codecs.
    fn of(
        audio: &[AudioCodec],
        format: MediaFormat,
        tracks: Tracks,
        size: Option<(u32, u32)>,
    ) -> Option<Remux> {
        if !matches!(format, MediaFormat::Mkv | MediaFormat::Mp4) {
            return None;
        }
        let video = tracks.video().filter(|v| v.is_h264())?;
        let audio = match tracks.audio() {
            None => RemuxAudio::None,
            Some(a) if audio.contains(&a) && TS_AUDIO.contains(&a) => RemuxAudio::Copy(a),
            Some(_) => RemuxAudio::Ac3,
        };
        Some(Remux { audio, profile: profile(video, audio, size) })
    }

    /// The protocolInfo: `video/mpeg`, its profile, time seek only (`DLNA.ORG_OP=10`: a
    /// remux has no byte offsets), converted.
    pub fn protocol_info(&self) -> ProtocolInfo<'static> {
        ProtocolInfo {
            mime: Mime::Fixed(MIME),
            features: ContentFeatures {
                profile: self.profile.map(VideoProfile::name),
                time_seek: true,
                byte_seek: false,
                transcoded: true,
                flags: Flags::MEDIA_FILE,
            },
        }
    }
}

/// The `AVC_TS_*_ISO` profile of H.264 `video` with `audio` in a picture of `size` (MiniDLNA's
/// rules, see `tv.md`): High `HP_HD`; Main or Baseline up to 720x576 `MP_SD`, up to 1920x1152
/// `MP_HD`; then the audio, `AAC_MULT5`, `AC3` or `MPEG1_L3`. Other H.264 profiles, larger
/// pictures, other or no audio: none.
fn profile(video: VideoKind, audio: RemuxAudio, size: Option<(u32, u32)>) -> Option<VideoProfile> {
    use VideoProfile as P;
    let (w, h) = size?;
    let class = match video {
        VideoKind::H264High if w <= 1920 && h <= 1152 => 2,
        VideoKind::H264Main if w <= 720 && h <= 576 => 0,
        VideoKind::H264Main if w <= 1920 && h <= 1152 => 1,
        _ => return None,
    };
    let sound = match audio {
        RemuxAudio::Copy(AudioCodec::Aac) => 0,
        RemuxAudio::Copy(AudioCodec::Ac3) | RemuxAudio::Ac3 => 1,
        RemuxAudio::Copy(AudioCodec::Mpeg) => 2,
        _ => return None,
    };
    let table = [
        [P::AVC_TS_MP_SD_AAC_MULT5_ISO, P::AVC_TS_MP_SD_AC3_ISO, P::AVC_TS_MP_SD_MPEG1_L3_ISO],
        [P::AVC_TS_MP_HD_AAC_MULT5_ISO, P::AVC_TS_MP_HD_AC3_ISO, P::AVC_TS_MP_HD_MPEG1_L3_ISO],
        [P::AVC_TS_HP_HD_AAC_MULT5_ISO, P::AVC_TS_HP_HD_AC3_ISO, P::AVC_TS_HP_HD_MPEG1_L3_ISO],
    ];
    table.get(class)?.get(sound).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::Player;

    fn tracks(video: VideoKind, audio: AudioCodec) -> Tracks {
        Tracks::new(Some(video), Some(audio))
    }

    const HD: Option<(u32, u32)> = Some((1920, 1080));

    #[test]
    fn ps3_gets_matroska_remuxed_with_its_audio_kept_or_converted() {
        let ps3 = Player::Ps3.quirks();
        let row = ps3.video;
        let ac3 = tracks(VideoKind::H264High, AudioCodec::Ac3);
        let remux = Remux::needed(row, MediaFormat::Mkv, ac3, HD);
        assert_eq!(
            remux,
            Some(Remux {
                audio: RemuxAudio::Copy(AudioCodec::Ac3),
                profile: Some(VideoProfile::AVC_TS_HP_HD_AC3_ISO)
            })
        );
        let dts = tracks(VideoKind::H264Main, AudioCodec::Dts);
        let remux = Remux::needed(row, MediaFormat::Mkv, dts, Some((1280, 720)));
        assert_eq!(
            remux,
            Some(Remux {
                audio: RemuxAudio::Ac3,
                profile: Some(VideoProfile::AVC_TS_MP_HD_AC3_ISO)
            })
        );
        // The PS3 plays H.264/AAC in MP4 and AVI as they are.
        let aac = tracks(VideoKind::H264Main, AudioCodec::Aac);
        assert_eq!(Remux::needed(row, MediaFormat::Mp4, aac, HD), None);
        assert_eq!(Remux::needed(row, MediaFormat::Avi, dts, HD), None);
        assert_eq!(
            Remux::needed(row, MediaFormat::Mkv, tracks(VideoKind::Hevc, AudioCodec::Aac), HD),
            None,
            "only H.264 is copied into MPEG-TS"
        );
    }

    #[test]
    fn tvs_get_a_remux_only_for_audio_they_lack() {
        let dts = tracks(VideoKind::H264High, AudioCodec::Dts);
        let ac3 = tracks(VideoKind::H264High, AudioCodec::Ac3);
        for player in [Player::Samsung, Player::Lg] {
            let row = player.quirks().video;
            let remux = Remux::needed(row, MediaFormat::Mkv, dts, HD);
            assert_eq!(remux.map(|r| r.audio), Some(RemuxAudio::Ac3), "{player:?}");
            assert_eq!(Remux::needed(row, MediaFormat::Mkv, ac3, HD), None, "{player:?}");
        }
        // Players with no row, or no MPEG-TS, are offered none.
        for player in Player::ALL {
            let quirks = player.quirks();
            let offered = Remux::needed(quirks.video, MediaFormat::Mkv, dts, HD);
            let expected = matches!(player, Player::Ps3 | Player::Samsung | Player::Lg);
            assert_eq!(offered.is_some(), expected, "{player:?}");
        }
    }

    #[test]
    fn served_remux_keeps_dlna_audio_for_unknown_players() {
        let generic = Quirks::GENERIC;
        let aac = tracks(VideoKind::H264Main, AudioCodec::Aac);
        let served = Remux::served(&generic, MediaFormat::Mp4, aac, Some((640, 360)));
        assert_eq!(
            served,
            Some(Remux {
                audio: RemuxAudio::Copy(AudioCodec::Aac),
                profile: Some(VideoProfile::AVC_TS_MP_SD_AAC_MULT5_ISO)
            })
        );
        let dts = tracks(VideoKind::H264Main, AudioCodec::Dts);
        let served = Remux::served(&generic, MediaFormat::Mkv, dts, None);
        assert_eq!(served, Some(Remux { audio: RemuxAudio::Ac3, profile: None }));
        let ts = Remux::served(&generic, MediaFormat::MpegTs, aac, None);
        assert_eq!(ts, None);
        let silent = Tracks::new(Some(VideoKind::H264Other), None);
        let served = Remux::served(&generic, MediaFormat::Mkv, silent, HD);
        assert_eq!(served, Some(Remux { audio: RemuxAudio::None, profile: None }));
    }

    #[test]
    fn protocol_info_is_time_seek_only() {
        let remux =
            Remux { audio: RemuxAudio::Ac3, profile: Some(VideoProfile::AVC_TS_HP_HD_AC3_ISO) };
        assert_eq!(
            remux.protocol_info().to_string(),
            "http-get:*:video/mpeg:DLNA.ORG_PN=AVC_TS_HP_HD_AC3_ISO;DLNA.ORG_OP=10;\
             DLNA.ORG_CI=1;DLNA.ORG_FLAGS=01700000000000000000000000000000"
        );
    }
}
