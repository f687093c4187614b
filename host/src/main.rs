//! `rill`: the Rill media server's command-line entry point.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

use rill::cli::{Cli, Command, Serve};
use rill::control::{self, Change};
use rill::notify::{self, Notifier};
use rill::serve::{Config, Daemon};
use rill::share::Settings;
use rill::{folders, logging};

/// Rust memory comes from jemalloc (see `rill::malloc`).
#[global_allocator]
static ALLOCATOR: rill::malloc::Allocator = rill::malloc::Allocator {};

/// jemalloc's options ([`rill::malloc::JEMALLOC_CONF`]), under the name the prefixed jemalloc
/// of `tikv-jemalloc-sys` reads them from (its `malloc_conf`, a C string pointer).
#[allow(unsafe_code, non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
static malloc_conf: &u8 = match rill::malloc::JEMALLOC_CONF.first() {
    Some(first) => first,
    None => &0,
};

/// How long the runtime waits, once the server has stopped, for blocking work still running
/// (a scan, a thumbnail) before the process exits anyway: well within the 5 s a service
/// manager is promised.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// How long a thread of the runtime's blocking pool (a scan, the library's updates, a flush)
/// outlives its last job: tokio's default is 10 s; a second is enough to reuse one in a burst
/// of updates, and an idle server does not keep the scan's thread, its stack and its cached
/// blocks (BENCHMARKS.md, "Resident memory outside the library's records").
const BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    rill::malloc::one_arena();
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_keep_alive(BLOCKING_KEEP_ALIVE)
        .build();
    let result = runtime.context("starting the async runtime").and_then(|runtime| {
        let result = match cli.command {
            Command::Serve(args) => runtime.block_on(serve(args)),
            Command::Share(f) => runtime.block_on(control::change(Change::Share, &f.dirs)),
            Command::Unshare(f) => runtime.block_on(control::change(Change::Unshare, &f.dirs)),
            Command::Status => runtime.block_on(control::status()),
            Command::Decode(args) => rill::decode::run(&args),
            Command::Service(args) => rill::service::run(&args),
        };
        runtime.shutdown_timeout(EXIT_GRACE);
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line with the whole cause chain; no backtrace for a user-facing error.
            let prefix = if logging::to_journal() { "<3>" } else { "" };
            eprintln!("{prefix}rill: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Serve) -> Result<()> {
    // First, so a signal during start-up (scan, binding) already means "stop".
    let signal = shutdown_signal()?;
    let notifier = Notifier::from_env().map(Arc::new);
    let stopping = notifier.clone();
    let shutdown = async move {
        signal.await;
        // Before anything else: the manager learns at once, before the SSDP goodbye.
        if let Some(notifier) = stopping {
            notifier.stopping();
        }
    };
    let state_dir = args
        .state_dir
        .or_else(folders::default_state_dir)
        .context("no state directory: set --state-dir or RILL_STATE_DIR")?;
    let cache = args.cache_dir.or_else(folders::default_cache_dir);
    let (roots, sharing) = if args.dirs.is_empty() {
        let cache = cache
            .as_deref()
            .context("no cache directory for the demo: set --cache-dir or RILL_CACHE_DIR")?;
        folders_to_serve(cache)?
    } else {
        let listed = args.dirs.iter().map(std::path::absolute).collect::<std::io::Result<_>>()?;
        (args.dirs, Settings { file: None, listed, demo: None })
    };
    let poll_interval = match args.poll_interval {
        Some(secs) => secs,
        None => poll_interval_of_config(),
    };
    let name = match args.name {
        Some(name) => name,
        None => default_name(),
    };
    let config = Config {
        name,
        http_port: args.port,
        ssdp_port: rill::net::ssdp::PORT,
        interfaces: args.interfaces,
        roots,
        sharing,
        state_dir,
        live: rill::live::Options {
            rescan_interval: std::time::Duration::from_secs(args.rescan_interval.max(1)),
            poll_interval: std::time::Duration::from_secs(poll_interval.max(1)),
            max_watches: args.max_watches,
            before_read: None,
            index: cache.map(|dir| dir.join(rill::index::FILE_NAME)),
        },
        allow: rill::access::AllowList::new(args.allow),
        timeouts: rill::connection::Timeouts::default(),
        max_connections: rill::serve::MAX_CONNECTIONS,
    };
    let server = Daemon::bind(config)?;
    if let Some(notifier) = notifier {
        let watchdog = notify::watchdog_from_env();
        tokio::spawn(notify::run(notifier, server.serving(), server.ready(), watchdog));
    }
    let mut ready = server.ready();
    tokio::spawn(async move {
        if ready.wait_for(|ready| *ready).await.is_ok() {
            // The first scan's lists and buffers are gone; their pages can go too.
            rill::malloc::trim();
        }
    });
    // The D-Bus interface lives as long as the server.
    let bus = tokio::spawn(rill::bus::run(server.sharing()));
    let served = server.run(shutdown).await;
    bus.abort();
    served
}

/// The folders to serve when none were given: those of the config file if there is one,
/// else the default folders, with where to keep changes.
fn folders_to_serve(cache: &std::path::Path) -> Result<(Vec<PathBuf>, Settings)> {
    let file = rill::config::default_path();
    let listed = match file.as_deref().map(rill::config::load).transpose() {
        Ok(listed) => listed.flatten(),
        Err(e) => {
            tracing::error!("config file ignored, serving the default folders: {e:#}");
            None
        }
    };
    if let Some(listed) = listed {
        let roots: Vec<PathBuf> = listed
            .iter()
            .filter(|dir| {
                let ok = dir.is_dir();
                if !ok {
                    tracing::warn!(dir = %dir.display(), "in the config file but not a folder now: not served");
                }
                ok
            })
            .cloned()
            .collect();
        return Ok((roots, Settings { file, listed, demo: None }));
    }
    let (roots, is_demo) = folders::default_roots(cache)?;
    let roots = roots.iter().map(std::path::absolute).collect::<std::io::Result<Vec<_>>>()?;
    let settings = if is_demo {
        Settings { file, listed: Vec::new(), demo: roots.first().cloned() }
    } else {
        Settings { file, listed: roots.clone(), demo: None }
    };
    Ok((roots, settings))
}

/// The poll interval of the config file, in seconds, else the default.
fn poll_interval_of_config() -> u64 {
    let set = rill::config::default_path().map(|file| rill::config::poll_interval(&file));
    match set {
        Some(Ok(Some(secs))) => secs,
        Some(Err(e)) => {
            tracing::error!("config file's poll interval ignored: {e:#}");
            rill::live::POLL_INTERVAL.as_secs()
        }
        _ => rill::live::POLL_INTERVAL.as_secs(),
    }
}

/// "Rill on <hostname>", or plain "Rill" if the host has no usable name.
fn default_name() -> String {
    match nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()) {
        Ok(host) if !host.is_empty() => format!("Rill on {host}"),
        _ => "Rill".to_string(),
    }
}

/// Completes on the first SIGINT or SIGTERM.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => tracing::info!("SIGINT received"),
            _ = term.recv() => tracing::info!("SIGTERM received"),
        }
    })
}
