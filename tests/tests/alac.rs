//! The ALAC decoder and [`AlacFile`] on files made by ffmpeg (`-c:a alac`, 16 and 24 bits,
//! mono to 8 channels): every sample equal to the source PCM and to ffmpeg's own decode at the
//! native width; seeks to random frames equal the same span of a full decode; truncated and
//! damaged files give errors, never a panic.

mod mp4_util;
mod ogg_util;

use std::path::Path;

use mp4_util::{encode, ffmpeg_decode, pcm, scratch};
use ogg_util::Mem;
use rill_core::media::alac::AlacFile;
use rill_tests::corpus::Rng;

/// ALAC coded channel `i` is ffmpeg's (the source's) channel `OFFSETS[channels - 1][i]`:
/// ALAC codes C first (C L R, then surrounds, LFE last). Written out here from Apple's layouts
/// rather than taken from core's `alac::TO_WAV`, so that a wrong table in core fails the test.
const OFFSETS: [&[usize]; 8] = [
    &[0],
    &[0, 1],
    &[2, 0, 1],
    &[2, 0, 1, 3],
    &[2, 0, 1, 3, 4],
    &[2, 0, 1, 4, 5, 3],
    &[2, 0, 1, 4, 5, 6, 3],
    &[2, 6, 7, 0, 1, 4, 5, 3],
];

/// `samples` (ffmpeg's channel order) in ALAC's coded order.
fn to_coded(samples: &[i32], channels: usize) -> Vec<i32> {
    let map = OFFSETS[channels - 1];
    samples.chunks_exact(channels).flat_map(|f| map.iter().map(move |&c| f[c])).collect()
}

fn open(file: &Path) -> AlacFile<Mem> {
    AlacFile::open(Mem::new(std::fs::read(file).unwrap())).expect("open")
}

/// Everything from the current position.
fn read_all(f: &mut AlacFile<Mem>) -> Vec<i32> {
    let mut out = Vec::new();
    let mut buf = vec![0i32; 5000 * usize::from(f.channels())];
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n * usize::from(f.channels())]);
    }
}

/// (bits, rate, channels, frames)
const CASES: [(u32, u32, usize, usize); 8] = [
    (16, 44_100, 2, 44_100 * 2 + 1234),
    (16, 22_050, 1, 30_001),
    (24, 48_000, 2, 48_000 + 77),
    (24, 96_000, 1, 20_000),
    (16, 48_000, 6, 20_000),
    (24, 48_000, 6, 9000),
    (16, 44_100, 3, 10_000),
    (16, 44_100, 8, 9000),
];

fn make(
    dir: &Path,
    (bits, rate, ch, frames): (u32, u32, usize, usize),
    seed: u64,
) -> (std::path::PathBuf, Vec<i32>) {
    let source = pcm(frames, ch, bits, seed);
    let name = format!("alac-{bits}-{rate}-{ch}.m4a");
    let fmt = if bits == 16 { "s16p" } else { "s32p" };
    let file = encode(dir, &name, &source, bits, rate, ch, &["-c:a", "alac", "-sample_fmt", fmt]);
    (file, source)
}

#[test]
fn decodes_exactly_like_the_source_and_ffmpeg() {
    let dir = scratch();
    for (i, case) in CASES.into_iter().enumerate() {
        let (bits, rate, ch, frames) = case;
        let what = format!("{bits} bit {rate} Hz {ch} ch");
        let (file, source) = make(dir.path(), case, i as u64 + 1);
        let mut f = open(&file);
        assert_eq!(
            (f.rate(), usize::from(f.channels()), u32::from(f.bits())),
            (rate, ch, bits),
            "{what}"
        );
        assert_eq!(f.total_frames(), frames as u64, "{what}: length");
        let ours = read_all(&mut f);
        assert_eq!(ours.len(), frames * ch, "{what}: samples read");
        assert!(ours == to_coded(&source, ch), "{what}: differs from the source");
        let fmt = if bits == 16 { "s16le" } else { "s24le" };
        assert!(ours == to_coded(&ffmpeg_decode(&file, fmt), ch), "{what}: differs from ffmpeg");
        assert_eq!(f.position(), frames as u64);
    }
}

#[test]
fn seeks_land_on_the_exact_frame() {
    let dir = scratch();
    for (i, case) in [CASES[0], CASES[2], CASES[4]].into_iter().enumerate() {
        let (file, _) = make(dir.path(), case, 50 + i as u64);
        let mut f = open(&file);
        let full = read_all(&mut f);
        let (total, ch) = (f.total_frames(), usize::from(f.channels()));
        let mut rng = Rng::new(9 + i as u64);
        let mut targets: Vec<u64> = (0..60).map(|_| rng.below(total)).collect();
        targets.extend([0, 1, 4095, 4096, 4097, total - 1, total / 2]);
        let mut buf = vec![0i32; 3000 * ch];
        for t in targets {
            f.seek(t).unwrap();
            assert_eq!(f.position(), t);
            let mut got = Vec::new();
            while got.len() < buf.len() {
                let want = buf.len() - got.len();
                let n = f.read(&mut buf[..want]).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n * ch]);
            }
            let at = t as usize * ch;
            let end = (at + buf.len()).min(full.len());
            assert!(got == full[at..end], "seek to {t}");
        }
        f.seek(total).unwrap();
        assert_eq!(f.read(&mut buf).unwrap(), 0, "read at the end");
        f.seek(total + 5).unwrap();
        assert_eq!(f.read(&mut buf).unwrap(), 0, "read past the end");
    }
}

/// Truncated files and damaged packets: an error or wrong samples, never a panic or a hang.
#[test]
fn damaged_files_give_errors() {
    let dir = scratch();
    let (file, _) = make(dir.path(), CASES[2], 70);
    let bytes = std::fs::read(&file).unwrap();
    let run = |data: Vec<u8>| -> Result<(), rill_core::media::alac::Error> {
        let mut f = AlacFile::open(Mem::new(data))?;
        let mut buf = vec![0i32; 4096 * 2];
        for _ in 0..1000 {
            if f.read(&mut buf)? == 0 {
                break;
            }
        }
        f.seek(f.total_frames() / 3)?;
        f.read(&mut buf)?;
        Ok(())
    };
    // ffmpeg writes the media data first: cuts inside it lose packets.
    let mut errors = 0;
    for cut in (0..bytes.len()).step_by(bytes.len() / 200) {
        errors += usize::from(run(bytes[..cut].to_vec()).is_err());
    }
    assert!(errors > 150, "only {errors} truncations failed");
    let mut rng = Rng::new(3);
    let mdat = 48..bytes.len() / 2;
    for _ in 0..2000 {
        let mut damaged = bytes.clone();
        for _ in 0..1 + rng.below(8) {
            let at = mdat.start + rng.below((mdat.end - mdat.start) as u64) as usize;
            damaged[at] = rng.below(256) as u8;
        }
        let _ = run(damaged);
    }
}
