//! Bytes captured from real servers (the TLS conformance servers on 127.0.0.1, see
//! `tests/conformance/tls/`), read by this crate's parsers and, for comparison, by `tls-parser`.
//! The two must agree on every field a probe uses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tls_parser::{
    ECParametersContent, TlsMessage, TlsMessageHandshake, parse_dh_params, parse_ecdh_params,
    parse_tls_message_handshake,
};
use vigil_tls_wire::client_hello::ext;
use vigil_tls_wire::record::{HandshakeJoiner, RecordReader, content};
use vigil_tls_wire::server::{
    self, KeyExchangeParams, ServerHello, handshake, parse_certificate_list,
    parse_certificate_status, parse_dhe_params, parse_ecdhe_params, parse_server_hello,
};
use vigil_tls_wire::{CipherSuite, NamedGroup, ProtocolVersion};

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The handshake messages of a record stream pushed `chunk` bytes at a time.
fn messages(stream: &[u8], chunk: usize) -> Vec<(u8, Vec<u8>)> {
    let mut records = RecordReader::new();
    let mut joiner = HandshakeJoiner::new();
    let mut out = Vec::new();
    for piece in stream.chunks(chunk) {
        records.push(piece);
        while let Some(record) = records.next_record().unwrap() {
            assert_eq!(record.content_type, content::HANDSHAKE);
            assert_eq!(record.version, 0x0303);
            joiner.push(&record.payload);
            while let Some(m) = joiner.next_message().unwrap() {
                out.push(m);
            }
        }
    }
    assert!(records.pending().is_empty());
    out
}

/// `tls-parser`'s reading of one handshake message body of type `kind`.
fn reference(kind: u8, body: &[u8]) -> TlsMessageHandshake<'static> {
    let mut msg = vec![kind];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(body);
    let msg: &'static [u8] = Box::leak(msg.into_boxed_slice());
    let (rest, parsed) = parse_tls_message_handshake(msg).expect("tls-parser reads it");
    assert!(rest.is_empty());
    match parsed {
        TlsMessage::Handshake(h) => h,
        other => panic!("not a handshake message: {other:?}"),
    }
}

/// Checks a ServerHello body against `tls-parser` and returns this crate's reading.
fn hello(body: &[u8]) -> ServerHello {
    let ours = parse_server_hello(body).unwrap();
    let TlsMessageHandshake::ServerHello(theirs) = reference(handshake::SERVER_HELLO, body) else {
        panic!("tls-parser saw no ServerHello")
    };
    assert_eq!(ours.legacy_version.0, theirs.version.0);
    assert_eq!(&ours.random[..], theirs.random);
    assert_eq!(ours.session_id, theirs.session_id.unwrap_or_default());
    assert_eq!(ours.suite.0, theirs.cipher.0);
    assert_eq!(ours.compression, theirs.compression.0);
    // Extensions: the same (code, body) sequence as a plain walk of tls-parser's block.
    let mut block = theirs.ext.unwrap_or_default();
    let mut walked = Vec::new();
    while !block.is_empty() {
        let code = u16::from_be_bytes([block[0], block[1]]);
        let n = usize::from(u16::from_be_bytes([block[2], block[3]]));
        walked.push((code, block[4..4 + n].to_vec()));
        block = &block[4 + n..];
    }
    assert_eq!(ours.extensions, walked);
    ours
}

#[test]
fn ocsp_flight_in_any_chunking() {
    let flight = unhex(OCSP_FLIGHT);
    let whole = messages(&flight, flight.len());
    let kinds: Vec<u8> = whole.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [
            handshake::SERVER_HELLO,
            handshake::CERTIFICATE,
            handshake::CERTIFICATE_STATUS,
            handshake::SERVER_KEY_EXCHANGE,
            handshake::SERVER_HELLO_DONE,
        ]
    );
    for chunk in (1..=64).chain([100, 1000, 4096]) {
        assert_eq!(messages(&flight, chunk), whole, "chunks of {chunk}");
    }
}

#[test]
fn ocsp_flight_agrees_with_tls_parser() {
    let flight = unhex(OCSP_FLIGHT);
    let msgs = messages(&flight, flight.len());

    let sh = hello(&msgs[0].1);
    assert_eq!(sh.version(), ProtocolVersion::TLS1_2);
    assert_eq!(sh.suite, CipherSuite(0xc02f));
    for code in [
        ext::RENEGOTIATION_INFO,
        ext::EXTENDED_MASTER_SECRET,
        ext::STATUS_REQUEST,
    ] {
        assert!(sh.extension(code).is_some(), "extension {code} not echoed");
    }

    let certs = parse_certificate_list(&msgs[1].1).unwrap();
    let TlsMessageHandshake::Certificate(theirs) = reference(11, &msgs[1].1) else {
        panic!("no Certificate")
    };
    let theirs: Vec<&[u8]> = theirs.cert_chain.iter().map(|c| c.data).collect();
    assert_eq!(certs, theirs);
    assert_eq!(certs.len(), 2, "leaf and intermediate");
    assert!(
        certs.iter().all(|c| c.starts_with(&[0x30, 0x82])),
        "DER SEQUENCEs"
    );

    let staple = parse_certificate_status(&msgs[2].1).unwrap();
    let TlsMessageHandshake::CertificateStatus(theirs) = reference(22, &msgs[2].1) else {
        panic!("no CertificateStatus")
    };
    assert_eq!(theirs.status_type, 1);
    assert_eq!(staple, theirs.blob);
    assert_eq!(staple.len() + 4, msgs[2].1.len());
    assert_eq!(staple.first(), Some(&0x30));

    let params = parse_ecdhe_params(&msgs[3].1).unwrap();
    let (_, theirs) = parse_ecdh_params(&msgs[3].1).unwrap();
    let ECParametersContent::NamedGroup(group) = theirs.curve_params.params_content else {
        panic!("explicit curve")
    };
    assert_eq!(
        params,
        KeyExchangeParams::Ecdhe {
            group: NamedGroup(group.0),
            public_key_len: theirs.public.point.len(),
        }
    );
    assert_eq!(group.0, NamedGroup::X25519.0);
    assert_eq!(theirs.public.point.len(), 32);

    assert!(msgs[4].1.is_empty(), "ServerHelloDone has no body");
}

#[test]
fn dh_parameters_agree_with_tls_parser() {
    for (hex, bits) in [(DHE_1024_SKE, 1024), (DHE_FFDHE2048_SKE, 2048)] {
        let body = unhex(hex);
        let KeyExchangeParams::Dhe { prime, generator } = parse_dhe_params(&body).unwrap() else {
            panic!("not DHE")
        };
        let (_, theirs) = parse_dh_params(&body).unwrap();
        assert_eq!(prime, theirs.dh_p);
        assert_eq!(generator, theirs.dh_g);
        assert_eq!(generator, vec![2]);
        assert_eq!(KeyExchangeParams::dh_bits(&prime), bits);
        // The same body read as ECDHE parameters is refused or read as something else, never a
        // panic (probes only do this for ECDHE suites, but a lying server decides).
        let _ = parse_ecdhe_params(&body);
    }
}

#[test]
fn tls12_hello_with_alpn_and_downgrade_sentinel() {
    let sh = hello(&unhex(TLS12_HELLO));
    assert_eq!(sh.version(), ProtocolVersion::TLS1_2);
    assert_eq!(sh.suite, CipherSuite(0xc02f));
    assert_eq!(sh.alpn(), Some(b"http/1.1".to_vec()));
    assert!(!sh.is_hello_retry());
    assert_eq!(sh.key_share_group(), None);
    assert_eq!(sh.cookie(), None);
    // A TLS 1.3 server answering TLS 1.2 marks its random (RFC 8446 §4.1.3).
    assert_eq!(&sh.random[24..], b"DOWNGRD\x01");
}

#[test]
fn tls13_hello_names_its_share() {
    let sh = hello(&unhex(TLS13_HELLO));
    assert_eq!(sh.legacy_version, ProtocolVersion::TLS1_2);
    assert_eq!(sh.version(), ProtocolVersion::TLS1_3);
    assert_eq!(sh.suite, CipherSuite(0x1301));
    assert_eq!(sh.key_share_group(), Some(NamedGroup::X25519));
    assert_eq!(sh.session_id, vec![0x42; 32], "the session id is echoed");
    assert!(!sh.is_hello_retry());
    assert_eq!(sh.alpn(), None);
}

#[test]
fn hello_retry_request_asks_for_p384() {
    let sh = hello(&unhex(TLS13_RETRY));
    assert!(sh.is_hello_retry());
    assert_eq!(sh.random, server::HELLO_RETRY_RANDOM);
    assert_eq!(sh.version(), ProtocolVersion::TLS1_3);
    assert_eq!(sh.key_share_group(), Some(NamedGroup::SECP384R1));
    assert_eq!(sh.suite, CipherSuite(0x1302));
    assert_eq!(sh.cookie(), None);
}

#[test]
fn ssl3_hello_has_no_extensions() {
    let body = unhex(SSL3_HELLO);
    let sh = parse_server_hello(&body).unwrap();
    assert_eq!(sh.version(), ProtocolVersion::SSL3_0);
    assert_eq!(sh.suite, CipherSuite(0x002f));
    assert!(sh.session_id.is_empty());
    assert!(sh.extensions.is_empty());
    // A server that also speaks TLS 1.2 marks an SSL 3.0-TLS 1.1 answer too.
    assert_eq!(&sh.random[24..], b"DOWNGRD\x00");
    // tls-parser reads SSL 3.0 hellos without extensions as well.
    let TlsMessageHandshake::ServerHello(theirs) = reference(2, &body) else {
        panic!("no ServerHello")
    };
    assert_eq!(theirs.cipher.0, 0x002f);
    assert_eq!(theirs.ext, None);
}

/// The flight of 127.0.0.1:8458 (nginx, OCSP stapling) to a TLS 1.2 ECDHE-RSA hello: ServerHello,
/// Certificate, CertificateStatus, ServerKeyExchange, ServerHelloDone, as read off the socket.
const OCSP_FLIGHT: &str = concat!(
    "16030300490200004503035098d7a217b43830ed7837ddb06a8c3d11c23f07359ded9e444f574e4752440100c02f0000",
    "1dff0100010000000000000b00040300010200230000000500000017000016030307c70b0007c30007c00003d4308203",
    "d0308202b8a0030201020214706e4f01e3fbc215563d3cda79564571319d3efb300d06092a864886f70d01010b050030",
    "3b31133011060355040a0c0a544c53204f7261636c653124302206035504030c1b4f7261636c65205465737420496e74",
    "65726d656469617465204341301e170d3234303130313030303030305a170d3336303130313030303030305a302f3113",
    "3011060355040a0c0a544c53204f7261636c653118301606035504030c0f746c732d6f7261636c652e74657374308201",
    "22300d06092a864886f70d01010105000382010f003082010a0282010100be9761e4f2a6f069aec7ca5cdf770ab68ef2",
    "3c2a384614b28bb916f5a769a54fd49b91af0e6ac6984affae842f65f3530577b00f46bcf9a551d539abf24ce78520d9",
    "65643012dd2c704311148dad3ed13ffe600d75aeb90081a4f832b088fc90f487a2c0f26ae9aa877b7b8b64ee01249175",
    "e18efc7583b9d10c54c3332d7fd85c0ac2554e7208eb216c7afcd1982989e2ed7894b12263783475a2b10626e065a37c",
    "d0595766222be7edb34970de5d584cf9a17ee7de696aed775bf00de4d7134f44094352d9d50e6ef7490da3cf080f9bdd",
    "9dbf009fde22285b261a1dbc2ba9306a4b6cd2a5a10c70a79afccdba62d4f45bea7aa552ca9db31584f2e66d2cef0203",
    "010001a381d73081d4300c0603551d130101ff04023000300e0603551d0f0101ff0404030205a030130603551d25040c",
    "300a06082b06010505070301301d0603551d0e0416041400e95acf11ff951580639b804be15c6f9c9dd88a301f060355",
    "1d2304183016801405213b114ebe371d825e3dc6e369e85163b8564c302b0603551d1104243022820f746c732d6f7261",
    "636c652e7465737482096c6f63616c686f737487047f000001303206082b0601050507010104263024302206082b0601",
    "05050730018616687474703a2f2f3132372e302e302e313a383439392f300d06092a864886f70d01010b050003820101",
    "001ca3c6b7a9eb2d30cc40eb1161b7d2c86a8d301bf210d9bba5b231dedd63b5c8a1813211ef1868745719dedaebd78c",
    "0295201c409cf5c58093d5997a66ce1e517f39d558cb29cf93ef2c46717baf204796899ed5658f8bb23fd9ace3ca207c",
    "5106e0e8c810db88f8a96d89145889ca038bde0f94b78d0f7bc940cd5378b526d59c90c44563aff603e3a8d977dd937e",
    "3d20edd27d297e104800eaab82b431cc7faab23e985ef784b68a1a01b996276550c54888888f08bf13d50c7b2f6e8122",
    "d449697b78cdf2a73a3aeda92a2208e751279af49cad93543a48df44772befb830ffc6b57f4e1a29c9cdf75d6f9ca3c0",
    "9d2e4f4d69c0c29f3ffe22d6a9491985740003e6308203e23082024aa0030201020214731fa05f71c769eb85d17ad9ee",
    "2cfeed4d3d572f300d06092a864886f70d01010b0500303331133011060355040a0c0a544c53204f7261636c65311c30",
    "1a06035504030c134f7261636c65205465737420526f6f74204341301e170d3234303130313030303030305a170d3430",
    "303130313030303030305a303b31133011060355040a0c0a544c53204f7261636c653124302206035504030c1b4f7261",
    "636c65205465737420496e7465726d65646961746520434130820122300d06092a864886f70d01010105000382010f00",
    "3082010a0282010100a4ec69659f4fcd22ddebb738d6ebb33cb0159c571ce37e5f05094bdc000cebb4fe11f6c4dd3d9f",
    "a692de86e2b0c1402952bfe5f17e1633af4d0b7800c30ce954c6613342a6b8367452034ecc28dc64439b98ed27cb0fd4",
    "f517ae6509e818cfd38d3eb43ed70e5a6ddd1b53dd29db43a0066a43b41658816715494a6599f9c386586a2d9c7aeed2",
    "c13244ff954b7c35f8f28360694fe962abc8fcd25fb4a428e9b65187da8980b37efa1b43e1758753b625c9aa15483ab0",
    "f2c498b32a0d85c443f56952041f79d31b63ae1ab68f84fc875f3abdc6308e43132fdadce2b21b6e8e48336de07c0c1c",
    "8f2d213c1cf32b41b92d37eb7f0832d3a5e97abfb184c755510203010001a366306430120603551d130101ff04083006",
    "0101ff020100300e0603551d0f0101ff040403020106301d0603551d0e0416041405213b114ebe371d825e3dc6e369e8",
    "5163b8564c301f0603551d230418301680144db24a99710277aa20933b41d298db2ba72f7569300d06092a864886f70d",
    "01010b05000382018100a25b5ae833d56797ffb876345bed30a406fa231f7c65d417efbb8fc7854bb28e37f834a384b0",
    "20a8ea3fb6a64caf5f86f6eb55e87b86db8ec7011c1628b88162ff7853c3bf7d6e00de286e92c1011cf76d6bb9f16507",
    "c6ef0155e15d4a5fba2a745d96ff2d1f93b034242859c15443256795945beba622bbdb49a26a00b9068343714b25699e",
    "236d1c1a323aeb99e531a421107fa98803af16b97ae4d5dbcb574172a4fe80f2d6690c50184ec17f3b2647d15d13d37b",
    "abf5825f83347cee9da270452ce0f68bb5fa4b449a833bc065061b157f0189040d0241f4b86d33b94f993f0f828a8a88",
    "b31e690cb47ac8c00b56f5fcb9755680f9747a2038844f4da4eac2826540684474b58e86db12c8bea9c5a21b98249278",
    "2e897ef650fefbe7f7a6d6621eabfba8395707db13877a86287ab67782ca977cfc1abb62392abda26180f53ce39ddcb4",
    "5c53303e66c80f92108bd18401999fad5645191481ef1750ee0aff7ef7d59b29c85ebeedfb3167f3f0950750acdf0973",
    "75f3d2dbe44eff73d28416030303ff160003fb010003f7308203f30a0100a08203ec308203e806092b06010505073001",
    "01048203d9308203d53081c5a139303731133011060355040a0c0a544c53204f7261636c653120301e06035504030c17",
    "4f7261636c652054657374204f435350205369676e6572180f32303236313132393032353832365a30773075304d3009",
    "06052b0e03021a0500041470558a7e8e6c8681ce0fe193abc1fdfb53e5fb9f041405213b114ebe371d825e3dc6e369e8",
    "5163b8564c0214706e4f01e3fbc215563d3cda79564571319d3efb8000180f32303236313132393032353832365aa011",
    "180f32303236313232393032353832365a300a06082a8648ce3d0403020349003046022100cc65c8d9c7b3dd99288e84",
    "2aecfc35b890f33f9f869163cb0be31d412098162b0221009d002b16b5b61f4fb82f3d14faa8613454d24c3e8dd100da",
    "f696da4493147252a08202b2308202ae308202aa30820192a003020102021404e447622536bef737ac5fcf6e688180b8",
    "70ecb7300d06092a864886f70d01010b0500303b31133011060355040a0c0a544c53204f7261636c6531243022060355",
    "04030c1b4f7261636c65205465737420496e7465726d656469617465204341301e170d3234303130313030303030305a",
    "170d3336303130313030303030305a303731133011060355040a0c0a544c53204f7261636c653120301e06035504030c",
    "174f7261636c652054657374204f435350205369676e65723059301306072a8648ce3d020106082a8648ce3d03010703",
    "42000498576dcf16df9f513b53ac67dcca5241f43ac6f0948e0502e2edaf69d3ccb818d86b0cbfaee33354b67372b2e1",
    "1bcb156b8541492f71006627996d001e93253ca3753073300c0603551d130101ff04023000300e0603551d0f0101ff04",
    "040302078030130603551d25040c300a06082b06010505070309301d0603551d0e04160414c7dc9864472da4ff3307f8",
    "d6f65f4690b59222ee301f0603551d2304183016801405213b114ebe371d825e3dc6e369e85163b8564c300d06092a86",
    "4886f70d01010b0500038201010087c6f08d8c5bbe11baab582cbc083c9c66dbba3a02429766203a923b57a82065d536",
    "82d73ad9eb2016b55ade74eef070a282beb166c1cf89cb06013d6ef8f6d6fc391c0a11dd8cc179db9c7e0062087d04b3",
    "e25d2a455ecd923ffd1ec5b05db56db16af8c2241cb62005df9199dbb241b111e2c0900e95ce3ca5c33cc4c0151fd95a",
    "807665c8c57fca0d04738deb574bef15765068aec48098c344c453d7c06dea51ea7e26aadc0c6a1de2f7d5ee475d585f",
    "8c3a9ee318620359582ce08e231219f35f47133db1197b816fe062946a6f5a783a1585067c99fad7cee666c692e3b4ce",
    "a52ed0fea89f4e5dd6af25ffcedc9a2cf98ee4525ec3657f0f10109fd38a160303012c0c00012803001d20a0f2429736",
    "a05f70f00054f14bb8bd20ebf47599452090e9e2153497d5c6ea3d08040100648fd4f77064eb7c9f271b9720e55c3335",
    "3c4b3adda30c07f31ea65fa529f65313dbe941967ba7512ce4bde80ba027669ef286b69abfac13e1fea9004f93a14b47",
    "6cdc52319fcc749f8fbbfa020c220340d287253d747839aa777379da7d2296189b3ea2a8756503d6ea539b382dc4328d",
    "beb3197ef829ca210b7cce41eb1ee8ea41048cb2346d4d469e4af25bb81f7e8a1def2c5174ab4cad13457b884569ac99",
    "eb8766c581df97c13e608df7af077a13f93595ec4e1d2b1c1f50055f3236afe28ce968af7c6d1fbebc96d396a313d955",
    "ae76fdadc59fed39e65e404220a04009259c8756995779774f48068c6f5bf37814c51fab47beafe8acab6fccad34f816",
    "030300040e000000",
);

/// ServerKeyExchange body of 127.0.0.1:8445 (nginx, `ssl_dhparam dh-1024.pem`) for DHE-RSA.
const DHE_1024_SKE: &str = concat!(
    "0080ae24fc9893adebd0cc9d35bd25751f2006db077ec1c1c2dfe3535e86ab9643a011475a48cc60bc298e4cb94969f2",
    "25e9d6ad3ed0b8a33c1648d4478f7f1dc46dafe5191a3133666f4780c9bdfca0a6e9c2ccfea8ef85ebbf6bad2af2d46a",
    "4196aa5bebbb4878d0c43b6fd35c82af22af8cc7322569b68a77be437ddfb1ebdb07000102008037d054660908c5e9d0",
    "69f292494611e4c9e3aadca36284b0a53f16f3b45408c02cb986cca41409e2eb12a5e2a36530c5d89969545ccf7b19c1",
    "856d27a4ce27be039b4b82c11628d19ed2053761d7641bdbcc0dfd1a9389b05b53f063c58ab538d7d1b14427fdbee698",
    "292af1ac2b03d4ea3860476a3d4b5a48e393e1d14c871a080401005dca63b872b2850f700ea7e1e970ba53a621113be9",
    "45cdb005d0cc298d51611a2261a828b4b48cea2cc4fbcfcf01997ba0302f03a31e019d2d31b90959f25abf299ba64b70",
    "8b436a0de3796257811fd6383133ea3da00487d4fc3d09e237bef13a910a7a6bb93a7e461a84427a70222fe55067b5d5",
    "e178ddc5e16e0562ed8cf34ba7ed76cfafe402a8f0c799d6892317c6c54ded3f6c1989c14149d19460829ef18ed38466",
    "e4f2e75c6d91dacfbd13d35a62f0bfee45c71f126f47eb55984a50a0cea31592d86f188ae48fb708e2e8448f7ee74081",
    "f4d2d340b1ecd69b34636cc327875ad0dc1b6966bc3b6bcc4ede79436de18d04592f1eb24b75d720b701d6",
);

/// ServerKeyExchange body of 127.0.0.1:8444 (nginx, `ssl_dhparam dh-ffdhe2048.pem`) for DHE-RSA.
const DHE_FFDHE2048_SKE: &str = concat!(
    "0100ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fbcc939dce249b",
    "3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57",
    "c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797abc0ab182b324fb61d108a94bb2c8",
    "e3fbb96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd2834",
    "2f619172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2",
    "effa886b423861285c97ffffffffffffffff0001020100d181d36002aa34d018652a190aa97f0b32da5a833717e513a7",
    "8a1d600ea576f9f6dacf0a24e837d0496ad83b323a553a9466df795bb4afc79bbf13036f7f6ac987150b20a4690b7416",
    "bc00be58412b3b950470e3dbf284152a67cd71389b1f8b9f74a613558cd5940eebb1e295e58fa390e9a3deae0658e47f",
    "2bc96bf816c79fd40b0a6afb8503a0a878532b5df509038288e85be1e9668a8ab38941b49a5c1059189efebae97a7407",
    "c6298c6ba8bfc77100d4fe3f32867bb419f097abdcc6c3cc4c70168a8e4461bcbb998dd11c892442d5019ab7dbcc9493",
    "c35943290a43f3bbc13a4930819e6fc95a59a1b4762922791bd511b8329800f08dad98e712fbf8080401001a617a5e42",
    "beedc3db44f41d4b8b58eaa90bd4ce8b371b036935f71e850eaa2533227275a2695939fcc17332a8c39dd5063c50d0d9",
    "3c6188aaa5215d6d2da5ec75dd06b967cc533015e02da440f74a0734a54b5a9bb1ffbe85b031e6e64fbd9a6c7db139b1",
    "58cf3ea41fe3f49724045c72770a705a7fcab5fc14145d69c4ff18be49bb94f0927cd1930f2b29064fc8986380a6c331",
    "6f8066152d75def3c437536d53730f6eae66b8b2be6939953448a80e436fcd3c41700523b695ea83bdba789a5d151bfe",
    "4284e21b142b0410287c86edbc304a2415287622fe0faa449386e4597ba62eec63ef0329c2e6bf5a61f7b55d548ef101",
    "409b0a69576d8fce38e4f8",
);

/// ServerHello body of 127.0.0.1:8444 (nginx, TLS 1.2 and 1.3) to a TLS 1.2 hello offering ALPN h2 and http/1.1.
const TLS12_HELLO: &str = concat!(
    "0303aa98ea3ae12dc59089d37ab28f025b7e9b7382b8dac1ce8f444f574e4752440100c02f000028ff01000100000000",
    "00000b000403000102002300000010000b000908687474702f312e3100170000",
);

/// ServerHello body of 127.0.0.1:8443 (nginx, TLS 1.3) to a TLS 1.3 hello with an X25519 share.
const TLS13_HELLO: &str = concat!(
    "0303ef169429d38a10687969a3a9e0862ba2a3edcb04d2734e353bf1ee993b6ad5b32042424242424242424242424242",
    "42424242424242424242424242424242424242130100002e002b0002030400330024001d00206024c9d86aee93b305e4",
    "a11213114b6b7a8a8d8e70ec18212ff44e9528387f6a",
);

/// ServerHello body of 127.0.0.1:8455 (nginx, TLS 1.3) to a hello offering only secp384r1, without a share.
const TLS13_RETRY: &str = concat!(
    "0303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c2042424242424242424242424242",
    "42424242424242424242424242424242424242130200000c002b00020304003300020018",
);

/// ServerHello body of 127.0.0.1:8450 (tlslite-ng, SSL 3.0) to an SSL 3.0 hello.
const SSL3_HELLO: &str =
    "030042bbe2c5634fceeec1a9f71a6f77c6776306c472388aa717444f574e4752440000002f00";
