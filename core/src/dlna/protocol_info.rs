//! `protocolInfo` strings and their DLNA 4th field (`contentFeatures.dlna.org`).

use core::fmt;
use core::ops::BitOr;

use super::{MediaFormat, MediaKind};

/// The `DLNA.ORG_FLAGS` primary flags: the first 8 of its 32 hex digits, bit 31 first.
///
/// Bit positions follow the DLNA guidelines as used by MiniDLNA, Rygel and gupnp-av.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Flags(pub u32);

impl Flags {
    /// Bit 31: the server paces the content (live sources).
    pub const SENDER_PACED: Flags = Flags(1 << 31);
    /// Bit 30: limited-operation time seek (only a recent window is seekable).
    pub const LIMITED_TIME_SEEK: Flags = Flags(1 << 30);
    /// Bit 29: limited-operation byte seek.
    pub const LIMITED_BYTE_SEEK: Flags = Flags(1 << 29);
    /// Bit 28: DLNA play-container URI.
    pub const PLAY_CONTAINER: Flags = Flags(1 << 28);
    /// Bit 27: the beginning of the content moves forward (growing live content).
    pub const S0_INCREASING: Flags = Flags(1 << 27);
    /// Bit 26: the end of the content moves forward (content still being written).
    pub const SN_INCREASING: Flags = Flags(1 << 26);
    /// Bit 25: RTSP pause supported.
    pub const RTSP_PAUSE: Flags = Flags(1 << 25);
    /// Bit 24: streaming transfer mode supported (audio/video playback).
    pub const STREAMING: Flags = Flags(1 << 24);
    /// Bit 23: interactive transfer mode supported (pictures, documents).
    pub const INTERACTIVE: Flags = Flags(1 << 23);
    /// Bit 22: background transfer mode supported (downloads).
    pub const BACKGROUND: Flags = Flags(1 << 22);
    /// Bit 21: the connection may stall (the player may pause by not reading).
    pub const CONNECTION_STALL: Flags = Flags(1 << 21);
    /// Bit 20: the server follows DLNA 1.5.
    pub const DLNA_V15: Flags = Flags(1 << 20);
    /// Bit 15: full byte seek on the cleartext content (link protection extension).
    pub const FULL_BYTE_SEEK: Flags = Flags(1 << 15);

    /// Flags for an audio or video file served as is: `01700000` (streaming, background,
    /// stall, DLNA 1.5), as MiniDLNA serves audio.
    pub const MEDIA_FILE: Flags = Flags(
        Flags::STREAMING.0 | Flags::BACKGROUND.0 | Flags::CONNECTION_STALL.0 | Flags::DLNA_V15.0,
    );
    /// Flags for a picture: `00f00000` (interactive, background, stall, DLNA 1.5).
    pub const IMAGE_FILE: Flags = Flags(
        Flags::INTERACTIVE.0 | Flags::BACKGROUND.0 | Flags::CONNECTION_STALL.0 | Flags::DLNA_V15.0,
    );

    /// Whether every bit of `other` is set in `self`.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

/// The DLNA 4th field of a protocolInfo, also sent as the `contentFeatures.dlna.org` header:
/// `DLNA.ORG_PN=<profile>;DLNA.ORG_OP=<a><b>;DLNA.ORG_CI=<c>;DLNA.ORG_FLAGS=<8 hex><24 zeros>`.
/// `DLNA.ORG_PN` is left out when the format has no profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentFeatures<'a> {
    /// The DLNA profile name, e.g. `MP3`, `LPCM`.
    pub profile: Option<&'a str>,
    /// OP `a`: seeking by `TimeSeekRange.dlna.org` is supported.
    pub time_seek: bool,
    /// OP `b`: seeking by HTTP `Range` is supported.
    pub byte_seek: bool,
    /// CI: the resource is converted from the original (a transcode).
    pub transcoded: bool,
    /// The primary flags.
    pub flags: Flags,
}

impl ContentFeatures<'static> {
    /// The features of a file served unchanged: byte seek only (OP=01), not converted, and the
    /// flags of its kind ([`Flags::MEDIA_FILE`] or [`Flags::IMAGE_FILE`]).
    pub fn for_file(format: MediaFormat) -> Self {
        ContentFeatures {
            profile: format.dlna_profile(),
            time_seek: false,
            byte_seek: true,
            transcoded: false,
            flags: match format.kind() {
                MediaKind::Audio | MediaKind::Video => Flags::MEDIA_FILE,
                MediaKind::Image => Flags::IMAGE_FILE,
            },
        }
    }
}

impl fmt::Display for ContentFeatures<'_> {
    /// Written piece by piece rather than with `{:08x}{:024}`: this text is in every `res` of
    /// every Browse answer, and padded formatting writes its fill a character at a time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(profile) = self.profile {
            f.write_str("DLNA.ORG_PN=")?;
            f.write_str(profile)?;
            f.write_str(";")?;
        }
        let digit = |on: bool| if on { "1" } else { "0" };
        f.write_str("DLNA.ORG_OP=")?;
        f.write_str(digit(self.time_seek))?;
        f.write_str(digit(self.byte_seek))?;
        f.write_str(";DLNA.ORG_CI=")?;
        f.write_str(digit(self.transcoded))?;
        f.write_str(";DLNA.ORG_FLAGS=")?;
        let mut hex = [b'0'; 8];
        for (i, out) in hex.iter_mut().enumerate() {
            let nibble = (self.flags.0 >> (28 - 4 * i)) & 0xf;
            *out = b"0123456789abcdef".get(nibble as usize).copied().unwrap_or(b'0');
        }
        // Eight ASCII hex digits: valid UTF-8.
        f.write_str(core::str::from_utf8(&hex).unwrap_or("00000000"))?;
        f.write_str("000000000000000000000000")
    }
}

/// A MIME type as DLNA sends it: a fixed string, or L16 with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mime<'a> {
    /// A MIME type without parameters, e.g. `audio/ogg`.
    Fixed(&'a str),
    /// `audio/L16;rate=<rate>;channels=<channels>` (RFC 2586), the DLNA LPCM type.
    L16 {
        /// Frames per second.
        rate: u32,
        /// Channel count.
        channels: u8,
    },
}

impl fmt::Display for Mime<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mime::Fixed(text) => f.write_str(text),
            Mime::L16 { rate, channels } => write!(f, "audio/L16;rate={rate};channels={channels}"),
        }
    }
}

/// A UPnP protocolInfo for HTTP delivery: `http-get:*:<mime>:<content features>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolInfo<'a> {
    /// The MIME type.
    pub mime: Mime<'a>,
    /// The DLNA 4th field.
    pub features: ContentFeatures<'a>,
}

impl ProtocolInfo<'static> {
    /// The protocolInfo of a file served unchanged in its own format.
    pub fn for_file(format: MediaFormat) -> Self {
        ProtocolInfo {
            mime: Mime::Fixed(format.mime()),
            features: ContentFeatures::for_file(format),
        }
    }
}

impl fmt::Display for ProtocolInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http-get:*:{}:{}", self.mime, self.features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_constants_match_the_published_values() {
        assert_eq!(format!("{:08x}", Flags::MEDIA_FILE.0), "01700000");
        assert_eq!(format!("{:08x}", Flags::IMAGE_FILE.0), "00f00000");
        let rygel_transcode =
            Flags::STREAMING | Flags::BACKGROUND | Flags::CONNECTION_STALL | Flags::DLNA_V15;
        assert_eq!(rygel_transcode, Flags::MEDIA_FILE);
        assert!(Flags::MEDIA_FILE.contains(Flags::DLNA_V15));
        assert!(!Flags::MEDIA_FILE.contains(Flags::INTERACTIVE));
    }

    #[test]
    fn renders_protocol_info_in_field_order() {
        assert_eq!(
            ProtocolInfo::for_file(MediaFormat::Mp3).to_string(),
            "http-get:*:audio/mpeg:DLNA.ORG_PN=MP3;DLNA.ORG_OP=01;DLNA.ORG_CI=0;\
             DLNA.ORG_FLAGS=01700000000000000000000000000000"
        );
        assert_eq!(
            ProtocolInfo::for_file(MediaFormat::OggVorbis).to_string(),
            "http-get:*:audio/ogg:DLNA.ORG_OP=01;DLNA.ORG_CI=0;\
             DLNA.ORG_FLAGS=01700000000000000000000000000000"
        );
        let lpcm = ProtocolInfo {
            mime: Mime::L16 { rate: 44_100, channels: 2 },
            features: ContentFeatures {
                profile: Some("LPCM"),
                time_seek: true,
                byte_seek: false,
                transcoded: true,
                flags: Flags::MEDIA_FILE,
            },
        };
        let text = lpcm.to_string();
        assert_eq!(
            text,
            "http-get:*:audio/L16;rate=44100;channels=2:DLNA.ORG_PN=LPCM;DLNA.ORG_OP=10;\
             DLNA.ORG_CI=1;DLNA.ORG_FLAGS=01700000000000000000000000000000"
        );
        let flags = text.rsplit_once("FLAGS=").unwrap().1;
        assert_eq!(flags.len(), 32);
        assert_eq!(ProtocolInfo::for_file(MediaFormat::Png).features.flags, Flags::IMAGE_FILE);
    }
}
