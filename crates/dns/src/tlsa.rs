//! DANE matching (RFC 6698 §2.1, RFC 7671 §5): does any TLSA record of the evidence match the
//! certificate chain the server sent? Pure: reads [`DnsEvidence`] and DER bytes, no I/O.
//!
//! Only the association is checked. PKIX-TA/PKIX-EE (usages 0 and 1) additionally require normal
//! PKIX validation, which the TLS checks do; and DANE is only meaningful when the TLSA answer
//! is DNSSEC-secure, which `DnsEvidence::dnssec` says. Records with unknown usage, selector or
//! matching type are unusable (RFC 7671 §4.1) and never match.

use sha2::{Digest, Sha256, Sha512};
use vigil_model::dns::{DnsEvidence, TlsaRecord, TlsaVerdict};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Matches the TLSA records of `ev` against `chain_der` (leaf first, as served).
///
/// `present` says whether there are records; `matches` is `None` without records or without a
/// chain, else `Some(true)` when a usable record matches: usages 1 and 3 (end entity) against
/// the leaf, usages 0 and 2 (trust anchor / CA) against the certificates after the leaf.
/// Selector 0 takes the whole DER certificate, 1 its SubjectPublicKeyInfo; matching type 0
/// compares exactly, 1 by SHA-256, 2 by SHA-512. A certificate that does not parse cannot match
/// a selector-1 record.
pub fn tlsa_verdict(ev: &DnsEvidence, chain_der: &[Vec<u8>]) -> TlsaVerdict {
    let present = !ev.tlsa.is_empty();
    if !present || chain_der.is_empty() {
        return TlsaVerdict {
            present,
            matches: None,
        };
    }
    let matches = ev.tlsa.iter().any(|rec| record_matches(rec, chain_der));
    TlsaVerdict {
        present,
        matches: Some(matches),
    }
}

/// Whether one record matches some certificate it applies to.
fn record_matches(rec: &TlsaRecord, chain: &[Vec<u8>]) -> bool {
    // either case; odd length, non-hex characters and the `…` of a cut value are unusable
    let Ok(want) = hex::decode(&rec.data_hex) else {
        return false;
    };
    let candidates: &[Vec<u8>] = match rec.usage {
        1 | 3 => chain.get(..1).unwrap_or_default(),
        0 | 2 => chain.get(1..).unwrap_or_default(),
        _ => return false,
    };
    candidates.iter().any(|cert| {
        let selected: Option<Vec<u8>> = match rec.selector {
            0 => Some(cert.clone()),
            1 => spki(cert),
            _ => None,
        };
        let Some(selected) = selected else {
            return false;
        };
        match rec.matching_type {
            0 => selected == want,
            1 => Sha256::digest(&selected).as_slice() == want.as_slice(),
            2 => Sha512::digest(&selected).as_slice() == want.as_slice(),
            _ => false,
        }
    })
}

/// The DER SubjectPublicKeyInfo of a certificate, `None` when it does not parse.
fn spki(cert_der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = X509Certificate::from_der(cert_der).ok()?;
    Some(cert.public_key().raw.to_vec())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rcgen::{CertificateParams, IsCa, KeyPair};
    use vigil_model::dns::DnssecStatus;

    fn ev(records: Vec<TlsaRecord>) -> DnsEvidence {
        DnsEvidence {
            host: "example.test".into(),
            resolver: "127.0.0.1:53535".into(),
            a: vec![],
            aaaa: vec![],
            caa: vec![],
            caa_owner: None,
            tlsa: records,
            dnssec: DnssecStatus::Secure,
            errors: vec![],
            elapsed_ms: 0,
        }
    }

    fn rec(usage: u8, selector: u8, matching_type: u8, data: &[u8]) -> TlsaRecord {
        TlsaRecord {
            usage,
            selector,
            matching_type,
            data_hex: hex::encode(data),
        }
    }

    /// A CA and a leaf it signed, as DER.
    fn chain() -> (Vec<u8>, Vec<u8>) {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["example.test".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        (leaf.der().to_vec(), ca.der().to_vec())
    }

    #[test]
    fn dane_ee_matches_the_leaf_by_each_selector_and_matching_type() {
        let (leaf, ca) = chain();
        let leaf_spki = spki(&leaf).unwrap();
        let served = vec![leaf.clone(), ca.clone()];
        for r in [
            rec(3, 0, 0, &leaf),
            rec(3, 0, 1, &Sha256::digest(&leaf)),
            rec(3, 0, 2, &Sha512::digest(&leaf)),
            rec(3, 1, 0, &leaf_spki),
            rec(3, 1, 1, &Sha256::digest(&leaf_spki)),
            rec(3, 1, 2, &Sha512::digest(&leaf_spki)),
            rec(1, 1, 1, &Sha256::digest(&leaf_spki)),
        ] {
            let v = tlsa_verdict(&ev(vec![r.clone()]), &served);
            assert_eq!(
                v,
                TlsaVerdict {
                    present: true,
                    matches: Some(true)
                },
                "{r:?}"
            );
        }
        // an end-entity record never matches the CA, nor a CA record the leaf
        let ca_spki = spki(&ca).unwrap();
        for r in [
            rec(3, 1, 1, &Sha256::digest(&ca_spki)),
            rec(2, 1, 1, &Sha256::digest(&leaf_spki)),
        ] {
            let v = tlsa_verdict(&ev(vec![r.clone()]), &served);
            assert_eq!(v.matches, Some(false), "{r:?}");
        }
    }

    /// The association data of `cert` for a selector and matching type.
    fn data(cert: &[u8], selector: u8, matching: u8) -> Vec<u8> {
        let selected = if selector == 0 {
            cert.to_vec()
        } else {
            spki(cert).unwrap()
        };
        match matching {
            0 => selected,
            1 => Sha256::digest(&selected).to_vec(),
            _ => Sha512::digest(&selected).to_vec(),
        }
    }

    #[test]
    fn every_usage_selector_and_matching_type() {
        let (leaf, ca) = chain();
        let (stranger, stranger_ca) = chain();
        for usage in 0..4u8 {
            // end-entity usages (1, 3) name the leaf, trust-anchor usages (0, 2) the CA
            let (right, wrong) = if usage % 2 == 1 {
                (&leaf, &ca)
            } else {
                (&ca, &leaf)
            };
            for selector in 0..2u8 {
                for matching in 0..3u8 {
                    let r = rec(usage, selector, matching, &data(right, selector, matching));
                    let served = [leaf.clone(), ca.clone()];
                    let v = tlsa_verdict(&ev(vec![r.clone()]), &served);
                    assert_eq!(v.matches, Some(true), "{r:?}");
                    // the same record built from the other certificate of the chain
                    let w = rec(usage, selector, matching, &data(wrong, selector, matching));
                    assert_eq!(
                        tlsa_verdict(&ev(vec![w.clone()]), &served).matches,
                        Some(false),
                        "{w:?}"
                    );
                    // another chain does not match
                    let other = [stranger.clone(), stranger_ca.clone()];
                    assert_eq!(
                        tlsa_verdict(&ev(vec![r.clone()]), &other).matches,
                        Some(false),
                        "{r:?}"
                    );
                    // nothing served: no answer
                    assert_eq!(tlsa_verdict(&ev(vec![r]), &[]).matches, None);
                }
            }
        }
    }

    #[test]
    fn dane_ta_matches_a_certificate_after_the_leaf() {
        let (leaf, ca) = chain();
        let ca_spki = spki(&ca).unwrap();
        let served = vec![leaf, ca.clone()];
        for r in [
            rec(2, 0, 1, &Sha256::digest(&ca)),
            rec(0, 1, 2, &Sha512::digest(&ca_spki)),
        ] {
            assert_eq!(tlsa_verdict(&ev(vec![r]), &served).matches, Some(true));
        }
        // the leaf alone carries no trust anchor
        let (leaf_only, _) = chain();
        let r = rec(2, 0, 1, &Sha256::digest(&ca));
        assert_eq!(
            tlsa_verdict(&ev(vec![r]), &[leaf_only]).matches,
            Some(false)
        );
    }

    #[test]
    fn any_matching_record_is_enough_and_unusable_ones_never_match() {
        let (leaf, _) = chain();
        let good = rec(3, 0, 1, &Sha256::digest(&leaf));
        let v = tlsa_verdict(
            &ev(vec![rec(3, 0, 1, &[0; 32]), good.clone()]),
            std::slice::from_ref(&leaf),
        );
        assert_eq!(v.matches, Some(true));
        for bad in [
            rec(4, 0, 1, &Sha256::digest(&leaf)),
            rec(3, 2, 1, &Sha256::digest(&leaf)),
            rec(3, 0, 3, &Sha256::digest(&leaf)),
            TlsaRecord {
                data_hex: "zz".into(),
                ..good.clone()
            },
            TlsaRecord {
                data_hex: format!("{}…", good.data_hex),
                ..good.clone()
            },
        ] {
            assert_eq!(
                tlsa_verdict(&ev(vec![bad.clone()]), std::slice::from_ref(&leaf)).matches,
                Some(false),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn no_records_or_no_chain_give_no_answer() {
        let (leaf, _) = chain();
        assert_eq!(
            tlsa_verdict(&ev(vec![]), std::slice::from_ref(&leaf)),
            TlsaVerdict {
                present: false,
                matches: None
            }
        );
        let r = rec(3, 0, 1, &Sha256::digest(&leaf));
        assert_eq!(
            tlsa_verdict(&ev(vec![r]), &[]),
            TlsaVerdict {
                present: true,
                matches: None
            }
        );
    }

    #[test]
    fn garbage_certificates_do_not_panic() {
        let r = rec(3, 1, 1, &[0; 32]);
        let v = tlsa_verdict(&ev(vec![r]), &[vec![0x30, 0x82, 0xff], vec![]]);
        assert_eq!(v.matches, Some(false));
    }
}
