//! `rill decode` as a user runs it: the binary's output compared with stock libvorbis (`oggdec`
//! from vorbis-tools) on the demo tracks, and sample-exact slices.

use std::path::{Path, PathBuf};
use std::process::Command;

fn demo_tracks() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let mut found = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "ogg") {
                found.push(path);
            }
        }
    }
    found.sort();
    assert_eq!(found.len(), 4, "the demo library has four tracks");
    found
}

fn rill(args: &[&str], file: &Path) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_rill")).arg("decode").args(args).arg(file).output();
    let out = out.expect("rill runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn samples(bytes: &[u8], big_endian: bool) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| {
            if big_endian {
                i16::from_be_bytes([b[0], b[1]])
            } else {
                i16::from_le_bytes([b[0], b[1]])
            }
        })
        .collect()
}

#[test]
fn matches_oggdec_and_slices_are_exact() {
    for track in demo_tracks() {
        let reference = Command::new("oggdec").args(["-Q", "-R", "-o", "-"]).arg(&track).output();
        let reference = samples(&reference.expect("oggdec (vorbis-tools) runs").stdout, false);
        let ours = samples(&rill(&[], &track), false);
        assert_eq!(ours.len(), reference.len(), "{}: length", track.display());
        let differ = ours.iter().zip(&reference).filter(|(a, b)| a != b).count();
        let worst =
            ours.iter().zip(&reference).map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs()).max();
        assert!(worst <= Some(1), "{}: {worst:?} LSB apart", track.display());
        assert!(differ * 1000 <= ours.len(), "{}: {differ} samples differ", track.display());

        // Big-endian is the same samples; slices are the same frames as the whole decode.
        assert_eq!(samples(&rill(&["-f", "s16be"], &track), true), ours);
        // The identification header opens the first page (27-byte page header, one lacing
        // byte): "\x01vorbis", a 4-byte version, then the channel count.
        let first_page = std::fs::read(&track).unwrap();
        assert_eq!(&first_page[28..35], b"\x01vorbis");
        let channels = usize::from(first_page[39]);
        let total = ours.len() / channels;
        for (start, end) in [(0, 1), (1000, 1001), (12_345, 30_000), (total - 7, total)] {
            let (s, e) = (start.to_string(), end.to_string());
            let slice = samples(&rill(&["--start", &s, "--end", &e], &track), false);
            assert_eq!(
                slice,
                ours[start * channels..end * channels],
                "{} [{s}, {e})",
                track.display()
            );
        }
        let floats = rill(&["-f", "f32le"], &track);
        assert_eq!(floats.len(), ours.len() * 4);
    }
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.ogg");
    std::fs::write(&junk, b"this is not an ogg file at all").unwrap();
    for file in [junk.clone(), dir.path().join("missing.ogg")] {
        let out =
            Command::new(env!("CARGO_BIN_EXE_rill")).arg("decode").arg(&file).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.starts_with("rill: "), "{err}");
    }
}
