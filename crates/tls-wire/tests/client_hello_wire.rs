//! ClientHellos from the builder, parsed back by an independent decoder (`tls-parser`): the
//! record header, the handshake header, every length prefix and every extension must be
//! well-formed, for SSL 3.0 (no extensions), TLS 1.0-1.2 and TLS 1.3 hellos, and for any
//! configuration the builder accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tls_parser::{
    SNIType, TlsExtension, TlsMessage, TlsMessageHandshake, TlsRecordType,
    parse_tls_client_hello_extensions, parse_tls_message_handshake, parse_tls_plaintext,
};
use vigil_tls_wire::client_hello::{SSLV2_SPECS, ext, sslv2_client_hello};
use vigil_tls_wire::record::{HandshakeJoiner, RecordReader};
use vigil_tls_wire::{CipherSuite, ClientHello, NamedGroup, ProtocolVersion, SignatureScheme};

/// What `tls-parser` read from one ClientHello, owned.
#[derive(Debug)]
struct Decoded {
    record_version: u16,
    client_version: u16,
    random: Vec<u8>,
    session_id: Vec<u8>,
    suites: Vec<u16>,
    compression: Vec<u8>,
    /// `None` when the hello carries no extensions block at all.
    extensions: Option<Vec<Ext>>,
    /// Length of the handshake message (header included).
    message_len: usize,
}

/// One extension as decoded, owned.
#[derive(Debug, Clone, PartialEq)]
enum Ext {
    Sni(Vec<(u8, Vec<u8>)>),
    Groups(Vec<u16>),
    PointFormats(Vec<u8>),
    SignatureAlgorithms(Vec<u16>),
    SupportedVersions(Vec<u16>),
    KeyShare(Vec<u8>),
    PskModes(Vec<u8>),
    Cookie(Vec<u8>),
    Alpn(Vec<Vec<u8>>),
    StatusRequest(Option<(u8, Vec<u8>)>),
    Sct,
    Ems,
    SessionTicket(Vec<u8>),
    Heartbeat(u8),
    Renegotiation(Vec<u8>),
    Padding(Vec<u8>),
    Other(String),
}

impl Ext {
    fn from_parsed(e: &TlsExtension<'_>) -> Ext {
        match e {
            TlsExtension::SNI(list) => {
                Ext::Sni(list.iter().map(|(t, n)| (t.0, n.to_vec())).collect())
            }
            TlsExtension::EllipticCurves(g) => Ext::Groups(g.iter().map(|g| g.0).collect()),
            TlsExtension::EcPointFormats(f) => Ext::PointFormats(f.to_vec()),
            TlsExtension::SignatureAlgorithms(s) => Ext::SignatureAlgorithms(s.clone()),
            TlsExtension::SupportedVersions(v) => {
                Ext::SupportedVersions(v.iter().map(|v| v.0).collect())
            }
            TlsExtension::KeyShare(k) => Ext::KeyShare(k.to_vec()),
            TlsExtension::PskExchangeModes(m) => Ext::PskModes(m.clone()),
            TlsExtension::Cookie(c) => Ext::Cookie(c.to_vec()),
            TlsExtension::ALPN(p) => Ext::Alpn(p.iter().map(|p| p.to_vec()).collect()),
            TlsExtension::StatusRequest(s) => {
                Ext::StatusRequest(s.as_ref().map(|(t, r)| (t.0, r.to_vec())))
            }
            TlsExtension::SignedCertificateTimestamp(None) => Ext::Sct,
            TlsExtension::ExtendedMasterSecret => Ext::Ems,
            TlsExtension::SessionTicket(t) => Ext::SessionTicket(t.to_vec()),
            TlsExtension::Heartbeat(h) => Ext::Heartbeat(*h),
            TlsExtension::RenegotiationInfo(r) => Ext::Renegotiation(r.to_vec()),
            TlsExtension::Padding(p) => Ext::Padding(p.to_vec()),
            other => Ext::Other(format!("{other:?}")),
        }
    }

    fn code(&self) -> u16 {
        match self {
            Ext::Sni(_) => ext::SERVER_NAME,
            Ext::Groups(_) => ext::SUPPORTED_GROUPS,
            Ext::PointFormats(_) => ext::EC_POINT_FORMATS,
            Ext::SignatureAlgorithms(_) => ext::SIGNATURE_ALGORITHMS,
            Ext::SupportedVersions(_) => ext::SUPPORTED_VERSIONS,
            Ext::KeyShare(_) => ext::KEY_SHARE,
            Ext::PskModes(_) => ext::PSK_KEY_EXCHANGE_MODES,
            Ext::Cookie(_) => ext::COOKIE,
            Ext::Alpn(_) => ext::ALPN,
            Ext::StatusRequest(_) => ext::STATUS_REQUEST,
            Ext::Sct => ext::SIGNED_CERTIFICATE_TIMESTAMP,
            Ext::Ems => ext::EXTENDED_MASTER_SECRET,
            Ext::SessionTicket(_) => ext::SESSION_TICKET,
            Ext::Heartbeat(_) => ext::HEARTBEAT,
            Ext::Renegotiation(_) => ext::RENEGOTIATION_INFO,
            Ext::Padding(_) => ext::PADDING,
            Ext::Other(_) => u16::MAX,
        }
    }
}

/// Decodes a ClientHello handshake message (header included) with `tls-parser`, checking that
/// every declared length matches the bytes exactly (the decoder itself tolerates trailing data).
fn decode_message(msg: &[u8], record_version: u16) -> Decoded {
    let (rest, parsed) = parse_tls_message_handshake(msg).expect("tls-parser reads the hello");
    assert!(
        rest.is_empty(),
        "{} bytes after the handshake message",
        rest.len()
    );
    let TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) = parsed else {
        panic!("not a ClientHello: {parsed:?}")
    };
    let body_len = msg.len() - 4;
    let session_id = ch.session_id.unwrap_or_default().to_vec();
    let mut expected = 2 + 32 + 1 + session_id.len() + 2 + 2 * ch.ciphers.len() + 1 + ch.comp.len();
    let extensions = ch.ext.map(|e| {
        expected += 2 + e.len();
        let (rest, list) = parse_tls_client_hello_extensions(e).expect("extensions parse");
        assert!(rest.is_empty(), "undecodable extension bytes: {rest:02x?}");
        list.iter().map(Ext::from_parsed).collect::<Vec<_>>()
    });
    assert_eq!(
        expected, body_len,
        "the fields do not add up to the handshake length"
    );
    Decoded {
        record_version,
        client_version: ch.version.0,
        random: ch.random.to_vec(),
        session_id,
        suites: ch.ciphers.iter().map(|c| c.0).collect(),
        compression: ch.comp.iter().map(|c| c.0).collect(),
        extensions,
        message_len: msg.len(),
    }
}

/// Decodes the whole record stream of `hello.to_records()` (one record for any real hello).
fn decode(hello: &ClientHello) -> Decoded {
    let wire = hello.to_records();
    let (rest, plain) = parse_tls_plaintext(&wire).expect("one well-formed record");
    assert!(rest.is_empty(), "{} bytes after the record", rest.len());
    assert_eq!(plain.hdr.record_type, TlsRecordType::Handshake);
    assert_eq!(usize::from(plain.hdr.len), wire.len() - 5);
    assert_eq!(plain.msg.len(), 1, "exactly one handshake message");
    assert_eq!(&wire[5..], hello.handshake_message().as_slice());
    decode_message(&wire[5..], plain.hdr.version.0)
}

fn find(exts: &[Ext], code: u16) -> Option<&Ext> {
    exts.iter().find(|e| e.code() == code)
}

/// The `key_share` client list: (group, key) entries behind a 2-byte length.
fn key_shares(body: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let len = usize::from(u16::from_be_bytes([body[0], body[1]]));
    assert_eq!(len, body.len() - 2, "key_share list length");
    let mut rest = &body[2..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let group = u16::from_be_bytes([rest[0], rest[1]]);
        let n = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        out.push((group, rest[4..4 + n].to_vec()));
        rest = &rest[4 + n..];
    }
    out
}

fn codes<T: Copy>(v: &[T], f: impl Fn(T) -> u16) -> Vec<u16> {
    v.iter().map(|x| f(*x)).collect()
}

#[test]
fn ssl3_hello_has_no_extensions_block() {
    let hello = ClientHello {
        record_version: ProtocolVersion::SSL3_0,
        client_version: ProtocolVersion::SSL3_0,
        no_extensions: true,
        suites: vec![
            CipherSuite(0x000a),
            CipherSuite(0x0005),
            CipherSuite(0x002f),
        ],
        // Ignored without extensions: none of these may leak into the hello.
        server_name: Some("ignored.example".into()),
        groups: vec![NamedGroup::X25519],
        ..ClientHello::default()
    };
    let d = decode(&hello);
    assert_eq!(d.record_version, 0x0300);
    assert_eq!(d.client_version, 0x0300);
    assert_eq!(d.suites, vec![0x000a, 0x0005, 0x002f]);
    assert_eq!(d.compression, vec![0]);
    assert_eq!(d.random, vec![0x5a; 32]);
    assert_eq!(d.session_id, vec![0x42; 32]);
    assert!(d.extensions.is_none(), "{:?}", d.extensions);
    // SSL 3.0 hellos stay below 256 bytes, so no padding is needed either.
    assert!(d.message_len < 256);
}

#[test]
fn legacy_hellos_of_every_version_decode() {
    let suites: Vec<CipherSuite> = [0xc02f, 0xc030, 0xc013, 0x009c, 0x002f, 0x000a, 0x00ff]
        .into_iter()
        .map(CipherSuite)
        .collect();
    let groups = vec![
        NamedGroup::X25519,
        NamedGroup::SECP256R1,
        NamedGroup::SECP384R1,
        NamedGroup(0x0100),
    ];
    for version in [
        ProtocolVersion::TLS1_0,
        ProtocolVersion::TLS1_1,
        ProtocolVersion::TLS1_2,
    ] {
        let hello = ClientHello {
            client_version: version,
            server_name: Some("tls-oracle.test".into()),
            groups: groups.clone(),
            suites: suites.clone(),
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            heartbeat: true,
            ..ClientHello::default()
        };
        let d = decode(&hello);
        assert_eq!(d.record_version, 0x0301, "record version stays TLS 1.0");
        assert_eq!(d.client_version, version.0);
        assert_eq!(d.suites, codes(&suites, |s| s.0));
        let exts = d.extensions.expect("extensions");
        assert_eq!(
            find(&exts, ext::SERVER_NAME),
            Some(&Ext::Sni(vec![(
                SNIType::HostName.0,
                b"tls-oracle.test".to_vec()
            )]))
        );
        assert_eq!(
            find(&exts, ext::SUPPORTED_GROUPS),
            Some(&Ext::Groups(codes(&groups, |g| g.0)))
        );
        assert_eq!(
            find(&exts, ext::EC_POINT_FORMATS),
            Some(&Ext::PointFormats(vec![0, 1, 2]))
        );
        assert_eq!(
            find(&exts, ext::SIGNATURE_ALGORITHMS),
            Some(&Ext::SignatureAlgorithms(codes(
                SignatureScheme::PROBE_SET,
                |s| s.0
            )))
        );
        assert_eq!(
            find(&exts, ext::ALPN),
            Some(&Ext::Alpn(vec![b"h2".to_vec(), b"http/1.1".to_vec()]))
        );
        assert_eq!(
            find(&exts, ext::STATUS_REQUEST),
            Some(&Ext::StatusRequest(Some((1, vec![0, 0, 0, 0]))))
        );
        assert_eq!(
            find(&exts, ext::RENEGOTIATION_INFO),
            Some(&Ext::Renegotiation(vec![]))
        );
        assert_eq!(
            find(&exts, ext::SESSION_TICKET),
            Some(&Ext::SessionTicket(vec![]))
        );
        assert_eq!(find(&exts, ext::HEARTBEAT), Some(&Ext::Heartbeat(1)));
        assert!(find(&exts, ext::SIGNED_CERTIFICATE_TIMESTAMP).is_some());
        assert!(find(&exts, ext::EXTENDED_MASTER_SECRET).is_some());
        // TLS 1.3-only extensions are absent from legacy hellos.
        for code in [
            ext::SUPPORTED_VERSIONS,
            ext::KEY_SHARE,
            ext::PSK_KEY_EXCHANGE_MODES,
        ] {
            assert!(
                find(&exts, code).is_none(),
                "extension {code} in a legacy hello"
            );
        }
        assert!(!exts.iter().any(|e| matches!(e, Ext::Other(_))), "{exts:?}");
        assert!(
            !(256..512).contains(&d.message_len),
            "{} bytes",
            d.message_len
        );
    }
}

#[test]
fn tls13_hello_decodes_with_key_share_and_cookie() {
    let key = vec![0x09; 32];
    let hello = ClientHello {
        server_name: Some("a.example".into()),
        supported_versions: vec![ProtocolVersion::TLS1_3],
        groups: vec![NamedGroup::X25519, NamedGroup::SECP256R1],
        key_shares: vec![(NamedGroup::X25519, key.clone())],
        cookie: Some(b"cookie-from-hrr".to_vec()),
        suites: vec![
            CipherSuite(0x1301),
            CipherSuite(0x1302),
            CipherSuite(0x1303),
        ],
        ..ClientHello::default()
    };
    let d = decode(&hello);
    assert_eq!(d.client_version, 0x0303, "legacy_version is TLS 1.2");
    assert_eq!(d.suites, vec![0x1301, 0x1302, 0x1303]);
    let exts = d.extensions.expect("extensions");
    assert_eq!(
        find(&exts, ext::SUPPORTED_VERSIONS),
        Some(&Ext::SupportedVersions(vec![0x0304]))
    );
    assert_eq!(
        find(&exts, ext::PSK_KEY_EXCHANGE_MODES),
        Some(&Ext::PskModes(vec![1]))
    );
    let Some(Ext::KeyShare(shares)) = find(&exts, ext::KEY_SHARE) else {
        panic!("no key_share: {exts:?}")
    };
    assert_eq!(key_shares(shares), vec![(0x001d, key)]);
    let Some(Ext::Cookie(cookie)) = find(&exts, ext::COOKIE) else {
        panic!("no cookie: {exts:?}")
    };
    assert_eq!(&cookie[..2], &[0, 15]);
    assert_eq!(&cookie[2..], b"cookie-from-hrr");
    assert_eq!(
        find(&exts, ext::SERVER_NAME),
        Some(&Ext::Sni(vec![(0, b"a.example".to_vec())]))
    );
    // Extensions are unique.
    let mut seen: Vec<u16> = exts.iter().map(Ext::code).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), exts.len());
}

#[test]
fn tls13_hello_without_shares_sends_an_empty_key_share_list() {
    let hello = ClientHello {
        supported_versions: vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
        groups: vec![NamedGroup::SECP384R1],
        suites: vec![CipherSuite(0x1302)],
        ..ClientHello::default()
    };
    let exts = decode(&hello).extensions.expect("extensions");
    assert_eq!(
        find(&exts, ext::SUPPORTED_VERSIONS),
        Some(&Ext::SupportedVersions(vec![0x0304, 0x0303]))
    );
    assert_eq!(
        find(&exts, ext::KEY_SHARE),
        Some(&Ext::KeyShare(vec![0, 0]))
    );
}

#[test]
fn padding_lifts_hellos_out_of_256_to_511() {
    let mut padded = 0;
    for n in 0..220u16 {
        let hello = ClientHello {
            suites: (0..n).map(|i| CipherSuite(0xc000 + i)).collect(),
            server_name: Some("x.test".into()),
            ..ClientHello::default()
        };
        let d = decode(&hello);
        assert!(
            !(256..512).contains(&d.message_len),
            "{n} suites: {} bytes",
            d.message_len
        );
        let exts = d.extensions.expect("extensions");
        if let Some(Ext::Padding(p)) = find(&exts, ext::PADDING) {
            padded += 1;
            assert!(p.iter().all(|&b| b == 0), "padding must be zeros");
            assert!((512..=515).contains(&d.message_len), "{}", d.message_len);
            // The padding extension is last (some servers require it).
            assert_eq!(exts.last().map(Ext::code), Some(ext::PADDING));
        }
    }
    assert!(padded > 50, "only {padded} hellos were padded");
}

#[test]
fn unpadded_hellos_may_be_any_size() {
    let hello = ClientHello {
        suites: (0..100).map(|i| CipherSuite(0xc000 + i)).collect(),
        pad_to_avoid_256_511: false,
        ..ClientHello::default()
    };
    let d = decode(&hello);
    assert!((256..512).contains(&d.message_len), "{}", d.message_len);
    assert!(find(&d.extensions.expect("extensions"), ext::PADDING).is_none());
}

#[test]
fn long_hellos_are_split_into_records_that_rejoin() {
    // A 20 000-byte key share pushes the message past one record (2^14 bytes).
    let hello = ClientHello {
        supported_versions: vec![ProtocolVersion::TLS1_3],
        groups: vec![NamedGroup(0x11ec)],
        key_shares: vec![(NamedGroup(0x11ec), vec![0xab; 20_000])],
        suites: vec![CipherSuite(0x1301)],
        ..ClientHello::default()
    };
    let wire = hello.to_records();
    let mut reader = RecordReader::new();
    reader.push(&wire);
    let mut joiner = HandshakeJoiner::new();
    let mut sizes = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        assert_eq!(record.content_type, 22);
        assert_eq!(record.version, 0x0301);
        sizes.push(record.payload.len());
        joiner.push(&record.payload);
    }
    assert!(reader.pending().is_empty());
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes[0], 16_384);
    let (kind, body) = joiner.next_message().unwrap().expect("one whole message");
    assert_eq!(kind, 1);
    let mut msg = vec![1, 0, 0, 0];
    msg[1..].copy_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    assert_eq!(msg, hello.handshake_message());
    let exts = decode_message(&msg, 0x0301).extensions.expect("extensions");
    let Some(Ext::KeyShare(shares)) = find(&exts, ext::KEY_SHARE) else {
        panic!("no key_share")
    };
    assert_eq!(key_shares(shares), vec![(0x11ec, vec![0xab; 20_000])]);
}

#[test]
fn sslv2_hello_lengths_agree() {
    let h = sslv2_client_hello(SSLV2_SPECS, &[7; 16]);
    let len = usize::from(u16::from_be_bytes([h[0], h[1]]) & 0x7fff);
    assert_eq!(h[0] & 0x80, 0x80, "2-byte header form");
    assert_eq!(len, h.len() - 2);
    let body = &h[2..];
    assert_eq!(body[0], 1, "MSG-CLIENT-HELLO");
    assert_eq!(u16::from_be_bytes([body[1], body[2]]), 2, "version 2");
    let specs_len = usize::from(u16::from_be_bytes([body[3], body[4]]));
    let sid_len = usize::from(u16::from_be_bytes([body[5], body[6]]));
    let challenge_len = usize::from(u16::from_be_bytes([body[7], body[8]]));
    assert_eq!(specs_len, 3 * SSLV2_SPECS.len());
    assert_eq!((sid_len, challenge_len), (0, 16));
    assert_eq!(9 + specs_len + challenge_len, body.len());
    let specs: Vec<[u8; 3]> = body[9..9 + specs_len]
        .chunks(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    assert_eq!(specs, SSLV2_SPECS);
    assert_eq!(&body[9 + specs_len..], &[7; 16]);
}

fn arb_hello() -> impl Strategy<Value = ClientHello> {
    let versions = prop::sample::select(vec![
        ProtocolVersion::SSL3_0,
        ProtocolVersion::TLS1_0,
        ProtocolVersion::TLS1_1,
        ProtocolVersion::TLS1_2,
    ]);
    (
        (
            versions,
            any::<[u8; 32]>(),
            prop::collection::vec(any::<u8>(), 0..=32),
        ),
        prop::collection::vec(any::<u16>(), 0..300),
        (
            prop::option::of("[a-z0-9]{1,20}(\\.[a-z0-9]{1,20}){0,3}"),
            prop::collection::vec(any::<u16>(), 0..40),
            prop::collection::vec(any::<u16>(), 0..30),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 1..20), 0..4),
        ),
        (any::<[bool; 8]>(), any::<bool>()),
        (
            prop::collection::vec(any::<u16>(), 0..4),
            prop::collection::vec(
                (any::<u16>(), prop::collection::vec(any::<u8>(), 0..100)),
                0..3,
            ),
            prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
        ),
    )
        .prop_map(
            |((version, random, session_id), suites, (sni, groups, sigs, alpn), (f, tls13), v)| {
                let (mut versions, key_shares, cookie) = v;
                if tls13 {
                    versions.push(ProtocolVersion::TLS1_3.0);
                }
                ClientHello {
                    record_version: version.min(ProtocolVersion::TLS1_0),
                    client_version: version,
                    random,
                    session_id,
                    suites: suites.into_iter().map(CipherSuite).collect(),
                    no_extensions: f[0] && !tls13,
                    server_name: sni,
                    groups: groups.into_iter().map(NamedGroup).collect(),
                    signature_schemes: sigs.into_iter().map(SignatureScheme).collect(),
                    ec_point_formats: f[1],
                    status_request: f[2],
                    signed_certificate_timestamp: f[3],
                    alpn,
                    renegotiation_info: f[4],
                    extended_master_secret: f[5],
                    session_ticket: f[6],
                    heartbeat: f[7],
                    supported_versions: versions.into_iter().map(ProtocolVersion).collect(),
                    key_shares: key_shares
                        .into_iter()
                        .map(|(g, k)| (NamedGroup(g), k))
                        .collect(),
                    cookie,
                    pad_to_avoid_256_511: true,
                    ..ClientHello::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever a probe configures, the hello is well-formed and says exactly that.
    #[test]
    fn any_hello_decodes_to_its_configuration(hello in arb_hello()) {
        let d = decode(&hello);
        prop_assert_eq!(d.record_version, hello.record_version.0);
        prop_assert_eq!(d.client_version, hello.client_version.0);
        prop_assert_eq!(&d.random[..], &hello.random[..]);
        prop_assert_eq!(&d.session_id, &hello.session_id);
        prop_assert_eq!(d.suites, codes(&hello.suites, |s| s.0));
        prop_assert_eq!(&d.compression, &hello.compression);
        let Some(exts) = d.extensions else {
            prop_assert!(hello.no_extensions);
            return Ok(());
        };
        prop_assert!(!hello.no_extensions);
        prop_assert!(!(256..512).contains(&d.message_len), "{} bytes", d.message_len);
        prop_assert!(!exts.iter().any(|e| matches!(e, Ext::Other(_))), "{:?}", exts);
        let sni = hello
            .server_name
            .as_ref()
            .map(|n| Ext::Sni(vec![(0, n.as_bytes().to_vec())]));
        prop_assert_eq!(find(&exts, ext::SERVER_NAME), sni.as_ref());
        let groups = (!hello.groups.is_empty()).then(|| Ext::Groups(codes(&hello.groups, |g| g.0)));
        prop_assert_eq!(find(&exts, ext::SUPPORTED_GROUPS), groups.as_ref());
        let sigs = (!hello.signature_schemes.is_empty())
            .then(|| Ext::SignatureAlgorithms(codes(&hello.signature_schemes, |s| s.0)));
        prop_assert_eq!(find(&exts, ext::SIGNATURE_ALGORITHMS), sigs.as_ref());
        let alpn = (!hello.alpn.is_empty()).then(|| Ext::Alpn(hello.alpn.clone()));
        prop_assert_eq!(find(&exts, ext::ALPN), alpn.as_ref());
        let versions = (!hello.supported_versions.is_empty())
            .then(|| Ext::SupportedVersions(codes(&hello.supported_versions, |v| v.0)));
        prop_assert_eq!(find(&exts, ext::SUPPORTED_VERSIONS), versions.as_ref());
        let tls13 = hello.supported_versions.contains(&ProtocolVersion::TLS1_3);
        match find(&exts, ext::KEY_SHARE) {
            Some(Ext::KeyShare(body)) => {
                prop_assert!(tls13);
                let want: Vec<(u16, Vec<u8>)> =
                    hello.key_shares.iter().map(|(g, k)| (g.0, k.clone())).collect();
                prop_assert_eq!(key_shares(body), want);
            }
            other => prop_assert!(!tls13 && other.is_none(), "{:?}", other),
        }
        match (find(&exts, ext::COOKIE), &hello.cookie) {
            (Some(Ext::Cookie(body)), Some(c)) => prop_assert_eq!(&body[2..], &c[..]),
            (None, None) => {}
            (got, want) => prop_assert!(false, "cookie {:?} vs {:?}", got, want),
        }
        for (flag, code) in [
            (hello.ec_point_formats, ext::EC_POINT_FORMATS),
            (hello.status_request, ext::STATUS_REQUEST),
            (hello.signed_certificate_timestamp, ext::SIGNED_CERTIFICATE_TIMESTAMP),
            (hello.renegotiation_info, ext::RENEGOTIATION_INFO),
            (hello.extended_master_secret, ext::EXTENDED_MASTER_SECRET),
            (hello.session_ticket, ext::SESSION_TICKET),
            (hello.heartbeat, ext::HEARTBEAT),
        ] {
            prop_assert_eq!(find(&exts, code).is_some(), flag, "extension {}", code);
        }
    }
}
