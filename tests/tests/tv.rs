//! TVs end to end: the mock Samsung TV and mock LG TV (`rill_tests::renderer::tv`, with the
//! headers and envelopes of public captures cited there) against a real server serving a
//! video, a track and a picture made by the test.
//!
//! Samsung: the ContentDirectory SCPD lists `X_GetFeatureList` and `X_SetBookmark`; the feature
//! list names containers whose direct children are the audio, video and image items; a
//! bookmark set with `X_SetBookmark` comes back as `sec:dcmInfo` `BM=` in Browse, also after a
//! restart; `getMediaInfo.sec` on a media request gives the play time. LG: none of that (a 401 for `X_GetFeatureList`, as any player without the
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
    std::fs::write(root.join("mix.m3u"), "#EXTM3U\nsong.ogg\n").unwrap();
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

        // The feature list names one container per kind; each lists its items directly, but
        // the playlists one its playlists (the fixed Playlists container, as Gerbera's `P`),
        // each holding the items it names.
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
            let mut listed = samsung.browse(&control, id, true).unwrap();
            if class == "object.item.playlistItem" {
                assert_eq!(id, "65", "the Playlists container");
                let lists: Vec<_> = listed.containers().collect();
                assert_eq!(lists.len(), 1, "playlists in {id}: {:?}", listed.didl);
                assert_eq!(lists[0].class, "object.container.playlistContainer");
                assert_eq!(lists[0].title, "mix");
                let list = lists[0].id.clone();
                listed = samsung.browse(&control, &list, true).unwrap();
                let song = listed.items().next().map(|i| i.title.as_str());
                assert_eq!(song, Some("Song"), "{:?}", listed.didl);
                kinds.push(class.to_string());
                continue;
            }
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
            [
                "object.item.audioItem",
                "object.item.videoItem",
                "object.item.imageItem",
                "object.item.playlistItem"
            ]
        );
        let film = film.unwrap();
        assert_eq!(film.dcm_info, None, "no bookmark yet");
        // Asked with `getMediaInfo.sec: 1` (UMS answers it), the TV learns the play time, in
        // milliseconds, from the media answer: Browse's duration.
        let res = &film.res[0];
        let ms = (seconds(res.duration.as_deref().unwrap()) * 1000.0).round();
        let info = samsung.renderer.request("HEAD", &res.url, &[("getMediaInfo.sec", "1")], &[]);
        let info = info.unwrap();
        assert_eq!(info.status, 200);
        assert_eq!(info.header("MediaInfo.sec"), Some(format!("SEC_Duration={ms}").as_str()));

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
        let plain = lg.request("HEAD", &film.res[0].url, &[("getMediaInfo.sec", "1")], &[]);
        assert_eq!(plain.unwrap().header("MediaInfo.sec"), None);
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

/// `ffprobe`'s answer for `entries` (`format=duration`, `stream=profile`, ...) of `file`, one
/// value per line.
fn ffprobe(file: &Path, select: &str, entries: &str) -> Vec<String> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", select, "-show_entries", entries])
        .args(["-of", "default=noprint_wrappers=1:nokey=1"])
        .arg(file)
        .output()
        .expect("ffprobe runs (Debian package ffmpeg)");
    assert!(out.status.success(), "ffprobe {}", file.display());
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// `H:MM:SS.mmm` in seconds.
fn seconds(duration: &str) -> f64 {
    let parts: Vec<f64> = duration.split(':').map(|p| p.parse().unwrap()).collect();
    parts.iter().fold(0.0, |total, p| total * 60.0 + p)
}

#[test]
fn matroska_videos_show_their_metadata_in_browse() {
    isolated("matroska_videos_show_their_metadata_in_browse", || {
        let dirs = tempfile::tempdir().unwrap();
        let root = dirs.path().join("media");
        // (file, x264 profile, audio encoder and channels)
        let clips = [
            ("high-ac3.mkv", "high", ["-c:a", "ac3", "-ac", "6"]),
            ("main-aac.mkv", "main", ["-c:a", "aac", "-ac", "2"]),
        ];
        for (name, profile, audio) in clips {
            let mut args = vec![
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=2.5:size=640x360:rate=25",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=2.5:sample_rate=48000",
                "-c:v",
                "libx264",
                "-profile:v",
                profile,
                "-pix_fmt",
                "yuv420p",
            ];
            args.extend(audio);
            video_corpus::ffmpeg(&root.join(name), &args);
        }
        // Hostile files: cut short, and not Matroska at all; listed, without metadata.
        let whole = std::fs::read(root.join("high-ac3.mkv")).unwrap();
        std::fs::write(root.join("cut.mkv"), &whole[..40]).unwrap();
        std::fs::write(root.join("noise.mkv"), vec![0x1A; 5000]).unwrap();

        let server = common::launch(dirs.path().join("state"), root.clone(), None, |_| {});
        let cp = Renderer::new(rill_tests::renderer::Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let videos = cp.browse(&control, &Browse::children("2")).unwrap();
        assert_eq!(videos.items().count(), 4, "{}", videos.didl);
        for (name, ..) in clips {
            let video = match ffprobe(&root.join(name), "v:0", "stream=profile")[0].as_str() {
                "High" => "HP",
                "Main" => "MP",
                other => panic!("{name}: H.264 profile {other}"),
            };
            let sound = match ffprobe(&root.join(name), "a:0", "stream=codec_name")[0].as_str() {
                "ac3" => "AC3",
                "aac" => "AAC_MULT5",
                other => panic!("{name}: audio {other}"),
            };
            check_video(&videos, &root, name, Some(&format!("AVC_MKV_{video}_HD_{sound}")));
        }
        for hostile in ["cut", "noise"] {
            let item = videos.items().find(|o| o.title.starts_with(hostile)).unwrap();
            assert_eq!(item.res[0].duration, None, "{hostile}");
            assert_eq!(item.res[0].resolution, None, "{hostile}");
        }
        server.shutdown();
    });
}

/// Checks the listed item of `name` (a file under `root`) against ffprobe: duration within
/// 0.1 s, resolution, audio rate and channels, a bitrate, and the DLNA profile `pn` (none
/// sent when `pn` is `None`).
fn check_video(
    videos: &rill_tests::renderer::BrowseResult,
    root: &Path,
    name: &str,
    pn: Option<&str>,
) {
    let file = root.join(name);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let item = videos.items().find(|o| o.title == stem || o.title == name).unwrap();
    let res = &item.res[0];
    let probed = seconds(res.duration.as_deref().unwrap_or_else(|| panic!("{name}: no duration")));
    let reference: f64 = ffprobe(&file, "v:0", "format=duration")[0].parse().unwrap();
    assert!((probed - reference).abs() <= 0.1, "{name}: {probed} s, ffprobe {reference} s");
    let size = ffprobe(&file, "v:0", "stream=width,height");
    assert_eq!(res.resolution.as_deref(), Some(format!("{}x{}", size[0], size[1]).as_str()));
    let audio = ffprobe(&file, "a:0", "stream=sample_rate,channels");
    assert_eq!(res.sample_frequency, Some(audio[0].parse().unwrap()), "{name}");
    assert_eq!(res.channels, Some(audio[1].parse().unwrap()), "{name}");
    match pn {
        Some(pn) => {
            let pn = format!("DLNA.ORG_PN={pn};");
            assert!(res.protocol_info.contains(&pn), "{name}: {} lacks {pn}", res.protocol_info);
        }
        None => assert!(!res.protocol_info.contains("DLNA.ORG_PN"), "{}", res.protocol_info),
    }
    // The media answer says the same as Browse.
    let cp = Renderer::new(rill_tests::renderer::Player::GENERIC);
    let head = cp.request("HEAD", &res.url, &[("getcontentFeatures.dlna.org", "1")], &[]).unwrap();
    assert_eq!(head.status, 200, "{name}");
    assert_eq!(head.header("contentFeatures.dlna.org"), res.dlna_features(), "{name}");
    assert!(res.bitrate.is_some_and(|b| b > 0), "{name}");
}

#[test]
fn mp4_videos_show_their_metadata_in_browse() {
    isolated("mp4_videos_show_their_metadata_in_browse", || {
        let dirs = tempfile::tempdir().unwrap();
        let root = dirs.path().join("media");
        // (file, x264 profile, size): Main SD and High 720p, both with AAC.
        let clips = [("main-sd.mp4", "main", "640x360"), ("high-720p.mp4", "high", "1280x720")];
        for (name, profile, size) in clips {
            let picture = format!("testsrc=duration=1.5:size={size}:rate=25");
            video_corpus::ffmpeg(
                &root.join(name),
                &[
                    "-f",
                    "lavfi",
                    "-i",
                    &picture,
                    "-f",
                    "lavfi",
                    "-i",
                    "sine=frequency=440:duration=1.5:sample_rate=44100",
                    "-c:v",
                    "libx264",
                    "-profile:v",
                    profile,
                    "-pix_fmt",
                    "yuv420p",
                    "-c:a",
                    "aac",
                    "-ac",
                    "2",
                ],
            );
        }
        std::fs::write(root.join("noise.mp4"), vec![0u8; 3000]).unwrap();
        let server = common::launch(dirs.path().join("state"), root.clone(), None, |_| {});
        let cp = Renderer::new(rill_tests::renderer::Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let videos = cp.browse(&control, &Browse::children("2")).unwrap();
        assert_eq!(videos.items().count(), 3, "{}", videos.didl);
        for (name, ..) in clips {
            let file = root.join(name);
            let high = ffprobe(&file, "v:0", "stream=profile")[0] == "High";
            let size = ffprobe(&file, "v:0", "stream=width,height");
            let (w, h): (u32, u32) = (size[0].parse().unwrap(), size[1].parse().unwrap());
            assert_eq!(ffprobe(&file, "a:0", "stream=codec_name")[0], "aac");
            // MiniDLNA's rules (tv.md): High up to 1080 lines is HP_HD; Main by size.
            let pn = match (high, w <= 720 && h <= 576, w <= 1280 && h <= 720) {
                (true, ..) => "AVC_MP4_HP_HD_AAC",
                (false, true, _) => "AVC_MP4_MP_SD_AAC_MULT5",
                (false, false, true) => "AVC_MP4_MP_HD_720p_AAC",
                (false, false, false) => "AVC_MP4_MP_HD_1080i_AAC",
            };
            check_video(&videos, &root, name, Some(pn));
        }
        let noise = videos.items().find(|o| o.title.starts_with("noise")).unwrap();
        assert_eq!(
            (noise.res[0].duration.as_ref(), noise.res[0].resolution.as_ref()),
            (None, None)
        );
        server.shutdown();
    });
}

#[test]
fn avi_mpeg_and_wmv_videos_show_their_metadata_in_browse() {
    isolated("avi_mpeg_and_wmv_videos_show_their_metadata_in_browse", || {
        let dirs = tempfile::tempdir().unwrap();
        let root = dirs.path().join("media");
        // (file, picture size, codec and container options)
        let clips: [(&str, &str, &[&str]); 7] = [
            ("dvd.mpg", "720x576", &["-c:v", "mpeg2video", "-c:a", "ac3", "-ac", "6", "-f", "dvd"]),
            ("vcd.mpg", "352x288", &["-c:v", "mpeg1video", "-c:a", "mp2", "-f", "mpeg"]),
            ("xvid.avi", "640x480", &["-c:v", "mpeg4", "-vtag", "XVID", "-c:a", "libmp3lame"]),
            ("main.ts", "720x576", &["-c:v", "libx264", "-profile:v", "main", "-c:a", "aac"]),
            (
                "high.m2ts",
                "1280x720",
                &["-c:v", "libx264", "-profile:v", "high", "-c:a", "ac3", "-mpegts_m2ts_mode", "1"],
            ),
            ("hd.ts", "1280x720", &["-c:v", "mpeg2video", "-c:a", "mp2"]),
            ("wmv8.wmv", "640x480", &["-c:v", "wmv2", "-c:a", "wmav2"]),
        ];
        for (name, size, codecs) in clips {
            let picture = format!("testsrc=duration=2.4:size={size}:rate=25");
            let mut args = vec!["-f", "lavfi", "-i", &picture, "-f", "lavfi", "-i"];
            args.extend(["sine=frequency=440:duration=2.4:sample_rate=48000", "-ac", "2"]);
            args.extend(["-pix_fmt", "yuv420p"]);
            args.extend(codecs);
            video_corpus::ffmpeg(&root.join(name), &args);
        }
        // Hostile files, listed without metadata and never hanging the scan: a transport
        // stream cut inside its first packets, a program stream of pack headers only, an AVI
        // whose lists claim 4 GiB, an ASF header object and its first child that claim
        // to be 16 EiB long.
        let ts = std::fs::read(root.join("main.ts")).unwrap();
        std::fs::write(root.join("cut.ts"), &ts[..600]).unwrap();
        let pack = [0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1, 1, 0x89, 0xC3, 0xF8];
        std::fs::write(root.join("packs.mpg"), pack.repeat(50_000)).unwrap();
        let mut avi = b"RIFF\xff\xff\xff\xffAVI LIST\xff\xff\xff\xffhdrl".to_vec();
        avi.extend(b"LIST\xff\xff\xff\xffstrl".repeat(2000));
        std::fs::write(root.join("lists.avi"), avi).unwrap();
        let wmv = std::fs::read(root.join("wmv8.wmv")).unwrap();
        let mut huge = wmv[..16].to_vec();
        huge.extend(u64::MAX.to_le_bytes());
        huge.extend(&wmv[24..46]);
        huge.extend(u64::MAX.to_le_bytes()); // the first child too, hiding the streams
        huge.extend(&wmv[54..4096]);
        std::fs::write(root.join("huge.wmv"), huge).unwrap();
        // A program stream after 2 KiB of zeros: not one Rill reads (it must open with a pack
        // header), but ffprobe finds it, and its details come from ffprobe, without a profile.
        let mut junk = vec![0; 2048];
        junk.extend(std::fs::read(root.join("dvd.mpg")).unwrap());
        std::fs::write(root.join("junk.mpg"), junk).unwrap();

        let server = common::launch(dirs.path().join("state"), root.clone(), None, |_| {});
        let cp = Renderer::new(rill_tests::renderer::Player::GENERIC);
        let control = common::control_url(&cp, &server);
        let videos = cp.browse(&control, &Browse::children("2")).unwrap();
        assert_eq!(videos.items().count(), 12, "{}", videos.didl);
        for (name, ..) in clips {
            let file = root.join(name);
            let video = ffprobe(&file, "v:0", "stream=codec_name,profile,width,height");
            let audio = ffprobe(&file, "a:0", "stream=codec_name")[0].clone();
            let (w, h): (u32, u32) = (video[2].parse().unwrap(), video[3].parse().unwrap());
            let m2ts = std::fs::read(&file).unwrap()[4] == 0x47;
            // MiniDLNA's rules (tv.md) on what ffprobe sees.
            let pn = match (video[0].as_str(), video[1].as_str(), audio.as_str()) {
                ("mpeg2video", ..) if name.ends_with(".mpg") && matches!(h, 576 | 288) => {
                    Some("MPEG_PS_PAL".to_string())
                }
                ("mpeg1video", ..) if w <= 352 && h <= 288 => Some("MPEG1".to_string()),
                ("mpeg2video", ..) if name.ends_with("ts") => {
                    let size = if w >= 1280 && h >= 720 { "HD_NA" } else { "SD_NA" };
                    Some(format!("MPEG_TS_{size}{}", if m2ts { "_T" } else { "_ISO" }))
                }
                ("h264", "Main", "aac") if w <= 720 && h <= 576 => {
                    Some(format!("AVC_TS_MP_SD_AAC_MULT5{}", if m2ts { "_T" } else { "_ISO" }))
                }
                ("h264", "High", "ac3") => {
                    Some(format!("AVC_TS_HP_HD_AC3{}", if m2ts { "_T" } else { "_ISO" }))
                }
                // AVI has no DLNA profile; WMV 8 (not WMV 9 or VC-1) has none either.
                ("mpeg4", ..) | ("wmv2", ..) => None,
                other => panic!("{name}: no rule for {other:?}"),
            };
            check_video(&videos, &root, name, pn.as_deref());
        }
        check_video(&videos, &root, "junk.mpg", None);
        for hostile in ["cut", "packs", "lists", "huge"] {
            let item = videos.items().find(|o| o.title.starts_with(hostile)).unwrap();
            assert_eq!(item.res[0].duration, None, "{hostile}");
            assert_eq!(item.res[0].resolution, None, "{hostile}");
        }
        server.shutdown();
    });
}

#[test]
fn ffprobes_reading_is_kept_in_the_index_and_without_ffprobe_there_is_none() {
    isolated("ffprobes_reading_is_kept_in_the_index_and_without_ffprobe_there_is_none", || {
        let dirs = tempfile::tempdir().unwrap();
        let root = dirs.path().join("media");
        let picture = "testsrc=duration=1.2:size=720x576:rate=25";
        let args = ["-f", "lavfi", "-i", picture, "-c:v", "mpeg2video", "-f", "dvd"];
        video_corpus::ffmpeg(&root.join("dvd.mpg"), &args);
        let mut junk = vec![0; 2048];
        junk.extend(std::fs::read(root.join("dvd.mpg")).unwrap());
        std::fs::write(root.join("junk.mpg"), junk).unwrap();
        let reference: f64 =
            ffprobe(&root.join("junk.mpg"), "v:0", "format=duration")[0].parse().unwrap();
        let index = dirs.path().join("index.sqlite");
        let start = |index: Option<&Path>| {
            let index = index.map(Path::to_path_buf);
            common::launch(dirs.path().join("state"), root.clone(), None, move |config| {
                config.live.index = index;
            })
        };
        let junk_duration = |server: &common::Running| {
            let cp = Renderer::new(rill_tests::renderer::Player::GENERIC);
            let control = common::control_url(&cp, server);
            let videos = cp.browse(&control, &Browse::children("2")).unwrap();
            let res =
                |title: &str| videos.items().find(|o| o.title == title).unwrap().res[0].clone();
            assert!(res("dvd").duration.is_some(), "read by Rill: {}", videos.didl);
            res("junk").duration.map(|d| seconds(&d))
        };
        let server = start(Some(&index));
        let first = junk_duration(&server).expect("ffprobe's play time");
        assert!((first - reference).abs() <= 0.1, "{first} s, ffprobe {reference} s");
        server.shutdown();

        // No ffprobe (nor ffmpeg) on PATH for the server from here on: this process runs this
        // test alone, in its own namespace.
        let empty = dirs.path().join("bin");
        std::fs::create_dir(&empty).unwrap();
        std::env::set_var("PATH", &empty);
        // Restarted from the index, the file unchanged: the play time ffprobe gave is kept.
        let server = start(Some(&index));
        assert_eq!(junk_duration(&server), Some(first));
        server.shutdown();
        // Read afresh (no index) without ffprobe: listed without a play time.
        let server = start(None);
        assert_eq!(junk_duration(&server), None);
        server.shutdown();
    });
}
