//! `ffprobe` as the fallback for videos Rill's own readers cannot read ([`crate::video`]):
//! play time, picture size and the first audio stream's rate and channels, with no DLNA
//! profile (which Rill names only from what it read itself).
//!
//! Only used when `ffprobe` is on `PATH` (when it is not, that is logged once and such videos
//! have no play time); a run that takes longer than [`TIMEOUT`] is killed, so a hostile file
//! cannot stall the scan. Its output is read on a thread of its own, so a full pipe cannot
//! block it either, and at most `MAX_OUTPUT` bytes of it are kept.
//!
//! ffprobe never resolves a path itself: the video is the file Rill opened, confined to its
//! folder, given as its standard input and read as `/dev/stdin` (which reopens that file, so
//! ffprobe can seek in it), the way [`crate::art`] gives videos to ffmpeg.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::num::NonZeroU16;
use std::process::{Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use rill_core::library::{AudioProps, Details};

/// How long one `ffprobe` run may take before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Output kept from one run: 64 KiB (a few hundred bytes are expected).
const MAX_OUTPUT: u64 = 64 * 1024;

/// The program run, looked up on `PATH`.
const PROGRAM: &str = "ffprobe";

/// What ffprobe reads of the video open as `file`, or why not (not installed, timed out,
/// failed, nothing read).
pub fn read(file: File) -> Result<Details, String> {
    read_with(PROGRAM, file)
}

/// [`read`] with `program` as ffprobe.
fn read_with(program: &str, file: File) -> Result<Details, String> {
    let spawned = Command::new(program)
        .args(["-v", "error", "-show_entries"])
        .arg("format=duration:stream=codec_type,width,height,sample_rate,channels")
        .args(["-of", "default=noprint_wrappers=1", "/dev/stdin"])
        .stdin(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            static MISSING: Once = Once::new();
            MISSING.call_once(|| {
                tracing::warn!(
                    "{program} not on PATH: videos whose headers give no play time are listed \
                     without one"
                );
            });
            return Err(format!("{program} not installed"));
        }
        Err(e) => return Err(format!("{program} not run: {e}")),
    };
    let stdout = child.stdout.take().ok_or("ffprobe without output")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.take(MAX_OUTPUT).read_to_string(&mut text).map(|_| text)
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait().map_err(|e| format!("ffprobe: {e}"))? {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                // Killing ends its output too, so the reader thread ends.
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("ffprobe killed after {} s", TIMEOUT.as_secs()));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let text = reader
        .join()
        .map_err(|_| "ffprobe output lost".to_string())?
        .map_err(|e| format!("ffprobe output: {e}"))?;
    if !status.success() {
        return Err(format!("ffprobe failed ({status})"));
    }
    parse(&text).ok_or_else(|| "ffprobe found no play time or streams".to_string())
}

/// The details in ffprobe's `key=value` lines: each stream's `codec_type` opens it, and the
/// format's `duration` follows the streams.
fn parse(text: &str) -> Option<Details> {
    #[derive(PartialEq)]
    enum In {
        Video,
        Audio,
        Other,
    }
    let mut current = In::Other;
    let (mut seen_video, mut seen_audio) = (false, false);
    let (mut width, mut height, mut rate, mut channels) = (None, None, None, None);
    let mut duration_ms = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else { continue };
        match (key, &current) {
            ("codec_type", _) => {
                current = match value {
                    "video" if !seen_video => In::Video,
                    "audio" if !seen_audio => In::Audio,
                    _ => In::Other,
                };
                seen_video |= current == In::Video;
                seen_audio |= current == In::Audio;
            }
            ("width", In::Video) => width = value.parse::<u16>().ok().and_then(NonZeroU16::new),
            ("height", In::Video) => height = value.parse::<u16>().ok().and_then(NonZeroU16::new),
            ("sample_rate", In::Audio) => rate = value.parse::<u32>().ok(),
            ("channels", In::Audio) => channels = value.parse::<u8>().ok(),
            ("duration", _) => {
                let seconds = value.parse::<f64>().ok().filter(|s| s.is_finite() && *s > 0.0);
                duration_ms = seconds.map(|s| (s * 1000.0).round() as u64);
            }
            _ => {}
        }
    }
    let resolution = width.zip(height);
    let audio = rate.map(|sample_rate| AudioProps {
        sample_rate,
        channels: channels.unwrap_or(0),
        bits_per_sample: 0,
    });
    (duration_ms.is_some() || resolution.is_some()).then(|| Details {
        duration_ms,
        audio,
        resolution,
        ..Details::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_lines() {
        let text = "codec_type=video\nwidth=640\nheight=480\ncodec_type=audio\nsample_rate=48000\n\
                    channels=2\ncodec_type=audio\nsample_rate=8000\nchannels=1\nduration=3.240000\n";
        let d = parse(text).unwrap();
        assert_eq!(d.duration_ms, Some(3240));
        assert_eq!(d.resolution.map(|(w, h)| (w.get(), h.get())), Some((640, 480)));
        assert_eq!(d.audio.map(|a| (a.sample_rate, a.channels)), Some((48000, 2)));
        assert!(parse("duration=N/A\n").is_none());
    }

    #[test]
    fn a_missing_ffprobe_is_an_error_not_a_wait() {
        let file = File::open("/dev/null").unwrap();
        let error = read_with("rill-no-such-ffprobe", file).unwrap_err();
        assert_eq!(error, "rill-no-such-ffprobe not installed");
    }
}
