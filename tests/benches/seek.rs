//! Seek latency and transcode throughput on a 60-minute file.
//!
//! `cargo bench -p rill-tests --bench seek` (`RILL_BENCH_SEEKS=N` for N seeks, default 40).
//! The file is 60 minutes of 44.1 kHz stereo encoded by oggenc at q5, generated once by the
//! corpus module and cached under `$TMPDIR/rill-corpus/` (the first run spends a few minutes
//! on it).
//!
//! - Time to first byte of a seek: a fresh connection to the in-process server on loopback,
//!   `GET` of the L16 rendition with `TimeSeekRange.dlna.org: npt=T-` (a PS3 seeking) and with
//!   `Range: bytes=N-` (VLC seeking), timed from `connect` to the first body byte; side by side
//!   with `ffmpeg -ss T -i f.ogg -f s16be -`, timed from spawning the process to its first
//!   output byte, which is what servers that transcode through ffmpeg pay per seek. Same seeded
//!   random times for all three. Medians and 90th percentiles, and the ratio of the medians.
//! - Transcode throughput on one core: the whole file through [`Transcoder`] in-process, as
//!   a multiple of real time.
//!
//! The server runs inside [`isolated`] (a private network namespace where available) and binds
//! loopback only.

#[path = "../tests/common/mod.rs"]
mod common;
mod seek_util;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rill_core::media::vorbis_file::VorbisFile;
use rill_core::transcode::{Layout, Transcoder, Wrapping};
use rill_tests::corpus::{Encoder, Rng, Spec};
use rill_tests::renderer::netns::isolated;
use seek_util::{l16_url, report, seconds, time_and_byte_seeks};

const RATE: u32 = 44_100;
const MINUTES: u32 = 60;
/// The benchmark file: 60 minutes of 44.1 kHz stereo, oggenc q5.
const FILE: Spec = Spec {
    quality: 5,
    channels: 2,
    rate: RATE,
    frames: RATE * 60 * MINUTES,
    encoder: Encoder::Oggenc,
};
/// Bytes per second of the stereo L16 rendition.
const BYTE_RATE: u64 = RATE as u64 * 4;
/// Targets from the issue.
const TTFB_TARGET: Duration = Duration::from_millis(10);
const SPEED_TARGET: f64 = 500.0;
/// The environment variable giving the number of seeks timed.
const SEEKS: &str = "RILL_BENCH_SEEKS";

fn main() {
    // An environment variable, not an argument: the run inside the namespace gets the test
    // harness's arguments.
    let seeks = std::env::var(SEEKS).ok().and_then(|n| n.parse().ok()).unwrap_or(40);
    // Generated (or found) before entering the namespace, whose run is bounded in time.
    let path = FILE.path();
    isolated("seek", || run(&path, seeks));
}

fn run(path: &std::path::Path, seeks: usize) {
    let size = std::fs::metadata(path).unwrap().len();
    println!(
        "file: {} ({:.1} MB, {MINUTES} min, 44.1 kHz stereo q5)",
        path.display(),
        size as f64 / 1e6
    );

    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    let served = media.join("hour.ogg");
    if std::fs::hard_link(path, &served).is_err() {
        std::fs::copy(path, &served).unwrap();
    }
    let server = common::start((dir, media));
    let url = l16_url(&server);

    let mut rng = Rng::new(2026);
    let duration_ms = u64::from(MINUTES) * 60_000;
    let times: Vec<u64> = (0..seeks).map(|_| rng.below(duration_ms - 1000)).collect();
    let (by_time, by_byte) = time_and_byte_seeks(&url, &times, BYTE_RATE);
    let ffmpeg: Vec<Duration> = times.iter().map(|&ms| ffmpeg_ttfb(path, ms)).collect();
    server.stop.send(()).unwrap();
    server.thread.join().unwrap();

    println!("\ntime to first byte of a seek, {seeks} random positions (ms):");
    println!("  {:<44} {:>8} {:>8} {:>8}", "", "median", "p90", "max");
    let rill_time = report("rill, TimeSeekRange npt=T- (HTTP, loopback)", by_time);
    report("rill, Range bytes=N- (HTTP, loopback)", by_byte);
    let ff = report("ffmpeg -ss T -i f.ogg -f s16be - (process)", ffmpeg);
    println!(
        "  ffmpeg / rill (medians): {:.1}x; target median <= {} ms: {}",
        ff.as_secs_f64() / rill_time.as_secs_f64(),
        TTFB_TARGET.as_millis(),
        if rill_time <= TTFB_TARGET { "met" } else { "MISSED" }
    );

    let speed = throughput(path);
    println!("\nthroughput, one thread, whole file (x real time, by wall / by thread CPU time):");
    println!(
        "  decode (VorbisFile::read_i16)    {:>6.0} / {:>6.0}",
        speed.decode.0, speed.decode.1
    );
    let (wall, cpu) = speed.transcode;
    println!(
        "  transcode to L16 (Transcoder)    {wall:>6.0} / {cpu:>6.0}; target >= {SPEED_TARGET:.0}x \
         per core: {}",
        if cpu >= SPEED_TARGET { "met" } else { "MISSED" }
    );
    println!("\nreproduce: {SEEKS}={seeks} cargo bench -p rill-tests --bench seek");
}

/// Spawn ffmpeg seeking to `ms`, wait for its first byte of s16be output, kill it.
fn ffmpeg_ttfb(path: &std::path::Path, ms: u64) -> Duration {
    let start = Instant::now();
    let mut child = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-ss", &seconds(ms), "-i"])
        .arg(path)
        .args(["-f", "s16be", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg runs");
    let mut byte = [0u8; 1];
    child.stdout.as_mut().unwrap().read_exact(&mut byte).expect("ffmpeg output");
    let took = start.elapsed();
    child.kill().ok();
    child.wait().ok();
    took
}

/// Multiples of real time at which one thread turns the whole file into PCM: decoding alone
/// (`VorbisFile::read_i16`), and the L16 transcode (decoding, channel order, encoding).
/// Each by wall time and by the thread's own CPU time (the machine may be shared).
struct Speed {
    decode: (f64, f64),
    transcode: (f64, f64),
}

fn throughput(path: &std::path::Path) -> Speed {
    let open = || VorbisFile::open(StdFile(std::fs::File::open(path).unwrap())).unwrap();
    let mut file = open();
    let frames = file.total_frames();
    let seconds = frames as f64 / f64::from(RATE);
    let clock = Clock::start();
    let mut pcm = vec![0i16; 32 * 1024];
    let mut decoded = 0u64;
    while let n @ 1.. = file.read_i16(&mut pcm).unwrap() {
        decoded += n as u64;
    }
    assert_eq!(decoded, frames);
    let decode = clock.speed(seconds);

    let layout = Layout::new(Wrapping::L16, RATE, 2, frames).unwrap();
    let clock = Clock::start();
    let mut t = Transcoder::new(open(), layout, 0, layout.total_len()).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut sent = 0u64;
    while let n @ 1.. = t.fill(&mut buf).unwrap() {
        sent += n as u64;
    }
    assert_eq!(sent, layout.total_len());
    Speed { decode, transcode: clock.speed(seconds) }
}

/// Wall time and this thread's CPU time.
struct Clock {
    wall: Instant,
    cpu: Duration,
}

impl Clock {
    fn start() -> Clock {
        Clock { wall: Instant::now(), cpu: thread_cpu() }
    }

    /// `audio` seconds over the elapsed wall and CPU time.
    fn speed(&self, audio: f64) -> (f64, f64) {
        let cpu = thread_cpu().saturating_sub(self.cpu);
        (audio / self.wall.elapsed().as_secs_f64(), audio / cpu.as_secs_f64())
    }
}

/// Time this thread has run on a CPU (Linux: the first field of its `schedstat`).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = stat.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
    Duration::from_nanos(ns)
}

/// A `std::fs::File` as the `embedded_io` source [`VorbisFile`] reads (the host reads files
/// the same way, through the page cache).
struct StdFile(std::fs::File);

impl embedded_io::ErrorType for StdFile {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Read for StdFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.0.read(buf).map_err(|_| embedded_io::ErrorKind::Other)
    }
}

impl embedded_io::Seek for StdFile {
    fn seek(&mut self, pos: embedded_io::SeekFrom) -> Result<u64, Self::Error> {
        use std::io::Seek;
        let pos = match pos {
            embedded_io::SeekFrom::Start(p) => std::io::SeekFrom::Start(p),
            embedded_io::SeekFrom::End(d) => std::io::SeekFrom::End(d),
            embedded_io::SeekFrom::Current(d) => std::io::SeekFrom::Current(d),
        };
        self.0.seek(pos).map_err(|_| embedded_io::ErrorKind::Other)
    }
}
