//! `rill service enable|disable|status`: Rill as a user service that starts with the session.
//!
//! Where a systemd user manager runs (`systemctl --user` reaches it), `enable` writes the user
//! unit (`dist/rill.service`, with `ExecStart=` naming this very binary) into
//! `$XDG_CONFIG_HOME/systemd/user/`, runs `systemctl --user daemon-reload` and
//! `systemctl --user enable --now rill.service`, and explains lingering: a user's units stop
//! when their last session ends unless `loginctl enable-linger` keeps the user manager running
//! from boot. `disable` stops and disables the unit and removes the file; `status` asks
//! `systemctl --user status`.
//!
//! Without a user manager (desktops started without systemd, containers), `enable` installs the
//! XDG autostart entry (`dist/rill.desktop`, `Exec=` naming this binary) into
//! `$XDG_CONFIG_HOME/autostart/`, so the desktop starts Rill at the next login, and says so.
//! The entry carries `X-systemd-skip=true`: a session that does run systemd ignores it, and the
//! unit alone starts Rill, never both.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

/// The user unit shipped in `dist/`, installed with its `ExecStart=` rewritten.
pub const UNIT: &str = include_str!("../../dist/rill.service");

/// The XDG autostart entry shipped in `dist/`, installed with its `Exec=` rewritten.
pub const AUTOSTART: &str = include_str!("../../dist/rill.desktop");

/// The unit's name.
pub const UNIT_NAME: &str = "rill.service";

/// Options of `rill service`.
#[derive(Debug, Args)]
pub struct Service {
    /// What to do with the service.
    #[command(subcommand)]
    pub action: Action,
}

/// The `rill service` subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Action {
    /// Install Rill as a user service and start it now and at every login.
    Enable,
    /// Stop the user service and remove it.
    Disable,
    /// Show whether the user service is installed and running.
    Status,
}

/// Where the files go, and which programs run them.
#[derive(Debug, Clone)]
pub struct Setup {
    /// `$XDG_CONFIG_HOME` (`~/.config`).
    pub config_home: PathBuf,
    /// The `rill` binary the service runs.
    pub exe: PathBuf,
}

impl Setup {
    /// The user's configuration directory and this process's own binary.
    pub fn from_env() -> Result<Setup> {
        let config_home = dirs::config_dir()
            .context("no configuration directory: set XDG_CONFIG_HOME or HOME")?;
        let exe = std::env::current_exe().context("finding the rill binary")?;
        Ok(Setup { config_home, exe })
    }

    /// Where the user unit goes.
    pub fn unit_path(&self) -> PathBuf {
        self.config_home.join("systemd/user").join(UNIT_NAME)
    }

    /// Where the autostart entry goes.
    pub fn autostart_path(&self) -> PathBuf {
        self.config_home.join("autostart/rill.desktop")
    }
}

/// Runs `rill service ACTION` for the current user.
pub fn run(service: &Service) -> Result<()> {
    let setup = Setup::from_env()?;
    let systemd = user_manager();
    let report = match service.action {
        Action::Enable => enable(&setup, systemd)?,
        Action::Disable => disable(&setup, systemd)?,
        Action::Status => status(&setup, systemd)?,
    };
    print!("{report}");
    Ok(())
}

/// Whether a systemd user manager answers `systemctl --user`.
pub fn user_manager() -> bool {
    // "running", "degraded", "starting", ... when it answers; "offline" or an error otherwise.
    let out = Command::new("systemctl")
        .args(["--user", "is-system-running"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match out {
        Ok(out) => {
            let state = String::from_utf8_lossy(&out.stdout);
            let state = state.trim();
            !state.is_empty() && state != "offline" && state != "unknown"
        }
        Err(_) => false,
    }
}

/// Installs and starts the service; returns what to tell the user.
pub fn enable(setup: &Setup, systemd: bool) -> Result<String> {
    let mut report = String::new();
    if systemd {
        let path = setup.unit_path();
        write_file(&path, &unit(&setup.exe))?;
        systemctl(&["daemon-reload"])?;
        systemctl(&["enable", "--now", UNIT_NAME])?;
        let _ = writeln!(report, "Installed {} and started it.", path.display());
        let _ = writeln!(report, "It starts whenever you log in; `rill service status` shows it.");
        report.push_str(&lingering());
    } else {
        let path = setup.autostart_path();
        write_file(&path, &autostart(&setup.exe))?;
        let _ = writeln!(
            report,
            "No systemd user session here (`systemctl --user` does not answer), so Rill was \
             installed as an XDG autostart entry instead: {}.",
            path.display()
        );
        let _ = writeln!(
            report,
            "Your desktop starts it at your next login; to start it now, run `rill serve`."
        );
    }
    Ok(report)
}

/// Stops the service and removes what [`enable`] installed; returns what to tell the user.
pub fn disable(setup: &Setup, systemd: bool) -> Result<String> {
    let mut report = String::new();
    let unit = setup.unit_path();
    if systemd {
        systemctl(&["disable", "--now", UNIT_NAME])?;
    }
    if remove_file(&unit)? {
        if systemd {
            systemctl(&["daemon-reload"])?;
        }
        let _ = writeln!(report, "Removed {}.", unit.display());
    }
    let autostart = setup.autostart_path();
    if remove_file(&autostart)? {
        let _ = writeln!(report, "Removed {}.", autostart.display());
    }
    if report.is_empty() {
        report.push_str("Rill was not installed as a user service.\n");
    } else if systemd {
        report.push_str("The service is stopped and no longer starts at login.\n");
    } else {
        report.push_str("Rill no longer starts at login (a running `rill serve` goes on).\n");
    }
    Ok(report)
}

/// Says how the service is installed and, with systemd, how it is doing.
pub fn status(setup: &Setup, systemd: bool) -> Result<String> {
    let mut report = String::new();
    let unit = setup.unit_path();
    let autostart = setup.autostart_path();
    let installed = |path: &Path| if path.exists() { "installed" } else { "not installed" };
    let _ = writeln!(report, "user unit {}: {}", unit.display(), installed(&unit));
    let _ = writeln!(report, "autostart entry {}: {}", autostart.display(), installed(&autostart));
    if systemd {
        // `status` exits 3 for a stopped unit and 4 for an unknown one: not our error.
        let out = Command::new("systemctl")
            .args(["--user", "status", "--no-pager", "--lines=5", UNIT_NAME])
            .stdin(Stdio::null())
            .output()
            .context("running systemctl --user status")?;
        report.push_str(&String::from_utf8_lossy(&out.stdout));
        report.push_str(&String::from_utf8_lossy(&out.stderr));
        report.push_str(&lingering());
    } else {
        report.push_str("No systemd user session here: with the autostart entry, the desktop starts Rill at login.\n");
    }
    Ok(report)
}

/// What lingering means, and whether it is on for this user.
fn lingering() -> String {
    // Without a name, loginctl means the calling user.
    let user = std::env::var("USER").ok().filter(|u| !u.is_empty());
    let on = Command::new("loginctl")
        .arg("show-user")
        .args(user.as_deref())
        .args(["--property=Linger", "--value"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"yes");
    if on {
        return "Lingering is on for you: the service runs from boot, logged in or not.\n".into();
    }
    let command = match user {
        Some(user) => format!("loginctl enable-linger {user}"),
        None => "loginctl enable-linger".to_string(),
    };
    format!(
        "The service stops when you log out. For a server that runs without anyone logged in \
         (from boot on), turn on lingering: `{command}` (it may ask for an administrator's \
         password).\n"
    )
}

/// Runs `systemctl --user ARGS`, failing with its message if it fails.
fn systemctl(args: &[&str]) -> Result<()> {
    let out = Command::new("systemctl")
        .arg("--user")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("running systemctl")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!("systemctl --user {} failed: {}", args.join(" "), err.trim());
    }
    Ok(())
}

/// Writes `text` to `path`, making its folder.
fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Removes `path`; whether it was there.
fn remove_file(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
    }
}

/// The user unit with `ExecStart=` running `exe serve`.
pub fn unit(exe: &Path) -> String {
    let exec = format!("ExecStart={} serve", quote(exe.as_os_str(), unit_char));
    replace_key(UNIT, "ExecStart=", &exec)
}

/// The autostart entry with `Exec=` (and `TryExec=`) naming `exe`.
pub fn autostart(exe: &Path) -> String {
    // The Exec value's quoting first (Desktop Entry spec, "The Exec key"); then, as every
    // string value, backslashes are escaped once more.
    let exec = quote(exe.as_os_str(), exec_char).replace('\\', "\\\\");
    let text = replace_key(AUTOSTART, "Exec=", &format!("Exec={exec} serve"));
    let try_exec = exe.to_string_lossy().replace('\\', "\\\\");
    replace_key(&text, "TryExec=", &format!("TryExec={try_exec}"))
}

/// `text` with the line starting with `key` replaced by `line`.
fn replace_key(text: &str, key: &str, line: &str) -> String {
    let mut out = String::with_capacity(text.len() + line.len());
    for l in text.lines() {
        out.push_str(if l.starts_with(key) { line } else { l });
        out.push('\n');
    }
    out
}

/// `word` in double quotes, each character escaped as `escape` says (a unit's command line
/// and a desktop entry's `Exec=` quote alike, with different special characters).
fn quote(word: &OsStr, escape: fn(char) -> Option<&'static str>) -> String {
    let word = word.to_string_lossy();
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        match escape(c) {
            Some(escaped) => out.push_str(escaped),
            None => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Escapes in a quoted word of a unit's command line (systemd.service(5) "Command lines":
/// C-style escapes, `%` starts a specifier, `$` a variable).
fn unit_char(c: char) -> Option<&'static str> {
    match c {
        '"' => Some("\\\""),
        '\\' => Some("\\\\"),
        '%' => Some("%%"),
        '$' => Some("$$"),
        _ => None,
    }
}

/// Escapes in a quoted argument of a desktop entry's `Exec=` (`"`, `` ` ``, `$`, `\` take a
/// backslash; `%` starts a field code).
fn exec_char(c: char) -> Option<&'static str> {
    match c {
        '"' => Some("\\\""),
        '`' => Some("\\`"),
        '$' => Some("\\$"),
        '\\' => Some("\\\\"),
        '%' => Some("%%"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_runs_the_given_binary() {
        let text = unit(Path::new("/home/a b/.cargo/bin/rill"));
        assert!(text.contains("\nExecStart=\"/home/a b/.cargo/bin/rill\" serve\n"), "{text}");
        assert_eq!(text.matches("ExecStart=").count(), 1);
        assert!(text.contains("Type=notify\n") && text.contains("WantedBy=default.target\n"));
        let odd = unit(Path::new("/opt/100%/$x\\\"y/rill"));
        assert!(odd.contains("ExecStart=\"/opt/100%%/$$x\\\\\\\"y/rill\" serve\n"), "{odd}");
    }

    #[test]
    fn autostart_runs_the_given_binary() {
        let text = autostart(Path::new("/home/a b/bin/rill"));
        assert!(text.contains("\nExec=\"/home/a b/bin/rill\" serve\n"), "{text}");
        assert!(text.contains("\nTryExec=/home/a b/bin/rill\n"), "{text}");
        assert!(text.contains("\nX-systemd-skip=true\n"), "{text}");
        // `$` takes a backslash in Exec, which the string escaping doubles.
        let odd = autostart(Path::new("/x/$y%/rill"));
        assert!(odd.contains("\nExec=\"/x/\\\\$y%%/rill\" serve\n"), "{odd}");
    }
}
