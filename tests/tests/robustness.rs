//! Bad input over real sockets: every malformed, oversized, traversing or nonsensical request
//! gets its defined answer, nothing outside the served folders is ever sent, and the server goes
//! on serving everyone else. And object IDs that survive a restart.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::soap::{request_body, Error};
use rill_tests::renderer::{Browse, Client, Player, Renderer, CONTENT_DIRECTORY};

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
        let soap_cases: Vec<(&str, Vec<u8>, u16)> = vec![
            ("not XML", soap_raw("Browse", "this is not xml"), 401),
            ("entities", soap_raw("Browse", entity_bomb), 401),
            ("deep nesting", soap_raw("Browse", &deep), 401),
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
            assert!(!String::from_utf8_lossy(&body).contains("lollol"), "{what}: expanded");
        }

        // Everyone else is still served: the bystander's connection, and new ones.
        bystander.send_raw(b"GET /rill/cd/scpd.xml HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(bystander.read_response().unwrap().status, 200);
        let cp = Renderer::new(Player::GENERIC);
        let control = format!("http://{}{CONTROL}", server.http);
        let top = cp.browse(&control, &Browse::children("0")).unwrap();
        assert_eq!(top.total_matches, 4, "Music, Video, Pictures, Folders");
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
