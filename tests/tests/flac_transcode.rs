//! FLAC as exact-length, seekable PCM renditions: the transcoder on FLAC files made by `flac`,
//! and the real server serving them to a player.
//!
//! The L16 and WAV references are built here from `flac -d`'s samples: 16-bit samples as they
//! are, wider ones rounded to the nearest 16-bit value (halves up, clamped), narrower ones
//! shifted up; FLAC's channel order is already WAV's, so channels stay as they are. Every byte
//! range and every time range of a rendition, produced by seeking, must equal the same slice
//! of that reference. The LPCM-profile version (hi-res, multichannel) is checked against a
//! linear run of the transcoder, whose conversion `transcode.rs` checks against its definition.

mod common;
mod ogg_util;

use ogg_util::Mem;
use rill_core::media::flac::FlacFile;
use rill_core::transcode::resample::frames_out;
use rill_core::transcode::{lpcm_target, Layout, Transcoder, Wrapping};
use rill_tests::corpus::Rng;
use rill_tests::flac_corpus::Spec;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Player, Renderer};
use rill_tests::rendition::{check_served, read_to_end, spans, to_16, whole};

/// The whole rendition of `spec` in `wrapping`, from `flac -d`.
fn reference(spec: &Spec, wrapping: Wrapping) -> (Layout, Vec<u8>) {
    let layout = Layout::new(wrapping, spec.rate, spec.channels, u64::from(spec.frames)).unwrap();
    (layout, whole(layout, spec.reference().into_iter().map(|s| to_16(s, spec.bits))))
}

/// Bytes `first..first + len` of `layout` by a transcoder over `file`, read in odd sizes.
fn produce(file: &[u8], layout: Layout, first: u64, len: u64, rng: &mut Rng) -> Vec<u8> {
    let f = FlacFile::open(Mem::new(file.to_vec())).expect("open");
    read_to_end(Transcoder::new(f, layout, first, len).expect("position"), rng)
}

fn specs() -> Vec<Spec> {
    vec![
        Spec::cd(&["-5"]),
        Spec::cd(&["-8", "-S-"]),
        Spec { bits: 24, rate: 96_000, frames: 288_000, ..Spec::cd(&["-5"]) },
        Spec { channels: 6, ..Spec::cd(&["-5"]) },
        Spec { bits: 8, channels: 1, rate: 22_050, frames: 50_000, ..Spec::cd(&["-5"]) },
        Spec { ogg: true, ..Spec::cd(&["-5"]) },
    ]
}

#[test]
fn every_range_of_a_flac_rendition_is_exact() {
    let mut rng = Rng::new(5);
    for spec in specs() {
        let file = spec.bytes();
        for wrapping in [Wrapping::L16, Wrapping::Wav] {
            let (layout, whole) = reference(&spec, wrapping);
            let mut all = vec![(0, layout.total_len())];
            all.extend(spans(&mut rng, layout, 12, true));
            for (first, len) in all {
                let got = produce(&file, layout, first, len, &mut rng);
                let want = &whole[first as usize..(first + len) as usize];
                assert!(got == want, "{} {wrapping}: bytes {first}+{len}", spec.name());
            }
        }
    }
}

#[test]
fn the_lpcm_version_of_hi_res_and_multichannel_flac_seeks_exactly() {
    let mut rng = Rng::new(6);
    for spec in [
        Spec { bits: 24, rate: 96_000, frames: 288_000, ..Spec::cd(&["-5"]) },
        Spec { channels: 6, ..Spec::cd(&["-5"]) },
    ] {
        let file = spec.bytes();
        let (to, ch) = lpcm_target(spec.rate, spec.channels).expect("outside the profile");
        let frames = frames_out(u64::from(spec.frames), spec.rate, to);
        let layout = Layout::new(Wrapping::Lpcm, to, ch, frames).unwrap();
        let whole = produce(&file, layout, 0, layout.total_len(), &mut rng);
        assert_eq!(whole.len() as u64, layout.total_len());
        for (first, len) in spans(&mut rng, layout, 8, true) {
            let got = produce(&file, layout, first, len, &mut rng);
            assert!(got == whole[first as usize..(first + len) as usize], "{}", spec.name());
        }
        if spec.channels == 6 {
            // The downmix reads FLAC's order (FL FR FC LFE BL BR): a signal only in the front
            // left channel must come out on the left only.
            let mut samples = vec![0i32; 6 * 20_000];
            for (i, frame) in samples.chunks_mut(6).enumerate() {
                frame[0] = ((i as f64 * 0.05).sin() * 20_000.0) as i32;
            }
            let dir = tempfile::tempdir().unwrap();
            let wav = dir.path().join("left.wav");
            let flac = dir.path().join("left.flac");
            std::fs::write(&wav, rill_tests::flac_corpus::wav_bytes(6, 48_000, 16, &samples))
                .unwrap();
            let st = std::process::Command::new("flac")
                .args(["-s", "-f", "-o"])
                .arg(&flac)
                .arg(&wav)
                .status()
                .unwrap();
            assert!(st.success());
            let bytes = std::fs::read(&flac).unwrap();
            let layout = Layout::new(Wrapping::Lpcm, 48_000, 2, 20_000).unwrap();
            let pcm = produce(&bytes, layout, 0, layout.total_len(), &mut rng);
            let (mut left, mut right) = (0i64, 0i64);
            for f in pcm.chunks(4) {
                left += i64::from(i16::from_be_bytes([f[0], f[1]])).abs();
                right += i64::from(i16::from_be_bytes([f[2], f[3]])).abs();
            }
            assert!(left > 1000 * 20_000 && right == 0, "left {left}, right {right}");
        }
    }
}

/// The real server: a FLAC, a 24/96 FLAC and an Ogg FLAC named `.oga`, browsed and played by
/// a generic player with byte ranges and DLNA time seeks, and by a PS3 (L16 or the LPCM
/// version first, time seeks).
#[test]
fn the_server_serves_flac_as_exact_seekable_pcm() {
    isolated("the_server_serves_flac_as_exact_seekable_pcm", || {
        let tracks = [
            ("cd", Spec::cd(&["-5"]), "flac"),
            (
                "hires",
                Spec { bits: 24, rate: 96_000, frames: 288_000, ..Spec::cd(&["-5"]) },
                "flac",
            ),
            ("oggflac", Spec { ogg: true, ..Spec::cd(&["-5"]) }, "oga"),
        ];
        let (dir, root) = common::empty_dir();
        for (name, spec, ext) in &tracks {
            std::fs::copy(spec.path(), root.join(format!("{name}.{ext}"))).unwrap();
        }
        let server = common::start((dir, root));
        let cp = Renderer::new(Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let items = common::items(&cp, &control, "0");
        let mut rng = Rng::new(7);
        for (name, spec, _) in &tracks {
            let item = items.iter().find(|o| o.title == *name).expect(name);
            for (wrapping, ext) in [(Wrapping::L16, "l16"), (Wrapping::Wav, "wav")] {
                let (layout, whole) = reference(spec, wrapping);
                let res = item.res.iter().find(|r| r.url.ends_with(ext)).expect(ext);
                assert_eq!(res.size, Some(layout.total_len()), "{name}.{ext}");
                assert!(res.duration.is_some());
                check_served(&cp, &res.url, layout, &whole, &mut rng, &format!("{name}.{ext}"));
            }
        }
        // A PS3 gets L16 (time seek only) first; the 24/96 file's LPCM-profile version first.
        let ps3 = Renderer::new(Player::PS3);
        let items = common::items(&ps3, &control, "0");
        let first_res = |name: &str| {
            let item = items.iter().find(|o| o.title == name).expect(name);
            item.res[0].clone()
        };
        assert!(first_res("hires").url.ends_with(".lpcm"));
        for name in ["cd", "oggflac"] {
            let res = first_res(name);
            assert!(res.url.ends_with(".l16"), "{name}: {}", res.url);
            let features = res.dlna_features().unwrap();
            assert!(features.starts_with("DLNA.ORG_PN=LPCM;DLNA.ORG_OP=10;"), "{features}");
            let spec = &tracks.iter().find(|t| t.0 == name).unwrap().1;
            let (layout, whole) = reference(spec, Wrapping::L16);
            let resp = ps3.get(&res.url, &[("TimeSeekRange.dlna.org", "npt=1.5-2.25")]).unwrap();
            assert_eq!(resp.status, 200);
            let (from, to) = (layout.frame_offset(66_150), layout.frame_offset(99_225));
            assert!(resp.body == whole[from as usize..to as usize], "{name}: PS3 time seek");
        }
        server.shutdown();
    });
}
