//! A streaming Matroska/WebM writer for one recording file.
//!
//! Layout, chosen so that a file cut short by a crash still plays and a file
//! closed normally is seekable:
//! - EBML header, then a Segment of *unknown* size (RFC 8794 §6.2);
//! - a Void reserving room for the SeekHead, and one inside Info for the
//!   Duration: both are filled at close by [`Op::Patch`]es;
//! - Tracks, then Clusters, each written whole once complete, so the file
//!   on disk only ever ends after a complete Cluster;
//! - at close, Cues, then the patches: SeekHead, Duration, Segment size.

use crate::ebml::*;

const EBML: u32 = 0x1A45DFA3;
const SEGMENT: u32 = 0x18538067;
const SEEK_HEAD: u32 = 0x114D9B74;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const INFO: u32 = 0x1549A966;
const TIMESTAMP_SCALE: u32 = 0x2AD7B1;
const DURATION: u32 = 0x4489;
const MUXING_APP: u32 = 0x4D80;
const WRITING_APP: u32 = 0x5741;
const TRACKS: u32 = 0x1654AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_UID: u32 = 0x73C5;
const TRACK_TYPE: u32 = 0x83;
const FLAG_LACING: u32 = 0x9C;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const DEFAULT_DURATION: u32 = 0x23E383;
const SEEK_PRE_ROLL: u32 = 0x56BB;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const AUDIO: u32 = 0xE1;
const SAMPLING_FREQUENCY: u32 = 0xB5;
const CHANNELS: u32 = 0x9F;
const CLUSTER: u32 = 0x1F43B675;
const TIMESTAMP: u32 = 0xE7;
const SIMPLE_BLOCK: u32 = 0xA3;
const CUES: u32 = 0x1C53BB6B;
const CUE_POINT: u32 = 0xBB;
const CUE_TIME: u32 = 0xB3;
const CUE_TRACK_POSITIONS: u32 = 0xB7;
const CUE_TRACK: u32 = 0xF7;
const CUE_CLUSTER_POSITION: u32 = 0xF1;

/// Room for a SeekHead of three Seeks with eight-byte positions (68 bytes)
/// and a Void after it.
pub const SEEK_HEAD_ROOM: usize = 96;
/// Room for the Duration: ID (2), size (1), float (8).
const DURATION_ROOM: usize = 11;
/// A new Cluster at least this often (ms): block timestamps are 16-bit
/// relative to their Cluster, and a crash loses at most the open Cluster.
pub const MAX_CLUSTER_MS: i64 = 5_000;
/// A new Cluster past this many bytes, to bound memory whatever the rate.
pub const MAX_CLUSTER_BYTES: usize = 8 << 20;
/// One frame at 60 fps, in ns: the most browsers send. Frame rates vary and
/// block timestamps carry the real times, which the recorder keeps at least
/// this far apart. Without a DefaultDuration ffmpeg guesses a rate from the
/// first frames and, on jittery timestamps, decodes to a grid too coarse for
/// them ("non monotonically increasing dts").
pub const VIDEO_DEFAULT_DURATION_NS: u64 = 16_666_667;
/// Nominal Opus frame length (ms), for the Duration.
const AUDIO_FRAME_MS: i64 = 20;

/// The video codecs a file can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VideoCodec {
    Vp8,
    Vp9,
    H264,
}

/// The video track of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoTrack {
    pub codec: VideoCodec,
    pub width: u32,
    pub height: u32,
    /// The AVCDecoderConfigurationRecord for H.264; empty otherwise.
    pub codec_private: Vec<u8>,
}

/// What a file holds: a video track, an Opus track, or both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileConfig {
    pub video: Option<VideoTrack>,
    /// Opus channel count, when there is an audio track.
    pub audio_channels: Option<u8>,
}

/// Which track a block belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Track {
    Video,
    Audio,
}

/// A write the file needs: at its end, or over bytes written before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Append(Vec<u8>),
    Patch { offset: u64, bytes: Vec<u8> },
}

/// One file being written.
pub struct Muxer {
    /// Bytes appended so far: the offset of the next append.
    position: u64,
    segment_size_at: u64,
    segment_data: u64,
    seek_head_at: u64,
    duration_at: u64,
    info_at: u64,
    tracks_at: u64,
    video_number: u64,
    audio_number: u64,
    cue_track: u64,
    cluster: Vec<u8>,
    cluster_time: i64,
    cluster_open: bool,
    cues: Vec<(i64, u64)>,
    last_video: i64,
    previous_video: i64,
    last_audio: i64,
}

/// The Matroska CodecID and whether the file must be Matroska, not WebM.
fn codec_id(codec: VideoCodec) -> &'static [u8] {
    match codec {
        VideoCodec::Vp8 => b"V_VP8",
        VideoCodec::Vp9 => b"V_VP9",
        VideoCodec::H264 => b"V_MPEG4/ISO/AVC",
    }
}

/// Whether a file with this configuration is WebM (else Matroska: WebM
/// admits only VP8, VP9, AV1, Vorbis and Opus).
pub fn is_webm(config: &FileConfig) -> bool {
    !matches!(&config.video, Some(v) if v.codec == VideoCodec::H264)
}

/// The 19-byte OpusHead (RFC 7845 §5.1), Matroska's CodecPrivate for Opus.
pub fn opus_head(channels: u8) -> [u8; 19] {
    let mut h = [0u8; 19];
    h[..8].copy_from_slice(b"OpusHead");
    h[8] = 1;
    h[9] = channels;
    // Pre-skip 0: the RTP stream carries no encoder delay to skip.
    h[12..16].copy_from_slice(&48000u32.to_le_bytes());
    h
}

fn ebml_header(webm: bool) -> Vec<u8> {
    let mut c = Vec::new();
    put_uint(&mut c, 0x4286, 1); // EBMLVersion
    put_uint(&mut c, 0x42F7, 1); // EBMLReadVersion
    put_uint(&mut c, 0x42F2, 4); // EBMLMaxIDLength
    put_uint(&mut c, 0x42F3, 8); // EBMLMaxSizeLength
    put_bytes(&mut c, 0x4282, if webm { b"webm" } else { b"matroska" });
    put_uint(&mut c, 0x4287, 4); // DocTypeVersion
    put_uint(&mut c, 0x4285, 2); // DocTypeReadVersion: SimpleBlock
    let mut out = Vec::new();
    put_master(&mut out, EBML, &c);
    out
}

fn track_entries(config: &FileConfig) -> Vec<u8> {
    let mut tracks = Vec::new();
    let mut number = 1;
    if let Some(v) = &config.video {
        let mut e = Vec::new();
        put_uint(&mut e, TRACK_NUMBER, number);
        put_uint(&mut e, TRACK_UID, number);
        put_uint(&mut e, TRACK_TYPE, 1);
        put_uint(&mut e, FLAG_LACING, 0);
        put_bytes(&mut e, CODEC_ID, codec_id(v.codec));
        put_uint(&mut e, DEFAULT_DURATION, VIDEO_DEFAULT_DURATION_NS);
        if !v.codec_private.is_empty() {
            put_bytes(&mut e, CODEC_PRIVATE, &v.codec_private);
        }
        // PixelWidth and PixelHeight may not be 0: when the codec did not
        // tell them (H.264), leave them to the decoder.
        if v.width > 0 && v.height > 0 {
            let mut video = Vec::new();
            put_uint(&mut video, PIXEL_WIDTH, u64::from(v.width));
            put_uint(&mut video, PIXEL_HEIGHT, u64::from(v.height));
            put_master(&mut e, VIDEO, &video);
        }
        put_master(&mut tracks, TRACK_ENTRY, &e);
        number += 1;
    }
    if let Some(channels) = config.audio_channels {
        let mut e = Vec::new();
        put_uint(&mut e, TRACK_NUMBER, number);
        put_uint(&mut e, TRACK_UID, number);
        put_uint(&mut e, TRACK_TYPE, 2);
        put_uint(&mut e, FLAG_LACING, 0);
        put_bytes(&mut e, CODEC_ID, b"A_OPUS");
        put_bytes(&mut e, CODEC_PRIVATE, &opus_head(channels));
        // 80 ms, as the WebM guidelines ask for Opus.
        put_uint(&mut e, SEEK_PRE_ROLL, 80_000_000);
        let mut audio = Vec::new();
        put_float(&mut audio, SAMPLING_FREQUENCY, 48000.0);
        put_uint(&mut audio, CHANNELS, u64::from(channels));
        put_master(&mut e, AUDIO, &audio);
        put_master(&mut tracks, TRACK_ENTRY, &e);
    }
    tracks
}

impl Muxer {
    /// Starts a file; the header is the first append.
    pub fn start(config: &FileConfig, out: &mut Vec<Op>) -> Muxer {
        let webm = is_webm(config);
        let mut h = ebml_header(webm);
        put_id(&mut h, SEGMENT);
        let segment_size_at = h.len() as u64;
        h.extend_from_slice(&UNKNOWN_SIZE);
        let segment_data = h.len() as u64;
        let seek_head_at = h.len() as u64;
        put_void(&mut h, SEEK_HEAD_ROOM);

        let info_at = h.len() as u64;
        let mut info = Vec::new();
        put_uint(&mut info, TIMESTAMP_SCALE, 1_000_000); // 1 ms
        put_bytes(&mut info, MUXING_APP, b"Nereid");
        put_bytes(&mut info, WRITING_APP, b"Nereid");
        let duration_in_info = info.len();
        put_void(&mut info, DURATION_ROOM);
        put_id(&mut h, INFO);
        put_size(&mut h, info.len() as u64);
        let duration_at = (h.len() + duration_in_info) as u64;
        h.extend_from_slice(&info);

        let tracks_at = h.len() as u64;
        put_master(&mut h, TRACKS, &track_entries(config));
        let position = h.len() as u64;
        out.push(Op::Append(h));
        let has_video = config.video.is_some();
        Muxer {
            position,
            segment_size_at,
            segment_data,
            seek_head_at,
            duration_at,
            info_at,
            tracks_at,
            video_number: 1,
            audio_number: if has_video { 2 } else { 1 },
            cue_track: 1,
            cluster: Vec::new(),
            cluster_time: 0,
            cluster_open: false,
            cues: Vec::new(),
            last_video: -1,
            previous_video: -1,
            last_audio: -1,
        }
    }

    /// Bytes appended so far (the size of the file once ops are applied).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Writes one frame at `time` ms from the start of the file. Video
    /// keyframes start a Cluster (and a cue point); so does a Cluster grown
    /// past [`MAX_CLUSTER_MS`] or [`MAX_CLUSTER_BYTES`], or a block that
    /// would precede its Cluster. Opus blocks are all keyframes.
    pub fn write(
        &mut self,
        track: Track,
        time: i64,
        keyframe: bool,
        frame: &[u8],
        out: &mut Vec<Op>,
    ) {
        let time = time.max(0);
        let key = keyframe || track == Track::Audio;
        let cue = match track {
            Track::Video => keyframe,
            Track::Audio => self.video_number == self.audio_number, // audio-only file
        };
        let new_cluster = !self.cluster_open
            || (track == Track::Video && keyframe)
            || time - self.cluster_time >= MAX_CLUSTER_MS
            || time < self.cluster_time
            || self.cluster.len() >= MAX_CLUSTER_BYTES;
        if new_cluster {
            self.flush_cluster(out);
            self.cluster_open = true;
            self.cluster_time = time;
            put_uint(&mut self.cluster, TIMESTAMP, time as u64);
            if cue {
                self.cues.push((time, self.position - self.segment_data));
            }
        }
        let number = match track {
            Track::Video => {
                self.previous_video = self.last_video;
                self.last_video = time;
                self.video_number
            }
            Track::Audio => {
                self.last_audio = time;
                self.audio_number
            }
        };
        put_id(&mut self.cluster, SIMPLE_BLOCK);
        put_size(&mut self.cluster, 4 + frame.len() as u64);
        put_size_fixed(&mut self.cluster, number, 1);
        self.cluster
            .extend_from_slice(&((time - self.cluster_time) as i16).to_be_bytes());
        self.cluster.push(if key { 0x80 } else { 0 });
        self.cluster.extend_from_slice(frame);
    }

    /// Appends the open Cluster, if any.
    pub fn flush_cluster(&mut self, out: &mut Vec<Op>) {
        if !self.cluster_open {
            return;
        }
        let mut c = Vec::with_capacity(self.cluster.len() + 12);
        put_id(&mut c, CLUSTER);
        put_size(&mut c, self.cluster.len() as u64);
        c.extend_from_slice(&self.cluster);
        self.cluster.clear();
        self.cluster_open = false;
        self.position += c.len() as u64;
        out.push(Op::Append(c));
    }

    /// The file's duration in ms: its last block plus one frame.
    pub fn duration(&self) -> i64 {
        let video = if self.last_video < 0 {
            0
        } else {
            let frame = if self.previous_video >= 0 {
                (self.last_video - self.previous_video).clamp(0, 100)
            } else {
                0
            };
            self.last_video + frame
        };
        let audio = if self.last_audio < 0 {
            0
        } else {
            self.last_audio + AUDIO_FRAME_MS
        };
        video.max(audio)
    }

    /// Ends the file: the last Cluster, the Cues, then the patches of the
    /// SeekHead, the Duration and the Segment size.
    pub fn finish(mut self, out: &mut Vec<Op>) {
        self.flush_cluster(out);
        let cues_at = self.position;
        let mut points = Vec::new();
        for &(time, cluster) in &self.cues {
            let mut positions = Vec::new();
            put_uint(&mut positions, CUE_TRACK, self.cue_track);
            put_uint(&mut positions, CUE_CLUSTER_POSITION, cluster);
            let mut point = Vec::new();
            put_uint(&mut point, CUE_TIME, time as u64);
            put_master(&mut point, CUE_TRACK_POSITIONS, &positions);
            put_master(&mut points, CUE_POINT, &point);
        }
        let has_cues = !points.is_empty();
        if has_cues {
            let mut cues = Vec::new();
            put_master(&mut cues, CUES, &points);
            self.position += cues.len() as u64;
            out.push(Op::Append(cues));
        }

        let mut seeks = Vec::new();
        let mut targets = vec![(INFO, self.info_at), (TRACKS, self.tracks_at)];
        if has_cues {
            targets.push((CUES, cues_at));
        }
        for (id, at) in targets {
            let mut seek = Vec::new();
            put_bytes(&mut seek, SEEK_ID, &id.to_be_bytes());
            put_uint8(&mut seek, SEEK_POSITION, at - self.segment_data);
            put_master(&mut seeks, SEEK, &seek);
        }
        let mut head = Vec::new();
        put_master(&mut head, SEEK_HEAD, &seeks);
        let room = SEEK_HEAD_ROOM - head.len();
        put_void(&mut head, room);
        out.push(Op::Patch {
            offset: self.seek_head_at,
            bytes: head,
        });

        let mut duration = Vec::new();
        put_float(&mut duration, DURATION, self.duration() as f64);
        out.push(Op::Patch {
            offset: self.duration_at,
            bytes: duration,
        });

        let mut size = Vec::new();
        put_size_fixed(
            &mut size,
            self.position - self.segment_data,
            PATCHABLE_SIZE_LEN,
        );
        out.push(Op::Patch {
            offset: self.segment_size_at,
            bytes: size,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vp8(width: u32, height: u32) -> FileConfig {
        FileConfig {
            video: Some(VideoTrack {
                codec: VideoCodec::Vp8,
                width,
                height,
                codec_private: Vec::new(),
            }),
            audio_channels: Some(2),
        }
    }

    /// Applies ops as the TypeScript writer does: appends, then patches.
    fn apply(ops: &[Op]) -> Vec<u8> {
        let mut file = Vec::new();
        for op in ops {
            match op {
                Op::Append(b) => file.extend_from_slice(b),
                Op::Patch { offset, bytes } => {
                    let at = *offset as usize;
                    file[at..at + bytes.len()].copy_from_slice(bytes);
                }
            }
        }
        file
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn the_ebml_header_names_the_doctype_byte_for_byte() {
        assert_eq!(
            ebml_header(true),
            [
                0x1A, 0x45, 0xDF, 0xA3, 0x9F, // EBML, 31 bytes
                0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01, 0x42, 0xF2, 0x81, 0x04, 0x42, 0xF3,
                0x81, 0x08, 0x42, 0x82, 0x84, b'w', b'e', b'b', b'm', 0x42, 0x87, 0x81, 0x04, 0x42,
                0x85, 0x81, 0x02,
            ]
        );
        assert!(find(&ebml_header(false), b"\x42\x82\x88matroska").is_some());
    }

    #[test]
    fn the_segment_starts_with_unknown_size_then_reserved_seek_head_room() {
        let mut ops = Vec::new();
        Muxer::start(&vp8(640, 480), &mut ops);
        let file = apply(&ops);
        assert_eq!(&file[36..40], [0x18, 0x53, 0x80, 0x67]);
        assert_eq!(&file[40..48], UNKNOWN_SIZE);
        assert_eq!(&file[48..50], [0xEC, 0x80 | (SEEK_HEAD_ROOM as u8 - 2)]);
        // Info follows the reserved room.
        assert_eq!(
            &file[48 + SEEK_HEAD_ROOM..52 + SEEK_HEAD_ROOM],
            [0x15, 0x49, 0xA9, 0x66]
        );
    }

    #[test]
    fn tracks_carry_codec_ids_sizes_and_the_opus_head() {
        let entries = track_entries(&vp8(1280, 720));
        let video = [0xE0, 0x88, 0xB0, 0x82, 0x05, 0x00, 0xBA, 0x82, 0x02, 0xD0];
        assert!(find(&entries, &video).is_some());
        assert!(find(&entries, b"\x86\x85V_VP8").is_some());
        assert!(find(&entries, b"\x86\x86A_OPUS").is_some());
        assert!(find(&entries, b"\x63\xA2\x93OpusHead\x01\x02").is_some());
        // The audio track is number 2 after the video.
        assert!(find(
            &entries,
            &[0xD7, 0x81, 0x02, 0x73, 0xC5, 0x81, 0x02, 0x83, 0x81, 0x02]
        )
        .is_some());
    }

    #[test]
    fn a_simple_block_has_track_relative_time_and_key_flag() {
        let mut ops = Vec::new();
        let mut m = Muxer::start(&vp8(64, 64), &mut ops);
        let header = m.position();
        m.write(Track::Video, 1000, true, &[0xAA, 0xBB], &mut ops);
        m.write(Track::Audio, 1020, false, &[0xCC], &mut ops);
        m.write(Track::Video, 1033, false, &[0xDD], &mut ops);
        m.flush_cluster(&mut ops);
        let file = apply(&ops);
        assert_eq!(
            &file[header as usize..],
            [
                0x1F, 0x43, 0xB6, 0x75, 0x9A, // Cluster, 26 bytes
                0xE7, 0x82, 0x03, 0xE8, // Timestamp 1000
                0xA3, 0x86, 0x81, 0x00, 0x00, 0x80, 0xAA, 0xBB, // video key at +0
                0xA3, 0x85, 0x82, 0x00, 0x14, 0x80, 0xCC, // audio (always key) at +20
                0xA3, 0x85, 0x81, 0x00, 0x21, 0x00, 0xDD, // video delta at +33
            ]
        );
    }

    #[test]
    fn keyframes_and_long_spans_start_clusters_and_only_keyframes_are_cued() {
        let mut ops = Vec::new();
        let mut m = Muxer::start(&vp8(64, 64), &mut ops);
        m.write(Track::Video, 0, true, &[1], &mut ops);
        m.write(Track::Video, 4000, true, &[2], &mut ops);
        m.write(Track::Video, 4000 + MAX_CLUSTER_MS, false, &[3], &mut ops);
        m.write(
            Track::Audio,
            4000 + MAX_CLUSTER_MS - 10,
            false,
            &[4],
            &mut ops,
        );
        m.flush_cluster(&mut ops);
        let clusters = ops.iter().skip(1).count();
        assert_eq!(clusters, 4);
        assert_eq!(m.cues.iter().map(|c| c.0).collect::<Vec<_>>(), [0, 4000]);
    }

    #[test]
    fn a_cluster_is_appended_only_once_complete() {
        let mut ops = Vec::new();
        let mut m = Muxer::start(&vp8(64, 64), &mut ops);
        m.write(Track::Video, 0, true, &[1], &mut ops);
        m.write(Track::Video, 33, false, &[2], &mut ops);
        assert_eq!(ops.len(), 1, "only the header so far");
        m.write(Track::Video, 66, true, &[3], &mut ops);
        assert_eq!(ops.len(), 2);
    }

    #[test]
    fn finishing_writes_cues_and_patches_seek_head_duration_and_segment_size() {
        let mut ops = Vec::new();
        let mut m = Muxer::start(&vp8(64, 64), &mut ops);
        m.write(Track::Video, 0, true, &[1], &mut ops);
        m.write(Track::Audio, 10, false, &[2], &mut ops);
        m.write(Track::Video, 2000, true, &[3], &mut ops);
        let info_at = m.info_at;
        let segment_data = m.segment_data;
        m.finish(&mut ops);
        let file = apply(&ops);
        let size = u64::from_be_bytes(file[40..48].try_into().unwrap()) & !(1 << 56);
        assert_eq!(size, file.len() as u64 - segment_data);
        // Past the SeekHead, which names the Cues ID too.
        let after = 48 + SEEK_HEAD_ROOM;
        let cues = find(&file[after..], &[0x1C, 0x53, 0xBB, 0x6B]).unwrap() + after;
        // CuePoint for 2000 ms pointing at the second cluster.
        let second = find(&file[60..], &[0x1F, 0x43, 0xB6, 0x75])
            .map(|i| i + 60)
            .unwrap();
        let second = find(&file[second + 4..], &[0x1F, 0x43, 0xB6, 0x75])
            .map(|i| i + second + 4)
            .unwrap();
        let mut expected = Vec::new();
        put_uint(&mut expected, CUE_TIME, 2000);
        let mut pos = Vec::new();
        put_uint(&mut pos, CUE_TRACK, 1);
        put_uint(&mut pos, CUE_CLUSTER_POSITION, second as u64 - segment_data);
        put_master(&mut expected, CUE_TRACK_POSITIONS, &pos);
        assert!(find(&file[cues..], &expected).is_some());
        // SeekHead at the start of the segment data, pointing at Info and Cues.
        assert_eq!(&file[48..52], [0x11, 0x4D, 0x9B, 0x74]);
        let mut info_seek = Vec::new();
        put_bytes(&mut info_seek, SEEK_ID, &INFO.to_be_bytes());
        put_uint8(&mut info_seek, SEEK_POSITION, info_at - segment_data);
        assert!(find(&file[48..48 + SEEK_HEAD_ROOM], &info_seek).is_some());
        let mut cues_seek = Vec::new();
        put_bytes(&mut cues_seek, SEEK_ID, &CUES.to_be_bytes());
        put_uint8(&mut cues_seek, SEEK_POSITION, cues as u64 - segment_data);
        assert!(find(&file[48..48 + SEEK_HEAD_ROOM], &cues_seek).is_some());
        // Duration: last video frame at 2000 plus the 100 ms frame cap.
        let mut duration = Vec::new();
        put_float(&mut duration, DURATION, 2100.0);
        assert!(find(&file, &duration).is_some());
    }

    #[test]
    fn h264_files_are_matroska_with_codec_private() {
        let config = FileConfig {
            video: Some(VideoTrack {
                codec: VideoCodec::H264,
                width: 0,
                height: 0,
                codec_private: vec![1, 0x42, 0xC0, 0x1F],
            }),
            audio_channels: None,
        };
        assert!(!is_webm(&config));
        let mut ops = Vec::new();
        Muxer::start(&config, &mut ops);
        let file = apply(&ops);
        assert!(find(&file, b"matroska").is_some());
        assert!(find(&file, b"V_MPEG4/ISO/AVC").is_some());
        assert!(find(&file, &[0x63, 0xA2, 0x84, 1, 0x42, 0xC0, 0x1F]).is_some());
    }

    #[test]
    fn an_audio_only_file_cues_its_clusters_on_the_audio_track() {
        let config = FileConfig {
            video: None,
            audio_channels: Some(2),
        };
        let mut ops = Vec::new();
        let mut m = Muxer::start(&config, &mut ops);
        m.write(Track::Audio, 0, false, &[1], &mut ops);
        m.write(Track::Audio, MAX_CLUSTER_MS, false, &[1], &mut ops);
        assert_eq!(m.cues.len(), 2);
        assert_eq!(m.audio_number, 1);
    }
}
