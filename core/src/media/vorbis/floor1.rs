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

/// The spec's floor 1 inverse dB table (section 10.1): entry `i` is `10^((i - 255) * 0.546875 / 20)`,
/// a step of 35/64 dB from -139.4 dB to 0 dB, as the spec lists it (8 significant digits), which
/// libvorbis uses verbatim.
#[rustfmt::skip]
#[allow(clippy::excessive_precision, clippy::approx_constant)] // the spec's digits, verbatim
const INVERSE_DB: [f32; 256] = [
    1.0649863e-07, 1.1341951e-07, 1.2079015e-07, 1.2863978e-07,
    1.3699951e-07, 1.4590251e-07, 1.5538408e-07, 1.6548181e-07,
    1.7623575e-07, 1.8768855e-07, 1.9988561e-07, 2.128753e-07,
    2.2670913e-07, 2.4144197e-07, 2.5713223e-07, 2.7384213e-07,
    2.9163793e-07, 3.1059021e-07, 3.3077411e-07, 3.5226968e-07,
    3.7516214e-07, 3.9954229e-07, 4.2550680e-07, 4.5315863e-07,
    4.8260743e-07, 5.1396998e-07, 5.4737065e-07, 5.8294187e-07,
    6.2082472e-07, 6.6116941e-07, 7.0413592e-07, 7.4989464e-07,
    7.9862701e-07, 8.5052630e-07, 9.0579828e-07, 9.6466216e-07,
    1.0273513e-06, 1.0941144e-06, 1.1652161e-06, 1.2409384e-06,
    1.3215816e-06, 1.4074654e-06, 1.4989305e-06, 1.5963394e-06,
    1.7000785e-06, 1.8105592e-06, 1.9282195e-06, 2.0535261e-06,
    2.1869758e-06, 2.3290978e-06, 2.4804557e-06, 2.6416497e-06,
    2.8133190e-06, 2.9961443e-06, 3.1908506e-06, 3.3982101e-06,
    3.6190449e-06, 3.8542308e-06, 4.1047004e-06, 4.3714470e-06,
    4.6555282e-06, 4.9580707e-06, 5.2802740e-06, 5.6234160e-06,
    5.9888572e-06, 6.3780469e-06, 6.7925283e-06, 7.2339451e-06,
    7.7040476e-06, 8.2047000e-06, 8.7378876e-06, 9.3057248e-06,
    9.9104632e-06, 1.0554501e-05, 1.1240392e-05, 1.1970856e-05,
    1.2748789e-05, 1.3577278e-05, 1.4459606e-05, 1.5399272e-05,
    1.6400004e-05, 1.7465768e-05, 1.8600792e-05, 1.9809576e-05,
    2.1096914e-05, 2.2467911e-05, 2.3928002e-05, 2.5482978e-05,
    2.7139006e-05, 2.8902651e-05, 3.0780908e-05, 3.2781225e-05,
    3.4911534e-05, 3.7180282e-05, 3.9596466e-05, 4.2169667e-05,
    4.4910090e-05, 4.7828601e-05, 5.0936773e-05, 5.4246931e-05,
    5.7772202e-05, 6.1526565e-05, 6.5524908e-05, 6.9783085e-05,
    7.4317983e-05, 7.9147585e-05, 8.4291040e-05, 8.9768747e-05,
    9.5602426e-05, 0.00010181521, 0.00010843174, 0.00011547824,
    0.00012298267, 0.00013097477, 0.00013948625, 0.00014855085,
    0.00015820453, 0.00016848555, 0.00017943469, 0.00019109536,
    0.00020351382, 0.00021673929, 0.00023082423, 0.00024582449,
    0.00026179955, 0.00027881276, 0.00029693158, 0.00031622787,
    0.00033677814, 0.00035866388, 0.00038197188, 0.00040679456,
    0.00043323036, 0.00046138411, 0.00049136745, 0.00052329927,
    0.00055730621, 0.00059352311, 0.00063209358, 0.00067317058,
    0.00071691700, 0.00076350630, 0.00081312324, 0.00086596457,
    0.00092223983, 0.00098217216, 0.0010459992, 0.0011139742,
    0.0011863665, 0.0012634633, 0.0013455702, 0.0014330129,
    0.0015261382, 0.0016253153, 0.0017309374, 0.0018434235,
    0.0019632195, 0.0020908006, 0.0022266726, 0.0023713743,
    0.0025254795, 0.0026895994, 0.0028643847, 0.0030505286,
    0.0032487691, 0.0034598925, 0.0036847358, 0.0039241906,
    0.0041792066, 0.0044507950, 0.0047400328, 0.0050480668,
    0.0053761186, 0.0057254891, 0.0060975636, 0.0064938176,
    0.0069158225, 0.0073652516, 0.0078438871, 0.0083536271,
    0.0088964928, 0.009474637, 0.010090352, 0.010746080,
    0.011444421, 0.012188144, 0.012980198, 0.013823725,
    0.014722068, 0.015678791, 0.016697687, 0.017782797,
    0.018938423, 0.020169149, 0.021479854, 0.022875735,
    0.024362330, 0.025945531, 0.027631618, 0.029427276,
    0.031339626, 0.033376252, 0.035545228, 0.037855157,
    0.040315199, 0.042935108, 0.045725273, 0.048696758,
    0.051861348, 0.055231591, 0.058820850, 0.062643361,
    0.066714279, 0.071049749, 0.075666962, 0.080584227,
    0.085821044, 0.091398179, 0.097337747, 0.10366330,
    0.11039993, 0.11757434, 0.12521498, 0.13335215,
    0.14201813, 0.15124727, 0.16107617, 0.17154380,
    0.18269168, 0.19456402, 0.20720788, 0.22067342,
    0.23501402, 0.25028656, 0.26655159, 0.28387361,
    0.30232132, 0.32196786, 0.34289114, 0.36517414,
    0.38890521, 0.41417847, 0.44109412, 0.46975890,
    0.50028648, 0.53279791, 0.56742212, 0.60429640,
    0.64356699, 0.68538959, 0.72993007, 0.77736504,
    0.82788260, 0.88168307, 0.9389798, 1.0,
];

/// Looks up the inverse dB table, clamping out-of-range Y values of damaged streams.
#[inline]
fn inverse_db(y: i32) -> f32 {
    INVERSE_DB[y.clamp(0, 255) as usize]
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
        crate::util::insertion_sort::sort_by_key(&mut sorted, |&i| xs.get(usize::from(i)).copied());
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
    #[inline(never)] // its per-sample loop gets the registers to itself
    pub(crate) fn apply(&self, y: &[i32], spectrum: &mut [f32]) {
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
                // libvorbis keeps posts in 15 bits: a damaged or careless stream whose post goes
                // negative wraps to a large value (then clamps to 0 dB) rather than to silence.
                *f = 0x7fff
                    & if val >= room {
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
            render_line(lx, ly, hx, hy, spectrum);
            lx = hx;
            ly = hy;
        }
        if lx < n {
            let v = inverse_db(ly);
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
/// `y0` and `y1` lie in 0..=255 (the caller clamps them), so every Y of the line between them
/// does too: the mask only spares the clamp.
fn render_line(x0: usize, y0: i32, x1: usize, y1: i32, v: &mut [f32]) {
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
        *s *= INVERSE_DB[(y & 0xff) as usize];
    }
    for s in iter {
        err += ady;
        if err >= adx {
            err -= adx;
            y += sy;
        } else {
            y += base;
        }
        *s *= INVERSE_DB[(y & 0xff) as usize];
    }
}
