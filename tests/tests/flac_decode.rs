//! The FLAC decoder against `flac -d` (libFLAC) on files made by `flac` from generated PCM:
//! every compression level, with and without seek tables, odd block sizes, 8 to 32 bits,
//! hi-res, up to 8 channels, Ogg FLAC; seeks to random frames; ID3v2 in front and junk after;
//! damaged and truncated copies never panic.

use std::fs::File;
use std::io;

use rill_core::media::flac::{Error, FlacFile};
use rill_tests::corpus::Rng;
use rill_tests::flac_corpus::{self, Spec};

/// A `std` file as an `embedded_io` source.
struct Src<T>(T);

impl<T: io::Read> embedded_io::ErrorType for Src<T> {
    type Error = io::Error;
}

impl<T: io::Read> embedded_io::Read for Src<T> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
        self.0.read(buf)
    }
}

impl<T: io::Read + io::Seek> embedded_io::Seek for Src<T> {
    fn seek(&mut self, pos: embedded_io::SeekFrom) -> Result<u64, io::Error> {
        self.0.seek(match pos {
            embedded_io::SeekFrom::Start(n) => io::SeekFrom::Start(n),
            embedded_io::SeekFrom::End(n) => io::SeekFrom::End(n),
            embedded_io::SeekFrom::Current(n) => io::SeekFrom::Current(n),
        })
    }
}

fn open_bytes(bytes: Vec<u8>) -> Result<FlacFile<Src<io::Cursor<Vec<u8>>>>, Error> {
    FlacFile::open(Src(io::Cursor::new(bytes)))
}

/// Reads `frames` frames (or to the end) from the current position.
fn read<R: embedded_io::Read + embedded_io::Seek>(f: &mut FlacFile<R>, frames: usize) -> Vec<i32> {
    let ch = usize::from(f.channels());
    let mut out = Vec::new();
    let mut buf = vec![0i32; 4096 * ch];
    while out.len() < frames * ch {
        let want = (frames - out.len() / ch).min(4096) * ch;
        let n = f.read_i32(&mut buf[..want]).expect("read");
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n * ch]);
    }
    out
}

/// Decodes with position tracking: (position, samples) for each read, for damaged files
/// whose output may jump over a skipped frame.
fn read_tracked<R: embedded_io::Read + embedded_io::Seek>(
    f: &mut FlacFile<R>,
) -> Vec<(u64, Vec<i32>)> {
    let ch = usize::from(f.channels());
    let mut out = Vec::new();
    let mut buf = vec![0i32; 1024 * ch];
    loop {
        if !f.prepare().expect("prepare") {
            break;
        }
        let at = f.position();
        let n = f.read_i32(&mut buf).expect("read");
        out.push((at, buf[..n * ch].to_vec()));
    }
    out
}

#[test]
fn decodes_like_libflac() {
    for spec in flac_corpus::standard() {
        let reference = spec.reference();
        let ch = usize::from(spec.channels);
        assert_eq!(reference, spec.samples(), "{}: flac -d is lossless", spec.name());
        let mut f = FlacFile::open(Src(File::open(spec.path()).unwrap()))
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name()));
        assert_eq!(f.total_frames(), u64::from(spec.frames), "{}", spec.name());
        assert_eq!(
            (f.channels(), f.bits_per_sample(), f.rate()),
            (spec.channels, spec.bits, spec.rate)
        );
        assert_eq!(f.is_ogg(), spec.ogg);
        let got = read(&mut f, usize::MAX / 16);
        assert_eq!(got.len(), reference.len(), "{}", spec.name());
        assert!(got == reference, "{}: samples differ", spec.name());
        assert_eq!(f.position(), u64::from(spec.frames));
        assert_eq!(got.len() / ch, spec.frames as usize);
    }
}

#[test]
fn seeks_to_the_exact_sample() {
    let mut rng = Rng::new(13);
    for spec in flac_corpus::standard() {
        let reference = spec.reference();
        let ch = usize::from(spec.channels);
        let total = u64::from(spec.frames);
        let mut f = FlacFile::open(Src(File::open(spec.path()).unwrap()))
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name()));
        let mut targets: Vec<u64> = (0..12).map(|_| rng.below(total)).collect();
        targets.extend([0, total - 1, total, total + 5, u64::from(spec.frames / 2)]);
        for t in targets {
            f.seek(t).unwrap();
            assert_eq!(f.position(), t.min(total));
            let got = read(&mut f, 3000);
            let from = (t.min(total) as usize) * ch;
            let to = (from + 3000 * ch).min(reference.len());
            assert!(got == reference[from..to], "{}: seek to {t}", spec.name());
        }
    }
}

/// An ID3v2 tag in front (twice, as some taggers leave them) and an ID3v1 tag plus junk with
/// sync-like bytes after the last frame.
#[test]
fn id3_and_trailing_junk_are_tolerated() {
    for spec in [Spec::cd(&["-5"]), Spec::cd(&["-8", "-S-"])] {
        let reference = spec.reference();
        let mut bytes = Vec::new();
        for _ in 0..2 {
            bytes.extend_from_slice(b"ID3\x04\x00\x00\x00\x00\x02\x00");
            bytes.extend(std::iter::repeat_n(0xFFu8, 256));
        }
        bytes.extend(spec.bytes());
        bytes.extend_from_slice(b"TAG");
        bytes.extend(std::iter::repeat_n(0x20u8, 125));
        let mut rng = Rng::new(7);
        bytes
            .extend((0..5000).map(|i| if i % 7 == 0 { 0xFF } else { rng.next_u64() as u8 | 0xF8 }));
        let mut f = open_bytes(bytes).expect("opens");
        assert_eq!(f.total_frames(), u64::from(spec.frames));
        assert!(read(&mut f, usize::MAX / 16) == reference, "{}", spec.name());
        f.seek(u64::from(spec.frames) - 10).unwrap();
        assert_eq!(read(&mut f, 100).len(), 10 * 2);
    }
}

/// A flipped byte inside a frame: that frame fails its CRC and is skipped; every other sample
/// comes out at its own position.
#[test]
fn a_damaged_frame_is_skipped() {
    for spec in [Spec::cd(&["-5"]), Spec { ogg: true, ..Spec::cd(&["-5"]) }] {
        let reference = spec.reference();
        let ch = usize::from(spec.channels);
        let mut bytes = spec.bytes();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x10;
        let mut f = open_bytes(bytes).expect("opens");
        let mut frames = 0;
        for (pos, samples) in read_tracked(&mut f) {
            let from = pos as usize * ch;
            assert!(samples == reference[from..from + samples.len()], "{} at {pos}", spec.name());
            frames += samples.len() / ch;
        }
        // Native: the one frame. Ogg: the page fails its own CRC, and the frames on it and
        // the packets it continues or begins are lost with it.
        let lost = spec.frames as usize - frames;
        let bound = if spec.ogg { 5 * 4096 } else { 4096 };
        assert!(lost > 0 && lost <= bound, "{}: lost {lost} frames", spec.name());
    }
}

/// Truncated copies decode a prefix of the reference and end cleanly; random cuts, random
/// damage and random bytes never panic.
#[test]
fn truncated_and_random_input_never_panics() {
    let spec = Spec::cd(&["-5"]);
    let reference = spec.reference();
    let full = spec.bytes();
    let cut = full[..full.len() * 3 / 5].to_vec();
    let mut f = open_bytes(cut).expect("opens");
    let got = read(&mut f, usize::MAX / 16);
    assert!(got.len() > reference.len() / 2 && got.len() < reference.len());
    assert!(got == reference[..got.len()]);
    let mut rng = Rng::new(99);
    for round in 0..200 {
        let mut bytes = full.clone();
        match round % 3 {
            0 => bytes.truncate(rng.below(full.len() as u64) as usize),
            1 => {
                for _ in 0..20 {
                    let i = rng.below(bytes.len() as u64) as usize;
                    bytes[i] = rng.next_u64() as u8;
                }
            }
            _ => {
                let keep = 8 + 34 + rng.below(200) as usize;
                for b in &mut bytes[keep..] {
                    *b = rng.next_u64() as u8;
                }
                bytes.truncate(keep + 20_000);
            }
        }
        if let Ok(mut f) = open_bytes(bytes) {
            let _ = read(&mut f, 50_000);
            let _ = f.seek(rng.below(f.total_frames() + 1));
            let _ = read(&mut f, 5_000);
        }
    }
    assert_eq!(open_bytes(b"not flac at all".to_vec()).err(), Some(Error::NotFlac));
    assert!(open_bytes(Vec::new()).is_err());
}

/// The heap a CD-quality stream holds is what the module docs say: one frame of samples and
/// an input buffer of twice the largest frame.
#[test]
fn heap_per_stream_is_bounded() {
    let spec = Spec::cd(&["-5"]);
    let f = FlacFile::open(Src(File::open(spec.path()).unwrap())).unwrap();
    let info = *f.stream_info();
    let samples = usize::from(info.max_block) * 2 * 4;
    assert_eq!(samples, 4096 * 8);
    assert!(f.heap_bytes() <= samples + 2 * info.max_frame as usize + 2048, "{}", f.heap_bytes());
    assert!(f.heap_bytes() < 64 * 1024);
    // A budget below one frame's samples is refused.
    let small = FlacFile::open_with_budget(Src(File::open(spec.path()).unwrap()), 16 * 1024);
    assert_eq!(small.err(), Some(Error::Budget));
}
