//! Video a PS3 cannot play, remuxed with ffmpeg to MPEG-TS (issue 15, item 2).
//!
//! The test makes its media with ffmpeg: H.264 (High, a keyframe every 2 s) in Matroska with
//! AC-3 and with DTS, H.264 with AAC in MP4, and MPEG-4 part 2 with AC-3 in AVI. The mock PS3
//! (its real `User-Agent` and `X-AV-Client-Info`, as in the player table) browses: each
//! Matroska item must offer first a `video/mpeg` `AVC_TS_HP_HD_AC3_ISO` res with
//! `DLNA.ORG_OP=10`, its duration and resolution (the PS3 plays no Matroska, nor DTS); the MP4
//! and the AVI (as `video/divx`), which it plays, come as they are. A mock Samsung TV, which
//! plays Matroska but not DTS, is offered the DTS file's remux alone. What the remux sends is
//! checked with ffprobe (codecs: the video copied, AC-3 copied, DTS converted to AC-3, AAC
//! copied; duration within 1 s). A time seek must start at the keyframe at or before the time
//! asked, which ffprobe lists in the source, echo that keyframe's time, and its first picture
//! must be the source's picture at that time (decoded frames compared by MD5): in Matroska
//! (the server reads the keyframe from the Cues) and in MP4 (it asks ffprobe). Ending a
//! connection ends its ffmpeg (no child left in /proc, zombies included), and the fifth
//! concurrent remux gets 503.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{tv, Client, Player, Renderer, Url};
use rill_tests::video_corpus::ffmpeg;

/// Seconds of each clip.
const SECONDS: f64 = 6.0;

/// Keyframe interval of the clips, in frames at 25 fps (2 s).
const GOP: u32 = 50;

/// Concurrent remuxes the server allows (`rill::remux::MAX_REMUXES`).
const CAP: usize = rill::remux::MAX_REMUXES;

/// A 320x240 H.264 High clip of [`SECONDS`] with a keyframe every [`GOP`] frames and a stereo
/// tone encoded with `audio` (ffmpeg codec options), in the container `out` names.
fn clip(out: &Path, audio: &[&str]) {
    let duration = format!("duration={SECONDS}");
    let video = format!("testsrc2=size=320x240:rate=25:{duration}");
    let tone = format!("sine=frequency=440:sample_rate=48000:{duration}");
    let gop = format!("keyint={GOP}:min-keyint={GOP}:scenecut=0");
    let mut args = vec!["-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &tone, "-ac", "2"];
    args.extend(["-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p"]);
    args.extend(["-x264-params", &gop]);
    args.extend(audio);
    ffmpeg(out, &args);
}

/// Runs ffprobe on `path` with `args`; its standard output.
fn ffprobe(path: &Path, args: &[&str]) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .arg(path)
        .output()
        .expect("ffprobe runs (Debian package ffmpeg)");
    assert!(out.status.success(), "ffprobe {args:?} {}", path.display());
    String::from_utf8(out.stdout).unwrap()
}

/// The codec names of the streams of `path`, in order, and its duration in seconds.
fn codecs_and_duration(path: &Path) -> (Vec<String>, f64) {
    let codecs = ffprobe(path, &["-show_entries", "stream=codec_name", "-of", "csv=p=0"]);
    let duration = ffprobe(path, &["-show_entries", "format=duration", "-of", "csv=p=0"]);
    // MPEG-TS streams are listed under their program too: each codec once, in order.
    let mut names: Vec<String> = Vec::new();
    for name in codecs.lines().filter(|l| !l.is_empty()) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    (names, duration.trim().parse().unwrap())
}

/// The times in seconds of the video keyframes of `path`, by ffprobe.
fn keyframes(path: &Path) -> Vec<f64> {
    let args = ["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags"];
    let listing = ffprobe(path, &[&args[..], &["-of", "csv=p=0"]].concat());
    listing
        .lines()
        .filter_map(|l| l.split_once(','))
        .filter(|(_, flags)| flags.starts_with('K'))
        .map(|(t, _)| t.parse().unwrap())
        .collect()
}

/// The MD5 of the first decoded picture of `path` from `at` seconds (accurate seek).
fn picture_md5(path: &Path, at: f64) -> String {
    let at = format!("{at:.3}");
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-ss", &at, "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-frames:v", "1", "-f", "md5", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg md5 of {}", path.display());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The ffmpeg processes that are children of this process (the server runs in it), zombies
/// included.
fn ffmpeg_children() -> Vec<u32> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // pid (comm) state ppid ...
        let Some((comm, rest)) = stat.split_once(") ") else { continue };
        let ppid = rest.split(' ').nth(1).and_then(|p| p.parse::<u32>().ok());
        if comm.ends_with("(ffmpeg") && ppid == Some(me) {
            found.push(pid);
        }
    }
    found
}

/// Waits up to 10 s for every ffmpeg child to be gone.
fn wait_no_ffmpeg(what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ffmpeg_children().is_empty() {
        assert!(Instant::now() < deadline, "{what}: ffmpeg still there: {:?}", ffmpeg_children());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A PS3 GET of `url` with `extra` headers on a connection left open after the head.
fn stream(url: &str, extra: &[(&str, &str)]) -> (Client, rill_tests::renderer::Response) {
    let url = Url::parse(url).unwrap();
    let mut client = Client::connect(url.addr).unwrap();
    let headers: Vec<_> = Player::PS3.headers.iter().chain(extra).copied().collect();
    client.send("GET", &url, &headers, &[]).unwrap();
    let head = client.read_head().unwrap();
    (client, head)
}

#[test]
fn a_ps3_gets_matroska_remuxed_to_mpeg_ts() {
    isolated("a_ps3_gets_matroska_remuxed_to_mpeg_ts", || {
        let (dir, root) = common::empty_dir();
        let scratch = tempfile::tempdir().unwrap();
        clip(&root.join("ac3.mkv"), &["-c:a", "ac3", "-b:a", "192k"]);
        clip(&root.join("dts.mkv"), &["-c:a", "dca", "-strict", "-2"]);
        clip(&root.join("aac.mp4"), &["-c:a", "aac"]);
        // MPEG-4 part 2 (DivX 5) with AC-3 in AVI, which the PS3 plays as `video/divx`.
        let (video, tone) = ("testsrc2=size=320x240:rate=25:duration=2", "sine=duration=2");
        let avi = ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", tone, "-c:v", "mpeg4"];
        ffmpeg(&root.join("divx.avi"), &[&avi[..], &["-vtag", "DX50", "-c:a", "ac3"]].concat());
        let source = root.join("ac3.mkv");
        let server = common::start((dir, root.clone()));
        let ps3 = Renderer::new(Player::PS3);
        let control = common::control_url(&ps3, &server);
        let items = common::items(&ps3, &control, "0");
        let item = |name: &str| items.iter().find(|o| o.title == name).expect(name).clone();

        // Browse: the remux first for Matroska, with its profile, time seek only, duration
        // and resolution; the MP4 as it is.
        for name in ["ac3", "dts"] {
            let res = &item(name).res[0];
            assert!(res.url.ends_with(".ts"), "{name}: first res {}", res.url);
            assert_eq!(res.mime(), Some("video/mpeg"), "{name}");
            let features = res.dlna_features().unwrap();
            assert!(
                features.starts_with("DLNA.ORG_PN=AVC_TS_HP_HD_AC3_ISO;DLNA.ORG_OP=10;"),
                "{name}: {features}"
            );
            assert_eq!(res.resolution.as_deref(), Some("320x240"), "{name}");
            let duration = res.duration.as_deref().unwrap();
            assert!(duration.starts_with("0:00:06.0") || duration.starts_with("0:00:05.9"));
            assert_eq!(res.size, None, "{name}: a remux has no size");
            assert!(item(name).res[1].url.ends_with(".mkv"), "{name}: the original after it");
        }
        let mp4 = item("aac");
        assert!(mp4.res[0].url.ends_with(".mp4"), "the PS3 plays H.264/AAC in MP4");
        assert!(mp4.res.iter().all(|r| !r.url.ends_with(".ts")), "so it gets no remux");
        let divx = item("divx");
        assert_eq!(divx.res[0].mime(), Some("video/divx"), "the PS3 takes AVI as video/divx");
        assert!(divx.res.iter().all(|r| !r.url.ends_with(".ts")), "and it gets no remux");

        // A Samsung TV plays Matroska but not DTS (not on its 2019+ sets): the DTS file alone
        // gets a remux, its audio made AC-3.
        let samsung = Renderer::new(tv::SAMSUNG);
        let tv_items = common::items(&samsung, &control, "0");
        let tv_item = |name: &str| tv_items.iter().find(|o| o.title == name).expect(name).clone();
        let dts = &tv_item("dts").res[0];
        assert!(dts.url.ends_with(".ts"), "Samsung, DTS: first res {}", dts.url);
        assert_eq!(dts.mime(), Some("video/mpeg"));
        let features = dts.dlna_features().unwrap();
        assert!(features.starts_with("DLNA.ORG_PN=AVC_TS_HP_HD_AC3"), "Samsung, DTS: {features}");
        for name in ["ac3", "aac"] {
            let res = &tv_item(name).res;
            assert!(res.iter().all(|r| !r.url.ends_with(".ts")), "Samsung plays {name} as it is");
        }

        // Play: the codecs and duration of what is sent.
        let mp4_ts = mp4.res[0].url.replace(".mp4", ".ts");
        for (name, url, audio) in [
            ("ac3", item("ac3").res[0].url.clone(), "ac3"),
            ("dts", item("dts").res[0].url.clone(), "ac3"),
            ("aac", mp4_ts.clone(), "aac"),
        ] {
            let resp = ps3.get(&url, &[]).unwrap();
            assert_eq!(resp.status, 200, "{name}");
            assert_eq!(resp.header("content-type"), Some("video/mpeg"), "{name}");
            assert_eq!(resp.header("content-length"), None, "{name}: ends with the connection");
            let path = scratch.path().join(format!("{name}.ts"));
            std::fs::write(&path, &resp.body).unwrap();
            let (codecs, duration) = codecs_and_duration(&path);
            assert_eq!(codecs, ["h264", audio], "{name}");
            assert!((duration - SECONDS).abs() < 1.0, "{name}: {duration} s");
        }
        wait_no_ffmpeg("after playing to the end");

        // Time seek: starts at the keyframe at or before T, and says so; in Matroska found
        // from its Cues, in MP4 by ffprobe.
        let url = item("ac3").res[0].url.clone();
        for (source, url, audio) in
            [(&source, &url, "ac3"), (&root.join("aac.mp4"), &mp4_ts, "aac")]
        {
            let keys = keyframes(source);
            let (_, source_duration) = codecs_and_duration(source);
            assert_eq!(keys.len(), 3, "a keyframe every 2 s: {keys:?}");
            for t in [3.3, 4.0, 0.5] {
                let npt = format!("npt={t:.3}-");
                let resp = ps3.get(url, &[("TimeSeekRange.dlna.org", &npt)]).unwrap();
                assert_eq!(resp.status, 200, "{npt}");
                let echoed = resp.header("timeseekrange.dlna.org").unwrap().to_owned();
                let key = keys.iter().copied().filter(|&k| k <= t + 1e-6).fold(0.0, f64::max);
                assert!(t - key < 2.0, "{npt}: within one GOP");
                let start = echoed.strip_prefix("npt=").and_then(|e| e.split('-').next()).unwrap();
                assert_eq!(start, format!("{key:.3}"), "{npt}: echoed {echoed}");
                // The end and the duration are the source's own, as ffprobe reads it.
                let total: f64 = echoed.rsplit('/').next().unwrap().parse().unwrap();
                assert!((total - source_duration).abs() < 0.05, "{echoed}: {source_duration} s");
                let path = scratch.path().join("seek.ts");
                std::fs::write(&path, &resp.body).unwrap();
                let (codecs, duration) = codecs_and_duration(&path);
                assert_eq!(codecs, ["h264", audio], "{npt}");
                assert!((duration - (SECONDS - key)).abs() < 1.0, "{npt}: {duration} s");
                assert_eq!(
                    picture_md5(&path, 0.0),
                    picture_md5(source, key),
                    "{npt}: first picture"
                );
            }
        }
        let resp = ps3.get(&url, &[("TimeSeekRange.dlna.org", "npt=6.5-")]).unwrap();
        assert_eq!(resp.status, 416, "past the end");

        // Pause: the PS3 drops the connection; its ffmpeg goes, and resuming is a new seek.
        let (mut client, head) = stream(&url, &[("TimeSeekRange.dlna.org", "npt=2.0-")]);
        assert_eq!(head.status, 200);
        assert_eq!(client.read_body(188 * 10).unwrap().len(), 188 * 10);
        assert_eq!(ffmpeg_children().len(), 1, "one ffmpeg for the stream");
        drop(client);
        wait_no_ffmpeg("after the connection ended");

        // The cap: CAP streams at once, the next is refused.
        let streams: Vec<_> = (0..CAP).map(|_| stream(&url, &[])).collect();
        assert!(streams.iter().all(|(_, head)| head.status == 200));
        let refused = ps3.get(&url, &[]).unwrap();
        assert_eq!(refused.status, 503, "beyond the cap");
        assert!(refused.header("retry-after").is_some());
        drop(streams);
        wait_no_ffmpeg("after the capped streams ended");
        let again = ps3.get(&url, &[]).unwrap();
        assert_eq!(again.status, 200, "a slot is free again");
        wait_no_ffmpeg("at the end");
        server.shutdown();
    });
}

/// The keyframe index Rill reads from a Matroska file (`mkv::cues`) names the keyframes ffprobe
/// lists in it; a file written to a pipe, which has no `Cues`, gives none (the server then asks
/// ffprobe).
#[test]
fn matroska_cues_name_the_keyframes_ffprobe_lists() {
    use embedded_io_adapters::std::FromStd;
    use rill_core::media::video::mkv::cues;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cues.mkv");
    clip(&path, &["-c:a", "ac3"]);
    let keys = keyframes(&path);
    assert_eq!(keys.len(), 3, "a keyframe every 2 s: {keys:?}");
    let at = |us: u64| {
        let file = std::fs::File::open(&path).unwrap();
        cues::keyframe_at_or_before(FromStd::new(file), us).unwrap()
    };
    // The first keyframe may come a little after 0 (ffmpeg's muxer starts the video at 5 ms
    // here): before it there is none.
    for t in [0.0, 0.5, 1.999, 2.1, 3.3, 4.1, 5.9, 100.0] {
        let key = keys.iter().copied().filter(|&k| k <= t + 1e-6).reduce(f64::max);
        assert_eq!(at((t * 1e6) as u64), key.map(|k| (k * 1e6).round() as u64), "at {t} s");
    }

    let piped = dir.path().join("piped.mkv");
    let out = std::fs::File::create(&piped).unwrap();
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(&path)
        .args(["-map", "0", "-c", "copy", "-f", "matroska", "pipe:1"])
        .stdout(out)
        .status()
        .unwrap();
    assert!(status.success());
    let file = std::fs::File::open(&piped).unwrap();
    assert_eq!(cues::keyframe_at_or_before(FromStd::new(file), 4_000_000).unwrap(), None);
}
