//! `GET /` to one exact address, plain or over TLS, reading only the response head: enough to
//! compare what two addresses of a host serve (the IPv6 check) without any redirect logic.
//! Certificates are not judged here (the TLS report does that), so any chain is accepted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use vigil_guard::AddressPolicy;

/// Largest response head read.
const MAX_HEAD: usize = 32 * 1024;

/// A response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    /// Lower-case names, trimmed values, in arrival order.
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a response head (status line and fields); `None` when it is not HTTP.
pub fn parse_head(bytes: &[u8]) -> Option<Head> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Head { status, headers })
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    host: &str,
    path: &str,
) -> Result<Head, String> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: vigil\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while head.len() < MAX_HEAD && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(buf.get(..n).unwrap_or_default()),
            Err(e) => return Err(e.to_string()),
        }
    }
    parse_head(&head).ok_or_else(|| "the answer is not HTTP".to_string())
}

/// `GET /` on `addr` with `Host: host`, over TLS (SNI `host`) when `tls`; bounded by `timeout`.
/// An address `guard` refuses is an error naming the address and the reason, before any
/// packet is sent.
pub async fn get_head(
    addr: SocketAddr,
    host: &str,
    tls: bool,
    timeout: Duration,
    guard: AddressPolicy,
) -> Result<Head, String> {
    get_head_of(addr, host, "/", tls, timeout, guard).await
}

/// `GET path` (an absolute path such as `/.well-known/security.txt`), otherwise as [`get_head`].
pub async fn get_head_of(
    addr: SocketAddr,
    host: &str,
    path: &str,
    tls: bool,
    timeout: Duration,
    guard: AddressPolicy,
) -> Result<Head, String> {
    let work = async {
        guard.check(addr.ip()).map_err(|r| r.to_string())?;
        let tcp = crate::net::connect(addr, guard)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        if !tls {
            return exchange(tcp, host, path).await;
        }
        let config = crate::handshake::accept_any_config(vec![b"http/1.1".to_vec()])
            .ok_or_else(|| "no TLS configuration".to_string())?;
        let name =
            rustls_pki_types::ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {addr}: {e}"))?;
        exchange(stream, host, path).await
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(format!("{addr} timed out")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_and_garbage_does_not() {
        let h = parse_head(b"HTTP/1.1 301 Moved\r\nLocation: https://x/\r\nX-A:  b \r\n\r\nbody")
            .unwrap();
        assert_eq!(h.status, 301);
        assert_eq!(h.header("location"), Some("https://x/"));
        assert_eq!(h.header("x-a"), Some("b"));
        assert_eq!(parse_head(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_head(b""), None);
        assert_eq!(parse_head(b"HTTP/1.1 abc\r\n\r\n"), None);
    }
}
