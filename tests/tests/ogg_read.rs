//! Whole-file reads against libvorbisfile: exact lengths, trimmed starts and ends, chains.

mod ogg_util;

use ogg_util::{
    assert_close, assert_i16_close, decode_f32, ffmpeg, ffmpeg_spec, first_granule_lowered,
    first_page_ending, libvorbis, oggenc, open, read_all_f32, read_all_i16, to_i16, Mem,
};
use rill_core::media::tags::{Picture, Position, Tags};
use rill_core::media::vorbis_file::{Error, VorbisFile};
use rill_tests::corpus::{self, temp_file};
use rill_tests::repage::{join, multiplex, set_serial, Layout, Stream};

/// Ordinary oggenc files at several qualities, channel counts and rates, including one-page
/// files: frame counts exact, floats within 1e-5 of libvorbis.
#[test]
fn ordinary_files_match_libvorbis() {
    let cases = [
        (44_100 * 3, 2, 44_100, 3),
        (22_050 * 2 + 17, 1, 22_050, 0),
        (48_000 + 5, 6, 48_000, 5),
        (8_000 * 4, 1, 8_000, -1),
        (96_000, 3, 96_000, 10),
        (1, 2, 44_100, 3),
        (100, 1, 44_100, 3),
        (1000, 2, 44_100, 3),
        (3000, 2, 44_100, 5),
    ];
    let files = cases
        .iter()
        .map(|&(frames, ch, rate, q)| {
            (
                format!("oggenc {frames} frames {ch} ch {rate} Hz q{q}"),
                oggenc(frames, ch, rate, q),
                frames,
                ch,
                rate,
            )
        })
        .chain([(44_100 * 2 + 5, 2, 44_100), (3000, 1, 48_000)].into_iter().map(
            |(frames, ch, rate)| {
                let what = format!("ffmpeg libvorbis {frames} frames {ch} ch {rate} Hz");
                (what, ffmpeg(false, frames, ch, rate), frames, ch, rate)
            },
        ));
    for (what, file, frames, ch, rate) in files {
        let f = open(&file);
        let (theirs, tch) = libvorbis(&file);
        assert_eq!(tch, usize::from(ch));
        assert_eq!((f.rate(), f.channels()), (rate, ch), "{what}");
        assert_eq!(f.total_frames() as usize * tch, theirs.len(), "{what}: total");
        // oggenc's granules give the input length; ffmpeg's may differ from it.
        if what.starts_with("oggenc") {
            assert_eq!(f.total_frames(), u64::from(frames), "{what}: total");
        }
        assert_close(&decode_f32(&file), &theirs, &what);
    }
}

/// 16-bit output: at least 99.9 % identical to libvorbis's rounding, never more than 1 LSB off.
#[test]
fn i16_output_matches_libvorbis_rounding() {
    let file = oggenc(44_100 * 2, 2, 44_100, 4);
    let theirs: Vec<i16> = libvorbis(&file).0.into_iter().map(to_i16).collect();
    assert_i16_close(&read_all_i16(&mut open(&file)), &theirs, "oggenc q4");
}

/// ffmpeg's native encoder writes zero magnitudes with non-zero angles, which the aoTuV build of
/// libvorbis in vorbis_rs decouples differently from the spec; stock libvorbis (oggdec) is the
/// oracle for those files, 16-bit only.
#[test]
fn ffmpeg_native_files_match_oggdec() {
    // The native encoder writes stereo only.
    for (frames, rate) in [(44_100 * 2 + 5, 44_100), (3000, 48_000), (20_000, 22_050)] {
        let ch = 2;
        let spec = ffmpeg_spec(true, frames, ch, rate);
        let mut f = open(&spec.bytes());
        let what = format!("ffmpeg native {frames} frames {ch} ch {rate} Hz");
        let theirs = spec.oggdec_i16();
        assert_eq!(f.total_frames() as usize * usize::from(ch), theirs.len(), "{what}: total");
        assert_i16_close(&read_all_i16(&mut f), &theirs, &what);
    }
}

/// Re-paged shapes of one file: tiny pages, a non-zero first granule and start trimming all
/// decode like libvorbis decodes the same bytes.
#[test]
fn repaged_files_match_libvorbis() {
    let original = oggenc(44_100 * 2 + 333, 2, 44_100, 2);
    let stream = Stream::parse(&original);
    let layouts = [
        ("tiny pages", Layout { max_body: 100, max_packets: 1, ..Layout::default() }),
        ("one packet per page", Layout { max_packets: 1, ..Layout::default() }),
        ("big pages", Layout { max_body: 255 * 255, max_packets: 255, ..Layout::default() }),
        ("first granule +70000", Layout { shift: 70_000, ..Layout::default() }),
        // libvorbis trims only inside the packet that carries the first granule: with two
        // packets on the first page that packet starts the output, so a trim up to its 128
        // frames is the same as trimming the stream's start.
        ("start trimmed 100", Layout { max_packets: 2, shift: -100, ..Layout::default() }),
    ];
    let (plain, _) = libvorbis(&original);
    for (what, layout) in layouts {
        let file = stream.write(&layout);
        let f = open(&file);
        let (theirs, _) = libvorbis(&file);
        assert_eq!(f.total_frames() as usize * 2, theirs.len(), "{what}: total");
        let ours = decode_f32(&file);
        assert_close(&ours, &theirs, what);
        // The shapes that keep every frame decode to the original signal.
        let trim = (-layout.shift).max(0) as usize * 2;
        assert_close(&ours, &plain[trim..], what);
    }
}

/// The demuxer gives back exactly the packets the re-paging tool laid out, with the granules
/// it wrote, whatever the page shapes (one lacing segment per page included).
#[test]
fn demuxer_returns_the_packets_laid_out() {
    let stream = Stream::parse(&oggenc(44_100, 2, 44_100, 5));
    for (max_body, max_packets, shift) in [(1, 1, 0), (100, 1, 7), (4096, 3, -3), (65_025, 255, 0)]
    {
        let layout = Layout { max_body, max_packets, shift, ..Layout::default() };
        let again = Stream::parse(&stream.write(&layout));
        assert_eq!(again.headers, stream.headers);
        assert_eq!(again.audio.len(), stream.audio.len());
        for (a, b) in again.audio.iter().zip(&stream.audio) {
            assert!(a.data == b.data && a.end == b.end + shift, "layout {layout:?}");
        }
    }
}

/// Start trimming (the first timed page claims fewer frames than its packets decode) decodes
/// as libvorbisfile decodes it, by `oggdec -R` (stock libvorbis) and by vorbis_rs: libvorbis
/// trims inside the packet that completes the first timed page, so the frames before it are
/// not the untrimmed stream's shifted by the trim. Both shapes: every granule lowered (a
/// consistent stream) and only the first page's (the later pages keep the encoder's).
#[test]
fn start_trim_matches_libvorbisfile() {
    let original = oggenc(44_100 * 3 + 99, 2, 44_100, 3);
    let stream = Stream::parse(&original);
    let (layout, _) = first_page_ending(&stream, |n| n >= 1000);
    let cases = [
        ("every granule -1000", stream.write(&Layout { shift: -1000, ..layout })),
        ("first granule -1000", first_granule_lowered(&stream.write(&layout), 1000)),
        ("first granule -999", first_granule_lowered(&stream.write(&layout), 999)),
        (
            "every granule -700, small pages",
            stream.write(&Layout { shift: -700, max_body: 4096, max_packets: 12, ..layout }),
        ),
    ];
    for (what, file) in cases {
        let ours = decode_f32(&file);
        let (theirs, _) = libvorbis(&file);
        assert_close(&ours, &theirs, what);
        let path = temp_file("start-trim", &file);
        let oggdec = corpus::oggdec(&path);
        let _ = std::fs::remove_file(&path);
        assert_i16_close(&read_all_i16(&mut open(&file)), &oggdec, what);
        if what.starts_with("every") {
            assert_eq!(open(&file).total_frames() as usize * 2, ours.len(), "{what}: total");
        }
    }
}

/// A start trim longer than the packet completing the first timed page: libvorbis then drops
/// only that packet and outputs more frames than the granules say (its own `ov_pcm_total`).
/// Rill keeps the exact length by not handing out a position twice, so its output is
/// libvorbis's with one run of that many frames left out.
#[test]
fn start_trim_longer_than_its_packet() {
    let stream = Stream::parse(&oggenc(44_100 * 2, 2, 44_100, 3));
    let (layout, n) = first_page_ending(&stream, |n| n < 1000);
    let file = stream.write(&Layout { shift: -1000, ..layout });
    let f = open(&file);
    assert_eq!(f.total_frames(), 44_100 * 2 - 1000);
    let ours = decode_f32(&file);
    assert_eq!(ours.len() as u64, f.total_frames() * 2);
    let (theirs, _) = libvorbis(&file);
    assert_eq!(theirs.len() - ours.len(), (1000 - n as usize) * 2, "libvorbis's excess");
    let excess = theirs.len() - ours.len();
    let split = ours.iter().zip(&theirs).position(|(a, b)| (a - b).abs() > 1e-5).unwrap();
    assert_close(&ours[..split], &theirs[..split], "before the run");
    assert_close(&ours[split..], &theirs[split + excess..], "after the run");
}

/// End trimming longer than the last packet: the last page claims far fewer frames than its
/// packets produce; the output stops exactly there.
#[test]
fn end_trim_longer_than_last_packet() {
    let original = oggenc(44_100, 1, 44_100, 3);
    let mut stream = Stream::parse(&original);
    let cut = 3000;
    let last = stream.audio.len() - 1;
    let end = stream.audio[last].end - cut;
    stream.audio[last].end = end;
    let file = stream.write(&Layout { max_packets: 4, ..Layout::default() });
    let f = open(&file);
    assert_eq!(f.total_frames(), end as u64);
    let (plain, _) = libvorbis(&original);
    assert_close(&decode_f32(&file), &plain[..end as usize], "end trim");
}

/// Chains of links with different rates and channel counts: per-link lengths and samples as
/// libvorbis decodes each link alone; the total is their sum.
#[test]
fn chained_links_match_libvorbis() {
    let parts = [
        oggenc(30_000, 2, 44_100, 3),
        oggenc(12_345, 1, 22_050, 0),
        oggenc(500, 6, 48_000, 5),
        oggenc(20_000, 2, 32_000, 1),
    ];
    let file: Vec<u8> =
        parts.iter().enumerate().flat_map(|(i, p)| set_serial(p, i as u32)).collect();
    let mut f = open(&file);
    assert_eq!(f.links().len(), parts.len());
    let total: u64 = [30_000u64, 12_345, 500, 20_000].iter().sum();
    assert_eq!(f.total_frames(), total);
    let links = read_all_f32(&mut f);
    assert_eq!(links.len(), parts.len());
    for (i, ((link, ch, ours), part)) in links.iter().zip(&parts).enumerate() {
        let (theirs, tch) = libvorbis(part);
        assert_eq!((*link, *ch), (i, tch));
        assert_close(ours, &theirs, &format!("link {i}"));
    }
    // Re-paged chains: start trims and shifted granules in middle links.
    let a = Stream::parse(&parts[0]).pages(&Layout { serial: 1, shift: -500, ..Layout::default() });
    let b = Stream::parse(&parts[1]).pages(&Layout {
        serial: 2,
        shift: 9999,
        max_packets: 1,
        ..Layout::default()
    });
    let file = join(&[a.clone(), b.clone()]);
    let mut f = open(&file);
    assert_eq!(f.total_frames(), 30_000 - 500 + 12_345);
    let links = read_all_f32(&mut f);
    assert_close(&links[0].2, &libvorbis(&join(&[a])).0, "trimmed link");
    assert_close(&links[1].2, &libvorbis(&join(&[b])).0, "shifted link");
}

/// A second logical stream multiplexed into the link (its BOS page first, its pages between
/// the Vorbis pages) is skipped: the output is that of the Vorbis stream alone.
#[test]
fn multiplexed_stream_is_skipped() {
    let stream = Stream::parse(&oggenc(44_100 * 2, 2, 44_100, 3));
    let pages = stream.pages(&Layout { max_body: 1500, max_packets: 3, ..Layout::default() });
    let alone = join(std::slice::from_ref(&pages));
    let muxed = join(&[multiplex(&pages, 4242)]);
    let f = open(&muxed);
    assert_eq!(f.links().len(), 1);
    assert_eq!(f.total_frames(), open(&alone).total_frames());
    let ours = decode_f32(&muxed);
    assert!(ours == decode_f32(&alone), "multiplexed decode differs");
    assert_close(&ours, &libvorbis(&muxed).0, "multiplexed");
    // Chained after another link, it is still one link of its own.
    let first = set_serial(&oggenc(5000, 1, 44_100, 3), 1);
    let mut f = open(&[first, muxed].concat());
    assert_eq!(f.links().len(), 2);
    let links = read_all_f32(&mut f);
    assert!(links[1].2 == ours, "second link differs");
}

/// Links without a Vorbis stream (here a stream of BOS and EOS page only) are passed over;
/// a file of nothing else is not Vorbis.
#[test]
fn non_vorbis_links_are_skipped() {
    let a = set_serial(&oggenc(3000, 1, 44_100, 3), 1);
    let b = set_serial(&oggenc(5000, 2, 44_100, 3), 2);
    let other = |serial| join(&[multiplex(&[], serial)]);
    let file = [other(7), a.clone(), other(8), b.clone(), other(9)].concat();
    let mut f = open(&file);
    assert_eq!(f.links().len(), 2);
    assert_eq!(f.total_frames(), 8000);
    let links = read_all_f32(&mut f);
    assert!(links[0].2 == decode_f32(&a) && links[1].2 == decode_f32(&b));
    let err = VorbisFile::open(Mem::new([other(7), other(8)].concat())).err();
    assert_eq!(err, Some(Error::NotVorbis));
}

/// A read never mixes links, and refuses a buffer that cannot hold one frame of the link.
#[test]
fn buffer_must_hold_a_frame() {
    let a = set_serial(&oggenc(3000, 1, 44_100, 3), 1);
    let b = set_serial(&oggenc(3000, 6, 44_100, 3), 2);
    let mut f = open(&[a, b].concat());
    let mut buf = [0i16; 5];
    let mut mono = 0;
    loop {
        match f.read_i16(&mut buf) {
            Ok(n) => {
                assert!(n > 0, "the second link was never reached");
                assert!(f.link() == 0 && n <= 5, "link {} gave {n} frames", f.link());
                mono += n;
            }
            Err(e) => {
                assert_eq!(e, Error::BufferTooSmall);
                break;
            }
        }
    }
    assert_eq!(mono, 3000);
    assert!(f.prepare().unwrap());
    assert_eq!((f.link(), f.channels(), f.position()), (1, 6, 3000));
    let mut big = [0i16; 6 * 100];
    assert_eq!(f.read_i16(&mut big).unwrap(), 100);
}

/// Tags of each link come from its own comment header: oggenc's, and one written by vorbiscomment
/// (vorbis-tools) with a cover picture.
#[test]
fn comments_and_memory_budget() {
    let file = oggenc(10_000, 2, 44_100, 3);
    let f = open(&file);
    let c = f.comments().expect("comments");
    assert!(c.vendor().contains("Xiph"), "vendor {}", c.vendor());
    let picture = format!("METADATA_BLOCK_PICTURE={}", base64(&picture_block(b"JPEGDATA")));
    let tagged =
        vorbiscomment(&file, &["ARTIST=Ärtist", "title=Song", "TRACKNUMBER=3/12", &picture]);
    let mut f = open(&[set_serial(&file, 1), set_serial(&tagged, 2)].concat());
    assert_eq!(Tags::from_comments(&f.comments().unwrap()).title, None);
    f.seek(15_000).unwrap();
    let c = f.comments().unwrap();
    let tags = Tags::from_comments(&c);
    assert_eq!((tags.artist, tags.title), (Some("Ärtist"), Some("Song")));
    assert_eq!(tags.track, Some(Position { number: 3, total: Some(12) }));
    let b64 = tags.picture.expect("a picture");
    let mut buf = vec![0; Picture::decoded_len_bound(b64)];
    let pic = Picture::decode(b64, &mut buf).unwrap();
    assert_eq!((pic.kind, pic.mime, pic.width, pic.height), (3, "image/jpeg", 640, 480));
    let data = pic.data.clone();
    assert_eq!(&buf[data], b"JPEGDATA");
    let heap = f.heap_bytes();
    assert!(heap > 0 && heap <= rill_core::media::vorbis_file::DEFAULT_BUDGET);
    // A budget below what the stream needs is refused up front, not by running out of memory.
    assert_eq!(
        VorbisFile::open_with_budget(Mem::new(file.clone()), heap / 2).err(),
        Some(Error::Budget)
    );
    let f = VorbisFile::open_with_budget(Mem::new(file), heap * 2).expect("twice the need");
    assert!(f.heap_bytes() <= heap * 2);
}

/// `file` with its comments replaced by `vorbiscomment -w` (vorbis-tools).
fn vorbiscomment(file: &[u8], tags: &[&str]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("rill-ogg-tags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.ogg");
    std::fs::write(&path, file).unwrap();
    let mut cmd = std::process::Command::new("vorbiscomment");
    cmd.arg("-w");
    for t in tags {
        cmd.args(["-t", t]);
    }
    assert!(cmd.arg(&path).status().expect("vorbiscomment").success());
    let out = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    out
}

/// A FLAC picture block: front cover, image/jpeg, 640x480x24, no description.
fn picture_block(data: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for field in [&3u32.to_be_bytes()[..], &10u32.to_be_bytes(), b"image/jpeg", &0u32.to_be_bytes()]
    {
        b.extend_from_slice(field);
    }
    for v in [640u32, 480, 24, 0, data.len() as u32] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let v = chunk.iter().fold(0u32, |a, &b| a << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            let c = if i <= chunk.len() { T[(v >> (18 - 6 * i) & 63) as usize] } else { b'=' };
            out.push(char::from(c));
        }
    }
    out
}
