//! The host never blocks its async workers (issue 16, item 2): a real Rill server (in-process,
//! one async worker) serves a folder holding a file on a FUSE mount the test controls
//! ([`rill_tests::hangfs`]) whose reads hang on demand, as a dead network mount's would.
//!
//! While more clients than the server has async workers stream that file (as it is, with
//! `sendfile`, and as an L16 rendition, whose decoder reads it), other clients on fresh
//! connections browse and fetch 64 KiB ranges of other files and of their L16 renditions: each
//! kind of request gains at most [`GAIN`] at the median over the same requests made before the
//! hang, and none waits [`NEVER`]. Then more streams of the hanging file fill the blocking pool
//! ([`rill::pool::SIZE`] places): the next stream is answered 503 after waiting at most
//! [`rill::pool::WAIT`], and Browse still answers at once. Once the file answers again, its
//! streams are served, and the server shuts down cleanly.
//!
//! The same holds when the file's `open` itself hangs (a FUSE file system is never opened on
//! the async workers, see `rill::opened`): while as many streams as the server has async
//! workers, and more, wait in their opens, other clients' Browse and ranges keep within the
//! same bounds, and once the opens answer, the file is served.
//!
//! FUSE needs a mount namespace: the test runs itself under `unshare -rnm` (see
//! [`isolated_with_mounts`]), so the mount and the server's sockets are the test's alone.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use rill::pool;
use rill_tests::hangfs::Mounted;
use rill_tests::renderer::didl::Object;
use rill_tests::renderer::http::{Client, Response, Url};
use rill_tests::renderer::netns::isolated_with_mounts;
use rill_tests::renderer::{Browse, Player, Renderer};
use rill_tests::{corpus, flac_corpus};

/// Most a request may gain at the median while the file hangs.
const GAIN: Duration = Duration::from_millis(50);
/// No request may take this long while the file hangs.
const NEVER: Duration = Duration::from_secs(3);
/// Times each kind of request is measured, before and during the hang.
const ROUNDS: usize = 12;
/// Bytes of each range fetched.
const RANGE: u64 = 64 * 1024;
/// Streams of the hanging file start this far apart, so each one's reads wait at offsets of its
/// own (a region is wider than the kernel's readahead).
const REGION: u64 = 256 * 1024;
/// Streams of the hanging file as it is while the others are measured: more than the server's
/// async workers (one; at least two would do).
const HANGING: u64 = 3;
/// How long the hanging reads may take to arrive at the FUSE file system.
const ARRIVE: Duration = Duration::from_secs(10);
/// How long the server may take to stop once the file answers again.
const STOP: Duration = Duration::from_secs(10);

#[test]
fn a_hanging_file_holds_up_no_one_else() {
    isolated_with_mounts("a_hanging_file_holds_up_no_one_else", hanging_reads);
}

#[test]
fn a_hanging_open_holds_up_no_one_else() {
    isolated_with_mounts("a_hanging_open_holds_up_no_one_else", hanging_opens);
}

/// A served item's URLs: the file as it is, and its L16 rendition.
struct Urls {
    file: String,
    l16: String,
}

/// The URLs of the item whose file is `size` bytes.
fn urls(items: &[Object], size: u64) -> Urls {
    let item = items
        .iter()
        .find(|o| o.res.iter().any(|r| r.size == Some(size)))
        .unwrap_or_else(|| panic!("no item of {size} bytes in {items:#?}"));
    let file = item.res.iter().find(|r| r.size == Some(size)).expect("the file's res");
    let l16 = item.res.iter().find(|r| r.url.ends_with(".l16")).expect("an L16 rendition");
    Urls { file: file.url.clone(), l16: l16.url.clone() }
}

/// `bytes=first-last` for [`RANGE`] bytes from `first`.
fn range(first: u64) -> String {
    format!("bytes={first}-{}", first + RANGE - 1)
}

/// What the measured requests are, each checked as it is made.
struct Probe {
    cp: Renderer,
    control: String,
    /// `(file URL, its bytes)` of the local files.
    files: Vec<(String, Vec<u8>)>,
    /// The L16 renditions of the local files, with the bytes of the measured range as first
    /// fetched.
    l16: Vec<(String, Option<Vec<u8>>)>,
}

impl Probe {
    /// Names of the kinds of request, in the order [`Probe::round`] times them.
    fn kinds(&self) -> Vec<String> {
        let mut kinds = vec!["Browse".to_string()];
        kinds.extend(self.files.iter().map(|(url, _)| format!("range of {url}")));
        kinds.extend(self.l16.iter().map(|(url, _)| format!("range of {url}")));
        kinds
    }

    /// Makes each kind of request once on a fresh connection; how long each took.
    fn round(&mut self) -> Vec<Duration> {
        let mut took = Vec::new();
        let start = Instant::now();
        let browsed = self.cp.browse(&self.control, &Browse::children("0")).expect("Browse");
        took.push(start.elapsed());
        assert!(browsed.number_returned > 0, "Browse answered nothing");
        for (url, bytes) in &self.files {
            let start = Instant::now();
            let resp = self.cp.get(url, &[("Range", &range(4096))]).expect("a file range");
            took.push(start.elapsed());
            assert_eq!(resp.status, 206, "{url}");
            assert!(resp.body == bytes[4096..4096 + RANGE as usize], "{url}: wrong bytes");
        }
        for (url, first) in &mut self.l16 {
            let start = Instant::now();
            let resp = self.cp.get(url, &[("Range", &range(100_000))]).expect("an L16 range");
            took.push(start.elapsed());
            assert_eq!(resp.status, 206, "{url}");
            assert_eq!(resp.body.len() as u64, RANGE, "{url}");
            let first = first.get_or_insert_with(|| resp.body.clone());
            assert!(*first == resp.body, "{url}: other bytes than before");
        }
        took
    }

    /// [`Probe::round`] [`ROUNDS`] times: the times of each kind.
    fn measure(&mut self) -> Vec<Vec<Duration>> {
        let mut times = vec![Vec::new(); self.kinds().len()];
        for _ in 0..ROUNDS {
            for (kind, took) in times.iter_mut().zip(self.round()) {
                kind.push(took);
            }
        }
        times
    }
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// A client that asked for `url` (with `range`, if given) and reads nothing more.
fn stream(url: &str, range: Option<String>) -> Client {
    let url = Url::parse(url).expect("a media URL");
    let mut client = Client::connect(url.addr).expect("connecting");
    let headers: Vec<(&str, &str)> = range.iter().map(|r| ("Range", r.as_str())).collect();
    client.send("GET", &url, &headers, &[]).expect("sending a request");
    client
}

/// Waits until reads of the hanging file wait in each region of `regions`.
fn arrived(fs: &Mounted, regions: &[u64]) {
    let waiting = fs.wait_for(ARRIVE, |waiting| {
        regions.iter().all(|r| waiting.iter().any(|&o| o / REGION == *r))
    });
    for r in regions {
        assert!(
            waiting.iter().any(|&o| o / REGION == *r),
            "no read waits in region {r} after {ARRIVE:?}: reads wait at {waiting:?}"
        );
    }
}

/// A served folder with local files and the FUSE mount holding the hanging file, the server
/// serving it, and the requests measured before anything hangs.
struct Bench {
    server: common::Running,
    fs: Mounted,
    probe: Probe,
    /// The URLs of the file on the FUSE mount, and its bytes.
    hung: Urls,
    hanging: Vec<u8>,
    /// The times of [`Probe::measure`] before the hang.
    before: Vec<Vec<Duration>>,
}

impl Bench {
    fn new() -> Bench {
        let (dir, media) = common::empty_dir();
        let ogg = corpus::Spec { frames: 44_100 * 20, ..corpus::Spec::stereo(3) }.path();
        let flac = flac_corpus::Spec::cd(&[]).path();
        std::fs::copy(&ogg, media.join("local.ogg")).expect("copying the Ogg file");
        std::fs::copy(&flac, media.join("local.flac")).expect("copying the FLAC file");
        let hanging = flac_corpus::Spec {
            bits: 24,
            rate: 96_000,
            frames: 96_000 * 20,
            ..flac_corpus::Spec::cd(&[])
        }
        .bytes();
        let regions = pool::SIZE as u64 + 4;
        assert!(hanging.len() as u64 > regions * REGION, "the hanging file is too short");
        let mount = media.join("mount");
        std::fs::create_dir(&mount).expect("creating the mount point");
        let fs = Mounted::mount(&mount, "hanging.flac", hanging.clone())
            .expect("mounting the FUSE file system (needs /dev/fuse)");

        let server = common::start((dir, media));
        let cp = Renderer::new(Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let items = common::items(&cp, &control, "0");
        let (ogg, flac) = (std::fs::read(ogg).unwrap(), std::fs::read(flac).unwrap());
        let (ogg_urls, flac_urls) =
            (urls(&items, ogg.len() as u64), urls(&items, flac.len() as u64));
        let hung = urls(&items, hanging.len() as u64);
        let mut probe = Probe {
            cp,
            control,
            files: vec![(ogg_urls.file, ogg), (flac_urls.file, flac)],
            l16: vec![(ogg_urls.l16, None), (flac_urls.l16, None)],
        };
        let before = probe.measure();
        Bench { server, fs, probe, hung, hanging, before }
    }

    /// Measures the requests again while `what` hangs: each kind gains at most [`GAIN`] at the
    /// median, and none takes [`NEVER`].
    fn hold_up_no_one(&mut self, what: &str) {
        let kinds = self.probe.kinds();
        let during = self.probe.measure();
        for ((kind, before), during) in kinds.iter().zip(&self.before).zip(&during) {
            let (b, d) = (median(before), median(during));
            eprintln!("{kind}: median {b:?} before {what}, {d:?} while it hangs");
            assert!(d <= b + GAIN, "{kind} gained more than {GAIN:?} at the median: {b:?} → {d:?}");
            let slowest = during.iter().max().expect("measured");
            assert!(*slowest < NEVER, "{kind} took {slowest:?} while {what} hung");
        }
    }

    /// Once the file answers again, a new range of it is served in full (after 503s at most
    /// for [`NEVER`], while the waiting streams leave the pool); then the server stops.
    fn recover(self) {
        let Bench { server, fs, probe, hung, hanging, .. } = self;
        let start = Instant::now();
        let resp = loop {
            let resp = probe.cp.get(&hung.file, &[("Range", &range(REGION))]).expect("a range");
            if resp.status != 503 || start.elapsed() > NEVER {
                break resp;
            }
            thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(resp.status, 206, "the file once it answers again");
        let at = REGION as usize;
        assert!(resp.body == hanging[at..at + RANGE as usize], "wrong bytes of the file");

        let (done, stopped) = std::sync::mpsc::channel();
        thread::spawn(move || {
            server.shutdown();
            let _ = done.send(());
        });
        stopped.recv_timeout(STOP).expect("the server did not stop once the file answered again");
        drop(fs);
    }

    /// Streams of the hanging file: as it is from regions `1..=HANGING` of their own, and one
    /// L16 rendition (its decoder reads the file's head, region 0).
    fn streams(&self) -> Vec<Client> {
        let file = &self.hung.file;
        let mut streams: Vec<Client> =
            (1..=HANGING).map(|r| stream(file, Some(format!("bytes={}-", r * REGION)))).collect();
        streams.push(stream(&self.hung.l16, None));
        streams
    }
}

fn hanging_reads() {
    let mut bench = Bench::new();
    // More streams of the hanging file than the server has workers.
    bench.fs.hang().expect("dropping the cached pages of the hanging file");
    let mut streams = bench.streams();
    arrived(&bench.fs, &(0..=HANGING).collect::<Vec<_>>());
    bench.hold_up_no_one("the reads of a file");

    // Fill every place of the pool with hanging streams: the next one waits, then gets 503,
    // and Browse is still answered at once.
    let (fs, probe, hung) = (&bench.fs, &bench.probe, &bench.hung);
    let last = pool::SIZE as u64 - 1;
    for r in HANGING + 1..=last {
        streams.push(stream(&hung.file, Some(format!("bytes={}-", r * REGION))));
    }
    arrived(fs, &(0..=last).collect::<Vec<_>>());
    let start = Instant::now();
    let refused = probe.cp.get(&hung.file, &[("Range", &range((last + 1) * REGION))]);
    let waited = start.elapsed();
    let refused: Response = refused.expect("an answer from a full pool");
    assert_eq!(refused.status, 503, "a stream past a full pool");
    assert!(refused.header("retry-after").is_some(), "503 without Retry-After");
    assert!(waited < pool::WAIT + Duration::from_secs(1), "refused only after {waited:?}");
    let start = Instant::now();
    probe.cp.browse(&probe.control, &Browse::children("0")).expect("Browse with a full pool");
    let browsed = start.elapsed();
    let browse_before = median(&bench.before[0]);
    assert!(browsed <= browse_before + GAIN, "Browse took {browsed:?} with a full pool");

    // The file answers again: the waiting streams go on (their clients are gone), the places
    // free up, and a new stream of the file is served in full.
    drop(streams);
    bench.fs.release();
    bench.recover();
}

fn hanging_opens() {
    let mut bench = Bench::new();
    // More streams than the server has async workers wait in the file's open.
    bench.fs.hang_opens();
    let streams = bench.streams();
    let opens = bench.fs.wait_for_opens(ARRIVE, streams.len());
    assert!(
        opens >= streams.len(),
        "{opens} opens of {} streams reached the file system after {ARRIVE:?} (one hung on an \
         async worker stops the others)",
        streams.len()
    );
    bench.hold_up_no_one("the opens of a file");

    // The opens answer: the streams go on (their clients are gone), and a new range is served.
    drop(streams);
    bench.fs.release();
    bench.recover();
}
