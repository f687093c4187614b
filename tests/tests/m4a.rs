//! `.m4a` files end to end: ALAC and AAC made by ffmpeg, read through the core's probe and
//! served by an in-process server, browsed over loopback by the mock renderer posing as a PS3.
//! AAC carries the DLNA profile its AudioSpecificConfig and bitrate give; ALAC is no longer
//! labelled AAC; both carry their play time from the MP4 header.

mod common;
mod mp4_util;
mod ogg_util;

use common::{control_url, items};
use mp4_util::{encode, pcm, scratch};
use ogg_util::Mem;
use rill_core::library::probe;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Player, Renderer};

/// (file name, ffmpeg options, bits, rate, channels, frames, DLNA profile)
type Case = (&'static str, &'static [&'static str], u32, u32, usize, usize, Option<&'static str>);

const CASES: [Case; 5] = [
    (
        "aac-lc.m4a",
        &["-c:a", "aac", "-b:a", "128k"],
        16,
        48_000,
        2,
        48_000 * 2,
        Some("AAC_ISO_320"),
    ),
    ("aac-400k.m4a", &["-c:a", "aac", "-b:a", "400k"], 16, 48_000, 2, 48_000, Some("AAC_ISO")),
    ("aac-5.1.m4a", &["-c:a", "aac", "-b:a", "384k"], 16, 48_000, 6, 48_000, Some("AAC_MULT5_ISO")),
    ("alac-16.m4a", &["-c:a", "alac"], 16, 44_100, 2, 44_100 * 3 + 5, None),
    ("alac-24.m4a", &["-c:a", "alac", "-sample_fmt", "s32p"], 24, 96_000, 2, 96_000, None),
];

fn write_cases(dir: &std::path::Path) {
    for (name, args, bits, rate, ch, frames, _) in CASES {
        encode(dir, name, &pcm(frames, ch, bits, 7), bits, rate, ch, args);
    }
}

#[test]
fn probe_tells_alac_from_aac() {
    let dir = scratch();
    write_cases(dir.path());
    for (name, _, bits, rate, ch, frames, profile) in CASES {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        let d = probe::mp4(Mem::new(bytes)).unwrap();
        assert_eq!(d.aac_profile.map(|p| p.name()), profile, "{name}");
        let audio = d.audio.unwrap();
        assert_eq!((audio.sample_rate, usize::from(audio.channels)), (rate, ch), "{name}");
        let ms = frames as u64 * 1000 / u64::from(rate);
        assert!(d.duration_ms.unwrap().abs_diff(ms) <= 1, "{name}: {:?} ms", d.duration_ms);
        if name.starts_with("alac") {
            assert_eq!(d.frames, Some(frames as u64), "{name}: exact length");
            assert_eq!(u32::from(audio.bits_per_sample), bits, "{name}");
        } else {
            assert_eq!(d.frames, None, "{name}");
        }
    }
}

#[test]
fn browse_labels_m4a_by_its_codec() {
    isolated("browse_labels_m4a_by_its_codec", || {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir_all(&media).unwrap();
        write_cases(&media);
        let server = common::start_at(dir.path().join("state"), media, None);
        let ps3 = Renderer::new(Player::PS3);
        let control = control_url(&ps3, &server);
        let all = items(&ps3, &control, "0");
        for (name, _, _, rate, _, frames, profile) in CASES {
            let item = all
                .iter()
                .find(|o| o.title == name.trim_end_matches(".m4a") || o.title == name)
                .unwrap_or_else(|| panic!("{name} not browsed"));
            // The file itself (a PS3 gets an ALAC file's L16 rendition first).
            let res = item.res.iter().find(|r| r.url.ends_with(".m4a")).expect("the file");
            assert!(
                res.protocol_info.starts_with("http-get:*:audio/mp4:"),
                "{}",
                res.protocol_info
            );
            match profile {
                Some(pn) => assert!(
                    res.protocol_info.contains(&format!("DLNA.ORG_PN={pn};")),
                    "{name}: {}",
                    res.protocol_info
                ),
                None => assert!(
                    !res.protocol_info.contains("DLNA.ORG_PN"),
                    "{name}: {}",
                    res.protocol_info
                ),
            }
            let ms = frames as u64 * 1000 / u64::from(rate);
            let want = format!("0:00:{:02}.{:03}", ms / 1000, ms % 1000);
            assert_eq!(res.duration.as_deref(), Some(&*want), "{name}");
        }
    });
}
