//! TLS wire codec for probing servers: ClientHellos built byte by byte (any version, suite,
//! group or extension), record framing, and parsers for everything a server sends in clear.
//!
//! No sockets and no async: probes in `vigil-tls-probe` own the I/O and feed bytes in, so
//! every parser here is a pure function that can be fuzzed and tested on captured bytes.
//! Wire values are newtypes that keep unknown codes.

pub mod client_hello;
pub mod reader;
pub mod record;
pub mod server;
pub mod suites;
pub mod values;

pub use client_hello::ClientHello;
pub use values::{AlertDescription, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

/// Why bytes from a server could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A structure ended before its declared length.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// The bytes are not TLS records at all (an HTTP answer, say).
    #[error("the server did not answer with TLS records")]
    NotTls,
    #[error("record of {0} bytes exceeds the TLS limit")]
    RecordTooLong(usize),
    #[error("handshake message of {0} bytes exceeds the limit")]
    MessageTooLong(usize),
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}
