//! Decoding one ALAC packet (Apple's `ALACDecoder::Decode`; FFmpeg's `alac.c` where the two
//! differ on what an encoder can write, since FFmpeg is the reference the tests compare with).
//!
//! A packet is a list of elements, each 3 bits of tag: SCE (one channel), CPE (a channel
//! pair), LFE (one channel), DSE and FIL (skipped), END. Each audio element has a header
//! (partial-frame sample count, bytes shifted off, escape flag), then either raw samples or,
//! compressed: mixing parameters, per channel the predictor mode, shift, Rice factor and
//! coefficients, the shifted-off low bytes, and the Rice-coded residuals; a channel pair is
//! unmixed after prediction. Channels come out in element order (ALAC's own: for 5.1,
//! C L R Ls Rs LFE), as interleaved `i32` samples at the stream's bit depth.
//!
//! Every packet is independent: the decoder keeps no state between packets but its buffers.

use alloc::vec::Vec;

use super::bits::{sign_extend, Bits};
use super::predict;
use super::rice::{self, Params};
use super::{Config, Error};

const SCE: u32 = 0;
const CPE: u32 = 1;
const LFE: u32 = 3;
const DSE: u32 = 4;
const FIL: u32 = 6;
const END: u32 = 7;

/// Per-channel scratch of one element (at most two channels), `frame_length` long.
struct Lane {
    residual: Vec<i32>,
    samples: Vec<i32>,
    low: Vec<u16>,
}

/// An ALAC packet decoder for one stream configuration.
pub struct Decoder {
    config: Config,
    lanes: [Lane; 2],
}

/// What one channel's compressed header says.
struct Channel {
    mode: u32,
    quant: u32,
    factor: u32,
    order: usize,
    coefs: [i16; 32],
}

impl Decoder {
    /// A decoder for `config`; allocates two lanes of `frame_length` samples (at most
    /// [`Decoder::heap_bytes`]).
    pub fn new(config: Config) -> Result<Decoder, Error> {
        let n = config.frame_length as usize;
        let lane = || -> Result<Lane, Error> {
            let mut l = Lane { residual: Vec::new(), samples: Vec::new(), low: Vec::new() };
            l.residual.try_reserve_exact(n).map_err(|_| Error::OutOfMemory)?;
            l.samples.try_reserve_exact(n).map_err(|_| Error::OutOfMemory)?;
            l.low.try_reserve_exact(n).map_err(|_| Error::OutOfMemory)?;
            l.residual.resize(n, 0);
            l.samples.resize(n, 0);
            l.low.resize(n, 0);
            Ok(l)
        };
        Ok(Decoder { config, lanes: [lane()?, lane()?] })
    }

    /// Heap the decoder holds: 10 bytes per sample of a frame, twice.
    pub fn heap_bytes(&self) -> usize {
        2 * 10 * self.config.frame_length as usize
    }

    /// The stream configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Decodes `packet` into `out` (interleaved, `channels` samples per frame) and returns the
    /// number of frames. `out` must hold `frame_length * channels` samples.
    pub fn decode(&mut self, packet: &[u8], out: &mut [i32]) -> Result<usize, Error> {
        let channels = usize::from(self.config.channels);
        if out.len() < self.config.frame_length as usize * channels {
            return Err(Error::BufferTooSmall);
        }
        let mut b = Bits::new(packet);
        let mut ch = 0;
        let mut frames: Option<usize> = None;
        loop {
            let tag = b.read(3)?;
            match tag {
                SCE | LFE | CPE => {
                    let width = if tag == CPE { 2 } else { 1 };
                    if ch + width > channels {
                        return Err(Error::Corrupt);
                    }
                    let n = self.element(&mut b, width, frames)?;
                    frames = Some(n);
                    self.interleave(out, ch, width, n);
                    ch += width;
                }
                DSE => {
                    b.skip(4)?; // element instance tag
                    let aligned = b.read(1)? == 1;
                    let mut count = b.read(8)? as usize;
                    if count == 255 {
                        count += b.read(8)? as usize;
                    }
                    if aligned {
                        b.align();
                    }
                    b.skip(count * 8)?;
                }
                FIL => {
                    let mut count = b.read(4)? as usize;
                    if count == 15 {
                        count += b.read(8)? as usize;
                        count -= 1;
                    }
                    b.skip(count * 8)?;
                }
                END => break,
                _ => return Err(Error::Unsupported),
            }
            if ch == channels {
                break;
            }
        }
        match frames {
            Some(n) if ch == channels => Ok(n),
            _ => Err(Error::Corrupt),
        }
    }

    /// Decodes one SCE/LFE (`width` 1) or CPE (`width` 2) into the lanes; returns its frames,
    /// which must equal `frames` when an earlier element of the packet set them.
    fn element(
        &mut self,
        b: &mut Bits<'_>,
        width: usize,
        frames: Option<usize>,
    ) -> Result<usize, Error> {
        let c = self.config;
        b.skip(4)?; // element instance tag
        if b.read(12)? != 0 {
            return Err(Error::Corrupt);
        }
        let partial = b.read(1)? == 1;
        let shifted = b.read(2)?;
        let escape = b.read(1)? == 1;
        if shifted == 3 {
            return Err(Error::Corrupt);
        }
        let n = if partial { b.read(32)? as usize } else { c.frame_length as usize };
        if n == 0 || n > c.frame_length as usize || frames.is_some_and(|f| f != n) {
            return Err(Error::Corrupt);
        }
        let depth = u32::from(c.bit_depth);
        let [l0, l1] = &mut self.lanes;
        let mut lanes = [l0, l1];
        if escape {
            // Raw samples at the full depth, channels interleaved.
            for i in 0..n {
                for lane in lanes.iter_mut().take(width) {
                    lane.samples[i] = b.read_signed(depth)?;
                }
            }
            return Ok(n);
        }
        let extra = shifted * 8;
        let bits = (depth + width as u32 - 1).checked_sub(extra).ok_or(Error::Corrupt)?;
        if bits > 32 || bits == 0 {
            return Err(Error::Unsupported);
        }
        let mix_shift = b.read(8)?;
        let mix_weight = b.read(8)? as u8 as i8;
        if width == 2 && mix_weight != 0 && mix_shift > 31 {
            return Err(Error::Corrupt);
        }
        let mut heads = [Channel::EMPTY, Channel::EMPTY];
        for head in heads.iter_mut().take(width) {
            head.mode = b.read(4)?;
            head.quant = b.read(4)?;
            head.factor = b.read(3)?;
            head.order = b.read(5)? as usize;
            // Stored newest tap first; kept oldest first, as the predictor walks them.
            for k in (0..head.order).rev() {
                head.coefs[k] = b.read_signed(16)? as i16;
            }
            if head.order >= c.frame_length as usize || head.quant == 0 {
                return Err(Error::Corrupt);
            }
        }
        if extra > 0 {
            for i in 0..n {
                for lane in lanes.iter_mut().take(width) {
                    lane.low[i] = b.read(extra)? as u16;
                }
            }
        }
        for (lane, head) in lanes.iter_mut().zip(heads.iter_mut()).take(width) {
            let p = Params {
                pb: u32::from(c.pb) * head.factor / 4,
                mb: u32::from(c.mb),
                kb: u32::from(c.kb),
            };
            let residual = &mut lane.residual[..n];
            rice::decode(b, p, bits, residual)?;
            if head.mode != 0 {
                predict::first_order(residual, bits);
            }
            let coefs = &mut head.coefs[..head.order];
            predict::restore(residual, &mut lane.samples[..n], coefs, head.quant, bits);
        }
        let [l0, l1] = lanes;
        if width == 2 && mix_weight != 0 {
            let weight = i32::from(mix_weight);
            for (u, v) in l0.samples[..n].iter_mut().zip(&mut l1.samples[..n]) {
                let right = u.wrapping_sub(v.wrapping_mul(weight) >> mix_shift);
                *u = v.wrapping_add(right);
                *v = right;
            }
        }
        if extra > 0 {
            for lane in [l0, l1].into_iter().take(width) {
                for (s, &low) in lane.samples[..n].iter_mut().zip(&lane.low[..n]) {
                    *s = (*s << extra) | i32::from(low);
                }
            }
        }
        Ok(n)
    }

    /// Copies `n` samples of `width` lanes into channels `ch..` of the interleaved `out`,
    /// wrapped to the stream's bit depth as the reference decoders store them (only a damaged
    /// packet unmixes to a value outside it).
    fn interleave(&self, out: &mut [i32], ch: usize, width: usize, n: usize) {
        let channels = usize::from(self.config.channels);
        let depth = u32::from(self.config.bit_depth);
        for (k, lane) in self.lanes.iter().take(width).enumerate() {
            let frames = out.chunks_exact_mut(channels).take(n);
            for (frame, &s) in frames.zip(&lane.samples[..n]) {
                if let Some(o) = frame.get_mut(ch + k) {
                    *o = sign_extend(s as u32, depth);
                }
            }
        }
    }
}

impl Channel {
    const EMPTY: Channel = Channel { mode: 0, quant: 0, factor: 0, order: 0, coefs: [0; 32] };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An MSB-first bit writer for hand-made packets.
    #[derive(Default)]
    struct Writer {
        bytes: Vec<u8>,
        bits: usize,
    }

    impl Writer {
        fn put(&mut self, value: u64, n: usize) -> &mut Self {
            for i in (0..n).rev() {
                if self.bits % 8 == 0 {
                    self.bytes.push(0);
                }
                let bit = ((value >> i) & 1) as u8;
                let last = self.bytes.len() - 1;
                self.bytes[last] |= bit << (7 - self.bits % 8);
                self.bits += 1;
            }
            self
        }

        /// An escaped element header: `tag`, partial frame of `n` samples.
        fn escaped(&mut self, tag: u64, n: u32) -> &mut Self {
            self.put(tag, 3)
                .put(0, 4)
                .put(0, 12)
                .put(1, 1)
                .put(0, 2)
                .put(1, 1)
                .put(u64::from(n), 32)
        }
    }

    fn config(bits: u8, channels: u8) -> Config {
        let mut cookie = [0u8; 24];
        cookie[..4].copy_from_slice(&4096u32.to_be_bytes());
        cookie[5..10].copy_from_slice(&[bits, 40, 10, 14, channels]);
        cookie[20..].copy_from_slice(&44_100u32.to_be_bytes());
        Config::parse(&cookie).unwrap()
    }

    /// Escaped (uncompressed) elements at every depth, a DSE and a FIL skipped between
    /// them: the samples come back exactly, sign-extended, channels in element order.
    #[test]
    fn escaped_elements_at_every_depth() {
        for depth in [16u8, 20, 24, 32] {
            let d = u32::from(depth);
            let min = -(1i64 << (d - 1));
            let max = (1i64 << (d - 1)) - 1;
            let frames: [[i64; 3]; 4] = [[min, max, 0], [-1, 1, 12345], [max, min, -7], [3, -3, 1]];
            let mut w = Writer::default();
            w.escaped(u64::from(CPE), 4);
            for f in &frames {
                w.put(f[0] as u64 & ((1 << d) - 1), d as usize);
                w.put(f[1] as u64 & ((1 << d) - 1), d as usize);
            }
            // DSE: instance, byte-aligned, 2 bytes; FIL: 3 bytes.
            w.put(u64::from(DSE), 3).put(0, 4).put(1, 1).put(2, 8);
            while w.bits % 8 != 0 {
                w.put(0, 1);
            }
            w.put(0xabcd, 16);
            w.put(u64::from(FIL), 3).put(3, 4).put(0xffffff, 24);
            w.escaped(u64::from(LFE), 4);
            for f in &frames {
                w.put(f[2] as u64 & ((1 << d) - 1), d as usize);
            }
            w.put(u64::from(END), 3);
            let mut dec = Decoder::new(config(depth, 3)).unwrap();
            let mut out = vec![0i32; 4096 * 3];
            assert_eq!(dec.decode(&w.bytes, &mut out).unwrap(), 4, "{depth} bits");
            let want: Vec<i32> = frames.iter().flatten().map(|&s| s as i32).collect();
            assert_eq!(&out[..12], &want[..], "{depth} bits");
        }
    }

    /// A damaged channel pair whose residual (escaped, 17 bits) unmixes outside 16 bits:
    /// the sample is wrapped to the depth, as FFmpeg and Apple store it in an `int16`.
    #[test]
    fn unmixed_samples_wrap_to_the_depth() {
        let mut w = Writer::default();
        // CPE, partial frame of 1 sample, compressed; mix shift 0, weight 1.
        w.put(u64::from(CPE), 3).put(0, 4).put(0, 12).put(1, 1).put(0, 2).put(0, 1).put(1, 32);
        w.put(0, 8).put(1, 8);
        for _ in 0..2 {
            w.put(0, 4).put(1, 4).put(4, 3).put(0, 5); // mode 0, quant 1, factor 4, order 0
        }
        w.put(0x1ff, 9).put(80_000, 17); // escaped residual 80000: +40000
        w.put(0, 1); // residual 0
        w.put(u64::from(END), 3);
        let mut dec = Decoder::new(config(16, 2)).unwrap();
        let mut out = vec![0i32; 4096 * 2];
        assert_eq!(dec.decode(&w.bytes, &mut out).unwrap(), 1);
        assert_eq!(&out[..2], &[40_000 - 65_536, 40_000 - 65_536]);
    }

    #[test]
    fn bad_packets_are_errors() {
        let mut dec = Decoder::new(config(16, 2)).unwrap();
        let mut out = vec![0i32; 4096 * 2];
        let err =
            |bytes: &[u8], dec: &mut Decoder, out: &mut [i32]| dec.decode(bytes, out).unwrap_err();
        // Empty, truncated inside a header, unsupported element, too many channels.
        assert_eq!(err(&[], &mut dec, &mut out), Error::Truncated);
        assert_eq!(err(&[0x20, 0], &mut dec, &mut out), Error::Truncated);
        assert_eq!(err(&[0x40], &mut dec, &mut out), Error::Unsupported);
        let mut w = Writer::default();
        w.escaped(u64::from(SCE), 1).put(0, 16).escaped(u64::from(CPE), 1).put(0, 32);
        assert_eq!(err(&w.bytes, &mut dec, &mut out), Error::Corrupt);
        // A partial frame longer than the frame length, and of zero samples.
        let mut w = Writer::default();
        w.escaped(u64::from(CPE), 4097);
        assert_eq!(err(&w.bytes, &mut dec, &mut out), Error::Corrupt);
        let mut w = Writer::default();
        w.escaped(u64::from(CPE), 0);
        assert_eq!(err(&w.bytes, &mut dec, &mut out), Error::Corrupt);
        // END before every channel: an error, not silence.
        let mut w = Writer::default();
        w.put(u64::from(END), 3);
        assert_eq!(err(&w.bytes, &mut dec, &mut out), Error::Corrupt);
        // An output buffer smaller than a frame length of samples.
        assert_eq!(err(&w.bytes, &mut dec, &mut out[..100]), Error::BufferTooSmall);
    }
}
