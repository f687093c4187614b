//! The audio packet decoder: floors, residues, channel coupling, inverse MDCT, windowing and
//! overlap-add (spec section 4.3).
//!
//! All buffers are allocated by [`Decoder::new`] (fallibly); decoding allocates nothing. A packet
//! that is not a valid audio packet is rejected before any state changes, so the next packet
//! overlaps with the last good one, as after a lost packet in libvorbis. A packet that ends early
//! is not an error: what it lacks decodes as zero, as the spec says.

use alloc::vec::Vec;

use super::bits::Reader;
use super::floor0::MAX_ORDER;
use super::floor1::MAX_POSTS;
use super::ident::Ident;
use super::mdct::Imdct;
use super::pcm::Pcm;
use super::residue::Vectors;
use super::setup::{Floor, Setup};
use super::window::Windows;
use super::{try_vec, Error};

/// Floats of floor 0 state per channel: amplitude and coefficients.
const FLOOR0_STRIDE: usize = MAX_ORDER + 1;

/// A Vorbis audio decoder for one logical stream.
pub struct Decoder {
    ident: Ident,
    setup: Setup,
    imdct: Imdct,
    windows: Windows,
    /// Coefficients per channel (long blocksize / 2 each), then the inverse MDCT's output `u`,
    /// kept until the next packet, whose output needs the block's right half.
    spectra: Vec<f32>,
    /// Per channel, the frames completed by the last packet (long blocksize / 2 each): the
    /// previous block's windowed right half plus this block's windowed left half.
    out: Vec<f32>,
    /// Floor 1 posts per channel.
    posts: Vec<i32>,
    /// Floor 0 amplitude and coefficients per channel (empty without floor 0).
    lsp: Vec<f32>,
    /// Residue partition classifications.
    classes: Vec<u8>,
    /// Block size and right window class of the previous packet, if it can be overlapped.
    prev: Option<(usize, bool)>,
    /// Frames in `out`.
    frames: usize,
}

impl core::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decoder")
            .field("ident", &self.ident)
            .field("setup", &self.setup)
            .field("prev", &self.prev)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl Decoder {
    /// At most the heap bytes [`Decoder::new`] allocates for decode buffers (in addition to
    /// [`Setup::heap_bytes`]), so a caller with a memory budget can refuse a stream first.
    pub fn buffer_bytes(ident: &Ident) -> usize {
        let ch = usize::from(ident.channels);
        let half = usize::from(ident.blocksize[1]) / 2;
        let floats = 2 * ch * half + ch * (MAX_POSTS + FLOOR0_STRIDE);
        floats * 4
            + ch * half
            + Imdct::heap_bytes(ident.blocksize)
            + Windows::heap_bytes(ident.blocksize)
    }

    /// A decoder for the stream with these headers. Fails with [`Error::OutOfMemory`] if the
    /// buffers cannot be allocated, or [`Error::BadSetup`] if `setup` was parsed for another
    /// identification header.
    pub fn new(ident: Ident, setup: Setup) -> Result<Decoder, Error> {
        if setup.blocksize != ident.blocksize || setup.channels != ident.channels {
            return Err(Error::BadSetup);
        }
        let ch = usize::from(ident.channels);
        let half = usize::from(ident.blocksize[1]) / 2;
        let has_floor0 = setup.floors.iter().any(|f| matches!(f, Floor::Zero(_)));
        Ok(Decoder {
            imdct: Imdct::new(ident.blocksize)?,
            windows: Windows::new(ident.blocksize)?,
            spectra: try_vec(ch * half, 0.0)?,
            out: try_vec(ch * half, 0.0)?,
            posts: try_vec(ch * MAX_POSTS, 0)?,
            lsp: try_vec(if has_floor0 { ch * FLOOR0_STRIDE } else { 0 }, 0.0)?,
            classes: try_vec(
                setup.residues.iter().map(|r| r.classes_needed(ch, half)).max().unwrap_or(0),
                0,
            )?,
            prev: None,
            frames: 0,
            ident,
            setup,
        })
    }

    /// The stream's identification header.
    pub fn ident(&self) -> &Ident {
        &self.ident
    }

    /// The stream's setup header.
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// Forgets the overlap (for seeking): the next packet completes no frames.
    pub fn reset(&mut self) {
        self.prev = None;
        self.frames = 0;
    }

    /// The frames completed by the last [`Decoder::decode`].
    pub fn pcm(&self) -> Pcm<'_> {
        let half = usize::from(self.ident.blocksize[1]) / 2;
        Pcm::new(&self.out, half, self.frames, usize::from(self.ident.channels))
    }

    /// Decodes one audio packet; returns the number of frames it completes: 0 for the first
    /// packet after [`Decoder::new`] or [`Decoder::reset`], else (previous + current block
    /// size) / 4. A packet that is not audio or names no valid mode returns an error and leaves
    /// the decoder as it was.
    pub fn decode(&mut self, packet: &[u8]) -> Result<usize, Error> {
        let mut r = Reader::new(packet);
        if packet.first().is_none_or(|b| b & 1 != 0) {
            return Err(Error::NotAudio);
        }
        let mode = self.setup.packet_mode(&mut r).ok_or(Error::BadPacket)?;
        let (left_long, right_long) = if mode.long {
            let prev = r.bit().ok_or(Error::BadPacket)?;
            (prev, r.bit().ok_or(Error::BadPacket)?)
        } else {
            (false, false)
        };
        // From here on nothing fails: the packet replaces the decoder's state. First the previous
        // block's right half leaves `spectra` for `out`.
        if let Some((pn, right)) = self.prev {
            let half = usize::from(self.ident.blocksize[1]) / 2;
            for (u, out) in self.spectra.chunks_exact(half).zip(self.out.chunks_exact_mut(half)) {
                self.windows.right_half(u, pn, right, out);
            }
        }
        let n = usize::from(self.setup.blocksize[usize::from(mode.long)]);
        self.decode_spectra(&mut r, mode.mapping, n, mode.long);
        self.synthesize(mode.long, n, left_long, right_long);
        Ok(self.frames)
    }

    /// Decodes floors and residues, undoes coupling and applies the floors, leaving each
    /// channel's n/2 spectral coefficients in `spectra`.
    fn decode_spectra(&mut self, r: &mut Reader, mapping: u8, n: usize, long: bool) {
        let setup = &self.setup;
        let Some(mapping) = setup.mappings.get(usize::from(mapping)) else { return };
        let ch = usize::from(self.ident.channels);
        let stride = usize::from(self.ident.blocksize[1]) / 2;
        let half = n / 2;
        let mut has_floor = [false; 256];
        for (c, (&sub, has)) in mapping.mux.iter().zip(has_floor.iter_mut()).enumerate() {
            let floor = mapping
                .submaps
                .get(usize::from(sub))
                .and_then(|s| setup.floors.get(usize::from(s.0)));
            *has = match floor {
                Some(Floor::One(f)) => self
                    .posts
                    .get_mut(c * MAX_POSTS..(c + 1) * MAX_POSTS)
                    .is_some_and(|y| f.decode(r, &setup.books, y)),
                Some(Floor::Zero(f)) => self
                    .lsp
                    .get_mut(c * FLOOR0_STRIDE..(c + 1) * FLOOR0_STRIDE)
                    .is_some_and(|y| f.decode(r, &setup.books, y)),
                None => false,
            };
        }
        // A coupled pair is decoded if either channel has audio.
        let mut decode = has_floor;
        for &(m, a) in mapping.coupling.iter() {
            let (m, a) = (usize::from(m), usize::from(a));
            if decode[m] || decode[a] {
                // m, a < channels <= 255, checked at setup.
                decode[m] = true;
                decode[a] = true;
            }
        }
        for c in 0..ch {
            if let Some(s) = self.spectra.get_mut(c * stride..c * stride + half) {
                s.fill(0.0);
            }
        }
        // Coefficients any residue of this packet can reach: past it every channel stays zero
        // (coupling keeps zeros zero), so the floors stop there.
        let mut extent = 0;
        for (s, &(_, res)) in mapping.submaps.iter().enumerate() {
            let mut channels = [0u8; 256];
            let mut skip = [true; 256];
            let mut count = 0;
            for (c, _) in mapping.mux.iter().enumerate().filter(|&(_, &m)| usize::from(m) == s) {
                // c < channels <= 255.
                channels[count] = c as u8;
                skip[count] = !decode[c];
                count += 1;
            }
            let Some(residue) = setup.residues.get(usize::from(res)) else { continue };
            extent = extent.max(residue.extent(count, half));
            let mut v = Vectors {
                spectra: &mut self.spectra,
                stride,
                n: half,
                channels: &channels[..count],
                skip: &skip[..count],
            };
            residue.decode(r, &setup.books, &mut v, &mut self.classes);
        }
        for &(m, a) in mapping.coupling.iter().rev() {
            let (m, a) = (usize::from(m) * stride, usize::from(a) * stride);
            let (lo, hi, m_first) = if m < a { (m, a, true) } else { (a, m, false) };
            let (first, second) = self.spectra.split_at_mut(hi);
            let (Some(x), Some(y)) = (first.get_mut(lo..lo + half), second.get_mut(..half)) else {
                continue;
            };
            let (mags, angs) = if m_first { (x, y) } else { (y, x) };
            for (mag, ang) in mags.iter_mut().zip(angs.iter_mut()) {
                let (m, a) = (*mag, *ang);
                let (new_m, new_a) = if m > 0.0 {
                    if a > 0.0 {
                        (m, m - a)
                    } else {
                        (m + a, m)
                    }
                } else if a > 0.0 {
                    (m, m + a)
                } else {
                    (m - a, m)
                };
                *mag = new_m;
                *ang = new_a;
            }
        }
        for (c, (&sub, &has)) in mapping.mux.iter().zip(has_floor.iter()).enumerate() {
            let Some(spectrum) = self.spectra.get_mut(c * stride..c * stride + half) else {
                continue;
            };
            let floor = mapping
                .submaps
                .get(usize::from(sub))
                .and_then(|s| setup.floors.get(usize::from(s.0)));
            match floor {
                Some(Floor::One(f)) if has => {
                    let y = self.posts.get(c * MAX_POSTS..(c + 1) * MAX_POSTS).unwrap_or(&[]);
                    f.apply(y, spectrum.get_mut(..extent).unwrap_or(&mut []));
                }
                Some(Floor::Zero(f)) if has => {
                    let y = self.lsp.get(c * FLOOR0_STRIDE..(c + 1) * FLOOR0_STRIDE).unwrap_or(&[]);
                    f.apply(y, long, spectrum);
                }
                _ => spectrum.fill(0.0),
            }
        }
    }

    /// Inverse MDCT, windowing and overlap-add of every channel; sets `frames`.
    fn synthesize(&mut self, long: bool, n: usize, left_long: bool, right_long: bool) {
        let half = usize::from(self.ident.blocksize[1]) / 2;
        let frames = self.prev.map_or(0, |(pn, _)| pn / 4 + n / 4);
        let chunks = self.spectra.chunks_exact_mut(half).zip(self.out.chunks_exact_mut(half));
        for (u, out) in chunks {
            self.imdct.inverse(long, u);
            let Some((pn, _)) = self.prev else { continue };
            // Output spans from the previous block's centre to this block's centre: `out` holds
            // the previous right half (pn/2 values); in this block's coordinates the output
            // starts at n/4 - pn/4. frames <= half, the length of `out`.
            let out = &mut out[..frames];
            if let Some(tail) = out.get_mut(pn / 2..) {
                tail.fill(0.0);
            }
            let (skip_out, skip_left) = if n >= pn { (0, (n - pn) / 4) } else { ((pn - n) / 4, 0) };
            let out = out.get_mut(skip_out..).unwrap_or(&mut []);
            self.windows.add_left_half(u, n, left_long, skip_left, out);
        }
        self.prev = Some((n, right_long));
        self.frames = frames;
    }
}
