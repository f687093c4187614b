//! Starting a real server in-process for end-to-end tests: loopback only, HTTP on a free port,
//! identity in a temporary state directory.
#![allow(dead_code)] // each test binary uses a different part

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;
use std::thread;

use rill::serve::{Config, Daemon};
use rill_tests::renderer::didl::Object;
use rill_tests::renderer::{Browse, Renderer};
use tokio::sync::oneshot;

/// A temporary folder to serve, holding an empty `media` folder.
pub fn empty_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    (dir, media)
}

/// A temporary folder holding the demo library (as `rill serve` unpacks it).
pub fn demo_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let demo = rill::demo::unpack(dir.path()).unwrap();
    (dir, demo)
}

/// A server running on its own thread until `stop` is sent.
pub struct Running {
    /// Send to stop the server.
    pub stop: oneshot::Sender<()>,
    /// The server thread; join after `stop`.
    pub thread: thread::JoinHandle<()>,
    /// The HTTP listener.
    pub http: SocketAddrV4,
    /// The device UUID.
    pub uuid: String,
    /// Becomes `true` once the first scan is done.
    pub ready: tokio::sync::watch::Receiver<bool>,
    /// The interface addresses served, as the server follows the network.
    pub served: tokio::sync::watch::Receiver<Vec<rill::network::Served>>,
    /// The served folders, to share and unshare while running.
    pub sharing: std::sync::Arc<rill::share::Sharing>,
    _dirs: Option<tempfile::TempDir>,
}

/// Starts a server on loopback serving `root` (the temporary folder lives as long as the server).
pub fn start((dirs, root): (tempfile::TempDir, PathBuf)) -> Running {
    let state = dirs.path().join("state");
    start_at(state, root, Some(dirs))
}

/// Starts a server on loopback serving `root` with its identity in `state_dir`; `dirs`, if
/// given, is kept alive as long as the server.
pub fn start_at(state_dir: PathBuf, root: PathBuf, dirs: Option<tempfile::TempDir>) -> Running {
    launch(state_dir, root, dirs, |_| {})
}

/// Starts a server on loopback serving `root`, with `configure` applied to its configuration.
pub fn start_with(
    (dirs, root): (tempfile::TempDir, PathBuf),
    configure: impl FnOnce(&mut Config),
) -> Running {
    let state = dirs.path().join("state");
    launch(state, root, Some(dirs), configure)
}

/// Starts a server on loopback serving `root` with its identity in `state_dir`, with
/// `configure` applied to its configuration, and waits until its first scan is done; `dirs`,
/// if given, is kept alive as long as the server.
pub fn launch(
    state_dir: PathBuf,
    root: PathBuf,
    dirs: Option<tempfile::TempDir>,
    configure: impl FnOnce(&mut Config),
) -> Running {
    let running = spawn(state_dir, root, dirs, configure);
    // The library fills in the background; tests start once it holds the whole folder.
    let deadline = std::time::Instant::now() + READY_TIMEOUT;
    while !*running.ready.borrow() {
        assert!(std::time::Instant::now() < deadline, "the first scan did not finish");
        thread::sleep(std::time::Duration::from_millis(5));
    }
    running
}

/// [`launch`] without waiting for the first scan: the server answers at once, from a library
/// that is still filling.
pub fn spawn(
    state_dir: PathBuf,
    root: PathBuf,
    dirs: Option<tempfile::TempDir>,
    configure: impl FnOnce(&mut Config),
) -> Running {
    let mut config = Config {
        name: "Rill test".into(),
        http_port: 0,
        ssdp_port: rill::net::ssdp::PORT,
        interfaces: vec![Ipv4Addr::LOCALHOST.to_string()],
        roots: vec![root],
        sharing: Default::default(),
        state_dir,
        live: Default::default(),
        allow: Default::default(),
        timeouts: Default::default(),
        max_connections: rill::serve::MAX_CONNECTIONS,
    };
    configure(&mut config);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = {
        let _in_runtime = runtime.enter();
        Daemon::bind(config).unwrap()
    };
    let http = server.http_addrs()[0];
    let uuid = server.identity().uuid.clone();
    let ready = server.ready();
    let served = server.served();
    let sharing = server.sharing();
    let (stop, stopped) = oneshot::channel();
    let thread = thread::spawn(move || {
        runtime.block_on(server.run(async { stopped.await.unwrap_or(()) })).unwrap();
    });
    Running { stop, thread, http, uuid, ready, served, sharing, _dirs: dirs }
}

/// How long the first scan of a test folder may take.
pub const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl Running {
    /// Stops the server and waits for it.
    pub fn shutdown(self) {
        self.stop.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

/// The ContentDirectory control URL of `server`, from its description.
pub fn control_url(cp: &Renderer, server: &Running) -> String {
    let location = format!("http://{}/rill/description.xml", server.http);
    let desc = cp.fetch_description(&location).unwrap();
    desc.service(rill_tests::renderer::CONTENT_DIRECTORY).unwrap().control_url.clone()
}

/// Every item (not container) under the object `id`, depth first, browsed at `control`.
pub fn items(cp: &Renderer, control: &str, id: &str) -> Vec<Object> {
    let mut out = Vec::new();
    for o in cp.browse(control, &Browse::children(id)).unwrap().objects {
        if o.is_container {
            out.extend(items(cp, control, &o.id));
        } else {
            out.push(o);
        }
    }
    out
}
