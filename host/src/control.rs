//! `rill share`, `rill unshare` and `rill status`: the running server's client, over its
//! D-Bus interface ([`crate::bus`]) on the session bus.
//!
//! Paths may be relative (to the working directory of the command) and hold spaces or any
//! Unicode; they are made absolute here, since the server's working directory is not the
//! user's. With no server running (no session bus, or nobody owns [`NAME`](crate::bus::NAME)), `share` and
//! `unshare` edit the config file instead and say so; the server reads it when it starts.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use zbus::proxy::CacheProperties;

use crate::bus::Rill1Proxy;
use crate::config;
use crate::storage::Root;

/// What to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Share the folders.
    Share,
    /// Unshare the folders.
    Unshare,
}

/// Shares or unshares `dirs` in the running server, or in the config file when none runs.
/// Prints what was done.
pub async fn change(change: Change, dirs: &[PathBuf]) -> Result<()> {
    let paths = dirs.iter().map(std::path::absolute).collect::<std::io::Result<Vec<_>>>()?;
    if change == Change::Share {
        // Checked here too, so a typo is reported the same way with or without a server.
        for path in &paths {
            Root::new(path)?;
        }
    }
    let texts = paths
        .iter()
        .map(|p| p.to_str().with_context(|| format!("{} is not UTF-8", p.display())))
        .collect::<Result<Vec<_>>>()?;
    match proxy().await {
        Some(rill) => {
            let done = match change {
                Change::Share => rill.share(&texts).await,
                Change::Unshare => rill.unshare(&texts).await,
            };
            match done {
                Ok(()) => {}
                Err(e) if no_server(&e) => return offline(change, &paths),
                Err(zbus::Error::MethodError(_, Some(message), _)) => bail!("{message}"),
                Err(e) => return Err(e).context("the running Rill server refused"),
            }
            let verb = if change == Change::Share { "shared" } else { "unshared" };
            for path in &paths {
                println!("{verb}: {}", path.display());
            }
            Ok(())
        }
        None => offline(change, &paths),
    }
}

/// Prints the running server's folders (absolute path and media count), players (address and
/// which player) and streams now playing.
pub async fn status() -> Result<()> {
    let Some(rill) = proxy().await else {
        bail!("no Rill server is running on this session bus");
    };
    let folders = match rill.folders().await {
        Ok(folders) => folders,
        Err(e) if no_server(&e) => bail!("no Rill server is running on this session bus"),
        Err(e) => return Err(e).context("asking the running Rill server"),
    };
    let players = rill.players().await.context("asking the running Rill server")?;
    let streams = rill.streams().await.context("asking the running Rill server")?;
    let connections = rill.connections().await.context("asking the running Rill server")?;
    let following = rill.following().await.context("asking the running Rill server")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    println!("Folders:");
    for (path, media) in &folders {
        println!("  {path} ({media} media)");
        if let Some((_, method, fs, interval, last)) = following.iter().find(|f| &f.0 == path) {
            println!("    changes: {}", changes(method, fs, *interval, *last, now));
        }
    }
    if folders.is_empty() {
        println!("  (none)");
    }
    println!("Players:");
    for (addr, player) in &players {
        println!("  {addr} ({player})");
    }
    if players.is_empty() {
        println!("  (none seen in the last hour)");
    }
    println!("Streams:");
    for file in &streams {
        println!("  {file}");
    }
    if streams.is_empty() {
        println!("  (none playing)");
    }
    let count = |name: &str| connections.get(name).copied().unwrap_or(0);
    println!("Connections:");
    println!(
        "  {} answers ({} client errors, {} server errors), {} bytes",
        count("served"),
        count("client_errors"),
        count("server_errors"),
        count("bytes"),
    );
    println!(
        "  {} closed: {} by the client's fault, {} by Rill's, {} timed out",
        count("closed"),
        count("client_faults"),
        count("server_faults"),
        count("timeouts"),
    );
    println!("  {} refused: every connection slot taken", count("refused"));
    Ok(())
}

/// How a folder's changes are found, as `rill status` says it: `inotify`, or `polled every N s
/// (fs), last poll N s ago`, from the `Following` property's fields and the time `now` (Unix
/// seconds).
fn changes(method: &str, fs: &str, interval: u64, last: u64, now: u64) -> String {
    if method != "poll" {
        return method.to_string();
    }
    let last = match last {
        0 => "not polled yet".to_string(),
        at => format!("last poll {} s ago", now.saturating_sub(at)),
    };
    format!("polled every {interval} s ({fs}), {last}")
}

/// A proxy for the server on the session bus; `None` if there is no session bus.
async fn proxy() -> Option<Rill1Proxy<'static>> {
    let connection = zbus::Connection::session().await.ok()?;
    let builder = Rill1Proxy::builder(&connection).cache_properties(CacheProperties::No);
    builder.build().await.ok()
}

/// Whether a call failed because nobody owns the name.
fn no_server(e: &zbus::Error) -> bool {
    match e {
        zbus::Error::MethodError(name, _, _) => matches!(
            name.as_str(),
            "org.freedesktop.DBus.Error.ServiceUnknown"
                | "org.freedesktop.DBus.Error.NameHasNoOwner"
                | "org.freedesktop.DBus.Error.NoReply"
        ),
        zbus::Error::FDO(e) => {
            matches!(**e, zbus::fdo::Error::ServiceUnknown(_) | zbus::fdo::Error::NameHasNoOwner(_))
        }
        _ => false,
    }
}

/// With no server: the change goes into the config file.
fn offline(change: Change, paths: &[PathBuf]) -> Result<()> {
    let file = config::default_path().context("no config directory: set XDG_CONFIG_HOME")?;
    // No file yet: the server would share the default folders, so the change starts there.
    let mut listed = config::load(&file)?.unwrap_or_else(crate::folders::media_dirs);
    edit(&mut listed, change, paths)?;
    config::save(&file, &listed)?;
    let verb = if change == Change::Share { "shared" } else { "unshared" };
    println!(
        "No Rill server is running on this session bus: {verb} in {}; Rill uses it when it \
         starts.",
        file.display()
    );
    for path in paths {
        println!("{verb}: {}", path.display());
    }
    Ok(())
}

/// Applies `change` to the list of folders.
fn edit(listed: &mut Vec<PathBuf>, change: Change, paths: &[PathBuf]) -> Result<()> {
    match change {
        Change::Share => {
            for path in paths {
                if !listed.contains(path) {
                    listed.push(path.clone());
                }
            }
        }
        Change::Unshare => {
            for path in paths {
                if !listed.iter().any(|p| same(p, path)) {
                    bail!("{} is not shared", path.display());
                }
            }
            listed.retain(|p| !paths.iter().any(|path| same(p, path)));
        }
    }
    Ok(())
}

/// Whether two paths name the same folder: equal, or leading to the same existing folder.
fn same(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_changes_are_found_is_said() {
        assert_eq!(changes("inotify", "", 0, 0, 100), "inotify");
        assert_eq!(changes("poll", "nfs", 60, 0, 100), "polled every 60 s (nfs), not polled yet");
        assert_eq!(
            changes("poll", "fuse", 5, 97, 100),
            "polled every 5 s (fuse), last poll 3 s ago"
        );
    }

    #[test]
    fn editing_the_list() {
        let mut listed = vec![PathBuf::from("/a"), PathBuf::from("/b")];
        edit(&mut listed, Change::Share, &[PathBuf::from("/c"), PathBuf::from("/a")]).unwrap();
        assert_eq!(listed, [PathBuf::from("/a"), PathBuf::from("/b"), PathBuf::from("/c")]);
        edit(&mut listed, Change::Unshare, &[PathBuf::from("/b")]).unwrap();
        assert_eq!(listed, [PathBuf::from("/a"), PathBuf::from("/c")]);
        assert!(edit(&mut listed, Change::Unshare, &[PathBuf::from("/x")]).is_err());
        assert_eq!(listed, [PathBuf::from("/a"), PathBuf::from("/c")]);
    }
}
