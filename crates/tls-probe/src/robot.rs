//! The ROBOT test (Return Of Bleichenbacher's Oracle Threat), done safely: five static-RSA
//! handshakes whose encrypted premaster secrets are padded correctly or broken in four
//! different ways, each followed by ChangeCipherSpec and a garbage Finished. A patched server
//! answers all five the same way (it substitutes a random secret for a bad one); a server
//! whose answer depends on the padding is an oracle. No secret is ever recovered: the test
//! only compares five answers. A run whose answers differ is repeated, as the published test
//! does, and counts only when the repeat shows the same difference: one lost packet or one
//! overloaded moment must not cap a grade at F.

use crate::budget::Gates;
use crate::exchange::{Answer, ExchangeLimits, read_answer};
use num_bigint::BigUint;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_tls_wire::record::content;
use x509_parser::prelude::FromDer;

/// How long to wait for the server's answer to the broken Finished.
const ANSWER_WAIT: Duration = Duration::from_millis(1500);

/// Largest RSA modulus the test encrypts to (browsers refuse bigger keys; 16 kbit is already
/// far beyond any certificate in use).
pub const MAX_MODULUS_BITS: u64 = 16_384;

/// Largest public exponent accepted (65537 in practice; a huge exponent would make one
/// encryption take minutes).
pub const MAX_EXPONENT_BITS: u64 = 64;

/// What the test concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RobotOutcome {
    /// All five answers were the same.
    NotVulnerable,
    /// The answers differed, the same way in two runs.
    Vulnerable,
    /// The answers differed in one run but not the same way in the repeat.
    Inconclusive(String),
    /// The test could not be run (key refused, no RSA certificate, handshake failed).
    NotTested(String),
}

/// The five premaster encodings: correct, then four kinds of broken padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Correct,
    WrongFirstBytes,
    ZeroInPadding,
    NoSeparator,
    WrongVersion,
}

const VARIANTS: [Variant; 5] = [
    Variant::Correct,
    Variant::WrongFirstBytes,
    Variant::ZeroInPadding,
    Variant::NoSeparator,
    Variant::WrongVersion,
];

/// The PKCS#1 v1.5 block (before encryption) of `k` bytes for a variant; `None` when the
/// modulus is too small to hold a premaster secret.
pub fn padded_block(k: usize, variant: Variant, seed: u8) -> Option<Vec<u8>> {
    let pms_len = 48;
    if k < pms_len + 11 {
        return None;
    }
    let pad_len = k - 3 - pms_len;
    let mut block = Vec::with_capacity(k);
    block.extend_from_slice(&[0x00, 0x02]);
    block.extend((0..pad_len).map(|i| 1 + ((i as u8).wrapping_mul(31).wrapping_add(seed)) % 255));
    block.push(0x00);
    block.extend_from_slice(&[0x03, 0x03]);
    block.extend((0..pms_len - 2).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)));
    match variant {
        Variant::Correct => {}
        Variant::WrongFirstBytes => {
            block[0] = 0x41;
            block[1] = 0x17;
        }
        Variant::ZeroInPadding => block[11] = 0x00,
        Variant::NoSeparator => block[2 + pad_len] = 0x07,
        Variant::WrongVersion => {
            block[3 + pad_len] = 0x02;
            block[4 + pad_len] = 0x02;
        }
    }
    Some(block)
}

/// Textbook RSA: block^e mod n, left-padded to the modulus length.
fn encrypt(block: &[u8], n: &BigUint, e: &BigUint, k: usize) -> Vec<u8> {
    let c = BigUint::from_bytes_be(block).modpow(e, n).to_bytes_be();
    let mut out = vec![0u8; k.saturating_sub(c.len())];
    out.extend_from_slice(&c);
    out
}

/// The RSA public key (modulus, exponent) of a DER certificate, refused beyond the bounds.
pub fn rsa_key(der: &[u8]) -> Result<(BigUint, BigUint), String> {
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der)
        .map_err(|e| format!("the certificate does not parse: {e}"))?;
    let Ok(x509_parser::public_key::PublicKey::RSA(k)) = cert.public_key().parsed() else {
        return Err("the certificate has no RSA key".into());
    };
    let (n, e) = (
        BigUint::from_bytes_be(k.modulus),
        BigUint::from_bytes_be(k.exponent),
    );
    if n.bits() > MAX_MODULUS_BITS {
        return Err(format!(
            "the RSA modulus has {} bits, more than the {MAX_MODULUS_BITS} this test accepts",
            n.bits()
        ));
    }
    if e.bits() > MAX_EXPONENT_BITS {
        return Err(format!(
            "the RSA exponent has {} bits, more than the {MAX_EXPONENT_BITS} this test accepts",
            e.bits()
        ));
    }
    Ok((n, e))
}

/// Runs the test with a TLS 1.2 ClientHello offering only static-RSA suites, each connection
/// under the endpoint's and the shared connection caps.
pub(crate) async fn test(
    addr: SocketAddr,
    hello: &[u8],
    limits: ExchangeLimits,
    gates: &Gates,
) -> RobotOutcome {
    let first = match run(addr, hello, limits, gates).await {
        Ok(answers) => answers,
        Err(why) => return RobotOutcome::NotTested(why),
    };
    if first.iter().all(|a| *a == first[0]) {
        return RobotOutcome::NotVulnerable;
    }
    match run(addr, hello, limits, gates).await {
        Ok(again) if again == first => RobotOutcome::Vulnerable,
        Ok(again) => RobotOutcome::Inconclusive(format!(
            "the answers differed ({}) but not the same way when repeated ({})",
            first.join(", "),
            again.join(", ")
        )),
        Err(why) => RobotOutcome::Inconclusive(format!(
            "the answers differed ({}) and the repeat failed: {why}",
            first.join(", ")
        )),
    }
}

/// One run: the five answers in the order of [`VARIANTS`], or why the run failed.
async fn run(
    addr: SocketAddr,
    hello: &[u8],
    limits: ExchangeLimits,
    gates: &Gates,
) -> Result<Vec<String>, String> {
    let runs = VARIANTS.iter().map(|&v| async move {
        let _permit = gates.permit().await;
        one(addr, hello, v, limits).await
    });
    futures_util::future::join_all(runs)
        .await
        .into_iter()
        .collect()
}

/// One handshake; the answer to the broken Finished as a short signature (`alert 20`,
/// `closed`, `silent`), or why the handshake did not get as far as the key exchange.
async fn one(
    addr: SocketAddr,
    hello: &[u8],
    variant: Variant,
    limits: ExchangeLimits,
) -> Result<String, String> {
    let work = async {
        let mut s = crate::net::connect(addr, limits.guard)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = s.set_nodelay(true);
        s.write_all(hello)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let flight = match read_answer(&mut s, true, limits.max_bytes).await {
            Answer::Hello(_, flight) => flight,
            other => {
                return Err(format!(
                    "no static-RSA handshake ({})",
                    other.abnormal().unwrap_or_else(|| "refused".into())
                ));
            }
        };
        let leaf = flight
            .certificates
            .and_then(|c| c.into_iter().next())
            .ok_or_else(|| "no certificate in the flight".to_string())?;
        // Parsing and big-number arithmetic run off the async runtime, bounded by the key
        // limits, so a hostile key cannot stall other probes or outlast the timeout.
        let enc = tokio::task::spawn_blocking(move || {
            let (n, e) = rsa_key(&leaf)?;
            let k = n.to_bytes_be().len();
            let block = padded_block(k, variant, 0x5a)
                .ok_or_else(|| "the RSA modulus is too small for a premaster secret".to_string())?;
            Ok::<_, String>(encrypt(&block, &n, &e, k))
        })
        .await
        .map_err(|e| format!("the encryption task failed: {e}"))??;
        let mut cke_body = (enc.len() as u16).to_be_bytes().to_vec();
        cke_body.extend_from_slice(&enc);
        let mut msg = vec![16u8];
        let len = cke_body.len();
        msg.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
        msg.extend_from_slice(&cke_body);
        let mut out = vec![content::HANDSHAKE, 3, 3];
        out.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        out.extend_from_slice(&msg);
        out.extend_from_slice(&[content::CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]);
        // A Finished that cannot decrypt: 64 bytes of noise.
        out.extend_from_slice(&[content::HANDSHAKE, 3, 3, 0, 64]);
        out.extend((0..64u8).map(|i| i.wrapping_mul(13)));
        s.write_all(&out).await.map_err(|e| format!("write: {e}"))?;
        let mut buf = [0u8; 7];
        Ok(
            match tokio::time::timeout(ANSWER_WAIT, s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => "closed".to_string(),
                Ok(Ok(n)) if n >= 7 && buf[0] == content::ALERT => format!("alert {}", buf[6]),
                Ok(Ok(_)) => format!("record {}", buf[0]),
                Err(_) => "silent".to_string(),
            },
        )
    };
    tokio::time::timeout(limits.timeout + ANSWER_WAIT, work)
        .await
        .unwrap_or_else(|_| Err("the handshake timed out".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_blocks_differ_exactly_where_they_should() {
        let k = 256;
        let good = padded_block(k, Variant::Correct, 1).unwrap();
        assert_eq!(good.len(), k);
        assert_eq!(&good[..2], &[0, 2]);
        assert!(
            good[2..k - 49].iter().all(|&b| b != 0),
            "padding has no zero byte"
        );
        assert_eq!(good[k - 49], 0);
        assert_eq!(&good[k - 48..k - 46], &[3, 3]);
        for v in &VARIANTS[1..] {
            let bad = padded_block(k, *v, 1).unwrap();
            assert_eq!(bad.len(), k);
            assert_ne!(bad, good, "{v:?}");
        }
        assert_eq!(padded_block(40, Variant::Correct, 1), None);
    }

    #[test]
    fn encryption_is_modular_exponentiation() {
        let n = BigUint::from(3233u32); // 61 * 53
        let e = BigUint::from(17u32);
        assert_eq!(encrypt(&[65], &n, &e, 2), vec![0x0a, 0xe6]); // 65^17 mod 3233 = 2790
    }
}
