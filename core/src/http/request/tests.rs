use super::*;

/// The parts of a parsed request the tests compare, owned.
#[derive(Debug, PartialEq)]
struct Summary {
    method: String,
    target: String,
    version: Version,
    content_length: u64,
    keep_alive: bool,
    head_len: usize,
}

fn parse_with(buf: &[u8], limits: &RequestLimits) -> Result<Parsed<Summary>, Error> {
    let mut storage = [EMPTY_HEADER; 64];
    Ok(match parse(buf, &mut storage, limits)? {
        Parsed::Partial => Parsed::Partial,
        Parsed::Complete(r) => Parsed::Complete(Summary {
            method: r.method.as_str().to_owned(),
            target: r.target.to_owned(),
            version: r.version,
            content_length: r.content_length,
            keep_alive: r.keep_alive,
            head_len: r.head_len,
        }),
    })
}

fn complete<'h, 'b>(buf: &'b [u8], storage: &'h mut [Header<'b>]) -> Request<'h, 'b> {
    match parse(buf, storage, &RequestLimits::DEFAULT) {
        Ok(Parsed::Complete(r)) => r,
        other => panic!("expected a complete request, got {other:?}"),
    }
}

/// A PS3 probing a track before playing it (HTTP/1.0 HEAD, DLNA headers).
const PS3_HEAD: &[u8] = b"HEAD /media/12.l16 HTTP/1.0\r\n\
Host: 192.168.1.10:8200\r\n\
User-Agent: PLAYSTATION 3\r\n\
Connection: Keep-Alive\r\n\
transferMode.dlna.org: Streaming\r\n\
getcontentFeatures.dlna.org: 1\r\n\
TimeSeekRange.dlna.org: npt=0.00-\r\n\r\n";

/// VLC resuming a stream with an open byte range.
const VLC_GET: &[u8] = b"GET /media/12.l16 HTTP/1.1\r\n\
Host: 192.168.1.10:8200\r\n\
Accept: */*\r\n\
Accept-Language: en_US\r\n\
User-Agent: VLC/3.0.18 LibVLC/3.0.18\r\n\
Range: bytes=1048576-\r\n\
Connection: close\r\n\
Icy-MetaData: 1\r\n\r\n";

/// A Samsung TV browsing (SOAP POST with a body).
const SAMSUNG_POST: &[u8] = b"POST /ctl/ContentDir HTTP/1.1\r\n\
CACHE-CONTROL: no-cache\r\n\
CONNECTION: Close\r\n\
CONTENT-LENGTH: 7\r\n\
CONTENT-TYPE: text/xml;charset=\"utf-8\"\r\n\
HOST: 192.168.1.10:8200\r\n\
USER-AGENT: DLNADOC/1.50 SEC_HHP_[TV]Samsung/1.0\r\n\
SOAPACTION: \"urn:schemas-upnp-org:service:ContentDirectory:1#Browse\"\r\n\r\n<body/>";

#[test]
fn ps3_head_http10() {
    let mut storage = [EMPTY_HEADER; 16];
    let r = complete(PS3_HEAD, &mut storage);
    assert_eq!(r.method, Method::Head);
    assert_eq!(r.target, "/media/12.l16");
    assert_eq!(r.version, Version::Http10);
    assert_eq!(r.head_len, PS3_HEAD.len());
    assert_eq!(r.content_length, 0);
    // HTTP/1.0 with "Connection: Keep-Alive" (case differs) keeps the connection.
    assert!(r.keep_alive);
    assert_eq!(r.headers.get("GETCONTENTFEATURES.DLNA.ORG"), Some(&b"1"[..]));
    assert_eq!(r.headers.get_str("timeseekrange.dlna.org"), Some("npt=0.00-"));
    assert_eq!(r.headers.get("range"), None);
    assert_eq!(r.headers.len(), 6);
}

#[test]
fn vlc_range_http11_close() {
    let mut storage = [EMPTY_HEADER; 16];
    let r = complete(VLC_GET, &mut storage);
    assert_eq!((r.method, r.version), (Method::Get, Version::Http11));
    assert!(!r.keep_alive);
    assert_eq!(r.headers.get("Range"), Some(&b"bytes=1048576-"[..]));
}

#[test]
fn samsung_post_with_body() {
    let mut storage = [EMPTY_HEADER; 16];
    let r = complete(SAMSUNG_POST, &mut storage);
    assert_eq!(r.method, Method::Post);
    assert_eq!(r.content_length, 7);
    assert!(!r.keep_alive);
    let body = &SAMSUNG_POST[r.head_len..];
    assert_eq!(body, b"<body/>");
    assert_eq!(
        r.headers.get_str("soapaction"),
        Some("\"urn:schemas-upnp-org:service:ContentDirectory:1#Browse\"")
    );
}

#[test]
fn every_prefix_is_partial() {
    for end in 0..PS3_HEAD.len() {
        assert_eq!(
            parse_with(&PS3_HEAD[..end], &RequestLimits::DEFAULT),
            Ok(Parsed::Partial),
            "{end}"
        );
    }
}

#[test]
fn keep_alive_rules() {
    let cases: &[(&[u8], bool)] = &[
        (b"GET / HTTP/1.1\r\n\r\n", true),
        (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false),
        (b"GET / HTTP/1.1\r\nConnection: TE, Close\r\n\r\n", false),
        (b"GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false),
        (b"GET / HTTP/1.0\r\n\r\n", false),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        (b"GET / HTTP/1.0\r\nConnection: foo,  KEEP-ALIVE \r\n\r\n", true),
        (b"GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", false),
    ];
    for (bytes, keep) in cases {
        let mut storage = [EMPTY_HEADER; 4];
        assert_eq!(
            complete(bytes, &mut storage).keep_alive,
            *keep,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn methods() {
    for (line, method) in [
        ("SUBSCRIBE /evt/cd HTTP/1.1", Method::Subscribe),
        ("UNSUBSCRIBE /evt/cd HTTP/1.1", Method::Unsubscribe),
        ("NOTIFY * HTTP/1.1", Method::Notify),
        ("M-SEARCH * HTTP/1.1", Method::MSearch),
        ("OPTIONS * HTTP/1.1", Method::Options),
        ("PROPFIND / HTTP/1.1", Method::Other("PROPFIND")),
        ("get / HTTP/1.1", Method::Other("get")),
    ] {
        let bytes = format!("{line}\r\nHost: x\r\n\r\n");
        let mut storage = [EMPTY_HEADER; 4];
        let r = complete(bytes.as_bytes(), &mut storage);
        assert_eq!(r.method, method);
        assert_eq!(Method::from_token(r.method.as_str()), method);
    }
}

#[test]
fn content_length_rules() {
    let len = |headers: &str| {
        let bytes = format!("POST /ctl HTTP/1.1\r\n{headers}\r\n");
        parse_with(bytes.as_bytes(), &RequestLimits::DEFAULT).map(|p| match p {
            Parsed::Complete(r) => r.content_length,
            Parsed::Partial => panic!("partial"),
        })
    };
    assert_eq!(len(""), Ok(0));
    assert_eq!(len("Content-Length: 0\r\n"), Ok(0));
    assert_eq!(len("Content-Length: 65536\r\n"), Ok(65536));
    assert_eq!(len("Content-Length: 10\r\ncontent-length: 10\r\n"), Ok(10));
    assert_eq!(len("Content-Length: 10, 10\r\n"), Ok(10));
    assert_eq!(len("Content-Length: 10\r\nContent-Length: 11\r\n"), Err(Error::BadContentLength));
    assert_eq!(len("Content-Length: 10, 11\r\n"), Err(Error::BadContentLength));
    for bad in ["", "abc", "-1", "+5", "1 0", "0x10", "1.0", ","] {
        assert_eq!(
            len(&format!("Content-Length: {bad}\r\n")),
            Err(Error::BadContentLength),
            "{bad}"
        );
    }
    assert_eq!(len("Content-Length: 65537\r\n"), Err(Error::BodyTooLarge));
    assert_eq!(len("Content-Length: 99999999999999999999999999\r\n"), Err(Error::BodyTooLarge));
    assert_eq!(len("Transfer-Encoding: chunked\r\n"), Err(Error::TransferEncoding));
    assert_eq!(
        len("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
        Err(Error::TransferEncoding)
    );
    assert_eq!(Error::TransferEncoding.status(), StatusCode::NOT_IMPLEMENTED);
    assert_eq!(Error::BodyTooLarge.status().as_u16(), 413);
    assert_eq!(Error::BadContentLength.status().as_u16(), 400);
}

#[test]
fn head_and_header_limits() {
    let limits = RequestLimits { max_head: 256, max_headers: 4, max_body: 0 };
    // A head exactly at the limit is fine; one byte more is 431, whether complete or not.
    let filler = |n: usize| format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(n));
    let exact = filler(256 - filler(0).len());
    assert_eq!(exact.len(), 256);
    assert!(matches!(parse_with(exact.as_bytes(), &limits), Ok(Parsed::Complete(_))));
    let over = filler(257 - filler(0).len());
    assert_eq!(parse_with(over.as_bytes(), &limits), Err(Error::HeadTooLarge));
    assert_eq!(parse_with(&over.as_bytes()[..256], &limits), Err(Error::HeadTooLarge));
    assert_eq!(parse_with(&over.as_bytes()[..255], &limits), Ok(Parsed::Partial));
    // Megabytes of header never get scanned past the limit.
    let huge = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(1 << 20));
    assert_eq!(parse_with(huge.as_bytes(), &RequestLimits::DEFAULT), Err(Error::HeadTooLarge));
    assert_eq!(Error::HeadTooLarge.status().as_u16(), 431);

    let headers = |n: usize| {
        let mut s = String::from("GET / HTTP/1.1\r\n");
        for i in 0..n {
            s.push_str(&format!("X-{i}: {i}\r\n"));
        }
        s + "\r\n"
    };
    assert!(matches!(parse_with(headers(4).as_bytes(), &limits), Ok(Parsed::Complete(_))));
    assert_eq!(parse_with(headers(5).as_bytes(), &limits), Err(Error::TooManyHeaders));
    assert!(matches!(
        parse_with(headers(48).as_bytes(), &RequestLimits::DEFAULT),
        Ok(Parsed::Complete(_))
    ));
    assert_eq!(
        parse_with(headers(49).as_bytes(), &RequestLimits::DEFAULT),
        Err(Error::TooManyHeaders)
    );
    // Caller storage smaller than the limit is the cap.
    let mut two = [EMPTY_HEADER; 2];
    assert_eq!(
        parse(headers(3).as_bytes(), &mut two, &RequestLimits::DEFAULT).err(),
        Some(Error::TooManyHeaders)
    );
    assert_eq!(Error::TooManyHeaders.status().as_u16(), 431);
}

#[test]
fn versions() {
    for bytes in [
        &b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"[..],
        b"GET / HTTP/1.2\r\n\r\n",
        b"GET / HTTP/3\r\n\r\n",
        b"GET /index.html\r\n",
        b"GET /index.html\n",
    ] {
        assert_eq!(
            parse_with(bytes, &RequestLimits::DEFAULT),
            Err(Error::UnsupportedVersion),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    assert_eq!(Error::UnsupportedVersion.status().as_u16(), 505);
    // Half an HTTP/0.9 line is just not complete yet.
    assert_eq!(parse_with(b"GET /index.html", &RequestLimits::DEFAULT), Ok(Parsed::Partial));
}

#[test]
fn malformed() {
    for bytes in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
        b"GET / FTP/1.1\r\n\r\n",
        b"GET  / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"GET / HTTP/1.1\r\n: empty name\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\n\r\n",
    ] {
        assert_eq!(
            parse_with(bytes, &RequestLimits::DEFAULT),
            Err(Error::Malformed),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    assert_eq!(Error::Malformed.status().as_u16(), 400);
}

#[test]
fn header_iteration() {
    let mut storage = [EMPTY_HEADER; 16];
    let r = complete(SAMSUNG_POST, &mut storage);
    let names: Vec<&str> = r.headers.iter().map(|(n, _)| n).collect();
    assert_eq!(names.first(), Some(&"CACHE-CONTROL"));
    assert_eq!(names.len(), 7);
    assert!(!r.headers.is_empty());
    assert_eq!(r.headers.get_all("host").count(), 1);
}
