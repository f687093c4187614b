//! [`Texts`]: the library's file and folder names and items' records (see `item.rs`: their
//! numbers written as the lengths here are, their titles), in one arena.
//!
//! A `Box<str>` per name costs a 16-byte handle and a heap block of its own (a header and
//! rounding, about 16 bytes more on glibc), and 100,000 small blocks fragment the heap. Here
//! every text is appended to one `String` behind its length, and an object keeps only where it
//! lies ([`Text`]: one `u32`, 4 bytes).
//!
//! The length goes before the text in ASCII bytes, so the arena stays UTF-8 and a text is read
//! without validating it: six bits a byte, the last byte below `0x40` and those before it from
//! `0x40` to `0x7F` (a name shorter than 64 bytes, nearly every one, takes one byte; a `u32`
//! length at most six). Offset 0 is the empty text, always there, so [`Text::default`] reads
//! as empty whatever the arena holds.
//!
//! A replaced or removed text stays in the arena as garbage until [`Texts::wants_compacting`]
//! says it outweighs half the live texts; the store then copies the live texts into a new
//! arena ([`Texts::compact`]). So the arena holds at most 1.5 times its live texts (plus
//! 4 KiB), and each byte freed pays for a bounded share of a copy. Offsets are `u32`: the arena
//! holds at most 4 GiB ([`Error::Full`](super::Error::Full) past that).

use alloc::string::String;

use super::Error;

/// Where one text lies in a [`Texts`] arena: the offset of its length bytes. The default,
/// offset 0, is the empty text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Text {
    at: u32,
}

/// Garbage always tolerated, so that small libraries never compact.
const SLACK: usize = 4096;

/// Bits of a length in each of its bytes.
const BITS: u32 = 6;

/// Marks a length byte that more length bytes follow.
const MORE: u8 = 0x40;

/// The most bytes a number takes (a `u64`: eleven groups of six bits).
const MAX_NUMBER_BYTES: usize = 11;

/// Appends `n` to `out` as a text's length is written: groups of six bits, most significant
/// first, every byte but the last marked with [`MORE`], all of them ASCII (so whatever is
/// written stays UTF-8). A number below 64 takes one byte, below 4,096 two, a `u32` at most
/// six, a `u64` at most eleven. Items' records are written with it too (see `item.rs`).
pub(crate) fn put_number(out: &mut String, n: u64) {
    let groups = (u64::BITS - n.leading_zeros()).div_ceil(BITS).max(1);
    for group in (0..groups).rev() {
        let bits = (n >> (group * BITS)) as u8 & (MORE - 1);
        out.push(char::from(if group > 0 { bits | MORE } else { bits }));
    }
}

/// Reads the numbers [`put_number`] wrote, one after the other, from bytes.
#[derive(Debug, Clone)]
pub(crate) struct Numbers<'a> {
    bytes: &'a [u8],
    /// Where the next number starts.
    at: usize,
}

impl<'a> Numbers<'a> {
    /// The numbers at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Numbers { bytes: text.as_bytes(), at: 0 }
    }

    /// The next number; `None` past the end, or for one that is cut short or passes `u64`
    /// (which [`put_number`] never writes).
    pub(crate) fn next(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for _ in 0..MAX_NUMBER_BYTES {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            if n >> (u64::BITS - BITS) != 0 {
                return None;
            }
            n = n << BITS | u64::from(byte & (MORE - 1));
            if byte & !(MORE - 1) == 0 {
                return Some(n);
            }
        }
        None
    }

    /// The next number, or 0 where [`Numbers::next`] has none. Out of line and returned in
    /// registers: an item's record is read with a dozen calls of it (see `item.rs`), each
    /// smaller than a call of `next` and its `Option` (NUCLEO-H743ZI2's flash).
    #[inline(never)]
    pub(crate) fn next_or_0(&mut self) -> u64 {
        self.next().unwrap_or(0)
    }

    /// The next number as a `u32`, or 0 where [`Numbers::next_or_0`] gives a larger one (out
    /// of line too).
    #[inline(never)]
    pub(crate) fn next_u32(&mut self) -> u32 {
        u32::try_from(self.next_or_0()).unwrap_or(0)
    }

    /// Where the next number starts, in bytes from the start.
    pub(crate) fn at(&self) -> usize {
        self.at
    }
}

/// The arena of texts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Texts {
    /// Each text's length bytes then its bytes, one after the other, after the empty text at
    /// offset 0 (a single length byte, 0) once anything was pushed.
    buf: String,
    /// Bytes of texts freed (length bytes included), still in `buf`.
    garbage: usize,
}

impl Texts {
    /// Appends `text`; fails when the arena would pass 4 GiB.
    // Out of line, like `get`: one copy of the code instead of one at every caller saves the
    // firmware flash (NUCLEO-H743ZI2 has a few KB to spare).
    #[inline(never)]
    pub(crate) fn push(&mut self, text: &str) -> Result<Text, Error> {
        if text.is_empty() {
            return Ok(Text::default());
        }
        if self.buf.is_empty() {
            self.buf.push('\0');
        }
        let at = u32::try_from(self.buf.len()).map_err(|_| Error::Full)?;
        let len = u32::try_from(text.len()).map_err(|_| Error::Full)?;
        let groups = (u32::BITS - len.leading_zeros()).div_ceil(BITS).max(1);
        u32::try_from(text.len() + groups as usize)
            .ok()
            .and_then(|n| at.checked_add(n))
            .ok_or(Error::Full)?;
        put_number(&mut self.buf, u64::from(len));
        self.buf.push_str(text);
        Ok(Text { at })
    }

    /// Where the text at `text` starts and how long it is (length bytes included), or `None`
    /// for a place this arena never gave out.
    fn span(&self, text: Text) -> Option<(usize, usize)> {
        let mut numbers = Numbers { bytes: self.buf.as_bytes(), at: text.at as usize };
        let len = usize::try_from(numbers.next()?).ok()?;
        Some((numbers.at, len))
    }

    /// The text at `text` (empty for a place this arena never gave out).
    #[inline(never)]
    pub(crate) fn get(&self, text: Text) -> &str {
        self.span(text)
            .and_then(|(start, len)| self.buf.get(start..start.saturating_add(len)))
            .unwrap_or("")
    }

    /// Records that `text` is no longer used.
    pub(crate) fn free(&mut self, text: Text) {
        if let Some((start, len)) = self.span(text).filter(|_| text.at > 0) {
            let bytes = (start - text.at as usize).saturating_add(len);
            self.garbage = self.garbage.saturating_add(bytes);
        }
    }

    /// Whether the garbage outweighs half the live texts (and [`SLACK`]).
    pub(crate) fn wants_compacting(&self) -> bool {
        let live = self.buf.len().saturating_sub(self.garbage);
        self.garbage > SLACK && self.garbage > live / 2
    }

    /// Starts a compaction: returns the old arena and leaves an empty one, which the owner
    /// fills with [`Texts::keep`] for every text still in use.
    pub(crate) fn compact(&mut self) -> Texts {
        core::mem::take(self)
    }

    /// Copies `text` of the `old` arena (from [`Texts::compact`]) into this one.
    pub(crate) fn keep(&mut self, old: &Texts, text: Text) -> Result<Text, Error> {
        self.push(old.get(text))
    }

    /// Gives back the arena's spare capacity (it grew by doubling).
    pub(crate) fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// Bytes the arena holds, garbage included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    #[test]
    fn texts_of_every_length_read_back() {
        let mut texts = Texts::default();
        let samples: Vec<String> = [0, 1, 63, 64, 65, 4095, 4096, 70_000]
            .iter()
            .map(|&n| "é".repeat(n / 2) + &"x".repeat(n % 2))
            .chain(["", "01 - Title.flac", "日本語"].iter().map(|s| s.to_string()))
            .collect();
        let handles: Vec<Text> = samples.iter().map(|s| texts.push(s).unwrap()).collect();
        for (s, &h) in samples.iter().zip(&handles) {
            assert_eq!(texts.get(h), s);
        }
        // The default reads as empty, whatever the arena holds. (A length byte outside ASCII
        // would be pushed as two bytes and misread: the texts above would not read back.)
        assert_eq!(texts.get(Text::default()), "");
        // A place it never gave out reads as empty (or as some text), never panics.
        assert_eq!(texts.get(Text { at: u32::MAX }), "");
        for at in 0..u32::try_from(texts.len()).unwrap() {
            let _ = texts.get(Text { at });
        }
    }

    #[test]
    fn garbage_is_compacted_once_it_outweighs_half_the_live_texts() {
        let mut texts = Texts::default();
        let names: Vec<String> = (0..2000).map(|n| alloc::format!("{n:04} - track.flac")).collect();
        let mut handles: Vec<Text> = names.iter().map(|s| texts.push(s).unwrap()).collect();
        assert!(!texts.wants_compacting());
        // Free every fourth text: garbage is a third of the live texts, not yet enough.
        for h in handles.iter().step_by(4) {
            texts.free(*h);
        }
        assert!(!texts.wants_compacting());
        // Free another fourth: as much garbage as live texts.
        for h in handles.iter().skip(1).step_by(4) {
            texts.free(*h);
        }
        assert!(texts.wants_compacting());
        let old = texts.compact();
        for (n, h) in handles.iter_mut().enumerate().filter(|(n, _)| n % 4 >= 2) {
            *h = texts.keep(&old, *h).unwrap();
            assert_eq!(texts.get(*h), names[n]);
        }
        assert_eq!(texts.len(), old.len() - old.garbage);
        assert_eq!(texts.get(Text::default()), "");
        assert!(!texts.wants_compacting());
    }
}
