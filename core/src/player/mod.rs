//! Players: recognising which player sent a request, and the quirks that player has.
//!
//! Rill needs no configuration for the players it knows. Like MiniDLNA's client table and
//! Universal Media Server's renderer profiles, it looks at request headers (`User-Agent`,
//! `X-AV-Client-Info`, `X-AV-Physical-Unit-Info`, Samsung's `getCaptionInfo.sec`), names the
//! [`Player`], and hands the rest of the server its [`Quirks`]: a small `Copy` record of what
//! differs from the generic DLNA behaviour (MIME overrides, seek methods on transcodes, the Xbox
//! 360's description fields, ...). Every field says where the fact comes from. Its video row
//! (`VideoRow`) says which containers and audio codecs it plays, and so which videos it is
//! offered a `Remux` of (feature `remux`).
//!
//! Players rarely identify themselves on every request: the PS3 puts its name in
//! `X-AV-Client-Info` on control requests and in `User-Agent` on media requests, and VLC's
//! control requests carry only a generic libupnp `User-Agent`. [`Clients`] therefore remembers
//! the player last recognised at each IP address for an hour, as MiniDLNA does, in a fixed-size
//! table that needs no heap.
//!
//! Recognition only reads header bytes (no UTF-8 needed) with bounded substring searches, so any
//! header value, however long or malformed, yields a player or `None`, never a panic.

mod clients;
mod quirks;
mod recognise;
#[cfg(feature = "remux")]
pub mod video;

pub use clients::{Clients, MEMORY};
pub use quirks::{DescriptionOverride, Quirks, Seek};
pub use recognise::Player;
#[cfg(feature = "remux")]
pub use video::{Remux, RemuxAudio, VideoRow};
