//! `rill decode` as a user runs it: the binary's output compared with stock libvorbis (`oggdec`
//! from vorbis-tools) on the demo tracks and with libFLAC (`flac -d`) on FLAC files made by
//! `flac`, with libopusfile (`opusdec --float --rate 48000`) on Ogg Opus files made by `opusenc`,
//! with ffmpeg's decoder on ALAC files made by ffmpeg, and sample-exact slices.

use std::path::{Path, PathBuf};
use std::process::Command;

fn demo_tracks() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let mut found = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "ogg") {
                found.push(path);
            }
        }
    }
    found.sort();
    assert_eq!(found.len(), 4, "the demo library has four tracks");
    found
}

fn rill(args: &[&str], file: &Path) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_rill")).arg("decode").args(args).arg(file).output();
    let out = out.expect("rill runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn samples(bytes: &[u8], big_endian: bool) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| {
            if big_endian {
                i16::from_be_bytes([b[0], b[1]])
            } else {
                i16::from_le_bytes([b[0], b[1]])
            }
        })
        .collect()
}

#[test]
fn matches_oggdec_and_slices_are_exact() {
    for track in demo_tracks() {
        let reference = Command::new("oggdec").args(["-Q", "-R", "-o", "-"]).arg(&track).output();
        let reference = samples(&reference.expect("oggdec (vorbis-tools) runs").stdout, false);
        let ours = samples(&rill(&[], &track), false);
        assert_eq!(ours.len(), reference.len(), "{}: length", track.display());
        let differ = ours.iter().zip(&reference).filter(|(a, b)| a != b).count();
        let worst =
            ours.iter().zip(&reference).map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs()).max();
        assert!(worst <= Some(1), "{}: {worst:?} LSB apart", track.display());
        assert!(differ * 1000 <= ours.len(), "{}: {differ} samples differ", track.display());

        // Big-endian is the same samples; slices are the same frames as the whole decode.
        assert_eq!(samples(&rill(&["-f", "s16be"], &track), true), ours);
        // The identification header opens the first page (27-byte page header, one lacing
        // byte): "\x01vorbis", a 4-byte version, then the channel count.
        let first_page = std::fs::read(&track).unwrap();
        assert_eq!(&first_page[28..35], b"\x01vorbis");
        let channels = usize::from(first_page[39]);
        let total = ours.len() / channels;
        for (start, end) in [(0, 1), (1000, 1001), (12_345, 30_000), (total - 7, total)] {
            let (s, e) = (start.to_string(), end.to_string());
            let slice = samples(&rill(&["--start", &s, "--end", &e], &track), false);
            assert_eq!(
                slice,
                ours[start * channels..end * channels],
                "{} [{s}, {e})",
                track.display()
            );
        }
        let floats = rill(&["-f", "f32le"], &track);
        assert_eq!(floats.len(), ours.len() * 4);
    }
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.ogg");
    std::fs::write(&junk, b"this is not an ogg file at all").unwrap();
    for file in [junk.clone(), dir.path().join("missing.ogg")] {
        let out =
            Command::new(env!("CARGO_BIN_EXE_rill")).arg("decode").arg(&file).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.starts_with("rill: "), "{err}");
    }
}

/// A FLAC file of `seconds` of a two-tone signal with noise, made by ffmpeg (WAV in `codec`)
/// and the reference encoder `flac` (with `flac_args`).
fn make_flac(dir: &Path, name: &str, codec: &str, channels: u32, flac_args: &[&str]) -> PathBuf {
    let wav = dir.join(format!("{name}.wav"));
    let expr = "0.4*sin(440*2*PI*t)+0.05*(random(0)-0.5)|0.3*sin(660*2*PI*t)+0.05*(random(1)-0.5)";
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("aevalsrc={expr}:s=48000:d=3"))
        .args(["-ac", &channels.to_string(), "-c:a", codec, "-fflags", "+bitexact"])
        .arg(&wav)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let flac = dir.join(name);
    let status = Command::new("flac")
        .args(["-s", "-f"])
        .args(flac_args)
        .arg("-o")
        .arg(&flac)
        .arg(&wav)
        .status()
        .expect("flac runs");
    assert!(status.success());
    flac
}

/// `flac -d --force-raw-format --endian=little --sign=signed` of `file`.
fn flac_d(file: &Path) -> Vec<u8> {
    let out = Command::new("flac")
        .args(["-d", "-s", "-c", "--force-raw-format", "--endian=little", "--sign=signed"])
        .arg(file)
        .output()
        .expect("flac -d runs");
    assert!(out.status.success());
    out.stdout
}

#[test]
fn flac_matches_flac_d_at_its_own_width() {
    let dir = tempfile::tempdir().unwrap();
    // 24-bit stereo: s24le is flac -d byte for byte, s32le the same samples shifted up.
    let hi = make_flac(dir.path(), "hi.flac", "pcm_s24le", 2, &["-8"]);
    let reference = flac_d(&hi);
    assert_eq!(reference.len(), 48_000 * 3 * 2 * 3);
    assert!(rill(&["-f", "s24le"], &hi) == reference);
    let wide: Vec<u8> = reference.chunks_exact(3).flat_map(|b| [0, b[0], b[1], b[2]]).collect();
    assert!(rill(&["-f", "s32le"], &hi) == wide);
    // Slices, in frames and in seconds, are the same bytes as the whole.
    let frame = 2 * 3;
    for (s, e, from, to) in [("1000", "1001", 1000, 1001), ("0.5s", "2s", 24_000, 96_000)] {
        let slice = rill(&["-f", "s24le", "--start", s, "--end", e], &hi);
        assert!(slice == reference[from * frame..to * frame], "[{s}, {e})");
    }
    // 16-bit: s16le is flac -d, s16be the same samples swapped; the codec decides, not the
    // name: an Ogg FLAC named .ogg decodes the same.
    let cd = make_flac(dir.path(), "cd.flac", "pcm_s16le", 2, &["-5", "-S-"]);
    let reference = flac_d(&cd);
    assert!(rill(&[], &cd) == reference);
    let swapped: Vec<u8> = reference.chunks_exact(2).flat_map(|b| [b[1], b[0]]).collect();
    assert!(rill(&["-f", "s16be"], &cd) == swapped);
    let ogg = make_flac(dir.path(), "cd.ogg", "pcm_s16le", 2, &["-5", "--ogg"]);
    assert!(rill(&[], &ogg) == reference);
    let tail = rill(&["--start", "143990"], &ogg);
    assert!(tail == reference[143_990 * 4..]);
    // 8-bit mono: s16le is each sample times 256.
    let low = make_flac(dir.path(), "low.flac", "pcm_u8", 1, &["-5"]);
    let reference = flac_d(&low);
    let scaled: Vec<u8> = reference.iter().flat_map(|&b| [0, b]).collect();
    assert!(rill(&[], &low) == scaled);
}

#[test]
fn a_broken_flac_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.flac");
    std::fs::write(&broken, b"fLaC\x80\x00\x00\x22 far too short").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rill")).arg("decode").arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.starts_with("rill: ") && err.contains("FLAC"), "{err}");
}

/// An Ogg Opus file of 3 s of a two-tone signal with noise on `channels` channels (mapping
/// family 1 above 2), made by ffmpeg (WAV) and `opusenc`, named `name`.
fn make_opus(dir: &Path, name: &str, channels: u32, bitrate: &str) -> PathBuf {
    let wav = dir.join(format!("{name}.wav"));
    let expr = "0.4*sin(440*2*PI*t)+0.05*(random(0)-0.5)|0.3*sin(660*2*PI*t)+0.05*(random(1)-0.5)";
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("aevalsrc={expr}:s=48000:d=3"))
        .args(["-ac", &channels.to_string(), "-c:a", "pcm_s16le", "-fflags", "+bitexact"])
        .arg(&wav)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let opus = dir.join(name);
    let status = Command::new("opusenc")
        .args(["--quiet", "--bitrate", bitrate])
        .arg(&wav)
        .arg(&opus)
        .status()
        .expect("opusenc runs");
    assert!(status.success());
    opus
}

/// `opusdec --float --rate 48000` of `file` (libopusfile): raw f32le, Vorbis channel order.
fn opusdec(file: &Path) -> Vec<f32> {
    let raw = file.with_extension("f32");
    let out = Command::new("opusdec")
        .args(["--quiet", "--float", "--rate", "48000"])
        .arg(file)
        .arg(&raw)
        .output()
        .expect("opusdec runs");
    assert!(out.status.success());
    let bytes = std::fs::read(&raw).unwrap();
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

#[test]
fn opus_matches_opusdec_float_at_48_khz() {
    let dir = tempfile::tempdir().unwrap();
    // The codec decides, not the name: stereo named .ogg, 5.1 named .oga.
    for (name, channels, bitrate) in [("st.ogg", 2usize, "96"), ("surround.oga", 6, "256")] {
        let file = make_opus(dir.path(), name, channels as u32, bitrate);
        let reference = opusdec(&file);
        // libopusfile decodes 3 s plus nothing: exact length (3 × 48000 frames).
        assert_eq!(reference.len(), 144_000 * channels, "{name}");
        let got = floats(&rill(&["-f", "f32le"], &file));
        assert_eq!(got.len(), reference.len(), "{name}: length");
        let worst = got.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst <= 1e-6, "{name}: differs from opusdec by {worst}");
        // 16-bit: the same samples rounded to the nearest (no dither).
        let s16 = samples(&rill(&[], &file), false);
        let rounded: Vec<i16> =
            got.iter().map(|s| (s * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16).collect();
        assert!(s16 == rounded, "{name}: s16le");
        // A slice from 1 s: exact length, and (CELT) identical to the full decode 0.5 s after
        // its start, once the decoder has converged after the seek's 80 ms pre-roll.
        let slice = floats(&rill(&["-f", "f32le", "--start", "1s", "--end", "2.5s"], &file));
        assert_eq!(slice.len(), 72_000 * channels, "{name}: slice length");
        let from = 24_000 * channels;
        assert!(slice[from..] == got[48_000 * channels + from..120_000 * channels], "{name}");
    }
}

#[test]
fn a_broken_opus_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = make_opus(dir.path(), "cut.opus", 2, "64");
    // An OpusHead with mapping family 255 (players must not play it), on a valid page.
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.windows(8).position(|w| w == b"OpusHead").unwrap();
    bytes[at + 18] = 255;
    rill_core::media::ogg::page::Page::new_checked(&mut bytes[..]).unwrap().fill_checksum();
    std::fs::write(&file, &bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rill")).arg("decode").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("not a readable Ogg Opus file: unsupported"), "{err}");
    assert!(err.starts_with("rill: "), "{err}");
}

/// An `.m4a` of 3 s of a two-tone signal with noise on `channels` channels, made by ffmpeg
/// from PCM in `pcm` (`pcm_s16le`, `pcm_s24le`) coded with `args`.
fn make_m4a(dir: &Path, name: &str, pcm: &str, channels: u32, args: &[&str]) -> PathBuf {
    let wav = dir.join(format!("{name}.wav"));
    let expr = "0.4*sin(440*2*PI*t)+0.05*(random(0)-0.5)|0.3*sin(660*2*PI*t)+0.05*(random(1)-0.5)";
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("aevalsrc={expr}:s=44100:d=3"))
        .args(["-ac", &channels.to_string(), "-c:a", pcm])
        .arg(&wav)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let m4a = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&wav)
        .args(args)
        .arg(&m4a)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    m4a
}

/// ffmpeg's decode of `file` as raw `fmt` (`s16le`, `s24le`, `s32le`).
fn ffmpeg_d(file: &Path, fmt: &str) -> Vec<u8> {
    let codec = format!("pcm_{fmt}");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-c:a", &codec, "-f", fmt, "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success());
    out.stdout
}

#[test]
fn alac_matches_ffmpeg_at_its_own_width() {
    let dir = tempfile::tempdir().unwrap();
    // 24-bit stereo: s24le is ffmpeg's decode byte for byte; slices are the same bytes.
    let hi =
        make_m4a(dir.path(), "hi.m4a", "pcm_s24le", 2, &["-c:a", "alac", "-sample_fmt", "s32p"]);
    let reference = ffmpeg_d(&hi, "s24le");
    assert_eq!(reference.len(), 44_100 * 3 * 3 * 2);
    assert!(rill(&["-f", "s24le"], &hi) == reference);
    assert!(rill(&["-f", "s32le"], &hi) == ffmpeg_d(&hi, "s32le"));
    let frame = 2 * 3;
    for (s, e, from, to) in [("4095", "4097", 4095, 4097), ("0.5s", "2s", 22_050, 88_200)] {
        let slice = rill(&["-f", "s24le", "--start", s, "--end", e], &hi);
        assert!(slice == reference[from * frame..to * frame], "[{s}, {e})");
    }
    // 16-bit, and 5.1 in ffmpeg's (WAV) channel order.
    for channels in [2, 6] {
        let cd = make_m4a(dir.path(), "cd.m4a", "pcm_s16le", channels, &["-c:a", "alac"]);
        let reference = ffmpeg_d(&cd, "s16le");
        assert_eq!(reference.len(), 44_100 * 3 * 2 * channels as usize);
        assert!(rill(&[], &cd) == reference, "{channels} channels");
    }
    // AAC is not decoded: one line, exit status 1.
    let aac = make_m4a(dir.path(), "aac.m4a", "pcm_s16le", 2, &["-c:a", "aac"]);
    let out = Command::new(env!("CARGO_BIN_EXE_rill")).arg("decode").arg(&aac).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.starts_with("rill: ") && err.contains("AAC is not decoded"), "{err}");
}
