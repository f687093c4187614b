//! Transcoded renditions (L16, WAV) against a full decode: every byte range of the rendition,
//! produced by seeking, equals the same slice of the rendition built from a linear decode.

mod ogg_util;

use ogg_util::{ffmpeg, oggenc, open, Mem, Rng};
use rill_core::media::vorbis_file::VorbisFile;
use rill_core::transcode::{Container, Layout, Transcoder};
use rill_tests::repage::{join, Layout as Pages, Stream};

/// The whole rendition built the obvious way: linear decode, remap channels, encode.
fn reference(file: &[u8], container: Container) -> (Layout, Vec<u8>) {
    let mut f = open(file);
    let (rate, channels) = (f.rate(), f.channels());
    let mut pcm = Vec::new();
    let mut buf = vec![0i16; 4096 * usize::from(channels)];
    loop {
        let n = f.read_i16(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        assert_eq!(f.channels(), channels, "test files keep one channel count");
        pcm.extend_from_slice(&buf[..n * usize::from(channels)]);
    }
    let frames = (pcm.len() / usize::from(channels)) as u64;
    assert_eq!(frames, f.total_frames());
    let layout = Layout::new(container, rate, channels, frames).unwrap();
    let mut out = vec![0u8; layout.header_len()];
    layout.write_header(&mut out);
    // Vorbis channel order to WAV order (Vorbis I spec §4.3.9).
    let order: &[usize] = match channels {
        1 => &[0],
        2 => &[0, 1],
        3 => &[0, 2, 1],
        4 => &[0, 1, 2, 3],
        5 => &[0, 2, 1, 3, 4],
        6 => &[0, 2, 1, 5, 3, 4],
        _ => unreachable!(),
    };
    for frame in pcm.chunks(usize::from(channels)) {
        for &c in order {
            out.extend_from_slice(&match container {
                Container::L16 => frame[c].to_be_bytes(),
                Container::Wav => frame[c].to_le_bytes(),
            });
        }
    }
    assert_eq!(out.len() as u64, layout.total_len());
    (layout, out)
}

/// Produces `first..first+len` with a transcoder, reading into buffers of varying sizes.
fn produce(file: &[u8], layout: Layout, first: u64, len: u64, rng: &mut Rng) -> Vec<u8> {
    let vf = VorbisFile::open(Mem::new(file.to_vec())).expect("open");
    let mut t = Transcoder::new(vf, layout, first, len).expect("position");
    let mut out = Vec::new();
    let mut buf = vec![0u8; 9000];
    for _ in 0..1_000_000 {
        let size = 1 + rng.below(9000) as usize;
        let n = t.fill(&mut buf[..size]).expect("fill");
        if n == 0 {
            assert_eq!(t.remaining(), 0);
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
    panic!("transcoder did not finish");
}

fn check(what: &str, file: &[u8], ranges: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    for container in [Container::L16, Container::Wav] {
        let (layout, whole) = reference(file, container);
        let total = whole.len() as u64;
        // The whole rendition, then random ranges: tiny ones, ones starting or ending inside a
        // frame, ones reaching the end.
        let mut spans = vec![(0, total), (total - 1, 1), (0, 1)];
        for i in 0..ranges {
            let first = rng.below(total);
            let len = match i % 3 {
                0 => (1 + rng.below(7)).min(total - first),
                1 => 1 + rng.below(total - first),
                _ => total - first,
            };
            spans.push((first, len));
        }
        for (first, len) in spans {
            let got = produce(file, layout, first, len, &mut rng);
            let want = &whole[first as usize..(first + len) as usize];
            assert!(got == want, "{what} {container}: bytes {first}+{len} differ");
        }
    }
}

#[test]
fn ranges_of_ordinary_files() {
    check("stereo q5", &oggenc(88_200, 2, 44_100, 5), 25, 1);
    check("mono 22 kHz q0", &oggenc(30_000, 1, 22_050, 0), 15, 2);
    check("5.1 48 kHz", &oggenc(48_000, 6, 48_000, 3), 15, 3);
    check("ffmpeg native", &ffmpeg(true, 44_100, 2, 44_100), 15, 4);
}

#[test]
fn ranges_of_edge_case_files() {
    check("one page, 1000 frames", &oggenc(1000, 2, 44_100, 5), 15, 5);
    check("one frame", &oggenc(1, 2, 44_100, 5), 3, 6);
    let stream = Stream::parse(&oggenc(60_000, 2, 44_100, 4));
    let pages = |shift, max_body, serial| Pages { serial, max_body, max_packets: 4, shift };
    check("first granule +12345", &stream.write(&pages(12_345, 4000, 7)), 15, 7);
    check("start trim 777", &stream.write(&pages(-777, 4000, 7)), 15, 8);
    check("tiny pages", &stream.write(&pages(0, 300, 7)), 15, 9);
    let chain = join(&[stream.pages(&pages(0, 4000, 1)), stream.pages(&pages(0, 4000, 2))]);
    check("chain of two links", &chain, 15, 10);
}

/// ffmpeg, an independent WAV reader, decodes our WAV to the samples we put in it.
#[test]
fn ffmpeg_reads_our_wav() {
    for (file, channels) in
        [(oggenc(20_000, 2, 44_100, 5), 2usize), (oggenc(9_000, 6, 48_000, 3), 6)]
    {
        let (layout, wav) = reference(&file, Container::Wav);
        let dir = std::env::temp_dir().join(format!("rill-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("c{channels}.wav"));
        std::fs::write(&path, &wav).unwrap();
        let out = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "s16le", "-"])
            .output()
            .expect("run ffmpeg");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout, wav[layout.header_len()..], "{channels} channels");
        let probe = std::process::Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "stream=channels,sample_rate,channel_layout"])
            .arg(&path)
            .output()
            .expect("run ffprobe");
        let text = String::from_utf8_lossy(&probe.stdout);
        assert!(text.contains(&format!("channels={channels}")), "{text}");
        if channels == 6 {
            assert!(text.contains("channel_layout=5.1"), "{text}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
