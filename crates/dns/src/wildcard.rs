//! The NSEC proof of a wildcard-expanded answer (RFC 4035 §5.3.4), checked here because hickory
//! 0.26 gets one common shape wrong.
//!
//! Why: for `any.wild.example` answered from `*.wild.example`, the NSEC that proves no closer
//! name exists is usually the wildcard's own (`*.wild.example NSEC www.example`: `*` sorts before
//! every letter). hickory then looks for an NSEC *covering* `*.wild.example`, finds only the
//! one *matching* it, and calls the validated answer bogus. delv and unbound accept it, and so
//! does this check: the answer's RRSIG (already verified by hickory) gives the closest encloser
//! by its labels field, and one verified NSEC must cover the query name with that same closest
//! encloser, so no name between the wildcard and the query name exists. Pure: records in,
//! verdict out.

use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData};
use hickory_resolver::proto::dnssec::{Proof, Verifier};
use hickory_resolver::proto::rr::{DNSClass, Name, RData, Record, RecordType};

/// Whether `answers` hold a validated wildcard expansion for `qname`/`qtype` whose
/// non-existence proof for the next closer name is among the validated NSECs of `authorities`.
pub(crate) fn wildcard_expansion_proven(
    qname: &Name,
    qtype: RecordType,
    answers: &[Record],
    authorities: &[Record],
) -> bool {
    let rrset: Vec<&Record> = answers
        .iter()
        .filter(|r| r.name == *qname && r.record_type() == qtype)
        .collect();
    if rrset.is_empty() || rrset.iter().any(|r| r.proof != Proof::Secure) {
        return false;
    }
    let qlabels = labels(qname);
    // the verified RRSIG over the RRset says how many labels the source of synthesis has
    let Some((wild_labels, signer)) = answers
        .iter()
        .filter(|r| r.name == *qname && r.proof == Proof::Secure)
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::RRSIG(sig)) if sig.input().type_covered == qtype => Some((
                usize::from(sig.input().num_labels),
                &sig.input().signer_name,
            )),
            _ => None,
        })
        .find(|(n, _)| *n < qlabels.len())
    else {
        return false;
    };
    let encloser = qname.trim_to(wild_labels);
    if !signer.zone_of(&encloser) {
        return false;
    }
    authorities.iter().any(|r| {
        let RData::DNSSEC(DNSSECRData::NSEC(nsec)) = &r.data else {
            return false;
        };
        r.proof == Proof::Secure
            && signer.zone_of(&r.name)
            // a delegation's NSEC says nothing about names below the cut (RFC 6840 §4.1)
            && !(nsec.is_ancestor_delegation() && r.name.zone_of(qname))
            && covers(&r.name, nsec.next_domain_name(), qname)
            && closest_encloser(qname, &r.name, nsec.next_domain_name()) == labels(&encloser).len()
    })
}

/// Marks `Secure` every RRset of `records` (and the RRSIG) that a current RRSIG by `signer`
/// made with one of `keys` (the signer's validated DNSKEYs) verifies; leaves the rest alone.
/// For answers fetched without hickory's validator, so [`wildcard_expansion_proven`] can judge
/// them.
pub(crate) fn mark_verified(records: &mut [Record], keys: &[DNSKEY], signer: &Name, now: u32) {
    // RFC 4034 §3.1.5: serial-number arithmetic
    let after = |a: u32, b: u32| a.wrapping_sub(b) < 1 << 31;
    let mut verified: Vec<(Name, RecordType, usize)> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let RData::DNSSEC(DNSSECRData::RRSIG(sig)) = &r.data else {
            continue;
        };
        let input = sig.input();
        if input.signer_name != *signer
            || !signer.zone_of(&r.name)
            || !after(now, input.sig_inception.get())
            || !after(input.sig_expiration.get(), now)
        {
            continue;
        }
        let rrset: Vec<&Record> = records
            .iter()
            .filter(|x| x.name == r.name && x.record_type() == input.type_covered)
            .collect();
        if rrset.is_empty() {
            continue;
        }
        let ok = keys.iter().any(|key| {
            !key.revoke()
                && Verifier::algorithm(key) == input.algorithm
                && key.calculate_key_tag().ok() == Some(input.key_tag)
                && key
                    .verify_rrsig(&r.name, DNSClass::IN, sig, rrset.iter().copied())
                    .is_ok()
        });
        if ok {
            verified.push((r.name.clone(), input.type_covered, i));
        }
    }
    for (name, rtype, sig_index) in verified {
        for r in records.iter_mut() {
            if r.name == name && r.record_type() == rtype {
                r.proof = Proof::Secure;
            }
        }
        if let Some(sig) = records.get_mut(sig_index) {
            sig.proof = Proof::Secure;
        }
    }
}

/// `owner < name < next` in canonical order, or past the last NSEC of the zone (it wraps).
fn covers(owner: &Name, next: &Name, name: &Name) -> bool {
    name > owner && (name < next || next <= owner)
}

/// Labels of the longest ancestor of `qname` shared with an existing name (the NSEC's owner or
/// next name): the closest encloser the NSEC proves.
fn closest_encloser(qname: &Name, owner: &Name, next: &Name) -> usize {
    common_suffix(qname, owner).max(common_suffix(qname, next))
}

/// Lowercased labels, root first, so that shared suffixes compare label by label.
fn labels(name: &Name) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = name.iter().map(|l| l.to_ascii_lowercase()).collect();
    v.reverse();
    v
}

fn common_suffix(a: &Name, b: &Name) -> usize {
    labels(a)
        .iter()
        .zip(labels(b).iter())
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hickory_resolver::proto::dnssec::Algorithm;
    use hickory_resolver::proto::dnssec::rdata::{NSEC, RRSIG, SigInput};
    use hickory_resolver::proto::rr::SerialNumber;
    use hickory_resolver::proto::rr::rdata::A;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn secure(mut r: Record) -> Record {
        r.proof = Proof::Secure;
        r
    }

    /// An answer for `qname` A with an RRSIG of `num_labels` labels by `example.`.
    fn answer(qname: &str, num_labels: u8) -> Vec<Record> {
        let input = SigInput {
            type_covered: RecordType::A,
            algorithm: Algorithm::ECDSAP256SHA256,
            num_labels,
            original_ttl: 300,
            sig_expiration: SerialNumber::new(0),
            sig_inception: SerialNumber::new(0),
            key_tag: 0,
            signer_name: n("example."),
        };
        vec![
            secure(Record::from_rdata(
                n(qname),
                300,
                RData::A(A::new(127, 0, 0, 1)),
            )),
            secure(Record::from_rdata(
                n(qname),
                300,
                RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, vec![]))),
            )),
        ]
    }

    fn nsec(owner: &str, next: &str, types: &[RecordType]) -> Record {
        secure(Record::from_rdata(
            n(owner),
            300,
            RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(n(next), types.iter().copied()))),
        ))
    }

    const WILD_TYPES: &[RecordType] = &[RecordType::A, RecordType::RRSIG, RecordType::NSEC];

    #[test]
    fn the_wildcards_own_nsec_proves_the_expansion() {
        // *.wild.example. NSEC www.example. covers any.wild.example.; closest encloser wild.example.
        let auth = [nsec("*.wild.example.", "www.example.", WILD_TYPES)];
        assert!(wildcard_expansion_proven(
            &n("any.wild.example."),
            RecordType::A,
            &answer("any.wild.example.", 2),
            &auth
        ));
        // the RFC 4035 B.6 shape: an NSEC after the wildcard covers the name
        let auth = [nsec("x.y.w.example.", "xx.example.", WILD_TYPES)];
        assert!(wildcard_expansion_proven(
            &n("a.z.w.example."),
            RecordType::A,
            &answer("a.z.w.example.", 2),
            &auth
        ));
    }

    #[test]
    fn a_closer_name_or_a_missing_proof_is_not_proven() {
        let qname = n("a.b.wild.example.");
        // b.wild.example. exists (the NSEC's owner): the answer should have come from *.b.wild
        let auth = [nsec("b.wild.example.", "www.example.", WILD_TYPES)];
        assert!(!wildcard_expansion_proven(
            &qname,
            RecordType::A,
            &answer("a.b.wild.example.", 2),
            &auth
        ));
        // no NSEC at all
        assert!(!wildcard_expansion_proven(
            &qname,
            RecordType::A,
            &answer("a.b.wild.example.", 2),
            &[]
        ));
        // an NSEC that does not cover the query name
        let auth = [nsec("www.example.", "zzz.example.", WILD_TYPES)];
        assert!(!wildcard_expansion_proven(
            &n("any.wild.example."),
            RecordType::A,
            &answer("any.wild.example.", 2),
            &auth
        ));
        // an NSEC hickory did not validate
        let mut unverified = nsec("*.wild.example.", "www.example.", WILD_TYPES);
        unverified.proof = Proof::Bogus;
        assert!(!wildcard_expansion_proven(
            &n("any.wild.example."),
            RecordType::A,
            &answer("any.wild.example.", 2),
            &[unverified]
        ));
    }

    #[test]
    fn only_validated_wildcard_answers_qualify() {
        let auth = [nsec("*.wild.example.", "www.example.", WILD_TYPES)];
        // not a wildcard: the RRSIG labels equal the owner's
        assert!(!wildcard_expansion_proven(
            &n("any.wild.example."),
            RecordType::A,
            &answer("any.wild.example.", 3),
            &auth
        ));
        // the answer RRset failed validation
        let mut bad = answer("any.wild.example.", 2);
        bad[0].proof = Proof::Bogus;
        assert!(!wildcard_expansion_proven(
            &n("any.wild.example."),
            RecordType::A,
            &bad,
            &auth
        ));
        // another type was asked
        assert!(!wildcard_expansion_proven(
            &n("any.wild.example."),
            RecordType::AAAA,
            &answer("any.wild.example.", 2),
            &auth
        ));
    }

    #[test]
    fn unsigned_or_foreign_records_are_not_marked() {
        // records with an RRSIG that does not verify (no key, wrong signer) stay as they were
        let mut records = answer("any.wild.example.", 2);
        for r in &mut records {
            r.proof = Proof::Indeterminate;
        }
        mark_verified(&mut records, &[], &n("example."), 0);
        assert!(records.iter().all(|r| r.proof == Proof::Indeterminate));
        mark_verified(&mut records, &[], &n("other."), 0);
        assert!(records.iter().all(|r| r.proof == Proof::Indeterminate));
    }

    #[test]
    fn canonical_cover_and_encloser() {
        assert!(covers(
            &n("*.wild.example."),
            &n("www.example."),
            &n("any.wild.example.")
        ));
        // the last NSEC wraps to the apex
        assert!(covers(
            &n("zzz.example."),
            &n("example."),
            &n("zzzz.example.")
        ));
        assert!(!covers(
            &n("b.example."),
            &n("d.example."),
            &n("e.example.")
        ));
        assert_eq!(
            closest_encloser(
                &n("any.wild.example."),
                &n("*.wild.example."),
                &n("www.example.")
            ),
            2
        );
        assert_eq!(common_suffix(&n("A.Example."), &n("a.example.")), 2);
    }
}
