//! The MP4 box parser on files made by ffmpeg (ALAC and AAC in `.m4a`): codec told apart,
//! configuration read, every sample's offset and size equal to ffprobe's packet list, the
//! duration from the header; hostile files (truncated, bytes flipped, sizes out of bounds)
//! give errors, never a panic or a hang.

mod mp4_util;
mod ogg_util;

use std::path::Path;

use mp4_util::{encode, ffprobe_packets, pcm, scratch};
use ogg_util::Mem;
use rill_core::media::mp4::esds::object_type;
use rill_core::media::mp4::{Codec, Error, Movie, DEFAULT_MOOV_BUDGET};
use rill_tests::corpus::Rng;

fn movie(file: &Path) -> Movie {
    let mut src = Mem::new(std::fs::read(file).expect("read"));
    Movie::read(&mut src, DEFAULT_MOOV_BUDGET).expect("movie")
}

/// Every sample's location, walking the cursor from the start, equals ffprobe's packets,
/// and a cursor made at any sample agrees with the walk.
fn check_locations(what: &str, m: &Movie) {
    let track = m.audio().unwrap();
    let packets = ffprobe_packets(Path::new(what));
    assert_eq!(track.samples.len() as usize, packets.len(), "{what}: sample count");
    let mut cursor = track.samples.cursor(0).unwrap();
    for (i, p) in packets.iter().enumerate() {
        let at = cursor.location(&track.samples).unwrap();
        assert_eq!((at.offset, at.size), (p.pos, p.size), "{what}: sample {i}");
        if i % 7 == 3 {
            let direct = track.samples.cursor(i as u32).unwrap();
            assert_eq!(direct.location(&track.samples), Some(at), "{what}: cursor at {i}");
        }
        cursor.advance(&track.samples).unwrap();
    }
    assert_eq!(cursor.location(&track.samples), None, "{what}: past the end");
    let total: u64 = packets.iter().map(|p| u64::from(p.size)).sum();
    assert_eq!(track.samples.total_size(), total);
}

#[test]
fn alac_files_are_recognised_and_mapped() {
    let dir = scratch();
    // (bits, rate, channels, frames): ffmpeg's encoder writes 16 and 24 bits.
    let cases = [(16, 44_100, 2, 44_100 * 2 + 17), (24, 48_000, 1, 30_000), (16, 32_000, 6, 9000)];
    for (bits, rate, ch, frames) in cases {
        let name = format!("alac-{bits}-{rate}-{ch}.m4a");
        let fmt = if bits == 16 { "s16p" } else { "s32p" };
        let file = encode(
            dir.path(),
            &name,
            &pcm(frames, ch, bits, 1),
            bits,
            rate,
            ch,
            &["-c:a", "alac", "-sample_fmt", fmt],
        );
        let m = movie(&file);
        assert!(!m.moov_first, "{name}: ffmpeg writes moov last by default");
        let t = m.audio().unwrap();
        let Codec::Alac { cookie } = t.codec else { panic!("{name}: {:?}", t.codec) };
        assert_eq!(
            u32::from_be_bytes(cookie[0..4].try_into().unwrap()),
            4096,
            "{name}: frameLength"
        );
        assert_eq!(u32::from(cookie[5]), bits, "{name}: bitDepth");
        assert_eq!(usize::from(cookie[9]), ch, "{name}: channels");
        assert_eq!(u32::from_be_bytes(cookie[20..24].try_into().unwrap()), rate, "{name}: rate");
        assert_eq!((t.entry.channels as usize, t.entry.rate), (ch, rate));
        assert_eq!(t.timescale, rate);
        // One sample per 4096 frames, the last one partial: the time table sums to the frames.
        assert_eq!(t.samples.duration(), frames as u64, "{name}: stts total");
        assert_eq!(t.samples.len() as usize, frames.div_ceil(4096));
        assert_eq!(t.samples.sample_at(4096 * 2 + 5), Some((2, 4096 * 2)));
        assert_eq!(t.samples.sample_at(frames as u64), None);
        let us = t.duration_us().unwrap();
        assert_eq!(us, frames as u64 * 1_000_000 / u64::from(rate), "{name}: duration");
        check_locations(file.to_str().unwrap(), &m);
    }
}

#[test]
fn aac_files_are_recognised_and_mapped() {
    let dir = scratch();
    // (rate, channels, bitrate, extra options)
    let cases: [(u32, usize, &str, &[&str]); 3] = [
        (48_000, 2, "128k", &[]),
        (44_100, 6, "320k", &[]),
        (22_050, 1, "48k", &["-movflags", "+faststart"]),
    ];
    for (rate, ch, bitrate, extra) in cases {
        let name = format!("aac-{rate}-{ch}-{bitrate}.m4a");
        let frames = rate as usize * 3 / 2;
        let mut args = vec!["-c:a", "aac", "-b:a", bitrate];
        args.extend_from_slice(extra);
        let file = encode(dir.path(), &name, &pcm(frames, ch, 16, 2), 16, rate, ch, &args);
        let m = movie(&file);
        assert_eq!(m.moov_first, !extra.is_empty(), "{name}: faststart");
        let t = m.audio().unwrap();
        let Codec::Aac(esds) = t.codec else { panic!("{name}: {:?}", t.codec) };
        assert_eq!(esds.oti, 0x40);
        let asc = esds.config.expect("AudioSpecificConfig");
        assert_eq!(asc.object_type, object_type::AAC_LC);
        assert_eq!(
            (asc.rate, usize::from(asc.channels), asc.sbr, asc.ps),
            (rate, ch, false, false)
        );
        let kbps: u32 = bitrate.trim_end_matches('k').parse().unwrap();
        assert!(esds.avg_bitrate > 0 && esds.avg_bitrate <= kbps * 1000 * 11 / 10, "{name}");
        // ffmpeg writes an edit that drops the 1024 frames of encoder delay; the play time is
        // the input's length.
        assert_eq!(t.edit.map(|e| e.media_time), Some(1024), "{name}: priming");
        let us = t.duration_us().unwrap();
        let want = frames as u64 * 1_000_000 / u64::from(rate);
        assert!(us.abs_diff(want) <= 1000, "{name}: {us} µs, want {want}");
        check_locations(file.to_str().unwrap(), &m);
    }
}

/// MP3 in an MP4 is told from AAC by the object type indication.
#[test]
fn mp3_in_mp4_is_not_aac() {
    let dir = scratch();
    let file = encode(
        dir.path(),
        "mp3.mp4",
        &pcm(44_100, 2, 16, 3),
        16,
        44_100,
        2,
        &["-c:a", "libmp3lame"],
    );
    let m = movie(&file);
    let t_codec = m.audio().unwrap().codec;
    assert!(matches!(t_codec, Codec::Mp3(e) if e.oti == 0x6b || e.oti == 0x69), "{t_codec:?}");
}

/// Every truncation, and many random byte changes inside the movie box, give an error or a
/// consistent result, never a panic; walking the damaged tables ends.
#[test]
fn hostile_files_give_errors() {
    let dir = scratch();
    let alac =
        encode(dir.path(), "a.m4a", &pcm(20_000, 2, 16, 4), 16, 44_100, 2, &["-c:a", "alac"]);
    let aac = encode(dir.path(), "b.m4a", &pcm(20_000, 2, 16, 5), 16, 44_100, 2, &["-c:a", "aac"]);
    let mut rng = Rng::new(11);
    for file in [alac, aac] {
        let bytes = std::fs::read(&file).unwrap();
        for cut in (0..bytes.len()).step_by(97).chain([bytes.len() - 1, 8, 16]) {
            exercise(&bytes[..cut]);
        }
        let moov = find_moov(&bytes);
        for _ in 0..3000 {
            let mut damaged = bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let at = moov.start + rng.below(moov.len() as u64) as usize;
                damaged[at] = rng.below(256) as u8;
            }
            exercise(&damaged);
        }
    }
    // Sizes that cannot hold: a box larger than the file, smaller than its header, a 64-bit
    // size below 16, and a moov over the budget.
    let mut src = Mem::new([&[0, 0, 1, 0][..], b"moov", &[0; 8]].concat());
    assert_eq!(Movie::read(&mut src, 1 << 20).unwrap_err(), Error::BadBox);
    let mut src = Mem::new([&[0, 0, 0, 4][..], b"ftyp"].concat());
    assert_eq!(Movie::read(&mut src, 1 << 20).unwrap_err(), Error::BadBox);
    let mut src = Mem::new([&[0, 0, 0, 1][..], b"mdat", &[0, 0, 0, 0, 0, 0, 0, 8]].concat());
    assert_eq!(Movie::read(&mut src, 1 << 20).unwrap_err(), Error::BadBox);
    let mut src = Mem::new([&[0, 0, 0, 0][..], b"moov", &[0; 100]].concat());
    assert_eq!(Movie::read(&mut src, 50).unwrap_err(), Error::Budget);
    let mut src = Mem::new([&[0, 0, 0, 8][..], b"free"].concat());
    assert_eq!(Movie::read(&mut src, 50).unwrap_err(), Error::NoMovie);
}

fn find_moov(bytes: &[u8]) -> std::ops::Range<usize> {
    let at = bytes.windows(4).position(|w| w == b"moov").expect("moov") - 4;
    let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    at + 8..at + len
}

/// Reads what can be read of `bytes`; walks every sample location that parses.
fn exercise(bytes: &[u8]) {
    let mut src = Mem::new(bytes.to_vec());
    let Ok(m) = Movie::read(&mut src, DEFAULT_MOOV_BUDGET) else { return };
    let Ok(t) = m.audio() else { return };
    let _ = t.duration_us();
    let _ = t.samples.sample_at(12_345);
    let Ok(mut c) = t.samples.cursor(0) else { return };
    for _ in 0..t.samples.len().min(100_000) {
        if c.location(&t.samples).is_none() || c.advance(&t.samples).is_err() {
            break;
        }
    }
    let _ = t.samples.cursor(t.samples.len() / 2);
}

/// QuickTime files (ffmpeg's `.mov`): a version 1 sound description whose codec
/// configuration sits in a `wave` box after a `frma` atom (the old ALAC cookie layout).
#[test]
fn quicktime_wave_boxes() {
    let dir = scratch();
    let samples = pcm(10_000, 2, 16, 6);
    let alac = encode(dir.path(), "a.mov", &samples, 16, 44_100, 2, &["-c:a", "alac"]);
    let m = movie(&alac);
    let t = m.audio().unwrap();
    let Codec::Alac { cookie } = t.codec else { panic!("{:?}", t.codec) };
    assert_eq!((cookie[5], cookie[9]), (16, 2));
    assert_eq!(t.samples.duration(), 10_000);
    check_locations(alac.to_str().unwrap(), &m);
    let aac = encode(dir.path(), "b.mov", &samples, 16, 44_100, 2, &["-c:a", "aac"]);
    let m = movie(&aac);
    let t = m.audio().unwrap();
    assert!(matches!(t.codec, Codec::Aac(e) if e.config.is_some_and(|c| c.rate == 44_100)));
    check_locations(aac.to_str().unwrap(), &m);
}
