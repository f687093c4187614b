//! Damaged input: lost and corrupted pages continue like libvorbisfile; truncated, mangled and
//! random bytes give errors or a clean end, never a panic or a hang.

mod ogg_util;

use ogg_util::{assert_close, decode_f32, libvorbis, oggenc, open, read_all_f32, Mem};
use rill_core::media::vorbis_file::VorbisFile;
use rill_tests::corpus::Rng;
use rill_tests::repage::{corrupt_page, drop_page, fix_crc, join, set_serial, Layout, Stream};

/// A dropped page and a page with a bad CRC both make a hole: the packets it held are lost and
/// decoding goes on. libvorbisfile does the same, so the output matches it sample for sample.
#[test]
fn holes_continue_like_libvorbis() {
    let original = oggenc(44_100 * 3, 2, 44_100, 3);
    let stream = Stream::parse(&original);
    let (plain, _) = libvorbis(&original);
    let intact = decode_f32(&original);
    for layout in
        [Layout::default(), Layout { max_body: 1000, max_packets: 2, ..Layout::default() }]
    {
        let pages = stream.pages(&layout);
        let middle = pages.len() / 2;
        let mut dropped = pages.clone();
        drop_page(&mut dropped, middle);
        let mut corrupted = pages.clone();
        corrupt_page(&mut corrupted, middle);
        for (what, damaged) in [("dropped page", dropped), ("bad CRC", corrupted)] {
            let file = join(&[damaged]);
            let ours = decode_f32(&file);
            let (theirs, _) = libvorbis(&file);
            assert!(ours.len() < plain.len(), "{what}: frames were lost");
            assert_close(&ours, &theirs, what);
            // Before the hole, nothing changed.
            let before = 44_100; // the first second lies well before the middle page
            assert!(ours[..before] == intact[..before], "{what}: start differs");
        }
    }
}

/// Seeking in a file with a hole lands exactly on the frames a linear read gives at the same
/// positions, except right after the hole, where a linear read overlaps the packets around the
/// gap and a seek starts afresh, and within one long block (2,048 frames) before it: a read
/// started by a seek there gives the last packet before the hole whole (up to a block more
/// than the linear read, which drops it on finding the hole; seen at 142 frames).
#[test]
fn seek_in_file_with_hole() {
    let stream = Stream::parse(&oggenc(44_100 * 3, 1, 44_100, 3));
    let mut pages = stream.pages(&Layout::default());
    let middle = pages.len() / 2;
    drop_page(&mut pages, middle);
    let file = join(&[pages]);
    // Linear read, remembering each frame's position.
    let mut f = open(&file);
    let mut at = vec![None; f.total_frames() as usize];
    let mut buf = vec![0f32; 700];
    let (mut gap_from, mut gap_to) = (None, 0);
    loop {
        let pos = f.position() as usize;
        let n = f.read_f32(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        if pos > 0 && at[pos - 1].is_none() && gap_from.is_none() {
            gap_from = at.iter().position(Option::is_none);
            gap_to = pos;
        }
        for (i, v) in buf[..n].iter().enumerate() {
            at[pos + i] = Some(*v);
        }
    }
    let gap_from = gap_from.expect("the hole shows as a jump in positions");
    let mut rng = Rng::new(3);
    let mut exact = 0;
    for _ in 0..60 {
        let t = rng.below(f.total_frames()) as usize;
        f.seek(t as u64).unwrap();
        let pos = f.position() as usize;
        let n = f.read_f32(&mut buf).unwrap();
        assert!(pos >= t, "seek to {t} landed on {pos}");
        if t + 2048 < gap_from || t >= gap_to + 4096 {
            assert_eq!(pos, t);
            let want: Vec<f32> = at[t..t + n].iter().map(|v| v.expect("a frame")).collect();
            assert!(buf[..n] == want[..], "seek to {t}");
            exact += 1;
        }
    }
    assert!(exact > 30);
}

/// Every truncation of a file opens or fails cleanly, reads to a clean end and seeks.
#[test]
fn truncated_files_never_panic() {
    let file = oggenc(30_000, 2, 44_100, 3);
    let chain = [set_serial(&file, 1), set_serial(&oggenc(5000, 1, 22_050, 0), 2)].concat();
    for whole in [file, chain] {
        let mut rng = Rng::new(whole.len() as u64);
        let mut cuts: Vec<usize> =
            (0..60).map(|_| rng.below(whole.len() as u64) as usize).collect();
        cuts.extend([0, 1, 27, 58, 100, 4000, whole.len() - 1]);
        for cut in cuts {
            exercise(&whole[..cut], cut as u64);
        }
    }
}

/// Opens, reads everything, seeks around and reads again; only checks that it ends.
fn exercise(bytes: &[u8], seed: u64) {
    let Ok(mut f) = VorbisFile::open(Mem::new(bytes.to_vec())) else { return };
    let total = f.total_frames();
    let got: u64 = read_all_f32(&mut f).iter().map(|(_, ch, v)| (v.len() / ch) as u64).sum();
    assert!(got <= total, "read {got} of {total}");
    let mut rng = Rng::new(seed);
    let mut buf = vec![0i16; 4096];
    for _ in 0..5 {
        if f.seek(rng.below(total + 1)).is_ok() {
            let _ = f.read_i16(&mut buf);
        }
    }
}

/// Random bytes, bit flips with and without repaired CRCs, and shuffled pages.
#[test]
fn mangled_input_never_panics() {
    let mut rng = Rng::new(99);
    for len in [0, 1, 27, 300, 70_000] {
        let junk: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        assert!(VorbisFile::open(Mem::new(junk.clone())).is_err());
        // Junk before a real file is skipped by the page sync.
        let mut prefixed = junk;
        prefixed.extend(oggenc(2000, 1, 44_100, 3));
        exercise(&prefixed, len as u64);
    }
    let stream = Stream::parse(&oggenc(20_000, 2, 44_100, 3));
    let pages = stream.pages(&Layout { max_body: 2000, max_packets: 4, ..Layout::default() });
    for round in 0..120u64 {
        let mut damaged = pages.clone();
        let i = rng.below(damaged.len() as u64) as usize;
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(damaged[i].len() as u64) as usize;
            damaged[i][at] ^= 1 << rng.below(8);
        }
        // Half the time the CRC is repaired so the damage reaches the headers or the decoder.
        if round % 2 == 0 && rill_core::media::ogg::page::Page::new_checked(&damaged[i][..]).is_ok()
        {
            fix_crc(&mut damaged[i]);
        }
        if round % 10 == 0 {
            let j = rng.below(damaged.len() as u64) as usize;
            damaged.swap(i, j);
        }
        exercise(&join(&[damaged]), round);
    }
}
