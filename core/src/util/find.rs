//! Finding a short needle (`"?>"`, `"]]>"`, `"::"`) in a string by a plain scan.
//!
//! `str::find` with a string pattern builds core's two-way searcher, about 1.5 KB of flash on
//! the firmware (issue 5: flash at most 256 KiB); for needles of two or three bytes a scan is
//! as fast. UTF-8 is self-synchronising, so a match of a whole string starts and ends on char
//! boundaries.

/// Where `needle` first starts in `hay` (as `hay.find(needle)`).
pub(crate) fn find(hay: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let last = hay.len().checked_sub(needle.len())?;
    (0..=last).find(|&at| hay.get(at..at + needle.len()) == Some(needle))
}

/// `hay` cut around the first `needle`: what comes before and after it (as `str::split_once`).
#[cfg(feature = "alloc")] // Only GENA, which needs `alloc`, uses it.
pub(crate) fn split_once<'a>(hay: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = find(hay, needle)?;
    Some((hay.get(..at)?, hay.get(at + needle.len()..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_str_find_on_every_cut() {
        let hay = "a?>b]]>c::d é::?>";
        for needle in ["?>", "]]>", "::", "é", ">", "zz", "é::?>x", ""] {
            for from in (0..=hay.len()).filter(|&i| hay.is_char_boundary(i)) {
                let hay = &hay[from..];
                assert_eq!(find(hay, needle), hay.find(needle), "{needle:?} in {hay:?}");
                #[cfg(feature = "alloc")]
                assert_eq!(split_once(hay, needle), hay.split_once(needle));
            }
        }
    }
}
