//! Album art and thumbnails: `JPEG_TN` pictures (a JPEG of at most 160x160) made in the
//! background and cached on disk.
//!
//! What gets one: every picture (scaled down with the `image` crate; a folder's `cover.jpg` is
//! then the art of the tracks beside it, see [`rill_core::library::music`]), every audio file
//! with an embedded picture (an Ogg Vorbis or Opus `METADATA_BLOCK_PICTURE`, an ID3 `APIC`, a
//! FLAC picture, an MP4 `covr`: the front cover if there are several), and, when `ffmpeg` is
//! installed, every video (a frame a tenth of the way in).
//!
//! The cache is `$XDG_CACHE_HOME/rill/art/` (`~/.cache/rill/art/`), one folder per served
//! folder (named by the FNV-1a 64 hash of its path). A thumbnail is named by the FNV-1a 64 hash
//! of the file's identity: its served folder, relative path, size and modification time. A file
//! that changes gets a new name, so a stale thumbnail is never served. A file without art gets
//! an empty `.none` marker, so it is not read again on the next start.
//!
//! Nothing piles up: the first pass after the scan removes every entry of a served folder's
//! cache that no file in the library has now (files removed or changed while the server was
//! down, and the flat layout of earlier versions), and each later pass removes the entries of
//! the files that left or changed since the pass before. Served folders not being served keep
//! their cache folder (another instance may serve them).
//!
//! [`spawn`] starts one background thread. Once the first scan is done, and again whenever the
//! library changes (the watcher found new or changed files), it goes through the library's
//! items, makes what is missing, and marks the items that have a thumbnail
//! ([`Library::set_thumbnail`], and in the library index, [`crate::index::Writer::thumbnail`],
//! so the marks are there from the start of the next run), taking the write lock briefly for each batch, and publishes that
//! change to GENA subscribers ([`crate::events::publish`]). A Browse never
//! waits for a thumbnail: the URI is offered once it exists, and the server hands out the
//! cached file ([`Cache::open`]).

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, PoisonError, Weak};

use embedded_io_adapters::std::FromStd;
use image::codecs::jpeg::JpegEncoder;
use image::DynamicImage;
use rill_core::dlna::{MediaFormat, MediaKind};
use rill_core::library::{FileInfo, FileRef, Library, ObjectId};
use rill_core::media::opus_file::{self, OpusFile};
use rill_core::media::tags::{Picture, Tags};
use rill_core::media::vorbis_file::VorbisFile;

use tokio::sync::watch;

use crate::connection::Shared;
use crate::opus::LibOpus;

/// The largest width and height of a `JPEG_TN` picture (DLNA).
pub const MAX_SIDE: u32 = 160;

/// Items marked per write-lock acquisition.
const BATCH: usize = 64;

/// The largest file read whole to scale it (a picture, or an embedded one).
const MAX_SOURCE: u64 = 64 << 20;

/// The thumbnail cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache in the XDG cache folder, created if missing; `None` if there is no such folder
    /// or it cannot be created (then nothing has art).
    pub fn new() -> Option<Cache> {
        let dir = dirs::cache_dir()?.join("rill").join("art");
        Cache::at(dir)
    }

    /// A cache in `dir`, created if missing.
    pub fn at(dir: PathBuf) -> Option<Cache> {
        match fs::create_dir_all(&dir) {
            Ok(()) => Some(Cache { dir }),
            Err(e) => {
                tracing::warn!(dir = %dir.display(), "no thumbnail cache: {e}");
                None
            }
        }
    }

    /// The cache file name stem of a file: the hash of its identity.
    fn key(root: &Path, rel: &str, info: FileInfo) -> u64 {
        fnv1a(&[
            root.as_os_str().as_encoded_bytes(),
            rel.as_bytes(),
            &info.size.to_le_bytes(),
            &info.mtime.to_le_bytes(),
        ])
    }

    /// The cache folder of served folder `root`.
    fn folder(&self, root: &Path) -> PathBuf {
        self.dir.join(format!("{:016x}", fnv1a(&[root.as_os_str().as_encoded_bytes()])))
    }

    fn jpeg(&self, root: &Path, key: u64) -> PathBuf {
        self.folder(root).join(format!("{key:016x}.jpg"))
    }

    fn none(&self, root: &Path, key: u64) -> PathBuf {
        self.folder(root).join(format!("{key:016x}.none"))
    }

    /// Opens the cached thumbnail of the file at `file` under `root` with identity `info`.
    pub fn open(&self, root: &Path, file: &FileRef<'_>, info: FileInfo) -> Option<(File, u64)> {
        let file = File::open(self.jpeg(root, Cache::key(root, &file.to_string(), info))).ok()?;
        let len = file.metadata().ok()?.len();
        Some((file, len))
    }

    /// Stores `jpeg` (or, for `None`, the marker of a file without art) atomically.
    fn store(&self, root: &Path, key: u64, jpeg: Option<&[u8]>) -> std::io::Result<()> {
        let (path, bytes) = match jpeg {
            Some(bytes) => (self.jpeg(root, key), bytes),
            None => (self.none(root, key), &[][..]),
        };
        let folder = self.folder(root);
        fs::create_dir_all(&folder)?;
        let tmp = folder.join(format!("{key:016x}.{}.tmp", std::process::id()));
        fs::write(&tmp, bytes)?;
        fs::rename(&tmp, path)
    }

    /// Removes what is cached for the file of `root` with key `key`.
    fn forget(&self, root: &Path, key: u64) {
        for path in [self.jpeg(root, key), self.none(root, key)] {
            match fs::remove_file(&path) {
                Ok(()) => tracing::debug!(path = %path.display(), "stale thumbnail removed"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(path = %path.display(), "cannot remove: {e}"),
            }
        }
    }

    /// Removes every entry of `root`'s cache folder whose key is not in `live`; returns how
    /// many went. Files being written (`.tmp`) are left alone.
    fn sweep(&self, root: &Path, live: &HashSet<u64>) -> usize {
        let Ok(entries) = fs::read_dir(self.folder(root)) else { return 0 };
        let stale = entries.filter_map(Result::ok).map(|e| e.path()).filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some((stem, ext)) = name.split_once('.') else { return false };
            let key = u64::from_str_radix(stem, 16).ok();
            matches!(ext, "jpg" | "none") && key.is_none_or(|k| !live.contains(&k))
        });
        stale.filter(|path| fs::remove_file(path).is_ok()).count()
    }

    /// Removes the thumbnails of the flat layout of earlier versions (`<key>.jpg` directly in
    /// the cache folder); returns how many went.
    fn sweep_flat(&self) -> usize {
        let Ok(entries) = fs::read_dir(&self.dir) else { return 0 };
        let flat = entries.filter_map(Result::ok).map(|e| e.path()).filter(|path| {
            path.is_file() && path.extension().is_some_and(|x| x == "jpg" || x == "none")
        });
        flat.filter(|path| fs::remove_file(path).is_ok()).count()
    }
}

/// FNV-1a 64 over `parts`, each followed by a NUL (which paths never contain, so parts never
/// run into each other).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for part in parts {
        for &b in part.iter().chain(&[0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// One item to look at.
struct Job {
    id: ObjectId,
    format: MediaFormat,
    root: usize,
    rel: String,
    info: FileInfo,
    /// The cache key of the file's identity `info`.
    key: u64,
}

/// Starts the background thread that makes the thumbnails of `shared`'s library: when the first
/// scan is done (`ready` turns true), then after every change of the library. The thread sleeps
/// in between (no polling: an idle server must not wake, for laptops on battery), and ends with
/// the server (when `shared` is dropped).
pub fn spawn(shared: &Arc<Shared>, ready: watch::Receiver<bool>) {
    let Some(cache) = shared.art.clone() else { return };
    let changes = shared.changes.subscribe();
    let shared = Arc::downgrade(shared);
    let spawned = std::thread::Builder::new()
        .name("rill-art".into())
        .spawn(move || follow(&shared, &cache, ready, changes));
    if let Err(e) = spawned {
        tracing::warn!("no thumbnails: cannot start their thread: {e}");
    }
}

/// Runs a pass over the library once the scan is done, then each time [`Shared::changes`] is
/// marked and the SystemUpdateID has moved.
fn follow(
    shared: &Weak<Shared>,
    cache: &Cache,
    mut ready: watch::Receiver<bool>,
    mut changes: watch::Receiver<()>,
) {
    // The watch channels only need an executor to wait on, not I/O or timers.
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::warn!("no thumbnails: cannot wait for library changes: {e}");
            return;
        }
    };
    if !runtime.block_on(scanned(&mut ready, &mut changes)) {
        return;
    }
    let mut passed_at = None;
    let mut known: Option<Live> = None;
    while let Some(shared) = shared.upgrade() {
        let update_id =
            shared.library.read().unwrap_or_else(PoisonError::into_inner).system_update_id();
        if passed_at != Some(update_id) {
            passed_at = Some(update_id);
            known = Some(run(&shared, cache, known));
        }
        drop(shared);
        // An error: the server (the sender in `Shared`) is gone.
        if runtime.block_on(changes.changed()).is_err() {
            return;
        }
    }
}

/// Waits until the first scan is done: true then, false if the server went first.
async fn scanned(ready: &mut watch::Receiver<bool>, changes: &mut watch::Receiver<()>) -> bool {
    loop {
        if *ready.borrow_and_update() {
            return true;
        }
        let gone = tokio::select! {
            r = ready.changed() => r.is_err(),
            r = changes.changed() => r.is_err(),
        };
        if gone {
            return false;
        }
    }
}

/// The cache keys of the library's files that may have a thumbnail, per served folder.
type Live = Vec<HashSet<u64>>;

/// One pass: forgets what is cached for files that left or changed since the pass that found
/// `before` (everything not in the library on the first pass), makes the missing thumbnails and
/// marks them. Returns the keys found, for the next pass.
fn run(shared: &Shared, cache: &Cache, before: Option<Live>) -> Live {
    let roots = shared.storage.roots();
    let mut live: Live = vec![HashSet::new(); roots.len()];
    let jobs: Vec<Job> = {
        let library = shared.library.read().unwrap_or_else(PoisonError::into_inner);
        library
            .iter()
            .filter_map(|(id, obj)| {
                let item = obj.as_item()?;
                let wanted = match item.format.kind() {
                    MediaKind::Image | MediaKind::Video => true,
                    // Only files the scan saw a picture in are opened again.
                    MediaKind::Audio => item.picture(),
                };
                // Only then its path: walking up to the served folder takes a few lookups,
                // for every file of the library, under its lock (a writer waiting for it holds
                // up every Browse).
                let file = wanted.then(|| library.file_ref(id)).flatten()?;
                let root = usize::from(file.root);
                let rel = file.to_string();
                let key = Cache::key(roots.get(root)?.as_ref()?, &rel, item.file());
                live.get_mut(root)?.insert(key);
                let (format, info) = (item.format, item.file());
                (!item.thumbnail()).then_some(Job { id, format, root, rel, info, key })
            })
            .collect()
    };
    forget_stale(cache, &roots, before.as_ref(), &live);
    let ffmpeg = has_ffmpeg();
    let mut made = Vec::new();
    for job in jobs {
        let Some(Some(root)) = roots.get(job.root) else { continue };
        if cache.jpeg(root, job.key).exists() {
            made.push(job);
        } else if !cache.none(root, job.key).exists() {
            let thumb = make(shared, &job, ffmpeg);
            let stored = cache.store(root, job.key, thumb.as_deref());
            if let Err(e) = stored {
                tracing::warn!(path = %job.rel, "cannot cache a thumbnail: {e}");
            } else if thumb.is_some() {
                made.push(job);
            }
        }
        if made.len() >= BATCH {
            mark(shared, &mut made);
        }
    }
    mark(shared, &mut made);
    live
}

/// Removes the cache entries of files that are gone or changed: on the first pass (`before`
/// is `None`) every entry not in `live`, later those in `before` but not in `live`.
fn forget_stale(cache: &Cache, roots: &[Option<PathBuf>], before: Option<&Live>, live: &Live) {
    let mut removed = 0;
    for (i, (root, now)) in roots.iter().zip(live).enumerate() {
        let Some(root) = root else { continue };
        match before.and_then(|b| b.get(i)) {
            None => removed += cache.sweep(root, now),
            Some(was) => {
                for &key in was.difference(now) {
                    cache.forget(root, key);
                }
            }
        }
    }
    if before.is_none() {
        removed += cache.sweep_flat();
    }
    if removed > 0 {
        tracing::info!(removed, "removed stale thumbnails from the cache");
    }
}

/// Marks the items of `made` as having thumbnails, unless they changed meanwhile (and tells
/// the library index, which keeps the mark across restarts), and publishes the change: each such item's `upnp:albumArtURI` is new, so GENA subscribers get
/// the SystemUpdateID and the containers showing it now, not with some later, unrelated change.
fn mark(shared: &Shared, made: &mut Vec<Job>) {
    if made.is_empty() {
        return;
    }
    let mut marked = Vec::with_capacity(made.len());
    {
        let mut library = shared.library.write().unwrap_or_else(PoisonError::into_inner);
        for job in made.drain(..) {
            if unchanged(&library, &job) {
                let _ = library.set_thumbnail(job.id, true);
                marked.push(job);
            }
        }
    }
    // Told with no lock held: the index's queue may be full for a moment.
    if let Some(index) = shared.index.get() {
        for job in &marked {
            if let Some(root) = shared.storage.root(job.root) {
                index.thumbnail(&root, &job.rel);
            }
        }
    }
    crate::events::publish(shared);
}

fn unchanged(library: &Library, job: &Job) -> bool {
    let item = library.get(job.id).and_then(|o| o.as_item());
    item.is_some_and(|i| i.file() == job.info && i.format == job.format)
}

/// The thumbnail of a job's file, or `None` if it has no art or cannot be read.
fn make(shared: &Shared, job: &Job, ffmpeg: bool) -> Option<Vec<u8>> {
    let path = PathBuf::from(&job.rel);
    match job.format.kind() {
        MediaKind::Image => {
            let (file, meta) = shared.storage.open(job.root, &path).ok()?;
            let bytes = read_bounded(file, meta.len())?;
            scale(&bytes)
        }
        MediaKind::Audio if job.format == MediaFormat::OggVorbis => {
            let (file, _) = shared.storage.open(job.root, &path).ok()?;
            embedded(FromStd::new(file))
        }
        MediaKind::Audio => {
            let (file, _) = shared.storage.open(job.root, &path).ok()?;
            scale(&crate::tags::picture(file, &path)?)
        }
        MediaKind::Video if ffmpeg => {
            let (file, _) = shared.storage.open(job.root, &path).ok()?;
            video_frame(file)
        }
        MediaKind::Video => None,
    }
}

fn read_bounded(mut file: File, len: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    if len > MAX_SOURCE {
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).ok()?);
    file.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The embedded front cover (`METADATA_BLOCK_PICTURE`) of an Ogg Vorbis file, or of an Ogg
/// Opus one named `.ogg`/`.oga` (its `OpusHead` tells), scaled.
fn embedded(mut file: FromStd<File>) -> Option<Vec<u8>> {
    if opus_file::is_opus(&mut file).ok()? {
        let opus = OpusFile::open(file, LibOpus::new()).ok()?;
        return picture(&Tags::from_comments(&opus.comments()?));
    }
    let vorbis = VorbisFile::open(file).ok()?;
    picture(&Tags::from_comments(&vorbis.comments()?))
}

/// The picture a Vorbis comment's `METADATA_BLOCK_PICTURE` holds, scaled.
fn picture(tags: &Tags<'_>) -> Option<Vec<u8>> {
    let b64 = tags.picture?;
    let bound = Picture::decoded_len_bound(b64);
    if u64::try_from(bound).ok()? > MAX_SOURCE {
        return None;
    }
    let mut buf = vec![0; bound];
    let data = Picture::decode(b64, &mut buf).ok()?.data;
    scale(buf.get(data)?)
}

/// An image (JPEG or PNG) scaled to fit [`MAX_SIDE`] (never enlarged), as a JPEG.
pub fn scale(bytes: &[u8]) -> Option<Vec<u8>> {
    let image = image::load_from_memory(bytes).ok()?;
    let small = if image.width() > MAX_SIDE || image.height() > MAX_SIDE {
        image.thumbnail(MAX_SIDE, MAX_SIDE)
    } else {
        image
    };
    let rgb = DynamicImage::ImageRgb8(small.to_rgb8());
    let mut out = Cursor::new(Vec::new());
    rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 85)).ok()?;
    Some(out.into_inner())
}

/// The path by which `ffprobe` and `ffmpeg` read the video given as their standard input.
const STDIN: &str = "/dev/stdin";

fn has_ffmpeg() -> bool {
    let run = |name: &str| {
        Command::new(name)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    run("ffmpeg") && run("ffprobe")
}

/// A frame a tenth of the way into a video, scaled to fit, through `ffprobe` and `ffmpeg`.
/// The video is opened by Rill, confined to its folder, and each tool reads it as its standard
/// input: `/dev/stdin` is the open file (reopened, so they can seek), never a path they resolve.
fn video_frame(file: File) -> Option<Vec<u8>> {
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(STDIN)
        .stdin(file.try_clone().ok()?)
        .output()
        .ok()?;
    let duration: f64 = String::from_utf8_lossy(&probe.stdout).trim().parse().unwrap_or(0.0);
    let at = format!("{:.3}", (duration / 10.0).max(0.0));
    let fit = format!("scale={MAX_SIDE}:{MAX_SIDE}:force_original_aspect_ratio=decrease");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-ss", &at, "-i", STDIN])
        .args(["-frames:v", "1", "-vf", &fit, "-f", "image2", "-c:v", "mjpeg", "-"])
        .stdin(file)
        .output()
        .ok()?;
    (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_keeps_the_aspect_and_never_enlarges() {
        let big = image::RgbImage::from_fn(640, 320, |x, _| image::Rgb([(x % 256) as u8, 0, 0]));
        let mut png = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(big).write_to(&mut png, image::ImageFormat::Png).unwrap();
        let jpeg = scale(png.get_ref()).unwrap();
        let back = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (160, 80));
        let small = DynamicImage::ImageRgb8(image::RgbImage::new(30, 40));
        let mut png = Cursor::new(Vec::new());
        small.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let back = image::load_from_memory(&scale(png.get_ref()).unwrap()).unwrap();
        assert_eq!((back.width(), back.height()), (30, 40));
        assert_eq!(scale(b"not an image"), None);
    }

    #[test]
    fn stale_entries_are_swept_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().join("art")).unwrap();
        let (m, n) = (Path::new("/m"), Path::new("/n"));
        for key in [1, 2, 3] {
            cache.store(m, key, Some(b"jpeg")).unwrap();
        }
        cache.store(m, 4, None).unwrap();
        cache.store(n, 1, Some(b"other folder")).unwrap();
        let writing = cache.folder(m).join("0000000000000005.77.tmp");
        fs::write(&writing, b"half").unwrap();
        let flat = dir.path().join("art/00000000000000aa.jpg");
        fs::write(&flat, b"old layout").unwrap();
        let present = |root: &Path, key: u64| {
            [cache.jpeg(root, key).exists(), cache.none(root, key).exists()]
        };

        // Only 2 and 4 are in the library: 1 and 3 go; another folder's cache stays.
        assert_eq!(cache.sweep(m, &HashSet::from([2, 4])), 2);
        assert_eq!(present(m, 1), [false, false]);
        assert_eq!(present(m, 2), [true, false]);
        assert_eq!(present(m, 3), [false, false]);
        assert_eq!(present(m, 4), [false, true]);
        assert_eq!(present(n, 1), [true, false]);
        assert!(writing.exists(), "a file being written is left alone");
        assert_eq!(cache.sweep_flat(), 1);
        assert!(!flat.exists());
        // A file that left: its entries, thumbnail or marker, go.
        cache.forget(m, 4);
        cache.forget(m, 2);
        assert_eq!([present(m, 2), present(m, 4)], [[false, false]; 2]);
        assert_eq!(fs::read_dir(cache.folder(m)).unwrap().count(), 1, "just the .tmp");
    }

    #[test]
    fn keys_change_with_the_file() {
        let info = FileInfo { size: 10, mtime: 5 };
        let k = Cache::key(Path::new("/m"), "a/b.jpg", info);
        assert_eq!(k, Cache::key(Path::new("/m"), "a/b.jpg", info));
        assert_ne!(k, Cache::key(Path::new("/m"), "a/b.jpg", FileInfo { mtime: 6, ..info }));
        assert_ne!(k, Cache::key(Path::new("/m"), "a/b.jpg", FileInfo { size: 11, ..info }));
        assert_ne!(k, Cache::key(Path::new("/m/a"), "b.jpg", info));
    }
}
