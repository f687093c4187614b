//! The device description served at [`DESCRIPTION_PATH`](super::DESCRIPTION_PATH).
//!
//! A UPnP 1.0 root device of type MediaServer:1 with the DLNA `X_DLNADOC` DMS-1.50 marker and the
//! three [`Service`]s. URLs are absolute paths, resolved by clients against the SSDP `LOCATION`,
//! so one rendering serves every interface.

use core::fmt;

use super::Service;
use crate::xml::{escape_text, Render};

/// An icon of the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icon<'a> {
    /// MIME type, e.g. `image/png`.
    pub mime: &'a str,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Colour depth in bits.
    pub depth: u8,
    /// URL (normally an absolute path on this server).
    pub url: &'a str,
}

/// What the description says about the device. A player's quirks may change the model fields
/// (the Xbox 360 wants modelName "Windows Media Player Sharing", modelNumber 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device<'a> {
    /// Name shown to users.
    pub friendly_name: &'a str,
    /// Manufacturer.
    pub manufacturer: &'a str,
    /// Manufacturer web site, if any.
    pub manufacturer_url: Option<&'a str>,
    /// Model name.
    pub model_name: &'a str,
    /// Model number.
    pub model_number: &'a str,
    /// Model description.
    pub model_description: &'a str,
    /// Serial number, if any.
    pub serial_number: Option<&'a str>,
    /// The unique device name, `uuid:...`.
    pub udn: &'a str,
    /// Icons (may be empty).
    pub icons: &'a [Icon<'a>],
    /// Samsung's `sec:ProductCap` (and the same `sec:X_ProductCap`), for Samsung TVs only
    /// (see [`super::samsung::PRODUCT_CAP`]). It names subtitles, so only a build that serves
    /// them declares it.
    #[cfg(feature = "subtitles")]
    pub product_cap: Option<&'a str>,
}

impl<'a> Device<'a> {
    /// Rill's own identity: manufacturer "Rill", model "Rill", model number the crate version.
    pub fn rill(friendly_name: &'a str, udn: &'a str, icons: &'a [Icon<'a>]) -> Self {
        Device {
            friendly_name,
            manufacturer: "Rill",
            manufacturer_url: None,
            model_name: "Rill",
            model_number: env!("CARGO_PKG_VERSION"),
            model_description: "Rill UPnP/DLNA media server",
            serial_number: None,
            udn,
            icons,
            #[cfg(feature = "subtitles")]
            product_cap: None,
        }
    }
}

fn element(w: &mut dyn fmt::Write, name: &str, text: &str) -> fmt::Result {
    write!(w, "<{name}>{}</{name}>", escape_text(text))
}

impl Render for Device<'_> {
    fn render(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        w.write_str(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <root xmlns=\"urn:schemas-upnp-org:device-1-0\" \
             xmlns:dlna=\"urn:schemas-dlna-org:device-1-0\"",
        )?;
        #[cfg(feature = "subtitles")]
        if self.product_cap.is_some() {
            w.write_str(" xmlns:sec=\"http://www.sec.co.kr/dlna\"")?;
        }
        w.write_str(
            "><specVersion><major>1</major><minor>0</minor></specVersion><device>\
             <deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>",
        )?;
        element(w, "friendlyName", self.friendly_name)?;
        element(w, "manufacturer", self.manufacturer)?;
        if let Some(url) = self.manufacturer_url {
            element(w, "manufacturerURL", url)?;
        }
        element(w, "modelDescription", self.model_description)?;
        element(w, "modelName", self.model_name)?;
        element(w, "modelNumber", self.model_number)?;
        if let Some(serial) = self.serial_number {
            element(w, "serialNumber", serial)?;
        }
        element(w, "UDN", self.udn)?;
        w.write_str("<dlna:X_DLNADOC>DMS-1.50</dlna:X_DLNADOC>")?;
        #[cfg(feature = "subtitles")]
        if let Some(cap) = self.product_cap {
            element(w, "sec:ProductCap", cap)?;
            element(w, "sec:X_ProductCap", cap)?;
        }
        if !self.icons.is_empty() {
            w.write_str("<iconList>")?;
            for icon in self.icons {
                w.write_str("<icon>")?;
                element(w, "mimetype", icon.mime)?;
                write!(
                    w,
                    "<width>{}</width><height>{}</height><depth>{}</depth>",
                    icon.width, icon.height, icon.depth
                )?;
                element(w, "url", icon.url)?;
                w.write_str("</icon>")?;
            }
            w.write_str("</iconList>")?;
        }
        w.write_str("<serviceList>")?;
        for service in Service::ALL {
            write!(
                w,
                "<service><serviceType>{}</serviceType><serviceId>{}</serviceId>\
                 <SCPDURL>{}</SCPDURL><controlURL>{}</controlURL>\
                 <eventSubURL>{}</eventSubURL></service>",
                service.urn(),
                service.service_id(),
                service.scpd_path(),
                service.control_path(),
                service.event_path()
            )?;
        }
        w.write_str("</serviceList></device></root>\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPNP: &str = "urn:schemas-upnp-org:device-1-0";

    fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> roxmltree::Node<'a, 'a> {
        node.children().find(|n| n.has_tag_name((UPNP, name))).unwrap_or_else(|| panic!("{name}"))
    }

    fn text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> &'a str {
        child(node, name).text().unwrap_or("")
    }

    #[test]
    fn description_parses_with_namespaces_and_all_fields() {
        let icons =
            [Icon { mime: "image/png", width: 48, height: 48, depth: 24, url: "/rill/icon48.png" }];
        let device = Device::rill("Rill: <home> & \"music\"", "uuid:1234-abcd", &icons);
        let mut out = String::new();
        device.render(&mut out).unwrap();
        assert_eq!(device.rendered_len().unwrap(), out.len());

        let doc = roxmltree::Document::parse(&out).unwrap();
        let root = doc.root_element();
        assert!(root.has_tag_name((UPNP, "root")));
        let spec = child(root, "specVersion");
        assert_eq!((text(spec, "major"), text(spec, "minor")), ("1", "0"));
        let dev = child(root, "device");
        assert_eq!(text(dev, "deviceType"), "urn:schemas-upnp-org:device:MediaServer:1");
        assert_eq!(text(dev, "friendlyName"), "Rill: <home> & \"music\"");
        assert_eq!(text(dev, "manufacturer"), "Rill");
        assert_eq!(text(dev, "UDN"), "uuid:1234-abcd");
        let dlnadoc = dev
            .children()
            .find(|n| n.has_tag_name(("urn:schemas-dlna-org:device-1-0", "X_DLNADOC")))
            .unwrap();
        assert_eq!(dlnadoc.text(), Some("DMS-1.50"));
        let icon = child(child(dev, "iconList"), "icon");
        assert_eq!((text(icon, "width"), text(icon, "url")), ("48", "/rill/icon48.png"));

        let services: Vec<_> =
            child(dev, "serviceList").children().filter(|n| n.is_element()).collect();
        assert_eq!(services.len(), 3);
        for (node, service) in services.iter().zip(Service::ALL) {
            assert_eq!(text(*node, "serviceType"), service.urn());
            assert_eq!(text(*node, "serviceId"), service.service_id());
            assert_eq!(Service::from_path(text(*node, "SCPDURL")).map(|s| s.0), Some(service));
            assert_eq!(Service::from_path(text(*node, "controlURL")).map(|s| s.0), Some(service));
            assert_eq!(Service::from_path(text(*node, "eventSubURL")).map(|s| s.0), Some(service));
        }
        assert!(services
            .iter()
            .any(|n| text(*n, "serviceType").contains("X_MS_MediaReceiverRegistrar")));
        assert!(!out.contains("sec:"));
    }

    #[test]
    #[cfg(feature = "subtitles")]
    fn samsung_gets_its_product_cap() {
        let device = Device { product_cap: Some("a,b"), ..Device::rill("R", "uuid:1", &[]) };
        let mut out = String::new();
        device.render(&mut out).unwrap();
        assert_eq!(device.rendered_len().unwrap(), out.len());
        let doc = roxmltree::Document::parse(&out).unwrap();
        let dev = child(doc.root_element(), "device");
        let sec = "http://www.sec.co.kr/dlna";
        for name in ["ProductCap", "X_ProductCap"] {
            let cap = dev.children().find(|n| n.has_tag_name((sec, name))).unwrap();
            assert_eq!(cap.text(), Some("a,b"));
        }
    }
}
