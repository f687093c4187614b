//! Sample conversions for output, shared by the integer decoders (FLAC, ALAC): to 16 bits
//! (shift up or round) and to float.

/// `s`, a sample of `bits` bits, as 16 bits: narrower samples are shifted up (an 8-bit
/// sample times 256), wider ones rounded to the nearest (halves up) and clamped. A pure
/// function of the sample, so a requantized stream is exact under seeking.
#[inline]
pub(crate) fn to_i16(s: i32, bits: u8) -> i16 {
    let bits = u32::from(bits);
    if bits <= 16 {
        return (s << (16 - bits)) as i16;
    }
    let shift = bits - 16;
    let v = (i64::from(s) + (1i64 << (shift - 1))) >> shift;
    v.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// `s`, a sample of `bits` bits, scaled to [-1, 1).
#[inline]
pub(crate) fn to_f32(s: i32, bits: u8) -> f32 {
    let scale = 1.0 / (1u64 << (bits.clamp(1, 32) - 1)) as f32;
    s as f32 * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bits() {
        assert_eq!(to_i16(-128, 8), i16::MIN);
        assert_eq!(to_i16(127, 8), 127 * 256);
        assert_eq!(to_i16(0x7F_FFFF, 24), i16::MAX);
        assert_eq!(to_i16(0x180, 24), 2);
        assert_eq!(to_i16(0x17F, 24), 1);
        assert_eq!(to_i16(-0x80, 24), 0);
        assert_eq!(to_i16(-0x81, 24), -1);
        assert_eq!(to_i16(i32::MIN, 32), i16::MIN);
        assert_eq!(to_f32(-8, 4), -1.0);
    }
}
