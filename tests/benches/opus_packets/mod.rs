//! The Opus benches' packet-level harness: a (possibly chained) Ogg Opus file split into
//! links and their packets, the [`Candidate`] decoder interface, libopus itself as one
//! ([`Libopus`], Debian's libopus-dev through `audiopus_sys`), and [`decode`], which runs a
//! candidate over every link with pre-skip and end trim applied as libopusfile does.

#![allow(dead_code)] // Each bench uses a part of this module.

use std::time::{Duration, Instant};

use rill_tests::corpus::split_ogg;

/// One logical stream of a (possibly chained) Ogg Opus file, as the test harness reads it.
pub struct Link {
    /// Output channels.
    pub channels: usize,
    /// Samples dropped at the start (`OpusHead` pre-skip).
    pub pre_skip: usize,
    /// Channel mapping family (0 or 1).
    pub family: u8,
    /// Opus streams in each packet.
    pub streams: usize,
    /// How many of them are coupled (stereo).
    pub coupled: usize,
    /// Output channel to decoded channel.
    pub mapping: Vec<u8>,
    /// Samples per channel the link plays: last granule minus pre-skip (it starts at 0).
    pub length: usize,
    /// The audio packets, in order.
    pub packets: Vec<Vec<u8>>,
}

/// Splits a file made by `opusenc` (links one after another, granules from 0) into links.
pub fn links(bytes: &[u8]) -> Vec<Link> {
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
pub trait Candidate {
    fn name(&self) -> &'static str;
    fn open(&mut self, link: &Link);
    fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>);
}

/// Largest packet duration (120 ms) in 48 kHz samples.
pub const MAX_FRAME: usize = 5760;

pub struct Libopus(*mut audiopus_sys::OpusMSDecoder, usize);
impl Libopus {
    /// A decoder opened for each link by [`Candidate::open`].
    pub fn new() -> Libopus {
        Libopus(std::ptr::null_mut(), 0)
    }
}
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

/// Decodes every link with `dec`, drops pre-skip and trims to the last granule, and returns the
/// PCM and the time spent in the decoder.
pub fn decode(dec: &mut dyn Candidate, links: &[Link]) -> (Vec<f32>, Duration) {
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
