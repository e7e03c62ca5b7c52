//! The `dns` object of Vigil's JSON output, built from evidence by the pure verdicts.

use crate::caa::caa_verdict;
use crate::tlsa::tlsa_verdict;
use vigil_model::dns::{CaaReport, DnsEvidence, DnsReport};

/// The issue-contract JSON shape for one host: DNSSEC status, addresses, CAA presence and
/// issuers, TLSA presence and whether it matches `chain_der` (leaf first; empty when no chain
/// was retrieved, which gives `"matches": null`). Serialize the result with serde.
pub fn json_view(ev: &DnsEvidence, chain_der: &[Vec<u8>]) -> DnsReport {
    let caa = caa_verdict(ev, None);
    DnsReport {
        dnssec: ev.dnssec,
        a: ev.a.clone(),
        aaaa: ev.aaaa.clone(),
        caa: CaaReport {
            present: caa.present,
            issuers: caa.issuers,
        },
        tlsa: tlsa_verdict(ev, chain_der),
    }
}
