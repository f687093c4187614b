//! Sample-accurate seeking.
//!
//! Packet `k` of a link outputs the frames just before its end position `E(k)`; after a decoder
//! reset the first packet decoded outputs nothing and the following ones output exactly what a
//! decode from the start would (Vorbis state is one block of overlap). So to land on granule
//! position `g` we need a read start `X` whose first complete packet `j` has `E(j) <= g`, and
//! `E(j)` itself:
//!
//! - `X` is the last timed page (granule not -1) with granule `<= g - long_block / 2`, found by
//!   bisection. The first packet completed when reading from `X` ends no later than the packet
//!   after the last one ending on `X`, so `E(j) <= granule(X) + long_block / 2 <= g`.
//! - `E(j)` comes from the first timed page `Q` reached from `X`: `E(j) = granule(Q)` minus the
//!   frames decoded from `j` through the last packet ending on `Q`. The link's last timed page
//!   is never used as `Q` (its granule may be end-trimmed); if `Q` would be it, an earlier `X`
//!   is tried. With no suitable page before `g`, reading starts at the link's first audio
//!   packet, placed as a read from the start places it (`Span::first`, with libvorbis's
//!   start trimming; see the module docs of `vorbis_file`), so that a seek into the first
//!   timed page gives the frames a full decode gives there. A page found by the bisection lies
//!   at or after the first timed page, so positions from it on are the granules' own.
//!
//! Positions are granule positions throughout; the link's own offset is applied once, when the
//! target frame is converted, which is where libvorbisfile goes wrong for a first link with a
//! non-zero first granule.

use embedded_io::{Read, Seek};

use super::{Error, VorbisFile};
use crate::media::ogg::timeline::locate;

impl<R: Read + Seek> VorbisFile<R> {
    /// Positions the reader so the next frame read is frame `frame` of the whole file (the end
    /// of the file if `frame` is past it).
    pub fn seek(&mut self, frame: u64) -> Result<(), Error> {
        let Some((index, g)) = locate(&self.links, frame, |l| l.span) else {
            self.cursor.clear();
            self.done = true;
            return Ok(());
        };
        if index != self.index || self.stream.is_none() {
            self.enter_link(index)?;
        }
        let link = self.current();
        let mut key = g.saturating_sub(i64::from(link.blocksize[1]) / 2);
        // Each retry lowers `key` below the granule of the page just tried, so the loop ends
        // after at most as many rounds as the link has timed pages.
        loop {
            let page = if link.span.last_page() > link.audio_offset {
                self.io.bisect_granule(
                    link.audio_offset,
                    link.span.last_page(),
                    link.serial,
                    key,
                )?
            } else {
                None
            };
            let Some(page) = page else {
                return self.seek_from_start(g);
            };
            if self.preroll(page.offset, g)? {
                return Ok(());
            }
            key = page.granule.saturating_sub(1);
        }
    }

    /// Restarts the current link from its first audio packet, handing out frames from `g` on.
    fn seek_from_start(&mut self, g: i64) -> Result<(), Error> {
        let link = self.current();
        self.io.seek_to(link.setup_offset)?;
        self.io.demux.follow(Some(link.serial));
        self.reset_decoder();
        self.at_link_start(link, g);
        Ok(())
    }

    /// Reads from `x` to the first usable timed page to learn the position of the first packet
    /// decoded from `x`, then positions for `g`. `false`: `x` cannot serve (see module docs).
    ///
    /// Lost pages between `x` and that page make exactness impossible (an earlier `x` would
    /// cross the same hole); reading then resumes at the first frame known after the hole.
    fn preroll(&mut self, x: u64, g: i64) -> Result<bool, Error> {
        let link = self.current();
        self.io.seek_to(x)?;
        self.io.demux.follow(Some(link.serial));
        self.reset_decoder();
        self.link_done = false;
        self.done = false;
        self.cursor.clear();
        let mut decoded: i64 = 0;
        let mut hole = false;
        let d = loop {
            let Some(d) = self.step()? else {
                if hole {
                    self.link_done = true;
                }
                return Ok(hole);
            };
            hole |= d.hole;
            decoded = decoded.saturating_add(d.frames as i64);
            if d.granule == -1 {
                continue;
            }
            if d.page == link.span.last_page() && !hole {
                return Ok(false);
            }
            break d;
        };
        let first = d.granule.saturating_sub(decoded);
        if first > g && !hole {
            return Ok(false);
        }
        let last_start = d.granule.saturating_sub(d.frames as i64);
        if g >= last_start || hole {
            // The target is in (or after) the packet just decoded: go on from here.
            self.cursor.restart(last_start, g);
            self.expose(&d);
            return Ok(true);
        }
        // Decode again from `x`, now knowing where its first packet ends.
        self.io.seek_to(x)?;
        self.reset_decoder();
        self.cursor.restart(first, g);
        Ok(true)
    }
}
