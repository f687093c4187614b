//! `rill`: the Rill media server's host binary.
fn main() {
    println!("rill {}", env!("CARGO_PKG_VERSION"));
}
