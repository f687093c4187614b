//! DLNA media facts: which formats Rill serves and how it describes them to players.
//!
//! [`MediaFormat`] maps a file extension to a MIME type, a UPnP class and a DLNA profile;
//! [`aac`] names the profile of an AAC file from its configuration, [`video`] those of video
//! files.
//! [`ProtocolInfo`] renders the `protocolInfo` string of a `res` element and of
//! GetProtocolInfo (`http-get:*:<mime>:<4th field>`); its [`ContentFeatures`] is the 4th field,
//! which is also the `contentFeatures.dlna.org` HTTP header. Player-specific overrides (LG's
//! `application/ogg`, the PS3's `video/divx`) are applied by a later profile layer on top of these
//! defaults.

pub mod aac;
mod format;
mod protocol_info;
pub mod video;

pub use format::{jpeg_profile, MediaFormat, MediaKind, OggCodec};
pub use protocol_info::{ContentFeatures, Flags, Mime, ProtocolInfo};
