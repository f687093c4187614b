use super::*;
use crate::library::{AudioProps, Details, FileInfo, Tags};
use crate::player::Player;
use crate::upnp::soap::{Response, Value};
use crate::upnp::{parse_media_path, Service};
use alloc::string::{String, ToString};
use alloc::vec::Vec;

const DIDL: &str = "urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/";
const DC: &str = "http://purl.org/dc/elements/1.1/";
const UPNP: &str = "urn:schemas-upnp-org:metadata-1-0/upnp/";
const TRICKY: &str = "Tom & Jerry <\"live\"> 'café' \u{263a}";

fn library() -> (Library, ObjectId, ObjectId) {
    let mut lib = Library::new();
    lib.add_root(0, "Music & More").unwrap();
    let song = lib
        .insert_file(0, &format!("Album/{TRICKY}.ogg"), FileInfo { size: 2_050_000, mtime: 1 })
        .unwrap()
        .unwrap();
    let tags = Tags {
        artist: Some("AC/DC & <Friends>".into()),
        album: Some("Live \"1999\"".into()),
        genre: Some("Rock".into()),
        track: Some(7),
        date: Some("1999-03-01".into()),
        ..Tags::default()
    };
    let details = Details {
        duration_ms: Some(205_500),
        frames: Some(9_062_550),
        audio: Some(AudioProps { sample_rate: 44_100, channels: 2, bits_per_sample: 0 }),
        tags: Some(Box::new(tags)),
        picture: false,
        ..Details::default()
    };
    lib.set_details(song, details).unwrap();
    let album = lib.lookup_path(0, "Album").unwrap();
    (lib, song, album)
}

fn render(lib: &Library, ids: &[ObjectId], filter: &str) -> String {
    let doc = Document::new(
        lib,
        lib.list_of(ids),
        Filter::parse(filter),
        "192.168.1.5:8200",
        Quirks::GENERIC,
    );
    let mut out = String::new();
    doc.render(&mut out).unwrap();
    assert_eq!(doc.rendered_len().unwrap(), out.len());
    out
}

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, ns: &str, name: &str) -> Option<&'a str> {
    node.children().find(|c| c.has_tag_name((ns, name))).map(|c| c.text().unwrap_or(""))
}

#[test]
fn titles_survive_double_escaping() {
    let (lib, song, album) = library();
    let response = Response {
        service: Service::ContentDirectory,
        action: "Browse",
        args: alloc::vec![(
            "Result",
            Value::Didl(Document::new(
                &lib,
                lib.list_of(&[album, song]),
                Filter::ALL,
                "h:1",
                Quirks::GENERIC,
            ))
        )],
    };
    let mut soap = String::new();
    response.render(&mut soap).unwrap();
    // `&` is `&amp;` in DIDL and `&amp;amp;` inside the SOAP text.
    assert!(
        soap.contains("Tom &amp;amp; Jerry &amp;lt;&amp;quot;live&amp;quot;&amp;gt;"),
        "{soap}"
    );
    assert!(soap.contains("caf\u{e9}"));

    // First parser: the SOAP envelope; its Result text is the DIDL document.
    let envelope = roxmltree::Document::parse(&soap).unwrap();
    let result = envelope.descendants().find(|n| n.has_tag_name("Result")).unwrap();
    let didl_text = result.text().unwrap();
    // Second parser: the DIDL-Lite document itself.
    let didl = roxmltree::Document::parse(didl_text).unwrap();
    let root = didl.root_element();
    assert!(root.has_tag_name((DIDL, "DIDL-Lite")));
    let item = root.children().find(|n| n.has_tag_name((DIDL, "item"))).unwrap();
    assert_eq!(child_text(item, DC, "title"), Some(TRICKY));
    assert_eq!(child_text(item, UPNP, "artist"), Some("AC/DC & <Friends>"));
    assert_eq!(child_text(item, UPNP, "album"), Some("Live \"1999\""));
    let container = root.children().find(|n| n.has_tag_name((DIDL, "container"))).unwrap();
    assert_eq!(container.attribute("childCount"), Some("1"));
    assert_eq!(child_text(container, UPNP, "class"), Some("object.container.storageFolder"));
}

#[test]
fn items_carry_class_tags_and_resources() {
    let (lib, song, album) = library();
    let out = render(&lib, &[song], "*");
    let doc = roxmltree::Document::parse(&out).unwrap();
    let item = doc.root_element().first_element_child().unwrap();
    assert_eq!(item.attribute("id"), Some(song.to_string().as_str()));
    assert_eq!(item.attribute("parentID"), Some(album.to_string().as_str()));
    assert_eq!(item.attribute("restricted"), Some("1"));
    assert_eq!(child_text(item, UPNP, "class"), Some("object.item.audioItem.musicTrack"));
    assert_eq!(child_text(item, DC, "creator"), Some("AC/DC & <Friends>"));
    assert_eq!(child_text(item, UPNP, "genre"), Some("Rock"));
    assert_eq!(child_text(item, UPNP, "originalTrackNumber"), Some("7"));
    assert_eq!(child_text(item, DC, "date"), Some("1999-03-01"));
    // A generic player is not known to decode Vorbis: the renditions come first.
    let all: Vec<_> = item.children().filter(|n| n.has_tag_name((DIDL, "res"))).collect();
    assert_eq!(all.len(), 3);
    let res = all[2];
    let expected_info = crate::dlna::ProtocolInfo::for_file(crate::dlna::MediaFormat::OggVorbis);
    assert_eq!(res.attribute("protocolInfo"), Some(expected_info.to_string().as_str()));
    assert_eq!(res.attribute("size"), Some("2050000"));
    assert_eq!(res.attribute("duration"), Some("0:03:25.500"));
    // 2,050,000 bytes over 205.5 s = 9975 bytes per second.
    assert_eq!(res.attribute("bitrate"), Some("9975"));
    assert_eq!(res.attribute("sampleFrequency"), Some("44100"));
    assert_eq!(res.attribute("nrAudioChannels"), Some("2"));
    assert_eq!(res.attribute("bitsPerSample"), None, "Vorbis has no bit depth");
    let url = res.text().unwrap();
    let path = url.strip_prefix("http://192.168.1.5:8200").unwrap();
    assert_eq!(parse_media_path(path), Some((song, "ogg")));

    // The renditions: L16 in the LPCM profile, and WAV, both exactly sized and seekable.
    let (l16, wav) = (all[0], all[1]);
    assert_eq!(
        l16.attribute("protocolInfo"),
        Some(
            "http-get:*:audio/L16;rate=44100;channels=2:DLNA.ORG_PN=LPCM;DLNA.ORG_OP=11;\
             DLNA.ORG_CI=1;DLNA.ORG_FLAGS=01700000000000000000000000000000"
        )
    );
    assert_eq!(l16.attribute("size"), Some("36250200"), "9,062,550 frames x 4 bytes");
    assert_eq!(wav.attribute("size"), Some("36250244"), "plus the 44-byte header");
    for res in [l16, wav] {
        assert_eq!(res.attribute("duration"), Some("0:03:25.500"));
        assert_eq!(res.attribute("bitrate"), Some("176400"));
        assert_eq!(res.attribute("bitsPerSample"), Some("16"));
        assert_eq!(res.attribute("nrAudioChannels"), Some("2"));
    }
    assert!(wav
        .attribute("protocolInfo")
        .unwrap()
        .starts_with("http-get:*:audio/wav:DLNA.ORG_OP=11;DLNA.ORG_CI=1;"));
    let path = |res: roxmltree::Node| {
        let url = res.text().unwrap().strip_prefix("http://192.168.1.5:8200").unwrap().to_string();
        parse_media_path(&url).map(|(id, ext)| (id, ext.to_string()))
    };
    assert_eq!(path(l16), Some((song, "l16".to_string())));
    assert_eq!(path(wav), Some((song, "wav".to_string())));

    // The root container's parent is -1.
    let out = render(&lib, &[ObjectId::ROOT], "*");
    let doc = roxmltree::Document::parse(&out).unwrap();
    let root = doc.root_element().first_element_child().unwrap();
    assert_eq!((root.attribute("id"), root.attribute("parentID")), (Some("0"), Some("-1")));
}

#[test]
fn filter_limits_optional_properties() {
    let (lib, song, album) = library();
    let out = render(&lib, &[album, song], "dc:title,res@size");
    let doc = roxmltree::Document::parse(&out).unwrap();
    let container = doc.root_element().first_element_child().unwrap();
    assert_eq!(container.attribute("childCount"), None);
    let item = container.next_sibling_element().unwrap();
    assert_eq!(child_text(item, DC, "title"), Some(TRICKY));
    assert_eq!(child_text(item, UPNP, "class"), Some("object.item.audioItem.musicTrack"));
    assert_eq!(child_text(item, UPNP, "artist"), None);
    let res = item.children().rfind(|n| n.has_tag_name((DIDL, "res"))).unwrap();
    assert!(res.attribute("protocolInfo").is_some());
    assert_eq!(res.attribute("size"), Some("2050000"));
    assert_eq!(res.attribute("duration"), None);

    let out = render(&lib, &[album, song], "dc:title,@childCount");
    let doc = roxmltree::Document::parse(&out).unwrap();
    let container = doc.root_element().first_element_child().unwrap();
    assert_eq!(container.attribute("childCount"), Some("1"));
    let item = container.next_sibling_element().unwrap();
    assert!(item.children().all(|n| !n.has_tag_name((DIDL, "res"))), "res not requested");

    assert!(Filter::parse("dc:title, *").allows("upnp:genre"));
    assert!(!Filter::parse("dc:title").allows("upnp:genre"));
}

#[test]
fn durations_format_as_h_mm_ss_mmm() {
    assert_eq!(Duration(0).to_string(), "0:00:00.000");
    assert_eq!(Duration(3_723_456).to_string(), "1:02:03.456");
    assert_eq!(Duration(36_000_000 * 3 + 59_999).to_string(), "30:00:59.999");
    for ms in (0..200_000_000u64).step_by(7_777_777).chain([u64::MAX, 86_399_999]) {
        let s = ms / 1000;
        let padded = format!("{}:{:02}:{:02}.{:03}", s / 3600, s / 60 % 60, s % 60, ms % 1000);
        assert_eq!(Duration(ms).to_string(), padded);
    }
}

/// The media URL extensions and protocolInfos of an item's `res` elements, in order.
fn offered(player: Player) -> Vec<(String, String)> {
    let (lib, song, _) = library();
    let doc = Document::new(&lib, lib.list_of(&[song]), Filter::ALL, "h:1", player.quirks());
    let mut out = String::new();
    doc.render(&mut out).unwrap();
    let parsed = roxmltree::Document::parse(&out).unwrap();
    let item = parsed.root_element().first_element_child().unwrap();
    item.children()
        .filter(|n| n.has_tag_name((DIDL, "res")))
        .map(|r| {
            let ext = r.text().unwrap().rsplit('.').next().unwrap().to_string();
            (ext, r.attribute("protocolInfo").unwrap().to_string())
        })
        .collect()
}

#[test]
fn players_get_their_order_and_seek_methods() {
    let exts = |p| offered(p).into_iter().map(|(e, _)| e).collect::<Vec<_>>();
    // Players that cannot decode Vorbis: renditions first.
    assert_eq!(exts(Player::Ps3), ["l16", "wav", "ogg"]);
    assert_eq!(exts(Player::Xbox360), ["l16", "wav", "ogg"]);
    // Players that can: the original first; VLC and Kodi prefer WAV to L16.
    assert_eq!(exts(Player::BubbleUpnp), ["ogg", "l16", "wav"]);
    assert_eq!(exts(Player::Vlc), ["ogg", "wav", "l16"]);
    assert_eq!(exts(Player::Kodi), ["ogg", "wav", "l16"]);
    // The PS3 is offered time seek only on transcodes (OP=10); others both (OP=11).
    let ps3 = offered(Player::Ps3);
    assert!(ps3[0].1.contains("DLNA.ORG_PN=LPCM;DLNA.ORG_OP=10;DLNA.ORG_CI=1;"), "{}", ps3[0].1);
    let generic = offered(Player::Generic);
    assert!(generic[0].1.contains("DLNA.ORG_OP=11;"), "{}", generic[0].1);
    // LG wants application/ogg for the original.
    let lg = offered(Player::Lg);
    assert!(lg[0].1.starts_with("http-get:*:application/ogg:"), "{}", lg[0].1);
}

/// The extensions of the `res` URLs `player` is offered for a track `name` with `details`, in
/// order.
fn offered_exts(name: &str, details: Details, player: Player) -> Vec<String> {
    let mut lib = Library::new();
    lib.add_root(0, "Music").unwrap();
    let song = lib.insert_file(0, name, FileInfo { size: 900_000, mtime: 1 }).unwrap().unwrap();
    lib.set_details(song, details).unwrap();
    let doc = Document::new(&lib, lib.list_of(&[song]), Filter::ALL, "h:1", player.quirks());
    let mut out = String::new();
    doc.render(&mut out).unwrap();
    let parsed = roxmltree::Document::parse(&out).unwrap();
    let item = parsed.root_element().first_element_child().unwrap();
    item.children()
        .filter(|n| n.has_tag_name((DIDL, "res")))
        .map(|r| r.text().unwrap().rsplit('.').next().unwrap().to_string())
        .collect()
}

#[test]
fn players_get_flac_in_their_order() {
    let details = Details {
        duration_ms: Some(10_000),
        frames: Some(441_000),
        audio: Some(AudioProps { sample_rate: 44_100, channels: 2, bits_per_sample: 16 }),
        tags: None,
        picture: false,
        aac_profile: None,
        resolution: None,
        video_profile: None,
        tracks: None,
        ogg_codec: None,
    };
    let exts = |player: Player| offered_exts("s.flac", details.clone(), player);
    // PS3, Xbox 360 and unknown players: L16 first, then WAV, then the FLAC.
    for player in [Player::Ps3, Player::Xbox360, Player::Generic] {
        assert_eq!(exts(player), ["l16", "wav", "flac"], "{player:?}");
    }
    // Samsung and LG TVs play FLAC: the FLAC first; so do Kodi, VLC and BubbleUPnP.
    for player in [Player::Samsung, Player::Lg, Player::BubbleUpnp] {
        assert_eq!(exts(player), ["flac", "l16", "wav"], "{player:?}");
    }
    for player in [Player::Kodi, Player::Vlc] {
        assert_eq!(exts(player), ["flac", "wav", "l16"], "{player:?}");
    }
}

#[test]
fn players_get_opus_in_their_order() {
    let details = Details {
        duration_ms: Some(10_000),
        frames: Some(480_000),
        audio: Some(AudioProps { sample_rate: 48_000, channels: 2, bits_per_sample: 0 }),
        ..Details::default()
    };
    let exts = |player: Player| offered_exts("s.opus", details.clone(), player);
    // PS3, Xbox 360, unknown players, and the TVs (no Opus decoder): L16, WAV, the Opus.
    for player in [Player::Ps3, Player::Xbox360, Player::Generic, Player::Samsung, Player::Lg] {
        assert_eq!(exts(player), ["l16", "wav", "opus"], "{player:?}");
    }
    // Kodi, VLC and BubbleUPnP play Opus: the original first.
    assert_eq!(exts(Player::BubbleUpnp), ["opus", "l16", "wav"]);
    for player in [Player::Kodi, Player::Vlc] {
        assert_eq!(exts(player), ["opus", "wav", "l16"], "{player:?}");
    }
    // Without an exact length (a platform that does not probe Opus) only the file is offered.
    let unprobed = Details { frames: None, ..details };
    assert_eq!(offered_exts("s.opus", unprobed, Player::Ps3), ["opus"]);
}

#[test]
fn an_ogg_item_is_ordered_by_its_codec_not_its_name() {
    let details = |codec| Details {
        duration_ms: Some(10_000),
        frames: Some(480_000),
        audio: Some(AudioProps { sample_rate: 48_000, channels: 2, bits_per_sample: 0 }),
        ogg_codec: Some(codec),
        ..Details::default()
    };
    let exts = |codec, player: Player| offered_exts("s.ogg", details(codec), player);
    // LG plays Ogg Vorbis and FLAC, not Opus: an Opus named `.ogg` gets its transcodes first.
    assert_eq!(exts(OggCodec::Vorbis, Player::Lg), ["ogg", "l16", "wav"]);
    assert_eq!(exts(OggCodec::Opus, Player::Lg), ["l16", "wav", "ogg"]);
    assert_eq!(exts(OggCodec::Flac, Player::Lg), ["ogg", "l16", "wav"]);
    // Samsung plays FLAC but not Ogg: FLAC in Ogg gets its transcodes first.
    assert_eq!(exts(OggCodec::Flac, Player::Samsung), ["l16", "wav", "ogg"]);
    // VLC plays all three; the PS3 none.
    for codec in OggCodec::ALL {
        assert_eq!(exts(codec, Player::Vlc)[0], "ogg", "{codec:?}");
        assert_eq!(exts(codec, Player::Ps3), ["l16", "wav", "ogg"], "{codec:?}");
    }
}

/// A stream outside the LPCM profile: 5.1 at 96 kHz, 960,001 frames (10 s and a frame).
fn surround_item() -> (Library, ObjectId) {
    let mut lib = Library::new();
    lib.add_root(0, "Music").unwrap();
    let song = lib.insert_file(0, "s.ogg", FileInfo { size: 900_000, mtime: 1 }).unwrap().unwrap();
    let details = Details {
        duration_ms: Some(10_000),
        frames: Some(960_001),
        audio: Some(AudioProps { sample_rate: 96_000, channels: 6, bits_per_sample: 0 }),
        tags: None,
        picture: false,
        ..Details::default()
    };
    lib.set_details(song, details).unwrap();
    (lib, song)
}

#[test]
fn streams_outside_the_profile_get_a_profile_version_for_strict_players() {
    let (lib, song) = surround_item();
    let res = |player: Player| {
        let doc = Document::new(&lib, lib.list_of(&[song]), Filter::ALL, "h:1", player.quirks());
        let mut out = String::new();
        doc.render(&mut out).unwrap();
        let parsed = roxmltree::Document::parse(&out).unwrap();
        let item = parsed.root_element().first_element_child().unwrap();
        item.children()
            .filter(|n| n.has_tag_name((DIDL, "res")))
            .map(|r| {
                let attr = |name| r.attribute(name).unwrap_or("-").to_string();
                let ext = r.text().unwrap().rsplit('.').next().unwrap().to_string();
                [ext, attr("protocolInfo"), attr("size"), attr("duration"), attr("bitrate")]
            })
            .collect::<Vec<_>>()
    };
    let exts = |p| res(p).into_iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    assert_eq!(exts(Player::Ps3), ["lpcm", "l16", "wav", "ogg"]);
    assert_eq!(exts(Player::Generic), ["lpcm", "l16", "wav", "ogg"]);
    assert_eq!(exts(Player::BubbleUpnp), ["ogg", "lpcm", "l16", "wav"]);
    // Players that take any PCM keep the honest renditions only.
    assert_eq!(exts(Player::Vlc), ["ogg", "wav", "l16"]);
    assert_eq!(exts(Player::Kodi), ["ogg", "wav", "l16"]);

    let ps3 = res(Player::Ps3);
    // ceil(960,001 / 2) = 480,001 stereo frames at 48 kHz: 1,920,004 bytes, 10.000 s.
    assert_eq!(
        ps3[0],
        [
            "lpcm",
            "http-get:*:audio/L16;rate=48000;channels=2:DLNA.ORG_PN=LPCM;DLNA.ORG_OP=10;\
             DLNA.ORG_CI=1;DLNA.ORG_FLAGS=01700000000000000000000000000000",
            "1920004",
            "0:00:10.000",
            "192000",
        ]
    );
    // The honest L16: true rate and channels, no DLNA.ORG_PN.
    assert_eq!(
        ps3[1][..3],
        [
            "l16",
            "http-get:*:audio/L16;rate=96000;channels=6:DLNA.ORG_OP=10;DLNA.ORG_CI=1;\
             DLNA.ORG_FLAGS=01700000000000000000000000000000",
            "11520012",
        ]
    );
}
