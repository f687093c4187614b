//! The GENA event sender: drives `rill_core`'s subscription table with real time and delivers
//! its NOTIFYs over TCP.
//!
//! The table (in [`Shared`], behind a mutex) decides everything: which events are due, their
//! bytes, moderation, expiry. This task wakes when the table may have something new (a
//! SUBSCRIBE through [`Env::with_events`], a library
//! change through [`publish`]) or at the table's `poll_at`, takes every NOTIFY that is due, and
//! sends each on its own connection to the callback address. That address is the subscriber's
//! own IP (the table refuses callbacks elsewhere), so the server never sends requests to third
//! parties. Every delivery is bounded by [`DELIVERY_TIMEOUT`] (connect, send, read the status
//! line) and reports back to the table, which keeps one NOTIFY per subscription in flight (so
//! they arrive in SEQ order) and drops subscribers that fail repeatedly.

use std::net::SocketAddr;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use anyhow::Result;
use rill_core::gena::{Delivery, MAX_NOTIFY};
use rill_core::server::Env;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::connection::Shared;

/// How long one NOTIFY may take, from connecting to reading the subscriber's status line.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(3);

/// Most bytes of the subscriber's answer read to find its status line.
const ANSWER_MAX: usize = 1024;

/// Tells the subscription table what changed in the library since the last call (the
/// SystemUpdateID and the containers [`Library::take_container_updates`] lists), and wakes the
/// sender. Call after each batch of library changes.
///
/// [`Library::take_container_updates`]: rill_core::library::Library::take_container_updates
pub fn publish(shared: &Shared) {
    let (system_update_id, containers) = {
        let mut library = shared.library.write().unwrap_or_else(PoisonError::into_inner);
        (library.system_update_id(), library.take_container_updates())
    };
    shared.with_events(|table| table.changed(system_update_id, &containers));
    shared.changes.send_replace(());
}

/// Sends NOTIFYs as the table makes them due, until `stop` is set.
pub async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> Result<()> {
    let mut buf = vec![0u8; MAX_NOTIFY];
    let mut deliveries: JoinSet<(Delivery, bool)> = JoinSet::new();
    loop {
        let (due, next) = {
            let mut table = shared.events.lock().unwrap_or_else(PoisonError::into_inner);
            let now = shared.now();
            let mut due = Vec::new();
            while let Some(n) = table.poll_notify(now, &mut buf) {
                due.push((n.dst, buf.get(..n.len).unwrap_or_default().to_vec(), n.delivery, n.seq));
            }
            (due, table.poll_at())
        };
        for (dst, bytes, delivery, seq) in due {
            tracing::debug!(%dst, seq, "GENA NOTIFY");
            deliveries.spawn(async move {
                let ok = match tokio::time::timeout(DELIVERY_TIMEOUT, deliver(dst, &bytes)).await {
                    Ok(Ok(status)) => (200..300).contains(&status),
                    Ok(Err(e)) => {
                        tracing::debug!(%dst, "NOTIFY failed: {e}");
                        false
                    }
                    Err(_) => false,
                };
                (delivery, ok)
            });
        }
        let wake = next.map(|at| shared.instant(at));
        tokio::select! {
            () = shared.events_changed.notified() => {}
            () = sleep_until(wake) => {}
            Some(done) = deliveries.join_next() => {
                if let Ok((delivery, ok)) = done {
                    shared.with_events(|table| table.delivered(delivery, ok));
                }
            }
            () = crate::serve::stopped(&mut stop) => return Ok(()),
        }
    }
}

/// Sends one NOTIFY and returns the status code of the answer.
async fn deliver(dst: SocketAddr, bytes: &[u8]) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect(dst).await?;
    stream.set_nodelay(true)?;
    stream.write_all(bytes).await?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 256];
    while !answer.windows(2).any(|w| w == b"\r\n") && answer.len() < ANSWER_MAX {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    rill_core::gena::event::answer_status(&answer)
        .ok_or_else(|| std::io::ErrorKind::InvalidData.into())
}

/// Sleeps until `at`, or forever if nothing is scheduled.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NOTIFY goes out as given and the subscriber's status comes back, whatever it is.
    #[tokio::test]
    async fn delivery_sends_the_bytes_and_reads_the_status() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let request = b"NOTIFY /cb HTTP/1.1\r\nCONTENT-LENGTH: 2\r\n\r\nok";
        let subscriber = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = vec![0u8; request.len()];
            s.read_exact(&mut got).await.unwrap();
            // The status line arrives in two pieces.
            s.write_all(b"HTTP/1.1 41").await.unwrap();
            s.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            s.write_all(b"2 Precondition Failed\r\n\r\n").await.unwrap();
            got
        });
        assert_eq!(deliver(addr, request).await.unwrap(), 412);
        assert_eq!(subscriber.await.unwrap(), request);
        // Nobody listening: an error, not a hang.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gone = closed.local_addr().unwrap();
        drop(closed);
        assert!(deliver(gone, request).await.is_err());
    }
}
