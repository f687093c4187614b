//! What the server exposes, over real sockets: it listens only on the interface it was given,
//! the allow-list keeps every other client out of HTTP and SSDP alike, and no request of any
//! method changes a byte of the served folders or of the server's state.
//!
//! Loopback has a whole /8 of addresses, so the "other host" of these tests is 127.0.0.2: the
//! server is bound to 127.0.0.1, and clients bind their sockets to one address or the other.

mod common;

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::path::Path;
use std::time::Duration;

use rill::access::AllowList;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{ssdp, Client, Player, Renderer, Url};
use socket2::{Domain, Protocol, Socket, Type};

const OTHER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const DESCRIPTION: &[u8] = b"GET /rill/description.xml HTTP/1.1\r\nHost: x\r\n\r\n";

/// A TCP connection to `dst` from the loopback address `src`.
fn connect_from(src: Ipv4Addr, dst: SocketAddrV4) -> std::io::Result<TcpStream> {
    assert!(src.is_loopback() && dst.ip().is_loopback());
    let sock = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    sock.bind(&SocketAddrV4::new(src, 0).into())?;
    sock.connect_timeout(&SocketAddr::from(dst).into(), Duration::from_secs(5))?;
    let stream = TcpStream::from(sock);
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(stream)
}

/// Everything the server sends on `stream` after `request`, until it closes (or resets) it.
fn exchange(mut stream: TcpStream, request: &[u8]) -> Vec<u8> {
    // The server may close before the request is even written.
    let _ = stream.write_all(request);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                // A complete answer to a kept-alive request: enough.
                if got.windows(7).any(|w| w == b"</root>") {
                    return got;
                }
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("no answer and no close: {e}"),
        }
    }
}

/// An `M-SEARCH` sent unicast to the server's SSDP port (UDA 1.1: answered at once).
fn unicast_search(from: Ipv4Addr) -> Vec<ssdp::Message> {
    let request = b"M-SEARCH * HTTP/1.1\r\nHOST: 127.0.0.1:1900\r\nMAN: \"ssdp:discover\"\r\n\
                    ST: upnp:rootdevice\r\n\r\n";
    let dst = SocketAddrV4::new(Ipv4Addr::LOCALHOST, rill::net::ssdp::PORT);
    ssdp::search(from, dst, request, Duration::from_millis(1500)).unwrap()
}

#[test]
fn allow_list_keeps_other_clients_out_of_http_and_ssdp() {
    isolated("allow_list_keeps_other_clients_out_of_http_and_ssdp", || {
        let allow = AllowList::new(vec!["127.0.0.2/32".parse().unwrap()]);
        let server = common::start_with(common::demo_dir(), |c| c.allow = allow);

        // The allowed address is served, over HTTP and SSDP.
        let answer = exchange(connect_from(OTHER, server.http).unwrap(), DESCRIPTION);
        assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"), "{}", String::from_utf8_lossy(&answer));
        let found = unicast_search(OTHER);
        assert!(
            found.iter().any(|m| m.header("usn").is_some_and(|u| u.contains(&server.uuid))),
            "an allowed searcher is answered: {found:?}"
        );

        // Any other address: the connection is closed without a byte, searches go unanswered.
        for _ in 0..3 {
            let stream = connect_from(Ipv4Addr::LOCALHOST, server.http).unwrap();
            assert_eq!(exchange(stream, DESCRIPTION), b"", "a refused client learns nothing");
        }
        let found = unicast_search(Ipv4Addr::LOCALHOST);
        assert!(
            !found.iter().any(|m| m.header("usn").is_some_and(|u| u.contains(&server.uuid))),
            "a searcher outside the allow-list is ignored: {found:?}"
        );

        // Refusals cost the allowed client nothing.
        let answer = exchange(connect_from(OTHER, server.http).unwrap(), DESCRIPTION);
        assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
        server.shutdown();
    });
}

#[test]
fn listens_only_on_the_chosen_interface_address() {
    isolated("listens_only_on_the_chosen_interface_address", || {
        let server = common::start(common::empty_dir());
        assert_eq!(*server.http.ip(), Ipv4Addr::LOCALHOST);
        let answer = exchange(connect_from(OTHER, server.http).unwrap(), DESCRIPTION);
        assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"), "served at its own address");
        // Another local address, same port: nothing listens there (not bound to 0.0.0.0).
        let elsewhere = SocketAddrV4::new(OTHER, server.http.port());
        match connect_from(Ipv4Addr::LOCALHOST, elsewhere) {
            Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}"),
            Ok(_) => panic!("the server accepted a connection on {elsewhere}"),
        }
        server.shutdown();
    });
}

/// Every file under `dir`: relative path to contents (symlinks and folders by their kind).
fn snapshot(dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let (path, kind) = (entry.path(), entry.file_type().unwrap());
        let name = path.display().to_string();
        if kind.is_dir() {
            out.insert(name, b"<dir>".to_vec());
            snapshot(&path, out);
        } else if kind.is_file() {
            out.insert(name, std::fs::read(&path).unwrap());
        } else {
            out.insert(name, b"<other>".to_vec());
        }
    }
}

#[test]
fn no_request_of_any_method_writes_anything() {
    isolated("no_request_of_any_method_writes_anything", || {
        let (dirs, root) = common::demo_dir();
        let top = dirs.path().to_path_buf();
        let server = common::start((dirs, root));
        let control = format!("http://{}/rill/cd/control", server.http);
        let items = common::items(&Renderer::new(Player::GENERIC), &control, "0");
        let mut before = BTreeMap::new();
        snapshot(&top, &mut before);
        assert!(before.len() > 5, "the demo folder and the state: {:?}", before.keys());

        let mut targets: Vec<String> = items
            .iter()
            .flat_map(|o| o.res.iter().map(|r| Url::parse(&r.url).unwrap().path))
            .collect();
        assert!(!targets.is_empty());
        targets.extend(
            ["/", "/rill/", "/rill/media/", "/rill/description.xml", "/rill/cd/control"]
                .map(String::from),
        );
        targets.extend(
            ["/rill/cd/scpd.xml", "/rill/cd/event", "/rill/media/new.ogg"].map(String::from),
        );
        let methods = [
            "PUT",
            "DELETE",
            "POST",
            "PATCH",
            "MKCOL",
            "COPY",
            "MOVE",
            "PROPPATCH",
            "LOCK",
            "OPTIONS",
            "TRACE",
            "CONNECT",
            "SUBSCRIBE",
            "FROB",
        ];
        let url = Url::parse(&format!("http://{}/", server.http)).unwrap();
        for target in &targets {
            for method in methods {
                let mut c = Client::connect(url.addr).unwrap();
                let raw = format!(
                    "{method} {target} HTTP/1.1\r\nHost: x\r\nDestination: /rill/media/x.ogg\r\n\
                     Content-Length: 9\r\n\r\noverwrite"
                );
                c.send_raw(raw.as_bytes()).unwrap();
                let status = c.read_response().unwrap().status;
                assert!(status >= 400, "{method} {target}: {status}");
            }
        }
        let mut after = BTreeMap::new();
        snapshot(&top, &mut after);
        assert!(before == after, "the folders changed");
        server.shutdown();
    });
}
