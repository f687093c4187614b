//! [`ObjectId`]: stable ContentDirectory object identifiers derived from paths.

use core::fmt;

/// A ContentDirectory object id.
///
/// The id of an object under a served folder is the FNV-1a 64-bit hash (offset basis
/// `0xcbf29ce484222325`, prime `0x100000001b3`) of the bytes
/// `root index as u16 little-endian ++ relative path as UTF-8`, the relative path using `/`
/// between components, without leading or trailing `/` (empty for the served folder itself).
/// The same file therefore gets the same id across restarts and whatever the scan order. The
/// root container is `0`; if a hash is `0` or is already taken by another path (a collision),
/// the next candidate hashes the same bytes followed by `0xFF` (never part of UTF-8) and a
/// probe number 1, 2, ... up to [`MAX_PROBES`]. Only colliding objects (about one pair in 2^64)
/// depend on insertion order. The library keeps no id in its objects: it computes the plain
/// candidate from an object's path or tags when needed and keeps only the others beside them.
///
/// The containers of the music tree are keyed by their tags rather than a path: an artist by
/// `artist NUL name NUL`, an album by `album NUL album artist NUL album NUL`, a genre by
/// `genre NUL name NUL`, hashed the same way after the root index `0xFFFF`. Paths never hold a
/// NUL, so these keys never equal a path's; the same tags give the same ids on every scan.
/// The fixed containers ([`super::Shelf`]) have small constant ids.
///
/// Printed as lower-case hexadecimal without leading zeros (`0` for the root); [`ObjectId::parse`]
/// accepts exactly that form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ObjectId(pub u64);

/// How many ids a path may try before [`super::Error::IdCollision`].
pub const MAX_PROBES: u8 = 8;

impl ObjectId {
    /// The root container, `0`.
    pub const ROOT: ObjectId = ObjectId(0);

    /// Parses the printed form; anything else (upper case, leading zeros, other characters,
    /// more than 16 digits) is `None`.
    pub fn parse(s: &str) -> Option<ObjectId> {
        let canonical = !s.is_empty()
            && s.len() <= 16
            && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && (s == "0" || !s.starts_with('0'));
        if !canonical {
            return None;
        }
        u64::from_str_radix(s, 16).ok().map(ObjectId)
    }
}

impl ObjectId {
    /// The printed form in a stack buffer: ids appear several times in every Browse entry, and
    /// `{:x}` goes through padded formatting.
    pub(crate) fn hex(self) -> Hex {
        let mut digits = [b'0'; 16];
        let mut start = digits.len() - 1;
        let mut rest = self.0;
        for (i, d) in digits.iter_mut().enumerate().rev() {
            *d = b"0123456789abcdef".get((rest & 0xf) as usize).copied().unwrap_or(b'0');
            rest >>= 4;
            if *d != b'0' {
                start = i;
            }
        }
        Hex { digits, start }
    }
}

/// An [`ObjectId`] printed, from [`ObjectId::hex`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hex {
    digits: [u8; 16],
    start: usize,
}

impl Hex {
    /// Lower-case hex without leading zeros (`0` for the root).
    pub(crate) fn as_str(&self) -> &str {
        // ASCII hex digits: valid UTF-8.
        core::str::from_utf8(self.digits.get(self.start..).unwrap_or(b"0")).unwrap_or("0")
    }
}

impl fmt::Display for ObjectId {
    /// Lower-case hex without leading zeros (`0` for the root).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hex().as_str())
    }
}

/// A streaming FNV-1a 64 state: hashing a path component by component lets every prefix's id
/// be computed in one pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PathHash(u64);

impl PathHash {
    /// The state after the root index.
    pub(crate) fn new(root: u16) -> Self {
        PathHash(0xcbf2_9ce4_8422_2325).feed(&root.to_le_bytes())
    }

    fn feed(mut self, bytes: &[u8]) -> Self {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self
    }

    /// The state after appending path component `name` (with a `/` unless it is the first).
    pub(crate) fn push(self, first: bool, name: &str) -> Self {
        let state = if first { self } else { self.feed(b"/") };
        state.feed(name.as_bytes())
    }

    /// The state for a music-tree container: `kind` and each part, each followed by NUL.
    pub(crate) fn tag(kind: &str, parts: &[&str]) -> Self {
        let mut state = PathHash::new(u16::MAX).feed(kind.as_bytes()).feed(&[0]);
        for part in parts {
            state = state.feed(part.as_bytes()).feed(&[0]);
        }
        state
    }

    /// The id candidate number `probe` (0 = the plain hash).
    pub(crate) fn candidate(self, probe: u8) -> ObjectId {
        match probe {
            0 => ObjectId(self.0),
            n => ObjectId(self.feed(&[0xFF, n]).0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_published_vectors() {
        // FNV-1a 64 of "" and "a" (from the FNV reference test suite).
        assert_eq!(PathHash(0xcbf2_9ce4_8422_2325).candidate(0).0, 0xcbf29ce484222325);
        assert_eq!(PathHash(0xcbf2_9ce4_8422_2325).feed(b"a").0, 0xaf63dc4c8601ec8c);
        assert_eq!(PathHash(0xcbf2_9ce4_8422_2325).feed(b"foobar").0, 0x85944171f73967e8);
        let direct = PathHash::new(3).feed(b"Music/a.ogg").candidate(0);
        let stepwise = PathHash::new(3).push(true, "Music").push(false, "a.ogg").candidate(0);
        assert_eq!(direct, stepwise);
        assert_ne!(stepwise, PathHash::new(4).feed(b"Music/a.ogg").candidate(0));
        assert_ne!(stepwise.0, PathHash::new(3).push(true, "Music").candidate(1).0);
    }

    #[test]
    fn prints_and_parses_canonical_hex() {
        let mut id = 0x9e37_79b9_7f4a_7c15u64;
        for fixed in [0, 1, 0xabc, 0x10, 0x8000_0000_0000_0000, u64::MAX] {
            id = id.rotate_left(7) ^ 0x1234_5678;
            for id in [fixed, id, id >> 17] {
                let text = ObjectId(id).to_string();
                assert_eq!(text, alloc::format!("{id:x}"));
                assert_eq!(ObjectId::parse(&text), Some(ObjectId(id)));
            }
        }
        assert_eq!(ObjectId::ROOT.to_string(), "0");
        for bad in ["", "00", "0a", "ABC", "x", "-1", "1 ", "10000000000000000"] {
            assert_eq!(ObjectId::parse(bad), None, "{bad:?}");
        }
    }
}
