//! Residues: the fine spectral detail, VQ coded in partitions (spec section 8).
//!
//! Types 0 and 1 code each channel's vector separately (0 interleaves a partition's elements
//! across its VQ vectors, 1 takes them in order); type 2 codes all channels of a submap as one
//! vector interleaved sample by sample, then decodes it as type 1. Each partition is classified
//! in the first of eight passes, and each pass may add a refinement from its own book.

use alloc::vec::Vec;

use super::bits::Reader;
use super::codebook::Codebook;
use super::{try_vec, Error};

/// A residue configuration.
pub(crate) struct Residue {
    /// 0, 1 or 2.
    kind: u8,
    begin: u32,
    end: u32,
    partition_size: u32,
    classifications: u8,
    classbook: u8,
    /// `classifications ^ classbook.dimensions`: classbook values at or above it end decoding.
    partvals: u32,
    /// Per classification, the book of each of the eight passes.
    books: Vec<[Option<u8>; 8]>,
}

/// The channel vectors one residue decodes into.
pub(crate) struct Vectors<'a> {
    /// All channels' spectra; channel `c` starts at `c * stride`.
    pub(crate) spectra: &'a mut [f32],
    /// Distance between channel vectors in `spectra`.
    pub(crate) stride: usize,
    /// Coefficients per channel in this block (blocksize / 2).
    pub(crate) n: usize,
    /// The channels of this submap, in order.
    pub(crate) channels: &'a [u8],
    /// Per entry of `channels`: no residue to decode (its floor is unused).
    pub(crate) skip: &'a [bool],
}

impl Residue {
    /// Reads a residue configuration; book numbers are checked against `books`.
    pub(crate) fn parse(r: &mut Reader, books: &[Codebook], kind: u8) -> Result<Residue, Error> {
        let mut read = |n| r.read(n).ok_or(Error::BadSetup);
        let book =
            |b: u32| if (b as usize) < books.len() { Ok(b as u8) } else { Err(Error::BadSetup) };
        let begin = read(24)?;
        let end = read(24)?;
        let partition_size = read(24)? + 1;
        let classifications = read(6)? as u8 + 1;
        let classbook = book(read(8)?)?;
        let mut cascade = try_vec(usize::from(classifications), 0u8)?;
        for c in cascade.iter_mut() {
            let low = read(3)?;
            let high = if read(1)? != 0 { read(5)? } else { 0 };
            *c = (high * 8 + low) as u8;
        }
        let mut list = try_vec(usize::from(classifications), [None; 8])?;
        for (passes, &c) in list.iter_mut().zip(cascade.iter()) {
            for (j, b) in passes.iter_mut().enumerate() {
                if c & (1 << j) != 0 {
                    *b = Some(book(read(8)?)?);
                }
            }
        }
        // As libvorbis: the classbook must be able to code every classification combination
        // it claims; its dimension is the number of classifications per codeword.
        let cb = books.get(usize::from(classbook)).ok_or(Error::BadSetup)?;
        if cb.dimensions == 0 {
            return Err(Error::BadSetup);
        }
        let mut partvals: u64 = 1;
        for _ in 0..cb.dimensions {
            partvals *= u64::from(classifications);
            if partvals > u64::from(cb.entries) {
                return Err(Error::BadSetup);
            }
        }
        Ok(Residue {
            kind,
            begin,
            end,
            partition_size,
            classifications,
            classbook,
            partvals: partvals as u32,
            books: list,
        })
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.books.capacity() * core::mem::size_of::<[Option<u8>; 8]>()
    }

    /// Classification bytes [`Residue::decode`] needs for `channels` channels of `half` (long
    /// block size / 2) coefficients.
    pub(crate) fn classes_needed(&self, channels: usize, half: usize) -> usize {
        let (vectors, actual) =
            if self.kind == 2 { (1, half * channels) } else { (channels, half) };
        let span =
            (self.end as usize).min(actual).saturating_sub((self.begin as usize).min(actual));
        vectors * (span / self.partition_size as usize)
    }

    /// Coefficients per channel, from the start, that this residue can write for `channels`
    /// channels of `n` coefficients: past it their vectors stay zero, so a floor need not be
    /// applied there.
    pub(crate) fn extent(&self, channels: usize, n: usize) -> usize {
        if self.kind == 2 {
            let end = (self.end as usize).min(n.saturating_mul(channels));
            end.div_ceil(channels.max(1)).min(n)
        } else {
            (self.end as usize).min(n)
        }
    }

    /// Every book number this residue uses for VQ vectors (not the classbook).
    pub(crate) fn vq_books(&self) -> impl Iterator<Item = u8> + '_ {
        self.books.iter().flat_map(|b| b.iter().flatten().copied())
    }

    /// Decodes this residue into `v` (adding to zeroed vectors). `classes` is scratch space of at
    /// least `channels * n` bytes. End of packet simply ends decoding, as the spec says.
    pub(crate) fn decode(
        &self,
        r: &mut Reader,
        books: &[Codebook],
        v: &mut Vectors,
        classes: &mut [u8],
    ) {
        let _ = self.decode_passes(r, books, v, classes);
    }

    fn decode_passes(
        &self,
        r: &mut Reader,
        books: &[Codebook],
        v: &mut Vectors,
        classes: &mut [u8],
    ) -> Option<()> {
        let nch = v.channels.len();
        let interleaved = self.kind == 2;
        let actual = if interleaved { v.n * nch } else { v.n };
        let begin = (self.begin as usize).min(actual);
        let end = (self.end as usize).min(actual);
        let psize = self.partition_size as usize;
        let parts = end.saturating_sub(begin) / psize;
        if parts == 0 || (interleaved && v.skip.iter().all(|&s| s)) {
            return Some(());
        }
        let nvec = if interleaved { 1 } else { nch };
        let decodes = |k: usize| interleaved || !v.skip.get(k).copied().unwrap_or(true);
        let classbook = books.get(usize::from(self.classbook))?;
        let cpw = usize::from(classbook.dimensions);
        let ncls = u32::from(self.classifications);
        let classes = classes.get_mut(..nvec * parts)?;
        let mut bases = [0usize; 256];
        for (b, &c) in bases.iter_mut().zip(v.channels.iter()) {
            *b = usize::from(c) * v.stride;
        }
        let bases = bases.get(..nch)?;
        // Classification digits by multiplying with `ceil(2^40 / ncls)`: exact, as a
        // classword is below `partvals <= entries < 2^24` and `ncls <= 64`.
        let (ncls, recip) = (u64::from(ncls), (1u64 << 40).div_ceil(u64::from(ncls)));
        let partition = |r: &mut Reader, v: &mut Vectors, k: usize, p: usize, b: u8| {
            let book = books.get(usize::from(b))?;
            let offset = begin + p * psize;
            if interleaved {
                return decode_interleaved(r, book, v, bases, offset, psize);
            }
            let c = usize::from(*v.channels.get(k)?);
            let start = c * v.stride + offset;
            let out = v.spectra.get_mut(start..start + psize)?;
            if self.kind == 0 {
                decode_format0(r, book, out)
            } else {
                decode_format1(r, book, out)
            }
        };
        for pass in 0..8 {
            if pass > 0 && interleaved {
                // One vector: list the partitions that have a book in this pass, then decode
                // them, rather than branching on each partition's class unpredictably.
                let mut p = 0;
                while p < parts {
                    let end = (p + 64).min(parts);
                    let mut todo = [(0u32, 0u8); 64];
                    let mut n = 0;
                    for (q, &class) in classes.get(p..end)?.iter().enumerate() {
                        let book = self.books.get(usize::from(class))?[pass];
                        // n <= q < 64; p + q < parts, which fits in 32 bits (at most the
                        // 2^24 end of the residue).
                        if let Some(t) = todo.get_mut(n) {
                            *t = ((p + q) as u32, book.unwrap_or(0));
                        }
                        n += usize::from(book.is_some());
                    }
                    for &(q, b) in todo.get(..n)? {
                        partition(r, v, 0, q as usize, b)?;
                    }
                    p = end;
                }
                continue;
            }
            let mut p = 0;
            while p < parts {
                if pass == 0 {
                    for k in (0..nvec).filter(|&k| decodes(k)) {
                        let mut temp = u64::from(classbook.decode(r)?);
                        if temp >= u64::from(self.partvals) {
                            return None;
                        }
                        for i in (0..cpw).rev() {
                            let next = (temp * recip) >> 40;
                            if let Some(c) = classes.get_mut(k * parts + p + i) {
                                if p + i < parts {
                                    *c = (temp - next * ncls) as u8;
                                }
                            }
                            temp = next;
                        }
                    }
                }
                for _ in 0..cpw {
                    if p >= parts {
                        break;
                    }
                    for k in (0..nvec).filter(|&k| decodes(k)) {
                        let class = *classes.get(k * parts + p)?;
                        // `pass < 8`, the array length.
                        if let Some(b) = self.books.get(usize::from(class))?[pass] {
                            partition(r, v, k, p, b)?;
                        }
                    }
                    p += 1;
                }
            }
        }
        Some(())
    }
}

/// Residue 0 partition: element `j` of the `i`th vector goes to `i + j * step`. As in libvorbis,
/// a partition the packet ends inside adds nothing (its codewords are checked first).
fn decode_format0(r: &mut Reader, book: &Codebook, out: &mut [f32]) -> Option<()> {
    let dim = usize::from(book.dimensions);
    let step = out.len() / dim.max(1);
    let mut probe = r.clone();
    for _ in 0..step {
        if book.has_entries() {
            book.decode_rare(&mut probe)?;
        }
    }
    for i in 0..step {
        book.decode_vector_rare(r, &mut |j, x| {
            if let Some(o) = out.get_mut(i + j * step) {
                *o += x;
            }
        })?;
    }
    Some(())
}

/// Residue 1 partition: vectors fill the partition in order. Not inlined, on a copy of the
/// reader, as [`stereo_fixed`].
#[inline(never)]
fn decode_format1(reader: &mut Reader, book: &Codebook, out: &mut [f32]) -> Option<()> {
    let mut r = reader.clone();
    let result = format1_vectors(&mut r, book, out);
    *reader = r;
    result
}

#[inline(always)]
fn format1_vectors(r: &mut Reader, book: &Codebook, out: &mut [f32]) -> Option<()> {
    if !book.has_entries() {
        // A book without used entries codes nothing.
        return Some(());
    }
    // Whole vectors of the dimensions libvorbis codes residue 1 with (1, 2 and 4; 8 too on
    // hosts) take the unrolled loops; a partition that is not a whole number of vectors (no
    // encoder makes one) and other dimensions take the generic loop: each unrolled copy costs
    // flash.
    match book.dimensions {
        1 => format1_fixed::<1>(r, book, out),
        2 if out.len() % 2 == 0 => format1_fixed::<2>(r, book, out),
        4 if out.len() % 4 == 0 => format1_fixed::<4>(r, book, out),
        #[cfg(target_pointer_width = "64")]
        8 if out.len() % 8 == 0 => format1_fixed::<8>(r, book, out),
        dim => {
            let dim = usize::from(dim).max(1);
            let mut i = 0;
            while i < out.len() {
                let rest = out.get_mut(i..)?;
                book.decode_vector_rare(r, &mut |j, x| {
                    if let Some(o) = rest.get_mut(j) {
                        *o += x;
                    }
                })?;
                i += dim;
            }
            Some(())
        }
    }
}

/// [`decode_format1`] for a book of `D` dimensions with used entries, over whole vectors
/// (`out.len()` a multiple of `D`).
#[inline(always)]
fn format1_fixed<const D: usize>(r: &mut Reader, book: &Codebook, out: &mut [f32]) -> Option<()> {
    let mut v = [0f32; D];
    for chunk in out.chunks_exact_mut(D) {
        book.decode_array(r, &mut v)?;
        for (o, x) in chunk.iter_mut().zip(v) {
            *o += x;
        }
    }
    Some(())
}

/// Residue 2 partition at `offset` of the channel-interleaved vector, decoded as format 1.
/// `bases[k]` is where the vector of the submap's `k`th channel starts in `v.spectra`.
///
/// A partition that does not start on a channel boundary (partition size not a multiple of the
/// channel count) starts at channel `offset % channels`, as the spec and ffmpeg say; libvorbis
/// starts it at channel 0. No encoder makes such partitions.
fn decode_interleaved(
    r: &mut Reader,
    book: &Codebook,
    v: &mut Vectors,
    bases: &[usize],
    offset: usize,
    psize: usize,
) -> Option<()> {
    let nch = bases.len();
    let dim = usize::from(book.dimensions).max(1);
    let n = v.n;
    let end = offset + psize;
    let mut e = offset;
    // The unrolled stereo paths take whole vectors of these dimensions (powers of two, so
    // `psize % dim` is a mask); other dimensions, and other channel counts (libvorbis codes
    // those with residue 1), take the generic loop: each unrolled copy costs flash.
    let fixed = matches!(dim, 2 | 4 | 8);
    if let [b0, b1] = *bases {
        // Stereo, the common case: element e goes to sample e / 2 of channel e % 2; both
        // channel vectors as slices, so no position check per element.
        let (lo, hi, swap) = if b0 < b1 { (b0, b1, false) } else { (b1, b0, true) };
        let (first, second) = v.spectra.split_at_mut(hi.min(v.spectra.len()));
        let s_lo = first.get_mut(lo..lo + n).unwrap_or(&mut []);
        let s_hi = second.get_mut(..n).unwrap_or(&mut []);
        let (s0, s1) = if swap { (s_hi, s_lo) } else { (s_lo, s_hi) };
        // Whole vectors starting on a frame: the unrolled paths, frame by frame.
        let frames = offset / 2..end / 2;
        let whole = fixed && offset % 2 == 0 && psize % 2 == 0 && psize & (dim - 1) == 0;
        if whole && book.has_entries() {
            if let (Some(s0), Some(s1)) = (s0.get_mut(frames.clone()), s1.get_mut(frames)) {
                return match dim {
                    2 => stereo_fixed::<2>(r, book, s0, s1),
                    4 => stereo_fixed::<4>(r, book, s0, s1),
                    _ => stereo_fixed::<8>(r, book, s0, s1),
                };
            }
        }
        while e < end {
            let take = dim.min(end - e);
            let first = e;
            book.decode_vector(r, |j, x| {
                let i = first + j;
                let s = if i & 1 == 0 { &mut *s0 } else { &mut *s1 };
                if let (true, Some(o)) = (j < take, s.get_mut(i >> 1)) {
                    *o += x;
                }
            })?;
            e += take;
        }
        return Some(());
    }
    let spectra = &mut *v.spectra;
    // More channels (5.1, whose five full-range channels libvorbis codes with five-dimensional
    // books, a frame per vector): whole vectors through the unrolled decoders, scattered by a
    // running channel counter rather than a division per element. Host only: it costs flash.
    #[cfg(target_pointer_width = "64")]
    if psize % dim == 0 && book.has_entries() {
        let span = offset..end;
        match book.dimensions {
            1 => return multi_fixed::<1>(r, book, spectra, bases, n, span),
            2 => return multi_fixed::<2>(r, book, spectra, bases, n, span),
            3 => return multi_fixed::<3>(r, book, spectra, bases, n, span),
            4 => return multi_fixed::<4>(r, book, spectra, bases, n, span),
            5 => return multi_fixed::<5>(r, book, spectra, bases, n, span),
            6 => return multi_fixed::<6>(r, book, spectra, bases, n, span),
            7 => return multi_fixed::<7>(r, book, spectra, bases, n, span),
            8 => return multi_fixed::<8>(r, book, spectra, bases, n, span),
            _ => {}
        }
    }
    while e < end {
        let take = dim.min(end - e);
        let first = e;
        // Rare on hosts; on the boards every stream of more than two channels (not the fast
        // path there either: one shared decoder, no copy of its own).
        book.decode_vector_rare(r, &mut |j, x| {
            // Element i of the interleaved vector is sample i / nch of channel i % nch.
            let i = first + j;
            let (k, pos) = (i % nch, i / nch);
            if j < take && pos < n {
                if let Some(o) = bases.get(k).and_then(|&b| spectra.get_mut(b + pos)) {
                    *o += x;
                }
            }
        })?;
        e += take;
    }
    Some(())
}

/// Whole stereo residue 2 vectors of a book of `D` dimensions (2, 4 or 8) with used entries,
/// into the frames `s0`, `s1` (element `2f` to `s0[f]`, `2f + 1` to `s1[f]`); two elements
/// per frame, so the frames are a multiple of `D / 2`.
///
/// Not inlined, and on a copy of the reader: the loop keeps the reader's state in registers.
#[inline(never)]
fn stereo_fixed<const D: usize>(
    reader: &mut Reader,
    book: &Codebook,
    s0: &mut [f32],
    s1: &mut [f32],
) -> Option<()> {
    let mut r = reader.clone();
    let result = stereo_vectors::<D>(&mut r, book, s0, s1);
    *reader = r;
    result
}

#[inline(always)]
fn stereo_vectors<const D: usize>(
    r: &mut Reader,
    book: &Codebook,
    s0: &mut [f32],
    s1: &mut [f32],
) -> Option<()> {
    let mut v = [0f32; D];
    for (a, b) in s0.chunks_exact_mut(D / 2).zip(s1.chunks_exact_mut(D / 2)) {
        book.decode_array(r, &mut v)?;
        for ((a, b), x) in a.iter_mut().zip(b.iter_mut()).zip(v.chunks_exact(2)) {
            *a += x[0];
            *b += x[1];
        }
    }
    Some(())
}

/// Whole residue 2 vectors of a book of `D` dimensions (1 to 8) with used entries over any
/// number of channels: element `e` of `span` (a multiple of `D` long) goes to sample
/// `e / bases.len()` of the channel starting at `bases[e % bases.len()]`, dropped from sample
/// `n` on, as [`decode_interleaved`]'s generic loop does.
///
/// Not inlined, and on a copy of the reader, as [`stereo_fixed`].
#[cfg(target_pointer_width = "64")]
#[inline(never)]
fn multi_fixed<const D: usize>(
    reader: &mut Reader,
    book: &Codebook,
    spectra: &mut [f32],
    bases: &[usize],
    n: usize,
    span: core::ops::Range<usize>,
) -> Option<()> {
    let nch = bases.len();
    if nch == 0 {
        return Some(());
    }
    let mut r = reader.clone();
    let (mut k, mut pos) = (span.start % nch, span.start / nch);
    let mut v = [0f32; D];
    let mut result = Some(());
    if nch == D && k == 0 {
        // A frame per vector (libvorbis' 5.1): element j to channel j.
        for _ in (span.start..span.end).step_by(D) {
            if book.decode_array(&mut r, &mut v).is_none() {
                result = None;
                break;
            }
            if pos < n {
                for (&x, &b) in v.iter().zip(bases) {
                    if let Some(o) = spectra.get_mut(b + pos) {
                        *o += x;
                    }
                }
            }
            pos += 1;
        }
        *reader = r;
        return result;
    }
    for _ in (span.start..span.end).step_by(D) {
        if book.decode_array(&mut r, &mut v).is_none() {
            result = None;
            break;
        }
        for x in v {
            if pos < n {
                if let Some(o) = bases.get(k).and_then(|&b| spectra.get_mut(b + pos)) {
                    *o += x;
                }
            }
            k += 1;
            if k == nch {
                k = 0;
                pos += 1;
            }
        }
    }
    *reader = r;
    result
}
