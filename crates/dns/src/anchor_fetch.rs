//! Completes a trust anchor file into the key set hickory 0.26 can use, with one raw DNSKEY
//! query per anchored zone before the lookup set starts.
//!
//! Why: hickory trusts a DNSKEY RRset below the root without a DS lookup only when *every* key in
//! it is an anchor; with just the KSK anchored (the usual `K*.key` file) it looks for a DS above
//! the anchor, finds none, and calls the whole zone bogus. A DS anchor names no key at all. So for
//! each anchored zone this module fetches the DNSKEY RRset (with DO, without validation: the
//! resolver cannot validate what it needs to start validating), authenticates it the way a
//! validator would (an RRSIG over the RRset, inside its validity window, by a key that is an
//! anchor or whose digest a DS anchor gives) and then anchors every zone key of the RRset.
//! The query is a single bounded UDP exchange (TCP when truncated) built with hickory-proto.

use crate::anchor::AnchorSet;
use crate::limits::MAX_RECORDS_PER_ANSWER;
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, RRSIG};
use hickory_resolver::proto::dnssec::{PublicKey, TrustAnchors, Verifier};
use hickory_resolver::proto::op::{Edns, Message, MessageType, Query, ResponseCode};
use hickory_resolver::proto::rr::{DNSClass, LowerName, Name, RData, Record, RecordType};
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};

/// Why an anchored zone's DNSKEY RRset could not vouch for anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AnchorTrouble {
    /// No usable answer (refused, timed out, unreachable, no DNSKEY): nothing can be validated
    /// below the zone, which says nothing about the zone itself.
    NoAnswer(String),
    /// The DNSKEY RRset came without any RRSIG: the resolver or the path strips DNSSEC data, so
    /// every answer through it would look bogus although the zone may be fine.
    Unsigned,
    /// Signatures came but none by an anchored key verifies (a stale anchor, or a broken key
    /// set): left to the validator, which reports the chain as broken.
    Unproven(String),
}

impl AnchorTrouble {
    /// Whether validation below the zone cannot say anything, so answers are indeterminate.
    pub(crate) fn blinds_validation(&self) -> bool {
        matches!(self, Self::NoAnswer(_) | Self::Unsigned)
    }

    /// The error line for `zone`.
    pub(crate) fn describe(&self, zone: &Name) -> String {
        match self {
            Self::NoAnswer(why) => format!("trust anchor {zone}: DNSKEY query failed: {why}"),
            Self::Unsigned => format!(
                "trust anchor {zone}: the DNSKEY RRset came without signatures (the resolver \
                 strips DNSSEC data), so nothing can be validated"
            ),
            Self::Unproven(why) => format!("trust anchor {zone}: {why}"),
        }
    }
}

/// Anchors, for each non-root zone of `set`, every key of its DNSKEY RRset once that RRset is
/// proved by a file anchor. Returns the zones that could not be completed and why; the file's
/// own DNSKEYs stay anchored either way.
pub(crate) async fn complete_anchors(
    server: SocketAddr,
    set: &AnchorSet,
    anchors: &mut TrustAnchors,
    now: u32,
    deadline: Instant,
) -> Vec<(Name, AnchorTrouble)> {
    let mut troubles = Vec::new();
    for zone in set.zones() {
        let response = match exchange(server, &zone, RecordType::DNSKEY, deadline).await {
            Ok(m) => m,
            Err(why) => {
                troubles.push((zone, AnchorTrouble::NoAnswer(why)));
                continue;
            }
        };
        match proven_keys(&zone, set, &response.answers, now) {
            Ok(keys) => {
                for key in keys {
                    anchors.insert_with_name(key.public_key(), LowerName::new(&zone));
                }
            }
            Err(trouble) => troubles.push((zone, trouble)),
        }
    }
    troubles
}

/// Whether the path to `server` carries signatures for `zone`'s DNSKEY RRset at all (used for
/// the built-in root anchors, which hickory checks itself once the path is known to work).
pub(crate) async fn probe_signed_keys(
    server: SocketAddr,
    zone: &Name,
    deadline: Instant,
) -> Result<(), AnchorTrouble> {
    let response = exchange(server, zone, RecordType::DNSKEY, deadline)
        .await
        .map_err(AnchorTrouble::NoAnswer)?;
    signed_key_set(zone, &response.answers).map(|_| ())
}

/// The DNSKEY RRset of `zone` in `answers`, when it is there with at least one RRSIG over it.
fn signed_key_set<'a>(
    zone: &Name,
    answers: &'a [Record],
) -> Result<Vec<&'a Record>, AnchorTrouble> {
    let rrset: Vec<&Record> = answers
        .iter()
        .filter(|r| r.name == *zone && r.record_type() == RecordType::DNSKEY)
        .take(MAX_RECORDS_PER_ANSWER)
        .collect();
    if rrset.is_empty() {
        return Err(AnchorTrouble::NoAnswer(
            "the server returned no DNSKEY".into(),
        ));
    }
    let signed = answers.iter().any(|r| match &r.data {
        RData::DNSSEC(DNSSECRData::RRSIG(sig)) => {
            r.name == *zone && sig.input().type_covered == RecordType::DNSKEY
        }
        _ => false,
    });
    if !signed {
        return Err(AnchorTrouble::Unsigned);
    }
    Ok(rrset)
}

/// The zone keys of `zone`'s DNSKEY RRset in `answers` when an RRSIG over it verifies with a key
/// the anchor file vouches for.
fn proven_keys(
    zone: &Name,
    set: &AnchorSet,
    answers: &[Record],
    now: u32,
) -> Result<Vec<DNSKEY>, AnchorTrouble> {
    let rrset = signed_key_set(zone, answers)?;
    let keys: Vec<&DNSKEY> = rrset
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::DNSKEY(k)) => Some(k),
            _ => None,
        })
        .collect();
    let vouched = |key: &DNSKEY| {
        set.keys.iter().any(|(n, k)| {
            n == zone
                && k.public_key().public_bytes() == key.public_key().public_bytes()
                && Verifier::algorithm(k) == Verifier::algorithm(key)
        }) || set
            .ds
            .iter()
            .any(|(n, ds)| n == zone && ds.covers(zone, key).unwrap_or(false))
    };
    if !keys.iter().any(|k| vouched(k)) {
        return Err(AnchorTrouble::Unproven(format!(
            "none of the {} DNSKEYs is the anchor (stale anchor?)",
            keys.len()
        )));
    }
    let rrsigs = answers.iter().filter_map(|r| match &r.data {
        RData::DNSSEC(DNSSECRData::RRSIG(sig)) if r.name == *zone => Some(sig),
        _ => None,
    });
    for sig in rrsigs.take(MAX_RECORDS_PER_ANSWER) {
        if signs_rrset(sig, zone, &keys, &rrset, now, &vouched) {
            return Ok(keys
                .iter()
                .filter(|k| k.zone_key() && !k.revoke())
                .map(|k| (*k).clone())
                .collect());
        }
    }
    Err(AnchorTrouble::Unproven(
        "no valid RRSIG by an anchored key over the DNSKEY RRset".into(),
    ))
}

/// Whether `sig` is a current signature over `rrset` by one of the vouched-for `keys`.
fn signs_rrset(
    sig: &RRSIG,
    zone: &Name,
    keys: &[&DNSKEY],
    rrset: &[&Record],
    now: u32,
    vouched: &impl Fn(&DNSKEY) -> bool,
) -> bool {
    let input = sig.input();
    if input.type_covered != RecordType::DNSKEY || input.signer_name != *zone {
        return false;
    }
    // RFC 4034 §3.1.5: serial-number arithmetic, so the window survives 2106
    let after = |a: u32, b: u32| a.wrapping_sub(b) < 1 << 31;
    if !after(now, input.sig_inception.get()) || !after(input.sig_expiration.get(), now) {
        return false;
    }
    keys.iter().any(|key| {
        vouched(key)
            && !key.revoke()
            && Verifier::algorithm(*key) == input.algorithm
            && key.calculate_key_tag().ok() == Some(input.key_tag)
            && key
                .verify_rrsig(zone, DNSClass::IN, sig, rrset.iter().copied())
                .is_ok()
    })
}

/// Largest answer accepted over TCP (the DNS maximum).
const MAX_TCP_ANSWER: usize = 65_535;

/// One query with DO set: UDP, then TCP when the answer is truncated; every step bounded by
/// `deadline`. Answers with another ID or that do not parse are ignored (spoofing, garbage).
pub(crate) async fn exchange(
    server: SocketAddr,
    name: &Name,
    rtype: RecordType,
    deadline: Instant,
) -> Result<Message, String> {
    let id = u16::try_from(RandomState::new().hash_one(name.to_ascii()) & 0xffff).unwrap_or(0);
    let mut query = Message::query();
    query.metadata.id = id;
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(name.clone(), rtype));
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    edns.set_max_payload(4096);
    query.set_edns(edns);
    let wire = query.to_vec().map_err(|e| e.to_string())?;

    let bind: SocketAddr = if server.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let timed_out = |_| "timed out".to_string();
    let sock = UdpSocket::bind(bind).await.map_err(|e| e.to_string())?;
    sock.connect(server).await.map_err(|e| e.to_string())?;
    timeout_at(deadline, sock.send(&wire))
        .await
        .map_err(timed_out)?
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 4096];
    let answer = loop {
        let n = timeout_at(deadline, sock.recv(&mut buf))
            .await
            .map_err(timed_out)?
            .map_err(|e| e.to_string())?;
        if let Some(m) = buf.get(..n).and_then(|b| Message::from_vec(b).ok())
            && m.metadata.id == id
            && m.metadata.message_type == MessageType::Response
        {
            break m;
        }
    };
    let answer = if answer.metadata.truncation {
        let mut tcp = timeout_at(deadline, TcpStream::connect(server))
            .await
            .map_err(timed_out)?
            .map_err(|e| e.to_string())?;
        let len = u16::try_from(wire.len()).map_err(|e| e.to_string())?;
        let mut framed = len.to_be_bytes().to_vec();
        framed.extend_from_slice(&wire);
        timeout_at(deadline, tcp.write_all(&framed))
            .await
            .map_err(timed_out)?
            .map_err(|e| e.to_string())?;
        let mut len = [0u8; 2];
        timeout_at(deadline, tcp.read_exact(&mut len))
            .await
            .map_err(timed_out)?
            .map_err(|e| e.to_string())?;
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len)).min(MAX_TCP_ANSWER)];
        timeout_at(deadline, tcp.read_exact(&mut body))
            .await
            .map_err(timed_out)?
            .map_err(|e| e.to_string())?;
        let m = Message::from_vec(&body).map_err(|e| format!("malformed answer: {e}"))?;
        if m.metadata.id != id {
            return Err("answer with another ID over TCP".into());
        }
        m
    } else {
        answer
    };
    if answer.metadata.response_code != ResponseCode::NoError {
        return Err(format!("server answered {}", answer.metadata.response_code));
    }
    Ok(answer)
}
