//! Vigil's DNS facts: one validating resolver looks up a host's A, AAAA, CAA and TLSA records
//! concurrently under one deadline, and the DNSSEC status of the answers, into
//! [`DnsEvidence`]; pure functions then judge CAA against a
//! certificate issuer and DANE (TLSA) against a served chain.
//!
//! Retrieval never fails and never panics: timeouts, refusals, bogus signatures and malformed
//! answers become entries in `DnsEvidence::errors` (zgrab2 style: network outcomes are data).
//! This crate does not decide grades; checks and grading read the evidence and verdicts.
//! Main entry points: [`retrieve_dns`], [`caa_verdict`], [`tlsa_verdict`], [`json_view`].
#![forbid(unsafe_code)]

mod anchor;
mod anchor_fetch;
mod caa;
mod config;
mod escape;
mod outcome;
mod report;
mod resolver;
mod retrieve;
mod tlsa;
mod wildcard;

pub use anchor::AnchorError;
pub use caa::{ISSUER_CAA_DOMAINS, caa_domains_for_issuer, caa_verdict};
pub use config::DnsConfig;
pub use report::json_view;
pub use retrieve::retrieve_dns;
pub use tlsa::tlsa_verdict;
pub use vigil_model::dns::{
    CaaRecord, CaaReport, CaaVerdict, DnsEvidence, DnsReport, DnssecStatus, TlsaRecord, TlsaVerdict,
};

/// Bounds on what one lookup set keeps from the network, so a hostile server cannot make the
/// evidence grow without limit.
pub mod limits {
    /// Records kept per answer (A, AAAA, CAA, TLSA each); the rest are dropped with an error.
    pub const MAX_RECORDS_PER_ANSWER: usize = 64;
    /// Names tried when climbing for CAA (RFC 8659 §3): the host and its ancestors, root excluded.
    pub const MAX_CAA_CLIMB: usize = 10;
    /// Bytes of one CAA value or TLSA data kept; longer ones are cut and flagged.
    pub const MAX_VALUE_BYTES: usize = 2048;
    /// Characters kept of one error message.
    pub const MAX_ERROR_CHARS: usize = 300;
}

/// Parses the text of a trust-anchor file (DS or DNSKEY records, as `--trust-anchor` reads it)
/// without using it: for fuzzing the parser with hostile input and for checking a file early.
#[doc(hidden)]
pub fn check_trust_anchor_text(text: &str) -> Result<(), AnchorError> {
    anchor::parse_anchors(text).map(|_| ())
}
