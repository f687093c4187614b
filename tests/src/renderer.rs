//! The mock renderer: a UPnP control point that drives a real Rill server over real sockets.
//!
//! Integration tests use it the way a player would: discover the server with SSDP, fetch its
//! description, call SOAP actions (Browse above all) and fetch media over HTTP, each request
//! carrying the headers of a [`Player`] personality (PS3, VLC, a generic control point). It is
//! blocking `std` code with timeouts on every socket and bounds on every loop, and it talks only
//! to loopback: URLs, search targets and interfaces that are not loopback are refused.
//!
//! - [`ssdp`]: M-SEARCH and NOTIFY over loopback multicast.
//! - [`http`]: a raw-bytes HTTP/1.1 client (malformed requests, keep-alive, HEAD, HTTP/1.0).
//! - [`soap`]: device description, SOAP calls and faults, Browse results.
//! - [`didl`]: DIDL-Lite parsing.
//! - [`gena`]: event subscriptions and a listener for the NOTIFYs they bring.
//! - [`netns`]: running a test in a private network namespace.
//! - [`tv`]: a mock Samsung TV and a mock LG TV, with their captured headers and envelopes.
//!
//! # Multicast on loopback (Linux)
//!
//! `lo` has no `IFF_MULTICAST` flag and, on this machine, no multicast route (the only routes
//! are the host's default route via `eth0` and the local table). Multicast over `lo` works
//! anyway, and needs no `unshare`, no `ip route add 239.0.0.0/8 dev lo`, no privilege:
//! - the sender sets `IP_MULTICAST_IF` to 127.0.0.1. For a multicast destination with an output
//!   interface given, the kernel builds the route from that interface directly, skipping the
//!   routing table, so the datagram goes out on `lo` and nowhere else (checked: `eth0`'s TX
//!   counters did not move while datagrams were sent to 239.255.255.250);
//! - with `IP_MULTICAST_LOOP` on, it is delivered to local members: sockets that joined
//!   239.255.255.250 with `IP_ADD_MEMBERSHIP` on interface 127.0.0.1 (which works on `lo`);
//! - unicast answers to the searcher's 127.0.0.1 port need nothing special.
//!
//! This was verified here (kernel 6.18) in the initial namespace and in a fresh `unshare -n` /
//! `unshare -rn` namespace with only `lo` up and no route at all. Without `IP_MULTICAST_IF`, a
//! group datagram would follow the default route out of the LAN interface, which is why every
//! sending socket here sets it and why non-loopback interfaces are refused. [`netns::isolated`]
//! is still worth using for server tests: it isolates parallel servers sharing UDP port 1900.

pub mod didl;
pub mod gena;
pub mod http;
pub mod netns;
pub mod soap;
pub mod ssdp;
pub mod tv;

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

pub use http::{Client, Response, Url};
pub use soap::{BrowseFlag, BrowseResult, Description, Error};

/// A player personality: the headers a real device of that kind sends on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Player {
    /// A short name for test output.
    pub name: &'static str,
    /// Headers added to every HTTP request.
    pub headers: &'static [(&'static str, &'static str)],
}

impl Player {
    /// Sony PlayStation 3 (media requests say `PLAYSTATION 3`; control requests carry
    /// `X-AV-Client-Info` with `mn="PLAYSTATION 3"`).
    pub const PS3: Player = Player {
        name: "PS3",
        headers: &[
            ("User-Agent", "PLAYSTATION 3"),
            (
                "X-AV-Client-Info",
                "av=5.0; cn=\"Sony Computer Entertainment Inc.\"; mn=\"PLAYSTATION 3\"; mv=\"1.0\";",
            ),
        ],
    };
    /// VLC media player.
    pub const VLC: Player =
        Player { name: "VLC", headers: &[("User-Agent", "VLC/3.0.20 LibVLC/3.0.20")] };
    /// A control point that claims nothing in particular.
    pub const GENERIC: Player = Player {
        name: "generic",
        headers: &[("User-Agent", "rill-tests/0.1 UPnP/1.0 DLNADOC/1.50")],
    };
}

/// What to Browse: the arguments of `ContentDirectory:1#Browse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    /// `ObjectID` (`0` is the root).
    pub object_id: String,
    /// `BrowseFlag`.
    pub flag: BrowseFlag,
    /// `Filter` (`*` for everything).
    pub filter: String,
    /// `StartingIndex`.
    pub start: u32,
    /// `RequestedCount` (0 = all).
    pub count: u32,
    /// `SortCriteria` (may be empty).
    pub sort: String,
}

impl Browse {
    /// The children of `object_id`, all of them, filter `*`, no sort.
    pub fn children(object_id: &str) -> Browse {
        Browse {
            object_id: object_id.to_string(),
            flag: BrowseFlag::DirectChildren,
            filter: "*".into(),
            start: 0,
            count: 0,
            sort: String::new(),
        }
    }

    /// The metadata of `object_id` itself.
    pub fn metadata(object_id: &str) -> Browse {
        Browse { flag: BrowseFlag::Metadata, ..Browse::children(object_id) }
    }

    /// Only `count` objects starting at `start`.
    pub fn range(self, start: u32, count: u32) -> Browse {
        Browse { start, count, ..self }
    }

    /// With `SortCriteria` `sort`.
    pub fn sorted(self, sort: &str) -> Browse {
        Browse { sort: sort.to_string(), ..self }
    }
}

/// The ContentDirectory service type.
pub const CONTENT_DIRECTORY: &str = "urn:schemas-upnp-org:service:ContentDirectory:1";

/// A control point with a personality.
#[derive(Debug, Clone, Copy)]
pub struct Renderer {
    /// Whose headers it sends.
    pub player: Player,
}

impl Renderer {
    /// A renderer behaving like `player`.
    pub fn new(player: Player) -> Renderer {
        Renderer { player }
    }

    /// Multicast M-SEARCH for `st` on loopback, answers collected for `wait`.
    pub fn discover(&self, st: &str, wait: Duration) -> io::Result<Vec<ssdp::Message>> {
        ssdp::discover(Ipv4Addr::LOCALHOST, st, wait)
    }

    /// One request on a fresh connection with the personality's headers, then `extra`.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let headers: Vec<_> = self.player.headers.iter().chain(extra).copied().collect();
        http::request(method, url, &headers, body)
    }

    /// `GET url`.
    pub fn get(&self, url: &str, extra: &[(&str, &str)]) -> io::Result<Response> {
        self.request("GET", url, extra, &[])
    }

    /// Fetches and parses the device description at `location` (must answer 200).
    pub fn fetch_description(&self, location: &str) -> Result<Description, Error> {
        let resp = self.get(location, &[])?;
        if resp.status != 200 {
            return Err(Error::Malformed(format!("description: HTTP {}", resp.status)));
        }
        Description::parse(&resp.text(), location).map_err(Error::Malformed)
    }

    /// Calls `action` of `service_type` at `control_url`; returns the out-arguments in order.
    pub fn soap(
        &self,
        control_url: &str,
        service_type: &str,
        action: &str,
        args: &[(&str, &str)],
    ) -> Result<Vec<(String, String)>, Error> {
        let body = soap::request_body(service_type, action, args);
        self.soap_envelope(control_url, service_type, action, &body)
    }

    /// Posts `body`, a whole SOAP envelope (as a particular player writes it), calling `action`
    /// of `service_type` at `control_url`; returns the out-arguments in order.
    pub fn soap_envelope(
        &self,
        control_url: &str,
        service_type: &str,
        action: &str,
        body: &str,
    ) -> Result<Vec<(String, String)>, Error> {
        let soap_action = format!("\"{service_type}#{action}\"");
        let headers =
            [("Content-Type", "text/xml; charset=\"utf-8\""), ("SOAPACTION", soap_action.as_str())];
        let resp = self.request("POST", control_url, &headers, body.as_bytes())?;
        soap::parse_response(&resp, service_type, action)
    }

    /// `SUBSCRIBE` to `event_url` with `CALLBACK: callback` (see [`gena::Subscriber::callback`])
    /// and `TIMEOUT: Second-timeout`; the granted subscription, or the refusal's status.
    pub fn subscribe(
        &self,
        event_url: &str,
        callback: &str,
        timeout: u32,
    ) -> io::Result<Result<gena::Subscription, u16>> {
        let timeout = format!("Second-{timeout}");
        let headers = [("CALLBACK", callback), ("NT", "upnp:event"), ("TIMEOUT", timeout.as_str())];
        Ok(gena::subscription(&self.request("SUBSCRIBE", event_url, &headers, &[])?))
    }

    /// Renews subscription `sid` for `timeout` seconds.
    pub fn renew(
        &self,
        event_url: &str,
        sid: &str,
        timeout: u32,
    ) -> io::Result<Result<gena::Subscription, u16>> {
        let timeout = format!("Second-{timeout}");
        let headers = [("SID", sid), ("TIMEOUT", timeout.as_str())];
        Ok(gena::subscription(&self.request("SUBSCRIBE", event_url, &headers, &[])?))
    }

    /// `UNSUBSCRIBE` subscription `sid`; the answer's status.
    pub fn unsubscribe(&self, event_url: &str, sid: &str) -> io::Result<u16> {
        Ok(self.request("UNSUBSCRIBE", event_url, &[("SID", sid)], &[])?.status)
    }

    /// ContentDirectory Browse.
    pub fn browse(&self, control_url: &str, what: &Browse) -> Result<BrowseResult, Error> {
        let (start, count) = (what.start.to_string(), what.count.to_string());
        let args = [
            ("ObjectID", what.object_id.as_str()),
            ("BrowseFlag", what.flag.as_str()),
            ("Filter", what.filter.as_str()),
            ("StartingIndex", start.as_str()),
            ("RequestedCount", count.as_str()),
            ("SortCriteria", what.sort.as_str()),
        ];
        let out = self.soap(control_url, CONTENT_DIRECTORY, "Browse", &args)?;
        BrowseResult::from_args(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::thread;

    #[test]
    fn soap_call_sends_personality_and_soapaction() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/ctl/cds", listener.local_addr().unwrap());
        let server = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            // Read until the whole body (it ends with the envelope's closing tag) is in.
            while !req.ends_with(b"</s:Envelope>") {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "client closed early");
                req.extend_from_slice(&buf[..n]);
            }
            let body = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetSystemUpdateIDResponse xmlns:u="urn:schemas-upnp-org:service:ContentDirectory:1"><Id>42</Id></u:GetSystemUpdateIDResponse></s:Body></s:Envelope>"#;
            write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
            String::from_utf8(req).unwrap()
        });
        let out = Renderer::new(Player::PS3)
            .soap(&url, CONTENT_DIRECTORY, "GetSystemUpdateID", &[])
            .unwrap();
        assert_eq!(out, [("Id".to_string(), "42".to_string())]);
        let req = server.join().unwrap();
        assert!(req.starts_with("POST /ctl/cds HTTP/1.1\r\n"));
        assert!(req.contains("\r\nUser-Agent: PLAYSTATION 3\r\n"));
        assert!(req.contains("mn=\"PLAYSTATION 3\""));
        assert!(req.contains(
            "\r\nSOAPACTION: \"urn:schemas-upnp-org:service:ContentDirectory:1#GetSystemUpdateID\"\r\n"
        ));
    }

    #[test]
    fn refuses_non_loopback_urls() {
        let err = Renderer::new(Player::VLC).get("http://192.0.2.2:8210/", &[]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
