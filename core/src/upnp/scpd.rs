//! Service descriptions (SCPD) as data: one table per [`Service`] lists its actions with their
//! arguments and its state variables. The same tables render the SCPD documents and tell the
//! SOAP layer which actions exist, so the two cannot disagree. A service may have an
//! extension table that only some players see ([`Service::scpd_for`]): Samsung's actions on
//! the ContentDirectory.

use core::fmt;

use super::Service;
use crate::player::Quirks;
use crate::xml::Render;

/// Argument direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by the control point.
    In,
    /// Returned by the service.
    Out,
}

/// An action argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argument {
    /// Argument name.
    pub name: &'static str,
    /// In or out.
    pub direction: Direction,
    /// The state variable giving its type.
    pub related: &'static str,
}

/// An action and its arguments, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// Action name.
    pub name: &'static str,
    /// Arguments, in-arguments first.
    pub arguments: &'static [Argument],
}

/// A state variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateVariable {
    /// Variable name.
    pub name: &'static str,
    /// UPnP data type (`string`, `ui4`, `i4`, `bin.base64`, ...).
    pub data_type: &'static str,
    /// Whether changes are evented.
    pub evented: bool,
    /// Allowed values, if restricted.
    pub allowed: &'static [&'static str],
}

/// A service description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scpd {
    /// Actions.
    pub actions: &'static [Action],
    /// State variables.
    pub variables: &'static [StateVariable],
}

impl Scpd {
    /// The action called `name`.
    pub fn action(&self, name: &str) -> Option<&'static Action> {
        self.actions.iter().find(|a| a.name == name)
    }
}

impl Action {
    /// Names of the in-arguments.
    pub fn inputs(&self) -> impl Iterator<Item = &'static str> {
        self.arguments.iter().filter(|a| a.direction == Direction::In).map(|a| a.name)
    }
}

const fn arg_in(name: &'static str, related: &'static str) -> Argument {
    Argument { name, direction: Direction::In, related }
}

const fn arg_out(name: &'static str, related: &'static str) -> Argument {
    Argument { name, direction: Direction::Out, related }
}

const fn var(name: &'static str, data_type: &'static str) -> StateVariable {
    StateVariable { name, data_type, evented: false, allowed: &[] }
}

const fn evented(name: &'static str, data_type: &'static str) -> StateVariable {
    StateVariable { name, data_type, evented: true, allowed: &[] }
}

const BROWSE_ARGS: [Argument; 10] = [
    arg_in("ObjectID", "A_ARG_TYPE_ObjectID"),
    arg_in("BrowseFlag", "A_ARG_TYPE_BrowseFlag"),
    arg_in("Filter", "A_ARG_TYPE_Filter"),
    arg_in("StartingIndex", "A_ARG_TYPE_Index"),
    arg_in("RequestedCount", "A_ARG_TYPE_Count"),
    arg_in("SortCriteria", "A_ARG_TYPE_SortCriteria"),
    arg_out("Result", "A_ARG_TYPE_Result"),
    arg_out("NumberReturned", "A_ARG_TYPE_Count"),
    arg_out("TotalMatches", "A_ARG_TYPE_Count"),
    arg_out("UpdateID", "A_ARG_TYPE_UpdateID"),
];

const SEARCH_ARGS: [Argument; 10] = [
    arg_in("ContainerID", "A_ARG_TYPE_ObjectID"),
    arg_in("SearchCriteria", "A_ARG_TYPE_SearchCriteria"),
    arg_in("Filter", "A_ARG_TYPE_Filter"),
    arg_in("StartingIndex", "A_ARG_TYPE_Index"),
    arg_in("RequestedCount", "A_ARG_TYPE_Count"),
    arg_in("SortCriteria", "A_ARG_TYPE_SortCriteria"),
    arg_out("Result", "A_ARG_TYPE_Result"),
    arg_out("NumberReturned", "A_ARG_TYPE_Count"),
    arg_out("TotalMatches", "A_ARG_TYPE_Count"),
    arg_out("UpdateID", "A_ARG_TYPE_UpdateID"),
];

/// ContentDirectory:1 (Search included: Xbox and WMP expect it).
pub const CONTENT_DIRECTORY: Scpd = Scpd {
    actions: &[
        Action {
            name: "GetSearchCapabilities",
            arguments: &[arg_out("SearchCaps", "SearchCapabilities")],
        },
        Action {
            name: "GetSortCapabilities",
            arguments: &[arg_out("SortCaps", "SortCapabilities")],
        },
        Action { name: "GetSystemUpdateID", arguments: &[arg_out("Id", "SystemUpdateID")] },
        Action { name: "Browse", arguments: &BROWSE_ARGS },
        Action { name: "Search", arguments: &SEARCH_ARGS },
    ],
    variables: &[
        var("SearchCapabilities", "string"),
        var("SortCapabilities", "string"),
        evented("SystemUpdateID", "ui4"),
        evented("ContainerUpdateIDs", "string"),
        var("A_ARG_TYPE_ObjectID", "string"),
        var("A_ARG_TYPE_Result", "string"),
        var("A_ARG_TYPE_SearchCriteria", "string"),
        StateVariable {
            name: "A_ARG_TYPE_BrowseFlag",
            data_type: "string",
            evented: false,
            allowed: &["BrowseMetadata", "BrowseDirectChildren"],
        },
        var("A_ARG_TYPE_Filter", "string"),
        var("A_ARG_TYPE_SortCriteria", "string"),
        var("A_ARG_TYPE_Index", "ui4"),
        var("A_ARG_TYPE_Count", "ui4"),
        var("A_ARG_TYPE_UpdateID", "ui4"),
    ],
};

/// ConnectionManager:1.
pub const CONNECTION_MANAGER: Scpd = Scpd {
    actions: &[
        Action {
            name: "GetProtocolInfo",
            arguments: &[
                arg_out("Source", "SourceProtocolInfo"),
                arg_out("Sink", "SinkProtocolInfo"),
            ],
        },
        Action {
            name: "GetCurrentConnectionIDs",
            arguments: &[arg_out("ConnectionIDs", "CurrentConnectionIDs")],
        },
        Action {
            name: "GetCurrentConnectionInfo",
            arguments: &[
                arg_in("ConnectionID", "A_ARG_TYPE_ConnectionID"),
                arg_out("RcsID", "A_ARG_TYPE_RcsID"),
                arg_out("AVTransportID", "A_ARG_TYPE_AVTransportID"),
                arg_out("ProtocolInfo", "A_ARG_TYPE_ProtocolInfo"),
                arg_out("PeerConnectionManager", "A_ARG_TYPE_ConnectionManager"),
                arg_out("PeerConnectionID", "A_ARG_TYPE_ConnectionID"),
                arg_out("Direction", "A_ARG_TYPE_Direction"),
                arg_out("Status", "A_ARG_TYPE_ConnectionStatus"),
            ],
        },
    ],
    variables: &[
        evented("SourceProtocolInfo", "string"),
        evented("SinkProtocolInfo", "string"),
        evented("CurrentConnectionIDs", "string"),
        StateVariable {
            name: "A_ARG_TYPE_ConnectionStatus",
            data_type: "string",
            evented: false,
            allowed: &[
                "OK",
                "ContentFormatMismatch",
                "InsufficientBandwidth",
                "UnreliableChannel",
                "Unknown",
            ],
        },
        var("A_ARG_TYPE_ConnectionManager", "string"),
        StateVariable {
            name: "A_ARG_TYPE_Direction",
            data_type: "string",
            evented: false,
            allowed: &["Input", "Output"],
        },
        var("A_ARG_TYPE_ProtocolInfo", "string"),
        var("A_ARG_TYPE_ConnectionID", "i4"),
        var("A_ARG_TYPE_AVTransportID", "i4"),
        var("A_ARG_TYPE_RcsID", "i4"),
    ],
};

/// X_MS_MediaReceiverRegistrar:1.
pub const REGISTRAR: Scpd = Scpd {
    actions: &[
        Action {
            name: "IsAuthorized",
            arguments: &[
                arg_in("DeviceID", "A_ARG_TYPE_DeviceID"),
                arg_out("Result", "A_ARG_TYPE_Result"),
            ],
        },
        Action {
            name: "RegisterDevice",
            arguments: &[
                arg_in("RegistrationReqMsg", "A_ARG_TYPE_RegistrationReqMsg"),
                arg_out("RegistrationRespMsg", "A_ARG_TYPE_RegistrationRespMsg"),
            ],
        },
        Action {
            name: "IsValidated",
            arguments: &[
                arg_in("DeviceID", "A_ARG_TYPE_DeviceID"),
                arg_out("Result", "A_ARG_TYPE_Result"),
            ],
        },
    ],
    variables: &[
        var("A_ARG_TYPE_DeviceID", "string"),
        var("A_ARG_TYPE_Result", "int"),
        var("A_ARG_TYPE_RegistrationReqMsg", "bin.base64"),
        var("A_ARG_TYPE_RegistrationRespMsg", "bin.base64"),
        evented("AuthorizationGrantedUpdateID", "ui4"),
        evented("AuthorizationDeniedUpdateID", "ui4"),
        evented("ValidationSucceededUpdateID", "ui4"),
        evented("ValidationRevokedUpdateID", "ui4"),
    ],
};

impl Service {
    /// The service's description.
    pub fn scpd(self) -> &'static Scpd {
        match self {
            Service::ContentDirectory => &CONTENT_DIRECTORY,
            Service::ConnectionManager => &CONNECTION_MANAGER,
            Service::Registrar => &REGISTRAR,
        }
    }
}

impl Service {
    /// The actions some players get on top of the service's SCPD: Samsung's on the
    /// ContentDirectory ([`super::samsung::SCPD`]).
    pub fn extension(self) -> Option<&'static Scpd> {
        match self {
            Service::ContentDirectory => Some(&super::samsung::SCPD),
            Service::ConnectionManager | Service::Registrar => None,
        }
    }

    /// The action called `name`, in the SCPD or its [`Service::extension`] (whether the
    /// requesting player may call an extension action is for the service to decide).
    pub fn action(self, name: &str) -> Option<&'static Action> {
        self.scpd().action(name).or_else(|| self.extension()?.action(name))
    }

    /// The service description a player with `quirks` gets: with the
    /// [`Service::extension`] for players that use Samsung's extensions.
    pub fn scpd_for(self, quirks: &Quirks) -> Described {
        let extension = self.extension().filter(|_| quirks.samsung_extensions);
        Described { base: self.scpd(), extension }
    }
}

/// A service description as one player gets it: the SCPD and perhaps an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Described {
    base: &'static Scpd,
    extension: Option<&'static Scpd>,
}

impl Render for Described {
    fn render(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        let parts = [Some(self.base), self.extension];
        render_parts(w, &parts)
    }
}

impl Render for Scpd {
    fn render(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        render_parts(w, &[Some(self)])
    }
}

/// One SCPD document with the actions, then the state variables, of every part in order.
fn render_parts(w: &mut dyn fmt::Write, parts: &[Option<&Scpd>]) -> fmt::Result {
    let parts = || parts.iter().flatten();
    w.write_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <scpd xmlns=\"urn:schemas-upnp-org:service-1-0\">\
         <specVersion><major>1</major><minor>0</minor></specVersion><actionList>",
    )?;
    for action in parts().flat_map(|p| p.actions) {
        write!(w, "<action><name>{}</name><argumentList>", action.name)?;
        for arg in action.arguments {
            let direction = match arg.direction {
                Direction::In => "in",
                Direction::Out => "out",
            };
            write!(
                w,
                "<argument><name>{}</name><direction>{direction}</direction>\
                 <relatedStateVariable>{}</relatedStateVariable></argument>",
                arg.name, arg.related
            )?;
        }
        w.write_str("</argumentList></action>")?;
    }
    w.write_str("</actionList><serviceStateTable>")?;
    for v in parts().flat_map(|p| p.variables) {
        let events = if v.evented { "yes" } else { "no" };
        write!(
            w,
            "<stateVariable sendEvents=\"{events}\"><name>{}</name><dataType>{}</dataType>",
            v.name, v.data_type
        )?;
        if !v.allowed.is_empty() {
            w.write_str("<allowedValueList>")?;
            for value in v.allowed {
                write!(w, "<allowedValue>{value}</allowedValue>")?;
            }
            w.write_str("</allowedValueList>")?;
        }
        w.write_str("</stateVariable>")?;
    }
    w.write_str("</serviceStateTable></scpd>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "urn:schemas-upnp-org:service-1-0";

    #[test]
    fn scpds_are_well_formed_and_self_consistent() {
        let samsung = crate::player::Player::Samsung.quirks();
        let generic = Quirks::GENERIC;
        for (service, quirks) in Service::ALL.into_iter().flat_map(|s| [(s, samsung), (s, generic)])
        {
            let scpd = service.scpd();
            let extension = service.extension().filter(|_| quirks.samsung_extensions);
            let actions: Vec<&Action> =
                scpd.actions.iter().chain(extension.iter().flat_map(|e| e.actions)).collect();
            let mut out = String::new();
            service.scpd_for(&quirks).render(&mut out).unwrap();
            if quirks == generic {
                let mut plain = String::new();
                scpd.render(&mut plain).unwrap();
                assert_eq!(out, plain, "{service:?}");
            }
            let doc = roxmltree::Document::parse(&out).unwrap();
            let root = doc.root_element();
            assert!(root.has_tag_name((NS, "scpd")));
            let names = |tag: &str| -> Vec<String> {
                root.descendants()
                    .filter(|n| n.has_tag_name((NS, tag)))
                    .filter_map(|n| n.children().find(|c| c.has_tag_name((NS, "name"))))
                    .map(|n| n.text().unwrap_or("").to_string())
                    .collect()
            };
            let variables = names("stateVariable");
            assert_eq!(names("action").len(), actions.len());
            for related in
                root.descendants().filter(|n| n.has_tag_name((NS, "relatedStateVariable")))
            {
                let related = related.text().unwrap();
                assert!(variables.iter().any(|v| v == related), "{service:?}: {related}");
            }
            // Every A_ARG_TYPE variable is used by some argument.
            for v in variables.iter().filter(|v| v.starts_with("A_ARG_TYPE_")) {
                assert!(actions.iter().flat_map(|a| a.arguments).any(|a| a.related == v), "{v}");
            }
        }
        let cd = Service::ContentDirectory.scpd();
        for action in [
            "Browse",
            "Search",
            "GetSearchCapabilities",
            "GetSortCapabilities",
            "GetSystemUpdateID",
        ] {
            assert!(cd.action(action).is_some(), "{action}");
        }
        let samsung_cd = {
            let mut out = String::new();
            let described = Service::ContentDirectory.scpd_for(&samsung);
            described.render(&mut out).unwrap();
            out
        };
        for action in ["X_GetFeatureList", "X_SetBookmark"] {
            assert!(samsung_cd.contains(&format!("<name>{action}</name>")), "{action}");
            assert!(Service::ContentDirectory.action(action).is_some(), "{action}");
            assert!(cd.action(action).is_none(), "{action} only in the extension");
        }
        let evented: Vec<_> = cd.variables.iter().filter(|v| v.evented).map(|v| v.name).collect();
        assert_eq!(evented, ["SystemUpdateID", "ContainerUpdateIDs"]);
        assert_eq!(
            cd.action("Browse").unwrap().inputs().collect::<Vec<_>>(),
            ["ObjectID", "BrowseFlag", "Filter", "StartingIndex", "RequestedCount", "SortCriteria"]
        );
    }
}
