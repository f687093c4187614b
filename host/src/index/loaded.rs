//! What a load of the index held, by path, kept for the check against the disk that follows.
//!
//! The check looks each walked folder and file up once ([`Loaded::take`]) and, at its end,
//! removes from the library what it never found ([`Loaded::gone`]). A map of one `String` per
//! path held about 120 bytes a row in two heap blocks each, allocated between the library's
//! own blocks as both were loaded; here every path's text is in one buffer and every row is
//! a 24-byte record in one list, sorted by served folder and path and searched by bisection:
//! about 70 bytes a row (the path's text and its record) in two large blocks, all given back
//! at once when the check ends.
//!
//! Bounds: the text of all paths is at most `u32::MAX` bytes (about 80 million paths of 50
//! bytes); a path that would not fit is not kept, so the check reads that file again and
//! never removes it as gone (it is, at worst, checked like a new file).

/// One row of the index: where its path's text is, and what it was.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// The path's text: `text[start..start + len]`.
    start: u32,
    len: u32,
    /// The file's inode (unused for a folder).
    inode: u64,
    /// The served folder's slot.
    root: u16,
    /// A file (else a folder).
    file: bool,
    /// Found by the check already ([`Loaded::take`]).
    seen: bool,
}

/// The paths a load of the index held, by served folder slot, with each file's inode (see
/// the module docs).
#[derive(Debug, Default)]
pub struct Loaded {
    text: String,
    rows: Vec<Row>,
}

impl Loaded {
    /// Adds the row of `path` under served folder `root`: a file with its `inode`, or a
    /// folder (`None`). Call [`Loaded::finish`] after the last one, before any lookup.
    pub fn push(&mut self, root: u16, path: &str, inode: Option<u64>) {
        let (Ok(start), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(path.len()))
        else {
            return;
        };
        if start.checked_add(len).is_none() {
            return;
        }
        self.text.push_str(path);
        let (file, inode) = (inode.is_some(), inode.unwrap_or(0));
        self.rows.push(Row { start, len, inode, root, file, seen: false });
    }

    /// Sorts the rows for lookups (the load gives them in that order already, so this is one
    /// pass) and gives back the lists' spare room.
    pub fn finish(&mut self) {
        let text = &self.text;
        self.rows.sort_by(|a, b| (a.root, path_of(text, a)).cmp(&(b.root, path_of(text, b))));
        self.text.shrink_to_fit();
        self.rows.shrink_to_fit();
    }

    /// How many rows were loaded.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True if nothing was loaded.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// What the index held at `path` under `root` and the check has not found yet: a file's
    /// inode, or `None` for a folder; `None` (outer) if nothing.
    pub fn get(&self, root: u16, path: &str) -> Option<Option<u64>> {
        let row = self.rows.get(self.find(root, path)?)?;
        (!row.seen).then_some(row.file.then_some(row.inode))
    }

    /// As [`Loaded::get`], and marks `path` found: it is no longer gone, nor found again.
    pub fn take(&mut self, root: u16, path: &str) -> Option<Option<u64>> {
        let at = self.find(root, path)?;
        let row = self.rows.get_mut(at)?;
        if row.seen {
            return None;
        }
        row.seen = true;
        Some(row.file.then_some(row.inode))
    }

    /// The rows not found in the served folders `scanned`, topmost only (removing a folder
    /// removes what is below it), by slot and path; and the slots of the other served folders
    /// that still had some.
    pub fn gone(
        &self,
        scanned: &std::collections::HashSet<u16>,
    ) -> (Vec<(u16, String)>, std::collections::BTreeSet<u16>) {
        let mut kept = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for row in self.rows.iter().filter(|row| !row.seen) {
            if !scanned.contains(&row.root) {
                kept.insert(row.root);
                continue;
            }
            let path = path_of(&self.text, row);
            let mut above = path;
            let mut topmost = true;
            while let Some((parent, _)) = above.rsplit_once('/') {
                if self.get(row.root, parent).is_some() {
                    topmost = false;
                    break;
                }
                above = parent;
            }
            if topmost {
                out.push((row.root, path.to_string()));
            }
        }
        (out, kept)
    }

    /// The row of `path` under `root`, by bisection.
    fn find(&self, root: u16, path: &str) -> Option<usize> {
        let text = &self.text;
        self.rows.binary_search_by(|row| (row.root, path_of(text, row)).cmp(&(root, path))).ok()
    }
}

/// The text of `row`'s path (empty if out of `text`, which [`Loaded::push`] never makes).
fn path_of<'a>(text: &'a str, row: &Row) -> &'a str {
    let start = row.start as usize;
    text.get(start..start.saturating_add(row.len as usize)).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_found_once_whatever_their_order_of_arrival() {
        let mut loaded = Loaded::default();
        loaded.push(1, "b/x.ogg", Some(9));
        loaded.push(0, "a", None);
        loaded.push(0, "a/c.flac", Some(7));
        loaded.push(0, "a b.ogg", Some(8));
        loaded.finish();
        assert_eq!(loaded.len(), 4);
        assert_eq!(loaded.get(0, "a"), Some(None));
        assert_eq!(loaded.get(0, "a/c.flac"), Some(Some(7)));
        assert_eq!(loaded.get(1, "a/c.flac"), None, "another served folder");
        assert_eq!(loaded.get(0, "a/c"), None);
        assert_eq!(loaded.take(1, "b/x.ogg"), Some(Some(9)));
        assert_eq!(loaded.take(1, "b/x.ogg"), None, "found once");
        assert_eq!(loaded.get(1, "b/x.ogg"), None);
        assert_eq!(loaded.len(), 4, "the count is of rows loaded");
    }

    #[test]
    fn only_the_topmost_of_what_is_gone_is_removed() {
        let mut loaded = Loaded::default();
        for (root, path, inode) in [
            (0, "a", None),
            (0, "a/b", None),
            (0, "a/b/c.ogg", Some(1)),
            (0, "a b.ogg", Some(2)),
            (0, "ab/c.ogg", Some(3)),
            (0, "seen/d.ogg", Some(4)),
            (1, "a/d.ogg", Some(4)),
            (2, "x.ogg", Some(5)),
            (2, "y", None),
        ] {
            loaded.push(root, path, inode);
        }
        loaded.finish();
        loaded.take(0, "seen/d.ogg");
        let (gone, kept) = loaded.gone(&[0, 1].into());
        assert_eq!(
            gone,
            [
                (0, "a".to_string()),
                (0, "a b.ogg".to_string()),
                (0, "ab/c.ogg".to_string()),
                (1, "a/d.ogg".to_string())
            ]
        );
        assert_eq!(kept, [2].into(), "a served folder found empty keeps its entries");
    }
}
