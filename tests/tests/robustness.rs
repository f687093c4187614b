//! Bad input over real sockets: every malformed, oversized, traversing or nonsensical request
//! (unknown methods, path traversal in every encoding, huge and deeply nested SOAP, entities
//! and DTDs, absurd, overlapping and overflowing `Range` and `TimeSeekRange` values) gets its
//! defined answer, nothing outside the served folders is ever sent, and the server goes on
//! serving everyone else. And object IDs that survive a restart.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::soap::{request_body, Error};
use rill_tests::renderer::{Browse, Client, Player, Renderer, Response, Url, CONTENT_DIRECTORY};

const CONTROL: &str = "/rill/cd/control";

/// Sends `raw` on a fresh connection; returns the status and body of the answer.
fn answer(addr: SocketAddr, raw: &[u8]) -> (u16, Vec<u8>) {
    let mut c = Client::connect(addr).unwrap();
    c.send_raw(raw).unwrap();
    let r = c.read_response().unwrap();
    (r.status, r.body)
}

fn soap_raw(action: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {CONTROL} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n\
         SOAPACTION: \"{CONTENT_DIRECTORY}#{action}\"\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The UPnP error code in a SOAP fault body.
fn fault_code(body: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(body);
    let start = text.find("<errorCode>")? + "<errorCode>".len();
    text[start..].split('<').next()?.trim().parse().ok()
}

#[test]
fn hostile_requests_get_defined_answers_and_others_are_still_served() {
    isolated("hostile_requests_get_defined_answers_and_others_are_still_served", || {
        let server = common::start(common::demo_dir());
        let addr = SocketAddr::from(server.http);
        // A player already connected (keep-alive) before the abuse starts.
        let mut bystander = Client::connect(addr).unwrap();
        bystander.send_raw(b"GET /rill/description.xml HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(bystander.read_response().unwrap().status, 200);

        let mut huge_head = b"GET /rill/description.xml HTTP/1.1\r\nX-Pad: ".to_vec();
        huge_head.extend(vec![b'a'; 20_000]);
        huge_head.extend(b"\r\n\r\n");
        let mut many = b"GET /rill/description.xml HTTP/1.1\r\n".to_vec();
        for i in 0..100 {
            many.extend(format!("X-H{i}: v\r\n").as_bytes());
        }
        many.extend(b"\r\n");
        let framing: Vec<(&str, Vec<u8>, u16)> = vec![
            ("garbage", b"\x16\x03\x01 hello\r\n\r\n".to_vec(), 400),
            ("no version", b"GET / HTTP/9.9\r\n\r\n".to_vec(), 505),
            ("huge head", huge_head, 431),
            ("100 headers", many, 431),
            ("huge body", b"POST /rill/cd/control HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n".to_vec(), 413),
            ("chunked body", b"POST /rill/cd/control HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(), 501),
            ("two lengths", b"POST /rill/cd/control HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx".to_vec(), 400),
            ("unknown method, known path", b"FROB /rill/description.xml HTTP/1.1\r\n\r\n".to_vec(), 405),
            ("unknown method, control", b"PUT /rill/cd/control HTTP/1.1\r\nContent-Length: 1\r\n\r\nx".to_vec(), 405),
            ("unknown method, unknown path", b"FROB /nowhere HTTP/1.1\r\n\r\n".to_vec(), 404),
            ("method not a token", b"G(T /rill/description.xml HTTP/1.1\r\n\r\n".to_vec(), 400),
            ("lower-case method", b"get /rill/description.xml HTTP/1.1\r\n\r\n".to_vec(), 405),
        ];
        for (what, raw, status) in framing {
            assert_eq!(answer(addr, &raw).0, status, "{what}");
        }

        // Path traversal in every encoding: never a 200, never a byte of /etc/passwd.
        let traversals = [
            "/rill/media/../../../../etc/passwd",
            "/rill/media/..%2f..%2f..%2fetc%2fpasswd",
            "/rill/media/%2e%2e/%2e%2e/etc/passwd",
            "/rill/media/%252e%252e%252fetc%252fpasswd",
            "/rill/media/..%5c..%5cetc%5cpasswd",
            "/rill/media/..\\..\\etc\\passwd",
            "/rill/media/%00/etc/passwd",
            "/rill/media/%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
            "/rill/media/%e0%80%ae%e0%80%ae/etc/passwd",
            "/../../etc/passwd",
            "//etc/passwd",
            "/rill/media/0.ogg/../../../etc/passwd",
            "http://127.0.0.1/etc/passwd",
        ];
        for path in traversals {
            let raw = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
            let (status, body) = answer(addr, raw.as_bytes());
            assert!(matches!(status, 400 | 404), "{path}: {status}");
            assert!(!String::from_utf8_lossy(&body).contains("root:"), "{path}");
        }

        // Malformed SOAP and nonsense arguments: UPnP faults with their codes.
        let browse = |args: &[(&str, &str)]| request_body(CONTENT_DIRECTORY, "Browse", args);
        let ok_args = [
            ("ObjectID", "0"),
            ("BrowseFlag", "BrowseDirectChildren"),
            ("Filter", "*"),
            ("StartingIndex", "0"),
            ("RequestedCount", "0"),
            ("SortCriteria", ""),
        ];
        let with = |name: &str, value: &str| {
            let args: Vec<(&str, &str)> =
                ok_args.iter().map(|&(n, v)| if n == name { (n, value) } else { (n, v) }).collect();
            browse(&args)
        };
        let entity_bomb = "<?xml version=\"1.0\"?><!DOCTYPE lol [<!ENTITY lol \"lol\">\
            <!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><s:Envelope \
            xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>&lol2;</s:Body></s:Envelope>";
        let deep = format!("{}{}", "<a>".repeat(2_000), "</a>".repeat(2_000));
        // As deep as the largest body the server takes (64 KiB) allows.
        let deepest = format!("{}{}", "<a>".repeat(9_000), "</a>".repeat(9_000));
        let external = "<?xml version=\"1.0\"?><!DOCTYPE s:Envelope [<!ENTITY x SYSTEM \
            \"file:///etc/passwd\">]><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">\
            <s:Body><u:Browse xmlns:u=\"urn:schemas-upnp-org:service:ContentDirectory:1\">\
            <ObjectID>&x;</ObjectID></u:Browse></s:Body></s:Envelope>";
        // A well-formed Browse with a 60 KB object ID.
        let huge_id = with("ObjectID", &"7".repeat(60_000));
        let soap_cases: Vec<(&str, Vec<u8>, u16)> = vec![
            ("not XML", soap_raw("Browse", "this is not xml"), 401),
            ("entities", soap_raw("Browse", entity_bomb), 401),
            ("deep nesting", soap_raw("Browse", &deep), 401),
            ("deepest nesting", soap_raw("Browse", &deepest), 401),
            ("external entity", soap_raw("Browse", external), 401),
            ("huge object id", soap_raw("Browse", &huge_id), 701),
            (
                "unknown action",
                soap_raw("Frobnicate", &request_body(CONTENT_DIRECTORY, "Frobnicate", &[])),
                401,
            ),
            ("unknown object", soap_raw("Browse", &with("ObjectID", "123456789abcdef")), 701),
            ("bad index", soap_raw("Browse", &with("StartingIndex", "-5")), 402),
            ("bad flag", soap_raw("Browse", &with("BrowseFlag", "BrowseEverything")), 402),
            ("bad sort", soap_raw("Browse", &with("SortCriteria", "+upnp:nonsense")), 709),
        ];
        for (what, raw, code) in soap_cases {
            let (status, body) = answer(addr, &raw);
            assert_eq!((status, fault_code(&body)), (500, Some(code)), "{what}");
            let text = String::from_utf8_lossy(&body);
            assert!(!text.contains("lollol") && !text.contains("root:"), "{what}: expanded");
        }

        // Everyone else is still served: the bystander's connection, and new ones.
        bystander.send_raw(b"GET /rill/cd/scpd.xml HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(bystander.read_response().unwrap().status, 200);
        let cp = Renderer::new(Player::GENERIC);
        let control = format!("http://{}{CONTROL}", server.http);
        let top = cp.browse(&control, &Browse::children("0")).unwrap();
        assert_eq!(top.total_matches, 5, "Music, Video, Pictures, Playlists, Folders");
        match cp.browse(&control, &Browse::metadata("nope")) {
            Err(Error::Fault { code: 701, .. }) => {}
            other => panic!("expected 701, got {other:?}"),
        }
        server.shutdown();
    });
}

/// Every object of the tree under `id`: id to (parent, title).
fn walk(cp: &Renderer, control: &str, id: &str, out: &mut BTreeMap<String, (String, String)>) {
    let page = cp.browse(control, &Browse::children(id)).unwrap();
    for o in &page.objects {
        out.insert(o.id.clone(), (o.parent_id.clone(), o.title.clone()));
        if o.is_container {
            walk(cp, control, &o.id, out);
        }
    }
}

#[test]
fn object_ids_and_uuid_survive_a_restart() {
    isolated("object_ids_and_uuid_survive_a_restart", || {
        let (dirs, root) = common::demo_dir();
        let state = dirs.path().join("state");
        let cp = Renderer::new(Player::GENERIC);
        let mut runs = Vec::new();
        for _ in 0..2 {
            let server = common::start_at(state.clone(), root.clone(), None);
            let control = format!("http://{}{CONTROL}", server.http);
            let mut tree = BTreeMap::new();
            walk(&cp, &control, "0", &mut tree);
            runs.push((server.uuid.clone(), tree));
            server.shutdown();
        }
        assert_eq!(runs[0].0, runs[1].0, "the device UUID persists");
        assert!(runs[0].1.len() >= 9, "demo tree: {:?}", runs[0].1);
        assert_eq!(runs[0].1, runs[1].1, "same ids, parents and titles after a restart");
        drop(dirs);
    });
}

/// A GET of `url` on a fresh connection with one extra header; status, headers, body.
fn get_with(url: &Url, header: &str, value: &str) -> Response {
    let mut c = Client::connect(url.addr).unwrap();
    c.request("GET", url, &[(header, value)], &[]).unwrap()
}

#[test]
fn absurd_and_overlapping_ranges_get_defined_answers() {
    isolated("absurd_and_overlapping_ranges_get_defined_answers", || {
        let server = common::start(common::demo_dir());
        let control = format!("http://{}{CONTROL}", server.http);
        let items = common::items(&Renderer::new(Player::GENERIC), &control, "0");
        let track = items.iter().find(|o| o.res.len() > 1).expect("a Vorbis track");
        let res = |mime: &str| {
            let r = track.res.iter().find(|r| r.mime().is_some_and(|m| m.starts_with(mime)));
            Url::parse(&r.unwrap().url).unwrap()
        };
        let (ogg, l16) = (res("audio/ogg"), res("audio/L16"));
        let mut c = Client::connect(ogg.addr).unwrap();
        let whole = c.request("GET", &ogg, &[], &[]).unwrap().body;
        let len = whole.len() as u64;
        assert!(len > 1000);

        // (Range value, expected status, expected span for a 206).
        type Case = (String, u16, Option<(u64, u64)>);
        let many = ["0-0"; 9].join(",");
        let endless = ["0-0,"; 2000].concat();
        let cases: Vec<Case> = vec![
            ("bytes=99999999999999999999999-".into(), 416, None),
            (format!("bytes={len}-"), 416, None),
            ("bytes=-0".into(), 416, None),
            ("bytes=0-99999999999999999999999".into(), 206, Some((0, len - 1))),
            ("bytes=-99999999999999999999999".into(), 206, Some((0, len - 1))),
            ("bytes=0-99,50-149,100-199".into(), 206, Some((0, 199))),
            ("bytes=100-199, 0-99".into(), 206, Some((0, 199))),
            ("bytes=0-10,500-600".into(), 200, None),
            ("bytes=5-1".into(), 200, None),
            ("bytes=1-2-3".into(), 200, None),
            ("bytes=--5".into(), 200, None),
            ("bytes=0x10-20".into(), 200, None),
            ("items=0-5".into(), 200, None),
            (format!("bytes={many}"), 200, None),
            (format!("bytes={endless}"), 200, None),
        ];
        for (value, status, span) in cases {
            let r = get_with(&ogg, "Range", &value);
            let what = &value[..value.len().min(40)];
            assert_eq!(r.status, status, "{what}");
            match (status, span) {
                (206, Some((first, last))) => {
                    let want = format!("bytes {first}-{last}/{len}");
                    assert_eq!(r.header("content-range"), Some(want.as_str()), "{what}");
                    assert!(r.body == whole[first as usize..=last as usize], "{what}");
                }
                (416, _) => {
                    let want = format!("bytes */{len}");
                    assert_eq!(r.header("content-range"), Some(want.as_str()), "{what}");
                }
                _ => assert!(r.body == whole, "{what}: the whole file"),
            }
        }

        // Time seeks: on the L16 rendition past the end 416; malformed, reversed or beyond a
        // u64 of microseconds 400; an END past the end means the end; on a file 406.
        let l16_len = Client::connect(l16.addr).unwrap().request("HEAD", &l16, &[], &[]).unwrap();
        let l16_len: u64 = l16_len.header("content-length").unwrap().parse().unwrap();
        let seeks: [(&str, u16); 9] = [
            ("npt=99999999999999999999-", 400),
            ("npt=99999:00:00.000-", 416),
            ("npt=5-1", 400),
            ("npt=-5", 400),
            ("npt=abc-", 400),
            ("npt=1e9-", 400),
            ("npt=0:99:00-", 400),
            ("bytes=0-", 400),
            ("npt=0-99999:00:00", 200),
        ];
        for (value, status) in seeks {
            let r = get_with(&l16, "TimeSeekRange.dlna.org", value);
            assert_eq!(r.status, status, "{value}");
            if status == 200 {
                assert_eq!(r.body.len() as u64, l16_len, "{value}: everything");
            }
        }
        assert_eq!(get_with(&ogg, "TimeSeekRange.dlna.org", "npt=1-").status, 406);
        server.shutdown();
    });
}
