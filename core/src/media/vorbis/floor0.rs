//! Floor type 0: an LSP (line spectral pair) envelope on a Bark-scaled frequency axis (spec
//! section 6). Rare in practice (only pre-2004 encoders made it) but part of Vorbis I.
//!
//! The packet carries an amplitude and `order` LSP coefficients as VQ vectors; the envelope is
//! evaluated once per distinct Bark-map value and multiplied into the residue.

use alloc::vec::Vec;

use super::bits::{ilog, Reader};
use super::codebook::Codebook;
use super::{try_vec, Error};
use crate::util::math;

/// The most coefficients a floor 0 may have (its order is an 8-bit field).
pub(crate) const MAX_ORDER: usize = 255;

/// A floor 0 configuration, with its Bark maps for both block sizes.
pub(crate) struct Floor0 {
    order: u8,
    bark_map_size: u16,
    amplitude_bits: u8,
    amplitude_offset: u8,
    books: Vec<u8>,
    /// For each block size, the Bark-map bin of each spectral line.
    maps: [Vec<u16>; 2],
}

/// The spec's Bark scale, evaluated with libvorbis' mix of single and double precision (so band
/// edges fall on the same lines).
fn bark(x: f32) -> f64 {
    13.1f32 as f64 * math::atan(f64::from(0.00074f32 * x))
        + 2.24f32 as f64 * math::atan(f64::from(x * x * 1.85e-8f32))
        + f64::from(1e-4f32 * x)
}

impl Floor0 {
    /// Reads a floor 0 configuration; book numbers are checked against `books`.
    pub(crate) fn parse(
        r: &mut Reader,
        books: usize,
        blocksize: [u16; 2],
    ) -> Result<Floor0, Error> {
        let mut read = |n| r.read(n).ok_or(Error::BadSetup);
        let order = read(8)? as u8;
        let rate = read(16)?;
        let bark_map_size = read(16)? as u16;
        let amplitude_bits = read(6)? as u8;
        let amplitude_offset = read(8)? as u8;
        let count = read(4)? as usize + 1;
        let mut list = try_vec(count, 0u8)?;
        for b in list.iter_mut() {
            let n = read(8)?;
            if n as usize >= books {
                return Err(Error::BadSetup);
            }
            *b = n as u8;
        }
        if order == 0 || rate == 0 || bark_map_size == 0 {
            return Err(Error::BadSetup);
        }
        let map = |bs: u16| -> Result<Vec<u16>, Error> {
            let n = usize::from(bs / 2);
            let mut m = try_vec(n, 0u16)?;
            let half_rate = rate as f32 / 2.0;
            let scale = (f64::from(bark_map_size) / bark(half_rate)) as f32;
            for (i, v) in m.iter_mut().enumerate() {
                let b = libm::floor(bark(half_rate / n as f32 * i as f32) * f64::from(scale));
                *v = (b.max(0.0) as u32).min(u32::from(bark_map_size) - 1) as u16;
            }
            Ok(m)
        };
        let maps = [map(blocksize[0])?, map(blocksize[1])?];
        Ok(Floor0 { order, bark_map_size, amplitude_bits, amplitude_offset, books: list, maps })
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.books.capacity() + (self.maps[0].capacity() + self.maps[1].capacity()) * 2
    }

    /// Every book number this floor uses.
    pub(crate) fn books(&self) -> impl Iterator<Item = u8> + '_ {
        self.books.iter().copied()
    }

    /// Decodes this channel's amplitude and coefficients into `out` (`[amplitude, coeffs..]`, at
    /// least `MAX_ORDER + 1` long). Returns false if the floor is unused or the packet ended.
    pub(crate) fn decode(&self, r: &mut Reader, books: &[Codebook], out: &mut [f32]) -> bool {
        self.decode_coefficients(r, books, out).is_some()
    }

    fn decode_coefficients(
        &self,
        r: &mut Reader,
        books: &[Codebook],
        out: &mut [f32],
    ) -> Option<()> {
        let amplitude = r.read(u32::from(self.amplitude_bits))?;
        if amplitude == 0 {
            return None;
        }
        let number = r.read(ilog(self.books.len() as u32))?;
        // An out-of-range book number makes the floor unused, as in libvorbis.
        let book = books.get(usize::from(*self.books.get(number as usize)?))?;
        let (amp, coeffs) = out.split_first_mut()?;
        *amp = amplitude as f32;
        let order = usize::from(self.order);
        let coeffs = coeffs.get_mut(..order)?;
        let mut filled = 0;
        let mut last = 0f32;
        while filled < order {
            let start = filled;
            book.decode_vector_rare(r, &mut |j, v| {
                if let Some(c) = coeffs.get_mut(start + j) {
                    *c = v;
                }
            })?;
            filled = (start + usize::from(book.dimensions)).min(order);
            for c in coeffs.get_mut(start..filled)? {
                *c += last;
            }
            last = *coeffs.get(filled.checked_sub(1)?)?;
        }
        Some(())
    }

    /// Multiplies `spectrum` (n/2 coefficients of a block of size class `long`) by the envelope
    /// decoded into `coeffs` by [`Floor0::decode`].
    pub(crate) fn apply(&self, coeffs: &[f32], long: bool, spectrum: &mut [f32]) {
        let map = &self.maps[usize::from(long)];
        let Some((&amplitude, lsp)) = coeffs.split_first() else { return };
        let m = usize::from(self.order).min(lsp.len());
        let mut cos2 = [0f32; MAX_ORDER];
        for (c, &l) in cos2.iter_mut().zip(lsp.iter().take(m)) {
            *c = 2.0 * math::cos(f64::from(l)) as f32;
        }
        let cos2 = &cos2[..m]; // m <= MAX_ORDER
                               // Single and double precision where libvorbis has them, to match it to float rounding.
        let max = ((1u64 << self.amplitude_bits) - 1) as f32;
        let offset = f32::from(self.amplitude_offset);
        let amp = f64::from(amplitude / max * offset);
        let bark = (core::f64::consts::PI / f64::from(self.bark_map_size)) as f32;
        let mut i = 0;
        while i < spectrum.len() {
            let k = map.get(i).copied().unwrap_or(0);
            let w = 2.0 * math::cos(f64::from(bark * f32::from(k))) as f32;
            let (mut p, mut q) = (0.5f32, 0.5f32);
            let mut pairs = cos2.chunks_exact(2);
            for pair in &mut pairs {
                q *= w - pair[0];
                p *= w - pair[1];
            }
            if let [odd] = pairs.remainder() {
                q *= w - odd;
                p = p * p * (4.0 - w * w);
                q = q * q;
            } else {
                p = p * p * (2.0 - w);
                q = q * q * (2.0 + w);
            }
            let db = amp / math::sqrt(f64::from(p + q)) - f64::from(offset);
            let v = libm::exp(db * f64::from(0.115_129_25f32)) as f32;
            while i < spectrum.len() && map.get(i).copied().unwrap_or(0) == k {
                if let Some(s) = spectrum.get_mut(i) {
                    *s *= v;
                }
                i += 1;
            }
        }
    }
}
