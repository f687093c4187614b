//! The host simulation of the appliance: `rill-firmware`'s application (the code the boards
//! run, unchanged) on embassy's std executor, its network a tap device inside the test's
//! private namespace, its card a FAT image in memory. The mock renderer drives it over
//! ordinary sockets, as it drives the board in QEMU (`firmware_qemu.rs`), and the limits are
//! pushed past capacity: connection slots, decoders, memory, slow and idle clients.
//!
//! Timeouts are short here (an idle client is dropped after a second) so the slots' reclaim is
//! observed quickly; the assertions are about what happens, never how long it took.

mod appliance;
mod ogg_util;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use embassy_executor::{Executor, Spawner};
use embassy_net::{Stack, StackResources};
use embassy_net_tuntap::TunTapDevice;
use embassy_time::Duration as EmbassyDuration;
use rill_core::server::connection::Timeouts;
use rill_core::time::Duration as CoreDuration;
use rill_firmware::storage::{MemoryDisk, Storage};
use rill_firmware::{appliance as app, http, library, net, Appliance, Buffers, Config, Identity};
use rill_tests::corpus::{Encoder, Spec};
use rill_tests::flac_corpus::Spec as FlacSpec;
use rill_tests::renderer::{netns, Browse, Player, Renderer, Url};

use appliance::{BOARD, MAC, STATIC, TAP};

/// HTTP slots, as on the boards.
const SLOTS: usize = 4;

type Disk = MemoryDisk<'static>;

/// The simulated board's configuration: the boards' defaults with short timeouts.
const CONFIG: Config = Config {
    addressing: net::Addressing {
        dhcp_wait: EmbassyDuration::from_millis(500),
        ..net::Addressing::DEFAULT
    },
    timeouts: http::Timeouts {
        connection: Timeouts {
            idle: CoreDuration::from_secs(1),
            request: CoreDuration::from_millis(1500),
            stall: CoreDuration::from_secs(3),
        },
        dead_peer: EmbassyDuration::from_secs(5),
    },
};

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn app_task(
    stack: Stack<'static>,
    appliance: &'static Appliance<'static, Disk>,
    identity: &'static Identity,
    buffers: &'static mut Buffers<SLOTS>,
) -> ! {
    rill_firmware::run(stack, appliance, identity, &CONFIG, buffers).await
}

/// Boots the simulated board on its own thread with `card` (holding `decodable` Ogg Vorbis or
/// FLAC files and nothing else the library lists) and decoder `limits`, and waits until it
/// answers HTTP.
fn boot(card: Vec<u8>, limits: app::Budget, decodable: usize) {
    let mut device = TunTapDevice::new(TAP).expect("opening the tap device");
    device.set_hardware_address(MAC);
    let (built, counts) = std::sync::mpsc::channel();
    // The board's state is single-threaded (as on the board), so it is made on its thread.
    thread::spawn(move || {
        let card: &'static [u8] = Box::leak(card.into_boxed_slice());
        let storage: &'static Storage<Disk> =
            Box::leak(Box::new(Storage::mount(MemoryDisk(card)).expect("the card mounts")));
        let (library, counts) = library::build(storage, library::Capacity::DEFAULT);
        built.send(counts).unwrap();
        let appliance: &'static Appliance<'static, Disk> =
            Box::leak(Box::new(Appliance::new(storage, library, limits, 7)));
        let identity: &'static Identity = Box::leak(Box::new(Identity::from_mac(MAC)));
        let resources =
            Box::leak(Box::new(StackResources::<{ rill_firmware::sockets(SLOTS) }>::new()));
        let (stack, runner) =
            embassy_net::new(device, embassy_net::Config::dhcpv4(Default::default()), resources, 7);
        let buffers = Box::leak(Box::new(Buffers::<SLOTS>::new()));
        let executor = Box::leak(Box::new(Executor::new()));
        executor.run(|spawner: Spawner| {
            spawner.spawn(net_task(runner).unwrap());
            spawner.spawn(app_task(stack, appliance, identity, buffers).unwrap());
        });
    });
    let counts = counts.recv().expect("the simulated board boots");
    let found = (counts.media, counts.audio, counts.skipped);
    assert_eq!(found, (decodable, decodable, 0), "library from the card");
    let start = Instant::now();
    while TcpStream::connect_timeout(&board(), Duration::from_millis(200)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "the simulated board never answered");
        thread::sleep(Duration::from_millis(50));
    }
}

fn board() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(BOARD), 80)
}

/// A raw connection to the board, retried as [`appliance::connect`] does.
fn connect_raw() -> TcpStream {
    for _ in 0..50 {
        if let Ok(s) = TcpStream::connect(board()) {
            return s;
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("cannot connect to the board");
}

/// A raw connection that sends `request` and returns what comes back until the server closes
/// (bounded by a read timeout).
fn raw_exchange(request: &[u8]) -> String {
    let mut s = connect_raw();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).expect("send");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn description_status() -> u16 {
    let answer =
        raw_exchange(b"GET /rill/description.xml HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n");
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Whether the description is served (200) within a few seconds of retries.
fn eventually_served() -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if description_status() == 200 {
            return true;
        }
        thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Whether the server closes `s` (EOF or reset) within `limit`, reading and discarding.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn the_simulated_appliance_plays_the_scenario_and_survives_overload() {
    netns::isolated("the_simulated_appliance_plays_the_scenario_and_survives_overload", || {
        let media = appliance::media();
        appliance::tap_up(&STATIC);
        boot(appliance::card(&media), app::Budget::DEFAULT, media.len());
        let urls = appliance::scenario(&STATIC, &media);

        // Every slot held by an idle client: the next connection is told 503, not left hanging.
        // (First let the slots of the scenario's connections close and listen again: a slot
        // closing waits up to 2 s for the peer to take its last bytes.)
        assert!(eventually_served(), "the board serves after the scenario");
        thread::sleep(Duration::from_millis(2500));
        let mut idle: Vec<TcpStream> = (0..SLOTS).map(|_| connect_raw()).collect();
        thread::sleep(Duration::from_millis(200));
        assert_eq!(description_status(), 503, "a fifth client while four slots are held");
        // Idle clients are dropped after the idle timeout, and their slots serve again.
        for s in &mut idle {
            assert!(closed_within(s, Duration::from_secs(10)), "an idle client is dropped");
        }
        // (A slot takes a moment to close and listen again; until then, 503 and Retry-After.)
        assert!(eventually_served(), "slots are reclaimed from idle clients");

        // A client trickling its head a byte at a time, never finishing, is dropped too
        // (the header timeout; each byte comes well within the idle timeout).
        let mut slow = connect_raw();
        slow.write_all(b"GET /rill/description.xml HTTP/1.1\r\n").unwrap();
        let start = Instant::now();
        let mut dropped = false;
        while start.elapsed() < Duration::from_secs(10) {
            if slow.write_all(b"X").is_err() || closed_within(&mut slow, Duration::from_millis(300))
            {
                dropped = true;
                break;
            }
        }
        assert!(dropped, "a client that never finishes its head is dropped");

        // Decoders: two streams that do not read hold both; a third is refused with 503,
        // while other requests are still served.
        let ps3 = Renderer::new(Player::PS3);
        let mut held = Vec::new();
        for url in &urls[..2] {
            let mut c = appliance::connect(&STATIC);
            c.send("GET", &Url::parse(url).unwrap(), &[], &[]).unwrap();
            held.push(c);
        }
        thread::sleep(Duration::from_millis(300));
        let third = ps3.get(&urls[0], &[]).expect("third stream");
        assert_eq!(third.status, 503, "a third concurrent transcode is refused");
        // By the decoder limit, not the overflow slot (whose answer has no body); either asks
        // the client to come back later.
        assert!(!third.body.is_empty(), "refused by a slot, not the overflow");
        assert!(third.header("Retry-After").is_some(), "a 503 says when to retry");
        assert!(eventually_served(), "the rest still works with both decoders busy");
        drop(held);
        // Once the held streams end (the clients went away), decoding is possible again.
        let start = Instant::now();
        loop {
            // Until then a 503, or a reset while the appliance's sockets are still closing.
            match ps3.get(&urls[0], &[]) {
                Ok(again) if again.status == 200 => {
                    assert!(again.body == media[0].l16);
                    break;
                }
                Ok(again) => assert_eq!(again.status, 503, "while the decoders are released"),
                Err(e) => eprintln!("stream after release: {e}; trying again"),
            }
            assert!(start.elapsed() < Duration::from_secs(20), "decoders never released");
            thread::sleep(Duration::from_millis(200));
        }
    });
}

#[test]
fn a_stream_beyond_the_memory_budget_is_refused_with_503() {
    netns::isolated("a_stream_beyond_the_memory_budget_is_refused_with_503", || {
        let media = appliance::media();
        appliance::tap_up(&STATIC);
        // Room for a decoder slot but not for a Vorbis reader.
        boot(
            appliance::card(&media),
            app::Budget { stream_budget: 8 * 1024, ..app::Budget::DEFAULT },
            media.len(),
        );
        let urls = appliance::urls(&STATIC, &media);
        let ps3 = Renderer::new(Player::PS3);
        let refused = ps3.get(&urls[0], &[]).expect("GET");
        assert_eq!(refused.status, 503, "a stream over its memory budget");
        assert!(eventually_served(), "the appliance keeps serving");
    });
}

/// Tracks in the big folder: more than one answer within the board's answer budget lists
/// (about 1.5 KB of SOAP text per track with its renditions, against 96 KiB).
const MANY: usize = 100;

#[test]
fn a_folder_larger_than_one_answer_is_listed_page_by_page() {
    netns::isolated("a_folder_larger_than_one_answer_is_listed_page_by_page", || {
        appliance::tap_up(&STATIC);
        let short =
            Spec { quality: 0, channels: 1, rate: 44_100, frames: 4_410, encoder: Encoder::Oggenc };
        let short = short.bytes();
        let names: Vec<String> = (0..MANY).map(|i| format!("Many/T{i:03}.OGG")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &short[..])).collect();
        boot(rill_tests::fat::image(0, &files), app::Budget::DEFAULT, MANY);
        let control = appliance::content_directory(&STATIC);
        let ps3 = Renderer::new(Player::PS3);

        // Down the tree to the folder (the card's root, then `Many`).
        let mut folder = None;
        let mut pending = vec!["0".to_string()];
        for _ in 0..8 {
            let Some(id) = pending.pop() else { break };
            let (objects, _) = appliance::browse_all(&ps3, &control, &id);
            folder =
                folder.or(objects.iter().find(|o| o.is_container && o.title == "Many").cloned());
            pending.extend(objects.into_iter().filter(|o| o.is_container).map(|o| o.id));
        }
        let folder = folder.expect("the folder `Many`");
        assert_eq!(folder.child_count, Some(MANY as u32));

        // "All of them" in one request: a partial page with the true total, not a 503.
        let first = ps3.browse(&control, &Browse::children(&folder.id)).expect("Browse");
        assert_eq!(first.total_matches as usize, MANY);
        assert!(first.number_returned > 0, "at least one track per answer");
        assert!((first.number_returned as usize) < MANY, "the answer budget cuts the page");

        // Paging on from NumberReturned lists every track once.
        let (tracks, answers) = appliance::browse_all(&ps3, &control, &folder.id);
        assert!(answers >= 2, "{answers} answers");
        let mut titles: Vec<String> = tracks.iter().map(|t| t.title.clone()).collect();
        titles.sort();
        let want: Vec<String> = names.iter().map(|n| n[5..9].to_string()).collect();
        assert_eq!(titles, want, "every track once");
        assert!(tracks[..first.objects.len()] == first.objects[..], "the first page is the prefix");
    });
}

#[test]
fn flac_is_served_as_l16_and_a_block_over_the_stream_budget_gets_503() {
    netns::isolated("flac_is_served_as_l16_and_a_block_over_the_stream_budget_gets_503", || {
        appliance::tap_up(&STATIC);
        // 16-bit 44.1 kHz stereo at flac's default (4096-frame blocks), and one whose
        // 16384-frame blocks need 128 KiB of samples alone, over the 96 KiB stream budget.
        let cd = FlacSpec { frames: 2 * 44_100, ..FlacSpec::cd(&[]) };
        let huge = FlacSpec { frames: 44_100, ..FlacSpec::cd(&["--lax", "--blocksize=16384"]) };
        let media = [
            appliance::flac_media("Lossless/CD.flac", &cd),
            appliance::flac_media("Lossless/Huge.flac", &huge),
        ];
        boot(appliance::card(&media), app::Budget::DEFAULT, media.len());
        // Listed with an L16 resource of the exact length (both), served and seekable
        // bit-exact against `flac -d` (the first).
        let urls = appliance::urls(&STATIC, &media);
        appliance::stream_and_seek(&Renderer::new(Player::PS3), &media[0], &urls[0]);

        let ps3 = Renderer::new(Player::PS3);
        let refused = ps3.get(&urls[1], &[]).expect("GET");
        assert_eq!(refused.status, 503, "a FLAC stream over the memory budget");
        assert!(refused.header("Retry-After").is_some(), "a 503 says when to retry");
        // The refused stream gave its decoder slot back: the other file still plays.
        let again = ps3.get(&urls[0], &[]).expect("GET after the refusal");
        assert_eq!(again.status, 200);
        assert!(again.body == media[0].l16, "the FLAC stream after a refusal");
        assert!(eventually_served(), "the appliance keeps serving");
    });
}
