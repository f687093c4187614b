//! FAT disk images for the firmware tests: an MBR with one FAT partition holding the given
//! files, as an SD card formatted on a computer would be (`embedded-sdmmc` reads partition 1).

use std::io::{self, Read, Seek, SeekFrom, Write};

/// Sector size.
const SECTOR: usize = 512;
/// First sector of the partition (1 MiB aligned, as partitioning tools do).
const START: usize = 2048;

/// A disk image of at least `size` bytes whose one FAT partition holds `files`, each a
/// `/`-separated path (folders are created) and its bytes.
pub fn image(size: usize, files: &[(&str, &[u8])]) -> Vec<u8> {
    let content: usize = files.iter().map(|(_, b)| b.len() + 4096).sum();
    let size = size.max(START * SECTOR + content * 2 + (4 << 20)).next_multiple_of(SECTOR);
    let mut disk = vec![0u8; size];
    let sectors = u32::try_from(size / SECTOR - START).expect("image under 2 TiB");
    // One primary partition of type 0x0c (FAT32 LBA) or 0x06 (FAT16): the reader accepts
    // either type byte for either FAT; fatfs picks the FAT type from the size.
    let entry = &mut disk[446..462];
    entry[4] = 0x0c;
    entry[8..12].copy_from_slice(&(START as u32).to_le_bytes());
    entry[12..16].copy_from_slice(&sectors.to_le_bytes());
    disk[510] = 0x55;
    disk[511] = 0xaa;
    {
        let mut part = Part { disk: &mut disk[START * SECTOR..], pos: 0 };
        fatfs::format_volume(&mut part, fatfs::FormatVolumeOptions::new()).expect("format");
        let fs = fatfs::FileSystem::new(part, fatfs::FsOptions::new()).expect("mount");
        let root = fs.root_dir();
        for (path, bytes) in files {
            let mut dir = root.clone();
            let mut parts: Vec<&str> = path.split('/').collect();
            let name = parts.pop().expect("a file name");
            for p in parts {
                dir = match dir.open_dir(p) {
                    Ok(d) => d,
                    Err(_) => dir.create_dir(p).expect("mkdir"),
                };
            }
            let mut f = dir.create_file(name).expect("create");
            f.write_all(bytes).expect("write");
        }
    }
    // Partition type to match what fatfs chose.
    let fat32 = &disk[START * SECTOR + 82..START * SECTOR + 87] == b"FAT32";
    disk[446 + 4] = if fat32 { 0x0c } else { 0x06 };
    disk
}

/// The partition as a stream.
struct Part<'a> {
    disk: &'a mut [u8],
    pos: usize,
}

impl Read for Part<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.disk.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Part<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let rest = self.disk.get_mut(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        rest[..n].copy_from_slice(&buf[..n]);
        self.pos += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Part<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let len = self.disk.len() as i64;
        let to = match pos {
            SeekFrom::Start(n) => n as i64,
            SeekFrom::End(d) => len + d,
            SeekFrom::Current(d) => self.pos as i64 + d,
        };
        if !(0..=len).contains(&to) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "seek outside the partition"));
        }
        self.pos = to as usize;
        Ok(self.pos as u64)
    }
}
