//! The first walk's entries read on every core and put into the library in walk order.
//!
//! [`in_order`] has worker threads (one a core, at most [`MAX_WORKERS`]) each take the next
//! entry from the walk (an iterator, advanced by one worker at a time) and *read* it (for a
//! file: open it and probe its headers, the slow part, with no lock held), while the calling
//! thread *puts* what they read into the library in the walk's order. So the library grows as
//! a walk on one thread would grow it (folders before their files; objects get the same ids),
//! only sooner. Workers stay fewer than [`WINDOW`] entries ahead of the last one put, which
//! bounds what waits to be put, and since they take an entry only when they can read it, the
//! walk itself is never more than [`WINDOW`] + workers entries ahead: the entries in memory
//! at once are at most that many, however large the library.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Condvar, Mutex, PoisonError};

use anyhow::Result;

/// How many entries past the last one put the workers may read ahead.
pub const WINDOW: usize = 256;

/// The most worker threads, whatever the core count.
pub const MAX_WORKERS: usize = 8;

/// The number of workers for this machine: one a core, at least 1, at most [`MAX_WORKERS`].
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_WORKERS)
}

/// Calls `read` on every item of `items` on `workers` threads and `put` on this one, item by
/// item in order, each with what `read` gave for it. Ends at the first `put` that returns
/// `Ok(false)` (stop) or an error (returned), once the workers have finished the reads they
/// began. `items` is advanced on the worker threads, one at a time, never more than
/// [`WINDOW`] + `workers` items past the last one put.
pub fn in_order<T, R>(
    items: impl Iterator<Item = T> + Send,
    workers: usize,
    read: impl Fn(&T) -> R + Sync,
    mut put: impl FnMut(T, R) -> Result<bool>,
) -> Result<()>
where
    T: Send,
    R: Send,
{
    // The walk, and how many items it gave.
    let next = Mutex::new((items, 0usize));
    let done = AtomicBool::new(false);
    // How many items have been put; workers wait on it when they are a window ahead.
    let put_so_far = Mutex::new(0usize);
    let moved = Condvar::new();
    let (tx, rx) = mpsc::channel::<(usize, T, R)>();
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            let tx = tx.clone();
            let (next, done, put_so_far, moved, read) = (&next, &done, &put_so_far, &moved, &read);
            scope.spawn(move || loop {
                {
                    // The next item's number, then the wait for room, then the item.
                    let at = next.lock().unwrap_or_else(PoisonError::into_inner).1;
                    let mut put = put_so_far.lock().unwrap_or_else(PoisonError::into_inner);
                    while !done.load(Ordering::Relaxed) && at >= *put + WINDOW {
                        put = moved.wait(put).unwrap_or_else(PoisonError::into_inner);
                    }
                }
                if done.load(Ordering::Relaxed) {
                    break;
                }
                let (i, item) = {
                    let mut next = next.lock().unwrap_or_else(PoisonError::into_inner);
                    let Some(item) = next.0.next() else { break };
                    next.1 += 1;
                    (next.1 - 1, item)
                };
                let got = read(&item);
                if tx.send((i, item, got)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // At most WINDOW + workers results wait here for the one before them.
        let mut early: HashMap<usize, (T, R)> = HashMap::new();
        let mut result = Ok(());
        for at in 0.. {
            let got = match early.remove(&at) {
                Some(got) => Some(got),
                None => loop {
                    match rx.recv() {
                        Ok((i, item, got)) if i == at => break Some((item, got)),
                        Ok((i, item, got)) => {
                            early.insert(i, (item, got));
                        }
                        // Every worker ended: the walk is done and everything read was put.
                        Err(_) => break None,
                    }
                },
            };
            let Some(got) = got.map(|(item, got)| put(item, got)) else { break };
            *put_so_far.lock().unwrap_or_else(PoisonError::into_inner) = at + 1;
            moved.notify_all();
            match got {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        done.store(true, Ordering::Relaxed);
        // Taken and set under the lock, so a worker cannot miss it between check and wait.
        drop(put_so_far.lock().unwrap_or_else(PoisonError::into_inner));
        moved.notify_all();
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    #[test]
    fn every_item_is_put_in_order_with_what_was_read_for_it() {
        let items: Vec<u32> = (0..5_000).collect();
        let mut seen = Vec::new();
        in_order(
            items.iter().copied(),
            4,
            |&n| {
                // Later items read faster: results arrive out of order.
                if n % 97 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                u64::from(n) * 3
            },
            |n, r| {
                seen.push((n, r));
                Ok(true)
            },
        )
        .unwrap();
        let want: Vec<(u32, u64)> = items.iter().map(|&n| (n, u64::from(n) * 3)).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn stopping_or_failing_ends_early_and_the_walk_stays_within_the_window() {
        // The items are made as they are taken, as the walk makes its entries.
        let taken = AtomicUsize::new(0);
        let items = (0..100_000u32).inspect(|_| {
            taken.fetch_add(1, Ordering::Relaxed);
        });
        let reads = AtomicUsize::new(0);
        let mut put = 0;
        in_order(
            items,
            3,
            |_| reads.fetch_add(1, Ordering::Relaxed),
            |n, _| {
                put += 1;
                Ok(n < 999)
            },
        )
        .unwrap();
        assert_eq!(put, 1_000);
        let (read, taken) = (reads.load(Ordering::Relaxed), taken.load(Ordering::Relaxed));
        assert!((1_000..=1_000 + WINDOW + 3).contains(&read), "{read} read");
        assert_eq!(read, taken, "every item taken was read");

        let failed = in_order(
            0..100_000u32,
            2,
            |_| (),
            |n, ()| match n {
                10 => Err(anyhow::anyhow!("item 10")),
                _ => Ok(true),
            },
        );
        assert_eq!(failed.unwrap_err().to_string(), "item 10");
    }

    #[test]
    fn one_worker_and_no_items_work() {
        let mut seen = Vec::new();
        in_order(
            [1, 2, 3].into_iter(),
            1,
            |&n| n + 1,
            |_, r| {
                seen.push(r);
                Ok(true)
            },
        )
        .unwrap();
        assert_eq!(seen, [2, 3, 4]);
        in_order(std::iter::empty::<u8>(), 2, |_| (), |_, ()| Ok(true)).unwrap();
    }
}
