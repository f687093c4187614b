//! SOAP request bodies in the shapes real control points send (reconstructed from their
//! serialisers: libupnp/VLC with line breaks, gupnp, Cling/BubbleUPnP with `standalone` and
//! an empty-element argument, Windows/Xbox with `ContainerID` and attribute order swapped).

use super::*;

const CD: &str = "urn:schemas-upnp-org:service:ContentDirectory:1";

const VLC_BROWSE: &str = "<?xml version=\"1.0\"?>\n\
<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">\n\
<s:Body>\n<u:Browse xmlns:u=\"urn:schemas-upnp-org:service:ContentDirectory:1\">\n\
<ObjectID>0</ObjectID>\n<BrowseFlag>BrowseDirectChildren</BrowseFlag>\n\
<Filter>id,dc:title,upnp:class,res,res@duration,res@size,upnp:album,upnp:artist</Filter>\n\
<StartingIndex>0</StartingIndex>\n<RequestedCount>5000</RequestedCount>\n<SortCriteria></SortCriteria>\n\
</u:Browse>\n</s:Body>\n</s:Envelope>\n";

const CLING_BROWSE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\
<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">\
<s:Body><u:Browse xmlns:u=\"urn:schemas-upnp-org:service:ContentDirectory:1\"><ObjectID>0</ObjectID>\
<BrowseFlag>BrowseMetadata</BrowseFlag><Filter>*</Filter><StartingIndex>0</StartingIndex>\
<RequestedCount>200</RequestedCount><SortCriteria/></u:Browse></s:Body></s:Envelope>";

const XBOX_BROWSE: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<s:Envelope s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">\
<s:Body><u:Browse xmlns:u=\"urn:schemas-upnp-org:service:ContentDirectory:1\"><ContainerID>0</ContainerID>\
<BrowseFlag>BrowseDirectChildren</BrowseFlag><Filter>dc:title,upnp:class,res@size</Filter>\
<StartingIndex>0</StartingIndex><RequestedCount>1000</RequestedCount><SortCriteria>+dc:title</SortCriteria>\
</u:Browse></s:Body></s:Envelope>";

const XBOX_IS_AUTHORIZED: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<s:Envelope s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">\
<s:Body><u:IsAuthorized xmlns:u=\"urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1\">\
<DeviceID></DeviceID></u:IsAuthorized></s:Body></s:Envelope>";

const GUPNP_BROWSE: &str = "<?xml version=\"1.0\"?>\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:Browse xmlns:u=\"urn:schemas-upnp-org:service:ContentDirectory:1\">\
<ObjectID>0</ObjectID><BrowseFlag>BrowseDirectChildren</BrowseFlag>\
<Filter>@childCount,@parentID,dc:title,upnp:class,res,res@duration,upnp:albumArtURI</Filter>\
<StartingIndex>0</StartingIndex><RequestedCount>64</RequestedCount><SortCriteria>+upnp:class,+dc:title</SortCriteria>\
</u:Browse></s:Body></s:Envelope>\n";

/// Python control points (async_upnp_client style): the service namespace declared on the
/// envelope as `ns0`, indented.
const NS0_BROWSE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns0=\"urn:schemas-upnp-org:service:ContentDirectory:1\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">\n\
   <s:Body>\n      <ns0:Browse>\n         <ObjectID>0</ObjectID>\n         <BrowseFlag>BrowseMetadata</BrowseFlag>\n\
         <Filter>*</Filter>\n         <StartingIndex>0</StartingIndex>\n         <RequestedCount>0</RequestedCount>\n\
         <SortCriteria />\n      </ns0:Browse>\n   </s:Body>\n</s:Envelope>\n";

fn envelope(action: &str, ns: &str, args: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"{ENVELOPE_NS}\"><s:Body>\
         <u:{action} xmlns:u=\"{ns}\">{args}</u:{action}></s:Body></s:Envelope>"
    )
}

#[test]
fn parses_real_control_point_requests() {
    let header = format!("\"{CD}#Browse\"");
    let vlc = parse(Service::ContentDirectory, Some(&header), VLC_BROWSE).unwrap();
    assert_eq!(vlc.action.name, "Browse");
    assert_eq!(vlc.arg("ObjectID"), Some("0"));
    assert_eq!(vlc.arg("RequestedCount"), Some("5000"));
    assert_eq!(vlc.arg("SortCriteria"), Some(""));
    assert_eq!(vlc.args().count(), 6);

    // Header without quotes, as some clients send it.
    let cling =
        parse(Service::ContentDirectory, Some(&format!(" {CD}#Browse ")), CLING_BROWSE).unwrap();
    assert_eq!(cling.arg("BrowseFlag"), Some("BrowseMetadata"));
    assert_eq!(cling.arg("SortCriteria"), Some(""));

    let xbox = parse(Service::ContentDirectory, Some(&header), XBOX_BROWSE).unwrap();
    assert_eq!(xbox.arg("ContainerID"), Some("0"));
    assert_eq!(xbox.arg("ObjectID"), None);

    let gupnp = parse(Service::ContentDirectory, Some(&header), GUPNP_BROWSE).unwrap();
    assert_eq!(gupnp.arg("SortCriteria"), Some("+upnp:class,+dc:title"));
    assert_eq!(gupnp.arg("Filter").map(|f| f.split(',').count()), Some(7));

    let ns0 = parse(Service::ContentDirectory, Some(&header), NS0_BROWSE).unwrap();
    assert_eq!(ns0.arg("BrowseFlag"), Some("BrowseMetadata"));
    assert_eq!(ns0.arg("SortCriteria"), Some(""));
    assert_eq!(ns0.args().count(), 6);

    let reg_header = "\"urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1#IsAuthorized\"";
    let auth = parse(Service::Registrar, Some(reg_header), XBOX_IS_AUTHORIZED).unwrap();
    assert_eq!(auth.action.name, "IsAuthorized");
    assert_eq!(auth.arg("DeviceID"), Some(""));
}

#[test]
fn namespaces_prefixes_headers_and_text_forms() {
    // Other prefixes, namespace declared on the envelope, a SOAP header, entities and CDATA.
    let body = format!(
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"{ENVELOPE_NS}\" xmlns:m=\"{CD}\">\
         <SOAP-ENV:Header><x:Auth xmlns:x=\"urn:x\"><y/></x:Auth></SOAP-ENV:Header>\
         <SOAP-ENV:Body><m:Browse><ObjectID>0</ObjectID><Filter>dc:title,&#x72;es&amp;x</Filter>\
         <SortCriteria><![CDATA[+dc:title]]>,-dc:date</SortCriteria></m:Browse></SOAP-ENV:Body>\
         </SOAP-ENV:Envelope>"
    );
    let req = parse(Service::ContentDirectory, None, &body).unwrap();
    assert_eq!(req.arg("Filter"), Some("dc:title,res&x"));
    assert_eq!(req.arg("SortCriteria"), Some("+dc:title,-dc:date"));
    // A default namespace on the action element.
    let body = format!(
        "<s:Envelope xmlns:s=\"{ENVELOPE_NS}\"><s:Body><GetSystemUpdateID xmlns=\"{CD}\"/>\
         </s:Body></s:Envelope>"
    );
    let req = parse(Service::ContentDirectory, None, &body).unwrap();
    assert_eq!((req.action.name, req.args().count()), ("GetSystemUpdateID", 0));
    // No namespace at all is accepted when the header names the service.
    let body = "<Envelope><Body><GetSystemUpdateID/></Body></Envelope>";
    let header = format!("{CD}#GetSystemUpdateID");
    assert!(parse(Service::ContentDirectory, Some(&header), body).is_ok());
    assert_eq!(parse(Service::ContentDirectory, None, body), Err(Error::WrongNamespace));
}

#[test]
fn rejects_mismatches_and_malformed_bodies() {
    let browse = envelope("Browse", CD, "<ObjectID>0</ObjectID>");
    let cd = Service::ContentDirectory;
    let cm_header = "\"urn:schemas-upnp-org:service:ConnectionManager:1#Browse\"";
    assert_eq!(parse(cd, Some(cm_header), &browse), Err(Error::BadSoapAction));
    assert_eq!(parse(cd, Some("Browse"), &browse), Err(Error::BadSoapAction));
    assert_eq!(parse(cd, Some(&format!("{CD}#Search")), &browse), Err(Error::ActionMismatch));
    let cm = "urn:schemas-upnp-org:service:ConnectionManager:1";
    assert_eq!(parse(cd, None, &envelope("Browse", cm, "")), Err(Error::WrongNamespace));
    assert_eq!(parse(cd, None, &envelope("Reboot", CD, "")), Err(Error::UnknownAction));
    assert_eq!(
        parse(cd, None, &envelope("Browse", CD, "<ObjectID><a/></ObjectID>")),
        Err(Error::MalformedArgument)
    );
    assert_eq!(parse(cd, None, &envelope("Browse", CD, "stray")), Err(Error::MalformedArgument));
    let many = "<A>1</A>".repeat(MAX_ARGS + 1);
    assert_eq!(parse(cd, None, &envelope("Browse", CD, &many)), Err(Error::TooManyArgs));
    assert_eq!(parse(cd, None, "<x/>"), Err(Error::NotEnvelope));
    assert_eq!(
        parse(cd, None, &browse[..browse.len() - 5]),
        Err(Error::Xml(xml::Error::UnexpectedEof))
    );
    let bomb = format!("<!DOCTYPE s [<!ENTITY a \"b\">]>{browse}");
    assert_eq!(parse(cd, None, &bomb), Err(Error::Xml(xml::Error::Declaration)));
    let deep = envelope("Browse", CD, &("<a>".repeat(40) + &"</a>".repeat(40)));
    assert!(matches!(parse(cd, None, &deep), Err(Error::MalformedArgument | Error::Xml(_))));
    assert_eq!(Error::TooManyArgs.code().code(), 402);
    assert_eq!(Error::UnknownAction.code().code(), 401);
    assert_eq!(split_soap_action("\"urn:a:b#C\""), Some(("urn:a:b", "C")));
    assert_eq!(split_soap_action("urn:a:b#"), None);
}

#[test]
fn response_and_fault_render_well_formed() {
    let response = Response {
        service: Service::ConnectionManager,
        action: "GetCurrentConnectionIDs",
        args: alloc::vec![
            ("ConnectionIDs", Value::Text("0 & <1>".into())),
            ("N", Value::Signed(-1))
        ],
    };
    let mut out = String::new();
    response.render(&mut out).unwrap();
    assert_eq!(response.rendered_len().unwrap(), out.len());
    let doc = roxmltree::Document::parse(&out).unwrap();
    let body = doc.root_element().first_element_child().unwrap();
    assert!(body.has_tag_name((ENVELOPE_NS, "Body")));
    let action = body.first_element_child().unwrap();
    assert!(action.has_tag_name((
        "urn:schemas-upnp-org:service:ConnectionManager:1",
        "GetCurrentConnectionIDsResponse"
    )));
    let values: Vec<_> =
        action.children().map(|c| (c.tag_name().name(), c.text().unwrap_or(""))).collect();
    assert_eq!(values, [("ConnectionIDs", "0 & <1>"), ("N", "-1")]);

    for code in [
        ErrorCode::InvalidAction,
        ErrorCode::InvalidArgs,
        ErrorCode::ActionFailed,
        ErrorCode::NoSuchObject,
        ErrorCode::InvalidConnectionReference,
        ErrorCode::BadSearchCriteria,
        ErrorCode::BadSortCriteria,
        ErrorCode::NoSuchContainer,
        ErrorCode::CannotProcess,
    ] {
        let mut out = String::new();
        Fault(code).render(&mut out).unwrap();
        let doc = roxmltree::Document::parse(&out).unwrap();
        let fault = doc.descendants().find(|n| n.has_tag_name((ENVELOPE_NS, "Fault"))).unwrap();
        let err = fault
            .descendants()
            .find(|n| n.has_tag_name(("urn:schemas-upnp-org:control-1-0", "UPnPError")))
            .unwrap();
        let text = |name: &str| {
            err.children().find(|c| c.has_tag_name(name)).and_then(|c| c.text()).unwrap()
        };
        assert_eq!(text("errorCode"), code.code().to_string());
        assert_eq!(text("errorDescription"), code.description());
        let faultcode = fault.children().find(|c| c.has_tag_name("faultcode")).unwrap();
        assert_eq!(faultcode.text(), Some("s:Client"));
    }
}
