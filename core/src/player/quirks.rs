//! [`Quirks`]: what one player needs that differs from plain DLNA, one `const` per player.
//! ("profile" in Rill means only a DLNA profile, `DLNA.ORG_PN`.)
//!
//! Sources: MiniDLNA `clients.c` / `upnphttp.c` / `upnpsoap.c` / `containers.c` (M), Universal
//! Media Server renderer `.conf` files (U). A fact no public source was found for, and a choice
//! with no outside source, says so.

#[cfg(feature = "remux")]
use super::video::VideoRow;
use crate::dlna::{ContentFeatures, MediaFormat, Mime, ProtocolInfo};

/// The seek methods advertised on L16/WAV transcodes: `DLNA.ORG_OP=<time><byte>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seek {
    /// `TimeSeekRange.dlna.org` (OP `a`).
    pub time: bool,
    /// HTTP `Range` (OP `b`).
    pub byte: bool,
}

/// Device-description fields a player insists on (the Xbox 360 only lists servers that look
/// like Windows Media Player sharing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescriptionOverride {
    /// `modelName`.
    pub model_name: &'static str,
    /// `modelNumber`.
    pub model_number: &'static str,
    /// Appended to a `friendlyName` that has no `:` (M appends `": 1"` for the Xbox 360).
    pub friendly_name_suffix: &'static str,
}

impl DescriptionOverride {
    /// What to append to `friendly_name`: nothing if it already contains a `:`.
    pub fn suffix_for(&self, friendly_name: &str) -> &'static str {
        if friendly_name.contains(':') {
            ""
        } else {
            self.friendly_name_suffix
        }
    }
}

/// What a player needs. Obtain it with [`Player::quirks`](super::Player::quirks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    /// Plays Ogg Vorbis itself: list the original Ogg first and the transcodes after it.
    /// Otherwise the transcodes come first.
    pub decodes_vorbis: bool,
    /// Plays FLAC itself: list the original FLAC first and its transcodes after it. Otherwise
    /// the transcodes (L16, WAV) come first.
    pub decodes_flac: bool,
    /// Plays ALAC and Opus itself: list the original `.m4a` (ALAC) or `.opus` first and the
    /// transcodes after it. Otherwise the transcodes come first.
    pub decodes_alac_opus: bool,
    /// MIME type of Ogg files (Vorbis and Opus).
    pub ogg_mime: &'static str,
    /// MIME type of AVI files.
    pub avi_mime: &'static str,
    /// `DLNA.ORG_PN` of AVI files (DLNA defines none; the PS3 wants `AVI`).
    pub avi_dlna_profile: Option<&'static str>,
    /// MIME type of Matroska files.
    pub mkv_mime: &'static str,
    /// Seek methods to advertise on L16/WAV transcodes.
    pub transcode_seek: Seek,
    /// Accepts L16 only inside the DLNA LPCM profile (1 or 2 channels at 44.1 or 48 kHz): a
    /// stream outside it also needs a downmixed/resampled version.
    pub lpcm_profile_only: bool,
    /// List the WAV transcode before the headerless L16 one.
    pub prefers_wav: bool,
    /// Reads `res@size` as a 32-bit number: see [`Quirks::res_size`].
    pub size_32bit: bool,
    /// Reads `res@bitrate` in KiB/s rather than bytes/s: see [`Quirks::res_bitrate`].
    pub bitrate_kib: bool,
    /// Device-description fields to use instead of Rill's own.
    pub description: Option<DescriptionOverride>,
    /// Sends Browse's object id as `ContainerID`, and single-digit ids of its own fixed
    /// containers, which stand for the root.
    pub container_id_alias: bool,
    /// Wants Samsung's extensions (`X_GetFeatureList`, `CaptionInfo.sec`) (M: `upnpsoap.c`
    /// answers `X_GetFeatureList`, `upnphttp.c` reads `getCaptionInfo.sec`).
    pub samsung_extensions: bool,
    /// Offer a video's sidecar subtitles as extra `res` elements (`http-get:*:text/srt:*`,
    /// `smi/caption` for SAMI), as LG, Panasonic and most DLNA 1.5 players look for them (M:
    /// `FLAG_CAPTION_RES`; U: `OfferSubtitlesByProtocolInfo`, on by default).
    pub caption_res: bool,
    /// The video it plays as it is, where a public source lists it; a player with a row
    /// that plays MPEG-TS is offered a remux of the rest (see [`super::video`]). `None`:
    /// unknown, offered no remux.
    #[cfg(feature = "remux")]
    pub video: Option<&'static VideoRow>,
}

const BOTH: Seek = Seek { time: true, byte: true };

impl Quirks {
    /// Plain DLNA: every format keeps the MIME type and profile of [`MediaFormat`]; transcodes
    /// advertise both seek methods, since Rill serves exact lengths and sample-accurate time
    /// seeks (OP=11); L16 stays inside the LPCM profile, because an unknown player is most
    /// likely a TV with a strict DLNA stack; transcodes come first, since such a TV rarely
    /// plays Vorbis or FLAC.
    pub const GENERIC: Quirks = Quirks {
        decodes_vorbis: false,
        decodes_flac: false,
        decodes_alac_opus: false,
        ogg_mime: "audio/ogg",
        avi_mime: "video/x-msvideo",
        avi_dlna_profile: None,
        mkv_mime: "video/x-matroska",
        transcode_seek: BOTH,
        lpcm_profile_only: true,
        prefers_wav: false,
        size_32bit: false,
        bitrate_kib: false,
        description: None,
        container_id_alias: false,
        samsung_extensions: false,
        caption_res: true,
        #[cfg(feature = "remux")]
        video: None,
    };

    /// PS3: no Vorbis, no FLAC (U `Sony-PlayStation3.conf` lists neither); AVI as `video/divx`
    /// with `DLNA.ORG_PN=AVI` (M: `clients.c` gives it `FLAG_MIME_AVI_DIVX`); time seek only on
    /// transcodes (U: `SeekByTime = exclusive`); sizes of 4 GiB and more left out (a precaution:
    /// no public source was found for how it reads them); no subtitle `res` (M gives
    /// `FLAG_CAPTION_RES` only to players known to read it, and neither console is one).
    pub const PS3: Quirks = Quirks {
        avi_mime: "video/divx",
        avi_dlna_profile: Some("AVI"),
        transcode_seek: Seek { time: true, byte: false },
        size_32bit: true,
        caption_res: false,
        #[cfg(feature = "remux")]
        video: Some(&VideoRow::PS3),
        ..Quirks::GENERIC
    };

    /// Xbox 360: AVI as `video/avi` (M); bitrate in KiB/s (M); description as Windows Media
    /// Player sharing, modelNumber 12, a `:` in friendlyName (M); `ContainerID` and its fixed
    /// container ids (M: `upnpsoap.c` reads `ContainerID`, `containers.c` maps the ids). No
    /// Vorbis, no FLAC (U lists only MP3 and WMA audio for it).
    pub const XBOX_360: Quirks = Quirks {
        avi_mime: "video/avi",
        bitrate_kib: true,
        description: Some(DescriptionOverride {
            model_name: "Windows Media Player Sharing",
            model_number: "12",
            friendly_name_suffix: ": 1",
        }),
        container_id_alias: true,
        caption_res: false,
        #[cfg(feature = "remux")]
        video: Some(&VideoRow::XBOX_360),
        ..Quirks::GENERIC
    };

    /// Windows Media Player: plain DLNA; it has no Vorbis decoder of its own (U transcodes
    /// Ogg for it).
    pub const WINDOWS_MEDIA_PLAYER: Quirks = Quirks::GENERIC;

    /// Samsung: Matroska as `video/x-mkv` and Samsung's extensions (M). Vorbis support
    /// varies by series, so its transcodes come first; FLAC plays on every series since 2012
    /// (U `Samsung-ES8000.conf`, `Samsung-TV-2019+.conf`), so the FLAC goes first.
    pub const SAMSUNG: Quirks = Quirks {
        mkv_mime: "video/x-mkv",
        samsung_extensions: true,
        decodes_flac: true,
        #[cfg(feature = "remux")]
        video: Some(&VideoRow::SAMSUNG),
        ..Quirks::GENERIC
    };

    /// LG: plays Ogg when it is labelled `application/ogg` (no public source was found for the
    /// label: to be confirmed on a set), so the original goes first;
    /// FLAC too (LG's webOS specification: FLAC up to 2 channels; U `LG-OLED-2022.conf`).
    pub const LG: Quirks = Quirks {
        decodes_vorbis: true,
        decodes_flac: true,
        ogg_mime: "application/ogg",
        #[cfg(feature = "remux")]
        video: Some(&VideoRow::LG),
        ..Quirks::GENERIC
    };

    /// Sony Bravia: a strict DLNA TV without Vorbis: plain DLNA.
    pub const BRAVIA: Quirks = Quirks::GENERIC;

    /// Kodi: decodes Vorbis and any PCM (FFmpeg inside); AVI as `video/avi` (M); WAV rather
    /// than L16 (U: `TranscodeAudio = WAV`). Seeks by byte range (U: `Kodi.conf` keeps the
    /// byte-seek default, no `SeekByTime`); OP=11 costs nothing.
    pub const KODI: Quirks = Quirks {
        decodes_vorbis: true,
        decodes_flac: true,
        decodes_alac_opus: true,
        avi_mime: "video/avi",
        lpcm_profile_only: false,
        prefers_wav: true,
        ..Quirks::GENERIC
    };

    /// VLC: decodes Vorbis and any PCM; seeks with plain `Range: bytes=N-` (VLC's
    /// `modules/access/http/file.c`). WAV first:
    /// its header carries rate and channels, so playback does not depend on VLC reading the
    /// `audio/L16` MIME parameters (a choice, not a documented failure).
    pub const VLC: Quirks = Quirks {
        decodes_vorbis: true,
        decodes_flac: true,
        decodes_alac_opus: true,
        lpcm_profile_only: false,
        prefers_wav: true,
        ..Quirks::GENERIC
    };

    /// BubbleUPnP: its renderer plays Ogg Vorbis (U lists `audio/ogg`, `audio/x-ogg`) and FLAC
    /// (Android's decoder); its sink lists L16 only with 1 or 2 channels (U), so the LPCM flag
    /// stays on.
    pub const BUBBLE_UPNP: Quirks = Quirks {
        decodes_vorbis: true,
        decodes_flac: true,
        decodes_alac_opus: true,
        ..Quirks::GENERIC
    };

    /// The MIME type to send for a file of `format`.
    pub fn mime(&self, format: MediaFormat) -> &'static str {
        match format {
            MediaFormat::OggVorbis | MediaFormat::Opus => self.ogg_mime,
            MediaFormat::Avi => self.avi_mime,
            MediaFormat::Mkv => self.mkv_mime,
            other => other.mime(),
        }
    }

    /// The `DLNA.ORG_PN` to send for a file of `format`.
    pub fn dlna_profile(&self, format: MediaFormat) -> Option<&'static str> {
        match format {
            MediaFormat::Avi => self.avi_dlna_profile,
            other => other.dlna_profile(),
        }
    }

    /// The protocolInfo of a file served unchanged, with this player's overrides.
    pub fn file_protocol_info(&self, format: MediaFormat) -> ProtocolInfo<'static> {
        ProtocolInfo {
            mime: Mime::Fixed(self.mime(format)),
            features: ContentFeatures {
                profile: self.dlna_profile(format),
                ..ContentFeatures::for_file(format)
            },
        }
    }

    /// The protocolInfo of a file served unchanged whose reading named its DLNA profile
    /// (`probed`, e.g. an AAC file's from its configuration), which replaces the format's.
    pub fn probed_protocol_info(
        &self,
        format: MediaFormat,
        probed: Option<&'static str>,
    ) -> ProtocolInfo<'static> {
        let mut info = self.file_protocol_info(format);
        if probed.is_some() {
            info.features.profile = probed;
        }
        info
    }

    /// `res@size` for a resource of `size` bytes, or `None` to leave the attribute out. A
    /// 32-bit player would read a size of 4 GiB or more wrapped around, far too small, and stop
    /// early (Rill never makes a length up); without a size it reads to the end,
    /// and time seek needs none. The HTTP `Content-Length` stays exact either way.
    pub fn res_size(&self, size: u64) -> Option<u64> {
        if self.size_32bit && size > u64::from(u32::MAX) {
            None
        } else {
            Some(size)
        }
    }

    /// `res@bitrate` for a stream of `bytes_per_second`.
    pub fn res_bitrate(&self, bytes_per_second: u32) -> u32 {
        if self.bitrate_kib {
            bytes_per_second / 1024
        } else {
            bytes_per_second
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::Player;

    #[test]
    fn mime_overrides_touch_only_their_formats() {
        let cases = [
            (Player::Lg, MediaFormat::OggVorbis, "application/ogg"),
            (Player::Lg, MediaFormat::Opus, "application/ogg"),
            (Player::Samsung, MediaFormat::Mkv, "video/x-mkv"),
            (Player::Xbox360, MediaFormat::Avi, "video/avi"),
            (Player::Kodi, MediaFormat::Avi, "video/avi"),
            (Player::Ps3, MediaFormat::Avi, "video/divx"),
        ];
        for (player, format) in
            Player::ALL.into_iter().flat_map(|p| MediaFormat::ALL.map(|f| (p, f)))
        {
            let case = cases.iter().find(|c| c.0 == player && c.1 == format);
            let mime = case.map_or(format.mime(), |c| c.2);
            assert_eq!(player.quirks().mime(format), mime, "{player:?} {format:?}");
            if player == Player::Generic {
                assert_eq!(
                    Quirks::GENERIC.file_protocol_info(format),
                    ProtocolInfo::for_file(format)
                );
            }
        }
    }

    #[test]
    fn ps3_overrides() {
        let ps3 = Player::Ps3.quirks();
        assert_eq!(
            ps3.file_protocol_info(MediaFormat::Avi).to_string(),
            "http-get:*:video/divx:DLNA.ORG_PN=AVI;DLNA.ORG_OP=01;DLNA.ORG_CI=0;\
             DLNA.ORG_FLAGS=01700000000000000000000000000000"
        );
        let features = ContentFeatures {
            time_seek: ps3.transcode_seek.time,
            byte_seek: ps3.transcode_seek.byte,
            transcoded: true,
            ..ContentFeatures::for_file(MediaFormat::Wav)
        };
        assert!(features.to_string().starts_with("DLNA.ORG_OP=10;DLNA.ORG_CI=1;"));
        assert_eq!(ps3.res_size(u64::from(u32::MAX)), Some(4_294_967_295));
        assert_eq!(ps3.res_size(4_294_967_296), None);
        assert_eq!(Quirks::GENERIC.res_size(u64::MAX), Some(u64::MAX));
        // Only the PS3 gives up byte seeks on transcodes.
        for player in Player::ALL {
            assert_eq!(player.quirks().transcode_seek.byte, player != Player::Ps3, "{player:?}");
        }
    }

    #[test]
    fn xbox_description() {
        let xbox = Player::Xbox360.quirks();
        let Some(desc) = xbox.description else { panic!("the Xbox 360 overrides it") };
        assert_eq!((desc.model_name, desc.model_number), ("Windows Media Player Sharing", "12"));
        assert_eq!((desc.suffix_for("Rill"), desc.suffix_for("Rill: music")), (": 1", ""));
        assert_eq!(
            (xbox.res_bitrate(176_400), Quirks::GENERIC.res_bitrate(176_400)),
            (172, 176_400)
        );
        for player in Player::ALL {
            let is_xbox = player == Player::Xbox360;
            assert_eq!(player.quirks().description.is_some(), is_xbox, "{player:?}");
            assert_eq!(player.quirks().container_id_alias, is_xbox, "{player:?}");
        }
    }
}
