//! DIDL-Lite, the XML a ContentDirectory Browse returns in its `Result` argument.
//!
//! [`parse`] reads the document (after SOAP has unescaped it once) with roxmltree into
//! [`Object`]s in document order. It checks what a player relies on: the DIDL-Lite root and
//! namespace, `id`/`parentID` on every object, `dc:title` and `upnp:class` present; missing
//! numbers are `None`, malformed numbers are errors.

use roxmltree::{Document, Node};

const DIDL_NS: &str = "urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
const UPNP_NS: &str = "urn:schemas-upnp-org:metadata-1-0/upnp/";
const DLNA_NS: &str = "urn:schemas-dlna-org:metadata-1-0/";
/// Samsung's namespace (`sec:dcmInfo`, `sec:CaptionInfoEx`).
pub const SEC_NS: &str = "http://www.sec.co.kr/";

/// A container or an item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Object {
    /// True for `<container>`, false for `<item>`.
    pub is_container: bool,
    /// `id`.
    pub id: String,
    /// `parentID`.
    pub parent_id: String,
    /// `restricted` is `1` or `true`.
    pub restricted: bool,
    /// `childCount` (containers).
    pub child_count: Option<u32>,
    /// `dc:title`.
    pub title: String,
    /// `upnp:class`.
    pub class: String,
    /// `dc:creator`.
    pub creator: Option<String>,
    /// `upnp:artist`.
    pub artist: Option<String>,
    /// `upnp:album`.
    pub album: Option<String>,
    /// `upnp:genre`.
    pub genre: Option<String>,
    /// `dc:date`.
    pub date: Option<String>,
    /// `upnp:originalTrackNumber`.
    pub track_number: Option<u32>,
    /// `upnp:albumArtURI` and its `dlna:profileID`.
    pub album_art: Option<(String, Option<String>)>,
    /// The `res` elements in order.
    pub res: Vec<Res>,
    /// Samsung's `sec:dcmInfo` (`CREATIONDATE=0,FOLDER=<title>,BM=<position>`).
    pub dcm_info: Option<String>,
    /// Samsung's `sec:CaptionInfoEx` elements: `sec:type` and the subtitle URL.
    pub caption_info_ex: Vec<(String, String)>,
}

/// One `<res>`: a way to fetch the object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Res {
    /// The URL (element text).
    pub url: String,
    /// `protocolInfo`.
    pub protocol_info: String,
    /// `size` in bytes.
    pub size: Option<u64>,
    /// `duration`, as written (`H:MM:SS.mmm`).
    pub duration: Option<String>,
    /// `bitrate` in bytes per second.
    pub bitrate: Option<u32>,
    /// `sampleFrequency` in Hz.
    pub sample_frequency: Option<u32>,
    /// `nrAudioChannels`.
    pub channels: Option<u32>,
    /// `bitsPerSample`.
    pub bits_per_sample: Option<u32>,
    /// `resolution` (`<width>x<height>`), as written.
    pub resolution: Option<String>,
}

impl Res {
    /// The MIME type: the third field of `protocolInfo`.
    pub fn mime(&self) -> Option<&str> {
        self.protocol_info.split(':').nth(2)
    }

    /// The DLNA fourth field of `protocolInfo` (`DLNA.ORG_PN=...;...`).
    pub fn dlna_features(&self) -> Option<&str> {
        self.protocol_info.splitn(4, ':').nth(3)
    }
}

/// Parses a DIDL-Lite document.
pub fn parse(xml: &str) -> Result<Vec<Object>, String> {
    let doc = Document::parse(xml).map_err(|e| format!("DIDL-Lite is not XML: {e}"))?;
    let root = doc.root_element();
    if !root.has_tag_name((DIDL_NS, "DIDL-Lite")) {
        return Err(format!("root is {:?}, not DIDL-Lite", root.tag_name()));
    }
    root.children().filter(Node::is_element).map(object).collect()
}

fn object(node: Node) -> Result<Object, String> {
    let is_container = match node.tag_name() {
        t if t.namespace() == Some(DIDL_NS) && t.name() == "container" => true,
        t if t.namespace() == Some(DIDL_NS) && t.name() == "item" => false,
        t => return Err(format!("unexpected DIDL-Lite child {t:?}")),
    };
    let attr = |name: &str| node.attribute(name).map(str::to_string);
    let required = |name: &str| attr(name).ok_or_else(|| format!("object without {name}"));
    let child = |ns: &str, name: &str| {
        node.children()
            .find(|c| c.has_tag_name((ns, name)))
            .map(|c| c.text().unwrap_or_default().to_string())
    };
    let id = required("id")?;
    let title = child(DC_NS, "title").ok_or_else(|| format!("object {id} without dc:title"))?;
    let class = child(UPNP_NS, "class").ok_or_else(|| format!("object {id} without upnp:class"))?;
    let album_art = node.children().find(|c| c.has_tag_name((UPNP_NS, "albumArtURI"))).map(|c| {
        let profile = c.attribute((DLNA_NS, "profileID")).map(str::to_string);
        (c.text().unwrap_or_default().to_string(), profile)
    });
    let res = node
        .children()
        .filter(|c| c.has_tag_name((DIDL_NS, "res")))
        .map(res)
        .collect::<Result<_, _>>()?;
    Ok(Object {
        is_container,
        parent_id: required("parentID")?,
        restricted: matches!(attr("restricted").as_deref(), Some("1" | "true")),
        child_count: number(attr("childCount"), "childCount")?,
        title,
        class,
        creator: child(DC_NS, "creator"),
        artist: child(UPNP_NS, "artist"),
        album: child(UPNP_NS, "album"),
        genre: child(UPNP_NS, "genre"),
        date: child(DC_NS, "date"),
        track_number: number(child(UPNP_NS, "originalTrackNumber"), "originalTrackNumber")?,
        album_art,
        res,
        dcm_info: child(SEC_NS, "dcmInfo"),
        caption_info_ex: node
            .children()
            .filter(|c| c.has_tag_name((SEC_NS, "CaptionInfoEx")))
            .map(|c| {
                let kind = c.attribute((SEC_NS, "type")).unwrap_or_default().to_string();
                (kind, c.text().unwrap_or_default().to_string())
            })
            .collect(),
        id,
    })
}

fn res(node: Node) -> Result<Res, String> {
    let attr = |name: &str| node.attribute(name).map(str::to_string);
    Ok(Res {
        url: node.text().unwrap_or_default().trim().to_string(),
        protocol_info: attr("protocolInfo").ok_or("res without protocolInfo")?,
        size: number(attr("size"), "size")?,
        duration: attr("duration"),
        bitrate: number(attr("bitrate"), "bitrate")?,
        sample_frequency: number(attr("sampleFrequency"), "sampleFrequency")?,
        channels: number(attr("nrAudioChannels"), "nrAudioChannels")?,
        bits_per_sample: number(attr("bitsPerSample"), "bitsPerSample")?,
        resolution: attr("resolution"),
    })
}

fn number<T: std::str::FromStr>(text: Option<String>, what: &str) -> Result<Option<T>, String> {
    text.map(|t| t.trim().parse().map_err(|_| format!("{what} is not a number: {t:?}"))).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<DIDL-Lite xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/"
 xmlns:dlna="urn:schemas-dlna-org:metadata-1-0/">
<container id="1$2" parentID="1" restricted="1" childCount="2"><dc:title>Salt &amp; Stone</dc:title>
<upnp:class>object.container.album.musicAlbum</upnp:class></container>
<item id="1$2$3" parentID="1$2" restricted="true"><dc:title>Lumière</dc:title>
<upnp:class>object.item.audioItem.musicTrack</upnp:class><dc:creator>Anna Ödegaard</dc:creator>
<upnp:artist>Anna Ödegaard</upnp:artist><upnp:album>Night Signals</upnp:album>
<upnp:genre>Electronic</upnp:genre><upnp:originalTrackNumber>2</upnp:originalTrackNumber>
<upnp:albumArtURI dlna:profileID="JPEG_TN">http://127.0.0.1:8210/art/3.jpg</upnp:albumArtURI>
<res protocolInfo="http-get:*:audio/L16;rate=44100;channels=1:DLNA.ORG_PN=LPCM;DLNA.ORG_OP=10"
 size="882000" duration="0:00:10.000" bitrate="88200" sampleFrequency="44100" nrAudioChannels="1"
 bitsPerSample="16">http://127.0.0.1:8210/media/3.l16</res>
<res protocolInfo="http-get:*:application/ogg:*">http://127.0.0.1:8210/media/3.ogg</res></item>
</DIDL-Lite>"#;

    #[test]
    fn parses_containers_items_and_res() {
        let objects = parse(SAMPLE).unwrap();
        assert_eq!(objects.len(), 2);
        let album = &objects[0];
        assert!(album.is_container && album.restricted);
        assert_eq!((album.id.as_str(), album.parent_id.as_str()), ("1$2", "1"));
        assert_eq!((album.title.as_str(), album.child_count), ("Salt & Stone", Some(2)));
        let track = &objects[1];
        assert!(!track.is_container);
        assert_eq!(track.title, "Lumière");
        assert_eq!(track.artist.as_deref(), Some("Anna Ödegaard"));
        assert_eq!(track.track_number, Some(2));
        let art = track.album_art.as_ref().unwrap();
        assert_eq!(art.1.as_deref(), Some("JPEG_TN"));
        assert_eq!(track.res.len(), 2);
        let l16 = &track.res[0];
        assert_eq!(l16.mime(), Some("audio/L16;rate=44100;channels=1"));
        assert_eq!(l16.dlna_features(), Some("DLNA.ORG_PN=LPCM;DLNA.ORG_OP=10"));
        assert_eq!((l16.size, l16.bitrate, l16.channels), (Some(882_000), Some(88_200), Some(1)));
        assert_eq!(l16.url, "http://127.0.0.1:8210/media/3.l16");
        assert_eq!(track.res[1].size, None);
    }

    #[test]
    fn rejects_what_players_would_choke_on() {
        assert!(parse("<DIDL-Lite>").is_err());
        assert!(parse("<DIDL-Lite/>").is_err(), "no namespace");
        let no_title = SAMPLE.replace("<dc:title>Lumière</dc:title>", "");
        assert!(parse(&no_title).unwrap_err().contains("dc:title"));
        let bad_size = SAMPLE.replace("size=\"882000\"", "size=\"lots\"");
        assert!(parse(&bad_size).unwrap_err().contains("size"));
        let no_parent = SAMPLE.replace(" parentID=\"1\"", "");
        assert!(parse(&no_parent).is_err());
    }
}
