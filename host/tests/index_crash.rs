//! The library index survives `kill -9` (issue 17): `rill serve` on a generated library of
//! tagged FLAC files is killed at random moments of its first scan, then of its work on
//! changes made while it runs, several times over; started once more on what is left, it
//! lists exactly what a server starting from nothing lists (the same objects, ids, titles,
//! albums and order). A damaged index file is then set aside, with one log line, and rebuilt.
//! Only `--interface lo` is used, so the test runs inside the CI's network namespace.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use rill_tests::library_gen::{snapshot, Base, Library, Track};
use rill_tests::renderer::{Player, Renderer, CONTENT_DIRECTORY};

/// Files in the library: enough that the first scan takes a while to kill it in.
const FILES: usize = 5_000;

/// Generous bound on each wait, so a broken build fails instead of hanging.
const WAIT: Duration = Duration::from_secs(120);

/// A running `rill serve`, its log lines, and its ContentDirectory control URL.
struct Rill {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far.
    seen: Vec<String>,
    location: String,
}

impl Rill {
    /// Starts `rill serve` on `media` with its index under `cache`, once it says where it is.
    fn start(dir: &Path, media: &Path, cache: &Path) -> Rill {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rill"))
            .args(["serve", "--interface", "lo", "--port", "0", "--name", "crash test"])
            .arg("--cache-dir")
            .arg(cache)
            .arg(media)
            .env("RILL_STATE_DIR", dir.join("state"))
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = rill_tests::process::lines(child.stderr.take().unwrap());
        let mut rill = Rill { child, lines, seen: Vec::new(), location: String::new() };
        let line = rill.wait_for("LOCATION http://");
        let at = line.find("LOCATION ").unwrap() + "LOCATION ".len();
        rill.location = line[at..].split_whitespace().next().unwrap().to_string();
        rill
    }

    /// The first log line from now on containing `text`.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("rill did not log {text:?}");
                }
            }
        }
    }

    /// The first log line containing `text`, among those already read (the first scan starts
    /// beside the listeners, so its first line may come before `LOCATION`) or from now on.
    fn logged(&mut self, text: &str) -> String {
        match self.seen.iter().find(|l| l.contains(text)) {
            Some(line) => line.clone(),
            None => self.wait_for(text),
        }
    }

    /// What it lists, once its first scan (or check) is done.
    fn listing(&mut self) -> Vec<(String, String, String, String)> {
        self.wait_for("library built");
        let cp = Renderer::new(Player::GENERIC);
        let desc = cp.fetch_description(&self.location).unwrap();
        let control = desc.service(CONTENT_DIRECTORY).unwrap().control_url.clone();
        snapshot(&cp, &control)
    }

    /// `kill -9`; whether its first scan (or check) had finished by then.
    fn kill(mut self) -> bool {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.seen.extend(self.lines.iter());
        self.seen.iter().any(|l| l.contains("library built"))
    }

    /// Stops it with SIGTERM and returns every line it logged.
    fn stop(mut self) -> Vec<String> {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        kill(pid, Signal::SIGTERM).unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit status {status}");
        // The reader thread ends with the pipe.
        while let Ok(line) = self.lines.recv_timeout(WAIT) {
            self.seen.push(line);
        }
        self.seen
    }
}

/// A small xorshift generator; the seed is printed so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Changes to the library, the same whatever moment the server is killed at: file `n` of
/// round `round` is rewritten, removed or added by `n` alone.
fn change(library: &Library, base: &Base, round: u32, n: usize) {
    match n % 3 {
        0 => {
            library.rewrite(base, n, round);
        }
        1 => {
            let _ = std::fs::remove_file(library.dir.join(Track::new(n, 0).rel));
        }
        _ => {
            let track = Track::new(FILES + n, round);
            let path = library.dir.join(&track.rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, base.tagged(&track.tags)).unwrap();
        }
    }
}

#[test]
fn killed_during_scans_and_updates_the_index_still_gives_a_fresh_scans_library() {
    let dir = tempfile::tempdir().unwrap();
    let media: PathBuf = dir.path().join("media");
    let cache = dir.path().join("cache");
    let base = Base::new();
    let library = Library::write(&base, &media, FILES);
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64
            | 1;
    eprintln!("seed {seed}");
    let mut rng = Rng(seed);

    // Killed during the first scan, three times: each start goes on from what was indexed.
    let mut mid_scan = 0;
    for _ in 0..3 {
        let mut rill = Rill::start(dir.path(), &media, &cache);
        rill.logged("reading the served folders into the library");
        thread::sleep(Duration::from_millis(rng.below(100)));
        mid_scan += usize::from(!rill.kill());
    }
    assert!(mid_scan > 0, "no kill landed during a scan");
    // Killed while it takes in changes, three times: 60 changes, the kill somewhere among
    // them; the rest are made while it is down.
    for round in 1..=3u32 {
        let mut rill = Rill::start(dir.path(), &media, &cache);
        rill.wait_for("library built");
        let kill_at = rng.below(60) as usize;
        let mut rill = Some(rill);
        for i in 0..60 {
            if i == kill_at {
                thread::sleep(Duration::from_millis(rng.below(1500)));
                if let Some(rill) = rill.take() {
                    rill.kill();
                }
            }
            change(&library, &base, round, (round as usize * 97 + i * 31) % FILES);
        }
    }

    let mut rill = Rill::start(dir.path(), &media, &cache);
    let restarted = rill.listing();
    rill.stop();
    let fresh_cache = dir.path().join("fresh");
    let mut fresh = Rill::start(dir.path(), &media, &fresh_cache);
    let want = fresh.listing();
    fresh.stop();
    assert!(want.len() > FILES, "the fresh scan lists the library: {} rows", want.len());
    let differ: Vec<_> = restarted.iter().zip(&want).filter(|(a, b)| a != b).take(5).collect();
    assert!(
        restarted.len() == want.len() && differ.is_empty(),
        "after the kills: {} rows against {} from a fresh scan; first differences {differ:?}",
        restarted.len(),
        want.len()
    );

    // A damaged index: set aside with one log line, rebuilt, the same library listed.
    let index = cache.join(rill::index::FILE_NAME);
    let mut bytes = std::fs::read(&index).unwrap();
    for b in bytes.iter_mut().take(4096) {
        *b ^= 0x5a;
    }
    std::fs::write(&index, bytes).unwrap();
    let mut rill = Rill::start(dir.path(), &media, &cache);
    let rebuilt = rill.listing();
    let log = rill.stop();
    assert_eq!(rebuilt, want, "the library rebuilt after the damaged index was set aside");
    let aside: Vec<_> = log.iter().filter(|l| l.contains("set aside")).collect();
    let about: Vec<_> = log.iter().filter(|l| l.contains("index")).collect();
    assert_eq!(aside.len(), 1, "one log line: {aside:?}; {about:?}");
    assert!(cache.join(format!("{}.corrupt", rill::index::FILE_NAME)).exists());
}
