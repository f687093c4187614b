//! Big tagged libraries, fast: copies of one tiny FLAC file (made once by the reference
//! encoder, see [`crate::flac_corpus`]) each with its own tags, for the tests and benchmarks of
//! the library index at scale.
//!
//! Writing a copy needs no encoder run: a FLAC file's tags are its `VORBIS_COMMENT` metadata
//! block, which no checksum covers (STREAMINFO's MD5 is of the decoded audio), so each copy is
//! the base file's `fLaC` marker and STREAMINFO, a comment block of its own and the base
//! file's audio frames, written in one `write`. Every file decodes to the same 2,205 frames.
//!
//! [`Library::write`] lays them out as music libraries are ([`Layout::Nested`]): `Artist
//! NNN/Album NNNN/NN - Title NNNNNN.flac`, ten tracks an album, ten albums an artist, with
//! artists, albums, genres and dates varied by the file number, so the same number always gives
//! the same file (a test can predict what the server lists). [`Layout::Flat`] puts the same
//! tracks in one folder, `all/NNNNNNN - Title NNNNNN.flac`. [`Library::write_with`] writes on
//! every core, each thread a run of whole albums: a million files take minutes (the `library-gen`
//! binary, `bench/library-scale.sh`).

use std::path::{Path, PathBuf};

use crate::flac_corpus;

/// Tracks per album.
pub const TRACKS_PER_ALBUM: usize = 10;
/// Albums per artist.
pub const ALBUMS_PER_ARTIST: usize = 10;
/// Distinct genres.
pub const GENRES: usize = 24;

/// How a generated library's files are laid out in folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `Artist NNN/Album NNNN/NN - Title NNNNNN.flac`: a folder an artist, one in it an album.
    Nested,
    /// `all/NNNNNNN - Title NNNNNN.flac`: every file in one folder.
    Flat,
}

/// A tiny FLAC file's parts, to write tagged copies of.
#[derive(Debug, Clone)]
pub struct Base {
    /// `fLaC` and the STREAMINFO block (its last-block flag clear).
    head: Vec<u8>,
    /// The audio frames.
    frames: Vec<u8>,
}

impl Base {
    /// The corpus's 50 ms stereo 16-bit FLAC (no seek table), split.
    pub fn new() -> Base {
        let spec = flac_corpus::Spec { frames: 2_205, ..flac_corpus::Spec::cd(&["-5", "-S-"]) };
        Base::split(&spec.bytes())
    }

    /// Splits a native FLAC file into its STREAMINFO and its frames (other metadata dropped).
    pub fn split(bytes: &[u8]) -> Base {
        assert_eq!(&bytes[..4], b"fLaC", "a native FLAC file");
        let mut pos = 4;
        let mut head = b"fLaC".to_vec();
        loop {
            let header = &bytes[pos..pos + 4];
            let last = header[0] & 0x80 != 0;
            let kind = header[0] & 0x7f;
            let len =
                usize::from(header[1]) << 16 | usize::from(header[2]) << 8 | usize::from(header[3]);
            if kind == 0 {
                head.push(0); // STREAMINFO, not last: the comment block follows
                head.extend_from_slice(&bytes[pos + 1..pos + 4 + len]);
            }
            pos += 4 + len;
            if last {
                break;
            }
        }
        Base { head, frames: bytes[pos..].to_vec() }
    }

    /// A copy tagged with `tags` (`NAME=value`).
    pub fn tagged(&self, tags: &[String]) -> Vec<u8> {
        let vendor = b"rill library_gen";
        let mut body = Vec::new();
        body.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        body.extend_from_slice(vendor);
        body.extend_from_slice(&(tags.len() as u32).to_le_bytes());
        for t in tags {
            body.extend_from_slice(&(t.len() as u32).to_le_bytes());
            body.extend_from_slice(t.as_bytes());
        }
        let mut out = Vec::with_capacity(self.head.len() + 4 + body.len() + self.frames.len());
        out.extend_from_slice(&self.head);
        out.push(0x80 | 4); // VORBIS_COMMENT, the last metadata block
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(&body);
        out.extend_from_slice(&self.frames);
        out
    }
}

impl Default for Base {
    fn default() -> Self {
        Base::new()
    }
}

/// What file number `n` of a generated library is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// Path below the library's folder.
    pub rel: String,
    /// The tags written into it.
    pub tags: Vec<String>,
    /// Its title tag.
    pub title: String,
    /// Its artist tag.
    pub artist: String,
    /// Its album tag.
    pub album: String,
}

impl Track {
    /// File number `n`, with `edition` in its title (0 for the first version of a file; a
    /// test that changes a file writes a later edition).
    pub fn new(n: usize, edition: u32) -> Track {
        Track::laid_out(n, edition, Layout::Nested)
    }

    /// File number `n` of a library laid out as `layout` (same tags whatever the layout).
    pub fn laid_out(n: usize, edition: u32, layout: Layout) -> Track {
        let album_no = n / TRACKS_PER_ALBUM;
        let artist_no = album_no / ALBUMS_PER_ARTIST;
        let track = n % TRACKS_PER_ALBUM + 1;
        let artist = format!("Artist {artist_no:03}");
        let album = format!("Album {album_no:04}");
        let title = if edition == 0 {
            format!("Title {n:06}")
        } else {
            format!("Title {n:06} edition {edition}")
        };
        let rel = match layout {
            Layout::Nested => format!("{artist}/{album}/{track:02} - Title {n:06}.flac"),
            Layout::Flat => format!("all/{n:07} - Title {n:06}.flac"),
        };
        let tags = vec![
            format!("TITLE={title}"),
            format!("ARTIST={artist}"),
            format!("ALBUM={album}"),
            format!("GENRE=Genre {:02}", album_no % GENRES),
            format!("DATE={}", 1960 + album_no % 60),
            format!("TRACKNUMBER={track}"),
        ];
        Track { rel, tags, title, artist, album }
    }
}

/// A generated library: files `0..files` under `dir`.
#[derive(Debug)]
pub struct Library {
    /// Its folder.
    pub dir: PathBuf,
    /// How many files.
    pub files: usize,
}

impl Library {
    /// Writes `files` tagged files under `dir`, nested (see the module docs).
    pub fn write(base: &Base, dir: &Path, files: usize) -> Library {
        Library::write_with(base, dir, files, Layout::Nested)
    }

    /// Writes `files` tagged files under `dir` laid out as `layout`, on every core: each thread
    /// takes the next run of 1,000 files (whole albums, so no two threads make one folder).
    pub fn write_with(base: &Base, dir: &Path, files: usize, layout: Layout) -> Library {
        const RUN: usize = 100 * TRACKS_PER_ALBUM;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let start = next.fetch_add(RUN, std::sync::atomic::Ordering::Relaxed);
                    if start >= files {
                        return;
                    }
                    let mut made: Option<PathBuf> = None;
                    for n in start..files.min(start + RUN) {
                        let track = Track::laid_out(n, 0, layout);
                        let path = dir.join(&track.rel);
                        let folder = path.parent().expect("a file path");
                        if made.as_deref() != Some(folder) {
                            std::fs::create_dir_all(folder).expect("creating the folders");
                            made = Some(folder.to_path_buf());
                        }
                        std::fs::write(&path, base.tagged(&track.tags)).expect("writing a track");
                    }
                });
            }
        });
        Library { dir: dir.to_path_buf(), files }
    }

    /// Writes edition `edition` of file `n` (its title changes; size stays).
    pub fn rewrite(&self, base: &Base, n: usize, edition: u32) -> Track {
        let track = Track::new(n, edition);
        std::fs::write(self.dir.join(&track.rel), base.tagged(&track.tags)).expect("rewrite");
        track
    }
}

/// What a server lists of a library, to compare two servers or two runs: every track of All
/// Tracks, every album of Albums, and the folder tree down to the album folders, each as
/// `(id, parent id, title, album or child count)`, in the server's order.
pub fn snapshot(
    cp: &crate::renderer::Renderer,
    control: &str,
) -> Vec<(String, String, String, String)> {
    use crate::renderer::Browse;
    let all = |id: &str| {
        let mut out = Vec::new();
        loop {
            let page = Browse::children(id).range(out.len() as u32, 2000);
            let got = cp.browse(control, &page).expect("Browse");
            let total = got.total_matches as usize;
            out.extend(got.objects);
            if out.len() >= total || got.number_returned == 0 {
                return out;
            }
        }
    };
    let row = |o: crate::renderer::didl::Object| {
        let extra = match o.child_count {
            Some(n) => n.to_string(),
            None => o.album.unwrap_or_default(),
        };
        (o.id, o.parent_id, o.title, extra)
    };
    // All Tracks and Albums (the music tree's fixed containers 4 and 7), then Folders (0x64).
    let mut out: Vec<_> = all("4").into_iter().chain(all("7")).map(row).collect();
    for served in all("64") {
        for artist in all(&served.id) {
            out.extend(all(&artist.id).into_iter().map(row));
            out.push(row(artist));
        }
        out.push(row(served));
    }
    out
}
