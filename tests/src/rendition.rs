//! Shared pieces of the rendition tests (Vorbis, FLAC, ALAC, Opus): the 16-bit rules the
//! renditions promise, channel order, a whole rendition built from a reference decoder's
//! samples, a transcoder read to its end in odd sizes, the byte and time spans to check, one
//! rendition played through the real server (whole, byte ranges, a DLNA time seek) against the
//! reference, and the tolerance of a lossy decoder's seeks.

use embedded_io::{Read, Seek};
use rill_core::transcode::{Layout, Transcoder, Wrapping};

use crate::corpus::Rng;
use crate::renderer::Renderer;

/// `s`, a sample of `bits` bits, as 16 bits by the rule the renditions promise: narrower
/// samples shifted up, wider ones rounded to the nearest (halves up) and clamped.
pub fn to_16(s: i32, bits: u8) -> i16 {
    if bits <= 16 {
        return (s << (16 - bits)) as i16;
    }
    let shift = bits - 16;
    ((i64::from(s) + (1 << (shift - 1))) >> shift).clamp(-32768, 32767) as i16
}

/// For each WAV-order channel of a `channels`-channel frame (1 to 8), the Vorbis-order channel
/// it is (Vorbis I spec §4.3.9, RFC 7845 §5.1.1: 7 is FL C FR SL SR RC LFE, 8 is FL C FR SL SR
/// RL RR LFE; WAV puts LFE fourth and the back pair before the side pair): how Vorbis and Opus
/// frames, which come in Vorbis order, are laid out in a rendition.
pub fn vorbis_to_wav(channels: u8) -> &'static [usize] {
    match channels {
        1 => &[0],
        2 => &[0, 1],
        3 => &[0, 2, 1],
        4 => &[0, 1, 2, 3],
        5 => &[0, 2, 1, 3, 4],
        6 => &[0, 2, 1, 5, 3, 4],
        7 => &[0, 2, 1, 6, 5, 3, 4],
        8 => &[0, 2, 1, 7, 5, 6, 3, 4],
        _ => panic!("no test layout for {channels} channels"),
    }
}

/// 16-bit samples in Vorbis channel order put in WAV order (see [`vorbis_to_wav`]).
pub fn to_wav_order(samples: &[i16], channels: u8) -> Vec<i16> {
    let order = vorbis_to_wav(channels);
    samples.chunks(usize::from(channels)).flat_map(|f| order.iter().map(|&c| f[c])).collect()
}

/// A float sample as a rendition carries it: times 32768, rounded to the nearest (halves away
/// from zero), clamped.
pub fn f32_to_16(s: f32) -> i16 {
    (s * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16
}

/// Checks `got`, bytes `first..first + got.len()` of `layout` produced after a seek to `first`,
/// against the same bytes of `whole`, the rendition of a full decode, with the tolerance a
/// lossy decoder has after a seek while it converges (issue 13 item 2, RFC 7845 §4.6): the
/// WAV header exact, every whole sample within `tolerance` (in 16-bit steps), and every byte
/// identical from `exact_after` frames after the span's first frame on (when given). A span
/// starting in the header is a linear decode and must be exact throughout.
pub fn assert_seek_close(
    layout: Layout,
    whole: &[u8],
    first: u64,
    got: &[u8],
    tolerance: i32,
    exact_after: Option<u64>,
    what: &str,
) {
    let (first, end) = (first as usize, first as usize + got.len());
    assert!(end <= whole.len(), "{what}: span past the end");
    let want = &whole[first..end];
    let header = layout.header_len();
    let fb = layout.frame_bytes();
    if first < header {
        assert!(got == want, "{what}: a span from the header is a linear decode");
        return;
    }
    let start_frame = (first - header) / fb;
    let exact_from = exact_after.map_or(usize::MAX, |n| {
        header + (start_frame + n as usize).saturating_mul(fb).min(whole.len())
    });
    if exact_from < end {
        let at = exact_from.max(first) - first;
        assert!(got[at..] == want[at..], "{what}: bytes from {exact_from} must be identical");
    }
    // Whole samples inside the span, before the exact part.
    let value = |b: &[u8]| match layout.wrapping {
        Wrapping::Wav => i32::from(i16::from_le_bytes([b[0], b[1]])),
        Wrapping::L16 | Wrapping::Lpcm => i32::from(i16::from_be_bytes([b[0], b[1]])),
    };
    let mut at = header + (first - header).div_ceil(2) * 2;
    while at + 2 <= end.min(exact_from) {
        let (g, w) = (value(&got[at - first..]), value(&whole[at..]));
        assert!((g - w).abs() <= tolerance, "{what}: byte {at}: {g} against {w}");
        at += 2;
    }
}

/// The whole rendition `layout` of 16-bit `samples` (interleaved, in WAV channel order): its
/// header, then the samples big-endian (L16, LPCM) or little-endian (WAV).
pub fn whole(layout: Layout, samples: impl IntoIterator<Item = i16>) -> Vec<u8> {
    let mut out = vec![0u8; layout.header_len()];
    layout.write_header(&mut out);
    for v in samples {
        out.extend_from_slice(&match layout.wrapping {
            Wrapping::Wav => v.to_le_bytes(),
            Wrapping::L16 | Wrapping::Lpcm => v.to_be_bytes(),
        });
    }
    assert_eq!(out.len() as u64, layout.total_len(), "rendition length");
    out
}

/// Everything `t` produces, read in random sizes of 1 to 9000 bytes.
pub fn read_to_end<R: Read + Seek>(mut t: Transcoder<R>, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 9000];
    loop {
        let size = 1 + rng.below(9000) as usize;
        let n = t.fill(&mut buf[..size]).expect("fill");
        if n == 0 {
            assert_eq!(t.remaining(), 0);
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Byte spans of `layout` to check, as `(first, len)`: the last byte, the first, and `n` random
/// ones (tiny, starting or ending inside a frame, reaching the end), each followed by the span
/// of a random time range (open or closed, as the server maps `npt=START-END`) when `times` is
/// set.
pub fn spans(rng: &mut Rng, layout: Layout, n: usize, times: bool) -> Vec<(u64, u64)> {
    let total = layout.total_len();
    let mut v = vec![(total - 1, 1), (0, 1)];
    for i in 0..n {
        let first = rng.below(total);
        let len = match i % 3 {
            0 => (1 + rng.below(7)).min(total - first),
            1 => 1 + rng.below(total - first),
            _ => total - first,
        };
        v.push((first, len));
        if times {
            let d = layout.duration_us();
            let start = rng.below(d);
            let end = (i % 2 == 0).then(|| start + rng.below(d - start + 1));
            let frames = layout.time_span(start, end);
            let first = layout.frame_offset(frames.start);
            v.push((first, layout.frame_offset(frames.end) - first));
        }
    }
    v
}

/// Plays the rendition `layout` at `url` through the server with `cp`: the whole of it, four
/// random byte ranges (206) and a DLNA time seek from a random millisecond (200) must each be
/// the same bytes of `whole`; `what` names it in failures.
pub fn check_served(
    cp: &Renderer,
    url: &str,
    layout: Layout,
    whole: &[u8],
    rng: &mut Rng,
    what: &str,
) {
    let resp = cp.get(url, &[]).unwrap();
    assert_eq!(resp.status, 200, "{what}");
    assert!(resp.body == whole, "{what}: whole rendition");
    for _ in 0..4 {
        let first = rng.below(layout.total_len());
        let last = first + rng.below(layout.total_len() - first);
        let range = format!("bytes={first}-{last}");
        let resp = cp.get(url, &[("Range", &range)]).unwrap();
        assert_eq!(resp.status, 206, "{what} {range}");
        assert!(resp.body == whole[first as usize..=last as usize], "{what} {range}");
    }
    let start_ms = rng.below(layout.duration_us() / 1000);
    let npt = format!("npt={}.{:03}-", start_ms / 1000, start_ms % 1000);
    let resp = cp.get(url, &[("TimeSeekRange.dlna.org", &npt)]).unwrap();
    assert_eq!(resp.status, 200, "{what} {npt}");
    let first = layout.frame_offset(layout.frame_at(start_ms * 1000)) as usize;
    assert!(resp.body == whole[first..], "{what} {npt}");
}
