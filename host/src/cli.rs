//! The command line: `rill serve [DIR...]` and its options; `rill share`, `rill unshare`,
//! `rill status` for the running server; `rill decode`; `rill service`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The default HTTP port. Not 8200, which MiniDLNA uses by default, so both can run side by side.
pub const DEFAULT_PORT: u16 = 8210;

/// Rill: a UPnP/DLNA media server that streams Ogg Vorbis as seekable PCM.
#[derive(Debug, Parser)]
#[command(name = "rill", version)]
pub struct Cli {
    /// More log output: -v for debug, -vv for trace (RUST_LOG, if set, takes precedence).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve folders of music to UPnP/DLNA players on the local network.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(Serve),
    /// Share folders with the running server at once (and from now on).
    #[command(after_help = SHARE_EXAMPLES)]
    Share(Folders),
    /// Stop sharing folders (the files stay where they are).
    Unshare(Folders),
    /// Show the running server's folders, players and streams now playing.
    Status,
    /// Decode an Ogg Vorbis or FLAC file to raw PCM on standard output (like `oggdec -R`).
    #[command(after_help = DECODE_EXAMPLES)]
    Decode(crate::decode::Decode),
    /// Run Rill as a user service: started at login (systemd user unit, or XDG autostart
    /// where there is no systemd user session).
    #[command(after_help = SERVICE_EXAMPLES)]
    Service(crate::service::Service),
}

const SERVICE_EXAMPLES: &str = "\
Examples:
  rill service enable    install the user unit, start it now and at every login
  rill service status    is it installed, running, and what does it serve
  rill service disable   stop it and remove it

The unit runs `rill serve` with no folder: your XDG Music, Videos and Pictures folders. A user
service stops when you log out; `loginctl enable-linger $USER` keeps it running from boot.";

const SHARE_EXAMPLES: &str = "\
Examples:
  rill share ~/Music 'Old Tapes'      share two folders (relative paths are fine)
  rill unshare ~/Videos
  rill status                         what is shared, who plays what

Talks to the running server over the D-Bus session bus (org.rill.Rill1). The change takes effect
at once and is kept in $XDG_CONFIG_HOME/rill/rill.toml. With no server running, the change goes
into that file only, for the next start.";

/// The folders of `rill share` and `rill unshare`.
#[derive(Debug, Args)]
pub struct Folders {
    /// Folders, absolute or relative to the current folder.
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
}

const DECODE_EXAMPLES: &str = "\
Examples:
  rill decode song.ogg > song.raw                 whole file, s16le, Vorbis channel order
  rill decode -f f32le song.ogg | sox -t f32 -r 44100 -c 2 - out.wav
  rill decode --start 30s --end 45s song.ogg      15 seconds from 0:30, to the exact sample
  rill decode --start 44100 --end 88200 song.ogg  frames [44100, 88200)
  rill decode -f s24le song.flac > song.raw       a 24-bit FLAC's own samples, FLAC channel order";

const SERVE_EXAMPLES: &str = "\
Examples:
  rill serve                          serve the folders of the config file, else your XDG
                                      Music, Videos and Pictures folders (or a built-in demo)
  rill serve ~/Music /srv/audiobooks  serve two folders
  rill serve --name 'Living room' --interface eth0 ~/Music
  rill serve --interface lo --port 0  local-only test server on a free port
  rill serve --allow 192.168.1.0/24   serve only the clients of one subnet

Without --interface, Rill serves on every IPv4 interface that is up and supports multicast, and
on loopback. It follows the network: interfaces and addresses that come up later are served
within two seconds (an --interface that does not exist yet is waited for), those that vanish are
dropped. Discovery (SSDP) uses UDP port 1900, shared with other UPnP software on the machine.";

/// Options of `rill serve`.
#[derive(Debug, Args)]
pub struct Serve {
    /// Folders to serve [default: those of $XDG_CONFIG_HOME/rill/rill.toml if it exists, else
    /// the XDG Music, Videos and Pictures folders that exist, else a built-in demo library].
    #[arg(value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Name shown by players [default: "Rill on HOSTNAME"].
    #[arg(long)]
    pub name: Option<String>,
    /// HTTP port for descriptions, control and media, the same on every interface (0 = a free
    /// port chosen at start).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Interface to serve on, by name (eth0) or IPv4 address; repeat for several. One that is
    /// not up yet is served once it is.
    #[arg(short, long = "interface", value_name = "NAME|ADDR")]
    pub interfaces: Vec<String>,
    /// Serve only clients in this subnet (192.168.1.0/24, or one address); repeat for several
    /// [default: every client that reaches the served interfaces].
    #[arg(long = "allow", value_name = "SUBNET")]
    pub allow: Vec<crate::access::Subnet>,
    /// Where the device UUID and boot counter are kept [default: $XDG_STATE_HOME/rill].
    #[arg(long, env = "RILL_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Where the library index (`index.sqlite`) is kept and the demo library unpacked
    /// [default: $XDG_CACHE_HOME/rill].
    #[arg(long, env = "RILL_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Seconds between polls of the folders on network file systems (NFS, SMB/CIFS, SSHFS and
    /// other FUSE file systems, 9p), where inotify sees nothing [default: `poll_interval` of
    /// the config file, else 60].
    #[arg(long, value_name = "SECS")]
    pub poll_interval: Option<u64>,
    /// Seconds between rescans of folders inotify cannot watch (out of watches).
    #[arg(long, value_name = "SECS", default_value_t = crate::live::RESCAN_INTERVAL.as_secs(), hide = true)]
    pub rescan_interval: u64,
    /// Use at most this many inotify watches, as if the system limit were that low (to try
    /// the fallback).
    #[arg(long, value_name = "N", hide = true)]
    pub max_watches: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_a_full_serve_line() {
        let cli = Cli::try_parse_from([
            "rill",
            "-vv",
            "serve",
            "--name",
            "Den",
            "--port",
            "0",
            "-i",
            "lo",
            "--interface",
            "127.0.0.1",
            "--allow",
            "192.168.1.0/24",
            "--allow",
            "::1",
            "a",
            "b",
        ])
        .unwrap();
        assert_eq!(cli.verbose, 2);
        let Command::Serve(s) = cli.command else { panic!("not serve") };
        assert_eq!(s.name.as_deref(), Some("Den"));
        assert_eq!(s.port, 0);
        assert_eq!(s.interfaces, ["lo", "127.0.0.1"]);
        let allow: Vec<String> = s.allow.iter().map(ToString::to_string).collect();
        assert_eq!(allow, ["192.168.1.0/24", "::1/128"]);
        assert!(Cli::try_parse_from(["rill", "serve", "--allow", "192.168.1.0/33"]).is_err());
        assert_eq!(s.dirs, [PathBuf::from("a"), PathBuf::from("b")]);
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["rill", "serve"]).unwrap();
        let Command::Serve(s) = cli.command else { panic!("not serve") };
        assert_eq!(s.port, DEFAULT_PORT);
        assert!(s.dirs.is_empty() && s.interfaces.is_empty() && s.name.is_none());
        assert!(s.allow.is_empty());
        assert_eq!(s.poll_interval, None);
        let cli = Cli::try_parse_from(["rill", "serve", "--poll-interval", "5"]).unwrap();
        let Command::Serve(s) = cli.command else { panic!("not serve") };
        assert_eq!(s.poll_interval, Some(5));
    }

    #[test]
    fn parses_service_lines() {
        use crate::service::Action;
        for (word, action) in
            [("enable", Action::Enable), ("disable", Action::Disable), ("status", Action::Status)]
        {
            let cli = Cli::try_parse_from(["rill", "service", word]).unwrap();
            let Command::Service(s) = cli.command else { panic!("not service") };
            assert_eq!(s.action, action);
        }
        assert!(Cli::try_parse_from(["rill", "service"]).is_err());
        assert!(Cli::try_parse_from(["rill", "service", "restart"]).is_err());
    }

    #[test]
    fn parses_share_unshare_status() {
        let cli = Cli::try_parse_from(["rill", "share", "a b", "Müsik"]).unwrap();
        let Command::Share(f) = cli.command else { panic!("not share") };
        assert_eq!(f.dirs, [PathBuf::from("a b"), PathBuf::from("Müsik")]);
        assert!(Cli::try_parse_from(["rill", "unshare"]).is_err());
        assert!(matches!(
            Cli::try_parse_from(["rill", "status"]).unwrap().command,
            Command::Status
        ));
    }

    #[test]
    fn parses_a_decode_line() {
        use crate::decode::{Format, Point};
        let cli = Cli::try_parse_from([
            "rill", "decode", "-f", "s16be", "--start", "1.5s", "--end", "88200", "a.ogg",
        ])
        .unwrap();
        let Command::Decode(d) = cli.command else { panic!("not decode") };
        assert_eq!(d.format, Format::S16be);
        assert_eq!((d.start, d.end), (Some(Point::Seconds(1.5)), Some(Point::Frame(88_200))));
        assert!(Cli::try_parse_from(["rill", "decode", "--start", "soon", "a.ogg"]).is_err());
    }
}
