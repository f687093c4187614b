//! The Vorbis decoder against libvorbis (through `vorbis_rs`) on real encoded files, plus
//! robustness against damaged input.

use rill_core::media::vorbis::{packet_kind, Decoder, Error, Ident, PacketKind, Setup};
use rill_tests::corpus::{self, split_ogg, Packet, Rng, Spec};

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

/// libvorbis' 16-bit conversion of a float sample.
fn ref_i16(x: f32) -> i16 {
    (x * 32768.0).round_ties_even().clamp(-32768.0, 32767.0) as i16
}

fn compare(spec: &Spec) {
    let bytes = spec.bytes();
    let packets = split_ogg(&bytes);
    let ours = decode(&packets);
    let want = reference(&bytes);
    let name = spec.name();
    assert_eq!(ours.channels.len(), want.len(), "{name}: channels");
    let s = start_trim(&packets, &ours.frames);
    let ch = want.len();
    let (mut same, mut total, mut max_diff) = (0usize, 0usize, 0f32);
    for (c, (o, w)) in ours.channels.iter().zip(&want).enumerate() {
        assert!(
            s + w.len() <= o.len(),
            "{name}: reference has {} frames, we {} - {s}",
            w.len(),
            o.len()
        );
        for (i, (&a, &b)) in o[s..].iter().zip(w).enumerate() {
            let d = (a - b).abs();
            max_diff = max_diff.max(d);
            assert!(d <= 1e-5, "{name}: channel {c} frame {i}: {a} vs libvorbis {b}");
            let ours16 = ours.i16[(s + i) * ch + c];
            let ref16 = ref_i16(b);
            assert!(
                (i32::from(ours16) - i32::from(ref16)).abs() <= 1,
                "{name}: i16 {ours16} vs {ref16}"
            );
            same += usize::from(ours16 == ref16);
            total += 1;
        }
    }
    eprintln!("{name}: max diff {max_diff:e}, i16 same {same}/{total}");
    assert!(
        total == 0 || same as f64 >= 0.999 * total as f64,
        "{name}: only {same}/{total} i16 equal"
    );
    assert!(
        want[0].len() + s + 8192 >= ours.channels[0].len() || spec.frames > 100_000,
        "{name}: lengths"
    );
}

#[test]
fn matches_libvorbis_across_qualities() {
    for q in -1..=10 {
        compare(&Spec::stereo(q));
    }
}

#[test]
fn matches_libvorbis_across_channel_counts() {
    for spec in corpus::channel_sweep() {
        compare(&spec);
    }
}

#[test]
fn matches_libvorbis_across_rates() {
    for spec in corpus::rate_sweep() {
        compare(&spec);
    }
}

#[test]
fn matches_libvorbis_on_one_page_files() {
    for spec in corpus::short_files() {
        compare(&spec);
    }
}

#[test]
fn matches_libvorbis_on_ffmpeg_files() {
    for spec in corpus::ffmpeg() {
        compare(&spec);
    }
}
