//! ConnectionManager:1 for a server without connection setup: one implicit connection `0`.
//!
//! GetProtocolInfo lists, as Source, the protocolInfo of every format Rill serves, as Browse
//! offers it to the asking player: each file format with that player's MIME overrides, then the
//! transcoded renditions (L16 in the four layouts of the DLNA LPCM profile, and WAV) with its
//! seek methods. L16 at rates outside the profile is served for files at those rates but not
//! listed: the list names formats, not every rate a file may have. Sink is empty.
//! GetCurrentConnectionInfo describes connection 0 and answers 706 (invalid connection
//! reference, ConnectionManager:1 section 2.4.4) for any other id, 402 for an id that is not a
//! number.

use alloc::string::String;
use alloc::vec;
use core::fmt::Write;

use super::soap::{ErrorCode, Fault, Request, Response, Value};
use crate::dlna::MediaFormat;
use crate::player::Quirks;
use crate::transcode::{Layout, WRAPPINGS};

/// The layouts (rate, channels) of the DLNA LPCM profile, listed for every rendition wrapping.
const LPCM_LAYOUTS: [(u32, u8); 4] = [(44_100, 2), (44_100, 1), (48_000, 2), (48_000, 1)];

/// The Source protocolInfo list for a player with `quirks`: every protocolInfo Browse offers
/// it, comma-separated, without duplicates.
pub fn source_protocol_info(quirks: &Quirks) -> String {
    let seek = quirks.transcode_seek;
    let files = MediaFormat::ALL.into_iter().map(|format| quirks.file_protocol_info(format));
    let renditions = WRAPPINGS.into_iter().flat_map(|wrapping| {
        LPCM_LAYOUTS.into_iter().filter_map(move |(rate, channels)| {
            Layout::new(wrapping, rate, channels, 0)
                .map(|layout| layout.protocol_info(seek.time, seek.byte))
        })
    });
    let mut out = String::new();
    let mut info = String::new();
    for protocol_info in files.chain(renditions) {
        info.clear();
        // Writing to a String cannot fail.
        let _ = write!(info, "{protocol_info}");
        if !out.split(',').any(|seen| seen == info) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&info);
        }
    }
    out
}

/// Answers a ConnectionManager request from a player with `quirks`.
pub fn handle<'a>(request: &Request<'_>, quirks: &Quirks) -> Result<Response<'a>, Fault> {
    let action = request.action.name;
    let args = match action {
        "GetProtocolInfo" => vec![
            ("Source", Value::Text(source_protocol_info(quirks).into())),
            ("Sink", Value::Text("".into())),
        ],
        "GetCurrentConnectionIDs" => vec![("ConnectionIDs", Value::Text("0".into()))],
        "GetCurrentConnectionInfo" => {
            let id = request.arg("ConnectionID").ok_or(Fault(ErrorCode::InvalidArgs))?;
            let id: i32 = id.trim().parse().map_err(|_| Fault(ErrorCode::InvalidArgs))?;
            if id != 0 {
                return Err(Fault(ErrorCode::InvalidConnectionReference));
            }
            vec![
                ("RcsID", Value::Signed(-1)),
                ("AVTransportID", Value::Signed(-1)),
                ("ProtocolInfo", Value::Text("".into())),
                ("PeerConnectionManager", Value::Text("".into())),
                ("PeerConnectionID", Value::Signed(-1)),
                ("Direction", Value::Text("Output".into())),
                ("Status", Value::Text("OK".into())),
            ]
        }
        _ => return Err(Fault(ErrorCode::InvalidAction)),
    };
    Ok(Response { service: request.service, action, args })
}
