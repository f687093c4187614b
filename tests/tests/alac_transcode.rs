//! ALAC (in `.m4a`) as exact-length, seekable PCM renditions: the transcoder on files made by
//! ffmpeg (`-c:a alac`), and the real server serving them to players.
//!
//! The references are built from ffmpeg's own decode at the stream's width (channels in
//! ffmpeg's order, which is WAV's, the renditions' order): 16-bit samples as they are, 24-bit
//! ones rounded to 16 bits by the rule the renditions promise. Every byte range and time range
//! of a rendition, produced by seeking, must equal the same slice of that reference.

mod common;
mod mp4_util;

use std::path::{Path, PathBuf};

use embedded_io_adapters::std::FromStd;
use mp4_util::{encode, ffmpeg_decode, pcm, scratch};
use rill_core::transcode::{Decoder, Layout, Transcoder, Wrapping};
use rill_tests::corpus::Rng;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Player, Renderer};
use rill_tests::rendition::{check_served, read_to_end, spans, to_16, whole};

/// An ALAC file: bits, rate, channels, frames.
#[derive(Clone, Copy)]
struct Case(u8, u32, u8, usize);

impl Case {
    fn name(self) -> String {
        format!("alac-{}-{}-{}", self.0, self.1, self.2)
    }

    /// Encodes the case with ffmpeg into `dir`.
    fn make(self, dir: &Path, seed: u64) -> PathBuf {
        let Case(bits, rate, ch, frames) = self;
        let source = pcm(frames, usize::from(ch), u32::from(bits), seed);
        let fmt = if bits == 16 { "s16p" } else { "s32p" };
        let args = ["-c:a", "alac", "-sample_fmt", fmt];
        encode(
            dir,
            &format!("{}.m4a", self.name()),
            &source,
            u32::from(bits),
            rate,
            ch.into(),
            &args,
        )
    }

    /// The whole rendition in `wrapping` of `file`, from ffmpeg's decode.
    fn reference(self, file: &Path, wrapping: Wrapping) -> (Layout, Vec<u8>) {
        let Case(bits, rate, ch, frames) = self;
        let decoded = ffmpeg_decode(file, if bits == 16 { "s16le" } else { "s24le" });
        assert_eq!(decoded.len(), frames * usize::from(ch), "{}: ffmpeg's length", self.name());
        let layout = Layout::new(wrapping, rate, ch, frames as u64).unwrap();
        (layout, whole(layout, decoded.into_iter().map(|s| to_16(s, bits))))
    }
}

/// Bytes `first..first + len` of `layout` by a transcoder over `file`, opened by its bytes.
fn produce(file: &[u8], layout: Layout, first: u64, len: u64, rng: &mut Rng) -> Vec<u8> {
    let d = Decoder::open(FromStd::new(std::io::Cursor::new(file.to_vec())), 1 << 24);
    let t = Transcoder::new(d.expect("open"), layout, first, len).expect("position");
    read_to_end(t, rng)
}

#[test]
fn every_range_of_an_alac_rendition_is_exact() {
    let dir = scratch();
    let mut rng = Rng::new(13);
    let cases = [
        Case(16, 44_100, 2, 44_100 * 2 + 1234),
        Case(24, 96_000, 2, 96_000 + 77),
        Case(16, 48_000, 6, 20_000),
        Case(24, 44_100, 1, 30_001),
    ];
    for (i, case) in cases.into_iter().enumerate() {
        let path = case.make(dir.path(), i as u64);
        let file = std::fs::read(&path).unwrap();
        for wrapping in [Wrapping::L16, Wrapping::Wav] {
            let (layout, whole) = case.reference(&path, wrapping);
            let mut all = vec![(0, layout.total_len())];
            all.extend(spans(&mut rng, layout, 10, true));
            for (first, len) in all {
                let got = produce(&file, layout, first, len, &mut rng);
                let want = &whole[first as usize..(first + len) as usize];
                assert!(got == want, "{} {wrapping}: bytes {first}+{len}", case.name());
            }
        }
    }
}

/// The real server: a 16-bit and a 24/96 ALAC and an AAC `.m4a`, browsed and played by a
/// generic player with byte ranges and DLNA time seeks; the order of the resources for a PS3
/// (L16 or the LPCM version first), a generic player (L16 first) and VLC (the original first).
#[test]
fn the_server_serves_alac_as_exact_seekable_pcm() {
    isolated("the_server_serves_alac_as_exact_seekable_pcm", || {
        let work = scratch();
        let tracks =
            [("cd", Case(16, 44_100, 2, 44_100 * 3)), ("hires", Case(24, 96_000, 2, 96_000 * 2))];
        let (dir, root) = common::empty_dir();
        let mut paths = Vec::new();
        for (i, (name, case)) in tracks.iter().enumerate() {
            let path = case.make(work.path(), 40 + i as u64);
            std::fs::copy(&path, root.join(format!("{name}.m4a"))).unwrap();
            paths.push(path);
        }
        let source = pcm(44_100, 2, 16, 7);
        let aac = encode(work.path(), "aac.m4a", &source, 16, 44_100, 2, &["-c:a", "aac"]);
        std::fs::copy(&aac, root.join("aac.m4a")).unwrap();
        let server = common::start((dir, root));
        let cp = Renderer::new(Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let items = common::items(&cp, &control, "0");
        let mut rng = Rng::new(17);
        for ((name, case), path) in tracks.iter().zip(&paths) {
            let item = items.iter().find(|o| o.title == *name).expect(name);
            for (wrapping, ext) in [(Wrapping::L16, "l16"), (Wrapping::Wav, "wav")] {
                let (layout, whole) = case.reference(path, wrapping);
                let res = item.res.iter().find(|r| r.url.ends_with(ext)).expect(ext);
                assert_eq!(res.size, Some(layout.total_len()), "{name}.{ext}");
                assert!(res.duration.is_some(), "{name}.{ext}");
                check_served(&cp, &res.url, layout, &whole, &mut rng, &format!("{name}.{ext}"));
            }
        }
        let aac = items.iter().find(|o| o.title == "aac").expect("aac");
        assert_eq!(aac.res.len(), 1, "AAC is served as it is");
        assert!(aac.res[0].url.ends_with(".m4a"));
        let first_url = |player: Player, name: &str| {
            let items = common::items(&Renderer::new(player), &control, "0");
            let item = items.iter().find(|o| o.title == name).expect(name);
            item.res[0].url.clone()
        };
        assert!(first_url(Player::PS3, "cd").ends_with(".l16"));
        assert!(first_url(Player::PS3, "hires").ends_with(".lpcm"));
        assert!(first_url(Player::GENERIC, "cd").ends_with(".l16"));
        assert!(first_url(Player::VLC, "cd").ends_with(".m4a"));
        server.shutdown();
    });
}
