//! Memory per idle connection: the `rill` binary serving on loopback in the test's own network
//! namespace takes 1,000 keep-alive connections, each after one answered request and all still
//! open, and its resident memory (`VmRSS`) grows by at most 20 MB (20·10^6 bytes) for them.
//! Half of them asked for the device description, half for 128 KiB of a track's L16 transcode
//! (whose send buffer must be gone once the answer is sent). At the end every connection
//! answers a second request, so all were open while measured.
//!
//! The figure per connection is printed (`--nocapture`) for BENCHMARKS.md's "Memory per
//! connection".

use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rill_tests::corpus::Spec;
use rill_tests::renderer::http::Client;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Player, Renderer, Url, CONTENT_DIRECTORY};

/// Connections held open at once.
const CONNECTIONS: usize = 1_000;

/// The most the server's resident memory may grow for them (issue 16: 20 MB).
const BUDGET: u64 = 20_000_000;

/// How long the server is left alone before each measurement (freed memory returned, lazy
/// start-up work done).
const SETTLE: Duration = Duration::from_secs(1);

/// How long the server may take to start answering.
const START: Duration = Duration::from_secs(20);

/// The server's HTTP address: its own network namespace, so the default port is free.
const HTTP: &str = "127.0.0.1:8210";

/// `rill serve`, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// The server's resident memory in bytes, from `/proc/PID/status`.
    fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in status");
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib * 1024
    }
}

/// Lets this process hold the connections: the soft limit on open files raised to the hard
/// limit, which must allow them (a hard limit too low fails the test; it is not skipped).
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
    }
    let need = u64::try_from(CONNECTIONS).unwrap() + 64;
    assert!(hard >= need, "the hard limit on open files ({hard}) is below {need}");
}

/// The bytes of the transcode each of its connections asks for.
const RANGE: (&str, &str) = ("Range", "bytes=0-131071");

/// A fresh keep-alive connection that has had its request for `url` answered.
fn answered(url: &Url) -> Client {
    let mut client = Client::connect(url.addr).unwrap();
    ask(&mut client, url);
    client
}

/// One GET of `url` on `client`: the description whole, a transcode's [`RANGE`]; the
/// connection must stay open.
fn ask(client: &mut Client, url: &Url) {
    if url.path.ends_with(".xml") {
        let got = client.request("GET", url, &[], &[]).unwrap();
        assert_eq!(got.status, 200, "{}", String::from_utf8_lossy(&got.body));
    } else {
        let got = client.request("GET", url, &[RANGE], &[]).unwrap();
        assert_eq!((got.status, got.body.len()), (206, 131_072), "{}", url.path);
    }
    assert!(!client.is_closed(), "the connection was kept alive");
}

/// The URL of the L16 transcode of the one track served at `description`, once the scan has
/// put it in the library.
fn transcode_url(description: &str) -> Url {
    let ps3 = Renderer::new(Player::PS3);
    let desc = ps3.fetch_description(description).unwrap();
    let control = &desc.service(CONTENT_DIRECTORY).unwrap().control_url;
    let started = Instant::now();
    loop {
        let mut id = "0".to_string();
        for title in ["Folders", "media"] {
            let kids = ps3.browse(control, &Browse::children(&id)).unwrap().objects;
            id = kids.into_iter().find(|o| o.title == title).unwrap().id;
        }
        let tracks = ps3.browse(control, &Browse::children(&id)).unwrap().objects;
        let l16 = tracks
            .iter()
            .flat_map(|o| &o.res)
            .find(|r| r.mime().is_some_and(|m| m.starts_with("audio/L16")));
        if let Some(res) = l16 {
            return Url::parse(&res.url).unwrap();
        }
        assert!(started.elapsed() < START, "the track was not listed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_thousand_idle_keep_alive_connections_fit_in_20_mb() {
    isolated("a_thousand_idle_keep_alive_connections_fit_in_20_mb", || {
        raise_fd_limit();
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir_all(&media).unwrap();
        std::fs::copy(Spec::stereo(3).path(), media.join("track.ogg")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rill"));
        for var in ["DBUS_SESSION_BUS_ADDRESS", "XDG_MUSIC_DIR", "RUST_LOG"] {
            cmd.env_remove(var);
        }
        for (var, sub) in
            [("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")]
        {
            cmd.env(var, dir.path().join(sub));
        }
        let server = Server(
            cmd.args(["serve", "--interface", "lo", "--name", "Idle memory test"])
                .arg(&media)
                .env("RILL_STATE_DIR", dir.path().join("state"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("rill serve starts"),
        );
        let description = format!("http://{HTTP}/rill/description.xml");
        let url = Url::parse(&description).unwrap();
        let addr: SocketAddr = HTTP.parse().unwrap();
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(started.elapsed() < START, "rill serve does not answer");
            std::thread::sleep(Duration::from_millis(20));
        }

        let transcode = transcode_url(&description);
        let urls = [&url, &transcode];

        // The baseline: the server warmed up by one answered connection of each kind, then
        // left alone.
        drop((answered(&url), answered(&transcode)));
        std::thread::sleep(SETTLE);
        let before = server.rss();
        let clients: Vec<(Client, &Url)> =
            (0..CONNECTIONS).map(|i| urls[i % 2]).map(|url| (answered(url), url)).collect();
        std::thread::sleep(SETTLE);
        let after = server.rss();
        let grown = after.saturating_sub(before);
        eprintln!(
            "idle memory: {CONNECTIONS} connections, RSS {before} -> {after} bytes, \
             {} bytes per connection",
            grown / u64::try_from(CONNECTIONS).unwrap()
        );
        assert!(grown <= BUDGET, "{CONNECTIONS} idle connections took {grown} bytes");

        // Every one was open all along: each answers again.
        for (mut client, url) in clients {
            ask(&mut client, url);
        }
    });
}
