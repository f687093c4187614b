//! `OpusFile` (rill-core) with libopus (the host's decoder) against libopusfile
//! (`opusdec --float --rate 48000`) on the generated corpus: exact length, samples within
//! `opus_compare`'s criterion, and exact seeks (within 0.25 of full scale of a full decode while
//! the decoder converges, identical from 0.5 s after the target for CELT streams).

use std::fs::File;

use embedded_io_adapters::std::FromStd;
use rill::opus::LibOpus;
use rill_core::media::opus_file::OpusFile;
use rill_tests::opus_corpus::{quality, standard, Signal, Spec};

fn open(spec: &Spec) -> OpusFile<FromStd<File>, LibOpus> {
    let f = File::open(spec.path()).expect("open corpus file");
    OpusFile::open(FromStd::new(f), LibOpus::new()).expect("open as Opus")
}

/// Reads `frames` frames (or to the end) as interleaved f32.
fn read(file: &mut OpusFile<FromStd<File>, LibOpus>, frames: u64) -> Vec<f32> {
    let mut out = Vec::new();
    let mut buf = vec![0.0f32; 4096 * 8];
    let mut got = 0u64;
    while got < frames {
        let n = file.read_f32(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        let c = usize::from(file.channels());
        let take = (n as u64).min(frames - got) as usize;
        out.extend_from_slice(&buf[..take * c]);
        got += take as u64;
    }
    out
}

#[test]
fn length_and_samples_match_libopusfile() {
    for spec in standard() {
        let reference = spec.reference();
        let mut file = open(&spec);
        let channels = usize::from(file.channels());
        assert_eq!(
            file.total_frames() as usize * channels,
            reference.len(),
            "{}: total_frames",
            spec.name()
        );
        let pcm = read(&mut file, u64::MAX);
        assert_eq!(pcm.len(), reference.len(), "{}: decoded length", spec.name());
        let q = quality(&reference, &pcm, channels);
        println!("{}: quality {q:.1}", spec.name());
        assert!(q >= 0.0, "{}: opus_compare quality {q}", spec.name());
    }
}

#[test]
fn seeks_land_on_the_exact_sample() {
    for spec in standard() {
        let mut file = open(&spec);
        let total = file.total_frames();
        let channels = usize::from(file.channels());
        let full = read(&mut file, u64::MAX);
        assert_eq!(full.len() as u64, total * channels as u64);
        let celt = spec.signal == Signal::Music;
        // Early (pre-skip path), mid-page, late, the very last frame, and past the end.
        let targets = [0, 1, 1000, 3839, 3840, 20_000, total / 2 + 7, total - 30_000, total - 1];
        for &t in &targets {
            file.seek(t).expect("seek");
            assert_eq!(file.position(), t, "{}: position after seek", spec.name());
            let got = read(&mut file, 48_000);
            let want_len = (total - t).min(48_000) as usize * channels;
            assert_eq!(got.len(), want_len, "{}: length after seek to {t}", spec.name());
            let want = &full[t as usize * channels..][..want_len];
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                let d = (g - w).abs();
                assert!(d <= 0.25, "{}: seek to {t}: sample {i} off by {d}", spec.name());
                if celt && i / channels >= 24_000 {
                    assert_eq!(g, w, "{}: seek to {t}: sample {i} after 0.5 s", spec.name());
                }
            }
        }
        file.seek(total + 5).expect("seek past the end");
        assert_eq!(read(&mut file, 10), Vec::<f32>::new());
    }
}

#[test]
fn not_opus_is_told_apart() {
    let vorbis = rill_tests::corpus::standard()[0].path();
    let f = File::open(vorbis).expect("open");
    assert!(matches!(
        OpusFile::open(FromStd::new(f), LibOpus::new()),
        Err(rill_core::media::opus_file::Error::NotOpus)
    ));
}

/// An in-memory file for the damage test.
fn open_bytes(
    bytes: Vec<u8>,
) -> Result<OpusFile<Mem, LibOpus>, rill_core::media::opus_file::Error> {
    OpusFile::open(FromStd::new(std::io::Cursor::new(bytes)), LibOpus::new())
}

type Mem = FromStd<std::io::Cursor<Vec<u8>>>;

#[test]
fn damaged_files_never_panic() {
    let mut rng = rill_tests::corpus::Rng::new(13);
    for spec in [&standard()[0], &standard()[12], standard().last().expect("chained")] {
        let bytes = spec.bytes();
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for k in 1..40 {
            cases.push(bytes[..bytes.len() * k / 40].to_vec());
        }
        for _ in 0..40 {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(b.len() as u64) as usize;
                b[at] ^= 1 << rng.below(8);
            }
            cases.push(b);
        }
        for case in cases {
            let Ok(mut file) = open_bytes(case) else { continue };
            let total = file.total_frames();
            let mut buf = vec![0.0f32; 4096 * 8];
            let mut got = 0u64;
            while let Ok(n) = file.read_f32(&mut buf) {
                if n == 0 {
                    break;
                }
                got += n as u64;
            }
            assert!(got <= total, "{}: read {got} of {total}", spec.name());
            for t in [0, total / 3, total.saturating_sub(1)] {
                if file.seek(t).is_ok() {
                    let _ = file.read_f32(&mut buf);
                }
            }
        }
    }
}

#[test]
fn output_gain_is_applied_as_libopusfile_does() {
    let spec = &standard()[1];
    // -6 dB in Q7.8 (and +3 dB), written into the header; libopusfile applies it by default.
    for gain in [-1536i16, 768] {
        let bytes = rill_tests::opus_corpus::patch_head(&spec.bytes(), |h| {
            h[16..18].copy_from_slice(&gain.to_le_bytes());
        });
        let path = rill_tests::corpus::temp_file("opus-gain", &bytes);
        let reference = rill_tests::opus_corpus::opusdec(&path);
        let _ = std::fs::remove_file(&path);
        let mut file = open_bytes(bytes).expect("open");
        let pcm = read_mem(&mut file);
        assert_eq!(pcm.len(), reference.len());
        let worst = pcm.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst <= 1e-5, "gain {gain}: differs from libopusfile by {worst}");
        let peak = pcm.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(peak > 0.05, "gain {gain}: silent output");
    }
}

/// Reads an in-memory file to the end.
fn read_mem(file: &mut OpusFile<Mem, LibOpus>) -> Vec<f32> {
    let mut out = Vec::new();
    let mut buf = vec![0.0f32; 4096 * 8];
    loop {
        let n = file.read_f32(&mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n * usize::from(file.channels())]);
    }
}

#[test]
fn a_stream_starting_at_a_later_granule_plays_as_libopusfile() {
    // Every audio page's granule moved 1.5 s later (as a stream cut from a longer one): the
    // first decoded sample is at granule 72000, and the length is unchanged.
    let spec = &standard()[0];
    let mut bytes = spec.bytes();
    let mut pos = 0;
    while pos + 27 <= bytes.len() {
        let nseg = usize::from(bytes[pos + 26]);
        let len = 27
            + nseg
            + bytes[pos + 27..pos + 27 + nseg].iter().map(|&v| usize::from(v)).sum::<usize>();
        let granule = i64::from_le_bytes(bytes[pos + 6..pos + 14].try_into().unwrap());
        if granule > 0 {
            bytes[pos + 6..pos + 14].copy_from_slice(&(granule + 72_000).to_le_bytes());
            rill_tests::repage::fix_crc(&mut bytes[pos..pos + len]);
        }
        pos += len;
    }
    let path = rill_tests::corpus::temp_file("opus-late", &bytes);
    let reference = rill_tests::opus_corpus::opusdec(&path);
    let _ = std::fs::remove_file(&path);
    let mut file = open_bytes(bytes).expect("open");
    assert_eq!(file.links()[0].start, 72_000);
    assert_eq!(file.total_frames() as usize * 2, reference.len());
    let pcm = read_mem(&mut file);
    assert_eq!(pcm.len(), reference.len());
    let worst = pcm.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(worst <= 1e-5, "differs from libopusfile by {worst}");
    // Seeks inside the moved stream land where a full decode has the frame.
    for t in [10, 50_000, 100_000] {
        file.seek(t).expect("seek");
        let mut buf = vec![0.0f32; 2 * 100];
        let n = file.read_f32(&mut buf).expect("read");
        assert!(n > 0);
        for (i, (g, w)) in buf[..n * 2].iter().zip(&pcm[t as usize * 2..]).enumerate() {
            assert!((g - w).abs() <= 0.25, "seek to {t}: sample {i}");
        }
    }
}
