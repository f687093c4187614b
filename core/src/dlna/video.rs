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
    /// `MPEG_PS_PAL`: MPEG-2 in a program stream, 576 or 288 lines.
    MPEG_PS_PAL,
    /// `MPEG_PS_NTSC`: MPEG-2 in a program stream, other sizes.
    MPEG_PS_NTSC,
    /// `MPEG1`: MPEG-1 in a system stream.
    MPEG1,
    /// `MPEG_TS_HD_NA_ISO`: MPEG-2 in a transport stream, 720 lines or more, 188-byte packets.
    MPEG_TS_HD_NA_ISO,
    /// `MPEG_TS_HD_NA_T`: MPEG-2 in a transport stream, 720 lines or more, 192-byte timestamped packets.
    MPEG_TS_HD_NA_T,
    /// `MPEG_TS_HD_NA`: MPEG-2 in a transport stream, 720 lines or more, 192-byte packets without timestamps.
    MPEG_TS_HD_NA,
    /// `MPEG_TS_SD_EU_ISO`: MPEG-2 in a transport stream, 576 or 288 lines, 188-byte packets.
    MPEG_TS_SD_EU_ISO,
    /// `MPEG_TS_SD_EU_T`: MPEG-2 in a transport stream, 576 or 288 lines, 192-byte timestamped packets.
    MPEG_TS_SD_EU_T,
    /// `MPEG_TS_SD_EU`: MPEG-2 in a transport stream, 576 or 288 lines, 192-byte packets without timestamps.
    MPEG_TS_SD_EU,
    /// `MPEG_TS_SD_NA_ISO`: MPEG-2 in a transport stream, other sizes, 188-byte packets.
    MPEG_TS_SD_NA_ISO,
    /// `MPEG_TS_SD_NA_T`: MPEG-2 in a transport stream, other sizes, 192-byte timestamped packets.
    MPEG_TS_SD_NA_T,
    /// `MPEG_TS_SD_NA`: MPEG-2 in a transport stream, other sizes, 192-byte packets without timestamps.
    MPEG_TS_SD_NA,
    /// `AVC_TS_MP_SD_AAC_MULT5_ISO`: H.264 Main up to 720x576 and 10 Mb/s with AAC in a transport stream, 188-byte packets.
    AVC_TS_MP_SD_AAC_MULT5_ISO,
    /// `AVC_TS_MP_SD_AAC_MULT5_T`: H.264 Main up to 720x576 and 10 Mb/s with AAC in a transport stream, 192-byte timestamped packets.
    AVC_TS_MP_SD_AAC_MULT5_T,
    /// `AVC_TS_MP_SD_AAC_MULT5`: H.264 Main up to 720x576 and 10 Mb/s with AAC in a transport stream, 192-byte packets without timestamps.
    AVC_TS_MP_SD_AAC_MULT5,
    /// `AVC_TS_MP_SD_AC3_ISO`: H.264 Main up to 720x576 and 10 Mb/s with AC-3 in a transport stream, 188-byte packets.
    AVC_TS_MP_SD_AC3_ISO,
    /// `AVC_TS_MP_SD_AC3_T`: H.264 Main up to 720x576 and 10 Mb/s with AC-3 in a transport stream, 192-byte timestamped packets.
    AVC_TS_MP_SD_AC3_T,
    /// `AVC_TS_MP_SD_AC3`: H.264 Main up to 720x576 and 10 Mb/s with AC-3 in a transport stream, 192-byte packets without timestamps.
    AVC_TS_MP_SD_AC3,
    /// `AVC_TS_MP_SD_MPEG1_L3_ISO`: H.264 Main up to 720x576 and 10 Mb/s with MP3 in a transport stream, 188-byte packets.
    AVC_TS_MP_SD_MPEG1_L3_ISO,
    /// `AVC_TS_MP_SD_MPEG1_L3_T`: H.264 Main up to 720x576 and 10 Mb/s with MP3 in a transport stream, 192-byte timestamped packets.
    AVC_TS_MP_SD_MPEG1_L3_T,
    /// `AVC_TS_MP_SD_MPEG1_L3`: H.264 Main up to 720x576 and 10 Mb/s with MP3 in a transport stream, 192-byte packets without timestamps.
    AVC_TS_MP_SD_MPEG1_L3,
    /// `AVC_TS_MP_HD_AAC_MULT5_ISO`: H.264 Main up to 1920x1152 and 20 Mb/s with AAC in a transport stream, 188-byte packets.
    AVC_TS_MP_HD_AAC_MULT5_ISO,
    /// `AVC_TS_MP_HD_AAC_MULT5_T`: H.264 Main up to 1920x1152 and 20 Mb/s with AAC in a transport stream, 192-byte timestamped packets.
    AVC_TS_MP_HD_AAC_MULT5_T,
    /// `AVC_TS_MP_HD_AAC_MULT5`: H.264 Main up to 1920x1152 and 20 Mb/s with AAC in a transport stream, 192-byte packets without timestamps.
    AVC_TS_MP_HD_AAC_MULT5,
    /// `AVC_TS_MP_HD_AC3_ISO`: H.264 Main up to 1920x1152 and 20 Mb/s with AC-3 in a transport stream, 188-byte packets.
    AVC_TS_MP_HD_AC3_ISO,
    /// `AVC_TS_MP_HD_AC3_T`: H.264 Main up to 1920x1152 and 20 Mb/s with AC-3 in a transport stream, 192-byte timestamped packets.
    AVC_TS_MP_HD_AC3_T,
    /// `AVC_TS_MP_HD_AC3`: H.264 Main up to 1920x1152 and 20 Mb/s with AC-3 in a transport stream, 192-byte packets without timestamps.
    AVC_TS_MP_HD_AC3,
    /// `AVC_TS_MP_HD_MPEG1_L3_ISO`: H.264 Main up to 1920x1152 and 20 Mb/s with MP3 in a transport stream, 188-byte packets.
    AVC_TS_MP_HD_MPEG1_L3_ISO,
    /// `AVC_TS_MP_HD_MPEG1_L3_T`: H.264 Main up to 1920x1152 and 20 Mb/s with MP3 in a transport stream, 192-byte timestamped packets.
    AVC_TS_MP_HD_MPEG1_L3_T,
    /// `AVC_TS_MP_HD_MPEG1_L3`: H.264 Main up to 1920x1152 and 20 Mb/s with MP3 in a transport stream, 192-byte packets without timestamps.
    AVC_TS_MP_HD_MPEG1_L3,
    /// `AVC_TS_HP_HD_AC3_ISO`: H.264 High up to 1920x1152 and 30 Mb/s with AC-3 in a transport stream, 188-byte packets.
    AVC_TS_HP_HD_AC3_ISO,
    /// `AVC_TS_HP_HD_AC3_T`: H.264 High up to 1920x1152 and 30 Mb/s with AC-3 in a transport stream, 192-byte timestamped packets.
    AVC_TS_HP_HD_AC3_T,
    /// `AVC_TS_HP_HD_AC3`: H.264 High up to 1920x1152 and 30 Mb/s with AC-3 in a transport stream, 192-byte packets without timestamps.
    AVC_TS_HP_HD_AC3,
    /// `WMVSPLL_BASE`: WMV Simple profile low level (up to 176x144) with WMA up to 193 kb/s.
    WMVSPLL_BASE,
    /// `WMVSPLL_MP3`: WMV Simple profile low level with MP3.
    WMVSPLL_MP3,
    /// `WMVSPML_BASE`: WMV Simple profile medium level (up to 352x288) with WMA up to 193 kb/s.
    WMVSPML_BASE,
    /// `WMVSPML_MP3`: WMV Simple profile medium level with MP3.
    WMVSPML_MP3,
    /// `WMVMED_BASE`: WMV up to 720x576 with WMA up to 193 kb/s.
    WMVMED_BASE,
    /// `WMVMED_FULL`: WMV up to 720x576 with WMA up to 385 kb/s.
    WMVMED_FULL,
    /// `WMVMED_PRO`: WMV up to 720x576 with WMA Pro.
    WMVMED_PRO,
    /// `WMVHIGH_FULL`: WMV up to 1920x1080 with WMA up to 385 kb/s.
    WMVHIGH_FULL,
    /// `WMVHIGH_PRO`: WMV up to 1920x1080 with WMA Pro.
    WMVHIGH_PRO,
    /// `AVC_MP4_BL_CIF15_AAC_520`: H.264 Baseline in MP4 up to 352x288 under 600 kb/s with AAC, under 520 kb/s in all.
    AVC_MP4_BL_CIF15_AAC_520,
    /// `AVC_MP4_BL_CIF30_AAC_940`: H.264 Baseline in MP4 up to 352x288 under 5 Mb/s with AAC, under 940 kb/s in all.
    AVC_MP4_BL_CIF30_AAC_940,
    /// `AVC_MP4_BL_L3L_SD_AAC`: H.264 Baseline level 3 in MP4 up to 720x576 and 5 Mb/s with AAC.
    AVC_MP4_BL_L3L_SD_AAC,
    /// `AVC_MP4_BL_L31_HD_AAC`: H.264 Baseline up to level 3.1 in MP4 up to 1280x720 and 15 Mb/s with AAC.
    AVC_MP4_BL_L31_HD_AAC,
    /// `AVC_MP4_BL_L32_HD_AAC`: H.264 Baseline up to level 3.2 in MP4 up to 1280x720 and 21 Mb/s with AAC.
    AVC_MP4_BL_L32_HD_AAC,
    /// `AVC_TS_HP_HD_AAC_MULT5_ISO`: H.264 High up to 1920x1152 in MPEG-TS (188-byte packets) with AAC.
    AVC_TS_HP_HD_AAC_MULT5_ISO,
    /// `AVC_TS_HP_HD_MPEG1_L3_ISO`: H.264 High up to 1920x1152 in MPEG-TS (188-byte packets) with MP3.
    AVC_TS_HP_HD_MPEG1_L3_ISO,
}

impl VideoProfile {
    /// Every profile, in declaration order: what a stored name (the library index) is looked
    /// up in.
    pub const ALL: [VideoProfile; 61] = [
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
        VideoProfile::MPEG_PS_PAL,
        VideoProfile::MPEG_PS_NTSC,
        VideoProfile::MPEG1,
        VideoProfile::MPEG_TS_HD_NA_ISO,
        VideoProfile::MPEG_TS_HD_NA_T,
        VideoProfile::MPEG_TS_HD_NA,
        VideoProfile::MPEG_TS_SD_EU_ISO,
        VideoProfile::MPEG_TS_SD_EU_T,
        VideoProfile::MPEG_TS_SD_EU,
        VideoProfile::MPEG_TS_SD_NA_ISO,
        VideoProfile::MPEG_TS_SD_NA_T,
        VideoProfile::MPEG_TS_SD_NA,
        VideoProfile::AVC_TS_MP_SD_AAC_MULT5_ISO,
        VideoProfile::AVC_TS_MP_SD_AAC_MULT5_T,
        VideoProfile::AVC_TS_MP_SD_AAC_MULT5,
        VideoProfile::AVC_TS_MP_SD_AC3_ISO,
        VideoProfile::AVC_TS_MP_SD_AC3_T,
        VideoProfile::AVC_TS_MP_SD_AC3,
        VideoProfile::AVC_TS_MP_SD_MPEG1_L3_ISO,
        VideoProfile::AVC_TS_MP_SD_MPEG1_L3_T,
        VideoProfile::AVC_TS_MP_SD_MPEG1_L3,
        VideoProfile::AVC_TS_MP_HD_AAC_MULT5_ISO,
        VideoProfile::AVC_TS_MP_HD_AAC_MULT5_T,
        VideoProfile::AVC_TS_MP_HD_AAC_MULT5,
        VideoProfile::AVC_TS_MP_HD_AC3_ISO,
        VideoProfile::AVC_TS_MP_HD_AC3_T,
        VideoProfile::AVC_TS_MP_HD_AC3,
        VideoProfile::AVC_TS_MP_HD_MPEG1_L3_ISO,
        VideoProfile::AVC_TS_MP_HD_MPEG1_L3_T,
        VideoProfile::AVC_TS_MP_HD_MPEG1_L3,
        VideoProfile::AVC_TS_HP_HD_AC3_ISO,
        VideoProfile::AVC_TS_HP_HD_AC3_T,
        VideoProfile::AVC_TS_HP_HD_AC3,
        VideoProfile::WMVSPLL_BASE,
        VideoProfile::WMVSPLL_MP3,
        VideoProfile::WMVSPML_BASE,
        VideoProfile::WMVSPML_MP3,
        VideoProfile::WMVMED_BASE,
        VideoProfile::WMVMED_FULL,
        VideoProfile::WMVMED_PRO,
        VideoProfile::WMVHIGH_FULL,
        VideoProfile::WMVHIGH_PRO,
        VideoProfile::AVC_MP4_BL_CIF15_AAC_520,
        VideoProfile::AVC_MP4_BL_CIF30_AAC_940,
        VideoProfile::AVC_MP4_BL_L3L_SD_AAC,
        VideoProfile::AVC_MP4_BL_L31_HD_AAC,
        VideoProfile::AVC_MP4_BL_L32_HD_AAC,
        VideoProfile::AVC_TS_HP_HD_AAC_MULT5_ISO,
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
            VideoProfile::MPEG_PS_PAL => "MPEG_PS_PAL",
            VideoProfile::MPEG_PS_NTSC => "MPEG_PS_NTSC",
            VideoProfile::MPEG1 => "MPEG1",
            VideoProfile::MPEG_TS_HD_NA_ISO => "MPEG_TS_HD_NA_ISO",
            VideoProfile::MPEG_TS_HD_NA_T => "MPEG_TS_HD_NA_T",
            VideoProfile::MPEG_TS_HD_NA => "MPEG_TS_HD_NA",
            VideoProfile::MPEG_TS_SD_EU_ISO => "MPEG_TS_SD_EU_ISO",
            VideoProfile::MPEG_TS_SD_EU_T => "MPEG_TS_SD_EU_T",
            VideoProfile::MPEG_TS_SD_EU => "MPEG_TS_SD_EU",
            VideoProfile::MPEG_TS_SD_NA_ISO => "MPEG_TS_SD_NA_ISO",
            VideoProfile::MPEG_TS_SD_NA_T => "MPEG_TS_SD_NA_T",
            VideoProfile::MPEG_TS_SD_NA => "MPEG_TS_SD_NA",
            VideoProfile::AVC_TS_MP_SD_AAC_MULT5_ISO => "AVC_TS_MP_SD_AAC_MULT5_ISO",
            VideoProfile::AVC_TS_MP_SD_AAC_MULT5_T => "AVC_TS_MP_SD_AAC_MULT5_T",
            VideoProfile::AVC_TS_MP_SD_AAC_MULT5 => "AVC_TS_MP_SD_AAC_MULT5",
            VideoProfile::AVC_TS_MP_SD_AC3_ISO => "AVC_TS_MP_SD_AC3_ISO",
            VideoProfile::AVC_TS_MP_SD_AC3_T => "AVC_TS_MP_SD_AC3_T",
            VideoProfile::AVC_TS_MP_SD_AC3 => "AVC_TS_MP_SD_AC3",
            VideoProfile::AVC_TS_MP_SD_MPEG1_L3_ISO => "AVC_TS_MP_SD_MPEG1_L3_ISO",
            VideoProfile::AVC_TS_MP_SD_MPEG1_L3_T => "AVC_TS_MP_SD_MPEG1_L3_T",
            VideoProfile::AVC_TS_MP_SD_MPEG1_L3 => "AVC_TS_MP_SD_MPEG1_L3",
            VideoProfile::AVC_TS_MP_HD_AAC_MULT5_ISO => "AVC_TS_MP_HD_AAC_MULT5_ISO",
            VideoProfile::AVC_TS_MP_HD_AAC_MULT5_T => "AVC_TS_MP_HD_AAC_MULT5_T",
            VideoProfile::AVC_TS_MP_HD_AAC_MULT5 => "AVC_TS_MP_HD_AAC_MULT5",
            VideoProfile::AVC_TS_MP_HD_AC3_ISO => "AVC_TS_MP_HD_AC3_ISO",
            VideoProfile::AVC_TS_MP_HD_AC3_T => "AVC_TS_MP_HD_AC3_T",
            VideoProfile::AVC_TS_MP_HD_AC3 => "AVC_TS_MP_HD_AC3",
            VideoProfile::AVC_TS_MP_HD_MPEG1_L3_ISO => "AVC_TS_MP_HD_MPEG1_L3_ISO",
            VideoProfile::AVC_TS_MP_HD_MPEG1_L3_T => "AVC_TS_MP_HD_MPEG1_L3_T",
            VideoProfile::AVC_TS_MP_HD_MPEG1_L3 => "AVC_TS_MP_HD_MPEG1_L3",
            VideoProfile::AVC_TS_HP_HD_AC3_ISO => "AVC_TS_HP_HD_AC3_ISO",
            VideoProfile::AVC_TS_HP_HD_AC3_T => "AVC_TS_HP_HD_AC3_T",
            VideoProfile::AVC_TS_HP_HD_AC3 => "AVC_TS_HP_HD_AC3",
            VideoProfile::WMVSPLL_BASE => "WMVSPLL_BASE",
            VideoProfile::WMVSPLL_MP3 => "WMVSPLL_MP3",
            VideoProfile::WMVSPML_BASE => "WMVSPML_BASE",
            VideoProfile::WMVSPML_MP3 => "WMVSPML_MP3",
            VideoProfile::WMVMED_BASE => "WMVMED_BASE",
            VideoProfile::WMVMED_FULL => "WMVMED_FULL",
            VideoProfile::WMVMED_PRO => "WMVMED_PRO",
            VideoProfile::WMVHIGH_FULL => "WMVHIGH_FULL",
            VideoProfile::WMVHIGH_PRO => "WMVHIGH_PRO",
            VideoProfile::AVC_MP4_BL_CIF15_AAC_520 => "AVC_MP4_BL_CIF15_AAC_520",
            VideoProfile::AVC_MP4_BL_CIF30_AAC_940 => "AVC_MP4_BL_CIF30_AAC_940",
            VideoProfile::AVC_MP4_BL_L3L_SD_AAC => "AVC_MP4_BL_L3L_SD_AAC",
            VideoProfile::AVC_MP4_BL_L31_HD_AAC => "AVC_MP4_BL_L31_HD_AAC",
            VideoProfile::AVC_MP4_BL_L32_HD_AAC => "AVC_MP4_BL_L32_HD_AAC",
            VideoProfile::AVC_TS_HP_HD_AAC_MULT5_ISO => "AVC_TS_HP_HD_AAC_MULT5_ISO",
            VideoProfile::AVC_TS_HP_HD_MPEG1_L3_ISO => "AVC_TS_HP_HD_MPEG1_L3_ISO",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_variant_names_and_one_byte() {
        for p in VideoProfile::ALL {
            assert_eq!(p.name(), format!("{p:?}"));
        }
        assert_eq!(core::mem::size_of::<Option<VideoProfile>>(), 1);
    }
}
