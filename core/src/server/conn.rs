//! The connection loop: read a request, answer it, repeat while the connection is kept alive.

use core::net::IpAddr;

use embedded_io::SeekFrom;
use embedded_io_async::{Read, Write};

use super::head::{CONTINUE, MIN_TX};
use super::reply::{Body, Reply};
use super::{Env, Server};
use crate::http::request::{self, Error as RequestError, Method, Parsed, Request, EMPTY_HEADER};
use crate::http::response::StatusCode;
use crate::transcode::Transcoder;

/// Header slots parsed per request: [`crate::http::request::Limits::DEFAULT`] allows 48.
const HEADER_SLOTS: usize = 48;

/// How a connection ended, when it did not end because the peer closed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error<E> {
    /// Reading from or writing to the connection failed (including the shell's timeouts).
    Io(E),
    /// The `tx` buffer is shorter than [`MIN_TX`].
    TxTooSmall,
}

impl<E> From<E> for Error<E> {
    fn from(e: E) -> Self {
        Error::Io(e)
    }
}

/// What the head of the next request needs before it can be answered.
struct Framing {
    /// Bytes of head plus body.
    end: usize,
    /// The client waits for `100 Continue` before sending the body.
    expect_continue: bool,
}

impl<E: Env> Server<'_, E> {
    /// Serves requests on `conn` until the peer closes it, a response ends it, or I/O fails.
    ///
    /// `rx` holds one request head and body: requests whose head or body does not fit are
    /// refused (431, 413). `tx` (at least [`MIN_TX`] bytes) holds a response head and is the
    /// chunk size of media streaming. `host` is `ip:port` of the local end of the connection, the
    /// authority written into resource URLs; `peer` is the client's address, by which the player
    /// recognised from one request's headers is remembered for the next.
    pub async fn serve<C: Read + Transmit<E::File>>(
        &self,
        conn: &mut C,
        rx: &mut [u8],
        tx: &mut [u8],
        host: &str,
        peer: IpAddr,
    ) -> Result<(), Error<C::Error>> {
        if tx.len() < MIN_TX {
            return Err(Error::TxTooSmall);
        }
        let mut filled = 0;
        loop {
            let framing = loop {
                let received = rx.get(..filled).unwrap_or_default();
                match self.framing(received, rx.len()) {
                    Ok(Some(framing)) => break framing,
                    Ok(None) => {}
                    Err(status) => return self.refuse(conn, tx, status).await,
                }
                let Some(free) = rx.get_mut(filled..) else { return Ok(()) };
                let n = conn.read(free).await?;
                if n == 0 {
                    return Ok(());
                }
                filled += n;
            };
            if framing.expect_continue && filled < framing.end {
                conn.write_all(CONTINUE).await?;
            }
            while filled < framing.end {
                let Some(free) = rx.get_mut(filled..framing.end) else { return Ok(()) };
                let n = conn.read(free).await?;
                if n == 0 {
                    return Ok(());
                }
                filled += n;
            }
            let keep_alive = {
                let received = rx.get(..framing.end).unwrap_or_default();
                let mut storage = [EMPTY_HEADER; HEADER_SLOTS];
                match request::parse(received, &mut storage, &self.limits) {
                    Ok(Parsed::Complete(req)) => {
                        let body = received.get(req.head_len..).unwrap_or_default();
                        let now = self.env.now();
                        let player = self.env.with_clients(|c| c.observe(now, peer, &req.headers));
                        let reply = self.route(&req, body, host, peer, &player.profile());
                        let granted = reply.subscription.as_ref().map(|a| a.sid.clone());
                        let keep_alive = self.send(conn, tx, &req, reply).await?;
                        // The subscriber knows its SID now: its initial event may go.
                        if let Some(sid) = granted {
                            self.env.with_events(|table| table.answered(&sid));
                        }
                        keep_alive
                    }
                    // The same bytes parsed complete a moment ago.
                    _ => return self.refuse(conn, tx, StatusCode::BAD_REQUEST).await,
                }
            };
            rx.copy_within(framing.end..filled, 0);
            filled -= framing.end;
            if !keep_alive {
                return Ok(());
            }
        }
    }

    /// How long the request at the start of `received` is, `None` if its head is incomplete,
    /// or the status to refuse it with.
    fn framing(&self, received: &[u8], capacity: usize) -> Result<Option<Framing>, StatusCode> {
        let mut storage = [EMPTY_HEADER; HEADER_SLOTS];
        match request::parse(received, &mut storage, &self.limits) {
            Ok(Parsed::Partial) if received.len() >= capacity => {
                Err(RequestError::HeadTooLarge.status())
            }
            Ok(Parsed::Partial) => Ok(None),
            Err(e) => Err(e.status()),
            Ok(Parsed::Complete(req)) => {
                let end = usize::try_from(req.content_length)
                    .ok()
                    .and_then(|body| req.head_len.checked_add(body))
                    .filter(|&end| end <= capacity)
                    .ok_or(RequestError::BodyTooLarge.status())?;
                let expect_continue = req.headers.has_token("expect", "100-continue");
                Ok(Some(Framing { end, expect_continue }))
            }
        }
    }

    /// Answers a request that cannot be framed with `status` and ends the connection.
    async fn refuse<C: Write>(
        &self,
        conn: &mut C,
        tx: &mut [u8],
        status: StatusCode,
    ) -> Result<(), Error<C::Error>> {
        let reply: Reply<E::File> = Reply::fatal(status);
        let n = self
            .head(tx, request::Version::Http11, &reply, false)
            .map_err(|_| Error::TxTooSmall)?;
        conn.write_all(tx.get(..n).unwrap_or_default()).await?;
        if let Body::Text(text) = reply.body {
            conn.write_all(text.as_bytes()).await?;
        }
        conn.flush().await?;
        Ok(())
    }

    /// Writes `reply` to `req`; returns whether the connection stays open.
    async fn send<C: Transmit<E::File>>(
        &self,
        conn: &mut C,
        tx: &mut [u8],
        req: &Request<'_, '_>,
        reply: Reply<E::File>,
    ) -> Result<bool, Error<C::Error>> {
        let keep_alive = req.keep_alive && !reply.close;
        let n = self.head(tx, req.version, &reply, keep_alive).map_err(|_| Error::TxTooSmall)?;
        conn.write_all(tx.get(..n).unwrap_or_default()).await?;
        if req.method == Method::Head {
            conn.flush().await?;
            return Ok(keep_alive);
        }
        let complete = match reply.body {
            Body::Text(text) => {
                conn.write_all(text.as_bytes()).await?;
                true
            }
            Body::Owned(bytes) => {
                conn.write_all(&bytes).await?;
                true
            }
            Body::File { mut file, first, len } => conn.transmit(&mut file, first, len, tx).await?,
            Body::Transcode(mut transcoder) => transcode(conn, tx, &mut transcoder).await?,
        };
        conn.flush().await?;
        // A body cut short (the file shrank or failed) leaves the framing broken: close.
        Ok(keep_alive && complete)
    }
}

/// Sends what `transcoder` produces, `tx` at a time. Returns false if the stream ended early
/// (a file damaged since it was indexed): the response is then shorter than announced.
async fn transcode<C: Write, F: embedded_io::Read + embedded_io::Seek>(
    conn: &mut C,
    tx: &mut [u8],
    transcoder: &mut Transcoder<F>,
) -> Result<bool, Error<C::Error>> {
    loop {
        match transcoder.fill(tx) {
            Ok(0) => return Ok(true),
            Ok(n) => conn.write_all(tx.get(..n).unwrap_or_default()).await?,
            Err(_) => return Ok(false),
        }
    }
}

/// A connection media files are sent on.
///
/// The default [`Transmit::transmit`] reads the file into the send buffer and writes it, which
/// is all a board can do. A platform with a zero-copy path (the host's `sendfile(2)`) overrides
/// it; the server calls it for every file body either way.
// Like embedded-io-async's own traits: whether the future is `Send` follows the implementation,
// which the shell chooses.
#[allow(async_fn_in_trait)]
pub trait Transmit<F: embedded_io::Read + embedded_io::Seek>: Write {
    /// Sends `len` bytes of `file` from offset `first`, using `buf` as it likes. Returns false
    /// if the file ended or failed early (the response is then shorter than announced).
    async fn transmit(
        &mut self,
        file: &mut F,
        first: u64,
        len: u64,
        buf: &mut [u8],
    ) -> Result<bool, Self::Error> {
        if file.seek(SeekFrom::Start(first)).is_err() {
            return Ok(false);
        }
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            let Some(chunk) = buf.get_mut(..want) else { return Ok(false) };
            let n = match file.read(chunk) {
                Ok(0) | Err(_) => return Ok(false),
                Ok(n) => n,
            };
            self.write_all(chunk.get(..n).unwrap_or_default()).await?;
            left -= n as u64;
        }
        Ok(true)
    }
}
