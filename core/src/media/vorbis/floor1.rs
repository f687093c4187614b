//! Floor type 1: a piecewise-linear spectral envelope on a dB scale (spec section 7).
//!
//! The packet carries one Y value per X position ("post"); decoding predicts each post from its
//! neighbours and the packet codes the difference. The envelope is drawn with Bresenham-style
//! integer lines and mapped through the spec's dB table, then multiplied into the residue.

use alloc::vec::Vec;

use super::bits::{ilog, Reader};
use super::codebook::Codebook;
use super::{try_vec, Error};

/// The most posts a floor 1 may have (libvorbis enforces the same limit).
pub(crate) const MAX_POSTS: usize = 65;

/// A partition class: how many posts it codes and with which books.
#[derive(Clone, Copy)]
struct Class {
    /// Posts per partition of this class, 1..=8.
    dim: u8,
    /// log2 of the number of sub-books.
    subclass_bits: u8,
    /// Book coding the sub-book choice (when `subclass_bits > 0`).
    master: u8,
    /// Book per sub-class; `None` codes zero.
    subbooks: [Option<u8>; 8],
}

/// A floor 1 configuration.
pub(crate) struct Floor1 {
    /// Class of each partition.
    partitions: Vec<u8>,
    classes: Vec<Class>,
    /// 1..=4: the dB step of one Y unit.
    multiplier: u8,
    /// X position of each post in decode order.
    xs: Vec<u16>,
    /// Post indices sorted by X.
    sorted: Vec<u8>,
    /// For post `i >= 2`, its low and high neighbours (spec 9.2.4/9.2.5).
    neighbors: Vec<(u8, u8)>,
}

/// The spec's floor 1 inverse dB table: entry `i` is `10^((i - 255) * 0.546875 / 20)`, a step
/// of 35/64 dB from -139.4 dB to 0 dB.
pub(crate) fn inverse_db_table() -> [f32; 256] {
    let mut t = [0f32; 256];
    for (i, v) in t.iter_mut().enumerate() {
        *v = libm::exp10((i as f64 - 255.0) * 0.546_875 / 20.0) as f32;
    }
    t
}

/// Looks up the inverse dB table, clamping out-of-range Y values of damaged streams.
#[inline]
fn inverse_db(db: &[f32; 256], y: i32) -> f32 {
    db[y.clamp(0, 255) as usize]
}

impl Floor1 {
    /// Reads a floor 1 configuration; book numbers are checked against `books`.
    pub(crate) fn parse(r: &mut Reader, books: usize) -> Result<Floor1, Error> {
        let mut read = |n| r.read(n).ok_or(Error::BadSetup);
        let book = |b: u32| if (b as usize) < books { Ok(b as u8) } else { Err(Error::BadSetup) };
        let count = read(5)? as usize;
        let mut partitions = try_vec(count, 0u8)?;
        for p in partitions.iter_mut() {
            *p = read(4)? as u8;
        }
        let nclasses = partitions.iter().map(|&c| usize::from(c) + 1).max().unwrap_or(0);
        let blank = Class { dim: 0, subclass_bits: 0, master: 0, subbooks: [None; 8] };
        let mut classes = try_vec(nclasses, blank)?;
        for c in classes.iter_mut() {
            c.dim = read(3)? as u8 + 1;
            c.subclass_bits = read(2)? as u8;
            if c.subclass_bits > 0 {
                c.master = book(read(8)?)?;
            }
            for s in c.subbooks.iter_mut().take(1 << c.subclass_bits) {
                let b = read(8)?;
                *s = if b == 0 { None } else { Some(book(b - 1)?) };
            }
        }
        let multiplier = read(2)? as u8 + 1;
        let rangebits = read(4)?;
        let mut xs: Vec<u16> = Vec::new();
        let total: usize = 2 + partitions
            .iter()
            .map(|&p| classes.get(usize::from(p)).map_or(0, |c| usize::from(c.dim)))
            .sum::<usize>();
        if total > MAX_POSTS {
            return Err(Error::BadSetup);
        }
        xs.try_reserve_exact(total).map_err(|_| Error::OutOfMemory)?;
        xs.push(0);
        xs.push(1 << rangebits);
        for &p in partitions.iter() {
            let dim = classes.get(usize::from(p)).map_or(0, |c| c.dim);
            for _ in 0..dim {
                xs.push(read(rangebits)? as u16);
            }
        }
        let mut sorted = try_vec(xs.len(), 0u8)?;
        for (i, s) in sorted.iter_mut().enumerate() {
            *s = i as u8; // at most 65 posts
        }
        sorted.sort_unstable_by_key(|&i| xs.get(usize::from(i)).copied());
        let key = |i: &u8| xs.get(usize::from(*i)).copied().unwrap_or(0);
        if sorted.windows(2).any(|w| key(&w[0]) == key(&w[1])) {
            return Err(Error::BadSetup);
        }
        let mut neighbors = try_vec(xs.len().saturating_sub(2), (0u8, 0u8))?;
        for (i, nb) in neighbors.iter_mut().enumerate() {
            let i = i + 2;
            let x = xs.get(i).copied().unwrap_or(0);
            let (mut lo, mut hi) = (0usize, 1usize);
            for (j, &xj) in xs.iter().enumerate().take(i) {
                if xj < x && xj > xs.get(lo).copied().unwrap_or(0) {
                    lo = j;
                }
                if xj > x && xj < xs.get(hi).copied().unwrap_or(0) {
                    hi = j;
                }
            }
            *nb = (lo as u8, hi as u8);
        }
        Ok(Floor1 { partitions, classes, multiplier, xs, sorted, neighbors })
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.partitions.capacity()
            + self.classes.capacity() * core::mem::size_of::<Class>()
            + self.xs.capacity() * 2
            + self.sorted.capacity()
            + self.neighbors.capacity() * 2
    }

    fn range(&self) -> i32 {
        match self.multiplier {
            1 => 256,
            2 => 128,
            3 => 86,
            _ => 64,
        }
    }

    /// Decodes this channel's posts into `y` (at least `MAX_POSTS` long). Returns false if the
    /// floor is unused in this packet or the packet ended (the channel is then silent).
    pub(crate) fn decode(&self, r: &mut Reader, books: &[Codebook], y: &mut [i32]) -> bool {
        self.decode_posts(r, books, y).is_some()
    }

    fn decode_posts(&self, r: &mut Reader, books: &[Codebook], y: &mut [i32]) -> Option<()> {
        if !r.bit()? {
            return None;
        }
        let bits = ilog(self.range() as u32 - 1);
        *y.get_mut(0)? = r.read(bits)? as i32;
        *y.get_mut(1)? = r.read(bits)? as i32;
        let mut offset = 2;
        for &p in self.partitions.iter() {
            let class = self.classes.get(usize::from(p))?;
            let cbits = u32::from(class.subclass_bits);
            let mut cval =
                if cbits > 0 { books.get(usize::from(class.master))?.decode(r)? } else { 0 };
            for j in 0..usize::from(class.dim) {
                let sub = class.subbooks.get((cval & ((1 << cbits) - 1)) as usize)?;
                cval >>= cbits;
                *y.get_mut(offset + j)? = match sub {
                    Some(b) => books.get(usize::from(*b))?.decode(r)? as i32,
                    None => 0,
                };
            }
            offset += usize::from(class.dim);
        }
        Some(())
    }

    /// Multiplies `spectrum` (the block's n/2 coefficients) by the envelope of posts `y`.
    pub(crate) fn apply(&self, y: &[i32], spectrum: &mut [f32], db: &[f32; 256]) {
        let n = spectrum.len();
        let range = self.range();
        let mut fin = [0i32; MAX_POSTS];
        let mut step2 = [false; MAX_POSTS];
        let posts = self.xs.len().min(MAX_POSTS);
        for i in 0..posts.min(2) {
            fin[i] = y.get(i).copied().unwrap_or(0);
            step2[i] = true;
        }
        // Amplitude value synthesis (spec 7.2.4 step 1).
        for (i, &(lo, hi)) in self.neighbors.iter().enumerate() {
            let i = i + 2;
            let (lo, hi) = (usize::from(lo), usize::from(hi));
            let x = |k: usize| i32::from(self.xs.get(k).copied().unwrap_or(0));
            let (ylo, yhi) = (fin.get(lo).copied().unwrap_or(0), fin.get(hi).copied().unwrap_or(0));
            let predicted = render_point(x(lo), ylo, x(hi), yhi, x(i));
            let val = y.get(i).copied().unwrap_or(0);
            let highroom = range - predicted;
            let lowroom = predicted;
            let room = highroom.min(lowroom) * 2;
            let Some(f) = fin.get_mut(i) else { break };
            if val != 0 {
                *f = if val >= room {
                    if highroom > lowroom {
                        val - lowroom + predicted
                    } else {
                        predicted - val + highroom - 1
                    }
                } else if val & 1 == 1 {
                    predicted - (val + 1) / 2
                } else {
                    predicted + val / 2
                };
                for k in [lo, hi, i] {
                    if let Some(s) = step2.get_mut(k) {
                        *s = true;
                    }
                }
            } else {
                *f = predicted;
            }
        }
        // Curve synthesis (step 2): lines between the posts kept, in X order.
        let mult = i32::from(self.multiplier);
        let (mut lx, mut ly) = (0usize, (fin[0] * mult).clamp(0, 255));
        for &k in self.sorted.iter().skip(1) {
            let k = usize::from(k);
            if !step2.get(k).copied().unwrap_or(false) {
                continue;
            }
            let hx = usize::from(self.xs.get(k).copied().unwrap_or(0));
            let hy = (fin.get(k).copied().unwrap_or(0) * mult).clamp(0, 255);
            render_line(lx, ly, hx, hy, spectrum, db);
            lx = hx;
            ly = hy;
        }
        if lx < n {
            let v = inverse_db(db, ly);
            for s in spectrum.iter_mut().skip(lx) {
                *s *= v;
            }
        }
    }
}

/// The spec's `render_point`: Y at `x` on the line from (x0, y0) to (x1, y1), rounded toward y0.
fn render_point(x0: i32, y0: i32, x1: i32, y1: i32, x: i32) -> i32 {
    let dy = y1 - y0;
    let adx = (x1 - x0).max(1);
    let off = dy.abs() * (x - x0) / adx;
    if dy < 0 {
        y0 - off
    } else {
        y0 + off
    }
}

/// Multiplies `v[x0..x1]` (clipped to `v`) by the dB-table values of the spec's integer line.
fn render_line(x0: usize, y0: i32, x1: usize, y1: i32, v: &mut [f32], db: &[f32; 256]) {
    let dy = y1 - y0;
    let adx = (x1.saturating_sub(x0) as i32).max(1);
    let base = dy / adx;
    let sy = if dy < 0 { base - 1 } else { base + 1 };
    let ady = dy.abs() - base.abs() * adx;
    let mut y = y0;
    let mut err = 0;
    let end = x1.min(v.len());
    let Some(seg) = v.get_mut(x0..end.max(x0)) else { return };
    let mut iter = seg.iter_mut();
    if let Some(s) = iter.next() {
        *s *= inverse_db(db, y);
    }
    for s in iter {
        err += ady;
        if err >= adx {
            err -= adx;
            y += sy;
        } else {
            y += base;
        }
        *s *= inverse_db(db, y);
    }
}
