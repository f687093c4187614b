//! Which renditions an item has, and how they are described to players.
//!
//! Every Vorbis, FLAC, ALAC (an `.m4a` whose exact length is known) or Opus item of known length
//! has its honest renditions ([`WRAPPINGS`]: L16 and WAV at
//! the stream's own rate and channels; the L16 one carries `DLNA.ORG_PN=LPCM` only when it fits
//! the profile). An item outside the profile also has [`Wrapping::Lpcm`], its converted
//! profile version, at `/rill/media/<id>.lpcm`.

use super::convert::lpcm_target;
use super::layout::{Layout, Wrapping};
use super::resample::frames_out;
use crate::dlna::{ContentFeatures, Flags, MediaFormat, Mime, ProtocolInfo};
use crate::library::Item;

/// The wrappings in the order they are offered after the original file.
pub const WRAPPINGS: [Wrapping; 2] = [Wrapping::L16, Wrapping::Wav];

impl Wrapping {
    /// The extension of the media URL naming this rendition (`/rill/media/<id>.l16`).
    pub fn extension(self) -> &'static str {
        match self {
            Wrapping::L16 => "l16",
            Wrapping::Wav => "wav",
            Wrapping::Lpcm => "lpcm",
        }
    }
}

impl Layout {
    /// The rendition of `item` in `wrapping`: only Vorbis, FLAC, `.m4a` and Opus items whose
    /// exact length is known (see [`crate::library::Details::frames`]; of `.m4a` files only
    /// ALAC ones have it, of Opus files only those a platform with an Opus decoder probed)
    /// have one, and only those outside the LPCM
    /// profile have a [`Wrapping::Lpcm`] one (rate and channels from
    /// [`crate::transcode::lpcm_target`], `ceil(frames × to / from)` frames).
    pub fn of_item(item: &Item, wrapping: Wrapping) -> Option<Layout> {
        if !matches!(
            item.format,
            MediaFormat::OggVorbis | MediaFormat::Flac | MediaFormat::M4a | MediaFormat::Opus
        ) {
            return None;
        }
        let audio = item.audio()?;
        let (rate, channels, frames) = (audio.sample_rate, audio.channels, item.frames()?);
        if wrapping == Wrapping::Lpcm {
            let (to, to_channels) = lpcm_target(rate, channels)?;
            return Layout::new(wrapping, to, to_channels, frames_out(frames, rate, to));
        }
        Layout::new(wrapping, rate, channels, frames)
    }

    /// The rendition of `item` that the media URL extension `ext` names, if any.
    pub fn of_extension(item: &Item, ext: &str) -> Option<Layout> {
        let wrapping =
            [Wrapping::Lpcm].into_iter().chain(WRAPPINGS).find(|c| c.extension() == ext)?;
        Layout::of_item(item, wrapping)
    }

    /// The MIME type: `audio/L16;rate=R;channels=C` or `audio/wav`.
    pub fn mime(&self) -> Mime<'static> {
        match self.wrapping {
            Wrapping::L16 | Wrapping::Lpcm => {
                Mime::L16 { rate: self.rate, channels: self.channels }
            }
            Wrapping::Wav => Mime::Fixed("audio/wav"),
        }
    }

    /// Whether the rendition fits DLNA's LPCM profile: L16, mono or stereo, 44.1 or 48 kHz.
    pub fn is_lpcm_profile(&self) -> bool {
        matches!(self.wrapping, Wrapping::L16 | Wrapping::Lpcm)
            && matches!(self.rate, 44_100 | 48_000)
            && matches!(self.channels, 1 | 2)
    }

    /// The DLNA 4th field: `DLNA.ORG_PN=LPCM` when [`Layout::is_lpcm_profile`], the seek
    /// methods offered, converted (`CI=1`), and the streaming flags of a media file.
    pub fn features(&self, time_seek: bool, byte_seek: bool) -> ContentFeatures<'static> {
        ContentFeatures {
            profile: self.is_lpcm_profile().then_some("LPCM"),
            time_seek,
            byte_seek,
            transcoded: true,
            flags: Flags::MEDIA_FILE,
        }
    }

    /// The protocolInfo of the rendition with the given seek methods.
    pub fn protocol_info(&self, time_seek: bool, byte_seek: bool) -> ProtocolInfo<'static> {
        ProtocolInfo { mime: self.mime(), features: self.features(time_seek, byte_seek) }
    }
}
