//! One real handshake with rustls: the chain and OCSP staple under TLS 1.3 (where they are
//! encrypted), ALPN, and `GET /` for the Strict-Transport-Security header. The verifier records
//! what it is shown and accepts it, so the verdicts are computed later from the evidence.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_guard::AddressPolicy;

/// What the real handshake learned.
#[derive(Debug, Default, Clone)]
pub struct HandshakeFacts {
    pub version: Option<u16>,
    pub chain: Vec<Vec<u8>>,
    pub ocsp_staple: Option<Vec<u8>>,
    /// The protocol chosen when `h2` and `http/1.1` were offered.
    pub alpn: Option<String>,
    /// The second handshake resumed the first one's session (ticket or id).
    pub resumed: Option<bool>,
    pub hsts: Option<String>,
    pub http_status: Option<String>,
}

#[derive(Debug)]
struct Recorder {
    seen: Mutex<(Vec<Vec<u8>>, Vec<u8>)>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.0 = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.as_ref().to_vec())
                .collect();
            seen.1 = ocsp_response.to_vec();
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// A client configuration whose verifier records the chain and staple it is shown and accepts
/// them; the verdicts are computed later from the evidence.
fn recording_config(alpn: Vec<Vec<u8>>) -> Option<(rustls::ClientConfig, Arc<Recorder>)> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let recorder = Arc::new(Recorder {
        seen: Mutex::new((Vec::new(), Vec::new())),
        schemes: provider
            .signature_verification_algorithms
            .supported_schemes(),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    config.alpn_protocols = alpn;
    Some((config, recorder))
}

/// A client configuration that accepts any certificate: for fetches whose point is the HTTP
/// answer, not the certificate.
pub fn accept_any_config(alpn: Vec<Vec<u8>>) -> Option<rustls::ClientConfig> {
    recording_config(alpn).map(|(config, _)| config)
}

/// Largest HTTP response head read for the HSTS header.
const MAX_HEAD: usize = 32 * 1024;

/// Handshakes with `addr` as `host` and reads `GET /`'s head, then handshakes again offering
/// `h2` with the first session for resumption; `None` when no handshake succeeded (or `guard`
/// refused `addr`).
pub async fn real_handshake(
    addr: SocketAddr,
    host: &str,
    timeout: Duration,
    guard: AddressPolicy,
) -> Option<HandshakeFacts> {
    tokio::time::timeout(timeout, run(addr, host, guard))
        .await
        .ok()
        .flatten()
}

/// The second connection: which ALPN protocol the server picks among `h2` and `http/1.1`, and
/// whether it resumes the session the first connection got.
async fn second_handshake(
    addr: SocketAddr,
    name: ServerName<'static>,
    mut config: rustls::ClientConfig,
    guard: AddressPolicy,
) -> Option<(Option<String>, bool)> {
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let tcp = crate::net::connect(addr, guard).await.ok()?;
    let _ = tcp.set_nodelay(true);
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .ok()?;
    let (_, conn) = tls.get_ref();
    let alpn = conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let resumed = conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    Some((alpn, resumed))
}

async fn run(addr: SocketAddr, host: &str, guard: AddressPolicy) -> Option<HandshakeFacts> {
    let (config, recorder) = recording_config(vec![b"http/1.1".to_vec()])?;
    let name = ServerName::try_from(host.to_string()).ok()?;
    let tcp = crate::net::connect(addr, guard).await.ok()?;
    let _ = tcp.set_nodelay(true);
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config.clone()));
    let mut tls = connector.connect(name.clone(), tcp).await.ok()?;
    let mut facts = HandshakeFacts::default();
    {
        let (_, conn) = tls.get_ref();
        facts.version = conn.protocol_version().map(u16::from);
        facts.alpn = conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned());
    }
    if let Ok(seen) = recorder.seen.lock() {
        facts.chain = seen.0.clone();
        facts.ocsp_staple = (!seen.1.is_empty()).then(|| seen.1.clone());
    }
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: vigil\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    if tls.write_all(request.as_bytes()).await.is_err() {
        return Some(finish(facts, addr, name, config, guard).await);
    }
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while head.len() < MAX_HEAD && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(buf.get(..n).unwrap_or_default()),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    facts.http_status = lines
        .next()
        .filter(|l| l.starts_with("HTTP/"))
        .map(str::to_string);
    if facts.http_status.is_some() {
        facts.hsts = lines
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("strict-transport-security"))
            .map(|(_, v)| v.trim().to_string());
    }
    // Reading the answer also took in any TLS 1.3 session tickets, so resumption can be tried.
    drop(tls);
    Some(finish(facts, addr, name, config, guard).await)
}

async fn finish(
    mut facts: HandshakeFacts,
    addr: SocketAddr,
    name: ServerName<'static>,
    config: rustls::ClientConfig,
    guard: AddressPolicy,
) -> HandshakeFacts {
    if let Some((alpn, resumed)) = second_handshake(addr, name, config, guard).await {
        facts.alpn = alpn;
        facts.resumed = Some(resumed);
    }
    facts
}
