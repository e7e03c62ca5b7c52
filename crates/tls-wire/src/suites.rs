//! The cipher-suite registry: IANA names and the properties graders need (key exchange,
//! authentication, cipher, key size, mode, MAC). The bulk comes from `tls-parser`'s table,
//! generated from the IANA registry; the supplement adds codes it lacks (GOST, the ChaCha20
//! drafts, old FIPS codes) so a probe can offer and name them.

use crate::values::CipherSuite;
use serde::Serialize;
use tls_parser::{TlsCipherAu, TlsCipherEnc, TlsCipherEncMode, TlsCipherKx, TlsCipherMac};

/// How the session key is agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyExchange {
    /// No key exchange (the NULL suite and signalling values).
    Null,
    /// Static RSA key transport: no forward secrecy.
    Rsa,
    /// Static (certificate) Diffie-Hellman: no forward secrecy.
    Dh,
    /// Ephemeral finite-field Diffie-Hellman.
    Dhe,
    /// Static elliptic-curve Diffie-Hellman: no forward secrecy.
    Ecdh,
    /// Ephemeral elliptic-curve Diffie-Hellman.
    Ecdhe,
    /// Pre-shared keys, Kerberos, SRP, ECCPWD: not used on public web servers.
    Other,
    /// GOST key agreement (VKO).
    Gost,
    /// TLS 1.3: the suite names no key exchange; it is always ephemeral.
    Tls13,
}

/// How the server authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Authentication {
    /// None: anonymous suites, open to any man in the middle.
    Anonymous,
    Rsa,
    Dss,
    Ecdsa,
    Gost,
    Other,
    /// TLS 1.3: decided by the certificate and signature_algorithms, not the suite.
    Tls13,
}

/// The bulk cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Cipher {
    Null,
    Des,
    TripleDes,
    Rc2,
    Rc4,
    Idea,
    Seed,
    Aes,
    Aria,
    Camellia,
    ChaCha20,
    Sm4,
    Aegis,
    Gost,
}

/// The cipher mode, as far as grading cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    /// Stream ciphers and NULL.
    Stream,
    Cbc,
    Gcm,
    Ccm,
    /// ChaCha20-Poly1305, AEGIS, GOST MGM: other AEAD constructions.
    OtherAead,
    /// GOST CNT/CTR with a separate MAC.
    Ctr,
}

/// What a suite is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuiteInfo {
    pub code: u16,
    /// IANA name (or the name peer tools use for unregistered codes).
    pub name: String,
    pub kx: KeyExchange,
    pub auth: Authentication,
    pub cipher: Cipher,
    pub mode: Mode,
    /// Key size of the bulk cipher in bits (0 for NULL).
    pub bits: u16,
    /// The message authentication is MD5.
    pub md5_mac: bool,
    /// The message authentication is HMAC-SHA1.
    pub sha1_mac: bool,
    /// An export-grade suite (40/56-bit, or 512-bit key exchange).
    pub export: bool,
    /// A signalling value (SCSV), not a real suite.
    pub signalling: bool,
}

impl SuiteInfo {
    /// Ephemeral key agreement: a later key compromise does not reveal recorded sessions.
    pub fn forward_secret(&self) -> bool {
        matches!(
            self.kx,
            KeyExchange::Dhe | KeyExchange::Ecdhe | KeyExchange::Tls13
        ) && self.auth != Authentication::Anonymous
    }

    /// Authenticated encryption (GCM, CCM, ChaCha20-Poly1305 …).
    pub fn aead(&self) -> bool {
        matches!(self.mode, Mode::Gcm | Mode::Ccm | Mode::OtherAead)
    }

    /// A 64-bit block cipher (SWEET32).
    pub fn block_64(&self) -> bool {
        matches!(
            self.cipher,
            Cipher::Des | Cipher::TripleDes | Cipher::Rc2 | Cipher::Idea
        ) && self.mode == Mode::Cbc
    }
}

/// Codes missing from the generated table: (code, name, kx, auth, cipher, mode, bits).
const SUPPLEMENT: &[(u16, &str, KeyExchange, Authentication, Cipher, Mode, u16)] = &[
    (
        0x0080,
        "TLS_GOSTR341094_WITH_28147_CNT_IMIT",
        KeyExchange::Gost,
        Authentication::Gost,
        Cipher::Gost,
        Mode::Ctr,
        256,
    ),
    (
        0x0081,
        "TLS_GOSTR341001_WITH_28147_CNT_IMIT",
        KeyExchange::Gost,
        Authentication::Gost,
        Cipher::Gost,
        Mode::Ctr,
        256,
    ),
    (
        0x0082,
        "TLS_GOSTR341094_WITH_NULL_GOSTR3411",
        KeyExchange::Gost,
        Authentication::Gost,
        Cipher::Null,
        Mode::Stream,
        0,
    ),
    (
        0x0083,
        "TLS_GOSTR341001_WITH_NULL_GOSTR3411",
        KeyExchange::Gost,
        Authentication::Gost,
        Cipher::Null,
        Mode::Stream,
        0,
    ),
    (
        0xc100,
        "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC",
        KeyExchange::Gost,
        Authentication::Gost,
        Cipher::Gost,
        Mode::Ctr,
        256,
    ),
    (
        0xc101,
        "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC",
        KeyExchange::Gost,
        Authentication::Gost,
        Cipher::Gost,
        Mode::Ctr,
        256,
    ),
    (
        0xc102,
        "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT",
        KeyExchange::Gost,
        Authentication::Gost,
        Cipher::Gost,
        Mode::Ctr,
        256,
    ),
    (
        0xc103,
        "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L",
        KeyExchange::Tls13,
        Authentication::Tls13,
        Cipher::Gost,
        Mode::OtherAead,
        256,
    ),
    (
        0xc104,
        "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L",
        KeyExchange::Tls13,
        Authentication::Tls13,
        Cipher::Gost,
        Mode::OtherAead,
        256,
    ),
    (
        0xc105,
        "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S",
        KeyExchange::Tls13,
        Authentication::Tls13,
        Cipher::Gost,
        Mode::OtherAead,
        256,
    ),
    (
        0xc106,
        "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S",
        KeyExchange::Tls13,
        Authentication::Tls13,
        Cipher::Gost,
        Mode::OtherAead,
        256,
    ),
    (
        0xff85,
        "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT_OLD",
        KeyExchange::Gost,
        Authentication::Gost,
        Cipher::Gost,
        Mode::Ctr,
        256,
    ),
    (
        0xcc13,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD",
        KeyExchange::Ecdhe,
        Authentication::Rsa,
        Cipher::ChaCha20,
        Mode::OtherAead,
        256,
    ),
    (
        0xcc14,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256_OLD",
        KeyExchange::Ecdhe,
        Authentication::Ecdsa,
        Cipher::ChaCha20,
        Mode::OtherAead,
        256,
    ),
    (
        0xcc15,
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD",
        KeyExchange::Dhe,
        Authentication::Rsa,
        Cipher::ChaCha20,
        Mode::OtherAead,
        256,
    ),
    (
        0xfefe,
        "SSL_RSA_FIPS_WITH_DES_CBC_SHA",
        KeyExchange::Rsa,
        Authentication::Rsa,
        Cipher::Des,
        Mode::Cbc,
        56,
    ),
    (
        0xfeff,
        "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA",
        KeyExchange::Rsa,
        Authentication::Rsa,
        Cipher::TripleDes,
        Mode::Cbc,
        112,
    ),
    (
        0xffe0,
        "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA_2",
        KeyExchange::Rsa,
        Authentication::Rsa,
        Cipher::TripleDes,
        Mode::Cbc,
        112,
    ),
    (
        0xffe1,
        "SSL_RSA_FIPS_WITH_DES_CBC_SHA_2",
        KeyExchange::Rsa,
        Authentication::Rsa,
        Cipher::Des,
        Mode::Cbc,
        56,
    ),
];

/// What the registry knows about a suite, `None` for an unknown code.
pub fn info(suite: CipherSuite) -> Option<SuiteInfo> {
    if let Some(s) = tls_parser::TlsCipherSuite::from_id(suite.0) {
        return Some(from_table(s));
    }
    SUPPLEMENT.iter().find(|row| row.0 == suite.0).map(
        |&(code, name, kx, auth, cipher, mode, bits)| SuiteInfo {
            code,
            name: name.to_string(),
            kx,
            auth,
            cipher,
            mode,
            bits,
            md5_mac: false,
            sha1_mac: false,
            export: false,
            signalling: false,
        },
    )
}

fn from_table(s: &tls_parser::TlsCipherSuite) -> SuiteInfo {
    let kx = match s.kx {
        TlsCipherKx::Null => KeyExchange::Null,
        TlsCipherKx::Rsa => KeyExchange::Rsa,
        TlsCipherKx::Dh => KeyExchange::Dh,
        TlsCipherKx::Dhe => KeyExchange::Dhe,
        TlsCipherKx::Ecdh => KeyExchange::Ecdh,
        TlsCipherKx::Ecdhe => KeyExchange::Ecdhe,
        // Anonymous ECDH is ephemeral, but unauthenticated: counted with its auth below.
        TlsCipherKx::Aecdh => KeyExchange::Ecdhe,
        TlsCipherKx::Tls13 => KeyExchange::Tls13,
        TlsCipherKx::Psk | TlsCipherKx::Krb5 | TlsCipherKx::Srp | TlsCipherKx::Eccpwd => {
            KeyExchange::Other
        }
    };
    let auth = match s.au {
        TlsCipherAu::Null => Authentication::Anonymous,
        TlsCipherAu::Rsa | TlsCipherAu::Srp_Rsa => Authentication::Rsa,
        TlsCipherAu::Dss | TlsCipherAu::Srp_Dss => Authentication::Dss,
        TlsCipherAu::Ecdsa => Authentication::Ecdsa,
        TlsCipherAu::Tls13 => Authentication::Tls13,
        TlsCipherAu::Psk
        | TlsCipherAu::Krb5
        | TlsCipherAu::Srp
        | TlsCipherAu::Dhe
        | TlsCipherAu::Eccpwd => Authentication::Other,
    };
    let cipher = match s.enc {
        TlsCipherEnc::Null => Cipher::Null,
        TlsCipherEnc::Des => Cipher::Des,
        TlsCipherEnc::TripleDes => Cipher::TripleDes,
        TlsCipherEnc::Rc2 => Cipher::Rc2,
        TlsCipherEnc::Rc4 => Cipher::Rc4,
        TlsCipherEnc::Aria => Cipher::Aria,
        TlsCipherEnc::Idea => Cipher::Idea,
        TlsCipherEnc::Seed => Cipher::Seed,
        TlsCipherEnc::Aes => Cipher::Aes,
        TlsCipherEnc::Camellia => Cipher::Camellia,
        TlsCipherEnc::Chacha20_Poly1305 => Cipher::ChaCha20,
        TlsCipherEnc::Sm4 => Cipher::Sm4,
        TlsCipherEnc::Aegis => Cipher::Aegis,
    };
    let mode = match (s.enc_mode, cipher) {
        (TlsCipherEncMode::Gcm, _) => Mode::Gcm,
        (TlsCipherEncMode::Ccm, _) => Mode::Ccm,
        (TlsCipherEncMode::Cbc, _) => Mode::Cbc,
        (TlsCipherEncMode::Null, Cipher::ChaCha20 | Cipher::Aegis) => Mode::OtherAead,
        (TlsCipherEncMode::Null, _) => Mode::Stream,
    };
    let signalling = matches!(s.id.0, 0x00ff | 0x5600);
    SuiteInfo {
        code: s.id.0,
        name: s.name.to_string(),
        kx: if signalling { KeyExchange::Null } else { kx },
        auth,
        cipher,
        mode,
        bits: s.enc_size,
        md5_mac: s.mac == TlsCipherMac::HmacMd5,
        sha1_mac: s.mac == TlsCipherMac::HmacSha1,
        export: s.name.contains("EXPORT"),
        signalling,
    }
}

/// What the registry knows about the suite with this IANA name (case-insensitive).
pub fn by_name(name: &str) -> Option<SuiteInfo> {
    all_codes()
        .into_iter()
        .filter_map(|c| info(CipherSuite(c)))
        .find(|i| i.name.eq_ignore_ascii_case(name))
}

/// Effective strength in bits of the bulk cipher, as graders count it: 3DES is 112, not 168.
pub fn effective_bits(info: &SuiteInfo) -> u16 {
    match info.cipher {
        Cipher::TripleDes => 112,
        _ => info.bits,
    }
}

/// Every real suite (no signalling values) that can be offered below TLS 1.3, by code.
pub fn legacy_suites() -> Vec<CipherSuite> {
    all_codes()
        .into_iter()
        .map(CipherSuite)
        .filter(|&s| info(s).is_some_and(|i| !i.signalling && i.kx != KeyExchange::Tls13))
        .collect()
}

/// Every TLS 1.3 suite, by code (the five of RFC 8446, SM4 of RFC 8998, the GOST MGM ones).
pub fn tls13_suites() -> Vec<CipherSuite> {
    all_codes()
        .into_iter()
        .map(CipherSuite)
        .filter(|&s| info(s).is_some_and(|i| i.kx == KeyExchange::Tls13))
        .collect()
}

fn all_codes() -> Vec<u16> {
    let mut codes: Vec<u16> = tls_parser::CIPHERS.keys().copied().collect();
    codes.extend(SUPPLEMENT.iter().map(|row| row.0));
    codes.sort_unstable();
    codes.dedup();
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_iana_registry() {
        let n = |c| CipherSuite(c).name();
        assert_eq!(n(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(n(0x1305), "TLS_AES_128_CCM_8_SHA256");
        assert_eq!(n(0x0034), "TLS_DH_anon_WITH_AES_128_CBC_SHA");
        assert_eq!(n(0xcca8), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
        assert_eq!(n(0xc100), "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC");
        assert_eq!(n(0xbeef), "0xBEEF");
    }

    #[test]
    fn properties_drive_grading() {
        let i = |c| info(CipherSuite(c)).unwrap();
        assert!(i(0xc02f).forward_secret() && i(0xc02f).aead());
        assert!(!i(0x009c).forward_secret()); // static RSA GCM
        assert!(!i(0x0034).forward_secret()); // anonymous DH
        assert!(i(0x000a).block_64()); // 3DES
        assert!(i(0x0003).export);
        assert_eq!(i(0x0005).cipher, Cipher::Rc4);
        assert!(i(0x1301).aead() && i(0x1301).forward_secret());
        assert!(i(0x00ff).signalling);
    }

    #[test]
    fn probe_lists_split_by_version() {
        let legacy = legacy_suites();
        let modern = tls13_suites();
        assert!(legacy.len() > 300, "{}", legacy.len());
        assert!(modern.contains(&CipherSuite(0x1301)) && modern.contains(&CipherSuite(0x1305)));
        assert!(!legacy.contains(&CipherSuite(0x1301)));
        assert!(!legacy.contains(&CipherSuite(0x00ff)));
    }
}
