//! Sharing over D-Bus, end to end, with real components only: a private session bus
//! (`dbus-daemon`), the `rill` binary serving on loopback inside the test's own network
//! namespace, clients nobody here wrote (`busctl`, `dbus-monitor`), a control point browsing
//! and subscribed to GENA events, and the `rill share`/`unshare`/`status` commands.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rill_core::library::Shelf;
use rill_tests::corpus::tagged;
use rill_tests::renderer::gena::Subscriber;
use rill_tests::renderer::http::{Client, Url};
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Player, Renderer, CONTENT_DIRECTORY};

/// How long anything may take to show (generous: a failure is a missing change, not a slow
/// one).
const WAIT: Duration = Duration::from_secs(15);

/// The server's HTTP address: its own network namespace, so the default port is free.
const HTTP: &str = "127.0.0.1:8210";

const RILL: &str = env!("CARGO_BIN_EXE_rill");
const NAME: &str = "org.rill.Rill1";
const PATH: &str = "/org/rill/Rill1";

/// A private session bus, stopped when dropped.
struct Bus {
    daemon: Child,
    address: String,
}

impl Bus {
    fn start(dir: &Path) -> Bus {
        let socket = dir.join("bus");
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon (Debian dbus-daemon) runs");
        let mut line = String::new();
        let stdout = daemon.stdout.take().unwrap();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let address = line.trim().to_string();
        assert!(address.starts_with("unix:path="), "dbus-daemon printed {address:?}");
        Bus { daemon, address }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// The user's world as the test sets it up: a home with no XDG folders, a config directory,
/// a session bus.
struct Desk {
    dir: tempfile::TempDir,
    bus: Bus,
}

impl Desk {
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "config", "state", "cache", "run"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let bus = Bus::start(dir.path());
        Desk { dir, bus }
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    fn config_file(&self) -> PathBuf {
        self.path("config/rill/rill.toml")
    }

    /// A command with this desk's environment (and nothing of the caller's XDG settings).
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        for var in ["XDG_MUSIC_DIR", "XDG_VIDEOS_DIR", "XDG_PICTURES_DIR", "RILL_STATE_DIR"] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus.address);
        cmd
    }

    /// Starts `rill serve` with no folder argument on loopback; its output goes to `log`.
    fn serve(&self, log: &str) -> Server {
        self.serve_by(self.command(RILL), log)
    }

    /// [`Desk::serve`] with at most `fds` file descriptors (`prlimit`), so the server takes
    /// `(fds - 64) / 2` connections at once (`rill::serve`'s reserve).
    fn serve_with_fds(&self, fds: u64, log: &str) -> Server {
        let mut prlimit = self.command("prlimit");
        prlimit.arg(format!("--nofile={fds}")).arg(RILL);
        self.serve_by(prlimit, log)
    }

    /// Runs `command` (`rill`, or a wrapper that runs it) with `rill serve`'s arguments.
    fn serve_by(&self, mut command: Command, log: &str) -> Server {
        let log = std::fs::File::create(self.path(log)).unwrap();
        let child = command
            .args(["serve", "--interface", "lo", "--name", "Rill D-Bus test"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = Server { child };
        wait_until("the D-Bus interface", || {
            self.busctl(&["introspect", NAME, PATH]).status.success()
        });
        server
    }

    fn busctl(&self, args: &[&str]) -> Output {
        self.command("busctl").arg("--user").args(args).output().expect("busctl (systemd) runs")
    }

    fn rill(&self, args: &[&str], dir: &Path) -> Output {
        self.command(RILL).args(args).current_dir(dir).output().unwrap()
    }
}

/// A running `rill serve`, stopped with SIGTERM when dropped.
struct Server {
    child: Child,
}

impl Server {
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + WAIT;
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "rill did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Titles of the items in the served folder titled `title` (none if it is not listed). A
/// folder being unshared can go between listing its parent and browsing it (701, no such
/// object): the listing is then taken again, a bounded number of times.
fn items_in(cp: &Renderer, control: &str, title: &str) -> Vec<String> {
    let mut last = None;
    for _ in 0..20 {
        match try_items_in(cp, control, title) {
            Ok(items) => return items,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("Browse of the folder {title:?} kept failing: {last:?}")
}

/// One listing of [`items_in`]: the first Browse error ends it.
fn try_items_in(
    cp: &Renderer,
    control: &str,
    title: &str,
) -> Result<Vec<String>, rill_tests::renderer::Error> {
    let folders = cp.browse(control, &Browse::children(&Shelf::Folders.id().to_string()))?;
    let Some(folder) = folders.containers().find(|c| c.title == title) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut stack = vec![folder.id.clone()];
    while let Some(id) = stack.pop() {
        let children = cp.browse(control, &Browse::children(&id))?;
        stack.extend(children.containers().map(|c| c.id.clone()));
        out.extend(children.items().map(|i| i.title.clone()));
    }
    out.sort();
    Ok(out)
}

/// Waits for a NOTIFY that names the Folders container among its ContainerUpdateIDs (a
/// folder came or went there).
fn folders_evented(listener: &Subscriber, what: &str) {
    let folders = Shelf::Folders.id().to_string();
    let (_, event) =
        listener.until(WAIT, |e| e.container_update_ids().iter().any(|(id, _)| *id == folders));
    event.unwrap_or_else(|| panic!("no NOTIFY naming Folders after {what}"));
}

fn control_and_events(cp: &Renderer) -> (String, String) {
    let desc = cp.fetch_description(&format!("http://{HTTP}/rill/description.xml")).unwrap();
    let cd = desc.service(CONTENT_DIRECTORY).unwrap();
    (cd.control_url.clone(), cd.event_sub_url.clone())
}

#[test]
fn busctl_shares_a_folder_and_it_stays_shared() {
    isolated("busctl_shares_a_folder_and_it_stays_shared", || {
        let desk = Desk::new();
        let music = desk.path("Sammlung – Müsik mit Leerzeichen");
        for (i, title) in ["Eins", "Zwei", "Drei"].into_iter().enumerate() {
            let title = format!("TITLE={title}");
            tagged(&music, &format!("album/{i}.ogg"), &[&*title, "ARTIST=Ann"]);
        }
        let name = music.file_name().unwrap().to_str().unwrap();
        let music_text = music.to_str().unwrap();

        // No XDG folders, no config file: the demo, and the server starts anyway.
        let server = desk.serve("first.log");
        let cp = Renderer::new(Player::GENERIC);
        let (control, event_url) = control_and_events(&cp);
        let introspection = text(&desk.busctl(&["introspect", NAME, PATH]).stdout);
        for member in [".Share", ".Unshare", ".Folders", ".Players", ".Streams", ".Following"] {
            assert!(introspection.contains(member), "{member} in {introspection}");
        }
        let listener = Subscriber::listen().unwrap();
        cp.subscribe(&event_url, &listener.callback("/cd"), 300).unwrap().unwrap();
        listener.next(WAIT).expect("the initial event");
        let mut monitor = desk
            .command("dbus-monitor")
            .arg("--address")
            .arg(&desk.bus.address)
            .arg("type='signal',interface='org.freedesktop.DBus.Properties'")
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-monitor (Debian dbus-bin) runs");
        // dbus-monitor is listening once it has printed its own NameAcquired signal.
        let mut monitor_out = BufReader::new(monitor.stdout.take().unwrap());
        let mut line = String::new();
        monitor_out.read_line(&mut line).unwrap();

        let shared = desk.busctl(&["call", NAME, PATH, NAME, "Share", "as", "1", music_text]);
        assert!(shared.status.success(), "Share: {}", text(&shared.stderr));
        folders_evented(&listener, "Share");
        wait_until("the shared tracks in Browse", || items_in(&cp, &control, name).len() == 3);
        assert_eq!(items_in(&cp, &control, name), ["Drei", "Eins", "Zwei"]);
        // The property and its change signal.
        let folders = desk.busctl(&["--json=short", "get-property", NAME, PATH, NAME, "Folders"]);
        let folders = text(&folders.stdout);
        assert!(folders.starts_with("{\"type\":\"a(su)\""), "{folders}");
        assert!(folders.contains(&format!("[\"{music_text}\",3]")), "{folders}");
        let mut signals = String::new();
        while !signals.contains("Folders") {
            line.clear();
            assert!(monitor_out.read_line(&mut line).unwrap() > 0, "dbus-monitor ended");
            signals.push_str(&line);
        }
        assert!(signals.contains("PropertiesChanged"), "{signals}");
        let _ = monitor.kill();
        let _ = monitor.wait();

        // `rill status`: the folder, absolute, with its count; the players seen.
        let ps3 = Renderer::new(Player::PS3);
        ps3.browse(&control, &Browse::children("0")).unwrap();
        let status = desk.rill(&["status"], &desk.path("home"));
        assert!(status.status.success(), "{}", text(&status.stderr));
        let status = text(&status.stdout);
        assert!(status.contains(&format!("  {music_text} (3 media)")), "{status}");
        // A local folder: inotify, not polling.
        assert!(
            status.contains(&format!("  {music_text} (3 media)\n    changes: inotify\n")),
            "{status}"
        );
        let players = status.split("Players:").nth(1).unwrap_or_default();
        assert!(players.contains("  127.0.0.1 (Ps3)"), "{status}");
        assert!(status.contains("Streams:"), "{status}");
        // The connection counters: at least the PS3's Browse and the tests' own requests.
        let answers = status.split("Connections:\n  ").nth(1).unwrap_or_default();
        let served: u64 = answers.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        assert!(served >= 2, "{status}");

        // Unshared: gone from Browse, subscribers told.
        let unshared = desk.busctl(&["call", NAME, PATH, NAME, "Unshare", "as", "1", music_text]);
        assert!(unshared.status.success(), "Unshare: {}", text(&unshared.stderr));
        folders_evented(&listener, "Unshare");
        assert!(items_in(&cp, &control, name).is_empty());
        let bad = desk.busctl(&["call", NAME, PATH, NAME, "Share", "as", "1", "relative/path"]);
        assert!(!bad.status.success());

        // `rill share` with a relative path, from the folder above.
        let parent = music.parent().unwrap();
        let shared = desk.rill(&["share", name], parent);
        assert!(shared.status.success(), "rill share: {}", text(&shared.stderr));
        wait_until("tracks after `rill share`", || items_in(&cp, &control, name).len() == 3);
        let config = std::fs::read_to_string(desk.config_file()).unwrap();
        assert!(config.contains(&format!("\"{music_text}\"")), "{config}");
        server.stop();

        // After a restart the folder is still shared, read from the config file.
        let server = desk.serve("second.log");
        let cp = Renderer::new(Player::GENERIC);
        let (control, _) = control_and_events(&cp);
        wait_until("tracks after a restart", || items_in(&cp, &control, name).len() == 3);
        let status = text(&desk.rill(&["status"], parent).stdout);
        assert!(status.contains(&format!("  {music_text} (3 media)")), "{status}");

        // An edit of the config file by hand is applied; a broken one is not.
        std::fs::write(desk.config_file(), "folders = []\n").unwrap();
        wait_until("the hand-edited config applied", || items_in(&cp, &control, name).is_empty());
        std::fs::write(desk.config_file(), "folders = [\"not absolute\"\n").unwrap();
        std::thread::sleep(Duration::from_secs(1));
        let log = std::fs::read_to_string(desk.path("second.log")).unwrap();
        assert!(log.contains("config file not applied"), "{log}");
        server.stop();
    });
}

#[test]
fn without_a_server_share_edits_the_config_file() {
    let desk = Desk::new();
    let dir = desk.path("Filme und Hörspiele");
    std::fs::create_dir_all(&dir).unwrap();
    let shared = desk.rill(&["share", "Filme und Hörspiele"], &desk.path(""));
    assert!(shared.status.success(), "{}", text(&shared.stderr));
    assert!(text(&shared.stdout).contains("No Rill server is running"), "{}", text(&shared.stdout));
    let config = std::fs::read_to_string(desk.config_file()).unwrap();
    assert!(config.contains(&format!("\"{}\"", dir.display())), "{config}");
    let missing = desk.rill(&["share", "no such folder"], &desk.path(""));
    assert!(!missing.status.success());
    let unshared = desk.rill(&["unshare", dir.to_str().unwrap()], &desk.path(""));
    assert!(unshared.status.success(), "{}", text(&unshared.stderr));
    let config = std::fs::read_to_string(desk.config_file()).unwrap();
    assert!(!config.contains("Filme"), "{config}");
    // `rill status` with no server: an error, said plainly.
    let status = desk.rill(&["status"], &desk.path(""));
    assert!(!status.status.success());
    assert!(text(&status.stderr).contains("no Rill server is running"), "{}", text(&status.stderr));
}

#[test]
fn serves_without_a_session_bus() {
    isolated("serves_without_a_session_bus", || {
        let desk = Desk::new();
        let log_path = desk.path("nobus.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = desk
            .command(RILL)
            .args(["serve", "--interface", "lo"])
            .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", desk.path("no-bus").display()))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = Server { child };
        let cp = Renderer::new(Player::GENERIC);
        let location = format!("http://{HTTP}/rill/description.xml");
        wait_until("HTTP", || cp.fetch_description(&location).is_ok());
        wait_until("the log line", || {
            let log = std::fs::read_to_string(&log_path).unwrap();
            log.lines().filter(|l| l.contains("no D-Bus interface")).count() == 1
        });
        server.stop();
    });
}

#[test]
fn default_folders_are_the_xdg_music_videos_and_pictures_that_exist() {
    isolated("default_folders_are_the_xdg_music_videos_and_pictures_that_exist", || {
        let desk = Desk::new();
        // Localised names, as xdg-user-dirs-update writes them; no Pictures folder on disk.
        std::fs::write(
            desk.path("config/user-dirs.dirs"),
            "XDG_MUSIC_DIR=\"$HOME/Musik\"\nXDG_VIDEOS_DIR=\"$HOME/Videos mit Ä\"\n\
             XDG_PICTURES_DIR=\"$HOME/Bilder\"\n",
        )
        .unwrap();
        let (music, videos) = (desk.path("home/Musik"), desk.path("home/Videos mit Ä"));
        tagged(&music, "a.ogg", &["TITLE=A"]);
        std::fs::create_dir_all(&videos).unwrap();
        let server = desk.serve("xdg.log");
        let expected = [
            format!("  {} (1 media)", music.display()),
            format!("  {} (0 media)", videos.display()),
        ];
        wait_until("the XDG folders in `rill status`", || {
            let status = text(&desk.rill(&["status"], &desk.path("home")).stdout);
            expected.iter().all(|line| status.contains(line))
        });
        let status = text(&desk.rill(&["status"], &desk.path("home")).stdout);
        assert!(!status.contains("Bilder") && !status.contains("demo"), "{status}");
        server.stop();
    });
}

/// The number just before `what` in `rill status`'s output (0 if absent).
fn count_in(status: &str, what: &str) -> u64 {
    let before = status.split(what).next().unwrap_or_default();
    let number = before.rsplit([' ', '(']).next().unwrap_or_default();
    number.parse().unwrap_or(0)
}

/// Issue 16 item 4: every kind of failure that ends a request or a connection is counted where
/// `rill status` shows it: a client gone mid-body, a rendition that cannot be opened, a request
/// that cannot be parsed, and a connection refused because every slot is taken.
#[test]
fn rill_status_counts_every_kind_of_failure() {
    isolated("rill_status_counts_every_kind_of_failure", || {
        let desk = Desk::new();
        let music = desk.path("Failures");
        tagged(&music, "song.ogg", &["TITLE=Cut short"]);
        // 120 s of 16-bit stereo noise, 21 MB: far more than the sockets hold.
        let wav = music.join("noise.wav");
        let made = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-f", "lavfi", "-i", "anoisesrc=d=120:c=white:r=44100"])
            .args(["-ac", "2"])
            .arg(&wav)
            .status()
            .expect("ffmpeg runs");
        assert!(made.success());
        let shared = desk.rill(&["share", "Failures"], &desk.path(""));
        assert!(shared.status.success(), "{}", text(&shared.stderr));
        // 80 descriptors: eight connections at once.
        let server = desk.serve_with_fds(80, "failures.log");
        let cp = Renderer::new(Player::GENERIC);
        let (control, _) = control_and_events(&cp);
        let mut found = Vec::new();
        wait_until("both files in Browse", || {
            let folders = Browse::children(&Shelf::Folders.id().to_string());
            let folders = cp.browse(&control, &folders).unwrap();
            let Some(folder) = folders.containers().find(|c| c.title == "Failures") else {
                return false;
            };
            found = cp
                .browse(&control, &Browse::children(&folder.id))
                .unwrap()
                .items()
                .cloned()
                .collect();
            found.len() == 2
        });
        let song = found.iter().find(|i| i.title == "Cut short").expect("the song");
        let l16 = song.res.iter().find(|r| r.url.ends_with(".l16")).expect("an L16 rendition");
        let noise = found.iter().find(|i| i.title != "Cut short").expect("the noise");
        let (l16, noise) = (l16.url.clone(), noise.res[0].url.clone());

        // A rendition that cannot be opened: the song cut short after the scan, asked for
        // at once (well within the watcher's settling time, so it is still listed): 500.
        let song = std::fs::OpenOptions::new().write(true).open(music.join("song.ogg")).unwrap();
        song.set_len(200).unwrap();
        assert_eq!(cp.get(&l16, &[]).unwrap().status, 500, "{l16}");

        // A client gone mid-body: it reads the head and a little, then leaves with the rest
        // unread (a reset).
        let url = Url::parse(&noise).unwrap();
        let mut gone = Client::connect(url.addr).unwrap();
        gone.send("GET", &url, &[], &[]).unwrap();
        assert_eq!(gone.read_head().unwrap().status, 200);
        assert_eq!(gone.read_body(64 * 1024).unwrap().len(), 64 * 1024);
        drop(gone);

        // A request that cannot be parsed: 400, and the connection is closed.
        let mut garbage = Client::connect(url.addr).unwrap();
        garbage.send_raw(b"GARBAGE\r\n\r\n").unwrap();
        assert_eq!(garbage.read_response().unwrap().status, 400);

        // Every slot taken by a kept-alive connection: the next one is refused with 503.
        let description = url.join("/rill/description.xml").unwrap();
        let mut held = Vec::new();
        let refused = loop {
            assert!(held.len() <= 8, "more than eight connections served at once");
            let mut c = Client::connect(url.addr).unwrap();
            match c.request("GET", &description, &[], &[]).unwrap().status {
                200 => held.push(c),
                status => break status,
            }
        };
        assert_eq!(refused, 503);

        // `rill status` counts each once.
        let status = || text(&desk.rill(&["status"], &desk.path("home")).stdout);
        wait_until("the failures in `rill status`", || {
            let s = status();
            count_in(&s, " by the client's fault") >= 2 && count_in(&s, " refused") >= 1
        });
        let s = status();
        let connections = s.split("Connections:").nth(1).unwrap_or_default();
        assert_eq!(count_in(connections, " client errors"), 1, "the 400: {s}");
        assert_eq!(count_in(connections, " server errors"), 1, "the 500: {s}");
        assert_eq!(count_in(connections, " by the client's fault"), 2, "gone, garbage: {s}");
        assert_eq!(count_in(connections, " by Rill's"), 0, "{s}");
        assert_eq!(count_in(connections, " refused"), 1, "{s}");
        drop(held);
        server.stop();
    });
}
