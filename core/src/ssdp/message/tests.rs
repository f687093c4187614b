use super::*;

const UUID: &str = "4d696e69-444c-164e-9d41-b827eb5f3a10";

/// gssdp-discover (GUPnP) searching for everything: mixed-case header names, User-Agent.
const GSSDP: &[u8] = b"M-SEARCH * HTTP/1.1\r\n\
Host: 239.255.255.250:1900\r\n\
Man: \"ssdp:discover\"\r\n\
ST: ssdp:all\r\n\
MX: 3\r\n\
User-Agent: Linux/6.1.0 GSSDP/1.6.3\r\n\r\n";

/// A PS3 looking for media servers.
const PS3: &[u8] = b"M-SEARCH * HTTP/1.1\r\n\
HOST: 239.255.255.250:1900\r\n\
MAN: \"ssdp:discover\"\r\n\
MX: 3\r\n\
ST: urn:schemas-upnp-org:device:MediaServer:1\r\n\r\n";

/// Windows' SSDP service: no space after the colons.
const WINDOWS: &[u8] = b"M-SEARCH * HTTP/1.1\r\n\
Host:239.255.255.250:1900\r\n\
ST:urn:schemas-upnp-org:device:MediaServer:1\r\n\
Man:\"ssdp:discover\"\r\n\
MX:3\r\n\r\n";

/// A UDA 1.1 unicast search: HOST is the device, no MX.
const UNICAST: &[u8] = b"M-SEARCH * HTTP/1.1\r\n\
HOST: 192.168.1.10:1900\r\n\
MAN: \"ssdp:discover\"\r\n\
ST: upnp:rootdevice\r\n\
USER-AGENT: Linux/5.10 UPnP/1.1 test/1.0\r\n\r\n";

fn search(bytes: &[u8]) -> Search<'_> {
    match parse(bytes) {
        Ok(Message::Search(s)) => s,
        other => panic!("not a search: {other:?}"),
    }
}

#[test]
fn real_searches() {
    let s = search(GSSDP);
    assert_eq!((s.st, s.mx, s.man_ok), ("ssdp:all", Some(3), true));
    assert_eq!(s.host, Some("239.255.255.250:1900"));
    let s = search(PS3);
    assert_eq!(
        (s.st, s.mx, s.man_ok),
        ("urn:schemas-upnp-org:device:MediaServer:1", Some(3), true)
    );
    let s = search(WINDOWS);
    assert_eq!(
        (s.st, s.mx, s.man_ok),
        ("urn:schemas-upnp-org:device:MediaServer:1", Some(3), true)
    );
    let s = search(UNICAST);
    assert_eq!((s.st, s.mx, s.man_ok), ("upnp:rootdevice", None, true));
    // Bare LF line endings, lower-case names, padded values.
    let s = search(b"M-SEARCH * HTTP/1.1\nhost: 239.255.255.250:1900\nman:  \"SSDP:Discover\" \nmx: 1\nst:  upnp:rootdevice \n\n");
    assert_eq!((s.st, s.mx, s.man_ok), ("upnp:rootdevice", Some(1), true));
}

#[test]
fn search_fields_judged_later() {
    let s = search(b"M-SEARCH * HTTP/1.1\r\nMAN: ssdp:discover\r\nST: ssdp:all\r\nMX: 120\r\n\r\n");
    assert!(!s.man_ok, "MAN without quotes");
    assert_eq!(s.mx, Some(120));
    let s = search(b"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMX: 99999\r\n\r\n");
    assert_eq!((s.man_ok, s.mx), (false, Some(255)));
    let s = search(b"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMX: soon\r\n\r\n");
    assert_eq!(s.mx, None);
    // A header httparse cannot read is skipped, not fatal.
    let s = search(b"M-SEARCH * HTTP/1.1\r\nBad Header: x\r\nST: ssdp:all\r\n\r\n");
    assert_eq!(s.st, "ssdp:all");
}

#[test]
fn errors() {
    assert_eq!(parse(b"M-SEARCH * HTTP/1.1\r\nMX: 1\r\n\r\n"), Err(Error::MissingHeader));
    assert_eq!(parse(b"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n"), Err(Error::Malformed));
    assert_eq!(parse(b"GET / HTTP/1.1\r\n\r\n"), Err(Error::Unsupported));
    assert_eq!(parse(b"HTTP/1.1 404 Not Found\r\n\r\n"), Err(Error::Unsupported));
    assert_eq!(parse(b""), Err(Error::Malformed));
    assert_eq!(parse(&[0xff; 64]), Err(Error::Malformed));
    let many: String = (0..40).map(|i| format!("X-{i}: y\r\n")).collect();
    let flood = format!("M-SEARCH * HTTP/1.1\r\n{many}ST: ssdp:all\r\n\r\n");
    assert_eq!(parse(flood.as_bytes()), Err(Error::Malformed));
}

fn advert(target: Target) -> Advert<'static> {
    Advert {
        uuid: UUID,
        target,
        location: "http://192.168.1.10:8200/rootDesc.xml",
        server: "Linux/6.1 UPnP/1.0 DLNADOC/1.50 Rill/0.1.0",
        max_age: 1800,
        boot_id: 7,
        config_id: 3,
    }
}

/// Parses `bytes` as an HTTP head and returns its header lines as `NAME: value`, start line first.
fn lines(bytes: &[u8]) -> Vec<String> {
    let text = core::str::from_utf8(bytes).unwrap();
    assert!(text.ends_with("\r\n\r\n"));
    text.trim_end().split("\r\n").map(str::to_owned).collect()
}

#[test]
fn emit_search_response() {
    let mut buf = [0u8; 1024];
    let n = advert(Target::ContentDirectory)
        .emit_response(Some(HttpDate::from_unix(784_111_777)), &mut buf)
        .unwrap();
    assert_eq!(
        lines(&buf[..n]),
        [
            "HTTP/1.1 200 OK",
            "CACHE-CONTROL: max-age=1800",
            "DATE: Sun, 06 Nov 1994 08:49:37 GMT",
            "EXT:",
            "LOCATION: http://192.168.1.10:8200/rootDesc.xml",
            "SERVER: Linux/6.1 UPnP/1.0 DLNADOC/1.50 Rill/0.1.0",
            "ST: urn:schemas-upnp-org:service:ContentDirectory:1",
            &format!("USN: uuid:{UUID}::urn:schemas-upnp-org:service:ContentDirectory:1"),
            "BOOTID.UPNP.ORG: 7",
            "CONFIGID.UPNP.ORG: 3",
            "Content-Length: 0",
        ]
    );
    // Our own parser reads it back as a response to the same target.
    match parse(&buf[..n]) {
        Ok(Message::Response(r)) => {
            assert_eq!(Target::from_search(r.st, UUID), Some(Target::ContentDirectory));
            assert_eq!(r.location, Some("http://192.168.1.10:8200/rootDesc.xml"));
        }
        other => panic!("{other:?}"),
    }
    let without_date = advert(Target::Device).emit_response(None, &mut buf).unwrap();
    assert!(!lines(&buf[..without_date]).iter().any(|l| l.starts_with("DATE")));
}

#[test]
fn emit_notify() {
    let mut buf = [0u8; 1024];
    let n = advert(Target::RootDevice).emit_alive(&mut buf).unwrap();
    assert_eq!(
        lines(&buf[..n]),
        [
            "NOTIFY * HTTP/1.1",
            "HOST: 239.255.255.250:1900",
            "CACHE-CONTROL: max-age=1800",
            "LOCATION: http://192.168.1.10:8200/rootDesc.xml",
            "NT: upnp:rootdevice",
            "NTS: ssdp:alive",
            "SERVER: Linux/6.1 UPnP/1.0 DLNADOC/1.50 Rill/0.1.0",
            &format!("USN: uuid:{UUID}::upnp:rootdevice"),
            "BOOTID.UPNP.ORG: 7",
            "CONFIGID.UPNP.ORG: 3",
        ]
    );
    let n = advert(Target::Device).emit_byebye(&mut buf).unwrap();
    assert_eq!(
        lines(&buf[..n]),
        [
            "NOTIFY * HTTP/1.1",
            "HOST: 239.255.255.250:1900",
            &format!("NT: uuid:{UUID}"),
            "NTS: ssdp:byebye",
            &format!("USN: uuid:{UUID}"),
            "BOOTID.UPNP.ORG: 7",
            "CONFIGID.UPNP.ORG: 3",
        ]
    );
    match parse(&buf[..n]) {
        Ok(Message::Notify(m)) => {
            assert_eq!((m.nts, m.location), ("ssdp:byebye", None));
            assert_eq!(m.usn, format!("uuid:{UUID}"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn emit_refuses_small_buffers_and_bad_text() {
    let mut big = [0u8; 1024];
    let ad = advert(Target::MediaReceiverRegistrar);
    let need = ad.emit_alive(&mut big).unwrap();
    let mut small = vec![0u8; need - 1];
    assert_eq!(ad.emit_alive(&mut small), Err(WriteError::BufferTooSmall { needed: need }));
    let evil = Advert { location: "http://x/\r\nEVIL: 1", ..ad };
    assert_eq!(evil.emit_alive(&mut big), Err(WriteError::InvalidHeader));
    let server = ServerHeader { os: "Linux", os_version: "6.1", version: "0.1.0" };
    assert_eq!(server.to_string(), "Linux/6.1 UPnP/1.0 DLNADOC/1.50 Rill/0.1.0");
}

#[test]
fn mangled_datagrams_never_panic() {
    for seed in [GSSDP, PS3, WINDOWS, UNICAST] {
        for end in 0..=seed.len() {
            let _ = parse(&seed[..end]);
        }
        for i in 0..seed.len() {
            for b in [0u8, b'\r', b'\n', b' ', b':', b'"', 0xff] {
                let mut v = seed.to_vec();
                v[i] = b;
                if let Ok(Message::Search(s)) = parse(&v) {
                    assert!(s.st.len() < v.len());
                }
            }
        }
    }
}
