//! Building the library at boot from the FAT volume.
//!
//! The volume's root becomes the one served folder, named [`ROOT_NAME`]; every folder and media
//! file below it (to [`MAX_DEPTH`] levels) is inserted by its path, and each Ogg Vorbis file
//! (and with the feature `flac`, each FLAC file) is read with `rill_core::library::probe`
//! (Vorbis: headers and a bisection over pages; FLAC, native or in Ogg, told apart by its
//! bytes: STREAMINFO and the tags; no decoding) for its tags and exact length, which the L16
//! rendition needs. The object count is capped at [`Capacity::objects`]: the
//! library's heap grows with it (about 300 bytes an object with tags), and the cap is part of
//! the heap budget.

use alloc::string::String;
use alloc::vec::Vec;

use embedded_sdmmc::BlockDevice;
use rill_core::dlna::MediaFormat;
use rill_core::library::{probe, FileInfo, Library};

use crate::storage::{Storage, MAX_DEPTH};

/// The served folder's title.
pub const ROOT_NAME: &str = "Music";

/// The formats whose files the library reads and the appliance decodes to L16, for the boot
/// log: FLAC only with the feature `flac`.
pub const DECODED: &str = if cfg!(feature = "flac") { "Vorbis or FLAC" } else { "Vorbis" };

/// What the library may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Objects (folders and items) at most.
    pub objects: usize,
}

impl Capacity {
    /// 1024 objects: a card of a few hundred albums' worth of folders and tracks.
    pub const DEFAULT: Capacity = Capacity { objects: 1024 };
}

/// What [`build`] found, for the boot log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Media files in the library.
    pub media: usize,
    /// Ogg Vorbis and FLAC files whose details were read (each gets an L16 rendition; FLAC
    /// only with the feature `flac`, see [`DECODED`]).
    pub audio: usize,
    /// Entries left out: unreadable Vorbis or FLAC, over the object cap, too deep, or refused.
    pub skipped: usize,
}

/// Builds the library of everything on `storage`.
pub fn build<D: BlockDevice>(storage: &Storage<D>, limits: Capacity) -> (Library, Counts) {
    let mut library = Library::with_limit(limits.objects);
    let mut counts = Counts::default();
    if library.add_root(0, ROOT_NAME).is_err() {
        return (library, counts);
    }
    // Depth-first over folders, each listed once; `pending` holds paths still to list.
    let mut pending: Vec<String> = Vec::from([String::new()]);
    while let Some(dir) = pending.pop() {
        let parts = || dir.split('/').filter(|p| !p.is_empty());
        let Some(entries) = storage.list(parts()) else {
            counts.skipped += 1;
            continue;
        };
        for entry in entries {
            let rel = if dir.is_empty() {
                entry.name.clone()
            } else {
                alloc::format!("{dir}/{}", entry.name)
            };
            if entry.is_dir {
                let depth = parts().count() + 1;
                match library.insert_folder(0, &rel) {
                    Ok(Some(_)) if depth < MAX_DEPTH => pending.push(rel),
                    _ => counts.skipped += 1,
                }
                continue;
            }
            let info = FileInfo { size: u64::from(entry.size), mtime: 0 };
            let id = match library.insert_file(0, &rel, info) {
                Ok(Some(id)) => id,
                Ok(None) => continue,
                Err(_) => {
                    counts.skipped += 1;
                    continue;
                }
            };
            counts.media += 1;
            let decodable = library.get(id).and_then(|o| o.as_item()).is_some_and(|item| {
                item.format == MediaFormat::OggVorbis
                    || (cfg!(feature = "flac") && item.format == MediaFormat::Flac)
            });
            if !decodable {
                continue;
            }
            #[cfg(feature = "flac")]
            let details = storage.open(rel.split('/')).and_then(|(f, _)| probe::audio(f).ok());
            #[cfg(not(feature = "flac"))]
            let details = storage.open(rel.split('/')).and_then(|(f, _)| probe::vorbis(f).ok());
            match details.map(|d| library.set_details(id, d)) {
                Some(Ok(())) => counts.audio += 1,
                _ => {
                    counts.skipped += 1;
                    warn!("not readable as Ogg Vorbis or FLAC: {}", rel.as_str());
                }
            }
        }
    }
    library.tidy();
    (library, counts)
}
