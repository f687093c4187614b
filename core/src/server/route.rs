//! Which answer a request gets: path and method to [`Reply`].

use alloc::string::String;
use alloc::vec::Vec;
use core::net::IpAddr;

use super::reply::{Body, Reply, XML};
use super::{Env, Server};
use crate::gena;
use crate::http::percent;
use crate::http::request::{Method, Request};
use crate::http::response::StatusCode;
use crate::player::Quirks;
use crate::upnp::description::Device;
use crate::upnp::{self, control, Endpoint, Service, ART_PATH, DESCRIPTION_PATH, MEDIA_PATH};
use crate::xml::Render;

/// Longest decoded request path; every path Rill serves is far shorter, so a longer one is 404.
pub(super) const MAX_PATH: usize = 256;

impl<E: Env> Server<'_, E> {
    /// Builds the answer to `req` with body `body`, reached at `host` (`ip:port`) by `peer`, for
    /// a player with `quirks`.
    #[inline(never)]
    pub(super) fn route(
        &self,
        req: &Request<'_, '_>,
        body: &[u8],
        host: &str,
        peer: IpAddr,
        quirks: &Quirks,
    ) -> Reply<E::File> {
        let mut storage = [0u8; MAX_PATH];
        let path = match percent::decode_path(req.target, &mut storage) {
            Ok(path) => path,
            Err(percent::Error::BufferTooSmall) => return Reply::error(StatusCode::NOT_FOUND),
            Err(_) => return Reply::error(StatusCode::BAD_REQUEST),
        };
        // A platform without a remuxer offers no remux to anyone.
        #[cfg(feature = "remux")]
        let stripped;
        #[cfg(feature = "remux")]
        let quirks = if self.env.remuxes() {
            quirks
        } else {
            stripped = Quirks { video: None, ..*quirks };
            &stripped
        };
        let get = matches!(req.method, Method::Get | Method::Head);
        if path == DESCRIPTION_PATH {
            return if get {
                self.description(quirks)
            } else {
                Reply::method_not_allowed("GET, HEAD")
            };
        }
        if let Some((service, endpoint)) = Service::from_path(path) {
            return match (endpoint, get, req.method) {
                (Endpoint::Scpd, true, _) => {
                    self.rendered(StatusCode::OK, &service.scpd_for(quirks))
                }
                (Endpoint::Scpd, false, _) => Reply::method_not_allowed("GET, HEAD"),
                (Endpoint::Control, _, Method::Post) => {
                    self.control(service, req, body, host, quirks)
                }
                (Endpoint::Control, _, _) => Reply::method_not_allowed("POST"),
                (Endpoint::Event, _, Method::Subscribe | Method::Unsubscribe) => {
                    self.event(service, req, peer, quirks)
                }
                (Endpoint::Event, _, _) => Reply::method_not_allowed("SUBSCRIBE, UNSUBSCRIBE"),
            };
        }
        if path.starts_with(MEDIA_PATH) {
            return match (upnp::parse_media_path(path), get) {
                #[cfg(feature = "remux")]
                (Some((id, ext)), true) => self
                    .remux(req, id, ext, host, quirks)
                    .unwrap_or_else(|| self.media(req, id, ext, host, quirks)),
                #[cfg(not(feature = "remux"))]
                (Some((id, ext)), true) => self.media(req, id, ext, host, quirks),
                (Some(_), false) => Reply::method_not_allowed("GET, HEAD"),
                (None, _) => Reply::error(StatusCode::NOT_FOUND),
            };
        }
        #[cfg(feature = "subtitles")]
        if path.starts_with(upnp::CAPTION_PATH) {
            return match (upnp::parse_caption_path(path), get) {
                (Some((id, n, ext)), true) => self.caption(req, id, n, ext),
                (Some(_), false) => Reply::method_not_allowed("GET, HEAD"),
                (None, _) => Reply::error(StatusCode::NOT_FOUND),
            };
        }
        if path.starts_with(ART_PATH) {
            return match (upnp::parse_art_path(path), get) {
                (Some(id), true) => self.art(req, id, quirks),
                (Some(_), false) => Reply::method_not_allowed("GET, HEAD"),
                (None, _) => Reply::error(StatusCode::NOT_FOUND),
            };
        }
        Reply::error(StatusCode::NOT_FOUND)
    }

    /// A SOAP action: parse, run against the library and the bookmarks, render, all under
    /// their locks.
    fn control(
        &self,
        service: Service,
        req: &Request<'_, '_>,
        body: &[u8],
        host: &str,
        quirks: &Quirks,
    ) -> Reply<E::File> {
        let Ok(body) = core::str::from_utf8(body) else {
            return Reply::error(StatusCode::BAD_REQUEST);
        };
        let soap_action = req.headers.get_str("soapaction");
        let ctx = control::Ctx { host, quirks: *quirks, answer_budget: self.env.answer_budget() };
        self.env.with_library(|library| {
            self.env.with_bookmarks(|bookmarks| {
                match control::handle(service, soap_action, body, library, bookmarks, &ctx) {
                    Ok(response) => self.answer(&response),
                    Err(fault) => {
                        let status = StatusCode::new(upnp::soap::Fault::HTTP_STATUS)
                            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                        self.rendered(status, &fault)
                    }
                }
            })
        })
    }
}

impl<E: Env> Server<'_, E> {
    /// A SUBSCRIBE (new or renewal) or UNSUBSCRIBE on `service`'s event URL from `peer`.
    fn event(
        &self,
        service: Service,
        req: &Request<'_, '_>,
        peer: IpAddr,
        quirks: &Quirks,
    ) -> Reply<E::File> {
        let now = self.env.now();
        let result = gena::parse(req.method, &req.headers).and_then(|request| {
            self.env.with_events(|table| match request {
                gena::Request::Subscribe { callbacks, timeout } => table
                    .subscribe(now, service, peer, callbacks, timeout, *quirks)
                    .map(Reply::subscribed),
                gena::Request::Renew { sid, timeout } => {
                    table.renew(now, service, sid, timeout).map(Reply::subscribed)
                }
                gena::Request::Unsubscribe { sid } => {
                    table.unsubscribe(now, service, sid).map(|()| Reply::empty())
                }
            })
        });
        result.unwrap_or_else(|e| Reply::error(e.status()))
    }

    /// The device description, with the model fields some players insist on (the Xbox 360
    /// only talks to "Windows Media Player Sharing" with a `:` in the friendly name), and
    /// Samsung's `sec:ProductCap` for Samsung TVs.
    fn description(&self, quirks: &Quirks) -> Reply<E::File> {
        // The capabilities name subtitles (`getCaptionInfo.sec`, `smi`): only a build that
        // serves them declares them.
        #[cfg(feature = "subtitles")]
        let base = Device {
            product_cap: quirks.samsung_extensions.then_some(upnp::samsung::PRODUCT_CAP),
            ..self.device
        };
        #[cfg(not(feature = "subtitles"))]
        let base = Device { ..self.device };
        let Some(o) = quirks.description else {
            return self.rendered(StatusCode::OK, &base);
        };
        let mut name = String::from(self.device.friendly_name);
        name.push_str(o.suffix_for(&name));
        let device = Device {
            friendly_name: &name,
            model_name: o.model_name,
            model_number: o.model_number,
            ..base
        };
        self.rendered(StatusCode::OK, &device)
    }
}

impl<E: Env> Server<'_, E> {
    /// A SOAP answer within [`Env::answer_budget`]: see there.
    fn answer(&self, doc: &dyn Render) -> Reply<E::File> {
        let budget = self.env.answer_budget();
        if budget == usize::MAX {
            return self.rendered(StatusCode::OK, doc);
        }
        let mut text = self.buffer();
        match doc.rendered_len() {
            Ok(len) if len <= budget && text.try_reserve_exact(len).is_ok() => {}
            Ok(_) => return Reply::error(StatusCode::SERVICE_UNAVAILABLE),
            Err(_) => return Reply::error(StatusCode::INTERNAL_SERVER_ERROR),
        }
        render_into(StatusCode::OK, doc, text)
    }
}

impl<E: Env> Server<'_, E> {
    /// An XML document as a response body, rendered once into a growing buffer (one the
    /// platform lends: [`Env::answer_buffer`]).
    fn rendered(&self, status: StatusCode, doc: &dyn Render) -> Reply<E::File> {
        render_into(status, doc, self.buffer())
    }

    /// The platform's buffer for an answer ([`Env::answer_buffer`]), empty.
    fn buffer(&self) -> String {
        let mut bytes = self.env.answer_buffer();
        bytes.clear();
        // Empty, so valid UTF-8.
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// An XML document as a response body, rendered into `text` (empty, perhaps reserved).
fn render_into<F>(status: StatusCode, doc: &dyn Render, mut text: String) -> Reply<F> {
    if doc.render(&mut text).is_err() {
        return Reply::error(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Reply::new(status, XML, Body::Owned(Vec::from(text)))
}
