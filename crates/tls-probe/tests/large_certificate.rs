//! A large but valid certificate over the wire: a leaf with 10,000 subjectAltNames (about
//! 210 KB, like badssl.com's 10000-sans) served by `openssl s_server` on loopback must be read
//! whole, trusted under its root and matched against its own names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, SanType,
};
use rustls_pki_types::CertificateDer;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vigil_tls_probe::{TlsProbeConfig, retrieve_tls};

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_leaf_with_10000_names_is_read_trusted_and_matched() {
    // Root.
    let mut root = CertificateParams::new(Vec::<String>::new()).unwrap();
    root.distinguished_name.push(DnType::CommonName, "Big Root");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let root_der = root.self_signed(&root_key).unwrap().der().to_vec();
    // Leaf: 127.0.0.1 first (the host probed), then 9,999 DNS names.
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    for i in 1..10_000 {
        leaf.subject_alt_names.push(SanType::DnsName(
            format!("{i:05}.sans-10k.test").try_into().unwrap(),
        ));
    }
    leaf.not_before = rcgen::date_time_ymd(2025, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(2030, 1, 1);
    let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let leaf_cert = leaf
        .signed_by(&leaf_key, &Issuer::from_params(&root, &root_key))
        .unwrap();
    assert!(leaf_cert.der().len() > 200_000, "{}", leaf_cert.der().len());

    let dir = std::env::temp_dir().join(format!("vigil-large-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf_cert.pem()).unwrap();
    std::fs::write(dir.join("leaf.key"), leaf_key.serialize_pem()).unwrap();
    let port = free_port();
    let server = Server(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(dir.join("leaf.pem"))
            .arg("-key")
            .arg(dir.join("leaf.key"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server (the test needs openssl)"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let ev = retrieve_tls("127.0.0.1", port, &TlsProbeConfig::default()).await;
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ev.failure, None);
    let tls12 = ev.versions.iter().find(|v| v.version == 0x0303).unwrap();
    assert!(tls12.supported && tls12.errors.is_empty(), "{tls12:?}");

    let anchor = webpki::anchor_from_trusted_cert(&CertificateDer::from(root_der))
        .unwrap()
        .to_owned();
    let report = vigil_tls_checks::report::analyse(&ev, &[anchor], NOW);
    assert_eq!(report.error, None);
    let cert = report.certificate.as_ref().expect("a chain was captured");
    assert_eq!(cert.san.len(), 10_000);
    assert!(cert.trusted, "{:?}", cert.trust_error);
    assert!(cert.hostname_match && cert.chain_complete);
}
