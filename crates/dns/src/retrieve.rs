//! The retrieve step for DNS: one validating hickory resolver, the A, AAAA, CAA (with the RFC 8659
//! climb) and TLSA queries run concurrently under one deadline, and every outcome, good or bad,
//! lands in [`DnsEvidence`].
//!
//! The DNSSEC status follows the host's address answer (RFC 4035 §4.3): the proof on its A
//! records, else on its AAAA records, else on the NSEC/NSEC3 (or SOA) of the denial; any bogus
//! answer in the set makes the whole set bogus, because a validator would have thrown it away.

use crate::config::DnsConfig;
use crate::escape::{clip, hex, printable};
use crate::limits::{MAX_CAA_CLIMB, MAX_RECORDS_PER_ANSWER};
use crate::outcome::{Outcome, classify, dnssec_status, note, weakest};
use crate::resolver::build_resolver;
use hickory_resolver::TokioResolver;
use hickory_resolver::proto::dnssec::Proof;
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use std::time::Instant;
use tokio::time::timeout_at;
use vigil_model::dns::{CaaRecord, DnsEvidence, DnssecStatus, TlsaRecord};

/// Looks up `host`'s A, AAAA, CAA and `_PORT._tcp` TLSA records through one validating resolver,
/// concurrently, within `config.timeout`, and reports what it found.
///
/// Never fails: a bad host name, an unreadable trust anchor, timeouts, refusals and bogus
/// answers all become `errors`, with `dnssec` left `indeterminate` unless a validated answer says
/// otherwise. `port` only names the TLSA record (`_443._tcp.HOST`).
pub async fn retrieve_dns(host: &str, port: u16, config: &DnsConfig) -> DnsEvidence {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + config.timeout;
    let mut ev = DnsEvidence {
        host: host.trim_end_matches('.').to_string(),
        resolver: config
            .resolver
            .map_or_else(|| "system".to_string(), |a| a.to_string()),
        a: Vec::new(),
        aaaa: Vec::new(),
        caa: Vec::new(),
        caa_owner: None,
        tlsa: Vec::new(),
        dnssec: DnssecStatus::Indeterminate,
        errors: Vec::new(),
        elapsed_ms: 0,
    };
    let finish = |mut ev: DnsEvidence| {
        ev.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        ev
    };

    let name = match Name::from_utf8(ev.host.as_str()) {
        Ok(mut n) if !ev.host.is_empty() => {
            n.set_fqdn(true);
            n
        }
        Ok(_) => {
            ev.errors.push("host name is empty".into());
            return finish(ev);
        }
        Err(e) => {
            ev.errors
                .push(clip(&format!("host name {:?}: {e}", ev.host)));
            return finish(ev);
        }
    };
    let tlsa_name = match Name::from_ascii(format!("_{port}._tcp"))
        .and_then(|label| label.append_domain(&name))
    {
        Ok(n) => Some(n),
        Err(e) => {
            ev.errors.push(clip(&format!("TLSA name for {name}: {e}")));
            None
        }
    };

    let prepared = match timeout_at(
        deadline,
        build_resolver(config, &name, &mut ev.errors, deadline),
    )
    .await
    {
        Ok(Some(p)) => p,
        Ok(None) => return finish(ev),
        Err(_) => {
            ev.errors
                .push("timed out while preparing the resolver".into());
            return finish(ev);
        }
    };

    let resolver = &prepared.resolver;
    let (a, aaaa, caa, tlsa) = tokio::join!(
        query(resolver, &name, RecordType::A, deadline),
        query(resolver, &name, RecordType::AAAA, deadline),
        caa_climb(resolver, &name, deadline),
        async {
            match &tlsa_name {
                Some(n) => query(resolver, n, RecordType::TLSA, deadline).await,
                None => Outcome::Failed("no TLSA name".into()),
            }
        },
    );

    // addresses
    for (label, outcome, out) in [("A", &a, &mut ev.a), ("AAAA", &aaaa, &mut ev.aaaa)] {
        match outcome {
            Outcome::Records(rdata, _) => out.extend(rdata.iter().filter_map(|r| match r {
                RData::A(v4) => Some(v4.0.to_string()),
                RData::AAAA(v6) => Some(v6.0.to_string()),
                _ => None,
            })),
            Outcome::NxDomain(_) if label == "A" => {
                ev.errors.push(format!("{name} does not exist (NXDOMAIN)"))
            }
            other => note(&mut ev.errors, label, &name, other),
        }
    }
    // CAA
    let (caa_owner, caa_outcome, caa_errors) = caa;
    ev.errors.extend(caa_errors);
    if let Outcome::Records(rdata, _) = &caa_outcome {
        ev.caa_owner = caa_owner.map(|n| n.to_ascii().trim_end_matches('.').to_string());
        ev.caa.extend(rdata.iter().filter_map(|r| match r {
            RData::CAA(c) => Some(CaaRecord {
                flags: c.flags(),
                tag: printable(c.tag.as_bytes()),
                value: printable(&c.value),
            }),
            _ => None,
        }));
    }
    // TLSA
    match &tlsa {
        Outcome::Records(rdata, _) => ev.tlsa.extend(rdata.iter().filter_map(|r| match r {
            RData::TLSA(t) => Some(TlsaRecord {
                usage: t.cert_usage.into(),
                selector: t.selector.into(),
                matching_type: t.matching.into(),
                data_hex: hex(&t.cert_data),
            }),
            _ => None,
        })),
        // no TLSA is the common case, and `_443._tcp` of a name without TLSA is often NXDOMAIN
        Outcome::NoData(_) | Outcome::NxDomain(_) => {}
        other => {
            if let Some(n) = &tlsa_name {
                note(&mut ev.errors, "TLSA", n, other);
            }
        }
    }
    for (label, outcome) in [("CAA", &caa_outcome), ("TLSA", &tlsa)] {
        if let Outcome::Records(rdata, _) = outcome
            && rdata.len() >= MAX_RECORDS_PER_ANSWER
        {
            ev.errors.push(format!(
                "{label}: more than {MAX_RECORDS_PER_ANSWER} records, the rest were dropped"
            ));
        }
    }

    ev.dnssec = if prepared.blind.is_some() {
        // nothing was validated, so nothing is secure, insecure or proved broken
        DnssecStatus::Indeterminate
    } else {
        dnssec_status(&a, &aaaa, &[&caa_outcome, &tlsa])
    };
    finish(ev)
}

/// One query, bounded by the deadline, classified.
async fn query(
    resolver: &TokioResolver,
    name: &Name,
    rtype: RecordType,
    deadline: tokio::time::Instant,
) -> Outcome {
    match timeout_at(deadline, resolver.lookup(name.clone(), rtype)).await {
        Err(_) => Outcome::Failed("timed out".into()),
        Ok(Ok(lookup)) => {
            let answers: Vec<&Record> = lookup
                .answers()
                .iter()
                .filter(|r| r.record_type() != RecordType::RRSIG)
                .collect();
            let proof = weakest(answers.iter().map(|r| r.proof));
            let rdata: Vec<RData> = answers
                .iter()
                .filter(|r| r.record_type() == rtype)
                .take(MAX_RECORDS_PER_ANSWER)
                .map(|r| r.data.clone())
                .collect();
            if rdata.is_empty() {
                Outcome::NoData(proof)
            } else {
                Outcome::Records(rdata, proof)
            }
        }
        Ok(Err(e)) => classify(&e),
    }
}

/// RFC 8659 §3: the relevant CAA set is the host's, else its parent's, up to (not including)
/// the root. Climbs on empty answers only; a failure or a bogus answer stops the climb, since
/// "no CAA" would then be a guess. Returns (owner, outcome at the owner or the last name, errors).
async fn caa_climb(
    resolver: &TokioResolver,
    host: &Name,
    deadline: tokio::time::Instant,
) -> (Option<Name>, Outcome, Vec<String>) {
    let mut name = host.clone();
    let mut errors = Vec::new();
    for _ in 0..MAX_CAA_CLIMB {
        if name.is_root() {
            break;
        }
        let outcome = query(resolver, &name, RecordType::CAA, deadline).await;
        match &outcome {
            Outcome::Records(..) => return (Some(name), outcome, errors),
            o if o.is_empty() => name = name.base_name(),
            other => {
                note(&mut errors, "CAA", &name, other);
                return (None, outcome, errors);
            }
        }
    }
    (None, Outcome::NoData(Proof::Indeterminate), errors)
}
