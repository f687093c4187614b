//! [`Player`]: the players Rill knows, and how request headers name them.

use super::Quirks;
use crate::http::request::Headers;

/// A player (a control point or renderer fetching media) with behaviour worth knowing about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Player {
    /// Sony PlayStation 3.
    Ps3,
    /// Microsoft Xbox 360 (its media browser speaks the Windows Media Player dialect).
    Xbox360,
    /// Windows Media Player 11/12 and the Windows media stack (`NSPlayer`).
    WindowsMediaPlayer,
    /// Samsung TVs, Blu-ray players and soundbars (`SEC_HHP_`).
    Samsung,
    /// LG TVs and Blu-ray players built on LG's DLNA SDK (`LGE_DLNA_SDK`).
    Lg,
    /// Sony Bravia TVs.
    Bravia,
    /// Kodi, formerly XBMC.
    Kodi,
    /// VLC media player.
    Vlc,
    /// BubbleUPnP for Android.
    BubbleUpnp,
    /// Anything else: plain DLNA behaviour.
    Generic,
}

const UA: &str = "user-agent";
/// Sony's `X-AV-Client-Info: av=5.0; cn="..."; mn="<model>"; mv="..."`.
const CLIENT_INFO: &str = "x-av-client-info";
/// Sony's `X-AV-Physical-Unit-Info: pa="<model>"`.
const UNIT_INFO: &str = "x-av-physical-unit-info";

/// Header `.0` containing `.1` (ASCII case-insensitive; empty matches any value) names `.2`.
type Rule = (&'static str, &'static str, Player);

/// The first matching rule wins. Sources: MiniDLNA `clients.c` (M), UMS renderer `.conf` files
/// and `RendererConfigurationTest` (U), Gerbera `client_manager.cc` (G).
///
/// Deliberately absent, because many unrelated clients send them: `UPnP/1.0`, `DLNADOC/1.50`,
/// `Microsoft-Windows/x UPnP/1.0 Microsoft-DLNA` (U: "too generic"), `Platinum/` (a library
/// used by XBMC and many others) and libupnp's `Portable SDK for UPnP devices/1.x` (G: Gerbera,
/// FRITZ!Box, Windows 10 and VLC all send it). VLC's control requests are therefore Generic
/// unless the libupnp string names VLC; its media requests say `VLC/` and identify it, and
/// [`Clients`](super::Clients) carries that over to its later control requests.
const RULES: [Rule; 18] = [
    // M, G: AllShare on a PC; Samsung TV extensions upset Windows, so it gets plain DLNA.
    (UA, "SEC_HHP_[PC]", Player::Generic),
    // U. Not M's "PLAYSTATION": the PS4 says "PlayStation 4" and "Showtime PS3" (U) is
    // another player.
    (UA, "PLAYSTATION 3", Player::Ps3),
    (CLIENT_INFO, "PLAYSTATION 3", Player::Ps3),
    // M, U: other Sony devices (Blu-ray players) stay Generic.
    (CLIENT_INFO, "BRAVIA", Player::Bravia),
    (UNIT_INFO, "BRAVIA", Player::Bravia),
    // M: "Xbox/2.0.4552.0 UPnP/1.0 Xbox/2.0.4552.0"; U matches XENON as well.
    (UA, "Xbox/", Player::Xbox360),
    (UA, "Xenon", Player::Xbox360),
    // U: "Windows-Media-Player-DMS/12...", "Windows-Media-Player/12...". `NSPlayer/` is the
    // Windows media stack fetching media; the Xbox One and a few iOS apps send it too, which
    // only costs them the Windows Media Player quirks (Generic).
    (UA, "Windows-Media-Player", Player::WindowsMediaPlayer),
    (UA, "NSPlayer/", Player::WindowsMediaPlayer),
    // M, G, U: every Samsung series; the AllShare exception is above.
    (UA, "SEC_HHP_", Player::Samsung),
    (UA, "LGE_DLNA_SDK", Player::Lg),
    // M, U: "UPnP/1.0 DLNADOC/1.50 Kodi" (control), "Kodi/19.1 (...)" (media), "XBMC/10.0".
    (UA, "Kodi", Player::Kodi),
    (UA, "XBMC/", Player::Kodi),
    (UA, "BubbleUPnP", Player::BubbleUpnp),
    // U: "VLC/3.0.19 LibVLC/3.0.19", "... Portable SDK for UPnP devices/1.6.19 for VLC 64-bit
    // version 2.2.4", "VLC%20for%20iOS/447 CFNetwork/1399 Darwin/22.1.0".
    (UA, "VLC/", Player::Vlc),
    (UA, " for VLC", Player::Vlc),
    (UA, "VLC%20for%20", Player::Vlc),
    // Samsung invented `getCaptionInfo.sec: 1` (M reads it for Samsung's subtitles); last, so
    // that any User-Agent rule beats it, since other players may copy it.
    ("getcaptioninfo.sec", "", Player::Samsung),
];

/// Whether `hay` contains `needle`, ignoring ASCII case. O(len(hay) x len(needle)) with needles
/// under 25 bytes; header values are bounded by the HTTP parser's limits.
fn contains(hay: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    // `windows(0)` would panic; an empty needle is contained in anything.
    needle.is_empty() || hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

impl Player {
    /// Every player, [`Player::Generic`] last.
    pub const ALL: [Player; 10] = [
        Player::Ps3,
        Player::Xbox360,
        Player::WindowsMediaPlayer,
        Player::Samsung,
        Player::Lg,
        Player::Bravia,
        Player::Kodi,
        Player::Vlc,
        Player::BubbleUpnp,
        Player::Generic,
    ];

    /// The player that headers identify, looking each header up by case-insensitive name with
    /// `header`. `None` when they do not identify one (generic or unknown `User-Agent`): the
    /// caller then falls back on what it remembers (see [`Clients`](super::Clients)).
    /// `Some(Player::Generic)` means a client positively known to want plain DLNA.
    pub fn recognise<'v>(header: impl Fn(&str) -> Option<&'v [u8]>) -> Option<Player> {
        RULES
            .iter()
            .find(|&&(name, pattern, _)| header(name).is_some_and(|v| contains(v, pattern)))
            .map(|&(_, _, player)| player)
    }

    /// [`Player::recognise`] over parsed request headers.
    pub fn from_headers(headers: &Headers<'_, '_>) -> Option<Player> {
        Player::recognise(|name| headers.get(name))
    }

    /// What this player needs.
    pub const fn quirks(self) -> Quirks {
        match self {
            Player::Ps3 => Quirks::PS3,
            Player::Xbox360 => Quirks::XBOX_360,
            Player::WindowsMediaPlayer => Quirks::WINDOWS_MEDIA_PLAYER,
            Player::Samsung => Quirks::SAMSUNG,
            Player::Lg => Quirks::LG,
            Player::Bravia => Quirks::BRAVIA,
            Player::Kodi => Quirks::KODI,
            Player::Vlc => Quirks::VLC,
            Player::BubbleUpnp => Quirks::BUBBLE_UPNP,
            Player::Generic => Quirks::GENERIC,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::{parse, Header, Parsed, RequestLimits, EMPTY_HEADER};

    fn recognise(fields: &[(&str, &[u8])]) -> Option<Player> {
        let list: Vec<Header<'_>> =
            fields.iter().map(|&(name, value)| Header { name, value }).collect();
        Player::from_headers(&Headers::new(&list))
    }

    /// `<Player or None> <User-Agent>` as quoted by MiniDLNA's clients.c, Gerbera's
    /// client_manager.cc and UMS's renderer files and recognition tests.
    const SEEN: &str = "\
Ps3 PLAYSTATION 3
Xbox360 Xbox/2.0.4552.0 UPnP/1.0 Xbox/2.0.4552.0
Xbox360 Xenon
WindowsMediaPlayer Microsoft-Windows/6.1 UPnP/1.0 Windows-Media-Player-DMS/12.0.7601.17514 DLNADOC/1.50
WindowsMediaPlayer Microsoft-Windows/10.0 UPnP/1.0 Windows-Media-Player/12.0.10011.16384
WindowsMediaPlayer NSPlayer/12.00.7601.17514 WMFSDK/12.00.7601.17514
Samsung DLNADOC/1.50 SEC_HHP_[TV]UE40D7000/1.0
Samsung DLNADOC/1.50 SEC_HHP_ Family TV/1.0
Samsung DLNADOC/1.50 SEC_HHP_[TV] Samsung Q7 Series (49)/1.0
Samsung DLNADOC/1.50 SEC_HHP_BD-D5100/1.0
Generic DLNADOC/1.50 SEC_HHP_[PC]LPC001/1.0  MS-DeviceCaps/1024
Lg Linux/2.6.35 UPnP/1.0 DLNADOC/1.50 INTEL_NMPR/2.0 LGE_DLNA_SDK/1.6.0
Lg Linux/3.10.19-32.afro.4 UPnP/1.0 LGE WebOS TV LGE_DLNA_SDK/1.6.0/04.30.13 DLNADOC/1.50
Kodi UPnP/1.0 DLNADOC/1.50 Kodi
Kodi Kodi/19.1 (X11; Linux x86_64) Ubuntu/20.04 App_Bitness/64 Version/19.1-(19.1.0)-Git:20210509-85e05228b4
Kodi XBMC/10.0 r35648 (Mac OS X; 11.2.0 x86_64; http://www.xbmc.org)
BubbleUpnp BubbleUPnP UPnP/1.1
BubbleUpnp Android/8.0.0 UPnP/1.0 BubbleUPnP/3.4.4
Vlc VLC/3.0.18 LibVLC/3.0.18
Vlc 6.1.7601 2/Service Pack 1, UPnP/1.0, Portable SDK for UPnP devices/1.6.19 for VLC 64-bit version 2.2.4
Vlc VLC%20for%20iOS/447 CFNetwork/1399 Darwin/22.1.0
None Linux/3.13.0-68-generic, UPnP/1.0, Portable SDK for UPnP devices/1.6.6
None Linux/5.4.0-4-amd64, UPnP/1.0, Portable SDK for UPnP devices/1.8.6
None Microsoft-Windows/6.2 UPnP/1.0 Microsoft-DLNA DLNADOC/1.50
None UPnP/1.0 DLNADOC/1.50
None Platinum/0.5.3.0, DLNADOC/1.50
None libhttp/2.51 (PlayStation 4)
None Showtime PS3 4.2
None Unknown Renderer
None VLC";

    #[test]
    fn user_agents_seen_in_the_wild() {
        for line in SEEN.lines() {
            let (name, agent) = line.split_once(' ').unwrap_or((line, ""));
            let expected = Player::ALL.into_iter().find(|p| format!("{p:?}") == name);
            assert!(expected.is_some() || name == "None", "{line}");
            assert_eq!(recognise(&[("User-Agent", agent.as_bytes())]), expected, "{line}");
        }
        assert_eq!(recognise(&[]), None);
        assert_eq!(recognise(&[("X-Unknown-Header", b"Unknown Content")]), None);
    }

    #[test]
    fn sony_headers_and_the_samsung_caption_header() {
        let ps3_info =
            b"av=5.0; cn=\"Sony Computer Entertainment Inc.\"; mn=\"PLAYSTATION 3\"; mv=\"1.0\";";
        let bravia = b"av=5.0; cn=\"Sony Corporation\"; mn=\"BRAVIA KDL-40EX503\"; mv=\"1.7\";";
        let sony_bd = b"av=5.0; cn=\"Sony Corporation\"; mn=\"Blu-ray Disc Player\"; mv=\"2.0\"";
        let ps3 = [("User-Agent", &b"UPnP/1.0 DLNADOC/1.50"[..]), ("X-AV-Client-Info", ps3_info)];
        assert_eq!(recognise(&ps3), Some(Player::Ps3));
        assert_eq!(recognise(&[("X-AV-Client-Info", bravia)]), Some(Player::Bravia));
        // UMS saw this one in lower case.
        let unit: &[u8] = b"pa=\"BRAVIA XR-55X90K\";";
        assert_eq!(recognise(&[("X-av-physical-unit-info", unit)]), Some(Player::Bravia));
        assert_eq!(recognise(&[("X-AV-Client-Info", sony_bd)]), None);
        let caption = [("User-Agent", &b"UPnP/1.0"[..]), ("getCaptionInfo.sec", b"1")];
        assert_eq!(recognise(&caption), Some(Player::Samsung));
        let bubble = [("User-Agent", &b"BubbleUPnP UPnP/1.1"[..]), ("getcaptioninfo.sec", b"1")];
        assert_eq!(recognise(&bubble), Some(Player::BubbleUpnp), "the User-Agent wins");
    }

    #[test]
    fn odd_bytes_and_huge_values_do_not_panic() {
        assert_eq!(recognise(&[("User-Agent", b"\xff\xfePLAYSTATION 3\x80")]), Some(Player::Ps3));
        assert_eq!(recognise(&[("User-Agent", b"\xff\xfe\x80\x00")]), None);
        let mut huge = vec![b'k'; 1 << 20];
        assert_eq!(recognise(&[("User-Agent", &huge)]), None);
        huge.extend_from_slice(b" kodi");
        assert_eq!(recognise(&[("User-Agent", &huge)]), Some(Player::Kodi));
    }

    #[test]
    fn a_whole_ps3_browse_request() {
        let head = b"POST /ctl/ContentDir HTTP/1.1\r\n\
            HOST: 192.168.1.10:8200\r\n\
            CONTENT-LENGTH: 0\r\n\
            SOAPACTION: \"urn:schemas-upnp-org:service:ContentDirectory:1#Browse\"\r\n\
            USER-AGENT: UPnP/1.0\r\n\
            X-AV-Client-Info: av=5.0; cn=\"Sony Computer Entertainment Inc.\"; \
            mn=\"PLAYSTATION 3\"; mv=\"1.0\";\r\n\r\n";
        let mut storage = [EMPTY_HEADER; 16];
        let Ok(Parsed::Complete(req)) = parse(head, &mut storage, &RequestLimits::default()) else {
            panic!("the head parses");
        };
        assert_eq!(Player::from_headers(&req.headers), Some(Player::Ps3));
    }
}
