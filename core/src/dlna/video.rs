//! [`VideoProfile`]: the DLNA profile of a video file, one byte so a library item can hold one.

/// A DLNA video profile (the `DLNA.ORG_PN` of a video file served as it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(non_camel_case_types)] // the DLNA names, as written in DLNA.ORG_PN
pub enum VideoProfile {
    /// `AVC_MKV_MP_HD_AAC_MULT5`: H.264 Main in Matroska with AAC.
    AVC_MKV_MP_HD_AAC_MULT5,
    /// `AVC_MKV_MP_HD_AC3`: H.264 Main in Matroska with AC-3.
    AVC_MKV_MP_HD_AC3,
    /// `AVC_MKV_MP_HD_MPEG1_L3`: H.264 Main in Matroska with MP3.
    AVC_MKV_MP_HD_MPEG1_L3,
    /// `AVC_MKV_HP_HD_AAC_MULT5`: H.264 High in Matroska with AAC.
    AVC_MKV_HP_HD_AAC_MULT5,
    /// `AVC_MKV_HP_HD_AC3`: H.264 High in Matroska with AC-3.
    AVC_MKV_HP_HD_AC3,
    /// `AVC_MKV_HP_HD_MPEG1_L3`: H.264 High in Matroska with MP3.
    AVC_MKV_HP_HD_MPEG1_L3,
    /// `AVC_MP4_MP_SD_AAC_MULT5`: H.264 Main in MP4 up to 720x576 with AAC.
    AVC_MP4_MP_SD_AAC_MULT5,
    /// `AVC_MP4_MP_SD_AC3`: H.264 Main in MP4 up to 720x576 with AC-3.
    AVC_MP4_MP_SD_AC3,
    /// `AVC_MP4_MP_SD_MPEG1_L3`: H.264 Main in MP4 up to 720x576 with MP3.
    AVC_MP4_MP_SD_MPEG1_L3,
    /// `AVC_MP4_MP_HD_720p_AAC`: H.264 Main in MP4 up to 1280x720 with AAC.
    AVC_MP4_MP_HD_720p_AAC,
    /// `AVC_MP4_MP_HD_1080i_AAC`: H.264 Main in MP4 up to 1920x1080 with AAC.
    AVC_MP4_MP_HD_1080i_AAC,
    /// `AVC_MP4_HP_HD_AAC`: H.264 High in MP4 up to 1920x1080 with AAC.
    AVC_MP4_HP_HD_AAC,
    /// `AVC_TS_MP_SD_AAC_MULT5_ISO`: H.264 Main up to 720x576 in MPEG-TS (188-byte packets) with AAC.
    AVC_TS_MP_SD_AAC_MULT5_ISO,
    /// `AVC_TS_MP_SD_AC3_ISO`: H.264 Main up to 720x576 in MPEG-TS (188-byte packets) with AC-3.
    AVC_TS_MP_SD_AC3_ISO,
    /// `AVC_TS_MP_SD_MPEG1_L3_ISO`: H.264 Main up to 720x576 in MPEG-TS (188-byte packets) with MP3.
    AVC_TS_MP_SD_MPEG1_L3_ISO,
    /// `AVC_TS_MP_HD_AAC_MULT5_ISO`: H.264 Main up to 1920x1152 in MPEG-TS (188-byte packets) with AAC.
    AVC_TS_MP_HD_AAC_MULT5_ISO,
    /// `AVC_TS_MP_HD_AC3_ISO`: H.264 Main up to 1920x1152 in MPEG-TS (188-byte packets) with AC-3.
    AVC_TS_MP_HD_AC3_ISO,
    /// `AVC_TS_MP_HD_MPEG1_L3_ISO`: H.264 Main up to 1920x1152 in MPEG-TS (188-byte packets) with MP3.
    AVC_TS_MP_HD_MPEG1_L3_ISO,
    /// `AVC_TS_HP_HD_AAC_MULT5_ISO`: H.264 High up to 1920x1152 in MPEG-TS (188-byte packets) with AAC.
    AVC_TS_HP_HD_AAC_MULT5_ISO,
    /// `AVC_TS_HP_HD_AC3_ISO`: H.264 High up to 1920x1152 in MPEG-TS (188-byte packets) with AC-3.
    AVC_TS_HP_HD_AC3_ISO,
    /// `AVC_TS_HP_HD_MPEG1_L3_ISO`: H.264 High up to 1920x1152 in MPEG-TS (188-byte packets) with MP3.
    AVC_TS_HP_HD_MPEG1_L3_ISO,
}

impl VideoProfile {
    /// Every profile, in declaration order: what a stored name (the library index) is looked
    /// up in.
    pub const ALL: [VideoProfile; 21] = [
        VideoProfile::AVC_MKV_MP_HD_AAC_MULT5,
        VideoProfile::AVC_MKV_MP_HD_AC3,
        VideoProfile::AVC_MKV_MP_HD_MPEG1_L3,
        VideoProfile::AVC_MKV_HP_HD_AAC_MULT5,
        VideoProfile::AVC_MKV_HP_HD_AC3,
        VideoProfile::AVC_MKV_HP_HD_MPEG1_L3,
        VideoProfile::AVC_MP4_MP_SD_AAC_MULT5,
        VideoProfile::AVC_MP4_MP_SD_AC3,
        VideoProfile::AVC_MP4_MP_SD_MPEG1_L3,
        VideoProfile::AVC_MP4_MP_HD_720p_AAC,
        VideoProfile::AVC_MP4_MP_HD_1080i_AAC,
        VideoProfile::AVC_MP4_HP_HD_AAC,
        VideoProfile::AVC_TS_MP_SD_AAC_MULT5_ISO,
        VideoProfile::AVC_TS_MP_SD_AC3_ISO,
        VideoProfile::AVC_TS_MP_SD_MPEG1_L3_ISO,
        VideoProfile::AVC_TS_MP_HD_AAC_MULT5_ISO,
        VideoProfile::AVC_TS_MP_HD_AC3_ISO,
        VideoProfile::AVC_TS_MP_HD_MPEG1_L3_ISO,
        VideoProfile::AVC_TS_HP_HD_AAC_MULT5_ISO,
        VideoProfile::AVC_TS_HP_HD_AC3_ISO,
        VideoProfile::AVC_TS_HP_HD_MPEG1_L3_ISO,
    ];

    /// The name sent as `DLNA.ORG_PN`.
    pub fn name(self) -> &'static str {
        match self {
            VideoProfile::AVC_MKV_MP_HD_AAC_MULT5 => "AVC_MKV_MP_HD_AAC_MULT5",
            VideoProfile::AVC_MKV_MP_HD_AC3 => "AVC_MKV_MP_HD_AC3",
            VideoProfile::AVC_MKV_MP_HD_MPEG1_L3 => "AVC_MKV_MP_HD_MPEG1_L3",
            VideoProfile::AVC_MKV_HP_HD_AAC_MULT5 => "AVC_MKV_HP_HD_AAC_MULT5",
            VideoProfile::AVC_MKV_HP_HD_AC3 => "AVC_MKV_HP_HD_AC3",
            VideoProfile::AVC_MKV_HP_HD_MPEG1_L3 => "AVC_MKV_HP_HD_MPEG1_L3",
            VideoProfile::AVC_MP4_MP_SD_AAC_MULT5 => "AVC_MP4_MP_SD_AAC_MULT5",
            VideoProfile::AVC_MP4_MP_SD_AC3 => "AVC_MP4_MP_SD_AC3",
            VideoProfile::AVC_MP4_MP_SD_MPEG1_L3 => "AVC_MP4_MP_SD_MPEG1_L3",
            VideoProfile::AVC_MP4_MP_HD_720p_AAC => "AVC_MP4_MP_HD_720p_AAC",
            VideoProfile::AVC_MP4_MP_HD_1080i_AAC => "AVC_MP4_MP_HD_1080i_AAC",
            VideoProfile::AVC_MP4_HP_HD_AAC => "AVC_MP4_HP_HD_AAC",
            VideoProfile::AVC_TS_MP_SD_AAC_MULT5_ISO => "AVC_TS_MP_SD_AAC_MULT5_ISO",
            VideoProfile::AVC_TS_MP_SD_AC3_ISO => "AVC_TS_MP_SD_AC3_ISO",
            VideoProfile::AVC_TS_MP_SD_MPEG1_L3_ISO => "AVC_TS_MP_SD_MPEG1_L3_ISO",
            VideoProfile::AVC_TS_MP_HD_AAC_MULT5_ISO => "AVC_TS_MP_HD_AAC_MULT5_ISO",
            VideoProfile::AVC_TS_MP_HD_AC3_ISO => "AVC_TS_MP_HD_AC3_ISO",
            VideoProfile::AVC_TS_MP_HD_MPEG1_L3_ISO => "AVC_TS_MP_HD_MPEG1_L3_ISO",
            VideoProfile::AVC_TS_HP_HD_AAC_MULT5_ISO => "AVC_TS_HP_HD_AAC_MULT5_ISO",
            VideoProfile::AVC_TS_HP_HD_AC3_ISO => "AVC_TS_HP_HD_AC3_ISO",
            VideoProfile::AVC_TS_HP_HD_MPEG1_L3_ISO => "AVC_TS_HP_HD_MPEG1_L3_ISO",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_variant_names_and_one_byte() {
        for p in [
            VideoProfile::AVC_MKV_MP_HD_AC3,
            VideoProfile::AVC_MKV_HP_HD_AAC_MULT5,
            VideoProfile::AVC_MP4_MP_HD_720p_AAC,
            VideoProfile::AVC_TS_HP_HD_AC3_ISO,
        ] {
            assert_eq!(p.name(), format!("{p:?}"));
        }
        assert_eq!(core::mem::size_of::<Option<VideoProfile>>(), 1);
    }
}
