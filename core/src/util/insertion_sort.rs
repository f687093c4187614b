//! An insertion sort for the few short lists core sorts outside the library: the posts of a
//! Vorbis floor (at most 65) and the byte ranges of a `Range` header (at most
//! [`MAX_RANGES`](crate::http::range::MAX_RANGES)).
//!
//! The standard library's sorts are fast on long slices but each instance costs the firmware
//! a few KB of flash (issue 5: flash at most 256 KiB); for lists this short, a quadratic sort
//! of a few dozen bytes of code is as fast.

/// Sorts `v` by `key`, smallest first; equal keys keep their order. Quadratic: only for
/// short, bounded slices.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    for end in 1..v.len() {
        // `v[..end]` is sorted; sink `v[end]` into it.
        let mut at = end;
        while let Some(pair) = at.checked_sub(1).and_then(|before| v.get_mut(before..=at)) {
            let [a, b] = pair else { break };
            if key(b) >= key(a) {
                break;
            }
            core::mem::swap(a, b);
            at -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sort_by_key;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        // Every arrangement of a small multiset, with the original positions to see stability.
        let mut seed = 0x2545_f491_u32;
        for len in 0..12 {
            for _ in 0..50 {
                let mut v: std::vec::Vec<(u32, usize)> = (0..len)
                    .map(|i| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        (seed % 4, i)
                    })
                    .collect();
                let mut expected = v.clone();
                expected.sort_by_key(|e| e.0);
                sort_by_key(&mut v, |e| e.0);
                assert_eq!(v, expected);
            }
        }
    }
}
