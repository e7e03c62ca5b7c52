//! The report from hand-made evidence: DH prime sizes from the recorded hex, and the unknown
//! state of versions whose probes stayed unanswered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_model::{TlsEvidence, VersionEvidence};
use vigil_tls_checks::report::{ProtocolStatus, RobotStatus, analyse};

fn version(code: u16, suites: &[u32], errors: &[&str]) -> VersionEvidence {
    VersionEvidence {
        version: code,
        supported: !suites.is_empty(),
        suites: suites.to_vec(),
        server_order: None,
        chacha_priority: None,
        errors: errors.iter().map(|e| e.to_string()).collect(),
    }
}

/// TLS 1.2 with one DHE suite (TLS_DHE_RSA_WITH_AES_128_GCM_SHA256), `dh` as the prime.
fn evidence(dh: Option<String>) -> TlsEvidence {
    TlsEvidence {
        address: Some("127.0.0.1".into()),
        versions: vec![
            version(0x0002, &[], &[]),
            version(0x0300, &[], &[]),
            version(0x0301, &[], &[]),
            version(0x0302, &[], &[]),
            version(0x0303, &[0x009e], &[]),
            version(0x0304, &[], &[]),
        ],
        dh_prime_hex: dh,
        probes: 10,
        elapsed_ms: 5,
        ..TlsEvidence::empty("site.test", 443)
    }
}

#[test]
fn dh_bits_come_from_the_whole_prime() {
    // A 2048-bit prime's length: top bit set, 256 bytes.
    let mut prime = vec![0xffu8; 256];
    prime[0] = 0x80;
    let r = analyse(&evidence(Some(hex::encode(&prime))), &[], 0);
    assert_eq!(r.dh_bits, Some(2048));
    assert_eq!(r.error, None);
    // Upper-case hex is hex too.
    let r = analyse(&evidence(Some(hex::encode_upper(&prime))), &[], 0);
    assert_eq!(r.dh_bits, Some(2048));
}

#[test]
fn a_corrupt_prime_has_no_size_rather_than_a_wrong_one() {
    // One bad pair in the middle: the old decoder dropped it and reported 2040 bits, and an
    // odd length read its last digit as a whole byte. Neither is a size of the server's prime.
    let mut text = hex::encode({
        let mut p = vec![0xffu8; 256];
        p[0] = 0x80;
        p
    });
    text.replace_range(100..102, "zz");
    let r = analyse(&evidence(Some(text)), &[], 0);
    assert_eq!(r.dh_bits, None);
    assert!(r.error.unwrap().contains("DH prime is not hex"));
    let r = analyse(&evidence(Some("fff".into())), &[], 0);
    assert_eq!(r.dh_bits, None);
}

#[test]
fn unanswered_probes_make_a_version_unknown() {
    let mut ev = evidence(None);
    ev.versions[5] = version(0x0304, &[], &["timed out (3 attempts)"]);
    ev.versions[4] = version(0x0303, &[0x009e], &["connect: refused (3 attempts)"]);
    let r = analyse(&ev, &[], 0);
    assert_eq!(r.protocols.tls1_3.status, ProtocolStatus::Unknown);
    assert!(!r.protocols.tls1_3.supported);
    assert_eq!(r.protocols.tls1_2.status, ProtocolStatus::Supported);
    assert!(!r.protocols.tls1_2.suites_complete);
    assert_eq!(r.protocols.tls1_1.status, ProtocolStatus::NotSupported);
    assert!(r.protocols.tls1_1.suites_complete);
    assert!(!r.complete);
    assert_eq!(
        r.unknown,
        [
            "TLS1.2 suites may be incomplete: connect: refused (3 attempts)",
            "TLS1.3: timed out (3 attempts)"
        ]
    );
    let complete = analyse(&evidence(None), &[], 0);
    assert!(complete.complete && complete.unknown.is_empty());
}

#[test]
fn robot_states_are_told_apart() {
    let mut ev = evidence(None);
    assert_eq!(
        analyse(&ev, &[], 0).robot_status,
        RobotStatus::NotApplicable
    );
    ev.robot_note = Some("inconclusive: the answers differed".into());
    let r = analyse(&ev, &[], 0);
    assert_eq!(r.robot_status, RobotStatus::Unknown);
    assert_eq!(r.robot, None);
    assert_eq!(r.unknown, ["ROBOT: inconclusive: the answers differed"]);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["robot_status"], "unknown");
    assert_eq!(json["robot_detail"], "inconclusive: the answers differed");
}
