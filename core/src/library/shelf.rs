//! [`Shelf`]: the fixed containers every library has, at fixed small ids.

use super::ObjectId;

/// A fixed container. The ids are small constants (hashed ids are never that small, and any
/// collision is probed around like every other), chosen to match the container ids the Xbox 360
/// and Windows Media Player search without browsing first (MiniDLNA's numbering: `4` all
/// music, `5` genres, `6` artists, `7` albums); they never change.
///
/// ```text
/// 0 root
/// ├── 1 Music
/// │   ├── 6 Artists ── artist ── album ── tracks
/// │   ├── 7 Albums ── album ── tracks
/// │   ├── 5 Genres ── genre ── tracks
/// │   └── 4 All Tracks ── tracks
/// ├── 2 Video ── every video
/// ├── 3 Pictures ── every picture
/// ├── 65 Playlists ── every playlist ── its items
/// └── 64 Folders ── served folder ── folders and files (and playlists)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Shelf {
    /// The root container, `0`.
    Root,
    /// Music: artists, albums, genres and all tracks.
    Music,
    /// Every video file.
    Video,
    /// Every picture.
    Pictures,
    /// Every playlist file, each holding the items it names.
    Playlists,
    /// Every served folder, as on disk.
    Folders,
    /// Album artists; each holds its albums.
    Artists,
    /// Every album.
    Albums,
    /// Genres; each holds its tracks.
    Genres,
    /// Every audio file.
    AllTracks,
}

impl Shelf {
    /// Every shelf, parents before children, siblings in listing order.
    pub const ALL: [Shelf; 10] = [
        Shelf::Root,
        Shelf::Music,
        Shelf::Video,
        Shelf::Pictures,
        Shelf::Playlists,
        Shelf::Folders,
        Shelf::Artists,
        Shelf::Albums,
        Shelf::Genres,
        Shelf::AllTracks,
    ];

    /// The shelf's object id.
    pub const fn id(self) -> ObjectId {
        ObjectId(match self {
            Shelf::Root => 0,
            Shelf::Music => 1,
            Shelf::Video => 2,
            Shelf::Pictures => 3,
            Shelf::AllTracks => 4,
            Shelf::Genres => 5,
            Shelf::Artists => 6,
            Shelf::Albums => 7,
            Shelf::Folders => 0x64,
            Shelf::Playlists => 0x65,
        })
    }

    /// The shelf with this id.
    pub fn from_id(id: ObjectId) -> Option<Shelf> {
        Shelf::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The title shown to players.
    pub const fn title(self) -> &'static str {
        match self {
            Shelf::Root => "root",
            Shelf::Music => "Music",
            Shelf::Video => "Video",
            Shelf::Pictures => "Pictures",
            Shelf::Playlists => "Playlists",
            Shelf::Folders => "Folders",
            Shelf::Artists => "Artists",
            Shelf::Albums => "Albums",
            Shelf::Genres => "Genres",
            Shelf::AllTracks => "All Tracks",
        }
    }

    /// The containing shelf (the root's is the root).
    pub const fn parent(self) -> Shelf {
        match self {
            Shelf::Root
            | Shelf::Music
            | Shelf::Video
            | Shelf::Pictures
            | Shelf::Playlists
            | Shelf::Folders => Shelf::Root,
            Shelf::Artists | Shelf::Albums | Shelf::Genres | Shelf::AllTracks => Shelf::Music,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_parents_come_first() {
        for (i, s) in Shelf::ALL.iter().enumerate() {
            assert_eq!(Shelf::from_id(s.id()), Some(*s));
            let parent = Shelf::ALL.iter().position(|p| *p == s.parent()).unwrap();
            assert!(parent < i || *s == Shelf::Root);
        }
        assert_eq!(Shelf::Root.id(), ObjectId::ROOT);
        assert_eq!(Shelf::from_id(ObjectId(8)), None);
    }
}
