//! The Vorbis decoder against libvorbis (through `vorbis_rs`) on real encoded files, plus
//! robustness against damaged input.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rill_core::media::vorbis::{packet_kind, Decoder, Error, Ident, PacketKind, Setup};
use rill_tests::corpus::{self, split_ogg, Encoder, Packet, Rng, Spec};

/// Counts the allocations and live heap bytes of each thread, so tests can check that decoding
/// allocates nothing and that the reported heap sizes are the real ones.
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counters are const-initialised thread locals,
// which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        let _ = LIVE_BYTES.try_with(|n| n.set(n.get() + layout.size() as isize));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE_BYTES.try_with(|n| n.set(n.get() - layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn live_bytes() -> isize {
    LIVE_BYTES.with(Cell::get)
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Our decoder's untrimmed output, per channel, and the frames of each audio packet.
struct Decoded {
    channels: Vec<Vec<f32>>,
    i16: Vec<i16>,
    frames: Vec<usize>,
}

fn headers(packets: &[Packet]) -> (Ident, Setup) {
    assert_eq!(packet_kind(&packets[0].data), PacketKind::Ident);
    assert_eq!(packet_kind(&packets[1].data), PacketKind::Comment);
    assert_eq!(packet_kind(&packets[2].data), PacketKind::Setup);
    let ident = Ident::parse(&packets[0].data).expect("ident");
    let setup = Setup::parse(&ident, &packets[2].data).expect("setup");
    (ident, setup)
}

fn decode(packets: &[Packet]) -> Decoded {
    let (ident, setup) = headers(packets);
    let mut dec = Decoder::new(ident, setup).expect("decoder");
    let ch = usize::from(ident.channels);
    let mut out = Decoded { channels: vec![Vec::new(); ch], i16: Vec::new(), frames: Vec::new() };
    let mut prev: Option<u16> = None;
    let mut buf = vec![0i16; ch * 4096];
    for p in &packets[3..] {
        let bs = dec.setup().packet_blocksize(&p.data).expect("audio packet");
        let n = dec.decode(&p.data).expect("decode");
        assert_eq!(n, prev.map_or(0, |pb| (usize::from(pb) + usize::from(bs)) / 4));
        prev = Some(bs);
        let pcm = dec.pcm();
        assert_eq!(pcm.frames(), n);
        for (c, v) in out.channels.iter_mut().enumerate() {
            v.extend_from_slice(pcm.channel(c));
        }
        let w = pcm.write_i16(0..n, &mut buf);
        assert_eq!(w, n);
        out.i16.extend_from_slice(&buf[..n * ch]);
        out.frames.push(n);
    }
    out
}

/// libvorbisfile's output (trimmed by granule positions), per channel.
fn reference(bytes: &[u8]) -> Vec<Vec<f32>> {
    let mut dec = vorbis_rs::VorbisDecoder::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let ch = usize::from(dec.channels().get());
    let mut out = vec![Vec::new(); ch];
    while let Some(block) = dec.decode_audio_block().unwrap() {
        for (o, s) in out.iter_mut().zip(block.samples()) {
            o.extend_from_slice(s);
        }
    }
    out
}

/// Frames libvorbis trims from the start: the frames decoded through the first page with a
/// granule position, minus that granule, unless that page also ends the stream (then the end is
/// trimmed instead).
fn start_trim(packets: &[Packet], frames: &[usize]) -> usize {
    let audio = &packets[3..];
    let Some(first) = audio.iter().position(|p| p.granule >= 0) else { return 0 };
    let page = audio[first].page;
    if audio[first].eos {
        return 0;
    }
    let through: usize =
        audio.iter().zip(frames).take_while(|(p, _)| p.page <= page).map(|(_, &f)| f).sum();
    through.saturating_sub(audio[first].granule as usize)
}

/// Compares our decode of `spec` with libvorbis: floats with `vorbis_rs` (within 1e-5), 16-bit
/// output with `oggdec` (never more than 1 LSB apart). Returns (identical, total) 16-bit samples.
///
/// `vorbis_rs` bundles the aoTuV/Lancer build of libvorbis, whose SSE channel decoupling treats a
/// magnitude of +0.0 as positive (the spec and stock libvorbis say `magnitude > 0`). Only
/// ffmpeg's native encoder writes such zero magnitudes with non-zero angles, so its files are
/// compared with stock libvorbis (oggdec) only.
fn compare(spec: &Spec) -> (usize, usize) {
    let bytes = spec.bytes();
    let packets = split_ogg(&bytes);
    let ours = decode(&packets);
    let name = spec.name();
    let s = start_trim(&packets, &ours.frames);
    let ch = ours.channels.len();
    let ours_len = ours.channels[0].len();
    if spec.encoder != Encoder::FfmpegNative {
        let want = reference(&bytes);
        assert_eq!(want.len(), ch, "{name}: channels");
        for (c, (o, w)) in ours.channels.iter().zip(&want).enumerate() {
            assert!(
                s + w.len() <= o.len(),
                "{name}: libvorbis has {} frames, we {ours_len}",
                w.len()
            );
            for (i, (&a, &b)) in o[s..].iter().zip(w).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5,
                    "{name}: channel {c} frame {i}: {a} vs libvorbis {b}"
                );
            }
        }
    }
    let want = spec.oggdec_i16();
    assert!(s * ch + want.len() <= ours.i16.len(), "{name}: oggdec has more frames than we decode");
    let mut same = 0;
    for (i, (&a, &b)) in ours.i16[s * ch..].iter().zip(&want).enumerate() {
        let d = (i32::from(a) - i32::from(b)).abs();
        assert!(d <= 1, "{name}: sample {i} (frame {}): {a} vs oggdec {b}", i / ch);
        same += usize::from(d == 0);
    }
    (same, want.len())
}

/// Runs `compare` over `specs` and checks that at least 99.9% of all 16-bit samples are identical.
fn compare_all(specs: &[Spec]) {
    let (mut same, mut total) = (0, 0);
    for spec in specs {
        let (s, t) = compare(spec);
        same += s;
        total += t;
    }
    assert!(same as f64 >= 0.999 * total as f64, "only {same} of {total} 16-bit samples identical");
}

#[test]
fn matches_libvorbis_across_qualities() {
    compare_all(&(-1..=10).map(Spec::stereo).collect::<Vec<_>>());
}

#[test]
fn matches_libvorbis_across_channel_counts() {
    compare_all(&corpus::channel_sweep());
}

#[test]
fn matches_libvorbis_across_rates() {
    compare_all(&corpus::rate_sweep());
}

#[test]
fn matches_libvorbis_on_one_page_files() {
    compare_all(&corpus::short_files());
}

#[test]
fn matches_libvorbis_on_ffmpeg_files() {
    compare_all(&corpus::ffmpeg());
}

/// After `reset`, the first packet completes no frames and every later one reproduces the linear
/// decode bit for bit (one packet of pre-roll suffices).
#[test]
fn reset_then_preroll_reproduces_linear_decode() {
    let spec = Spec::stereo(3);
    let packets = split_ogg(&spec.bytes());
    let linear = decode(&packets);
    let (ident, setup) = headers(&packets);
    let mut dec = Decoder::new(ident, setup).unwrap();
    let audio = &packets[3..];
    let mut rng = Rng::new(7);
    for _ in 0..20 {
        let k = rng.below(audio.len() as u64 - 3) as usize;
        dec.reset();
        assert_eq!(dec.decode(&audio[k].data), Ok(0));
        assert_eq!(dec.pcm().frames(), 0);
        for (j, p) in audio.iter().enumerate().take(k + 4).skip(k + 1) {
            let n = dec.decode(&p.data).unwrap();
            assert_eq!(n, linear.frames[j]);
            let start: usize = linear.frames[..j].iter().sum();
            for c in 0..2 {
                assert_eq!(dec.pcm().channel(c), &linear.channels[c][start..start + n]);
            }
        }
    }
}

/// Damaged audio packets (truncated, bit-flipped, random) never panic; a rejected packet leaves
/// the decoder as it was, so the next good packet decodes as after a lost packet.
#[test]
fn damaged_audio_packets_are_handled() {
    let spec = Spec::stereo(6);
    let packets = split_ogg(&spec.bytes());
    let linear = decode(&packets);
    let (ident, setup) = headers(&packets);
    let mut dec = Decoder::new(ident, setup).unwrap();
    let audio = &packets[3..];
    let mut rng = Rng::new(11);
    for (k, p) in audio.iter().enumerate().take(200) {
        // A truncated or corrupted copy first; whatever it yields, the output has the right size.
        let mut bad = p.data.clone();
        match rng.below(4) {
            0 => bad.truncate(rng.below(bad.len() as u64 + 1) as usize),
            1 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(bad.len() as u64) as usize;
                    bad[i] ^= 1 << rng.below(8);
                }
            }
            2 => bad.iter_mut().skip(1).for_each(|b| *b = rng.next_u64() as u8),
            _ => bad = (0..rng.below(64)).map(|_| rng.next_u64() as u8).collect(),
        }
        if let Ok(n) = dec.decode(&bad) {
            assert_eq!(dec.pcm().frames(), n);
            assert!(n <= usize::from(ident.blocksize[1]) / 2);
            assert!(dec.pcm().channel(0).iter().all(|x| x.is_finite()));
        }
        // Then the real packet; after a bad one, it overlaps with whatever came last.
        let n = dec.decode(&p.data).unwrap();
        assert!(n == 0 || n <= usize::from(ident.blocksize[1]) / 2);
        if k > 0 && bad.is_empty() {
            assert_eq!(dec.decode(&[]), Err(Error::NotAudio));
        }
    }
    // A header packet is not audio; it changes nothing.
    dec.reset();
    assert_eq!(dec.decode(&packets[0].data), Err(Error::NotAudio));
    assert_eq!(dec.decode(&audio[0].data), Ok(0));
    let n = dec.decode(&audio[1].data).unwrap();
    assert_eq!(dec.pcm().channel(0), &linear.channels[0][..n]);
}

/// Mutated and truncated headers give errors or a working decoder, never a panic.
#[test]
fn damaged_headers_are_handled() {
    let mut rng = Rng::new(3);
    for spec in [Spec::stereo(-1), Spec::stereo(8), corpus::ffmpeg()[1]] {
        let packets = split_ogg(&spec.bytes());
        let ident_bytes = &packets[0].data;
        let setup_bytes = &packets[2].data;
        let ident = Ident::parse(ident_bytes).unwrap();
        for len in (0..setup_bytes.len()).step_by(7) {
            assert!(Setup::parse(&ident, &setup_bytes[..len]).is_err(), "truncated to {len}");
        }
        for len in 0..ident_bytes.len() {
            assert!(Ident::parse(&ident_bytes[..len]).is_err());
        }
        for _ in 0..300 {
            let mut bad = setup_bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let i = 7 + rng.below(bad.len() as u64 - 7) as usize;
                match rng.below(3) {
                    0 => bad[i] ^= 1 << rng.below(8),
                    1 => bad[i] = rng.next_u64() as u8,
                    _ => bad[i] = 0xff,
                }
            }
            let Ok(setup) = Setup::parse(&ident, &bad) else { continue };
            let mut dec = Decoder::new(ident, setup).unwrap();
            for p in packets[3..].iter().take(12) {
                let _ = dec.decode(&p.data);
                assert!(dec.pcm().frames() <= usize::from(ident.blocksize[1]) / 2);
            }
        }
        let mut bad_ident = ident_bytes.clone();
        for _ in 0..200 {
            let i = 7 + rng.below(bad_ident.len() as u64 - 7) as usize;
            bad_ident[i] ^= 1 << rng.below(8);
            if let Ok(id) = Ident::parse(&bad_ident) {
                if let Ok(setup) = Setup::parse(&id, setup_bytes) {
                    let mut dec = Decoder::new(id, setup).unwrap();
                    for p in packets[3..].iter().take(4) {
                        let _ = dec.decode(&p.data);
                    }
                }
            }
            bad_ident.clone_from(ident_bytes);
        }
    }
}

/// After `Decoder::new`, decoding (and reading the output) allocates nothing.
#[test]
fn decoding_allocates_nothing() {
    for spec in [Spec::stereo(-1), Spec::stereo(10), corpus::channel_sweep()[3]] {
        let packets = split_ogg(&spec.bytes());
        let (ident, setup) = headers(&packets);
        let mut dec = Decoder::new(ident, setup).unwrap();
        let mut out = vec![0i16; 8 * 8192];
        let before = allocations();
        let mut frames = 0;
        for p in &packets[3..] {
            let n = dec.decode(&p.data).unwrap();
            frames += dec.pcm().write_i16(0..n, &mut out);
        }
        let _ = dec.decode(&[0x55; 3]);
        dec.reset();
        assert_eq!(allocations(), before, "{}", spec.name());
        assert!(frames > 0);
    }
}

/// The budget figures a caller can check before building a decoder are the real ones: the
/// setup holds exactly `heap_bytes`, the decoder's buffers at most `buffer_bytes`, and a 44.1 kHz
/// stereo q5 stream stays within 64 KiB in all.
#[test]
fn reports_heap_use() {
    for spec in corpus::standard() {
        let packets = split_ogg(&spec.bytes());
        let ident = Ident::parse(&packets[0].data).unwrap();
        let before = live_bytes();
        let setup = Setup::parse(&ident, &packets[2].data).unwrap();
        let setup_live = live_bytes() - before;
        assert_eq!(setup_live, setup.heap_bytes() as isize, "{}", spec.name());
        let total_reported = setup.heap_bytes() + Decoder::buffer_bytes(&ident);
        let dec = Decoder::new(ident, setup).unwrap();
        let buffers = live_bytes() - before - setup_live;
        assert!(buffers <= Decoder::buffer_bytes(&ident) as isize, "{}", spec.name());
        if spec == Spec::stereo(5) {
            assert!(setup_live + buffers <= 64 * 1024, "{} bytes", setup_live + buffers);
            assert!(total_reported <= 72 * 1024, "{total_reported}");
        }
        drop(dec);
        assert_eq!(live_bytes(), before, "{}: everything freed", spec.name());
    }
}

/// An LSB-first bit writer, the inverse of the Vorbis bit reader, for crafting streams.
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    used: u32,
}

impl Bits {
    fn put(&mut self, value: u64, bits: u32) {
        for i in 0..bits {
            if self.used.is_multiple_of(8) {
                self.bytes.push(0);
            }
            let bit = ((value >> i) & 1) as u8;
            *self.bytes.last_mut().unwrap() |= bit << (self.used % 8);
            self.used += 1;
        }
    }
}

/// Vorbis' packed float: `mantissa * 2^(exponent - 788)`.
fn vorbis_float(mantissa: u32, exponent: u32, negative: bool) -> u64 {
    u64::from(mantissa | exponent << 21 | u32::from(negative) << 31)
}

/// A lookup-type-1 codebook of 16 four-bit codewords over `dim` 2 with four values
/// `min + k * delta` (min and delta as packed floats).
fn put_vq_book(w: &mut Bits, min: u64, delta: u64) {
    w.put(0x56_4342, 24);
    w.put(2, 16); // dimensions
    w.put(16, 24); // entries
    w.put(0, 1); // not ordered
    w.put(0, 1); // not sparse
    for _ in 0..16 {
        w.put(3, 5); // length 4
    }
    w.put(1, 4); // lookup type 1: 4 values per dimension
    w.put(min, 32);
    w.put(delta, 32);
    w.put(1, 4); // 2-bit multiplicands
    w.put(0, 1); // no sequence
    for m in 0..4 {
        w.put(m, 2);
    }
}

/// Ogg CRC-32 (polynomial 0x04c11db7, no reflection).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { crc << 1 ^ 0x04c1_1db7 } else { crc << 1 };
        }
    }
    crc
}

/// One Ogg page holding `packet` whole.
fn ogg_page(out: &mut Vec<u8>, packet: &[u8], flags: u8, granule: i64, seq: u32) {
    let mut lacing: Vec<u8> = vec![255; packet.len() / 255];
    lacing.push((packet.len() % 255) as u8);
    let start = out.len();
    out.extend_from_slice(b"OggS\0");
    out.push(flags);
    out.extend_from_slice(&granule.to_le_bytes());
    out.extend_from_slice(&0x5eed_u32.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.push(lacing.len() as u8);
    out.extend_from_slice(&lacing);
    out.extend_from_slice(packet);
    let crc = ogg_crc(&out[start..]);
    out[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
}

/// What a crafted stream exercises besides floor 0.
#[derive(Clone, Copy, Debug)]
struct Craft {
    channels: u8,
    /// log2 of the short and long block sizes.
    bits: [u8; 2],
    /// Residue type 0, 1 or 2 (2 also couples channels 0 and 1).
    residue: u8,
    /// The first-pass residue book uses lookup type 2 with `sequence_p`, and the classbook is
    /// stored in the ordered form.
    lookup2: bool,
    /// Packets end early, mostly inside the residue, sometimes inside a floor.
    truncated: bool,
}

/// A stream with floor type 0 (which no current encoder makes): LSP floors of order 8, blocks
/// switching at random, a residue whose class 1 has two passes, the second from a single-entry
/// sparse codebook. Floors carry increasing (valid) LSP coefficients; residues are random bits,
/// which complete codebooks decode whatever they are. Residue values are never zero, so coupled
/// magnitudes are never +0.0 (where aoTuV/Lancer's decoupling departs from the spec).
fn crafted_stream(seed: u64, packets: usize, craft: Craft) -> Vec<u8> {
    let Craft { channels, bits, residue, lookup2, truncated } = craft;
    let mut rng = Rng::new(seed);
    let mut ident = Bits::default();
    ident.put(1, 8);
    b"vorbis".iter().for_each(|&b| ident.put(u64::from(b), 8));
    ident.put(0, 32);
    ident.put(u64::from(channels), 8);
    ident.put(44_100, 32);
    ident.put(0, 32);
    ident.put(128_000, 32);
    ident.put(0, 32);
    ident.put(u64::from(bits[0] | bits[1] << 4), 8);
    ident.put(1, 1);
    let mut comment = b"\x03vorbis".to_vec();
    comment.extend_from_slice(&4u32.to_le_bytes());
    comment.extend_from_slice(b"rill");
    comment.extend_from_slice(&[0, 0, 0, 0, 1]);
    let mut s = Bits::default();
    s.put(5, 8);
    b"vorbis".iter().for_each(|&b| s.put(u64::from(b), 8));
    s.put(3, 8); // 4 codebooks
    put_vq_book(&mut s, vorbis_float(1, 786, false), vorbis_float(1, 785, false)); // 0.25 + k/8
    s.put(0x56_4342, 24); // classbook: 2 entries of 1 bit, scalar
    s.put(1, 16);
    s.put(2, 24);
    if lookup2 {
        s.put(1, 1); // ordered: from length 1, two entries
        s.put(0, 5);
        s.put(2, 2);
    } else {
        s.put(0, 2);
        s.put(0, 5);
        s.put(0, 5);
    }
    s.put(0, 4);
    if lookup2 {
        // Lookup type 2, sequence_p: 16 entries of 4 bits, each with its own 2 multiplicands of
        // 3 bits.
        s.put(0x56_4342, 24);
        s.put(2, 16);
        s.put(16, 24);
        s.put(0, 2);
        for _ in 0..16 {
            s.put(3, 5);
        }
        s.put(2, 4);
        s.put(vorbis_float(5, 786, true), 32);
        s.put(vorbis_float(1, 786, false), 32);
        s.put(2, 4);
        s.put(1, 1);
        // Values are -1.25 + k/4: an even k gives an odd multiple of 1/4, an odd k an even one,
        // so (with the running sum) both elements are odd multiples of 1/4, never zero.
        for _ in 0..16 {
            s.put(2 * rng.below(4), 3);
            s.put(2 * rng.below(4) + 1, 3);
        }
    } else {
        put_vq_book(&mut s, vorbis_float(5, 786, true), vorbis_float(1, 787, false));
        // -1.25 + k/2
    }
    // A sparse book with a single used entry (number 2 of 4, 1 bit), lookup type 1 over the 2
    // values -0.5 and 0.5: even multiples of 1/4, so the sum with the first pass (odd multiples
    // of 1/4) is never zero.
    s.put(0x56_4342, 24);
    s.put(2, 16);
    s.put(4, 24);
    s.put(0, 1);
    s.put(1, 1); // sparse: used flags, each followed by a length when set
    s.put(0, 2);
    s.put(1, 1);
    s.put(0, 5); // length 1, the only length libvorbis accepts for a single entry
    s.put(0, 1);
    s.put(1, 4);
    s.put(vorbis_float(1, 787, true), 32);
    s.put(vorbis_float(1, 788, false), 32);
    s.put(0, 4);
    s.put(0, 1);
    s.put(0, 1);
    s.put(1, 1);
    s.put(0, 6); // one time-domain transform
    s.put(0, 16);
    s.put(0, 6); // one floor: type 0
    s.put(0, 16);
    s.put(8, 8); // order
    s.put(44_100, 16);
    s.put(256, 16); // bark map size
    s.put(16, 6); // amplitude bits
    s.put(60, 8); // amplitude offset (dB)
    s.put(0, 4); // one book
    s.put(0, 8);
    s.put(0, 6); // one residue
    s.put(u64::from(residue), 16);
    s.put(0, 24);
    s.put(if residue == 2 { 160 * u64::from(channels) } else { 320 }, 24);
    // Partitions of 16 values per channel. (Residue 2 partitions that do not start on a
    // channel boundary are placed by libvorbis as if they did, unlike the spec; no encoder
    // makes them, and rill follows the spec.)
    let psize = if residue == 2 { 16 * u64::from(channels) } else { 16 };
    s.put(psize - 1, 24);
    s.put(1, 6); // two classifications
    s.put(1, 8); // classbook
    s.put(0, 4); // class 0: no books
    s.put(3, 4); // class 1: passes 0 and 1
    s.put(2, 8);
    s.put(3, 8);
    s.put(0, 6); // one mapping
    s.put(0, 16);
    s.put(0, 1); // one submap
    if residue == 2 && channels > 1 {
        s.put(1, 1); // one coupling step: magnitude 0, angle 1
        s.put(0, 8);
        let b = 32 - u32::from(channels - 1).leading_zeros();
        s.put(0, b);
        s.put(1, b);
    } else {
        s.put(0, 1);
    }
    s.put(0, 2); // reserved
    s.put(0, 24); // submap 0: time, floor 0, residue 0
    s.put(1, 6); // two modes: short, long
    for long in [0, 1] {
        s.put(long, 1);
        s.put(0, 40);
    }
    s.put(1, 1);
    let flags: Vec<u64> = (0..packets + 2).map(|_| u64::from(rng.below(3) != 0)).collect();
    let mut out = Vec::new();
    ogg_page(&mut out, &ident.bytes, 2, 0, 0);
    ogg_page(&mut out, &comment, 0, 0, 1);
    ogg_page(&mut out, &s.bytes, 0, 0, 2);
    let mut granule = 0i64;
    let size = |f: u64| 1i64 << bits[usize::from(f == 1)];
    for k in 0..packets {
        let mut p = Bits::default();
        p.put(0, 1);
        p.put(flags[k + 1], 1);
        if flags[k + 1] == 1 {
            p.put(flags[k], 1);
            p.put(flags[k + 2], 1);
        }
        for _ in 0..channels {
            // Amplitudes up to ~1.5 dB of the 60 dB offset keep the LSP envelope's peaks finite.
            let amp = if rng.below(8) == 0 { 0 } else { 50 + rng.below(1600) };
            p.put(amp, 16);
            if amp > 0 {
                p.put(0, 1); // book number
                for _ in 0..4 {
                    // An entry whose first value is below its second keeps the LSPs increasing.
                    let (a, b) = loop {
                        let (a, b) = (rng.below(4), rng.below(4));
                        if a < b {
                            break (a, b);
                        }
                    };
                    let entry = a + 4 * b;
                    p.put(entry.reverse_bits() >> 60, 4); // codewords are written MSB first
                }
            }
        }
        // Enough bits that residue decoding ends before the packet does, unless truncated.
        let len = if truncated { rng.below(30) as usize } else { 40 + 120 * usize::from(channels) };
        for _ in 0..len {
            p.put(rng.next_u64() & 0xff, 8);
        }
        if k > 0 {
            granule += (size(flags[k]) + size(flags[k + 1])) / 4;
        }
        let eos = if k + 1 == packets { 4 } else { 0 };
        ogg_page(&mut out, &p.bytes, eos, granule, 3 + k as u32);
    }
    out
}

/// Crafted streams against libvorbis: floor 0 (no common encoder makes it), residues 0, 1 and 2,
/// lookup type 2 with `sequence_p`, ordered and single-entry codebooks, block sizes 64 and 8192,
/// 255 channels, and packets that end early (the spec's end-of-packet rules).
#[test]
fn crafted_streams_match_libvorbis() {
    let craft = |channels, bits, residue, lookup2, truncated| Craft {
        channels,
        bits,
        residue,
        lookup2,
        truncated,
    };
    let cases = [
        (1, craft(2, [8, 11], 1, false, false)),
        (2, craft(2, [8, 11], 0, true, false)),
        (3, craft(1, [6, 13], 0, false, false)),
        (4, craft(3, [6, 6], 2, false, false)),
        (5, craft(2, [8, 11], 2, true, false)),
        (6, craft(255, [7, 9], 1, true, false)),
        (7, craft(6, [8, 12], 2, false, false)),
        (8, craft(2, [8, 11], 0, false, true)),
        (9, craft(2, [8, 11], 1, true, true)),
        (10, craft(2, [8, 11], 2, false, true)),
    ];
    for (seed, craft) in cases {
        let channels = craft.channels;
        let bytes = crafted_stream(seed, 40, craft);
        let packets = split_ogg(&bytes);
        let ours = decode(&packets);
        // Stock libvorbis, 16-bit: never more than 1 LSB apart.
        let path = corpus::temp_file("crafted", &bytes);
        let stock = corpus::oggdec(&path);
        let _ = std::fs::remove_file(&path);
        assert_eq!(stock.len(), ours.i16.len(), "{craft:?}");
        for (i, (&a, &b)) in ours.i16.iter().zip(&stock).enumerate() {
            assert!((i32::from(a) - i32::from(b)).abs() <= 1, "{craft:?} sample {i}: {a} vs {b}");
        }
        // aoTuV/Lancer libvorbis, float. Its residue 2 decoding departs from stock libvorbis when
        // a packet ends inside it, so those streams are checked against stock libvorbis only.
        if craft.truncated && craft.residue == 2 {
            continue;
        }
        let want = reference(&bytes);
        let peak = want.iter().flatten().fold(0f32, |m, x| m.max(x.abs()));
        assert!(peak > 1e-3 && peak.is_finite(), "{craft:?}: a silent or broken stream ({peak})");
        assert_eq!(want.len(), usize::from(channels));
        for (c, (o, w)) in ours.channels.iter().zip(&want).enumerate() {
            assert_eq!(o.len(), w.len(), "{craft:?}");
            for (i, (&a, &b)) in o.iter().zip(w).enumerate() {
                let tol = 1e-5 * peak.max(1.0);
                assert!(
                    (a - b).abs() <= tol,
                    "{craft:?} ch {c} frame {i}: {a} vs {b} (peak {peak})"
                );
            }
        }
    }
}

/// Against lewton, a peer decoder: 16-bit samples within 2 LSB (lewton truncates instead of
/// rounding) over the whole untrimmed stream. Lewton hands out the flat part of a long block
/// before a short one a packet early (1472 instead of 1024 frames, then 448 fewer), so the
/// streams are compared concatenated, over their common length (they differ by less than a
/// block at the end).
#[test]
fn matches_lewton() {
    for spec in corpus::standard().into_iter().filter(|s| s.encoder == Encoder::Oggenc) {
        let packets = split_ogg(&spec.bytes());
        let ours = decode(&packets);
        let ident = lewton::header::read_header_ident(&packets[0].data).unwrap();
        let setup = lewton::header::read_header_setup(
            &packets[2].data,
            ident.audio_channels,
            (ident.blocksize_0, ident.blocksize_1),
        )
        .unwrap();
        let mut pwr = lewton::audio::PreviousWindowRight::new();
        let mut theirs: Vec<i16> = Vec::new();
        for p in &packets[3..] {
            let d: lewton::samples::InterleavedSamples<i16> =
                lewton::audio::read_audio_packet_generic(&ident, &setup, &p.data, &mut pwr)
                    .unwrap();
            theirs.extend_from_slice(&d.samples);
        }
        let ch = usize::from(ident.audio_channels);
        let block = usize::from(ident.blocksize_1) * ch;
        assert!(theirs.len().abs_diff(ours.i16.len()) < block, "{}: lengths", spec.name());
        for (i, (&a, &b)) in ours.i16.iter().zip(&theirs).enumerate() {
            let d = (i32::from(a) - i32::from(b)).abs();
            assert!(d <= 2, "{} sample {i}: {a} vs lewton {b}", spec.name());
        }
    }
}
