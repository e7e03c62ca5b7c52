//! One small HTTP/1.1 POST over plain TCP or rustls, for webhooks, ntfy and Mastodon: the
//! whole exchange under one deadline, the answer's body read only up to a cap, no redirects
//! followed (a receiver that moved must be re-subscribed, not chased), and, for targets the
//! public gave us, no private, loopback or link-local addresses.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use url::Url;

use crate::SendError;

/// Bounds on one POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// The whole exchange: name lookup, connect, TLS, request and answer.
    pub timeout: Duration,
    /// Most bytes of the answer's body read (the rest is not waited for).
    pub max_answer_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            timeout: Duration::from_secs(15),
            max_answer_bytes: 64 * 1024,
        }
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// A TLS client configuration trusting the Mozilla roots (the same on every machine).
pub fn default_tls() -> Result<Arc<ClientConfig>, SendError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SendError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// Whether an address is on the public internet (what a public subscription may point at).
pub fn public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_address(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

/// POSTs `body` to `url` with `headers`; `allow_private` lets it reach any address (operator
/// targets, tests), otherwise every address the name has must be public.
pub async fn post(
    url: &Url,
    headers: &[(&str, String)],
    body: Vec<u8>,
    tls: &Arc<ClientConfig>,
    limits: HttpLimits,
    allow_private: bool,
) -> Result<Answer, SendError> {
    tokio::time::timeout(
        limits.timeout,
        post_inner(url, headers, body, tls, limits, allow_private),
    )
    .await
    .map_err(|_| SendError::Timeout)?
}

async fn post_inner(
    url: &Url,
    headers: &[(&str, String)],
    body: Vec<u8>,
    tls: &Arc<ClientConfig>,
    limits: HttpLimits,
    allow_private: bool,
) -> Result<Answer, SendError> {
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        other => return Err(SendError::BadTarget(format!("scheme {other:?}"))),
    };
    let host = url
        .host_str()
        .ok_or_else(|| SendError::BadTarget(format!("{url}: no host")))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| SendError::BadTarget(format!("{url}: no port")))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| SendError::Connect(format!("{host}: {e}")))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(SendError::Connect(format!("{host}: no address")));
    }
    if !allow_private && let Some(bad) = addrs.iter().find(|a| !public_address(a.ip())) {
        return Err(SendError::BadTarget(format!(
            "{host} leads to the non-public address {}",
            bad.ip()
        )));
    }
    let mut last = None;
    let mut tcp = None;
    for a in &addrs {
        match tokio::net::TcpStream::connect(a).await {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let Some(tcp) = tcp else {
        return Err(SendError::Connect(format!(
            "{host}: {}",
            last.map(|e| e.to_string()).unwrap_or_default()
        )));
    };
    let _ = tcp.set_nodelay(true);
    let mut path = url.path().to_string();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let mut req = http::Request::builder()
        .method(http::Method::POST)
        .uri(path)
        .header(http::header::HOST, authority)
        .header(http::header::CONTENT_LENGTH, body.len());
    for (name, value) in headers {
        req = req.header(*name, value.as_str());
    }
    let req = req
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| SendError::BadTarget(format!("request: {e}")))?;
    if https {
        let name = ServerName::try_from(bare.to_string())
            .map_err(|e| SendError::BadTarget(format!("{host}: {e}")))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::clone(tls))
            .connect(name, tcp)
            .await
            .map_err(|e| SendError::Connect(format!("TLS with {host}: {e}")))?;
        exchange(TokioIo::new(stream), req, limits).await
    } else {
        exchange(TokioIo::new(tcp), req, limits).await
    }
}

async fn exchange<S>(
    io: TokioIo<S>,
    req: http::Request<Full<Bytes>>,
    limits: HttpLimits,
) -> Result<Answer, SendError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| SendError::Connect(format!("HTTP: {e}")))?;
    let driver = tokio::spawn(conn);
    let result = async {
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| SendError::Connect(format!("HTTP: {e}")))?;
        let status = resp.status().as_u16();
        // A short read of an over-long answer is fine: only the status decides.
        let body = match Limited::new(resp.into_body(), limits.max_answer_bytes)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes().to_vec(),
            Err(_) => Vec::new(),
        };
        Ok(Answer { status, body })
    }
    .await;
    driver.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(
                !public_address(a.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                "{a}"
            );
        }
        for a in ["1.1.1.1", "2606:4700::1111", "93.184.216.34"] {
            assert!(
                public_address(a.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                "{a}"
            );
        }
    }
}
