//! `rill service` with a fake `$XDG_CONFIG_HOME`, both ways it can go:
//! - no systemd user session (the real `systemctl`, pointed at an empty runtime directory and
//!   a bus that does not exist, cannot reach a user manager): the autostart entry is installed,
//!   valid for `desktop-file-validate`, running this binary, and removed again;
//! - a user manager answers (a stand-in `systemctl` first on `PATH` that says "running" and
//!   records its arguments): the unit is written with this binary in `ExecStart=`, passes
//!   `systemd-analyze --user verify`, is reloaded and enabled with `--now`, and `disable` stops,
//!   disables and removes it. Lingering is explained.
//!
//! No real user manager is ever touched: on a developer's desktop, too, the real `systemctl`
//! only sees the test's empty runtime directory.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `rill service ACTION` with the test's configuration and runtime directories.
fn service(action: &str, dir: &Path, path: Option<&str>) -> Output {
    let runtime = dir.join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_rill"));
    command
        .args(["service", action])
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", runtime.join("no-bus").display()))
        .env("USER", "tester");
    if let Some(path) = path {
        command.env("PATH", path);
    }
    command.output().unwrap()
}

fn text(out: &Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn without_a_user_manager_the_autostart_entry_is_installed() {
    let real = Command::new("systemctl").arg("--version").output();
    assert!(real.is_ok_and(|o| o.status.success()), "systemctl (Debian systemd) is needed");
    let dir = tempfile::tempdir().unwrap();
    let entry = dir.path().join("config/autostart/rill.desktop");
    let unit = dir.path().join("config/systemd/user/rill.service");

    let said = text(&service("enable", dir.path(), None));
    assert!(said.contains("No systemd user session"), "{said}");
    assert!(said.contains(&entry.display().to_string()), "{said}");
    let written = std::fs::read_to_string(&entry).unwrap();
    let exe = env!("CARGO_BIN_EXE_rill");
    assert!(written.contains(&format!("\nExec=\"{exe}\" serve\n")), "{written}");
    assert!(written.contains("\nX-systemd-skip=true\n"), "{written}");
    assert!(!unit.exists());
    let valid = Command::new("desktop-file-validate").arg(&entry).output().unwrap();
    assert!(valid.status.success() && valid.stdout.is_empty(), "{valid:?}");

    let said = text(&service("status", dir.path(), None));
    assert!(said.contains("autostart entry") && said.contains(": installed"), "{said}");
    assert!(said.contains("No systemd user session"), "{said}");

    let said = text(&service("disable", dir.path(), None));
    assert!(said.contains("Removed"), "{said}");
    assert!(!entry.exists());
    let said = text(&service("disable", dir.path(), None));
    assert!(said.contains("was not installed"), "{said}");
}

#[test]
fn with_a_user_manager_the_unit_is_installed_and_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = dir.path().join("calls");
    let fake = format!(
        "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$*\" in *is-system-running*) echo running;; esac\n",
        calls.display()
    );
    std::fs::write(bin.join("systemctl"), fake).unwrap();
    std::fs::set_permissions(bin.join("systemctl"), std::fs::Permissions::from_mode(0o755))
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let unit = dir.path().join("config/systemd/user/rill.service");

    let said = text(&service("enable", dir.path(), Some(&path)));
    assert!(said.contains(&format!("Installed {}", unit.display())), "{said}");
    assert!(said.contains("loginctl enable-linger tester"), "{said}");
    let written = std::fs::read_to_string(&unit).unwrap();
    let exe = env!("CARGO_BIN_EXE_rill");
    assert!(written.contains(&format!("\nExecStart=\"{exe}\" serve\n")), "{written}");
    let log = std::fs::read_to_string(&calls).unwrap();
    let log: Vec<&str> = log.lines().collect();
    assert_eq!(
        log,
        ["--user is-system-running", "--user daemon-reload", "--user enable --now rill.service"]
    );

    // The unit as written is one systemd accepts, without a warning.
    let verify = Command::new("systemd-analyze")
        .args(["--user", "--man=no", "verify"])
        .arg(&unit)
        .env("XDG_RUNTIME_DIR", dir.path().join("runtime"))
        .output()
        .unwrap();
    assert!(verify.status.success() && verify.stderr.is_empty(), "{verify:?}");

    let said = text(&service("status", dir.path(), Some(&path)));
    assert!(said.contains("user unit") && said.contains(": installed"), "{said}");

    std::fs::remove_file(&calls).unwrap();
    let said = text(&service("disable", dir.path(), Some(&path)));
    assert!(said.contains(&format!("Removed {}", unit.display())), "{said}");
    assert!(!unit.exists());
    let log = std::fs::read_to_string(&calls).unwrap();
    let log: Vec<&str> = log.lines().collect();
    assert_eq!(
        log,
        ["--user is-system-running", "--user disable --now rill.service", "--user daemon-reload"]
    );
}
