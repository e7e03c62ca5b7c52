//! The one way the TLS probes open a TCP connection: the address guard is asked first, on the
//! exact address about to be connected to, so no probe, handshake or fetch of this crate can
//! reach an address the scan's policy refuses.

use std::net::SocketAddr;
use tokio::net::TcpStream;
use vigil_guard::AddressPolicy;

/// Connects to `addr` unless `guard` refuses it; a refusal is a `PermissionDenied` error whose
/// text names the address and the reason, and no packet is sent.
pub(crate) async fn connect(addr: SocketAddr, guard: AddressPolicy) -> std::io::Result<TcpStream> {
    guard
        .check(addr.ip())
        .map_err(|r| std::io::Error::new(std::io::ErrorKind::PermissionDenied, r.to_string()))?;
    TcpStream::connect(addr).await
}
