//! Tags of the audio formats the core does not read, with the `lofty` crate: ID3v2 in MP3, MP4
//! atoms in M4A, RIFF INFO and ID3 in WAV (lofty reads the Vorbis comments of FLAC and Opus
//! too, which the core reads itself when the library is built). Mapped into the
//! core's [`Tags`] with the same fields the Vorbis reader fills (title, artist, album artist,
//! album, genre, track, disc, date, compilation), plus the play time and audio properties.
//! These files are served as they are, so no exact frame count is recorded.
//!
//! Each reader takes the file already open (a served file is opened confined to its folder,
//! [`crate::storage::Storage::open`]) and its name, whose extension tells lofty the format as
//! `lofty::read_from_path` would (the bytes do when the extension says nothing).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use lofty::file::{AudioFile, FileType, TaggedFile, TaggedFileExt};
use lofty::picture::PictureType;
use lofty::probe::Probe;
use lofty::tag::{Accessor, ItemKey, Tag};
use rill_core::library::{AudioProps, Details, Tags};

/// `file` (named `name`) read by lofty, or `None` if lofty cannot read it.
fn tagged(file: File, name: &Path) -> Option<TaggedFile> {
    let probe = Probe::new(BufReader::new(file));
    let probe = match FileType::from_path(name) {
        Some(format) => probe.set_file_type(format),
        None => probe.guess_file_type().ok()?,
    };
    probe.read().ok()
}

/// What reading `file` (named `name`) revealed, or `None` if lofty cannot read it.
pub fn read(file: File, name: &Path) -> Option<Details> {
    let file = tagged(file, name)?;
    let props = file.properties();
    let tags = file.primary_tag().or_else(|| file.first_tag()).map(|t| Box::new(tags(t)));
    let audio = props.sample_rate().map(|sample_rate| AudioProps {
        sample_rate,
        channels: props.channels().unwrap_or(2),
        bits_per_sample: props.bit_depth().unwrap_or(0),
    });
    let duration_ms = u64::try_from(props.duration().as_millis()).ok().filter(|&ms| ms > 0);
    let picture = file.tags().iter().any(|t| !t.pictures().is_empty());
    Some(Details { duration_ms, frames: None, audio, tags, picture, ..Details::default() })
}

fn tags(t: &Tag) -> Tags {
    let get = |key: ItemKey| t.get_string(key).filter(|s| !s.trim().is_empty()).map(Box::from);
    let text = |s: std::borrow::Cow<'_, str>| s.into_owned().into_boxed_str();
    Tags {
        title: t.title().map(text),
        artist: t.artist().map(text),
        album_artist: get(ItemKey::AlbumArtist),
        album: t.album().map(text),
        genre: t.genre().map(text),
        track: t.track(),
        disc: t.disk(),
        date: get(ItemKey::RecordingDate).or_else(|| get(ItemKey::Year)),
        compilation: t.get_string(ItemKey::FlagCompilation).is_some_and(|v| v.trim() == "1"),
    }
}

/// The embedded front cover (else the first picture) of `file` (named `name`), as stored.
pub fn picture(file: File, name: &Path) -> Option<Vec<u8>> {
    let file = tagged(file, name)?;
    let pictures = file.tags().iter().flat_map(Tag::pictures);
    let mut first = None;
    for p in pictures {
        if p.pic_type() == PictureType::CoverFront {
            return Some(p.data().to_vec());
        }
        first.get_or_insert(p);
    }
    first.map(|p| p.data().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// One second of tone encoded by ffmpeg with `metadata`, as `name`.
    fn encode(dir: &Path, name: &str, metadata: &[(&str, &str)]) -> std::path::PathBuf {
        let out = dir.join(name);
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i"]);
        cmd.args(["sine=frequency=440:duration=1:sample_rate=48000", "-ac", "2"]);
        for (k, v) in metadata {
            cmd.args(["-metadata", &format!("{k}={v}")]);
        }
        assert!(cmd.arg(&out).status().expect("ffmpeg runs").success(), "{name}");
        out
    }

    #[test]
    fn mp3_flac_opus_and_m4a_tags_map_like_vorbis_comments() {
        let dir = tempfile::tempdir().unwrap();
        let metadata = [
            ("title", "Song & Dance"),
            ("artist", "Dee feat. Eve"),
            ("album_artist", "Dee"),
            ("album", "Double"),
            ("genre", "Rock"),
            ("track", "3/12"),
            ("disc", "2"),
            ("date", "1997"),
        ];
        for name in ["a.mp3", "a.flac", "a.opus", "a.m4a"] {
            let path = encode(dir.path(), name, &metadata);
            let file = File::open(&path).unwrap();
            let details = read(file, &path).unwrap_or_else(|| panic!("{name} unreadable"));
            let t = details.tags.as_deref().unwrap_or_else(|| panic!("{name} untagged"));
            assert_eq!(t.title.as_deref(), Some("Song & Dance"), "{name}");
            assert_eq!(t.artist.as_deref(), Some("Dee feat. Eve"), "{name}");
            assert_eq!(t.album_artist.as_deref(), Some("Dee"), "{name}");
            assert_eq!(t.album.as_deref(), Some("Double"), "{name}");
            assert_eq!(t.genre.as_deref(), Some("Rock"), "{name}");
            assert_eq!((t.track, t.disc), (Some(3), Some(2)), "{name}");
            assert!(t.date.as_deref().is_some_and(|d| d.starts_with("1997")), "{name}");
            let audio = details.audio.unwrap();
            assert_eq!((audio.sample_rate, audio.channels), (48_000, 2), "{name}");
            let ms = details.duration_ms.unwrap();
            assert!((950..=1100).contains(&ms), "{name}: {ms} ms");
            assert_eq!(details.frames, None);
        }
        let not_audio = dir.path().join("not.mp3");
        std::fs::write(&not_audio, b"not audio at all").unwrap();
        assert!(read(File::open(&not_audio).unwrap(), &not_audio).is_none());
    }
}
