//! The `rill` binary end to end: `rill serve` on loopback starts, says where it serves, and stops
//! cleanly on SIGINT and on SIGTERM, and logs why a rendition could not be opened. Only
//! `--interface lo` is ever used here.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use rill_core::library::Shelf;
use rill_tests::corpus::tagged;
use rill_tests::renderer::{Browse, Player, Renderer, CONTENT_DIRECTORY};

/// Generous bound on each wait, so a broken build fails instead of hanging.
const WAIT: Duration = Duration::from_secs(20);

/// Starts `rill serve` on loopback and returns it, its log lines and the line naming its
/// `LOCATION`, once it has logged that.
fn start(dir: &std::path::Path) -> (Child, mpsc::Receiver<String>, String) {
    let media = dir.join("media");
    std::fs::create_dir_all(&media).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rill"))
        .args(["serve", "--interface", "lo", "--port", "0", "--name", "CLI test"])
        .arg(&media)
        .env("RILL_STATE_DIR", dir.join("state"))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log goes to standard error.
    let rx = rill_tests::process::lines(child.stderr.take().unwrap());
    let started = loop {
        match rx.recv_timeout(WAIT) {
            Ok(line) if line.contains("SSDP on lo") => break Some(line),
            Ok(_) => {}
            Err(_) => break None,
        }
    };
    let Some(line) = started else {
        child.kill().ok();
        child.wait().ok();
        panic!("rill did not log where it serves");
    };
    (child, rx, line)
}

fn stops_on(signal: Signal) {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, lines, started) = start(dir.path());
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
    let mut rest = Vec::new();
    while let Ok(line) = lines.recv_timeout(WAIT) {
        rest.push(line);
    }
    let status = child.wait().unwrap();
    assert!(started.contains("LOCATION http://127.0.0.1:"), "{started}");
    assert!(status.success(), "exit status {status}; log: {rest:?}");
    assert!(rest.iter().any(|l| l.contains("goodbye sent")), "{rest:?}");
    assert!(rest.last().is_some_and(|l| l.contains("stopped")), "{rest:?}");
    // The identity was persisted for the next start.
    let uuid = std::fs::read_to_string(dir.path().join("state/uuid")).unwrap();
    assert_eq!(uuid.trim().len(), 36);
}

#[test]
fn stops_cleanly_on_sigint() {
    stops_on(Signal::SIGINT);
}

#[test]
fn stops_cleanly_on_sigterm() {
    stops_on(Signal::SIGTERM);
}

#[test]
fn a_missing_folder_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rill"))
        .args(["serve", "--interface", "lo", "--port", "0"])
        .arg(dir.path().join("absent"))
        .env("RILL_STATE_DIR", dir.path().join("state"))
        // The log shares standard error; only warnings and errors here.
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("rill: cannot serve "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Why a transcoded stream could not be opened is logged as a warning with its reason
/// (`Env::stream_refused`), since the 500 alone does not say: here the file was cut short after
/// the scan, so its L16 rendition cannot be decoded.
#[test]
fn a_rendition_that_cannot_be_opened_is_logged_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    tagged(&media, "song.ogg", &["TITLE=Cut short"]);
    let (mut child, lines, started) = start(dir.path());
    let location = started.split_once("LOCATION ").unwrap().1.trim();
    let cp = Renderer::new(Player::GENERIC);
    let desc = cp.fetch_description(location).unwrap();
    let control = desc.service(CONTENT_DIRECTORY).unwrap().control_url.clone();
    // The song, once the scan has listed it.
    let since = std::time::Instant::now();
    let item = loop {
        let folders = Browse::children(&Shelf::Folders.id().to_string());
        let folders = cp.browse(&control, &folders).unwrap();
        let songs = folders.containers().next().map(|f| Browse::children(&f.id));
        let songs = songs.map(|songs| cp.browse(&control, &songs).unwrap());
        if let Some(song) = songs.and_then(|s| s.items().find(|i| i.title == "Cut short").cloned())
        {
            break song;
        }
        assert!(since.elapsed() < WAIT, "the song was not listed");
        std::thread::sleep(Duration::from_millis(50));
    };
    let l16 = item.res.iter().find(|r| r.url.ends_with(".l16")).expect("an L16 rendition");

    // Right after the cut, well within the watcher's settling time, so the library still
    // lists the file as it was scanned.
    let song = std::fs::OpenOptions::new().write(true).open(media.join("song.ogg")).unwrap();
    song.set_len(200).unwrap();
    let resp = cp.get(&l16.url, &[]).unwrap();
    assert_eq!(resp.status, 500, "{}", l16.url);

    let logged = loop {
        match lines.recv_timeout(WAIT) {
            Ok(line) if line.contains("could not be opened") => break line,
            Ok(_) => {}
            Err(_) => panic!("no log line says why the rendition was refused"),
        }
    };
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGTERM).unwrap();
    child.wait().unwrap();
    assert!(logged.contains("WARN"), "{logged}");
    let reason = logged.split_once("could not be opened: ").map_or("", |(_, r)| r);
    // 200 bytes hold the identification header's page and a piece of the next one.
    assert!(reason.contains("headers missing"), "the reason names the cut: {logged}");
}
