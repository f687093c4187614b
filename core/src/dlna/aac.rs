//! The DLNA profile of AAC in an MP4 file (`DLNA.ORG_PN`), from its AudioSpecificConfig and
//! bitrate, after the DLNA audio profile limits as libdlna and Audio::Scan apply them.
//!
//! | kind | core rate | channels | bitrate | profile |
//! |---|---|---|---|---|
//! | LC (also ER LC) | 8-48 kHz | 1-2 | ≤ 320 / 576 kbps | `AAC_ISO_320` / `AAC_ISO` |
//! | LC | 8-48 kHz | 3-6 | ≤ 1440 kbps | `AAC_MULT5_ISO` |
//! | HE-AAC (SBR) | ≤ 24 kHz | 1-2 | ≤ 128 / 320 / 576 kbps | `HEAAC_L2_ISO_128` / `_320` / `HEAAC_L2_ISO` |
//! | HE-AAC | ≤ 48 kHz | 1-2 | ≤ 576 kbps | `HEAAC_L3_ISO` |
//! | HE-AAC | ≤ 48 kHz | 3-6 | ≤ 1440 kbps | `HEAAC_MULT5_ISO` |
//! | HE-AAC v2 (SBR + PS) | as HE-AAC | | | `HEAACv2_L2_128`, `HEAACv2_L2_320`, `HEAACv2_L2`, `HEAACv2_L3`, `HEAACv2_MULT5` |
//!
//! Anything else (other object types, more channels, higher rates or bitrates) has no
//! profile: the file is still served, without `DLNA.ORG_PN`.

/// The AAC flavour, from the object type and the SBR / PS signalling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AacKind {
    /// Low complexity (object type 2, or 17 for ER LC) without SBR.
    Lc,
    /// HE-AAC: an LC core with spectral band replication.
    He,
    /// HE-AAC v2: HE-AAC with parametric stereo.
    HeV2,
    /// Another object type (Main, LTP, ...), which DLNA gives no profile.
    Other,
}

/// A DLNA profile of AAC in an MP4 file (one byte, so a library item can hold one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(non_camel_case_types)] // the DLNA names, as written in DLNA.ORG_PN
pub enum AacProfile {
    /// `AAC_ISO_320`.
    AAC_ISO_320,
    /// `AAC_ISO`.
    AAC_ISO,
    /// `AAC_MULT5_ISO`.
    AAC_MULT5_ISO,
    /// `HEAAC_L2_ISO_128`.
    HEAAC_L2_ISO_128,
    /// `HEAAC_L2_ISO_320`.
    HEAAC_L2_ISO_320,
    /// `HEAAC_L2_ISO`.
    HEAAC_L2_ISO,
    /// `HEAAC_L3_ISO`.
    HEAAC_L3_ISO,
    /// `HEAAC_MULT5_ISO`.
    HEAAC_MULT5_ISO,
    /// `HEAACv2_L2_128`.
    HEAACv2_L2_128,
    /// `HEAACv2_L2_320`.
    HEAACv2_L2_320,
    /// `HEAACv2_L2`.
    HEAACv2_L2,
    /// `HEAACv2_L3`.
    HEAACv2_L3,
    /// `HEAACv2_MULT5`.
    HEAACv2_MULT5,
}

impl AacProfile {
    /// Every profile, in declaration order: what a stored name (the library index) is looked
    /// up in.
    pub const ALL: [AacProfile; 13] = [
        AacProfile::AAC_ISO_320,
        AacProfile::AAC_ISO,
        AacProfile::AAC_MULT5_ISO,
        AacProfile::HEAAC_L2_ISO_128,
        AacProfile::HEAAC_L2_ISO_320,
        AacProfile::HEAAC_L2_ISO,
        AacProfile::HEAAC_L3_ISO,
        AacProfile::HEAAC_MULT5_ISO,
        AacProfile::HEAACv2_L2_128,
        AacProfile::HEAACv2_L2_320,
        AacProfile::HEAACv2_L2,
        AacProfile::HEAACv2_L3,
        AacProfile::HEAACv2_MULT5,
    ];

    /// The name sent as `DLNA.ORG_PN`.
    pub fn name(self) -> &'static str {
        match self {
            AacProfile::AAC_ISO_320 => "AAC_ISO_320",
            AacProfile::AAC_ISO => "AAC_ISO",
            AacProfile::AAC_MULT5_ISO => "AAC_MULT5_ISO",
            AacProfile::HEAAC_L2_ISO_128 => "HEAAC_L2_ISO_128",
            AacProfile::HEAAC_L2_ISO_320 => "HEAAC_L2_ISO_320",
            AacProfile::HEAAC_L2_ISO => "HEAAC_L2_ISO",
            AacProfile::HEAAC_L3_ISO => "HEAAC_L3_ISO",
            AacProfile::HEAAC_MULT5_ISO => "HEAAC_MULT5_ISO",
            AacProfile::HEAACv2_L2_128 => "HEAACv2_L2_128",
            AacProfile::HEAACv2_L2_320 => "HEAACv2_L2_320",
            AacProfile::HEAACv2_L2 => "HEAACv2_L2",
            AacProfile::HEAACv2_L3 => "HEAACv2_L3",
            AacProfile::HEAACv2_MULT5 => "HEAACv2_MULT5",
        }
    }

    /// The profile of an AAC stream in an MP4 file: `kind`, core sampling rate in Hz,
    /// channels and bitrate in bits per second (the esds average, or the file's).
    pub fn of(kind: AacKind, core_rate: u32, channels: u8, bitrate: u32) -> Option<AacProfile> {
        use AacProfile::*;
        let kbps = bitrate.div_ceil(1000);
        if !(8000..=48_000).contains(&core_rate) || channels == 0 || channels > 6 {
            return None;
        }
        let stereo = channels <= 2;
        let [l2_128, l2_320, l2, l3, mult5] = match kind {
            AacKind::Lc => {
                return match (stereo, kbps) {
                    (true, 0..=320) => Some(AAC_ISO_320),
                    (true, 0..=576) => Some(AAC_ISO),
                    (false, 0..=1440) => Some(AAC_MULT5_ISO),
                    _ => None,
                };
            }
            AacKind::He => {
                [HEAAC_L2_ISO_128, HEAAC_L2_ISO_320, HEAAC_L2_ISO, HEAAC_L3_ISO, HEAAC_MULT5_ISO]
            }
            AacKind::HeV2 => {
                [HEAACv2_L2_128, HEAACv2_L2_320, HEAACv2_L2, HEAACv2_L3, HEAACv2_MULT5]
            }
            AacKind::Other => return None,
        };
        match (stereo, core_rate <= 24_000, kbps) {
            (true, true, 0..=128) => Some(l2_128),
            (true, true, 0..=320) => Some(l2_320),
            (true, true, 0..=576) => Some(l2),
            (true, false, 0..=576) => Some(l3),
            (false, _, 0..=1440) => Some(mult5),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_follow_kind_rate_channels_and_bitrate() {
        let cases = [
            (AacKind::Lc, 44_100, 2, 128_000, Some("AAC_ISO_320")),
            (AacKind::Lc, 48_000, 2, 320_000, Some("AAC_ISO_320")),
            (AacKind::Lc, 48_000, 2, 320_001, Some("AAC_ISO")),
            (AacKind::Lc, 48_000, 1, 576_000, Some("AAC_ISO")),
            (AacKind::Lc, 48_000, 2, 577_000, None),
            (AacKind::Lc, 48_000, 6, 640_000, Some("AAC_MULT5_ISO")),
            (AacKind::Lc, 48_000, 8, 640_000, None),
            (AacKind::Lc, 96_000, 2, 128_000, None),
            (AacKind::Lc, 7350, 2, 32_000, None),
            (AacKind::He, 24_000, 2, 64_000, Some("HEAAC_L2_ISO_128")),
            (AacKind::He, 22_050, 2, 200_000, Some("HEAAC_L2_ISO_320")),
            (AacKind::He, 24_000, 2, 400_000, Some("HEAAC_L2_ISO")),
            (AacKind::He, 48_000, 2, 64_000, Some("HEAAC_L3_ISO")),
            (AacKind::He, 48_000, 6, 256_000, Some("HEAAC_MULT5_ISO")),
            (AacKind::HeV2, 24_000, 1, 32_000, Some("HEAACv2_L2_128")),
            (AacKind::HeV2, 44_100, 2, 96_000, Some("HEAACv2_L3")),
            (AacKind::Other, 44_100, 2, 128_000, None),
        ];
        for (kind, rate, ch, bitrate, want) in cases {
            let got = AacProfile::of(kind, rate, ch, bitrate).map(AacProfile::name);
            assert_eq!(got, want, "{kind:?} {rate} {ch} {bitrate}");
        }
    }
}
