//! Writes a FAT card image for the firmware benchmarks: `N`-second 44.1 kHz stereo Vorbis files
//! at q0, q5 and q10 (the test corpus's signal, encoded by oggenc) and a 16-bit 44.1 kHz stereo
//! FLAC file (the FLAC corpus's signal, `flac`'s default level 5) in the root folder.
//!
//! `cargo run -p rill-tests --example firmware_card -- <out.img> [seconds]` (see
//! `bench/firmware.sh`).

use rill_tests::corpus::{Encoder, Spec};
use rill_tests::flac_corpus::Spec as FlacSpec;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().expect("usage: firmware_card <out.img> [seconds]");
    let seconds: u32 = args.next().map_or(10, |s| s.parse().expect("seconds"));
    let mut files: Vec<(String, Vec<u8>)> = [0i8, 5, 10]
        .into_iter()
        .map(|quality| {
            let spec = Spec {
                quality,
                channels: 2,
                rate: 44_100,
                frames: seconds * 44_100,
                encoder: Encoder::Oggenc,
            };
            (format!("q{quality}.ogg"), spec.bytes())
        })
        .collect();
    let cd = FlacSpec { frames: seconds * 44_100, ..FlacSpec::cd(&[]) };
    files.push(("cd.flac".to_string(), cd.bytes()));
    let named: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    std::fs::write(&out, rill_tests::fat::image(0, &named)).expect("writing the image");
}
