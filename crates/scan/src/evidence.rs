//! Everything one scan of a host retrieved from the network, as one serde value both ways.
//! The monitor stores it beside each report so a grading change can be applied to old scans
//! without rescanning (`vigil regrade`), and `vigil replay` re-assesses a saved bundle.

use crate::reach::{self, Resolution, Unreachable};
use crate::{ScanProfile, security_txt};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};
use vigil_checks::guidance::SecurityTxt;
use vigil_model::fedi::FediEvidence;
use vigil_model::ipv6::Ipv6Evidence;
use vigil_model::{Hostname, HttpEvidence, TlsEvidence};

/// Version of the [`InstanceEvidence`] layout; a reader refuses a bundle it does not know.
pub const EVIDENCE_SCHEMA_VERSION: u32 = 1;

/// What the one name lookup at the start of a full scan found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Lookup {
    /// The addresses every part then used.
    Found { v4: Vec<IpAddr>, v6: Vec<Ipv6Addr> },
    /// The name led nowhere: nothing else was retrieved.
    Failed(Unreachable),
    /// Not looked up (HTTP-only scans let the HTTP client resolve).
    NotRun,
}

/// The DNS part: the records with their DNSSEC proofs, and the chain port 443 served (for TLSA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsPart {
    pub records: vigil_dns::DnsEvidence,
    /// DER certificates as served, leaf first, base64; empty when no chain could be read.
    #[serde(with = "der_list")]
    pub served_chain: Vec<Vec<u8>>,
}

/// Every part one scan of a host retrieved; each part is `None` when the profile skipped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceEvidence {
    pub schema_version: u32,
    /// The binary that retrieved it.
    pub vigil_version: String,
    /// The host as scanned (ASCII form).
    pub host: String,
    /// When retrieval started, Unix seconds: the report's `scanned_at`.
    pub started_at: i64,
    /// Wall time of the whole retrieval.
    pub elapsed_ms: u64,
    pub lookup: Lookup,
    pub http: HttpEvidence,
    #[serde(default)]
    pub tls: Option<TlsEvidence>,
    #[serde(default)]
    pub ipv6: Option<Ipv6Evidence>,
    #[serde(default)]
    pub dns: Option<DnsPart>,
    #[serde(default)]
    pub fedi: Option<FediEvidence>,
    #[serde(default)]
    pub security_txt: Option<SecurityTxt>,
    /// The legacy 135-point grading was asked for.
    #[serde(default)]
    pub legacy: bool,
    /// Uptime the monitor measured before this scan (a single scan has none); kept in the
    /// bundle so a regrade rates it the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime: Option<MonitoredUptime>,
}

/// The monitor's uptime figure at scan time: the share of counted checks that were up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MonitoredUptime {
    pub up: i64,
    pub checks: i64,
    pub days: i64,
}

impl MonitoredUptime {
    /// Fewer checks than this say too little to rate on.
    pub const MIN_CHECKS: i64 = 12;

    /// The share up, when there are enough checks to rate on.
    pub fn ratio(&self) -> Option<f64> {
        (self.checks >= Self::MIN_CHECKS && self.up >= 0)
            .then(|| self.up.min(self.checks) as f64 / self.checks as f64)
    }
}

impl Eq for MonitoredUptime {}

impl InstanceEvidence {
    /// A bundle holding only HTTP evidence (what `--format evidence` wrote before bundles, and
    /// what `--format observatory` scans).
    pub fn http_only(http: HttpEvidence, started_at: i64) -> InstanceEvidence {
        InstanceEvidence {
            schema_version: EVIDENCE_SCHEMA_VERSION,
            vigil_version: env!("CARGO_PKG_VERSION").to_string(),
            host: http.host.clone(),
            started_at,
            elapsed_ms: http.elapsed_ms,
            lookup: Lookup::NotRun,
            legacy: http.legacy.is_some(),
            http,
            tls: None,
            ipv6: None,
            dns: None,
            fedi: None,
            security_txt: None,
            uptime: None,
        }
    }

    /// Reads a saved bundle, or a bare HTTP evidence file from older versions.
    pub fn from_json(text: &str) -> Result<InstanceEvidence, EvidenceError> {
        #[derive(Deserialize)]
        struct Probe {
            schema_version: Option<u32>,
        }
        let probe: Probe = serde_json::from_str(text).map_err(EvidenceError::Json)?;
        match probe.schema_version {
            Some(v) if v > EVIDENCE_SCHEMA_VERSION => Err(EvidenceError::Newer(v)),
            Some(_) => serde_json::from_str(text).map_err(EvidenceError::Json),
            None => {
                let http: HttpEvidence = serde_json::from_str(text).map_err(EvidenceError::Json)?;
                Ok(InstanceEvidence::http_only(http, 0))
            }
        }
    }
}

/// Why a saved evidence bundle cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("not Vigil evidence JSON: {0}")]
    Json(serde_json::Error),
    #[error("evidence schema {0} is newer than this vigil knows ({EVIDENCE_SCHEMA_VERSION})")]
    Newer(u32),
}

/// Retrieves every part the profile asks for, all at once, within the profile's one deadline
/// per host. The full profile looks the name up once first and passes the addresses down; a
/// name that leads nowhere ends the retrieval there.
pub async fn retrieve(host: &Hostname, profile: &ScanProfile) -> InstanceEvidence {
    let started_at = crate::now();
    let clock = Instant::now();
    let guard = profile.guard();
    let lookup = if profile.full() {
        match reach::resolve(host.as_str(), profile.probe.https_port).await {
            Resolution::Addresses { v4, v6 } => match reach::all_forbidden(&v4, &v6, guard) {
                // Every address is refused: nothing is sent anywhere. (Each connection still
                // checks its own address: the next lookup may answer differently.)
                Some(why) => Lookup::Failed(why),
                None => Lookup::Found { v4, v6 },
            },
            Resolution::Failed(why) => Lookup::Failed(why),
        }
    } else {
        Lookup::NotRun
    };
    if let Lookup::Failed(why) = &lookup {
        let mut ev = InstanceEvidence::http_only(crate::unreachable_http(host, why), started_at);
        ev.lookup = lookup;
        ev.legacy = profile.legacy;
        return ev;
    }
    let (v4, v6) = match &lookup {
        Lookup::Found { v4, v6 } => (v4.clone(), v6.clone()),
        _ => (Vec::new(), Vec::new()),
    };
    let first = v4
        .iter()
        .copied()
        .chain(v6.iter().copied().map(IpAddr::V6))
        .find(|ip| guard.allows(*ip));
    let deadline = profile.probe.limits.total_timeout + Duration::from_secs(2);
    let parts = async {
        let http = vigil_probe::retrieve_http(host, &profile.probe);
        let tls = async {
            let config = profile.tls.as_ref()?;
            Some(
                vigil_tls_probe::retrieve_tls(host.as_str(), profile.probe.https_port, config)
                    .await,
            )
        };
        let ipv6 = async {
            profile.tls.as_ref()?;
            Some(
                vigil_ipv6::check(
                    host.as_str(),
                    &v4,
                    &v6,
                    profile.probe.http_port,
                    profile.probe.https_port,
                    Duration::from_secs(8),
                    guard,
                )
                .await,
            )
        };
        let dns = async {
            let config = profile.dns.as_ref()?;
            let (records, chain) = tokio::join!(
                vigil_dns::retrieve_dns(host.as_str(), profile.probe.https_port, config),
                vigil_tls_probe::served_chain(
                    host.as_str(),
                    profile.probe.https_port,
                    Duration::from_secs(8),
                    guard,
                ),
            );
            Some(DnsPart {
                records,
                served_chain: chain.unwrap_or_default(),
            })
        };
        let fedi = async {
            let config = profile.fedi.as_ref()?;
            Some(vigil_fedi::retrieve_fedi(host.as_str(), config).await)
        };
        let txt = async {
            profile.tls.as_ref()?;
            Some(security_txt(first, host.as_str(), profile.probe.https_port, guard).await)
        };
        tokio::join!(http, tls, ipv6, dns, fedi, txt)
    };
    // Every part has its own bound inside; this outer one is the promise that a host ends.
    let (http, tls, ipv6, dns, fedi, security_txt) =
        match tokio::time::timeout(deadline, parts).await {
            Ok(parts) => parts,
            Err(_) => {
                let why = Unreachable {
                    cause: reach::Cause::TimedOut,
                    detail: format!("the scan did not end within {} s", deadline.as_secs()),
                };
                let mut ev =
                    InstanceEvidence::http_only(crate::unreachable_http(host, &why), started_at);
                ev.lookup = Lookup::Failed(why);
                ev.legacy = profile.legacy;
                return ev;
            }
        };
    InstanceEvidence {
        schema_version: EVIDENCE_SCHEMA_VERSION,
        vigil_version: env!("CARGO_PKG_VERSION").to_string(),
        host: host.as_str().to_string(),
        started_at,
        elapsed_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        lookup,
        http,
        tls,
        ipv6,
        dns,
        fedi,
        security_txt,
        legacy: profile.legacy,
        uptime: None,
    }
}

/// DER lists as base64 strings, so a bundle stays readable and small.
mod der_list {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(list.len()))?;
        for der in list {
            seq.serialize_element(&STANDARD.encode(der))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| STANDARD.decode(t).map_err(serde::de::Error::custom))
            .collect()
    }
}
