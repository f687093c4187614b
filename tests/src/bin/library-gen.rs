//! Writes a generated tagged library (`rill_tests::library_gen`) for the benchmarks at scale:
//! `library-gen DIR FILES [nested|flat]`. Prints how long it took.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use rill_tests::library_gen::{Base, Layout, Library};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, files, layout) = match args.as_slice() {
        [dir, files] => (dir, files, "nested"),
        [dir, files, layout] => (dir, files, layout.as_str()),
        _ => return usage(),
    };
    let Ok(files) = files.parse::<usize>() else { return usage() };
    let layout = match layout {
        "nested" => Layout::Nested,
        "flat" => Layout::Flat,
        _ => return usage(),
    };
    let start = Instant::now();
    let base = Base::new();
    Library::write_with(&base, &PathBuf::from(dir), files, layout);
    eprintln!("{files} files ({layout:?}) in {dir}: {:.1} s", start.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: library-gen DIR FILES [nested|flat]");
    ExitCode::from(2)
}
