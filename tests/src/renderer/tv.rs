//! Mock TVs: a Samsung TV and an LG webOS TV, sending the headers and SOAP envelopes those TVs
//! send, as recorded in public captures:
//!
//! - Samsung `X_GetFeatureList`: headers (`Accept: */*`, `User-Agent: SEC_HHP_[TV]UE32EH5307/1.0
//!   DLNADOC/1.50`, `Connection: close`) and envelope (`s:encodingStyle`, indented, an empty
//!   `u:X_GetFeatureList` element) from
//!   <https://github.com/UniversalMediaServer/UniversalMediaServer/issues/1676>.
//! - Samsung `Browse`: the same envelope form, from a UE40ES6500 in
//!   <https://github.com/UniversalMediaServer/UniversalMediaServer/issues/4713> (the argument
//!   values are the test's).
//! - Samsung `X_SetBookmark`: sent by `DLNADOC/1.50 SEC_HHP_[TV]UE40D6500/1.0` when playback
//!   stops (<https://github.com/gerbera/gerbera/issues/871>, <https://github.com/gerbera/gerbera/issues/848>);
//!   arguments `CategoryType`, `RID`, `PosSecond`, `ObjectID` in that order, as Gerbera's
//!   `cds.xml` declares them (<https://github.com/gerbera/gerbera/pull/1288>).
//! - LG webOS: `User-Agent: Linux/4.4.3-119.drd4tv.5 UPnP/1.0 LGE WebOS TV
//!   LGE_DLNA_SDK/1.6.0/05.80.60 DLNADOC/1.50` and `DLNADeviceName.lge.com:
//!   %5bLG%5d%20webOS%20TV%20OLED65B7D` on every request, description and SCPD included
//!   (<https://github.com/anacrolix/dms/issues/78>); the same two on Browse from an EG910V
//!   (<https://github.com/UniversalMediaServer/UniversalMediaServer/pull/877>).

use super::soap::Error;
use super::{BrowseResult, Player, Renderer, CONTENT_DIRECTORY};

/// A Samsung TV (2012 E series).
pub const SAMSUNG: Player = Player {
    name: "Samsung TV",
    headers: &[
        ("Accept", "*/*"),
        ("User-Agent", "SEC_HHP_[TV]UE32EH5307/1.0 DLNADOC/1.50"),
        ("Connection", "close"),
    ],
};

/// An LG webOS TV (OLED B7, 2017).
pub const LG: Player = Player {
    name: "LG webOS TV",
    headers: &[
        ("DLNADeviceName.lge.com", "%5bLG%5d%20webOS%20TV%20OLED65B7D"),
        (
            "User-Agent",
            "Linux/4.4.3-119.drd4tv.5 UPnP/1.0 LGE WebOS TV LGE_DLNA_SDK/1.6.0/05.80.60 DLNADOC/1.50",
        ),
    ],
};

/// A Samsung envelope around `action` with `args` (already XML text), laid out as the TVs
/// lay it out.
fn envelope(action: &str, args: &[(&str, &str)]) -> String {
    let mut body = String::from(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">\n    <s:Body>\n",
    );
    if args.is_empty() {
        body.push_str(&format!("        <u:{action} xmlns:u=\"{CONTENT_DIRECTORY}\"/>\n"));
    } else {
        body.push_str(&format!("        <u:{action} xmlns:u=\"{CONTENT_DIRECTORY}\">\n"));
        for (name, value) in args {
            body.push_str(&format!("            <{name}>{value}</{name}>\n"));
        }
        body.push_str(&format!("        </u:{action}>\n"));
    }
    body.push_str("    </s:Body>\n</s:Envelope>\n");
    body
}

/// A Samsung TV's calls, on a [`Renderer`] with [`SAMSUNG`]'s headers.
#[derive(Debug, Clone, Copy)]
pub struct Samsung {
    /// The control point, with the TV's headers.
    pub renderer: Renderer,
}

impl Default for Samsung {
    fn default() -> Self {
        Samsung { renderer: Renderer::new(SAMSUNG) }
    }
}

impl Samsung {
    /// `X_GetFeatureList`: the `FeatureList` text (a `Features` XML document).
    pub fn feature_list(&self, control_url: &str) -> Result<String, Error> {
        let body = envelope("X_GetFeatureList", &[]);
        let out = self.call(control_url, "X_GetFeatureList", &body)?;
        out.into_iter()
            .find(|(name, _)| name == "FeatureList")
            .map(|(_, text)| text)
            .ok_or_else(|| Error::Malformed("X_GetFeatureList without FeatureList".into()))
    }

    /// `Browse` of `object_id`'s children (`children`) or itself, all of them, filter `*`.
    pub fn browse(
        &self,
        control_url: &str,
        object_id: &str,
        children: bool,
    ) -> Result<BrowseResult, Error> {
        let flag = if children { "BrowseDirectChildren" } else { "BrowseMetadata" };
        let args = [
            ("ObjectID", object_id),
            ("BrowseFlag", flag),
            ("Filter", "*"),
            ("StartingIndex", "0"),
            ("RequestedCount", "0"),
            ("SortCriteria", ""),
        ];
        let out = self.call(control_url, "Browse", &envelope("Browse", &args))?;
        BrowseResult::from_args(&out)
    }

    /// `X_SetBookmark`: playback of `object_id` stopped at `position`.
    pub fn set_bookmark(
        &self,
        control_url: &str,
        object_id: &str,
        position: u32,
    ) -> Result<(), Error> {
        let position = position.to_string();
        let args = [
            ("CategoryType", "1"),
            ("RID", "0"),
            ("PosSecond", position.as_str()),
            ("ObjectID", object_id),
        ];
        self.call(control_url, "X_SetBookmark", &envelope("X_SetBookmark", &args)).map(drop)
    }

    fn call(
        &self,
        control_url: &str,
        action: &str,
        body: &str,
    ) -> Result<Vec<(String, String)>, Error> {
        self.renderer.soap_envelope(control_url, CONTENT_DIRECTORY, action, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feature_list_envelope_is_the_captured_one() {
        // UMS #1676 shows the envelope with 4-space indentation and an empty action element.
        let body = envelope("X_GetFeatureList", &[]);
        let doc = roxmltree::Document::parse(&body).unwrap();
        let action = doc.descendants().find(|n| n.has_tag_name("X_GetFeatureList")).unwrap();
        assert_eq!(action.tag_name().namespace(), Some(CONTENT_DIRECTORY));
        assert!(!action.has_children());
        assert!(body.contains("\n        <u:X_GetFeatureList xmlns:u="));
    }
}
