//! A whole frame (RFC 9639 §9): header, one subframe per channel, inter-channel
//! decorrelation (§4.2) and the CRC-16 footer, decoded into planar [`Pcm`].

use alloc::vec::Vec;

use super::bits::Bits;
use super::crc::crc16;
use super::header::{Assignment, FrameHeader};
use super::metadata::StreamInfo;
use super::subframe;
use super::Error;

/// The samples of the last decoded frame, one plane per channel.
///
/// Memory: `max_block × channels × 4` bytes, plus `max_block × 8` for 32-bit stereo streams
/// (their side channel is 33 bits wide), all allocated once from STREAMINFO.
pub(super) struct Pcm {
    samples: Vec<i32>,
    /// 33-bit side channel of a 32-bit stereo frame; empty for other streams.
    wide: Vec<i64>,
    /// Samples per plane (STREAMINFO's largest block size).
    stride: usize,
    channels: usize,
    /// Samples per channel of the last frame.
    len: usize,
}

impl Pcm {
    /// Heap a stream with `info` needs for its samples.
    pub(super) fn heap_bytes(info: &StreamInfo) -> usize {
        let stride = usize::from(info.max_block);
        let wide = if info.bits == 32 && info.channels == 2 { stride * 8 } else { 0 };
        stride * usize::from(info.channels) * 4 + wide
    }

    /// Buffers for the frames of a stream with `info`, allocated fallibly.
    pub(super) fn new(info: &StreamInfo) -> Result<Self, Error> {
        let stride = usize::from(info.max_block);
        let channels = usize::from(info.channels);
        let mut samples = Vec::new();
        samples.try_reserve_exact(stride * channels).map_err(|_| Error::OutOfMemory)?;
        samples.resize(stride * channels, 0);
        let mut wide = Vec::new();
        if info.bits == 32 && channels == 2 {
            wide.try_reserve_exact(stride).map_err(|_| Error::OutOfMemory)?;
            wide.resize(stride, 0);
        }
        Ok(Pcm { samples, wide, stride, channels, len: 0 })
    }

    /// Samples per channel of the last frame.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Forgets the last frame.
    pub(super) fn clear(&mut self) {
        self.len = 0;
    }

    /// Samples `range` of channel `ch` of the last frame (empty outside it).
    #[inline]
    pub(super) fn samples(&self, ch: usize, range: core::ops::Range<usize>) -> &[i32] {
        let at = ch * self.stride;
        let range = range.start.min(self.len)..range.end.min(self.len);
        self.samples.get(at + range.start..at + range.end).unwrap_or_default()
    }

    /// Planes 0 and 1, the first `n` samples of each.
    #[cfg(target_pointer_width = "64")]
    fn pair(&mut self, n: usize) -> Result<(&mut [i32], &mut [i32]), Error> {
        let at = self.stride.min(self.samples.len());
        let (a, b) = self.samples.split_at_mut(at);
        Ok((a.get_mut(..n).ok_or(Error::Mismatch)?, b.get_mut(..n).ok_or(Error::Mismatch)?))
    }

    /// Plane `ch`, the first `n` samples.
    fn plane(&mut self, ch: usize, n: usize) -> Result<&mut [i32], Error> {
        let at = ch * self.stride;
        self.samples.get_mut(at..at + n).ok_or(Error::Mismatch)
    }
}

/// Decodes the frame at the start of `data` into `pcm`; returns its header and length in
/// bytes. [`Error::Truncated`] when `data` ends inside the frame.
pub(super) fn decode(
    data: &[u8],
    info: &StreamInfo,
    pcm: &mut Pcm,
) -> Result<(FrameHeader, usize), Error> {
    pcm.len = 0;
    let h = FrameHeader::parse(data, info)?;
    let n = h.block_size as usize;
    if usize::from(h.channels) != pcm.channels || n > pcm.stride {
        return Err(Error::Mismatch);
    }
    let mut bits = Bits::new(data.get(h.len..).unwrap_or_default());
    #[cfg(target_pointer_width = "64")]
    if pcm.channels == 2 && h.bits <= 16 {
        // When the first channel's predictor can be left to `subframe::restore_pair`, it is
        // run with the second's; otherwise each channel is decoded whole.
        let side = |ch| u32::from(side_channel(h.assignment) == Some(ch));
        let (p0, p1) = pcm.pair(n)?;
        match subframe::decode_deferred(&mut bits, h.bits + side(0), &mut *p0)? {
            Some(a) => {
                let b = subframe::decode_deferred(&mut bits, h.bits + side(1), &mut *p1)?;
                subframe::restore_pair(&a, p0, b.as_ref(), p1);
            }
            None => subframe::decode(&mut bits, h.bits + side(1), p1)?,
        }
        return finish(data, h, bits, pcm);
    }
    for ch in 0..pcm.channels {
        let bps = h.bits + u32::from(side_channel(h.assignment) == Some(ch));
        if bps > 32 {
            let wide = pcm.wide.get_mut(..n).ok_or(Error::Mismatch)?;
            subframe::decode(&mut bits, bps, wide)?;
        } else {
            subframe::decode(&mut bits, bps, pcm.plane(ch, n)?)?;
        }
    }
    finish(data, h, bits, pcm)
}

/// Checks the CRC-16 of the frame at the start of `data` whose subframes `bits` has read into
/// `pcm`, and undoes stereo decorrelation.
fn finish(
    data: &[u8],
    h: FrameHeader,
    mut bits: Bits<'_>,
    pcm: &mut Pcm,
) -> Result<(FrameHeader, usize), Error> {
    let n = h.block_size as usize;
    bits.align();
    let end = h.len + bits.byte_pos();
    let footer = data.get(end..).and_then(|d| d.first_chunk()).ok_or(Error::Truncated)?;
    let crc = u16::from_be_bytes(*footer);
    if crc16(data.get(..end).unwrap_or_default()) != crc {
        return Err(Error::FrameCrc);
    }
    if h.assignment != Assignment::Independent {
        decorrelate(pcm, h.assignment, n, h.bits)?;
    }
    pcm.len = n;
    Ok((h, end + 2))
}

/// The channel that codes the side (one bit wider than the stream), if any.
fn side_channel(a: Assignment) -> Option<usize> {
    match a {
        Assignment::Independent => None,
        Assignment::SideRight => Some(0),
        Assignment::LeftSide | Assignment::MidSide => Some(1),
    }
}

/// Undoes stereo decorrelation (§4.2) on planes 0 and 1; with `wide`, the side channel is in
/// the 33-bit plane.
fn decorrelate(pcm: &mut Pcm, a: Assignment, n: usize, pcm_bits: u32) -> Result<(), Error> {
    let wide = pcm_bits == 32;
    let side = if wide { Some(pcm.wide.get(..n).ok_or(Error::Mismatch)?) } else { None };
    let (c0, c1) = {
        let (a, b) = pcm.samples.split_at_mut(pcm.stride);
        (a.get_mut(..n).ok_or(Error::Mismatch)?, b.get_mut(..n).ok_or(Error::Mismatch)?)
    };
    match side {
        // Up to 30 bits, mid + side fits an `i32`.
        None if pcm_bits <= 30 => stereo_narrow(a, c0, c1),
        side => stereo_wide(a, c0, c1, side),
    }
    Ok(())
}

/// [`stereo`] in `i32` arithmetic, for samples of at most 30 bits (the side channel 31, and
/// `mid * 2 + side` 32).
fn stereo_narrow(a: Assignment, c0: &mut [i32], c1: &mut [i32]) {
    let pairs = c0.iter_mut().zip(c1.iter_mut());
    match a {
        Assignment::LeftSide => pairs.for_each(|(l, s)| *s = l.wrapping_sub(*s)),
        Assignment::SideRight => pairs.for_each(|(s, r)| *s = s.wrapping_add(*r)),
        _ => pairs.for_each(|(m, s)| {
            let mid = m.wrapping_shl(1) | (*s & 1);
            (*m, *s) = (mid.wrapping_add(*s) >> 1, mid.wrapping_sub(*s) >> 1);
        }),
    }
}

/// Rebuilds left and right in `c0`, `c1` from the coded pair in `i64` (31- and 32-bit streams,
/// rare: one loop for every case, flash before speed), the side sample from the 33-bit plane
/// `wide` when there is one, else from the pair itself.
fn stereo_wide(a: Assignment, c0: &mut [i32], c1: &mut [i32], wide: Option<&[i64]>) {
    for (i, (x0, x1)) in c0.iter_mut().zip(c1.iter_mut()).enumerate() {
        let pair = (i64::from(*x0), i64::from(*x1));
        let s = match wide {
            Some(w) => w.get(i).copied().unwrap_or(0),
            None if a == Assignment::SideRight => pair.0,
            None => pair.1,
        };
        let (l, r) = match a {
            Assignment::LeftSide => (pair.0, pair.0.wrapping_sub(s)),
            Assignment::SideRight => (s.wrapping_add(pair.1), pair.1),
            _ => {
                let mid = pair.0.wrapping_shl(1) | (s & 1);
                (mid.wrapping_add(s) >> 1, mid.wrapping_sub(s) >> 1)
            }
        };
        *x0 = l as i32;
        *x1 = r as i32;
    }
}
