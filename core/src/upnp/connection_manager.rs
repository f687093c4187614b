//! ConnectionManager:1 for a server without connection setup: one implicit connection `0`.
//!
//! GetProtocolInfo lists, as Source, the protocolInfo of every format Rill serves (transcoded
//! profiles join this list when they exist); Sink is empty. GetCurrentConnectionInfo describes
//! connection 0 and answers 706 (invalid connection reference, ConnectionManager:1 section
//! 2.4.4) for any other id, 402 for an id that is not a number.

use alloc::string::String;
use alloc::vec;
use core::fmt::Write;

use super::soap::{ErrorCode, Fault, Request, Response, Value};
use crate::dlna::{MediaFormat, ProtocolInfo};

/// The Source protocolInfo list: every served protocolInfo, comma-separated, without
/// duplicates.
pub fn source_protocol_info() -> String {
    let mut out = String::new();
    let mut info = String::new();
    for format in MediaFormat::ALL {
        info.clear();
        // Writing to a String cannot fail.
        let _ = write!(info, "{}", ProtocolInfo::for_file(format));
        if !out.split(',').any(|seen| seen == info) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&info);
        }
    }
    out
}

/// Answers a ConnectionManager request.
pub fn handle<'a>(request: &Request<'_>) -> Result<Response<'a>, Fault> {
    let action = request.action.name;
    let args = match action {
        "GetProtocolInfo" => vec![
            ("Source", Value::Text(source_protocol_info().into())),
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
