//! Remuxing videos to MPEG-TS with `ffmpeg`, for players that cannot play them as they are
//! (see `rill_core::player::video` for which, and the core's `server/remux.rs` for the HTTP
//! side).
//!
//! [`Remuxer::find`] looks for `ffmpeg` and `ffprobe` on `PATH` once, at start; without them
//! no remux is offered. A remux ([`Remuxer::start`]) is one `ffmpeg` whose standard output is
//! the response body:
//! `ffmpeg -ss K -i <file> -map 0:v:0 -map 0:a:0 -c:v copy -c:a copy|ac3 -f mpegts pipe:1`.
//! The input is the file opened through the confined [`Storage`](crate::storage::Storage),
//! handed over as `ffmpeg`'s standard input and named `/dev/stdin` (which Linux opens again as
//! that same file, seekable), so `ffmpeg` reads nothing the server could not.
//!
//! Time seek: the video is copied, so the stream can only start at a keyframe. K, the keyframe
//! at or before the time T asked for, is read from a Matroska file's `Cues` (its keyframe
//! index, the one ffmpeg seeks by), else found with `ffprobe` reading the video packets of the
//! [`KEYFRAME_WINDOW`] before T (the whole start of the file if that window holds none), and
//! `ffmpeg` is told to start there (`-ss` before `-i`, `SEEK_SLACK_US` past K: it seeks to
//! the keyframe at or before the position and copies from it), so the answer can echo K,
//! where the stream really starts.
//!
//! Every remux holds one of [`MAX_REMUXES`] slots; beyond them a request is refused (503,
//! logged). The [`Process`] is kept with the response body: when the response ends, however it
//! ends (the stream ran out, the player closed the connection, a timeout), the body is
//! dropped, `ffmpeg` is killed if it still runs and reaped, and its slot freed. An `ffmpeg`
//! that failed is logged with its last error lines.

use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use embedded_io_adapters::std::FromStd;
use rill_core::media::video::mkv::cues;
use rill_core::player::{Remux, RemuxAudio};

/// Remuxes running at once: each is an `ffmpeg` copying the video, which takes little CPU
/// unless the audio is converted; four are more than a home watches at once, and keep a Pi's
/// two cores free when all four convert audio.
pub const MAX_REMUXES: usize = 4;

/// How far before the asked time `ffprobe` looks for the keyframe to start at: above any
/// keyframe interval encoders use for files (x264 defaults to 10 s at 25 fps).
pub const KEYFRAME_WINDOW: Duration = Duration::from_secs(20);

/// How far past the keyframe `ffmpeg` is told to start (`-ss`), in microseconds. For video
/// with B-frames `ffmpeg` seeks 3/23 s (130,435 µs) before the `-ss` time (`ffmpeg.c`'s
/// "dts_heuristic"), to the keyframe at or before that: aiming this far past the keyframe
/// (130,435 µs and a millisecond for rounding) lands on it, not on the one before. Without
/// B-frames the seek aims 131 ms past it, which lands on it unless another keyframe follows
/// within 131 ms (the stream then starts at that one, up to 131 ms after the time echoed).
const SEEK_SLACK_US: u64 = 131_435;

/// `ffmpeg` and `ffprobe`, found on `PATH`, and the count of remuxes running.
#[derive(Debug)]
pub struct Remuxer {
    ffmpeg: PathBuf,
    ffprobe: PathBuf,
    running: Arc<AtomicUsize>,
}

/// Why a remux did not start.
#[derive(Debug)]
pub enum Error {
    /// All [`MAX_REMUXES`] slots are taken.
    Busy,
    /// `ffmpeg` or `ffprobe` could not be run.
    Spawn(io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Busy => write!(f, "all {MAX_REMUXES} remux slots are in use"),
            Error::Spawn(e) => write!(f, "cannot run ffmpeg: {e}"),
        }
    }
}

impl Remuxer {
    /// `ffmpeg` and `ffprobe` from the directories of `PATH`, if both are there.
    pub fn find() -> Option<Remuxer> {
        let path = std::env::var_os("PATH")?;
        let find = |name: &str| {
            std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
        };
        Some(Remuxer {
            ffmpeg: find("ffmpeg")?,
            ffprobe: find("ffprobe")?,
            running: Arc::default(),
        })
    }

    /// The `ffmpeg` found.
    pub fn ffmpeg(&self) -> &Path {
        &self.ffmpeg
    }

    /// Starts remuxing `file` as `remux` says from the keyframe at or before `start_us`, within
    /// the cap; returns `ffmpeg`'s output, the process, and that keyframe's time in
    /// microseconds.
    pub fn start(
        &self,
        file: std::fs::File,
        remux: &Remux,
        start_us: u64,
    ) -> Result<(std::fs::File, Process, u64), Error> {
        let slot = Slot::take(&self.running).ok_or(Error::Busy)?;
        let keyframe = match start_us {
            0 => 0,
            _ => {
                let probe = file.try_clone().map_err(Error::Spawn)?;
                self.keyframe(probe, start_us).map_err(Error::Spawn)?
            }
        };
        let mut command = Command::new(&self.ffmpeg);
        command.args(["-nostdin", "-hide_banner", "-loglevel", "error"]);
        if keyframe > 0 {
            command.args(["-ss", &seconds(keyframe + SEEK_SLACK_US)]);
        }
        command.args(["-i", "/dev/stdin", "-map", "0:v:0", "-c:v", "copy"]);
        match remux.audio {
            RemuxAudio::None => command.arg("-an"),
            RemuxAudio::Copy(_) => command.args(["-map", "0:a:0", "-c:a", "copy"]),
            // AC-3 carries at most 5.1: more channels are folded down, fewer kept.
            RemuxAudio::Ac3 => command.args([
                "-map",
                "0:a:0",
                "-c:a",
                "ac3",
                "-b:a",
                "448k",
                "-af",
                "aformat=channel_layouts=5.1|5.0|quad|stereo|mono",
            ]),
        };
        command.args(["-sn", "-dn", "-f", "mpegts", "pipe:1"]);
        command.stdin(file).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().map_err(Error::Spawn)?;
        let Some(out) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::Spawn(io::Error::other("no pipe from ffmpeg")));
        };
        let out = std::fs::File::from(OwnedFd::from(out));
        Ok((out, Process { child, _slot: slot }, keyframe))
    }

    /// The time in microseconds of the last video keyframe at or before `at_us` in `file`:
    /// from a Matroska file's `Cues` when it has them (read in-process: no second process to
    /// start), else from `ffprobe`'s list of the video packets in the [`KEYFRAME_WINDOW`]
    /// before it (or from the start, if the window holds none); 0 if there is none.
    fn keyframe(&self, file: std::fs::File, at_us: u64) -> io::Result<u64> {
        let indexed = cues::keyframe_at_or_before(FromStd::new(file.try_clone()?), at_us);
        if let Ok(Some(keyframe)) = indexed {
            return Ok(keyframe);
        }
        let window = u64::try_from(KEYFRAME_WINDOW.as_micros()).unwrap_or(u64::MAX);
        let first =
            self.keyframe_between(file.try_clone()?, at_us.saturating_sub(window), at_us)?;
        match first {
            Some(k) => Ok(k),
            None if at_us > window => Ok(self.keyframe_between(file, 0, at_us)?.unwrap_or(0)),
            None => Ok(0),
        }
    }

    /// The last video keyframe in `from_us..=to_us`, by `ffprobe`.
    fn keyframe_between(
        &self,
        file: std::fs::File,
        from_us: u64,
        to_us: u64,
    ) -> io::Result<Option<u64>> {
        let interval = format!("{}%{}", seconds(from_us), seconds(to_us + 1000));
        let out = Command::new(&self.ffprobe)
            .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
            .args(["packet=pts_time,flags", "-of", "csv=p=0", "-read_intervals", &interval])
            .args(["-i", "/dev/stdin"])
            .stdin(file)
            .stderr(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!("ffprobe failed: {}", out.status)));
        }
        Ok(keyframe_in(&String::from_utf8_lossy(&out.stdout), to_us))
    }
}

/// The last keyframe at or before `at_us` in `ffprobe`'s `pts_time,flags` lines (`12.480000,K__`).
fn keyframe_in(listing: &str, at_us: u64) -> Option<u64> {
    listing
        .lines()
        .filter_map(|line| {
            let (time, flags) = line.trim().split_once(',')?;
            let time: f64 = time.parse().ok()?;
            let us = (time * 1e6).round();
            (flags.starts_with('K') && us >= 0.0).then_some(us as u64)
        })
        .filter(|&us| us <= at_us)
        .max()
}

/// `S.ffffff` for ffmpeg's time options.
fn seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// Whether `path` is a file someone may execute.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// One of the [`MAX_REMUXES`] slots, given back when dropped.
#[derive(Debug)]
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(running: &Arc<AtomicUsize>) -> Option<Slot> {
        running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_REMUXES).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(Arc::clone(running)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A running `ffmpeg`, killed (if still running) and reaped when dropped.
#[derive(Debug)]
pub struct Process {
    child: Child,
    _slot: Slot,
}

impl Process {
    /// The process id (for tests and logs).
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let pid = self.child.id();
        match self.child.try_wait() {
            Ok(Some(status)) if !status.success() => {
                let mut errors = String::new();
                if let Some(mut err) = self.child.stderr.take() {
                    let _ = err.read_to_string(&mut errors);
                }
                let last = errors.lines().rev().take(3).collect::<Vec<_>>();
                tracing::warn!(pid, "ffmpeg remux failed ({status}): {}", last.join(" / "));
            }
            Ok(Some(_)) => tracing::debug!(pid, "ffmpeg remux finished"),
            _ => {
                // The response ended first (the player left, or paused and timed out).
                let _ = self.child.kill();
                let _ = self.child.wait();
                tracing::debug!(pid, "ffmpeg remux ended with its connection");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyframe_is_the_last_at_or_before_the_time() {
        let listing = "0.000000,K__\n0.040000,___\n2.000000,K__\n3.960000,__\n4.000000,K_\n";
        assert_eq!(keyframe_in(listing, 3_999_999), Some(2_000_000));
        assert_eq!(keyframe_in(listing, 4_000_000), Some(4_000_000));
        assert_eq!(keyframe_in(listing, 1_000), Some(0));
        assert_eq!(keyframe_in("N/A,K__\ngarbage\n", 5), None);
        assert_eq!(seconds(12_345_678), "12.345678");
    }

    #[test]
    fn slots_are_capped_and_given_back() {
        let running = Arc::new(AtomicUsize::new(0));
        let slots: Vec<_> = (0..MAX_REMUXES).map_while(|_| Slot::take(&running)).collect();
        assert_eq!(slots.len(), MAX_REMUXES);
        assert!(Slot::take(&running).is_none());
        drop(slots);
        assert_eq!(running.load(Ordering::Acquire), 0);
        assert!(Slot::take(&running).is_some());
    }
}
