//! Which embedded database keeps Rill's library index (issue 17), decided by measurement:
//! SQLite (through `rusqlite`, the `bundled` build) against redb (pure Rust), on 100,000 rows
//! shaped like the index's (a path key; a value holding id, parent, size, mtime, inode,
//! duration, exact length, audio properties and tags, about 150 bytes), each in this process,
//! one after the other, in a fresh temporary folder:
//! - write them in transactions of [`BATCH`] rows, each commit made durable (SQLite in WAL mode
//!   with `synchronous=FULL`, redb's default `Durability::Immediate`);
//! - reopen the file, read every row back in key order (what a restart does), and look up
//!   [`LOOKUPS`] random keys one by one (what the background check does);
//! - the file's size on disk once closed.
//!
//! It prints a table (the figures in BENCHMARKS.md) and fails if a database gives back other
//! rows than were written, which also checks this harness. The build cost (compile time and
//! stripped binary size of a program that opens, writes and reads each) is measured outside it,
//! see BENCHMARKS.md. Run: `cargo bench -p rill-tests --bench index_db`.

use std::path::Path;
use std::time::{Duration, Instant};

use redb::{ReadableDatabase, ReadableTable, TableDefinition};

/// Rows written, as many as files in a library of 100,000 files.
const ROWS: usize = 100_000;
/// Rows per write transaction (the index commits in batches, never per file).
const BATCH: usize = 1_000;
/// Point lookups after reopening.
const LOOKUPS: usize = 20_000;

/// The redb table: path key, encoded record.
const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");

/// The rows: a nested artist/album/track path and a record as the index encodes one.
fn rows() -> Vec<(String, Vec<u8>)> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..ROWS)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (artist, album, track) = (i / 1000, (i / 10) % 100, i % 10);
            let path = format!(
                "Artist {artist:04}/Album {album:03} of {artist}/{track:02} - Track title {i}.flac"
            );
            let mut rec = Vec::with_capacity(160);
            for n in [x, x >> 3, 4_000_000 + i as u64, 1_700_000_000 + i as u64, x >> 20] {
                rec.extend_from_slice(&n.to_le_bytes()); // id, parent, size, mtime, inode
            }
            rec.extend_from_slice(&(180_000 + i as u64).to_le_bytes()); // duration ms
            rec.extend_from_slice(&(7_938_000 + i as u64).to_le_bytes()); // frames
            rec.extend_from_slice(&[0x44, 0xac, 0, 0, 2, 16]); // rate, channels, bits
            for tag in [
                format!("Track title {i}"),
                format!("Artist {artist:04}"),
                format!("Album {album:03} of {artist}"),
                format!("Genre {}", i % 40),
                "2003".to_string(),
            ] {
                rec.push(tag.len() as u8);
                rec.extend_from_slice(tag.as_bytes());
            }
            rec.extend_from_slice(&[(track + 1) as u8, 1, 0]); // track, disc, flags
            (path, rec)
        })
        .collect()
}

/// What one database did.
struct Figures {
    write: Duration,
    reopen_read_all: Duration,
    lookups: Duration,
    bytes: u64,
}

/// Opens (creating) the SQLite index at `path` as Rill would.
fn sqlite_open(path: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(path).expect("open");
    db.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE IF NOT EXISTS objects (path TEXT PRIMARY KEY, rec BLOB NOT NULL)
         WITHOUT ROWID;",
    )
    .expect("schema");
    db
}

/// Writes `rows` in batches into a new SQLite file.
fn sqlite_write(path: &Path, rows: &[(String, Vec<u8>)]) -> rusqlite::Connection {
    let mut db = sqlite_open(path);
    for batch in rows.chunks(BATCH) {
        let tx = db.transaction().expect("begin");
        {
            let mut put =
                tx.prepare_cached("INSERT OR REPLACE INTO objects VALUES (?1, ?2)").unwrap();
            for (k, v) in batch {
                put.execute((k, v)).expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    db
}

/// Reads every row of the SQLite file back and checks them.
fn sqlite_read_all(db: &rusqlite::Connection, rows: &[(String, Vec<u8>)]) {
    let mut all = db.prepare("SELECT path, rec FROM objects ORDER BY path").unwrap();
    let mut got = all
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .unwrap()
        .map(|r| r.expect("row"));
    check_all(&mut got, rows);
}

/// Writes `rows` in batches into a new redb file.
fn redb_write(path: &Path, rows: &[(String, Vec<u8>)]) -> redb::Database {
    let db = redb::Database::create(path).expect("create");
    for batch in rows.chunks(BATCH) {
        let tx = db.begin_write().expect("begin");
        {
            let mut table = tx.open_table(TABLE).expect("table");
            for (k, v) in batch {
                table.insert(k.as_str(), v.as_slice()).expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    db
}

/// Reads every row of the redb file back and checks them.
fn redb_read_all(db: &redb::Database, rows: &[(String, Vec<u8>)]) {
    let tx = db.begin_read().expect("read");
    let table = tx.open_table(TABLE).expect("table");
    let mut got = table.iter().expect("iter").map(|r| {
        let (k, v) = r.expect("row");
        (k.value().to_string(), v.value().to_vec())
    });
    check_all(&mut got, rows);
}

fn sqlite(dir: &Path, rows: &[(String, Vec<u8>)], keys: &[usize]) -> Figures {
    let path = dir.join("index.sqlite");
    let start = Instant::now();
    drop(sqlite_write(&path, rows));
    let write = start.elapsed();

    let start = Instant::now();
    let db = sqlite_open(&path);
    sqlite_read_all(&db, rows);
    let reopen_read_all = start.elapsed();

    let start = Instant::now();
    {
        let mut one = db.prepare("SELECT rec FROM objects WHERE path = ?1").unwrap();
        for &k in keys {
            let (path, rec) = &rows[k];
            let got: Vec<u8> = one.query_row([path], |r| r.get(0)).expect("lookup");
            assert_eq!(&got, rec);
        }
    }
    let lookups = start.elapsed();
    drop(db);
    Figures { write, reopen_read_all, lookups, bytes: size(&path) }
}

fn redb(dir: &Path, rows: &[(String, Vec<u8>)], keys: &[usize]) -> Figures {
    let path = dir.join("index.redb");
    let start = Instant::now();
    drop(redb_write(&path, rows));
    let write = start.elapsed();

    let start = Instant::now();
    let db = redb::Database::create(&path).expect("reopen");
    redb_read_all(&db, rows);
    let reopen_read_all = start.elapsed();

    let start = Instant::now();
    {
        let tx = db.begin_read().expect("read");
        let table = tx.open_table(TABLE).expect("table");
        for &k in keys {
            let (path, rec) = &rows[k];
            let got = table.get(path.as_str()).expect("lookup").expect("present");
            assert_eq!(got.value(), rec.as_slice());
        }
    }
    let lookups = start.elapsed();
    drop(db);
    Figures { write, reopen_read_all, lookups, bytes: size(&path) }
}

/// Every row read back equals the one written, in key order, none missing.
fn check_all(got: &mut dyn Iterator<Item = (String, Vec<u8>)>, rows: &[(String, Vec<u8>)]) {
    let mut want: Vec<&(String, Vec<u8>)> = rows.iter().collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    let mut n = 0;
    for (row, want) in got.zip(&want) {
        assert_eq!(&row, *want);
        n += 1;
    }
    assert_eq!(n, rows.len(), "rows read back");
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).expect("database file")
}

/// Peak resident memory of this process so far, in bytes (`VmHWM`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    let kb: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmHWM kB");
    kb * 1024
}

/// Runs this bench again as `args` and returns what it printed.
fn child(args: &[&str]) -> String {
    let out = std::process::Command::new(std::env::current_exe().expect("own path"))
        .args(args)
        .output()
        .expect("bench child runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// One measurement, in its own process so that its peak memory is its own:
/// - `run DB DIR`: the table row of database `DB`;
/// - `crash DB DIR`: writes every row, then exits without closing the database (as a killed
///   process would leave it);
/// - `recover DB DIR`: opens what `crash` left and reads every row back, timed.
fn measure(what: &str, db: &str, dir: &Path) {
    let rows = rows();
    let keys: Vec<usize> = {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..LOOKUPS)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % ROWS as u64) as usize
            })
            .collect()
    };
    let base = peak_rss();
    match (what, db) {
        ("run", _) => {
            let f =
                if db == "sqlite" { sqlite(dir, &rows, &keys) } else { redb(dir, &rows, &keys) };
            print!(
                "{:.2} s | {:.0} ms | {:.1} µs | {:.1} MB | {:.1} MB",
                f.write.as_secs_f64(),
                f.reopen_read_all.as_secs_f64() * 1e3,
                f.lookups.as_secs_f64() * 1e6 / LOOKUPS as f64,
                f.bytes as f64 / 1e6,
                peak_rss().saturating_sub(base) as f64 / 1e6,
            );
        }
        ("crash", "sqlite") => {
            std::mem::forget(sqlite_write(&dir.join("index.sqlite"), &rows));
            std::process::exit(0);
        }
        ("crash", _) => {
            std::mem::forget(redb_write(&dir.join("index.redb"), &rows));
            std::process::exit(0);
        }
        (_, "sqlite") => {
            let start = Instant::now();
            sqlite_read_all(&sqlite_open(&dir.join("index.sqlite")), &rows);
            print!("{:.0} ms", start.elapsed().as_secs_f64() * 1e3);
        }
        _ => {
            let start = Instant::now();
            let db = redb::Database::create(dir.join("index.redb")).expect("reopen");
            redb_read_all(&db, &rows);
            print!("{:.0} ms", start.elapsed().as_secs_f64() * 1e3);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [what, db, dir] = args.as_slice() {
        if ["run", "crash", "recover"].contains(&what.as_str()) {
            return measure(what, db, Path::new(dir));
        }
    }
    println!("{ROWS} rows in transactions of {BATCH}, {LOOKUPS} lookups");
    println!(
        "| database | write | reopen + read all | lookups (each) | file size | peak memory \
         (beyond the rows) | open + read all after a kill |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, db) in [("SQLite (rusqlite, WAL)", "sqlite"), ("redb", "redb")] {
        let dir = tempfile::tempdir().expect("temp dir");
        let dir_arg = dir.path().to_str().expect("UTF-8 temp dir");
        let row = child(&["run", db, dir_arg]);
        let crashed = tempfile::tempdir().expect("temp dir");
        let crashed_arg = crashed.path().to_str().expect("UTF-8 temp dir");
        child(&["crash", db, crashed_arg]);
        let recover = child(&["recover", db, crashed_arg]);
        println!("| {name} | {row} | {recover} |");
    }
}
