//! ContentDirectory:1: Browse, Search and the capability queries, over a [`Library`].
//!
//! Browse reads `ObjectID` (or `ContainerID`, which the Xbox 360 sends instead), `BrowseFlag`,
//! `Filter`, `StartingIndex`, `RequestedCount` (0 = all) and `SortCriteria`. Missing optional
//! arguments are taken as `*`, 0, 0 and "" (some control points omit them); a missing object id
//! or flag, a bad flag or a non-numeric index or count is 402. An id Rill never issued is 701,
//! unsupported sort criteria 709. BrowseDirectChildren on an item is 710 (no such container):
//! CDS:1 defines no Browse-specific code for it, and 710 says exactly what is wrong. UpdateID is
//! the container's update id for containers and the SystemUpdateID for items.
//!
//! Search (containers only, else 710) walks the container's subtree depth-first and returns
//! every object below it that matches; see [`super::search`]. The Xbox 360 searches fixed
//! containers of its own (`4` all music, `7` albums, `F` folders, ... : one hex digit); such an
//! id that is not a Rill object is searched as the root, and its criteria (`upnp:class
//! derivedfrom ...`) pick the items.
//!
//! Samsung players also get `X_GetFeatureList` and `X_SetBookmark` ([`super::samsung`]) and
//! their bookmarks in Browse and Search answers.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::bookmarks::Bookmarks;
use super::control::Ctx;
use super::didl::{Document, Filter};
use super::samsung;
use super::search::{self, Criteria};
use super::soap::{ErrorCode, Fault, Request, Response, Value};
use crate::library::{Library, List, ObjectId, SlotNo, SortField, SortSpec};
use crate::xml::Render;

/// Answers a ContentDirectory request.
///
/// Samsung's actions ([`samsung`]) are answered for players with
/// [`Quirks::samsung_extensions`](crate::player::Quirks::samsung_extensions), and 401 for
/// others; those players' Browse and Search answers carry their `bookmarks`.
pub fn handle<'a>(
    request: Request<'a>,
    library: &'a Library,
    bookmarks: &'a mut Bookmarks,
    ctx: &Ctx<'a>,
) -> Result<Response<'a>, Fault> {
    let action = request.action.name;
    let samsung = ctx.quirks.samsung_extensions;
    if samsung && samsung::SCPD.action(action).is_some() {
        return samsung::handle(&request, library, bookmarks);
    }
    let bookmarks: Option<&'a Bookmarks> = samsung.then_some(bookmarks);
    let args = match action {
        "Browse" => return browse(request, library, bookmarks, ctx),
        "Search" => return search(request, library, bookmarks, ctx),
        "GetSystemUpdateID" => vec![("Id", Value::Unsigned(library.system_update_id()))],
        "GetSearchCapabilities" => vec![("SearchCaps", Value::Text(search::CAPABILITIES.into()))],
        "GetSortCapabilities" => vec![("SortCaps", Value::Text(sort_capabilities().into()))],
        _ => return Err(Fault(ErrorCode::InvalidAction)),
    };
    Ok(Response { service: request.service, action, args })
}

/// The GetSortCapabilities answer: every property [`SortSpec`] understands.
pub fn sort_capabilities() -> String {
    let names: Vec<&str> = SortField::PROPERTIES.iter().map(|(name, _)| *name).collect();
    names.join(",")
}

fn number(value: Option<&str>) -> Result<usize, Fault> {
    match value.map(str::trim) {
        None | Some("") => Ok(0),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(Fault(ErrorCode::InvalidArgs)),
    }
}

/// The arguments Browse and Search share.
struct Listing<'a> {
    id: ObjectId,
    start: usize,
    count: usize,
    sort: SortSpec,
    filter: Filter<'a>,
    /// The bookmarks to show, for players that read them.
    bookmarks: Option<&'a Bookmarks>,
}

impl<'a> Listing<'a> {
    fn read(
        request: &mut Request<'a>,
        id_args: &[&str],
        library: &Library,
        xbox_aliases: bool,
        bookmarks: Option<&'a Bookmarks>,
    ) -> Result<Self, Fault> {
        let text = id_args
            .iter()
            .find_map(|name| request.arg(name))
            .ok_or(Fault(ErrorCode::InvalidArgs))?
            .trim();
        let known = ObjectId::parse(text).filter(|id| library.get(*id).is_some());
        let xbox = xbox_aliases && text.len() == 1 && text.bytes().all(|b| b.is_ascii_hexdigit());
        let id = match known {
            Some(id) => id,
            None if xbox => ObjectId::ROOT,
            None => return Err(Fault(ErrorCode::NoSuchObject)),
        };
        let start = number(request.arg("StartingIndex"))?;
        let count = number(request.arg("RequestedCount"))?;
        let sort = SortSpec::parse(request.arg("SortCriteria").unwrap_or(""))
            .map_err(|_| Fault(ErrorCode::BadSortCriteria))?;
        let filter = Filter::parse(request.take_arg("Filter").unwrap_or(Cow::Borrowed("*")));
        Ok(Listing { id, start, count, sort, filter, bookmarks })
    }

    /// Pages `objects` and builds the four-argument response, cut to the longest prefix of the page
    /// that fits [`Ctx::answer_budget`] (at least one object: the server refuses an answer that
    /// is still too large); `listed_in` is the container whose children they are (for Browse),
    /// which they render as their parent.
    fn respond(
        self,
        request: &Request<'a>,
        library: &'a Library,
        ctx: &Ctx<'a>,
        objects: List<'a>,
        update_id: u32,
        listed_in: Option<ObjectId>,
    ) -> Response<'a> {
        let total = objects.len();
        let page = page(objects, self.start, self.count);
        let requested = page.len();
        let bookmarks = self.bookmarks;
        let make = |objects, filter| {
            let document = Document::new(library, objects, filter, ctx.host, ctx.quirks);
            match bookmarks {
                Some(b) => document.with_bookmarks(b),
                None => document,
            }
        };
        let mut document = make(page, self.filter);
        if let Some(container) = listed_in {
            document = document.listed_in(container);
        }
        if ctx.answer_budget != usize::MAX && requested > 1 {
            // The answer around the objects, with NumberReturned as long as it can get.
            let empty = make(library.list_of(&[]), Filter::ALL);
            let frame = answer(request, empty, requested, total, update_id).rendered_len();
            let room = ctx.answer_budget.saturating_sub(frame.unwrap_or(usize::MAX));
            document.truncate(document.escaped_prefix_within(room).max(1));
        }
        let returned = document.len();
        answer(request, document, returned, total, update_id)
    }
}

/// The four out-arguments of a Browse or Search answer.
fn answer<'a>(
    request: &Request<'a>,
    document: Document<'a>,
    returned: usize,
    total: usize,
    update_id: u32,
) -> Response<'a> {
    let saturate = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Response {
        service: request.service,
        action: request.action.name,
        args: vec![
            ("Result", Value::Didl(document)),
            ("NumberReturned", Value::Unsigned(saturate(returned))),
            ("TotalMatches", Value::Unsigned(saturate(total))),
            ("UpdateID", Value::Unsigned(update_id)),
        ],
    }
}

/// The most objects one Browse or Search answer lists. A `RequestedCount` of 0 ("all") or more
/// gets this many, with `TotalMatches` saying how many there are, so the control point pages on
/// (UPnP ContentDirectory:1 §2.7.4 lets a server return fewer than requested). It bounds the
/// answer of a huge folder to a few MB (about 1.5 KB per Vorbis track with its three `res`).
pub const MAX_PAGE: usize = 2000;

/// `count` objects from `start` (0 = as many as allowed), borrowing when the input is borrowed.
fn page(objects: List<'_>, start: usize, count: usize) -> List<'_> {
    let count = if count == 0 { MAX_PAGE } else { count.min(MAX_PAGE) };
    objects.range(start, start.saturating_add(count))
}

fn browse<'a>(
    mut request: Request<'a>,
    library: &'a Library,
    bookmarks: Option<&'a Bookmarks>,
    ctx: &Ctx<'a>,
) -> Result<Response<'a>, Fault> {
    let id_args = ["ObjectID", "ContainerID"];
    let mut listing = Listing::read(&mut request, &id_args, library, false, bookmarks)?;
    let object = library.get(listing.id).ok_or(Fault(ErrorCode::NoSuchObject))?;
    let update_id = object.as_container().map_or(library.system_update_id(), |c| c.update_id());
    let (objects, listed_in) = match request.arg("BrowseFlag").map(str::trim) {
        Some("BrowseMetadata") => {
            // One object; paging arguments do not apply.
            (listing.start, listing.count) = (0, 0);
            (library.list_of(&[listing.id]), None)
        }
        Some("BrowseDirectChildren") => {
            let children = library
                .children(listing.id, &listing.sort)
                .map_err(|_| Fault(ErrorCode::NoSuchContainer))?;
            (children, Some(listing.id))
        }
        _ => return Err(Fault(ErrorCode::InvalidArgs)),
    };
    Ok(listing.respond(&request, library, ctx, objects, update_id, listed_in))
}

fn search<'a>(
    mut request: Request<'a>,
    library: &'a Library,
    bookmarks: Option<&'a Bookmarks>,
    ctx: &Ctx<'a>,
) -> Result<Response<'a>, Fault> {
    let id_args = ["ContainerID", "ObjectID"];
    let listing = Listing::read(&mut request, &id_args, library, true, bookmarks)?;
    let object = library.get(listing.id);
    let (Some(container), Some(children)) =
        (object.and_then(|o| o.as_container()), object.and_then(|o| o.children()))
    else {
        return Err(Fault(ErrorCode::NoSuchContainer));
    };
    let update_id = container.update_id();
    let criteria = request.arg("SearchCriteria").ok_or(Fault(ErrorCode::InvalidArgs))?;
    let criteria = Criteria::parse(criteria).map_err(|_| Fault(ErrorCode::BadSearchCriteria))?;
    let mut found = Vec::new();
    // Depth-first, children in stored order; each object is visited once, though items and
    // albums are listed in several containers.
    let mut seen = library.seen();
    let mut stack: Vec<SlotNo> = children.slots().iter().rev().copied().collect();
    while let Some(slot) = stack.pop() {
        let Some(obj) = library.objects.at(slot) else { continue };
        if !seen.insert(slot) {
            continue;
        }
        if criteria.matches(library, obj.id(), obj) {
            found.push(slot);
        }
        if let Some(children) = obj.children() {
            stack.extend(children.slots().iter().rev());
        }
    }
    if !listing.sort.is_default() {
        // Every object found is in the library, so none is left out.
        let sort = &listing.sort;
        found = library.sorted(&found, &|a, b| sort.compare(a, b));
    }
    let found = List::new(&library.objects, Cow::Owned(found));
    Ok(listing.respond(&request, library, ctx, found, update_id, None))
}

#[cfg(test)]
mod tests;
