//! Samsung's ContentDirectory extensions, for players whose quirks have
//! [`Quirks::samsung_extensions`](crate::player::Quirks::samsung_extensions).
//!
//! - `X_GetFeatureList` answers a `Features` document (escaped once as the `FeatureList`
//!   text) naming the containers that hold all audio, all video and all images as items, which
//!   the TV then browses with BrowseDirectChildren: [`Shelf::AllTracks`], [`Shelf::Video`] and
//!   [`Shelf::Pictures`], and its playlists ([`Shelf::Playlists`], as Gerbera lists its own as
//!   `object.item.playlistItem`; each playlist is a container of the items it names). A TV that gets a fault instead may list nothing at all (anacrolix/dms
//!   #73, UniversalMediaServer #1676; gerbera #1680 "Request cannot be completed").
//! - `X_SetBookmark` (`CategoryType`, `RID`, `PosSecond`, `ObjectID`; the first two are not
//!   needed) stores where playback of an item stopped in [`Bookmarks`]; Browse gives it back to
//!   these players as `sec:dcmInfo` `BM=` (see [`super::didl`]), and the TV offers to resume.
//!
//! - The device description these TVs get declares [`PRODUCT_CAP`] as `sec:ProductCap`.
//!
//! Both actions are in the [`SCPD`] extension, which only these players see in the
//! ContentDirectory SCPD (Gerbera removes them for others too); anyone else calling them gets
//! 401, as before. MiniDLNA's and Gerbera's `X_GetObjectIDfromIndex`/`X_GetIndexfromRID` are
//! left out: MiniDLNA never had them and Samsung TVs play from it.

use alloc::string::String;
use alloc::vec;

use super::bookmarks::Bookmarks;
use super::scpd::{Action, Argument, Direction, Scpd, StateVariable};
use super::soap::{ErrorCode, Fault, Request, Response, Value};
use crate::library::{Library, ObjectId, Shelf};

/// Samsung's `sec:ProductCap` in the device description, for Samsung TVs only: `DCM10`
/// (the bookmark and feature-list extensions), `getMediaInfo.sec` and `getCaptionInfo.sec`
/// (the media answer headers), `smi` (SAMI subtitles), as MiniDLNA (`upnpdescgen.c`,
/// `genRootDescSamsung`) and Gerbera declare them (both give it to Samsung clients only, with
/// `xmlns:sec="http://www.sec.co.kr/dlna"` on the root element).
pub const PRODUCT_CAP: &str = "smi,DCM10,getMediaInfo.sec,getCaptionInfo.sec";

const fn arg(name: &'static str, direction: Direction, related: &'static str) -> Argument {
    Argument { name, direction, related }
}

const fn var(name: &'static str, data_type: &'static str) -> StateVariable {
    StateVariable { name, data_type, evented: false, allowed: &[] }
}

/// The actions Samsung players get on top of ContentDirectory:1 (Gerbera's `cds.xml`: the
/// same names, arguments and types).
pub const SCPD: Scpd = Scpd {
    actions: &[
        Action {
            name: "X_GetFeatureList",
            arguments: &[arg("FeatureList", Direction::Out, "A_ARG_TYPE_Featurelist")],
        },
        Action {
            name: "X_SetBookmark",
            arguments: &[
                arg("CategoryType", Direction::In, "A_ARG_TYPE_CategoryType"),
                arg("RID", Direction::In, "A_ARG_TYPE_RID"),
                arg("PosSecond", Direction::In, "A_ARG_TYPE_PosSec"),
                arg("ObjectID", Direction::In, "A_ARG_TYPE_ObjectID"),
            ],
        },
    ],
    variables: &[
        var("A_ARG_TYPE_Featurelist", "string"),
        var("A_ARG_TYPE_CategoryType", "ui4"),
        var("A_ARG_TYPE_RID", "ui4"),
        var("A_ARG_TYPE_PosSec", "ui4"),
    ],
};

/// The containers a Samsung TV lists for its audio, video, photo and playlist views, with
/// the item class each holds (playlists: the class of what their containers hold, as Gerbera
/// declares its playlists container).
pub const FEATURE_CONTAINERS: [(Shelf, &str); 4] = [
    (Shelf::AllTracks, "object.item.audioItem"),
    (Shelf::Video, "object.item.videoItem"),
    (Shelf::Pictures, "object.item.imageItem"),
    (Shelf::Playlists, "object.item.playlistItem"),
];

/// The `FeatureList` text: a `Features` document with Samsung's `BASICVIEW` feature naming
/// [`FEATURE_CONTAINERS`] (the form MiniDLNA and Gerbera send).
pub fn feature_list() -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Features xmlns=\"urn:schemas-upnp-org:av:avs\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"urn:schemas-upnp-org:av:avs \
         http://www.upnp.org/schemas/av/avs.xsd\">\
         <Feature name=\"samsung.com_BASICVIEW\" version=\"1\">",
    );
    for (shelf, class) in FEATURE_CONTAINERS {
        xml.push_str("<container id=\"");
        xml.push_str(shelf.id().hex().as_str());
        xml.push_str("\" type=\"");
        xml.push_str(class);
        xml.push_str("\"/>");
    }
    xml.push_str("</Feature></Features>");
    xml
}

/// Answers one of the [`SCPD`] actions (the caller checked the player's quirks).
pub fn handle<'a>(
    request: &Request<'a>,
    library: &Library,
    bookmarks: &mut Bookmarks,
) -> Result<Response<'a>, Fault> {
    let action = request.action.name;
    let args = match action {
        "X_GetFeatureList" => vec![("FeatureList", Value::Text(feature_list().into()))],
        "X_SetBookmark" => {
            set_bookmark(request, library, bookmarks)?;
            vec![]
        }
        _ => return Err(Fault(ErrorCode::InvalidAction)),
    };
    Ok(Response { service: request.service, action, args })
}

/// `X_SetBookmark`: an unknown object is 701, a container, a missing argument or a position
/// that is not a `ui4` 402.
fn set_bookmark(
    request: &Request<'_>,
    library: &Library,
    bookmarks: &mut Bookmarks,
) -> Result<(), Fault> {
    let id = request.arg("ObjectID").map(str::trim).ok_or(Fault(ErrorCode::InvalidArgs))?;
    let id = ObjectId::parse(id).ok_or(Fault(ErrorCode::NoSuchObject))?;
    let object = library.get(id).ok_or(Fault(ErrorCode::NoSuchObject))?;
    if !object.is_item() {
        return Err(Fault(ErrorCode::InvalidArgs));
    }
    let position = request
        .arg("PosSecond")
        .and_then(|p| p.trim().parse::<u32>().ok())
        .ok_or(Fault(ErrorCode::InvalidArgs))?;
    bookmarks.set(id, position);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::FileInfo;
    use crate::player::{Player, Quirks};
    use crate::upnp::control::{self, Ctx};
    use crate::upnp::soap::ENVELOPE_NS;
    use crate::upnp::Service;
    use crate::xml::Render;

    /// A served folder with one film in it; the film's id.
    fn library() -> (Library, ObjectId) {
        let mut lib = Library::new();
        lib.add_root(0, "Films").unwrap();
        let info = FileInfo { size: 5000, mtime: 0 };
        let film = lib.insert_file(0, "Night, Train & Fog.mkv", info).unwrap().unwrap();
        (lib, film)
    }

    /// Calls `action` as `quirks`; the rendered answer, or the fault's UPnP code.
    fn call(
        lib: &Library,
        marks: &mut Bookmarks,
        quirks: Quirks,
        action: &str,
        args: &[(&str, &str)],
    ) -> Result<String, u16> {
        let args: String = args.iter().map(|(k, v)| format!("<{k}>{v}</{k}>")).collect();
        let cd = Service::ContentDirectory;
        let body = format!(
            "<s:Envelope xmlns:s=\"{ENVELOPE_NS}\"><s:Body><u:{action} xmlns:u=\"{}\">{args}\
             </u:{action}></s:Body></s:Envelope>",
            cd.urn()
        );
        let ctx = Ctx { host: "10.0.0.2:8200", quirks, answer_budget: usize::MAX };
        let answer = control::handle(cd, None, &body, lib, marks, &ctx).map_err(|f| f.0.code())?;
        let mut out = String::new();
        answer.render(&mut out).unwrap();
        Ok(out)
    }

    /// The text of the out-argument `name` of a rendered answer.
    fn out_arg(answer: &str, name: &str) -> String {
        let doc = roxmltree::Document::parse(answer).unwrap();
        let node = doc.descendants().find(|n| n.has_tag_name(name)).unwrap();
        node.text().unwrap_or("").to_string()
    }

    #[test]
    fn only_samsung_players_get_the_extensions() {
        let (lib, film) = library();
        let mut marks = Bookmarks::new(8);
        let samsung = Player::Samsung.quirks();
        let answer = call(&lib, &mut marks, samsung, "X_GetFeatureList", &[]).unwrap();
        assert_eq!(out_arg(&answer, "FeatureList"), feature_list());
        let film = film.to_string();
        let bookmark =
            [("CategoryType", "0"), ("RID", "0"), ("PosSecond", "754"), ("ObjectID", &film)];
        for player in [Player::Lg, Player::Generic, Player::Ps3] {
            let quirks = player.quirks();
            assert_eq!(call(&lib, &mut marks, quirks, "X_GetFeatureList", &[]), Err(401));
            assert_eq!(call(&lib, &mut marks, quirks, "X_SetBookmark", &bookmark), Err(401));
        }
        assert!(marks.is_empty());
    }

    #[test]
    fn a_bookmark_comes_back_in_browse_for_samsung_only() {
        let (lib, film) = library();
        let mut marks = Bookmarks::new(8);
        let samsung = Player::Samsung.quirks();
        let id = film.to_string();
        fn set<'a>(id: &'a str, pos: &'a str) -> [(&'a str, &'a str); 4] {
            [("CategoryType", "1"), ("RID", "0"), ("PosSecond", pos), ("ObjectID", id)]
        }
        let answer = call(&lib, &mut marks, samsung, "X_SetBookmark", &set(&id, "754")).unwrap();
        assert!(answer.contains("<u:X_SetBookmarkResponse"), "{answer}");
        assert_eq!(marks.get(film), Some(754));

        fn browse<'a>(id: &'a str, filter: &'a str) -> [(&'a str, &'a str); 6] {
            [
                ("ObjectID", id),
                ("BrowseFlag", "BrowseMetadata"),
                ("Filter", filter),
                ("StartingIndex", "0"),
                ("RequestedCount", "0"),
                ("SortCriteria", ""),
            ]
        }
        let dcm = |quirks: Quirks, filter: &str, marks: &mut Bookmarks| {
            let answer = call(&lib, marks, quirks, "Browse", &browse(&id, filter)).unwrap();
            let didl = out_arg(&answer, "Result");
            let doc = roxmltree::Document::parse(&didl).unwrap();
            let found =
                doc.descendants().find(|n| n.has_tag_name(("http://www.sec.co.kr/", "dcmInfo")));
            found.map(|n| n.text().unwrap_or("").to_string())
        };
        let expected = Some("CREATIONDATE=0,FOLDER=Night, Train & Fog,BM=754".to_string());
        assert_eq!(dcm(samsung, "*", &mut marks), expected);
        assert_eq!(dcm(samsung, "dc:title,sec:dcmInfo", &mut marks), expected);
        assert_eq!(dcm(samsung, "dc:title,res", &mut marks), None);
        assert_eq!(dcm(Player::Generic.quirks(), "*", &mut marks), None);

        // Played to the end: the TV sets 0 and the bookmark goes.
        call(&lib, &mut marks, samsung, "X_SetBookmark", &set(&id, "0")).unwrap();
        assert_eq!(dcm(samsung, "*", &mut marks), None);
    }

    #[test]
    fn bad_bookmarks_are_refused() {
        let (lib, film) = library();
        let mut marks = Bookmarks::new(8);
        let samsung = Player::Samsung.quirks();
        let film = film.to_string();
        let root = ObjectId::ROOT.to_string();
        for (id, pos, code) in [
            ("deadbeef", "10", 701),
            ("not an id", "10", 701),
            (root.as_str(), "10", 402),
            (film.as_str(), "-5", 402),
            (film.as_str(), "ten", 402),
            (film.as_str(), "4294967296", 402),
        ] {
            let args = [("CategoryType", "1"), ("RID", "0"), ("PosSecond", pos), ("ObjectID", id)];
            assert_eq!(
                call(&lib, &mut marks, samsung, "X_SetBookmark", &args),
                Err(code),
                "{id} {pos}"
            );
        }
        let missing = [("CategoryType", "1"), ("ObjectID", film.as_str())];
        assert_eq!(call(&lib, &mut marks, samsung, "X_SetBookmark", &missing), Err(402));
        assert!(marks.is_empty());
    }

    #[test]
    fn the_feature_list_names_the_flat_containers_and_the_playlists() {
        let xml = feature_list();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let ns = "urn:schemas-upnp-org:av:avs";
        let root = doc.root_element();
        assert!(root.has_tag_name((ns, "Features")));
        let feature = root.children().find(|n| n.has_tag_name((ns, "Feature"))).unwrap();
        assert_eq!(feature.attribute("name"), Some("samsung.com_BASICVIEW"));
        let containers: Vec<_> = feature
            .children()
            .filter(|n| n.is_element())
            .map(|n| (n.attribute("id").unwrap(), n.attribute("type").unwrap()))
            .collect();
        assert_eq!(
            containers,
            [
                ("4", "object.item.audioItem"),
                ("2", "object.item.videoItem"),
                ("3", "object.item.imageItem"),
                ("65", "object.item.playlistItem")
            ]
        );
    }
}
