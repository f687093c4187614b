//! Buffers that SOAP answers and descriptions are rendered into, kept for the next answer.
//!
//! A Browse of 1,000 children renders 1.5 MB. Into a fresh buffer, that is an allocation
//! grown step by step (above glibc's mmap threshold: an `mmap`, three `mremap`s and an
//! `munmap`, or the heap grown with `brk` and trimmed again) whose pages the kernel faults in
//! anew on every request. The connection gives each answer's buffer back once it is sent
//! ([`rill_core::server::Env::answer_sent`]); [`Answers`] keeps a few of them, with their
//! pages, and lends them to the next answers ([`rill_core::server::Env::answer_buffer`]).
//!
//! Memory: at most [`KEPT`] buffers of at most [`MAX_CAPACITY`] bytes each are kept, 8 MiB in
//! all, and only after answers that large; a larger buffer, or one more, is freed as before.

use std::sync::{Mutex, PoisonError};

/// Buffers kept at most: as many answers as two async workers render at once (a connection
/// holds its buffer only while its answer is sent; more at once get new ones).
pub const KEPT: usize = 2;

/// Largest buffer kept, in bytes: room for a Browse of about 2,500 tracks (the buffer of a
/// 1,000-child answer, 1.5 MB, grows by doubling to about 2.1 MB). The buffers of larger
/// answers are freed.
pub const MAX_CAPACITY: usize = 4 << 20;

/// The kept buffers (see the module docs).
#[derive(Debug, Default)]
pub struct Answers {
    kept: Mutex<Vec<Vec<u8>>>,
}

impl Answers {
    /// An empty buffer for the next answer: the largest one kept, or a new one.
    pub fn take(&self) -> Vec<u8> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.pop().unwrap_or_default()
    }

    /// Keeps `buffer` (emptied) for a later answer, if it is no larger than [`MAX_CAPACITY`]
    /// and fewer than [`KEPT`] are kept; otherwise frees it. The largest are kept first.
    pub fn give(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() == 0 || buffer.capacity() > MAX_CAPACITY {
            return;
        }
        buffer.clear();
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() < KEPT {
            kept.push(buffer);
            kept.sort_by_key(Vec::capacity);
        } else if let Some(least) = kept.first_mut().filter(|l| l.capacity() < buffer.capacity()) {
            // Replaces the smallest kept, which is freed once the lock is released.
            let smallest = std::mem::replace(least, buffer);
            kept.sort_by_key(Vec::capacity);
            drop(kept);
            drop(smallest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_with_their_capacity_within_the_bounds() {
        let answers = Answers::default();
        assert_eq!(answers.take().capacity(), 0, "nothing kept at first");
        answers.give(Vec::with_capacity(1 << 20));
        let lent = answers.take();
        assert!(lent.is_empty());
        assert_eq!(lent.capacity(), 1 << 20, "the same allocation comes back");
        answers.give(vec![1; MAX_CAPACITY + 1]);
        assert_eq!(answers.take().capacity(), 0, "larger buffers are freed");
        for i in 1..=KEPT + 2 {
            answers.give(Vec::with_capacity(i * 1024));
        }
        let mut kept: Vec<usize> =
            std::iter::from_fn(|| Some(answers.take().capacity())).take_while(|&c| c > 0).collect();
        kept.sort_unstable();
        let largest: Vec<usize> = (3..=KEPT + 2).map(|i| i * 1024).collect();
        assert_eq!(kept, largest, "at most KEPT, the largest");
    }
}
