//! SSDP end to end: a real Rill server (in-process, bound to loopback only) found by the mock
//! renderer. Each test runs in a private network namespace (see `renderer::netns`), so servers of
//! parallel tests cannot hear each other and nothing can leave the machine.

mod common;

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::time::Duration;

use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::ssdp::{self, Message};

/// The six targets a MediaServer with three services answers for (protocol notes, SSDP).
fn targets(uuid: &str) -> BTreeSet<String> {
    [
        "upnp:rootdevice".to_string(),
        format!("uuid:{uuid}"),
        "urn:schemas-upnp-org:device:MediaServer:1".into(),
        "urn:schemas-upnp-org:service:ContentDirectory:1".into(),
        "urn:schemas-upnp-org:service:ConnectionManager:1".into(),
        "urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1".into(),
    ]
    .into_iter()
    .collect()
}

fn ours<'a>(messages: &'a [Message], uuid: &'a str) -> impl Iterator<Item = &'a Message> + 'a {
    messages.iter().filter(move |m| m.header("usn").is_some_and(|u| u.contains(uuid)))
}

#[test]
fn announces_answers_every_target_and_says_goodbye() {
    isolated("announces_answers_every_target_and_says_goodbye", || {
        let listener = ssdp::Listener::open(Ipv4Addr::LOCALHOST).unwrap();
        let server = common::start(common::empty_dir());
        let location = format!("http://{}/rill/description.xml", server.http);
        let want = targets(&server.uuid);

        // ssdp:all: one answer per target, each with its own ST and the loopback LOCATION.
        let answers =
            ssdp::discover(Ipv4Addr::LOCALHOST, "ssdp:all", Duration::from_millis(1500)).unwrap();
        let answers: Vec<_> = ours(&answers, &server.uuid).collect();
        let sts: BTreeSet<String> =
            answers.iter().map(|m| m.header("st").unwrap().to_string()).collect();
        assert_eq!(sts, want);
        assert_eq!(answers.len(), want.len(), "one answer per target");
        for m in &answers {
            assert_eq!(m.status(), Some(200));
            assert_eq!(m.header("location"), Some(location.as_str()));
            assert_eq!(m.header("ext"), Some(""));
            let st = m.header("st").unwrap();
            let usn = m.header("usn").unwrap();
            let expected_usn = if st.starts_with("uuid:") {
                st.to_string()
            } else {
                format!("uuid:{}::{st}", server.uuid)
            };
            assert_eq!(usn, expected_usn);
            let max_age: u32 =
                m.header("cache-control").unwrap()["max-age=".len()..].parse().unwrap();
            assert!(max_age >= 1800);
            assert!(m.header("server").unwrap().contains("UPnP/1.0"));
            assert_eq!(m.header("bootid.upnp.org"), Some("1"), "first start in a fresh state dir");
        }

        // A single target is answered once; an unknown one not at all.
        let one = ssdp::discover(
            Ipv4Addr::LOCALHOST,
            "urn:schemas-upnp-org:service:ContentDirectory:1",
            Duration::from_millis(1500),
        )
        .unwrap();
        assert_eq!(ours(&one, &server.uuid).count(), 1);
        let none = ssdp::discover(
            Ipv4Addr::LOCALHOST,
            "urn:rill-test:nothing",
            Duration::from_millis(1500),
        )
        .unwrap();
        assert_eq!(ours(&none, &server.uuid).count(), 0);

        // The alive set went out on lo while we searched.
        let heard = listener.collect(Duration::from_millis(100)).unwrap();
        let alive: BTreeSet<String> = ours(&heard, &server.uuid)
            .filter(|m| m.method() == Some("NOTIFY") && m.header("nts") == Some("ssdp:alive"))
            .map(|m| m.header("nt").unwrap().to_string())
            .collect();
        assert_eq!(alive, want);

        // Shutdown sends the byebye set.
        server.stop.send(()).unwrap();
        server.thread.join().unwrap();
        let heard = listener.collect(Duration::from_millis(500)).unwrap();
        let bye: BTreeSet<String> = ours(&heard, &server.uuid)
            .filter(|m| m.header("nts") == Some("ssdp:byebye"))
            .map(|m| m.header("nt").unwrap().to_string())
            .collect();
        assert_eq!(bye, want);
    });
}
