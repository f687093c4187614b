//! The setup header (the third Vorbis packet): codebooks, floors, residues, mappings and modes.
//!
//! Every count and index read here is checked against what it refers to, so decoding never has to
//! re-validate the configuration.

use alloc::vec::Vec;

use super::bits::{ilog, Reader};
use super::codebook::Codebook;
use super::floor0::Floor0;
use super::floor1::Floor1;
use super::ident::{packet_kind, Ident, PacketKind};
use super::residue::Residue;
use super::Error;

/// A floor configuration.
pub(crate) enum Floor {
    /// LSP floor.
    Zero(Floor0),
    /// Piecewise-linear floor.
    One(Floor1),
}

/// A channel mapping: coupling steps and which submap (floor + residue) each channel uses.
pub(crate) struct Mapping {
    /// (magnitude, angle) channel pairs, applied in reverse order when decoding.
    pub(crate) coupling: Vec<(u8, u8)>,
    /// Submap of each channel.
    pub(crate) mux: Vec<u8>,
    /// Per submap: (floor number, residue number).
    pub(crate) submaps: Vec<(u8, u8)>,
}

/// A mode: block size and mapping of the packets that name it.
#[derive(Clone, Copy)]
pub(crate) struct Mode {
    /// Long block.
    pub(crate) long: bool,
    /// Mapping number.
    pub(crate) mapping: u8,
}

/// The decoded setup header of a stream: everything needed to decode its audio packets.
pub struct Setup {
    pub(crate) blocksize: [u16; 2],
    pub(crate) channels: u8,
    pub(crate) books: Vec<Codebook>,
    pub(crate) floors: Vec<Floor>,
    pub(crate) residues: Vec<Residue>,
    pub(crate) mappings: Vec<Mapping>,
    pub(crate) modes: Vec<Mode>,
    mode_bits: u32,
}

/// Reads a `count`-long list with `item`, reserving fallibly.
fn list<T>(
    count: usize,
    r: &mut Reader,
    mut item: impl FnMut(&mut Reader) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(count).map_err(|_| Error::OutOfMemory)?;
    for _ in 0..count {
        v.push(item(r)?);
    }
    Ok(v)
}

impl core::fmt::Debug for Setup {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Setup")
            .field("codebooks", &self.books.len())
            .field("floors", &self.floors.len())
            .field("residues", &self.residues.len())
            .field("mappings", &self.mappings.len())
            .field("modes", &self.modes.len())
            .field("heap_bytes", &self.heap_bytes())
            .finish()
    }
}

impl Setup {
    /// Parses and validates the setup header of the stream described by `ident`.
    pub fn parse(ident: &Ident, packet: &[u8]) -> Result<Setup, Error> {
        if packet_kind(packet) != PacketKind::Setup {
            return Err(Error::NotVorbis);
        }
        let r = &mut Reader::new(packet.get(7..).unwrap_or(&[]));
        let read = |r: &mut Reader, n| r.read(n).ok_or(Error::BadSetup);
        let count = |r: &mut Reader, n| read(r, n).map(|c| c as usize + 1);
        let channels = u32::from(ident.channels);

        let n = count(r, 8)?;
        let books = list(n, r, Codebook::parse)?;

        let n = count(r, 6)?;
        for _ in 0..n {
            if read(r, 16)? != 0 {
                return Err(Error::BadSetup);
            }
        }

        let n = count(r, 6)?;
        let floors = list(n, r, |r| match read(r, 16)? {
            0 => Ok(Floor::Zero(Floor0::parse(r, books.len(), ident.blocksize)?)),
            1 => Ok(Floor::One(Floor1::parse(r, books.len())?)),
            _ => Err(Error::BadSetup),
        })?;
        for f in floors.iter() {
            if let Floor::Zero(f) = f {
                if f.books().any(|b| !books.get(usize::from(b)).is_some_and(Codebook::has_vq)) {
                    return Err(Error::BadSetup);
                }
            }
        }

        let n = count(r, 6)?;
        let residues = list(n, r, |r| match read(r, 16)? {
            k @ 0..=2 => Residue::parse(r, &books, k as u8),
            _ => Err(Error::BadSetup),
        })?;
        for res in residues.iter() {
            if res.vq_books().any(|b| !books.get(usize::from(b)).is_some_and(Codebook::has_vq)) {
                return Err(Error::BadSetup);
            }
        }

        let n = count(r, 6)?;
        let mappings = list(n, r, |r| {
            if read(r, 16)? != 0 {
                return Err(Error::BadSetup);
            }
            let submaps = if read(r, 1)? != 0 { count(r, 4)? } else { 1 };
            let steps = if read(r, 1)? != 0 { count(r, 8)? } else { 0 };
            let bits = ilog(channels - 1);
            let coupling = list(steps, r, |r| {
                let (m, a) = (read(r, bits)?, read(r, bits)?);
                if m == a || m >= channels || a >= channels {
                    return Err(Error::BadSetup);
                }
                Ok((m as u8, a as u8))
            })?;
            if read(r, 2)? != 0 {
                return Err(Error::BadSetup);
            }
            let mux = list(channels as usize, r, |r| {
                let m = if submaps > 1 { read(r, 4)? } else { 0 };
                if m as usize >= submaps {
                    return Err(Error::BadSetup);
                }
                Ok(m as u8)
            })?;
            let submaps = list(submaps, r, |r| {
                read(r, 8)?; // unused time configuration
                let (f, res) = (read(r, 8)?, read(r, 8)?);
                if f as usize >= floors.len() || res as usize >= residues.len() {
                    return Err(Error::BadSetup);
                }
                Ok((f as u8, res as u8))
            })?;
            Ok(Mapping { coupling, mux, submaps })
        })?;

        let n = count(r, 6)?;
        let modes = list(n, r, |r| {
            let long = read(r, 1)? != 0;
            let (window, transform, mapping) = (read(r, 16)?, read(r, 16)?, read(r, 8)?);
            if window != 0 || transform != 0 || mapping as usize >= mappings.len() {
                return Err(Error::BadSetup);
            }
            Ok(Mode { long, mapping: mapping as u8 })
        })?;
        if read(r, 1)? != 1 {
            return Err(Error::BadSetup);
        }
        Ok(Setup {
            blocksize: ident.blocksize,
            channels: ident.channels,
            mode_bits: ilog(modes.len() as u32 - 1),
            books,
            floors,
            residues,
            mappings,
            modes,
        })
    }

    /// Reads an audio packet's mode, without decoding it: `None` if not a valid audio packet.
    pub(crate) fn packet_mode(&self, r: &mut Reader) -> Option<Mode> {
        if r.read(1)? != 0 {
            return None;
        }
        self.modes.get(r.read(self.mode_bits)? as usize).copied()
    }

    /// Block size of an audio packet from its mode number, without decoding it; `None` if not a
    /// valid audio packet.
    pub fn packet_blocksize(&self, packet: &[u8]) -> Option<u16> {
        let mode = self.packet_mode(&mut Reader::new(packet))?;
        Some(self.blocksize[usize::from(mode.long)])
    }

    /// Heap bytes this setup holds.
    pub fn heap_bytes(&self) -> usize {
        let floors: usize = self
            .floors
            .iter()
            .map(|f| match f {
                Floor::Zero(f) => f.heap_bytes(),
                Floor::One(f) => f.heap_bytes(),
            })
            .sum();
        let mappings: usize = self
            .mappings
            .iter()
            .map(|m| m.coupling.capacity() * 2 + m.mux.capacity() + m.submaps.capacity() * 2)
            .sum();
        self.books.iter().map(Codebook::heap_bytes).sum::<usize>()
            + self.books.capacity() * core::mem::size_of::<Codebook>()
            + floors
            + self.floors.capacity() * core::mem::size_of::<Floor>()
            + self.residues.iter().map(Residue::heap_bytes).sum::<usize>()
            + self.residues.capacity() * core::mem::size_of::<Residue>()
            + mappings
            + self.mappings.capacity() * core::mem::size_of::<Mapping>()
            + self.modes.capacity() * core::mem::size_of::<Mode>()
    }
}
