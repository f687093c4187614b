//! UPnP control: the device description, SOAP actions and ContentDirectory Browse.
//!
//! [`Description::parse`] reads a device description and resolves each service's URLs against
//! the description's location. [`request_body`] builds a SOAP envelope with escaped arguments;
//! [`parse_response`] reads the answer: the `u:<Action>Response` out-arguments in order, or a
//! `UPnPError` fault with its code and description. [`BrowseResult`] holds a parsed Browse answer.

use std::fmt;
use std::io;

use roxmltree::{Document, Node};

use super::didl;
use super::http::{Response, Url};

const DEVICE_NS: &str = "urn:schemas-upnp-org:device-1-0";
const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const CONTROL_NS: &str = "urn:schemas-upnp-org:control-1-0";

/// Why a SOAP call did not produce out-arguments.
#[derive(Debug)]
pub enum Error {
    /// The server answered with a UPnP fault.
    Fault {
        /// The HTTP status (500 for a proper fault).
        http_status: u16,
        /// `UPnPError/errorCode`.
        code: u32,
        /// `UPnPError/errorDescription`.
        description: String,
    },
    /// The connection failed or timed out.
    Io(io::Error),
    /// The answer was not a well-formed SOAP response or fault.
    Malformed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Fault { http_status, code, description } => {
                write!(f, "UPnP fault {code} ({description}), HTTP {http_status}")
            }
            Error::Io(e) => write!(f, "I/O: {e}"),
            Error::Malformed(m) => write!(f, "malformed SOAP answer: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// One `<service>` of a device description, URLs made absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// `serviceType`, e.g. `urn:schemas-upnp-org:service:ContentDirectory:1`.
    pub service_type: String,
    /// `serviceId`.
    pub service_id: String,
    /// `SCPDURL`, resolved.
    pub scpd_url: String,
    /// `controlURL`, resolved.
    pub control_url: String,
    /// `eventSubURL`, resolved.
    pub event_sub_url: String,
}

/// The parts of a device description the tests look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// `specVersion` as (major, minor).
    pub spec_version: (u32, u32),
    /// `deviceType`.
    pub device_type: String,
    /// `friendlyName`.
    pub friendly_name: String,
    /// `manufacturer`.
    pub manufacturer: String,
    /// `modelName`.
    pub model_name: String,
    /// `modelNumber`, if present.
    pub model_number: Option<String>,
    /// `UDN` (`uuid:...`).
    pub udn: String,
    /// `dlna:X_DLNADOC` values.
    pub dlna_doc: Vec<String>,
    /// Icon URLs, resolved, with their MIME types.
    pub icons: Vec<(String, String)>,
    /// The services.
    pub services: Vec<Service>,
    /// The document as received.
    pub xml: String,
}

impl Description {
    /// Parses `xml` fetched from `location`.
    pub fn parse(xml: &str, location: &str) -> Result<Description, String> {
        let base = Url::parse(location).map_err(|e| e.to_string())?;
        let doc = Document::parse(xml).map_err(|e| format!("description is not XML: {e}"))?;
        let root = doc.root_element();
        if !root.has_tag_name((DEVICE_NS, "root")) {
            return Err(format!("root element is {:?}", root.tag_name()));
        }
        // UDA 1.0 allows a URLBase; relative URLs resolve against it, else against the location.
        let base = match text_of(root, "URLBase") {
            Some(b) => base.join(&b).map_err(|e| e.to_string())?,
            None => base,
        };
        let absolute = |href: String| -> Result<String, String> {
            let u = base.join(&href).map_err(|e| format!("{href}: {e}"))?;
            Ok(format!("http://{}{}", u.authority, u.path))
        };
        let spec = child(root, "specVersion").ok_or("no specVersion")?;
        let spec_version = (number(spec, "major")?, number(spec, "minor")?);
        let device = child(root, "device").ok_or("no device")?;
        let need = |name: &str| text_of(device, name).ok_or(format!("device without {name}"));
        let services = child(device, "serviceList")
            .map(|list| {
                list.children()
                    .filter(|s| s.has_tag_name((DEVICE_NS, "service")))
                    .map(|s| {
                        let need =
                            |name: &str| text_of(s, name).ok_or(format!("service without {name}"));
                        Ok(Service {
                            service_type: need("serviceType")?,
                            service_id: need("serviceId")?,
                            scpd_url: absolute(need("SCPDURL")?)?,
                            control_url: absolute(need("controlURL")?)?,
                            event_sub_url: absolute(need("eventSubURL")?)?,
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
            .transpose()?
            .unwrap_or_default();
        let icons = child(device, "iconList")
            .map(|list| {
                list.children()
                    .filter(|i| i.has_tag_name((DEVICE_NS, "icon")))
                    .map(|i| {
                        let url = text_of(i, "url").ok_or("icon without url")?;
                        Ok((absolute(url)?, text_of(i, "mimetype").unwrap_or_default()))
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
            .transpose()?
            .unwrap_or_default();
        let dlna_doc = device
            .children()
            .filter(|c| c.tag_name().name() == "X_DLNADOC")
            .map(|c| c.text().unwrap_or_default().trim().to_string())
            .collect();
        Ok(Description {
            spec_version,
            device_type: need("deviceType")?,
            friendly_name: need("friendlyName")?,
            manufacturer: need("manufacturer")?,
            model_name: need("modelName")?,
            model_number: text_of(device, "modelNumber"),
            udn: need("UDN")?,
            dlna_doc,
            icons,
            services,
            xml: xml.to_string(),
        })
    }

    /// The service of type `service_type`, if listed.
    pub fn service(&self, service_type: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.service_type == service_type)
    }
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name((DEVICE_NS, name)))
}

fn text_of(node: Node, name: &str) -> Option<String> {
    child(node, name).map(|c| c.text().unwrap_or_default().trim().to_string())
}

fn number(node: Node, name: &str) -> Result<u32, String> {
    text_of(node, name)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| format!("{name} missing or not a number"))
}

/// Escapes text for XML character data and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The SOAP envelope for `action` of `service_type` with `args` in order.
pub fn request_body(service_type: &str, action: &str, args: &[(&str, &str)]) -> String {
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<s:Envelope xmlns:s=\"{SOAP_ENV_NS}\" \
         s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>\
         <u:{action} xmlns:u=\"{}\">",
        escape(service_type)
    );
    for (name, value) in args {
        body.push_str(&format!("<{name}>{}</{name}>", escape(value)));
    }
    body.push_str(&format!("</u:{action}></s:Body></s:Envelope>"));
    body
}

/// Reads a SOAP answer: out-arguments of `<action>Response` in `service_type`, or the fault.
pub fn parse_response(
    resp: &Response,
    service_type: &str,
    action: &str,
) -> Result<Vec<(String, String)>, Error> {
    let malformed = |m: String| Error::Malformed(format!("HTTP {}: {m}", resp.status));
    let text = std::str::from_utf8(&resp.body).map_err(|_| malformed("body not UTF-8".into()))?;
    let doc = Document::parse(text).map_err(|e| malformed(format!("not XML: {e}")))?;
    let envelope = doc.root_element();
    if !envelope.has_tag_name((SOAP_ENV_NS, "Envelope")) {
        return Err(malformed(format!("root is {:?}", envelope.tag_name())));
    }
    let body = envelope
        .children()
        .find(|c| c.has_tag_name((SOAP_ENV_NS, "Body")))
        .ok_or_else(|| malformed("no s:Body".into()))?;
    let first = body.first_element_child().ok_or_else(|| malformed("empty s:Body".into()))?;
    if first.has_tag_name((SOAP_ENV_NS, "Fault")) {
        let error = first
            .descendants()
            .find(|n| n.has_tag_name((CONTROL_NS, "UPnPError")))
            .ok_or_else(|| malformed("fault without UPnPError".into()))?;
        let field = |name: &str| {
            error
                .children()
                .find(|c| c.has_tag_name((CONTROL_NS, name)))
                .map(|c| c.text().unwrap_or_default().trim().to_string())
        };
        let code = field("errorCode")
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| malformed("fault without a numeric errorCode".into()))?;
        return Err(Error::Fault {
            http_status: resp.status,
            code,
            description: field("errorDescription").unwrap_or_default(),
        });
    }
    let expected = format!("{action}Response");
    if !first.has_tag_name((service_type, expected.as_str())) {
        return Err(malformed(format!(
            "expected {expected} in {service_type}, got {:?}",
            first.tag_name()
        )));
    }
    if resp.status != 200 {
        return Err(malformed("a response element with a non-200 status".into()));
    }
    Ok(first
        .children()
        .filter(Node::is_element)
        .map(|a| (a.tag_name().name().to_string(), a.text().unwrap_or_default().to_string()))
        .collect())
}

/// `BrowseFlag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowseFlag {
    /// The object itself.
    Metadata,
    /// The container's children.
    DirectChildren,
}

impl BrowseFlag {
    /// The argument value.
    pub fn as_str(self) -> &'static str {
        match self {
            BrowseFlag::Metadata => "BrowseMetadata",
            BrowseFlag::DirectChildren => "BrowseDirectChildren",
        }
    }
}

/// A parsed Browse answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseResult {
    /// The DIDL-Lite objects, in order.
    pub objects: Vec<didl::Object>,
    /// `NumberReturned`.
    pub number_returned: u32,
    /// `TotalMatches`.
    pub total_matches: u32,
    /// `UpdateID`.
    pub update_id: u32,
    /// The `Result` argument (DIDL-Lite text after one SOAP unescape).
    pub didl: String,
}

impl BrowseResult {
    /// Builds the result from Browse's out-arguments; checks NumberReturned against the DIDL.
    pub fn from_args(args: &[(String, String)]) -> Result<BrowseResult, Error> {
        let get = |name: &str| {
            args.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| Error::Malformed(format!("Browse answer without {name}")))
        };
        let num = |name: &str| -> Result<u32, Error> {
            get(name)?
                .trim()
                .parse()
                .map_err(|_| Error::Malformed(format!("{name} is not a number")))
        };
        let didl = get("Result")?.to_string();
        let objects = didl::parse(&didl).map_err(Error::Malformed)?;
        let result = BrowseResult {
            number_returned: num("NumberReturned")?,
            total_matches: num("TotalMatches")?,
            update_id: num("UpdateID")?,
            objects,
            didl,
        };
        if result.number_returned as usize != result.objects.len() {
            return Err(Error::Malformed(format!(
                "NumberReturned {} but {} objects",
                result.number_returned,
                result.objects.len()
            )));
        }
        Ok(result)
    }

    /// The containers, in order.
    pub fn containers(&self) -> impl Iterator<Item = &didl::Object> {
        self.objects.iter().filter(|o| o.is_container)
    }

    /// The items, in order.
    pub fn items(&self) -> impl Iterator<Item = &didl::Object> {
        self.objects.iter().filter(|o| !o.is_container)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CDS: &str = "urn:schemas-upnp-org:service:ContentDirectory:1";

    fn response(status: u16, body: &str) -> Response {
        Response {
            version: "HTTP/1.1".into(),
            status,
            reason: String::new(),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            chunked: false,
        }
    }

    #[test]
    fn request_body_escapes_arguments() {
        let body =
            request_body(CDS, "Browse", &[("ObjectID", "0"), ("SortCriteria", "+dc:title&<")]);
        let doc = Document::parse(&body).unwrap();
        let action = doc.descendants().find(|n| n.has_tag_name((CDS, "Browse"))).unwrap();
        let args: Vec<_> =
            action.children().map(|c| (c.tag_name().name(), c.text().unwrap())).collect();
        assert_eq!(args, [("ObjectID", "0"), ("SortCriteria", "+dc:title&<")]);
    }

    #[test]
    fn browse_response_with_doubly_escaped_didl() {
        // The DIDL is escaped once inside SOAP; its own `&amp;` arrives as `&amp;amp;`.
        let body = format!(
            r#"<?xml version="1.0"?><s:Envelope xmlns:s="{SOAP_ENV_NS}"><s:Body>
<u:BrowseResponse xmlns:u="{CDS}"><Result>&lt;DIDL-Lite xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/"&gt;&lt;item id="7" parentID="3" restricted="1"&gt;&lt;dc:title&gt;Salt &amp;amp; Stone&lt;/dc:title&gt;&lt;upnp:class&gt;object.item.audioItem.musicTrack&lt;/upnp:class&gt;&lt;/item&gt;&lt;/DIDL-Lite&gt;</Result>
<NumberReturned>1</NumberReturned><TotalMatches>4</TotalMatches><UpdateID>9</UpdateID>
</u:BrowseResponse></s:Body></s:Envelope>"#
        );
        let args = parse_response(&response(200, &body), CDS, "Browse").unwrap();
        let names: Vec<_> = args.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Result", "NumberReturned", "TotalMatches", "UpdateID"]);
        let result = BrowseResult::from_args(&args).unwrap();
        assert_eq!((result.number_returned, result.total_matches, result.update_id), (1, 4, 9));
        assert_eq!(result.items().next().unwrap().title, "Salt & Stone");
        assert_eq!(result.containers().count(), 0);

        let lying = body.replace("<NumberReturned>1<", "<NumberReturned>2<");
        let args = parse_response(&response(200, &lying), CDS, "Browse").unwrap();
        assert!(matches!(BrowseResult::from_args(&args), Err(Error::Malformed(_))));
    }

    #[test]
    fn faults_and_wrong_answers() {
        let fault = format!(
            r#"<s:Envelope xmlns:s="{SOAP_ENV_NS}"><s:Body><s:Fault><faultcode>s:Client</faultcode>
<faultstring>UPnPError</faultstring><detail><UPnPError xmlns="{CONTROL_NS}">
<errorCode>701</errorCode><errorDescription>No such object</errorDescription></UPnPError>
</detail></s:Fault></s:Body></s:Envelope>"#
        );
        match parse_response(&response(500, &fault), CDS, "Browse") {
            Err(Error::Fault { http_status: 500, code: 701, description }) => {
                assert_eq!(description, "No such object")
            }
            other => panic!("expected fault 701, got {other:?}"),
        }
        let wrong = format!(
            r#"<s:Envelope xmlns:s="{SOAP_ENV_NS}"><s:Body><u:SearchResponse xmlns:u="{CDS}"/></s:Body></s:Envelope>"#
        );
        assert!(matches!(
            parse_response(&response(200, &wrong), CDS, "Browse"),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            parse_response(&response(200, "<x"), CDS, "Browse"),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn description_resolves_service_urls() {
        let xml = r#"<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0" xmlns:dlna="urn:schemas-dlna-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>
<friendlyName>Rill on vm</friendlyName><manufacturer>Rill</manufacturer><modelName>Rill</modelName>
<UDN>uuid:2a6c8be8-374f-4c95-8409-86dcaee89a10</UDN><dlna:X_DLNADOC>DMS-1.50</dlna:X_DLNADOC>
<iconList><icon><mimetype>image/png</mimetype><url>/icon.png</url></icon></iconList>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:ContentDirectory:1</serviceType>
<serviceId>urn:upnp-org:serviceId:ContentDirectory</serviceId><SCPDURL>cds.xml</SCPDURL>
<controlURL>/ctl/cds</controlURL><eventSubURL>http://127.0.0.1:9/evt/cds</eventSubURL></service>
</serviceList></device></root>"#;
        let d = Description::parse(xml, "http://127.0.0.1:8210/dev/desc.xml").unwrap();
        assert_eq!(d.spec_version, (1, 0));
        assert_eq!(d.friendly_name, "Rill on vm");
        assert_eq!(d.model_number, None);
        assert_eq!(d.dlna_doc, ["DMS-1.50"]);
        assert_eq!(
            d.icons,
            [("http://127.0.0.1:8210/icon.png".to_string(), "image/png".to_string())]
        );
        let cds = d.service(CDS).unwrap();
        assert_eq!(cds.scpd_url, "http://127.0.0.1:8210/dev/cds.xml");
        assert_eq!(cds.control_url, "http://127.0.0.1:8210/ctl/cds");
        assert_eq!(cds.event_sub_url, "http://127.0.0.1:9/evt/cds");
        assert!(Description::parse(
            &xml.replace("<UDN>", "<X>").replace("</UDN>", "</X>"),
            "http://127.0.0.1:1/"
        )
        .is_err());
    }
}
