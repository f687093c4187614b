//! TVs end to end: the mock Samsung TV and mock LG TV (`rill_tests::renderer::tv`, with the
//! headers and envelopes of public captures cited there) against a real server serving a
//! video, a track and a picture made by the test.
//!
//! Samsung: the ContentDirectory SCPD lists `X_GetFeatureList` and `X_SetBookmark`; the feature
//! list names containers whose direct children are the audio, video and image items; a
//! bookmark set with `X_SetBookmark` comes back as `sec:dcmInfo` `BM=` in Browse, also after a
//! restart. LG: none of that (a 401 for `X_GetFeatureList`, as any player without the
//! extensions gets).

mod common;

use std::path::Path;

use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::soap::Error;
use rill_tests::renderer::tv::{self, Samsung};
use rill_tests::renderer::{Browse, Renderer, CONTENT_DIRECTORY};
use rill_tests::{corpus, video_corpus};

/// A folder with `film.mkv`, `song.ogg` and `photo.jpg`.
fn media(root: &Path) {
    video_corpus::h264_aac(&root.join("film.mkv"));
    corpus::tagged(root, "song.ogg", &["TITLE=Song", "ARTIST=Band"]);
    video_corpus::jpeg(&root.join("photo.jpg"));
}

/// The CD SCPD as `cp` gets it.
fn scpd(cp: &Renderer, server: &common::Running) -> String {
    let location = format!("http://{}/rill/description.xml", server.http);
    let desc = cp.fetch_description(&location).unwrap();
    let url = &desc.service(CONTENT_DIRECTORY).unwrap().scpd_url;
    let resp = cp.get(url, &[]).unwrap();
    assert_eq!(resp.status, 200);
    resp.text()
}

#[test]
fn samsung_gets_its_feature_list_and_resumes_after_a_restart() {
    isolated("samsung_gets_its_feature_list_and_resumes_after_a_restart", || {
        let dirs = tempfile::tempdir().unwrap();
        let root = dirs.path().join("media");
        media(&root);
        let state = dirs.path().join("state");
        let server = common::launch(state.clone(), root.clone(), None, |_| {});
        let samsung = Samsung::default();
        let control = common::control_url(&samsung.renderer, &server);

        let samsung_scpd = scpd(&samsung.renderer, &server);
        for action in ["X_GetFeatureList", "X_SetBookmark"] {
            let name = format!("<name>{action}</name>");
            assert!(samsung_scpd.contains(&name), "{action} in {samsung_scpd}");
        }

        // The feature list names one container per kind; each lists its items directly.
        let features = samsung.feature_list(&control).unwrap();
        let doc = roxmltree::Document::parse(&features).unwrap();
        let avs = "urn:schemas-upnp-org:av:avs";
        assert!(doc.root_element().has_tag_name((avs, "Features")));
        let feature = doc.descendants().find(|n| n.has_tag_name((avs, "Feature"))).unwrap();
        assert_eq!(feature.attribute("name"), Some("samsung.com_BASICVIEW"));
        let mut film = None;
        let mut kinds = Vec::new();
        for container in feature.children().filter(|n| n.has_tag_name((avs, "container"))) {
            let (id, class) =
                (container.attribute("id").unwrap(), container.attribute("type").unwrap());
            let listed = samsung.browse(&control, id, true).unwrap();
            let items: Vec<_> = listed.items().collect();
            assert_eq!(items.len(), 1, "{class} in {id}: {:?}", listed.didl);
            assert!(items[0].class.starts_with(class), "{} under {class}", items[0].class);
            if class == "object.item.videoItem" {
                film = Some(items[0].clone());
            }
            kinds.push(class.to_string());
        }
        assert_eq!(
            kinds,
            ["object.item.audioItem", "object.item.videoItem", "object.item.imageItem"]
        );
        let film = film.unwrap();
        assert_eq!(film.dcm_info, None, "no bookmark yet");

        // Stopped at 12:34: the TV sets a bookmark and reads it back.
        samsung.set_bookmark(&control, &film.id, 754).unwrap();
        let expected = format!("CREATIONDATE=0,FOLDER={},BM=754", film.title);
        let again = samsung.browse(&control, &film.id, false).unwrap();
        assert_eq!(again.objects[0].dcm_info.as_deref(), Some(expected.as_str()));
        // An object that is not there is 701.
        match samsung.set_bookmark(&control, "123456789abcdef", 10) {
            Err(Error::Fault { code: 701, .. }) => {}
            other => panic!("bookmark on a missing object: {other:?}"),
        }

        // The LG TV sees neither the actions nor the bookmark.
        let lg = Renderer::new(tv::LG);
        assert!(!scpd(&lg, &server).contains("X_GetFeatureList"));
        match lg.soap(&control, CONTENT_DIRECTORY, "X_GetFeatureList", &[]) {
            Err(Error::Fault { http_status: 500, code: 401, .. }) => {}
            other => panic!("X_GetFeatureList from LG: {other:?}"),
        }
        let seen = lg.browse(&control, &Browse::metadata(&film.id)).unwrap();
        assert_eq!(seen.objects[0].dcm_info, None);
        assert!(!seen.didl.contains("sec:"), "{}", seen.didl);
        server.shutdown();

        // After a restart the TV still resumes there.
        let server = common::launch(state, root, None, |_| {});
        let control = common::control_url(&samsung.renderer, &server);
        let after = samsung.browse(&control, &film.id, false).unwrap();
        assert_eq!(after.objects[0].dcm_info.as_deref(), Some(expected.as_str()));
        // Played to the end: position 0 clears it, for good.
        samsung.set_bookmark(&control, &film.id, 0).unwrap();
        assert_eq!(samsung.browse(&control, &film.id, false).unwrap().objects[0].dcm_info, None);
        server.shutdown();
        drop(dirs);
    });
}
