//! Load: many concurrent players for a bounded time against the `rill` binary, and the same load
//! of plain file streaming against Rill and MiniDLNA side by side.
//!
//! `bench/load` builds what it needs and runs this (`cargo bench -p rill-tests --bench load`,
//! with `RILL_BIN` naming a release `rill` binary; `RILL_LOAD_CLIENTS` and `RILL_LOAD_SECS`
//! change the defaults of 200 clients for 30 s, `RILL_LOAD_PHASES` picks phases by name). Each
//! phase runs inside [`isolated`] (a private network namespace holding only `lo`), and every
//! server binds loopback only.
//!
//! The library is four 60-second stereo 44.1 kHz files made by oggenc (q2 to q5), with their
//! L16 renditions decoded here with `VorbisFile` as the reference.
//! - L16 phase (Rill): each client keeps a connection alive and, until the time is up, asks for
//!   a random track's L16 rendition with a random `Range: bytes=` span (up to 512 KiB) or a
//!   random `TimeSeekRange.dlna.org: npt=S-E` (up to 3 s), and compares every byte received with
//!   the reference at the position the answer names.
//! - Raw phase (Rill, then MiniDLNA on the same folder): the same with random byte ranges (up to
//!   256 KiB) of the original files, compared with the files.
//!
//! Reported per phase: requests, errors (any I/O error, unexpected status or byte mismatch), MB/s
//! of verified body bytes, request latency percentiles, and the server's memory sampled every
//! 250 ms: before the load, its peak, and after. Memory is the proportional set size (`Pss`) of
//! the server's processes, since MiniDLNA forks a child for each file transfer.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/ogg_util/mod.rs"]
mod ogg_util;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rill_core::media::vorbis_file::VorbisFile;
use rill_tests::corpus::{Encoder, Rng, Spec};
use rill_tests::renderer::didl::Object;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Client, Player, Renderer, Response, Url};

/// Most requests one client makes, whatever the time.
const MAX_REQUESTS: u64 = 1_000_000;
const L16_SPAN: u64 = 512 << 10;
const RAW_SPAN: u64 = 256 << 10;
const RILL_PORT: u16 = 8200;
const MINIDLNA_PORT: u16 = 8201;
const WORK: &str = "rill-bench/load";

/// A track: its name (file stem), file bytes and reference L16 rendition.
struct Track {
    name: String,
    file: Vec<u8>,
    l16: Vec<u8>,
}

fn main() {
    let clients = env_number("RILL_LOAD_CLIENTS", 200);
    let secs = env_number("RILL_LOAD_SECS", 30);
    let rill = std::env::var_os("RILL_BIN").map(PathBuf::from).unwrap_or_else(default_rill);
    let work = std::env::temp_dir().join(WORK);
    let lib = work.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let tracks: Vec<Track> = (2..=5)
        .map(|q| {
            let spec = Spec {
                quality: q,
                channels: 2,
                rate: 44_100,
                frames: 44_100 * 60,
                encoder: Encoder::Oggenc,
            };
            let name = format!("track-q{q}");
            let file = std::fs::read(spec.path()).unwrap();
            std::fs::write(lib.join(format!("{name}.ogg")), &file).unwrap();
            let l16 = l16(&file);
            Track { name, file, l16 }
        })
        .collect();
    let tracks = Arc::new(tracks);
    let load = Load { clients, time: Duration::from_secs(secs) };
    println!("{clients} clients for {secs} s each phase; library {}", lib.display());
    phase("load-l16", || {
        let server = Server::rill(&rill, &lib, &work);
        let urls = urls(&server, &tracks, "audio/L16");
        load.run("Rill, L16 with random seeks", &server, &tracks, &urls, Kind::L16);
    });
    phase("load-raw-rill", || {
        let server = Server::rill(&rill, &lib, &work);
        let urls = urls(&server, &tracks, "audio/ogg");
        load.run("Rill, file ranges", &server, &tracks, &urls, Kind::Raw);
    });
    phase("load-raw-minidlna", || {
        let server = Server::minidlna(&lib, &work);
        let urls = urls(&server, &tracks, "");
        load.run("MiniDLNA, file ranges", &server, &tracks, &urls, Kind::Raw);
    });
}

/// Runs `body` in its own namespace. [`isolated`] runs this binary again inside, where only
/// the phase it was started for may run. `RILL_LOAD_PHASES` (names, comma-separated) runs only
/// those phases, as `bench/engine-vs-old.sh` does for Rill's two.
fn phase(name: &str, body: impl FnOnce()) {
    let wanted = match std::env::var("RILL_LOAD_PHASES") {
        Ok(phases) => phases.split(',').any(|p| p == name),
        Err(_) => true,
    };
    match std::env::var("RILL_TEST_NETNS") {
        Ok(inside) if inside != name => {}
        _ if !wanted => {}
        _ => isolated(name, body),
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `target/release/rill`, next to this bench's `deps` folder.
fn default_rill() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().join("rill")
}

/// The L16 rendition of `file`: a full linear decode, big-endian samples.
fn l16(file: &[u8]) -> Vec<u8> {
    let mut f = VorbisFile::open(ogg_util::Mem::new(file.to_vec())).unwrap();
    let mut buf = vec![0i16; 8192];
    let mut out = Vec::new();
    loop {
        let frames = f.read_i16(&mut buf).unwrap();
        if frames == 0 {
            return out;
        }
        buf[..frames * 2].iter().for_each(|s| out.extend_from_slice(&s.to_be_bytes()));
    }
}

/// A server process on loopback, killed when dropped.
struct Server {
    child: Child,
    control: String,
    /// The object whose items are the tracks.
    root: &'static str,
}

impl Server {
    fn rill(bin: &Path, lib: &Path, work: &Path) -> Server {
        let state = work.join("rill-state");
        let child = Command::new(bin)
            .args(["serve", "--interface", "lo", "--port", &RILL_PORT.to_string()])
            .arg("--state-dir")
            .arg(&state)
            .arg(lib)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let addr = SocketAddr::from(([127, 0, 0, 1], RILL_PORT));
        Server { child, control: format!("http://{addr}/rill/cd/control"), root: "0" }
    }

    fn minidlna(lib: &Path, work: &Path) -> Server {
        let db = work.join("minidlna-db");
        let _ = std::fs::remove_dir_all(&db);
        std::fs::create_dir_all(&db).unwrap();
        let conf = work.join("minidlna.conf");
        std::fs::write(
            &conf,
            format!(
                "port={MINIDLNA_PORT}\nnetwork_interface=lo\nmedia_dir={}\ndb_dir={}\n\
                 log_dir={}\ninotify=no\nfriendly_name=bench-minidlna\nmax_connections=1000\n",
                lib.display(),
                db.display(),
                work.display()
            ),
        )
        .unwrap();
        let child = Command::new("minidlnad")
            .arg("-S")
            .arg("-f")
            .arg(&conf)
            .arg("-P")
            .arg(work.join("minidlna.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("minidlnad (apt-get install minidlna)");
        let addr = SocketAddr::from(([127, 0, 0, 1], MINIDLNA_PORT));
        // Its "Browse Folders" container.
        Server { child, control: format!("http://{addr}/ctl/ContentDir"), root: "64" }
    }

    /// Proportional set size of the server's processes (MiniDLNA forks a child per file
    /// transfer; pages they share count once), in KiB.
    fn pss_kib(&self) -> u64 {
        pss_tree(self.child.id())
    }
}

/// `Pss` of `pid` and, recursively, its children, in KiB.
fn pss_tree(pid: u32) -> u64 {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let own = rollup
        .lines()
        .find(|l| l.starts_with("Pss:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten();
    let children: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| c.split_whitespace().filter_map(|p| p.parse().ok()).collect::<Vec<u32>>())
        .map(pss_tree)
        .sum();
    own + children
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The URL of each track's first `res` whose MIME type starts with `mime`, once the server
/// lists them all (bounded wait).
fn urls(server: &Server, tracks: &[Track], mime: &str) -> Vec<Url> {
    let cp = Renderer::new(Player::GENERIC);
    let start = Instant::now();
    loop {
        if let Some(items) = items(&cp, &server.control, server.root) {
            let found: Option<Vec<Url>> = tracks
                .iter()
                .map(|t| {
                    let item = items.iter().find(|o| o.title == t.name)?;
                    let res =
                        item.res.iter().find(|r| r.mime().is_some_and(|m| m.starts_with(mime)))?;
                    Url::parse(&res.url).ok()
                })
                .collect();
            if let Some(found) = found {
                return found;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the server never listed the tracks");
        thread::sleep(Duration::from_millis(100));
    }
}

/// Every item under `id`, or `None` if the server does not answer (yet).
fn items(cp: &Renderer, control: &str, id: &str) -> Option<Vec<Object>> {
    let mut out = Vec::new();
    for o in cp.browse(control, &Browse::children(id)).ok()?.objects {
        if o.is_container {
            out.extend(items(cp, control, &o.id)?);
        } else {
            out.push(o);
        }
    }
    Some(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    L16,
    Raw,
}

struct Load {
    clients: u64,
    time: Duration,
}

/// What one client did.
#[derive(Default)]
struct Tally {
    requests: u64,
    errors: u64,
    bytes: u64,
    latencies: Vec<Duration>,
    first_error: Option<String>,
}

impl Load {
    fn run(&self, what: &str, server: &Server, tracks: &Arc<Vec<Track>>, urls: &[Url], kind: Kind) {
        let idle = server.pss_kib();
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (done, pid) = (Arc::clone(&done), server.child.id());
            thread::spawn(move || {
                let mut peak = 0u64;
                while !done.load(Ordering::Relaxed) {
                    peak = peak.max(pss_tree(pid));
                    thread::sleep(Duration::from_millis(250));
                }
                peak
            })
        };
        let deadline = Instant::now() + self.time;
        let started = Instant::now();
        let workers: Vec<_> = (0..self.clients)
            .map(|i| {
                let (tracks, urls) = (Arc::clone(tracks), urls.to_vec());
                thread::Builder::new()
                    .stack_size(256 << 10)
                    .spawn(move || client(i, &tracks, &urls, kind, deadline))
                    .unwrap()
            })
            .collect();
        let mut total = Tally::default();
        for w in workers {
            let t = w.join().unwrap();
            total.requests += t.requests;
            total.errors += t.errors;
            total.bytes += t.bytes;
            total.latencies.extend(t.latencies);
            total.first_error = total.first_error.or(t.first_error);
        }
        let elapsed = started.elapsed().as_secs_f64();
        done.store(true, Ordering::Relaxed);
        let peak = sampler.join().unwrap();
        let after = server.pss_kib();
        total.latencies.sort();
        let pct = |p: usize| {
            let n = total.latencies.len();
            total.latencies.get((n * p / 100).min(n.saturating_sub(1))).copied().unwrap_or_default()
        };
        println!("\n{what}: {} clients, {elapsed:.1} s", self.clients);
        println!(
            "  requests {} ({:.0}/s), errors {}",
            total.requests,
            total.requests as f64 / elapsed,
            total.errors
        );
        if let Some(e) = &total.first_error {
            println!("  first error: {e}");
        }
        println!(
            "  verified body bytes {:.1} MB ({:.1} MB/s)",
            total.bytes as f64 / 1e6,
            total.bytes as f64 / 1e6 / elapsed
        );
        println!(
            "  latency per request: median {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(pct(50)),
            ms(pct(90)),
            ms(pct(99)),
            ms(total.latencies.last().copied().unwrap_or_default())
        );
        println!("  server memory (PSS): before {idle} KiB, peak {peak} KiB, after {after} KiB");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One client's loop (see the module docs).
fn client(i: u64, tracks: &[Track], urls: &[Url], kind: Kind, deadline: Instant) -> Tally {
    let mut rng = Rng::new(0x10ad + i);
    let mut tally = Tally::default();
    let mut conn: Option<Client> = None;
    while Instant::now() < deadline && tally.requests < MAX_REQUESTS {
        let t = rng.below(tracks.len() as u64) as usize;
        let (track, url) = (&tracks[t], &urls[t]);
        let reference = if kind == Kind::L16 { &track.l16 } else { &track.file };
        let len = reference.len() as u64;
        let time_seek = kind == Kind::L16 && rng.below(2) == 0;
        let (header, value) = if time_seek {
            let start_ms = rng.below(59_000);
            let end_ms = start_ms + 1 + rng.below(3000);
            let value = format!(
                "npt={}.{:03}-{}.{:03}",
                start_ms / 1000,
                start_ms % 1000,
                end_ms / 1000,
                end_ms % 1000
            );
            ("TimeSeekRange.dlna.org", value)
        } else {
            let max = if kind == Kind::L16 { L16_SPAN } else { RAW_SPAN };
            let first = rng.below(len);
            let last = first + rng.below(max.min(len - first));
            ("Range", format!("bytes={first}-{last}"))
        };
        let begun = Instant::now();
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Client::connect(url.addr) {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    fail(&mut tally, format!("connect: {e}"));
                    continue;
                }
            },
        };
        tally.requests += 1;
        let checked = c
            .request("GET", url, &[(header, value.as_str())], &[])
            .map_err(|e| format!("{header}: {value}: {e}"))
            .and_then(|r| check(&r, header, &value, reference));
        match checked {
            Ok(n) => {
                tally.bytes += n;
                tally.latencies.push(begun.elapsed());
                if c.is_closed() {
                    conn = None;
                }
            }
            Err(e) => {
                fail(&mut tally, e);
                conn = None;
            }
        }
    }
    tally
}

fn fail(tally: &mut Tally, e: String) {
    tally.errors += 1;
    tally.first_error.get_or_insert(e);
    // A failing server is not hammered in a tight loop.
    thread::sleep(Duration::from_millis(10));
}

/// Checks an answer against the reference; returns the body length.
fn check(r: &Response, header: &str, value: &str, reference: &[u8]) -> Result<u64, String> {
    let span = if header == "Range" {
        if r.status != 206 {
            return Err(format!("{value}: status {}", r.status));
        }
        r.header("content-range").and_then(|v| v.strip_prefix("bytes ")).and_then(span)
    } else {
        if r.status != 200 {
            return Err(format!("{value}: status {}", r.status));
        }
        let echo = r.header("timeseekrange.dlna.org").unwrap_or_default();
        echo.split_once("bytes=").and_then(|(_, s)| span(s))
    };
    let (first, last) = span.ok_or_else(|| format!("{value}: no byte span in the answer"))?;
    let want = reference.get(first as usize..=last as usize).ok_or("span past the end")?;
    if r.body != want {
        return Err(format!("{value}: bytes {first}-{last} differ from the reference"));
    }
    Ok(r.body.len() as u64)
}

/// `FIRST-LAST/LEN` as `(FIRST, LAST)`.
fn span(s: &str) -> Option<(u64, u64)> {
    let (range, _) = s.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    Some((first.trim().parse().ok()?, last.trim().parse().ok()?))
}
