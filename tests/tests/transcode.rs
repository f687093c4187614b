//! Transcoded renditions (L16, WAV) against a full decode: every byte range of the rendition,
//! produced by seeking, equals the same slice of the rendition built from a linear decode.
//!
//! The LPCM-profile version of streams outside the profile (downmixed, resampled) is checked
//! against a reference conversion written here by direct evaluation of its definition (f64
//! throughout), and its byte and time ranges against a linear run of the transcoder, bit for
//! bit; a 1 kHz tone must come out as a 1 kHz tone.

mod ogg_util;

use std::collections::HashMap;
use std::f64::consts::PI;

use ogg_util::{decode_f32, ffmpeg, oggenc, open, Mem};
use rill_core::media::vorbis_file::VorbisFile;
use rill_core::transcode::resample::{frames_out, BETA, CUTOFF, HALF_TAPS};
use rill_core::transcode::{lpcm_target, Layout, Transcoder, Wrapping};
use rill_tests::corpus::Rng;
use rill_tests::rendition::{read_to_end, spans};
use rill_tests::repage::{join, Layout as Pages, Stream};

/// The whole rendition built the obvious way: linear decode, remap channels, encode.
fn reference(file: &[u8], wrapping: Wrapping) -> (Layout, Vec<u8>) {
    let mut f = open(file);
    let (rate, channels) = (f.rate(), f.channels());
    let mut pcm = Vec::new();
    let mut buf = vec![0i16; 4096 * usize::from(channels)];
    loop {
        let n = f.read_i16(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        assert_eq!(f.channels(), channels, "test files keep one channel count");
        pcm.extend_from_slice(&buf[..n * usize::from(channels)]);
    }
    let frames = (pcm.len() / usize::from(channels)) as u64;
    assert_eq!(frames, f.total_frames());
    let layout = Layout::new(wrapping, rate, channels, frames).unwrap();
    let mut out = vec![0u8; layout.header_len()];
    layout.write_header(&mut out);
    let order = rill_tests::rendition::vorbis_to_wav(channels);
    for frame in pcm.chunks(usize::from(channels)) {
        for &c in order {
            out.extend_from_slice(&match wrapping {
                Wrapping::Wav => frame[c].to_le_bytes(),
                Wrapping::L16 | Wrapping::Lpcm => frame[c].to_be_bytes(),
            });
        }
    }
    assert_eq!(out.len() as u64, layout.total_len());
    (layout, out)
}

/// Produces `first..first+len` with a transcoder, reading into buffers of varying sizes.
fn produce(file: &[u8], layout: Layout, first: u64, len: u64, rng: &mut Rng) -> Vec<u8> {
    let vf = VorbisFile::open(Mem::new(file.to_vec())).expect("open");
    read_to_end(Transcoder::new(vf, layout, first, len).expect("position"), rng)
}

fn check(what: &str, file: &[u8], ranges: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    for wrapping in [Wrapping::L16, Wrapping::Wav] {
        let (layout, whole) = reference(file, wrapping);
        let mut all = vec![(0, layout.total_len())];
        all.extend(spans(&mut rng, layout, ranges, false));
        assert_spans(&format!("{what} {wrapping}"), file, layout, &whole, all, &mut rng);
    }
}

/// Each span produced by a transcoder that seeks there equals the same slice of `whole`.
fn assert_spans(
    what: &str,
    file: &[u8],
    layout: Layout,
    whole: &[u8],
    spans: Vec<(u64, u64)>,
    rng: &mut Rng,
) {
    for (first, len) in spans {
        let got = produce(file, layout, first, len, rng);
        let want = &whole[first as usize..(first + len) as usize];
        assert!(got == want, "{what}: bytes {first}+{len} differ from the whole rendition");
    }
}

#[test]
fn ranges_of_ordinary_files() {
    check("stereo q5", &oggenc(88_200, 2, 44_100, 5), 25, 1);
    check("mono 22 kHz q0", &oggenc(30_000, 1, 22_050, 0), 15, 2);
    check("5.1 48 kHz", &oggenc(48_000, 6, 48_000, 3), 15, 3);
    check("ffmpeg native", &ffmpeg(true, 44_100, 2, 44_100), 15, 4);
}

#[test]
fn ranges_of_edge_case_files() {
    check("one page, 1000 frames", &oggenc(1000, 2, 44_100, 5), 15, 5);
    check("one frame", &oggenc(1, 2, 44_100, 5), 3, 6);
    let stream = Stream::parse(&oggenc(60_000, 2, 44_100, 4));
    let pages = |shift, max_body, serial| Pages { serial, max_body, max_packets: 4, shift };
    check("first granule +12345", &stream.write(&pages(12_345, 4000, 7)), 15, 7);
    check("start trim 777", &stream.write(&pages(-777, 4000, 7)), 15, 8);
    check("tiny pages", &stream.write(&pages(0, 300, 7)), 15, 9);
    let chain = join(&[stream.pages(&pages(0, 4000, 1)), stream.pages(&pages(0, 4000, 2))]);
    check("chain of two links", &chain, 15, 10);
}

/// ffmpeg, an independent WAV reader, decodes our WAV to the samples we put in it.
#[test]
fn ffmpeg_reads_our_wav() {
    for (file, channels) in
        [(oggenc(20_000, 2, 44_100, 5), 2usize), (oggenc(9_000, 6, 48_000, 3), 6)]
    {
        let (layout, wav) = reference(&file, Wrapping::Wav);
        let dir = std::env::temp_dir().join(format!("rill-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("c{channels}.wav"));
        std::fs::write(&path, &wav).unwrap();
        let out = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "s16le", "-"])
            .output()
            .expect("run ffmpeg");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout, wav[layout.header_len()..], "{channels} channels");
        let probe = std::process::Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "stream=channels,sample_rate,channel_layout"])
            .arg(&path)
            .output()
            .expect("run ffprobe");
        let text = String::from_utf8_lossy(&probe.stdout);
        assert!(text.contains(&format!("channels={channels}")), "{text}");
        if channels == 6 {
            assert!(text.contains("channel_layout=5.1"), "{text}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// I0 by its power series.
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    for k in 1..100 {
        term *= (x / 2.0 / k as f64).powi(2);
        sum += term;
    }
    sum
}

/// The LPCM-profile version of `file` by direct evaluation of its definition: Lo/Ro downmix
/// (ITU-R BS.775 / ATSC A/52: centre and surrounds at -3 dB, LFE dropped, rows normalised to
/// unit gain sum), then band-limited interpolation at `n × from / to` with the Kaiser-windowed
/// sinc, its taps at that exact position normalised to sum 1, all in f64; rounded to 16 bits.
/// Returns the layout and the interleaved samples.
fn reference_lpcm(file: &[u8]) -> (Layout, Vec<i16>) {
    let f = open(file);
    let (from, channels) = (f.rate(), usize::from(f.channels()));
    let pcm = decode_f32(file);
    let frames_in = pcm.len() / channels;
    // Gains per Vorbis channel (§4.3.9 order) for the left and right outputs.
    let h = std::f64::consts::FRAC_1_SQRT_2;
    let rows: Vec<Vec<f64>> = match channels {
        1 => vec![vec![1.0]],
        2 => vec![vec![1.0, 0.0], vec![0.0, 1.0]],
        // FL C FR RL RR LFE
        6 => vec![vec![1.0, h, 0.0, h, 0.0, 0.0], vec![0.0, h, 1.0, 0.0, h, 0.0]],
        _ => unreachable!("test files are mono, stereo or 5.1"),
    };
    let mixed: Vec<Vec<f64>> = rows
        .iter()
        .map(|row| {
            let sum: f64 = row.iter().sum();
            pcm.chunks(channels)
                .map(|fr| fr.iter().zip(row).map(|(&x, g)| f64::from(x) * g / sum).sum())
                .collect()
        })
        .collect();
    // The documented targets for these rates: 11.025 kHz multiples to 44.1 kHz, others 48.
    let to: u32 = if from % 11_025 == 0 { 44_100 } else { 48_000 };
    let frames_out = (frames_in as u64 * u64::from(to)).div_ceil(u64::from(from));
    let scale = (f64::from(to) / f64::from(from)).min(1.0);
    let (fc, width) = (CUTOFF * scale, f64::from(HALF_TAPS) / scale);
    let kernel = |t: f64| {
        if t.abs() >= width {
            return 0.0;
        }
        let x = 2.0 * fc * t;
        let sinc = if x == 0.0 { 1.0 } else { (PI * x).sin() / (PI * x) };
        2.0 * fc * sinc * bessel_i0(BETA * (1.0 - (t / width).powi(2)).sqrt()) / bessel_i0(BETA)
    };
    let reach = width.ceil() as i64 + 1;
    // The taps `k - q` around position `q + r / to` and their weights depend only on `r`: kept
    // per `r` so the kernel is evaluated once per distinct position, not once per frame.
    let mut weights: HashMap<u64, Vec<f64>> = HashMap::new();
    let mut out = Vec::new();
    for n in 0..frames_out {
        let num = n * u64::from(from);
        let (q, r) = ((num / u64::from(to)) as i64, num % u64::from(to));
        let w = weights.entry(r).or_insert_with(|| {
            let frac = r as f64 / f64::from(to);
            let taps: Vec<f64> = (-reach..=reach).map(|d| kernel(d as f64 - frac)).collect();
            let gain: f64 = taps.iter().sum();
            taps.iter().map(|c| c / gain).collect()
        });
        for ch in &mixed {
            let y = if from == to {
                ch[n as usize]
            } else {
                let at = |k: i64| usize::try_from(k).ok().and_then(|k| ch.get(k)).copied();
                (-reach..=reach).zip(w.iter()).map(|(d, c)| c * at(q + d).unwrap_or(0.0)).sum()
            };
            out.push((y * 32768.0).round().clamp(-32768.0, 32767.0) as i16);
        }
    }
    let layout = Layout::new(Wrapping::Lpcm, to, rows.len() as u8, frames_out).unwrap();
    (layout, out)
}

/// The profile version of `file`: the transcoder's linear run equals the reference conversion
/// (within 1 LSB: f32 against f64 arithmetic), and random byte ranges and time ranges equal
/// slices of that run, bit for bit.
fn check_lpcm(what: &str, file: &[u8], ranges: usize, seed: u64) {
    let (layout, want) = reference_lpcm(file);
    let whole = produce(file, layout, 0, layout.total_len(), &mut Rng::new(seed));
    assert_eq!(whole.len() as u64, layout.total_len(), "{what}: exact length");
    let ours: Vec<i16> = whole.chunks(2).map(|b| i16::from_be_bytes([b[0], b[1]])).collect();
    let mut differ = 0;
    for (i, (&a, &b)) in ours.iter().zip(&want).enumerate() {
        assert!((i32::from(a) - i32::from(b)).abs() <= 1, "{what}: sample {i}: {a} vs {b}");
        differ += usize::from(a != b);
    }
    assert!(differ * 1000 <= want.len(), "{what}: {differ} of {} samples off by 1", want.len());
    check_lpcm_ranges(what, file, layout, &whole, ranges, seed);
}

/// Random byte ranges and time ranges of the profile version `layout` of `file` equal slices
/// of its linear run `whole`, bit for bit.
fn check_lpcm_ranges(
    what: &str,
    file: &[u8],
    layout: Layout,
    whole: &[u8],
    ranges: usize,
    seed: u64,
) {
    let mut rng = Rng::new(seed);
    let spans = spans(&mut rng, layout, ranges, true);
    assert_spans(what, file, layout, whole, spans, &mut rng);
}

#[test]
fn lpcm_versions_equal_the_reference_and_seek_exactly() {
    check_lpcm("5.1 48 kHz", &oggenc(24_000, 6, 48_000, 3), 12, 21);
    check_lpcm("stereo 96 kHz", &oggenc(48_000, 2, 96_000, 3), 12, 22);
    check_lpcm("mono 22.05 kHz", &oggenc(22_050, 1, 22_050, 0), 12, 23);
    check_lpcm("stereo 8 kHz", &oggenc(8_000, 2, 8_000, 3), 12, 24);
    // An odd rate, whose coefficients are interpolated between tabulated phases: still a pure
    // function of the output position, so still exact under seeking.
    let file = oggenc(20_000, 2, 47_999, 3);
    let (to, channels) = lpcm_target(47_999, 2).unwrap();
    let frames = frames_out(open(&file).total_frames(), 47_999, to);
    let layout = Layout::new(Wrapping::Lpcm, to, channels, frames).unwrap();
    let whole = produce(&file, layout, 0, layout.total_len(), &mut Rng::new(25));
    check_lpcm_ranges("stereo 47,999 Hz", &file, layout, &whole, 12, 25);
}

/// `frames` of a 1 kHz sine at half scale in every channel, encoded by oggenc at q8.
fn sine_ogg(rate: u32, channels: u8, frames: u32) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (raw, ogg) = (dir.path().join("sine.raw"), dir.path().join("sine.ogg"));
    let w = 2.0 * PI * 1000.0 / f64::from(rate);
    let pcm: Vec<u8> = (0..frames)
        .flat_map(|i| {
            let s = ((w * f64::from(i)).sin() * 16384.0) as i16;
            std::iter::repeat_n(s, usize::from(channels))
        })
        .flat_map(i16::to_le_bytes)
        .collect();
    std::fs::write(&raw, pcm).unwrap();
    let status = std::process::Command::new("oggenc")
        .args(["-Q", "-r", "-B", "16", "-C", &channels.to_string(), "-R", &rate.to_string()])
        .args(["--raw-endianness", "0", "-q", "8", "-o"])
        .arg(&ogg)
        .arg(&raw)
        .status()
        .expect("run oggenc");
    assert!(status.success());
    std::fs::read(&ogg).unwrap()
}

/// The amplitude of the 1 kHz component of `y` at `rate` (one DFT bin, as a Goertzel filter
/// computes it) and the share of `y`'s energy that is not that tone.
fn tone_1khz(y: &[f64], rate: u32) -> (f64, f64) {
    let w = 2.0 * PI * 1000.0 / f64::from(rate);
    let (re, im) = y.iter().enumerate().fold((0.0, 0.0), |(re, im), (i, &v)| {
        (re + v * (w * i as f64).cos(), im - v * (w * i as f64).sin())
    });
    let n = y.len() as f64;
    let amp = 2.0 * (re * re + im * im).sqrt() / n;
    let energy: f64 = y.iter().map(|v| v * v).sum();
    (amp, (energy - amp * amp / 2.0 * n) / energy)
}

/// A real resampler, end to end: a 1 kHz sine through Vorbis and the profile version comes out
/// as a 1 kHz sine of the same level, and the energy elsewhere is no more than the decoded
/// input already had (Vorbis' own noise) plus 1e-5: a sample-and-hold or linear-interpolation
/// upsampler leaves 4e-4 to 2e-2 of the energy in images. Decimation without a filter is
/// caught by the alias test in `rill_core::transcode::resample`.
#[test]
fn a_1khz_tone_stays_a_1khz_tone() {
    for (rate, channels) in [(96_000, 2), (8_000, 1), (22_050, 1), (48_000, 6)] {
        let file = sine_ogg(rate, channels, rate);
        let decoded: Vec<f64> = decode_f32(&file)
            .into_iter()
            .step_by(usize::from(channels))
            .map(f64::from)
            .skip(rate as usize / 4)
            .take(rate as usize / 2)
            .collect();
        let (_, noise) = tone_1khz(&decoded, rate);
        let (to, outs) = lpcm_target(rate, channels).unwrap();
        let frames = frames_out(u64::from(rate), rate, to);
        let layout = Layout::new(Wrapping::Lpcm, to, outs, frames).unwrap();
        let bytes = produce(&file, layout, 0, layout.total_len(), &mut Rng::new(1));
        let outs = usize::from(layout.channels);
        let samples: Vec<f64> = bytes
            .chunks(2)
            .map(|b| f64::from(i16::from_be_bytes([b[0], b[1]])) / 32768.0)
            .collect();
        // 0.25 s to 0.75 s: whole periods, away from the edges.
        let (from, len) = (layout.rate as usize / 4, layout.rate as usize / 2);
        for c in 0..outs {
            let y: Vec<f64> =
                samples.iter().copied().skip(c).step_by(outs).skip(from).take(len).collect();
            let (amp, rest) = tone_1khz(&y, layout.rate);
            // 5.1 with the same sine everywhere but the LFE: (1 + 2 × 0.707) / 2.414 = 1.
            assert!((amp - 0.5).abs() < 0.01, "{rate} Hz {channels} ch: amplitude {amp}");
            assert!(
                rest < noise + 1e-5,
                "{rate} Hz {channels} ch: {rest:e} of the energy elsewhere, {noise:e} before"
            );
        }
    }
}
