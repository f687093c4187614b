//! What a Rill media server advertises and answers searches for.

use core::fmt;

/// One of the six notification types of a MediaServer:1 root device with its three services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Target {
    /// `upnp:rootdevice`
    RootDevice,
    /// `uuid:<UDN>`, the device itself.
    Device,
    /// `urn:schemas-upnp-org:device:MediaServer:1`
    MediaServer,
    /// `urn:schemas-upnp-org:service:ContentDirectory:1`
    ContentDirectory,
    /// `urn:schemas-upnp-org:service:ConnectionManager:1`
    ConnectionManager,
    /// `urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1` (Xbox 360, Windows Media Player)
    MediaReceiverRegistrar,
}

impl Target {
    /// All six, in the order announcements and `ssdp:all` answers go out.
    pub const ALL: [Target; 6] = [
        Target::RootDevice,
        Target::Device,
        Target::MediaServer,
        Target::ContentDirectory,
        Target::ConnectionManager,
        Target::MediaReceiverRegistrar,
    ];

    /// The fixed text of `NT`/`ST` for this target, or `None` for [`Target::Device`], whose text
    /// is the device's own `uuid:<UDN>`.
    pub const fn fixed_name(self) -> Option<&'static str> {
        match self {
            Target::RootDevice => Some("upnp:rootdevice"),
            Target::Device => None,
            Target::MediaServer => Some("urn:schemas-upnp-org:device:MediaServer:1"),
            Target::ContentDirectory => Some("urn:schemas-upnp-org:service:ContentDirectory:1"),
            Target::ConnectionManager => Some("urn:schemas-upnp-org:service:ConnectionManager:1"),
            Target::MediaReceiverRegistrar => {
                Some("urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1")
            }
        }
    }

    /// The target a search `ST` names for the device `uuid` (without `uuid:`), if it is one of
    /// ours. Comparison ignores ASCII case and surrounding whitespace. `ssdp:all` is not a single
    /// target and gives `None`; callers check for it first.
    pub fn from_search(st: &str, uuid: &str) -> Option<Target> {
        let st = st.trim();
        if let Some(id) = strip_prefix_ignore_case(st, "uuid:") {
            return id.eq_ignore_ascii_case(uuid).then_some(Target::Device);
        }
        Target::ALL.into_iter().find(|t| t.fixed_name().is_some_and(|n| n.eq_ignore_ascii_case(st)))
    }

    /// The `NT` (in announcements) or `ST` (in search responses) text, for device `uuid`.
    pub const fn notification_type(self, uuid: &str) -> NotificationType<'_> {
        NotificationType { target: self, uuid }
    }

    /// The `USN` text for device `uuid`: `uuid:X::upnp:rootdevice`, `uuid:X` or `uuid:X::<urn>`.
    pub const fn usn(self, uuid: &str) -> Usn<'_> {
        Usn { target: self, uuid }
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| s.get(prefix.len()..)).flatten()
}

/// The `NT`/`ST` of a [`Target`], written by its [`fmt::Display`].
#[derive(Debug, Clone, Copy)]
pub struct NotificationType<'a> {
    target: Target,
    uuid: &'a str,
}

impl fmt::Display for NotificationType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.target.fixed_name() {
            Some(name) => f.write_str(name),
            None => write!(f, "uuid:{}", self.uuid),
        }
    }
}

/// The `USN` of a [`Target`], written by its [`fmt::Display`].
#[derive(Debug, Clone, Copy)]
pub struct Usn<'a> {
    target: Target,
    uuid: &'a str,
}

impl fmt::Display for Usn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uuid:{}", self.uuid)?;
        match self.target.fixed_name() {
            Some(name) => write!(f, "::{name}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "4d696e69-444c-164e-9d41-b827eb5f3a10";

    #[test]
    fn names_and_usns() {
        let usns: Vec<String> = Target::ALL.iter().map(|t| t.usn(UUID).to_string()).collect();
        assert_eq!(
            usns,
            [
                format!("uuid:{UUID}::upnp:rootdevice"),
                format!("uuid:{UUID}"),
                format!("uuid:{UUID}::urn:schemas-upnp-org:device:MediaServer:1"),
                format!("uuid:{UUID}::urn:schemas-upnp-org:service:ContentDirectory:1"),
                format!("uuid:{UUID}::urn:schemas-upnp-org:service:ConnectionManager:1"),
                format!("uuid:{UUID}::urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1"),
            ]
        );
        assert_eq!(Target::Device.notification_type(UUID).to_string(), format!("uuid:{UUID}"));
    }

    #[test]
    fn search_targets() {
        for t in Target::ALL {
            let st = t.notification_type(UUID).to_string();
            assert_eq!(Target::from_search(&st, UUID), Some(t));
            assert_eq!(Target::from_search(&st.to_uppercase(), UUID), Some(t));
            assert_eq!(Target::from_search(&format!(" {st}\t"), UUID), Some(t));
        }
        for other in [
            "ssdp:all",
            "urn:schemas-upnp-org:device:MediaRenderer:1",
            "urn:schemas-upnp-org:device:MediaServer:2",
            "urn:schemas-upnp-org:service:ContentDirectory:",
            "uuid:00000000-0000-0000-0000-000000000000",
            "uuid:",
            "",
        ] {
            assert_eq!(Target::from_search(other, UUID), None, "{other}");
        }
    }
}
