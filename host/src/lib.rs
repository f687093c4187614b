//! # rill (host)
//!
//! The host shell of the Rill media server: everything that touches the operating system
//! (command line, sockets, filesystem, clock, signals) around the sans-IO protocol machines of
//! `rill-core`. It is a library as well as the `rill` binary so integration tests can start a
//! server in-process ([`serve::Daemon`]) and learn its real addresses.
//!
//! - [`cli`]: the command line; [`folders`], [`demo`]: default folders and the built-in demo.
//! - [`identity`]: the persistent device identity (UUID, BOOTID, CONFIGID); [`bookmarks`]: the
//!   playback positions Samsung TVs set, kept beside it.
//! - [`iface`]: interface enumeration and selection; [`netwatch`]: hearing the network change
//!   (netlink); [`network`]: the served addresses and their HTTP listeners, following changes;
//!   [`net`]: SSDP and HTTP sockets; [`access`]: the allow-list of client subnets.
//! - [`scan`], [`storage`]: the folder scanner and the served folders, whose files are opened
//!   through [`confined`] (`openat2`, never out of the folder); [`library`]: the
//!   core's library model built from a scan; [`live`]: the background scan and the inotify
//!   watcher that keep it current (polling the folders on network file systems,
//!   [`mounts`]); [`index`]: the library kept on disk (SQLite) for
//!   restarts; [`share`]: folders shared and unshared while running, kept in the [`config`]
//!   file; [`video`]: video files' headers for Browse.
//! - [`connection`]: one HTTP connection, served by `rill_core::server` (description, SOAP,
//!   media, transcodes), its file work on the bounded [`pool`] unless it cannot block
//!   ([`page_cache`], [`opened`]); [`decode`]: `rill decode`.
//! - [`bus`]: the D-Bus interface (share, unshare, status), and [`control`] its client (`rill
//!   share`, `rill unshare`, `rill status`); [`playing`]: the streams now playing.
//! - [`clock`]: tokio time to core time; [`discovery`]: the SSDP task around the core's
//!   responder; [`events`]: the GENA NOTIFY sender around the core's subscription table;
//!   [`serve`]: the running server.
//! - [`notify`]: the service manager's notifications (sd_notify); [`logging`]: the log on
//!   standard error, with levels for the journal; [`service`]: `rill service`, the user unit
//!   and the autostart entry; [`malloc`]: the allocators (jemalloc for Rust memory, glibc's
//!   for the C code) and their tuning (one arena, memory given back after bursts).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod answers;
pub mod art;
pub mod bookmarks;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod config;
pub mod confined;
pub mod connection;
pub mod control;
pub mod decode;
pub mod demo;
pub mod discovery;
pub mod events;
pub mod ffprobe;
pub mod folders;
pub mod identity;
pub mod iface;
pub mod index;
pub mod inotify;
pub mod library;
pub mod live;
pub mod logging;
pub mod m4a;
pub mod malloc;
pub mod mounts;
pub mod mp3;
pub mod net;
pub mod netwatch;
pub mod network;
pub mod notify;
pub mod opened;
pub mod opus;
pub mod page_cache;
pub mod playing;
pub mod playlists;
pub mod pool;
pub mod remux;
pub mod scan;
pub mod serve;
pub mod service;
pub mod share;
pub mod storage;
pub mod tags;
pub mod video;
