//! ContentDirectory, ConnectionManager and Registrar through [`control::handle`], the way the
//! HTTP server calls them, with responses checked by an independent XML parser.

use super::MAX_PAGE;
use alloc::string::String;
use alloc::vec::Vec;

use crate::library::{Details, FileInfo, Library, Tags};
use crate::upnp::bookmarks::Bookmarks;
use crate::upnp::control::{handle, Ctx};
use crate::upnp::soap::{Fault, ENVELOPE_NS};
use crate::upnp::Service;
use crate::xml::Render;

const DIDL: &str = "urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/";
const CTX: Ctx<'static> = Ctx {
    host: "127.0.0.1:8200",
    quirks: crate::player::Quirks::GENERIC,
    answer_budget: usize::MAX,
};

/// 10 artists x 10 albums x 10 tracks, titles and track numbers in opposite orders, plus a
/// cover per album: 1000 tracks.
fn library() -> Library {
    let mut lib = Library::new();
    lib.add_root(0, "Music").unwrap();
    for artist in 0..10 {
        for album in 0..10 {
            lib.insert_file(
                0,
                &format!("Artist {artist}/Album {album}/cover.jpg"),
                FileInfo::default(),
            )
            .unwrap();
            for track in 0..10u32 {
                let path = format!("Artist {artist}/Album {album}/{track}.ogg");
                let id =
                    lib.insert_file(0, &path, FileInfo { size: 1000, mtime: 0 }).unwrap().unwrap();
                let tags = Tags {
                    title: Some(format!("Song {}", (b'a' + (9 - track) as u8) as char).into()),
                    track: Some(track + 1),
                    album: Some(format!("Album {album}").into()),
                    date: Some(
                        format!("20{:02}", (artist * 7 + album * 3 + track as usize) % 25).into(),
                    ),
                    ..Tags::default()
                };
                lib.set_details(id, Details { tags: Some(Box::new(tags)), ..Details::default() })
                    .unwrap();
            }
        }
    }
    lib.tidy();
    lib
}

fn body(service: Service, action: &str, args: &[(&str, &str)]) -> String {
    let args: String = args.iter().map(|(k, v)| format!("<{k}>{v}</{k}>")).collect();
    format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"{ENVELOPE_NS}\"><s:Body>\
         <u:{action} xmlns:u=\"{}\">{args}</u:{action}></s:Body></s:Envelope>",
        service.urn()
    )
}

/// Calls an action and returns its out-arguments (name, text), or the fault.
fn call(
    lib: &Library,
    service: Service,
    action: &str,
    args: &[(&str, &str)],
) -> Result<Vec<(String, String)>, Fault> {
    let body = body(service, action, args);
    let header = format!("\"{}#{action}\"", service.urn());
    let mut marks = Bookmarks::new(0);
    let response = handle(service, Some(&header), &body, lib, &mut marks, &CTX)?;
    let mut out = String::new();
    response.render(&mut out).unwrap();
    assert_eq!(response.rendered_len().unwrap(), out.len());
    let doc = roxmltree::Document::parse(&out).unwrap();
    let action_el = doc
        .descendants()
        .find(|n| n.has_tag_name((service.urn(), format!("{action}Response").as_str())))
        .unwrap();
    Ok(action_el
        .children()
        .filter(|c| c.is_element())
        .map(|c| (c.tag_name().name().into(), c.text().unwrap_or("").into()))
        .collect())
}

fn code(result: Result<Vec<(String, String)>, Fault>) -> u16 {
    result.err().map_or(0, |f| f.0.code())
}

fn out<'a>(args: &'a [(String, String)], name: &str) -> &'a str {
    &args.iter().find(|(n, _)| n == name).unwrap().1
}

/// Browse results as (id, title) pairs, plus NumberReturned, TotalMatches.
fn browse(lib: &Library, args: &[(&str, &str)]) -> (Vec<(String, String)>, u32, u32) {
    let result = call(lib, Service::ContentDirectory, "Browse", args).unwrap();
    let didl = roxmltree::Document::parse(out(&result, "Result")).unwrap();
    let objects: Vec<(String, String)> = didl
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .map(|n| {
            let title = n.children().find(|c| c.tag_name().name() == "title").unwrap();
            (n.attribute("id").unwrap().into(), title.text().unwrap_or("").into())
        })
        .collect();
    assert!(didl.root_element().has_tag_name((DIDL, "DIDL-Lite")));
    let returned = out(&result, "NumberReturned").parse().unwrap();
    let total = out(&result, "TotalMatches").parse().unwrap();
    assert_eq!(objects.len(), returned as usize);
    (objects, returned, total)
}

fn children_args<'a>(
    id: &'a str,
    start: &'a str,
    count: &'a str,
    sort: &'a str,
) -> [(&'static str, &'a str); 6] {
    [
        ("ObjectID", id),
        ("BrowseFlag", "BrowseDirectChildren"),
        ("Filter", "*"),
        ("StartingIndex", start),
        ("RequestedCount", count),
        ("SortCriteria", sort),
    ]
}

#[test]
fn browse_root_metadata_and_xbox_container_id() {
    let lib = library();
    let (objects, returned, total) =
        browse(&lib, &[("ObjectID", "0"), ("BrowseFlag", "BrowseMetadata"), ("Filter", "*")]);
    assert_eq!((returned, total), (1, 1));
    assert_eq!(objects[0].0, "0");
    let (objects, _, total) = browse(&lib, &children_args("0", "0", "0", ""));
    assert_eq!(total, 5);
    let titles: Vec<&str> = objects.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(titles, ["Music", "Video", "Pictures", "Playlists", "Folders"]);
    // The Xbox sends ContainerID.
    let xbox = [
        ("ContainerID", "0"),
        ("BrowseFlag", "BrowseDirectChildren"),
        ("Filter", "*"),
        ("StartingIndex", "0"),
        ("RequestedCount", "10"),
        ("SortCriteria", ""),
    ];
    assert_eq!(browse(&lib, &xbox).0, objects);
    let update = call(&lib, Service::ContentDirectory, "GetSystemUpdateID", &[]).unwrap();
    assert_eq!(out(&update, "Id"), lib.system_update_id().to_string());
}

#[test]
fn paging_and_sorting_over_a_thousand_tracks() {
    let lib = library();
    let music = lib.lookup_path(0, "").unwrap().to_string();
    let (artists, _, total) = browse(&lib, &children_args(&music, "0", "0", ""));
    assert_eq!(total, 10);
    let titles: Vec<&str> = artists.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(titles[0], "Artist 0");
    assert_eq!(titles[9], "Artist 9");

    let album = lib.lookup_path(0, "Artist 3/Album 4").unwrap().to_string();
    // Default order: the cover (title "cover") among tracks titled "Song a".."Song j".
    let (all, _, total) = browse(&lib, &children_args(&album, "0", "0", ""));
    assert_eq!(total, 11);
    let mut sorted_titles: Vec<String> = all.iter().map(|(_, t)| t.clone()).collect();
    sorted_titles.sort_by_key(|t| t.to_lowercase());
    assert_eq!(all.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(), sorted_titles);

    // Track order is the reverse of title order; the untagged cover sorts last.
    let (by_track, _, _) =
        browse(&lib, &children_args(&album, "0", "0", "+upnp:originalTrackNumber"));
    let expected: Vec<String> =
        (0..10).map(|i| format!("Song {}", (b'j' - i) as char)).chain(["cover".into()]).collect();
    assert_eq!(by_track.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(), expected);
    let (by_track_desc, _, _) =
        browse(&lib, &children_args(&album, "0", "0", "-upnp:originalTrackNumber"));
    assert_eq!(by_track_desc.first().unwrap().1, "cover", "missing values are greater");
    assert_eq!(by_track_desc.last().unwrap().1, "Song j");

    // Search all tracks of the library, sorted by date descending then title; page through it
    // in odd-sized pages and compare with one full listing and with a reference sort.
    let search = |start: &str, count: &str| {
        let args = [
            ("ContainerID", "0"),
            (
                "SearchCriteria",
                "upnp:class derivedfrom \"object.item.audioItem\" and @refID exists false",
            ),
            ("Filter", "dc:title,dc:date"),
            ("StartingIndex", start),
            ("RequestedCount", count),
            ("SortCriteria", "-dc:date,+dc:title"),
        ];
        let result = call(&lib, Service::ContentDirectory, "Search", &args).unwrap();
        let didl = roxmltree::Document::parse(out(&result, "Result")).unwrap();
        let rows: Vec<(String, String)> = didl
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .map(|n| {
                let text = |name: &str| {
                    n.children()
                        .find(|c| c.tag_name().name() == name)
                        .and_then(|c| c.text())
                        .unwrap_or("")
                        .to_string()
                };
                (text("date"), text("title"))
            })
            .collect();
        (rows, out(&result, "TotalMatches").parse::<usize>().unwrap())
    };
    let (full, total) = search("0", "0");
    assert_eq!((full.len(), total), (1000, 1000));
    let mut reference = full.clone();
    reference
        .sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.to_lowercase().cmp(&b.1.to_lowercase())));
    assert_eq!(full, reference);
    let mut paged = Vec::new();
    let mut start = 0;
    while start < 1000 {
        let (page, total) = search(&start.to_string(), "37");
        assert_eq!(total, 1000);
        assert_eq!(page.len(), 37.min(1000 - start));
        paged.extend(page);
        start += 37;
    }
    assert_eq!(paged, full);
    // The Xbox searches its own fixed containers; they stand for the whole library.
    let xbox = [
        ("ContainerID", "4"),
        ("SearchCriteria", "upnp:class derivedfrom \"object.item.audioItem\""),
        ("Filter", "dc:title"),
    ];
    let result = call(&lib, Service::ContentDirectory, "Search", &xbox).unwrap();
    assert_eq!(out(&result, "TotalMatches"), "1000");
    let photos = [
        ("ContainerID", "F"),
        ("SearchCriteria", "upnp:class derivedfrom \"object.item.imageItem\""),
    ];
    let result = call(&lib, Service::ContentDirectory, "Search", &photos).unwrap();
    assert_eq!(out(&result, "TotalMatches"), "100");
    let (past_end, total) = search("5000", "10");
    assert_eq!((past_end.len(), total), (0, 1000));

    // Browse pages (borrowed default order) agree with the full listing too.
    let (full, _, _) = browse(&lib, &children_args(&album, "0", "0", ""));
    let (p1, n1, t1) = browse(&lib, &children_args(&album, "0", "4", ""));
    let (p2, _, _) = browse(&lib, &children_args(&album, "4", "4", ""));
    let (p3, n3, _) = browse(&lib, &children_args(&album, "8", "4", ""));
    assert_eq!((n1, t1, n3), (4, 11, 3));
    assert_eq!([p1, p2, p3].concat(), full);
}

#[test]
fn every_fault_code() {
    let lib = library();
    let cd = Service::ContentDirectory;
    let track = lib.lookup_path(0, "Artist 0/Album 0/0.ogg").unwrap().to_string();
    let music = lib.lookup_path(0, "").unwrap().to_string();
    // 401: no such action, or an action of another service.
    assert_eq!(code(call(&lib, cd, "DestroyObject", &[])), 401);
    let body = body(cd, "Browse", &children_args("0", "0", "0", ""));
    let wrong =
        handle(Service::ConnectionManager, None, &body, &lib, &mut Bookmarks::new(0), &CTX).err();
    assert_eq!(wrong.map(|f| f.0.code()), Some(401));
    // 402: missing or malformed arguments.
    assert_eq!(code(call(&lib, cd, "Browse", &[("ObjectID", "0")])), 402);
    assert_eq!(code(call(&lib, cd, "Browse", &[("BrowseFlag", "BrowseMetadata")])), 402);
    assert_eq!(
        code(call(&lib, cd, "Browse", &[("ObjectID", "0"), ("BrowseFlag", "BrowseAll")])),
        402
    );
    assert_eq!(code(call(&lib, cd, "Browse", &children_args("0", "x", "0", ""))), 402);
    assert_eq!(code(call(&lib, cd, "Browse", &children_args("0", "0", "-1", ""))), 402);
    assert_eq!(code(call(&lib, cd, "Browse", &children_args("0", "0", "99999999999", ""))), 402);
    // 701: ids never issued.
    assert_eq!(code(call(&lib, cd, "Browse", &children_args("deadbeef", "0", "0", ""))), 701);
    assert_eq!(code(call(&lib, cd, "Browse", &children_args("../etc", "0", "0", ""))), 701);
    assert_eq!(code(call(&lib, cd, "Browse", &children_args("9", "0", "0", ""))), 701);
    // 708: search criteria syntax.
    let search = [("ContainerID", "0"), ("SearchCriteria", "dc:title =")];
    assert_eq!(code(call(&lib, cd, "Search", &search)), 708);
    // 709: sort criteria.
    assert_eq!(
        code(call(&lib, cd, "Browse", &children_args(&music, "0", "0", "+dc:nonsense"))),
        709
    );
    // 710: children of an item, search under an item.
    assert_eq!(code(call(&lib, cd, "Browse", &children_args(&track, "0", "0", ""))), 710);
    let search = [("ContainerID", track.as_str()), ("SearchCriteria", "*")];
    assert_eq!(code(call(&lib, cd, "Search", &search)), 710);
    // BrowseMetadata on the item is fine.
    let meta = [("ObjectID", track.as_str()), ("BrowseFlag", "BrowseMetadata"), ("Filter", "*")];
    assert_eq!(browse(&lib, &meta).1, 1);
    let meta =
        [("ObjectID", track.as_str()), ("BrowseFlag", "BrowseMetadata"), ("StartingIndex", "3")];
    assert_eq!(browse(&lib, &meta).1, 1, "paging does not apply to metadata");
    let search = [("ContainerID", "44"), ("SearchCriteria", "*")];
    assert_eq!(code(call(&lib, cd, "Search", &search)), 701, "only one-digit Xbox ids alias");
    // 706 and 402 from the ConnectionManager.
    let cm = Service::ConnectionManager;
    assert_eq!(code(call(&lib, cm, "GetCurrentConnectionInfo", &[("ConnectionID", "5")])), 706);
    assert_eq!(code(call(&lib, cm, "GetCurrentConnectionInfo", &[("ConnectionID", "zero")])), 402);
    // A DOCTYPE in the body is refused before anything is looked up.
    let bomb = format!("<!DOCTYPE x [<!ENTITY e \"0\">]>{body}");
    assert_eq!(
        handle(cd, None, &bomb, &lib, &mut Bookmarks::new(0), &CTX).err().map(|f| f.0.code()),
        Some(401)
    );
}

#[test]
fn capabilities_connection_manager_and_registrar() {
    let lib = library();
    let cd = Service::ContentDirectory;
    let sort = call(&lib, cd, "GetSortCapabilities", &[]).unwrap();
    for key in out(&sort, "SortCaps").split(',') {
        assert!(crate::library::SortSpec::parse(key).is_ok(), "{key}");
    }
    assert!(out(&sort, "SortCaps").contains("upnp:originalTrackNumber"));
    let search = call(&lib, cd, "GetSearchCapabilities", &[]).unwrap();
    assert!(out(&search, "SearchCaps").split(',').any(|p| p == "upnp:class"));

    let cm = Service::ConnectionManager;
    let info = call(&lib, cm, "GetProtocolInfo", &[]).unwrap();
    let source: Vec<&str> = out(&info, "Source").split(',').collect();
    assert!(source.contains(
        &crate::dlna::ProtocolInfo::for_file(crate::dlna::MediaFormat::Mp3).to_string().as_str()
    ));
    assert!(source.iter().all(|p| p.starts_with("http-get:*:")));
    let mut unique = source.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), source.len());
    assert_eq!(out(&info, "Sink"), "");
    let ids = call(&lib, cm, "GetCurrentConnectionIDs", &[]).unwrap();
    assert_eq!(out(&ids, "ConnectionIDs"), "0");
    let conn = call(&lib, cm, "GetCurrentConnectionInfo", &[("ConnectionID", "0")]).unwrap();
    let names: Vec<&str> = conn.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "RcsID",
            "AVTransportID",
            "ProtocolInfo",
            "PeerConnectionManager",
            "PeerConnectionID",
            "Direction",
            "Status"
        ]
    );
    assert_eq!((out(&conn, "Direction"), out(&conn, "Status")), ("Output", "OK"));

    let reg = Service::Registrar;
    for action in ["IsAuthorized", "IsValidated"] {
        let r = call(&lib, reg, action, &[("DeviceID", "")]).unwrap();
        assert_eq!(out(&r, "Result"), "1");
    }
    let r = call(&lib, reg, "RegisterDevice", &[("RegistrationReqMsg", "")]).unwrap();
    assert_eq!(out(&r, "RegistrationRespMsg"), "");
}

#[test]
fn update_ids_reach_browse_responses() {
    let mut lib = library();
    let album_id = lib.lookup_path(0, "Artist 1/Album 1").unwrap();
    let album = album_id.to_string();
    let before =
        call(&lib, Service::ContentDirectory, "Browse", &children_args(&album, "0", "0", ""))
            .unwrap();
    lib.insert_file(0, "Artist 1/Album 1/new.mp3", FileInfo::default()).unwrap();
    let after =
        call(&lib, Service::ContentDirectory, "Browse", &children_args(&album, "0", "0", ""))
            .unwrap();
    assert_ne!(out(&before, "UpdateID"), out(&after, "UpdateID"));
    assert_eq!(out(&after, "TotalMatches"), "12");
    let uid = lib.get(album_id).unwrap().as_container().unwrap().update_id();
    assert_eq!(out(&after, "UpdateID"), uid.to_string());
}

#[test]
fn mutated_requests_fail_cleanly() {
    let mut lib = Library::new();
    lib.add_root(0, "M").unwrap();
    lib.insert_file(0, "a/b.ogg", FileInfo::default()).unwrap();
    let music = lib.lookup_path(0, "a").unwrap().to_string();
    let search = [
        ("ContainerID", "0"),
        ("SearchCriteria", "(dc:title contains \"b\") or upnp:class = \"x\""),
        ("SortCriteria", "-dc:title"),
    ];
    let seeds = [
        body(Service::ContentDirectory, "Browse", &children_args(&music, "0", "2", "+dc:title")),
        body(Service::ContentDirectory, "Search", &search),
    ];
    let alphabet: Vec<char> = "<>/&;#x\"'=![]CDATA:sue 0\u{e9}-+(),".chars().collect();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut outcomes = [0usize; 2];
    for round in 0..4000 {
        let seed = &seeds[round % 2];
        let mut chars: Vec<char> = seed.chars().collect();
        for _ in 0..1 + next(3) {
            let at = next(chars.len());
            match next(3) {
                0 => chars[at] = alphabet[next(alphabet.len())],
                1 => {
                    chars.remove(at);
                }
                _ => chars.insert(at, alphabet[next(alphabet.len())]),
            }
        }
        let mutated: String = chars.into_iter().collect();
        let service = Service::ALL[next(3)];
        match handle(service, None, &mutated, &lib, &mut Bookmarks::new(0), &CTX) {
            Ok(response) => {
                let mut out = String::new();
                response.render(&mut out).unwrap();
                roxmltree::Document::parse(&out).unwrap();
                outcomes[0] += 1;
            }
            Err(fault) => {
                assert!([401, 402, 701, 708, 709, 710].contains(&fault.0.code()), "{fault:?}");
                outcomes[1] += 1;
            }
        }
    }
    assert!(outcomes[0] > 100 && outcomes[1] > 100, "{outcomes:?}");
}

#[test]
fn huge_folders_are_answered_a_page_at_a_time() {
    let mut lib = Library::new();
    lib.add_root(0, "Big").unwrap();
    let n = MAX_PAGE + 500;
    for i in 0..n {
        let file = crate::library::FileInfo { size: 1, mtime: 0 };
        lib.insert_file(0, &format!("t{i:05}.mp3"), file).unwrap();
    }
    let big = lib.lookup_path(0, "").unwrap().to_string();
    // "All" is one page of MAX_PAGE with the true total, so the control point asks on.
    let (first, returned, total) = browse(&lib, &children_args(&big, "0", "0", ""));
    assert_eq!((returned as usize, total as usize), (MAX_PAGE, n));
    let start = MAX_PAGE.to_string();
    let (rest, returned, _) = browse(&lib, &children_args(&big, &start, "100000", ""));
    assert_eq!(returned as usize, n - MAX_PAGE);
    assert_eq!(first.last().unwrap().1, format!("t{:05}", MAX_PAGE - 1));
    assert_eq!(rest.first().unwrap().1, format!("t{MAX_PAGE:05}"));
}

/// Renders a Search of every track of the library from `start` under `budget`: the answer's
/// length, the ids it lists, and its TotalMatches.
fn search_tracks(
    lib: &Library,
    start: usize,
    count: usize,
    budget: usize,
) -> (usize, Vec<String>, u32) {
    let (start, count) = (start.to_string(), count.to_string());
    let args = [
        ("ContainerID", "0"),
        ("SearchCriteria", "upnp:class derivedfrom \"object.item.audioItem\""),
        ("Filter", "*"),
        ("StartingIndex", start.as_str()),
        ("RequestedCount", count.as_str()),
        ("SortCriteria", ""),
    ];
    let service = Service::ContentDirectory;
    let body = body(service, "Search", &args);
    let ctx = Ctx { answer_budget: budget, ..CTX };
    let mut marks = Bookmarks::new(0);
    let response = handle(service, None, &body, lib, &mut marks, &ctx).unwrap();
    let mut text = String::new();
    response.render(&mut text).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let arg =
        |name: &str| doc.descendants().find(|n| n.has_tag_name(name)).unwrap().text().unwrap_or("");
    let didl = roxmltree::Document::parse(arg("Result")).unwrap();
    let ids: Vec<String> = didl
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .map(|n| n.attribute("id").unwrap().into())
        .collect();
    assert_eq!(arg("NumberReturned"), ids.len().to_string());
    (text.len(), ids, arg("TotalMatches").parse().unwrap())
}

#[test]
fn pages_over_the_answer_budget_are_cut_to_the_longest_prefix_that_fits() {
    let lib = library();
    let (_, all, total) = search_tracks(&lib, 0, 0, usize::MAX);
    assert_eq!((all.len(), total), (1000, 1000));
    let budget = 20_000;
    let mut paged = Vec::new();
    let mut answers = 0;
    while paged.len() < all.len() && answers < 1000 {
        answers += 1;
        let start = paged.len();
        let (len, ids, total) = search_tracks(&lib, start, 0, budget);
        assert_eq!(total, 1000, "TotalMatches stays the whole count");
        assert!(len <= budget, "{len} bytes over a budget of {budget}");
        assert!(!ids.is_empty() && start + ids.len() <= all.len());
        if start + ids.len() < all.len() {
            // The longest prefix: one more object would not have fit.
            let (longer, _, _) = search_tracks(&lib, start, ids.len() + 1, usize::MAX);
            assert!(longer > budget, "{} objects make {longer} bytes", ids.len() + 1);
        }
        // A smaller RequestedCount is honoured as before.
        let (_, two, _) = search_tracks(&lib, start, 2, budget);
        assert_eq!(two[..], ids[..2.min(ids.len())]);
        paged.extend(ids);
    }
    assert!(answers > 2, "the budget cut the listing into {answers} pages");
    assert_eq!(paged, all, "paging on from NumberReturned lists every object once, in order");
    // Not even one object fits: the page keeps one, for the server to refuse with 503.
    let (len, ids, _) = search_tracks(&lib, 0, 0, 100);
    assert_eq!(ids.len(), 1);
    assert!(len > 100);
}

/// async-upnp-client 0.49 (`upnp-client call-action ... ConnectionManager/GetProtocolInfo`)
/// showed a Source list without the L16 and WAV renditions that Browse offers. Its exact
/// request, then: every protocolInfo of every `res` a player is offered must be in the Source
/// list that player gets (GENERIC, PS3 with time seek only, LG with `application/ogg`).
#[test]
fn protocol_info_source_lists_what_browse_offers() {
    use crate::library::AudioProps;
    use crate::player::Quirks;
    // Captured with `upnp-client --debug-traffic`.
    const SOAP_ACTION: &str =
        "\"urn:schemas-upnp-org:service:ConnectionManager:1#GetProtocolInfo\"";
    const BODY: &str = "<?xml version=\"1.0\"?><s:Envelope \
        s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" \
        xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:GetProtocolInfo \
        xmlns:u=\"urn:schemas-upnp-org:service:ConnectionManager:1\"></u:GetProtocolInfo>\
        </s:Body></s:Envelope>";

    let mut lib = Library::new();
    lib.add_root(0, "Music").unwrap();
    // Vorbis files in each layout of the LPCM profile.
    for (n, (rate, channels)) in
        [(44_100, 2), (44_100, 1), (48_000, 2), (48_000, 1)].iter().enumerate()
    {
        let id = lib.insert_file(0, &format!("{n}.ogg"), FileInfo { size: 1000, mtime: 0 });
        let audio = AudioProps { sample_rate: *rate, channels: *channels, bits_per_sample: 0 };
        let details = Details {
            duration_ms: Some(1000),
            frames: Some(u64::from(*rate)),
            audio: Some(audio),
            tags: None,
            picture: false,
            ..Details::default()
        };
        lib.set_details(id.unwrap().unwrap(), details).unwrap();
    }
    lib.tidy();

    for quirks in [Quirks::GENERIC, Quirks::PS3, Quirks::LG] {
        let ctx = Ctx { host: "127.0.0.1:8210", quirks, ..CTX };
        let cm = Service::ConnectionManager;
        let mut marks = Bookmarks::new(0);
        let response = handle(cm, Some(SOAP_ACTION), BODY, &lib, &mut marks, &ctx).unwrap();
        let mut text = String::new();
        response.render(&mut text).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        let source = doc.descendants().find(|n| n.has_tag_name("Source")).unwrap();
        let source: Vec<&str> = source.text().unwrap().split(',').collect();

        let cd = Service::ContentDirectory;
        let criteria = "upnp:class derivedfrom \"object.item.audioItem\"";
        let args = [
            ("ContainerID", "0"),
            ("SearchCriteria", &*criteria.replace('"', "&quot;")),
            ("Filter", "*"),
            ("StartingIndex", "0"),
            ("RequestedCount", "0"),
            ("SortCriteria", ""),
        ];
        let body = body(cd, "Search", &args);
        let header = format!("\"{}#Search\"", cd.urn());
        let mut marks = Bookmarks::new(0);
        let response = handle(cd, Some(&header), &body, &lib, &mut marks, &ctx).unwrap();
        let mut text = String::new();
        response.render(&mut text).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        let result = doc.descendants().find(|n| n.has_tag_name("Result")).unwrap();
        let didl = roxmltree::Document::parse(result.text().unwrap()).unwrap();
        let offered: Vec<&str> = didl
            .descendants()
            .filter(|n| n.has_tag_name((DIDL, "res")))
            .map(|n| n.attribute("protocolInfo").unwrap())
            .collect();
        // An original and two renditions for each of the four files.
        assert_eq!(offered.len(), 12, "{quirks:?}");
        assert!(offered.iter().any(|p| p.contains("audio/L16")), "{quirks:?}");
        for info in offered {
            assert!(source.contains(&info), "{quirks:?}: {info} missing from {source:?}");
        }
    }
}
