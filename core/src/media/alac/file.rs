//! [`AlacFile`]: ALAC in an MP4 file over a `Read + Seek` source, read as interleaved PCM,
//! with an exact length and exact seeks.
//!
//! Opening reads the movie box ([`Movie::read`], bounded by [`mp4::DEFAULT_MOOV_BUDGET`]) and
//! keeps it; the sample tables are views into it. The length is the sum of the time-to-sample
//! table (one sample is one packet of `frameLength` frames, the last one partial; the media
//! timescale must be the sample rate). Reading fetches one packet at a time by the cursor
//! over the tables and decodes it whole. Seeking finds the packet holding the frame in the
//! time table, decodes it and skips to the frame: packets are independent, so the samples
//! are those of a full decode.
//!
//! Memory: the movie box, the decoder's lanes ([`Decoder::heap_bytes`]), one packet (at most
//! [`max_packet`] bytes) and one packet of PCM (`frameLength × channels` `i32`).

use alloc::vec::Vec;
use core::ops::Range;

use embedded_io::{Read, Seek, SeekFrom};

use super::{Config, Decoder, Error};
use crate::media::mp4::table::{Cursor, SampleTable, Spans};
use crate::media::mp4::{self, Codec, Movie};
use crate::media::pcm;

/// Largest packet accepted for `config`: raw samples at 32 bits plus headers. ALAC never
/// codes a packet larger than its escaped (uncompressed) form.
pub fn max_packet(config: &Config) -> usize {
    config.frame_length as usize * usize::from(config.channels) * 4 + 1024
}

/// An ALAC track of an MP4 file, read as PCM. See the module docs.
pub struct AlacFile<R> {
    src: R,
    movie: Movie,
    spans: Spans,
    decoder: Decoder,
    /// The next packet to fetch.
    cursor: Cursor,
    packet: Vec<u8>,
    /// One decoded packet, interleaved.
    pcm: Vec<i32>,
    /// Frames of `pcm` not yet handed out.
    avail: Range<usize>,
    /// Index of the next frame handed out.
    position: u64,
    total: u64,
}

fn alloc_zeroed<T: Clone + Default>(n: usize) -> Result<Vec<T>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::OutOfMemory)?;
    v.resize(n, T::default());
    Ok(v)
}

impl<R: Read + Seek> AlacFile<R> {
    /// Opens the first sound track of the MP4 file `src`, which must be ALAC.
    pub fn open(mut src: R) -> Result<Self, Error> {
        let movie = Movie::read(&mut src, mp4::DEFAULT_MOOV_BUDGET)?;
        let track = movie.audio()?;
        let Codec::Alac { cookie } = track.codec else {
            return Err(Error::Mp4(mp4::Error::NoAudio));
        };
        let config = Config::parse(cookie)?;
        if track.timescale != config.rate {
            return Err(Error::Unsupported);
        }
        let samples = track.samples;
        let total = samples.duration();
        let spans = samples.spans(movie.moov());
        let cursor = samples.cursor(0).or_else(|e| {
            if samples.is_empty() {
                Ok(Cursor::default())
            } else {
                Err(e)
            }
        })?;
        let decoder = Decoder::new(config)?;
        let pcm = alloc_zeroed(config.frame_length as usize * usize::from(config.channels))?;
        let mut packet = Vec::new();
        packet.try_reserve_exact(max_packet(&config)).map_err(|_| Error::OutOfMemory)?;
        Ok(AlacFile {
            src,
            movie,
            spans,
            decoder,
            cursor,
            packet,
            pcm,
            avail: 0..0,
            position: 0,
            total,
        })
    }

    fn config(&self) -> &Config {
        self.decoder.config()
    }

    fn table(&self) -> SampleTable<'_> {
        self.spans.table(self.movie.moov())
    }

    /// Sample rate in Hz.
    pub fn rate(&self) -> u32 {
        self.config().rate
    }

    /// Channel count (1 to 8), in coded order.
    pub fn channels(&self) -> u8 {
        self.config().channels
    }

    /// Bits per sample: 16, 20, 24 or 32.
    pub fn bits(&self) -> u8 {
        self.config().bit_depth
    }

    /// Exact number of frames.
    pub fn total_frames(&self) -> u64 {
        self.total
    }

    /// Index of the next frame to be read.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Heap held: movie box, decoder, packet and PCM buffers.
    pub fn heap_bytes(&self) -> usize {
        self.movie.heap_bytes()
            + self.decoder.heap_bytes()
            + self.packet.capacity()
            + self.pcm.capacity() * core::mem::size_of::<i32>()
    }

    /// The source back.
    pub fn into_inner(self) -> R {
        self.src
    }

    /// Fetches and decodes the packet at the cursor; `false` past the last one.
    fn next_packet(&mut self) -> Result<bool, Error> {
        let table = self.spans.table(self.movie.moov());
        let Some(at) = self.cursor.location(&table) else { return Ok(false) };
        let size = at.size as usize;
        if size > max_packet(self.decoder.config()) {
            return Err(Error::Corrupt);
        }
        self.packet.clear();
        self.packet.resize(size, 0);
        self.src
            .seek(SeekFrom::Start(at.offset))
            .map_err(|e| Error::Io(embedded_io::Error::kind(&e)))?;
        self.src.read_exact(&mut self.packet).map_err(|_| Error::Truncated)?;
        self.cursor.advance(&table)?;
        let frames = self.decoder.decode(&self.packet, &mut self.pcm)?;
        self.avail = 0..frames;
        Ok(true)
    }

    /// Makes frames ready to read (decodes the next packet if none is left); `false` at the
    /// end.
    pub fn prepare(&mut self) -> Result<bool, Error> {
        while self.avail.is_empty() {
            if self.position >= self.total || !self.next_packet()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Reads interleaved samples into `out` (whole frames, at most the rest of one packet);
    /// returns the number of frames, 0 at the end. `out` must hold at least one frame.
    pub fn read(&mut self, out: &mut [i32]) -> Result<usize, Error> {
        self.read_with(out, |s, _| s)
    }

    /// Reads like [`AlacFile::read`], samples rounded to 16 bits as `media::pcm::to_i16` does
    /// (16-bit streams as they are).
    pub fn read_i16(&mut self, out: &mut [i16]) -> Result<usize, Error> {
        self.read_with(out, pcm::to_i16)
    }

    /// Reads like [`AlacFile::read`], samples scaled to [-1, 1).
    pub fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, Error> {
        self.read_with(out, pcm::to_f32)
    }

    /// Reads up to one packet's rest of frames into `out`, each sample through `conv` (given
    /// the sample and the bit depth).
    fn read_with<T>(&mut self, out: &mut [T], conv: impl Fn(i32, u8) -> T) -> Result<usize, Error> {
        let ch = usize::from(self.channels());
        if out.len() < ch {
            return Err(Error::BufferTooSmall);
        }
        if !self.prepare()? {
            return Ok(0);
        }
        let left = usize::try_from(self.total - self.position).unwrap_or(usize::MAX);
        let n = self.avail.len().min(out.len() / ch).min(left);
        let from = self
            .pcm
            .get(self.avail.start * ch..(self.avail.start + n) * ch)
            .ok_or(Error::Corrupt)?;
        let bits = self.bits();
        let to = out.get_mut(..n * ch).ok_or(Error::BufferTooSmall)?;
        for (o, &s) in to.iter_mut().zip(from) {
            *o = conv(s, bits);
        }
        self.avail.start += n;
        self.position += n as u64;
        if self.position >= self.total {
            self.avail = 0..0;
        }
        Ok(n)
    }

    /// Positions the reader so the next frame read is `frame` (the end if past it).
    pub fn seek(&mut self, frame: u64) -> Result<(), Error> {
        self.avail = 0..0;
        if frame >= self.total {
            self.position = self.total;
            return Ok(());
        }
        let table = self.table();
        let (sample, start) = table.sample_at(frame).ok_or(Error::Corrupt)?;
        self.cursor = table.cursor(sample)?;
        self.position = start;
        let skip = usize::try_from(frame - start).map_err(|_| Error::Corrupt)?;
        if !self.next_packet()? {
            return Err(Error::Corrupt);
        }
        if skip > self.avail.len() {
            return Err(Error::Corrupt);
        }
        self.avail.start += skip;
        self.position = frame;
        Ok(())
    }
}
