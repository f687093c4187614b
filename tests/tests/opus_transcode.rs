//! Ogg Opus as exact-length, seekable PCM renditions: the transcoder on files made by `opusenc`
//! (mono, stereo, 5.1 and 7.1 in mapping family 1, SILK speech, a chained file), and the real
//! server probing, listing and serving them, one of them named `.ogg`.
//!
//! The reference is Rill's own linear decode (`OpusFile` over libopus, rounded to 16 bits as
//! the renditions promise), checked here first against libopusfile (`opusdec --float --rate
//! 48000`): the same length, and `opus_compare`'s quality at least 0. A rendition read from
//! its start must equal it byte for byte. A byte range or time range is produced by seeking,
//! and a seeked Opus decoder converges (RFC 7845 §4.6), so there each sample must be within a
//! quarter of full scale of the reference, and for CELT streams identical from 0.5 s after the
//! span's first frame on (issue 13, item 2): which also proves the span starts on its exact
//! sample.

mod common;
mod opus_util;

use std::io::Cursor;

use embedded_io_adapters::std::FromStd;
use opus_util::{checked_decode, converged, CONVERGED, TOLERANCE};
use rill::opus::LibOpus;
use rill_core::transcode::{Decoder, Layout, Transcoder, Wrapping};
use rill_tests::corpus::Rng;
use rill_tests::opus_corpus::{Signal, Spec};
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Player, Renderer};
use rill_tests::rendition::{assert_seek_close, read_to_end, spans, to_wav_order, whole};

/// The test files: mono, stereo, 5.1 and 7.1 (family 1), SILK speech, and a two-link chain.
fn specs() -> Vec<Spec> {
    use Signal::{Music, Speech};
    let mut chained = Spec::new(Music, 2, &["--bitrate", "96"]);
    chained.links = 2;
    chained.frames = 96_000;
    vec![
        Spec::new(Music, 1, &["--bitrate", "64"]),
        Spec::new(Music, 2, &["--bitrate", "128"]),
        Spec::new(Music, 6, &["--bitrate", "256"]),
        Spec::new(Music, 8, &["--bitrate", "320"]),
        Spec::new(Speech, 2, &["--bitrate", "32", "--speech"]),
        chained,
    ]
}

/// The whole L16 and WAV renditions of `spec`, from [`checked_decode`].
fn references(spec: &Spec) -> [(Layout, Vec<u8>); 2] {
    let pcm = to_wav_order(&checked_decode(spec), spec.channels);
    let frames = (pcm.len() / usize::from(spec.channels)) as u64;
    [Wrapping::L16, Wrapping::Wav].map(|wrapping| {
        let layout = Layout::new(wrapping, 48_000, spec.channels, frames).unwrap();
        (layout, whole(layout, pcm.iter().copied()))
    })
}

/// Opens `file` as the server does, lending it libopus.
fn open(file: &[u8]) -> Decoder<FromStd<Cursor<Vec<u8>>>> {
    let src = FromStd::new(Cursor::new(file.to_vec()));
    Decoder::open_with_opus(src, 1 << 24, Some(Box::new(LibOpus::new()))).expect("open")
}

/// Bytes `first..first + len` of `layout` by a transcoder over `file`, read in odd sizes.
fn produce(file: &[u8], layout: Layout, first: u64, len: u64, rng: &mut Rng) -> Vec<u8> {
    read_to_end(Transcoder::new(open(file), layout, first, len).expect("position"), rng)
}

#[test]
fn every_range_of_an_opus_rendition_lands_on_its_sample() {
    let mut rng = Rng::new(13);
    for spec in specs() {
        let file = spec.bytes();
        for (layout, whole) in references(&spec) {
            let what = format!("{} {}", spec.name(), layout.wrapping);
            let all = produce(&file, layout, 0, layout.total_len(), &mut rng);
            assert!(all == whole, "{what}: the whole rendition is the linear decode");
            for (first, len) in spans(&mut rng, layout, 10, true) {
                let got = produce(&file, layout, first, len, &mut rng);
                assert_eq!(got.len() as u64, len, "{what}: length of bytes {first}+{len}");
                let what = format!("{what}: bytes {first}+{len}");
                assert_seek_close(layout, &whole, first, &got, TOLERANCE, converged(&spec), &what);
            }
        }
    }
}

#[test]
fn the_lpcm_version_of_5_1_opus_is_exact_in_length_and_seeks() {
    let mut rng = Rng::new(14);
    let spec = Spec::new(Signal::Music, 6, &["--bitrate", "256"]);
    let file = spec.bytes();
    let frames = (spec.reference().len() / 6) as u64;
    let layout = Layout::new(Wrapping::Lpcm, 48_000, 2, frames).unwrap();
    let whole = produce(&file, layout, 0, layout.total_len(), &mut rng);
    assert_eq!(whole.len() as u64, layout.total_len());
    for (first, len) in spans(&mut rng, layout, 8, true) {
        let got = produce(&file, layout, first, len, &mut rng);
        let what = format!("5.1 LPCM: bytes {first}+{len}");
        // Six channels, each within the tolerance, mixed into two.
        assert_seek_close(layout, &whole, first, &got, 2 * TOLERANCE, Some(CONVERGED), &what);
    }
}

/// Writes to `out` an Ogg Opus file titled "Pictured" with a 64x64 PNG front cover, by ffmpeg
/// and `opusenc --picture`, in scratch folder `dir`.
fn pictured(dir: &std::path::Path, out: &std::path::Path) {
    let (png, wav) = (dir.join("cover.png"), dir.join("tone.wav"));
    let ffmpeg = |args: &[&str], file: &std::path::Path| {
        let st = std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .args(args)
            .arg(file)
            .status()
            .expect("run ffmpeg");
        assert!(st.success(), "ffmpeg {args:?}");
    };
    ffmpeg(&["color=c=green:s=64x64", "-frames:v", "1"], &png);
    ffmpeg(&["sine=d=1:r=48000"], &wav);
    let st = std::process::Command::new("opusenc")
        .args(["--quiet", "--title", "Pictured", "--picture"])
        .args([&png, &wav, out])
        .status()
        .expect("run opusenc");
    assert!(st.success(), "opusenc --picture");
}

/// `ms` as DIDL-Lite writes a duration: `H:MM:SS.mmm`.
fn clock(ms: u64) -> String {
    format!("{}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// The real server: Opus files (one of them named `.ogg`, one tagged and named `.oga`) probed
/// by their bytes, listed with exact L16 and WAV renditions, played whole, by byte ranges and
/// by a DLNA time seek; the cover embedded in an Opus named `.ogg` is its art; a PS3 gets L16
/// first and a player that decodes Opus the original first.
#[test]
fn the_server_serves_opus_as_seekable_pcm() {
    isolated("the_server_serves_opus_as_seekable_pcm", || {
        let tagged = Spec::new(
            Signal::Music,
            2,
            &["--bitrate", "96", "--title", "Tagged", "--artist", "Opus Artist"],
        );
        let mut tracks: Vec<(String, Spec, &str)> = specs()
            .into_iter()
            .enumerate()
            .map(|(i, spec)| (format!("track{i}"), spec, if i == 1 { "ogg" } else { "opus" }))
            .collect();
        tracks.push(("Tagged".into(), tagged, "oga"));
        let (dir, root) = common::empty_dir();
        for (name, spec, ext) in &tracks {
            std::fs::copy(spec.path(), root.join(format!("{name}.{ext}"))).unwrap();
        }
        pictured(dir.path(), &root.join("pictured.ogg"));
        let server = common::start((dir, root));
        let cp = Renderer::new(Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let items = common::items(&cp, &control, "0");
        let mut rng = Rng::new(15);
        for (name, spec, ext) in &tracks {
            let item = items.iter().find(|o| o.title == *name).expect(name);
            // The original, as Ogg (a `.oga` is listed under `.ogg`, its format's extension).
            let ogg = if *ext == "opus" { ".opus" } else { ".ogg" };
            let original = item.res.iter().find(|r| r.url.ends_with(ogg)).expect(name);
            assert_eq!(original.mime(), Some("audio/ogg"), "{name}");
            for (layout, whole) in references(spec) {
                let ext = layout.wrapping.extension();
                let what = format!("{name}.{ext}");
                let res = item.res.iter().find(|r| r.url.ends_with(ext));
                let res = res.expect(&what);
                assert_eq!(res.size, Some(layout.total_len()), "{what}: size");
                let ms = layout.frames * 1000 / 48_000;
                assert_eq!(res.duration.as_deref(), Some(clock(ms).as_str()), "{what}");
                let resp = cp.get(&res.url, &[]).unwrap();
                assert_eq!(resp.status, 200, "{what}");
                assert!(resp.body == whole, "{what}: the whole rendition");
                for _ in 0..3 {
                    let first = rng.below(layout.total_len());
                    let last = first + rng.below(layout.total_len() - first);
                    let range = format!("bytes={first}-{last}");
                    let resp = cp.get(&res.url, &[("Range", &range)]).unwrap();
                    assert_eq!(resp.status, 206, "{what} {range}");
                    assert_eq!(resp.body.len() as u64, last - first + 1, "{what} {range}");
                    let tol = converged(spec);
                    let what = format!("{what} {range}");
                    assert_seek_close(layout, &whole, first, &resp.body, TOLERANCE, tol, &what);
                }
                let start_ms = rng.below(ms);
                let npt = format!("npt={}.{:03}-", start_ms / 1000, start_ms % 1000);
                let resp = cp.get(&res.url, &[("TimeSeekRange.dlna.org", &npt)]).unwrap();
                assert_eq!(resp.status, 200, "{what} {npt}");
                let first = layout.frame_offset(layout.frame_at(start_ms * 1000));
                assert_eq!(resp.body.len() as u64, layout.total_len() - first, "{what} {npt}");
                let (tol, what) = (converged(spec), format!("{what} {npt}"));
                assert_seek_close(layout, &whole, first, &resp.body, TOLERANCE, tol, &what);
            }
        }
        let tagged = items.iter().find(|o| o.title == "Tagged").unwrap();
        assert_eq!(tagged.artist.as_deref(), Some("Opus Artist"));
        // The cover embedded in the Opus named `.ogg` becomes its art (made in the background;
        // polled, bounded).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let art = loop {
            let items = common::items(&cp, &control, "0");
            let item = items.iter().find(|o| o.title == "Pictured").expect("Pictured");
            if item.album_art.is_some() || std::time::Instant::now() > deadline {
                break item.album_art.clone();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        let (url, profile) = art.expect("art from the embedded picture");
        assert_eq!(profile.as_deref(), Some("JPEG_TN"));
        assert_eq!(cp.get(&url, &[]).unwrap().status, 200);
        // A PS3 gets L16 first (time seek only); VLC, which plays Opus, the original first.
        for (player, first_ext) in [(Player::PS3, ".l16"), (Player::VLC, ".opus")] {
            let cp = Renderer::new(player);
            let items = common::items(&cp, &control, "0");
            let item = items.iter().find(|o| o.title == "track0").unwrap();
            assert!(item.res[0].url.ends_with(first_ext), "{}: {}", player.name, item.res[0].url);
        }
        // An LG TV plays Ogg Vorbis but not Opus: the Opus named `.ogg` is offered as L16
        // first, by its codec, not its name.
        let lg = Renderer::new(rill_tests::renderer::tv::LG);
        let items = common::items(&lg, &control, "0");
        let item = items.iter().find(|o| o.title == "Pictured").unwrap();
        assert!(item.res[0].url.ends_with(".l16"), "LG: {}", item.res[0].url);
        server.shutdown();
    });
}
