//! X_MS_MediaReceiverRegistrar:1, which the Xbox 360 and Windows Media Player call before they
//! browse. Rill authorises every device: IsAuthorized and IsValidated answer 1, RegisterDevice
//! answers an empty message.

use alloc::vec;

use super::soap::{ErrorCode, Fault, Request, Response, Value};

/// Answers a Registrar request.
pub fn handle<'a>(request: &Request<'_>) -> Result<Response<'a>, Fault> {
    let action = request.action.name;
    let args = match action {
        "IsAuthorized" | "IsValidated" => vec![("Result", Value::Signed(1))],
        "RegisterDevice" => vec![("RegistrationRespMsg", Value::Text("".into()))],
        _ => return Err(Fault(ErrorCode::InvalidAction)),
    };
    Ok(Response { service: request.service, action, args })
}
