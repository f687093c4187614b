//! The watcher's bookkeeping on a simulated clock; the whole watcher runs end to end in
//! `tests/tests/events.rs`.

use super::*;
use notify::event::{DataChange, RemoveKind, RenameMode};

fn at(base: Instant, ms: u64) -> Instant {
    base + Duration::from_millis(ms)
}

#[test]
fn a_file_being_written_waits_until_it_is_quiet_or_closed() {
    let t0 = Instant::now();
    let mut dirty = Dirty::default();
    let data = EventKind::Modify(ModifyKind::Data(DataChange::Any));
    let (a, b) = (PathBuf::from("a.ogg"), PathBuf::from("b.ogg"));
    dirty.note(&EventKind::Create(CreateKind::File), 0, a.clone(), t0);
    dirty.note(&data, 0, a.clone(), at(t0, 600));
    // Still being written 1.2 s after it appeared: not due.
    assert!(dirty.take_due(at(t0, 1200)).is_empty());
    assert_eq!(dirty.next_due(), Some(at(t0, 600) + SETTLE));
    // A second file is closed after writing: due at once, while the first still waits.
    dirty.note(&data, 0, b.clone(), at(t0, 1300));
    dirty.note(
        &EventKind::Access(AccessKind::Close(AccessMode::Write)),
        0,
        b.clone(),
        at(t0, 1300),
    );
    assert_eq!(dirty.take_due(at(t0, 1300)), [(0, b)]);
    assert_eq!(dirty.take_due(at(t0, 1600)), [(0, a)]);
    assert!(dirty.next_due().is_none());
}

#[test]
fn moves_and_deletions_are_due_at_once_and_reads_are_ignored() {
    let t0 = Instant::now();
    let mut dirty = Dirty::default();
    let kinds = [
        EventKind::Modify(ModifyKind::Name(RenameMode::From)),
        EventKind::Modify(ModifyKind::Name(RenameMode::To)),
        EventKind::Remove(RemoveKind::File),
        EventKind::Create(CreateKind::Folder),
    ];
    for (i, kind) in kinds.iter().enumerate() {
        dirty.note(kind, 1, PathBuf::from(format!("p{i}")), t0);
    }
    dirty.note(&EventKind::Access(AccessKind::Open(AccessMode::Any)), 0, "r".into(), t0);
    dirty.note(&EventKind::Access(AccessKind::Close(AccessMode::Read)), 0, "r".into(), t0);
    let due = dirty.take_due(t0);
    let names: Vec<_> = due.iter().map(|(r, p)| format!("{r}:{}", p.display())).collect();
    assert_eq!(names, ["1:p0", "1:p1", "1:p2", "1:p3"]);
}

#[test]
fn paths_are_located_in_the_innermost_root() {
    let roots = [
        Some(PathBuf::from("/srv/music")),
        Some(PathBuf::from("/srv/music/live")),
        None,
        Some(PathBuf::from("/b")),
    ];
    assert_eq!(locate(&roots, Path::new("/srv/music/a/1.ogg")), Some((0, "a/1.ogg".into())));
    assert_eq!(locate(&roots, Path::new("/srv/music/live/2.ogg")), Some((1, "2.ogg".into())));
    assert_eq!(locate(&roots, Path::new("/b")), Some((3, PathBuf::new())));
    assert_eq!(locate(&roots, Path::new("/srv/musical/x")), None);
}

#[test]
fn past_the_watch_limit_folders_are_left_to_rescans_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    for sub in ["a/b", "c"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let (tx, _rx) = mpsc::channel(4);
    let options = Options {
        rescan_interval: Duration::from_secs(5),
        max_watches: Some(1),
        ..Options::default()
    };
    let mut w =
        Watches::new(vec![Some(root.clone())], tx, Arc::new(AtomicBool::new(false)), options);
    w.add(0, Path::new(""));
    w.add(0, Path::new("a"));
    w.add(0, Path::new("a/b"));
    w.add(0, Path::new("c"));
    assert_eq!(w.watched.iter().collect::<Vec<_>>(), [&root]);
    // "a/b" is covered by the rescans of "a".
    let unwatched: Vec<_> = w.unwatched.iter().map(|(r, p)| (*r, p.to_str().unwrap())).collect();
    assert_eq!(unwatched, [(0, "a"), (0, "c")]);
    assert!(w.has_unwatched());
    // A folder that went away is not rescanned any more.
    w.forget(0, Path::new("a"));
    assert_eq!(w.unwatched.len(), 1);
    w.forget(0, Path::new("c"));
    assert!(!w.has_unwatched());
}
