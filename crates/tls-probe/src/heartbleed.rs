//! The Heartbleed test (CVE-2014-0160), done safely: only when the server accepts the heartbeat
//! extension, send one heartbeat request that claims 16 KiB of payload but carries none. A
//! patched server discards it; a vulnerable one answers with up to 16 KiB of its memory, of
//! which we read only the record header and throw the rest away.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_tls_wire::client_hello::ext;
use vigil_tls_wire::record::content;

use crate::exchange::{ExchangeLimits, read_answer};

/// How long to wait for a heartbeat answer once the request is sent.
const ANSWER_WAIT: std::time::Duration = std::time::Duration::from_millis(1000);

/// `None`: the server does not offer heartbeats (or the handshake failed); `Some(vulnerable)`.
pub async fn test(
    addr: SocketAddr,
    hello: &[u8],
    record_version: u16,
    limits: ExchangeLimits,
) -> Option<bool> {
    let mut stream = tokio::time::timeout(limits.timeout, crate::net::connect(addr, limits.guard))
        .await
        .ok()?
        .ok()?;
    let _ = stream.set_nodelay(true);
    tokio::time::timeout(limits.timeout, stream.write_all(hello))
        .await
        .ok()?
        .ok()?;
    let answer = tokio::time::timeout(
        limits.timeout,
        read_answer(&mut stream, true, limits.max_bytes),
    )
    .await
    .ok()?;
    let offered = answer
        .hello()
        .is_some_and(|h| h.extension(ext::HEARTBEAT).is_some());
    if !offered {
        return None;
    }
    // First a lying request: type 1, payload_length 0x4000, no payload, no padding. Then an
    // honest one (1 byte of payload, 16 of padding), so a patched server that drops the first
    // still answers at once and we need not wait out the timeout.
    let v = record_version.to_be_bytes();
    let mut requests = vec![content::HEARTBEAT, v[0], v[1], 0x00, 0x03, 0x01, 0x40, 0x00];
    requests.extend_from_slice(&[
        content::HEARTBEAT,
        v[0],
        v[1],
        0x00,
        HONEST_LEN as u8,
        0x01,
        0x00,
        0x01,
        0x42,
    ]);
    requests.extend_from_slice(&[0u8; 16]);
    stream.write_all(&requests).await.ok()?;
    let mut header = [0u8; 5];
    match tokio::time::timeout(ANSWER_WAIT, stream.read_exact(&mut header)).await {
        Ok(Ok(_)) => {
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            // An answer longer than the honest request's gave memory away.
            Some(header[0] == content::HEARTBEAT && len > HONEST_LEN)
        }
        _ => Some(false),
    }
}

/// Record length of the honest heartbeat request: type, length, 1 byte, 16 bytes of padding.
const HONEST_LEN: usize = 1 + 2 + 1 + 16;
