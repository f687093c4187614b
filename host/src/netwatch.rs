//! Hearing the network change: a `NETLINK_ROUTE` socket that wakes Rill when a link or an IPv4
//! address appears, changes or vanishes.
//!
//! The socket is bound to the multicast groups `RTMGRP_LINK` (links added, removed, brought up
//! or down, flags changed) and `RTMGRP_IPV4_IFADDR` (IPv4 addresses added or removed), so the
//! kernel sends it a message on each such change and on nothing else: while the network stays
//! as it is, the task waiting on it never wakes. The messages are not parsed. Each change only
//! says "look again": the caller re-reads the interface list ([`crate::iface::list`]) and diffs
//! it against what it serves, which also covers the changes whose messages were lost when the
//! socket's buffer overflowed (`ENOBUFS`). One change usually comes as several messages (a
//! link, then its address, then its carrier), so [`Watcher::changed`] returns once they have
//! settled ([`SETTLE`], at most [`SETTLE_MAX`]), well inside the two seconds a new interface
//! may take to be served.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::sys::socket::{
    bind, recv, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::time::Instant;

/// `RTMGRP_LINK` (linux/rtnetlink.h): link changes.
const RTMGRP_LINK: u32 = 0x1;
/// `RTMGRP_IPV4_IFADDR` (linux/rtnetlink.h): IPv4 address changes.
const RTMGRP_IPV4_IFADDR: u32 = 0x10;
/// A change is over once no message came for this long.
pub const SETTLE: Duration = Duration::from_millis(100);
/// ... or once it has gone on this long (a flapping link must not keep Rill from looking).
pub const SETTLE_MAX: Duration = Duration::from_millis(500);
/// Receive buffer: a netlink message about one link is well under 2 KiB; a bigger one is
/// truncated, which does not matter since only its arrival counts.
const RECV_BUF: usize = 8192;
/// Messages read in one go before yielding to the runtime.
const DRAIN_MAX: usize = 64;

/// A netlink socket subscribed to link and IPv4 address changes.
#[derive(Debug)]
pub struct Watcher {
    fd: AsyncFd<OwnedFd>,
    buf: Vec<u8>,
    /// A change has been heard and not yet reported (so `changed` is cancel-safe).
    pending: bool,
}

impl Watcher {
    /// Opens and subscribes the socket. Open it *before* reading the interface list, so that
    /// no change between the two goes unheard. Needs a tokio runtime.
    pub fn open() -> Result<Watcher> {
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkRoute,
        )
        .context("opening a NETLINK_ROUTE socket to follow network changes")?;
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR))
            .context("subscribing to link and address changes (netlink)")?;
        let fd = register(fd).context("registering the netlink socket")?;
        Ok(Watcher { fd, buf: vec![0; RECV_BUF], pending: false })
    }

    /// Waits for the next change to links or IPv4 addresses, then until it has settled.
    /// Cancel-safe: a change heard by a call that is dropped is reported by the next one.
    pub async fn changed(&mut self) -> io::Result<()> {
        if !self.pending {
            self.message().await?;
            self.pending = true;
        }
        let end = Instant::now() + SETTLE_MAX;
        loop {
            let quiet = (Instant::now() + SETTLE).min(end);
            match tokio::time::timeout_at(quiet, self.message()).await {
                Ok(got) => got?,
                Err(_) => break,
            }
            if Instant::now() >= end {
                break;
            }
        }
        self.pending = false;
        Ok(())
    }

    /// Waits until at least one message (or news of lost ones) has arrived, and reads what is
    /// queued.
    async fn message(&mut self) -> io::Result<()> {
        loop {
            let mut ready = self.fd.readable().await?;
            let buf = &mut self.buf;
            match ready.try_io(|fd| drain(fd.get_ref(), buf)) {
                Ok(got) => return got,
                Err(_would_block) => {}
            }
        }
    }
}

/// Hands the socket to tokio's reactor.
#[allow(unsafe_code)]
fn register(fd: OwnedFd) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: `register` needs the descriptor to stay open and the same while the `AsyncFd`
    // lives. An `OwnedFd` owns it, closes it only when dropped (which the `AsyncFd` does last)
    // and always returns the same raw descriptor.
    unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.map_err(io::Error::from)
}

/// Reads up to [`DRAIN_MAX`] queued messages; `WouldBlock` if there was none.
fn drain(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<()> {
    let mut got = false;
    for _ in 0..DRAIN_MAX {
        match recv(fd.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT) {
            Ok(_) => got = true,
            // Messages were lost: the re-read that follows sees their changes anyway.
            Err(Errno::ENOBUFS) => got = true,
            Err(Errno::EAGAIN) if got => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
