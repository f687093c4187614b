//! Re-paging real Ogg Vorbis files into the awkward shapes a reader must survive.
//!
//! [`Stream::parse`] splits a single-link file into its packets and gives every audio packet
//! its exact end position (granule), derived from the original page granules and the packets'
//! block sizes. [`Stream::pages`] lays the packets out again under a [`Layout`]: tiny pages
//! (packets spanning many pages, so pages with granule -1), a shifted granule origin (a
//! non-zero first granule, or start trimming when shifted down), a chosen serial. The page list
//! can then lose a page ([`drop_page`]), get a corrupted page ([`corrupt_page`]) or be chained
//! with other links ([`join`]). Pages are written with the real Ogg CRC.

use rill_core::media::ogg::packet::Demuxer;
use rill_core::media::ogg::page::Page;
use rill_core::media::vorbis::{packet_kind, Ident, PacketKind, Setup};

/// One packet with its end position (granule space); -1 for header packets.
#[derive(Debug, Clone)]
pub struct Packet {
    /// Packet bytes.
    pub data: Vec<u8>,
    /// Granule position at the end of the packet's output.
    pub end: i64,
}

/// The packets of one logical Vorbis stream.
#[derive(Debug, Clone)]
pub struct Stream {
    /// The three header packets.
    pub headers: Vec<Vec<u8>>,
    /// Audio packets with exact end positions (the last one keeps the file's final granule).
    pub audio: Vec<Packet>,
}

/// How to lay packets out on pages.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Serial number of the written stream.
    pub serial: u32,
    /// Most packet bytes per page (at most 255 * 255); small values make packets span pages.
    pub max_body: usize,
    /// Most packets ending on one page.
    pub max_packets: usize,
    /// Added to every granule (negative: start trimming).
    pub shift: i64,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { serial: 0x5eed, max_body: 4096, max_packets: 64, shift: 0 }
    }
}

impl Stream {
    /// Splits a single-link Ogg Vorbis file into packets with exact end positions.
    pub fn parse(file: &[u8]) -> Stream {
        let mut demux = Demuxer::new(1 << 20).expect("memory");
        let mut raw: Vec<(Vec<u8>, i64)> = Vec::new();
        let mut rest = file;
        loop {
            while demux.next_page().is_some() {
                while let Some(p) = demux.next_packet() {
                    raw.push((p.data.to_vec(), p.granule));
                }
            }
            if rest.is_empty() {
                break;
            }
            let n = demux.feed(rest);
            rest = &rest[n..];
        }
        let headers: Vec<Vec<u8>> = raw.iter().take(3).map(|(d, _)| d.clone()).collect();
        assert_eq!(packet_kind(&headers[0]), PacketKind::Ident, "not an Ogg Vorbis file");
        let ident = Ident::parse(&headers[0]).expect("ident");
        let setup = Setup::parse(&ident, &headers[2]).expect("setup");
        let audio: Vec<(Vec<u8>, i64, i64)> = raw[3..]
            .iter()
            .map(|(d, g)| (d.clone(), *g, i64::from(setup.packet_blocksize(d).expect("audio"))))
            .collect();
        // Frames each packet completes: none for the first.
        let n: Vec<i64> = (0..audio.len())
            .map(|k| if k == 0 { 0 } else { (audio[k - 1].2 + audio[k].2) / 4 })
            .collect();
        let first_timed = audio.iter().position(|a| a.1 != -1).expect("a timed page");
        let mut end = vec![0i64; audio.len()];
        end[first_timed] = audio[first_timed].1;
        for k in (0..first_timed).rev() {
            end[k] = end[k + 1] - n[k + 1];
        }
        for k in first_timed + 1..audio.len() {
            end[k] = end[k - 1] + n[k];
        }
        let last = audio.len() - 1;
        if first_timed == last && end[0] < 0 {
            // One timed page that is also the last: the Vorbis spec cuts such a stream at the
            // end, so the packets count from 0.
            end[0] = 0;
            for k in 1..audio.len() {
                end[k] = end[k - 1] + n[k];
            }
        }
        end[last] = audio[last].1;
        let audio = audio.into_iter().zip(end).map(|((data, _, _), end)| Packet { data, end });
        Stream { headers, audio: audio.collect() }
    }

    /// Writes the stream as pages: the identification header alone on a BOS page, the other
    /// headers on their own page(s), then audio under `layout`; the last page is EOS.
    pub fn pages(&self, layout: &Layout) -> Vec<Vec<u8>> {
        let mut w = Writer { layout: *layout, pages: Vec::new(), seq: 0 };
        w.packets(&self.headers[..1], &[-1], true, layout.max_body, 1);
        w.packets(&self.headers[1..], &[-1, -1], false, 255 * 255, 2);
        let data: Vec<Vec<u8>> = self.audio.iter().map(|p| p.data.clone()).collect();
        let ends: Vec<i64> = self.audio.iter().map(|p| p.end + layout.shift).collect();
        w.packets(&data, &ends, false, layout.max_body, layout.max_packets);
        if let Some(last) = w.pages.last_mut() {
            last[5] |= 4;
            fix_crc(last);
        }
        w.pages
    }

    /// The stream as one file under `layout`.
    pub fn write(&self, layout: &Layout) -> Vec<u8> {
        join(&[self.pages(layout)])
    }
}

struct Writer {
    layout: Layout,
    pages: Vec<Vec<u8>>,
    seq: u32,
}

impl Writer {
    /// Lays `packets` out on fresh pages (flushing at the end).
    fn packets(
        &mut self,
        packets: &[Vec<u8>],
        ends: &[i64],
        bos: bool,
        max_body: usize,
        max_n: usize,
    ) {
        let max_body = max_body.clamp(1, 255 * 255);
        let mut lacing: Vec<u8> = Vec::new();
        let mut body: Vec<u8> = Vec::new();
        let mut ended = 0;
        let mut granule = -1i64;
        let mut continued = false;
        let mut first = bos;
        for (p, &end) in packets.iter().zip(ends) {
            let mut rest = &p[..];
            let mut placed = false;
            loop {
                // Segments of this packet that fit on the current page.
                let seg = rest.len().min(255);
                if lacing.len() == 255 || body.len() + seg > max_body && !lacing.is_empty() {
                    self.emit(&lacing, &body, granule, continued, first);
                    first = false;
                    continued = placed;
                    lacing.clear();
                    body.clear();
                    ended = 0;
                    granule = -1;
                }
                lacing.push(seg as u8);
                body.extend_from_slice(&rest[..seg]);
                rest = &rest[seg..];
                placed = true;
                if seg < 255 {
                    break;
                }
            }
            ended += 1;
            granule = if end == -1 { 0 } else { end };
            if ended >= max_n || body.len() >= max_body {
                self.emit(&lacing, &body, granule, continued, first);
                first = false;
                continued = false;
                lacing.clear();
                body.clear();
                ended = 0;
                granule = -1;
            }
        }
        if !lacing.is_empty() {
            self.emit(&lacing, &body, granule, continued, first);
        }
    }

    fn emit(&mut self, lacing: &[u8], body: &[u8], granule: i64, continued: bool, bos: bool) {
        let mut p = Vec::with_capacity(27 + lacing.len() + body.len());
        p.extend_from_slice(b"OggS\0");
        p.push(u8::from(continued) | if bos { 2 } else { 0 });
        p.extend_from_slice(&granule.to_le_bytes());
        p.extend_from_slice(&self.layout.serial.to_le_bytes());
        p.extend_from_slice(&self.seq.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.push(lacing.len() as u8);
        p.extend_from_slice(lacing);
        p.extend_from_slice(body);
        fix_crc(&mut p);
        self.seq += 1;
        self.pages.push(p);
    }
}

/// Recomputes the CRC of a page.
pub fn fix_crc(page: &mut [u8]) {
    Page::new_checked(page).expect("a page").fill_checksum();
}

/// Removes page `index` (a hole in the sequence numbers).
pub fn drop_page(pages: &mut Vec<Vec<u8>>, index: usize) {
    pages.remove(index);
}

/// Flips a byte in the body of page `index` without fixing the CRC.
pub fn corrupt_page(pages: &mut [Vec<u8>], index: usize) {
    let p = &mut pages[index];
    let at = p.len() - 1;
    p[at] ^= 0x5a;
}

/// Concatenates links (each a page list) into one chained file.
pub fn join(links: &[Vec<Vec<u8>>]) -> Vec<u8> {
    links.iter().flatten().flatten().copied().collect()
}

/// The same file with every page moved to logical stream `serial` (CRCs recomputed), so that
/// copies of one encoded file can be chained: links need distinct serials.
pub fn set_serial(file: &[u8], serial: u32) -> Vec<u8> {
    let mut out = file.to_vec();
    let mut at = 0;
    while let Ok(page) = Page::new_checked(&out[at..]) {
        let len = page.total_len();
        out[at + 14..at + 18].copy_from_slice(&serial.to_le_bytes());
        fix_crc(&mut out[at..at + len]);
        at += len;
    }
    assert_eq!(at, out.len(), "not a clean sequence of pages");
    out
}

/// Multiplexes a second, non-Vorbis logical stream (`serial`) into a single-link page list: its
/// BOS page goes first (before the Vorbis BOS page, as an Ogg Skeleton track does), then one of
/// its pages follows every third page of `pages`, the last one flagged EOS.
pub fn multiplex(pages: &[Vec<u8>], serial: u32) -> Vec<Vec<u8>> {
    let mut seq = 0u32;
    let mut foreign = |flags: u8, fill: u8| {
        let mut p = b"OggS\0".to_vec();
        p.push(flags);
        p.extend_from_slice(&i64::from(seq).to_le_bytes());
        p.extend_from_slice(&serial.to_le_bytes());
        p.extend_from_slice(&seq.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(&[2, 255, 40]);
        p.extend(std::iter::repeat_n(fill, 295));
        fix_crc(&mut p);
        seq += 1;
        p
    };
    let mut out = vec![foreign(2, b'f')];
    for (i, p) in pages.iter().enumerate() {
        out.push(p.clone());
        if i % 3 == 2 {
            out.push(foreign(0, b'O'));
        }
    }
    out.push(foreign(4, b'S'));
    out
}
