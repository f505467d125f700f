//! Writing EBML (RFC 8794): element IDs, variable-size integers and the
//! element kinds a Matroska muxer needs. Writing only; nothing here reads.

/// Length of the size field we reserve when a size is patched later: eight
/// bytes hold any size a file can reach (RFC 8794 §4.4).
pub const PATCHABLE_SIZE_LEN: usize = 8;

/// The Void element (RFC 8794 §11.3.1), used to reserve room.
pub const VOID: u32 = 0xEC;

/// Appends an element ID as stored: its marker bits are part of the value,
/// so the ID is its big-endian bytes without leading zero bytes.
pub fn put_id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = ((id.leading_zeros() / 8) as usize).min(3);
    out.extend_from_slice(&bytes[skip..]);
}

/// The shortest length of a size field for `size`. A field whose data bits
/// are all ones means "unknown" (RFC 8794 §6.2), so such values go one longer.
pub fn size_len(size: u64) -> usize {
    let mut len = 1;
    while len < 8 && size >= (1u64 << (7 * len)) - 1 {
        len += 1;
    }
    len
}

/// Appends `size` as a size field of exactly `len` bytes (1..=8).
/// `size` must fit: below `2^(7*len) - 1`.
pub fn put_size_fixed(out: &mut Vec<u8>, size: u64, len: usize) {
    debug_assert!((1..=8).contains(&len) && size < (1u64 << (7 * len)) - 1);
    let v = size | (1u64 << (7 * len));
    out.extend_from_slice(&v.to_be_bytes()[8 - len..]);
}

/// Appends `size` as the shortest size field.
pub fn put_size(out: &mut Vec<u8>, size: u64) {
    put_size_fixed(out, size, size_len(size));
}

/// The eight-byte size field meaning "unknown size" (RFC 8794 §6.2): a
/// Segment written this way stays readable when the writer dies.
pub const UNKNOWN_SIZE: [u8; 8] = [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/// Appends an unsigned integer element in the fewest bytes (at least one).
pub fn put_uint(out: &mut Vec<u8>, id: u32, value: u64) {
    let len = (8 - (value.leading_zeros() / 8) as usize).max(1);
    put_id(out, id);
    put_size(out, len as u64);
    out.extend_from_slice(&value.to_be_bytes()[8 - len..]);
}

/// Appends an unsigned integer element in exactly eight bytes, so that a
/// value written later takes the same room.
pub fn put_uint8(out: &mut Vec<u8>, id: u32, value: u64) {
    put_id(out, id);
    put_size(out, 8);
    out.extend_from_slice(&value.to_be_bytes());
}

/// Appends an 8-byte float element.
pub fn put_float(out: &mut Vec<u8>, id: u32, value: f64) {
    put_id(out, id);
    put_size(out, 8);
    out.extend_from_slice(&value.to_bits().to_be_bytes());
}

/// Appends a binary (or ASCII/UTF-8 string) element.
pub fn put_bytes(out: &mut Vec<u8>, id: u32, value: &[u8]) {
    put_id(out, id);
    put_size(out, value.len() as u64);
    out.extend_from_slice(value);
}

/// Appends a master element whose children are already serialised.
pub fn put_master(out: &mut Vec<u8>, id: u32, children: &[u8]) {
    put_bytes(out, id, children);
}

/// Appends a Void element of exactly `total` bytes, header included.
/// `total` must be at least 2 (an ID byte and a size byte).
pub fn put_void(out: &mut Vec<u8>, total: usize) {
    debug_assert!(total >= 2);
    put_id(out, VOID);
    // A one-byte size covers up to 126 data bytes; beyond, use eight.
    if total - 2 < 127 {
        put_size_fixed(out, (total - 2) as u64, 1);
        out.resize(out.len() + total - 2, 0);
    } else {
        put_size_fixed(out, (total - 9) as u64, 8);
        out.resize(out.len() + total - 9, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut v = Vec::new();
        f(&mut v);
        v
    }

    #[test]
    fn ids_keep_their_marker_bits_and_drop_leading_zero_bytes() {
        assert_eq!(bytes(|o| put_id(o, 0xEC)), [0xEC]);
        assert_eq!(bytes(|o| put_id(o, 0x4286)), [0x42, 0x86]);
        assert_eq!(bytes(|o| put_id(o, 0x2AD7B1)), [0x2A, 0xD7, 0xB1]);
        assert_eq!(bytes(|o| put_id(o, 0x1A45DFA3)), [0x1A, 0x45, 0xDF, 0xA3]);
    }

    #[test]
    fn sizes_take_the_shortest_form_that_is_not_all_ones() {
        assert_eq!(bytes(|o| put_size(o, 0)), [0x80]);
        assert_eq!(bytes(|o| put_size(o, 126)), [0xFE]);
        // 127 in one byte would be 0xFF, the "unknown" marker.
        assert_eq!(bytes(|o| put_size(o, 127)), [0x40, 0x7F]);
        assert_eq!(bytes(|o| put_size(o, 16382)), [0x7F, 0xFE]);
        assert_eq!(bytes(|o| put_size(o, 16383)), [0x20, 0x3F, 0xFF]);
        assert_eq!(size_len((1 << 56) - 2), 8);
    }

    #[test]
    fn a_fixed_size_field_pads_with_zero_data_bits() {
        assert_eq!(
            bytes(|o| put_size_fixed(o, 5, 8)),
            [0x01, 0, 0, 0, 0, 0, 0, 5]
        );
        assert_eq!(bytes(|o| put_size_fixed(o, 5, 2)), [0x40, 0x05]);
    }

    #[test]
    fn uints_use_the_fewest_bytes_and_zero_takes_one() {
        assert_eq!(bytes(|o| put_uint(o, 0xD7, 0)), [0xD7, 0x81, 0x00]);
        assert_eq!(bytes(|o| put_uint(o, 0xD7, 1)), [0xD7, 0x81, 0x01]);
        assert_eq!(
            bytes(|o| put_uint(o, 0x2AD7B1, 1_000_000)),
            [0x2A, 0xD7, 0xB1, 0x83, 0x0F, 0x42, 0x40]
        );
        assert_eq!(
            bytes(|o| put_uint8(o, 0x53AC, 0x1234)),
            [0x53, 0xAC, 0x88, 0, 0, 0, 0, 0, 0, 0x12, 0x34]
        );
    }

    #[test]
    fn floats_are_eight_byte_ieee_754_big_endian() {
        // 48000.0 = 0x40E7700000000000
        assert_eq!(
            bytes(|o| put_float(o, 0xB5, 48000.0)),
            [0xB5, 0x88, 0x40, 0xE7, 0x70, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn strings_and_masters_carry_their_length() {
        assert_eq!(
            bytes(|o| put_bytes(o, 0x4282, b"webm")),
            [0x42, 0x82, 0x84, b'w', b'e', b'b', b'm']
        );
        assert_eq!(
            bytes(|o| put_master(o, 0xE0, &[0xB0, 0x81, 0x10])),
            [0xE0, 0x83, 0xB0, 0x81, 0x10]
        );
    }

    #[test]
    fn voids_fill_exactly_the_room_asked_for() {
        assert_eq!(bytes(|o| put_void(o, 2)), [0xEC, 0x80]);
        assert_eq!(bytes(|o| put_void(o, 11)).len(), 11);
        assert_eq!(bytes(|o| put_void(o, 128)).len(), 128);
        let big = bytes(|o| put_void(o, 129));
        assert_eq!(big.len(), 129);
        assert_eq!(&big[..9], [0xEC, 0x01, 0, 0, 0, 0, 0, 0, 120]);
    }

    #[test]
    fn the_unknown_size_is_eight_bytes_of_ones_after_the_marker() {
        assert_eq!(UNKNOWN_SIZE[0], 0x01);
        assert!(UNKNOWN_SIZE[1..].iter().all(|&b| b == 0xFF));
    }
}
