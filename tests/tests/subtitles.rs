//! Sidecar subtitles end to end, against a real server serving an H.264 video made with
//! ffmpeg and subtitle files the test writes in UTF-8, UTF-8 with a BOM, UTF-16LE and Latin-1.
//!
//! How TVs look for them, as other servers answer them:
//! - Samsung sends `getCaptionInfo.sec: 1` on its media GET and HEAD and reads the answer's
//!   `CaptionInfo.sec: <url>` (MiniDLNA `upnphttp.c`; Gerbera `src/upnp/quirks.cc`
//!   `addCaptionInfo`), and reads `<sec:CaptionInfoEx sec:type="srt">url</sec:CaptionInfoEx>`
//!   in Browse (MiniDLNA `upnpsoap.c`, Gerbera `xml_builder.cc`); the mock TV sends the
//!   headers of its public captures (`rill_tests::renderer::tv`).
//! - LG and other DLNA 1.5 players take a `res` with `http-get:*:text/srt:*` (MiniDLNA
//!   `FLAG_CAPTION_RES`; UMS `OfferSubtitlesByProtocolInfo`); the PS3 gets none.
//!
//! Every subtitle is served as UTF-8 with a BOM: the bytes fetched are compared with the text
//! the test encoded. Subtitles added (WebVTT, SAMI, ASS, SSA) or removed while the server runs
//! show up in Browse with their own types.
//! Samsung TVs also get `sec:ProductCap` in the device description.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::tv::{self, Samsung};
use rill_tests::renderer::{Browse, Player, Renderer};
use rill_tests::video_corpus;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// One cue of SubRip with `line` as its text.
fn srt(line: &str) -> String {
    format!("1\r\n00:00:00,100 --> 00:00:00,900\r\n{line}\r\n\r\n")
}

/// The subtitle files beside `film.mkv`, in the order the server offers them (names in byte
/// order, all SubRip), each with the text it holds.
fn subtitles(root: &Path) -> Vec<(&'static str, String)> {
    let files = [
        ("film.de.srt", srt("Grüße aus Köln — „Straße“")),
        ("film.en.srt", srt("Hello — “quoted” ★")),
        ("film.fr.srt", srt("Ça coûte cher, été à Noël")),
        ("film.srt", srt("Один, два, три")),
    ];
    for (name, text) in &files {
        let bytes = match *name {
            // UTF-16LE with its BOM.
            "film.de.srt" => {
                let mut v = vec![0xff, 0xfe];
                v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
                v
            }
            // UTF-8 with a BOM.
            "film.en.srt" => [BOM, text.as_bytes()].concat(),
            // Latin-1: every character of this text is below U+0100.
            "film.fr.srt" => text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect(),
            // UTF-8 without a BOM.
            _ => text.as_bytes().to_vec(),
        };
        std::fs::write(root.join(name), bytes).unwrap();
    }
    Vec::from(files)
}

/// The video item of `film.mkv` as `cp` browses the Video container.
fn film(cp: &Renderer, control: &str) -> rill_tests::renderer::didl::Object {
    let videos = cp.browse(control, &Browse::children("2")).unwrap();
    let film = videos.items().find(|o| o.title == "film").cloned();
    film.expect("film in Video")
}

/// The subtitle `res` URLs of `item`.
fn caption_res(item: &rill_tests::renderer::didl::Object) -> Vec<String> {
    item.res.iter().filter(|r| r.mime() == Some("text/srt")).map(|r| r.url.clone()).collect()
}

/// Fetches `url` and checks it is subtitle `text` as UTF-8 with a BOM, served as SubRip.
fn check_served(cp: &Renderer, url: &str, name: &str, text: &str) {
    let resp = cp.get(url, &[]).unwrap();
    assert_eq!(resp.status, 200, "{name}");
    assert_eq!(resp.header("Content-Type"), Some("text/srt; charset=utf-8"), "{name}");
    assert_eq!(resp.body, [BOM, text.as_bytes()].concat(), "{name}");
}

#[test]
fn tvs_find_sidecar_subtitles_and_read_them_as_utf8() {
    isolated("tvs_find_sidecar_subtitles_and_read_them_as_utf8", || {
        let dirs = tempfile::tempdir().unwrap();
        let root = dirs.path().join("media");
        video_corpus::h264_aac(&root.join("film.mkv"));
        video_corpus::h264_aac(&root.join("other.mp4"));
        let files = subtitles(&root);
        // Not a subtitle of `film`: another stem, and a text file.
        std::fs::write(root.join("films.srt"), srt("no")).unwrap();
        std::fs::write(root.join("film.txt"), "no").unwrap();
        let server = common::launch(dirs.path().join("state"), root.clone(), None, |_| {});

        // Samsung's device description declares what it may ask for (MiniDLNA
        // `upnpdescgen.c` `genRootDescSamsung`); the LG's does not.
        let samsung = Samsung::default();
        let location = format!("http://{}/rill/description.xml", server.http);
        let cap = "<sec:ProductCap>smi,DCM10,getMediaInfo.sec,getCaptionInfo.sec</sec:ProductCap>";
        assert!(samsung.renderer.get(&location, &[]).unwrap().text().contains(cap));
        assert!(!Renderer::new(tv::LG).get(&location, &[]).unwrap().text().contains("sec:"));

        // Samsung: one sec:CaptionInfoEx per subtitle, each serving its text as UTF-8.
        let control = common::control_url(&samsung.renderer, &server);
        let listed = samsung.browse(&control, "2", true).unwrap();
        let item = listed.items().find(|o| o.title == "film").unwrap().clone();
        assert_eq!(item.caption_info_ex.len(), files.len(), "{}", listed.didl);
        for ((kind, url), (name, text)) in item.caption_info_ex.iter().zip(&files) {
            assert_eq!(kind, "srt");
            check_served(&samsung.renderer, url, name, text);
        }
        let other = listed.items().find(|o| o.title == "other").unwrap();
        assert!(other.caption_info_ex.is_empty(), "{}", listed.didl);

        // `getCaptionInfo.sec: 1` on any GET or HEAD of the video, ranged or not, names the
        // first subtitle; without it, or on a video without subtitles, nothing.
        let video = &item.res[0].url;
        let first = item.caption_info_ex[0].1.as_str();
        for (method, range) in [("HEAD", None), ("GET", None), ("GET", Some("bytes=100-199"))] {
            let mut headers = vec![("getCaptionInfo.sec", "1")];
            headers.extend(range.map(|r| ("Range", r)));
            let resp = samsung.renderer.request(method, video, &headers, &[]).unwrap();
            assert_eq!(resp.status, if range.is_some() { 206 } else { 200 }, "{method}");
            assert_eq!(resp.header("CaptionInfo.sec"), Some(first), "{method} {range:?}");
        }
        let plain = samsung.renderer.request("HEAD", video, &[], &[]).unwrap();
        assert_eq!(plain.header("CaptionInfo.sec"), None);
        let asked = [("getCaptionInfo.sec", "1")];
        let none = samsung.renderer.request("HEAD", &other.res[0].url, &asked, &[]).unwrap();
        assert_eq!(none.header("CaptionInfo.sec"), None);

        // A byte range of a subtitle is a range of its UTF-8 text.
        let whole = [BOM, files[0].1.as_bytes()].concat();
        let part = samsung.renderer.get(first, &[("Range", "bytes=3-12")]).unwrap();
        assert_eq!(part.status, 206);
        assert_eq!(part.body, whole[3..=12]);

        // LG: the subtitles as `text/srt` res after the video's own, and no `sec:` at all.
        let lg = Renderer::new(tv::LG);
        let item = film(&lg, &control);
        assert_eq!(item.res[0].mime(), Some("video/x-matroska"));
        let urls = caption_res(&item);
        assert_eq!(urls.len(), files.len(), "{:?}", item.res);
        for (url, (name, text)) in urls.iter().zip(&files) {
            check_served(&lg, url, name, text);
        }
        assert!(item.caption_info_ex.is_empty());
        // The PS3 gets no subtitle res (it would not know the type).
        let ps3 = Renderer::new(Player::PS3);
        assert!(caption_res(&film(&ps3, &control)).is_empty());

        // Live: subtitles in the other formats added while serving are offered (each with its
        // own type: `smi/caption` as MiniDLNA names SAMI), one removed is not.
        let added = [
            ("film.es.vtt", "text/vtt", "WEBVTT\n\n00:00.100 --> 00:00.900\n¡Hola!\n"),
            ("film.ko.smi", "smi/caption", "<SAMI><BODY><SYNC Start=100><P>안녕</SAMI>\n"),
            ("film.ass", "text/ass", "[Script Info]\nTitle: Grüße\n"),
            ("film.ja.ssa", "text/ssa", "[Script Info]\nTitle: こんにちは\n"),
        ];
        for (name, _, text) in added {
            std::fs::write(root.join(name), text).unwrap();
        }
        std::fs::remove_file(root.join("film.en.srt")).unwrap();
        let offered = |item: &rill_tests::renderer::didl::Object, mime: &str| {
            item.res.iter().filter(|r| r.mime() == Some(mime)).count()
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let item = loop {
            let item = film(&lg, &control);
            let all_added = added.iter().all(|(_, mime, _)| offered(&item, mime) == 1);
            if all_added && caption_res(&item).len() == files.len() - 1 {
                break item;
            }
            assert!(Instant::now() < deadline, "live subtitle changes not seen: {:?}", item.res);
            std::thread::sleep(Duration::from_millis(100));
        };
        for (name, mime, text) in added {
            let res = item.res.iter().find(|r| r.mime() == Some(mime)).unwrap();
            let resp = lg.get(&res.url, &[]).unwrap();
            let content_type = format!("{mime}; charset=utf-8");
            assert_eq!(resp.header("Content-Type"), Some(content_type.as_str()), "{name}");
            assert_eq!(resp.body, [BOM, text.as_bytes()].concat(), "{name}");
        }
        let remaining: Vec<_> = files.iter().filter(|(n, _)| *n != "film.en.srt").collect();
        for (url, (name, text)) in caption_res(&item).iter().zip(remaining) {
            check_served(&lg, url, name, text);
        }
        server.shutdown();
    });
}
