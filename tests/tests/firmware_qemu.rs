//! The firmware end to end: the mps2-an386 build booted in QEMU inside a private network
//! namespace, with a tap link the test creates there (traffic never leaves the namespace), and
//! the mock renderer driving it over ordinary sockets (see `appliance/mod.rs`), then subscribing
//! to its events.
//!
//! QEMU (`qemu-system-arm`, Debian's qemu-system-arm) is required: without it this test fails,
//! it never skips. `scripts/test` installs it.

mod appliance;
mod ogg_util;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rill_tests::renderer::netns;

/// The board crate, built for thumbv7em-none-eabihf by its own `.cargo/config.toml`.
fn board_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware/boards/mps2-an386")
}

/// Builds the firmware (release) with cargo `features` (comma-separated, may be empty) and
/// copies the ELF into `dir`; returns the copy's path. Tests of different variants run at once
/// in separate processes and cargo puts every variant's ELF at the same path, so the build and
/// the copy happen under a file lock.
fn build_firmware(features: &str, dir: &Path) -> PathBuf {
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

/// QEMU running the firmware; killed on drop.
struct Qemu {
    child: Child,
    serial: PathBuf,
}

impl Qemu {
    fn boot(elf: &Path, card: &Path, serial: &Path) -> Qemu {
        let mac = appliance::MAC.map(|b| format!("{b:02x}")).join(":");
        let child = Command::new("qemu-system-arm")
            .args(["-machine", "mps2-an386", "-display", "none", "-monitor", "none"])
            .arg("-serial")
            .arg(format!("file:{}", serial.display()))
            .arg("-kernel")
            .arg(elf)
            .arg("-device")
            .arg(format!("loader,file={},addr=0x21000000", card.display()))
            .args(["-netdev", &format!("tap,id=n0,ifname={},script=no,downscript=no", appliance::TAP)])
            .args(["-net", &format!("nic,model=lan9118,netdev=n0,macaddr={mac}")])
            .stdin(Stdio::null())
            .spawn()
            .expect("qemu-system-arm is required for the firmware tests (apt-get install qemu-system-arm)");
        Qemu { child, serial: serial.to_path_buf() }
    }

    fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.serial) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// Waits until the serial log contains `line` (the board is up), or fails with the log.
    fn wait_for(&mut self, line: &str, limit: Duration) {
        self.wait_for_times(line, 1, limit);
    }

    /// Waits until the serial log contains `line` `times` times, or fails with the log.
    fn wait_for_times(&mut self, line: &str, times: usize, limit: Duration) {
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

#[test]
fn the_appliance_in_qemu_serves_discovery_browse_l16_and_events() {
    let version = Command::new("qemu-system-arm").arg("--version").output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "qemu-system-arm is required for the firmware tests (apt-get install qemu-system-arm)"
    );
    assert!(netns::available(), "the firmware test needs `unshare -rn` for a private namespace");
    netns::isolated("the_appliance_in_qemu_serves_discovery_browse_l16_and_events", || {
        let dir = tempfile::tempdir().unwrap();
        let elf = build_firmware("", dir.path());
        let media = appliance::media();
        let card = dir.path().join("card.img");
        std::fs::write(&card, appliance::card(&media)).unwrap();
        appliance::tap_up();
        let mut qemu = Qemu::boot(&elf, &card, &dir.path().join("serial.log"));
        qemu.wait_for("SSDP: announcing", Duration::from_secs(60));
        assert!(qemu.log().contains("2 media files, 2 Vorbis"), "library built at boot");
        // Events first: the scenario ends with every HTTP slot taken, and slots of closed
        // connections take a moment to listen again.
        appliance::initial_events();
        appliance::scenario(&media);
        assert!(!qemu.log().contains("panic"), "the firmware panicked");
        // RAM with four connections and two transcoded streams at once (the scenario's last
        // phase): the statics without the heap arena, plus the heap's high-water mark, which
        // the board logs within a second of it moving.
        std::thread::sleep(Duration::from_millis(1500));
        let log = qemu.log();
        let peak: usize = log
            .lines()
            .filter_map(|l| l.split("high-water ").nth(1))
            .filter_map(|n| n.trim().parse().ok())
            .max()
            .expect("the board logs its heap high-water mark");
        let (statics, arena) = static_ram(&elf);
        let total = statics - arena + peak;
        eprintln!(
            "firmware RAM: statics {} B (without the {arena} B heap arena) + heap high-water \
             {peak} B = {total} B ({} KiB)",
            statics - arena,
            total / 1024
        );
        assert!(total <= 384 * 1024, "RAM over the 384 KiB target: {total} B");
    });
}

/// The firmware's static RAM (`.data`, `.bss`, `.uninit`) and, within it, the heap arena's
/// size, read with binutils' `size` and `nm`.
fn static_ram(elf: &Path) -> (usize, usize) {
    let run = |tool: &str, args: &[&str]| {
        let out = Command::new(tool).args(args).arg(elf).output().expect("running binutils");
        assert!(out.status.success(), "{tool} failed");
        String::from_utf8(out.stdout).unwrap()
    };
    let statics = run("size", &["-A"])
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let name = f.next()?;
            let size = f.next()?.parse::<usize>().ok()?;
            [".data", ".bss", ".uninit"].contains(&name).then_some(size)
        })
        .sum();
    let arena = run("nm", &["--print-size"])
        .lines()
        .find(|l| l.contains("5ARENA"))
        .and_then(|l| usize::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
        .expect("the heap arena's symbol");
    (statics, arena)
}

/// A board whose executor hangs is restarted by the watchdog: the `hang-test` build spins in a
/// task a second after boot, so nothing feeds the watchdog; its first timeout raises the NMI
/// (logged), the second resets the board (QEMU's CMSDK watchdog model resets the machine, as
/// the hardware does), and the same hang follows the second boot.
#[test]
fn the_watchdog_restarts_a_hung_board() {
    assert!(netns::available(), "the firmware test needs `unshare -rn` for a private namespace");
    netns::isolated("the_watchdog_restarts_a_hung_board", || {
        let dir = tempfile::tempdir().unwrap();
        let elf = build_firmware("hang-test", dir.path());
        let card = dir.path().join("card.img");
        std::fs::write(&card, appliance::card(&appliance::media())).unwrap();
        appliance::tap_up();
        let mut qemu = Qemu::boot(&elf, &card, &dir.path().join("serial.log"));
        let hang = "hang-test: spinning";
        // Two watchdog periods after the hang, the reset; a second after the second boot, the
        // second hang.
        qemu.wait_for_times(hang, 2, Duration::from_secs(60));
        let log = qemu.log();
        let first = log.find(hang).unwrap();
        let nmi = log[first..].find("watchdog: not fed").map(|at| first + at);
        let nmi = nmi.expect("the watchdog interrupt (NMI) after the hang");
        let second = log[nmi..].find(hang).map(|at| nmi + at).expect("a second boot after the NMI");
        let boots = log[nmi..second].matches("library: ").count();
        assert_eq!(boots, 1, "the board boots again between the NMI and the second hang");
        assert!(!log.contains("panic"), "the firmware panicked");
    });
}
