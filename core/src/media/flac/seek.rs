//! Sample-accurate seeking.
//!
//! FLAC frames are independent and each header carries its first sample, so a seek only has
//! to find the frame holding the target. Byte offsets are probed: from a probe offset the
//! source yields the first good frame after it (native: sync code, CRC-8, a full decode and
//! CRC-16; Ogg: the first packet completed after it), and frame positions grow with offsets.
//! The bounds start as the SEEKTABLE points around the target (native streams with a table)
//! or the whole stream, and are narrowed until they are [`WINDOW`] bytes apart, or a probe
//! lands on the target's frame, or the lower bound is within two blocks of the target; then
//! frames are decoded forward from the lower bound, and those ending before the target are
//! dropped by [`FlacFile::prepare`].
//!
//! Probes interpolate: the bounds' first samples are known, so the probe goes where the
//! target (less one block, so the frame found is the target's or the one before it) would be
//! at the bytes per sample between them. FLAC's bitrate varies little, so a probe or two
//! usually land on the target's frame (an hour without a seek table: about three probes, not
//! the fourteen of bisection). A probe that does not halve the bounds is followed by one at
//! the midpoint, so at worst it takes twice the probes of bisection.

use embedded_io::{Read, Seek};

use super::Error;
use super::FlacFile;
use crate::util::wide::mul_div;

/// Bisection stops when the bounds are this close; the rest is decoded forward.
const WINDOW: u64 = 16 * 1024;

impl<R: Read + Seek> FlacFile<R> {
    /// Positions the reader so the next frame read is frame `frame` (the end of the stream if
    /// `frame` is past it).
    pub fn seek(&mut self, frame: u64) -> Result<(), Error> {
        self.avail = 0..0;
        self.pcm.clear();
        self.next = frame.min(self.total);
        self.done = frame >= self.total;
        if self.done {
            return Ok(());
        }
        let (mut lo, mut hi) = (self.first_frame, self.len);
        // First samples at `lo` and `hi` (estimates: those of the first frames after them).
        let (mut lo_sample, mut hi_sample) = (0, self.total);
        let below = self.seek_table.partition_point(|p| p.sample <= frame);
        if let Some(p) = below.checked_sub(1).and_then(|i| self.seek_table.get(i)) {
            (lo, lo_sample) = (p.offset, p.sample);
        }
        if let Some(p) = self.seek_table.get(below) {
            (hi, hi_sample) = (p.offset, p.sample);
        }
        let mut bisect = false;
        // Within two blocks of the target, decoding forward is cheaper than another probe.
        let near = 2 * u64::from(self.info.max_block);
        // A midpoint probe halves `hi - lo`, and at least every other probe is one, so the
        // loop ends.
        while hi.saturating_sub(lo) > WINDOW && frame.saturating_sub(lo_sample) >= near {
            let span = hi - lo;
            let samples = hi_sample.saturating_sub(lo_sample);
            let probe = if bisect || samples == 0 {
                lo + span / 2
            } else {
                let aim = frame.saturating_sub(u64::from(self.info.max_block)).max(lo_sample);
                let at = mul_div(aim - lo_sample, span, samples).unwrap_or(span);
                lo + at.min(span - 1)
            };
            self.src.seek_bytes(probe)?;
            match self.src.next_frame(&self.info, &mut self.pcm)? {
                Some((h, _)) if h.first_sample(&self.info) <= frame => {
                    let first = h.first_sample(&self.info);
                    if frame < first.saturating_add(self.pcm.len() as u64) {
                        self.expose(&h);
                        return Ok(());
                    }
                    (lo, lo_sample) = (probe, first);
                }
                Some((h, _)) => (hi, hi_sample) = (probe, h.first_sample(&self.info)),
                None => hi = probe,
            }
            bisect = !bisect && hi - lo > span / 2;
        }
        self.pcm.clear();
        self.src.seek_bytes(lo)
    }
}
