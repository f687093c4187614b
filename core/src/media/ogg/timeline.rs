//! The granule timeline of an Ogg audio link, shared by the Opus and Vorbis readers.
//!
//! A link's pages carry granule positions: the position, in samples, just past the last sample
//! of the last packet that ends on the page (`-1` on a page where none ends). A codec's reader
//! learns three things from them when it opens a file, and this module turns those into
//! positions:
//!
//! - where the link's first decoded sample lies: the first timed page's granule minus the
//!   durations of the packets up to it ([`first_granule`]); larger than 0 for a stream cut out
//!   of a longer one;
//! - where its output starts ([`Span::first`]): there, plus Opus's pre-skip; Vorbis clamps a
//!   trimmed (negative) start to 0;
//! - where it ends ([`Span::end`]): the last timed page's granule, which may cut the last
//!   packet short (end trim), so that page is never a reference for the position.
//!
//! A chained file is a sequence of links, each a [`Span`] numbered from the frame after the
//! previous link's last ([`Span::first_frame`]); [`locate`] maps a frame of the whole file to its
//! link and granule. While reading, a [`Cursor`] follows the decoder: each decoded packet is
//! placed by the page granule it ends on (or after the previous packet), and only its samples
//! inside `[first, end)`, not before a seek target and never twice, are handed out.
//!
//! Pure arithmetic on `i64` granules with saturating operations: no input makes it panic, and
//! the ranges it hands out always lie inside the packet they were computed for.

use core::ops::Range;

/// Where a link's output lies: in granule space, and among the frames of the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Granule position of the link's first output sample (after pre-skip or start trim).
    first: i64,
    /// Granule position just past its last output sample: the last timed page's granule, at
    /// least `first`.
    end: i64,
    /// Byte offset of the last timed page.
    last_page: u64,
    /// Index of the link's first frame in the whole file.
    first_frame: u64,
    /// `end - first`.
    frames: u64,
}

impl Span {
    /// The span of a link whose output starts at granule `first` and whose last timed page,
    /// at byte `last_page`, has granule `last` (a link ending before it starts is empty), its
    /// first frame numbered `first_frame` in the whole file.
    pub fn new(first: i64, last: i64, last_page: u64, first_frame: u64) -> Span {
        let end = last.max(first);
        Span { first, end, last_page, first_frame, frames: end.abs_diff(first) }
    }

    /// Granule position of the link's first output sample (after pre-skip or start trim).
    pub fn first(&self) -> i64 {
        self.first
    }

    /// Granule position just past the link's last output sample: the last timed page's
    /// granule (end trim), at least [`Span::first`].
    pub fn end(&self) -> i64 {
        self.end
    }

    /// Byte offset of the last timed page, whose granule may be end-trimmed: never used to
    /// place a packet or as a seek reference.
    pub fn last_page(&self) -> u64 {
        self.last_page
    }

    /// Index of the link's first frame in the whole file.
    pub fn first_frame(&self) -> u64 {
        self.first_frame
    }

    /// Exact number of output frames of the link.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Index just past the link's last frame in the whole file: the next link's first frame.
    pub fn end_frame(&self) -> u64 {
        self.first_frame.saturating_add(self.frames)
    }

    /// Index in the whole file of the frame at granule `g` (clamped to the link).
    pub fn frame_at(&self, g: i64) -> u64 {
        let local = u64::try_from(g.saturating_sub(self.first)).unwrap_or(0);
        self.first_frame.saturating_add(local.min(self.frames))
    }
}

/// The link holding frame `frame` of the whole file, among links whose spans `span` gives in
/// order, and the granule position of that frame in it; `None` past the last frame.
pub fn locate<L>(links: &[L], frame: u64, span: impl Fn(&L) -> Span) -> Option<(usize, i64)> {
    let index = links.partition_point(|l| span(l).end_frame() <= frame);
    let s = span(links.get(index)?);
    // `first_frame <= frame < end_frame`: the offset is below `frames`, an `i64` difference.
    let offset = i64::try_from(frame.saturating_sub(s.first_frame)).unwrap_or(i64::MAX);
    Some((index, s.first.saturating_add(offset)))
}

/// Granule position of a link's first decoded sample, from its first timed page: that page's
/// `granule` minus the samples `decoded` by the packets up to and ending on it. A page that
/// claims fewer samples than were decoded is end-trimmed if it is also the last page (`eos`,
/// the only place the Ogg mappings allow it), so the link starts at 0; otherwise the result is
/// negative and the caller decides (Vorbis trims the start as libvorbis does; Opus clamps).
pub fn first_granule(granule: i64, decoded: i64, eos: bool) -> i64 {
    if eos && granule < decoded {
        0
    } else {
        granule.saturating_sub(decoded)
    }
}

/// Where a reader stands in a link's timeline: the position of the decoder and the frames of
/// its last packet still to hand out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor {
    /// Granule position just past the last decoded sample.
    pos: i64,
    /// Granule position of the next frame handed out.
    next: i64,
    /// No frame before this granule position is handed out (a seek target).
    skip_to: i64,
    /// Frames of the last decoded packet still to hand out, as indices into it.
    avail: Range<usize>,
}

impl Cursor {
    /// Restarts after a decoder reset: the next packet decoded starts at granule `decoded`,
    /// and frames are handed out from granule `from` on.
    pub fn restart(&mut self, decoded: i64, from: i64) {
        *self = Cursor { pos: decoded, next: from, skip_to: from, avail: 0..0 };
    }

    /// Places a decoded packet of `frames` frames that ended on the page at byte `page` with
    /// granule `granule` (`-1` unless it is the last packet ending there) and makes its frames
    /// inside `span`, at or after the seek target and not yet handed out, available (in place
    /// of what the previous packet left). The
    /// position is re-synchronised on every page granule but the last page's (end-trimmed).
    /// `false` once the packet starts at or after the link's end: the link is done.
    pub fn place(&mut self, span: &Span, frames: usize, granule: i64, page: u64) -> bool {
        // A packet holds at most a few thousand frames: `as` cannot wrap for a real one.
        let n = frames as i64;
        self.avail = 0..0;
        self.pos = self.pos.saturating_add(n);
        if granule != -1 && page != span.last_page {
            self.pos = granule;
        }
        let start = self.pos.saturating_sub(n);
        if start >= span.end {
            return false;
        }
        let lo = start.max(self.skip_to).max(span.first).max(self.next);
        let hi = self.pos.min(span.end);
        if lo < hi {
            // `start <= lo < hi <= pos = start + n` (`start` is `pos - n` exactly, whether or
            // not `pos` saturated): indices into the packet's frames, no overflow.
            self.avail = (lo - start) as usize..(hi - start) as usize;
            self.next = lo;
        }
        true
    }

    /// Frames of the last packet placed still to hand out, as indices into its frames.
    pub fn avail(&self) -> Range<usize> {
        self.avail.clone()
    }

    /// Marks `n` of the available frames as handed out.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.avail.len());
        self.avail.start += n;
        self.next = self.next.saturating_add(n as i64);
    }

    /// Drops the frames still available (the reader stops, or moves elsewhere).
    pub fn clear(&mut self) {
        self.avail = 0..0;
    }

    /// Index in the whole file of the next frame handed out, in the link of `span`.
    pub fn position(&self, span: &Span) -> u64 {
        span.frame_at(self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Places packets of `sizes` frames, each ending on its own page `i` with the granule
    /// given (or -1), and collects the granules handed out.
    fn play(span: &Span, cursor: &mut Cursor, packets: &[(usize, i64, u64)]) -> (Vec<i64>, bool) {
        let mut out = Vec::new();
        for &(frames, granule, page) in packets {
            if !cursor.place(span, frames, granule, page) {
                return (out, true);
            }
            let avail = cursor.avail();
            for _ in avail.clone() {
                out.push(cursor.next);
                cursor.consume(1);
            }
            assert!(avail.end <= frames, "{avail:?} inside the packet of {frames}");
        }
        (out, false)
    }

    #[test]
    fn a_stream_starting_at_a_nonzero_granule_numbers_its_frames_from_zero() {
        // Cut out of a longer stream: the first timed page (granule 72_960) ends 2 packets of
        // 480 frames; pre-skip 312.
        let start = first_granule(72_960, 960, false);
        assert_eq!(start, 72_000);
        let span = Span::new(start + 312, 80_000, 900, 0);
        assert_eq!(span.frames(), 80_000 - 72_312);
        let mut c = Cursor::default();
        c.restart(start, span.first());
        let (out, done) = play(&span, &mut c, &[(480, -1, 100), (480, 72_960, 100)]);
        assert!(!done);
        // Pre-skip: the first 312 frames are not handed out.
        assert_eq!(out.first(), Some(&72_312));
        assert_eq!(out.len(), 960 - 312);
        assert_eq!(c.position(&span), 960 - 312);
        assert_eq!(span.frame_at(span.first()), 0);
        assert_eq!(locate(&[span], 0, |s| *s), Some((0, 72_312)));
    }

    #[test]
    fn the_last_page_trims_the_end_and_is_no_position_reference() {
        // Last page at byte 500 claims 1_100 after packets of 1_000 and 1_000: its packet
        // keeps 100 frames; its granule must not move the packet back.
        let span = Span::new(0, 1_100, 500, 0);
        let mut c = Cursor::default();
        c.restart(0, 0);
        let (out, done) = play(&span, &mut c, &[(1_000, 1_000, 400), (1_000, 1_100, 500)]);
        assert!(!done);
        assert_eq!(out.len(), 1_100);
        assert_eq!(out.last(), Some(&1_099));
        assert_eq!(c.position(&span), 1_100);
        // A packet after the end ends the link.
        assert!(!c.place(&span, 10, -1, 600));
    }

    #[test]
    fn an_end_trimmed_first_page_starts_the_link_at_zero() {
        // One EOS page claiming 700 frames after 1_024 decoded: cut at the end.
        assert_eq!(first_granule(700, 1_024, true), 0);
        // Without EOS the start is trimmed instead (negative; Vorbis places it as libvorbis).
        assert_eq!(first_granule(700, 1_024, false), -324);
        assert_eq!(first_granule(i64::MIN, 5, false), i64::MIN);
        let span = Span::new(0, 700, 0, 0);
        let mut c = Cursor::default();
        c.restart(0, 0);
        let (out, _) = play(&span, &mut c, &[(1_024, 700, 0)]);
        assert_eq!(out, (0..700).collect::<Vec<_>>());
    }

    #[test]
    fn chained_links_number_frames_across_the_file() {
        let a = Span::new(312, 48_312, 1_000, 0);
        let b = Span::new(5_000 + 312, 5_000 + 312 + 9_600, 2_000, a.end_frame());
        let c = Span::new(0, 0, 3_000, b.end_frame()); // an empty link
        let d = Span::new(0, 10, 4_000, c.end_frame());
        let links = [a, b, c, d];
        assert_eq!(b.first_frame(), 48_000);
        assert_eq!(d.first_frame(), 57_600);
        assert_eq!(locate(&links, 0, |s| *s), Some((0, 312)));
        assert_eq!(locate(&links, 47_999, |s| *s), Some((0, 48_311)));
        assert_eq!(locate(&links, 48_000, |s| *s), Some((1, 5_312)));
        // The empty link holds no frame: its frame index belongs to the next one.
        assert_eq!(locate(&links, 57_600, |s| *s), Some((3, 0)));
        assert_eq!(locate(&links, 57_610, |s| *s), None);
        assert_eq!(locate(&links, u64::MAX, |s| *s), None);
        // A link whose last granule lies before its start is empty, not negative.
        assert_eq!(Span::new(100, 50, 0, 7).frames(), 0);
        assert_eq!(Span::new(100, 50, 0, 7).end_frame(), 7);
    }

    #[test]
    fn a_seek_hands_out_frames_from_its_target_only() {
        let span = Span::new(0, 10_000, 9_000, 0);
        let mut c = Cursor::default();
        // Decoding restarts at 2_048 (pre-roll) for a target of 3_000.
        c.restart(2_048, 3_000);
        let (out, _) = play(&span, &mut c, &[(512, -1, 100), (512, 3_072, 100), (512, -1, 200)]);
        assert_eq!(out.first(), Some(&3_000));
        assert_eq!(out.len(), 3_584 - 3_000);
        assert_eq!(c.position(&span), 3_584);
        // A page granule that moves a packet back never hands a frame out twice.
        let (out, _) = play(&span, &mut c, &[(512, 3_200, 300), (512, -1, 400)]);
        assert_eq!(out.first(), Some(&3_584));
        assert_eq!(out.len(), 4_096 - 3_584 - 384);
    }

    #[test]
    fn extreme_granules_neither_panic_nor_escape_the_packet() {
        let spans =
            [Span::new(i64::MIN, i64::MAX, 0, 0), Span::new(i64::MAX, i64::MIN, 1, u64::MAX)];
        for span in spans {
            let mut c = Cursor::default();
            c.restart(i64::MIN, i64::MIN);
            for (frames, granule) in [(usize::MAX, -1), (7, i64::MAX), (7, i64::MIN), (0, 5)] {
                c.place(&span, frames, granule, 9);
                assert!(c.avail().start <= c.avail().end);
                assert!(c.avail().end <= frames);
                c.consume(usize::MAX);
            }
            let _ = c.position(&span);
            let _ = locate(&[span], u64::MAX - 1, |s| *s);
        }
    }
}
