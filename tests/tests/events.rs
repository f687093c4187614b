//! GENA eventing end to end: a mock control point subscribes to a real server's
//! ContentDirectory over loopback, receives the initial event, renews, cancels, and sees the
//! library's changes as NOTIFYs.

mod common;

use std::time::Duration;

use rill_tests::renderer::gena::Subscriber;
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Player, Renderer, CONTENT_DIRECTORY};

/// How long a test waits for an event before failing (generous: a failure is a missing event,
/// not a slow one).
const WAIT: Duration = Duration::from_secs(10);

/// The ContentDirectory's event and control URLs of a running server.
fn urls(renderer: &Renderer, server: &common::Running) -> (String, String) {
    let location = format!("http://{}/rill/description.xml", server.http);
    let desc = renderer.fetch_description(&location).unwrap();
    let cd = desc.service(CONTENT_DIRECTORY).unwrap();
    (cd.event_sub_url.clone(), cd.control_url.clone())
}

#[test]
fn subscribe_initial_event_renew_and_cancel() {
    isolated("subscribe_initial_event_renew_and_cancel", || {
        let server = common::start(common::empty_dir());
        let cp = Renderer::new(Player::GENERIC);
        let (event_url, control_url) = urls(&cp, &server);
        let listener = Subscriber::listen().unwrap();

        let sub = cp.subscribe(&event_url, &listener.callback("/cd"), 300).unwrap().unwrap();
        assert_eq!(sub.timeout, 300);
        assert!(sub.sid.starts_with("uuid:"), "{}", sub.sid);
        let initial = listener.next(WAIT).expect("the initial event");
        assert_eq!(
            (initial.sid.as_str(), initial.seq, initial.path.as_str()),
            (sub.sid.as_str(), 0, "/cd")
        );
        assert_eq!((initial.nt.as_str(), initial.nts.as_str()), ("upnp:event", "upnp:propchange"));
        // The evented SystemUpdateID is the one GetSystemUpdateID reports.
        let id = cp.soap(&control_url, CONTENT_DIRECTORY, "GetSystemUpdateID", &[]).unwrap();
        let id: u32 = id[0].1.parse().unwrap();
        assert!(initial.system_update_id().unwrap() <= id);

        // A ConnectionManager subscription gets its own initial event.
        let location = format!("http://{}/rill/description.xml", server.http);
        let desc = cp.fetch_description(&location).unwrap();
        let cm = desc.service("urn:schemas-upnp-org:service:ConnectionManager:1").unwrap();
        let cm_sub = cp.subscribe(&cm.event_sub_url, &listener.callback("/cm"), 300).unwrap();
        let cm_sub = cm_sub.unwrap();
        let (_, cm_initial) = listener.until(WAIT, |e| e.sid == cm_sub.sid);
        let cm_initial = cm_initial.expect("the ConnectionManager's initial event");
        assert_eq!(cm_initial.path, "/cm");
        assert!(cm_initial.get("SourceProtocolInfo").unwrap().contains("audio/L16"));

        // Renewal keeps the SID; a renewal of an unknown SID is 412; a callback at another
        // address is refused.
        let renewed = cp.renew(&event_url, &sub.sid, 1800).unwrap().unwrap();
        assert_eq!((renewed.sid.as_str(), renewed.timeout), (sub.sid.as_str(), 1800));
        assert_eq!(cp.renew(&event_url, "uuid:unknown", 1800).unwrap(), Err(412));
        let elsewhere = cp.subscribe(&event_url, "<http://127.0.0.2:9/x>", 300).unwrap();
        assert_eq!(elsewhere, Err(412));

        assert_eq!(cp.unsubscribe(&event_url, &sub.sid).unwrap(), 200);
        assert_eq!(cp.unsubscribe(&event_url, &sub.sid).unwrap(), 412);
        assert_eq!(cp.unsubscribe(&cm.event_sub_url, &cm_sub.sid).unwrap(), 200);
        server.shutdown();
    });
}
