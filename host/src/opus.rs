//! The Opus decoder of the host: libopus (Debian's `libopus-dev`, linked through
//! `audiopus_sys`) behind rill-core's [`Decoder`] trait, for [`OpusFile`].
//!
//! libopus was chosen by measurement against the pure-Rust decoders (README, "Opus decoder").
//! Every link is decoded by a multistream decoder, as libopusfile does, so mapping families 0
//! and 1 take the same path; its output is 48 kHz float in the link's channel order.
//!
//! [`OpusFile`]: rill_core::media::opus_file::OpusFile

#![allow(unsafe_code)] // calls into libopus; each call's contract is stated where it is made

use std::ptr::NonNull;

use audiopus_sys as ffi;
use rill_core::media::opus_file::{Decoder, DecoderError, Head, MAX_PACKET_FRAMES};

/// A libopus multistream decoder, created for each link.
#[derive(Default)]
pub struct LibOpus {
    state: Option<NonNull<ffi::OpusMSDecoder>>,
    channels: usize,
}

// SAFETY: the decoder state is owned by this value alone and libopus keeps no thread-local or
// global state for it, so it may move between threads.
unsafe impl Send for LibOpus {}

impl LibOpus {
    /// A decoder not yet configured for a link.
    pub fn new() -> LibOpus {
        LibOpus::default()
    }

    fn destroy(&mut self) {
        if let Some(st) = self.state.take() {
            // SAFETY: `st` came from `opus_multistream_decoder_create` and is destroyed once.
            unsafe { ffi::opus_multistream_decoder_destroy(st.as_ptr()) };
        }
    }
}

impl Drop for LibOpus {
    fn drop(&mut self) {
        self.destroy();
    }
}

impl Decoder for LibOpus {
    fn configure(&mut self, head: &Head) -> Result<(), DecoderError> {
        self.destroy();
        let mapping = head.mapping();
        let mut err = 0;
        // SAFETY: `mapping` holds `head.channels` entries, as the call reads; `err` is a valid
        // out-pointer. The streams, coupled streams and mapping were checked by `Head::parse`,
        // and libopus checks them again (an error, never undefined behaviour).
        let st = unsafe {
            ffi::opus_multistream_decoder_create(
                48_000,
                i32::from(head.channels),
                i32::from(head.streams),
                i32::from(head.coupled),
                mapping.as_ptr(),
                &mut err,
            )
        };
        match NonNull::new(st) {
            Some(st) if err == 0 => {
                self.state = Some(st);
                self.channels = usize::from(head.channels);
                Ok(())
            }
            other => {
                if let Some(st) = other {
                    // SAFETY: created just above, destroyed once.
                    unsafe { ffi::opus_multistream_decoder_destroy(st.as_ptr()) };
                }
                Err(DecoderError(err))
            }
        }
    }

    fn reset(&mut self) {
        if let Some(st) = self.state {
            // SAFETY: a live decoder; OPUS_RESET_STATE takes no argument.
            unsafe { ffi::opus_multistream_decoder_ctl(st.as_ptr(), ffi::OPUS_RESET_STATE) };
        }
    }

    fn decode(&mut self, packet: &[u8], out: &mut [f32]) -> Result<usize, DecoderError> {
        let Some(st) = self.state else { return Err(DecoderError(ffi::OPUS_INVALID_STATE)) };
        let frames = (out.len() / self.channels.max(1)).min(MAX_PACKET_FRAMES);
        let len = i32::try_from(packet.len()).map_err(|_| DecoderError(ffi::OPUS_BAD_ARG))?;
        // SAFETY: a live decoder; `packet` is `len` readable bytes; `out` has room for `frames`
        // frames of `channels` samples, the most the call writes.
        let n = unsafe {
            ffi::opus_multistream_decode_float(
                st.as_ptr(),
                packet.as_ptr(),
                len,
                out.as_mut_ptr(),
                frames as i32,
                0,
            )
        };
        usize::try_from(n).map_err(|_| DecoderError(n))
    }
}
