//! RTCP compound packets: the parts an SFU reads (RFC 3550 SR/RR/SDES/BYE,
//! RFC 4585 generic NACK and PLI, RFC 5104 FIR, draft-alvestrand-rmcat-remb)
//! and the ones it writes.

/// Why a compound packet could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtcpError {
    /// A packet is shorter than its header or length field says.
    Truncated,
    /// Version is not 2.
    BadVersion,
    /// The output buffer cannot hold the packet.
    BufferTooSmall,
    /// More items than the format can carry (31 report blocks, 255 SSRCs).
    TooMany,
}

/// One reception report block (RFC 3550 section 6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ReportBlock {
    pub ssrc: u32,
    pub fraction_lost: u8,
    /// 24-bit signed on the wire.
    pub cumulative_lost: i32,
    pub highest_seq: u32,
    pub jitter: u32,
    pub last_sr: u32,
    pub delay_since_last_sr: u32,
}

/// Sender information of an SR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SenderInfo {
    pub ntp: u64,
    pub rtp_timestamp: u32,
    pub packets: u32,
    pub octets: u32,
}

/// One fact found in a compound packet. Lists (report blocks, NACK pairs,
/// SSRCs) come as one item each, so no allocation is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    SenderReport {
        ssrc: u32,
        info: SenderInfo,
    },
    /// A report block of an SR or RR sent by `reporter`.
    Report {
        reporter: u32,
        block: ReportBlock,
    },
    /// A CNAME, as offset and length into the parsed buffer.
    Cname {
        ssrc: u32,
        offset: usize,
        len: usize,
    },
    Bye {
        ssrc: u32,
    },
    Nack {
        sender: u32,
        media: u32,
        pid: u16,
        blp: u16,
    },
    Pli {
        sender: u32,
        media: u32,
    },
    Fir {
        sender: u32,
        media: u32,
        seq: u8,
    },
    /// One REMB per listed SSRC; `media` is 0 when the list is empty.
    Remb {
        sender: u32,
        media: u32,
        bitrate: u64,
    },
}

const SR: u8 = 200;
const RR: u8 = 201;
const SDES: u8 = 202;
const BYE: u8 = 203;
const RTPFB: u8 = 205;
const PSFB: u8 = 206;

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn read_block(b: &[u8], at: usize) -> ReportBlock {
    let lost = be32(b, at + 4) & 0x00ff_ffff;
    // Sign-extend the 24-bit cumulative loss.
    let cumulative_lost = ((lost << 8) as i32) >> 8;
    ReportBlock {
        ssrc: be32(b, at),
        fraction_lost: b[at + 4],
        cumulative_lost,
        highest_seq: be32(b, at + 8),
        jitter: be32(b, at + 12),
        last_sr: be32(b, at + 16),
        delay_since_last_sr: be32(b, at + 20),
    }
}

/// Calls `visit` for every item of the compound packet `buf`; returns the
/// number of items. Unknown packet types are skipped. On a malformed packet
/// the items before it have already been visited.
pub fn parse<F: FnMut(Item)>(buf: &[u8], mut visit: F) -> Result<usize, RtcpError> {
    let mut at = 0;
    let mut n = 0;
    let mut emit = |item: Item| {
        n += 1;
        visit(item);
    };
    while at < buf.len() {
        if buf.len() - at < 4 {
            return Err(RtcpError::Truncated);
        }
        if buf[at] >> 6 != 2 {
            return Err(RtcpError::BadVersion);
        }
        let count = usize::from(buf[at] & 0x1f);
        let pt = buf[at + 1];
        let len = 4 * (usize::from(be16(buf, at + 2)) + 1);
        if buf.len() - at < len {
            return Err(RtcpError::Truncated);
        }
        let p = &buf[at..at + len];
        match pt {
            SR | RR => {
                let blocks_at = if pt == SR { 28 } else { 8 };
                if len < blocks_at + 24 * count {
                    return Err(RtcpError::Truncated);
                }
                let ssrc = be32(p, 4);
                if pt == SR {
                    let ntp = (u64::from(be32(p, 8)) << 32) | u64::from(be32(p, 12));
                    let info = SenderInfo {
                        ntp,
                        rtp_timestamp: be32(p, 16),
                        packets: be32(p, 20),
                        octets: be32(p, 24),
                    };
                    emit(Item::SenderReport { ssrc, info });
                }
                for i in 0..count {
                    emit(Item::Report {
                        reporter: ssrc,
                        block: read_block(p, blocks_at + 24 * i),
                    });
                }
            }
            SDES => parse_sdes(p, at, count, &mut emit)?,
            BYE => {
                if len < 4 + 4 * count {
                    return Err(RtcpError::Truncated);
                }
                for i in 0..count {
                    emit(Item::Bye {
                        ssrc: be32(p, 4 + 4 * i),
                    });
                }
            }
            RTPFB | PSFB => parse_feedback(p, pt, count as u8, &mut emit)?,
            _ => {}
        }
        at += len;
    }
    Ok(n)
}

fn parse_sdes<F: FnMut(Item)>(
    p: &[u8],
    base: usize,
    count: usize,
    emit: &mut F,
) -> Result<(), RtcpError> {
    let mut at = 4;
    for _ in 0..count {
        if p.len() < at + 4 {
            return Err(RtcpError::Truncated);
        }
        let ssrc = be32(p, at);
        at += 4;
        loop {
            let kind = *p.get(at).ok_or(RtcpError::Truncated)?;
            if kind == 0 {
                // The chunk ends with a null item and padding to 32 bits.
                at = (at + 4) & !3;
                break;
            }
            let len = usize::from(*p.get(at + 1).ok_or(RtcpError::Truncated)?);
            if p.len() < at + 2 + len {
                return Err(RtcpError::Truncated);
            }
            if kind == 1 {
                emit(Item::Cname {
                    ssrc,
                    offset: base + at + 2,
                    len,
                });
            }
            at += 2 + len;
        }
    }
    Ok(())
}

fn parse_feedback<F: FnMut(Item)>(
    p: &[u8],
    pt: u8,
    fmt: u8,
    emit: &mut F,
) -> Result<(), RtcpError> {
    if p.len() < 12 {
        return Err(RtcpError::Truncated);
    }
    let sender = be32(p, 4);
    let media = be32(p, 8);
    match (pt, fmt) {
        (RTPFB, 1) => {
            for fci in p[12..].chunks_exact(4) {
                emit(Item::Nack {
                    sender,
                    media,
                    pid: be16(fci, 0),
                    blp: be16(fci, 2),
                });
            }
        }
        (PSFB, 1) => emit(Item::Pli { sender, media }),
        (PSFB, 4) => {
            for fci in p[12..].chunks_exact(8) {
                emit(Item::Fir {
                    sender,
                    media: be32(fci, 0),
                    seq: fci[4],
                });
            }
        }
        (PSFB, 15) if p.len() >= 20 && &p[12..16] == b"REMB" => {
            let n = usize::from(p[16]);
            if p.len() < 20 + 4 * n {
                return Err(RtcpError::Truncated);
            }
            let exp = u32::from(p[17] >> 2);
            let mantissa = (u64::from(p[17] & 3) << 16) | u64::from(be16(p, 18));
            // An exponent above 46 would overflow; no real estimate is that large.
            let bitrate = mantissa
                .checked_shl(exp)
                .filter(|v| v >> exp == mantissa)
                .unwrap_or(u64::MAX);
            if n == 0 {
                emit(Item::Remb {
                    sender,
                    media: 0,
                    bitrate,
                });
            }
            for i in 0..n {
                emit(Item::Remb {
                    sender,
                    media: be32(p, 20 + 4 * i),
                    bitrate,
                });
            }
        }
        _ => {}
    }
    Ok(())
}

struct Writer<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl<'a> Writer<'a> {
    fn new(out: &'a mut [u8], bytes: usize) -> Result<Self, RtcpError> {
        if out.len() < bytes {
            return Err(RtcpError::BufferTooSmall);
        }
        Ok(Writer { out, at: 0 })
    }
    fn header(&mut self, count: u8, pt: u8, bytes: usize) {
        self.u8(0x80 | (count & 0x1f));
        self.u8(pt);
        self.u16((bytes / 4 - 1) as u16);
    }
    fn u8(&mut self, v: u8) {
        self.out[self.at] = v;
        self.at += 1;
    }
    fn u16(&mut self, v: u16) {
        self.out[self.at..self.at + 2].copy_from_slice(&v.to_be_bytes());
        self.at += 2;
    }
    fn u32(&mut self, v: u32) {
        self.out[self.at..self.at + 4].copy_from_slice(&v.to_be_bytes());
        self.at += 4;
    }
    fn block(&mut self, b: &ReportBlock) {
        self.u32(b.ssrc);
        let lost = (b.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32) & 0x00ff_ffff;
        self.u32((u32::from(b.fraction_lost) << 24) | lost);
        self.u32(b.highest_seq);
        self.u32(b.jitter);
        self.u32(b.last_sr);
        self.u32(b.delay_since_last_sr);
    }
}

/// Writes a Receiver Report; returns its length.
pub fn write_rr(out: &mut [u8], ssrc: u32, blocks: &[ReportBlock]) -> Result<usize, RtcpError> {
    if blocks.len() > 31 {
        return Err(RtcpError::TooMany);
    }
    let bytes = 8 + 24 * blocks.len();
    let mut w = Writer::new(out, bytes)?;
    w.header(blocks.len() as u8, RR, bytes);
    w.u32(ssrc);
    blocks.iter().for_each(|b| w.block(b));
    Ok(bytes)
}

/// Writes a Sender Report; returns its length.
pub fn write_sr(
    out: &mut [u8],
    ssrc: u32,
    info: &SenderInfo,
    blocks: &[ReportBlock],
) -> Result<usize, RtcpError> {
    if blocks.len() > 31 {
        return Err(RtcpError::TooMany);
    }
    let bytes = 28 + 24 * blocks.len();
    let mut w = Writer::new(out, bytes)?;
    w.header(blocks.len() as u8, SR, bytes);
    w.u32(ssrc);
    w.u32((info.ntp >> 32) as u32);
    w.u32(info.ntp as u32);
    w.u32(info.rtp_timestamp);
    w.u32(info.packets);
    w.u32(info.octets);
    blocks.iter().for_each(|b| w.block(b));
    Ok(bytes)
}

/// Writes a generic NACK with `(pid, blp)` pairs; returns its length.
pub fn write_nack(
    out: &mut [u8],
    sender: u32,
    media: u32,
    pairs: &[(u16, u16)],
) -> Result<usize, RtcpError> {
    let bytes = 12 + 4 * pairs.len();
    if bytes / 4 - 1 > usize::from(u16::MAX) {
        return Err(RtcpError::TooMany);
    }
    let mut w = Writer::new(out, bytes)?;
    w.header(1, RTPFB, bytes);
    w.u32(sender);
    w.u32(media);
    for &(pid, blp) in pairs {
        w.u16(pid);
        w.u16(blp);
    }
    Ok(bytes)
}

/// Writes a Picture Loss Indication; returns its length (12).
pub fn write_pli(out: &mut [u8], sender: u32, media: u32) -> Result<usize, RtcpError> {
    let mut w = Writer::new(out, 12)?;
    w.header(1, PSFB, 12);
    w.u32(sender);
    w.u32(media);
    Ok(12)
}

/// Writes a REMB for `ssrcs` with `bitrate` in bit/s; returns its length.
/// The bitrate is encoded with the smallest exponent that fits the 18-bit
/// mantissa, rounding down.
pub fn write_remb(
    out: &mut [u8],
    sender: u32,
    bitrate: u64,
    ssrcs: &[u32],
) -> Result<usize, RtcpError> {
    if ssrcs.len() > 255 {
        return Err(RtcpError::TooMany);
    }
    let bytes = 20 + 4 * ssrcs.len();
    let mut w = Writer::new(out, bytes)?;
    let mut exp = 0u32;
    while exp < 63 && (bitrate >> exp) >= (1 << 18) {
        exp += 1;
    }
    let mantissa = ((bitrate >> exp) as u32) & 0x3_ffff;
    w.header(15, PSFB, bytes);
    w.u32(sender);
    w.u32(0); // media SSRC is unused in REMB
    w.u32(u32::from_be_bytes(*b"REMB"));
    w.u8(ssrcs.len() as u8);
    w.u8(((exp as u8) << 2) | (mantissa >> 16) as u8);
    w.u16(mantissa as u16);
    ssrcs.iter().for_each(|&s| w.u32(s));
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(buf: &[u8]) -> Vec<Item> {
        let mut v = Vec::new();
        parse(buf, |i| v.push(i)).unwrap();
        v
    }

    fn block(ssrc: u32) -> ReportBlock {
        ReportBlock {
            ssrc,
            fraction_lost: 25,
            cumulative_lost: -3,
            highest_seq: 0x0001_0005,
            jitter: 77,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        }
    }

    #[test]
    fn rr_round_trips_with_negative_cumulative_loss() {
        let mut out = [0u8; 64];
        let n = write_rr(&mut out, 9, &[block(1), block(2)]).unwrap();
        assert_eq!(n, 56);
        assert_eq!(
            items(&out[..n]),
            vec![
                Item::Report {
                    reporter: 9,
                    block: block(1)
                },
                Item::Report {
                    reporter: 9,
                    block: block(2)
                },
            ]
        );
    }

    #[test]
    fn sr_round_trips_with_its_sender_info() {
        let info = SenderInfo {
            ntp: 0xe000_0001_8000_0000,
            rtp_timestamp: 90000,
            packets: 10,
            octets: 12000,
        };
        let mut out = [0u8; 64];
        let n = write_sr(&mut out, 7, &info, &[block(3)]).unwrap();
        assert_eq!(
            items(&out[..n]),
            vec![
                Item::SenderReport { ssrc: 7, info },
                Item::Report {
                    reporter: 7,
                    block: block(3)
                },
            ]
        );
    }

    #[test]
    fn cumulative_loss_is_clamped_to_24_bits() {
        let mut b = block(1);
        b.cumulative_lost = 10_000_000;
        let mut out = [0u8; 32];
        let n = write_rr(&mut out, 9, &[b]).unwrap();
        match items(&out[..n])[0] {
            Item::Report { block, .. } => assert_eq!(block.cumulative_lost, 0x7f_ffff),
            ref other => panic!("unexpected {:?}", other),
        }
    }

    #[test]
    fn nack_and_pli_round_trip_in_one_compound() {
        let mut out = [0u8; 64];
        let a = write_nack(&mut out, 1, 2, &[(65535, 0b101), (3, 0)]).unwrap();
        let b = write_pli(&mut out[a..], 1, 2).unwrap();
        assert_eq!(
            items(&out[..a + b]),
            vec![
                Item::Nack {
                    sender: 1,
                    media: 2,
                    pid: 65535,
                    blp: 0b101
                },
                Item::Nack {
                    sender: 1,
                    media: 2,
                    pid: 3,
                    blp: 0
                },
                Item::Pli {
                    sender: 1,
                    media: 2
                },
            ]
        );
    }

    #[test]
    fn remb_round_trips_small_and_large_bitrates() {
        let mut out = [0u8; 64];
        for &(rate, expect) in &[
            (100_000u64, 100_000u64),
            (262_143, 262_143),
            (1_000_000_000, 999_997_440),
        ] {
            let n = write_remb(&mut out, 5, rate, &[10, 11]).unwrap();
            assert_eq!(
                items(&out[..n]),
                vec![
                    Item::Remb {
                        sender: 5,
                        media: 10,
                        bitrate: expect
                    },
                    Item::Remb {
                        sender: 5,
                        media: 11,
                        bitrate: expect
                    },
                ]
            );
        }
    }

    #[test]
    fn remb_without_ssrcs_is_still_reported() {
        let mut out = [0u8; 32];
        let n = write_remb(&mut out, 5, 300_000, &[]).unwrap();
        assert_eq!(
            items(&out[..n]),
            vec![Item::Remb {
                sender: 5,
                media: 0,
                bitrate: 300_000
            }]
        );
    }

    #[test]
    fn sdes_cname_bye_and_fir_are_read() {
        let mut p = vec![
            0x81, 202, 0, 3, 0, 0, 0, 42, 1, 3, b'a', b'b', b'c', 0, 0, 0,
        ];
        p.extend_from_slice(&[0x82, 203, 0, 2, 0, 0, 0, 42, 0, 0, 0, 43]);
        p.extend_from_slice(&[
            0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42, 7, 0, 0, 0,
        ]);
        let v = items(&p);
        assert_eq!(
            v,
            vec![
                Item::Cname {
                    ssrc: 42,
                    offset: 10,
                    len: 3
                },
                Item::Bye { ssrc: 42 },
                Item::Bye { ssrc: 43 },
                Item::Fir {
                    sender: 1,
                    media: 42,
                    seq: 7
                },
            ]
        );
        assert_eq!(&p[10..13], b"abc");
    }

    #[test]
    fn unknown_packet_types_are_skipped() {
        let mut p = vec![0x80, 204, 0, 1, 0, 0, 0, 1];
        let mut out = [0u8; 12];
        write_pli(&mut out, 3, 4).unwrap();
        p.extend_from_slice(&out);
        assert_eq!(
            items(&p),
            vec![Item::Pli {
                sender: 3,
                media: 4
            }]
        );
    }

    #[test]
    fn malformed_compounds_are_rejected_after_the_good_part() {
        let mut out = [0u8; 32];
        let n = write_pli(&mut out, 3, 4).unwrap();
        let mut seen = 0;
        assert_eq!(
            parse(&out[..n + 2], |_| seen += 1),
            Err(RtcpError::Truncated)
        );
        assert_eq!(seen, 1);
        assert_eq!(
            parse(&[0x40, 201, 0, 0], |_| {}),
            Err(RtcpError::BadVersion)
        );
        assert_eq!(
            parse(&[0x81, 201, 0, 1, 0, 0, 0, 1], |_| {}),
            Err(RtcpError::Truncated)
        );
        assert_eq!(
            parse(&[0x81, 202, 0, 1, 0, 0, 0, 1], |_| {}),
            Err(RtcpError::Truncated)
        );
        assert_eq!(
            parse(&[0x81, 205, 0, 1, 0, 0, 0, 1], |_| {}),
            Err(RtcpError::Truncated)
        );
    }

    #[test]
    fn writers_refuse_small_buffers_and_long_lists() {
        let mut small = [0u8; 11];
        assert_eq!(write_pli(&mut small, 1, 2), Err(RtcpError::BufferTooSmall));
        assert_eq!(write_rr(&mut small, 1, &[]).unwrap(), 8);
        let mut out = [0u8; 2048];
        assert_eq!(
            write_rr(&mut out, 1, &[block(1); 32]),
            Err(RtcpError::TooMany)
        );
        assert_eq!(
            write_remb(&mut out, 1, 1, &[0; 256]),
            Err(RtcpError::TooMany)
        );
    }
}
