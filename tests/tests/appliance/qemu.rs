//! The mps2-an386 firmware in QEMU, for the firmware tests and the TTFB bench: its release
//! build, and QEMU booting it with a card image in PSRAM and its Ethernet on the tap device of
//! the test's namespace ([`super::tap_up`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Fails unless `qemu-system-arm` runs: the firmware tests never skip.
pub fn require() {
    let version = Command::new("qemu-system-arm").arg("--version").output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "qemu-system-arm is required for the firmware tests (apt-get install qemu-system-arm)"
    );
}

/// The board crate, built for thumbv7em-none-eabihf by its own `.cargo/config.toml`.
fn board_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware/boards/mps2-an386")
}

/// Builds the firmware (release) with cargo `features` (comma-separated, may be empty) and
/// copies the ELF into `dir`; returns the copy's path. Tests of different variants run at once
/// in separate processes and cargo puts every variant's ELF at the same path, so the build and
/// the copy happen under a file lock.
pub fn build_firmware(features: &str, dir: &Path) -> PathBuf {
    let lock = std::fs::File::create(Path::new(env!("CARGO_TARGET_TMPDIR")).join("firmware.lock"))
        .expect("creating the firmware build lock");
    lock.lock().expect("taking the firmware build lock");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "--offline",
            "--message-format=json-render-diagnostics",
            "--features",
            features,
        ])
        .current_dir(board_dir())
        .stderr(Stdio::inherit())
        .output()
        .expect("running cargo build for the firmware");
    assert!(out.status.success(), "building the firmware failed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let exe = stdout
        .lines()
        .filter_map(|l| l.split("\"executable\":\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .find(|p| p.ends_with("rill-mps2-an386"))
        .expect("cargo names the firmware executable");
    let copy = dir.join("firmware.elf");
    std::fs::copy(exe, &copy).expect("copying the firmware");
    copy
}

/// QEMU running the firmware; killed on drop, printing the board's serial log.
pub struct Qemu {
    child: Child,
    serial: PathBuf,
}

impl Qemu {
    /// Boots `elf` with `card` in PSRAM, its UART into the file `serial`, and `extra` QEMU
    /// arguments (such as `-icount shift=0`).
    pub fn boot(elf: &Path, card: &Path, serial: &Path, extra: &[&str]) -> Qemu {
        let mac = super::MAC.map(|b| format!("{b:02x}")).join(":");
        let child = Command::new("qemu-system-arm")
            .args(["-machine", "mps2-an386", "-display", "none", "-monitor", "none"])
            .args(extra)
            .arg("-serial")
            .arg(format!("file:{}", serial.display()))
            .arg("-kernel")
            .arg(elf)
            .arg("-device")
            .arg(format!("loader,file={},addr=0x21000000", card.display()))
            .args(["-netdev", &format!("tap,id=n0,ifname={},script=no,downscript=no", super::TAP)])
            .args(["-net", &format!("nic,model=lan9118,netdev=n0,macaddr={mac}")])
            .stdin(Stdio::null())
            .spawn()
            .expect("qemu-system-arm is required (apt-get install qemu-system-arm)");
        Qemu { child, serial: serial.to_path_buf() }
    }

    /// The serial log so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.serial) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// Waits until the serial log contains `line` (the board is up), or fails with the log.
    pub fn wait_for(&mut self, line: &str, limit: Duration) {
        self.wait_for_times(line, 1, limit);
    }

    /// Waits until the serial log contains `line` `times` times, or fails with the log.
    pub fn wait_for_times(&mut self, line: &str, times: usize, limit: Duration) {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.log().matches(line).count() >= times {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("QEMU exited ({status}); serial log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no {line:?} within {limit:?}; serial log:\n{}", self.log());
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("--- firmware serial log ---\n{}", self.log());
    }
}
