//! [`Texts`]: the library's file and folder names and track titles, in one arena.
//!
//! A `Box<str>` per name costs a 16-byte handle and a heap block of its own (a header and
//! rounding, about 16 bytes more on glibc), and 100,000 small blocks fragment the heap. Here
//! every text is appended to one `String`, and an object keeps only where it lies ([`Text`]:
//! two `u32`, 8 bytes, which on 64-bit hosts fit where the object had padding).
//!
//! A replaced or removed text stays in the arena as garbage until [`Texts::wants_compacting`]
//! says it outweighs half the live texts; the store then copies the live texts into a new
//! arena ([`Texts::compact`]). So the arena holds at most 1.5 times its live texts (plus
//! 4 KiB), and each byte freed pays for a bounded share of a copy. Offsets are `u32`: the arena
//! holds at most 4 GiB ([`Error::Full`](super::Error::Full) past that).

use alloc::string::String;

use super::Error;

/// Where one text lies in a [`Texts`] arena: its offset and length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Text {
    at: u32,
    len: u32,
}

/// Garbage always tolerated, so that small libraries never compact.
const SLACK: usize = 4096;

/// The arena of texts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Texts {
    /// Each text's length bytes then its bytes, one after the other.
    buf: String,
    /// Bytes of texts freed (length bytes included), still in `buf`.
    garbage: usize,
}

impl Texts {
    /// Appends `text`; fails when the arena would pass 4 GiB.
    // Out of line, like `get`: one copy of the code instead of one at every caller saves the
    // firmware flash (NUCLEO-H743ZI2 has under 1 KB to spare).
    #[inline(never)]
    pub(crate) fn push(&mut self, text: &str) -> Result<Text, Error> {
        let at = u32::try_from(self.buf.len()).map_err(|_| Error::Full)?;
        let len = u32::try_from(text.len()).map_err(|_| Error::Full)?;
        at.checked_add(len).ok_or(Error::Full)?;
        self.buf.push_str(text);
        Ok(Text { at, len })
    }

    /// The text at `text` (empty for a place this arena never gave out).
    #[inline(never)]
    pub(crate) fn get(&self, text: Text) -> &str {
        let (at, len) = (text.at as usize, text.len as usize);
        self.buf.get(at..at.saturating_add(len)).unwrap_or("")
    }

    /// Records that `text` is no longer used.
    pub(crate) fn free(&mut self, text: Text) {
        self.garbage = self.garbage.saturating_add(text.len as usize);
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
        // A place it never gave out reads as empty, never panics.
        assert_eq!(texts.get(Text { at: u32::MAX, len: 9 }), "");
        assert_eq!(texts.get(Text { at: 1, len: 1 }), "", "inside a character");
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
        assert!(!texts.wants_compacting());
    }
}
