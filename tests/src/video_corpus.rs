//! Video test media, made by the test with ffmpeg (never committed): short clips of the
//! containers and codecs TVs play.

use std::path::Path;
use std::process::Command;

/// Runs `ffmpeg` with `args` (inputs and codec options) writing `out`, creating its folder;
/// panics if ffmpeg is missing or fails (a missing tool is a failure, not a skip).
pub fn ffmpeg(out: &Path, args: &[&str]) {
    std::fs::create_dir_all(out.parent().expect("a file path")).expect("creating the folders");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-y", "-hide_banner", "-loglevel", "error"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg runs (Debian package ffmpeg)");
    assert!(status.success(), "ffmpeg {args:?} {}", out.display());
}

/// A one-second 320x240 H.264 clip at 25 fps with a stereo AAC tone, in the container `out`'s
/// extension names (`.mkv`, `.mp4`, ...).
pub fn h264_aac(out: &Path) {
    ffmpeg(
        out,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=1:size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=1:sample_rate=48000",
            "-ac",
            "2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ],
    );
}

/// A 64x48 JPEG test picture.
pub fn jpeg(out: &Path) {
    ffmpeg(out, &["-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1"]);
}
