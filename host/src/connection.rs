//! One HTTP connection: read request heads and bodies, hand them to the core, write answers.
//!
//! The head is parsed by `rill_core::http::request` (limits, framing, keep-alive); routing uses
//! the fixed URL layout of `rill_core::upnp`: the device description, the three SCPDs and the
//! three SOAP control URLs are answered here, with bodies the core renders. Everything is sent
//! with an exact `Content-Length` (never chunked), and `HEAD` gets the same head without a body.
//! Connections are kept alive as the request allows, and closed after a parse error, since the
//! rest of the stream cannot be trusted, or when the client is idle for [`IDLE_TIMEOUT`].
//!
//! Media files under `/rill/media/` are served as they are on disk by [`media`]. Not wired yet:
//! GENA (`SUBSCRIBE` on the event URLs, answered `501 Not Implemented`) and transcodes.

use std::fmt::Write as _;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context, Result};
use rill_core::http::request::{self, Limits, Method, Parsed, Version, EMPTY_HEADER};
use rill_core::http::response::{Head, StatusCode};
use rill_core::library::Library;
use rill_core::upnp::control::{self, Ctx};
use rill_core::upnp::description::Device;
use rill_core::upnp::{Endpoint, Service, DESCRIPTION_PATH, MEDIA_PATH};
use rill_core::xml::Render;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::media;
use crate::storage::Storage;

/// How long a connection may sit without a complete request.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Header slots per request.
const MAX_HEADERS: usize = 48;

/// What every connection shares: the device identity and the library.
#[derive(Debug)]
pub struct Shared {
    /// The friendly name.
    pub name: String,
    /// The UDN, `uuid:...`.
    pub udn: String,
    /// The `SERVER` header value.
    pub server: String,
    /// The served folders, for media files.
    pub storage: Storage,
    /// The library; read-locked while a response that borrows it is rendered.
    pub library: RwLock<Library>,
}

/// An answer ready to send.
struct Answer {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Body,
}

/// What follows the head.
enum Body {
    /// A rendered document (or nothing).
    Text(String),
    /// `count` bytes of a file from offset `first`.
    File { file: tokio::fs::File, first: u64, count: u64 },
}

impl Answer {
    fn empty(status: StatusCode) -> Answer {
        Answer { status, headers: Vec::new(), body: Body::Text(String::new()) }
    }

    fn xml(status: StatusCode, doc: &dyn Render) -> Result<Answer> {
        let mut body = String::new();
        doc.render(&mut body).map_err(|_| anyhow!("rendering a document failed"))?;
        let headers = vec![("Content-Type", "text/xml; charset=\"utf-8\"".to_string())];
        Ok(Answer { status, headers, body: Body::Text(body) })
    }

    fn media(plan: media::Plan) -> Answer {
        let body = match plan.body {
            Some((file, first, count)) => Body::File { file, first, count },
            None => Body::Text(String::new()),
        };
        Answer { status: plan.status, headers: plan.headers, body }
    }
}

/// Serves requests on `stream` until the client closes, errs or idles out.
pub async fn serve(mut stream: TcpStream, shared: Arc<Shared>) -> Result<()> {
    let local = stream.local_addr()?.to_string();
    let limits = Limits::DEFAULT;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        // Read until a whole head is in, then the body.
        let (answer, head_only, version, keep_alive, consumed) = loop {
            let mut storage = [EMPTY_HEADER; MAX_HEADERS];
            match request::parse(&buf, &mut storage, &limits) {
                Ok(Parsed::Complete(req)) => {
                    let body_len = usize::try_from(req.content_length)?;
                    let total = req.head_len + body_len;
                    if buf.len() < total {
                        let need = total - buf.len();
                        read_more(&mut stream, &mut buf, need).await?;
                        continue;
                    }
                    let body = buf.get(req.head_len..total).unwrap_or_default();
                    let answer = route(&req, body, &shared, &local)?;
                    let head_only = req.method == Method::Head;
                    break (answer, head_only, req.version, req.keep_alive, total);
                }
                Ok(Parsed::Partial) => {
                    if !read_more(&mut stream, &mut buf, 1).await? {
                        return Ok(()); // closed between requests
                    }
                }
                Err(e) => {
                    tracing::debug!("bad request: {e:?}");
                    let answer = Answer::empty(e.status());
                    break (answer, false, Version::Http11, false, buf.len());
                }
            }
        };
        buf.drain(..consumed);
        let server = shared.server.as_str();
        write_answer(&mut stream, answer, head_only, version, keep_alive, server).await?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// Reads at least `need` more bytes (or up to EOF); false if the peer closed with nothing read.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>, need: usize) -> Result<bool> {
    let want = buf.len() + need;
    let mut chunk = [0u8; 8192];
    while buf.len() < want {
        let n = tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut chunk))
            .await
            .context("client idle")??;
        if n == 0 {
            if buf.is_empty() {
                return Ok(false);
            }
            return Err(anyhow!("client closed mid-request"));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    Ok(true)
}

fn route(
    req: &request::Request<'_, '_>,
    body: &[u8],
    shared: &Shared,
    local: &str,
) -> Result<Answer> {
    let path = req.target.split('?').next().unwrap_or_default();
    let get = matches!(req.method, Method::Get | Method::Head);
    if path == DESCRIPTION_PATH {
        if !get {
            return Ok(Answer::empty(StatusCode::METHOD_NOT_ALLOWED));
        }
        return Answer::xml(StatusCode::OK, &Device::rill(&shared.name, &shared.udn, &[]));
    }
    if path.starts_with(MEDIA_PATH) {
        if !get {
            return Ok(Answer::empty(StatusCode::METHOD_NOT_ALLOWED));
        }
        let library = shared.library.read().map_err(|_| anyhow!("library lock poisoned"))?;
        let plan = media::plan(req, path, &library, &shared.storage);
        return Ok(plan.map_or_else(|| Answer::empty(StatusCode::NOT_FOUND), Answer::media));
    }
    let Some((service, endpoint)) = Service::from_path(path) else {
        return Ok(Answer::empty(StatusCode::NOT_FOUND));
    };
    match endpoint {
        Endpoint::Scpd if get => Answer::xml(StatusCode::OK, service.scpd()),
        Endpoint::Control if req.method == Method::Post => {
            let Ok(text) = std::str::from_utf8(body) else {
                return Ok(Answer::empty(StatusCode::BAD_REQUEST));
            };
            let soap_action = req.headers.get_str("soapaction");
            let library = shared.library.read().map_err(|_| anyhow!("library lock poisoned"))?;
            let ctx = Ctx { host: local };
            match control::handle(service, soap_action, text, &library, &ctx) {
                Ok(response) => Answer::xml(StatusCode::OK, &response),
                Err(fault) => Answer::xml(StatusCode::INTERNAL_SERVER_ERROR, &fault),
            }
        }
        // INTEGRATION(gena): SUBSCRIBE/UNSUBSCRIBE on the event URLs.
        Endpoint::Event => Ok(Answer::empty(StatusCode::NOT_IMPLEMENTED)),
        _ => Ok(Answer::empty(StatusCode::METHOD_NOT_ALLOWED)),
    }
}

async fn write_answer(
    stream: &mut TcpStream,
    answer: Answer,
    head_only: bool,
    version: Version,
    keep_alive: bool,
    server: &str,
) -> Result<()> {
    let len = match &answer.body {
        Body::Text(text) => text.len() as u64,
        Body::File { count, .. } => *count,
    };
    let mut head = Head::new(String::new(), version, answer.status);
    head.content_length(len).connection(keep_alive).header("EXT", "");
    if let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) {
        head.date(now.as_secs());
    }
    head.header("Server", server);
    for (name, value) in &answer.headers {
        head.header(name, value);
    }
    let mut out = head.finish().map_err(|e| anyhow!("response head: {e}"))?;
    match answer.body {
        Body::Text(text) if !head_only => {
            out.write_str(&text)?;
            stream.write_all(out.as_bytes()).await?;
        }
        Body::File { file, first, count } if !head_only => {
            stream.write_all(out.as_bytes()).await?;
            media::send(stream, file, first, count).await?;
        }
        _ => stream.write_all(out.as_bytes()).await?,
    }
    Ok(())
}
