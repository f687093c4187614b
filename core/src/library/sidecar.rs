//! Subtitle files beside videos ("sidecars"), kept by folder, and each video's subtitles.
//!
//! A subtitle file is not an object of its own: [`Library::insert_file`] and
//! [`Library::remove_path`] record its name under its folder's id, and a video's subtitles are
//! the names of its folder that [`subtitle::tag_of`] matches to it, found when it is browsed or
//! served. So a subtitle that arrives before or after its video, or goes, needs no re-reading
//! of the video; the containers showing the videos it belongs to get a new update id.
//!
//! Bounds: a folder keeps at most [`MAX_PER_FOLDER`] subtitle names (more are not recorded),
//! and a video offers at most [`MAX_SUBTITLES`] of those that match it.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::id::PathHash;
use super::{Library, ObjectId, ObjectRef};
use crate::dlna::MediaKind;
use crate::media::subtitle::{self, Format};

/// The most subtitles one video offers: the first in name order, then listed SubRip first
/// (see [`Format::ALL`]).
pub const MAX_SUBTITLES: usize = 8;

/// The most subtitle file names kept for one folder (a season of 26 episodes in 8 languages
/// fits); the ones past it are not offered.
pub const MAX_PER_FOLDER: usize = 256;

/// The subtitle file names of every folder, as a list sorted by folder id then name (no B-tree
/// type: each costs the firmware flash).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sidecars(Vec<(ObjectId, Box<str>)>);

impl Sidecars {
    /// The names recorded for `folder`, in name order.
    fn of(&self, folder: ObjectId) -> &[(ObjectId, Box<str>)] {
        let start = self.0.partition_point(|(f, _)| *f < folder);
        let end = self.0.partition_point(|(f, _)| *f <= folder);
        self.0.get(start..end).unwrap_or_default()
    }

    /// Records `name` in `folder`; false if it was there already or the folder is full.
    fn insert(&mut self, folder: ObjectId, name: &str) -> bool {
        if self.of(folder).len() >= MAX_PER_FOLDER {
            return false;
        }
        match self.0.binary_search_by(|(f, n)| (*f, &**n).cmp(&(folder, name))) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, (folder, Box::from(name)));
                true
            }
        }
    }

    /// Forgets `name` in `folder`; false if it was not recorded.
    fn remove(&mut self, folder: ObjectId, name: &str) -> bool {
        match self.0.binary_search_by(|(f, n)| (*f, &**n).cmp(&(folder, name))) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }
}

/// One subtitle of a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subtitle<'a> {
    /// Its file name, in the video's folder.
    pub name: &'a str,
    /// Its format.
    pub format: Format,
    /// The tag between the video's stem and the extension (`en` in `movie.en.srt`), usually
    /// a language.
    pub tag: Option<&'a str>,
}

/// The subtitles of one video, in the order they are offered.
pub type Subtitles<'a> = heapless::Vec<Subtitle<'a>, MAX_SUBTITLES>;

impl Library {
    /// Records subtitle file `name` in `folder` (`add`) or forgets it, and marks the videos it
    /// belongs to as changed. Returns whether anything changed.
    pub(crate) fn set_sidecar(&mut self, folder: ObjectId, name: &str, add: bool) -> bool {
        let changed = if add {
            self.sidecars.insert(folder, name)
        } else {
            self.sidecars.remove(folder, name)
        };
        if !changed {
            return false;
        }
        let videos: Vec<ObjectId> = self
            .get(folder)
            .and_then(ObjectRef::children)
            .map(|c| {
                c.iter()
                    .filter(|o| {
                        o.as_item().is_some_and(|i| i.format.kind() == MediaKind::Video)
                            && subtitle::tag_of(o.name(), name).is_some()
                    })
                    .map(ObjectRef::id)
                    .collect()
            })
            .unwrap_or_default();
        for video in videos {
            self.touch_shown(video);
        }
        true
    }

    /// Forgets the subtitle file at `comps` under served folder `root`, if its folder keeps
    /// it (a removed path that names no object).
    pub(crate) fn forget_sidecar(&mut self, root: u16, comps: &[&str]) {
        let Some((&name, dirs)) = comps.split_last() else { return };
        let mut state = PathHash::new(root);
        for (i, c) in dirs.iter().enumerate() {
            state = state.push(i == 0, c);
        }
        if let Some(folder) = self.find(state, root, dirs) {
            if self.set_sidecar(folder.id, name, false) {
                self.bump_system();
            }
        }
    }

    /// Drops the subtitle lists of folders that are gone.
    pub(crate) fn drop_orphan_sidecars(&mut self) {
        let mut sidecars = core::mem::take(&mut self.sidecars);
        sidecars.0.retain(|(folder, _)| self.objects.contains_key(folder));
        self.sidecars = sidecars;
    }

    /// The subtitles of video `id` (none for anything else), at most [`MAX_SUBTITLES`]: the
    /// first in name order, offered by [`Format::ALL`]'s order, then name.
    pub fn subtitles(&self, id: ObjectId) -> Subtitles<'_> {
        let mut out = Subtitles::new();
        let Some(obj) = self.get(id) else { return out };
        let Some(item) = obj.as_item() else { return out };
        if item.format.kind() != MediaKind::Video {
            return out;
        }
        for (_, name) in self.sidecars.of(obj.parent()) {
            let (Some(tag), Some(format)) =
                (subtitle::tag_of(obj.name(), name), Format::from_file_name(name))
            else {
                continue;
            };
            if out.push(Subtitle { name, format, tag }).is_err() {
                break;
            }
        }
        // Few entries: an insertion sort, stable, with no sort routine to link in.
        let mut i = 1;
        while i < out.len() {
            let mut j = i;
            while j > 0 && out.get(j - 1).map(|s| s.format) > out.get(j).map(|s| s.format) {
                out.swap(j - 1, j);
                j -= 1;
            }
            i += 1;
        }
        out
    }

    /// Subtitle number `n` of video `id` (as [`Library::subtitles`] lists them), and where it
    /// lives on disk: beside the video.
    pub fn subtitle_file(
        &self,
        id: ObjectId,
        n: usize,
    ) -> Option<(Subtitle<'_>, super::FileRef<'_>)> {
        let subtitle = *self.subtitles(id).get(n)?;
        let mut file = self.file_ref(id)?;
        file.replace_last(subtitle.name)?;
        Some((subtitle, file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::{FileInfo, Shelf, SortSpec};

    const FILE: FileInfo = FileInfo { size: 1, mtime: 1 };

    fn names(lib: &Library, id: ObjectId) -> Vec<&str> {
        lib.subtitles(id).iter().map(|s| s.name).collect()
    }

    #[test]
    fn subtitles_follow_their_files_in_any_order() {
        let mut lib = Library::new();
        lib.add_root(0, "root").unwrap();
        // Before the video (names sort so in a scan), beside it, and after it.
        assert_eq!(lib.insert_file(0, "Films/Movie.en.srt", FILE).unwrap(), None);
        let movie = lib.insert_file(0, "Films/movie.mkv", FILE).unwrap().unwrap();
        let other = lib.insert_file(0, "Films/other.mp4", FILE).unwrap().unwrap();
        lib.insert_file(0, "Films/movie.ass", FILE).unwrap();
        lib.insert_file(0, "Films/movie.srt", FILE).unwrap();
        lib.insert_file(0, "Films/movie.txt", FILE).unwrap();
        assert_eq!(names(&lib, movie), ["Movie.en.srt", "movie.srt", "movie.ass"]);
        assert_eq!(lib.subtitles(movie).first().unwrap().tag, Some("en"));
        assert!(names(&lib, other).is_empty());
        let (sub, file) = lib.subtitle_file(movie, 2).unwrap();
        assert_eq!((sub.format, file.to_string()), (Format::Ass, "Films/movie.ass".into()));
        drop(file);
        assert!(lib.subtitle_file(movie, 3).is_none());

        // A new subtitle changes the containers that show the video.
        let folder = lib.lookup_path(0, "Films").unwrap();
        let _ = lib.take_container_updates();
        let before = lib.system_update_id();
        lib.insert_file(0, "Films/movie.fr.vtt", FILE).unwrap();
        assert!(lib.system_update_id() != before);
        let changed: Vec<ObjectId> = lib.take_container_updates().iter().map(|c| c.0).collect();
        assert!(changed.contains(&folder) && changed.contains(&Shelf::Video.id()), "{changed:?}");
        assert_eq!(lib.subtitles(movie).len(), 4);

        // Removed, it is gone; a subtitle nobody matches changes no container.
        assert_eq!(lib.remove_path(0, "Films/movie.srt").unwrap(), 0);
        assert_eq!(names(&lib, movie), ["Movie.en.srt", "movie.ass", "movie.fr.vtt"]);
        let _ = lib.take_container_updates();
        lib.insert_file(0, "Films/nobody.srt", FILE).unwrap();
        assert!(lib.take_container_updates().is_empty());

        // A folder that goes takes its subtitles along; one that comes back starts empty.
        lib.remove_path(0, "Films").unwrap();
        let movie = lib.insert_file(0, "Films/movie.mkv", FILE).unwrap().unwrap();
        assert!(names(&lib, movie).is_empty());
        // Not shown in Browse.
        let spec = SortSpec::parse("").unwrap();
        let folder = lib.lookup_path(0, "Films").unwrap();
        assert_eq!(lib.children(folder, &spec).unwrap().len(), 1);
    }

    #[test]
    fn bounded_per_video_and_per_folder() {
        let mut lib = Library::new();
        lib.add_root(0, "root").unwrap();
        let movie = lib.insert_file(0, "m.mkv", FILE).unwrap().unwrap();
        for i in 0..MAX_PER_FOLDER + 10 {
            lib.insert_file(0, &alloc::format!("m.t{i:03}.srt"), FILE).unwrap();
        }
        assert_eq!(lib.subtitles(movie).len(), MAX_SUBTITLES);
        let root = lib.lookup_path(0, "").unwrap();
        assert_eq!(lib.sidecars.of(root).len(), MAX_PER_FOLDER);
        // Images and audio have none.
        let song = lib.insert_file(0, "m.ogg", FILE).unwrap().unwrap();
        assert!(lib.subtitles(song).is_empty());
    }
}
