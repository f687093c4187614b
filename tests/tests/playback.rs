//! Playback end to end: Vorbis files served as exact-length, sample-accurately seekable PCM.
//!
//! A temporary folder holds one corpus file of every kind (stereo 44.1 kHz q5 of 20 s, mono
//! 22.05 kHz, 5.1 at 48 kHz, stereo 96 kHz, a one-page file of 1000 frames, re-paged files
//! with a non-zero first granule and with start trimming, a chain of two links, a damaged file
//! and a file that is not Vorbis at all). The real server (in-process, loopback only, inside
//! [`isolated`]) serves it; the mock renderer finds the items with Browse and plays them the
//! way players do:
//! - a PS3: HEAD over HTTP/1.0 asking for `contentFeatures.dlna.org`, the first `res` (L16
//!   with time seek only; for a stream outside the LPCM profile, its converted profile version
//!   `.lpcm`, with the honest L16 after it), `npt=0.00-`, a pause (it stops reading), a dropped
//!   connection, a resume from where it was and seeks in both npt forms, open and closed;
//! - VLC: the original file first, then the WAV rendition with plain `Range: bytes=N-`;
//! - a generic player: many random byte and time ranges on every kind of file.
//!
//! Every byte received is compared with the same slice of a reference rendition built here:
//! a full linear decode with [`VorbisFile`] (which the decoder tests check against libvorbis),
//! channels remapped and samples and WAV header encoded by this file's own code, not the
//! server's. The LPCM-profile version's reference is an in-process linear run of the
//! transcoder, which `transcode.rs` checks against a direct evaluation of the conversion. Time seeks are checked against their definition: bytes from frame
//! `floor(START × rate)` to frame `floor(END × rate)` (or the end), the header echoed as
//! `npt=START-END/DURATION bytes=FIRST-LAST/LENGTH`.

mod common;
mod ogg_util;

use std::collections::HashMap;
use std::thread::sleep;
use std::time::Duration;

use ogg_util::Mem;
use rill_core::media::vorbis_file::VorbisFile;
use rill_core::transcode::resample::frames_out;
use rill_core::transcode::{lpcm_target, Layout, Transcoder, Wrapping};
use rill_core::upnp::DESCRIPTION_PATH;
use rill_tests::corpus::{Encoder, Rng, Spec};
use rill_tests::renderer::didl::{Object, Res};
use rill_tests::renderer::netns::isolated;
use rill_tests::renderer::{Browse, Client, Player, Renderer, Response, Url, CONTENT_DIRECTORY};
use rill_tests::repage::{self, Layout as Pages, Stream};

/// How long a paused player leaves its connection unread.
const PAUSE: Duration = Duration::from_millis(300);

/// A file of the served folder with its reference decode.
struct Track {
    /// The file stem, which is the item's title in Browse (the corpus files carry no tags).
    name: &'static str,
    /// The file as served.
    file: Vec<u8>,
    rate: u32,
    channels: u8,
    /// The full linear decode, interleaved in Vorbis channel order.
    pcm: Vec<i16>,
}

/// The damaged file: a clean stream with a run of pages in the middle overwritten.
struct Damaged {
    file: Vec<u8>,
    /// The clean file's L16 rendition up to the last frame decodable before the damage.
    clean_prefix: Vec<u8>,
}

fn oggenc(quality: i8, channels: u8, rate: u32, frames: u32) -> Vec<u8> {
    Spec { quality, channels, rate, frames, encoder: Encoder::Oggenc }.bytes()
}

/// The corpus: every kind of file named in the module docs except the damaged one.
fn tracks() -> Vec<Track> {
    let base = Stream::parse(&oggenc(4, 2, 44_100, 60_000));
    let other = Stream::parse(&oggenc(2, 2, 44_100, 50_000));
    let pages = |serial, shift| Pages { serial, max_body: 4000, max_packets: 4, shift };
    let files = [
        ("stereo", oggenc(5, 2, 44_100, 882_000)),
        ("mono22k", oggenc(3, 1, 22_050, 44_100)),
        ("surround", oggenc(3, 6, 48_000, 72_000)),
        ("hires", oggenc(3, 2, 96_000, 96_000)),
        ("onepage", oggenc(5, 2, 44_100, 1000)),
        ("offset", base.write(&pages(7, 12_345))),
        ("trimmed", base.write(&pages(7, -777))),
        ("chain", repage::join(&[base.pages(&pages(1, 0)), other.pages(&pages(2, 0))])),
    ];
    files
        .into_iter()
        .map(|(name, file)| {
            let (rate, channels, pcm) = decode(&file).expect("a corpus file decodes");
            Track { name, file, rate, channels, pcm }
        })
        .collect()
}

/// A 3 s stream whose pages 40% to 50% of the way in are overwritten with noise (bad CRCs,
/// lost capture), and what a decode of the clean stream gives up to the damage.
fn damaged() -> Damaged {
    let stream = Stream::parse(&oggenc(3, 2, 44_100, 132_300));
    let mut pages = stream.pages(&Pages { max_body: 2000, ..Pages::default() });
    let clean = repage::join(&[pages.clone()]);
    let (from, to) = (pages.len() * 2 / 5, pages.len() / 2);
    let mut rng = Rng::new(99);
    for page in &mut pages[from..to] {
        page.iter_mut().for_each(|b| *b = rng.next_u64() as u8);
    }
    // Frames up to the granule of the last intact page come out of packets that all ended
    // before the damage.
    let granule = i64::from_le_bytes(pages[from - 1][6..14].try_into().unwrap());
    let (rate, channels, pcm) = decode(&clean).unwrap();
    let clean = Track { name: "clean", file: clean, rate, channels, pcm };
    let prefix = usize::try_from(granule).unwrap() * 4;
    Damaged { file: repage::join(&[pages]), clean_prefix: clean.l16().bytes[..prefix].to_vec() }
}

/// A full linear decode: rate, channels, interleaved samples; `None` if decoding fails.
fn decode(file: &[u8]) -> Option<(u32, u8, Vec<i16>)> {
    let mut f = VorbisFile::open(Mem::new(file.to_vec())).ok()?;
    let (rate, channels) = (f.rate(), f.channels());
    let mut pcm = Vec::new();
    let mut buf = vec![0i16; 4096 * usize::from(channels)];
    for _ in 0..1_000_000 {
        let n = f.read_i16(&mut buf).ok()?;
        if n == 0 {
            assert_eq!((pcm.len() / usize::from(channels)) as u64, f.total_frames());
            return Some((rate, channels, pcm));
        }
        assert_eq!(f.channels(), channels, "the corpus keeps one channel count");
        pcm.extend_from_slice(&buf[..n * usize::from(channels)]);
    }
    panic!("decode did not end");
}

/// A PCM rendition as this test builds it, with the arithmetic of its byte layout.
struct Rendition {
    bytes: Vec<u8>,
    header: u64,
    rate: u32,
    frame_bytes: u64,
    frames: u64,
}

/// Speakers of each channel count in Vorbis order (Vorbis I spec §4.3.9) and in WAV order
/// (the `WAVE_FORMAT_EXTENSIBLE` speaker bits from the lowest up), with that channel mask.
const SPEAKERS: [(u8, &[&str], &[&str], u32); 3] = [
    (1, &["C"], &["C"], 0x4),
    (2, &["L", "R"], &["L", "R"], 0x3),
    (6, &["L", "C", "R", "BL", "BR", "LFE"], &["L", "R", "C", "LFE", "BL", "BR"], 0x3f),
];

impl Track {
    fn frames(&self) -> u64 {
        (self.pcm.len() / usize::from(self.channels)) as u64
    }

    /// The samples in WAV speaker order, each encoded by `encode`, after `header`.
    fn encode(&self, mut out: Vec<u8>, encode: fn(i16) -> [u8; 2]) -> Vec<u8> {
        let (_, vorbis, wav, _) =
            SPEAKERS.iter().find(|s| s.0 == self.channels).expect("a channel count we know");
        let order: Vec<usize> =
            wav.iter().map(|s| vorbis.iter().position(|v| v == s).unwrap()).collect();
        for frame in self.pcm.chunks(usize::from(self.channels)) {
            for &c in &order {
                out.extend_from_slice(&encode(frame[c]));
            }
        }
        out
    }

    fn layout(&self, bytes: Vec<u8>, header: u64) -> Rendition {
        let frame_bytes = 2 * u64::from(self.channels);
        let frames = self.frames();
        assert_eq!(bytes.len() as u64, header + frames * frame_bytes);
        Rendition { bytes, header, rate: self.rate, frame_bytes, frames }
    }

    /// The LPCM-profile version of a stream outside the profile, from a linear run of the
    /// transcoder over the whole of it; `None` for a stream inside the profile.
    fn lpcm(&self) -> Option<Rendition> {
        let (rate, channels) = lpcm_target(self.rate, self.channels)?;
        let frames = frames_out(self.frames(), self.rate, rate);
        let layout = Layout::new(Wrapping::Lpcm, rate, channels, frames).unwrap();
        let file = VorbisFile::open(Mem::new(self.file.clone())).unwrap();
        let mut t = Transcoder::new(file, layout, 0, layout.total_len()).unwrap();
        let mut bytes = vec![0; layout.total_len() as usize];
        let mut at = 0;
        while at < bytes.len() {
            let n = t.fill(&mut bytes[at..]).unwrap();
            assert!(n > 0, "the transcoder ends at the layout's length");
            at += n;
        }
        let frame_bytes = 2 * u64::from(channels);
        Some(Rendition { bytes, header: 0, rate, frame_bytes, frames })
    }

    /// `audio/L16`: big-endian samples, no header.
    fn l16(&self) -> Rendition {
        self.layout(self.encode(Vec::new(), i16::to_be_bytes), 0)
    }

    /// `audio/wav`: the canonical 44-byte header, or the 68-byte `WAVE_FORMAT_EXTENSIBLE`
    /// one above two channels, then little-endian samples.
    fn wav(&self) -> Rendition {
        let (ch, rate) = (u32::from(self.channels), self.rate);
        let data = self.frames() as u32 * ch * 2;
        let extensible = ch > 2;
        let mut h = Vec::new();
        let fmt_len: u32 = if extensible { 40 } else { 16 };
        h.extend(b"RIFF");
        h.extend((4 + 8 + fmt_len + 8 + data).to_le_bytes());
        h.extend(b"WAVEfmt ");
        h.extend(fmt_len.to_le_bytes());
        h.extend((if extensible { 0xfffe_u16 } else { 1 }).to_le_bytes());
        h.extend((ch as u16).to_le_bytes());
        h.extend(rate.to_le_bytes());
        h.extend((rate * ch * 2).to_le_bytes());
        h.extend((ch as u16 * 2).to_le_bytes());
        h.extend(16u16.to_le_bytes());
        if extensible {
            let mask = SPEAKERS.iter().find(|s| u32::from(s.0) == ch).unwrap().3;
            h.extend(22u16.to_le_bytes()); // cbSize
            h.extend(16u16.to_le_bytes()); // valid bits
            h.extend(mask.to_le_bytes());
            // KSDATAFORMAT_SUBTYPE_PCM, {00000001-0000-0010-8000-00AA00389B71}.
            h.extend(1u32.to_le_bytes());
            h.extend(0u16.to_le_bytes());
            h.extend(0x10u16.to_le_bytes());
            h.extend([0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);
        }
        h.extend(b"data");
        h.extend(data.to_le_bytes());
        let header = h.len() as u64;
        self.layout(self.encode(h, i16::to_le_bytes), header)
    }
}

impl Rendition {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn duration_us(&self) -> u64 {
        self.frames * 1_000_000 / u64::from(self.rate)
    }

    fn offset(&self, frame: u64) -> u64 {
        self.header + frame * self.frame_bytes
    }

    fn slice(&self, first: u64, len: u64) -> &[u8] {
        &self.bytes[first as usize..(first + len) as usize]
    }

    /// The frame a time seek to `us` starts at.
    fn frame_at(&self, us: u64) -> u64 {
        (u128::from(us) * u128::from(self.rate) / 1_000_000).min(u128::from(self.frames)) as u64
    }
}

/// Microseconds as DLNA answers write them: seconds with three decimals, truncated.
fn seconds(us: u64) -> String {
    format!("{}.{:03}", us / 1_000_000, us % 1_000_000 / 1000)
}

/// A requested npt time: its text in one of the forms players send, and its value in
/// microseconds (the text has at most millisecond precision, so the value is exact).
fn npt_time(ms: u64, clock: bool) -> (String, u64) {
    if clock {
        let s = ms / 1000;
        let text = format!("{}:{:02}:{:02}.{:03}", s / 3600, s / 60 % 60, s % 60, ms % 1000);
        return (text, ms * 1000);
    }
    match ms % 3 {
        0 => (format!("{}.{:03}", ms / 1000, ms % 1000), ms * 1000),
        1 => (format!("{}.{:02}", ms / 1000, ms % 1000 / 10), ms / 10 * 10_000),
        _ => (format!("{}", ms / 1000), ms / 1000 * 1_000_000),
    }
}

/// The value of `TimeSeekRange.dlna.org` for a range in milliseconds, with its start and end
/// in microseconds; `None` when the coarser form of the end falls before the start (a 400,
/// tested on its own).
fn npt_range(start: u64, end: Option<u64>, clock: bool) -> Option<(String, u64, Option<u64>)> {
    let (start_text, start_us) = npt_time(start, clock);
    let (end_text, end_us) = end.map(|e| npt_time(e, clock)).unzip();
    if end_us.is_some_and(|e| e < start_us) {
        return None;
    }
    Some((format!("npt={start_text}-{}", end_text.unwrap_or_default()), start_us, end_us))
}

/// A running server over a folder holding `tracks` (and the damaged and non-Vorbis files),
/// and its items by title as `player` browses them.
struct Served {
    server: common::Running,
    items: HashMap<String, Object>,
}

impl Served {
    fn start(tracks: &[Track], damaged: &Damaged, player: Player) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir_all(&media).unwrap();
        for t in tracks {
            std::fs::write(media.join(format!("{}.ogg", t.name)), &t.file).unwrap();
        }
        std::fs::write(media.join("damaged.ogg"), &damaged.file).unwrap();
        std::fs::write(media.join("notvorbis.ogg"), b"OggS, and then nothing of the sort").unwrap();
        let server = common::start((dir, media));
        let renderer = Renderer::new(player);
        let location = format!("http://{}{DESCRIPTION_PATH}", server.http);
        let desc = renderer.fetch_description(&location).unwrap();
        let control = desc.service(CONTENT_DIRECTORY).unwrap().control_url.clone();
        let top = renderer.browse(&control, &Browse::children("64")).unwrap();
        assert_eq!(top.objects.len(), 1, "one served folder");
        let list = renderer.browse(&control, &Browse::children(&top.objects[0].id)).unwrap();
        let items: HashMap<_, _> = list.items().map(|o| (o.title.clone(), o.clone())).collect();
        assert_eq!(items.len(), tracks.len() + 2, "{:?}", items.keys());
        Served { server, items }
    }

    fn res(&self, name: &str, ext: &str) -> &Res {
        let item = &self.items[name];
        let found = item.res.iter().find(|r| r.url.ends_with(&format!(".{ext}")));
        found.unwrap_or_else(|| panic!("{name} has no .{ext} res: {:?}", item.res))
    }

    fn stop(self) {
        self.server.stop.send(()).unwrap();
        self.server.thread.join().unwrap();
    }
}

/// A fresh connection to the server of `url`.
fn connect(url: &Url) -> Client {
    Client::connect(url.addr).unwrap()
}

/// Sends `GET url` with the player's headers and `extra` on `c`, and reads the answer's head.
fn send_get(c: &mut Client, player: Player, url: &Url, extra: &[(&str, &str)]) -> Response {
    let headers: Vec<_> = player.headers.iter().chain(extra).copied().collect();
    c.send("GET", url, &headers, &[]).unwrap();
    c.read_head().unwrap()
}

/// [`send_get`] on a fresh connection.
fn get_head(player: Player, url: &Url, extra: &[(&str, &str)]) -> (Client, Response) {
    let mut c = connect(url);
    let head = send_get(&mut c, player, url, extra);
    (c, head)
}

fn content_length(resp: &Response) -> u64 {
    resp.header("content-length").expect("Content-Length").parse().unwrap()
}

/// Checks the head of the answer to `TimeSeekRange.dlna.org: npt=START-[END]` (in
/// microseconds) on `r`; returns the byte span the body must hold.
fn check_time_seek(
    what: &str,
    resp: &Response,
    r: &Rendition,
    start: u64,
    end: Option<u64>,
) -> (u64, u64) {
    assert_eq!(resp.status, 200, "{what}: a time seek answers 200");
    let duration = r.duration_us();
    let first = r.offset(r.frame_at(start));
    // To the end when open or at (or past) the duration: the last frame is not lost to the
    // duration's rounding.
    let end_frame = match end {
        Some(e) if e < duration => r.frame_at(e),
        _ => r.frames,
    };
    let len = r.offset(end_frame).saturating_sub(first);
    let mut echo = format!(
        "npt={}-{}/{}",
        seconds(start),
        seconds(end.map_or(duration, |e| e.min(duration))),
        seconds(duration)
    );
    if len > 0 {
        echo.push_str(&format!(" bytes={first}-{}/{}", first + len - 1, r.len()));
    }
    assert_eq!(resp.header("timeseekrange.dlna.org"), Some(echo.as_str()), "{what}");
    assert_eq!(resp.header("vary"), Some("TimeSeekRange.dlna.org"), "{what}");
    assert_eq!(content_length(resp), len, "{what}");
    assert_eq!(resp.header("content-range"), None, "{what}");
    (first, len)
}

/// Checks the head of the answer to a satisfiable `Range` on `r`: 206, `Content-Range`,
/// `Content-Length`.
fn check_range(what: &str, resp: &Response, r: &Rendition, first: u64, last: u64) {
    assert_eq!(resp.status, 206, "{what}");
    let want = format!("bytes {first}-{last}/{}", r.len());
    assert_eq!(resp.header("content-range"), Some(want.as_str()), "{what}");
    assert_eq!(content_length(resp), last - first + 1, "{what}");
    assert_eq!(resp.header("accept-ranges"), Some("bytes"), "{what}");
}

/// Reads `len` body bytes and checks they are bytes `first..first + len` of `r`.
fn expect_body(what: &str, c: &mut Client, r: &Rendition, first: u64, len: u64) {
    let got = c.read_body(len as usize).unwrap();
    assert_eq!(got.len() as u64, len, "{what}: body cut short at {first}+{}", got.len());
    let want = r.slice(first, len);
    if got != want {
        let at = got.iter().zip(want).position(|(a, b)| a != b).unwrap();
        panic!("{what}: byte {} of the rendition differs", first + at as u64);
    }
}

/// Audio `res` attributes of a rendition: exact size, duration, rate, channels, 16 bits.
fn check_res(what: &str, res: &Res, r: &Rendition) {
    assert_eq!(res.size, Some(r.len()), "{what}: res@size is the exact length");
    let ms = r.duration_us() / 1000;
    let s = ms / 1000;
    let duration = format!("{}:{:02}:{:02}.{:03}", s / 3600, s / 60 % 60, s % 60, ms % 1000);
    assert_eq!(res.duration.as_deref(), Some(duration.as_str()), "{what}");
    let byte_rate = r.rate * r.frame_bytes as u32;
    assert_eq!(res.bitrate, Some(byte_rate), "{what}: bitrate is bytes per second");
    assert_eq!(res.sample_frequency, Some(r.rate), "{what}");
    assert_eq!(res.channels, Some(r.frame_bytes as u32 / 2), "{what}");
    assert_eq!(res.bits_per_sample, Some(16), "{what}");
}

#[test]
fn a_ps3_plays_pauses_resumes_and_seeks() {
    isolated("a_ps3_plays_pauses_resumes_and_seeks", || {
        let tracks = tracks();
        let served = Served::start(&tracks, &damaged(), Player::PS3);
        let ps3_tracks = ["stereo", "mono22k", "surround"];
        for (t, seed) in tracks.iter().filter(|t| ps3_tracks.contains(&t.name)).zip(1..) {
            ps3_session(&served, t, seed);
        }
        served.stop();
    });
}

fn ps3_session(served: &Served, t: &Track, seed: u64) {
    let ps3 = Player::PS3;
    let all = &served.items[t.name].res;
    let honest = format!("audio/L16;rate={};channels={}", t.rate, t.channels);
    // A stream outside the LPCM profile: its profile version first, the honest L16 after it
    // (true rate and channels, no DLNA.ORG_PN); inside it, the L16 is the profile version.
    let (r, res) = match t.lpcm() {
        Some(r) => {
            assert!(all[0].url.ends_with(".lpcm"), "{}: {:?}", t.name, all[0]);
            assert_eq!(all[1].mime(), Some(honest.as_str()), "{}: honest L16 next", t.name);
            let features = all[1].dlna_features().unwrap();
            assert!(features.starts_with("DLNA.ORG_OP=10;"), "{}: {features}", t.name);
            (r, &all[0])
        }
        None => (t.l16(), &all[0]),
    };
    let channels = r.frame_bytes / 2;
    let mime = format!("audio/L16;rate={};channels={channels}", r.rate);
    assert_eq!(res.mime(), Some(mime.as_str()), "{}: the PS3 gets L16 first", t.name);
    assert!([44_100, 48_000].contains(&r.rate) && channels <= 2, "{}: in the profile", t.name);
    let features = res.dlna_features().unwrap();
    let op = "DLNA.ORG_PN=LPCM;DLNA.ORG_OP=10;DLNA.ORG_CI=1;DLNA.ORG_FLAGS=";
    assert!(features.starts_with(op), "{}: time seek only on a PS3: {features}", t.name);
    check_res(t.name, res, &r);
    let url = Url::parse(&res.url).unwrap();

    // HEAD over HTTP/1.0 first, asking for the content features.
    let mut c = connect(&url);
    let mut head = format!("HEAD {} HTTP/1.0\r\nHost: {}\r\n", url.path, url.authority);
    for (name, value) in ps3.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("getcontentFeatures.dlna.org: 1\r\n\r\n");
    c.send_raw(head.as_bytes()).unwrap();
    let h = c.read_response().unwrap();
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty() && !h.chunked);
    assert_eq!(content_length(&h), r.len());
    assert_eq!(h.header("contentfeatures.dlna.org"), Some(features));
    assert_eq!(h.header("content-type"), Some(mime.as_str()));
    assert_eq!(h.header("transfermode.dlna.org"), Some("Streaming"));
    assert!(c.is_closed(), "HTTP/1.0 without keep-alive closes");

    let streaming = ("transferMode.dlna.org", "Streaming");
    // Play from the start: a second and a half, a pause, half a second more, then stop.
    let (mut c, h) = get_head(ps3, &url, &[streaming, ("TimeSeekRange.dlna.org", "npt=0.00-")]);
    let (first, len) = check_time_seek("play", &h, &r, 0, None);
    assert_eq!((first, len), (0, r.len()));
    assert_eq!(h.header("contentfeatures.dlna.org"), None, "not asked for");
    let byte_rate = u64::from(r.rate) * r.frame_bytes;
    let part = (byte_rate * 3 / 2).min(len);
    expect_body("play", &mut c, &r, 0, part);
    sleep(PAUSE); // paused: the server's writes stall on a full socket
    let more = (byte_rate / 2).min(len - part);
    expect_body("after the pause", &mut c, &r, part, more);
    sleep(PAUSE);
    drop(c);

    // Resume where playback stopped, as a time in seconds.
    let played_ms = (part + more) / r.frame_bytes * 1000 / u64::from(r.rate);
    let (text, at) = npt_time(played_ms, false);
    let resume = format!("npt={text}-");
    let (mut c, h) = get_head(ps3, &url, &[streaming, ("TimeSeekRange.dlna.org", &resume)]);
    let (first, len) = check_time_seek("resume", &h, &r, at, None);
    assert!(first <= part + more, "resuming does not skip what was not heard");
    expect_body("resume", &mut c, &r, first, len.min(byte_rate));
    drop(c);

    // Seeks: both npt forms, open and closed, then random ones.
    let duration_ms = r.duration_us() / 1000;
    let mut rng = Rng::new(seed);
    let mut seeks: Vec<(u64, Option<u64>, bool)> = vec![
        (duration_ms * 617 / 1000, None, false),
        (duration_ms * 363 / 1000, None, true),
        (duration_ms / 6, Some(duration_ms / 4), false),
        (duration_ms / 20, Some(duration_ms / 8), true),
        (duration_ms / 2, Some(duration_ms + 5000), false),
    ];
    for _ in 0..6 {
        let start = rng.below(duration_ms);
        let end = (rng.below(2) == 0).then(|| start + rng.below(3000));
        seeks.push((start, end, rng.below(2) == 0));
    }
    for (start, end, clock) in seeks {
        let Some((npt, start_us, end_us)) = npt_range(start, end, clock) else { continue };
        let (mut c, h) = get_head(ps3, &url, &[streaming, ("TimeSeekRange.dlna.org", &npt)]);
        let (first, len) = check_time_seek(&npt, &h, &r, start_us, end_us);
        // Open seeks: listen a little, then seek again on a new connection.
        let listen = if end.is_some() { len } else { len.min(byte_rate / 2) };
        expect_body(&npt, &mut c, &r, first, listen);
    }
}

#[test]
fn vlc_plays_the_original_then_seeks_in_the_wav() {
    isolated("vlc_plays_the_original_then_seeks_in_the_wav", || {
        let tracks = tracks();
        let served = Served::start(&tracks, &damaged(), Player::VLC);
        for (t, seed) in
            tracks.iter().filter(|t| ["stereo", "surround", "chain"].contains(&t.name)).zip(10..)
        {
            vlc_session(&served, t, seed);
        }
        served.stop();
    });
}

fn vlc_session(served: &Served, t: &Track, seed: u64) {
    let vlc = Player::VLC;
    let item = &served.items[t.name];
    let order: Vec<_> = item.res.iter().map(|r| r.mime().unwrap().to_string()).collect();
    assert_eq!(order[..2], ["audio/ogg", "audio/wav"], "{}: VLC gets the original first", t.name);
    let original = Url::parse(&item.res[0].url).unwrap();
    let (mut c, h) = get_head(vlc, &original, &[("Range", "bytes=0-")]);
    assert_eq!(h.status, 206);
    let len = t.file.len() as u64;
    assert_eq!(h.header("content-range"), Some(format!("bytes 0-{}/{len}", len - 1).as_str()));
    assert_eq!(c.read_body(t.file.len()).unwrap(), t.file, "{}: the original file", t.name);

    let r = t.wav();
    let res = served.res(t.name, "wav");
    check_res(t.name, res, &r);
    let features = res.dlna_features().unwrap();
    assert!(features.starts_with("DLNA.ORG_OP=11;DLNA.ORG_CI=1;"), "{features}");
    let url = Url::parse(&res.url).unwrap();
    let byte_rate = u64::from(t.rate) * r.frame_bytes;
    // Play from the start, then seek by byte offsets anywhere, including inside a sample.
    let mut rng = Rng::new(seed);
    let mut starts = vec![0, 1, r.header - 1, r.header + 3, r.len() - 1];
    starts.extend((0..8).map(|_| rng.below(r.len())));
    for first in starts {
        let what = format!("{} bytes={first}-", t.name);
        let (mut c, h) = get_head(vlc, &url, &[("Range", &format!("bytes={first}-"))]);
        check_range(&what, &h, &r, first, r.len() - 1);
        assert_eq!(h.header("content-type"), Some("audio/wav"));
        let listen = (r.len() - first).min(byte_rate / 4 + rng.below(byte_rate / 2));
        expect_body(&what, &mut c, &r, first, listen);
    }
    // Closed ranges on one kept-alive connection, as a player probing the header would.
    let mut c = connect(&url);
    let mut spans = vec![(0, r.header - 1), (10, r.header + 5), (r.header + 1, r.header + 2)];
    for _ in 0..8 {
        let first = rng.below(r.len());
        spans.push((first, (first + rng.below(byte_rate)).min(r.len() - 1)));
    }
    for (first, last) in spans {
        let what = format!("{} bytes={first}-{last}", t.name);
        let h = send_get(&mut c, vlc, &url, &[("Range", &format!("bytes={first}-{last}"))]);
        check_range(&what, &h, &r, first, last);
        expect_body(&what, &mut c, &r, first, last - first + 1);
        assert!(!c.is_closed(), "{what}: the connection stays open");
    }
}

#[test]
fn random_ranges_on_every_kind_of_file() {
    isolated("random_ranges_on_every_kind_of_file", || {
        let tracks = tracks();
        let served = Served::start(&tracks, &damaged(), Player::GENERIC);
        for (t, seed) in tracks.iter().zip(100..) {
            for (r, ext) in [(t.l16(), "l16"), (t.wav(), "wav")] {
                random_ranges(&served, t, &r, ext, seed);
            }
            // Streams outside the LPCM profile: the profile version too.
            if let Some(r) = t.lpcm() {
                random_ranges(&served, t, &r, "lpcm", seed);
            }
        }
        served.stop();
    });
}

/// Random byte ranges (closed, open, suffix, one byte) and random time seeks (both forms,
/// open and closed) on one rendition, over one kept-alive connection.
fn random_ranges(served: &Served, t: &Track, r: &Rendition, ext: &str, seed: u64) {
    let res = served.res(t.name, ext);
    check_res(t.name, res, r);
    let url = Url::parse(&res.url).unwrap();
    let mut c = connect(&url);
    let mut rng = Rng::new(seed);
    let total = r.len();
    let short = u64::from(r.rate) * r.frame_bytes / 2 + 1;
    let gen = Player::GENERIC;
    // The whole rendition, then random ranges.
    let h = send_get(&mut c, gen, &url, &[("Range", "bytes=0-")]);
    check_range("whole", &h, r, 0, total - 1);
    expect_body(&format!("{} {ext} whole", t.name), &mut c, r, 0, total);
    for i in 0..12 {
        let at = rng.below(total);
        let (spec, first, last) = match i % 4 {
            0 => (format!("bytes={at}-"), at, total - 1),
            1 => {
                let n = 1 + rng.below(short);
                (format!("bytes=-{n}"), total.saturating_sub(n), total - 1)
            }
            2 => (format!("bytes={at}-{at}"), at, at),
            _ => {
                let last = at + rng.below(short);
                (format!("bytes={at}-{last}"), at, last.min(total - 1))
            }
        };
        let what = format!("{} {ext} {spec}", t.name);
        let h = send_get(&mut c, gen, &url, &[("Range", &spec)]);
        check_range(&what, &h, r, first, last);
        expect_body(&what, &mut c, r, first, last - first + 1);
    }
    let duration_ms = r.duration_us() / 1000;
    for _ in 0..8 {
        let start = rng.below(duration_ms + 1);
        let end = (rng.below(3) != 0).then(|| start + rng.below(700));
        let Some((npt, start_us, end_us)) = npt_range(start, end, rng.below(2) == 0) else {
            continue;
        };
        let what = format!("{} {ext} {npt}", t.name);
        let h = send_get(&mut c, gen, &url, &[("TimeSeekRange.dlna.org", &npt)]);
        let (first, len) = check_time_seek(&what, &h, r, start_us, end_us);
        expect_body(&what, &mut c, r, first, len);
    }
    assert!(!c.is_closed(), "{} {ext}: keep-alive throughout", t.name);
}

#[test]
fn concurrent_streams_errors_and_a_damaged_file() {
    isolated("concurrent_streams_errors_and_a_damaged_file", || {
        let tracks = tracks();
        let damaged = damaged();
        let served = Served::start(&tracks, &damaged, Player::GENERIC);
        let gen = Player::GENERIC;
        let track = |name| tracks.iter().find(|t| t.name == name).unwrap();
        let (stereo, surround) = (track("stereo"), track("surround"));
        let (a, b) = (stereo.l16(), surround.wav());
        let url_a = Url::parse(&served.res("stereo", "l16").url).unwrap();
        let url_b = Url::parse(&served.res("surround", "wav").url).unwrap();

        // Two streams at once: A is left unread (stalled) while B is read to its end, then A.
        let (mut ca, h) = get_head(gen, &url_a, &[("TimeSeekRange.dlna.org", "npt=0-")]);
        check_time_seek("A", &h, &a, 0, None);
        let chunk = 64 * 1024;
        expect_body("A", &mut ca, &a, 0, chunk);
        let first_b = 1001;
        let (mut cb, h) = get_head(gen, &url_b, &[("Range", &format!("bytes={first_b}-"))]);
        check_range("B", &h, &b, first_b, b.len() - 1);

        // Meanwhile the damaged file: a clean error, or a body that stops early and closes.
        let res = served.res("damaged", "l16");
        let damaged_url = Url::parse(&res.url).unwrap();
        let (mut c, h) = get_head(gen, &damaged_url, &[]);
        assert_eq!(h.status, 200);
        let announced = content_length(&h);
        let body = c.read_body(announced as usize).unwrap();
        assert!(c.is_closed() && (body.len() as u64) < announced, "ends early and closes");
        let n = damaged.clean_prefix.len();
        assert!(n > 0 && body.len() >= n, "{} bytes came, {n} are known good", body.len());
        assert_eq!(body[..n], damaged.clean_prefix, "the frames before the damage are right");

        let mut at_a = chunk;
        let mut at_b = first_b;
        while at_b < b.len() {
            let n = chunk.min(b.len() - at_b);
            expect_body("B", &mut cb, &b, at_b, n);
            at_b += n;
        }
        while at_a < a.len() {
            let n = chunk.min(a.len() - at_a);
            expect_body("A", &mut ca, &a, at_a, n);
            at_a += n;
        }

        // Errors: past the end, malformed npt, time seek on a file, unknown transfer mode,
        // a rendition of a file that is not Vorbis.
        let total = a.len();
        let (_, h) = get_head(gen, &url_a, &[("Range", &format!("bytes={total}-"))]);
        assert_eq!(h.status, 416);
        assert_eq!(h.header("content-range"), Some(format!("bytes */{total}").as_str()));
        let past = format!("npt={}-", seconds(a.duration_us() + 1000));
        assert_eq!(get_head(gen, &url_a, &[("TimeSeekRange.dlna.org", &past)]).1.status, 416);
        for bad in ["npt=abc-", "npt=5-3", "npt=0:61:00-", "bytes=0-10"] {
            let (_, h) = get_head(gen, &url_a, &[("TimeSeekRange.dlna.org", bad)]);
            assert_eq!(h.status, 400, "{bad}");
        }
        let original = Url::parse(&served.res("stereo", "ogg").url).unwrap();
        let (_, h) = get_head(gen, &original, &[("TimeSeekRange.dlna.org", "npt=1-")]);
        assert_eq!(h.status, 406, "files are offered with byte seek only");
        let (_, h) = get_head(gen, &url_a, &[("transferMode.dlna.org", "Teleport")]);
        assert_eq!(h.status, 406);
        let not_vorbis = &served.items["notvorbis"];
        assert_eq!(not_vorbis.res.len(), 1, "only the file: {:?}", not_vorbis.res);
        let rendition = Url::parse(&not_vorbis.res[0].url.replace(".ogg", ".l16")).unwrap();
        assert_eq!(get_head(gen, &rendition, &[]).1.status, 404);

        // The server still plays.
        let (mut c, h) = get_head(gen, &url_b, &[("Range", "bytes=0-99")]);
        check_range("after", &h, &b, 0, 99);
        expect_body("after", &mut c, &b, 0, 100);
        served.stop();
    });
}
