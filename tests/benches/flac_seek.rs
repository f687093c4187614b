//! Time to first byte after a seek into a 60-minute FLAC without a seek table (issue 13: median
//! at most 10 ms), where every time seek is found by bisection over the file.
//!
//! `cargo bench -p rill-tests --bench flac_seek` (`RILL_BENCH_SEEKS=N` for N seeks, default
//! 30). The file is an hour of 16-bit 44.1 kHz stereo (pink noise and a tone, made by ffmpeg's
//! `anoisesrc` and `sine`), encoded by `flac -5 --no-seektable` and cached under
//! `$TMPDIR/rill-corpus/flac/`. The in-process server runs inside [`isolated`] (a private
//! network namespace) on loopback; each seek is a fresh connection and a `GET` of the L16
//! rendition with `TimeSeekRange.dlna.org: npt=T-` (a PS3 seeking), then with `Range:
//! bytes=N-`, timed from `connect` to the first body byte, at seeded random positions.

#[path = "../tests/common/mod.rs"]
mod common;
mod seek_util;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use rill_tests::corpus::Rng;
use rill_tests::renderer::netns::isolated;
use seek_util::{l16_url, report, time_and_byte_seeks};

const RATE: u64 = 44_100;
const MINUTES: u64 = 60;
/// Bytes per second of the stereo L16 rendition.
const BYTE_RATE: u64 = RATE * 4;
/// The target from the issue.
const TTFB_TARGET: Duration = Duration::from_millis(10);
/// The environment variable giving the number of seeks timed.
const SEEKS: &str = "RILL_BENCH_SEEKS";

fn main() {
    // An environment variable, not an argument: the run inside the namespace gets the test
    // harness's arguments.
    let seeks = std::env::var(SEEKS).ok().and_then(|n| n.parse().ok()).unwrap_or(30);
    // Made (or found) before entering the namespace, whose run is bounded in time.
    let path = hour_flac();
    isolated("flac_seek", || run(&path, seeks));
}

/// The hour-long FLAC without a seek table, made once.
fn hour_flac() -> PathBuf {
    let dir = std::env::temp_dir().join("rill-corpus").join("flac");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("hour-r{RATE}-b16-c2-5-noseektable-v1.flac"));
    if path.exists() {
        return path;
    }
    eprintln!("making {} (once; about a minute)", path.display());
    let tmp = dir.join(format!("hour.{}.tmp", std::process::id()));
    let d = (MINUTES * 60).to_string();
    let mut ffmpeg = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!("anoisesrc=c=pink:r={RATE}:a=0.2:seed=13:d={d}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=f=220:r={RATE}:d={d}"))
        .args(["-filter_complex", "amix=inputs=2,aformat=sample_fmts=s16:channel_layouts=stereo"])
        .args(["-f", "s16le", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("ffmpeg runs");
    let pcm = ffmpeg.stdout.take().unwrap();
    let status = Command::new("flac")
        .args(["-s", "-f", "-5", "--no-seektable", "--force-raw-format", "--endian=little"])
        .args(["--sign=signed", "--channels=2", "--bps=16", &format!("--sample-rate={RATE}")])
        .arg("-o")
        .arg(&tmp)
        .arg("-")
        .stdin(pcm)
        .status()
        .expect("flac runs");
    assert!(status.success() && ffmpeg.wait().unwrap().success(), "making the hour FLAC");
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// The metadata block types of a native FLAC file.
fn block_types(bytes: &[u8]) -> Vec<u8> {
    assert_eq!(&bytes[..4], b"fLaC");
    let (mut at, mut types) = (4, Vec::new());
    loop {
        let h = &bytes[at..at + 4];
        types.push(h[0] & 0x7F);
        at += 4 + (usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]));
        if h[0] & 0x80 != 0 {
            return types;
        }
    }
}

fn run(path: &std::path::Path, seeks: usize) {
    let head = std::fs::read(path).unwrap();
    assert!(!block_types(&head).contains(&3), "the file has no SEEKTABLE");
    println!(
        "file: {} ({:.1} MB, {MINUTES} min, 16-bit 44.1 kHz stereo, flac -5, no seek table)",
        path.display(),
        head.len() as f64 / 1e6
    );
    drop(head);

    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    let served = media.join("hour.flac");
    if std::fs::hard_link(path, &served).is_err() {
        std::fs::copy(path, &served).unwrap();
    }
    let server = common::start((dir, media));
    let url = l16_url(&server);

    let mut rng = Rng::new(2026);
    let duration_ms = MINUTES * 60_000;
    let times: Vec<u64> = (0..seeks).map(|_| rng.below(duration_ms - 1000)).collect();
    let (by_time, by_byte) = time_and_byte_seeks(&url, &times, BYTE_RATE);
    server.stop.send(()).unwrap();
    server.thread.join().unwrap();

    println!("\ntime to first byte of a seek, {seeks} random positions (ms):");
    println!("  {:<44} {:>8} {:>8} {:>8}", "", "median", "p90", "max");
    let median = report("rill, TimeSeekRange npt=T- (HTTP, loopback)", by_time);
    report("rill, Range bytes=N- (HTTP, loopback)", by_byte);
    println!(
        "  target median <= {} ms: {}",
        TTFB_TARGET.as_millis(),
        if median <= TTFB_TARGET { "met" } else { "MISSED" }
    );
    println!("\nreproduce: {SEEKS}={seeks} cargo bench -p rill-tests --bench flac_seek");
}
