//! JPEG frame size: enough of a JPEG to tell whether a picture is already a `JPEG_TN`.
//!
//! The firmware cannot scale pictures, so it offers an embedded picture as album art only when
//! it already is a DLNA `JPEG_TN`: a JPEG of at most [`TN_SIDE`] pixels each way.
//! [`dimensions`] walks the marker segments to the first start-of-frame (SOF0..SOF15 except
//! DHT, JPG and DAC) and reads its height and width; every length is checked, so no input can
//! make it read out of bounds or loop.

/// The largest width and height of a DLNA `JPEG_TN` picture.
pub const TN_SIDE: u16 = 160;

/// Width and height of a JPEG image, from its first start-of-frame segment.
pub fn dimensions(data: &[u8]) -> Option<(u16, u16)> {
    let mut rest = data.strip_prefix(&[0xFF, 0xD8])?;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        let start = rest.iter().position(|&b| b != 0xFF)?;
        if start == 0 {
            return None;
        }
        let marker = *rest.get(start)?;
        rest = rest.get(start + 1..)?;
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            continue; // standalone markers carry no length
        }
        let len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
        let segment = rest.get(2..len)?;
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let height = u16::from_be_bytes([*segment.get(1)?, *segment.get(2)?]);
            let width = u16::from_be_bytes([*segment.get(3)?, *segment.get(4)?]);
            return Some((width, height));
        }
        if marker == 0xDA || marker == 0xD9 {
            return None; // scan data before any frame header
        }
        rest = rest.get(len..)?;
    }
}

/// Whether `data` is a JPEG small enough to be served as `JPEG_TN` without scaling.
pub fn is_thumbnail(data: &[u8]) -> bool {
    dimensions(data).is_some_and(|(w, h)| w > 0 && h > 0 && w <= TN_SIDE && h <= TN_SIDE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG head: SOI, an APP0 segment, a DQT-like segment, SOF0 with `w` x `h`.
    fn head(w: u16, h: u16, sof: u8) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 6, b'J', b'F', b'I', b'F'];
        v.extend_from_slice(&[0xFF, 0xFF, 0xDB, 0, 4, 0, 0]); // with a fill byte
        v.extend_from_slice(&[0xFF, 0xC4, 0, 3, 0]); // DHT: not a frame
        v.extend_from_slice(&[0xFF, sof, 0, 11, 8]);
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&[1, 1, 0x11, 0]);
        v.extend_from_slice(&[0xFF, 0xD9]);
        v
    }

    #[test]
    fn reads_frame_sizes_and_survives_truncation() {
        assert_eq!(dimensions(&head(160, 120, 0xC0)), Some((160, 120)));
        assert_eq!(dimensions(&head(1024, 768, 0xC2)), Some((1024, 768)));
        assert!(is_thumbnail(&head(160, 160, 0xC0)));
        assert!(!is_thumbnail(&head(161, 100, 0xC0)));
        assert!(!is_thumbnail(&head(0, 100, 0xC0)));
        assert_eq!(dimensions(b"\x89PNG\r\n\x1a\n"), None);
        let full = head(100, 50, 0xC1);
        for n in 0..full.len() - 2 {
            let cut = dimensions(&full[..n]);
            assert!(cut.is_none() || cut == Some((100, 50)), "{n}");
        }
        // A lying length runs out of input, not past it.
        let mut lying = head(10, 10, 0xC0);
        lying[5] = 0xFF;
        assert_eq!(dimensions(&lying), None);
    }
}
