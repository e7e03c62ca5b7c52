//! Property tests for everything that reads server bytes: no parser panics on any input (random,
//! or a valid message with one byte changed or cut), record and handshake reassembly does not
//! depend on how the bytes are chunked, and what a small test-side encoder writes is read back
//! exactly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use vigil_tls_wire::WireError;
use vigil_tls_wire::client_hello::ext;
use vigil_tls_wire::record::{
    HandshakeJoiner, MAX_HANDSHAKE_MESSAGE, MAX_RECORD_PAYLOAD, Record, RecordReader,
};
use vigil_tls_wire::server::{
    HELLO_RETRY_RANDOM, KeyExchangeParams, ServerHello, parse_alert, parse_certificate_list,
    parse_certificate_status, parse_dhe_params, parse_ecdhe_params, parse_server_hello,
    parse_sslv2_server_hello,
};
use vigil_tls_wire::{AlertDescription, CipherSuite, NamedGroup, ProtocolVersion};

// ---- test-side encoders -------------------------------------------------------------------

fn put(out: &mut Vec<u8>, width: usize, body: &[u8]) {
    let len = body.len().to_be_bytes();
    out.extend_from_slice(&len[len.len() - width..]);
    out.extend_from_slice(body);
}

/// A ServerHello body; `extensions: None` leaves the extensions block out (SSL 3.0 style).
#[derive(Debug, Clone)]
struct Hello {
    version: u16,
    random: [u8; 32],
    session_id: Vec<u8>,
    suite: u16,
    compression: u8,
    extensions: Option<Vec<(u16, Vec<u8>)>>,
}

impl Hello {
    fn encode(&self) -> Vec<u8> {
        let mut b = self.version.to_be_bytes().to_vec();
        b.extend_from_slice(&self.random);
        put(&mut b, 1, &self.session_id);
        b.extend_from_slice(&self.suite.to_be_bytes());
        b.push(self.compression);
        if let Some(exts) = &self.extensions {
            let mut block = Vec::new();
            for (code, body) in exts {
                block.extend_from_slice(&code.to_be_bytes());
                put(&mut block, 2, body);
            }
            put(&mut b, 2, &block);
        }
        b
    }

    /// Length of the part every ServerHello has.
    fn fixed_len(&self) -> usize {
        2 + 32 + 1 + self.session_id.len() + 2 + 1
    }
}

fn arb_extensions() -> impl Strategy<Value = Vec<(u16, Vec<u8>)>> {
    prop::collection::vec(
        (any::<u16>(), prop::collection::vec(any::<u8>(), 0..300)),
        0..8,
    )
}

fn arb_hello() -> impl Strategy<Value = Hello> {
    (
        any::<u16>(),
        any::<[u8; 32]>(),
        prop::collection::vec(any::<u8>(), 0..=255),
        any::<u16>(),
        any::<u8>(),
        prop::option::of(arb_extensions()),
    )
        .prop_map(
            |(version, random, session_id, suite, compression, extensions)| Hello {
                version,
                random,
                session_id,
                suite,
                compression,
                extensions,
            },
        )
}

/// An SSL 2.0 SERVER-HELLO record with a 2-byte header, or a 3-byte one with `padding`.
fn sslv2_record(
    version: u16,
    cert: &[u8],
    specs: &[[u8; 3]],
    conn_id: &[u8],
    padding: Option<u8>,
) -> Vec<u8> {
    let spec_bytes: Vec<u8> = specs.iter().flatten().copied().collect();
    let mut body = vec![4, 0, 1];
    body.extend_from_slice(&version.to_be_bytes());
    for n in [cert.len(), spec_bytes.len(), conn_id.len()] {
        body.extend_from_slice(&(n as u16).to_be_bytes());
    }
    body.extend_from_slice(cert);
    body.extend_from_slice(&spec_bytes);
    body.extend_from_slice(conn_id);
    match padding {
        None => {
            let mut rec = ((body.len() as u16) | 0x8000).to_be_bytes().to_vec();
            rec.extend_from_slice(&body);
            rec
        }
        Some(pad) => {
            let len = body.len() + usize::from(pad);
            let mut rec = (len as u16 & 0x3fff).to_be_bytes().to_vec();
            rec.push(pad);
            rec.extend_from_slice(&body);
            rec.extend(std::iter::repeat_n(0, usize::from(pad)));
            rec
        }
    }
}

fn record_bytes(content_type: u8, version: u16, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type];
    r.extend_from_slice(&version.to_be_bytes());
    put(&mut r, 2, payload);
    r
}

// ---- running the framing layers --------------------------------------------------------------

/// What a reader produced from a stream: records, messages of the handshake records, and the
/// error that stopped it, if any.
#[derive(Debug, PartialEq)]
struct Read {
    records: Vec<Record>,
    messages: Vec<(u8, Vec<u8>)>,
    error: Option<WireError>,
}

/// Pushes `stream` in pieces of the given sizes (cycled; 0 counts as 1), draining after each.
fn read(stream: &[u8], sizes: &[usize]) -> Read {
    let mut records = RecordReader::new();
    let mut joiner = HandshakeJoiner::new();
    let mut out = Read {
        records: Vec::new(),
        messages: Vec::new(),
        error: None,
    };
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(usize::MAX);
        let (head, tail) = rest.split_at(n.clamp(1, rest.len()));
        rest = tail;
        i += 1;
        records.push(head);
        loop {
            match records.next_record() {
                Ok(Some(r)) => {
                    if r.content_type == 22 {
                        joiner.push(&r.payload);
                        loop {
                            match joiner.next_message() {
                                Ok(Some(m)) => out.messages.push(m),
                                Ok(None) => break,
                                Err(e) => {
                                    out.error = Some(e);
                                    return out;
                                }
                            }
                        }
                    }
                    out.records.push(r);
                }
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
    }
    out
}

/// A valid ServerHello to be damaged by the mutation properties.
fn sample_hello() -> Vec<u8> {
    Hello {
        version: 0x0303,
        random: HELLO_RETRY_RANDOM,
        session_id: vec![0x42; 32],
        suite: 0x1302,
        compression: 0,
        extensions: Some(vec![
            (ext::SUPPORTED_VERSIONS, vec![3, 4]),
            (ext::KEY_SHARE, vec![0, 0x18]),
            (ext::COOKIE, vec![0, 3, 1, 2, 3]),
            (ext::ALPN, vec![0, 3, 2, b'h', b'2']),
        ]),
    }
    .encode()
}

/// Every reading a probe makes of a parsed ServerHello.
fn use_hello(h: &ServerHello) {
    let _ = (h.is_hello_retry(), h.version(), h.key_share_group());
    let _ = (h.cookie(), h.alpn(), h.suite.name(), h.version().name());
    for (code, _) in &h.extensions {
        assert!(h.extension(*code).is_some());
    }
}

/// Every parser on the same bytes; none may panic.
fn parse_everything(bytes: &[u8]) {
    if let Ok(h) = parse_server_hello(bytes) {
        use_hello(&h);
    }
    let _ = parse_alert(bytes).map(|(_, d)| d.name());
    let _ = parse_certificate_list(bytes);
    let _ = parse_certificate_status(bytes);
    let _ = parse_ecdhe_params(bytes);
    if let Ok(KeyExchangeParams::Dhe { prime, generator }) = parse_dhe_params(bytes) {
        let _ = KeyExchangeParams::dh_bits(&prime) + KeyExchangeParams::dh_bits(&generator);
    }
    let _ = parse_sslv2_server_hello(bytes);
    let _ = KeyExchangeParams::dh_bits(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_parser_panics_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_everything(&bytes);
    }

    /// Random bytes rarely get past the first length field; damaged valid messages do.
    #[test]
    fn no_parser_panics_on_damaged_messages(
        which in 0usize..6,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
        insert in any::<bool>(),
    ) {
        let mut bytes = match which {
            0 => sample_hello(),
            1 => vec![0, 0, 9, 0, 0, 2, 0xaa, 0xbb, 0, 0, 1, 0x30],
            2 => vec![1, 0, 0, 3, 0x30, 1, 0],
            3 => [3, 0, 0x1d, 32].into_iter().chain([9; 32]).collect(),
            4 => vec![0, 3, 1, 0, 1, 0, 1, 2, 0, 1, 5],
            _ => sslv2_record(2, &[0x30; 40], &[[1, 0, 0x80], [7, 0, 0xc0]], &[1; 16], None),
        };
        let i = at.index(bytes.len());
        if insert {
            bytes.insert(i, byte);
        } else {
            bytes[i] = byte;
        }
        parse_everything(&bytes);
        parse_everything(&bytes[..cut.index(bytes.len() + 1)]);
    }

    /// Random streams, chunked anyhow, read the same as in one piece, and nothing panics.
    #[test]
    fn framing_does_not_depend_on_chunking(
        stream in prop::collection::vec(any::<u8>(), 0..4096),
        sizes in prop::collection::vec(0usize..300, 1..20),
    ) {
        prop_assert_eq!(read(&stream, &sizes), read(&stream, &[usize::MAX]));
    }

    /// Well-formed record streams (TLS headers, handshake messages spanning records) come back
    /// record for record and message for message, however they are chunked.
    #[test]
    fn records_and_messages_round_trip(
        messages in prop::collection::vec(
            (any::<u8>(), prop::collection::vec(any::<u8>(), 0..3000)),
            0..6,
        ),
        others in prop::collection::vec(
            (prop::sample::select(vec![20u8, 21, 23, 24]), prop::collection::vec(any::<u8>(), 0..64)),
            0..3,
        ),
        fragment in 1usize..=16_384,
        version in prop::sample::select(vec![0x0300u16, 0x0301, 0x0302, 0x0303]),
        sizes in prop::collection::vec(0usize..700, 1..10),
    ) {
        let mut joined = Vec::new();
        for (kind, body) in &messages {
            joined.push(*kind);
            put(&mut joined, 3, body);
        }
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for payload in joined.chunks(fragment) {
            stream.extend(record_bytes(22, version, payload));
            expected.push(Record { content_type: 22, version, payload: payload.to_vec() });
        }
        // Non-handshake records after the flight (an alert, encrypted data …).
        for (t, payload) in &others {
            stream.extend(record_bytes(*t, version, payload));
            expected.push(Record { content_type: *t, version, payload: payload.clone() });
        }
        let got = read(&stream, &sizes);
        prop_assert_eq!(got.error, None);
        prop_assert_eq!(got.records, expected);
        prop_assert_eq!(got.messages, messages);
    }

    /// The record header alone decides: a wrong content type or major version is not TLS,
    /// an oversize length is refused before its payload arrives.
    #[test]
    fn record_headers_are_classified(header in any::<[u8; 5]>()) {
        let mut r = RecordReader::new();
        r.push(&header);
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let got = r.next_record();
        if !(20..=24).contains(&header[0]) || header[1] > 3 {
            prop_assert_eq!(got, Err(WireError::NotTls));
        } else if len > MAX_RECORD_PAYLOAD {
            prop_assert_eq!(got, Err(WireError::RecordTooLong(len)));
        } else if len == 0 {
            prop_assert_eq!(got.unwrap().map(|r| r.payload), Some(vec![]));
        } else {
            prop_assert_eq!(got, Ok(None));
            prop_assert_eq!(r.pending(), &header[..]);
        }
    }

    #[test]
    fn oversize_handshake_messages_are_refused(len in 0usize..(1 << 24)) {
        let mut j = HandshakeJoiner::new();
        j.push(&[2, (len >> 16) as u8, (len >> 8) as u8, len as u8]);
        let got = j.next_message();
        if len > MAX_HANDSHAKE_MESSAGE {
            prop_assert_eq!(got, Err(WireError::MessageTooLong(len)));
        } else if len == 0 {
            prop_assert_eq!(got, Ok(Some((2, vec![]))));
        } else {
            prop_assert_eq!(got, Ok(None));
        }
    }

    /// What the encoder writes is read back field for field.
    #[test]
    fn server_hello_round_trips(h in arb_hello()) {
        let bytes = h.encode();
        let sh = parse_server_hello(&bytes).unwrap();
        prop_assert_eq!(sh.legacy_version, ProtocolVersion(h.version));
        prop_assert_eq!(sh.random, h.random);
        prop_assert_eq!(&sh.session_id, &h.session_id);
        prop_assert_eq!(sh.suite, CipherSuite(h.suite));
        prop_assert_eq!(sh.compression, h.compression);
        prop_assert_eq!(&sh.extensions, &h.extensions.clone().unwrap_or_default());
        prop_assert_eq!(sh.is_hello_retry(), h.random == HELLO_RETRY_RANDOM);
        use_hello(&sh);
        // Cut anywhere inside: an error, except exactly after the fixed part (no extensions).
        for cut in 0..bytes.len() {
            let r = parse_server_hello(&bytes[..cut]);
            if cut == h.fixed_len() {
                prop_assert!(r.unwrap().extensions.is_empty());
            } else {
                prop_assert!(r.is_err(), "cut at {} of {} parsed", cut, bytes.len());
            }
        }
    }

    /// The accessors read what the encoder put in the extensions a probe looks at.
    #[test]
    fn server_hello_accessors_round_trip(
        legacy in any::<u16>(),
        chosen in prop::option::of(any::<u16>()),
        group in prop::option::of(any::<u16>()),
        share in prop::collection::vec(any::<u8>(), 0..100),
        cookie in prop::option::of(prop::collection::vec(any::<u8>(), 0..300)),
        alpn in prop::option::of(prop::collection::vec(any::<u8>(), 0..=255)),
        mut others in arb_extensions(),
        retry in any::<bool>(),
    ) {
        let watched = [ext::SUPPORTED_VERSIONS, ext::KEY_SHARE, ext::COOKIE, ext::ALPN];
        others.retain(|(c, _)| !watched.contains(c));
        let mut exts = others;
        if let Some(v) = chosen {
            exts.push((ext::SUPPORTED_VERSIONS, v.to_be_bytes().to_vec()));
        }
        if let Some(g) = group {
            let mut body = g.to_be_bytes().to_vec();
            put(&mut body, 2, &share);
            exts.push((ext::KEY_SHARE, body));
        }
        if let Some(c) = &cookie {
            let mut body = Vec::new();
            put(&mut body, 2, c);
            exts.push((ext::COOKIE, body));
        }
        if let Some(p) = &alpn {
            let mut list = Vec::new();
            put(&mut list, 1, p);
            let mut body = Vec::new();
            put(&mut body, 2, &list);
            exts.push((ext::ALPN, body));
        }
        let h = Hello {
            version: legacy,
            random: if retry { HELLO_RETRY_RANDOM } else { [1; 32] },
            session_id: vec![],
            suite: 0x1301,
            compression: 0,
            extensions: Some(exts),
        };
        let sh = parse_server_hello(&h.encode()).unwrap();
        prop_assert_eq!(sh.version(), ProtocolVersion(chosen.unwrap_or(legacy)));
        prop_assert_eq!(sh.key_share_group(), group.map(NamedGroup));
        prop_assert_eq!(sh.cookie(), cookie);
        prop_assert_eq!(sh.alpn(), alpn);
        prop_assert_eq!(sh.is_hello_retry(), retry);
    }

    #[test]
    fn alerts_round_trip(level in any::<u8>(), desc in any::<u8>()) {
        prop_assert_eq!(parse_alert(&[level, desc]), Ok((level == 2, AlertDescription(desc))));
        prop_assert!(parse_alert(&[level]).is_err());
    }

    #[test]
    fn certificate_lists_round_trip(
        certs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..2000), 0..5),
    ) {
        let mut list = Vec::new();
        for c in &certs {
            put(&mut list, 3, c);
        }
        let mut body = Vec::new();
        put(&mut body, 3, &list);
        prop_assert_eq!(parse_certificate_list(&body).unwrap(), certs);
        for cut in 0..body.len() {
            prop_assert!(parse_certificate_list(&body[..cut]).is_err());
        }
    }

    #[test]
    fn certificate_status_round_trips(
        kind in any::<u8>(),
        response in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let mut body = vec![kind];
        put(&mut body, 3, &response);
        match parse_certificate_status(&body) {
            Ok(r) => prop_assert!(kind == 1 && r == response),
            Err(e) => prop_assert!(kind != 1, "{}", e),
        }
    }

    #[test]
    fn ecdhe_parameters_round_trip(
        group in any::<u16>(),
        point in prop::collection::vec(any::<u8>(), 0..=255),
        signature in prop::collection::vec(any::<u8>(), 0..300),
        curve_type in any::<u8>(),
    ) {
        let mut body = vec![3];
        body.extend_from_slice(&group.to_be_bytes());
        put(&mut body, 1, &point);
        body.extend_from_slice(&signature);
        prop_assert_eq!(
            parse_ecdhe_params(&body).unwrap(),
            KeyExchangeParams::Ecdhe { group: NamedGroup(group), public_key_len: point.len() }
        );
        body[0] = curve_type;
        match (curve_type, parse_ecdhe_params(&body)) {
            (1 | 2, r) => prop_assert_eq!(r, Ok(KeyExchangeParams::EcdheExplicit)),
            (3, r) => prop_assert!(r.is_ok()),
            (_, r) => prop_assert!(r.is_err()),
        }
    }

    #[test]
    fn dhe_parameters_round_trip(
        zeros in 0usize..4,
        prime in prop::collection::vec(any::<u8>(), 1..600),
        generator in prop::collection::vec(any::<u8>(), 0..4),
        public in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let padded: Vec<u8> = std::iter::repeat_n(0, zeros).chain(prime.iter().copied()).collect();
        let mut body = Vec::new();
        put(&mut body, 2, &padded);
        put(&mut body, 2, &generator);
        put(&mut body, 2, &public);
        let KeyExchangeParams::Dhe { prime: p, generator: g } = parse_dhe_params(&body).unwrap()
        else {
            panic!("not DHE")
        };
        prop_assert_eq!(&p, &padded);
        prop_assert_eq!(g, generator);
        // Bits: the position of the highest set bit, leading zero bytes not counted.
        let expected = padded
            .iter()
            .position(|&b| b != 0)
            .map_or(0, |i| (padded.len() - i) * 8 - padded[i].leading_zeros() as usize);
        prop_assert_eq!(KeyExchangeParams::dh_bits(&p), expected);
        // The public value is required.
        prop_assert!(parse_dhe_params(&body[..body.len() - public.len() - 1]).is_err());
    }

    #[test]
    fn sslv2_server_hello_round_trips(
        version in any::<u16>(),
        cert in prop::collection::vec(any::<u8>(), 0..1500),
        specs in prop::collection::vec(any::<[u8; 3]>(), 0..30),
        conn_id in prop::collection::vec(any::<u8>(), 0..32),
        padding in prop::option::of(0u8..8),
    ) {
        let rec = sslv2_record(version, &cert, &specs, &conn_id, padding);
        let h = parse_sslv2_server_hello(&rec).unwrap();
        prop_assert_eq!(h.version, version);
        prop_assert_eq!(&h.certificate, &cert);
        prop_assert_eq!(&h.specs, &specs);
        // Trailing bytes (a second record) are not read.
        let mut longer = rec.clone();
        longer.extend_from_slice(&[0xff; 10]);
        prop_assert_eq!(parse_sslv2_server_hello(&longer).unwrap(), h);
        // Truncated before the specs end: an error.
        let header = if padding.is_some() { 3 } else { 2 };
        let needed = header + 11 + cert.len() + 3 * specs.len();
        for cut in 0..needed {
            prop_assert!(parse_sslv2_server_hello(&rec[..cut]).is_err(), "cut at {}", cut);
        }
    }
}

#[test]
fn sslv2_error_and_tls_answers_are_not_server_hellos() {
    // SSL 2.0 ERROR (no cipher), a TLS alert, an HTTP answer.
    for bytes in [
        &[0x80, 0x03, 0x00, 0x00, 0x01][..],
        &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28][..],
        &b"HTTP/1.1 400 Bad Request\r\n\r\n"[..],
        &[][..],
        &[0x80][..],
    ] {
        assert!(parse_sslv2_server_hello(bytes).is_err(), "{bytes:02x?}");
    }
}
