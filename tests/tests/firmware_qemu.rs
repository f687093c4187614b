//! The firmware end to end: the mps2-an386 build booted in QEMU inside a private network
//! namespace, with a tap link the test creates there (traffic never leaves the namespace), and
//! the mock renderer driving it over ordinary sockets (see `appliance/mod.rs`), then subscribing
//! to its events. Its media are two Vorbis files and a FLAC one (the board's image has FLAC
//! on), each streamed and seeked against the host's decode. The main scenario runs with a DHCP
//! server (dnsmasq) on the link, which leases the board an address; a short test boots it
//! without one, where it must take its static fallback.
//!
//! QEMU (`qemu-system-arm`, Debian's qemu-system-arm) and dnsmasq (Debian's dnsmasq-base) are
//! required: without them these tests fail, they never skip. `scripts/test` installs both.

mod appliance;
mod ogg_util;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use appliance::qemu::{self, build_firmware, Qemu};
use appliance::{DhcpServer, LEASED, MAC, STATIC};
use rill_tests::flac_corpus::Spec as FlacSpec;
use rill_tests::renderer::netns;

#[test]
fn the_appliance_in_qemu_takes_a_lease_and_serves_discovery_browse_l16_and_events() {
    qemu::require();
    assert!(netns::available(), "the firmware test needs `unshare -rn` for a private namespace");
    let name = "the_appliance_in_qemu_takes_a_lease_and_serves_discovery_browse_l16_and_events";
    netns::isolated(name, || {
        let dir = tempfile::tempdir().unwrap();
        let elf = build_firmware("", dir.path());
        // The two Vorbis files and a FLAC one (16-bit stereo at `flac`'s default level), each
        // streamed, range- and time-seeked against the host's decode (`flac -d` for FLAC).
        let mut media = appliance::media();
        let cd = FlacSpec { frames: 2 * 44_100, ..FlacSpec::cd(&[]) };
        media.push(appliance::flac_media("Lossless/CD.flac", &cd));
        let card = dir.path().join("card.img");
        std::fs::write(&card, appliance::card(&media)).unwrap();
        appliance::tap_up(&LEASED);
        let dhcp = DhcpServer::start(&LEASED);
        let mut qemu = Qemu::boot(&elf, &card, &dir.path().join("serial.log"), &[]);
        qemu.wait_for("SSDP: announcing", Duration::from_secs(60));
        let log = qemu.log();
        assert!(log.contains("3 media files, 3 Vorbis or FLAC"), "library built at boot");
        // The lease, not the fallback: dnsmasq acknowledged the board's MAC address, and the
        // board uses the address it was given.
        let mac = MAC.map(|b| format!("{b:02x}")).join(":");
        let ack = format!("DHCPACK({}) {} {mac}", appliance::TAP, LEASED.board);
        assert!(dhcp.log().contains(&ack), "dnsmasq leased the board its address");
        assert!(log.contains(&format!("address {}", LEASED.board)), "the board took the lease");
        assert!(!log.contains("no DHCP lease"), "the board fell back despite the DHCP server");
        // Events first: the scenario ends with every HTTP slot taken, and slots of closed
        // connections take a moment to listen again.
        appliance::initial_events(&LEASED);
        appliance::scenario(&LEASED, &media);
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

/// Without a DHCP server on its link the board waits for a lease (5 s), takes its static
/// address and is discovered and described there.
#[test]
fn without_dhcp_the_board_in_qemu_takes_its_static_address() {
    qemu::require();
    assert!(netns::available(), "the firmware test needs `unshare -rn` for a private namespace");
    netns::isolated("without_dhcp_the_board_in_qemu_takes_its_static_address", || {
        let dir = tempfile::tempdir().unwrap();
        let elf = build_firmware("", dir.path());
        let card = dir.path().join("card.img");
        std::fs::write(&card, appliance::card(&appliance::media())).unwrap();
        appliance::tap_up(&STATIC);
        let mut qemu = Qemu::boot(&elf, &card, &dir.path().join("serial.log"), &[]);
        qemu.wait_for("SSDP: announcing", Duration::from_secs(60));
        let fallback = format!("no DHCP lease within the wait: static address {}", STATIC.board);
        assert!(qemu.log().contains(&fallback), "the board fell back to its static address");
        appliance::content_directory(&STATIC);
        assert!(!qemu.log().contains("panic"), "the firmware panicked");
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
    qemu::require();
    assert!(netns::available(), "the firmware test needs `unshare -rn` for a private namespace");
    netns::isolated("the_watchdog_restarts_a_hung_board", || {
        let dir = tempfile::tempdir().unwrap();
        let elf = build_firmware("hang-test", dir.path());
        let card = dir.path().join("card.img");
        std::fs::write(&card, appliance::card(&appliance::media())).unwrap();
        appliance::tap_up(&STATIC);
        let mut qemu = Qemu::boot(&elf, &card, &dir.path().join("serial.log"), &[]);
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
