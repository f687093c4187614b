//! DIDL-Lite: the ContentDirectory's description of containers and items.
//!
//! A [`Document`] borrows the library and a list of object ids and renders lazily into any
//! writer; inside a SOAP `Result` it is rendered through an escaping writer, so text escaped here
//! ends up escaped twice on the wire. The [`Filter`] decides which optional properties appear:
//! `id`, `parentID`, `restricted`, `dc:title`, `upnp:class` and `res@protocolInfo` always do.
//!
//! An item's `res` elements come from [`resources`]: the file itself and, for Vorbis, its
//! transcoded renditions (L16, WAV, and the LPCM-profile version for players that need it),
//! each a [`Resource`] with its own protocolInfo and URL extension.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt::{self, Write};

use super::{ART_PATH, MEDIA_PATH};
use crate::dlna::{MediaFormat, ProtocolInfo};
use crate::library::{class_of, Item, Library, Node, Object, ObjectId};
use crate::profile::Profile;
use crate::transcode::{Container, Layout, CONTAINERS};
use crate::xml::{escape_into, Count, Escape, Render};

/// The most `res` elements one item has.
pub const MAX_RESOURCES: usize = 4;

/// The DIDL-Lite root element with the namespaces Rill uses.
const DIDL_START: &str = "<DIDL-Lite xmlns=\"urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/\" \
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
    xmlns:upnp=\"urn:schemas-upnp-org:metadata-1-0/upnp/\" \
    xmlns:dlna=\"urn:schemas-dlna-org:metadata-1-0/\">";

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
        f.write_str("http://")?;
        Escape(&mut *f).write_str(self.host)?;
        write!(f, "{ART_PATH}{}.jpg", self.id)
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
        f.write_str("http://")?;
        Escape(&mut *f).write_str(self.host)?;
        write!(f, "{MEDIA_PATH}{}.", self.id)?;
        Escape(&mut *f).write_str(self.ext)
    }
}

/// A play time rendered as `H:MM:SS.mmm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub u64);

impl fmt::Display for Duration {
    /// `H:MM:SS.mmm`; the fixed-width fields are written as digits directly (padded integer
    /// formatting is slow, and every `res` of a Browse answer has a duration).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        let tail = [b':', d(0), d(1), b':', d(2), d(3), b'.', d(4), d(5), d(6)];
        write!(f, "{}", s / 3600)?;
        // ASCII digits and punctuation: valid UTF-8.
        f.write_str(core::str::from_utf8(&tail).unwrap_or(":00:00.000"))
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
}

/// The resources of item `id`, as reached via `host`, for a player with `profile`: the
/// original file, and for a Vorbis item whose exact length is known its L16 and WAV renditions.
/// Players that decode Vorbis get the original first; others get the renditions first, L16
/// before WAV unless the player prefers WAV. A stream outside the LPCM profile (more than two
/// channels, or neither 44.1 nor 48 kHz) keeps its honest renditions (true rate and channels,
/// no `DLNA.ORG_PN`); a player that needs the profile ([`Profile::lpcm_profile_only`]) also
/// gets its converted profile version ([`Container::Lpcm`], `DLNA.ORG_PN=LPCM`), first among
/// the renditions. Seek methods, MIME overrides and size limits come from the profile.
pub fn resources<'a>(
    id: ObjectId,
    item: &Item,
    host: &'a str,
    profile: &Profile,
) -> heapless::Vec<Resource<'a>, MAX_RESOURCES> {
    let details = &item.details;
    let audio = details.audio;
    let bitrate = details
        .duration_ms
        .filter(|&ms| ms > 0)
        .map(|ms| u128::from(item.file.size) * 1000 / u128::from(ms))
        .and_then(|b| u32::try_from(b).ok())
        .map(|b| u64::from(profile.res_bitrate(b)));
    let original = Resource {
        protocol_info: profile.file_protocol_info(item.format),
        url: MediaUrl { host, id, ext: item.format.extension() },
        size: profile.res_size(item.file.size),
        duration_ms: details.duration_ms,
        bitrate,
        sample_rate: audio.map(|a| a.sample_rate),
        channels: audio.map(|a| a.channels),
        bits_per_sample: audio.map(|a| a.bits_per_sample).filter(|&b| b > 0),
    };
    let mut containers = CONTAINERS;
    if profile.prefers_wav {
        containers.reverse();
    }
    let lpcm = profile.lpcm_profile_only.then_some(Container::Lpcm);
    let renditions = lpcm.into_iter().chain(containers).filter_map(|container| {
        let layout = Layout::of_item(item, container)?;
        let seek = profile.transcode_seek;
        Some(Resource {
            protocol_info: layout.protocol_info(seek.time, seek.byte),
            url: MediaUrl { host, id, ext: container.extension() },
            size: profile.res_size(layout.total_len()),
            duration_ms: Some(layout.duration_us() / 1000),
            bitrate: u32::try_from(layout.byte_rate())
                .ok()
                .map(|b| u64::from(profile.res_bitrate(b))),
            sample_rate: Some(layout.rate),
            channels: Some(layout.channels),
            bits_per_sample: Some(16),
        })
    });
    let mut list = heapless::Vec::new();
    // Capacity MAX_RESOURCES >= 1 + 1 + CONTAINERS.len(): no push fails.
    if profile.decodes_vorbis || item.format != MediaFormat::OggVorbis {
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
    objects: Cow<'a, [ObjectId]>,
    filter: Filter<'a>,
    host: &'a str,
    profile: Profile,
    listed_in: Option<ObjectId>,
}

impl<'a> Document<'a> {
    /// A document of `objects`, with properties chosen by `filter` and resource URLs on
    /// `host` (`host:port` as the client addressed the server).
    pub fn new(
        library: &'a Library,
        objects: Cow<'a, [ObjectId]>,
        filter: Filter<'a>,
        host: &'a str,
        profile: Profile,
    ) -> Self {
        Document { library, objects, filter, host, profile, listed_in: None }
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
        let mut used = Count(0);
        let mut object = String::new();
        let mut fits = 0;
        for &id in self.objects.iter() {
            if let Some(obj) = self.library.get(id) {
                object.clear();
                let rendered = self.render_object(&mut object, id, obj);
                if rendered.and_then(|()| Escape(&mut used).write_str(&object)).is_err()
                    || used.0 > room
                {
                    break;
                }
            }
            fits += 1;
        }
        fits
    }

    /// Keeps only the first `n` objects.
    pub fn truncate(&mut self, n: usize) {
        match &mut self.objects {
            Cow::Borrowed(all) => *all = all.get(..n).unwrap_or(all),
            Cow::Owned(all) => all.truncate(n),
        }
    }

    fn text_element(&self, w: &mut String, name: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|_| self.filter.allows(name)) {
            w.push('<');
            w.push_str(name);
            w.push('>');
            escape_into(w, v);
            w.push_str("</");
            w.push_str(name);
            w.push('>');
        }
    }

    /// Writes one object. Into a `String` rather than any writer: this is the hot loop of a
    /// Browse answer, and direct appends beat layers of `dyn fmt::Write`.
    fn render_object(&self, w: &mut String, id: ObjectId, obj: &Object) -> fmt::Result {
        let parent_id = self.listed_in.unwrap_or(obj.parent());
        let parent: &dyn fmt::Display = if id == ObjectId::ROOT { &"-1" } else { &parent_id };
        match obj.node() {
            Node::Container(c) => {
                write!(w, "<container id=\"{id}\" parentID=\"{parent}\" restricted=\"1\"")?;
                if self.filter.allows_child_count() {
                    write!(w, " childCount=\"{}\"", c.child_count())?;
                }
                w.push('>');
                self.common(w, obj);
                let artist = self.library.album_artist(id);
                self.text_element(w, "dc:creator", artist);
                self.text_element(w, "upnp:artist", artist);
                self.art(w, id)?;
                w.push_str("</container>");
                Ok(())
            }
            Node::Item(item) => {
                write!(w, "<item id=\"{id}\" parentID=\"{parent}\" restricted=\"1\">")?;
                self.common(w, obj);
                let tags = item.tags();
                let artist = tags.and_then(|t| t.artist.as_deref());
                self.text_element(w, "dc:creator", artist);
                self.text_element(w, "upnp:artist", artist);
                self.text_element(w, "upnp:album", tags.and_then(|t| t.album.as_deref()));
                self.text_element(w, "upnp:genre", tags.and_then(|t| t.genre.as_deref()));
                self.text_element(w, "dc:date", tags.and_then(|t| t.date.as_deref()));
                if let Some(track) = tags.and_then(|t| t.track) {
                    if self.filter.allows("upnp:originalTrackNumber") {
                        write!(w, "<upnp:originalTrackNumber>{track}</upnp:originalTrackNumber>")?;
                    }
                }
                self.art(w, id)?;
                if self.filter.allows_res() {
                    for res in resources(id, item, self.host, &self.profile) {
                        self.render_resource(w, &res)?;
                    }
                }
                w.push_str("</item>");
                Ok(())
            }
        }
    }

    /// `upnp:albumArtURI` when the object has art.
    fn art(&self, w: &mut String, id: ObjectId) -> fmt::Result {
        let Some(art) = self.library.art(id).filter(|_| self.filter.allows("upnp:albumArtURI"))
        else {
            return Ok(());
        };
        let url = ArtUrl { host: self.host, id: art };
        write!(w, "<upnp:albumArtURI dlna:profileID=\"JPEG_TN\">{url}</upnp:albumArtURI>")
    }

    fn common(&self, w: &mut String, obj: &Object) {
        w.push_str("<dc:title>");
        escape_into(w, obj.title());
        w.push_str("</dc:title><upnp:class>");
        w.push_str(class_of(obj));
        w.push_str("</upnp:class>");
    }

    fn render_resource(&self, w: &mut String, res: &Resource<'_>) -> fmt::Result {
        // A protocolInfo is made of MIME types, profile names and flags from fixed tables and of
        // numbers: it never holds a character XML would need escaped.
        write!(w, "<res protocolInfo=\"{}\"", res.protocol_info)?;
        let f = &self.filter;
        if let Some(size) = res.size.filter(|_| f.allows("res@size")) {
            write!(w, " size=\"{size}\"")?;
        }
        if let Some(ms) = res.duration_ms.filter(|_| f.allows("res@duration")) {
            write!(w, " duration=\"{}\"", Duration(ms))?;
        }
        if let Some(rate) = res.bitrate.filter(|_| f.allows("res@bitrate")) {
            write!(w, " bitrate=\"{rate}\"")?;
        }
        if let Some(hz) = res.sample_rate.filter(|_| f.allows("res@sampleFrequency")) {
            write!(w, " sampleFrequency=\"{hz}\"")?;
        }
        if let Some(n) = res.channels.filter(|_| f.allows("res@nrAudioChannels")) {
            write!(w, " nrAudioChannels=\"{n}\"")?;
        }
        if let Some(bits) = res.bits_per_sample.filter(|_| f.allows("res@bitsPerSample")) {
            write!(w, " bitsPerSample=\"{bits}\"")?;
        }
        // The URL escapes itself.
        write!(w, ">{}</res>", res.url)
    }
}

impl Document<'_> {
    /// Renders the document XML-escaped once more, as the text of a SOAP `Result`: each object
    /// is rendered into a reused buffer, escaped into a second one, and handed to `w` in one
    /// piece.
    pub fn render_escaped(&self, w: &mut dyn Write) -> fmt::Result {
        let mut escaped = String::new();
        self.render_with(w, |object, w| {
            escaped.clear();
            escape_into(&mut escaped, object);
            w.write_str(&escaped)
        })
    }

    /// Renders every object into a reused buffer and passes it to `out` (which writes it to `w`,
    /// escaped or not).
    fn render_with(
        &self,
        w: &mut dyn Write,
        mut out: impl FnMut(&str, &mut dyn Write) -> fmt::Result,
    ) -> fmt::Result {
        out(DIDL_START, w)?;
        let mut object = String::new();
        for &id in self.objects.iter() {
            if let Some(obj) = self.library.get(id) {
                object.clear();
                self.render_object(&mut object, id, obj)?;
                out(&object, w)?;
            }
        }
        out("</DIDL-Lite>", w)
    }
}

impl Render for Document<'_> {
    fn render(&self, w: &mut dyn Write) -> fmt::Result {
        self.render_with(w, |text, w| w.write_str(text))
    }
}

#[cfg(test)]
mod tests;
