//! Child processes the tests start (`rill serve`, tools): their output, line by line.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc;
use std::thread;

/// The lines of `out` (a child's piped standard error or output), read by a thread of their
/// own so the child never blocks on a full pipe; the channel ends when the child closes it.
pub fn lines(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
