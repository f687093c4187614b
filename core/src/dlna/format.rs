//! [`MediaFormat`]: the file formats Rill recognises, and what each means to a player.

/// The broad kind of a media file, which decides its UPnP class and DLNA transfer flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MediaKind {
    /// Music and other audio.
    Audio,
    /// Video.
    Video,
    /// Still pictures.
    Image,
}

/// A media file format recognised by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MediaFormat {
    /// Ogg audio, normally Vorbis (`.ogg`, `.oga`): the format Rill transcodes to L16.
    OggVorbis,
    /// Opus in Ogg (`.opus`).
    Opus,
    /// FLAC (`.flac`).
    Flac,
    /// MPEG-1/2 Layer III (`.mp3`).
    Mp3,
    /// An MP4 audio file (`.m4a`): AAC or ALAC, told apart by reading it.
    M4a,
    /// Raw AAC with ADTS headers (`.aac`).
    Aac,
    /// RIFF WAVE (`.wav`).
    Wav,
    /// AVI (`.avi`).
    Avi,
    /// Matroska video (`.mkv`).
    Mkv,
    /// MP4 video (`.mp4`, `.m4v`).
    Mp4,
    /// MPEG program stream (`.mpg`, `.mpeg`).
    Mpeg,
    /// MPEG transport stream (`.ts`, `.m2ts`).
    MpegTs,
    /// JPEG picture (`.jpg`, `.jpeg`).
    Jpeg,
    /// PNG picture (`.png`).
    Png,
    /// GIF picture (`.gif`).
    Gif,
    /// Windows Media video in ASF (`.wmv`, `.asf`).
    Wmv,
}

/// The audio codec inside an Ogg file, which its name (`.ogg`, `.oga`) leaves open: a player
/// that plays Ogg Vorbis may play neither Opus nor FLAC in Ogg, so the order of an Ogg item's
/// versions depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OggCodec {
    /// Vorbis.
    Vorbis,
    /// Opus (RFC 7845).
    Opus,
    /// FLAC in Ogg.
    Flac,
}

impl OggCodec {
    /// Every codec, in the order of [`OggCodec::code`].
    pub const ALL: [OggCodec; 3] = [OggCodec::Vorbis, OggCodec::Opus, OggCodec::Flac];

    /// A one-byte code (`0` Vorbis, `1` Opus, `2` FLAC), as the index stores it.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The codec of a [`OggCodec::code`]; `None` for any other byte.
    pub fn from_code(code: u8) -> Option<OggCodec> {
        OggCodec::ALL.get(usize::from(code)).copied()
    }
}

/// Extension (lower case) to format. Several extensions may share a format.
const EXTENSIONS: [(&str, MediaFormat); 22] = [
    ("ogg", MediaFormat::OggVorbis),
    ("oga", MediaFormat::OggVorbis),
    ("opus", MediaFormat::Opus),
    ("flac", MediaFormat::Flac),
    ("mp3", MediaFormat::Mp3),
    ("m4a", MediaFormat::M4a),
    ("aac", MediaFormat::Aac),
    ("wav", MediaFormat::Wav),
    ("avi", MediaFormat::Avi),
    ("mkv", MediaFormat::Mkv),
    ("mp4", MediaFormat::Mp4),
    ("m4v", MediaFormat::Mp4),
    ("mpg", MediaFormat::Mpeg),
    ("mpeg", MediaFormat::Mpeg),
    ("ts", MediaFormat::MpegTs),
    ("m2ts", MediaFormat::MpegTs),
    ("jpg", MediaFormat::Jpeg),
    ("jpeg", MediaFormat::Jpeg),
    ("png", MediaFormat::Png),
    ("gif", MediaFormat::Gif),
    ("wmv", MediaFormat::Wmv),
    ("asf", MediaFormat::Wmv),
];

impl MediaFormat {
    /// Every format, for tables such as GetProtocolInfo's Source list.
    pub const ALL: [MediaFormat; 16] = [
        MediaFormat::OggVorbis,
        MediaFormat::Opus,
        MediaFormat::Flac,
        MediaFormat::Mp3,
        MediaFormat::M4a,
        MediaFormat::Aac,
        MediaFormat::Wav,
        MediaFormat::Avi,
        MediaFormat::Mkv,
        MediaFormat::Mp4,
        MediaFormat::Mpeg,
        MediaFormat::MpegTs,
        MediaFormat::Jpeg,
        MediaFormat::Png,
        MediaFormat::Gif,
        MediaFormat::Wmv,
    ];

    /// The format for a file extension (without the dot), ignoring ASCII case.
    pub fn from_extension(ext: &str) -> Option<MediaFormat> {
        EXTENSIONS.iter().find(|(e, _)| e.eq_ignore_ascii_case(ext)).map(|&(_, f)| f)
    }

    /// The format of a file name, from the text after its last dot. A name without a dot, or
    /// one whose only dot starts it (`.ogg`, a hidden file), has no format.
    pub fn from_file_name(name: &str) -> Option<MediaFormat> {
        match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => MediaFormat::from_extension(ext),
            _ => None,
        }
    }

    /// The extension Rill puts on resource URLs of this format (lower case, no dot).
    pub fn extension(self) -> &'static str {
        match self {
            MediaFormat::OggVorbis => "ogg",
            MediaFormat::Opus => "opus",
            MediaFormat::Flac => "flac",
            MediaFormat::Mp3 => "mp3",
            MediaFormat::M4a => "m4a",
            MediaFormat::Aac => "aac",
            MediaFormat::Wav => "wav",
            MediaFormat::Avi => "avi",
            MediaFormat::Mkv => "mkv",
            MediaFormat::Mp4 => "mp4",
            MediaFormat::Mpeg => "mpg",
            MediaFormat::MpegTs => "ts",
            MediaFormat::Jpeg => "jpg",
            MediaFormat::Png => "png",
            MediaFormat::Gif => "gif",
            MediaFormat::Wmv => "wmv",
        }
    }

    /// Audio, video or image.
    pub fn kind(self) -> MediaKind {
        match self {
            MediaFormat::OggVorbis
            | MediaFormat::Opus
            | MediaFormat::Flac
            | MediaFormat::Mp3
            | MediaFormat::M4a
            | MediaFormat::Aac
            | MediaFormat::Wav => MediaKind::Audio,
            MediaFormat::Avi
            | MediaFormat::Mkv
            | MediaFormat::Mp4
            | MediaFormat::Mpeg
            | MediaFormat::MpegTs
            | MediaFormat::Wmv => MediaKind::Video,
            MediaFormat::Jpeg | MediaFormat::Png | MediaFormat::Gif => MediaKind::Image,
        }
    }

    /// The default MIME type. Where players disagree, the widely accepted legacy spelling is
    /// used (`audio/x-flac`, `audio/x-wav`, as MiniDLNA does); per-player overrides come later.
    pub fn mime(self) -> &'static str {
        match self {
            MediaFormat::OggVorbis | MediaFormat::Opus => "audio/ogg",
            MediaFormat::Flac => "audio/x-flac",
            MediaFormat::Mp3 => "audio/mpeg",
            MediaFormat::M4a => "audio/mp4",
            MediaFormat::Aac => "audio/aac",
            MediaFormat::Wav => "audio/x-wav",
            MediaFormat::Avi => "video/x-msvideo",
            MediaFormat::Mkv => "video/x-matroska",
            MediaFormat::Mp4 => "video/mp4",
            MediaFormat::Mpeg => "video/mpeg",
            MediaFormat::MpegTs => "video/mp2t",
            MediaFormat::Jpeg => "image/jpeg",
            MediaFormat::Png => "image/png",
            MediaFormat::Gif => "image/gif",
            MediaFormat::Wmv => "video/x-ms-wmv",
        }
    }

    /// The UPnP class of an item in this format.
    pub fn upnp_class(self) -> &'static str {
        match self.kind() {
            MediaKind::Audio => "object.item.audioItem.musicTrack",
            MediaKind::Video => "object.item.videoItem",
            MediaKind::Image => "object.item.imageItem.photo",
        }
    }

    /// The DLNA profile (`DLNA.ORG_PN`) that holds for every file of this format, if any.
    ///
    /// Vorbis, Opus, FLAC, WAV and the video containers have none (their profiles depend on
    /// codecs inside, or DLNA defines none), nor has `.m4a`, which holds ALAC (no profile) or
    /// AAC (whose profile the library reads from the file: [`super::aac`]). MP3 is `MP3`; ADTS
    /// AAC is given the common LC profile `AAC_ADTS_320` as MiniDLNA does; PNG and GIF have one
    /// profile for all sizes. JPEG's profile depends on the picture size: see [`jpeg_profile`].
    pub fn dlna_profile(self) -> Option<&'static str> {
        match self {
            MediaFormat::Mp3 => Some("MP3"),
            MediaFormat::Aac => Some("AAC_ADTS_320"),
            MediaFormat::Png => Some("PNG_LRG"),
            MediaFormat::Gif => Some("GIF_LRG"),
            _ => None,
        }
    }
}

/// The DLNA JPEG profile for a picture of `width` x `height` pixels: `JPEG_SM` up to 640x480,
/// `JPEG_MED` up to 1024x768, `JPEG_LRG` up to 4096x4096, none above.
pub fn jpeg_profile(width: u32, height: u32) -> Option<&'static str> {
    if width <= 640 && height <= 480 {
        Some("JPEG_SM")
    } else if width <= 1024 && height <= 768 {
        Some("JPEG_MED")
    } else if width <= 4096 && height <= 4096 {
        Some("JPEG_LRG")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_case_insensitive_and_round_trip() {
        assert_eq!(MediaFormat::from_extension("OGG"), Some(MediaFormat::OggVorbis));
        assert_eq!(MediaFormat::from_extension("Oga"), Some(MediaFormat::OggVorbis));
        assert_eq!(MediaFormat::from_extension("JPeG"), Some(MediaFormat::Jpeg));
        assert_eq!(MediaFormat::from_extension("txt"), None);
        assert_eq!(MediaFormat::from_file_name("01 Song.Name.FLAC"), Some(MediaFormat::Flac));
        assert_eq!(MediaFormat::from_file_name(".ogg"), None);
        assert_eq!(MediaFormat::from_file_name("ogg"), None);
        for format in MediaFormat::ALL {
            assert_eq!(MediaFormat::from_extension(format.extension()), Some(format));
        }
    }

    #[test]
    fn classes_mimes_and_profiles() {
        assert_eq!(MediaFormat::OggVorbis.mime(), "audio/ogg");
        assert_eq!(MediaFormat::OggVorbis.dlna_profile(), None);
        assert_eq!(MediaFormat::Mp3.upnp_class(), "object.item.audioItem.musicTrack");
        assert_eq!(MediaFormat::Mkv.upnp_class(), "object.item.videoItem");
        assert_eq!(MediaFormat::Png.upnp_class(), "object.item.imageItem.photo");
        assert_eq!(MediaFormat::Mp3.dlna_profile(), Some("MP3"));
        assert_eq!(MediaFormat::M4a.dlna_profile(), None);
        assert_eq!(jpeg_profile(640, 480), Some("JPEG_SM"));
        assert_eq!(jpeg_profile(641, 480), Some("JPEG_MED"));
        assert_eq!(jpeg_profile(4000, 3000), Some("JPEG_LRG"));
        assert_eq!(jpeg_profile(5000, 3000), None);
        for format in MediaFormat::ALL {
            let (kind, _) = format.mime().split_once('/').unwrap();
            let expected = match format.kind() {
                MediaKind::Audio => "audio",
                MediaKind::Video => "video",
                MediaKind::Image => "image",
            };
            assert_eq!(kind, expected, "{format:?}");
        }
    }
}
