//! The log of `rill serve` as a pipe, a file and the journal see it: on standard error,
//! timestamped, without a single escape code when standard error is not a terminal; with a
//! syslog level prefix (`<6>` info, `<4>` warning) and no timestamp when standard error is the
//! stream `JOURNAL_STREAM` names, and unaffected by a `JOURNAL_STREAM` inherited from elsewhere.
//! Only `--interface lo` is used; run inside `unshare -rn` like the other tests.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Generous bound on each wait, so a broken build fails instead of hanging.
const WAIT: Duration = Duration::from_secs(20);

/// Runs `rill serve` with its standard error into `log`, until it has said where it serves
/// and warned about inotify, then stops it; returns the log. `--max-watches 0` makes it warn once.
fn serve_into(dir: &Path, log: &Path, journal_stream: Option<String>) -> String {
    let file = std::fs::File::create(log).unwrap();
    let media = dir.join("media");
    std::fs::create_dir_all(media.join("sub")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_rill"));
    command
        .args(["serve", "--interface", "lo", "--port", "0", "--max-watches", "0"])
        .arg(&media)
        .env("RILL_STATE_DIR", dir.join("state"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .env_remove("JOURNAL_STREAM")
        .env_remove("NOTIFY_SOCKET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file);
    if let Some(stream) = journal_stream {
        command.env("JOURNAL_STREAM", stream);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + WAIT;
    let started = |log: &str| log.contains("SSDP on lo") && log.contains("inotify watches");
    while !started(&std::fs::read_to_string(log).unwrap()) {
        assert!(Instant::now() < deadline, "{}", std::fs::read_to_string(log).unwrap());
        thread::sleep(Duration::from_millis(20));
    }
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGTERM).unwrap();
    assert!(child.wait().unwrap().success());
    std::fs::read_to_string(log).unwrap()
}

/// Whether `line` starts like an RFC 3339 timestamp (`2026-12-06T14:24:12.123456Z`).
fn timestamped(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
}

#[test]
fn a_file_gets_timestamped_lines_without_escape_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log = serve_into(dir.path(), &dir.path().join("log"), None);
    assert!(!log.contains('\x1b'), "escape code in {log:?}");
    assert!(log.lines().count() >= 4, "{log}");
    for line in log.lines() {
        assert!(timestamped(line), "{line:?}");
    }
    assert!(log.lines().any(|l| l.contains(" INFO ") && l.contains("SSDP on lo")), "{log}");
    assert!(log.lines().any(|l| l.contains(" WARN ") && l.contains("inotify")), "{log}");
}

#[test]
fn the_journal_gets_levels_and_no_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal");
    // The stream systemd would connect: this file, named by device and inode.
    std::fs::write(&path, "").unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    let stream = format!("{}:{}", meta.dev(), meta.ino());
    let log = serve_into(dir.path(), &path, Some(stream));
    assert!(!log.contains('\x1b'), "escape code in {log:?}");
    for line in log.lines() {
        let level = line.strip_prefix('<').and_then(|l| l.split_once('>'));
        let Some((level, text)) = level else { panic!("no level prefix: {line:?}") };
        assert!(["3", "4", "5", "6", "7"].contains(&level), "{line:?}");
        assert!(!timestamped(text), "timestamp in {line:?}");
        assert!(!text.contains("INFO") && !text.contains("WARN"), "level word in {line:?}");
    }
    assert!(log.lines().any(|l| l.starts_with("<6>") && l.contains("SSDP on lo")), "{log}");
    assert!(log.lines().any(|l| l.starts_with("<4>") && l.contains("inotify")), "{log}");
}

#[test]
fn an_inherited_journal_stream_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other");
    std::fs::write(&other, "").unwrap();
    let meta = std::fs::metadata(&other).unwrap();
    // Set by a parent whose own output went to the journal; ours goes to a file.
    let stream = format!("{}:{}", meta.dev(), meta.ino());
    let log = serve_into(dir.path(), &dir.path().join("log"), Some(stream));
    assert!(log.lines().all(timestamped), "{log}");
    assert!(!log.contains("<6>"), "{log}");
}
