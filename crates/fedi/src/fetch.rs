//! One bounded HTTPS GET on a fresh connection: DNS, connect, TLS, head and body share one
//! deadline, the head and body are capped, and every failure maps to a [`FediErrorKind`].
//!
//! It shares `vigil-probe`'s connection set-up and error classification (hyper http1 over
//! rustls, `Connection: close`) but is simpler: https only, certificates always verified, no
//! content coding asked for (so bodies arrive as identity), and a body over the cap is an
//! error rather than truncated, because a cut JSON document is useless. Redirects are the
//! caller's business.

use crate::config::FediLimits;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use url::Url;
use vigil_model::fedi::FediErrorKind;

/// A received answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// `Location`, when present and valid UTF-8.
    pub location: Option<String>,
    /// The body; read only for 2xx answers.
    pub body: Vec<u8>,
}

/// A failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The fixed kind.
    pub kind: FediErrorKind,
    /// What happened.
    pub detail: String,
}

fn fail(kind: FediErrorKind, detail: impl Into<String>) -> Failure {
    Failure {
        kind,
        detail: detail.into(),
    }
}

/// What to ask for.
pub struct Get<'a> {
    /// Absolute https URL (checked by the caller).
    pub url: &'a Url,
    /// `Accept` header.
    pub accept: &'a str,
    /// `User-Agent` header.
    pub user_agent: &'a str,
    /// Which addresses the connection may go to.
    pub guard: vigil_guard::AddressPolicy,
}

/// Makes the request; `deadline` bounds everything, including the body.
pub async fn get(
    req: &Get<'_>,
    tls: &Arc<ClientConfig>,
    limits: &FediLimits,
    deadline: Instant,
) -> Result<Answer, Failure> {
    match timeout_at(deadline, get_inner(req, tls, limits, deadline)).await {
        Ok(r) => r,
        Err(_) => Err(fail(FediErrorKind::Timeout, "timed out")),
    }
}

fn bare_host(url: &Url) -> Result<String, Failure> {
    url.host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .ok_or_else(|| fail(FediErrorKind::RejectedUrl, "URL without host"))
}

/// The shared client's failure, in the fediverse error kinds.
fn from_probe(e: vigil_probe::FetchError) -> Failure {
    use vigil_model::evidence::ProbeStatus as S;
    let kind = match e.status {
        S::DnsError => FediErrorKind::DnsError,
        S::Refused => FediErrorKind::Refused,
        S::Timeout => FediErrorKind::Timeout,
        S::TlsError => FediErrorKind::TlsError,
        S::CertificateError => FediErrorKind::CertificateError,
        S::ProtocolError => FediErrorKind::ProtocolError,
        // The guard refused the address: somewhere the retrieval refuses to go.
        S::Forbidden => FediErrorKind::RejectedUrl,
        _ => FediErrorKind::Closed,
    };
    fail(kind, e.detail)
}

async fn connect(url: &Url, guard: vigil_guard::AddressPolicy) -> Result<TcpStream, Failure> {
    vigil_probe::connect(url, guard).await.map_err(from_probe)
}

fn classify_tls(e: std::io::Error) -> Failure {
    from_probe(vigil_probe::classify_tls(e))
}

fn classify_hyper(e: &hyper::Error) -> Failure {
    from_probe(vigil_probe::classify_hyper(e))
}

async fn get_inner(
    req: &Get<'_>,
    tls: &Arc<ClientConfig>,
    limits: &FediLimits,
    deadline: Instant,
) -> Result<Answer, Failure> {
    let url = req.url;
    if url.scheme() != "https" {
        return Err(fail(FediErrorKind::RejectedUrl, "only https is fetched"));
    }
    let tcp = connect(url, req.guard).await?;
    let name = ServerName::try_from(bare_host(url)?)
        .map_err(|e| fail(FediErrorKind::RejectedUrl, format!("bad server name: {e}")))?;
    let stream = tokio_rustls::TlsConnector::from(Arc::clone(tls))
        .connect(name, tcp)
        .await
        .map_err(classify_tls)?;

    let mut builder = http1::Builder::new();
    builder
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_head_bytes.max(8192));
    let (mut sender, conn) = builder
        .handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| classify_hyper(&e))?;
    // The connection task ends with the response (`Connection: close`); the deadline makes sure
    // it also ends when a hostile peer keeps the socket open.
    tokio::spawn(async move {
        let _ = timeout_at(deadline, conn).await;
    });

    let mut host_header = url.host_str().unwrap_or_default().to_string();
    if let Some(port) = url.port() {
        host_header.push_str(&format!(":{port}"));
    }
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let request = http::Request::builder()
        .method(http::Method::GET)
        .uri(target)
        .header("host", host_header)
        .header("user-agent", req.user_agent)
        .header("accept", req.accept)
        .header("connection", "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| {
            fail(
                FediErrorKind::RejectedUrl,
                format!("cannot build request: {e}"),
            )
        })?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| classify_hyper(&e))?;

    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut answer = Answer {
        status,
        location,
        body: Vec::new(),
    };
    if !(200..300).contains(&status) {
        return Ok(answer);
    }
    let declared = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return Err(too_large(limits));
    }
    let mut body = response.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| fail(FediErrorKind::Closed, format!("body cut off: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if data.len() > limits.max_body_bytes.saturating_sub(answer.body.len()) {
                return Err(too_large(limits));
            }
            answer.body.extend_from_slice(&data);
        }
    }
    Ok(answer)
}

fn too_large(limits: &FediLimits) -> Failure {
    fail(
        FediErrorKind::TooLarge,
        format!("body larger than {} bytes", limits.max_body_bytes),
    )
}
