//! The two checksums of a FLAC frame (RFC 9639 §9.1.8, §9.3): CRC-8 over the frame header and
//! CRC-16 over the whole frame, both MSB-first with initial value 0, table-driven.
//!
//! The CRC-16 runs over every byte of every frame, so on hosts it takes sixteen bytes a step
//! ("slicing by sixteen": sixteen 256-entry tables, 8 KiB, computed at compile time). The
//! running CRC meets only the first two bytes of a step, so the chain from one step to the
//! next is two lookups, whatever the other fourteen bytes; with eight bytes a step rill
//! decoded 16-bit stereo 2 - 3 % and 24-bit 96 kHz stereo 10 - 12 % slower. The tail of fewer
//! than sixteen bytes goes a byte at a time. On bare-metal targets (`target_os = "none"`, the
//! boards, whose 256 KiB of flash has no 7.5 KiB to spare) it goes a byte at a time with the
//! first table alone (512 B): there the checksum is a small part of a frame's decoding cost.
//! The CRC-8 covers only frame headers: on hosts a 256-byte table, on bare-metal targets bit
//! by bit.

/// The CRC-8 (polynomial x^8 + x^2 + x + 1, 0x07) of one byte `c`, bit by bit.
const fn crc8_byte(mut c: u8) -> u8 {
    let mut b = 0;
    while b < 8 {
        c = if c & 0x80 != 0 { (c << 1) ^ 0x07 } else { c << 1 };
        b += 1;
    }
    c
}

/// CRC-8 table (hosts).
#[cfg(not(target_os = "none"))]
const CRC8: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = crc8_byte(i as u8);
        i += 1;
    }
    t
};

/// Tables of the CRC-16: sixteen on hosts, one on bare-metal targets (the module's docs).
const SLICES: usize = if cfg!(target_os = "none") { 1 } else { 16 };

/// CRC-16, polynomial x^16 + x^15 + x^2 + 1 (0x8005): `CRC16[k][b]` is the CRC of byte `b`
/// followed by `k` zero bytes.
const CRC16: [[u16; 256]; SLICES] = {
    let mut t = [[0u16; 256]; SLICES];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u16) << 8;
        let mut b = 0;
        while b < 8 {
            c = if c & 0x8000 != 0 { (c << 1) ^ 0x8005 } else { c << 1 };
            b += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut k = 1;
    while k < SLICES {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    t
};

/// The CRC-8 of `data`, a table lookup a byte.
#[cfg(not(target_os = "none"))]
pub(super) fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |c, &b| CRC8[usize::from(c ^ b)])
}

/// The CRC-8 of `data`, bit by bit: it covers only frame headers (at most 16 bytes a frame),
/// so on bare-metal targets its table would be 256 bytes of flash for nothing.
#[cfg(any(test, target_os = "none"))]
fn crc8_bitwise(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |c, &b| crc8_byte(c ^ b))
}

/// The CRC-8 of `data`.
#[cfg(target_os = "none")]
pub(super) fn crc8(data: &[u8]) -> u8 {
    crc8_bitwise(data)
}

/// The CRC-16 of `data`, a byte at a time.
fn crc16_bytewise(c: u16, data: &[u8]) -> u16 {
    let [t0, ..] = &CRC16;
    data.iter().fold(c, |c, &b| (c << 8) ^ t0[usize::from((c >> 8) as u8 ^ b)])
}

/// The CRC-16 of `data`.
#[cfg(target_os = "none")]
pub(super) fn crc16(data: &[u8]) -> u16 {
    crc16_bytewise(0, data)
}

/// The CRC-16 of `data`, sixteen bytes a step.
#[cfg(not(target_os = "none"))]
pub(super) fn crc16(data: &[u8]) -> u16 {
    let [rest @ .., t14, t15] = &CRC16;
    let mut chunks = data.chunks_exact(SLICES);
    let mut c = 0u16;
    for chunk in chunks.by_ref() {
        if let Some((&[b0, b1], bytes)) = chunk.split_first_chunk::<2>() {
            // The fourteen bytes the running CRC does not touch, summed off the chain from
            // one step's CRC to the next: that chain is two lookups and two `^` per step.
            let tail = rest.iter().rev().zip(bytes).fold(0, |a, (t, &b)| a ^ t[usize::from(b)]);
            let [h, l] = (c ^ u16::from_be_bytes([b0, b1])).to_be_bytes();
            c = (t15[usize::from(h)] ^ t14[usize::from(l)]) ^ tail;
        }
    }
    crc16_bytewise(c, chunks.remainder())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        // The standard check values of CRC-8/SMBUS and CRC-16/UMTS (= BUYPASS) over "123456789".
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc8_bitwise(b"123456789"), 0xF4);
        assert_eq!(crc16(b"123456789"), 0xFEE8);
    }

    /// Sixteen bytes a step give the byte-at-a-time CRC, at every length and alignment.
    #[test]
    fn sliced_matches_bytewise() {
        let data: [u8; 61] = core::array::from_fn(|i| (i as u8).wrapping_mul(73) ^ 0x5A);
        let bytewise = |d: &[u8]| crc16_bytewise(0, d);
        for start in 0..9 {
            for end in start..data.len() {
                assert_eq!(crc16(&data[start..end]), bytewise(&data[start..end]));
            }
        }
    }
}
