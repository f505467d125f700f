//! RTP fixed header (RFC 3550 section 5.1) parsing and in-place rewriting.

/// Why a buffer is not a usable RTP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header or than what the header announces.
    Truncated,
    /// Version field is not 2.
    BadVersion,
    /// Padding count larger than the payload.
    BadPadding,
}

/// The facts of an RTP header; offsets are from the start of the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    pub padding: bool,
    pub csrc_count: u8,
    pub marker: bool,
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Offset and length (including its 4-byte preamble) of the header
    /// extension, when the X bit is set.
    pub extension: Option<(usize, usize)>,
    pub payload_offset: usize,
    /// Payload length, padding excluded.
    pub payload_len: usize,
}

/// Smallest RTP packet: the fixed header.
pub const FIXED_HEADER: usize = 12;

/// Parses the header of `buf`.
pub fn parse(buf: &[u8]) -> Result<RtpHeader, RtpError> {
    if buf.len() < FIXED_HEADER {
        return Err(RtpError::Truncated);
    }
    let b0 = buf[0];
    if b0 >> 6 != 2 {
        return Err(RtpError::BadVersion);
    }
    let padding = b0 & 0x20 != 0;
    let has_ext = b0 & 0x10 != 0;
    let csrc_count = b0 & 0x0f;
    let mut offset = FIXED_HEADER + 4 * usize::from(csrc_count);
    if buf.len() < offset {
        return Err(RtpError::Truncated);
    }
    let mut extension = None;
    if has_ext {
        if buf.len() < offset + 4 {
            return Err(RtpError::Truncated);
        }
        let words = usize::from(u16::from_be_bytes([buf[offset + 2], buf[offset + 3]]));
        let len = 4 + 4 * words;
        if buf.len() < offset + len {
            return Err(RtpError::Truncated);
        }
        extension = Some((offset, len));
        offset += len;
    }
    let mut payload_len = buf.len() - offset;
    if padding {
        let pad = usize::from(buf[buf.len() - 1]);
        if pad == 0 || pad > payload_len {
            return Err(RtpError::BadPadding);
        }
        payload_len -= pad;
    }
    Ok(RtpHeader {
        padding,
        csrc_count,
        marker: buf[1] & 0x80 != 0,
        payload_type: buf[1] & 0x7f,
        seq: u16::from_be_bytes([buf[2], buf[3]]),
        timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
        ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
        extension,
        payload_offset: offset,
        payload_len,
    })
}

// The setters below assume `buf` has at least the fixed header, which
// `parse` has checked before any caller gets here.

/// Writes the sequence number in place.
pub fn set_seq(buf: &mut [u8], seq: u16) {
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
}

/// Writes the timestamp in place.
pub fn set_timestamp(buf: &mut [u8], ts: u32) {
    buf[4..8].copy_from_slice(&ts.to_be_bytes());
}

/// Writes the SSRC in place.
pub fn set_ssrc(buf: &mut [u8], ssrc: u32) {
    buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
}

/// Writes the payload type in place, keeping the marker bit.
pub fn set_payload_type(buf: &mut [u8], pt: u8) {
    buf[1] = (buf[1] & 0x80) | (pt & 0x7f);
}

/// Sets or clears the marker bit in place.
pub fn set_marker(buf: &mut [u8], marker: bool) {
    buf[1] = (buf[1] & 0x7f) | if marker { 0x80 } else { 0 };
}

/// Removes the header extension by moving the payload down over it and
/// clearing the X bit; returns the new length. Forwarded packets carry no
/// extensions because their IDs are negotiated per connection (Chromium's
/// abs-send-time ID 2 can be a subscriber's rid ID 2, and that subscriber
/// then decodes nothing).
pub fn strip_extension(buf: &mut [u8], header: &RtpHeader) -> usize {
    match header.extension {
        None => buf.len(),
        Some((offset, len)) => {
            buf.copy_within(offset + len.., offset);
            buf[0] &= !0x10;
            buf.len() - len
        }
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Builds a packet for tests: version 2, given fields and payload.
    pub fn packet(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, pt & 0x7f];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    fn with_extension_and_csrc() -> Vec<u8> {
        let mut p = vec![
            0x80 | 0x10 | 0x01,
            0x80 | 96,
            0x12,
            0x34,
            0,
            0,
            0,
            9,
            1,
            2,
            3,
            4,
        ];
        p.extend_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd]); // CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0x00, 0x01, 0x22, 0x01, 0x02, 0x00]); // one-byte ext
        p.extend_from_slice(&[9, 8, 7]);
        p
    }

    #[test]
    fn parse_reads_every_fixed_field() {
        let p = packet(111, 0xfffe, 0xdeadbeef, 0x01020304, &[1, 2, 3]);
        let h = parse(&p).unwrap();
        assert_eq!(
            (h.payload_type, h.seq, h.timestamp, h.ssrc),
            (111, 0xfffe, 0xdeadbeef, 0x01020304)
        );
        assert!(!h.marker && !h.padding);
        assert_eq!((h.payload_offset, h.payload_len), (12, 3));
    }

    #[test]
    fn parse_skips_csrcs_and_the_extension() {
        let p = with_extension_and_csrc();
        let h = parse(&p).unwrap();
        assert!(h.marker);
        assert_eq!(h.csrc_count, 1);
        assert_eq!(h.extension, Some((16, 8)));
        assert_eq!(h.payload_offset, 24);
        assert_eq!(&p[h.payload_offset..], &[9, 8, 7]);
    }

    #[test]
    fn parse_excludes_padding_from_the_payload() {
        let mut p = packet(96, 1, 2, 3, &[5, 5, 0, 0, 3]);
        p[0] |= 0x20;
        let h = parse(&p).unwrap();
        assert_eq!(h.payload_len, 2);
    }

    #[test]
    fn parse_rejects_bad_padding_counts() {
        let mut p = packet(96, 1, 2, 3, &[5, 9]);
        p[0] |= 0x20;
        assert_eq!(parse(&p), Err(RtpError::BadPadding));
        let last = p.len() - 1;
        p[last] = 0;
        assert_eq!(parse(&p), Err(RtpError::BadPadding));
    }

    #[test]
    fn parse_rejects_short_and_wrong_version_packets() {
        assert_eq!(parse(&[0x80; 11]), Err(RtpError::Truncated));
        let mut p = packet(96, 1, 2, 3, &[]);
        p[0] = 0x40;
        assert_eq!(parse(&p), Err(RtpError::BadVersion));
        let mut p = packet(96, 1, 2, 3, &[]);
        p[0] |= 0x02; // two CSRCs that are not there
        assert_eq!(parse(&p), Err(RtpError::Truncated));
        let mut p = with_extension_and_csrc();
        p[19] = 5; // extension longer than the packet
        assert_eq!(parse(&p), Err(RtpError::Truncated));
        let p = with_extension_and_csrc();
        assert_eq!(parse(&p[..18]), Err(RtpError::Truncated));
    }

    #[test]
    fn setters_rewrite_fields_in_place_and_keep_the_marker() {
        let mut p = packet(96, 1, 2, 3, &[7]);
        set_marker(&mut p, true);
        set_payload_type(&mut p, 100);
        set_seq(&mut p, 65535);
        set_timestamp(&mut p, u32::MAX);
        set_ssrc(&mut p, 0xcafe);
        let h = parse(&p).unwrap();
        assert!(h.marker);
        assert_eq!(
            (h.payload_type, h.seq, h.timestamp, h.ssrc),
            (100, 65535, u32::MAX, 0xcafe)
        );
        set_marker(&mut p, false);
        assert_eq!(parse(&p).unwrap().payload_type, 100);
        assert!(!parse(&p).unwrap().marker);
    }

    #[test]
    fn strip_extension_moves_the_payload_and_clears_x() {
        let mut p = with_extension_and_csrc();
        let h = parse(&p).unwrap();
        let n = strip_extension(&mut p, &h);
        p.truncate(n);
        let h2 = parse(&p).unwrap();
        assert_eq!(h2.extension, None);
        assert_eq!(h2.csrc_count, 1);
        assert_eq!(&p[h2.payload_offset..], &[9, 8, 7]);
        assert_eq!(h2.seq, 0x1234);
    }

    #[test]
    fn strip_extension_without_one_changes_nothing() {
        let mut p = packet(96, 1, 2, 3, &[1, 2]);
        let before = p.clone();
        let h = parse(&p).unwrap();
        assert_eq!(strip_extension(&mut p, &h), before.len());
        assert_eq!(p, before);
    }
}
