//! The `rill` binary under a service manager's eyes: a real Unix datagram socket given as
//! `NOTIFY_SOCKET` receives `READY=1` only once HTTP answers, then `STATUS=` with what the test
//! put in the served folders and the players it showed, `WATCHDOG=1` at half of a short
//! `WATCHDOG_USEC`, and `STOPPING=1` on SIGTERM before the SSDP goodbye, with the process gone
//! within 5 s. Only `--interface lo` is used; run inside `unshare -rn` like the other tests.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Generous bound on each wait, so a broken build fails instead of hanging.
const WAIT: Duration = Duration::from_secs(20);

/// What a service manager may expect after SIGTERM (systemd's default stop timeout is longer;
/// the issue asks for 5 s).
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// Runs a media tool, failing the test if it is missing or fails.
fn make(tool: &str, args: &[&str]) {
    let status = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{tool} is needed by this test: {e}"));
    assert!(status.success(), "{tool} {args:?}: {status}");
}

/// Two served folders holding three tracks (Vorbis, FLAC, Vorbis) and one picture.
fn media(dir: &Path) -> [std::path::PathBuf; 2] {
    let (a, b) = (dir.join("a"), dir.join("b b"));
    std::fs::create_dir_all(a.join("sub")).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let wav = dir.join("tone.wav");
    let sine = "sine=frequency=440:duration=1";
    make("ffmpeg", &["-loglevel", "error", "-f", "lavfi", "-i", sine, wav.to_str().unwrap()]);
    for ogg in [a.join("one.ogg"), a.join("sub/two.ogg")] {
        make("oggenc", &["-Q", "-o", ogg.to_str().unwrap(), wav.to_str().unwrap()]);
    }
    let flac = b.join("three.flac");
    make("flac", &["-s", "-o", flac.to_str().unwrap(), wav.to_str().unwrap()]);
    let png = b.join("red square.png");
    let colour = "color=c=red:size=32x32";
    let png = png.to_str().unwrap();
    make("ffmpeg", &["-loglevel", "error", "-f", "lavfi", "-i", colour, "-frames:v", "1", png]);
    [a, b]
}

/// A TCP port free on loopback right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The status line of a GET of `path`, sent with `agent` as the User-Agent.
fn get(port: u16, path: &str, agent: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(WAIT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {agent}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer.lines().next().unwrap_or_default().to_string())
}

/// The notification socket, and every message it has received so far.
struct Manager {
    socket: UnixDatagram,
    messages: Vec<(Instant, String)>,
}

impl Manager {
    fn bind(path: &Path) -> Manager {
        let socket = UnixDatagram::bind(path).unwrap();
        Manager { socket, messages: Vec::new() }
    }

    /// Reads what has arrived, waiting at most `wait` for the first message.
    fn receive(&mut self, wait: Duration) -> usize {
        let mut buf = [0u8; 4096];
        let before = self.messages.len();
        self.socket.set_read_timeout(Some(wait.max(Duration::from_micros(1)))).unwrap();
        while let Ok(n) = self.socket.recv(&mut buf) {
            let text = String::from_utf8(buf[..n].to_vec()).expect("UTF-8 notification");
            self.messages.push((Instant::now(), text));
            self.socket.set_nonblocking(true).unwrap();
        }
        self.socket.set_nonblocking(false).unwrap();
        self.messages.len() - before
    }

    /// Waits until a message has a line for which `f` holds; returns that line.
    fn wait_for(&mut self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(line) = self.lines().find(|l| f(l)) {
                return line.to_string();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no {what} among {:?}", self.messages);
            self.receive(left);
        }
    }

    fn lines(&self) -> impl Iterator<Item = &str> + '_ {
        self.messages.iter().flat_map(|(_, m)| m.lines())
    }
}

/// Starts `rill serve` on loopback port `port` with `NOTIFY_SOCKET` and the given extra
/// environment; its standard error lines arrive on the returned channel.
fn start(
    dir: &Path,
    port: u16,
    roots: &[std::path::PathBuf],
    env: &[(&str, &str)],
) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rill"))
        .args(["serve", "--interface", "lo", "--port", &port.to_string(), "--name", "Notify"])
        .args(roots)
        .env("NOTIFY_SOCKET", dir.join("notify"))
        .env("RILL_STATE_DIR", dir.join("state"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("RUST_LOG", "info")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .env_remove("JOURNAL_STREAM")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = rill_tests::process::lines(child.stderr.take().unwrap());
    (child, rx)
}

/// Polls until `READY=1` arrives, checking before each attempt to connect what the socket
/// holds: a READY that was already there when the port still refused would be premature.
/// Returns once HTTP has answered right after READY.
fn ready(manager: &mut Manager, port: u16, child: &mut Child) {
    let deadline = Instant::now() + WAIT;
    loop {
        manager.receive(Duration::ZERO);
        let seen = manager.lines().any(|l| l == "READY=1");
        match get(port, rill_core::upnp::DESCRIPTION_PATH, "test") {
            Ok(status) if seen => {
                assert_eq!(status, "HTTP/1.1 200 OK");
                return;
            }
            Ok(_) => {}
            Err(e) => assert!(!seen, "READY=1 sent while HTTP did not answer: {e}"),
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            child.kill().ok();
            panic!("no READY=1 (messages: {:?})", manager.messages);
        }
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn ready_status_watchdog_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let roots = media(dir.path());
    let mut manager = Manager::bind(&dir.path().join("notify"));
    let port = free_port();
    // A watchdog of 200 ms: Rill should ping every 100 ms.
    let (mut child, log) = start(dir.path(), port, &roots, &[("WATCHDOG_USEC", "200000")]);
    ready(&mut manager, port, &mut child);
    let ready_at = manager
        .messages
        .iter()
        .find(|(_, m)| m.lines().any(|l| l == "READY=1"))
        .map(|(at, _)| *at)
        .unwrap();
    // The first status comes with READY=1 itself.
    let first = manager.messages.iter().find(|(at, _)| *at == ready_at).unwrap();
    assert!(first.1.lines().any(|l| l.starts_with("STATUS=")), "{first:?}");

    // What the test put there: three tracks and a picture in two folders, no player yet.
    manager.wait_for("status after the scan", |l| {
        l == "STATUS=3 tracks and 1 picture in 2 folders, 0 players"
    });
    // A PS3 browses: one player now.
    let ps3 = get(port, rill_core::upnp::DESCRIPTION_PATH, "PLAYSTATION 3").unwrap();
    assert_eq!(ps3, "HTTP/1.1 200 OK");
    manager.wait_for("status with the player", |l| {
        l == "STATUS=3 tracks and 1 picture in 2 folders, 1 player"
    });

    // Watchdog pings: about ten a second; over a second at least five.
    let before = manager.lines().filter(|&l| l == "WATCHDOG=1").count();
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        manager.receive(until.saturating_duration_since(Instant::now()));
    }
    let pings = manager.lines().filter(|&l| l == "WATCHDOG=1").count() - before;
    assert!((5..=15).contains(&pings), "{pings} watchdog pings in 1 s");

    // SIGTERM: STOPPING=1 at once, before the goodbye (the log line that reports it is written
    // after the goodbye, so when it is read the notification must already be there).
    let stopped_at = Instant::now();
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGTERM).unwrap();
    let mut rest = Vec::new();
    while let Ok(line) = log.recv_timeout(WAIT) {
        let goodbye = line.contains("goodbye sent");
        rest.push(line);
        if goodbye {
            break;
        }
    }
    assert!(rest.iter().any(|l| l.contains("goodbye sent")), "{rest:?}");
    manager.receive(Duration::ZERO);
    assert!(manager.lines().any(|l| l == "STOPPING=1"), "{:?}", manager.messages);
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(stopped_at.elapsed() < STOP_WITHIN, "still running 5 s after SIGTERM");
        thread::sleep(Duration::from_millis(10));
    };
    assert!(exit.success(), "{exit}");
}

#[test]
fn no_watchdog_pings_for_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let roots = media(dir.path());
    let mut manager = Manager::bind(&dir.path().join("notify"));
    let port = free_port();
    // The watchdog is meant for PID 1, not for Rill.
    let env = [("WATCHDOG_USEC", "100000"), ("WATCHDOG_PID", "1")];
    let (mut child, _log) = start(dir.path(), port, &roots, &env);
    ready(&mut manager, port, &mut child);
    manager.wait_for("status after the scan", |l| l.starts_with("STATUS=3 tracks"));
    let until = Instant::now() + Duration::from_millis(600);
    while Instant::now() < until {
        manager.receive(until.saturating_duration_since(Instant::now()));
    }
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    manager.receive(Duration::ZERO);
    assert!(manager.lines().any(|l| l == "STOPPING=1"), "{:?}", manager.messages);
    assert!(!manager.lines().any(|l| l == "WATCHDOG=1"), "{:?}", manager.messages);
}
