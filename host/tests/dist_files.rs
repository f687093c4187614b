//! The desktop files shipped in `dist/` pass the tools that check them: the user unit (alone
//! and with the optional sandbox drop-in) `systemd-analyze --user verify` without a single
//! message, the autostart entry `desktop-file-validate` without a single message. The unit's
//! `ExecStart=` is pointed at the binary just built, since `/usr/bin/rill` is not installed here.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist")
}

/// `systemd-analyze --user verify rill.service` with `dir` first in the unit search path, in
/// a private runtime directory; its messages, which must be none.
fn verify(dir: &Path) -> String {
    let runtime = dir.join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["--user", "--man=no", "verify", "rill.service"])
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.display()))
        .output()
        .expect("systemd-analyze (Debian systemd) is needed");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// The shipped unit with `ExecStart=` running the built binary, in `dir`.
fn unit_in(dir: &Path) -> String {
    let shipped = std::fs::read_to_string(dist().join("rill.service")).unwrap();
    assert_eq!(shipped.matches("\nExecStart=/usr/bin/rill serve\n").count(), 1, "{shipped}");
    let unit = shipped
        .replace("ExecStart=/usr/bin/rill", &format!("ExecStart={}", env!("CARGO_BIN_EXE_rill")));
    std::fs::write(dir.join("rill.service"), &unit).unwrap();
    unit
}

#[test]
fn the_user_unit_verifies_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_in(dir.path());
    for line in [
        "Type=notify",
        "NoNewPrivileges=yes",
        "SystemCallFilter=@system-service",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        "Restart=on-failure",
        "WantedBy=default.target",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} missing");
    }
    assert!(unit.lines().any(|l| l.starts_with("WatchdogSec=")));
    // Nothing that needs user namespaces in the shipped unit.
    for key in ["ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateUsers", "ReadWritePaths"] {
        assert!(!unit.lines().any(|l| l.starts_with(key)), "{key} in the shipped unit");
    }
    assert_eq!(verify(dir.path()), "");
}

#[test]
fn the_sandbox_drop_in_verifies_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    unit_in(dir.path());
    let drop_in = dir.path().join("rill.service.d");
    std::fs::create_dir_all(&drop_in).unwrap();
    let sandbox = std::fs::read_to_string(dist().join("rill.service.d/sandbox.conf")).unwrap();
    assert!(sandbox.lines().any(|l| l == "ProtectSystem=strict"), "{sandbox}");
    std::fs::write(drop_in.join("sandbox.conf"), &sandbox).unwrap();
    assert_eq!(verify(dir.path()), "");
    // The drop-in is read: a misspelt key in it is reported (so the empty answer above means
    // something).
    std::fs::write(drop_in.join("sandbox.conf"), sandbox + "ProtectSistem=strict\n").unwrap();
    assert!(verify(dir.path()).contains("ProtectSistem"));
}

#[test]
fn the_autostart_entry_validates_cleanly() {
    let entry = dist().join("rill.desktop");
    let out = Command::new("desktop-file-validate")
        .arg(&entry)
        .output()
        .expect("desktop-file-validate (Debian desktop-file-utils) is needed");
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(text.lines().any(|l| l == "X-systemd-skip=true"), "{text}");
    assert!(text.lines().any(|l| l == "X-GNOME-Autostart-enabled=true"), "{text}");
}
