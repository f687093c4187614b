//! Play times of audio Rill serves as it is (MP3, `.m4a`) in Browse, against ffprobe's own
//! reading of files made by ffmpeg: AAC and ALAC in MP4; MP3 in CBR with and without an Info
//! header, VBR with a Xing header, with a VBRI header (Fraunhofer's, written by the test over
//! the Xing one, as ffmpeg does not write it), and with no header at all (both MPEG-1 and
//! MPEG-2), whose play time only a walk over its frames tells. The headerless VBR files start
//! with silence, so an estimate from the first frame's bitrate (MiniDLNA's, and ffprobe's own
//! `format=duration` here) is seconds off; their reference is ffprobe's count of the frames.

mod common;

use std::path::Path;
use std::process::Command;

use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Player, Renderer};
use rill_tests::video_corpus::ffmpeg;

/// Two seconds of silence, then five of a tone with noise: the bitrate of a VBR encoding
/// changes a lot after the start.
const SILENCE_THEN_SOUND: &str = "aevalsrc='if(lt(t,2),0,sin(440*2*PI*t)/2+random(0)/4)':d=7";

/// How far ffprobe's duration is read ahead of whole frames, plus Browse's millisecond.
const TOLERANCE_S: f64 = 0.002;

/// How each file's reference play time is read.
#[derive(Clone, Copy)]
enum Reference {
    /// ffprobe's `format=duration` (from the header it reads).
    Format,
    /// ffprobe's count of the frames times the samples a frame holds, over the rate.
    Frames,
}

/// (file name, audio source at its rate and channels, ffmpeg options, reference)
type Case = (&'static str, &'static str, &'static [&'static str], Reference);

const CASES: [Case; 9] = [
    ("aac.m4a", "sine=f=440:d=3.3:r=44100", &["-c:a", "aac", "-ac", "2"], Reference::Format),
    ("alac.m4a", "sine=f=440:d=2.7:r=48000", &["-c:a", "alac"], Reference::Format),
    (
        "cbr.mp3",
        "sine=f=440:d=7.3:r=44100",
        &["-c:a", "libmp3lame", "-b:a", "128k"],
        Reference::Format,
    ),
    (
        "cbr-bare.mp3",
        "sine=f=440:d=7.3:r=44100",
        &["-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"],
        Reference::Frames,
    ),
    (
        "xing.mp3",
        SILENCE_THEN_SOUND,
        &["-ar", "44100", "-ac", "2", "-c:a", "libmp3lame", "-q:a", "2"],
        Reference::Format,
    ),
    (
        "vbri.mp3",
        SILENCE_THEN_SOUND,
        &["-ar", "44100", "-ac", "2", "-c:a", "libmp3lame", "-q:a", "2", "-id3v2_version", "0"],
        Reference::Format,
    ),
    (
        "vbr-bare.mp3",
        SILENCE_THEN_SOUND,
        &["-ar", "44100", "-ac", "2", "-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0"],
        Reference::Frames,
    ),
    (
        "vbr-bare-22k.mp3",
        SILENCE_THEN_SOUND,
        &["-ar", "22050", "-ac", "1", "-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0"],
        Reference::Frames,
    ),
    (
        "vbr-bare-id3.mp3",
        SILENCE_THEN_SOUND,
        &[
            "-ar",
            "48000",
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            "-q:a",
            "6",
            "-write_xing",
            "0",
            "-metadata",
            "title=Tagged",
            "-write_id3v1",
            "1",
        ],
        Reference::Frames,
    ),
];

/// `ffprobe`'s values of `entries` for the first audio stream of `file`, one a line.
fn ffprobe(file: &Path, extra: &[&str], entries: &str) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0"])
        .args(extra)
        .args(["-show_entries", entries, "-of", "default=noprint_wrappers=1:nokey=1"])
        .arg(file)
        .output()
        .expect("ffprobe runs (Debian package ffmpeg)");
    assert!(out.status.success(), "ffprobe {}", file.display());
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// The play time ffprobe reads of `file`, in seconds.
fn reference(file: &Path, how: Reference) -> f64 {
    match how {
        Reference::Format => ffprobe(file, &[], "format=duration")[0].parse().unwrap(),
        Reference::Frames => {
            let v = ffprobe(file, &["-count_packets"], "stream=sample_rate,nb_read_packets");
            let (rate, frames): (f64, f64) = (v[0].parse().unwrap(), v[1].parse().unwrap());
            // MPEG-1 Layer III frames hold 1152 samples, MPEG-2 and 2.5 (under 32 kHz) 576.
            frames * if rate >= 32_000.0 { 1152.0 } else { 576.0 } / rate
        }
    }
}

/// Rewrites the Xing header of the MP3 `file` (which starts with that frame, MPEG-1 stereo)
/// as a VBRI header with the same frame count: Fraunhofer's header, 32 bytes after the frame
/// header whatever the mode, big-endian (version 1, delay, quality, bytes, frames, an empty
/// table of contents).
fn xing_to_vbri(file: &Path) {
    let mut bytes = std::fs::read(file).unwrap();
    assert_eq!(&bytes[..2], b"\xff\xfb", "an MPEG-1 Layer III frame first");
    let xing = &bytes[36..];
    assert!(xing.starts_with(b"Xing") || xing.starts_with(b"Info"), "a Xing header");
    assert_eq!(xing[7] & 3, 3, "Xing frames and bytes present");
    let frames: [u8; 4] = xing[8..12].try_into().unwrap();
    let total = u32::try_from(bytes.len()).unwrap().to_be_bytes();
    let mut vbri = b"VBRI\x00\x01\x00\x00\x00\x32".to_vec();
    vbri.extend(total);
    vbri.extend(frames);
    vbri.extend([0, 0, 0, 1, 0, 2, 0, 0]); // no TOC entries, scale 1, 2-byte entries
    bytes[36..36 + 160].fill(0);
    bytes[36..36 + vbri.len()].copy_from_slice(&vbri);
    std::fs::write(file, bytes).unwrap();
}

/// `H:MM:SS.mmm` in seconds.
fn seconds(duration: &str) -> f64 {
    let parts: Vec<f64> = duration.split(':').map(|p| p.parse().unwrap()).collect();
    parts.iter().fold(0.0, |total, p| total * 60.0 + p)
}

#[test]
fn mp3_and_m4a_play_times_match_ffprobe() {
    isolated("mp3_and_m4a_play_times_match_ffprobe", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        for (name, source, options, _) in CASES {
            let mut args = vec!["-f", "lavfi", "-i", source];
            args.extend(options);
            ffmpeg(&media.join(name), &args);
        }
        xing_to_vbri(&media.join("vbri.mp3"));

        let server = common::start_at(dir.path().join("state"), media.clone(), None);
        let cp = Renderer::new(Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let all = common::items(&cp, &control, "0");
        for (name, _, _, how) in CASES {
            let file = media.join(name);
            let want = reference(&file, how);
            let stem = name.rsplit_once('.').unwrap().0;
            let item = all
                .iter()
                .find(|o| {
                    o.title == stem
                        || o.title == name
                        || (stem.ends_with("id3") && o.title == "Tagged")
                })
                .unwrap_or_else(|| panic!("{name} not browsed"));
            let res = item.res.iter().find(|r| r.url.ends_with(&name[name.len() - 4..])).unwrap();
            let got = res.duration.as_deref().unwrap_or_else(|| panic!("{name}: no duration"));
            let got = seconds(got);
            assert!(
                (got - want).abs() <= TOLERANCE_S,
                "{name}: {got} s in Browse, ffprobe {want} s"
            );
        }
        // The estimate from the first frame is off for these: the reference is not it.
        let estimate: f64 =
            ffprobe(&media.join("vbr-bare.mp3"), &[], "format=duration")[0].parse().unwrap();
        let frames = reference(&media.join("vbr-bare.mp3"), Reference::Frames);
        assert!((estimate - frames).abs() > 0.5, "{estimate} s estimated, {frames} s walked");
        server.shutdown();
    });
}
