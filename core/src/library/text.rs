//! [`Texts`]: the library's file and folder names and track titles, in one arena.
//!
//! A `Box<str>` per name costs a 16-byte handle and a heap block of its own (a header and
//! rounding, about 16 bytes more on glibc), and 100,000 small blocks fragment the heap. Here
//! every text is appended to one `String`, behind its length, and an object keeps only the
//! 4-byte offset ([`Text`]). The length is written in ASCII bytes (six bits each, bit 6 set on
//! all but the last), so the arena stays valid UTF-8 and a text is read back with a bounds
//! check and no UTF-8 validation: one byte for texts under 64 bytes, two under 4,096.
//!
//! A replaced or removed text stays in the arena as garbage until [`Texts::wants_compacting`]
//! says it outweighs half the live texts; the store then copies the live texts into a new
//! arena ([`Texts::compact`]). So the arena holds at most 1.5 times its live texts (plus
//! 4 KiB), and each byte freed pays for a bounded share of a copy. Offsets are `u32`: the arena
//! holds at most 4 GiB ([`Error::Full`](super::Error::Full) past that).

use alloc::string::String;

use super::Error;

/// Where one text starts in a [`Texts`] arena (the offset of its length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Text(u32);

/// Bits of the length in each length byte.
const BITS: u32 = 6;
/// Set in each length byte that has another after it.
const MORE: u8 = 0x40;
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
    pub(crate) fn push(&mut self, text: &str) -> Result<Text, Error> {
        let at = u32::try_from(self.buf.len()).map_err(|_| Error::Full)?;
        let mut len = text.len();
        loop {
            // Six bits a byte: each below 0x80, so ASCII.
            let low = (len & 0x3f) as u8;
            len >>= BITS;
            if len == 0 {
                self.buf.push(char::from(low));
                break;
            }
            self.buf.push(char::from(low | MORE));
        }
        self.buf.push_str(text);
        u32::try_from(self.buf.len()).map_err(|_| Error::Full)?;
        Ok(Text(at))
    }

    /// Where the text at `text` lies in `buf`: its bytes, and where its entry starts.
    fn span(&self, text: Text) -> Option<(usize, usize)> {
        let bytes = self.buf.as_bytes();
        let mut at = usize::try_from(text.0).ok()?;
        let (mut len, mut shift) = (0usize, 0u32);
        loop {
            let byte = *bytes.get(at)?;
            at += 1;
            len |= usize::from(byte & 0x3f).checked_shl(shift)?;
            if byte & MORE == 0 {
                break;
            }
            shift += BITS;
        }
        Some((at, at.checked_add(len)?))
    }

    /// The text at `text` (empty for an offset this arena never gave out).
    pub(crate) fn get(&self, text: Text) -> &str {
        self.span(text).and_then(|(start, end)| self.buf.get(start..end)).unwrap_or("")
    }

    /// Records that `text` is no longer used.
    pub(crate) fn free(&mut self, text: Text) {
        if let (Some((_, end)), Ok(start)) = (self.span(text), usize::try_from(text.0)) {
            self.garbage = self.garbage.saturating_add(end.saturating_sub(start));
        }
    }

    /// Whether the garbage outweighs half the live texts (and [`SLACK`]).
    pub(crate) fn wants_compacting(&self) -> bool {
        let live = self.buf.len().saturating_sub(self.garbage);
        self.garbage > SLACK && self.garbage > live / 2
    }

    /// Starts a compaction: returns the old arena and leaves an empty one sized for the live
    /// texts, which the owner fills with [`Texts::keep`] for every text still in use.
    pub(crate) fn compact(&mut self) -> Texts {
        let live = self.buf.len().saturating_sub(self.garbage);
        core::mem::replace(self, Texts { buf: String::with_capacity(live), garbage: 0 })
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
        // One length byte under 64, two under 4,096.
        let before = texts.len();
        texts.push(&"a".repeat(63)).unwrap();
        assert_eq!(texts.len() - before, 64);
        let before = texts.len();
        texts.push(&"a".repeat(4095)).unwrap();
        assert_eq!(texts.len() - before, 4097);
        // An offset it never gave out reads as empty, never panics.
        assert_eq!(texts.get(Text(u32::MAX)), "");
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
