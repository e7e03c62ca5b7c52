//! ClientHello messages built byte by byte, so a probe can offer any version, suite, group or
//! extension, including ones no TLS library would send.

use crate::values::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

/// Extension code points used by probes.
pub mod ext {
    pub const SERVER_NAME: u16 = 0;
    pub const STATUS_REQUEST: u16 = 5;
    pub const SUPPORTED_GROUPS: u16 = 10;
    pub const EC_POINT_FORMATS: u16 = 11;
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    pub const ALPN: u16 = 16;
    pub const SIGNED_CERTIFICATE_TIMESTAMP: u16 = 18;
    pub const PADDING: u16 = 21;
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    pub const HEARTBEAT: u16 = 15;
    pub const SESSION_TICKET: u16 = 35;
    pub const SUPPORTED_VERSIONS: u16 = 43;
    pub const COOKIE: u16 = 44;
    pub const PSK_KEY_EXCHANGE_MODES: u16 = 45;
    pub const KEY_SHARE: u16 = 51;
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// Everything a probe chooses about its ClientHello. `Default` is a modern TLS 1.2 hello with
/// no suites; callers fill in what they test.
#[derive(Debug, Clone)]
pub struct ClientHello {
    /// Version in the record header (servers differ on what they accept there).
    pub record_version: ProtocolVersion,
    /// `legacy_version` / `client_version` in the hello body.
    pub client_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub suites: Vec<CipherSuite>,
    /// Compression methods; `[0]` is null only.
    pub compression: Vec<u8>,
    /// Send no extensions at all (SSL 3.0 style).
    pub no_extensions: bool,
    pub server_name: Option<String>,
    pub groups: Vec<NamedGroup>,
    pub signature_schemes: Vec<SignatureScheme>,
    /// Offer the `ec_point_formats` extension (uncompressed and both compressed forms).
    pub ec_point_formats: bool,
    /// Ask for a stapled OCSP response.
    pub status_request: bool,
    /// Ask for SCTs in the handshake.
    pub signed_certificate_timestamp: bool,
    pub alpn: Vec<Vec<u8>>,
    /// Send an empty `renegotiation_info` (RFC 5746).
    pub renegotiation_info: bool,
    pub extended_master_secret: bool,
    pub session_ticket: bool,
    /// Offer the heartbeat extension (RFC 6520), for the Heartbleed test.
    pub heartbeat: bool,
    /// `supported_versions` list; empty means the extension is not sent.
    pub supported_versions: Vec<ProtocolVersion>,
    /// `key_share` entries; sent (possibly empty) whenever `supported_versions` holds TLS 1.3.
    pub key_shares: Vec<(NamedGroup, Vec<u8>)>,
    /// A HelloRetryRequest cookie to echo.
    pub cookie: Option<Vec<u8>>,
    /// Pad hellos whose handshake message would be 256..=511 bytes long up to 512, working
    /// around servers (F5) that hang on that size.
    pub pad_to_avoid_256_511: bool,
}

impl Default for ClientHello {
    fn default() -> Self {
        Self {
            record_version: ProtocolVersion::TLS1_0,
            client_version: ProtocolVersion::TLS1_2,
            random: [0x5a; 32],
            session_id: vec![0x42; 32],
            suites: Vec::new(),
            compression: vec![0],
            no_extensions: false,
            server_name: None,
            groups: Vec::new(),
            signature_schemes: SignatureScheme::PROBE_SET.to_vec(),
            ec_point_formats: true,
            status_request: true,
            signed_certificate_timestamp: true,
            alpn: Vec::new(),
            renegotiation_info: true,
            extended_master_secret: true,
            session_ticket: true,
            heartbeat: false,
            supported_versions: Vec::new(),
            key_shares: Vec::new(),
            cookie: None,
            pad_to_avoid_256_511: true,
        }
    }
}

/// Appends `body` behind a big-endian length prefix of `width` bytes (1, 2 or 3). Lengths come
/// from the probe's own choices, so the caller keeps them in range; oversize input is cut.
fn put_vec(out: &mut Vec<u8>, width: usize, body: &[u8]) {
    let max = (1usize << (8 * width)) - 1;
    let body = &body[..body.len().min(max)];
    let len = body.len().to_be_bytes();
    out.extend_from_slice(&len[len.len() - width..]);
    out.extend_from_slice(body);
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_ext(out: &mut Vec<u8>, code: u16, body: &[u8]) {
    put_u16(out, code);
    put_vec(out, 2, body);
}

impl ClientHello {
    /// The extensions block (without its length prefix).
    fn extensions(&self, pad_len: usize) -> Vec<u8> {
        let mut e = Vec::new();
        if let Some(name) = &self.server_name {
            let mut entry = vec![0u8]; // host_name
            put_vec(&mut entry, 2, name.as_bytes());
            let mut list = Vec::new();
            put_vec(&mut list, 2, &entry);
            put_ext(&mut e, ext::SERVER_NAME, &list);
        }
        if self.renegotiation_info {
            put_ext(&mut e, ext::RENEGOTIATION_INFO, &[0]);
        }
        if !self.groups.is_empty() {
            let codes: Vec<u8> = self.groups.iter().flat_map(|g| g.0.to_be_bytes()).collect();
            let mut body = Vec::new();
            put_vec(&mut body, 2, &codes);
            put_ext(&mut e, ext::SUPPORTED_GROUPS, &body);
        }
        if self.ec_point_formats {
            put_ext(&mut e, ext::EC_POINT_FORMATS, &[3, 0, 1, 2]);
        }
        if self.session_ticket {
            put_ext(&mut e, ext::SESSION_TICKET, &[]);
        }
        if !self.alpn.is_empty() {
            let mut list = Vec::new();
            for p in &self.alpn {
                put_vec(&mut list, 1, p);
            }
            let mut body = Vec::new();
            put_vec(&mut body, 2, &list);
            put_ext(&mut e, ext::ALPN, &body);
        }
        if self.status_request {
            // ocsp, empty responder list, empty request extensions
            put_ext(&mut e, ext::STATUS_REQUEST, &[1, 0, 0, 0, 0]);
        }
        if self.signed_certificate_timestamp {
            put_ext(&mut e, ext::SIGNED_CERTIFICATE_TIMESTAMP, &[]);
        }
        if self.extended_master_secret {
            put_ext(&mut e, ext::EXTENDED_MASTER_SECRET, &[]);
        }
        if self.heartbeat {
            put_ext(&mut e, ext::HEARTBEAT, &[1]); // peer_allowed_to_send
        }
        if !self.signature_schemes.is_empty() {
            let codes: Vec<u8> = self
                .signature_schemes
                .iter()
                .flat_map(|s| s.0.to_be_bytes())
                .collect();
            let mut body = Vec::new();
            put_vec(&mut body, 2, &codes);
            put_ext(&mut e, ext::SIGNATURE_ALGORITHMS, &body);
        }
        if !self.supported_versions.is_empty() {
            let codes: Vec<u8> = self
                .supported_versions
                .iter()
                .flat_map(|v| v.0.to_be_bytes())
                .collect();
            let mut body = Vec::new();
            put_vec(&mut body, 1, &codes);
            put_ext(&mut e, ext::SUPPORTED_VERSIONS, &body);
            if self.supported_versions.contains(&ProtocolVersion::TLS1_3) {
                // psk_dhe_ke: harmless, and some servers insist on the extension.
                put_ext(&mut e, ext::PSK_KEY_EXCHANGE_MODES, &[1, 1]);
                let mut shares = Vec::new();
                for (group, key) in &self.key_shares {
                    put_u16(&mut shares, group.0);
                    put_vec(&mut shares, 2, key);
                }
                let mut body = Vec::new();
                put_vec(&mut body, 2, &shares);
                put_ext(&mut e, ext::KEY_SHARE, &body);
            }
        }
        if let Some(cookie) = &self.cookie {
            let mut body = Vec::new();
            put_vec(&mut body, 2, cookie);
            put_ext(&mut e, ext::COOKIE, &body);
        }
        if pad_len > 0 {
            put_ext(&mut e, ext::PADDING, &vec![0; pad_len - 4]);
        }
        e
    }

    fn body(&self, pad_len: usize) -> Vec<u8> {
        let mut b = Vec::with_capacity(512);
        put_u16(&mut b, self.client_version.0);
        b.extend_from_slice(&self.random);
        put_vec(&mut b, 1, &self.session_id);
        let suites: Vec<u8> = self.suites.iter().flat_map(|s| s.0.to_be_bytes()).collect();
        put_vec(&mut b, 2, &suites);
        put_vec(&mut b, 1, &self.compression);
        if !self.no_extensions {
            put_vec(&mut b, 2, &self.extensions(pad_len));
        }
        b
    }

    /// The handshake message (type 1, 3-byte length, body).
    pub fn handshake_message(&self) -> Vec<u8> {
        let mut body = self.body(0);
        if self.pad_to_avoid_256_511 && !self.no_extensions {
            let msg_len = body.len() + 4;
            if (256..512).contains(&msg_len) {
                // The padding extension costs 4 bytes of header; it may be empty.
                let pad = (512 - msg_len).max(4);
                body = self.body(pad);
            }
        }
        let mut msg = vec![1u8];
        put_vec(&mut msg, 3, &body);
        msg
    }

    /// The ClientHello as TLS records ready to write (split when longer than 2^14 bytes).
    pub fn to_records(&self) -> Vec<u8> {
        let msg = self.handshake_message();
        let mut out = Vec::with_capacity(msg.len() + 10);
        for chunk in msg.chunks(16_384) {
            out.push(22); // handshake
            put_u16(&mut out, self.record_version.0);
            put_vec(&mut out, 2, chunk);
        }
        out
    }
}

/// An SSL 2.0 CLIENT-HELLO offering the given 3-byte cipher specs (2-byte record header).
pub fn sslv2_client_hello(specs: &[[u8; 3]], challenge: &[u8; 16]) -> Vec<u8> {
    let mut body = vec![1u8, 0x00, 0x02]; // MSG-CLIENT-HELLO, version 2
    let spec_bytes: Vec<u8> = specs.iter().flatten().copied().collect();
    put_u16(&mut body, spec_bytes.len() as u16);
    put_u16(&mut body, 0); // session id length
    put_u16(&mut body, challenge.len() as u16);
    body.extend_from_slice(&spec_bytes);
    body.extend_from_slice(challenge);
    let len = (body.len() as u16) | 0x8000;
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// The SSL 2.0 cipher specs a probe offers (RFC draft codes, plus the 3-byte forms of the
/// common SSLv3 suites that SSLv2-compatible hellos carry).
pub const SSLV2_SPECS: &[[u8; 3]] = &[
    [0x01, 0x00, 0x80], // RC4_128_WITH_MD5
    [0x02, 0x00, 0x80], // RC4_128_EXPORT40_WITH_MD5
    [0x03, 0x00, 0x80], // RC2_128_CBC_WITH_MD5
    [0x04, 0x00, 0x80], // RC2_128_CBC_EXPORT40_WITH_MD5
    [0x05, 0x00, 0x80], // IDEA_128_CBC_WITH_MD5
    [0x06, 0x00, 0x40], // DES_64_CBC_WITH_MD5
    [0x07, 0x00, 0xc0], // DES_192_EDE3_CBC_WITH_MD5
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_framing_and_lengths_agree() {
        let hello = ClientHello {
            suites: vec![CipherSuite(0xc02f), CipherSuite(0x009c)],
            server_name: Some("example.test".into()),
            groups: vec![NamedGroup::X25519],
            ..ClientHello::default()
        };
        let rec = hello.to_records();
        assert_eq!(rec[0], 22);
        let rec_len = usize::from(u16::from_be_bytes([rec[3], rec[4]]));
        assert_eq!(rec_len, rec.len() - 5);
        assert_eq!(rec[5], 1);
        let hs_len = (usize::from(rec[6]) << 16) | (usize::from(rec[7]) << 8) | usize::from(rec[8]);
        assert_eq!(hs_len, rec_len - 4);
    }

    #[test]
    fn sizes_between_256_and_511_are_padded() {
        for n in 0..200u16 {
            let hello = ClientHello {
                suites: (0..n).map(|i| CipherSuite(0xc000 + i)).collect(),
                ..ClientHello::default()
            };
            let len = hello.handshake_message().len();
            assert!(!(256..512).contains(&len), "{n} suites gave {len} bytes");
        }
    }

    #[test]
    fn ssl3_hello_has_no_extensions() {
        let hello = ClientHello {
            client_version: ProtocolVersion::SSL3_0,
            record_version: ProtocolVersion::SSL3_0,
            no_extensions: true,
            suites: vec![CipherSuite(0x000a)],
            ..ClientHello::default()
        };
        let msg = hello.handshake_message();
        // 4 header + 2 version + 32 random + 33 session id + 4 suites + 2 compression
        assert_eq!(msg.len(), 4 + 2 + 32 + 33 + 4 + 2);
    }

    #[test]
    fn sslv2_hello_shape() {
        let h = sslv2_client_hello(SSLV2_SPECS, &[7; 16]);
        let len = usize::from(u16::from_be_bytes([h[0], h[1]]) & 0x7fff);
        assert_eq!(len, h.len() - 2);
        assert_eq!(&h[2..5], &[1, 0, 2]);
    }
}
