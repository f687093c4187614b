//! The small fixed library the `soap` and `server` targets serve: two real Ogg Vorbis files
//! (one of them chained, probed for details and tags as the host does), a cover and an MP3,
//! with names that need XML escaping.

use std::sync::OnceLock;

use rill_core::library::{probe, FileInfo, Library};

use super::mem::Mem;

/// A mono 8 kHz oggenc file (also an `ogg_vorbis` seed).
pub(crate) const TONE: &[u8] = include_bytes!("../../../fuzz/seeds/ogg_vorbis/mono8k-q0.ogg");
/// Two oggenc files back to back, the second tagged (also an `ogg_vorbis` seed).
pub(crate) const CHAINED: &[u8] = include_bytes!("../../../fuzz/seeds/ogg_vorbis/chained.ogg");
/// Bytes standing in for an MP3 (never decoded, only served).
pub(crate) const MP3: &[u8] = &[0x55; 3000];

/// The files: path under the served folder and contents.
pub(crate) const FILES: [(&str, &[u8]); 4] = [
    ("Artist & Co/Album <1>/01 tone.ogg", TONE),
    ("Artist & Co/Album <1>/02 chained.ogg", CHAINED),
    ("Artist & Co/Album <1>/cover.jpg", &[0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F']),
    ("Other/\"quoted\" song.mp3", MP3),
];

/// The library, built once per process.
pub(crate) fn library() -> &'static Library {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let mut lib = Library::new();
        lib.add_root(0, "Music").expect("root");
        for (path, bytes) in FILES {
            let info = FileInfo { size: bytes.len() as u64, mtime: 1_700_000_000 };
            let id = lib.insert_file(0, path, info).expect("insert").expect("a media file");
            if path.ends_with(".ogg") {
                let details = probe::vorbis(Mem::new(bytes)).expect("probe a real file");
                lib.set_details(id, details).expect("set details");
            }
        }
        lib.tidy();
        lib
    })
}
