//! Sample-accurate seeking.
//!
//! FLAC frames are independent and each header carries its first sample, so a seek only has
//! to find the frame holding the target. Byte offsets are probed: from a probe offset the
//! source yields the first good frame after it (native: sync code, CRC-8, a full decode and
//! CRC-16; Ogg: the first packet completed after it), and frame positions grow with offsets.
//! The bounds start as the SEEKTABLE points around the target (native streams with a table)
//! or the whole stream, and are halved until they are [`WINDOW`] bytes apart, or a probe
//! lands on the target's frame; then frames are decoded forward from the lower bound, and
//! those ending before the target are dropped by [`FlacFile::prepare`].

use embedded_io::{Read, Seek};

use super::Error;
use super::FlacFile;

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
        let below = self.seek_table.partition_point(|p| p.sample <= frame);
        if let Some(p) = below.checked_sub(1).and_then(|i| self.seek_table.get(i)) {
            lo = p.offset;
        }
        if let Some(p) = self.seek_table.get(below) {
            hi = p.offset;
        }
        // Each round halves `hi - lo`, so the loop ends.
        while hi.saturating_sub(lo) > WINDOW {
            let mid = lo + (hi - lo) / 2;
            self.src.seek_bytes(mid)?;
            match self.src.next_frame(&self.info, &mut self.pcm)? {
                Some((h, _)) if h.first_sample(&self.info) <= frame => {
                    let first = h.first_sample(&self.info);
                    if frame < first.saturating_add(self.pcm.len() as u64) {
                        self.expose(&h);
                        return Ok(());
                    }
                    lo = mid;
                }
                _ => hi = mid,
            }
        }
        self.pcm.clear();
        self.src.seek_bytes(lo)
    }
}
