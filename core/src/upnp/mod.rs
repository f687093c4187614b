//! UPnP device and services: the device description, the three SCPDs, SOAP control, the
//! ContentDirectory's DIDL-Lite, and Samsung's extensions to it ([`samsung`], [`bookmarks`]).
//!
//! URL layout (all paths are fixed; the host part is whatever address the client used):
//!
//! | path | what |
//! |---|---|
//! | [`DESCRIPTION_PATH`] `/rill/description.xml` | device description ([`description`]) |
//! | `/rill/cd/scpd.xml`, `/rill/cd/control`, `/rill/cd/event` | ContentDirectory:1 |
//! | `/rill/cm/scpd.xml`, `/rill/cm/control`, `/rill/cm/event` | ConnectionManager:1 |
//! | `/rill/mr/scpd.xml`, `/rill/mr/control`, `/rill/mr/event` | X_MS_MediaReceiverRegistrar:1 |
//! | [`MEDIA_PATH`] `/rill/media/<object id>.<ext>` | media resources ([`parse_media_path`]) |
//! | [`ART_PATH`] `/rill/art/<object id>.jpg` | `JPEG_TN` thumbnails ([`parse_art_path`]) |
//! | [`CAPTION_PATH`] `/rill/caption/<video id>/<n>.<ext>` | a video's subtitle `n` ([`parse_caption_path`]) |
//!
//! The HTTP server answers a `POST` to a control URL with [`control::handle`], whose result (a
//! SOAP response or a fault) implements [`Render`](crate::xml::Render); the server renders it
//! into the buffer it sends (measuring it first where answers have a size budget).

pub mod bookmarks;
pub mod connection_manager;
pub mod content_directory;
pub mod control;
pub mod description;
pub mod didl;
pub mod registrar;
pub mod samsung;
pub mod scpd;
pub mod search;
pub mod soap;

use crate::library::ObjectId;

/// Path of the device description (the SSDP `LOCATION`).
pub const DESCRIPTION_PATH: &str = "/rill/description.xml";

/// Path prefix of media resources: `/rill/media/<object id>.<ext>`.
pub const MEDIA_PATH: &str = "/rill/media/";

/// Path prefix of thumbnails (album art): `/rill/art/<object id>.jpg`.
pub const ART_PATH: &str = "/rill/art/";

/// Path prefix of subtitles: `/rill/caption/<video id>/<n>.<ext>`, subtitle `n` of the video
/// as `Library::subtitles` lists them.
pub const CAPTION_PATH: &str = "/rill/caption/";

/// The services of the Rill MediaServer device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Service {
    /// `urn:schemas-upnp-org:service:ContentDirectory:1`.
    ContentDirectory,
    /// `urn:schemas-upnp-org:service:ConnectionManager:1`.
    ConnectionManager,
    /// `urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1` (Xbox 360, Windows Media).
    Registrar,
}

impl Service {
    /// All services, in description order.
    pub const ALL: [Service; 3] =
        [Service::ContentDirectory, Service::ConnectionManager, Service::Registrar];

    /// The service type URN (also the SOAP namespace of its actions).
    pub fn urn(self) -> &'static str {
        match self {
            Service::ContentDirectory => "urn:schemas-upnp-org:service:ContentDirectory:1",
            Service::ConnectionManager => "urn:schemas-upnp-org:service:ConnectionManager:1",
            Service::Registrar => "urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1",
        }
    }

    /// The service id in the device description.
    pub fn service_id(self) -> &'static str {
        match self {
            Service::ContentDirectory => "urn:upnp-org:serviceId:ContentDirectory",
            Service::ConnectionManager => "urn:upnp-org:serviceId:ConnectionManager",
            Service::Registrar => "urn:microsoft.com:serviceId:X_MS_MediaReceiverRegistrar",
        }
    }

    /// Path of the service description (SCPD), e.g. `/rill/cd/scpd.xml`.
    pub fn scpd_path(self) -> &'static str {
        match self {
            Service::ContentDirectory => "/rill/cd/scpd.xml",
            Service::ConnectionManager => "/rill/cm/scpd.xml",
            Service::Registrar => "/rill/mr/scpd.xml",
        }
    }

    /// Path of the SOAP control URL, e.g. `/rill/cd/control`.
    pub fn control_path(self) -> &'static str {
        match self {
            Service::ContentDirectory => "/rill/cd/control",
            Service::ConnectionManager => "/rill/cm/control",
            Service::Registrar => "/rill/mr/control",
        }
    }

    /// Path of the GENA event subscription URL, e.g. `/rill/cd/event`.
    pub fn event_path(self) -> &'static str {
        match self {
            Service::ContentDirectory => "/rill/cd/event",
            Service::ConnectionManager => "/rill/cm/event",
            Service::Registrar => "/rill/mr/event",
        }
    }

    /// The service and endpoint a request path names.
    pub fn from_path(path: &str) -> Option<(Service, Endpoint)> {
        Service::ALL.into_iter().find_map(|s| {
            let endpoint = if path == s.scpd_path() {
                Endpoint::Scpd
            } else if path == s.control_path() {
                Endpoint::Control
            } else if path == s.event_path() {
                Endpoint::Event
            } else {
                return None;
            };
            Some((s, endpoint))
        })
    }
}

/// Which of a service's three URLs a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Endpoint {
    /// The SCPD (`GET`).
    Scpd,
    /// The SOAP control URL (`POST`).
    Control,
    /// The GENA event URL (`SUBSCRIBE`, `UNSUBSCRIBE`).
    Event,
}

/// Splits a media path `/rill/media/<id>.<ext>` into the object id and the extension (which
/// selects the resource: the original file, or later a transcode).
pub fn parse_media_path(path: &str) -> Option<(ObjectId, &str)> {
    let (id, ext) = path.strip_prefix(MEDIA_PATH)?.split_once('.')?;
    Some((ObjectId::parse(id)?, ext))
}

/// The object id of a thumbnail path `/rill/art/<id>.jpg`.
pub fn parse_art_path(path: &str) -> Option<ObjectId> {
    ObjectId::parse(path.strip_prefix(ART_PATH)?.strip_suffix(".jpg")?)
}

/// The video id, subtitle number and extension of a subtitle path
/// `/rill/caption/<id>/<n>.<ext>`.
pub fn parse_caption_path(path: &str) -> Option<(ObjectId, usize, &str)> {
    let (id, file) = path.strip_prefix(CAPTION_PATH)?.split_once('/')?;
    let (n, ext) = file.split_once('.')?;
    let n = if n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()) {
        n.parse().ok()?
    } else {
        return None;
    };
    Some((ObjectId::parse(id)?, n, ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caption_paths() {
        let id = ObjectId(0x1234);
        let path = alloc::format!("{CAPTION_PATH}{}/3.srt", id.hex().as_str());
        assert_eq!(parse_caption_path(&path), Some((id, 3, "srt")));
        assert_eq!(parse_caption_path("/rill/caption/1234/x.srt"), None);
        assert_eq!(parse_caption_path("/rill/caption/1234/+1.srt"), None);
        assert_eq!(parse_caption_path("/rill/caption/1234.srt"), None);
    }

    #[test]
    fn paths_round_trip() {
        for s in Service::ALL {
            assert_eq!(Service::from_path(s.scpd_path()), Some((s, Endpoint::Scpd)));
            assert_eq!(Service::from_path(s.control_path()), Some((s, Endpoint::Control)));
            assert_eq!(Service::from_path(s.event_path()), Some((s, Endpoint::Event)));
        }
        assert_eq!(Service::from_path("/rill/xx/control"), None);
        assert_eq!(parse_media_path("/rill/media/1f.ogg"), Some((ObjectId(0x1f), "ogg")));
        assert_eq!(parse_media_path("/rill/media/1F.ogg"), None);
        assert_eq!(parse_media_path("/rill/media/1f"), None);
        assert_eq!(parse_media_path("/other/1f.ogg"), None);
        assert_eq!(parse_art_path("/rill/art/1f.jpg"), Some(ObjectId(0x1f)));
        assert_eq!(parse_art_path("/rill/art/1f.png"), None);
        assert_eq!(parse_art_path("/rill/art/01f.jpg"), None);
    }
}
