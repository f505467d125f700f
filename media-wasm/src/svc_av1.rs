//! AV1's layers for forwarding: the Dependency Descriptor RTP header
//! extension (AV1 RTP payload format, appendix A). A keyframe's descriptor
//! carries the template dependency structure (each template's spatial and
//! temporal layer and decode target indications); every packet names its
//! template, so the structure is kept per up track ([`Av1Structure`]) and
//! each packet is read against it ([`read`]). Also finds an extension
//! element by id in an RTP header extension block (RFC 8285).

/// The extension's URI, as negotiated in SDP.
pub const DEPENDENCY_DESCRIPTOR_URI: &str =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

/// Most templates a structure may have (6-bit template ids).
const MAX_TEMPLATES: usize = 64;

/// Decode target indication: the frame's role for one decode target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dti {
    NotPresent = 0,
    Discardable = 1,
    Switch = 2,
    Required = 3,
}

impl Dti {
    fn from_bits(v: u32) -> Dti {
        match v & 3 {
            0 => Dti::NotPresent,
            1 => Dti::Discardable,
            2 => Dti::Switch,
            _ => Dti::Required,
        }
    }
}

/// A template dependency structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Av1Structure {
    id_offset: u8,
    targets: u8,
    /// (spatial id, temporal id) of each template.
    layers: Vec<(u8, u8)>,
    /// Each template's DTIs, 2 bits per decode target.
    dtis: Vec<u64>,
    /// (spatial id, temporal id) of each decode target.
    target_layers: Vec<(u8, u8)>,
}

/// What one packet's descriptor says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Av1Frame {
    pub start_of_frame: bool,
    pub end_of_frame: bool,
    pub frame_number: u16,
    pub sid: u8,
    pub tid: u8,
    /// Bit t: the frame is a switch point (DTI "switch") of the decode
    /// target of its spatial layer and temporal layers 0..=t, which may
    /// start with it.
    pub switch_targets: u8,
}

/// Why a descriptor could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Av1Error {
    Truncated,
    /// The template id is not in the structure known (or none is).
    UnknownTemplate,
    Malformed,
}

struct Bits<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn f(&mut self, n: u32) -> Result<u32, Av1Error> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.data.get(self.at / 8).ok_or(Av1Error::Truncated)?;
            v = (v << 1) | u32::from((byte >> (7 - self.at % 8)) & 1);
            self.at += 1;
        }
        Ok(v)
    }

    /// Non-symmetric unsigned value below `n` (AV1 spec 4.10.7).
    fn ns(&mut self, n: u32) -> Result<u32, Av1Error> {
        let mut w = 0;
        let mut x = n;
        while x != 0 {
            x >>= 1;
            w += 1;
        }
        if w == 0 {
            return Ok(0);
        }
        let m = (1u32 << w) - n;
        let v = self.f(w - 1)?;
        if v < m {
            return Ok(v);
        }
        let extra = self.f(1)?;
        Ok((v << 1) - m + extra)
    }
}

fn read_structure(b: &mut Bits) -> Result<Av1Structure, Av1Error> {
    let id_offset = b.f(6)? as u8;
    let targets = b.f(5)? as usize + 1;
    let mut layers = Vec::new();
    let (mut sid, mut tid) = (0u8, 0u8);
    loop {
        if layers.len() == MAX_TEMPLATES {
            return Err(Av1Error::Malformed);
        }
        layers.push((sid, tid));
        match b.f(2)? {
            0 => {}
            1 => tid = tid.checked_add(1).ok_or(Av1Error::Malformed)?,
            2 => {
                tid = 0;
                sid = sid.checked_add(1).ok_or(Av1Error::Malformed)?;
            }
            _ => break,
        }
    }
    let mut dtis = vec![0u64; layers.len()];
    for d in dtis.iter_mut() {
        for t in 0..targets {
            *d |= u64::from(b.f(2)?) << (2 * t);
        }
    }
    // Template fdiffs: skipped (references are the decoder's business).
    for _ in 0..layers.len() {
        while b.f(1)? == 1 {
            b.f(4)?;
        }
    }
    let chains = b.ns(targets as u32 + 1)?;
    if chains > 0 {
        for _ in 0..targets {
            b.ns(chains)?;
        }
        for _ in 0..layers.len() * chains as usize {
            b.f(4)?;
        }
    }
    // Decode target layers: the highest layers each target includes.
    let target_layers = (0..targets)
        .map(|t| {
            layers
                .iter()
                .zip(dtis.iter())
                .filter(|(_, d)| (*d >> (2 * t)) & 3 != 0)
                .fold((0, 0), |(s, t), (l, _)| (s.max(l.0), t.max(l.1)))
        })
        .collect();
    if b.f(1)? == 1 {
        for _ in 0..=sid {
            b.f(32)?; // render width and height, minus one
        }
    }
    Ok(Av1Structure {
        id_offset,
        targets: targets as u8,
        layers,
        dtis,
        target_layers,
    })
}

/// Reads one packet's descriptor; a structure in it replaces `structure`.
pub fn read(data: &[u8], structure: &mut Option<Av1Structure>) -> Result<Av1Frame, Av1Error> {
    let mut b = Bits { data, at: 0 };
    let start_of_frame = b.f(1)? == 1;
    let end_of_frame = b.f(1)? == 1;
    let template_id = b.f(6)? as u8;
    let frame_number = b.f(16)? as u16;
    let mut custom_dtis = false;
    if data.len() > 3 {
        let has_structure = b.f(1)? == 1;
        let active_targets = b.f(1)? == 1;
        custom_dtis = b.f(1)? == 1;
        b.f(2)?; // custom fdiffs, custom chains
        if has_structure {
            *structure = Some(read_structure(&mut b)?);
        }
        if active_targets {
            let s = structure.as_ref().ok_or(Av1Error::UnknownTemplate)?;
            b.f(u32::from(s.targets))?;
        }
    }
    let s = structure.as_ref().ok_or(Av1Error::UnknownTemplate)?;
    let index =
        (usize::from(template_id) + MAX_TEMPLATES - usize::from(s.id_offset)) % MAX_TEMPLATES;
    let &(sid, tid) = s.layers.get(index).ok_or(Av1Error::UnknownTemplate)?;
    let mut dtis = s.dtis[index];
    if custom_dtis {
        dtis = 0;
        for t in 0..s.targets {
            dtis |= u64::from(b.f(2)?) << (2 * t);
        }
    }
    let mut switch_targets = 0u8;
    for (t, &(ts, tt)) in s.target_layers.iter().enumerate() {
        let dti = Dti::from_bits((dtis >> (2 * t)) as u32);
        if ts == sid && tt < 8 && dti == Dti::Switch {
            switch_targets |= 1 << tt;
        }
    }
    Ok(Av1Frame {
        start_of_frame,
        end_of_frame,
        frame_number,
        sid,
        tid,
        switch_targets,
    })
}

/// The data of extension element `id` in an RTP header extension block
/// (its 4-byte preamble included), one-byte or two-byte form (RFC 8285).
pub fn find_element(block: &[u8], id: u8) -> Option<&[u8]> {
    let profile = u16::from_be_bytes([*block.first()?, *block.get(1)?]);
    let body = block.get(4..)?;
    let mut at = 0;
    while at < body.len() {
        let (eid, len, head) = if profile == 0xbede {
            let b = body[at];
            if b == 0 {
                at += 1;
                continue;
            }
            let eid = b >> 4;
            if eid == 15 {
                return None;
            }
            (eid, usize::from(b & 0x0f) + 1, 1)
        } else if profile & 0xfff0 == 0x1000 {
            let eid = body[at];
            if eid == 0 {
                at += 1;
                continue;
            }
            (eid, usize::from(*body.get(at + 1)?), 2)
        } else {
            return None;
        };
        let data = body.get(at + head..at + head + len)?;
        if eid == id {
            return Some(data);
        }
        at += head + len;
    }
    None
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Writes bits MSB first.
    struct Writer {
        bytes: Vec<u8>,
        bits: usize,
    }

    impl Writer {
        fn new() -> Self {
            Writer {
                bytes: Vec::new(),
                bits: 0,
            }
        }
        fn put(&mut self, n: u32, v: u32) -> &mut Self {
            for i in (0..n).rev() {
                if self.bits % 8 == 0 {
                    self.bytes.push(0);
                }
                let bit = ((v >> i) & 1) as u8;
                *self.bytes.last_mut().unwrap() |= bit << (7 - self.bits % 8);
                self.bits += 1;
            }
            self
        }
    }

    /// The L1T3 structure libwebrtc sends: templates (sid, tid) 0:(0,0)
    /// key, 1:(0,0), 2:(0,1), 3:(0,2), 4:(0,2) with DTIs SSS, SSS, -DS,
    /// --D, --D for decode targets T0, T0-1, T0-2; one chain.
    pub fn l1t3_keyframe(template: u32, frame: u32) -> Vec<u8> {
        l1t3_keyframe_at(template, frame, 0)
    }

    fn l1t3_keyframe_at(template: u32, frame: u32, offset: u32) -> Vec<u8> {
        let mut w = Writer::new();
        w.put(1, 1).put(1, 1).put(6, template).put(16, frame);
        // structure present, no active targets, no custom fields
        w.put(1, 1).put(1, 0).put(1, 0).put(1, 0).put(1, 0);
        w.put(6, offset).put(5, 2); // 3 decode targets
                                    // next_layer_idc: same, +tid, +tid, same, end
        w.put(2, 0).put(2, 1).put(2, 1).put(2, 0).put(2, 3);
        // DTIs (S=2, R=3, D=1, -=0) per template, targets 0..2
        for dtis in [[2, 2, 2], [2, 2, 2], [0, 1, 2], [0, 0, 1], [0, 0, 1]] {
            for d in dtis {
                w.put(2, d);
            }
        }
        // fdiffs: none, [4], [2], [1], [1]
        w.put(1, 0);
        for fd in [4, 2, 1, 1] {
            w.put(1, 1).put(4, fd - 1).put(1, 0);
        }
        // chains: ns(4) = 1 chain (w=3, m=4, v=1 in 2 bits), targets
        // protected by chain 0 (ns(1) reads nothing), 4-bit fdiffs.
        w.put(2, 1);
        for _ in 0..5 {
            w.put(4, 0);
        }
        w.put(1, 0); // no resolutions
        w.bytes
    }

    pub fn plain(template: u32, frame: u32, custom_dtis: Option<[u32; 3]>) -> Vec<u8> {
        let mut w = Writer::new();
        w.put(1, 1).put(1, 1).put(6, template).put(16, frame);
        if let Some(d) = custom_dtis {
            w.put(1, 0).put(1, 0).put(1, 1).put(1, 0).put(1, 0);
            for v in d {
                w.put(2, v);
            }
        }
        w.bytes
    }

    #[test]
    fn a_keyframe_structure_gives_layers_to_later_templates() {
        let mut s = None;
        let f = read(&l1t3_keyframe(0, 100), &mut s).unwrap();
        assert_eq!((f.sid, f.tid, f.frame_number), (0, 0, 100));
        assert!(f.start_of_frame && f.end_of_frame);
        assert_eq!(f.switch_targets, 0b111);
        let st = s.clone().unwrap();
        assert_eq!(st.layers, vec![(0, 0), (0, 0), (0, 1), (0, 2), (0, 2)]);
        assert_eq!(st.target_layers, vec![(0, 0), (0, 1), (0, 2)]);
        // A TL1 frame is a switch point to T0-2 only; TL2 frames to none.
        let layers: Vec<(u8, u8, u8)> = [3, 2, 4, 1]
            .iter()
            .map(|&t| {
                let f = read(&plain(t, 101, None), &mut s).unwrap();
                (f.sid, f.tid, f.switch_targets)
            })
            .collect();
        assert_eq!(
            layers,
            vec![(0, 2, 0), (0, 1, 0b100), (0, 2, 0), (0, 0, 0b111)]
        );
    }

    #[test]
    fn custom_dtis_override_the_templates() {
        let mut s = None;
        read(&l1t3_keyframe(0, 1), &mut s).unwrap();
        let f = read(&plain(3, 2, Some([0, 0, 2])), &mut s).unwrap();
        assert_eq!((f.tid, f.switch_targets), (2, 0b100));
    }

    #[test]
    fn template_ids_wrap_around_the_offset() {
        let mut s = None;
        // Offset 62: template ids 62, 63, 0, 1, 2 are templates 0..4.
        let key = l1t3_keyframe_at(62, 1, 62);
        assert_eq!(read(&key, &mut s).unwrap().tid, 0);
        assert_eq!(read(&plain(0, 2, None), &mut s).unwrap().tid, 1);
        assert_eq!(read(&plain(2, 3, None), &mut s).unwrap().tid, 2);
        assert_eq!(
            read(&plain(3, 4, None), &mut s),
            Err(Av1Error::UnknownTemplate)
        );
    }

    #[test]
    fn without_a_structure_or_with_truncation_it_says_so() {
        let mut s = None;
        assert_eq!(
            read(&plain(1, 1, None), &mut s),
            Err(Av1Error::UnknownTemplate)
        );
        let key = l1t3_keyframe(0, 1);
        for n in 0..key.len() - 1 {
            let mut s = None;
            assert!(read(&key[..n], &mut s).is_err(), "length {}", n);
        }
    }

    #[test]
    fn elements_are_found_in_both_extension_forms() {
        // One-byte: id 3 (2 bytes), padding, id 5 (1 byte).
        let one = [0xbe, 0xde, 0, 2, 0x31, 0xaa, 0xbb, 0, 0x50, 0xcc, 0, 0];
        assert_eq!(find_element(&one, 5), Some(&[0xcc][..]));
        assert_eq!(find_element(&one, 3), Some(&[0xaa, 0xbb][..]));
        assert_eq!(find_element(&one, 4), None);
        // Two-byte: id 12 with 20 bytes.
        let mut two = vec![0x10, 0x00, 0, 6, 12, 20];
        two.extend(1..=20u8);
        two.extend([0, 0]);
        assert_eq!(find_element(&two, 12).map(|d| d.len()), Some(20));
        assert_eq!(find_element(&two[..10], 12), None);
    }
}
