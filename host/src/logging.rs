//! The log: `tracing` events written to standard error, one line each.
//!
//! - On a terminal: timestamped, with the level in colour (unless `NO_COLOR` is set).
//! - Into a pipe or file: the same lines without any escape code.
//! - Into the journal (systemd sets `JOURNAL_STREAM` to the device and inode of the stream it
//!   connected; the variable is inherited, so it counts only when standard error *is* that
//!   stream): each line starts with its level as a syslog prefix (`<3>` error, `<4>` warning,
//!   `<6>` info, `<7>` debug, sd-daemon(3)), which journald strips and records as the entry's
//!   priority, and carries no timestamp or level word, since the journal records both.
//!
//! `RUST_LOG`, if set and not empty, chooses what is logged; otherwise `-v` and `-vv` do. It
//! is a list of `TARGET=LEVEL` and bare `LEVEL` entries separated by commas (`rill=debug,warn`:
//! Rill's own modules at debug, everything else at warn), each target a prefix of the module
//! paths it covers, as `tracing-subscriber`'s [`Targets`] reads it. Not the span, field or
//! regular expression filters of its `EnvFilter`: that one brings a regular expression engine,
//! about 0.2 MB of code that would be resident in every running server for a debugging aid
//! (BENCHMARKS.md, "Desktop: idle cost and start-up"). A value it cannot read is said in the
//! log and the default used instead.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{Format, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global logger for `verbose` (the count of `-v` flags) and `RUST_LOG`.
pub fn init(verbose: u8) {
    let asked = std::env::var("RUST_LOG").ok();
    let (targets, refused) = filter(verbose, asked.as_deref());
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr);
    if to_journal() {
        builder.event_format(Journal::default()).finish().with(targets).init();
    } else {
        let colour = std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        builder.with_ansi(colour).finish().with(targets).init();
    }
    if let Some(error) = refused {
        tracing::warn!("RUST_LOG not understood ({error}); logging as without it");
    }
}

/// What is logged: `rust_log` (the value of `RUST_LOG`) if set, not empty and readable,
/// otherwise the default for `verbose`; with the reason `rust_log` was not read, if it was not.
fn filter(verbose: u8, rust_log: Option<&str>) -> (Targets, Option<String>) {
    let default = || match verbose {
        0 => Targets::new().with_default(Level::INFO),
        1 => Targets::new().with_default(Level::INFO).with_target("rill", Level::DEBUG),
        _ => Targets::new().with_default(Level::DEBUG).with_target("rill", Level::TRACE),
    };
    match rust_log.filter(|s| !s.trim().is_empty()).map(str::parse::<Targets>) {
        None => (default(), None),
        Some(Ok(targets)) => (targets, None),
        Some(Err(e)) => (default(), Some(e.to_string())),
    }
}

/// Whether standard error is the journal stream systemd connected (`JOURNAL_STREAM`).
pub fn to_journal() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else { return false };
    let Ok(stderr) = std::io::stderr().as_fd().try_clone_to_owned() else { return false };
    let Ok(meta) = std::fs::File::from(stderr).metadata() else { return false };
    stream.to_str().is_some_and(|stream| names(stream, meta.dev(), meta.ino()))
}

/// Whether `JOURNAL_STREAM`'s `DEVICE:INODE` value names the file `dev`/`ino`.
fn names(stream: &str, dev: u64, ino: u64) -> bool {
    let Some((d, i)) = stream.split_once(':') else { return false };
    d.parse() == Ok(dev) && i.parse() == Ok(ino)
}

/// The syslog priority of a level, as sd-daemon(3) prefixes it.
pub fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// The event format for the journal: `<N>` and the usual line without time or level word.
#[derive(Debug)]
struct Journal {
    inner: Format<tracing_subscriber::fmt::format::Full, ()>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal { inner: Format::default().without_time().with_level(false).with_ansi(false) }
    }
}

impl<S, N> FormatEvent<S, N> for Journal
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = String::new();
        self.inner.format_event(ctx, Writer::new(&mut line), event)?;
        let prefix = priority(*event.metadata().level());
        // journald takes each line as an entry of its own: every line gets the prefix.
        for part in line.lines() {
            writeln!(writer, "<{prefix}>{part}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_stream_matches_only_its_own_file() {
        assert!(names("64769:1234", 64769, 1234));
        assert!(!names("64769:1234", 64769, 1235));
        assert!(!names("64768:1234", 64769, 1234));
        assert!(!names("64769", 64769, 1234));
        assert!(!names("x:y", 64769, 1234));
        assert!(!names("", 0, 0));
    }

    #[test]
    fn rust_log_chooses_levels_by_target_prefix() {
        let (targets, refused) = filter(0, Some("rill=debug,zbus=off,warn"));
        assert_eq!(refused, None);
        assert!(targets.would_enable("rill::serve", &Level::DEBUG));
        assert!(!targets.would_enable("rill::serve", &Level::TRACE));
        assert!(!targets.would_enable("zbus::connection", &Level::ERROR));
        assert!(targets.would_enable("tokio::net", &Level::WARN));
        assert!(!targets.would_enable("tokio::net", &Level::INFO));
    }

    #[test]
    fn without_rust_log_the_verbosity_decides() {
        let (quiet, _) = filter(0, None);
        assert!(quiet.would_enable("rill::serve", &Level::INFO));
        assert!(!quiet.would_enable("rill::serve", &Level::DEBUG));
        let (verbose, _) = filter(1, None);
        assert!(verbose.would_enable("rill::serve", &Level::DEBUG));
        assert!(!verbose.would_enable("zbus::connection", &Level::DEBUG));
        let (very, refused) = filter(2, None);
        assert!(very.would_enable("rill::serve", &Level::TRACE));
        assert!(very.would_enable("zbus::connection", &Level::DEBUG));
        assert!(!very.would_enable("zbus::connection", &Level::TRACE));
        assert_eq!(refused, None);
    }

    #[test]
    fn an_unreadable_rust_log_falls_back_and_says_why() {
        let (targets, refused) = filter(1, Some("rill=loud"));
        assert!(refused.is_some());
        assert!(targets.would_enable("rill::serve", &Level::DEBUG));
        assert!(!targets.would_enable("rill::serve", &Level::TRACE));
        assert_eq!(filter(0, Some(" ")).1, None, "empty is unset");
    }

    #[test]
    fn priorities_follow_sd_daemon() {
        assert_eq!(priority(Level::ERROR), 3);
        assert_eq!(priority(Level::WARN), 4);
        assert_eq!(priority(Level::INFO), 6);
        assert_eq!(priority(Level::DEBUG), 7);
    }
}
