//! The watcher's bookkeeping on a simulated clock, and its watches on real folders (events read
//! back from the kernel); the whole watcher runs end to end in `tests/tests/events.rs`.

use super::*;
use nix::sys::inotify::AddWatchFlags as Mask;

fn at(base: Instant, ms: u64) -> Instant {
    base + Duration::from_millis(ms)
}

#[test]
fn a_file_being_written_waits_until_it_is_quiet_or_closed() {
    let t0 = Instant::now();
    let mut dirty = Dirty::default();
    let data = Mask::IN_MODIFY;
    let (a, b) = (PathBuf::from("a.ogg"), PathBuf::from("b.ogg"));
    dirty.note(Mask::IN_CREATE, 0, a.clone(), t0);
    dirty.note(data, 0, a.clone(), at(t0, 600));
    // Still being written 1.2 s after it appeared: not due.
    assert!(dirty.take_due(at(t0, 1200)).is_empty());
    assert_eq!(dirty.next_due(), Some(at(t0, 600) + SETTLE));
    // A second file is closed after writing: due at once, while the first still waits.
    dirty.note(data, 0, b.clone(), at(t0, 1300));
    dirty.note(Mask::IN_CLOSE_WRITE, 0, b.clone(), at(t0, 1300));
    assert_eq!(dirty.take_due(at(t0, 1300)), [(0, b)]);
    assert_eq!(dirty.take_due(at(t0, 1600)), [(0, a)]);
    assert!(dirty.next_due().is_none());
}

#[test]
fn moves_and_deletions_are_due_at_once_and_reads_are_ignored() {
    let t0 = Instant::now();
    let mut dirty = Dirty::default();
    let kinds = [
        Mask::IN_MOVED_FROM,
        Mask::IN_MOVED_TO,
        Mask::IN_DELETE,
        Mask::IN_CREATE | Mask::IN_ISDIR,
        Mask::IN_DELETE_SELF,
        Mask::IN_MOVE_SELF,
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        dirty.note(kind, 1, PathBuf::from(format!("p{i}")), t0);
    }
    dirty.note(Mask::IN_OPEN, 0, "r".into(), t0);
    dirty.note(Mask::IN_CLOSE_NOWRITE, 0, "r".into(), t0);
    let due = dirty.take_due(t0);
    let names: Vec<_> = due.iter().map(|(r, p)| format!("{r}:{}", p.display())).collect();
    assert_eq!(names, ["1:p0", "1:p1", "1:p2", "1:p3", "1:p4", "1:p5"]);
    assert!(dirty.next_due().is_none(), "reads are not noted");
}

/// What the events queued for `w` now name, in order.
fn seen(w: &mut Watches) -> Vec<(usize, String)> {
    let inotify = w.inotify().unwrap();
    let mut out = Vec::new();
    while let Ok(events) = inotify.read_events() {
        for event in events {
            if let Seen::Changed(root, rel) = w.seen(&event) {
                out.push((root, rel.to_str().unwrap().to_string()));
            }
        }
    }
    out
}

fn at_most_once(mut paths: Vec<(usize, String)>) -> Vec<(usize, String)> {
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn events_name_the_paths_of_watched_folders_renamed_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    let mut w = Watches::new(vec![Some(root.clone())], Options::default());
    for rel in ["", "a", "a/b"] {
        w.add(0, Path::new(rel));
    }
    let watched = |w: &Watches| {
        w.watched()
            .into_iter()
            .map(|(r, p)| (r, p.to_str().unwrap().to_string()))
            .collect::<Vec<_>>()
    };
    let all = |paths: &[&str]| paths.iter().map(|p| (0, p.to_string())).collect::<Vec<_>>();
    assert_eq!(watched(&w), all(&["", "a", "a/b"]));
    std::fs::write(root.join("a/b/1.ogg"), b"1").unwrap();
    // Read back: no event for it.
    std::fs::read(root.join("a/b/1.ogg")).unwrap();
    assert_eq!(at_most_once(seen(&mut w)), all(&["a/b/1.ogg"]));

    // Renamed: the old name, the new one, and the folder itself (told by its old path); once
    // the new name is walked (watched again, as `sync` does), its events carry it.
    std::fs::rename(root.join("a"), root.join("c")).unwrap();
    assert_eq!(at_most_once(seen(&mut w)), all(&["a", "c"]));
    w.add(0, Path::new("c"));
    w.add(0, Path::new("c/b"));
    w.forget(0, Path::new("a"));
    assert_eq!(watched(&w), all(&["", "c", "c/b"]));
    std::fs::write(root.join("c/b/2.ogg"), b"2").unwrap();
    assert_eq!(at_most_once(seen(&mut w)), all(&["c/b/2.ogg"]));

    // Deleted: the kernel drops the watch, and so does the table.
    std::fs::remove_dir_all(root.join("c/b")).unwrap();
    assert_eq!(at_most_once(seen(&mut w)), all(&["c/b", "c/b/1.ogg", "c/b/2.ogg"]));
    assert_eq!(watched(&w), all(&["", "c"]));
    // Moved out of the served folder: forgotten, and no longer told.
    let out = tempfile::tempdir().unwrap();
    std::fs::rename(root.join("c"), out.path().join("c")).unwrap();
    assert_eq!(at_most_once(seen(&mut w)), all(&["c"]));
    w.forget(0, Path::new("c"));
    assert_eq!(watched(&w), all(&[""]));
    std::fs::write(out.path().join("c/3.ogg"), b"3").unwrap();
    assert_eq!(seen(&mut w), []);
}

#[test]
fn events_inside_a_served_folder_in_another_are_told_as_the_inner_one_s() {
    let dir = tempfile::tempdir().unwrap();
    let outer = std::fs::canonicalize(dir.path()).unwrap();
    let inner = outer.join("live");
    std::fs::create_dir_all(inner.join("set")).unwrap();
    let mut w = Watches::new(vec![Some(outer.clone()), Some(inner.clone())], Options::default());
    w.add(0, Path::new(""));
    w.add(1, Path::new(""));
    // The outer folder's walk meets the inner one.
    w.add(0, Path::new("live"));
    w.add(0, Path::new("live/set"));
    std::fs::write(inner.join("set/1.ogg"), b"1").unwrap();
    std::fs::write(outer.join("2.ogg"), b"2").unwrap();
    assert_eq!(at_most_once(seen(&mut w)), [(0, "2.ogg".into()), (1, "set/1.ogg".into())]);
    // Unsharing the outer one leaves the inner one watched.
    w.forget_root(0);
    let left: Vec<_> = w.watched().into_iter().map(|(r, p)| (r, p.display().to_string())).collect();
    assert_eq!(left, [(1, String::new()), (1, "set".into())]);
}

#[test]
fn past_the_watch_limit_folders_are_left_to_rescans_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    for sub in ["a/b", "c"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let options = Options {
        rescan_interval: Duration::from_secs(5),
        max_watches: Some(1),
        ..Options::default()
    };
    let mut w = Watches::new(vec![Some(root.clone())], options);
    w.add(0, Path::new(""));
    w.add(0, Path::new("a"));
    w.add(0, Path::new("a/b"));
    w.add(0, Path::new("c"));
    assert_eq!(w.watched(), [(0, PathBuf::new())]);
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
