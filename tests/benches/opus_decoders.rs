//! Which Opus decoder Rill uses, decided by measurement (issue 13): every candidate decodes the
//! generated corpus (`rill_tests::opus_corpus::standard`) packet by packet, in this process,
//! and is compared with libopusfile's float output (`opusdec --float --rate 48000`) by
//! `opus_compare`'s quality and by length, and timed against libopus itself (Debian's
//! libopus-dev through `audiopus_sys`). It prints a table (the figures in the README and
//! BENCHMARKS.md) and fails unless libopus, the chosen decoder, passes on every file (which also
//! checks this harness); `tests/opus_compare.rs` checks that the `opus_compare`
//! re-implementation tells a faithful decode from a damaged one. Figures: `cargo bench -p
//! rill-tests --bench opus_decoders`.

use std::time::{Duration, Instant};

use rill_tests::corpus::split_ogg;
use rill_tests::opus_corpus::{quality, standard};

/// One logical stream of a (possibly chained) Ogg Opus file, as the test harness reads it.
struct Link {
    channels: usize,
    pre_skip: usize,
    family: u8,
    streams: usize,
    coupled: usize,
    mapping: Vec<u8>,
    /// Samples per channel the link plays: last granule minus pre-skip (it starts at 0).
    length: usize,
    packets: Vec<Vec<u8>>,
}

/// Splits a file made by `opusenc` (links one after another, granules from 0) into links.
fn links(bytes: &[u8]) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    for p in split_ogg(bytes) {
        if p.data.starts_with(b"OpusHead") {
            let d = &p.data;
            let channels = usize::from(d[9]);
            let family = d[18];
            let (streams, coupled, mapping) = if family == 0 {
                (1, channels - 1, (0..channels as u8).collect())
            } else {
                (usize::from(d[19]), usize::from(d[20]), d[21..21 + channels].to_vec())
            };
            assert_eq!(i16::from_le_bytes([d[16], d[17]]), 0, "output gain");
            out.push(Link {
                channels,
                pre_skip: usize::from(u16::from_le_bytes([d[10], d[11]])),
                family,
                streams,
                coupled,
                mapping,
                length: 0,
                packets: Vec::new(),
            });
        } else if p.data.starts_with(b"OpusTags") {
        } else {
            let link = out.last_mut().expect("audio before OpusHead");
            link.length = usize::try_from(p.granule).expect("granule") - link.pre_skip;
            link.packets.push(p.data);
        }
    }
    out
}

/// A decoder under test: a fresh state per link, one Ogg packet at a time, interleaved f32.
trait Candidate {
    fn name(&self) -> &'static str;
    fn open(&mut self, link: &Link);
    fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>);
}

/// Largest packet duration (120 ms) in 48 kHz samples.
const MAX_FRAME: usize = 5760;

struct Libopus(*mut audiopus_sys::OpusMSDecoder, usize);
impl Candidate for Libopus {
    fn name(&self) -> &'static str {
        "libopus 1.3.1 (C)"
    }
    fn open(&mut self, l: &Link) {
        if !self.0.is_null() {
            unsafe { audiopus_sys::opus_multistream_decoder_destroy(self.0) };
        }
        let mut err = 0;
        self.0 = unsafe {
            audiopus_sys::opus_multistream_decoder_create(
                48_000,
                l.channels as i32,
                l.streams as i32,
                l.coupled as i32,
                l.mapping.as_ptr(),
                &mut err,
            )
        };
        assert_eq!(err, 0, "opus_multistream_decoder_create");
        self.1 = l.channels;
    }
    fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>) {
        let at = out.len();
        out.resize(at + MAX_FRAME * self.1, 0.0);
        let n = unsafe {
            audiopus_sys::opus_multistream_decode_float(
                self.0,
                packet.as_ptr(),
                packet.len() as i32,
                out[at..].as_mut_ptr(),
                MAX_FRAME as i32,
                0,
            )
        };
        assert!(n > 0, "libopus decode error {n}");
        out.truncate(at + n as usize * self.1);
    }
}

struct OpusDecoderCrate(Option<opus_decoder::OpusMultistreamDecoder>, usize);
impl Candidate for OpusDecoderCrate {
    fn name(&self) -> &'static str {
        "opus-decoder 0.1.1"
    }
    fn open(&mut self, l: &Link) {
        self.0 = Some(
            opus_decoder::OpusMultistreamDecoder::new(
                48_000, l.channels, l.streams, l.coupled, &l.mapping,
            )
            .expect("opus-decoder new"),
        );
        self.1 = l.channels;
    }
    fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>) {
        let at = out.len();
        out.resize(at + MAX_FRAME * self.1, 0.0);
        let d = self.0.as_mut().expect("opened");
        match d.decode_float(packet, &mut out[at..], false) {
            Ok(n) => out.truncate(at + n * self.1),
            // A refused packet decodes to nothing: the length check reports it.
            Err(_) => out.truncate(at),
        }
    }
}

struct Ruopus(Option<ruopus::MultistreamDecoder>);
impl Candidate for Ruopus {
    fn name(&self) -> &'static str {
        "ruopus 0.1.2"
    }
    fn open(&mut self, l: &Link) {
        self.0 =
            Some(ruopus::MultistreamDecoder::with_rate(48_000, l.streams, l.coupled, &l.mapping));
    }
    fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>) {
        // A refused packet decodes to nothing: the length check reports it.
        if let Ok(pcm) = self.0.as_mut().expect("opened").decode_packet(packet) {
            out.extend(pcm);
        }
    }
}

struct RustyOpus(Option<rusty_opus::multistream::OpusMSDecoder>, usize);
impl Candidate for RustyOpus {
    fn name(&self) -> &'static str {
        "rusty-opus 1.0.2"
    }
    fn open(&mut self, l: &Link) {
        self.0 = Some(
            rusty_opus::multistream::OpusMSDecoder::new(48_000, l.channels, i32::from(l.family))
                .expect("rusty-opus new"),
        );
        self.1 = l.channels;
    }
    fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>) {
        let at = out.len();
        out.resize(at + MAX_FRAME * self.1, 0.0);
        match self.0.as_mut().expect("opened").decode(packet, MAX_FRAME, &mut out[at..]) {
            Ok(n) => out.truncate(at + n * self.1),
            Err(_) => out.truncate(at),
        }
    }
}

/// Decodes every link with `dec`, drops pre-skip and trims to the last granule, and returns the
/// PCM and the time spent in the decoder.
fn decode(dec: &mut dyn Candidate, links: &[Link]) -> (Vec<f32>, Duration) {
    let mut pcm = Vec::new();
    let mut time = Duration::ZERO;
    for l in links {
        let start = Instant::now();
        dec.open(l);
        let mut raw = Vec::new();
        for p in &l.packets {
            dec.decode(p, &mut raw);
        }
        time += start.elapsed();
        let from = (l.pre_skip * l.channels).min(raw.len());
        let to = ((l.pre_skip + l.length) * l.channels).min(raw.len());
        pcm.extend_from_slice(&raw[from..to]);
    }
    (pcm, time)
}

fn main() {
    let mut candidates: Vec<Box<dyn Candidate>> = vec![
        Box::new(Libopus(std::ptr::null_mut(), 0)),
        Box::new(OpusDecoderCrate(None, 0)),
        Box::new(Ruopus(None)),
        Box::new(RustyOpus(None, 0)),
    ];
    let mut total = vec![Duration::ZERO; candidates.len()];
    let mut passed = vec![true; candidates.len()];
    println!("{:<44} {:<20} {:>8} {:>8} {:>9}", "file", "decoder", "Q", "length", "time ms");
    for spec in standard() {
        let reference = spec.reference();
        let links = links(&spec.bytes());
        let channels = links[0].channels;
        for (i, c) in candidates.iter_mut().enumerate() {
            // Warm up once, then take the best of three (one run is enough for a slow one).
            // A panic (found in one candidate on valid streams) fails that file.
            let run = |c: &mut Box<dyn Candidate>| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    decode(c.as_mut(), &links)
                }))
            };
            let Ok((pcm, first)) = run(c) else {
                passed[i] = false;
                println!("{:<44} {:<20} {:>8} {:>8}", spec.name(), c.name(), "PANIC", "-");
                continue;
            };
            let time = if first > Duration::from_millis(500) {
                first
            } else {
                (0..3).filter_map(|_| run(c).ok().map(|r| r.1)).min().unwrap_or(first)
            };
            total[i] += time;
            let len_ok = pcm.len() == reference.len();
            let q = if len_ok { quality(&reference, &pcm, channels) } else { f64::NAN };
            passed[i] &= len_ok && q >= 0.0;
            println!(
                "{:<44} {:<20} {:>8.1} {:>8} {:>9.2}",
                spec.name(),
                c.name(),
                q,
                if len_ok { "exact" } else { "WRONG" },
                time.as_secs_f64() * 1e3
            );
        }
    }
    println!("\nsummary (speed: libopus time / decoder time, 1.0 = as fast as libopus)");
    for (i, c) in candidates.iter().enumerate() {
        println!(
            "{:<20} all pass: {:<5} total {:>8.1} ms  speed {:.2}x",
            c.name(),
            passed[i],
            total[i].as_secs_f64() * 1e3,
            total[0].as_secs_f64() / total[i].as_secs_f64()
        );
    }
    assert!(passed[0], "libopus itself must pass against libopusfile");
}
