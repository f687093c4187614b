//! Serving media files as they are on disk, with byte ranges.
//!
//! A request for `/rill/media/<id>.<ext>` names a library item; the item's format decides the
//! extension it may be asked for, its [`FileRef`](rill_core::library) the file, which is opened
//! through [`Storage`] (confined to the served folders). `Range` is resolved by
//! `rill_core::http::range` into 200 (whole), 206 (one merged span, with `Content-Range`) or 416.
//! The body is copied from the file with an exact `Content-Length`; `HEAD` gets the head only.
//! `contentFeatures.dlna.org` is sent when asked for (`getcontentFeatures.dlna.org: 1`).
//!
//! INTEGRATION(media): transcoded resources (L16 with time seek) and the DLNA request-header
//! policy (`transferMode.dlna.org` echo, 406 for unsupported `TimeSeekRange.dlna.org`) belong to a
//! core media planner; this module is the file I/O path such a planner will drive.

use std::io::SeekFrom;
use std::path::PathBuf;

use anyhow::Result;
use rill_core::dlna::ContentFeatures;
use rill_core::http::range::{self, ContentRange, Resolution};
use rill_core::http::request::Request;
use rill_core::http::response::StatusCode;
use rill_core::library::Library;
use rill_core::upnp::parse_media_path;
use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::storage::Storage;

/// A media answer: the head fields and, unless refused, the file span to send.
#[derive(Debug)]
pub struct Plan {
    /// 200, 206, 404 or 416.
    pub status: StatusCode,
    /// Extra headers for the head (Content-Type, Content-Range, DLNA).
    pub headers: Vec<(&'static str, String)>,
    /// The open file, the first byte and the number of bytes to send.
    pub body: Option<(File, u64, u64)>,
}

impl Plan {
    fn refuse(status: StatusCode) -> Plan {
        Plan { status, headers: Vec::new(), body: None }
    }
}

/// Plans the answer to a media request for `path`; `None` if the path is not a media path.
pub fn plan(
    req: &Request<'_, '_>,
    path: &str,
    library: &Library,
    storage: &Storage,
) -> Option<Plan> {
    let (id, ext) = parse_media_path(path)?;
    let Some(item) = library.get(id).and_then(|o| o.as_item()) else {
        return Some(Plan::refuse(StatusCode::NOT_FOUND));
    };
    let format = item.format;
    let file_ref = library.file_ref(id);
    let (Some(file_ref), true) = (file_ref, ext.eq_ignore_ascii_case(format.extension())) else {
        return Some(Plan::refuse(StatusCode::NOT_FOUND));
    };
    let rel: PathBuf = file_ref.components().collect();
    let (file, meta) = match storage.open(usize::from(file_ref.root), &rel) {
        Ok(opened) => opened,
        Err(e) => {
            tracing::debug!(path = %rel.display(), "media not served: {e}");
            return Some(Plan::refuse(StatusCode::NOT_FOUND));
        }
    };
    let len = meta.len();
    let mut headers = vec![("Content-Type", format.mime().to_string())];
    headers.push(("Accept-Ranges", "bytes".to_string()));
    if req.headers.get_str("getcontentFeatures.dlna.org").is_some_and(|v| v.trim() == "1") {
        headers.push(("contentFeatures.dlna.org", ContentFeatures::for_file(format).to_string()));
    }
    let resolution = match req.headers.get("range") {
        Some(value) => range::resolve(value, len),
        None => Resolution::Whole,
    };
    let (status, first, count) = match resolution {
        Resolution::Whole => (StatusCode::OK, 0, len),
        Resolution::Partial(span) => {
            let content_range = ContentRange::Bytes { range: span, len };
            headers.push(("Content-Range", content_range.to_string()));
            (StatusCode::PARTIAL_CONTENT, span.first, span.len())
        }
        Resolution::Unsatisfiable => {
            headers.push(("Content-Range", ContentRange::Unsatisfied { len }.to_string()));
            return Some(Plan { status: StatusCode::RANGE_NOT_SATISFIABLE, headers, body: None });
        }
    };
    Some(Plan { status, headers, body: Some((File::from_std(file), first, count)) })
}

/// Copies `count` bytes from `file` at `first` to `out`, failing if the file is shorter now.
pub async fn send<W>(out: &mut W, mut file: File, first: u64, count: u64) -> Result<()>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    file.seek(SeekFrom::Start(first)).await?;
    let copied = tokio::io::copy(&mut file.take(count), out).await?;
    if copied != count {
        anyhow::bail!("file shrank while sending: {copied} of {count} bytes");
    }
    Ok(())
}
