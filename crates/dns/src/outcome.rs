//! How one query ended, from hickory's answer or error, and the DNSSEC status of a lookup set
//! derived from those outcomes. Pure: no I/O. Main type: [`Outcome`].

use crate::limits::MAX_RECORDS_PER_ANSWER;
use crate::wildcard::wildcard_expansion_proven;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::dnssec::Proof;
use hickory_resolver::proto::op::{Message, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use vigil_model::dns::DnssecStatus;

/// How one query ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Records of the wanted type (capped), with the weakest proof among the answer records.
    Records(Vec<RData>, Proof),
    /// The name exists without records of that type (NODATA), with the proof of the denial.
    NoData(Proof),
    /// The name does not exist (NXDOMAIN), with the proof of the denial.
    NxDomain(Proof),
    /// Validation failed: hickory drops bogus answers.
    Bogus,
    /// No usable answer: timeout, refusal, SERVFAIL, malformed or unreachable.
    Failed(String),
}

impl Outcome {
    pub(crate) fn is_bogus(&self) -> bool {
        match self {
            Self::Bogus => true,
            Self::Records(_, p) | Self::NoData(p) | Self::NxDomain(p) => *p == Proof::Bogus,
            Self::Failed(_) => false,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Self::NoData(_) | Self::NxDomain(_))
    }
}

/// The set's status: bogus if any answer is; else the address answer's proof, else the denial's.
pub(crate) fn dnssec_status(a: &Outcome, aaaa: &Outcome, others: &[&Outcome]) -> DnssecStatus {
    if a.is_bogus() || aaaa.is_bogus() || others.iter().any(|o| o.is_bogus()) {
        return DnssecStatus::Bogus;
    }
    let proof = match (a, aaaa) {
        (Outcome::Records(_, p), _) | (_, Outcome::Records(_, p)) => *p,
        (Outcome::NoData(p) | Outcome::NxDomain(p), _)
        | (_, Outcome::NoData(p) | Outcome::NxDomain(p)) => *p,
        _ => Proof::Indeterminate,
    };
    match proof {
        Proof::Secure => DnssecStatus::Secure,
        Proof::Insecure => DnssecStatus::Insecure,
        Proof::Bogus => DnssecStatus::Bogus,
        Proof::Indeterminate => DnssecStatus::Indeterminate,
    }
}

/// Records a failed or bogus outcome as an error line; empty answers are not errors.
pub(crate) fn note(errors: &mut Vec<String>, label: &str, name: &Name, outcome: &Outcome) {
    match outcome {
        Outcome::Bogus => errors.push(format!("{label} {name}: DNSSEC validation failed (bogus)")),
        Outcome::Failed(why) => errors.push(crate::escape::clip(&format!("{label} {name}: {why}"))),
        Outcome::Records(..) | Outcome::NoData(_) | Outcome::NxDomain(_) => {}
    }
}

/// Turns hickory's errors into outcomes: negative answers keep the proof of their denial.
pub(crate) fn classify(e: &NetError) -> Outcome {
    match e {
        NetError::Dns(DnsError::DnssecBogus) => Outcome::Bogus,
        NetError::Dns(DnsError::NoRecordsFound(nr)) => {
            let proof = match &nr.authorities {
                Some(auth) => denial_proof(auth),
                None => Proof::Indeterminate,
            };
            if nr.response_code == ResponseCode::NXDomain {
                Outcome::NxDomain(proof)
            } else {
                Outcome::NoData(proof)
            }
        }
        NetError::Dns(DnsError::Nsec {
            query,
            response,
            proof,
            ..
        }) => {
            if *proof == Proof::Bogus
                && wildcard_expansion_proven(
                    query.name(),
                    query.query_type(),
                    &response.answers,
                    &response.authorities,
                )
            {
                // hickory's NSEC check rejects this valid shape; see `wildcard`
                Outcome::Records(
                    answers_of(query, response).unwrap_or_default(),
                    Proof::Secure,
                )
            } else if *proof == Proof::Bogus {
                Outcome::Bogus
            } else if let Some(rdata) = answers_of(query, response) {
                // a wildcard answer whose proof is only insecure keeps its records
                Outcome::Records(rdata, *proof)
            } else if response.response_code == ResponseCode::NXDomain {
                Outcome::NxDomain(*proof)
            } else {
                Outcome::NoData(*proof)
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => {
            Outcome::Failed(format!("server answered {code}"))
        }
        NetError::Timeout => Outcome::Failed("timed out".into()),
        other => Outcome::Failed(other.to_string()),
    }
}

/// The records of the asked type in a response, capped; `None` when there are none.
fn answers_of(query: &Query, response: &Message) -> Option<Vec<RData>> {
    let rdata: Vec<RData> = response
        .answers
        .iter()
        .filter(|r| r.name == *query.name() && r.record_type() == query.query_type())
        .take(MAX_RECORDS_PER_ANSWER)
        .map(|r| r.data.clone())
        .collect();
    (!rdata.is_empty()).then_some(rdata)
}

/// The proof of a negative answer: its NSEC/NSEC3 records if any, else its SOA.
pub(crate) fn denial_proof(authorities: &[Record]) -> Proof {
    let denial = authorities
        .iter()
        .filter(|r| matches!(r.record_type(), RecordType::NSEC | RecordType::NSEC3));
    if authorities
        .iter()
        .any(|r| matches!(r.record_type(), RecordType::NSEC | RecordType::NSEC3))
    {
        return weakest(denial.map(|r| r.proof));
    }
    weakest(
        authorities
            .iter()
            .filter(|r| r.record_type() == RecordType::SOA)
            .map(|r| r.proof),
    )
}

/// The weakest of some proofs (bogus < indeterminate < insecure < secure); indeterminate if none.
pub(crate) fn weakest(proofs: impl Iterator<Item = Proof>) -> Proof {
    let rank = |p: Proof| match p {
        Proof::Bogus => 0,
        Proof::Indeterminate => 1,
        Proof::Insecure => 2,
        Proof::Secure => 3,
    };
    proofs
        .min_by_key(|p| rank(*p))
        .unwrap_or(Proof::Indeterminate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_prefers_addresses_and_any_bogus_wins() {
        let secure = Outcome::Records(vec![], Proof::Secure);
        let insecure_nodata = Outcome::NoData(Proof::Insecure);
        let failed = Outcome::Failed("timed out".into());
        assert_eq!(
            dnssec_status(&secure, &insecure_nodata, &[]),
            DnssecStatus::Secure
        );
        assert_eq!(
            dnssec_status(&insecure_nodata, &secure, &[]),
            DnssecStatus::Secure
        );
        assert_eq!(
            dnssec_status(&Outcome::NxDomain(Proof::Secure), &failed, &[]),
            DnssecStatus::Secure
        );
        assert_eq!(
            dnssec_status(&failed, &failed, &[]),
            DnssecStatus::Indeterminate
        );
        assert_eq!(
            dnssec_status(&secure, &secure, &[&Outcome::Bogus]),
            DnssecStatus::Bogus
        );
    }

    #[test]
    fn weakest_proof_wins() {
        assert_eq!(
            weakest([Proof::Secure, Proof::Insecure].into_iter()),
            Proof::Insecure
        );
        assert_eq!(weakest(std::iter::empty()), Proof::Indeterminate);
    }
}
