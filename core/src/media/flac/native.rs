//! Frames of a native FLAC stream (`fLaC`, metadata, frames) over a seekable source.
//!
//! [`Native`] keeps a window of the source in one buffer and finds frames in it by their
//! sync code: a candidate is decoded whole, and only a frame whose header (CRC-8) and body
//! (CRC-16) check out is handed out. A damaged frame, junk between frames or after the last
//! one (an ID3v1 or APEv2 tag) is passed over a byte at a time, so a damaged frame is skipped
//! and junk at the end ends the stream cleanly.
//!
//! Before a frame is decoded the buffer is filled to half its size, STREAMINFO's largest
//! frame: a frame the buffer held only in part would be decoded up to the buffer's end, found
//! truncated, and decoded again after the refill. Refilling only on that error did so before
//! nearly every frame of a stream whose frames are all about the largest size (the buffer
//! holds two), wasting about half a frame's decoding each; filling ahead made 16-bit stereo
//! 1.23x and 24-bit 96 kHz stereo 1.10x faster (BENCHMARKS.md). A frame longer than half the
//! buffer (STREAMINFO wrong or silent) can still be decoded twice.
//!
//! Memory: the buffer starts at [`INITIAL_BUF`] bytes (or twice STREAMINFO's largest frame)
//! and grows, when a frame does not fit, up to the limit given at construction (the largest
//! frame the stream's block size, channels and depth allow, cut to the memory budget). A frame
//! longer than the limit cannot be decoded and is passed over like a damaged one.

use alloc::vec::Vec;

use embedded_io::{Read, Seek, SeekFrom};

use super::frame::{self, Pcm};
use super::header::{FrameHeader, MAX_HEADER_LEN};
use super::metadata::StreamInfo;
use super::Error;

/// Initial size of the input buffer when STREAMINFO gives no frame size.
pub(super) const INITIAL_BUF: usize = 16 * 1024;

/// A native FLAC source positioned somewhere in its frames. See the module docs.
pub(super) struct Native<R> {
    pub(super) src: R,
    buf: Vec<u8>,
    /// Unconsumed bytes are `buf[head..tail]`.
    head: usize,
    tail: usize,
    /// Source offset of `buf[head]`.
    offset: u64,
    /// The source has no more bytes after `buf[..tail]`.
    eof: bool,
    /// Largest size the buffer may grow to.
    limit: usize,
}

impl<R: Read + Seek> Native<R> {
    /// A source whose buffer may grow to `limit` bytes; allocates its initial buffer.
    pub(super) fn new(src: R, info: &StreamInfo, limit: usize) -> Result<Self, Error> {
        let want = if info.max_frame > 0 { info.max_frame as usize * 2 } else { INITIAL_BUF };
        let size = want.max(MAX_HEADER_LEN).min(limit);
        let mut buf = Vec::new();
        buf.try_reserve_exact(size).map_err(|_| Error::OutOfMemory)?;
        buf.resize(size, 0);
        Ok(Native { src, buf, head: 0, tail: 0, offset: 0, eof: true, limit })
    }

    /// Heap held now.
    pub(super) fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Positions at byte `offset` of the source.
    pub(super) fn seek_bytes(&mut self, offset: u64) -> Result<(), Error> {
        self.src.seek(SeekFrom::Start(offset)).map_err(Error::io)?;
        self.head = 0;
        self.tail = 0;
        self.offset = offset;
        self.eof = false;
        Ok(())
    }

    /// Drops `n` buffered bytes.
    fn consume(&mut self, n: usize) {
        let n = n.min(self.tail - self.head);
        self.head += n;
        self.offset += n as u64;
    }

    /// Reads more of the source into the buffer, compacting and growing it as needed; `false`
    /// when nothing more can be read (end of source, or a full buffer at its limit).
    fn fill(&mut self) -> Result<bool, Error> {
        if self.eof {
            return Ok(false);
        }
        if self.head > 0 {
            self.buf.copy_within(self.head..self.tail, 0);
            self.tail -= self.head;
            self.head = 0;
        }
        if self.tail == self.buf.len() {
            let len = self.buf.len().saturating_mul(2).min(self.limit);
            if len <= self.buf.len() {
                return Ok(false);
            }
            let extra = len - self.buf.len();
            self.buf.try_reserve_exact(extra).map_err(|_| Error::OutOfMemory)?;
            self.buf.resize(len, 0);
        }
        let space = self.buf.get_mut(self.tail..).unwrap_or_default();
        let n = self.src.read(space).map_err(Error::io)?;
        if n == 0 {
            self.eof = true;
        }
        self.tail += n;
        Ok(n > 0)
    }

    /// Decodes the next good frame at or after the current position into `pcm`; `None` at
    /// the end of the source.
    pub(super) fn next_frame(
        &mut self,
        info: &StreamInfo,
        pcm: &mut Pcm,
    ) -> Result<Option<(FrameHeader, u64)>, Error> {
        loop {
            let data = self.buf.get(self.head..self.tail).unwrap_or_default();
            let sync = data.windows(2).position(|w| w[0] == 0xFF && w[1] & 0xFE == 0xF8);
            let Some(at) = sync else {
                // Keep a last 0xFF: it may start a sync code with the next byte read.
                let keep = usize::from(data.last() == Some(&0xFF));
                self.consume(data.len() - keep);
                if !self.fill()? {
                    return Ok(None);
                }
                continue;
            };
            self.consume(at);
            // Half the buffer (STREAMINFO's largest frame) before a frame is decoded: a frame
            // held only in part would be decoded up to the buffer's end, then again after a
            // refill.
            if self.tail - self.head < self.buf.len() / 2 && self.fill()? {
                continue;
            }
            let data = self.buf.get(self.head..self.tail).unwrap_or_default();
            match frame::decode(data, info, pcm) {
                Ok((h, used)) => {
                    let start = self.offset;
                    self.consume(used);
                    return Ok(Some((h, start)));
                }
                Err(Error::Truncated) => {
                    if !self.fill()? {
                        self.consume(1);
                    }
                }
                Err(_) => self.consume(1),
            }
        }
    }
}
