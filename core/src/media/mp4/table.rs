//! Sample tables (ISO/IEC 14496-12 §8.6-8.7): time to sample (`stts`), sample to chunk
//! (`stsc`), sample sizes (`stsz` or the compact `stz2`) and chunk offsets (`stco`/`co64`),
//! as zero-copy views over the bodies in the movie box.
//!
//! Entry counts are checked against the bodies when the table is built, so every entry read
//! later is in bounds. Looking a sample up costs a pass over the `stsc` runs and the sizes of
//! the samples before it in its chunk; [`Cursor`] then walks on sample by sample in constant
//! time, so reading a whole track is linear in its size whatever the tables hold.

use super::boxes::{full, Bytes};
use super::Error;

/// Where one sample lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Byte offset of the sample.
    pub offset: u64,
    /// Its size in bytes.
    pub size: u32,
}

/// How sample sizes are stored.
#[derive(Debug, Clone, Copy)]
enum Sizes<'a> {
    /// Every sample has this size.
    Constant(u32),
    /// One entry per sample of `bits` (4, 8, 16 or 32) bits.
    Table { data: &'a [u8], bits: u8 },
}

/// The sample tables of one track.
#[derive(Debug, Clone, Copy)]
pub struct SampleTable<'a> {
    /// `stts` entries: (count u32, delta u32).
    stts: &'a [u8],
    /// `stsc` entries: (first_chunk u32, samples_per_chunk u32, description u32).
    stsc: &'a [u8],
    sizes: Sizes<'a>,
    /// Number of samples.
    samples: u32,
    /// `stco` (4-byte) or `co64` (8-byte) offsets.
    offsets: &'a [u8],
    offset_len: usize,
}

/// The entries of a table body after its version, flags and a u32 count, checked to hold
/// `count` entries of `len` bytes.
fn entries(body: &[u8], len: usize) -> Result<(&[u8], u32), Error> {
    let (_, _, rest) = full(body)?;
    let mut r = Bytes::new(rest);
    let count = r.u32()?;
    let bytes = (count as usize).checked_mul(len).ok_or(Error::BadTable)?;
    Ok((r.take(bytes).map_err(|_| Error::BadTable)?, count))
}

/// The big-endian u32 at `at` (0 outside `data`).
fn be32(data: &[u8], at: usize) -> u32 {
    data.get(at..at.saturating_add(4)).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

impl<'a> SampleTable<'a> {
    /// Builds the tables from the box bodies of an `stbl`: `stsz` or `stz2` (`compact`),
    /// `stco` or `co64` (`wide`).
    pub fn new(
        stts: &'a [u8],
        stsc: &'a [u8],
        (sizes, compact): (&'a [u8], bool),
        (offsets, wide): (&'a [u8], bool),
    ) -> Result<Self, Error> {
        let (stts, _) = entries(stts, 8)?;
        let (stsc, _) = entries(stsc, 12)?;
        let offset_len = if wide { 8 } else { 4 };
        let (offsets, _) = entries(offsets, offset_len)?;
        let (_, _, rest) = full(sizes)?;
        let mut r = Bytes::new(rest);
        let (sizes, samples) = if compact {
            r.skip(3)?;
            let bits = r.u8()?;
            let samples = r.u32()?;
            if !matches!(bits, 4 | 8 | 16 | 32) {
                return Err(Error::BadTable);
            }
            let bytes = (samples as usize).checked_mul(usize::from(bits)).ok_or(Error::BadTable)?;
            let data = r.take(bytes.div_ceil(8)).map_err(|_| Error::BadTable)?;
            (Sizes::Table { data, bits }, samples)
        } else {
            let constant = r.u32()?;
            let samples = r.u32()?;
            if constant != 0 {
                (Sizes::Constant(constant), samples)
            } else {
                let bytes = (samples as usize).checked_mul(4).ok_or(Error::BadTable)?;
                (
                    Sizes::Table { data: r.take(bytes).map_err(|_| Error::BadTable)?, bits: 32 },
                    samples,
                )
            }
        };
        Ok(SampleTable { stts, stsc, sizes, samples, offsets, offset_len })
    }

    /// Number of samples.
    pub fn len(&self) -> u32 {
        self.samples
    }

    /// Whether the track has no samples.
    pub fn is_empty(&self) -> bool {
        self.samples == 0
    }

    /// Size of sample `i` (0 past the end).
    pub fn size(&self, i: u32) -> u32 {
        if i >= self.samples {
            return 0;
        }
        // `i < samples` and the table holds `samples` entries: the products fit in usize.
        let i = i as usize;
        match self.sizes {
            Sizes::Constant(n) => n,
            Sizes::Table { data, bits: 32 } => be32(data, i * 4),
            Sizes::Table { data, bits: 16 } => data
                .get(i * 2..i * 2 + 2)
                .map_or(0, |b| u32::from(u16::from_be_bytes([b[0], b[1]]))),
            Sizes::Table { data, bits: 8 } => data.get(i).map_or(0, |&b| u32::from(b)),
            Sizes::Table { data, .. } => {
                data.get(i / 2).map_or(0, |&b| u32::from(if i % 2 == 0 { b >> 4 } else { b & 15 }))
            }
        }
    }

    /// Sum of all sample sizes.
    pub fn total_size(&self) -> u64 {
        match self.sizes {
            Sizes::Constant(n) => u64::from(n) * u64::from(self.samples),
            Sizes::Table { .. } => (0..self.samples).map(|i| u64::from(self.size(i))).sum(),
        }
    }

    fn chunk_offset(&self, chunk: u32) -> Option<u64> {
        let at = (chunk as usize).checked_mul(self.offset_len)?;
        let b = self.offsets.get(at..at.checked_add(self.offset_len)?)?;
        Some(if self.offset_len == 8 {
            u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        } else {
            u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        })
    }

    fn chunks(&self) -> u32 {
        (self.offsets.len() / self.offset_len) as u32
    }

    /// Total duration in the media timescale (the sum of the `stts` runs).
    pub fn duration(&self) -> u64 {
        self.stts
            .chunks_exact(8)
            .map(|e| u64::from(be32(e, 0)) * u64::from(be32(e, 4)))
            .fold(0, u64::saturating_add)
    }

    /// The sample playing at time `t` (media timescale) and that sample's start time; `None`
    /// at or past the end.
    pub fn sample_at(&self, t: u64) -> Option<(u32, u64)> {
        let (mut sample, mut start) = (0u64, 0u64);
        for e in self.stts.chunks_exact(8) {
            let (count, delta) = (u64::from(be32(e, 0)), u64::from(be32(e, 4)));
            let span = count * delta;
            if t < start.saturating_add(span) {
                // delta > 0 here: span > 0.
                let k = (t - start) / delta;
                return u32::try_from(sample + k).ok().map(|s| (s, start + k * delta));
            }
            sample = sample.saturating_add(count);
            start = start.saturating_add(span);
        }
        None
    }

    /// Where the table's parts lie in `base`, the buffer it was parsed from.
    pub fn spans(&self, base: &[u8]) -> Spans {
        let at = |part: &[u8]| {
            ((part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize), part.len())
        };
        let (sizes, constant, bits) = match self.sizes {
            Sizes::Constant(n) => ((0, 0), Some(n), 32),
            Sizes::Table { data, bits } => (at(data), None, bits),
        };
        Spans {
            stts: at(self.stts),
            stsc: at(self.stsc),
            sizes,
            constant,
            bits,
            samples: self.samples,
            offsets: at(self.offsets),
            offset_len: self.offset_len,
        }
    }

    /// A cursor at sample `i`, one of the samples `stsz` sizes. Its cost is bounded by the
    /// tables' sizes, never by `i`: a hostile `stts` may name far more samples than `stsz`
    /// holds, and those are refused at once.
    pub fn cursor(&self, i: u32) -> Result<Cursor, Error> {
        if i >= self.samples {
            return Err(Error::BadTable);
        }
        let mut first_sample: u64 = 0;
        let runs = self.stsc.len() / 12;
        for run in 0..runs {
            let first = be32(self.stsc, run * 12);
            let per = be32(self.stsc, run * 12 + 4);
            let next =
                if run + 1 < runs { be32(self.stsc, run * 12 + 12) } else { self.chunks() + 1 };
            if first == 0 || next <= first {
                return Err(Error::BadTable);
            }
            let span = u64::from(next - first) * u64::from(per);
            if u64::from(i) < first_sample + span {
                // per > 0, since span > 0.
                let k = (u64::from(i) - first_sample) / u64::from(per);
                let within = ((u64::from(i) - first_sample) % u64::from(per)) as u32;
                let chunk = first - 1 + k as u32;
                let mut offset = self.chunk_offset(chunk).ok_or(Error::BadTable)?;
                match self.sizes {
                    Sizes::Constant(n) => {
                        offset = offset
                            .checked_add(u64::from(within) * u64::from(n))
                            .ok_or(Error::BadTable)?;
                    }
                    Sizes::Table { .. } => {
                        // At most the table's entries, as `i < samples`.
                        for s in i - within..i {
                            offset = offset
                                .checked_add(u64::from(self.size(s)))
                                .ok_or(Error::BadTable)?;
                        }
                    }
                }
                return Ok(Cursor { sample: i, run, chunk, left_in_chunk: per - within, offset });
            }
            first_sample += span;
        }
        Err(Error::BadTable)
    }
}

/// A position in a track's samples that walks forward one sample at a time. It holds no
/// borrow: each call takes the table it was made from. The default is at sample 0 of an
/// empty table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    sample: u32,
    run: usize,
    chunk: u32,
    /// Samples of the current chunk from `sample` on (at least 1).
    left_in_chunk: u32,
    offset: u64,
}

impl Cursor {
    /// Index of the sample the cursor is at.
    pub fn sample(&self) -> u32 {
        self.sample
    }

    /// Where the current sample of `t` lies; `None` past the last sample.
    pub fn location(&self, t: &SampleTable<'_>) -> Option<Location> {
        (self.sample < t.samples)
            .then(|| Location { offset: self.offset, size: t.size(self.sample) })
    }

    /// Moves to the next sample of `t`.
    pub fn advance(&mut self, t: &SampleTable<'_>) -> Result<(), Error> {
        if self.sample >= t.samples {
            return Ok(());
        }
        let size = u64::from(t.size(self.sample));
        self.sample += 1;
        self.left_in_chunk = self.left_in_chunk.saturating_sub(1);
        if self.left_in_chunk > 0 {
            self.offset = self.offset.checked_add(size).ok_or(Error::BadTable)?;
            return Ok(());
        }
        if self.sample >= t.samples {
            return Ok(());
        }
        self.chunk = self.chunk.checked_add(1).ok_or(Error::BadTable)?;
        let runs = t.stsc.len() / 12;
        if self.run + 1 < runs && self.chunk + 1 >= be32(t.stsc, self.run * 12 + 12) {
            self.run += 1;
        }
        self.left_in_chunk = be32(t.stsc, self.run * 12 + 4);
        self.offset = t.chunk_offset(self.chunk).ok_or(Error::BadTable)?;
        if self.left_in_chunk == 0 {
            // A run of empty chunks: find the sample's chunk the slow way.
            *self = t.cursor(self.sample)?;
        }
        Ok(())
    }
}

/// Where a [`SampleTable`]'s parts lie in the buffer it was parsed from, so that the owner
/// of that buffer can keep the table without a borrow and view it again in constant time.
#[derive(Debug, Clone, Copy)]
pub struct Spans {
    stts: (usize, usize),
    stsc: (usize, usize),
    sizes: (usize, usize),
    constant: Option<u32>,
    bits: u8,
    samples: u32,
    offsets: (usize, usize),
    offset_len: usize,
}

impl Spans {
    /// The table again, over the same `base` it was parsed from.
    pub fn table<'a>(&self, base: &'a [u8]) -> SampleTable<'a> {
        let part =
            |(at, len): (usize, usize)| base.get(at..at.saturating_add(len)).unwrap_or_default();
        let sizes = match self.constant {
            Some(n) => Sizes::Constant(n),
            None => Sizes::Table { data: part(self.sizes), bits: self.bits },
        };
        SampleTable {
            stts: part(self.stts),
            stsc: part(self.stsc),
            sizes,
            samples: self.samples,
            offsets: part(self.offsets),
            offset_len: self.offset_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full box body: version and flags, then big-endian u32s.
    fn body(words: &[u32]) -> Vec<u8> {
        let mut b = vec![0u8; 4];
        for w in words {
            b.extend_from_slice(&w.to_be_bytes());
        }
        b
    }

    #[test]
    fn cursor_in_constant_sized_chunks() {
        // Six samples of 10 bytes, three per chunk, chunks at 100 and 500.
        let (stts, stsc) = (body(&[1, 6, 1024]), body(&[1, 1, 3, 1]));
        let (stsz, stco) = (body(&[10, 6]), body(&[2, 100, 500]));
        let t = SampleTable::new(&stts, &stsc, (&stsz, false), (&stco, false)).unwrap();
        let at = |i| t.cursor(i).unwrap().location(&t).map(|l| l.offset);
        assert_eq!([at(0), at(2), at(3), at(5)], [Some(100), Some(120), Some(500), Some(520)]);
        assert_eq!(t.cursor(6), Err(Error::BadTable));
        let mut c = t.cursor(1).unwrap();
        c.advance(&t).unwrap();
        c.advance(&t).unwrap();
        assert_eq!(c, t.cursor(3).unwrap());
    }

    /// Found by the `alac` fuzz target: `stts` names about 10^9 samples, `stsz` one, in one
    /// chunk of 2^32 - 1; a seek past the first sample walked every sample before it (seconds
    /// of CPU per request). Samples past `stsz`'s count are refused at once.
    #[test]
    fn samples_past_the_size_table_are_refused() {
        let (stts, stsc) = (body(&[1, 0x3A00_0001, 1600]), body(&[1, 1, u32::MAX, 1]));
        let (stsz, stco) = (body(&[1, 1]), body(&[1, 0x200]));
        let t = SampleTable::new(&stts, &stsc, (&stsz, false), (&stco, false)).unwrap();
        let (sample, _) = t.sample_at(1_000_000 * 1600).unwrap();
        assert_eq!(t.cursor(sample), Err(Error::BadTable));
        assert_eq!(t.cursor(1), Err(Error::BadTable));
        assert_eq!(t.cursor(0).unwrap().location(&t), Some(Location { offset: 0x200, size: 1 }));
    }
}
