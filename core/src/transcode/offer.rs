//! Which renditions an item has, and how they are described to players.
//!
//! Every Vorbis, FLAC, ALAC (an `.m4a` whose exact length is known) or Opus item of known length
//! has its honest renditions ([`CONTAINERS`]: L16 and WAV at
//! the stream's own rate and channels; the L16 one carries `DLNA.ORG_PN=LPCM` only when it fits
//! the profile). An item outside the profile also has [`Container::Lpcm`], its converted
//! profile version, at `/rill/media/<id>.lpcm`.

use super::convert::lpcm_target;
use super::layout::{Container, Layout};
use super::resample::frames_out;
use crate::dlna::{ContentFeatures, Flags, MediaFormat, Mime, ProtocolInfo};
use crate::library::Item;

/// The containers in the order they are offered after the original file.
pub const CONTAINERS: [Container; 2] = [Container::L16, Container::Wav];

impl Container {
    /// The extension of the media URL naming this rendition (`/rill/media/<id>.l16`).
    pub fn extension(self) -> &'static str {
        match self {
            Container::L16 => "l16",
            Container::Wav => "wav",
            Container::Lpcm => "lpcm",
        }
    }
}

impl Layout {
    /// The rendition of `item` in `container`: only Vorbis, FLAC, `.m4a` and Opus items whose
    /// exact length is known (see [`crate::library::Details::frames`]; of `.m4a` files only
    /// ALAC ones have it, of Opus files only those a platform with an Opus decoder probed)
    /// have one, and only those outside the LPCM
    /// profile have a [`Container::Lpcm`] one (rate and channels from
    /// [`crate::transcode::lpcm_target`], `ceil(frames × to / from)` frames).
    pub fn of_item(item: &Item, container: Container) -> Option<Layout> {
        if !matches!(
            item.format,
            MediaFormat::OggVorbis | MediaFormat::Flac | MediaFormat::M4a | MediaFormat::Opus
        ) {
            return None;
        }
        let audio = item.details.audio?;
        let (rate, channels, frames) = (audio.sample_rate, audio.channels, item.details.frames?);
        if container == Container::Lpcm {
            let (to, to_channels) = lpcm_target(rate, channels)?;
            return Layout::new(container, to, to_channels, frames_out(frames, rate, to));
        }
        Layout::new(container, rate, channels, frames)
    }

    /// The rendition of `item` that the media URL extension `ext` names, if any.
    pub fn of_extension(item: &Item, ext: &str) -> Option<Layout> {
        let container =
            [Container::Lpcm].into_iter().chain(CONTAINERS).find(|c| c.extension() == ext)?;
        Layout::of_item(item, container)
    }

    /// The MIME type: `audio/L16;rate=R;channels=C` or `audio/wav`.
    pub fn mime(&self) -> Mime<'static> {
        match self.container {
            Container::L16 | Container::Lpcm => {
                Mime::L16 { rate: self.rate, channels: self.channels }
            }
            Container::Wav => Mime::Fixed("audio/wav"),
        }
    }

    /// Whether the rendition fits DLNA's LPCM profile: L16, mono or stereo, 44.1 or 48 kHz.
    pub fn is_lpcm_profile(&self) -> bool {
        matches!(self.container, Container::L16 | Container::Lpcm)
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
