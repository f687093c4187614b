//! Which Opus decoder Rill uses, decided by measurement (issue 13): every candidate decodes the
//! generated corpus (`rill_tests::opus_corpus::standard`) packet by packet, in this process,
//! and is compared with libopusfile's float output (`opusdec --float --rate 48000`) by
//! `opus_compare`'s quality and by length, and timed against libopus itself (Debian's
//! libopus-dev through `audiopus_sys`). It prints a table (the figures in the README and
//! BENCHMARKS.md) and fails unless libopus, the chosen decoder, passes on every file (which also
//! checks this harness); `tests/opus_compare.rs` checks that the `opus_compare`
//! re-implementation tells a faithful decode from a damaged one. Figures: `cargo bench -p
//! rill-tests --bench opus_decoders`.

mod opus_packets;

use std::time::Duration;

use opus_packets::{decode, links, Candidate, Libopus, Link, MAX_FRAME};
use rill_tests::opus_corpus::{quality, standard};

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

fn main() {
    let mut candidates: Vec<Box<dyn Candidate>> = vec![
        Box::new(Libopus::new()),
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
