//! The Vorbis decoder against libvorbis (through `vorbis_rs`) on real encoded files, plus
//! robustness against damaged input.

use rill_core::media::vorbis::{packet_kind, Decoder, Error, Ident, PacketKind, Setup};
use rill_tests::corpus::{self, split_ogg, Encoder, Packet, Rng, Spec};

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

/// The budget figures a caller can check before building a decoder are the real ones.
#[test]
fn reports_heap_use() {
    let packets = split_ogg(&Spec::stereo(5).bytes());
    let (ident, setup) = headers(&packets);
    assert_eq!(ident.blocksize, [256, 2048]);
    let setup_bytes = setup.heap_bytes();
    let buffers = Decoder::buffer_bytes(&ident);
    // 2 channels x (spectrum + overlap + output) x 1024 floats dominate the buffers.
    assert!(buffers >= 2 * 3 * 1024 * 4, "{buffers}");
    assert!(setup_bytes > 0 && setup_bytes + buffers < 128 * 1024, "{setup_bytes} + {buffers}");
}
