//! The ABI of Nereid's media hot path, and nothing else.
//!
//! Conventions:
//! - Integers in and out. Results are non-negative; failures are the
//!   negative codes of `engine::status` (-1 bad handle, -2 bad argument,
//!   -3 malformed, -4 duplicate, -5 too old, -6 not found, -7 no handles,
//!   -8 buffer too small, -9 too large, -10 sequence jump awaiting
//!   confirmation). Nothing panics on bad input.
//! - Bytes go in through the input buffer (`in_ptr`, `in_capacity`) and
//!   come out through the output buffer (`out_ptr`, `out_capacity`); a call
//!   that writes output returns the length written. Output is valid until
//!   the next call that writes output.
//! - Handles are positive generational integers: a freed handle is refused.
//! - Times are milliseconds on a wrapping u32 clock; layers count from 0
//!   (lowest). Codecs: 1 VP8, 2 VP9, 3 H.264, 4 AV1, 16 Opus, 17 G.722,
//!   18 PCMU, 19 PCMA.

pub mod bandwidth;
pub mod cache;
pub mod down_track;
pub mod engine;
pub mod keyframe;
pub mod layer_selector;
pub mod nack;
pub mod rate;
pub mod receive_stats;
pub mod rtcp;
pub mod rtp;
pub mod seq;
pub mod slab;
pub mod svc_av1;
pub mod svc_filter;
pub mod svc_selector;
pub mod svc_vp9;
pub mod vp8;

use core::cell::RefCell;
use engine::Engine;

thread_local! {
    // The single instance behind the ABI (a WebAssembly instance has one
    // thread), made at the first call. Every entry point borrows it for the
    // duration of one call only, and nothing in it calls back out, so the
    // borrow never fails.
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

/// Runs `f` on the engine, borrowed for this one call.
fn engine<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    ENGINE.with(|e| f(e.borrow_mut().get_or_insert_with(new_engine)))
}

// Out of line: inlined, the constructor would be copied into every entry point.
#[cold]
#[inline(never)]
fn new_engine() -> Engine {
    Engine::default()
}

/// Version of this ABI.
#[no_mangle]
pub extern "C" fn abi_version() -> u32 {
    engine::ABI_VERSION
}

/// Address of the input buffer.
#[no_mangle]
pub extern "C" fn in_ptr() -> *mut u8 {
    engine(|e| e.input_ptr())
}

/// Size of the input buffer.
#[no_mangle]
pub extern "C" fn in_capacity() -> u32 {
    engine::IN_CAPACITY as u32
}

/// Address of the output buffer.
#[no_mangle]
pub extern "C" fn out_ptr() -> *mut u8 {
    engine(|e| e.output_ptr())
}

/// Size of the output buffer.
#[no_mangle]
pub extern "C" fn out_capacity() -> u32 {
    engine::OUT_CAPACITY as u32
}

/// Creates an up track with a cache of `capacity` packets (1..=1024).
#[no_mangle]
pub extern "C" fn up_new(codec: u32, clock_rate: u32, capacity: u32) -> i32 {
    engine(|e| e.up_new(codec, clock_rate, capacity))
}

/// Reads the SVC layers of an AV1 up track from the dependency descriptor
/// header extension negotiated with id `id` (1..=255).
#[no_mangle]
pub extern "C" fn up_set_av1_descriptor(up: u32, id: u32) -> i32 {
    engine(|e| e.up_set_av1_descriptor(up, id))
}

/// Frees an up track.
#[no_mangle]
pub extern "C" fn up_free(up: u32) -> i32 {
    engine(|e| e.up_free(up))
}

/// Caches the `len`-byte RTP packet in the input buffer; returns its slot.
#[no_mangle]
pub extern "C" fn up_ingest(up: u32, len: u32, now_ms: u32) -> i32 {
    engine(|e| e.up_ingest(up, len, now_ms))
}

/// Facts of a cached packet: bits 0-1 keyframe (1 yes, 0 no, 2 unknown),
/// bit 2 frame start, bit 3 marker, bits 4-6 temporal id (7 none), bits 8-10
/// spatial id (7 none), bits 16-30 stored length.
#[no_mangle]
pub extern "C" fn slot_info(up: u32, slot: u32) -> i32 {
    engine(|e| e.slot_info(up, slot))
}

/// Sequence number of a cached packet.
#[no_mangle]
pub extern "C" fn slot_seq(up: u32, slot: u32) -> i32 {
    engine(|e| e.slot_seq(up, slot))
}

/// RTP timestamp of a cached packet (0 when the slot is empty).
#[no_mangle]
pub extern "C" fn slot_timestamp(up: u32, slot: u32) -> u32 {
    engine(|e| e.slot_timestamp(up, slot))
}

/// Slot of the cached packet with sequence number `seq`.
#[no_mangle]
pub extern "C" fn up_slot_by_seq(up: u32, seq: u32) -> i32 {
    engine(|e| e.up_slot_by_seq(up, seq))
}

/// Slot of the newest cached keyframe start.
#[no_mangle]
pub extern "C" fn up_keyframe_slot(up: u32) -> i32 {
    engine(|e| e.up_keyframe_slot(up))
}

/// The slots from the newest keyframe start to the newest packet, written
/// into the output as u32; their number, 0 when incomplete or over `max`.
#[no_mangle]
pub extern "C" fn up_keyframe_run(up: u32, max: u32) -> i32 {
    engine(|e| e.up_keyframe_run(up, max))
}

/// Incoming bit rate over the last second, in bit/s.
#[no_mangle]
pub extern "C" fn up_bitrate(up: u32, now_ms: u32) -> i32 {
    engine(|e| e.up_bitrate(up, now_ms))
}

/// SSRC of the latest packet of an up track.
#[no_mangle]
pub extern "C" fn up_ssrc(up: u32) -> u32 {
    engine(|e| e.up_ssrc(up))
}

/// Notes an upstream Sender Report (its NTP time) for LSR/DLSR.
#[no_mangle]
pub extern "C" fn up_on_sr(up: u32, ntp_hi: u32, ntp_lo: u32, now_ms: u32) -> i32 {
    engine(|e| e.up_on_sr(up, ntp_hi, ntp_lo, now_ms))
}

/// Writes a Receiver Report covering the `count` (≤ 31) up tracks whose
/// handles are in the input buffer as little-endian u32.
#[no_mangle]
pub extern "C" fn up_rr(count: u32, sender_ssrc: u32, now_ms: u32) -> i32 {
    engine(|e| e.up_rr(count, sender_ssrc, now_ms))
}

/// Writes a generic NACK for the holes due now; 0 when none are.
#[no_mangle]
pub extern "C" fn up_nack_due(up: u32, sender_ssrc: u32, now_ms: u32) -> i32 {
    engine(|e| e.up_nack_due(up, sender_ssrc, now_ms))
}

/// Creates a down track sending as `ssrc` with payload type `pt`.
#[no_mangle]
pub extern "C" fn down_new(ssrc: u32, pt: u32, codec: u32, clock_rate: u32) -> i32 {
    engine(|e| e.down_new(ssrc, pt, codec, clock_rate))
}

/// Frees a down track.
#[no_mangle]
pub extern "C" fn down_free(down: u32) -> i32 {
    engine(|e| e.down_free(down))
}

/// Sets the layer a down track aims for; it switches at that layer's next
/// keyframe.
#[no_mangle]
pub extern "C" fn down_set_target(down: u32, layer: u32) -> i32 {
    engine(|e| e.down_set_target(down, layer))
}

/// Offers the packet in `slot` of up track `up` (simulcast layer `layer`);
/// writes the rewritten packet and returns its length, 0 when dropped.
#[no_mangle]
pub extern "C" fn down_forward(down: u32, up: u32, slot: u32, layer: u32, now_ms: u32) -> i32 {
    engine(|e| e.down_forward(down, up, slot, layer, now_ms))
}

/// Writes the retransmission of outgoing `seq`; 0 when no longer cached.
#[no_mangle]
pub extern "C" fn down_nack(down: u32, seq: u32) -> i32 {
    engine(|e| e.down_nack(down, seq))
}

/// Layer whose keyframe a down track waits for (ask upstream for it), or -1.
#[no_mangle]
pub extern "C" fn down_wants_keyframe(down: u32) -> i32 {
    engine(|e| e.down_wants_keyframe(down))
}

/// current layer (255 none) | target << 8 | phase << 16 (0 starting, 1
/// stable, 2 switch pending).
#[no_mangle]
pub extern "C" fn down_layers(down: u32) -> i32 {
    engine(|e| e.down_layers(down))
}

/// Handle of the up track being forwarded, or -6.
#[no_mangle]
pub extern "C" fn down_source(down: u32) -> i32 {
    engine(|e| e.down_source(down))
}

/// Feeds a receiver report's fraction lost (0..255).
#[no_mangle]
pub extern "C" fn down_on_loss(down: u32, fraction_lost: u32, now_ms: u32) -> i32 {
    engine(|e| e.down_on_loss(down, fraction_lost, now_ms))
}

/// Feeds the subscriber's REMB in bit/s.
#[no_mangle]
pub extern "C" fn down_on_remb(down: u32, bps: u32, now_ms: u32) -> i32 {
    engine(|e| e.down_on_remb(down, bps, now_ms))
}

/// Outgoing bit rate of a down track over the last second, in bit/s.
#[no_mangle]
pub extern "C" fn down_bitrate(down: u32, now_ms: u32) -> i32 {
    engine(|e| e.down_bitrate(down, now_ms))
}

/// Bandwidth available towards the subscriber, in bit/s.
#[no_mangle]
pub extern "C" fn down_available(down: u32, now_ms: u32) -> i32 {
    engine(|e| e.down_available(down, now_ms))
}

/// Re-aims from layer rates (bit/s, 0 = absent) capped at `max_layer`;
/// returns target | reason << 8 (0 unchanged, 1 raised, 2 lowered, 3 layer
/// gone, 4 capped).
#[no_mangle]
pub extern "C" fn down_adjust(
    down: u32,
    now_ms: u32,
    rate0: u32,
    rate1: u32,
    rate2: u32,
    max_layer: u32,
) -> i32 {
    engine(|e| e.down_adjust(down, now_ms, [rate0, rate1, rate2], max_layer))
}

/// Bounds a down track's estimate by `cap_bps` (0: no bound) from now on,
/// for every choice that reads it, and re-aims its SVC layers (VP8, VP9)
/// from its source's layer rates and that estimate, never above spatial
/// layer `max_sid`; returns sid | tid << 4 | reason << 8 (reasons
/// as `down_adjust`), or -6 for a codec without SVC.
#[no_mangle]
pub extern "C" fn down_svc_adjust(down: u32, now_ms: u32, max_sid: u32, cap_bps: u32) -> i32 {
    engine(|e| e.down_svc_adjust(down, now_ms, max_sid, cap_bps))
}

/// SVC layers of a down track: current sid | current tid << 4 | target sid
/// << 8 | target tid << 12 | reason of the last change << 16 (0 none, 1
/// keyframe, 2 temporal down, 3 spatial down, 4 temporal up) | highest sid
/// seen << 20 | highest tid seen << 24; 7 stands for "every layer". -6 for
/// a codec without SVC.
#[no_mangle]
pub extern "C" fn down_svc_layers(down: u32) -> i32 {
    engine(|e| e.down_svc_layers(down))
}

/// Writes a Sender Report; `rtp_ts` is the source's RTP time at the NTP time.
#[no_mangle]
pub extern "C" fn down_sr(down: u32, ntp_hi: u32, ntp_lo: u32, rtp_ts: u32) -> i32 {
    engine(|e| e.down_sr(down, ntp_hi, ntp_lo, rtp_ts))
}

/// Parses the compound RTCP in the input buffer into 40-byte records (ten
/// little-endian u32, the first the kind) in the output; returns the count.
#[no_mangle]
pub extern "C" fn rtcp_parse(len: u32) -> i32 {
    engine(|e| e.rtcp_parse(len))
}

/// Writes a PLI.
#[no_mangle]
pub extern "C" fn rtcp_pli(sender: u32, media: u32) -> i32 {
    engine(|e| e.rtcp_pli(sender, media))
}

/// Writes a REMB of `bps` for the `count` SSRCs in the input buffer.
#[no_mangle]
pub extern "C" fn rtcp_remb(sender: u32, bps: u32, count: u32) -> i32 {
    engine(|e| e.rtcp_remb(sender, bps, count))
}

// ---- recording ABI ----
// Recording: its own state, input buffer and handles, apart from
// the forwarding engine above. Codecs as above (0: no such track); kinds:
// 0 audio, 1 video. Status -11: the codec cannot be recorded (AV1).

pub mod depacketize;
pub mod depacketize_vp9;
pub mod ebml;
pub mod jitter;
pub mod webm_clock;
pub mod webm_muxer;
pub mod webm_recorder;
pub mod webm_recordings;

use webm_recordings::Recordings;

thread_local! {
    // One instance, under the same rule as ENGINE.
    static RECORDINGS: RefCell<Option<Recordings>> = const { RefCell::new(None) };
}

/// Runs `f` on the recordings, borrowed for this one call.
fn recordings<R>(f: impl FnOnce(&mut Recordings) -> R) -> R {
    RECORDINGS.with(|r| f(r.borrow_mut().get_or_insert_with(new_recordings)))
}

#[cold]
#[inline(never)]
fn new_recordings() -> Recordings {
    Recordings::default()
}

/// Version of the recording ABI.
#[no_mangle]
pub extern "C" fn rec_abi_version() -> u32 {
    webm_recordings::REC_ABI_VERSION
}

/// Address of the recording input buffer (one RTP payload).
#[no_mangle]
pub extern "C" fn rec_in_ptr() -> *mut u8 {
    recordings(|r| r.input_ptr())
}

/// Size of the recording input buffer.
#[no_mangle]
pub extern "C" fn rec_in_capacity() -> u32 {
    webm_recordings::REC_IN_CAPACITY as u32
}

/// Creates the recorder of one stream; returns its handle. `flags` bit 0:
/// start a new file at each keyframe of another size.
#[no_mangle]
pub extern "C" fn rec_new(video_codec: u32, audio_codec: u32, flags: u32, now_ms: u32) -> i32 {
    recordings(|r| r.create(video_codec, audio_codec, flags, now_ms))
}

/// Frees a recorder.
#[no_mangle]
pub extern "C" fn rec_free(rec: u32) -> i32 {
    recordings(|r| r.free(rec))
}

/// Takes the `len`-byte RTP packet in the input buffer (kind 0 audio, 1
/// video); 0 stored, 1 duplicate, 2 too late, 3 the sender restarted.
#[no_mangle]
pub extern "C" fn rec_packet(rec: u32, kind: u32, len: u32, now_ms: u32) -> i32 {
    recordings(|r| r.packet(rec, kind, len, now_ms))
}

/// Notes a sender report of a track (its NTP and RTP times).
#[no_mangle]
pub extern "C" fn rec_sender_report(
    rec: u32,
    kind: u32,
    ntp_hi: u32,
    ntp_lo: u32,
    rtp_ts: u32,
    now_ms: u32,
) -> i32 {
    recordings(|r| r.sender_report(rec, kind, ntp_hi, ntp_lo, rtp_ts, now_ms))
}

/// Gives up overdue holes; 1 when a keyframe should be requested.
#[no_mangle]
pub extern "C" fn rec_tick(rec: u32, now_ms: u32) -> i32 {
    recordings(|r| r.tick(rec, now_ms))
}

/// Writes out everything buffered and ends the file.
#[no_mangle]
pub extern "C" fn rec_close(rec: u32, now_ms: u32) -> i32 {
    recordings(|r| r.close(rec, now_ms))
}

/// Moves the next file write into view: 0 none, 1 begin .webm, 2 begin
/// .mkv, 3 append, 4 patch, 5 end of file.
#[no_mangle]
pub extern "C" fn rec_next(rec: u32) -> i32 {
    recordings(|r| r.next(rec))
}

/// Address of the bytes of the write in view (valid until the next call).
#[no_mangle]
pub extern "C" fn rec_op_ptr() -> *const u8 {
    recordings(|r| r.op_ptr())
}

/// Length of the bytes of the write in view.
#[no_mangle]
pub extern "C" fn rec_op_len() -> u32 {
    recordings(|r| r.op_len())
}

/// File offset of the patch in view.
#[no_mangle]
pub extern "C" fn rec_op_offset() -> u32 {
    recordings(|r| r.op_offset())
}
