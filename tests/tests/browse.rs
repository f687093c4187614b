//! Description and ContentDirectory Browse end to end: the mock renderer, posing as a PS3,
//! finds an in-process server serving the demo library and walks its folder tree (the music
//! tree is `tests/tests/library.rs`).

mod common;

use std::time::Duration;

use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::soap::Error;
use rill_tests::renderer::{Browse, Player, Renderer, CONTENT_DIRECTORY};

#[test]
fn a_ps3_finds_the_server_and_walks_the_demo_folders() {
    isolated("a_ps3_finds_the_server_and_walks_the_demo_folders", || {
        let server = common::start(common::demo_dir());
        let ps3 = Renderer::new(Player::PS3);

        let found = ps3.discover("upnp:rootdevice", Duration::from_millis(1500)).unwrap();
        let answer = found
            .iter()
            .find(|m| m.header("usn").is_some_and(|u| u.contains(&server.uuid)))
            .expect("the server answers the search");
        let location = answer.header("location").unwrap();
        assert!(location.starts_with(&format!("http://{}/", server.http)));

        let desc = ps3.fetch_description(location).unwrap();
        assert_eq!(desc.spec_version, (1, 0));
        assert_eq!(desc.device_type, "urn:schemas-upnp-org:device:MediaServer:1");
        assert_eq!(desc.friendly_name, "Rill test");
        assert_eq!(desc.udn, format!("uuid:{}", server.uuid));
        assert_eq!(desc.dlna_doc, ["DMS-1.50"]);
        for service in [
            CONTENT_DIRECTORY,
            "urn:schemas-upnp-org:service:ConnectionManager:1",
            "urn:microsoft.com:service:X_MS_MediaReceiverRegistrar:1",
        ] {
            let s = desc.service(service).unwrap_or_else(|| panic!("{service} listed"));
            let scpd = ps3.get(&s.scpd_url, &[]).unwrap();
            assert_eq!(scpd.status, 200, "SCPD of {service}");
            assert!(scpd.text().contains("<actionList>"));
        }
        let control = desc.service(CONTENT_DIRECTORY).unwrap().control_url.clone();

        // Root metadata, then down the tree: root -> demo folder -> artist folders -> album.
        let root = ps3.browse(&control, &Browse::metadata("0")).unwrap();
        assert_eq!(root.objects.len(), 1);
        assert!(root.objects[0].is_container);
        assert_eq!((root.objects[0].id.as_str(), root.objects[0].parent_id.as_str()), ("0", "-1"));

        let top = ps3.browse(&control, &Browse::children("0")).unwrap();
        let titles: Vec<&str> = top.objects.iter().map(|o| o.title.as_str()).collect();
        assert_eq!(titles, ["Music", "Video", "Pictures", "Playlists", "Folders"]);
        assert!(top.objects.iter().all(|o| o.is_container && o.parent_id == "0"));
        let folders = top.containers().find(|c| c.title == "Folders").unwrap();
        let served = ps3.browse(&control, &Browse::children(&folders.id)).unwrap();
        assert_eq!((served.number_returned, served.total_matches), (1, 1));
        let demo = &served.objects[0];
        assert!(demo.is_container);
        assert_eq!(demo.parent_id, folders.id);

        let artists = ps3.browse(&control, &Browse::children(&demo.id)).unwrap();
        let mut names: Vec<_> = artists.containers().map(|c| c.title.as_str()).collect();
        names.sort();
        assert_eq!(names, ["Rill Ensemble", "Various Artists"]);
        assert!(artists.objects.iter().all(|o| o.parent_id == demo.id));

        // Paging: one at a time, TotalMatches stays 2.
        let first = ps3.browse(&control, &Browse::children(&demo.id).range(0, 1)).unwrap();
        let second = ps3.browse(&control, &Browse::children(&demo.id).range(1, 1)).unwrap();
        assert_eq!((first.number_returned, first.total_matches), (1, 2));
        assert_eq!((second.number_returned, second.total_matches), (1, 2));
        assert_ne!(first.objects[0].id, second.objects[0].id);

        let ensemble = artists.containers().find(|c| c.title == "Rill Ensemble").unwrap();
        let albums = ps3.browse(&control, &Browse::children(&ensemble.id)).unwrap();
        let album = albums.containers().find(|c| c.title == "First Light").unwrap();
        let tracks = ps3.browse(&control, &Browse::children(&album.id)).unwrap();
        // Two tracks and the cover; "Salt & Stone" survives DIDL escaping inside SOAP.
        assert_eq!(tracks.items().count(), 3);
        assert!(tracks.items().any(|i| i.title.contains("Salt & Stone")), "{:?}", tracks.didl);

        // The original file, as VLC fetches it: whole, a byte range, past the end, HEAD.
        let salt = tracks.items().find(|i| i.title.contains("Salt & Stone")).unwrap();
        // A PS3 cannot play Vorbis: it is offered the L16 rendition first, the file last.
        assert!(salt.res[0].protocol_info.starts_with("http-get:*:audio/L16;"), "{:?}", salt.res);
        let res = salt.res.iter().find(|r| r.url.ends_with(".ogg")).unwrap();
        let (_, expected) =
            rill::demo::FILES.iter().find(|(p, _)| p.contains("Salt & Stone")).unwrap();
        assert_eq!(res.size, Some(expected.len() as u64));
        let vlc = Renderer::new(Player::VLC);
        let whole = vlc.get(&res.url, &[]).unwrap();
        assert_eq!(whole.status, 200);
        assert_eq!(whole.body, *expected);
        assert_eq!(whole.header("accept-ranges"), Some("bytes"));
        let part = vlc.get(&res.url, &[("Range", "bytes=100-199")]).unwrap();
        assert_eq!(part.status, 206);
        let content_range = format!("bytes 100-199/{}", expected.len());
        assert_eq!(part.header("content-range"), Some(content_range.as_str()));
        assert_eq!(part.body, expected[100..200]);
        let tail = vlc.get(&res.url, &[("Range", "bytes=-10")]).unwrap();
        assert_eq!(tail.body, expected[expected.len() - 10..]);
        let past = format!("bytes={}-", expected.len());
        assert_eq!(vlc.get(&res.url, &[("Range", past.as_str())]).unwrap().status, 416);
        let head = vlc.request("HEAD", &res.url, &[("getcontentFeatures.dlna.org", "1")], &[]);
        let head = head.unwrap();
        assert!(head.body.is_empty());
        let length = expected.len().to_string();
        assert_eq!(head.header("content-length"), Some(length.as_str()));
        // An original file: byte seek only (OP=01), not converted (CI=0).
        let features = head.header("contentfeatures.dlna.org").unwrap();
        assert!(features.contains("DLNA.ORG_OP=01;DLNA.ORG_CI=0"), "{features}");
        assert_eq!(res.dlna_features(), Some(features));

        // Unknown objects are a UPnP fault 701 (no such object) over HTTP 500.
        match ps3.browse(&control, &Browse::metadata("987654321")) {
            Err(Error::Fault { http_status: 500, code: 701, .. }) => {}
            other => panic!("expected fault 701, got {other:?}"),
        }

        server.stop.send(()).unwrap();
        server.thread.join().unwrap();
    });
}

#[test]
fn http_edges_on_the_description_url() {
    isolated("http_edges_on_the_description_url", || {
        let server = common::start(common::empty_dir());
        let addr = std::net::SocketAddr::from(server.http);
        let mut c = rill_tests::renderer::Client::connect(addr).unwrap();
        // HTTP/1.0 HEAD: same head as GET, no body, never chunked.
        c.send_raw(b"HEAD /rill/description.xml HTTP/1.0\r\n\r\n").unwrap();
        let head = c.read_response().unwrap();
        assert_eq!(head.status, 200);
        assert!(!head.chunked && head.body.is_empty());
        let len: usize = head.header("content-length").unwrap().parse().unwrap();

        let mut c = rill_tests::renderer::Client::connect(addr).unwrap();
        // Keep-alive: two GETs on one connection, then garbage gets a 400.
        c.send_raw(b"GET /rill/description.xml HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let a = c.read_response().unwrap();
        assert_eq!((a.status, a.body.len()), (200, len));
        c.send_raw(b"GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(c.read_response().unwrap().status, 404);
        c.send_raw(b"GARBAGE\r\n\r\n").unwrap();
        assert_eq!(c.read_response().unwrap().status, 400);

        server.stop.send(()).unwrap();
        server.thread.join().unwrap();
    });
}
