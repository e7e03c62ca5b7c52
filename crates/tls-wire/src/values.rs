//! Wire values as newtypes over their code points. Unknown codes are kept, never rejected:
//! a scanner must report what a server sent even when no registry names it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A protocol version code (`0x0300` SSL 3.0 … `0x0304` TLS 1.3; `0x0002` stands for SSL 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    pub const SSL2_0: Self = Self(0x0002);
    pub const SSL3_0: Self = Self(0x0300);
    pub const TLS1_0: Self = Self(0x0301);
    pub const TLS1_1: Self = Self(0x0302);
    pub const TLS1_2: Self = Self(0x0303);
    pub const TLS1_3: Self = Self(0x0304);

    /// Every version a probe asks about, oldest first.
    pub const ALL: [Self; 6] = [
        Self::SSL2_0,
        Self::SSL3_0,
        Self::TLS1_0,
        Self::TLS1_1,
        Self::TLS1_2,
        Self::TLS1_3,
    ];

    /// The report spelling (`TLS1.2`), or the hex code for an unknown version.
    pub fn name(self) -> String {
        match self.0 {
            0x0002 => "SSL2.0".into(),
            0x0300 => "SSL3.0".into(),
            0x0301 => "TLS1.0".into(),
            0x0302 => "TLS1.1".into(),
            0x0303 => "TLS1.2".into(),
            0x0304 => "TLS1.3".into(),
            other => format!("0x{other:04x}"),
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A cipher suite code point; [`crate::suites::info`] knows its IANA name and properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// Signalling value for secure renegotiation (RFC 5746), never a real suite.
    pub const EMPTY_RENEGOTIATION_INFO_SCSV: Self = Self(0x00ff);
    /// Signalling value for downgrade protection (RFC 7507).
    pub const FALLBACK_SCSV: Self = Self(0x5600);

    /// The IANA name, or `0xC0FF`-style hex for a code no table knows.
    pub fn name(self) -> String {
        crate::suites::info(self)
            .map_or_else(|| format!("0x{:04X}", self.0), |i| i.name.to_string())
    }

    /// True for the five TLS 1.3 suites (`0x1301..=0x1305`) and their registered relatives.
    pub fn is_tls13(self) -> bool {
        crate::suites::info(self).is_some_and(|i| i.kx == crate::suites::KeyExchange::Tls13)
    }
}

impl fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A named group (elliptic curve, finite-field group or hybrid KEM) code point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NamedGroup(pub u16);

/// IANA names of the groups a probe asks about; the order is the probing order.
const GROUP_NAMES: &[(u16, &str)] = &[
    (0x0001, "sect163k1"),
    (0x0002, "sect163r1"),
    (0x0003, "sect163r2"),
    (0x0004, "sect193r1"),
    (0x0005, "sect193r2"),
    (0x0006, "sect233k1"),
    (0x0007, "sect233r1"),
    (0x0008, "sect239k1"),
    (0x0009, "sect283k1"),
    (0x000a, "sect283r1"),
    (0x000b, "sect409k1"),
    (0x000c, "sect409r1"),
    (0x000d, "sect571k1"),
    (0x000e, "sect571r1"),
    (0x000f, "secp160k1"),
    (0x0010, "secp160r1"),
    (0x0011, "secp160r2"),
    (0x0012, "secp192k1"),
    (0x0013, "secp192r1"),
    (0x0014, "secp224k1"),
    (0x0015, "secp224r1"),
    (0x0016, "secp256k1"),
    (0x0017, "secp256r1"),
    (0x0018, "secp384r1"),
    (0x0019, "secp521r1"),
    (0x001a, "brainpoolP256r1"),
    (0x001b, "brainpoolP384r1"),
    (0x001c, "brainpoolP512r1"),
    (0x001d, "x25519"),
    (0x001e, "x448"),
    (0x001f, "brainpoolP256r1tls13"),
    (0x0020, "brainpoolP384r1tls13"),
    (0x0021, "brainpoolP512r1tls13"),
    (0x0022, "GC256A"),
    (0x0023, "GC256B"),
    (0x0024, "GC256C"),
    (0x0025, "GC256D"),
    (0x0026, "GC512A"),
    (0x0027, "GC512B"),
    (0x0028, "GC512C"),
    (0x0029, "curveSM2"),
    (0x0100, "ffdhe2048"),
    (0x0101, "ffdhe3072"),
    (0x0102, "ffdhe4096"),
    (0x0103, "ffdhe6144"),
    (0x0104, "ffdhe8192"),
    (0x0200, "MLKEM512"),
    (0x0201, "MLKEM768"),
    (0x0202, "MLKEM1024"),
    (0x11eb, "SecP256r1MLKEM768"),
    (0x11ec, "X25519MLKEM768"),
    (0x11ed, "SecP384r1MLKEM1024"),
    (0x6399, "X25519Kyber768Draft00"),
];

impl NamedGroup {
    pub const SECP256R1: Self = Self(0x0017);
    pub const SECP384R1: Self = Self(0x0018);
    pub const SECP521R1: Self = Self(0x0019);
    pub const X25519: Self = Self(0x001d);
    pub const X448: Self = Self(0x001e);

    /// Every group with a registered name, in probing order.
    pub fn known() -> impl Iterator<Item = Self> {
        GROUP_NAMES.iter().map(|&(code, _)| Self(code))
    }

    /// The IANA name, or hex for an unknown code.
    pub fn name(self) -> String {
        GROUP_NAMES
            .iter()
            .find(|&&(code, _)| code == self.0)
            .map_or_else(|| format!("0x{:04x}", self.0), |&(_, n)| n.to_string())
    }

    /// Groups usable in a TLS 1.2 ECDHE ServerKeyExchange (the elliptic curves, RFC 8422).
    pub fn is_ecdhe_curve(self) -> bool {
        (0x0001..=0x0029).contains(&self.0) && !(0x001f..=0x0021).contains(&self.0)
    }

    /// Finite-field groups of RFC 7919.
    pub fn is_ffdhe(self) -> bool {
        (0x0100..=0x01ff).contains(&self.0)
    }

    /// Strength in bits of the group's key, as graders count it (curve order size, or the
    /// prime size for ffdhe); `None` for hybrids and unknown codes.
    pub fn key_bits(self) -> Option<u16> {
        Some(match self.0 {
            0x0001..=0x0003 => 163,
            0x0004 | 0x0005 => 193,
            0x0006..=0x0008 => 233,
            0x0009 | 0x000a => 283,
            0x000b | 0x000c => 409,
            0x000d | 0x000e => 571,
            0x000f..=0x0011 => 160,
            0x0012 | 0x0013 => 192,
            0x0014 | 0x0015 => 224,
            0x0016 | 0x0017 | 0x001a | 0x001d | 0x001f | 0x0022..=0x0025 | 0x0029 => 256,
            0x0018 | 0x001b | 0x0020 => 384,
            0x001c | 0x0021 | 0x0026..=0x0028 => 512,
            0x0019 => 521,
            0x001e => 448,
            0x0100 => 2048,
            0x0101 => 3072,
            0x0102 => 4096,
            0x0103 => 6144,
            0x0104 => 8192,
            _ => return None,
        })
    }
}

impl fmt::Display for NamedGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A signature scheme code point (RFC 8446 §4.2.3; the TLS 1.2 hash/signature pairs share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SignatureScheme(pub u16);

impl SignatureScheme {
    /// What a probe offers: every modern scheme, ed25519/ed448, and the SHA-1 and SHA-224 pairs
    /// old servers need. A server picking its certificate must find its own kind in here.
    pub const PROBE_SET: &'static [Self] = &[
        Self(0x0403), // ecdsa_secp256r1_sha256
        Self(0x0503), // ecdsa_secp384r1_sha384
        Self(0x0603), // ecdsa_secp521r1_sha512
        Self(0x0807), // ed25519
        Self(0x0808), // ed448
        Self(0x0809), // rsa_pss_pss_sha256
        Self(0x080a), // rsa_pss_pss_sha384
        Self(0x080b), // rsa_pss_pss_sha512
        Self(0x0804), // rsa_pss_rsae_sha256
        Self(0x0805), // rsa_pss_rsae_sha384
        Self(0x0806), // rsa_pss_rsae_sha512
        Self(0x0401), // rsa_pkcs1_sha256
        Self(0x0501), // rsa_pkcs1_sha384
        Self(0x0601), // rsa_pkcs1_sha512
        Self(0x081a), // ecdsa_brainpoolP256r1tls13_sha256
        Self(0x081b), // ecdsa_brainpoolP384r1tls13_sha384
        Self(0x081c), // ecdsa_brainpoolP512r1tls13_sha512
        Self(0x0303), // sha224 ecdsa
        Self(0x0301), // sha224 rsa
        Self(0x0302), // sha224 dsa
        Self(0x0203), // ecdsa_sha1
        Self(0x0201), // rsa_pkcs1_sha1
        Self(0x0202), // dsa sha1
        Self(0x0402), // dsa sha256
        Self(0x0502), // dsa sha384
        Self(0x0602), // dsa sha512
    ];
}

/// A TLS alert description code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AlertDescription(pub u8);

impl AlertDescription {
    pub const HANDSHAKE_FAILURE: Self = Self(40);
    pub const ILLEGAL_PARAMETER: Self = Self(47);
    pub const PROTOCOL_VERSION: Self = Self(70);
    pub const INSUFFICIENT_SECURITY: Self = Self(71);
    pub const INAPPROPRIATE_FALLBACK: Self = Self(86);

    /// The RFC name of the alert.
    pub fn name(self) -> String {
        let n = match self.0 {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            22 => "record_overflow",
            40 => "handshake_failure",
            42 => "bad_certificate",
            47 => "illegal_parameter",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            112 => "unrecognized_name",
            120 => "no_application_protocol",
            other => return format!("alert {other}"),
        };
        n.to_string()
    }
}
