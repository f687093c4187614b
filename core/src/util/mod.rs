//! Small helpers core uses in place of the standard library's, each to save firmware flash
//! (issue 5: flash at most 256 KiB):
//! - [`fold`]: a case fold computed for the Latin, Greek and Cyrillic letters, instead of
//!   `char::to_lowercase`'s table;
//! - [`find`]: finding a short needle in a string by a plain scan, instead of `str::find`'s
//!   two-way searcher;
//! - `heapsort` (with `alloc`): an unstable `O(n log n)` sort without allocation or recursion,
//!   for the lists that can be long (a Vorbis codebook's entries, a library container's
//!   children);
//! - [`insertion_sort`]: a stable quadratic sort for short, bounded lists (a Vorbis floor's
//!   posts, a `Range` header's spans);
//! - `math` (with `alloc`): the `f64` sine, cosine, arctangent, square root and `ldexp` of
//!   the decoders' setup tables, on 32-bit targets smaller than `libm`'s (bounded arguments);
//! - `wide` (with `alloc`): `a × b / c` through a 128-bit product, written once rather than inlined at
//!   every call site.

pub(crate) mod find;
#[cfg(feature = "alloc")]
pub(crate) mod fold;
#[cfg(feature = "alloc")]
pub(crate) mod heapsort;
pub(crate) mod insertion_sort;
#[cfg(feature = "alloc")]
pub(crate) mod math;
#[cfg(feature = "alloc")]
pub(crate) mod wide;
