//! The two checksums of a FLAC frame (RFC 9639 §9.1.8, §9.3): CRC-8 over the frame header and
//! CRC-16 over the whole frame, both MSB-first with initial value 0, table-driven.

/// CRC-8, polynomial x^8 + x^2 + x + 1 (0x07).
const CRC8: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u8;
        let mut b = 0;
        while b < 8 {
            c = if c & 0x80 != 0 { (c << 1) ^ 0x07 } else { c << 1 };
            b += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-16, polynomial x^16 + x^15 + x^2 + 1 (0x8005).
const CRC16: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u16) << 8;
        let mut b = 0;
        while b < 8 {
            c = if c & 0x8000 != 0 { (c << 1) ^ 0x8005 } else { c << 1 };
            b += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// The CRC-8 of `data`.
pub(super) fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |c, &b| CRC8[usize::from(c ^ b)])
}

/// The CRC-16 of `data`.
pub(super) fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |c, &b| (c << 8) ^ CRC16[usize::from((c >> 8) as u8 ^ b)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        // The standard check values of CRC-8/SMBUS and CRC-16/UMTS (= BUYPASS) over "123456789".
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc16(b"123456789"), 0xFEE8);
    }
}
