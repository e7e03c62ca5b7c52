//! One HTTP/1.1 request on a fresh connection, fully bounded: DNS, connect, TLS, head and body
//! all share one deadline, the head and body have size caps, and every failure maps to a fixed
//! [`ProbeStatus`].

use crate::body;
use crate::config::Limits;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use url::Url;
use vigil_guard::AddressPolicy;
use vigil_model::evidence::ProbeStatus;

/// The request method (the probe only ever needs these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// OPTIONS (the CORS preflight)
    Options,
}

/// Whether the body of the answer is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyWanted {
    /// Read and decode the body.
    Yes,
    /// Drop the connection after the head.
    No,
}

/// One request to make.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Absolute http(s) URL.
    pub url: &'a Url,
    /// Method.
    pub method: Method,
    /// Header fields after Host (in order).
    pub headers: Vec<(&'static str, String)>,
    /// Whether to read the body.
    pub body: BodyWanted,
    /// Which addresses the connection may go to.
    pub guard: AddressPolicy,
}

/// A received answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Header fields: lower-case name, cleaned Latin-1 value.
    pub headers: Vec<(String, String)>,
    /// Decoded body (when wanted).
    pub body: Option<String>,
    /// True when the body hit a size cap.
    pub body_truncated: bool,
}

impl Answer {
    /// First value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A failed request, with its fixed status and a detail for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The fixed status.
    pub status: ProbeStatus,
    /// What happened.
    pub detail: String,
}

fn fail(status: ProbeStatus, detail: impl Into<String>) -> FetchError {
    FetchError {
        status,
        detail: detail.into(),
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Node's header value cleaning: Latin-1, control characters but TAB removed, trimmed.
pub fn clean_header_value(raw: &[u8]) -> String {
    let s: String = raw
        .iter()
        .map(|&b| b as char)
        .filter(|&c| c == '\t' || !(c < ' ' || c == '\u{7f}'))
        .collect();
    s.trim_matches([' ', '\t']).to_string()
}

/// Makes the request. `tls` is used for https URLs; `deadline` bounds everything.
pub async fn fetch(
    req: &Request<'_>,
    tls: &Arc<ClientConfig>,
    limits: &Limits,
    deadline: Instant,
) -> Result<Answer, FetchError> {
    match timeout_at(deadline, fetch_inner(req, tls, limits, deadline)).await {
        Ok(r) => r,
        Err(_) => Err(fail(ProbeStatus::Timeout, "timed out")),
    }
}

/// Resolves the URL's host and connects to the first address that answers, mapping every
/// failure to a fixed [`ProbeStatus`]. Shared with the fediverse client.
///
/// `guard` is checked on each resolved address just before connecting to it, so a name whose
/// answer changes between lookups (DNS rebinding) or a redirect to a blocked address is
/// refused at the connection itself; blocked addresses are skipped, and when every address
/// is blocked the error is [`ProbeStatus::Forbidden`] naming the address and the reason.
pub async fn connect(url: &Url, guard: AddressPolicy) -> Result<TcpStream, FetchError> {
    let host = url
        .host_str()
        .ok_or_else(|| fail(ProbeStatus::ProtocolError, "URL without host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| fail(ProbeStatus::DnsError, format!("cannot resolve {host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(fail(
            ProbeStatus::DnsError,
            format!("{host} has no address"),
        ));
    }
    let mut refused = None;
    let mut last = None;
    for addr in addrs {
        if let Err(r) = guard.check(addr.ip()) {
            refused.get_or_insert(fail(ProbeStatus::Forbidden, r.to_string()));
            continue;
        }
        match TcpStream::connect(addr).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = Some(fail(
                    ProbeStatus::Refused,
                    format!("{addr}: connection refused"),
                ));
            }
            Err(e) => last = Some(fail(ProbeStatus::Closed, format!("{addr}: {e}"))),
        }
    }
    // An address that was tried says more about the host than one the guard skipped.
    Err(last
        .or(refused)
        .unwrap_or_else(|| fail(ProbeStatus::Refused, "no address answered")))
}

/// Maps a TLS handshake error to a fixed status (certificate errors apart).
pub fn classify_tls(e: std::io::Error) -> FetchError {
    if let Some(rustls::Error::InvalidCertificate(c)) =
        e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
    {
        return fail(
            ProbeStatus::CertificateError,
            format!("certificate rejected: {c:?}"),
        );
    }
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => fail(
            ProbeStatus::Closed,
            format!("connection closed during TLS handshake: {e}"),
        ),
        _ => fail(ProbeStatus::TlsError, format!("TLS handshake failed: {e}")),
    }
}

/// Maps a hyper error to a fixed status.
pub fn classify_hyper(e: &hyper::Error) -> FetchError {
    if e.is_parse() || e.is_parse_status() {
        fail(
            ProbeStatus::ProtocolError,
            format!("not a valid HTTP response: {e}"),
        )
    } else if e.is_timeout() {
        fail(ProbeStatus::Timeout, "timed out")
    } else {
        fail(ProbeStatus::Closed, format!("connection failed: {e}"))
    }
}

async fn fetch_inner(
    req: &Request<'_>,
    tls: &Arc<ClientConfig>,
    limits: &Limits,
    deadline: Instant,
) -> Result<Answer, FetchError> {
    let url = req.url;
    let tcp = connect(url, req.guard).await?;
    let io: Box<dyn Io> = if url.scheme() == "https" {
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let name = ServerName::try_from(host)
            .map_err(|e| fail(ProbeStatus::ProtocolError, format!("bad server name: {e}")))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::clone(tls))
            .connect(name, tcp)
            .await
            .map_err(classify_tls)?;
        Box::new(stream)
    } else {
        Box::new(tcp)
    };
    let mut builder = http1::Builder::new();
    builder
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_head_bytes.max(8192))
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true);
    let (mut sender, conn) = builder
        .handshake::<_, Empty<Bytes>>(TokioIo::new(io))
        .await
        .map_err(|e| classify_hyper(&e))?;
    // The connection task ends with the response (we send `Connection: close`); the deadline
    // guarantees it also ends when a hostile peer keeps it open.
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
    let method = match req.method {
        Method::Get => http::Method::GET,
        Method::Options => http::Method::OPTIONS,
    };
    let mut builder = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", host_header);
    for (name, value) in &req.headers {
        builder = builder.header(*name, value.as_str());
    }
    let request = builder
        .header("connection", "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| {
            fail(
                ProbeStatus::ProtocolError,
                format!("cannot build request: {e}"),
            )
        })?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| classify_hyper(&e))?;

    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                clean_header_value(v.as_bytes()),
            )
        })
        .collect();
    let mut answer = Answer {
        status,
        headers,
        body: None,
        body_truncated: false,
    };
    if req.body == BodyWanted::No {
        return Ok(answer);
    }
    let mut body = response.into_body();
    let mut raw: Vec<u8> = Vec::new();
    let mut wire_truncated = false;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            // The connection task shares the deadline: when it is dropped at the deadline the
            // body ends in an error, which is the timeout and not a short page.
            Err(_) if Instant::now() >= deadline => {
                return Err(fail(ProbeStatus::Timeout, "timed out"));
            }
            // A connection that dies mid-body still gave us a response; keep what arrived.
            Err(_) => {
                wire_truncated = true;
                break;
            }
        };
        if let Ok(data) = frame.into_data() {
            let room = limits.max_body_bytes.saturating_sub(raw.len());
            if data.len() > room {
                raw.extend_from_slice(data.get(..room).unwrap_or_default());
                wire_truncated = true;
                break;
            }
            raw.extend_from_slice(&data);
        }
    }
    let encoding = answer.header("content-encoding").map(str::to_string);
    let decoded = body::decode(
        &raw,
        encoding.as_deref(),
        wire_truncated,
        limits.max_decoded_bytes,
    )
    .map_err(|e| fail(ProbeStatus::ProtocolError, e.to_string()))?;
    answer.body = Some(decoded.text);
    answer.body_truncated = decoded.truncated;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_cleaned() {
        assert_eq!(clean_header_value(b"  a\tb \x01c\x7f "), "a\tb c");
        assert_eq!(clean_header_value(&[0xe9]), "\u{e9}");
    }
}
