//! SOAP control messages: parsing an action request, rendering a response or a fault.
//!
//! Requests are read leniently where real control points differ: the `SOAPACTION` header with
//! or without quotes (or missing: the body decides), any namespace prefixes, an optional
//! `s:Header`, CDATA or entity-encoded argument text. What is checked: the envelope structure,
//! that the action belongs to the service the control URL names (namespace and header), and
//! that the action exists in the service's SCPD or its extension ([`Service::action`]).
//! Argument names, and who may call an extension action, are left to the action handlers (the
//! Xbox sends `ContainerID` where Browse declares `ObjectID`).

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use super::didl::Document;
use super::scpd::Action;
use super::Service;
use crate::xml::{self, escape_text, Event, Reader, Render, Tag};

/// The most arguments a request may carry.
pub const MAX_ARGS: usize = 16;

/// The SOAP envelope namespace.
pub const ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// A parsed action request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// The service the request was sent to.
    pub service: Service,
    /// The action, as declared in the service's SCPD.
    pub action: &'static Action,
    args: heapless::Vec<(&'a str, Cow<'a, str>), MAX_ARGS>,
}

impl<'a> Request<'a> {
    /// The decoded value of argument `name` (the element's local name), if sent.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, v)| &**v)
    }

    /// Moves the value of argument `name` out of the request (for values the response keeps,
    /// such as Browse's Filter).
    pub fn take_arg(&mut self, name: &str) -> Option<Cow<'a, str>> {
        let (_, value) = self.args.iter_mut().find(|(n, _)| *n == name)?;
        Some(core::mem::take(value))
    }

    /// All arguments in document order.
    pub fn args(&self) -> impl Iterator<Item = (&'a str, &str)> + '_ {
        self.args.iter().map(|(n, v)| (*n, &**v))
    }
}

/// Why a SOAP request was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The body is not well-formed (or is refused) XML.
    Xml(xml::Error),
    /// No `Envelope`/`Body`/action element structure.
    NotEnvelope,
    /// The `SOAPACTION` header is not `<service urn>#<action>` for this service.
    BadSoapAction,
    /// The header names a different action than the body.
    ActionMismatch,
    /// The action element's namespace is not this service's URN.
    WrongNamespace,
    /// The service has no such action.
    UnknownAction,
    /// An argument contains elements, or text sits directly in the action element.
    MalformedArgument,
    /// More than [`MAX_ARGS`] arguments.
    TooManyArgs,
}

impl Error {
    /// The UPnP error to answer with: 402 for argument problems, else 401.
    pub fn code(self) -> ErrorCode {
        match self {
            Error::MalformedArgument | Error::TooManyArgs => ErrorCode::InvalidArgs,
            _ => ErrorCode::InvalidAction,
        }
    }
}

impl From<xml::Error> for Error {
    fn from(e: xml::Error) -> Self {
        Error::Xml(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Xml(e) => write!(f, "SOAP body: {e}"),
            Error::NotEnvelope => f.write_str("not a SOAP envelope with a body and an action"),
            Error::BadSoapAction => f.write_str("SOAPACTION header does not name this service"),
            Error::ActionMismatch => {
                f.write_str("SOAPACTION header and body name different actions")
            }
            Error::WrongNamespace => f.write_str("action element is not in the service namespace"),
            Error::UnknownAction => f.write_str("no such action in this service"),
            Error::MalformedArgument => f.write_str("malformed action argument"),
            Error::TooManyArgs => f.write_str("too many action arguments"),
        }
    }
}

impl core::error::Error for Error {}

/// Splits a `SOAPACTION` header value into service URN and action name, tolerating missing
/// quotes and surrounding blanks.
pub fn split_soap_action(header: &str) -> Option<(&str, &str)> {
    let h = header.trim();
    let h = h.strip_prefix('"').unwrap_or(h);
    let h = h.strip_suffix('"').unwrap_or(h);
    let (urn, action) = h.trim().rsplit_once('#')?;
    (!urn.is_empty() && !action.is_empty()).then_some((urn, action))
}

/// The next start or empty element, skipping whitespace text; `None` at an end tag.
fn next_element<'a>(r: &mut Reader<'a>) -> Result<Option<(Tag<'a>, bool)>, Error> {
    loop {
        match r.next_event()? {
            Event::Start(t) => return Ok(Some((t, false))),
            Event::Empty(t) => return Ok(Some((t, true))),
            Event::Text(t) if t.is_whitespace() => {}
            Event::End(_) => return Ok(None),
            Event::Text(_) | Event::Eof => return Err(Error::NotEnvelope),
        }
    }
}

/// Skips the content of an element whose start tag was just read.
fn skip_element(r: &mut Reader<'_>) -> Result<(), Error> {
    let depth = r.depth();
    while r.depth() >= depth {
        if r.next_event()? == Event::Eof {
            return Err(Error::NotEnvelope);
        }
    }
    Ok(())
}

/// Reads an argument's text up to its end tag.
fn argument_text<'a>(r: &mut Reader<'a>) -> Result<Cow<'a, str>, Error> {
    let mut value: Option<Cow<'a, str>> = None;
    loop {
        match r.next_event()? {
            Event::Text(t) => match &mut value {
                None => value = Some(t.decode()),
                Some(v) => v.to_mut().extend(t.chars()),
            },
            Event::End(_) => return Ok(value.unwrap_or_default()),
            _ => return Err(Error::MalformedArgument),
        }
    }
}

/// Parses the body of a `POST` to `service`'s control URL.
///
/// `soap_action` is the `SOAPACTION` header value, if the request had one. The caller bounds
/// `body`'s size.
pub fn parse<'a>(
    service: Service,
    soap_action: Option<&str>,
    body: &'a str,
) -> Result<Request<'a>, Error> {
    let header_action = match soap_action {
        Some(h) => {
            let (urn, action) = split_soap_action(h).ok_or(Error::BadSoapAction)?;
            if urn != service.urn() {
                return Err(Error::BadSoapAction);
            }
            Some(action)
        }
        None => None,
    };
    let mut r = Reader::new(body);
    let (envelope, empty) = next_element(&mut r)?.ok_or(Error::NotEnvelope)?;
    if envelope.name.local != "Envelope" || empty {
        return Err(Error::NotEnvelope);
    }
    let soap_body = loop {
        match next_element(&mut r)? {
            Some((t, false)) if t.name.local == "Body" => break t,
            Some((t, false)) if t.name.local == "Header" => skip_element(&mut r)?,
            Some((t, true)) if t.name.local == "Header" => {}
            _ => return Err(Error::NotEnvelope),
        }
    };
    let (action_tag, empty) = next_element(&mut r)?.ok_or(Error::NotEnvelope)?;
    let name = action_tag.name.local;
    let prefix = action_tag.name.prefix;
    let namespace = [action_tag, soap_body, envelope].iter().find_map(|t| t.namespace_for(prefix));
    match namespace {
        Some(ns) if !ns.eq_str(service.urn()) => return Err(Error::WrongNamespace),
        None if header_action.is_none() => return Err(Error::WrongNamespace),
        _ => {}
    }
    if header_action.is_some_and(|h| h != name) {
        return Err(Error::ActionMismatch);
    }
    let action = service.action(name).ok_or(Error::UnknownAction)?;
    let mut args = heapless::Vec::new();
    if !empty {
        while let Some((tag, empty)) = next_element(&mut r).map_err(|e| match e {
            Error::NotEnvelope => Error::MalformedArgument,
            e => e,
        })? {
            let value = if empty { Cow::Borrowed("") } else { argument_text(&mut r)? };
            args.push((tag.name.local, value)).map_err(|_| Error::TooManyArgs)?;
        }
    }
    // The rest must close the envelope properly.
    while r.next_event()? != Event::Eof {}
    Ok(Request { service, action, args })
}

/// UPnP error codes used by Rill's services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ErrorCode {
    /// 401: no such action.
    InvalidAction,
    /// 402: missing, extra or malformed arguments.
    InvalidArgs,
    /// 501: the action failed.
    ActionFailed,
    /// 701 (ContentDirectory): no such object.
    NoSuchObject,
    /// 706 (ConnectionManager): invalid connection reference.
    InvalidConnectionReference,
    /// 708 (ContentDirectory): unsupported or invalid search criteria.
    BadSearchCriteria,
    /// 709 (ContentDirectory): unsupported or invalid sort criteria.
    BadSortCriteria,
    /// 710 (ContentDirectory): no such container.
    NoSuchContainer,
    /// 720 (ContentDirectory): cannot process the request.
    CannotProcess,
}

impl ErrorCode {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            ErrorCode::InvalidAction => 401,
            ErrorCode::InvalidArgs => 402,
            ErrorCode::ActionFailed => 501,
            ErrorCode::NoSuchObject => 701,
            ErrorCode::InvalidConnectionReference => 706,
            ErrorCode::BadSearchCriteria => 708,
            ErrorCode::BadSortCriteria => 709,
            ErrorCode::NoSuchContainer => 710,
            ErrorCode::CannotProcess => 720,
        }
    }

    /// The description from the UPnP specifications.
    pub fn description(self) -> &'static str {
        match self {
            ErrorCode::InvalidAction => "Invalid Action",
            ErrorCode::InvalidArgs => "Invalid Args",
            ErrorCode::ActionFailed => "Action Failed",
            ErrorCode::NoSuchObject => "No such object",
            ErrorCode::InvalidConnectionReference => "Invalid connection reference",
            ErrorCode::BadSearchCriteria => "Unsupported or invalid search criteria",
            ErrorCode::BadSortCriteria => "Unsupported or invalid sort criteria",
            ErrorCode::NoSuchContainer => "No such container",
            ErrorCode::CannotProcess => "Cannot process the request",
        }
    }
}

/// A SOAP fault carrying a UPnP error; sent with HTTP status [`Fault::HTTP_STATUS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Fault(pub ErrorCode);

impl Fault {
    /// HTTP status of a fault response: 500 Internal Server Error.
    pub const HTTP_STATUS: u16 = 500;
}

impl From<Error> for Fault {
    fn from(e: Error) -> Self {
        Fault(e.code())
    }
}

const ENVELOPE_START: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
    <s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
    s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>";
const ENVELOPE_END: &str = "</s:Body></s:Envelope>\n";

impl Render for Fault {
    fn render(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        w.write_str(ENVELOPE_START)?;
        write!(
            w,
            "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>\
             <detail><UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\">\
             <errorCode>{}</errorCode><errorDescription>{}</errorDescription>\
             </UPnPError></detail></s:Fault>",
            self.0.code(),
            self.0.description()
        )?;
        w.write_str(ENVELOPE_END)
    }
}

/// The value of an out-argument.
// A `Value` lives on the stack only while one answer renders, a few per answer; boxing the
// DIDL-Lite document (about 230 bytes: it carries the player's quirks) would cost a heap
// allocation per Browse instead.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Value<'a> {
    /// Text, escaped when rendered.
    Text(Cow<'a, str>),
    /// An unsigned number.
    Unsigned(u32),
    /// A signed number.
    Signed(i32),
    /// A DIDL-Lite document, escaped as text when rendered.
    Didl(Document<'a>),
}

/// A successful action response: `u:<Action>Response` with the out-arguments in order.
#[derive(Debug, Clone)]
pub struct Response<'a> {
    /// The service answering.
    pub service: Service,
    /// The action answered.
    pub action: &'static str,
    /// Out-arguments, in SCPD order.
    pub args: Vec<(&'static str, Value<'a>)>,
}

impl Render for Response<'_> {
    fn render(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        w.write_str(ENVELOPE_START)?;
        write!(w, "<u:{}Response xmlns:u=\"{}\">", self.action, self.service.urn())?;
        for (name, value) in &self.args {
            write!(w, "<{name}>")?;
            match value {
                Value::Text(t) => write!(w, "{}", escape_text(t))?,
                Value::Unsigned(n) => write!(w, "{n}")?,
                Value::Signed(n) => write!(w, "{n}")?,
                Value::Didl(doc) => doc.render_escaped(w)?,
            }
            write!(w, "</{name}>")?;
        }
        write!(w, "</u:{}Response>", self.action)?;
        w.write_str(ENVELOPE_END)
    }
}

#[cfg(test)]
mod tests;
