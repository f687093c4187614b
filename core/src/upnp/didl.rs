//! DIDL-Lite: the ContentDirectory's description of containers and items.
//!
//! A [`Document`] borrows the library and a list of object ids and renders lazily into any
//! writer, as DIDL-Lite or, inside a SOAP `Result`, escaped once more (so text is escaped twice
//! on the wire). Both forms are written in one pass, object by object: fixed markup is a
//! constant in both forms (escaped at compile time), text is escaped once or twice as it is
//! copied, and numbers and ids are written as digits without `core::fmt`; a Browse answer of
//! 1,000 tracks is about 1.5 MB of such text. The [`Filter`] decides which optional properties
//! appear: `id`, `parentID`, `restricted`, `dc:title`, `upnp:class` and `res@protocolInfo`
//! always do.
//!
//! An item's `res` elements come from [`resources`]: the file itself and, for Vorbis, its
//! transcoded renditions (L16, WAV, and the LPCM-profile version for players that need it),
//! each a [`Resource`] with its own protocolInfo and URL extension. A video's sidecar subtitles
//! follow as Samsung's `sec:CaptionInfoEx` or as `res` elements of their own (see `caption.rs`).

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt::{self, Write};

#[cfg(feature = "subtitles")]
mod caption;

use super::bookmarks::Bookmarks;
use super::{ART_PATH, MEDIA_PATH};
use crate::dlna::{MediaFormat, OggCodec, ProtocolInfo};
use crate::library::{class_of, Hex, Item, Library, List, ObjectId, ObjectRef, Tag};
#[cfg(feature = "remux")]
use crate::player::video::{self, Remux, RemuxAudio};
use crate::player::Quirks;
use crate::transcode::{Layout, Wrapping, WRAPPINGS};
use crate::util::wide::mul_div;
use crate::xml::{escape_into, escape_twice_into, markup, Markup, Render};

/// The most `res` elements one item has.
pub const MAX_RESOURCES: usize = 4;

/// The DIDL-Lite root element with the namespaces Rill uses.
const DIDL_START: &str = "<DIDL-Lite xmlns=\"urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/\" \
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
    xmlns:upnp=\"urn:schemas-upnp-org:metadata-1-0/upnp/\" \
    xmlns:dlna=\"urn:schemas-dlna-org:metadata-1-0/\">";

/// [`DIDL_START`] with Samsung's namespace, for documents that carry `sec:` elements.
const DIDL_START_SEC: &str = "<DIDL-Lite xmlns=\"urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/\" \
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
    xmlns:upnp=\"urn:schemas-upnp-org:metadata-1-0/upnp/\" \
    xmlns:dlna=\"urn:schemas-dlna-org:metadata-1-0/\" \
    xmlns:sec=\"http://www.sec.co.kr/\">";

/// A Browse `Filter`: `*` (everything) or a comma-separated list of properties such as
/// `dc:creator,res@size,upnp:album`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter<'a>(Option<Cow<'a, str>>);

impl<'a> Filter<'a> {
    /// Everything.
    pub const ALL: Filter<'static> = Filter(None);

    /// Reads a Filter argument; an entry `*` anywhere means everything.
    pub fn parse(filter: impl Into<Cow<'a, str>>) -> Self {
        let filter = filter.into();
        if filter.split(',').any(|e| e.trim() == "*") {
            Filter(None)
        } else {
            Filter(Some(filter))
        }
    }

    /// Whether property `name` (e.g. `upnp:album`, `res@size`) is requested.
    pub fn allows(&self, name: &str) -> bool {
        match &self.0 {
            None => true,
            Some(list) => list.split(',').any(|e| e.trim() == name),
        }
    }

    /// Whether `res` elements are requested (`res` or any `res@...`).
    fn allows_res(&self) -> bool {
        match &self.0 {
            None => true,
            Some(list) => {
                list.split(',').map(str::trim).any(|e| e == "res" || e.starts_with("res@"))
            }
        }
    }

    fn allows_child_count(&self) -> bool {
        self.allows("@childCount")
            || self.allows("container@childCount")
            || self.allows("childCount")
    }
}

/// An album art URL: `http://<host>/rill/art/<id>.jpg`, the `JPEG_TN` thumbnail of object
/// `id` (see [`Library::art`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArtUrl<'a> {
    /// `host:port` the client reached the server on (IPv6 in brackets).
    pub host: &'a str,
    /// The object whose thumbnail it is.
    pub id: ObjectId,
}

impl fmt::Display for ArtUrl<'_> {
    /// The URL, XML-escaped like [`MediaUrl`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sink = Sink::new(false);
        sink.art_url(self);
        f.write_str(&sink.out)
    }
}

/// A resource URL: `http://<host>/rill/media/<id>.<ext>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaUrl<'a> {
    /// `host:port` the client reached the server on (IPv6 in brackets).
    pub host: &'a str,
    /// The item.
    pub id: ObjectId,
    /// The extension selecting the resource.
    pub ext: &'a str,
}

impl fmt::Display for MediaUrl<'_> {
    /// The URL, XML-escaped: the host comes from the connection, the rest is ours.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sink = Sink::new(false);
        sink.media_url(self, None);
        f.write_str(&sink.out)
    }
}

/// A play time rendered as `H:MM:SS.mmm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub u64);

impl Duration {
    /// The hours, and the fixed-width rest `:MM:SS.mmm` (written as digits directly: padded
    /// integer formatting is slow, and every `res` of a Browse answer has a duration).
    fn fields(self) -> (u64, DurationTail) {
        let ms = self.0;
        let s = ms / 1000;
        let fixed = [
            s / 60 % 60 / 10,
            s / 60 % 10,
            s % 60 / 10,
            s % 10,
            ms % 1000 / 100,
            ms % 100 / 10,
            ms % 10,
        ];
        let d = |i: usize| b'0' + fixed.get(i).map_or(0, |&v| v as u8);
        (s / 3600, DurationTail([b':', d(0), d(1), b':', d(2), d(3), b'.', d(4), d(5), d(6)]))
    }
}

/// `:MM:SS.mmm`, from [`Duration::fields`].
struct DurationTail([u8; 10]);

impl DurationTail {
    fn as_str(&self) -> &str {
        // ASCII digits and punctuation: valid UTF-8.
        core::str::from_utf8(&self.0).unwrap_or(":00:00.000")
    }
}

impl fmt::Display for Duration {
    /// `H:MM:SS.mmm`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hours, rest) = self.fields();
        write!(f, "{hours}")?;
        f.write_str(rest.as_str())
    }
}

/// One `res` element of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource<'a> {
    /// The protocolInfo attribute.
    pub protocol_info: ProtocolInfo<'a>,
    /// The element text.
    pub url: MediaUrl<'a>,
    /// `size` in bytes.
    pub size: Option<u64>,
    /// `duration` in milliseconds.
    pub duration_ms: Option<u64>,
    /// `bitrate` in bytes per second (DLNA's unit, despite the name).
    pub bitrate: Option<u64>,
    /// `sampleFrequency` in Hz.
    pub sample_rate: Option<u32>,
    /// `nrAudioChannels`.
    pub channels: Option<u8>,
    /// `bitsPerSample`.
    pub bits_per_sample: Option<u8>,
    /// `resolution` of a video or picture, width and height in pixels.
    pub resolution: Option<(u32, u32)>,
}

/// The resources of item `id`, as reached via `host`, for a player with `quirks`: the
/// original file, and for a Vorbis, FLAC or ALAC item whose exact length is known its L16 and
/// WAV renditions. Players that decode the format get the original first; others get the renditions first, L16
/// before WAV unless the player prefers WAV. A stream outside the LPCM profile (more than two
/// channels, or neither 44.1 nor 48 kHz) keeps its honest renditions (true rate and channels,
/// no `DLNA.ORG_PN`); a player that needs the profile ([`Quirks::lpcm_profile_only`]) also
/// gets its converted profile version ([`Wrapping::Lpcm`], `DLNA.ORG_PN=LPCM`), first among
/// the renditions. Seek methods, MIME overrides and size limits come from the player's quirks.
/// A video a player cannot play as it is gets its remux first, when there is one (see
/// `crate::player::video`, feature `remux`): `video/mpeg`, no size, with the item's duration and resolution.
pub fn resources<'a>(
    id: ObjectId,
    item: &Item,
    host: &'a str,
    quirks: &Quirks,
) -> heapless::Vec<Resource<'a>, MAX_RESOURCES> {
    let audio = item.audio();
    let bitrate = item
        .duration_ms()
        .filter(|&ms| ms > 0)
        .and_then(|ms| mul_div(item.file().size, 1000, ms))
        .and_then(|b| u32::try_from(b).ok())
        .map(|b| u64::from(quirks.res_bitrate(b)));
    let original = Resource {
        protocol_info: quirks.probed_protocol_info(item.format, item.dlna_profile()),
        url: MediaUrl { host, id, ext: item.format.extension() },
        size: quirks.res_size(item.file().size),
        duration_ms: item.duration_ms(),
        bitrate,
        sample_rate: audio.map(|a| a.sample_rate),
        channels: audio.map(|a| a.channels),
        bits_per_sample: audio.map(|a| a.bits_per_sample).filter(|&b| b > 0),
        resolution: item.resolution().map(|(w, h)| (u32::from(w.get()), u32::from(h.get()))),
    };
    let mut wrappings = WRAPPINGS;
    if quirks.prefers_wav {
        wrappings.reverse();
    }
    let lpcm = quirks.lpcm_profile_only.then_some(Wrapping::Lpcm);
    let renditions = lpcm.into_iter().chain(wrappings).filter_map(|wrapping| {
        let layout = Layout::of_item(item, wrapping)?;
        let seek = quirks.transcode_seek;
        Some(Resource {
            protocol_info: layout.protocol_info(seek.time, seek.byte),
            url: MediaUrl { host, id, ext: wrapping.extension() },
            size: quirks.res_size(layout.total_len()),
            duration_ms: Some(layout.duration_us() / 1000),
            bitrate: u32::try_from(layout.byte_rate())
                .ok()
                .map(|b| u64::from(quirks.res_bitrate(b))),
            sample_rate: Some(layout.rate),
            channels: Some(layout.channels),
            bits_per_sample: Some(16),
            resolution: None,
        })
    });
    let mut list = heapless::Vec::new();
    // A video the player cannot play as it is: its remux first (a video has no renditions).
    #[cfg(feature = "remux")]
    let remux = item
        .tracks()
        .and_then(|tracks| Remux::needed(quirks.video, item.format, tracks, original.resolution));
    #[cfg(feature = "remux")]
    if let Some(remux) = remux {
        // Copied audio keeps its rate and channels; AC-3 made from it is not described.
        let copied = matches!(remux.audio, RemuxAudio::Copy(_));
        let _ = list.push(Resource {
            protocol_info: remux.protocol_info(),
            url: MediaUrl { host, id, ext: video::EXTENSION },
            size: None,
            bitrate: None,
            sample_rate: original.sample_rate.filter(|_| copied),
            channels: original.channels.filter(|_| copied),
            bits_per_sample: None,
            ..original
        });
    }
    // Capacity MAX_RESOURCES >= 1 + 1 + WRAPPINGS.len(): no push fails.
    let original_first = match item.format {
        // The codec inside, not the name, decides: an Opus file named `.ogg` is Opus to a
        // player that plays only Vorbis; FLAC in Ogg needs both Ogg and FLAC.
        MediaFormat::OggVorbis => match item.ogg_codec() {
            Some(OggCodec::Opus) => quirks.decodes_alac_opus,
            Some(OggCodec::Flac) => quirks.decodes_vorbis && quirks.decodes_flac,
            Some(OggCodec::Vorbis) | None => quirks.decodes_vorbis,
        },
        MediaFormat::Flac => quirks.decodes_flac,
        MediaFormat::M4a | MediaFormat::Opus => quirks.decodes_alac_opus,
        _ => true,
    };
    if original_first {
        let _ = list.push(original);
        list.extend(renditions);
    } else {
        list.extend(renditions);
        let _ = list.push(original);
    }
    list
}

/// A DIDL-Lite document listing `objects` (in order) from `library`.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    library: &'a Library,
    objects: List<'a>,
    filter: Filter<'a>,
    host: &'a str,
    quirks: Quirks,
    listed_in: Option<ObjectId>,
    bookmarks: Option<&'a Bookmarks>,
}

impl<'a> Document<'a> {
    /// A document of `objects`, with properties chosen by `filter` and resource URLs on
    /// `host` (`host:port` as the client addressed the server).
    pub fn new(
        library: &'a Library,
        objects: List<'a>,
        filter: Filter<'a>,
        host: &'a str,
        quirks: Quirks,
    ) -> Self {
        Document { library, objects, filter, host, quirks, listed_in: None, bookmarks: None }
    }

    /// Items gives Samsung TVs the position to resume at from `bookmarks`, as `sec:dcmInfo`
    /// `CREATIONDATE=0,FOLDER=<title>,BM=<position>` (MiniDLNA's and Gerbera's form) when the
    /// Filter allows `sec:dcmInfo`; the document then declares the `sec` namespace.
    pub fn with_bookmarks(mut self, bookmarks: &'a Bookmarks) -> Self {
        self.bookmarks = Some(bookmarks);
        self
    }

    /// The objects are the children of `container` as listed there: each gets it as its
    /// `parentID`, whatever its own parent (an item in an album or genre, an album in
    /// Albums; see [`crate::library::music`]).
    pub fn listed_in(mut self, container: ObjectId) -> Self {
        self.listed_in = Some(container);
        self
    }

    /// The number of objects listed.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether no object is listed.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// How many leading objects fit in `room` bytes when rendered as by
    /// [`Document::render_escaped`] (without the DIDL-Lite root element, which the caller counts
    /// with the rest of the answer around the objects). Renders objects only until one does not
    /// fit.
    pub fn escaped_prefix_within(&self, room: usize) -> usize {
        let mut used = 0usize;
        let mut sink = Sink::new(true);
        let mut fits = 0;
        for obj in self.objects.iter() {
            sink.out.clear();
            self.write_object(&mut sink, obj.id(), obj);
            used = used.saturating_add(sink.out.len());
            if used > room {
                break;
            }
            fits += 1;
        }
        fits
    }

    /// Keeps only the first `n` objects.
    pub fn truncate(&mut self, n: usize) {
        self.objects.truncate(n);
    }

    /// `<name>value</name>` if there is a value and the filter asks for it.
    fn text_element(&self, s: &mut Sink<'_>, name: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|_| self.filter.allows(name)) {
            s.markup(markup!("<"));
            s.ascii(name);
            s.markup(markup!(">"));
            s.text(v);
            s.markup(markup!("</"));
            s.ascii(name);
            s.markup(markup!(">"));
        }
    }

    /// Writes one object. This is the hot loop of a Browse answer: every fixed piece of markup
    /// is a constant in both forms, numbers are written digit by digit, and nothing goes
    /// through `core::fmt`.
    fn write_object(&self, s: &mut Sink<'a>, id: ObjectId, obj: ObjectRef<'_>) {
        let hex = id.hex();
        match (obj.as_container(), obj.as_item()) {
            (Some(c), _) => {
                s.markup(markup!("<container id=\""));
                s.ascii(hex.as_str());
                s.markup(markup!("\" parentID=\""));
                self.parent_id(s, id, obj);
                s.markup(markup!("\" restricted=\"1\""));
                if self.filter.allows_child_count() {
                    s.markup(markup!(" childCount=\""));
                    s.number(c.child_count() as u64);
                    s.markup(markup!("\""));
                }
                s.markup(markup!(">"));
                self.common(s, obj);
                let artist = self.library.album_artist(id);
                self.text_element(s, "dc:creator", artist);
                self.text_element(s, "upnp:artist", artist);
                self.art(s, id);
                s.markup(markup!("</container>"));
            }
            (None, Some(item)) => {
                s.markup(markup!("<item id=\""));
                s.ascii(hex.as_str());
                s.markup(markup!("\" parentID=\""));
                self.parent_id(s, id, obj);
                s.markup(markup!("\" restricted=\"1\">"));
                self.common(s, obj);
                let artist = obj.tag(Tag::Artist);
                self.text_element(s, "dc:creator", artist);
                self.text_element(s, "upnp:artist", artist);
                self.text_element(s, "upnp:album", obj.tag(Tag::Album));
                self.text_element(s, "upnp:genre", obj.tag(Tag::Genre));
                self.text_element(s, "dc:date", obj.tag(Tag::Date));
                if let Some(track) = item.track() {
                    if self.filter.allows("upnp:originalTrackNumber") {
                        s.markup(markup!("<upnp:originalTrackNumber>"));
                        s.number(u64::from(track));
                        s.markup(markup!("</upnp:originalTrackNumber>"));
                    }
                }
                self.art(s, id);
                self.bookmark(s, id, obj);
                #[cfg(feature = "subtitles")]
                let video = item.format.kind() == crate::dlna::MediaKind::Video;
                #[cfg(feature = "subtitles")]
                if video {
                    self.sec_captions(s, id);
                }
                if self.filter.allows_res() {
                    for res in resources(id, &item, self.host, &self.quirks) {
                        self.write_resource(s, &res, hex);
                    }
                }
                #[cfg(feature = "subtitles")]
                if video {
                    self.caption_res(s, id);
                }
                s.markup(markup!("</item>"));
            }
            (None, None) => {}
        }
    }

    /// The `parentID`: the container the object is listed in, or `-1` for the root.
    fn parent_id(&self, s: &mut Sink<'_>, id: ObjectId, obj: ObjectRef<'_>) {
        if id == ObjectId::ROOT {
            s.ascii("-1");
        } else {
            s.ascii(self.listed_in.unwrap_or(obj.parent()).hex().as_str());
        }
    }

    /// `upnp:albumArtURI` when the object has art.
    fn art(&self, s: &mut Sink<'_>, id: ObjectId) {
        if let Some(art) = self.library.art(id).filter(|_| self.filter.allows("upnp:albumArtURI")) {
            s.markup(markup!("<upnp:albumArtURI dlna:profileID=\"JPEG_TN\">"));
            s.art_url(&ArtUrl { host: self.host, id: art });
            s.markup(markup!("</upnp:albumArtURI>"));
        }
    }

    /// `sec:dcmInfo` with the bookmark of item `id`, if it has one and the filter asks.
    fn bookmark(&self, s: &mut Sink<'_>, id: ObjectId, obj: ObjectRef<'_>) {
        let Some(position) = self.bookmarks.and_then(|b| b.get(id)) else { return };
        if self.filter.allows("sec:dcmInfo") {
            s.markup(markup!("<sec:dcmInfo>CREATIONDATE=0,FOLDER="));
            s.text(obj.title());
            s.markup(markup!(",BM="));
            s.number(u64::from(position));
            s.markup(markup!("</sec:dcmInfo>"));
        }
    }

    fn common(&self, s: &mut Sink<'_>, obj: ObjectRef<'_>) {
        s.markup(markup!("<dc:title>"));
        s.text(obj.title());
        s.markup(markup!("</dc:title><upnp:class>"));
        s.markup_text(class_of(obj));
        s.markup(markup!("</upnp:class>"));
    }

    /// One `res` element; `hex` is the item's id, printed.
    fn write_resource(&self, s: &mut Sink<'a>, res: &Resource<'a>, hex: Hex) {
        s.markup(markup!("<res protocolInfo=\""));
        s.protocol_info(res.protocol_info);
        s.markup(markup!("\""));
        let f = &self.filter;
        if let Some(size) = res.size.filter(|_| f.allows("res@size")) {
            s.attribute(markup!(" size=\""), size);
        }
        if let Some(ms) = res.duration_ms.filter(|_| f.allows("res@duration")) {
            s.markup(markup!(" duration=\""));
            let (hours, rest) = Duration(ms).fields();
            s.number(hours);
            s.ascii(rest.as_str());
            s.markup(markup!("\""));
        }
        if let Some(rate) = res.bitrate.filter(|_| f.allows("res@bitrate")) {
            s.attribute(markup!(" bitrate=\""), rate);
        }
        if let Some(hz) = res.sample_rate.filter(|_| f.allows("res@sampleFrequency")) {
            s.attribute(markup!(" sampleFrequency=\""), u64::from(hz));
        }
        if let Some(n) = res.channels.filter(|_| f.allows("res@nrAudioChannels")) {
            s.attribute(markup!(" nrAudioChannels=\""), u64::from(n));
        }
        if let Some(bits) = res.bits_per_sample.filter(|_| f.allows("res@bitsPerSample")) {
            s.attribute(markup!(" bitsPerSample=\""), u64::from(bits));
        }
        if let Some((w, h)) = res.resolution.filter(|_| f.allows("res@resolution")) {
            s.markup(markup!(" resolution=\""));
            s.number(u64::from(w));
            s.markup(markup!("x"));
            s.number(u64::from(h));
            s.markup(markup!("\""));
        }
        s.markup(markup!(">"));
        s.media_url(&res.url, Some(hex));
        s.markup(markup!("</res>"));
    }

    /// Renders the document: as DIDL-Lite, or (`nested`) escaped once more as the text of a
    /// SOAP `Result`. Objects are written into one buffer, handed to `w` every [`FLUSH`] bytes.
    fn render_as(&self, w: &mut dyn Write, nested: bool) -> fmt::Result {
        let mut sink = Sink::new(nested);
        if self.bookmarks.is_some() || self.quirks.samsung_extensions {
            sink.markup(markup!(DIDL_START_SEC));
        } else {
            sink.markup(markup!(DIDL_START));
        }
        for obj in self.objects.iter() {
            self.write_object(&mut sink, obj.id(), obj);
            if sink.out.len() >= FLUSH {
                w.write_str(&sink.out)?;
                sink.out.clear();
            }
        }
        sink.markup(markup!("</DIDL-Lite>"));
        w.write_str(&sink.out)
    }

    /// Renders the document XML-escaped once more, as the text of a SOAP `Result`, in one pass
    /// (markup escaped once, text twice).
    pub fn render_escaped(&self, w: &mut dyn Write) -> fmt::Result {
        self.render_as(w, true)
    }
}

/// How many bytes of rendered objects are gathered before they are handed to the writer.
const FLUSH: usize = 16 * 1024;

/// The most distinct protocolInfo texts one rendering keeps (a page of tracks shares a few).
const PROTOCOL_CACHE: usize = 8;

/// Where objects are written: DIDL-Lite as it is, or (`nested`) escaped once more as the text
/// of a SOAP `Result`. Either form is written directly, in one pass: fixed markup comes from
/// [`Markup`] constants holding both forms, and text is escaped once or twice as it is copied.
struct Sink<'a> {
    out: String,
    nested: bool,
    /// protocolInfo values already rendered, with their text in this sink's form.
    protocols: heapless::Vec<(ProtocolInfo<'a>, String), PROTOCOL_CACHE>,
}

impl<'a> Sink<'a> {
    fn new(nested: bool) -> Self {
        Sink { out: String::new(), nested, protocols: heapless::Vec::new() }
    }

    /// Fixed markup.
    fn markup(&mut self, m: Markup) {
        self.out.push_str(if self.nested { m.escaped } else { m.plain });
    }

    /// Markup that is not a constant (a class name, a protocolInfo): as it is, or escaped once.
    fn markup_text(&mut self, s: &str) {
        if self.nested {
            escape_into(&mut self.out, s);
        } else {
            self.out.push_str(s);
        }
    }

    /// Element or attribute text: escaped once, or twice.
    fn text(&mut self, s: &str) {
        if self.nested {
            escape_twice_into(&mut self.out, s);
        } else {
            escape_into(&mut self.out, s);
        }
    }

    /// Letters, digits and punctuation that no escaping changes (ids, numbers, element names).
    fn ascii(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// A number in decimal.
    fn number(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
            at -= 1;
            if rest == 0 {
                break;
            }
        }
        // ASCII digits: valid UTF-8.
        self.ascii(core::str::from_utf8(digits.get(at..).unwrap_or(b"0")).unwrap_or("0"));
    }

    /// `name` (which ends in `="`), the number, and the closing quote.
    fn attribute(&mut self, name: Markup, n: u64) {
        self.markup(name);
        self.number(n);
        self.markup(markup!("\""));
    }

    /// A protocolInfo, rendered once per distinct value.
    fn protocol_info(&mut self, info: ProtocolInfo<'a>) {
        if let Some((_, text)) = self.protocols.iter().find(|(known, _)| *known == info) {
            self.out.push_str(text);
            return;
        }
        let mut plain = String::new();
        // Writing into a String cannot fail.
        let _ = write!(plain, "{info}");
        let text = if self.nested {
            let mut escaped = String::new();
            escape_into(&mut escaped, &plain);
            escaped
        } else {
            plain
        };
        self.out.push_str(&text);
        // A full cache only means rendering again next time.
        let _ = self.protocols.push((info, text));
    }

    /// A resource URL (`hex`: the item's id, printed, when the caller has it).
    fn media_url(&mut self, url: &MediaUrl<'_>, hex: Option<Hex>) {
        self.markup(markup!("http://"));
        self.text(url.host);
        self.markup(markup!(MEDIA_PATH));
        self.ascii(hex.unwrap_or_else(|| url.id.hex()).as_str());
        self.markup(markup!("."));
        self.text(url.ext);
    }

    /// An album art URL.
    fn art_url(&mut self, url: &ArtUrl<'_>) {
        self.markup(markup!("http://"));
        self.text(url.host);
        self.markup(markup!(ART_PATH));
        self.ascii(url.id.hex().as_str());
        self.markup(markup!(".jpg"));
    }
}

impl Render for Document<'_> {
    fn render(&self, w: &mut dyn Write) -> fmt::Result {
        self.render_as(w, false)
    }
}

#[cfg(test)]
mod tests;
