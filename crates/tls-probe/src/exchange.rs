//! One probe: connect, write a ClientHello, read the server's cleartext flight (bounded in
//! bytes and time), classify the answer, close.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vigil_guard::AddressPolicy;
use vigil_tls_wire::record::{HandshakeJoiner, RecordReader, content};
use vigil_tls_wire::server::{self, ServerHello, handshake};
use vigil_tls_wire::{AlertDescription, ProtocolVersion, WireError};

/// What the server sent after the ServerHello, up to ServerHelloDone.
#[derive(Debug, Clone, Default)]
pub struct Flight {
    pub certificates: Option<Vec<Vec<u8>>>,
    /// Raw ServerKeyExchange body (parsed by the caller, who knows the key exchange).
    pub server_key_exchange: Option<Vec<u8>>,
    pub ocsp_staple: Option<Vec<u8>>,
}

/// How a probe ended.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A ServerHello (or HelloRetryRequest) and, when asked for, the rest of the flight.
    Hello(Box<ServerHello>, Flight),
    /// A fatal alert before any ServerHello.
    Alert(AlertDescription),
    /// The connection closed or reset without a ServerHello.
    Closed,
    /// Nothing useful within the time limit.
    Timeout,
    /// Bytes that are not a TLS answer, or broke a limit.
    Garbage(WireError),
    /// The TCP connection could not be made.
    ConnectFailed(String),
}

impl Answer {
    /// The ServerHello, when there was one.
    pub fn hello(&self) -> Option<&ServerHello> {
        match self {
            Answer::Hello(h, _) => Some(h),
            _ => None,
        }
    }

    /// A short description of an abnormal ending, `None` for ordinary refusals.
    pub fn abnormal(&self) -> Option<String> {
        match self {
            Answer::Timeout => Some("timed out".into()),
            Answer::Garbage(e) => Some(e.to_string()),
            Answer::ConnectFailed(e) => Some(format!("connect: {e}")),
            _ => None,
        }
    }
}

/// Bounds on one probe.
#[derive(Debug, Clone, Copy)]
pub struct ExchangeLimits {
    pub timeout: Duration,
    /// Bytes read before giving up on a flight (a chain plus staple fits easily).
    pub max_bytes: usize,
    /// Which addresses a probe may connect to.
    pub guard: AddressPolicy,
}

/// Runs one probe; never panics and never waits longer than `limits.timeout`.
pub async fn exchange(
    addr: SocketAddr,
    hello: &[u8],
    want_flight: bool,
    limits: ExchangeLimits,
) -> Answer {
    match tokio::time::timeout(limits.timeout, run(addr, hello, want_flight, limits)).await {
        Ok(answer) => answer,
        Err(_) => Answer::Timeout,
    }
}

async fn run(addr: SocketAddr, hello: &[u8], want_flight: bool, limits: ExchangeLimits) -> Answer {
    let mut stream = match crate::net::connect(addr, limits.guard).await {
        Ok(s) => s,
        Err(e) => return Answer::ConnectFailed(e.to_string()),
    };
    let _ = stream.set_nodelay(true);
    if stream.write_all(hello).await.is_err() {
        return Answer::Closed;
    }
    read_answer(&mut stream, want_flight, limits.max_bytes).await
}

/// Reads the server's answer to a ClientHello already sent on `stream`: the ServerHello and,
/// with `want_flight`, the rest of the cleartext flight up to ServerHelloDone, after which the
/// stream is left open for callers that go on (the Heartbleed and ROBOT tests).
pub(crate) async fn read_answer(
    stream: &mut TcpStream,
    want_flight: bool,
    max_bytes: usize,
) -> Answer {
    let mut records = RecordReader::new();
    let mut messages = HandshakeJoiner::new();
    let mut got: Option<(ServerHello, Flight)> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0usize;
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return finish(got, Answer::Closed),
            Ok(n) => n,
        };
        total += n;
        if total > max_bytes {
            return finish(got, Answer::Garbage(WireError::MessageTooLong(total)));
        }
        records.push(buf.get(..n).unwrap_or_default());
        loop {
            let record = match records.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => return finish(got, Answer::Garbage(e)),
            };
            match record.content_type {
                content::ALERT => {
                    return match server::parse_alert(&record.payload) {
                        Ok((_, desc)) => finish(got, Answer::Alert(desc)),
                        Err(e) => finish(got, Answer::Garbage(e)),
                    };
                }
                content::HANDSHAKE => messages.push(&record.payload),
                // ChangeCipherSpec or encrypted data: the cleartext part is over.
                _ => return finish(got, Answer::Closed),
            }
            loop {
                let (kind, body) = match messages.next_message() {
                    Ok(Some(m)) => m,
                    Ok(None) => break,
                    Err(e) => return finish(got, Answer::Garbage(e)),
                };
                match (kind, got.as_mut()) {
                    (handshake::SERVER_HELLO, None) => match server::parse_server_hello(&body) {
                        Ok(h) => {
                            let done = !want_flight
                                || h.is_hello_retry()
                                || h.version() >= ProtocolVersion::TLS1_3;
                            got = Some((h, Flight::default()));
                            if done {
                                return finish(got, Answer::Closed);
                            }
                        }
                        Err(e) => return Answer::Garbage(e),
                    },
                    (_, None) => {
                        return Answer::Garbage(WireError::Unsupported(
                            "message before ServerHello",
                        ));
                    }
                    (handshake::CERTIFICATE, Some((_, f))) => {
                        f.certificates = server::parse_certificate_list(&body).ok();
                    }
                    (handshake::SERVER_KEY_EXCHANGE, Some((_, f))) => {
                        f.server_key_exchange = Some(body)
                    }
                    (handshake::CERTIFICATE_STATUS, Some((_, f))) => {
                        f.ocsp_staple = server::parse_certificate_status(&body).ok();
                    }
                    (handshake::SERVER_HELLO_DONE, Some(_)) => return finish(got, Answer::Closed),
                    _ => {}
                }
            }
        }
    }
}

/// A ServerHello wins over whatever ended the connection afterwards.
fn finish(got: Option<(ServerHello, Flight)>, otherwise: Answer) -> Answer {
    match got {
        Some((h, f)) => Answer::Hello(Box::new(h), f),
        None => otherwise,
    }
}

/// Sends raw bytes and returns what came back (SSL 2.0 probes, which are not TLS records).
pub async fn raw_exchange(
    addr: SocketAddr,
    bytes: &[u8],
    limits: ExchangeLimits,
) -> Result<Vec<u8>, Answer> {
    let fut = async {
        let mut stream = crate::net::connect(addr, limits.guard)
            .await
            .map_err(|e| Answer::ConnectFailed(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        stream.write_all(bytes).await.map_err(|_| Answer::Closed)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    out.extend_from_slice(buf.get(..n).unwrap_or_default());
                    if out.len() >= limits.max_bytes || sslv2_complete(&out) {
                        break;
                    }
                }
            }
        }
        Ok(out)
    };
    tokio::time::timeout(limits.timeout, fut)
        .await
        .unwrap_or(Err(Answer::Timeout))
}

/// True once a whole SSL 2.0 record (2-byte header form) has arrived.
fn sslv2_complete(bytes: &[u8]) -> bool {
    match bytes {
        [a, b, ..] if a & 0x80 != 0 => {
            let len = usize::from(u16::from_be_bytes([*a, *b]) & 0x7fff);
            bytes.len() >= len + 2
        }
        [_, _, ..] => true,
        _ => false,
    }
}
