//! IP address text of `CALLBACK` URLs, read by core's own parsers.
//!
//! They accept exactly what `str::parse` accepts for `Ipv4Addr` and `Ipv6Addr` (a test checks
//! them against it on generated text). They exist for the firmware's flash: core's address
//! parser (about 1.5 KB) is linked for these two calls alone.

use core::net::{Ipv4Addr, Ipv6Addr};

/// `a.b.c.d`: four decimal octets of one to three digits, no leading zeros.
pub(super) fn ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        *octet = decimal_octet(parts.next()?)?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

fn decimal_octet(text: &str) -> Option<u8> {
    let digits = text.as_bytes();
    let leading_zero = digits.len() > 1 && digits.first() == Some(&b'0');
    if digits.is_empty() || digits.len() > 3 || leading_zero {
        return None;
    }
    let mut value = 0u16;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u16::from(d - b'0');
    }
    u8::try_from(value).ok()
}

/// Eight groups of one to four hex digits, the last two optionally as an IPv4 address; one
/// `::` may stand for one or more zero groups.
pub(super) fn ipv6(text: &str) -> Option<Ipv6Addr> {
    let mut groups = [0u16; 8];
    match crate::util::find::split_once(text, "::") {
        None => {
            if units(text, false, &mut groups)? != 8 {
                return None;
            }
        }
        Some((head, tail)) => {
            let h = if head.is_empty() { 0 } else { units(head, true, &mut groups)? };
            let mut back = [0u16; 8];
            let t = if tail.is_empty() { 0 } else { units(tail, false, &mut back)? };
            // `::` stands for at least one group.
            let start = 8usize.checked_sub(t)?;
            if h + t > 7 {
                return None;
            }
            groups.get_mut(start..)?.copy_from_slice(back.get(..t)?);
        }
    }
    Some(Ipv6Addr::from(groups))
}

/// Reads `:`-separated hex groups (and, unless `hex_only`, a final IPv4 address as two) into
/// `out`; returns how many 16-bit groups they make, at most 8.
fn units(text: &str, hex_only: bool, out: &mut [u16; 8]) -> Option<usize> {
    let mut n = 0;
    let mut parts = text.split(':').peekable();
    while let Some(part) = parts.next() {
        if !hex_only && parts.peek().is_none() && part.contains('.') {
            let [a, b, c, d] = ipv4(part)?.octets();
            *out.get_mut(n)? = u16::from_be_bytes([a, b]);
            *out.get_mut(n + 1)? = u16::from_be_bytes([c, d]);
            return Some(n + 2);
        }
        let digits = part.as_bytes();
        if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let value = digits.iter().fold(0u16, |v, &d| {
            // A hex digit by the check above.
            let x = (d as char).to_digit(16).unwrap_or(0) as u16;
            v << 4 | x
        });
        *out.get_mut(n)? = value;
        n += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random text over `alphabet`, lengths 0 to `max_len`.
    fn texts(alphabet: &[u8], max_len: u64, count: usize) -> impl Iterator<Item = String> + '_ {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..count).map(move |_| {
            let mut next = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            let len = next() % (max_len + 1);
            (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char).collect()
        })
    }

    #[test]
    fn ipv4_accepts_what_core_accepts() {
        let octets = (0..1000).flat_map(|n| [format!("{n}"), format!("0{n}"), format!("00{n}")]);
        let handmade = octets.map(|o| format!("1.{o}.3.4"));
        let random = texts(b"0123456789.", 17, 200_000);
        for text in handmade.chain(random) {
            assert_eq!(ipv4(&text), text.parse::<Ipv4Addr>().ok(), "{text:?}");
        }
    }

    #[test]
    fn ipv6_accepts_what_core_accepts() {
        let handmade = [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:1.2.3.4",
            "::ffff:1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "1.2.3.4::",
            "::1.2.3.4:5",
            ":::",
            "1:::2",
            "1::2::3",
            "fe80::1%1",
            "12345::",
            "FFFF::abcd",
            "0:0:0:0:0:0:0:0",
            "",
        ];
        let displayed = (0u32..256).map(|mask| {
            let groups: [u16; 8] =
                core::array::from_fn(|i| if mask >> i & 1 == 1 { 0xa0b + i as u16 } else { 0 });
            Ipv6Addr::from(groups).to_string()
        });
        let random = texts(b"0123:.f", 24, 300_000);
        for text in handmade.iter().map(|s| s.to_string()).chain(displayed).chain(random) {
            assert_eq!(ipv6(&text), text.parse::<Ipv6Addr>().ok(), "{text:?}");
        }
    }
}
