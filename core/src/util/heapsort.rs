//! A heapsort, for the sorts whose lists can be long: a Vorbis codebook's used entries (input
//! decides how many) and a container's children in the library.
//!
//! The standard library's `sort_unstable` is faster on long slices, but each instance of it
//! costs the firmware about 3 KB of flash (issue 5: flash at most 256 KiB), against a few
//! hundred bytes here. `O(n log n)` comparisons whatever the input, no allocation, no
//! recursion. Not stable: callers whose keys can tie add a tie-break (a position) to `cmp`.
//!
//! Every index below is under the slice's length, as each loop's bound shows, so the indexing
//! cannot panic.

use core::cmp::Ordering;

/// Sorts `v` by `cmp`, smallest first. Equal elements may be reordered.
pub(crate) fn sort_unstable_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let len = v.len();
    // Build a max-heap: every parent at least its children.
    for root in (0..len / 2).rev() {
        sift_down(v, root, len, &mut cmp);
    }
    // Move the largest to the end of the shrinking heap, restore the heap below it.
    for end in (1..len).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &mut cmp);
    }
}

/// Sinks `v[root]` into the heap `v[..end]` whose subtrees below `root` are heaps already.
/// `root < end <= v.len()`, and `child < end` is checked before each use, so no index is out
/// of bounds (and `2 * root + 1` cannot overflow: `root < v.len() <= isize::MAX`).
fn sift_down<T>(
    v: &mut [T],
    mut root: usize,
    end: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && cmp(&v[child], &v[child + 1]).is_lt() {
            child += 1;
        }
        if cmp(&v[root], &v[child]).is_ge() {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::sort_unstable_by;

    #[test]
    fn sorts_like_the_standard_sort() {
        // Random multisets of every length up to 300, few distinct keys and many.
        let mut seed = 0x2545_f491_u32;
        for len in 0..300 {
            for distinct in [3, 1000] {
                let mut v: std::vec::Vec<u32> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        seed % distinct
                    })
                    .collect();
                let mut expected = v.clone();
                expected.sort_unstable();
                sort_unstable_by(&mut v, |a, b| a.cmp(b));
                assert_eq!(v, expected);
            }
        }
    }
}
