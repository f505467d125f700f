//! The recording of one stream (at most one video and one Opus track): RTP
//! packets and sender reports in, file writes out.
//!
//! Per track: a jitter buffer, a frame assembler and a clock that maps RTP
//! time to the recorder's millisecond timeline. The tracks' frames meet in
//! one queue ordered by time, held back [`HOLD_MS`] so the slower track can
//! catch up, then go to the current file. A file starts on a video keyframe
//! (audio-only streams: on the first frame); a keyframe of another size ends
//! it and starts the next one.

use std::collections::VecDeque;

use crate::depacketize::{avc_config, Assembler, Frame, RecCodec};
use crate::jitter::{JitterBuffer, Popped, Pushed};
use crate::webm_clock::TrackClock;
use crate::webm_muxer::{is_webm, FileConfig, Muxer, Op, Track, VideoCodec, VideoTrack};

/// How long frames wait for the other track before going to the file (ms):
/// longer than the video jitter buffer's wait.
pub const HOLD_MS: i64 = 500;
/// Ask for a keyframe when none came for this long (ms), so that the file's
/// keyframes (and cue points) are at most ~4 s apart once the request is
/// answered.
pub const KEYFRAME_EVERY_MS: i64 = 3_500;
/// Least gap between two video frames in a file (ms): one frame at 60 fps,
/// rounded up (see `webm_muxer::VIDEO_DEFAULT_DURATION_NS`).
pub const MIN_VIDEO_STEP_MS: i64 = 17;
const VIDEO_SLOTS: usize = 512;
const VIDEO_WAIT_MS: u32 = 200;
const AUDIO_SLOTS: usize = 64;
const AUDIO_WAIT_MS: u32 = 60;

/// A write for the TypeScript side, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutOp {
    /// Open a new file; `webm` false means Matroska (`.mkv`).
    Begin {
        webm: bool,
    },
    Append(Vec<u8>),
    Patch {
        offset: u64,
        bytes: Vec<u8>,
    },
    /// The current file is complete.
    End,
}

struct Queued {
    time: i64,
    track: Track,
    frame: Frame,
}

struct Path {
    jitter: JitterBuffer,
    assembler: Assembler,
    clock: TrackClock,
    ssrc: Option<u32>,
    frames: Vec<Frame>,
}

impl Path {
    fn new(codec: RecCodec, slots: usize, wait: u32, rate: u32) -> Path {
        Path {
            jitter: JitterBuffer::new(slots, wait),
            assembler: Assembler::new(codec),
            clock: TrackClock::new(rate),
            ssrc: None,
            frames: Vec::new(),
        }
    }
}

struct File {
    muxer: Muxer,
    origin: i64,
    size: Option<(u32, u32)>,
    last_video: i64,
    last_audio: i64,
}

/// The recording of one stream.
pub struct Recorder {
    video_codec: Option<RecCodec>,
    /// Start a new file when a keyframe has another size.
    split_on_resize: bool,
    video: Option<Path>,
    audio: Option<Path>,
    /// The shared NTP-to-local offset once a sender report gave it.
    ntp_offset: Option<i64>,
    now: i64,
    last_now: u32,
    queue: VecDeque<Queued>,
    newest: i64,
    file: Option<File>,
    needs_keyframe: bool,
    last_keyframe: i64,
    ops: VecDeque<OutOp>,
    scratch: Vec<Op>,
    /// Frames written to files, for tests and statistics.
    pub frames_written: u64,
}

/// Milliseconds of a 64-bit NTP time (RFC 5905 §6).
pub fn ntp_ms(hi: u32, lo: u32) -> i64 {
    i64::from(hi) * 1000 + ((u64::from(lo) * 1000) >> 32) as i64
}

impl Recorder {
    /// A recorder for a video codec (VP8, VP9, H.264), Opus, or both.
    pub fn new(video: Option<RecCodec>, audio: bool, now: u32) -> Recorder {
        Recorder {
            video_codec: video,
            split_on_resize: false,
            video: video.map(|c| Path::new(c, VIDEO_SLOTS, VIDEO_WAIT_MS, 90_000)),
            audio: if audio {
                Some(Path::new(
                    RecCodec::Opus,
                    AUDIO_SLOTS,
                    AUDIO_WAIT_MS,
                    48_000,
                ))
            } else {
                None
            },
            ntp_offset: None,
            now: i64::from(now),
            last_now: now,
            queue: VecDeque::new(),
            newest: i64::MIN,
            file: None,
            needs_keyframe: true,
            last_keyframe: i64::from(now),
            ops: VecDeque::new(),
            scratch: Vec::new(),
            frames_written: 0,
        }
    }

    /// Starts a new file at each keyframe of another size (Galène's way).
    /// Off by default: browsers adapt the resolution to the bandwidth many
    /// times a call, VP8 and VP9 keyframes carry their size, and players
    /// follow it, as they do in the browser's own MediaRecorder files.
    pub fn split_on_resize(mut self, on: bool) -> Recorder {
        self.split_on_resize = on;
        self
    }

    fn advance(&mut self, now: u32) -> i64 {
        self.now += i64::from(now.wrapping_sub(self.last_now) as i32);
        self.last_now = now;
        self.now
    }

    /// Takes one RTP packet's header fields and payload.
    #[allow(clippy::too_many_arguments)]
    pub fn packet(
        &mut self,
        track: Track,
        ssrc: u32,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        now: u32,
    ) -> Pushed {
        let now64 = self.advance(now);
        let path = match track {
            Track::Video => self.video.as_mut(),
            Track::Audio => self.audio.as_mut(),
        };
        let path = match path {
            Some(p) => p,
            None => return Pushed::TooOld,
        };
        if path.ssrc != Some(ssrc) {
            // A new sender (or the first): its numbering and clock are new.
            if path.ssrc.is_some() {
                path.jitter = JitterBuffer::new(
                    if track == Track::Video {
                        VIDEO_SLOTS
                    } else {
                        AUDIO_SLOTS
                    },
                    if track == Track::Video {
                        VIDEO_WAIT_MS
                    } else {
                        AUDIO_WAIT_MS
                    },
                );
                path.assembler.lost();
                path.clock.restart();
                if track == Track::Video {
                    self.needs_keyframe = true;
                }
            }
            path.ssrc = Some(ssrc);
        }
        let pushed = path.jitter.push(seq, timestamp, marker, payload, now);
        self.drain(track, now64, false);
        pushed
    }

    /// Notes a sender report of a track: its NTP time and RTP time.
    pub fn sender_report(&mut self, track: Track, ntp_hi: u32, ntp_lo: u32, rtp: u32, now: u32) {
        self.advance(now);
        let offset = &mut self.ntp_offset;
        let path = match track {
            Track::Video => self.video.as_mut(),
            Track::Audio => self.audio.as_mut(),
        };
        if let Some(p) = path {
            p.clock.sender_report(ntp_ms(ntp_hi, ntp_lo), rtp, offset);
        }
    }

    fn drain(&mut self, track: Track, now: i64, flush: bool) {
        let now32 = self.last_now;
        let needs_keyframe = &mut self.needs_keyframe;
        let offset = &mut self.ntp_offset;
        let path = match track {
            Track::Video => self.video.as_mut(),
            Track::Audio => self.audio.as_mut(),
        };
        let path = match path {
            Some(p) => p,
            None => return,
        };
        while let Some(popped) = path.jitter.pop(now32, flush) {
            match popped {
                Popped::Lost(_) => {
                    path.assembler.lost();
                    if track == Track::Video {
                        *needs_keyframe = true;
                    }
                }
                Popped::Packet(i) => {
                    let p = path.jitter.get(i);
                    path.assembler
                        .push(p.timestamp, p.marker, p.payload, &mut path.frames);
                }
            }
        }
        let mut frames = core::mem::take(&mut path.frames);
        for frame in frames.drain(..) {
            if track == Track::Video {
                if frame.keyframe {
                    *needs_keyframe = false;
                    self.last_keyframe = now;
                } else if *needs_keyframe {
                    continue; // undecodable until the next keyframe
                }
            }
            let time = path.clock.map(frame.timestamp, now, offset);
            self.newest = self.newest.max(time);
            let at = self
                .queue
                .iter()
                .rposition(|q| q.time <= time)
                .map_or(0, |i| i + 1);
            self.queue.insert(at, Queued { time, track, frame });
        }
        path.frames = frames;
        self.release(flush);
    }

    fn release(&mut self, all: bool) {
        while let Some(q) = self.queue.front() {
            if !all && q.time > self.newest - HOLD_MS {
                break;
            }
            let q = match self.queue.pop_front() {
                Some(q) => q,
                None => break,
            };
            self.write(q);
        }
    }

    fn write(&mut self, q: Queued) {
        let Queued { time, track, frame } = q;
        if track == Track::Video && frame.keyframe {
            let size = frame
                .size
                .or_else(|| self.file.as_ref().and_then(|f| f.size));
            let changed = self.split_on_resize
                && matches!(&self.file, Some(f) if f.size.is_some() && size.is_some() && f.size != size);
            if changed {
                self.end_file();
            }
            if self.file.is_none() {
                self.begin_file(time, size);
            }
        }
        if track == Track::Audio && self.file.is_none() && self.video_codec.is_none() {
            self.begin_file(time, None);
        }
        let file = match self.file.as_mut() {
            Some(f) => f,
            None => return, // waiting for the first video keyframe
        };
        let last = match track {
            Track::Video => &mut file.last_video,
            Track::Audio => &mut file.last_audio,
        };
        let rel = time - file.origin;
        if rel < 0 && *last < 0 {
            return; // before the file began
        }
        // Timestamps strictly increase within a track, whatever the clocks
        // did: players take equal ones for a broken file. Video frames are
        // kept at least a 60 fps frame apart, as the track's DefaultDuration
        // announces; capture jitter can bunch two frames closer than that.
        let step = match track {
            Track::Video => MIN_VIDEO_STEP_MS,
            Track::Audio => 1,
        };
        let rel = if *last < 0 {
            rel.max(0)
        } else {
            rel.max(*last + step)
        };
        *last = rel;
        file.muxer
            .write(track, rel, frame.keyframe, &frame.data, &mut self.scratch);
        self.frames_written += 1;
        self.move_ops();
    }

    fn begin_file(&mut self, origin: i64, size: Option<(u32, u32)>) {
        let video = self.video_codec.map(|codec| {
            let (width, height) = size.unwrap_or((0, 0));
            let (codec, codec_private) = match codec {
                RecCodec::Vp9 => (VideoCodec::Vp9, Vec::new()),
                RecCodec::H264 => {
                    let a = self.video.as_ref().map(|p| &p.assembler);
                    let private = a.map_or_else(Vec::new, |a| avc_config(&a.sps, &a.pps));
                    (VideoCodec::H264, private)
                }
                _ => (VideoCodec::Vp8, Vec::new()),
            };
            VideoTrack {
                codec,
                width,
                height,
                codec_private,
            }
        });
        let config = FileConfig {
            video,
            audio_channels: self.audio.as_ref().map(|_| 2),
        };
        self.ops.push_back(OutOp::Begin {
            webm: is_webm(&config),
        });
        let muxer = Muxer::start(&config, &mut self.scratch);
        self.file = Some(File {
            muxer,
            origin,
            size,
            last_video: -1,
            last_audio: -1,
        });
        self.move_ops();
    }

    fn end_file(&mut self) {
        if let Some(f) = self.file.take() {
            f.muxer.finish(&mut self.scratch);
            self.move_ops();
            self.ops.push_back(OutOp::End);
        }
    }

    fn move_ops(&mut self) {
        for op in self.scratch.drain(..) {
            self.ops.push_back(match op {
                Op::Append(b) => OutOp::Append(b),
                Op::Patch { offset, bytes } => OutOp::Patch { offset, bytes },
            });
        }
    }

    /// Gives up holes that waited too long; true when a keyframe should be
    /// asked for (none yet, one was lost, or none for
    /// [`KEYFRAME_EVERY_MS`]).
    pub fn tick(&mut self, now: u32) -> bool {
        let now64 = self.advance(now);
        self.drain(Track::Audio, now64, false);
        self.drain(Track::Video, now64, false);
        self.video.is_some()
            && (self.needs_keyframe || now64 - self.last_keyframe >= KEYFRAME_EVERY_MS)
    }

    /// Writes everything still buffered and ends the file.
    pub fn close(&mut self, now: u32) {
        let now64 = self.advance(now);
        self.drain(Track::Audio, now64, true);
        self.drain(Track::Video, now64, true);
        self.release(true);
        self.end_file();
    }

    /// The next write for the file side, in order.
    pub fn next_op(&mut self) -> Option<OutOp> {
        self.ops.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vp8_key(w: u16, h: u16) -> Vec<u8> {
        let mut p = vec![0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a];
        p.extend_from_slice(&w.to_le_bytes());
        p.extend_from_slice(&h.to_le_bytes());
        p
    }

    fn ops(r: &mut Recorder) -> Vec<OutOp> {
        let mut v = Vec::new();
        while let Some(op) = r.next_op() {
            v.push(op);
        }
        v
    }

    /// Feeds `seconds` of 30 fps VP8 (keyframe every `gop` frames) and
    /// 50 fps Opus, in arrival order, starting at seq/ts 0.
    fn feed(r: &mut Recorder, from_ms: u32, seconds: u32, gop: u32, size: (u16, u16)) {
        for ms in (from_ms..from_ms + seconds * 1000).step_by(10) {
            if ms % 20 == 0 {
                let n = ms / 20;
                r.packet(Track::Audio, 2, n as u16, n * 960, false, &[0xFC, 0xFF], ms);
            }
            if ms % 30 == 0 {
                let n = ms / 30;
                let p = if n % gop == 0 {
                    vp8_key(size.0, size.1)
                } else {
                    vec![0x10, 0x01, 0xEE]
                };
                r.packet(Track::Video, 1, n as u16, n * 2700, true, &p, ms);
            }
        }
    }

    #[test]
    fn the_file_starts_at_the_first_video_keyframe() {
        let mut r = Recorder::new(Some(RecCodec::Vp8), true, 0);
        // A delta frame and audio first: dropped.
        r.packet(Track::Video, 1, 0, 0, true, &[0x10, 0x01, 0xEE], 0);
        r.packet(Track::Audio, 2, 0, 0, false, &[0xFC], 0);
        assert!(r.tick(5));
        r.packet(Track::Video, 1, 1, 3000, true, &vp8_key(320, 240), 33);
        assert!(!r.tick(40));
        r.close(100);
        let ops = ops(&mut r);
        assert_eq!(ops.first(), Some(&OutOp::Begin { webm: true }));
        assert_eq!(ops.last(), Some(&OutOp::End));
        assert_eq!(r.frames_written, 1);
    }

    #[test]
    fn a_keyframe_is_asked_for_after_the_interval() {
        let mut r = Recorder::new(Some(RecCodec::Vp8), false, 0);
        r.packet(Track::Video, 1, 0, 0, true, &vp8_key(320, 240), 0);
        assert!(!r.tick(KEYFRAME_EVERY_MS as u32 - 1));
        assert!(r.tick(KEYFRAME_EVERY_MS as u32));
    }

    #[test]
    fn a_lost_video_packet_drops_frames_until_the_next_keyframe() {
        let mut r = Recorder::new(Some(RecCodec::Vp8), false, 0);
        r.packet(Track::Video, 1, 0, 0, true, &vp8_key(320, 240), 0);
        r.packet(Track::Video, 1, 2, 6000, true, &[0x10, 0x01], 66); // 1 lost
        r.packet(Track::Video, 1, 3, 9000, true, &[0x10, 0x01], 100);
        assert!(r.tick(400), "the loss asks for a keyframe");
        r.packet(Track::Video, 1, 4, 12000, true, &vp8_key(320, 240), 133);
        r.close(200);
        assert_eq!(r.frames_written, 2);
    }

    #[test]
    fn audio_and_video_are_interleaved_in_time_order() {
        let mut r = Recorder::new(Some(RecCodec::Vp8), true, 0);
        feed(&mut r, 0, 2, 30, (320, 240));
        r.close(2000);
        let ops = ops(&mut r);
        let appends = ops.iter().filter(|o| matches!(o, OutOp::Append(_))).count();
        assert!(appends >= 3, "header and clusters: {}", appends);
        // ~66 video frames and ~100 audio frames, minus audio before the keyframe.
        assert!(r.frames_written > 150, "{}", r.frames_written);
    }

    #[test]
    fn a_new_resolution_ends_the_file_and_starts_another_when_asked() {
        let mut r = Recorder::new(Some(RecCodec::Vp8), true, 0).split_on_resize(true);
        feed(&mut r, 0, 1, 15, (320, 240));
        feed(&mut r, 1000, 1, 15, (640, 480));
        r.close(2000);
        let ops = ops(&mut r);
        let begins = ops
            .iter()
            .filter(|o| matches!(o, OutOp::Begin { .. }))
            .count();
        let ends = ops.iter().filter(|o| **o == OutOp::End).count();
        assert_eq!((begins, ends), (2, 2));
    }

    #[test]
    fn a_new_resolution_stays_in_the_file_by_default() {
        let mut r = Recorder::new(Some(RecCodec::Vp8), true, 0);
        feed(&mut r, 0, 1, 15, (320, 240));
        feed(&mut r, 1000, 1, 15, (640, 480));
        r.close(2000);
        let begins = ops(&mut r)
            .iter()
            .filter(|o| matches!(o, OutOp::Begin { .. }))
            .count();
        assert_eq!(begins, 1);
    }

    #[test]
    fn an_audio_only_stream_starts_at_once_and_h264_makes_matroska() {
        let mut r = Recorder::new(None, true, 0);
        r.packet(Track::Audio, 2, 0, 0, false, &[0xFC], 0);
        r.close(10);
        assert_eq!(r.next_op(), Some(OutOp::Begin { webm: true }));
        let mut r = Recorder::new(Some(RecCodec::H264), false, 0);
        let stap = [
            0x18, 0x00, 0x04, 0x67, 0x42, 0xC0, 0x1F, 0x00, 0x02, 0x68, 0xCE, 0x00, 0x02, 0x65,
            0x88,
        ];
        r.packet(Track::Video, 1, 0, 0, true, &stap, 0);
        r.close(10);
        assert_eq!(r.next_op(), Some(OutOp::Begin { webm: false }));
    }

    #[test]
    fn a_new_ssrc_restarts_numbering_and_waits_for_a_keyframe() {
        let mut r = Recorder::new(Some(RecCodec::Vp8), false, 0);
        r.packet(Track::Video, 1, 100, 0, true, &vp8_key(320, 240), 0);
        r.packet(Track::Video, 9, 5, 777, true, &[0x10, 0x01], 33);
        r.packet(Track::Video, 9, 6, 3777, true, &vp8_key(320, 240), 66);
        r.close(100);
        assert_eq!(r.frames_written, 2);
    }

    #[test]
    fn video_timestamps_stay_a_60_fps_frame_apart() {
        let mut r = Recorder::new(Some(RecCodec::Vp8), false, 0);
        r.packet(Track::Video, 1, 0, 0, true, &vp8_key(320, 240), 0);
        r.packet(Track::Video, 1, 1, 0, true, &[0x10, 0x01], 0);
        r.packet(Track::Video, 1, 2, 90 * 20, true, &[0x10, 0x01], 20);
        r.close(10);
        let cluster = ops(&mut r)
            .into_iter()
            .find_map(|o| match o {
                OutOp::Append(b) if b.starts_with(&[0x1F, 0x43, 0xB6, 0x75]) => Some(b),
                _ => None,
            })
            .unwrap();
        // SimpleBlock: A3, size, track 0x81, 16-bit relative time.
        let times: Vec<u16> = cluster
            .windows(5)
            .filter(|w| w[0] == 0xA3 && w[2] == 0x81)
            .map(|w| u16::from_be_bytes([w[3], w[4]]))
            .collect();
        // 0, then 0 bumped to 17, then 20 bumped to 34.
        assert_eq!(times, [0, 17, 34]);
        assert_eq!(r.frames_written, 3);
    }

    #[test]
    fn ntp_times_become_milliseconds() {
        assert_eq!(ntp_ms(1, 0x8000_0000), 1500);
        assert_eq!(ntp_ms(0, 0), 0);
    }
}
