//! Persistent device identity: the UUID, the boot counter and the configuration number.
//!
//! UPnP control points remember a server by its UDN (`uuid:...`), so the UUID is created once
//! (version 4, random) and kept in the state directory (`$XDG_STATE_HOME/rill/uuid` by default).
//! UDA 1.1 adds `BOOTID.UPNP.ORG`, which must grow with every start and stay fixed while running:
//! a counter in the same directory, incremented and written back at start-up. `CONFIGID.UPNP.ORG`
//! must change when the descriptions change; they depend on the friendly name and the Rill
//! version only, so it is a hash of those two (stable across restarts, no file needed).

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// The largest BOOTID / CONFIGID value UDA 1.1 allows (2^31 - 1 and 2^24 - 1).
const MAX_BOOT_ID: u32 = 0x7fff_ffff;
const MAX_CONFIG_ID: u32 = 0x00ff_ffff;

/// Who this server is, for SSDP and the device description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The device UUID without the `uuid:` prefix (lower-case, hyphenated).
    pub uuid: String,
    /// `BOOTID.UPNP.ORG` of this run.
    pub boot_id: u32,
    /// `CONFIGID.UPNP.ORG` for the current name and version.
    pub config_id: u32,
}

impl Identity {
    /// Loads (or creates) the identity in `state_dir` and counts this start.
    pub fn load(state_dir: &Path, friendly_name: &str) -> Result<Identity> {
        fs::create_dir_all(state_dir)
            .with_context(|| format!("creating state directory {}", state_dir.display()))?;
        let uuid = load_uuid(&state_dir.join("uuid"))?;
        let boot_id = next_boot_id(&state_dir.join("bootid"))?;
        let config_id = config_id(friendly_name, env!("CARGO_PKG_VERSION"));
        Ok(Identity { uuid, boot_id, config_id })
    }
}

fn load_uuid(path: &Path) -> Result<String> {
    match fs::read_to_string(path) {
        Ok(text) => {
            let parsed = uuid::Uuid::parse_str(text.trim())
                .with_context(|| format!("{} does not hold a UUID", path.display()))?;
            Ok(parsed.hyphenated().to_string())
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let fresh = uuid::Uuid::new_v4().hyphenated().to_string();
            write_atomically(path, &format!("{fresh}\n"))?;
            tracing::info!(uuid = %fresh, path = %path.display(), "created a new device UUID");
            Ok(fresh)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn next_boot_id(path: &Path) -> Result<u32> {
    let previous = match fs::read_to_string(path) {
        Ok(text) => match text.trim().parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => bail!("{} does not hold a boot counter", path.display()),
        },
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let next = match previous {
        None => 1,
        Some(n) if n >= MAX_BOOT_ID => 1,
        Some(n) => n + 1,
    };
    write_atomically(path, &format!("{next}\n"))?;
    Ok(next)
}

/// FNV-1a over the inputs that shape the descriptions, folded into CONFIGID's 24-bit range.
fn config_id(friendly_name: &str, version: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in friendly_name.bytes().chain([0]).chain(version.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash ^ (hash >> 24)) & MAX_CONFIG_ID
}

/// Writes through a temporary file and a rename, so a crash never leaves a half-written id.
fn write_atomically(path: &Path, contents: &str) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, contents).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_persists_and_boot_id_grows() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load(dir.path(), "Rill").unwrap();
        let second = Identity::load(dir.path(), "Rill").unwrap();
        assert_eq!(first.uuid, second.uuid);
        assert_eq!(uuid::Uuid::parse_str(&first.uuid).unwrap().get_version_num(), 4);
        assert_eq!((first.boot_id, second.boot_id), (1, 2));
        let on_disk = fs::read_to_string(dir.path().join("uuid")).unwrap();
        assert_eq!(on_disk.trim(), first.uuid);
    }

    #[test]
    fn boot_id_wraps_inside_the_allowed_range() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("bootid"), format!("{MAX_BOOT_ID}\n")).unwrap();
        assert_eq!(Identity::load(dir.path(), "Rill").unwrap().boot_id, 1);
    }

    #[test]
    fn corrupt_files_are_errors_not_silent_resets() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("uuid"), "not a uuid").unwrap();
        assert!(Identity::load(dir.path(), "Rill").is_err());
    }

    #[test]
    fn config_id_follows_the_name_and_fits_24_bits() {
        let a = config_id("Rill on a", "0.1.0");
        assert_eq!(a, config_id("Rill on a", "0.1.0"));
        assert_ne!(a, config_id("Rill on b", "0.1.0"));
        assert_ne!(a, config_id("Rill on a", "0.2.0"));
        assert!(a <= MAX_CONFIG_ID);
    }
}
