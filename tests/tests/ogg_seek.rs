//! Sample-accurate seeking: seek + read equals the same slice of a full linear decode, bit for
//! bit, on every shape of file; seeks cost a logarithmic number of reads.

mod ogg_util;

use ogg_util::{
    assert_i16_close, ffmpeg, first_granule_lowered, first_page_ending, oggenc, open, read_all_f32,
    Mem,
};
use rill_core::media::vorbis_file::VorbisFile;
use rill_tests::corpus::{self, temp_file, Rng};
use rill_tests::repage::{join, set_serial, Layout, Stream};

/// Frames of a whole linear decode, per link: (first frame, channels, samples).
fn linear(file: &[u8]) -> Vec<(u64, usize, Vec<f32>)> {
    let mut f = open(file);
    let links: Vec<u64> = f.links().iter().map(|l| l.span.first_frame()).collect();
    read_all_f32(&mut f).into_iter().map(|(l, ch, v)| (links[l], ch, v)).collect()
}

/// Seeks to `count` random frames (plus the edges) and checks the next frames read.
fn check_seeks(what: &str, file: &[u8], count: usize, seed: u64) {
    let reference = linear(file);
    let mut f = open(file);
    let total = f.total_frames();
    let decoded: u64 = reference.iter().map(|(_, ch, v)| (v.len() / ch) as u64).sum();
    assert_eq!(decoded, total, "{what}: linear decode length");
    let mut rng = Rng::new(seed);
    let mut targets: Vec<u64> = (0..count).map(|_| rng.below(total)).collect();
    targets.extend([0, 1, total.saturating_sub(1), total / 2, total, total + 10]);
    let mut buf = vec![0f32; 3000 * 8];
    for &t in &targets {
        f.seek(t).unwrap_or_else(|e| panic!("{what}: seek {t}: {e}"));
        assert_eq!(f.position(), t.min(total), "{what}: position after seek {t}");
        let n = f.read_f32(&mut buf).unwrap();
        if t >= total {
            assert_eq!(n, 0, "{what}: read past the end");
            continue;
        }
        assert!(n > 0, "{what}: nothing read at {t}");
        let (first, ch, v) = reference.iter().rev().find(|(first, _, _)| *first <= t).unwrap();
        assert_eq!(usize::from(f.channels()), *ch, "{what}: channels at {t}");
        let at = (t - first) as usize * ch;
        let want = &v[at..(at + n * ch).min(v.len())];
        let got = &buf[..n * ch];
        let bad = got.iter().zip(want).position(|(a, b)| a.to_bits() != b.to_bits());
        assert!(got.len() == want.len() && bad.is_none(), "{what}: at frame {t}, sample {bad:?}");
        assert_eq!(f.position(), t + n as u64, "{what}: position after read at {t}");
    }
}

#[test]
fn seek_in_ordinary_files() {
    check_seeks("stereo q3", &oggenc(44_100 * 5 + 7, 2, 44_100, 3), 150, 1);
    check_seeks("mono 8 kHz q-1", &oggenc(8000 * 20, 1, 8000, -1), 60, 2);
    check_seeks("5.1 48 kHz q6", &oggenc(48_000 * 2, 6, 48_000, 6), 40, 3);
    check_seeks("22 kHz q0", &oggenc(22_050 * 6, 2, 22_050, 0), 60, 4);
    check_seeks("ffmpeg libvorbis", &ffmpeg(false, 44_100 * 3, 2, 44_100), 60, 5);
    check_seeks("ffmpeg native (2048/2048)", &ffmpeg(true, 44_100 * 3, 2, 44_100), 60, 6);
}

#[test]
fn seek_in_one_page_files() {
    for (frames, seed) in [(1, 21u64), (100, 22), (1000, 23), (3000, 24)] {
        check_seeks(&format!("{frames} frames"), &oggenc(frames, 2, 44_100, 3), 20, seed);
    }
}

#[test]
fn seek_in_repaged_files() {
    let original = oggenc(44_100 * 4 + 1234, 2, 44_100, 4);
    let stream = Stream::parse(&original);
    let layouts = [
        (
            "tiny pages (granule -1 pages)",
            Layout { max_body: 200, max_packets: 1, ..Layout::default() },
        ),
        ("one packet per page", Layout { max_packets: 1, ..Layout::default() }),
        ("huge pages", Layout { max_body: 255 * 255, max_packets: 255, ..Layout::default() }),
        ("first granule +123457", Layout { shift: 123_457, ..Layout::default() }),
        (
            "first granule +5, tiny pages",
            Layout { shift: 5, max_body: 300, max_packets: 1, ..Layout::default() },
        ),
        ("start trim 777", Layout { shift: -777, ..Layout::default() }),
        (
            "start trim 50, tiny pages",
            Layout { shift: -50, max_body: 100, max_packets: 2, ..Layout::default() },
        ),
    ];
    for (i, (what, layout)) in layouts.iter().enumerate() {
        check_seeks(what, &stream.write(layout), 80, 100 + i as u64);
    }
}

/// Seeks into (and just past) the first page of a start-trimmed file give the frames
/// libvorbisfile's whole decode (`oggdec -R`) has there; that decode trims inside the packet
/// completing the first page, so these frames are not the untrimmed stream's shifted.
#[test]
fn seek_into_start_trimmed_first_page() {
    let stream = Stream::parse(&oggenc(44_100 * 3 + 99, 2, 44_100, 3));
    let (layout, _) = first_page_ending(&stream, |n| n >= 1000);
    let file = first_granule_lowered(&stream.write(&layout), 1000);
    let first_page = stream.audio[layout.max_packets - 1].end - 1000;
    let path = temp_file("start-trim-seek", &file);
    let oggdec = corpus::oggdec(&path);
    let _ = std::fs::remove_file(&path);
    let mut f = open(&file);
    let mut rng = Rng::new(77);
    let mut targets: Vec<u64> = (0..60).map(|_| rng.below(first_page as u64 + 3000)).collect();
    targets.extend([0, 1, 999, 1000, 1001, first_page as u64 - 1, first_page as u64]);
    let want = 2 * 2000;
    let mut buf = vec![0i16; want];
    for t in targets {
        f.seek(t).unwrap();
        let mut got = Vec::new();
        while got.len() < want {
            let n = f.read_i16(&mut buf[..want - got.len()]).unwrap();
            assert!(n > 0, "nothing read at {t}");
            got.extend_from_slice(&buf[..n * 2]);
        }
        let at = t as usize * 2;
        assert_i16_close(&got, &oggdec[at..at + got.len()], &format!("seek to {t}"));
    }
}

#[test]
fn seek_in_end_trimmed_file() {
    let mut stream = Stream::parse(&oggenc(44_100 * 2, 1, 44_100, 3));
    let last = stream.audio.len() - 1;
    stream.audio[last].end -= 2500;
    check_seeks(
        "end trim 2500",
        &stream.write(&Layout { max_packets: 3, ..Layout::default() }),
        80,
        5,
    );
}

#[test]
fn seek_in_chains() {
    let a = oggenc(44_100 * 2, 2, 44_100, 3);
    let b = oggenc(22_050 * 3, 1, 22_050, 1);
    let c = oggenc(700, 6, 48_000, 5);
    let d = oggenc(32_000 * 2, 2, 32_000, 7);
    let plain: Vec<Vec<u8>> =
        [&a, &b, &c, &d].iter().enumerate().map(|(i, f)| set_serial(f, i as u32)).collect();
    check_seeks("plain chain", &plain.concat(), 150, 6);
    let pa = Stream::parse(&a).pages(&Layout { serial: 1, shift: 4096, ..Layout::default() });
    let pb =
        Stream::parse(&b).pages(&Layout { serial: 2, shift: -300, max_body: 200, max_packets: 1 });
    let pd = Stream::parse(&d).pages(&Layout {
        serial: 3,
        shift: 77,
        max_packets: 2,
        ..Layout::default()
    });
    check_seeks("repaged chain", &join(&[pa, pb, pd]), 150, 7);
}

/// Seeking in a file of several MiB reads a logarithmic number of chunks.
#[test]
fn seek_cost_is_logarithmic() {
    let file = oggenc(44_100 * 240, 2, 44_100, 6);
    assert!(file.len() > 3 << 20, "file of {} bytes", file.len());
    let src = Mem::new(file.clone());
    let counter = src.clone();
    let mut f = VorbisFile::open(src).unwrap();
    let open_reads = counter.reads();
    assert!(open_reads < 64, "open took {open_reads} reads");
    let total = f.total_frames();
    let mut rng = Rng::new(9);
    let mut buf = vec![0f32; 2 * 256];
    let mut worst = 0;
    for _ in 0..40 {
        let before = counter.reads();
        f.seek(rng.below(total)).unwrap();
        f.read_f32(&mut buf).unwrap();
        worst = worst.max(counter.reads() - before);
    }
    assert!(worst < 64, "a seek took {worst} reads");
    eprintln!("open {open_reads} reads, worst seek {worst} reads");
    // The same for a chain of four such files: open bisects for link boundaries.
    // Links need distinct serials (RFC 3533), as libvorbisfile also assumes.
    let stream = Stream::parse(&file);
    let again = stream.write(&Layout { serial: 77, ..Layout::default() });
    let third = stream.write(&Layout { serial: 78, ..Layout::default() });
    let other = set_serial(&oggenc(44_100 * 30, 1, 44_100, 0), 79);
    let chain = [set_serial(&file, 80), other, again, third].concat();
    let src = Mem::new(chain);
    let counter = src.clone();
    let mut f = VorbisFile::open(src).unwrap();
    assert_eq!(f.links().len(), 4);
    assert!(counter.reads() < 4 * 64, "chain open took {} reads", counter.reads());
    let total = f.total_frames();
    for _ in 0..20 {
        let before = counter.reads();
        f.seek(rng.below(total)).unwrap();
        f.read_f32(&mut buf).unwrap();
        worst = worst.max(counter.reads() - before);
    }
    assert!(worst < 64, "a seek in a chain took {worst} reads");
}
