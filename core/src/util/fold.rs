//! A small case fold for matching and sorting names case-insensitively without core's full
//! Unicode lowercase table (11.7 KB of the firmware's flash): sort orders, playlist entries
//! and subtitle names all compare through it.

use core::cmp::Ordering;

/// Compares two strings case-insensitively, character by character through [`fold`], from
/// the first byte where they differ (an identical prefix is folded identically: sorting a
/// million titles that share their first words compares mostly that prefix).
pub(crate) fn fold_cmp(a: &str, b: &str) -> Ordering {
    let same = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    // Back to the start of the character the first difference is in.
    let at = (0..=same).rev().find(|&at| a.is_char_boundary(at)).unwrap_or(0);
    let (a, b) = (a.get(at..).unwrap_or(a), b.get(at..).unwrap_or(b));
    a.chars().map(fold).cmp(b.chars().map(fold))
}

/// A small case fold: the lowercase of an uppercase letter of ASCII, Latin-1, Latin
/// Extended-A, basic Greek and Cyrillic, computed rather than looked up (core's full Unicode
/// lowercase table is 11.7 KB of the firmware's flash); every other character is itself.
///
/// It agrees with `char::to_lowercase` on those blocks, except that `İ` (U+0130, lowercase
/// `i` plus a combining dot) folds to a plain `i`.
pub(crate) fn fold(c: char) -> char {
    let u = u32::from(c);
    let lower = match u {
        // ASCII, Latin-1 (but `×`), Greek (but the unassigned U+03A2) and Cyrillic А..Я:
        // the lowercase is 32 code points on.
        0x41..=0x5A | 0xC0..=0xDE | 0x391..=0x3AB | 0x410..=0x42F if u != 0xD7 && u != 0x3A2 => {
            u + 32
        }
        // Cyrillic Ѐ..Џ.
        0x400..=0x40F => u + 80,
        0x130 => u32::from(b'i'),
        0x178 => 0xFF,
        // Latin Extended-A: each uppercase letter is followed by its lowercase, pairs start on
        // an even code point except between the two letters without case (ĸ, ŉ).
        0x100..=0x137 | 0x14A..=0x177 if u % 2 == 0 => u + 1,
        0x139..=0x148 | 0x179..=0x17E if u % 2 == 1 => u + 1,
        _ => u,
    };
    char::from_u32(lower).unwrap_or(c)
}

/// Whether `a` and `b` are equal but for case, as [`fold`] sees case.
pub(crate) fn fold_eq(a: &str, b: &str) -> bool {
    a.chars().map(fold).eq(b.chars().map(fold))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where `fold` changes a character, it gives what std's full Unicode lowercase gives.
    #[test]
    fn fold_agrees_with_unicode_lowercase_where_it_folds() {
        let mut folded = 0;
        for c in (0..0x500).filter_map(char::from_u32) {
            let mut std_lower = c.to_lowercase();
            let first = std_lower.next();
            if c == '\u{130}' {
                assert_eq!(fold(c), 'i');
                continue;
            }
            if fold(c) != c {
                folded += 1;
                assert_eq!((first, std_lower.next()), (Some(fold(c)), None), "{c:?}");
            } else if c < '\u{180}' || matches!(c, '\u{391}'..='\u{3AB}' | '\u{400}'..='\u{42F}') {
                // Inside the folded blocks, a character left alone has no lowercase.
                assert_eq!(first, Some(c), "{c:?}");
            }
        }
        // A..Z, 30 of Latin-1, 62 of Extended-A (İ apart), 26 Greek (24 letters, Ϊ, Ϋ), and
        // 48 Cyrillic.
        assert_eq!(folded, 26 + 30 + 62 + 26 + 48);
    }

    #[test]
    fn names_equal_but_for_case() {
        assert!(fold_eq("Movie.ENG", "movie.eng"));
        assert!(fold_eq("ŁÓDŹ", "łódź"));
        assert!(!fold_eq("film", "films"));
        assert_eq!(fold_cmp("МОСКВА", "москва"), Ordering::Equal);
        // Shared prefixes, up to a difference inside a character or its case.
        assert_eq!(fold_cmp("Title 0123", "Title 0124"), Ordering::Less);
        assert_eq!(fold_cmp("Title é", "Title É"), Ordering::Equal);
        assert_eq!(fold_cmp("Title é", "Title ê"), Ordering::Less);
        assert_eq!(fold_cmp("aé", "aÉb"), Ordering::Less);
        assert_eq!(fold_cmp("ab", "ab"), Ordering::Equal);
        assert_eq!(fold_cmp("abC", "ab"), Ordering::Greater);
    }
}
