//! Shared pieces of the `ogg_*` tests: an in-memory `embedded_io` source that counts reads,
//! corpus files, the libvorbis oracle (vorbis_rs) and full decodes with Rill.
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rill_core::media::ogg::page::Page;
use rill_core::media::vorbis_file::VorbisFile;
use rill_tests::corpus::{Encoder, Spec};
use rill_tests::repage::{fix_crc, Layout, Stream};

/// An in-memory seekable source counting its `read` calls.
#[derive(Clone)]
pub struct Mem {
    data: Arc<Vec<u8>>,
    pos: u64,
    pub reads: Arc<AtomicUsize>,
}

impl Mem {
    pub fn new(data: Vec<u8>) -> Self {
        Mem { data: Arc::new(data), pos: 0, reads: Arc::new(AtomicUsize::new(0)) }
    }
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::Relaxed)
    }
}

impl embedded_io::ErrorType for Mem {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Mem {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let start = (self.pos as usize).min(self.data.len());
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl embedded_io::Seek for Mem {
    fn seek(&mut self, pos: embedded_io::SeekFrom) -> Result<u64, Self::Error> {
        let len = self.data.len() as i64;
        let new = match pos {
            embedded_io::SeekFrom::Start(p) => p as i64,
            embedded_io::SeekFrom::End(d) => len + d,
            embedded_io::SeekFrom::Current(d) => self.pos as i64 + d,
        };
        self.pos = new.max(0) as u64;
        Ok(self.pos)
    }
}

/// A corpus file encoded by oggenc (cached; see `rill_tests::corpus`).
pub fn oggenc(frames: u32, channels: u8, rate: u32, quality: i8) -> Vec<u8> {
    Spec { quality, channels, rate, frames, encoder: Encoder::Oggenc }.bytes()
}

/// A corpus file encoded by ffmpeg: its libvorbis wrapper or its native encoder.
pub fn ffmpeg(native: bool, frames: u32, channels: u8, rate: u32) -> Vec<u8> {
    ffmpeg_spec(native, frames, channels, rate).bytes()
}

/// The corpus entry behind [`ffmpeg`].
pub fn ffmpeg_spec(native: bool, frames: u32, channels: u8, rate: u32) -> Spec {
    let encoder = if native { Encoder::FfmpegNative } else { Encoder::FfmpegLibvorbis };
    Spec { quality: 3, channels, rate, frames, encoder }
}

/// `file` with the granule of its first audio page (the first timed page after the two
/// header pages oggenc writes) lowered by `trim`: a start trim of `trim` frames (Vorbis I spec
/// A.2) on oggenc's own page layout, the CRC recomputed.
pub fn first_granule_lowered(file: &[u8], trim: i64) -> Vec<u8> {
    let mut out = file.to_vec();
    let (mut at, mut page) = (0, 0);
    while at < out.len() {
        let len = Page::new_checked(&out[at..]).expect("a page").total_len();
        let granule = Page::new_checked(&out[at..at + len]).unwrap().granule();
        if page >= 2 && granule != -1 {
            out[at + 6..at + 14].copy_from_slice(&(granule - trim).to_le_bytes());
            fix_crc(&mut out[at..at + len]);
            return out;
        }
        at += len;
        page += 1;
    }
    panic!("no audio page with a granule");
}

/// The layout whose first audio page ends with the first packet (from the 8th on) that
/// `fits` the frames it outputs, and that packet's output.
pub fn first_page_ending(stream: &Stream, fits: impl Fn(i64) -> bool) -> (Layout, i64) {
    let a = &stream.audio;
    let k = (8..a.len()).find(|&k| fits(a[k].end - a[k - 1].end)).expect("such a packet");
    (Layout { max_body: 65_025, max_packets: k + 1, ..Layout::default() }, a[k].end - a[k - 1].end)
}

/// libvorbisfile's decode (vorbis_rs, one link): interleaved floats and the channel count.
pub fn libvorbis(file: &[u8]) -> (Vec<f32>, usize) {
    let mut dec = vorbis_rs::VorbisDecoder::<&[u8]>::new(file).expect("libvorbis open");
    let channels = usize::from(dec.channels().get());
    let mut out = Vec::new();
    // Bounded: every block holds at least one frame; a hole error is skipped, as a player would.
    for _ in 0..10_000_000 {
        match dec.decode_audio_block() {
            Ok(Some(block)) => {
                let s = block.samples();
                for i in 0..s[0].len() {
                    for ch in s {
                        out.push(ch[i]);
                    }
                }
            }
            Ok(None) => break,
            Err(vorbis_rs::VorbisError::LibraryError(e))
                if matches!(e.kind(), vorbis_rs::VorbisLibraryErrorKind::Hole) =>
            {
                continue
            }
            Err(e) => panic!("libvorbis: {e}"),
        }
    }
    (out, channels)
}

/// libvorbis's float-to-16-bit conversion: scale, floor(x + 0.5) as libvorbis's vorbis_ftoi on x86-64, clamp.
pub fn to_i16(v: f32) -> i16 {
    (f64::from(v) * 32768.0 + 0.5).floor().clamp(-32768.0, 32767.0) as i16
}

/// Opens a file with Rill.
pub fn open(file: &[u8]) -> VorbisFile<Mem> {
    VorbisFile::open(Mem::new(file.to_vec())).expect("open")
}

/// Reads everything from the current position: per link visited, (link, channels, floats).
pub fn read_all_f32(f: &mut VorbisFile<Mem>) -> Vec<(usize, usize, Vec<f32>)> {
    let mut out: Vec<(usize, usize, Vec<f32>)> = Vec::new();
    let mut buf = vec![0f32; 4096 * 8];
    loop {
        let n = f.read_f32(&mut buf).expect("read");
        if n == 0 {
            return out;
        }
        let ch = usize::from(f.channels());
        let link = f.link();
        match out.last_mut() {
            Some((l, _, v)) if *l == link => v.extend_from_slice(&buf[..n * ch]),
            _ => out.push((link, ch, buf[..n * ch].to_vec())),
        }
    }
}

/// All frames of a file as one interleaved float vector (single channel count expected).
pub fn decode_f32(file: &[u8]) -> Vec<f32> {
    read_all_f32(&mut open(file)).into_iter().flat_map(|(_, _, v)| v).collect()
}

/// Everything from the current position as interleaved 16-bit samples.
pub fn read_all_i16(f: &mut VorbisFile<Mem>) -> Vec<i16> {
    let mut out = Vec::new();
    let mut buf = vec![0i16; 4096 * 8];
    loop {
        let n = f.read_i16(&mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n * usize::from(f.channels())]);
    }
}

/// Asserts 16-bit output within the design's tolerance of libvorbis's: never more than 1 LSB
/// off, at least 99.9 % identical.
pub fn assert_i16_close(ours: &[i16], theirs: &[i16], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: sample count");
    let mut same = 0;
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!((i32::from(*a) - i32::from(*b)).abs() <= 1, "{what}: sample {i}: {a} vs {b}");
        same += usize::from(a == b);
    }
    assert!(same * 1000 >= ours.len() * 999, "{what}: {same} of {} identical", ours.len());
}

/// Asserts floats equal libvorbis's within 1e-5 and i16 per the design's tolerance.
pub fn assert_close(ours: &[f32], theirs: &[f32], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: sample count");
    let worst = ours.iter().zip(theirs).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(worst <= 1e-5, "{what}: max float difference {worst}");
}
