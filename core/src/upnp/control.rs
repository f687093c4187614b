//! The single entry point for SOAP control requests.

use super::bookmarks::Bookmarks;
use super::soap::{self, Fault, Response};
use super::{connection_manager, content_directory, registrar, Service};
use crate::library::Library;
use crate::player::Quirks;

/// Per-request context from the HTTP layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx<'a> {
    /// `host:port` the client reached the server on (the local address of the connection;
    /// IPv6 in brackets). Resource URLs in DIDL-Lite use it, so they work on every interface.
    pub host: &'a str,
    /// What the requesting player needs (MIME types, renditions, seek methods), recognised by
    /// the server from its headers.
    pub quirks: Quirks,
    /// Largest answer the platform has heap for ([`crate::server::Env::answer_budget`];
    /// `usize::MAX` for none). A Browse or Search page that would be larger is cut to its
    /// longest prefix that fits (at least one object), as ContentDirectory:1 allows.
    pub answer_budget: usize,
}

/// Handles a `POST` to `service`'s control URL.
///
/// `soap_action` is the `SOAPACTION` header value if present; `body` is the request body (the
/// caller bounds its size and decodes it as UTF-8). On success, render the response with HTTP
/// status 200 and `Content-Type: text/xml; charset="utf-8"`; on failure render the [`Fault`] with
/// [`Fault::HTTP_STATUS`]. The response borrows `library` and `bookmarks` (which Samsung's
/// `X_SetBookmark` changes), which must not change until it is rendered (count pass and send
/// pass alike).
pub fn handle<'a>(
    service: Service,
    soap_action: Option<&str>,
    body: &'a str,
    library: &'a Library,
    bookmarks: &'a mut Bookmarks,
    ctx: &Ctx<'a>,
) -> Result<Response<'a>, Fault> {
    let request = soap::parse(service, soap_action, body)?;
    match service {
        Service::ContentDirectory => content_directory::handle(request, library, bookmarks, ctx),
        Service::ConnectionManager => connection_manager::handle(&request, &ctx.quirks),
        Service::Registrar => registrar::handle(&request),
    }
}
