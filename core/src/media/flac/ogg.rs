//! Frames of an Ogg FLAC stream (RFC 9639 §10.1): FLAC in Ogg, one frame per packet.
//!
//! The first packet of the stream's BOS page is `0x7F "FLAC"`, the mapping version, a header
//! count, `fLaC` and STREAMINFO; each following header packet is one metadata block; then each
//! packet is a frame. Whether a `.ogg`/`.oga` file holds FLAC is decided here, by that first
//! packet, never by the file name. Other logical streams multiplexed with it are skipped; a
//! chained file is read up to the end of its first FLAC link (later links have other
//! serials). Frames are checked as in native streams (CRC-8 and CRC-16); a damaged packet is
//! skipped.
//!
//! Pages come from the Ogg reader the Opus and Vorbis readers share (`ogg::io`): this module
//! only picks out the FLAC stream's packets. Seeks need no granules: each frame header holds
//! its first sample, so [`FlacFile::seek`](super::FlacFile::seek) probes byte offsets for Ogg
//! FLAC as for native streams, and a probe's first frame is the first packet completed after it.
//!
//! Memory: the Ogg demuxer's page buffer (at most [`MAX_PAGE_LEN`]) and its buffer for packets
//! that span pages (at most the largest frame the stream allows, cut to the budget).

use alloc::vec::Vec;

use embedded_io::{Read, Seek};

use super::frame::{self, Pcm};
use super::header::FrameHeader;
use super::metadata::{self, StreamInfo, STREAMINFO_LEN};
use super::Error;
use crate::media::ogg::io::{self, Io};
use crate::media::ogg::packet::{Demuxer, PageInfo};
pub use crate::media::ogg::page::MAX_PAGE_LEN;

/// Length of the first header packet: mapping header (13), block header (4), STREAMINFO.
const FIRST_PACKET_LEN: usize = 17 + STREAMINFO_LEN;

/// What the header packets of an Ogg FLAC stream hold.
pub(super) struct Headers {
    pub(super) info: StreamInfo,
    /// The VORBIS_COMMENT block body, if any.
    pub(super) comment: Vec<u8>,
    /// A PICTURE block was present.
    pub(super) picture: bool,
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e {
            io::Error::Io(kind) => Error::Io(kind),
            io::Error::Budget => Error::Budget,
        }
    }
}

/// An Ogg FLAC source. See the module docs.
pub(super) struct OggFlac<R> {
    io: Io<R>,
    serial: u32,
}

impl<R: Read + Seek> OggFlac<R> {
    /// Reads the headers of the first FLAC stream of `src`, `len` bytes long; the demuxer may
    /// hold `budget` bytes while doing so, the comment block `comment_budget`.
    /// [`Error::NotFlac`] when the first logical streams hold no FLAC.
    pub(super) fn open(
        src: R,
        len: u64,
        budget: usize,
        comment_budget: usize,
    ) -> Result<(Self, Headers), Error> {
        let mut demux = Demuxer::new(budget).map_err(|_| Error::OutOfMemory)?;
        demux.set_heap_limit(budget);
        let mut me = OggFlac { io: Io::new(src, demux, len), serial: 0 };
        me.io.seek_to(0)?;
        // The BOS pages come first: look for the FLAC one among them.
        let info = loop {
            let Some(page) = me.next_page()? else { return Err(Error::NotFlac) };
            if !page.bos {
                return Err(Error::NotFlac);
            }
            let Some(pkt) = me.io.demux.next_packet() else { continue };
            let Some(head) = pkt.data.strip_prefix(b"\x7FFLAC\x01") else { continue };
            let Some(si) = head.get(3..).and_then(|b| b.strip_prefix(b"fLaC\x00\x00\x00\x22"))
            else {
                return Err(Error::BadMetadata);
            };
            let si: &[u8; STREAMINFO_LEN] = si
                .get(..STREAMINFO_LEN)
                .and_then(|s| s.try_into().ok())
                .ok_or(Error::BadMetadata)?;
            if pkt.data.len() < FIRST_PACKET_LEN {
                return Err(Error::BadMetadata);
            }
            break StreamInfo::parse(si)?;
        };
        me.serial = me.io.demux.page().map_or(0, |p| p.serial);
        me.io.demux.follow(Some(me.serial));
        let mut headers = Headers { info, comment: Vec::new(), picture: false };
        'blocks: loop {
            while let Some(pkt) = me.io.demux.next_packet() {
                let Some(&first) = pkt.data.first() else { continue };
                if first == 0xFF {
                    break 'blocks; // the first frame
                }
                let body = pkt.data.get(4..).unwrap_or_default();
                match first & 0x7F {
                    metadata::VORBIS_COMMENT if headers.comment.is_empty() => {
                        if body.len() > comment_budget {
                            return Err(Error::Budget);
                        }
                        let c = &mut headers.comment;
                        c.try_reserve_exact(body.len()).map_err(|_| Error::OutOfMemory)?;
                        c.extend_from_slice(body);
                    }
                    metadata::PICTURE => headers.picture = true,
                    _ => {}
                }
                if first & 0x80 != 0 {
                    break 'blocks;
                }
            }
            if me.next_page()?.is_none() {
                break;
            }
        }
        Ok((me, headers))
    }

    /// Lets packets spanning pages grow to `max_packet` bytes, the demuxer's two buffers to
    /// `limit` bytes together.
    pub(super) fn set_limits(&mut self, max_packet: usize, limit: usize) -> Result<(), Error> {
        let mut demux = Demuxer::new(max_packet).map_err(|_| Error::OutOfMemory)?;
        demux.set_heap_limit(limit);
        demux.follow(Some(self.serial));
        self.io.demux = demux;
        Ok(())
    }

    /// Heap held now.
    pub(super) fn heap_bytes(&self) -> usize {
        self.io.demux.heap_bytes()
    }

    /// The source back.
    pub(super) fn into_inner(self) -> R {
        self.io.src
    }

    /// The next page of the source; `None` at its end.
    fn next_page(&mut self) -> Result<Option<PageInfo>, Error> {
        Ok(self.io.next_page(self.io.len)?)
    }

    /// Positions at byte `offset`: the next frame is the first packet completed after it.
    pub(super) fn seek_bytes(&mut self, offset: u64) -> Result<(), Error> {
        Ok(self.io.seek_to(offset)?)
    }

    /// Decodes the next good frame into `pcm`; `None` at the end of the stream. The offset
    /// returned is that of the page the frame ends on.
    pub(super) fn next_frame(
        &mut self,
        info: &StreamInfo,
        pcm: &mut Pcm,
    ) -> Result<Option<(FrameHeader, u64)>, Error> {
        loop {
            while let Some(pkt) = self.io.demux.next_packet() {
                if pkt.data.first() != Some(&0xFF) {
                    continue;
                }
                let page = pkt.page_offset;
                if let Ok((h, _)) = frame::decode(pkt.data, info, pcm) {
                    return Ok(Some((h, page)));
                }
            }
            if self.next_page()?.is_none() {
                return Ok(None);
            }
        }
    }
}
