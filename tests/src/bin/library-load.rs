//! The library at scale in one process, without disk or network (issue 17): builds the library
//! of `FILES` generated tagged files (`rill_tests::library_gen`, nested) as the host's index load
//! does (a folder's row before its files, rows in the index's key order, each file's details
//! read by the core's probe beforehand and not timed), all in one `Library::batch` as the load
//! does, or (`one-by-one`) each insert keeping every list in order, then renders Browse pages of
//! 100 of All Tracks from random offsets as DIDL-Lite, as a Browse answer does.
//! `library-load FILES [PAGES [batch|one-by-one]]` prints the load's time (elapsed and on the
//! CPU) and the pages' median and p99.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use rill_core::library::{probe, FileInfo, Library, Shelf, SortSpec};
use rill_core::player::Quirks;
use rill_core::upnp::didl::{Document, Filter};
use rill_tests::fuzz::mem::Mem;
use rill_tests::library_gen::{Base, Track};

/// Files probed at a time (their details are held until inserted).
const CHUNK: usize = 10_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (files, pages, batch) = match args.as_slice() {
        [files] => (files.parse::<usize>().ok(), Some(300), Some(true)),
        [files, pages] => (files.parse().ok(), pages.parse().ok(), Some(true)),
        [files, pages, how] => (
            files.parse().ok(),
            pages.parse().ok(),
            match how.as_str() {
                "batch" => Some(true),
                "one-by-one" => Some(false),
                _ => None,
            },
        ),
        _ => (None, None, None),
    };
    let (Some(files), Some(pages), Some(batch)) = (files, pages, batch) else {
        eprintln!("usage: library-load FILES [PAGES [batch|one-by-one]]");
        return ExitCode::from(2);
    };
    let base = Base::new();
    // The index's rows come in key order (bytes of the path), which is not the files' numbers'
    // order past 1,000 artists ("Artist 100/..." < "Artist 1000/..." < "Artist 101/...").
    let mut tracks: Vec<Track> = (0..files).map(|n| Track::new(n, 0)).collect();
    tracks.sort_by(|a, b| a.rel.cmp(&b.rel));
    let mut library = Library::new();
    library.add_root(0, "Music").expect("a served folder");
    let mut folders = 0usize;
    let (mut artist, mut album) = (String::new(), String::new());
    // The probes' time, taken out of the load's.
    let (mut probing, mut probing_cpu) = (Duration::ZERO, Duration::ZERO);
    let (start, cpu) = (Instant::now(), cpu_time());
    let mut load = |library: &mut Library| {
        for chunk in tracks.chunks(CHUNK) {
            let (probe_start, probe_cpu) = (Instant::now(), cpu_time());
            let read: Vec<_> = chunk
                .iter()
                .map(|t| {
                    let bytes = base.tagged(&t.tags);
                    let details = probe::audio(Mem::new(&bytes)).expect("the file reads");
                    (bytes.len() as u64, details)
                })
                .collect();
            probing += probe_start.elapsed();
            probing_cpu += cpu_time() - probe_cpu;
            for (n, (track, (size, details))) in chunk.iter().zip(read).enumerate() {
                // A folder's row comes before the rows below it.
                let folder = track.rel.rsplit_once('/').map_or("", |(f, _)| f);
                let top = folder.split_once('/').map_or(folder, |(a, _)| a);
                for (seen, now) in [(&mut artist, top), (&mut album, folder)] {
                    if seen != now {
                        library.insert_folder(0, now).expect("a folder");
                        folders += 1;
                        *seen = now.to_string();
                    }
                }
                let file = FileInfo { size, mtime: 1_700_000_000 + n as u64 };
                library.insert_file_with(0, &track.rel, file, details).expect("inserted");
            }
        }
    };
    if batch {
        library.batch(load);
    } else {
        load(&mut library);
    }
    library.tidy();
    let spent = start.elapsed() - probing;
    let on_cpu = cpu_time() - cpu - probing_cpu;
    eprintln!(
        "{files} files, {folders} folder rows, {} objects, {}: loaded in {:.2} s ({:.2} s on the \
         CPU)",
        library.len(),
        if batch { "in one batch" } else { "one by one" },
        spent.as_secs_f64(),
        on_cpu.as_secs_f64()
    );
    let all = Shelf::AllTracks.id();
    let listed = library.children(all, &SortSpec::default()).expect("All Tracks");
    assert_eq!(listed.len(), files, "All Tracks lists every file");
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut times = Vec::with_capacity(pages);
    let mut cpu_times = Vec::with_capacity(pages);
    let mut out = String::new();
    for _ in 0..pages {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let offset = (x % files.max(1) as u64) as usize;
        let (start, cpu) = (Instant::now(), cpu_time());
        let kids = library.children(all, &SortSpec::default()).expect("All Tracks");
        let page = kids.range(offset, offset + 100);
        let quirks = Quirks::GENERIC;
        let doc = Document::new(&library, page, Filter::parse("*"), "127.0.0.1:8210", quirks)
            .listed_in(all);
        out.clear();
        doc.render_escaped(&mut out).expect("rendered");
        times.push(start.elapsed());
        cpu_times.push(cpu_time() - cpu);
    }
    for (what, mut times) in [("elapsed", times), ("on the CPU", cpu_times)] {
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        eprintln!(
            "Browse 100 of All Tracks from random offsets, {pages} pages, {what}: median {:.3} \
             ms, p99 {:.3} ms",
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3
        );
    }
    ExitCode::SUCCESS
}

/// The time this thread has spent on a CPU: the machine may be shared, and wall-clock time
/// then counts other programs' turns.
fn cpu_time() -> Duration {
    let clock = nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID;
    Duration::from(nix::time::clock_gettime(clock).expect("the thread's CPU clock"))
}
