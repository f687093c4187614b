//! Link options of the `rill` binary.
//!
//! Its relative relocations (the addresses the dynamic loader adjusts when it places the
//! position-independent binary, about 19,000) are packed (`-z pack-relative-relocs`,
//! `DT_RELR`): 24 bytes each become about a bit each, about 450 KB less of the binary read at
//! every start and resident from then on (BENCHMARKS.md, "Desktop: idle cost and start-up").
//! The loader of glibc 2.36 and later applies them, and the linker makes the binary require
//! such a glibc, so this is done only when building, not cross-compiling, on Linux with glibc
//! 2.36 or later (`getconf GNU_LIBC_VERSION`); otherwise the binary keeps its plain relocations.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if packs_relocations() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the binary is built for the machine building it, which runs glibc 2.36 or later.
fn packs_relocations() -> bool {
    let var = |name| std::env::var(name).unwrap_or_default();
    if var("HOST") != var("TARGET") || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return false;
    }
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else { return false };
    // "glibc 2.36"
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else { return false };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 36)
}
