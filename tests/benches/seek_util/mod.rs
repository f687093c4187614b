//! What the seek benches share: finding the L16 rendition, timing the first byte of a seek
//! over HTTP, and printing medians.

use std::time::{Duration, Instant};

use rill_core::upnp::DESCRIPTION_PATH;
use rill_tests::renderer::{Browse, Client, Player, Renderer, Url, CONTENT_DIRECTORY};

use super::common;

/// The L16 rendition's URL, found with Browse.
pub fn l16_url(server: &common::Running) -> Url {
    let renderer = Renderer::new(Player::GENERIC);
    let desc = renderer.fetch_description(&format!("http://{}{DESCRIPTION_PATH}", server.http));
    let control = desc.unwrap().service(CONTENT_DIRECTORY).unwrap().control_url.clone();
    let top = renderer.browse(&control, &Browse::children("64")).unwrap();
    let list = renderer.browse(&control, &Browse::children(&top.objects[0].id)).unwrap();
    let item = list.items().next().expect("the file is listed");
    let res = item.res.iter().find(|r| r.url.ends_with(".l16")).expect("an L16 rendition");
    Url::parse(&res.url).unwrap()
}

/// Connect, ask for the rendition from `value` of `header`, wait for the first body byte.
pub fn ttfb(url: &Url, value: &str, header: &str) -> Duration {
    let start = Instant::now();
    let mut c = Client::connect(url.addr).unwrap();
    c.send("GET", url, &[(header, value)], &[]).unwrap();
    let head = c.read_head().unwrap();
    assert!(matches!(head.status, 200 | 206), "{header}: {value}: HTTP {}", head.status);
    assert_eq!(c.read_body(1).unwrap().len(), 1);
    start.elapsed()
}

/// Times the first byte of seeks into the rendition at `url` to each of `times` (milliseconds;
/// the first once more before, to warm the page cache, the player table and the connection
/// path): by time (`TimeSeekRange.dlna.org`), then by byte (`Range`, at an offset inside a
/// frame of `byte_rate` bytes a second, as a byte seek lands anywhere).
pub fn time_and_byte_seeks(
    url: &Url,
    times: &[u64],
    byte_rate: u64,
) -> (Vec<Duration>, Vec<Duration>) {
    let by_time = |ms: u64| ttfb(url, &format!("npt={}-", seconds(ms)), "TimeSeekRange.dlna.org");
    if let Some(&first) = times.first() {
        by_time(first);
    }
    let by_byte =
        |ms: u64| ttfb(url, &format!("bytes={}-", ms * byte_rate / 1000 + ms % 4), "Range");
    (times.iter().map(|&ms| by_time(ms)).collect(), times.iter().map(|&ms| by_byte(ms)).collect())
}

/// Milliseconds as npt seconds with three decimals.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Prints one line of median, p90 and max; returns the median.
pub fn report(what: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (median, p90, max) = (at(0.5), at(0.9), at(1.0));
    println!("  {what:<44} {:>8.2} {:>8.2} {:>8.2}", ms(median), ms(p90), ms(max));
    median
}
