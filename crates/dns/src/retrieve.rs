//! The retrieve step for DNS: one validating hickory resolver, the A, AAAA, CAA (with the RFC 8659
//! climb) and TLSA queries run concurrently under one deadline, and every outcome, good or bad,
//! lands in [`DnsEvidence`].
//!
//! The DNSSEC status follows the host's address answer (RFC 4035 §4.3): the proof on its A
//! records, else on its AAAA records, else on the NSEC/NSEC3 (or SOA) of the denial; any bogus
//! answer in the set makes the whole set bogus, because a validator would have thrown it away.
//!
//! Bogus means a proven broken chain (bad or expired signature, a DS matching no key), since
//! the rating caps a bogus zone at D. So before validating, the resolver step checks that a
//! trust anchor covers the host and that the anchor's DNSKEYs arrive signed through the
//! resolver; when not (another tree, an unreachable resolver, one that strips signatures) the
//! set is `indeterminate` with the reason in `errors`, and the records are looked up without
//! validation so they are still reported. A bogus answer that is really a wildcard expansion
//! hickory misjudges is re-checked (see `wildcard`).

use crate::anchor_fetch::exchange;
use crate::config::DnsConfig;
use crate::escape::{clip, hex, printable};
use crate::limits::{MAX_CAA_CLIMB, MAX_RECORDS_PER_ANSWER};
use crate::outcome::{Outcome, classify, dnssec_status, note, weakest};
use crate::resolver::{anchor_server, build_resolver};
use crate::wildcard::{mark_verified, wildcard_expansion_proven};
use hickory_resolver::TokioResolver;
use hickory_resolver::proto::dnssec::Proof;
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use std::net::SocketAddr;
use std::time::Instant;
use std::time::{SystemTime, UNIX_EPOCH};
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
    let server = anchor_server(config);
    let (a, aaaa, caa, tlsa) = tokio::join!(
        query(resolver, server, &name, RecordType::A, deadline),
        query(resolver, server, &name, RecordType::AAAA, deadline),
        caa_climb(resolver, server, &name, deadline),
        async {
            match &tlsa_name {
                Some(n) => query(resolver, server, n, RecordType::TLSA, deadline).await,
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
    server: Option<SocketAddr>,
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
        Ok(Err(e)) => match classify(&e) {
            Outcome::Bogus if !matches!(rtype, RecordType::DNSKEY | RecordType::DS) => {
                recheck_wildcard(resolver, server, name, rtype, deadline)
                    .await
                    .unwrap_or(Outcome::Bogus)
            }
            other => other,
        },
    }
}

/// hickory 0.26 calls a valid wildcard expansion in an NSEC zone bogus and keeps no trace of
/// the answer (see `wildcard`). For a bogus answer this asks `server` again without the
/// validator, verifies the RRSIGs itself with the signer's DNSKEYs as hickory validated them,
/// and accepts the answer only as a proven wildcard expansion. `None`: it stays bogus.
async fn recheck_wildcard(
    resolver: &TokioResolver,
    server: Option<SocketAddr>,
    name: &Name,
    rtype: RecordType,
    deadline: tokio::time::Instant,
) -> Option<Outcome> {
    let msg = exchange(server?, name, rtype, deadline).await.ok()?;
    let signer = msg.answers.iter().find_map(|r| match &r.data {
        RData::DNSSEC(DNSSECRData::RRSIG(sig))
            if r.name == *name
                && sig.input().type_covered == rtype
                && usize::from(sig.input().num_labels) < name.iter().len() =>
        {
            Some(sig.input().signer_name.clone())
        }
        _ => None,
    })?;
    let keys = timeout_at(
        deadline,
        resolver.lookup(signer.clone(), RecordType::DNSKEY),
    )
    .await
    .ok()?
    .ok()?;
    let keys: Vec<DNSKEY> = keys
        .answers()
        .iter()
        .filter(|r| r.proof == Proof::Secure)
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::DNSKEY(k)) => Some(k.clone()),
            _ => None,
        })
        .collect();
    if keys.is_empty() {
        return None;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // RRSIG times are 32-bit serial numbers: the wrap is intended
    let now = u32::try_from(now & 0xffff_ffff).unwrap_or(0);
    let mut answers: Vec<Record> = msg
        .answers
        .iter()
        .take(4 * MAX_RECORDS_PER_ANSWER)
        .cloned()
        .collect();
    let mut authorities: Vec<Record> = msg
        .authorities
        .iter()
        .take(4 * MAX_RECORDS_PER_ANSWER)
        .cloned()
        .collect();
    mark_verified(&mut answers, &keys, &signer, now);
    mark_verified(&mut authorities, &keys, &signer, now);
    if !wildcard_expansion_proven(name, rtype, &answers, &authorities) {
        return None;
    }
    let rdata: Vec<RData> = answers
        .iter()
        .filter(|r| r.name == *name && r.record_type() == rtype)
        .take(MAX_RECORDS_PER_ANSWER)
        .map(|r| r.data.clone())
        .collect();
    Some(Outcome::Records(rdata, Proof::Secure))
}

/// RFC 8659 §3: the relevant CAA set is the host's, else its parent's, up to (not including)
/// the root. Climbs on empty answers only; a failure or a bogus answer stops the climb, since
/// "no CAA" would then be a guess. Returns (owner, outcome at the owner or the last name, errors).
async fn caa_climb(
    resolver: &TokioResolver,
    server: Option<SocketAddr>,
    host: &Name,
    deadline: tokio::time::Instant,
) -> (Option<Name>, Outcome, Vec<String>) {
    let mut name = host.clone();
    let mut errors = Vec::new();
    for _ in 0..MAX_CAA_CLIMB {
        if name.is_root() {
            break;
        }
        let outcome = query(resolver, server, &name, RecordType::CAA, deadline).await;
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
