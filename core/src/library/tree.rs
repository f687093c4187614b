//! [`Library`]: the object tree and its operations.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use super::id::PathHash;
use super::sort::default_order;
use super::{
    Container, Details, Error, FileInfo, Item, Node, Object, ObjectId, SortSpec, MAX_PROBES,
};
use crate::dlna::MediaFormat;

/// The most components a relative path may have.
pub const MAX_PATH_DEPTH: usize = 64;

type Components<'a> = heapless::Vec<&'a str, MAX_PATH_DEPTH>;

/// The library: every object by id, and the system update id.
#[derive(Debug, Clone)]
pub struct Library {
    objects: BTreeMap<ObjectId, Object>,
    system_update_id: u32,
    limit: usize,
    /// Containers whose update id changed since the last [`Library::take_container_updates`].
    changed: BTreeSet<ObjectId>,
}

/// Where an object lives on disk, as the shell resolves it: a served folder's index and the
/// path relative to it. [`fmt::Display`] writes the relative path with `/` separators (empty for
/// a served folder itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef<'a> {
    /// The served folder's index, as given to [`Library::add_root`].
    pub root: u16,
    components: Components<'a>,
}

impl<'a> FileRef<'a> {
    /// The path components from the served folder down.
    pub fn components(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.components.iter().copied()
    }
}

impl fmt::Display for FileRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(c)?;
        }
        Ok(())
    }
}

/// Splits a relative path into validated components (`""` is the served folder itself).
fn components(rel: &str) -> Result<Components<'_>, Error> {
    let mut out = Components::new();
    if rel.is_empty() {
        return Ok(out);
    }
    for c in rel.split('/') {
        if c.is_empty() || c == "." || c == ".." || c.contains('\0') {
            return Err(Error::BadPath);
        }
        out.push(c).map_err(|_| Error::PathTooDeep)?;
    }
    Ok(out)
}

fn is_hidden(comps: &[&str]) -> bool {
    comps.iter().any(|c| c.starts_with('.'))
}

fn new_container(root: Option<u16>) -> Node {
    Node::Container(Container { children: Vec::new(), update_id: 0, sorted: true, root })
}

impl Default for Library {
    fn default() -> Self {
        Library::new()
    }
}

impl Library {
    /// An empty library (just the root container) without a size limit.
    pub fn new() -> Self {
        Library::with_limit(usize::MAX)
    }

    /// An empty library that refuses to grow past `max_objects` objects ([`Error::Full`]);
    /// firmware uses this to bound its heap.
    pub fn with_limit(max_objects: usize) -> Self {
        let root =
            Object { parent: ObjectId::ROOT, name: "root".into(), node: new_container(None) };
        let mut objects = BTreeMap::new();
        objects.insert(ObjectId::ROOT, root);
        Library { objects, system_update_id: 0, limit: max_objects, changed: BTreeSet::new() }
    }

    /// The number of objects, the root included.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether only the root exists.
    pub fn is_empty(&self) -> bool {
        self.objects.len() <= 1
    }

    /// The SystemUpdateID: increases (wrapping) on every change.
    pub fn system_update_id(&self) -> u32 {
        self.system_update_id
    }

    /// The object with this id.
    pub fn get(&self, id: ObjectId) -> Option<&Object> {
        self.objects.get(&id)
    }

    /// Adds (or renames) served folder number `root`, shown as `name` under the root container.
    pub fn add_root(&mut self, root: u16, name: &str) -> Result<ObjectId, Error> {
        let state = PathHash::new(root);
        if let Some(id) = self.find(state, root, &[]) {
            if let Some(obj) = self.objects.get_mut(&id) {
                if *obj.name != *name {
                    obj.name = name.into();
                    self.touch_child(ObjectId::ROOT, false);
                    self.bump_system();
                }
            }
            return Ok(id);
        }
        let id = self.create(ObjectId::ROOT, state, name, new_container(Some(root)))?;
        self.bump_system();
        Ok(id)
    }

    /// Adds the folder at `rel` under served folder `root` (and any missing folders above it).
    /// Returns its id, or `None` if a component is hidden (starts with `.`). A file at that path
    /// is replaced.
    pub fn insert_folder(&mut self, root: u16, rel: &str) -> Result<Option<ObjectId>, Error> {
        let comps = components(rel)?;
        if is_hidden(&comps) {
            return Ok(None);
        }
        let before = self.objects.len();
        let (id, _) = self.ensure_folders(root, &comps)?;
        if self.objects.len() != before {
            self.bump_system();
        }
        Ok(Some(id))
    }

    /// Adds or updates the file at `rel` under served folder `root`, creating missing folders.
    /// Returns its id, or `None` if the file is not media (by extension) or a component is
    /// hidden. Updating an existing file with a different size or mtime clears its
    /// [`Details`]; a folder at that path is replaced.
    pub fn insert_file(
        &mut self,
        root: u16,
        rel: &str,
        file: FileInfo,
    ) -> Result<Option<ObjectId>, Error> {
        let comps = components(rel)?;
        let Some((&name, dirs)) = comps.split_last() else { return Err(Error::BadPath) };
        let Some(format) = MediaFormat::from_file_name(name) else { return Ok(None) };
        if is_hidden(&comps) {
            return Ok(None);
        }
        let (parent, state) = self.ensure_folders(root, dirs)?;
        let state = state.push(dirs.is_empty(), name);
        let node = Node::Item(Item { format, file, details: Details::default() });
        if let Some(id) = self.find(state, root, &comps) {
            let Some(obj) = self.objects.get_mut(&id) else { return Err(Error::NotFound) };
            match &mut obj.node {
                Node::Item(item) if item.file == file && item.format == format => {
                    return Ok(Some(id))
                }
                Node::Item(_) => {
                    obj.node = node;
                    self.touch_child(parent, false);
                    self.bump_system();
                    return Ok(Some(id));
                }
                Node::Container(_) => {
                    self.detach(id);
                }
            }
        }
        let id = self.create(parent, state, name, node)?;
        self.bump_system();
        Ok(Some(id))
    }

    /// Sets what reading an item's file revealed (duration, audio properties, tags).
    pub fn set_details(&mut self, id: ObjectId, details: Details) -> Result<(), Error> {
        let obj = self.objects.get_mut(&id).ok_or(Error::NotFound)?;
        let Node::Item(item) = &mut obj.node else { return Err(Error::NotAnItem) };
        if item.details == details {
            return Ok(());
        }
        let old_title = item.tags().and_then(|t| t.title.clone());
        let retitled =
            old_title.as_deref() != details.tags.as_ref().and_then(|t| t.title.as_deref());
        item.details = details;
        let parent = obj.parent;
        self.touch_child(parent, retitled);
        self.bump_system();
        Ok(())
    }

    /// Removes the file or folder (with everything below it) at `rel` under served folder
    /// `root`; `""` removes the served folder itself. Returns how many objects were removed
    /// (0 if nothing was there).
    pub fn remove_path(&mut self, root: u16, rel: &str) -> Result<usize, Error> {
        let comps = components(rel)?;
        let mut state = PathHash::new(root);
        for (i, c) in comps.iter().enumerate() {
            state = state.push(i == 0, c);
        }
        let Some(id) = self.find(state, root, &comps) else { return Ok(0) };
        let removed = self.detach(id);
        self.bump_system();
        Ok(removed)
    }

    /// The id of the object at `rel` under served folder `root`, if present.
    pub fn lookup_path(&self, root: u16, rel: &str) -> Option<ObjectId> {
        let comps = components(rel).ok()?;
        let mut state = PathHash::new(root);
        for (i, c) in comps.iter().enumerate() {
            state = state.push(i == 0, c);
        }
        self.find(state, root, &comps)
    }

    /// Where the object lives on disk; `None` for the root container and unknown ids.
    pub fn file_ref(&self, id: ObjectId) -> Option<FileRef<'_>> {
        let mut components = Components::new();
        let mut cur = id;
        // Each step moves one level up; paths are at most MAX_PATH_DEPTH deep.
        for _ in 0..=MAX_PATH_DEPTH {
            let obj = self.objects.get(&cur)?;
            if cur == ObjectId::ROOT {
                return None;
            }
            if let Node::Container(Container { root: Some(root), .. }) = obj.node {
                components.reverse();
                return Some(FileRef { root, components });
            }
            components.push(&obj.name).ok()?;
            cur = obj.parent;
        }
        None
    }

    /// The children of container `id` in the order of `spec`.
    ///
    /// Borrowed from the library when `spec` is the default order and the container is already
    /// in it; otherwise a sorted copy (`O(k log k)` for `k` children).
    pub fn children(&self, id: ObjectId, spec: &SortSpec) -> Result<Cow<'_, [ObjectId]>, Error> {
        let obj = self.objects.get(&id).ok_or(Error::NotFound)?;
        let container = obj.as_container().ok_or(Error::NotAContainer)?;
        if spec.is_default() && container.sorted {
            return Ok(Cow::Borrowed(&container.children));
        }
        Ok(Cow::Owned(self.sorted(&container.children, spec)))
    }

    /// Puts every container's children into the default order, so later default-order browses
    /// borrow instead of sorting. Call after a scan; correctness never depends on it.
    pub fn tidy(&mut self) {
        let unsorted: Vec<ObjectId> = self
            .objects
            .iter()
            .filter(|(_, o)| matches!(&o.node, Node::Container(c) if !c.sorted))
            .map(|(&id, _)| id)
            .collect();
        for id in unsorted {
            let Some(children) = self
                .get(id)
                .and_then(Object::as_container)
                .map(|c| self.sorted(&c.children, &SortSpec::default()))
            else {
                continue;
            };
            if let Some(Node::Container(c)) = self.objects.get_mut(&id).map(|o| &mut o.node) {
                c.children = children;
                c.sorted = true;
            }
        }
    }

    /// `ids` in the order of `spec`, ties in their order in `ids` (a stable sort); ids not in
    /// the library are left out.
    pub(crate) fn sorted(&self, ids: &[ObjectId], spec: &SortSpec) -> Vec<ObjectId> {
        // Resolve each id once, so sorting does no map lookups. Every caller shares this one
        // sort, with the position as the last key rather than a stable sort: each instance of
        // the standard library's sorts costs the firmware several KB of flash (issue 5).
        let mut resolved: Vec<(usize, ObjectId, &Object)> = ids
            .iter()
            .enumerate()
            .filter_map(|(at, &id)| Some((at, id, self.objects.get(&id)?)))
            .collect();
        resolved.sort_unstable_by(|a, b| spec.compare(a.2, b.2).then(a.0.cmp(&b.0)));
        resolved.into_iter().map(|(_, id, _)| id).collect()
    }

    fn bump_system(&mut self) {
        self.system_update_id = self.system_update_id.wrapping_add(1);
    }

    /// Records that a child of `parent` changed: bumps its update id, and marks it unsorted if
    /// the child's place in the default order may have moved.
    fn touch_child(&mut self, parent: ObjectId, reorder: bool) {
        if let Some(Node::Container(c)) = self.objects.get_mut(&parent).map(|o| &mut o.node) {
            c.update_id = c.update_id.wrapping_add(1);
            c.sorted &= !reorder;
            self.changed.insert(parent);
        }
    }

    /// The containers whose update id changed since the last call, with their current update
    /// ids, in id order; containers removed meanwhile are left out. This is the content of the
    /// evented `ContainerUpdateIDs` variable (`id,updateID,id,updateID`). The set is bounded by
    /// the number of containers.
    pub fn take_container_updates(&mut self) -> Vec<(ObjectId, u32)> {
        let changed = core::mem::take(&mut self.changed);
        changed
            .into_iter()
            .filter_map(|id| Some((id, self.get(id)?.as_container()?.update_id())))
            .collect()
    }

    /// Whether object `id` is at `comps` under served folder `root`.
    fn path_matches(&self, id: ObjectId, root: u16, comps: &[&str]) -> bool {
        let mut cur = id;
        for comp in comps.iter().rev() {
            let Some(obj) = self.objects.get(&cur) else { return false };
            let served = matches!(obj.node, Node::Container(Container { root: Some(_), .. }));
            if served || cur == ObjectId::ROOT || *obj.name != **comp {
                return false;
            }
            cur = obj.parent;
        }
        matches!(
            self.objects.get(&cur).map(|o| &o.node),
            Some(Node::Container(Container { root: Some(r), .. })) if *r == root
        )
    }

    /// The existing object for a path whose hash state is `state`.
    fn find(&self, state: PathHash, root: u16, comps: &[&str]) -> Option<ObjectId> {
        (0..MAX_PROBES).map(|p| state.candidate(p)).find(|&id| {
            id != ObjectId::ROOT
                && self.objects.contains_key(&id)
                && self.path_matches(id, root, comps)
        })
    }

    /// Finds or creates the folders `comps` under served folder `root`; returns the deepest
    /// one's id and hash state.
    fn ensure_folders(&mut self, root: u16, comps: &[&str]) -> Result<(ObjectId, PathHash), Error> {
        let mut state = PathHash::new(root);
        let mut parent = self.find(state, root, &[]).ok_or(Error::UnknownRoot)?;
        for (i, &name) in comps.iter().enumerate() {
            state = state.push(i == 0, name);
            let prefix = comps.get(..=i).ok_or(Error::BadPath)?;
            parent = match self.find(state, root, prefix) {
                Some(id) if self.objects.get(&id).is_some_and(|o| o.as_container().is_some()) => id,
                Some(item) => {
                    self.detach(item);
                    self.create(parent, state, name, new_container(None))?
                }
                None => self.create(parent, state, name, new_container(None))?,
            };
        }
        Ok((parent, state))
    }

    /// Inserts a new object under `parent` with the first free id candidate of `state`.
    fn create(
        &mut self,
        parent: ObjectId,
        state: PathHash,
        name: &str,
        node: Node,
    ) -> Result<ObjectId, Error> {
        if self.objects.len() >= self.limit {
            return Err(Error::Full);
        }
        let id = (0..MAX_PROBES)
            .map(|p| state.candidate(p))
            .find(|id| *id != ObjectId::ROOT && !self.objects.contains_key(id))
            .ok_or(Error::IdCollision)?;
        let object = Object { parent, name: Box::from(name), node };
        let parent_obj = self.objects.get(&parent).ok_or(Error::NotFound)?;
        let Node::Container(siblings) = &parent_obj.node else { return Err(Error::NotAContainer) };
        let in_order = siblings
            .children
            .last()
            .and_then(|last| self.objects.get(last))
            .is_none_or(|last| default_order(last, &object) != Ordering::Greater);
        self.objects.insert(id, object);
        if let Some(Node::Container(c)) = self.objects.get_mut(&parent).map(|o| &mut o.node) {
            c.children.push(id);
        }
        self.touch_child(parent, !in_order);
        Ok(id)
    }

    /// Removes `id` and everything below it; returns how many objects went.
    fn detach(&mut self, id: ObjectId) -> usize {
        if id == ObjectId::ROOT {
            return 0;
        }
        let Some(parent) = self.objects.get(&id).map(|o| o.parent) else { return 0 };
        if let Some(Node::Container(c)) = self.objects.get_mut(&parent).map(|o| &mut o.node) {
            c.children.retain(|&child| child != id);
        }
        self.touch_child(parent, false);
        let mut removed = 0;
        let mut stack = alloc::vec![id];
        while let Some(cur) = stack.pop() {
            if let Some(obj) = self.objects.remove(&cur) {
                removed += 1;
                if let Node::Container(c) = obj.node {
                    stack.extend(c.children);
                }
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests;
