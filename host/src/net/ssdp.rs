//! The SSDP sockets: one [`Sockets`] receiver on `0.0.0.0:1900` and one [`Sender`] per served
//! interface address.
//!
//! The receiver is bound to the wildcard address with `SO_REUSEADDR` and `SO_REUSEPORT` (other
//! UPnP software on the machine shares the port), joins `239.255.255.250` on each served
//! interface (by index, [`Sockets::join`], as interfaces come and go), and turns on
//! `IP_PKTINFO`: every datagram then says which interface it arrived on and whether it was sent
//! to the group or to us alone, which decides the `LOCATION` of the answer and whether `MX`
//! applies. `IP_MULTICAST_ALL` is off, so groups that other programs joined on other interfaces
//! do not leak in; datagrams from interfaces we do not serve are still dropped here, by index.
//!
//! Each sender is bound to its interface's address (ephemeral port) with `IP_MULTICAST_IF` set to
//! that address, multicast TTL 2 (UDA 1.1) and multicast loop on (local control points, tests on
//! `lo`, see the test crate's `renderer` module). Sending multicast on an interface therefore
//! never depends on the routing table.
//!
//! One caveat of sharing port 1900: with `SO_REUSEPORT` the kernel spreads *unicast* datagrams
//! to the port over all sockets bound to it, so a unicast M-SEARCH may reach another process.
//! Multicast datagrams reach every member.

use std::io::{self, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;

use anyhow::{Context, Result};
use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockRef, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::iface::Interface;

/// The SSDP multicast group.
pub const GROUP: Ipv4Addr = *rill_core::ssdp::MULTICAST.ip();
use rill_core::ssdp::MULTICAST_TTL as TTL;
pub use rill_core::ssdp::PORT;

/// One received datagram's envelope (the bytes are in the caller's buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Number of bytes written to the buffer.
    pub len: usize,
    /// The sender.
    pub src: SocketAddrV4,
    /// Index of the (served) interface it arrived on.
    pub ifindex: u32,
    /// Whether it was sent to the multicast group (else unicast to us).
    pub multicast: bool,
}

/// The receiver, and the interfaces whose SSDP group it has joined.
#[derive(Debug)]
pub struct Sockets {
    recv: UdpSocket,
    /// Interface indexes joined, at most one entry each.
    joined: Vec<u32>,
}

impl Sockets {
    /// Opens the receiver on `port` (normally [`PORT`]; 0 picks a free port, which only tests
    /// want), a member of no group yet.
    pub fn open(port: u16) -> Result<Sockets> {
        Ok(Sockets { recv: open_receiver(port)?, joined: Vec::new() })
    }

    /// The receiver's local address (its port is the SSDP port in use).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.recv.local_addr()
    }

    /// Joins the group on `iface`'s interface (once per interface, whatever its addresses).
    pub fn join(&mut self, iface: &Interface) -> Result<()> {
        if self.joined.contains(&iface.index) {
            return Ok(());
        }
        SockRef::from(&self.recv)
            .join_multicast_v4_n(&GROUP, &InterfaceIndexOrAddress::Index(iface.index))
            .with_context(|| format!("joining {GROUP} on {iface}"))?;
        self.joined.push(iface.index);
        Ok(())
    }

    /// Leaves the group on interface `index` and drops what arrives there from now on. The
    /// kernel has already left it if the interface is gone; that is not an error.
    pub fn leave(&mut self, index: u32) {
        let Some(at) = self.joined.iter().position(|&i| i == index) else { return };
        self.joined.swap_remove(at);
        let left = SockRef::from(&self.recv)
            .leave_multicast_v4_n(&GROUP, &InterfaceIndexOrAddress::Index(index));
        if let Err(e) = left {
            tracing::debug!(index, "leaving {GROUP}: {e} (the interface is gone)");
        }
    }

    /// Waits for the next datagram from a joined interface; others are dropped.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        loop {
            let got =
                self.recv.async_io(Interest::READABLE, || recv_with_info(&self.recv, buf)).await?;
            let (len, src, ifindex, dst) = got;
            if self.joined.contains(&ifindex) {
                return Ok(Received { len, src, ifindex, multicast: dst.is_multicast() });
            }
            tracing::trace!(%src, ifindex, "SSDP datagram from an interface we do not serve");
        }
    }
}

/// A socket that sends from one interface address (multicast leaves on that interface).
#[derive(Debug)]
pub struct Sender {
    sock: UdpSocket,
}

impl Sender {
    /// Opens the sender for `iface`'s address.
    pub fn open(iface: &Interface) -> Result<Sender> {
        Ok(Sender { sock: open_sender(iface)? })
    }

    /// Sends `bytes` to `dst`.
    pub async fn send(&self, dst: SocketAddrV4, bytes: &[u8]) -> io::Result<()> {
        self.sock.send_to(bytes, dst).await.map(drop)
    }
}

fn open_receiver(port: u16) -> Result<UdpSocket> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_reuse_address(true)?;
    sock.set_reuse_port(true)?;
    let bind = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port);
    sock.bind(&bind.into()).map_err(|e| {
        if e.kind() == io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "UDP port {port} (SSDP) is held by another program that does not share it \
                 (no SO_REUSEADDR/SO_REUSEPORT); stop that program (another media server?) \
                 or make it share the port"
            )
        } else {
            anyhow::Error::new(e).context(format!("binding the SSDP socket to {bind}"))
        }
    })?;
    sock.set_multicast_all_v4(false).context("IP_MULTICAST_ALL")?;
    setsockopt(&sock, sockopt::Ipv4PacketInfo, &true).context("IP_PKTINFO")?;
    sock.set_nonblocking(true)?;
    Ok(UdpSocket::from_std(sock.into())?)
}

fn open_sender(iface: &Interface) -> Result<UdpSocket> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_multicast_if_v4(&iface.addr).with_context(|| format!("IP_MULTICAST_IF {iface}"))?;
    sock.set_multicast_ttl_v4(TTL)?;
    sock.set_multicast_loop_v4(true)?;
    sock.bind(&SocketAddrV4::new(iface.addr, 0).into())
        .with_context(|| format!("binding an SSDP sender to {iface}"))?;
    sock.set_nonblocking(true)?;
    Ok(UdpSocket::from_std(sock.into())?)
}

/// One `recvmsg`: length, sender, arrival interface index and header destination address.
fn recv_with_info(
    sock: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddrV4, u32, Ipv4Addr)> {
    let mut iov = [IoSliceMut::new(buf)];
    let mut cmsg = nix::cmsg_space!(nix::libc::in_pktinfo);
    let msg =
        recvmsg::<SockaddrIn>(sock.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::empty())?;
    let src = msg.address.map(|a| SocketAddrV4::new(a.ip(), a.port()));
    let mut info = None;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::Ipv4PacketInfo(pi) = c {
            let dst = Ipv4Addr::from(u32::from_be(pi.ipi_addr.s_addr));
            info = Some((u32::try_from(pi.ipi_ifindex).unwrap_or(0), dst));
        }
    }
    match (src, info) {
        (Some(src), Some((ifindex, dst))) => Ok((msg.bytes, src, ifindex, dst)),
        _ => Err(io::Error::other("datagram without sender or IP_PKTINFO")),
    }
}

#[cfg(test)]
mod tests {
    //! Real sockets on loopback only: the group datagram leaves through `lo` because
    //! `IP_MULTICAST_IF` is 127.0.0.1 (see the test crate's `renderer` module doc).
    use super::*;
    use std::net::UdpSocket as StdUdp;
    use std::time::Duration;

    fn loopback() -> Interface {
        crate::iface::list()
            .unwrap()
            .into_iter()
            .find(|i| i.addr == Ipv4Addr::LOCALHOST)
            .expect("loopback interface")
    }

    fn peer() -> StdUdp {
        let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        sock.set_multicast_if_v4(&Ipv4Addr::LOCALHOST).unwrap();
        sock.set_multicast_loop_v4(true).unwrap();
        sock.bind(&SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0).into()).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        sock.into()
    }

    #[tokio::test]
    async fn multicast_and_unicast_arrive_with_their_interface() {
        let lo = loopback();
        let mut sockets = Sockets::open(0).unwrap();
        sockets.join(&lo).unwrap();
        sockets.join(&lo).unwrap();
        let sender = Sender::open(&lo).unwrap();
        let port = sockets.local_addr().unwrap().port();
        let peer = peer();
        let peer_addr = match peer.local_addr().unwrap() {
            SocketAddr::V4(a) => a,
            SocketAddr::V6(_) => unreachable!("bound to IPv4"),
        };
        let mut buf = [0u8; 64];

        peer.send_to(b"to the group", SocketAddrV4::new(GROUP, port)).unwrap();
        let got = tokio::time::timeout(Duration::from_secs(2), sockets.recv(&mut buf))
            .await
            .expect("multicast datagram looped back on lo")
            .unwrap();
        assert_eq!(&buf[..got.len], b"to the group");
        assert_eq!((got.src, got.ifindex, got.multicast), (peer_addr, lo.index, true));

        peer.send_to(b"to you", SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).unwrap();
        let got = tokio::time::timeout(Duration::from_secs(2), sockets.recv(&mut buf))
            .await
            .expect("unicast datagram")
            .unwrap();
        assert_eq!(&buf[..got.len], b"to you");
        assert!(!got.multicast);

        sender.send(got.src, b"answer").await.unwrap();
        let mut reply = [0u8; 16];
        let (n, from) = peer.recv_from(&mut reply).unwrap();
        assert_eq!(&reply[..n], b"answer");
        assert_eq!(from.ip(), std::net::IpAddr::V4(Ipv4Addr::LOCALHOST));

        // Once the interface is left, nothing from it is taken in.
        sockets.leave(lo.index);
        peer.send_to(b"not served", SocketAddrV4::new(GROUP, port)).unwrap();
        peer.send_to(b"not served", SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).unwrap();
        let late = tokio::time::timeout(Duration::from_millis(300), sockets.recv(&mut buf)).await;
        assert!(late.is_err(), "datagram from a left interface: {late:?}");
    }
}
