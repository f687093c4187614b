//! The HTTP listeners: one TCP listener per served interface address, bound to that address.
//!
//! Binding each address (instead of `0.0.0.0`) keeps the server off networks it was not asked to
//! serve. `SO_REUSEADDR` lets a restarted server bind again while old connections sit in
//! `TIME_WAIT`. Port 0 picks a free port (the server does so once, for its first listener, and
//! binds every later one to the same port); the real port is in [`Listener::addr`] and goes into
//! that interface's SSDP `LOCATION`.

use std::net::{SocketAddr, SocketAddrV4};

use anyhow::{Context, Result};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;

use crate::iface::Interface;

/// Pending-connection queue length for each listener.
const BACKLOG: i32 = 128;

/// A bound listener and the address players reach it at.
#[derive(Debug)]
pub struct Listener {
    /// The listening socket.
    pub socket: TcpListener,
    /// Its local address (interface address and real port).
    pub addr: SocketAddrV4,
}

/// Binds a listener to `iface`'s address and `port`.
pub fn bind(iface: &Interface, port: u16) -> Result<Listener> {
    let want = SocketAddrV4::new(iface.addr, port);
    let sock = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    sock.bind(&want.into()).with_context(|| {
        format!("binding HTTP to {want} on {} (is another server using port {port}?)", iface.name)
    })?;
    sock.listen(BACKLOG)?;
    sock.set_nonblocking(true)?;
    let socket = TcpListener::from_std(sock.into())?;
    let addr = match socket.local_addr()? {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(a) => anyhow::bail!("IPv4 listener reports IPv6 address {a}"),
    };
    Ok(Listener { socket, addr })
}
