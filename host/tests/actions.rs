//! The file-manager actions in `dist/`: the Dolphin service menu passes `desktop-file-validate`
//! but for the two errors its format implies, and the GNOME Files script shares the folders it
//! is given with the real `rill` (here with no server running, so the config file changes).

use std::path::Path;
use std::process::Command;

const RILL: &str = env!("CARGO_BIN_EXE_rill");

fn dist(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist").join(rel)
}

#[test]
fn dolphin_service_menu_validates() {
    let out = Command::new("desktop-file-validate")
        .arg(dist("dolphin/rill-share.desktop"))
        .output()
        .expect("desktop-file-validate (desktop-file-utils) runs");
    let report = String::from_utf8_lossy(&out.stdout);
    // A service menu is `Type=Service` with `MimeType` and `Actions`, which the freedesktop
    // spec allows only on applications: exactly those two errors, nothing else.
    let expected = |l: &str| {
        l.contains("the type is \"Service\"")
            && (l.contains("key \"MimeType\"") || l.contains("key \"Actions\""))
    };
    assert!(report.lines().all(expected) && report.lines().count() == 2, "{report}");
    let menu = std::fs::read_to_string(dist("dolphin/rill-share.desktop")).unwrap();
    assert!(menu.contains("Exec=rill share -- %F"), "{menu}");
}

#[test]
fn nautilus_script_shares_the_selected_folders() {
    let dir = tempfile::tempdir().unwrap();
    let folders = [dir.path().join("Hörbücher und Filme"), dir.path().join("two")];
    for f in &folders {
        std::fs::create_dir_all(f).unwrap();
    }
    // Only `rill` on the PATH, as installed: no notify-send, so the script prints what it did.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(RILL, bin.join("rill")).unwrap();
    let out = Command::new(dist("nautilus/Share in Rill"))
        .args(&folders)
        .env("PATH", &bin)
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("HOME", dir.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", dir.path().join("no-bus").display()),
        )
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said} {}", String::from_utf8_lossy(&out.stderr));
    let config = std::fs::read_to_string(dir.path().join("config/rill/rill.toml")).unwrap();
    for f in &folders {
        assert!(config.contains(&format!("\"{}\"", f.display())), "{config}");
        assert!(said.contains(&f.display().to_string()), "{said}");
    }
}
