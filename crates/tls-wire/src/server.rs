//! Parsers for what a server sends in clear: ServerHello and HelloRetryRequest, alerts,
//! Certificate (TLS 1.2 and older), ServerKeyExchange, CertificateStatus, and the SSL 2.0
//! SERVER-HELLO.

use crate::WireError;
use crate::client_hello::ext;
use crate::reader::Reader;
use crate::values::{AlertDescription, CipherSuite, NamedGroup, ProtocolVersion};

/// Handshake message types a probe reads.
pub mod handshake {
    pub const SERVER_HELLO: u8 = 2;
    pub const CERTIFICATE: u8 = 11;
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    pub const CERTIFICATE_REQUEST: u8 = 13;
    pub const SERVER_HELLO_DONE: u8 = 14;
    pub const CERTIFICATE_STATUS: u8 = 22;
}

/// SHA-256("HelloRetryRequest"): the random that marks a ServerHello as a HelloRetryRequest.
pub const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A parsed ServerHello (or HelloRetryRequest, which shares its format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub suite: CipherSuite,
    pub compression: u8,
    /// Extensions in arrival order as (code, body).
    pub extensions: Vec<(u16, Vec<u8>)>,
}

impl ServerHello {
    /// True for a TLS 1.3 HelloRetryRequest.
    pub fn is_hello_retry(&self) -> bool {
        self.random == HELLO_RETRY_RANDOM
    }

    pub fn extension(&self, code: u16) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, body)| body.as_slice())
    }

    /// The version actually chosen: `supported_versions` when present, else `legacy_version`.
    pub fn version(&self) -> ProtocolVersion {
        self.extension(ext::SUPPORTED_VERSIONS)
            .and_then(|b| (b.len() == 2).then(|| ProtocolVersion(u16::from_be_bytes([b[0], b[1]]))))
            .unwrap_or(self.legacy_version)
    }

    /// The group of the key share (TLS 1.3): the one asked for in a HelloRetryRequest, the
    /// one used in a ServerHello.
    pub fn key_share_group(&self) -> Option<NamedGroup> {
        let b = self.extension(ext::KEY_SHARE)?;
        (b.len() >= 2).then(|| NamedGroup(u16::from_be_bytes([b[0], b[1]])))
    }

    /// The cookie a HelloRetryRequest asks to be echoed.
    pub fn cookie(&self) -> Option<Vec<u8>> {
        let b = self.extension(ext::COOKIE)?;
        Reader::new(b, "cookie").vec(2).ok().map(<[u8]>::to_vec)
    }

    /// The protocol chosen by ALPN (TLS 1.2; TLS 1.3 sends it encrypted).
    pub fn alpn(&self) -> Option<Vec<u8>> {
        let b = self.extension(ext::ALPN)?;
        let mut r = Reader::new(b, "ALPN");
        let list = r.vec(2).ok()?;
        Reader::new(list, "ALPN").vec(1).ok().map(<[u8]>::to_vec)
    }
}

/// Parses a ServerHello body (the handshake header already removed).
pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello, WireError> {
    let mut r = Reader::new(body, "ServerHello");
    let legacy_version = ProtocolVersion(r.u16()?);
    let mut random = [0u8; 32];
    random.copy_from_slice(r.take(32)?);
    let session_id = r.vec(1)?.to_vec();
    let suite = CipherSuite(r.u16()?);
    let compression = r.u8()?;
    let mut extensions = Vec::new();
    if !r.is_empty() {
        let mut e = Reader::new(r.vec(2)?, "ServerHello extensions");
        while !e.is_empty() {
            let code = e.u16()?;
            extensions.push((code, e.vec(2)?.to_vec()));
        }
    }
    Ok(ServerHello {
        legacy_version,
        random,
        session_id,
        suite,
        compression,
        extensions,
    })
}

/// An alert record: (fatal?, description).
pub fn parse_alert(payload: &[u8]) -> Result<(bool, AlertDescription), WireError> {
    let mut r = Reader::new(payload, "alert");
    let level = r.u8()?;
    Ok((level == 2, AlertDescription(r.u8()?)))
}

/// The DER certificates of a TLS 1.0-1.2 Certificate message, leaf first as sent.
pub fn parse_certificate_list(body: &[u8]) -> Result<Vec<Vec<u8>>, WireError> {
    let mut r = Reader::new(body, "Certificate");
    let mut list = Reader::new(r.vec(3)?, "certificate_list");
    let mut certs = Vec::new();
    while !list.is_empty() {
        certs.push(list.vec(3)?.to_vec());
    }
    Ok(certs)
}

/// The OCSP response of a CertificateStatus message.
pub fn parse_certificate_status(body: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut r = Reader::new(body, "CertificateStatus");
    if r.u8()? != 1 {
        return Err(WireError::Unsupported(
            "certificate status type other than OCSP",
        ));
    }
    Ok(r.vec(3)?.to_vec())
}

/// The ephemeral parameters a ServerKeyExchange carries, as far as grading needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyExchangeParams {
    /// ECDHE on a named curve.
    Ecdhe {
        group: NamedGroup,
        public_key_len: usize,
    },
    /// ECDHE with explicit curve parameters (deprecated; never named).
    EcdheExplicit,
    /// Finite-field DHE: prime and generator, big-endian.
    Dhe { prime: Vec<u8>, generator: Vec<u8> },
}

impl KeyExchangeParams {
    /// Size in bits of the DH prime (leading zero bits not counted).
    pub fn dh_bits(prime: &[u8]) -> usize {
        let p = prime
            .iter()
            .skip_while(|&&b| b == 0)
            .copied()
            .collect::<Vec<u8>>();
        match p.first() {
            None => 0,
            Some(&top) => (p.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        }
    }
}

/// Parses the parameters at the start of an ECDHE ServerKeyExchange.
pub fn parse_ecdhe_params(body: &[u8]) -> Result<KeyExchangeParams, WireError> {
    let mut r = Reader::new(body, "ServerKeyExchange");
    match r.u8()? {
        3 => {
            let group = NamedGroup(r.u16()?);
            let point = r.vec(1)?;
            Ok(KeyExchangeParams::Ecdhe {
                group,
                public_key_len: point.len(),
            })
        }
        1 | 2 => Ok(KeyExchangeParams::EcdheExplicit),
        _ => Err(WireError::Unsupported("unknown ECParameters curve type")),
    }
}

/// Parses the parameters at the start of a DHE ServerKeyExchange.
pub fn parse_dhe_params(body: &[u8]) -> Result<KeyExchangeParams, WireError> {
    let mut r = Reader::new(body, "ServerKeyExchange");
    let prime = r.vec(2)?.to_vec();
    let generator = r.vec(2)?.to_vec();
    let _public = r.vec(2)?;
    Ok(KeyExchangeParams::Dhe { prime, generator })
}

/// What an SSL 2.0 server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sslv2ServerHello {
    pub version: u16,
    /// The cipher specs the server has, in its order.
    pub specs: Vec<[u8; 3]>,
    /// The server certificate (DER), when one was sent.
    pub certificate: Vec<u8>,
}

/// Parses an SSL 2.0 SERVER-HELLO record (2- or 3-byte header).
pub fn parse_sslv2_server_hello(bytes: &[u8]) -> Result<Sslv2ServerHello, WireError> {
    let first = *bytes.first().ok_or(WireError::Truncated("SSLv2 record"))?;
    let (len, header) = if first & 0x80 != 0 {
        let b = bytes.get(..2).ok_or(WireError::Truncated("SSLv2 record"))?;
        (usize::from(u16::from_be_bytes([b[0], b[1]]) & 0x7fff), 2)
    } else {
        let b = bytes.get(..3).ok_or(WireError::Truncated("SSLv2 record"))?;
        (usize::from(u16::from_be_bytes([b[0], b[1]]) & 0x3fff), 3)
    };
    let body = bytes
        .get(header..header + len)
        .ok_or(WireError::Truncated("SSLv2 record"))?;
    let mut r = Reader::new(body, "SSLv2 SERVER-HELLO");
    if r.u8()? != 4 {
        return Err(WireError::NotTls);
    }
    let _session_id_hit = r.u8()?;
    let _cert_type = r.u8()?;
    let version = r.u16()?;
    let cert_len = usize::from(r.u16()?);
    let specs_len = usize::from(r.u16()?);
    let _conn_id_len = r.u16()?;
    let certificate = r.take(cert_len)?.to_vec();
    let spec_bytes = r.take(specs_len)?;
    let specs = spec_bytes
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    Ok(Sslv2ServerHello {
        version,
        specs,
        certificate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello_bytes(random: [u8; 32], exts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&random);
        b.push(0);
        b.extend_from_slice(&[0x13, 0x01, 0]);
        let mut e = Vec::new();
        for (code, body) in exts {
            e.extend_from_slice(&code.to_be_bytes());
            e.extend_from_slice(&(body.len() as u16).to_be_bytes());
            e.extend_from_slice(body);
        }
        b.extend_from_slice(&(e.len() as u16).to_be_bytes());
        b.extend_from_slice(&e);
        b
    }

    #[test]
    fn hello_retry_request_names_its_group() {
        let b = hello_bytes(
            HELLO_RETRY_RANDOM,
            &[
                (ext::SUPPORTED_VERSIONS, &[3, 4]),
                (ext::KEY_SHARE, &[0, 0x17]),
            ],
        );
        let sh = parse_server_hello(&b).unwrap();
        assert!(sh.is_hello_retry());
        assert_eq!(sh.version(), ProtocolVersion::TLS1_3);
        assert_eq!(sh.key_share_group(), Some(NamedGroup::SECP256R1));
        assert_eq!(sh.suite, CipherSuite(0x1301));
    }

    #[test]
    fn truncation_anywhere_is_an_error_not_a_panic() {
        let b = hello_bytes(
            [1; 32],
            &[
                (ext::SUPPORTED_VERSIONS, &[3, 4]),
                (ext::ALPN, &[0, 3, 2, b'h', b'2']),
            ],
        );
        assert_eq!(parse_server_hello(&b).unwrap().alpn(), Some(b"h2".to_vec()));
        for cut in 0..b.len() - 1 {
            let _ = parse_server_hello(&b[..cut]);
        }
        assert!(parse_server_hello(&b[..40]).is_err());
    }

    #[test]
    fn key_exchange_parameters() {
        let ecdhe = [3, 0, 0x1d, 32]
            .iter()
            .copied()
            .chain([9; 32])
            .collect::<Vec<u8>>();
        assert_eq!(
            parse_ecdhe_params(&ecdhe).unwrap(),
            KeyExchangeParams::Ecdhe {
                group: NamedGroup::X25519,
                public_key_len: 32
            }
        );
        let mut dhe = vec![0, 3, 0x00, 0x01, 0x01, 0, 1, 2, 0, 1, 5];
        dhe.extend_from_slice(&[0, 0]);
        let KeyExchangeParams::Dhe { prime, .. } = parse_dhe_params(&dhe).unwrap() else {
            panic!("not DHE")
        };
        assert_eq!(KeyExchangeParams::dh_bits(&prime), 9);
    }

    #[test]
    fn certificate_list_and_status() {
        let body = [0, 0, 8, 0, 0, 2, 0xaa, 0xbb, 0, 0, 0];
        assert_eq!(
            parse_certificate_list(&body).unwrap(),
            vec![vec![0xaa, 0xbb], vec![]]
        );
        assert_eq!(
            parse_certificate_status(&[1, 0, 0, 1, 0x30]).unwrap(),
            vec![0x30]
        );
        assert!(parse_certificate_list(&[0, 0, 9, 0, 0, 2]).is_err());
    }

    #[test]
    fn sslv2_server_hello() {
        let mut body = vec![4, 0, 1, 0, 2, 0, 1, 0, 3, 0, 0];
        body.push(0x30);
        body.extend_from_slice(&[1, 0, 0x80]);
        let mut rec = ((body.len() as u16) | 0x8000).to_be_bytes().to_vec();
        rec.extend_from_slice(&body);
        let h = parse_sslv2_server_hello(&rec).unwrap();
        assert_eq!(h.specs, vec![[1, 0, 0x80]]);
        assert_eq!(h.certificate, vec![0x30]);
    }
}
