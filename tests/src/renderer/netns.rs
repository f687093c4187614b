//! Running a test body in a private network namespace that has nothing but `lo`.
//!
//! Multicast over `lo` works on this kernel without one (see the parent module doc), so this is
//! not needed for discovery itself. It gives end-to-end tests two things: isolation (every
//! server binds UDP 1900 with `SO_REUSEPORT`, so servers of parallel tests would hear each
//! other's searches and the kernel would spread unicast datagrams to 1900 among them) and a hard
//! guarantee of network safety (inside, there is no interface but loopback to send on).
//!
//! [`isolated`] re-runs the current test binary under `unshare -rn` (a user namespace mapping us
//! to root, plus a network namespace; needs util-linux's `unshare`, iproute2's `ip` and
//! unprivileged user namespaces or root), filtered to the one test, with an environment variable
//! telling the child it is inside; the child brings `lo` up, runs the body and leaves a marker
//! file. The parent waits at most [`TIMEOUT`] and fails the test if the child fails or never ran
//! the body. Where namespaces are unavailable (no unprivileged user namespaces, no `ip`), the
//! test fails: CI has them, and a test that quietly runs without its isolation (or not at all)
//! would hide that.

use std::env;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread::{self, sleep};
use std::time::{Duration, Instant};

use nix::sched::{unshare, CloneFlags};
use nix::unistd::gettid;

/// How long the child test may run.
pub const TIMEOUT: Duration = Duration::from_secs(120);
const MARKER: &str = "RILL_TEST_NETNS";
/// The file the child creates once the body has run, so a misspelled `test_path` (which makes
/// libtest run nothing and succeed) fails instead of passing vacuously.
const DONE: &str = "RILL_TEST_NETNS_DONE";

/// Runs `body` inside a fresh network namespace. `test_path` is the test's libtest name (as
/// `cargo test -- --exact` wants it, e.g. `discovery::finds_the_server`).
pub fn isolated(test_path: &str, body: impl FnOnce()) {
    run_isolated(test_path, "-rn", body);
}

/// [`isolated`], in a private mount namespace too (`unshare -rnm`), where the body may mount
/// file systems (FUSE: [`crate::hangfs`]) that no one outside sees.
pub fn isolated_with_mounts(test_path: &str, body: impl FnOnce()) {
    run_isolated(test_path, "-rnm", body);
}

/// Runs `body` in the namespaces `unshare` makes with `flags`.
fn run_isolated(test_path: &str, flags: &str, body: impl FnOnce()) {
    if env::var(MARKER).as_deref() == Ok(test_path) {
        let up = Command::new("ip").args(["link", "set", "lo", "up"]).status();
        assert!(up.is_ok_and(|s| s.success()), "`ip link set lo up` failed in the namespace");
        body();
        if let Some(done) = env::var_os(DONE) {
            std::fs::write(done, b"ran").expect("marking the namespaced test as run");
        }
        return;
    }
    assert!(
        available(),
        "{test_path}: no private network namespace here (`unshare -rn` or `ip` failed)"
    );
    let done = env::temp_dir().join(format!("rill-netns-{}-{}", std::process::id(), test_path));
    // A leftover from an earlier run with the same pid must not count.
    let _ = std::fs::remove_file(&done);
    let exe = env::current_exe().expect("path of the test binary");
    let mut child = Command::new("unshare")
        .arg(flags)
        .arg(exe)
        .args([test_path, "--exact", "--nocapture", "--test-threads=1"])
        .env(MARKER, test_path)
        .env(DONE, &done)
        .stdin(Stdio::null())
        .spawn()
        .expect("running `unshare` (util-linux) for a private network namespace");
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the namespaced test") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{test_path} did not finish within {TIMEOUT:?} in its namespace");
        }
        sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{test_path} failed inside its network namespace: {status}");
    let ran = std::fs::remove_file(&done).is_ok();
    assert!(ran, "{test_path} did not run in the namespace: is the name its libtest path?");
}

/// Whether `unshare -rn` works here and `ip` can bring `lo` up inside (checked once).
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("unshare")
            .args(["-rn", "ip", "link", "set", "lo", "up"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Whether this process runs inside a namespace made by [`isolated`].
pub fn inside() -> bool {
    env::var_os(MARKER).is_some()
}

/// The links a test may create inside its namespace: a tap device to reach an emulated board,
/// with the host side at [`TEST_LINK_HOST`] (the board at its static 10.0.2.15), or at
/// [`DHCP_LINK_HOST`] (a DHCP server the test runs there leases the board an address); or a veth
/// pair to a [`Nested`] namespace ([`VETH_LINK`]). Nothing routes out of the namespace, so
/// traffic on them stays on the tap and the emulator behind it, or on the veth pair.
pub const TEST_LINKS: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(10, 0, 2, 0), 24),
    (Ipv4Addr::new(10, 0, 3, 0), 24),
    (Ipv4Addr::new(10, 0, 4, 0), 24),
];
/// The third of [`TEST_LINKS`], for a veth pair between the test's namespace and a [`Nested`] one.
pub const VETH_LINK: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 0, 4, 0), 24);
/// The host side of the first of [`TEST_LINKS`], where the board takes its static address.
pub const TEST_LINK_HOST: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
/// The host side of the second of [`TEST_LINKS`], where the board is leased an address.
pub const DHCP_LINK_HOST: Ipv4Addr = Ipv4Addr::new(10, 0, 3, 1);

/// Whether the renderer may talk to `ip`: loopback always, addresses on [`TEST_LINKS`] only
/// inside a namespace made by [`isolated`] (where the test created that link itself).
pub fn allowed(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) if inside() => v4.is_loopback() || on_test_link(v4),
        ip => ip.is_loopback(),
    }
}

fn on_test_link(ip: Ipv4Addr) -> bool {
    TEST_LINKS.iter().any(|&(net, prefix)| {
        let mask = u32::MAX << (32 - u32::from(prefix));
        u32::from(ip) & mask == u32::from(net)
    })
}

/// A network namespace nested in the test's (made by [`isolated`]), held by a thread of this
/// process: the thread `unshare`s a new network namespace for itself alone and then runs the
/// closures given to [`Nested::run`], so the sockets they open, and the commands they start,
/// live in that namespace. It is how a test puts the far end of a veth pair "on another
/// machine" (this kernel has no dummy interface driver): `ip link add A type veth peer name B
/// netns <tid>` with [`Nested::tid`]. The namespace goes with the thread, when this is dropped.
#[derive(Debug)]
pub struct Nested {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
    tid: i32,
}

type Job = Box<dyn FnOnce() + Send>;

impl Nested {
    /// Makes the namespace, with its `lo` up. Only inside a namespace made by [`isolated`].
    #[allow(clippy::new_without_default)] // it makes a namespace: no default value
    pub fn new() -> Nested {
        assert!(inside(), "a nested namespace only inside the test's own");
        let (made_tx, made_rx) = mpsc::channel();
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = thread::spawn(move || {
            let made = unshare(CloneFlags::CLONE_NEWNET).map(|()| gettid().as_raw());
            made_tx.send(made).expect("the test waits for the namespace");
            for job in queue {
                job();
            }
        });
        let tid = made_rx.recv().expect("namespace thread").expect("unshare(CLONE_NEWNET)");
        let nested = Nested { jobs: Some(jobs), thread: Some(thread), tid };
        nested.ip(&["link", "set", "lo", "up"]);
        nested
    }

    /// The thread's id, which names its namespace (`ip ... netns <tid>`).
    pub fn tid(&self) -> i32 {
        self.tid
    }

    /// Runs `f` in the namespace and returns what it returns. A panic in `f` fails the test.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move || {
            // The receiver waits right below.
            let _ = tx.send(f());
        });
        self.jobs.as_ref().expect("jobs open until drop").send(job).expect("namespace thread");
        rx.recv().expect("the job in the nested namespace panicked")
    }

    /// Runs `ip ARGS` in the namespace; it must succeed.
    pub fn ip(&self, args: &[&str]) {
        let args: Vec<String> = args.iter().map(ToString::to_string).collect();
        self.run(move || ip(&args));
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            // A panic there has already failed the job that caused it.
            let _ = thread.join();
        }
    }
}

/// Runs `ip ARGS` in the calling thread's namespace; it must succeed.
pub fn ip(args: &[impl AsRef<std::ffi::OsStr> + std::fmt::Debug]) {
    let status = Command::new("ip").args(args).stdin(Stdio::null()).status();
    assert!(status.is_ok_and(|s| s.success()), "`ip {args:?}` failed");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::renderer::ssdp;

    #[test]
    fn runs_inside_a_namespace_with_only_loopback() {
        assert!(available(), "no private network namespace here (`unshare -rn` or `ip` failed)");
        isolated("renderer::netns::tests::runs_inside_a_namespace_with_only_loopback", || {
            assert!(inside());
            // /proc/net/dev follows the reader's namespace (/sys/class/net would not).
            let dev = std::fs::read_to_string("/proc/net/dev").unwrap();
            let names: Vec<_> =
                dev.lines().skip(2).filter_map(|l| l.split(':').next()).map(str::trim).collect();
            assert_eq!(names, ["lo"], "a private namespace has only loopback");
            // Multicast over lo works in here too, with no route configured.
            let listener = ssdp::Listener::open(Ipv4Addr::LOCALHOST).unwrap();
            ssdp::discover(Ipv4Addr::LOCALHOST, "urn:rill-test:netns", Duration::ZERO).unwrap();
            let heard = listener.collect(Duration::from_millis(500)).unwrap();
            assert!(heard.iter().any(|m| m.header("st") == Some("urn:rill-test:netns")));
        });
    }
}
