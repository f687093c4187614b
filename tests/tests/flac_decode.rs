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

/// CRC-16 of FLAC frames (polynomial 0x8005, MSB first), written here independently.
fn crc16_step(crc: u16, byte: u8) -> u16 {
    let mut c = crc ^ (u16::from(byte) << 8);
    for _ in 0..8 {
        c = if c & 0x8000 != 0 { (c << 1) ^ 0x8005 } else { c << 1 };
    }
    c
}

/// CRC-8 of FLAC frame headers (polynomial 0x07).
fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |crc, &b| {
        let mut c = crc ^ b;
        for _ in 0..8 {
            c = if c & 0x80 != 0 { (c << 1) ^ 0x07 } else { c << 1 };
        }
        c
    })
}

/// Offset of the first frame: after `fLaC` and the metadata blocks.
fn first_frame(file: &[u8]) -> usize {
    let mut at = 4;
    loop {
        let len = u32::from_be_bytes([0, file[at + 1], file[at + 2], file[at + 3]]) as usize;
        let last = file[at] & 0x80 != 0;
        at += 4 + len;
        if last {
            return at;
        }
    }
}

/// The frames of a native FLAC file, split where a sync code follows bytes whose CRC-16
/// (footer included) is zero.
fn split_frames(file: &[u8]) -> Vec<&[u8]> {
    let mut frames = Vec::new();
    let mut start = first_frame(file);
    let mut crc = 0u16;
    let mut q = start;
    while q < file.len() {
        crc = crc16_step(crc, file[q]);
        q += 1;
        let at_sync =
            file.get(q) == Some(&0xFF) && file.get(q + 1).is_some_and(|b| b & 0xFE == 0xF8);
        if crc == 0 && q - start > 16 && (at_sync || q == file.len()) {
            frames.push(&file[start..q]);
            start = q;
        }
    }
    frames
}

/// `frame` (from a fixed block size stream) rewritten as a variable block size frame starting
/// at sample `first`: blocking bit set, the sample number coded, both CRCs recomputed.
fn as_variable(frame: &[u8], first: u64) -> Vec<u8> {
    let coded_len = match frame[4].leading_ones() {
        0 => 1,
        n => n as usize,
    };
    let extra = match frame[2] >> 4 {
        6 => 1,
        7 => 2,
        _ => 0,
    } + match frame[2] & 15 {
        12 => 1,
        13 | 14 => 2,
        _ => 0,
    };
    let rest = 4 + coded_len;
    let mut out = vec![0xFF, 0xF9, frame[2], frame[3]];
    // UTF-8-like coding of up to 36 bits.
    let bytes = match first {
        0..=0x7F => 1,
        0x80..=0x7FF => 2,
        0x800..=0xFFFF => 3,
        0x1_0000..=0x1F_FFFF => 4,
        _ => 5,
    };
    if bytes == 1 {
        out.push(first as u8);
    } else {
        let lead = (0xFF00u16 >> bytes) as u8;
        out.push(lead | (first >> (6 * (bytes - 1))) as u8);
        for i in (0..bytes - 1).rev() {
            out.push(0x80 | ((first >> (6 * i)) & 0x3F) as u8);
        }
    }
    out.extend_from_slice(&frame[rest..rest + extra]);
    out.push(crc8(&out));
    let header_len = rest + extra + 1;
    out.extend_from_slice(&frame[header_len..frame.len() - 2]);
    let crc = out.iter().fold(0u16, |c, &b| crc16_step(c, b));
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// A variable block size stream (blocks of 4096 and 1024 samples alternating by section, each
/// frame carrying its sample number), made from two encodings of one signal, with and
/// without its length in STREAMINFO: decoded and seeked like `flac -d` decodes it.
#[test]
fn variable_block_sizes_and_an_unknown_length() {
    let big = Spec::cd(&["-5", "-b", "4096", "-S-"]);
    let small = Spec::cd(&["-5", "-b", "1024", "-S-"]);
    let (a, b) = (big.bytes(), small.bytes());
    let (fa, fb) = (split_frames(&a), split_frames(&b));
    assert_eq!(fa.len(), (big.frames as usize).div_ceil(4096));
    assert_eq!(fb.len(), (small.frames as usize).div_ceil(1024));
    let head = first_frame(&a);
    let mut file = a[..head].to_vec();
    // STREAMINFO (after `fLaC` and its block header): block sizes 1024..4096, frame sizes
    // unknown.
    file[8..10].copy_from_slice(&1024u16.to_be_bytes());
    file[12..18].fill(0);
    let mut sample = 0u64;
    while sample < u64::from(big.frames) {
        // Sections of 40960 samples: 10 big frames, then 40 small ones.
        let frame = if (sample / 40_960).is_multiple_of(2) {
            fa[(sample / 4096) as usize]
        } else {
            fb[(sample / 1024) as usize]
        };
        let block = if (sample / 40_960).is_multiple_of(2) { 4096 } else { 1024 };
        file.extend(as_variable(frame, sample));
        sample += block;
    }
    let mut unknown = file.clone();
    // Total samples: the low 36 bits of STREAMINFO bytes 13..18 (file offsets 21..26).
    unknown[21] &= 0xF0;
    unknown[22..26].fill(0);
    for (what, bytes) in [("variable", file), ("variable, unknown length", unknown)] {
        let path = flac_corpus::temp_file("variable.flac", &bytes);
        let reference = flac_corpus::reference_decode(&path, 16, false);
        let _ = std::fs::remove_file(&path);
        assert_eq!(reference, big.samples(), "{what}: flac -d decodes the crafted file");
        let mut f = open_bytes(bytes.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(f.total_frames(), u64::from(big.frames), "{what}");
        assert!(read(&mut f, usize::MAX / 16) == reference, "{what}");
        let mut rng = Rng::new(3);
        for _ in 0..30 {
            let t = rng.below(u64::from(big.frames));
            f.seek(t).unwrap();
            let got = read(&mut f, 2000);
            let from = t as usize * 2;
            let to = (from + 4000).min(reference.len());
            assert!(got == reference[from..to], "{what}: seek to {t}");
        }
    }
}

/// A reader handing out at most `.1` bytes a call, as a slow source may.
struct Trickle<T>(T, usize);

impl<T: io::Read> io::Read for Trickle<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.1);
        self.0.read(&mut buf[..n])
    }
}

impl<T: io::Seek> io::Seek for Trickle<T> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.0.seek(pos)
    }
}

/// The input buffer (twice STREAMINFO's largest frame) is filled to half before a frame is
/// decoded: whether that size is right, unknown, too small or far too large, and whether the
/// source hands out whole buffers or 700 bytes a read, the stream decodes as `flac -d` does.
#[test]
fn frame_size_hints_and_short_reads() {
    let spec = Spec::cd(&["-5"]);
    let (bytes, want) = (spec.bytes(), spec.reference());
    let sizes = [("as coded", None), ("unknown", Some(0)), ("too small", Some(100))];
    for (what, max_frame) in sizes.into_iter().chain([("too large", Some(0xFF_FFFF))]) {
        for piece in [usize::MAX, 700] {
            let mut b = bytes.clone();
            // STREAMINFO's largest frame: bytes 7..10 of its body (file offsets 15..18).
            if let Some(m) = max_frame {
                b[15..18].copy_from_slice(&u32::to_be_bytes(m)[1..]);
            }
            let mut f = FlacFile::open(Src(Trickle(io::Cursor::new(b), piece)))
                .unwrap_or_else(|e| panic!("{what}, {piece}: {e}"));
            assert!(read(&mut f, usize::MAX / 16) == want, "{what}, {piece} bytes a read");
            f.seek(100_000).unwrap();
            assert!(read(&mut f, 1000) == want[200_000..202_000], "{what}, {piece}: seek");
        }
    }
}
