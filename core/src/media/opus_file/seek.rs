//! Sample-accurate seeking with RFC 7845's 80 ms pre-roll.
//!
//! To land on granule `g`: `X` is the last timed page with granule at most `g − 3840`, found by
//! bisection. Reading from the end of `X`, the packets up to the next timed page `Q` are
//! walked without decoding: `Q`'s granule minus their TOC durations is the position of the
//! first packet read from `X` (a packet continued from `X` is dropped by the demuxer and not
//! counted). If that position leaves less than 3840 samples of pre-roll, or `Q` is the link's
//! last page (its granule may be end-trimmed), an earlier `X` is tried. Then the decoder is
//! reset, reading restarts after `X` at that position, and samples before `g` are discarded.
//! With no such page, the link is decoded from its start with pre-skip (RFC 7845 §4.6).

use embedded_io::{Read, Seek};

use super::{packet_frames, Decoder, Error, OpusFile, PRE_ROLL};
use crate::media::ogg::timeline::locate;

impl<R: Read + Seek, D: Decoder> OpusFile<R, D> {
    /// Positions the reader so the next frame read is frame `frame` of the whole file (the end
    /// of the file if `frame` is past it).
    pub fn seek(&mut self, frame: u64) -> Result<(), Error> {
        let Some((index, g)) = locate(&self.links, frame, |l| l.span) else {
            self.cursor.clear();
            self.done = true;
            return Ok(());
        };
        if index != self.index || !self.configured {
            self.enter_link(index)?;
        }
        let link = self.current();
        let mut key = g.saturating_sub(PRE_ROLL);
        // Each retry lowers `key` below the granule of the page just tried, so the loop ends
        // after at most as many rounds as the link has timed pages.
        loop {
            if key < link.span.first() || link.span.last_page() <= link.audio_offset {
                return self.restart_link(g);
            }
            let page = self.io.bisect_granule(
                link.audio_offset,
                link.span.last_page(),
                link.serial,
                key,
            )?;
            let Some(page) = page else {
                return self.restart_link(g);
            };
            if let Some(first) = self.first_position(page.end())? {
                if first <= key {
                    self.io.seek_to(page.end())?;
                    self.decoder.reset();
                    self.cursor.restart(first, g);
                    self.link_done = false;
                    self.done = false;
                    return Ok(());
                }
            }
            key = page.granule.saturating_sub(1);
        }
    }

    /// The granule position of the first packet read from `x`, from the next timed page that
    /// is not the link's last; `None` if there is none.
    fn first_position(&mut self, x: u64) -> Result<Option<i64>, Error> {
        let link = self.current();
        self.io.seek_to(x)?;
        self.io.demux.follow(Some(link.serial));
        let mut sum: i64 = 0;
        loop {
            while let Some(pkt) = self.io.demux.next_packet() {
                sum = sum.saturating_add(packet_frames(pkt.data).unwrap_or(0) as i64);
                if pkt.granule != -1 {
                    if pkt.page_offset == link.span.last_page() {
                        return Ok(None);
                    }
                    return Ok(Some(pkt.granule.saturating_sub(sum)));
                }
            }
            if self.io.next_page(link.end)?.is_none() {
                return Ok(None);
            }
        }
    }
}
