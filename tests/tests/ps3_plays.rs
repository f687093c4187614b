//! The mock PS3 plays every audio format: it browses a folder holding Ogg Vorbis, FLAC (native
//! and in Ogg, named `.oga`), ALAC (`.m4a`), Opus, MP3 and WAV, takes the first `res` of each
//! item as a PS3 does, plays it, then seeks in it with a byte range and a
//! `TimeSeekRange.dlna.org` request, and checks every body against the format's reference
//! decoder at the exact offsets.
//!
//! Vorbis, FLAC, ALAC and Opus must come first as L16 in DLNA's LPCM profile (a PS3 decodes
//! none of them), with time seek only (`DLNA.ORG_OP=10`); MP3 and WAV, which it plays, first
//! as they are. References: `oggdec` (libvorbisfile; Rill's Vorbis is within 1 LSB of it),
//! `flac -d` and ffmpeg's ALAC decoder (exact), and for Opus Rill's linear decode checked
//! against libopusfile in this test (seeks within the convergence tolerance of issue 13,
//! item 2); the originals against their own bytes.

mod common;
mod mp4_util;
mod opus_util;

use rill_core::transcode::{Layout, Wrapping};
use rill_tests::corpus::{Rng, Spec as VorbisSpec};
use rill_tests::flac_corpus::Spec as FlacSpec;
use rill_tests::opus_corpus::{Signal, Spec as OpusSpec};
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Player, Renderer};
use rill_tests::rendition::{assert_seek_close, to_16, to_wav_order, whole};

/// What the PS3 must be offered first for a file, and how its bytes are checked.
enum Want {
    /// An L16 rendition (44.1 or 48 kHz stereo) equal to this whole rendition within
    /// `tolerance`, identical from `exact_after` frames after a seek (`Some(0)`: exact).
    L16 { whole: Vec<u8>, rate: u32, tolerance: i32, exact_after: Option<u64> },
    /// The original file, with this extension.
    Original { ext: &'static str },
}

/// Stereo L16 of `frames` frames at `rate` from 16-bit WAV-order `samples`.
fn l16(rate: u32, samples: Vec<i16>) -> (Vec<u8>, u32) {
    let layout = Layout::new(Wrapping::L16, rate, 2, (samples.len() / 2) as u64).unwrap();
    (whole(layout, samples), rate)
}

#[test]
fn a_ps3_plays_and_seeks_every_audio_format() {
    isolated("a_ps3_plays_and_seeks_every_audio_format", || {
        let (dir, root) = common::empty_dir();
        let scratch = mp4_util::scratch();
        let mut tracks: Vec<(&str, Want)> = Vec::new();

        let vorbis = VorbisSpec::stereo(4);
        std::fs::copy(vorbis.path(), root.join("vorbis.ogg")).unwrap();
        let (whole, rate) = l16(44_100, vorbis.oggdec_i16());
        tracks.push(("vorbis", Want::L16 { whole, rate, tolerance: 1, exact_after: None }));

        for (name, spec, ext) in [
            ("flac", FlacSpec::cd(&["-5"]), "flac"),
            ("oggflac", FlacSpec { ogg: true, ..FlacSpec::cd(&["-5"]) }, "oga"),
        ] {
            std::fs::copy(spec.path(), root.join(format!("{name}.{ext}"))).unwrap();
            let samples = spec.reference().into_iter().map(|s| to_16(s, spec.bits)).collect();
            let (whole, rate) = l16(spec.rate, samples);
            tracks.push((name, Want::L16 { whole, rate, tolerance: 0, exact_after: Some(0) }));
        }

        let pcm = mp4_util::pcm(100_000, 2, 16, 3);
        let alac = ["-c:a", "alac", "-sample_fmt", "s16p"];
        let m4a = mp4_util::encode(scratch.path(), "alac.m4a", &pcm, 16, 44_100, 2, &alac);
        std::fs::copy(&m4a, root.join("alac.m4a")).unwrap();
        let decoded = mp4_util::ffmpeg_decode(&m4a, "s16le");
        assert!(decoded == pcm, "ffmpeg's ALAC decode is the source");
        let (whole, rate) = l16(44_100, decoded.into_iter().map(|s| s as i16).collect());
        tracks.push(("alac", Want::L16 { whole, rate, tolerance: 0, exact_after: Some(0) }));

        let opus = OpusSpec::new(Signal::Music, 2, &["--bitrate", "128"]);
        std::fs::copy(opus.path(), root.join("opus.opus")).unwrap();
        let (whole, rate) = l16(48_000, to_wav_order(&opus_util::checked_decode(&opus), 2));
        let (tolerance, exact_after) = (opus_util::TOLERANCE, opus_util::converged(&opus));
        tracks.push(("opus", Want::L16 { whole, rate, tolerance, exact_after }));

        for (name, ext, args) in [
            ("mp3", "mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
            ("wav", "wav", ["-c:a", "pcm_s16le", "-f", "wav"]),
        ] {
            let file = format!("{name}.{ext}");
            let path = mp4_util::encode(scratch.path(), &file, &pcm, 16, 44_100, 2, &args);
            std::fs::copy(path, root.join(&file)).unwrap();
            tracks.push((name, Want::Original { ext }));
        }

        let server = common::start((dir, root.clone()));
        let ps3 = Renderer::new(Player::PS3);
        let control = common::control_url(&ps3, &server);
        let items = common::items(&ps3, &control, "0");
        let mut rng = Rng::new(3);
        for (name, want) in &tracks {
            let item = items.iter().find(|o| o.title == *name).expect(name);
            let res = &item.res[0];
            let url = &res.url;
            match want {
                Want::L16 { whole, rate, tolerance, exact_after } => {
                    assert!(url.ends_with(".l16"), "{name}: first res {url}");
                    let mime = format!("audio/L16;rate={rate};channels=2");
                    assert_eq!(res.mime(), Some(mime.as_str()), "{name}");
                    let features = res.dlna_features().unwrap();
                    assert!(features.starts_with("DLNA.ORG_PN=LPCM;DLNA.ORG_OP=10;"), "{name}");
                    assert_eq!(res.size, Some(whole.len() as u64), "{name}: size");
                    let layout =
                        Layout::new(Wrapping::L16, *rate, 2, whole.len() as u64 / 4).unwrap();
                    let check = |first: u64, body: &[u8], what: &str| {
                        let what = format!("{name}: {what}");
                        assert_seek_close(
                            layout,
                            whole,
                            first,
                            body,
                            *tolerance,
                            *exact_after,
                            &what,
                        )
                    };
                    // Play.
                    let resp = ps3.get(url, &[]).unwrap();
                    assert_eq!(resp.status, 200, "{name}");
                    assert_eq!(resp.body.len(), whole.len(), "{name}: length");
                    check(0, &resp.body, "play");
                    // Pause, then resume from a byte offset inside a sample.
                    let first = 2 * rng.below(layout.total_len() / 2) + 1;
                    let range = format!("bytes={first}-");
                    let resp = ps3.get(url, &[("Range", &range)]).unwrap();
                    assert_eq!(resp.status, 206, "{name} {range}");
                    assert_eq!(resp.body.len() as u64, layout.total_len() - first);
                    check(first, &resp.body, &range);
                    // "Go To" a time: frames from floor(start × rate) to floor(end × rate).
                    let npt = "npt=1.250-1.900";
                    let resp = ps3.get(url, &[("TimeSeekRange.dlna.org", npt)]).unwrap();
                    assert_eq!(resp.status, 200, "{name} {npt}");
                    let from = u64::from(*rate) * 5 / 4;
                    let to = u64::from(*rate) * 19 / 10;
                    let (first, end) = (layout.frame_offset(from), layout.frame_offset(to));
                    assert_eq!(resp.body.len() as u64, end - first, "{name} {npt}");
                    check(first, &resp.body, npt);
                }
                Want::Original { ext } => {
                    assert!(url.ends_with(&format!(".{ext}")), "{name}: first res {url}");
                    let bytes = std::fs::read(root.join(format!("{name}.{ext}"))).unwrap();
                    let resp = ps3.get(url, &[]).unwrap();
                    assert_eq!(resp.status, 200, "{name}");
                    assert!(resp.body == bytes, "{name}: the file as it is");
                    let first = rng.below(bytes.len() as u64) as usize;
                    let range = format!("bytes={first}-");
                    let resp = ps3.get(url, &[("Range", &range)]).unwrap();
                    assert_eq!(resp.status, 206, "{name} {range}");
                    assert!(resp.body == bytes[first..], "{name} {range}");
                    // Originals are offered with DLNA.ORG_OP=01: no time seek.
                    let resp = ps3.get(url, &[("TimeSeekRange.dlna.org", "npt=1.0-")]).unwrap();
                    assert_eq!(resp.status, 406, "{name}: time seek on an original");
                }
            }
        }
        server.shutdown();
    });
}
