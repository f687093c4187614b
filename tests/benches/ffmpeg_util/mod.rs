//! ffmpeg's own audio decoders in this process (libavcodec and libavformat of the system's
//! FFmpeg through `ffmpeg-sys-next`), for the benches that time rill against them.
//!
//! [`Packets`] holds a stream's packets as reference-counted `AVPacket`s, made beforehand
//! (demuxed from a file by libavformat, or copied from packets the bench split itself), so
//! that sending one to the decoder only takes a reference and the timed loop is the decoder's
//! own work. [`Decoder`] is one opened libavcodec decoder; [`Decoder::run`] decodes every
//! packet and hands each frame's planes to a sink. Every call's result is checked: a failure
//! panics with ffmpeg's error code, which fails the bench.

#![allow(dead_code)] // Each bench uses a part of this module.

use std::ffi::CString;
use std::path::Path;
use std::ptr;

use ffmpeg_sys_next as ff;

/// Panics unless `ret` (an FFmpeg return value) is a success.
fn check(ret: i32, what: &str) -> i32 {
    assert!(ret >= 0, "ffmpeg {what}: error {ret}");
    ret
}

/// Silences libav*'s logging (benches print their own tables).
pub fn quiet() {
    // SAFETY: sets a global integer.
    unsafe { ff::av_log_set_level(ff::AV_LOG_QUIET) };
}

/// The packets of one audio stream and the parameters to open its decoder with.
pub struct Packets {
    packets: Vec<*mut ff::AVPacket>,
    params: *mut ff::AVCodecParameters,
}

impl Packets {
    /// Demuxes the first audio stream of `path` with libavformat.
    pub fn demux(path: &Path) -> Packets {
        let url = CString::new(path.to_str().expect("UTF-8 path")).expect("path without NUL");
        // SAFETY: the format context is opened, read and closed here; every packet read is
        // owned by the result, and the parameters are copied out before closing.
        unsafe {
            let mut fmt: *mut ff::AVFormatContext = ptr::null_mut();
            check(
                ff::avformat_open_input(&mut fmt, url.as_ptr(), ptr::null(), ptr::null_mut()),
                "open input",
            );
            check(ff::avformat_find_stream_info(fmt, ptr::null_mut()), "find stream info");
            let index = check(
                ff::av_find_best_stream(
                    fmt,
                    ff::AVMediaType::AVMEDIA_TYPE_AUDIO,
                    -1,
                    -1,
                    ptr::null_mut(),
                    0,
                ),
                "find audio stream",
            );
            let stream = *(*fmt).streams.add(index as usize);
            let params = ff::avcodec_parameters_alloc();
            check(ff::avcodec_parameters_copy(params, (*stream).codecpar), "copy parameters");
            let mut packets = Vec::new();
            loop {
                let pkt = ff::av_packet_alloc();
                let ret = ff::av_read_frame(fmt, pkt);
                if ret == ff::AVERROR_EOF {
                    ff::av_packet_free(&mut { pkt });
                    break;
                }
                check(ret, "read packet");
                if (*pkt).stream_index == index {
                    packets.push(pkt);
                } else {
                    ff::av_packet_free(&mut { pkt });
                }
            }
            ff::avformat_close_input(&mut fmt);
            Packets { packets, params }
        }
    }

    /// Packets of codec `id` copied from `packets`, the decoder configured by `extradata`
    /// alone (the decoder reads rate and channels from it, as Vorbis's does).
    pub fn from_packets<'a>(
        id: ff::AVCodecID,
        extradata: &[u8],
        packets: impl IntoIterator<Item = &'a [u8]>,
    ) -> Packets {
        // SAFETY: every buffer is allocated here with the size written into it, padded as
        // libavcodec requires, and owned by the result.
        unsafe {
            let params = ff::avcodec_parameters_alloc();
            (*params).codec_type = ff::AVMediaType::AVMEDIA_TYPE_AUDIO;
            (*params).codec_id = id;
            let pad = ff::AV_INPUT_BUFFER_PADDING_SIZE as usize;
            let extra = ff::av_mallocz(extradata.len() + pad) as *mut u8;
            assert!(!extra.is_null(), "ffmpeg extradata allocation");
            ptr::copy_nonoverlapping(extradata.as_ptr(), extra, extradata.len());
            (*params).extradata = extra;
            (*params).extradata_size = extradata.len() as i32;
            let packets = packets
                .into_iter()
                .map(|data| {
                    let pkt = ff::av_packet_alloc();
                    check(ff::av_new_packet(pkt, data.len() as i32), "allocate packet");
                    ptr::copy_nonoverlapping(data.as_ptr(), (*pkt).data, data.len());
                    pkt
                })
                .collect();
            Packets { packets, params }
        }
    }

    /// The decoder's extradata (for ALAC, the `alac` atom: size, tag, version, then the
    /// 24-byte magic cookie).
    pub fn extradata(&self) -> &[u8] {
        // SAFETY: the parameters own `extradata_size` bytes at `extradata` (or none).
        unsafe {
            let p = &*self.params;
            if p.extradata.is_null() {
                return &[];
            }
            std::slice::from_raw_parts(p.extradata, p.extradata_size as usize)
        }
    }

    /// How many packets there are.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Each packet's bytes, in order.
    pub fn data(&self) -> impl Iterator<Item = &[u8]> {
        // SAFETY: each packet owns `size` bytes at `data` for as long as `self` lives.
        self.packets
            .iter()
            .map(|&p| unsafe { std::slice::from_raw_parts((*p).data, (*p).size as usize) })
    }
}

impl Drop for Packets {
    fn drop(&mut self) {
        // SAFETY: frees what `demux` or `from_packets` allocated, once.
        unsafe {
            for p in &mut self.packets {
                ff::av_packet_free(p);
            }
            ff::avcodec_parameters_free(&mut self.params);
        }
    }
}

/// One decoded frame's samples as libavcodec hands them out (borrowed, no copy).
pub enum Planes<'a> {
    /// Planar 16-bit samples, one slice per channel.
    S16(&'a [&'a [i16]]),
    /// Planar 32-bit samples (a 24-bit stream's samples shifted left by 8), one per channel.
    S32(&'a [&'a [i32]]),
    /// Planar float samples, one slice per channel.
    F32(&'a [&'a [f32]]),
}

/// Channels a frame may have (FFmpeg's `AV_NUM_DATA_POINTERS` is 8 too).
const MAX_CHANNELS: usize = 8;

/// The first `ch` planes of `f` as slices of `n` samples of `T`, in a stack array.
///
/// # Safety
/// `f`'s format must store `T` samples, with at least `ch` planes of `n` samples each.
unsafe fn planes<T>(f: &ff::AVFrame, ch: usize, n: usize) -> [&[T]; MAX_CHANNELS] {
    let mut out: [&[T]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
    for (c, o) in out.iter_mut().enumerate().take(ch) {
        // SAFETY: the caller's contract.
        *o = unsafe { std::slice::from_raw_parts(*f.extended_data.add(c) as *const T, n) };
    }
    out
}

/// An opened libavcodec decoder with its packet's and frame's storage.
pub struct Decoder {
    ctx: *mut ff::AVCodecContext,
    frame: *mut ff::AVFrame,
}

impl Decoder {
    /// Opens the decoder for `packets`' codec (single-threaded, as rill's decoders run).
    pub fn new(packets: &Packets) -> Decoder {
        // SAFETY: the context is allocated and opened here and freed by `Drop`.
        unsafe {
            let codec = ff::avcodec_find_decoder((*packets.params).codec_id);
            assert!(!codec.is_null(), "ffmpeg has no such decoder");
            let ctx = ff::avcodec_alloc_context3(codec);
            check(ff::avcodec_parameters_to_context(ctx, packets.params), "set parameters");
            (*ctx).thread_count = 1;
            check(ff::avcodec_open2(ctx, codec, ptr::null_mut()), "open decoder");
            Decoder { ctx, frame: ff::av_frame_alloc() }
        }
    }

    /// The channel count the decoder reports.
    pub fn channels(&self) -> usize {
        // SAFETY: `ctx` is an opened context.
        unsafe { (*self.ctx).ch_layout.nb_channels as usize }
    }

    /// Decodes every packet from a fresh start (the decoder is flushed first), handing each
    /// frame's planes to `sink`; returns the frames (samples per channel) decoded.
    pub fn run(&mut self, packets: &Packets, mut sink: impl FnMut(Planes<'_>)) -> u64 {
        let mut frames = 0u64;
        // SAFETY: the packets and frame are valid; each frame's planes hold `nb_samples`
        // samples of its format and are only borrowed until the next receive.
        unsafe {
            ff::avcodec_flush_buffers(self.ctx);
            for &pkt in &packets.packets {
                check(ff::avcodec_send_packet(self.ctx, pkt), "send packet");
                loop {
                    let ret = ff::avcodec_receive_frame(self.ctx, self.frame);
                    if ret == ff::AVERROR(ff::EAGAIN) {
                        break;
                    }
                    check(ret, "decode");
                    let f = &*self.frame;
                    let n = f.nb_samples as usize;
                    let ch = f.ch_layout.nb_channels as usize;
                    assert!(ch <= MAX_CHANNELS, "ffmpeg frame of {ch} channels");
                    use ff::AVSampleFormat::*;
                    match f.format {
                        x if x == AV_SAMPLE_FMT_S16P as i32 => {
                            sink(Planes::S16(&planes(f, ch, n)[..ch]))
                        }
                        x if x == AV_SAMPLE_FMT_S32P as i32 => {
                            sink(Planes::S32(&planes(f, ch, n)[..ch]))
                        }
                        x if x == AV_SAMPLE_FMT_FLTP as i32 => {
                            sink(Planes::F32(&planes(f, ch, n)[..ch]))
                        }
                        other => panic!("ffmpeg sample format {other} not handled"),
                    }
                    frames += n as u64;
                }
            }
        }
        frames
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: frees what `new` allocated, once.
        unsafe {
            ff::av_frame_free(&mut self.frame);
            ff::avcodec_free_context(&mut self.ctx);
        }
    }
}
