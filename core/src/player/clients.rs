//! [`Clients`]: which player was last recognised at each IP address.

use core::net::IpAddr;

use super::Player;
use crate::http::request::Headers;
use crate::time::{Duration, Instant};

/// How long a recognised player is remembered after the last request that identified it
/// (MiniDLNA forgets a client after an hour too).
pub const MEMORY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy)]
struct Entry {
    addr: IpAddr,
    player: Player,
    /// The last request that identified the player.
    seen: Instant,
}

/// The player last recognised at each of up to `N` IP addresses.
///
/// Memory: `N` entries of 32 bytes (address, player, instant) plus a length, inline, no heap;
/// 16 entries take about 520 bytes. When the table is full, a new address replaces the entry
/// seen least recently (an expired one, if any, since it is older still).
///
/// Only requests that identify their player refresh an entry. Requests with generic headers
/// use the remembered player but do not extend its hour, so an address that DHCP hands to
/// another device falls back to [`Player::Generic`] within the hour (MiniDLNA guards against
/// the same by comparing MAC addresses, which the core cannot see). IPv4-mapped IPv6 addresses
/// are stored as IPv4, so a dual-stack listener sees one client, not two.
#[derive(Debug, Clone)]
pub struct Clients<const N: usize> {
    entries: heapless::Vec<Entry, N>,
}

impl<const N: usize> Clients<N> {
    /// An empty table.
    pub const fn new() -> Self {
        Clients { entries: heapless::Vec::new() }
    }

    /// The player remembered at `addr`, unless forgotten by `now`.
    pub fn lookup(&self, now: Instant, addr: IpAddr) -> Option<Player> {
        let addr = addr.to_canonical();
        self.entries
            .iter()
            .find(|e| e.addr == addr && now.saturating_since(e.seen) < MEMORY)
            .map(|e| e.player)
    }

    /// The player behind a request from `addr` with `headers`: the one the headers identify
    /// (remembered from now on), else the one remembered at `addr`, else [`Player::Generic`].
    pub fn observe(&mut self, now: Instant, addr: IpAddr, headers: &Headers<'_, '_>) -> Player {
        self.observe_with(now, addr, |name| headers.get(name))
    }

    /// [`Clients::observe`] with a header lookup by case-insensitive name.
    pub fn observe_with<'v>(
        &mut self,
        now: Instant,
        addr: IpAddr,
        header: impl Fn(&str) -> Option<&'v [u8]>,
    ) -> Player {
        match Player::recognise(header) {
            Some(player) => {
                self.remember(now, addr, player);
                player
            }
            None => self.lookup(now, addr).unwrap_or(Player::Generic),
        }
    }

    /// Remembers `player` at `addr` as seen `now`, replacing what was there or, in a full
    /// table, the entry seen least recently. With `N == 0` nothing is remembered.
    pub fn remember(&mut self, now: Instant, addr: IpAddr, player: Player) {
        let entry = Entry { addr: addr.to_canonical(), player, seen: now };
        if let Some(slot) = self.entries.iter_mut().find(|e| e.addr == entry.addr) {
            *slot = entry;
        } else if self.entries.push(entry).is_err() {
            if let Some(oldest) = self.entries.iter_mut().min_by_key(|e| e.seen) {
                *oldest = entry;
            }
        }
    }

    /// Every player remembered and not forgotten by `now`, with its address (for a status
    /// display), in no particular order.
    pub fn iter(&self, now: Instant) -> impl Iterator<Item = (IpAddr, Player)> + '_ {
        self.entries
            .iter()
            .filter(move |e| now.saturating_since(e.seen) < MEMORY)
            .map(|e| (e.addr, e.player))
    }

    /// The number of entries held, expired ones included (at most `N`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<const N: usize> Default for Clients<N> {
    fn default() -> Self {
        Clients::new()
    }
}

#[cfg(test)]
mod tests {
    use core::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const PS3: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20));
    const LAPTOP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 30));

    fn at(secs: u64) -> Instant {
        Instant::from_micros(secs * 1_000_000)
    }

    fn agent(value: &'static str) -> impl Fn(&str) -> Option<&'static [u8]> {
        move |name| name.eq_ignore_ascii_case("user-agent").then_some(value.as_bytes())
    }

    fn ps3_control(name: &str) -> Option<&'static [u8]> {
        match name {
            "user-agent" => Some(b"UPnP/1.0"),
            "x-av-client-info" => Some(
                b"av=5.0; cn=\"Sony Computer Entertainment Inc.\"; mn=\"PLAYSTATION 3\"; mv=\"1.0\";",
            ),
            _ => None,
        }
    }

    #[test]
    fn iter_lists_the_players_not_forgotten() {
        let mut clients = Clients::<8>::new();
        clients.remember(at(0), PS3, Player::Ps3);
        clients.remember(at(3000), LAPTOP, Player::Vlc);
        let seen: heapless::Vec<_, 8> = clients.iter(at(3000)).collect();
        assert_eq!(seen, [(PS3, Player::Ps3), (LAPTOP, Player::Vlc)]);
        let seen: heapless::Vec<_, 8> = clients.iter(at(3700)).collect();
        assert_eq!(seen, [(LAPTOP, Player::Vlc)]);
    }

    #[test]
    fn remembered_player_covers_requests_that_do_not_name_it() {
        let mut clients = Clients::<8>::new();
        assert_eq!(clients.observe_with(at(0), PS3, ps3_control), Player::Ps3);
        assert_eq!(clients.observe_with(at(5), PS3, agent("UPnP/1.0")), Player::Ps3);
        assert_eq!(clients.observe_with(at(6), PS3, |_| None), Player::Ps3);

        // VLC browses with libupnp's generic agent, then fetches media as itself.
        let browse = "Linux/6.1.0, UPnP/1.0, Portable SDK for UPnP devices/1.14.18";
        assert_eq!(clients.observe_with(at(10), LAPTOP, agent(browse)), Player::Generic);
        assert_eq!(clients.lookup(at(10), LAPTOP), None);
        assert_eq!(
            clients.observe_with(at(11), LAPTOP, agent("VLC/3.0.18 LibVLC/3.0.18")),
            Player::Vlc
        );
        assert_eq!(clients.observe_with(at(12), LAPTOP, agent(browse)), Player::Vlc);
        assert_eq!(clients.lookup(at(12), PS3), Some(Player::Ps3));

        // A different player at a known address replaces the old one.
        assert_eq!(
            clients.observe_with(at(13), PS3, agent("UPnP/1.0 DLNADOC/1.50 Kodi")),
            Player::Kodi
        );
        assert_eq!(clients.observe_with(at(14), PS3, agent("UPnP/1.0")), Player::Kodi);
    }

    #[test]
    fn forgets_an_hour_after_the_last_identifying_request() {
        let mut clients = Clients::<4>::new();
        clients.observe_with(at(100), PS3, agent("PLAYSTATION 3"));
        assert_eq!(clients.lookup(at(100 + 3599), PS3), Some(Player::Ps3));
        assert_eq!(clients.lookup(at(100 + 3600), PS3), None);
        assert_eq!(clients.observe_with(at(100 + 3600), PS3, agent("UPnP/1.0")), Player::Generic);

        // Generic requests do not extend the hour; identifying ones do.
        clients.observe_with(at(10_000), PS3, agent("PLAYSTATION 3"));
        clients.observe_with(at(11_800), PS3, agent("UPnP/1.0"));
        assert_eq!(clients.lookup(at(13_600), PS3), None);
        clients.observe_with(at(20_000), PS3, agent("PLAYSTATION 3"));
        clients.observe_with(at(21_800), PS3, agent("PLAYSTATION 3"));
        assert_eq!(clients.lookup(at(23_600), PS3), Some(Player::Ps3));
        assert_eq!(clients.lookup(at(25_400), PS3), None);

        // A clock that steps back does not expire anything.
        assert_eq!(clients.lookup(at(0), PS3), Some(Player::Ps3));
    }

    #[test]
    fn a_full_table_evicts_the_least_recently_seen() {
        let [a, b, c] = [1, 2, 3].map(|n| IpAddr::V4(Ipv4Addr::new(10, 0, 0, n)));
        let mut clients = Clients::<2>::new();
        clients.remember(at(0), a, Player::Ps3);
        clients.remember(at(10), b, Player::Kodi);
        clients.remember(at(20), a, Player::Ps3);
        clients.remember(at(30), c, Player::Vlc);
        assert_eq!(clients.len(), 2);
        assert_eq!(clients.lookup(at(30), a), Some(Player::Ps3));
        assert_eq!(clients.lookup(at(30), b), None);
        assert_eq!(clients.lookup(at(30), c), Some(Player::Vlc));
    }

    #[test]
    fn capacity_is_a_hard_bound() {
        let mut clients = Clients::<4>::new();
        for n in 0..=255u8 {
            let addr = IpAddr::V4(Ipv4Addr::new(10, 0, 1, n));
            clients.observe_with(at(u64::from(n)), addr, agent("BubbleUPnP UPnP/1.1"));
            assert!(clients.len() <= 4);
        }
        for n in 0..=255u8 {
            let remembered = clients.lookup(at(300), IpAddr::V4(Ipv4Addr::new(10, 0, 1, n)));
            assert_eq!(remembered.is_some(), n >= 252, "{n}");
        }
        // The documented bound: 32 bytes an entry and a length.
        assert!(core::mem::size_of::<Clients<16>>() <= 16 * 32 + 8);

        let mut none = Clients::<0>::new();
        assert_eq!(none.observe_with(at(0), PS3, agent("PLAYSTATION 3")), Player::Ps3);
        assert!(none.is_empty());
        assert_eq!(none.lookup(at(0), PS3), None);
    }

    #[test]
    fn ipv4_mapped_addresses_are_the_same_client() {
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 168, 1, 20).to_ipv6_mapped());
        let mut clients = Clients::<4>::default();
        clients.observe_with(at(0), mapped, agent("PLAYSTATION 3"));
        assert_eq!(clients.lookup(at(1), PS3), Some(Player::Ps3));
        assert_eq!(clients.observe_with(at(2), PS3, agent("UPnP/1.0")), Player::Ps3);
        assert_eq!(clients.len(), 1);
        assert_eq!(clients.lookup(at(1), IpAddr::V6(Ipv6Addr::LOCALHOST)), None);
    }
}
