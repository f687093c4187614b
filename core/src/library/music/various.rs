//! The compilation guess: an album whose tracks name several artists is filed under "Various
//! Artists" even when no tag says it is a compilation.
//!
//! The rule: tracks that take their album artist from `ARTIST` (no `ALBUMARTIST`, not marked
//! `COMPILATION`; see [`super`]) form a group per folder and album title. A group whose tracks
//! name two or more different artists is one album under [`VARIOUS_ARTISTS`]; a group of one
//! artist stays under that artist. So a folder holding a various-artists sampler without album
//! artist tags is one album, not one album per artist, while the same album title in another
//! folder (another artist's record of that name) stays apart. Tracks with an album artist or
//! the compilation flag, and tracks missing an album or artist tag, are not in any group.
//!
//! The library keeps each group's artists with their track counts, and each group's number
//! of different artists ([`Groups`]), so where a track belongs is known in `O(log n)`; only
//! when a group turns from one artist to several or back are its other tracks filed again
//! (`O(folder)`).

use alloc::vec::Vec;

use super::{present, Before};
use crate::dlna::MediaKind;
use crate::library::id::PathHash;
use crate::library::idmap::IdMap;
use crate::library::store::SlotNo;
use crate::library::tree::Found;
use crate::library::{Error, Library, ObjectId, ObjectRef, Tag};

/// A folder and the key of its group (its folder and album title, see [`group_key`]).
type Key = (ObjectId, ObjectId);

/// The groups in one map of 64-bit FNV-1a keys (as unlikely to collide as object ids): for
/// each (folder, album, artist) how many of the group's tracks name that artist, and for each
/// (folder, album) how many different artists its tracks name (counts stay far below
/// `u32::MAX`, as [`IdMap`] needs). The names table has this map type, so the firmware
/// carries no second map type for the groups (issue 5: at most 256 KiB of flash).
pub(crate) type Groups = IdMap;

/// The key of a group's number of artists.
fn group_key(folder: ObjectId, album: &str) -> ObjectId {
    let folder = folder.hex();
    PathHash::tag("group", &[folder.as_str(), album]).candidate(0)
}

/// The key of the number of a group's tracks naming `artist`.
fn artist_key(folder: ObjectId, album: &str, artist: &str) -> ObjectId {
    let folder = folder.hex();
    PathHash::tag("group artist", &[folder.as_str(), album, artist]).candidate(0)
}

/// Adds `delta` (1 or -1) to the count at `key`; a count that reaches 0 leaves the map.
/// Returns the new count.
fn add(groups: &mut Groups, key: ObjectId, delta: i32) -> u32 {
    let count = groups.get(&key).unwrap_or(0).saturating_add_signed(delta).min(u32::MAX - 1);
    if count == 0 {
        groups.remove(&key);
    } else {
        groups.insert(key, count);
    }
    count
}

/// A track of a group: its group and the key of its artist's count in it (album and artist
/// trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    key: Key,
    artist: ObjectId,
}

/// A group whose guess flipped, and whether it was various artists before.
pub(crate) struct Flip {
    key: Key,
    was_various: bool,
}

/// The group `obj` is in, if it is a track filed by its own artist.
pub(crate) fn member(obj: ObjectRef<'_>) -> Option<Member> {
    let item = obj.as_item()?;
    if item.format.kind() != MediaKind::Audio {
        return None;
    }
    if item.compilation() || present(obj, item.name(Tag::AlbumArtist)).is_some() {
        return None;
    }
    let text = |tag| present(obj, item.name(tag)).map(|id| obj.name_text(id).trim());
    let (album, artist) = (text(Tag::Album)?, text(Tag::Artist)?);
    let folder = obj.parent();
    let key = (folder, group_key(folder, album));
    Some(Member { key, artist: artist_key(folder, album, artist) })
}

impl Library {
    fn is_various(&self, key: &Key) -> bool {
        self.groups.get(&key.1).is_some_and(|artists| artists >= 2)
    }

    /// Whether `obj` is a track of a group of several artists.
    pub(crate) fn guessed_various(&self, obj: ObjectRef<'_>) -> bool {
        member(obj).is_some_and(|m| self.is_various(&m.key))
    }

    /// Moves the item in slot `slot` in the groups from `old` (before it changed) to where it
    /// is now; returns the groups whose guess flipped, and whether the item is now guessed
    /// to be part of a compilation ([`Library::guessed_various`]).
    pub(crate) fn regroup(&mut self, slot: SlotNo, old: Option<Member>) -> (Vec<Flip>, bool) {
        let new = self.objects.at(slot).and_then(member);
        let key = new.as_ref().map(|m| m.key);
        let flips = if new == old {
            Vec::new()
        } else {
            self.change_groups(old.into_iter().collect(), new.into_iter().collect())
        };
        (flips, key.is_some_and(|key| self.is_various(&key)))
    }

    /// Takes the tracks among `gone` (about to be removed) out of their groups; returns the
    /// groups whose guess flipped.
    pub(crate) fn ungroup(&mut self, gone: &[ObjectId]) -> Vec<Flip> {
        let members = gone.iter().filter_map(|id| self.objects.get(id).and_then(member));
        self.change_groups(members.collect(), Vec::new())
    }

    /// Takes `leaving` out of their groups and puts `joining` in; returns the groups whose
    /// guess flipped.
    fn change_groups(&mut self, leaving: Vec<Member>, joining: Vec<Member>) -> Vec<Flip> {
        // The groups touched, each once, in order, with their guess before.
        let mut keys: Vec<Key> = leaving.iter().chain(&joining).map(|m| m.key).collect();
        crate::util::heapsort::sort_unstable_by(&mut keys, Ord::cmp);
        keys.dedup();
        let was: Vec<(Key, bool)> = keys
            .into_iter()
            .map(|key| {
                let various = self.is_various(&key);
                (key, various)
            })
            .collect();
        for m in leaving {
            // The artist's last track in the group: one artist fewer.
            if self.groups.contains_key(&m.artist) && add(&mut self.groups, m.artist, -1) == 0 {
                add(&mut self.groups, m.key.1, -1);
            }
        }
        for m in joining {
            // The artist's first track in the group: one artist more.
            if add(&mut self.groups, m.artist, 1) == 1 {
                add(&mut self.groups, m.key.1, 1);
            }
        }
        was.into_iter()
            .filter(|(key, was_various)| self.is_various(key) != *was_various)
            .map(|(key, was_various)| Flip { key, was_various })
            .collect()
    }

    /// Files the tracks of each flipped group again, except `except` (which the caller files).
    pub(crate) fn refile(&mut self, flips: Vec<Flip>, except: ObjectId) -> Result<(), Error> {
        for flip in flips {
            let Some(folder) = self.objects.get(&flip.key.0).and_then(ObjectRef::as_container)
            else {
                continue;
            };
            let tracks: Vec<(Found, Before)> = folder
                .children
                .iter()
                .filter_map(|&slot| {
                    let obj = self.objects.at(slot)?;
                    let m = member(obj).filter(|m| m.key == flip.key)?;
                    let id = Some(obj.id()).filter(|&id| id != except)?;
                    Some((Found { id, slot }, self.before_as(obj, flip.was_various, Some(m))?))
                })
                .collect();
            for (track, before) in tracks {
                self.relist(track, Some(before))?;
            }
        }
        Ok(())
    }
}
