//! Running the pipeline for many hosts: retrieve (bounded concurrency; the HTTP sessions and
//! the TLS probes of one host run at the same time), then the pure check and grade steps. One
//! host's failure never stops the others.

use crate::args::ScanPlan;
use futures_util::stream::{self, StreamExt};
use std::net::{IpAddr, Ipv6Addr};
use std::time::{SystemTime, UNIX_EPOCH};
use vigil_ipv6::Ipv6Verdict;
use vigil_model::fedi::{BranchStatus, FediFacts, VersionVerdict};
use vigil_model::ipv6::Ipv6Evidence;
use vigil_model::{HttpEvidence, ObservatoryReport, SiteError, TlsEvidence};
use vigil_rating::Rating;
use vigil_tls_checks::TlsReport;
use vigil_tls_grade::TlsGrades;

/// The TLS part of a host's result.
#[derive(Debug, Clone)]
pub struct TlsResult {
    pub report: TlsReport,
    pub grades: TlsGrades,
}

/// Everything known about one scanned host.
#[derive(Debug, Clone)]
pub struct HostResult {
    pub evidence: HttpEvidence,
    pub outcome: Result<ObservatoryReport, SiteError>,
    /// `None` when TLS was not probed (`--format observatory`, `--no-tls`, `replay`).
    pub tls: Option<TlsResult>,
    /// The IPv6 check, with the full report only.
    pub ipv6: Option<(Ipv6Evidence, Ipv6Verdict)>,
    /// The composite rating, with the full report only.
    pub rating: Option<Rating>,
    /// DNS facts, with the full report only.
    pub dns: Option<(vigil_dns::DnsEvidence, vigil_dns::DnsReport)>,
    /// Fediverse software facts and, for Mastodon, the version verdict.
    pub software: Option<(FediFacts, Option<VersionVerdict>)>,
    /// Newer guidance beside the score (Permissions-Policy, COOP, COEP, security.txt).
    pub guidance: Option<Vec<vigil_checks::guidance::GuidanceItem>>,
    /// The legacy (2017, 135-point) Observatory report, with `--scoring legacy`.
    pub legacy: Option<Result<vigil_grade::legacy::LegacyReport, SiteError>>,
}

/// Checks and grades evidence (pure).
pub fn analyse(evidence: HttpEvidence) -> HostResult {
    let outcome = vigil_checks::run_all(&evidence).map(|outcomes| vigil_grade::grade(&outcomes));
    HostResult {
        evidence,
        outcome,
        tls: None,
        ipv6: None,
        rating: None,
        dns: None,
        software: None,
        guidance: None,
        legacy: None,
    }
}

/// What `/.well-known/security.txt` answers over https (first address of the host).
async fn security_txt(host: &str, port: u16) -> vigil_checks::guidance::SecurityTxt {
    let none = vigil_checks::guidance::SecurityTxt {
        status: None,
        content_type: None,
    };
    let Ok(Ok(mut addrs)) = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::lookup_host((host, port)),
    )
    .await
    else {
        return none;
    };
    let Some(addr) = addrs.next() else {
        return none;
    };
    match vigil_tls_probe::head::get_head_of(
        addr,
        host,
        "/.well-known/security.txt",
        true,
        std::time::Duration::from_secs(8),
    )
    .await
    {
        Ok(head) => vigil_checks::guidance::SecurityTxt {
            status: Some(head.status),
            content_type: head.header("content-type").map(str::to_string),
        },
        Err(_) => none,
    }
}

/// Software facts and the version verdict for today (pure but for the clock).
fn software(ev: &vigil_model::fedi::FediEvidence) -> (FediFacts, Option<VersionVerdict>) {
    let facts = vigil_fedi::facts(ev);
    let today = time::OffsetDateTime::now_utc().date();
    let verdict = vigil_fedi::ReleaseData::bundled()
        .ok()
        .and_then(|data| vigil_fedi::verdict(&facts, data, today));
    (facts, verdict)
}

/// The rating's inputs from what this scan measured (pure).
pub fn rating_parts(r: &HostResult) -> vigil_rating::Parts {
    let tls = r.tls.as_ref().map(|t| {
        let cert = t.report.certificate.as_ref();
        let https = t.report.protocols.tls1_3.supported
            || t.report.protocols.tls1_2.supported
            || t.report.protocols.tls1_1.supported
            || t.report.protocols.tls1_0.supported
            || t.report.protocols.ssl3_0.supported;
        vigil_rating::Tls {
            https,
            grade: t.grades.ssllabs.grade.clone(),
            grade_if_trusted: t.grades.ssllabs.grade_if_trust_ignored.clone(),
            trusted: cert.is_some_and(|c| c.trusted),
            hostname_match: cert.is_some_and(|c| c.hostname_match),
        }
    });
    vigil_rating::Parts {
        http_score: r
            .outcome
            .as_ref()
            .ok()
            .map(|o| u32::try_from(o.score).unwrap_or(0)),
        tls,
        software: r.software.as_ref().and_then(|(_, v)| v.as_ref()).map(|v| {
            let own: usize = v
                .advisories_fixed_since
                .iter()
                .filter(|a| !a.third_party)
                .count();
            vigil_rating::Software {
                latest_on_branch: v.is_latest_on_branch,
                branch_supported: !matches!(v.branch_status, BranchStatus::EndOfLife { .. }),
                missed_advisories: own,
                missed_dependency_fixes: if own == 0 {
                    v.security_releases_missed.len()
                } else {
                    0
                },
            }
        }),
        ipv6: r.ipv6.as_ref().map(|(_, v)| vigil_rating::Ipv6 {
            aaaa: v.aaaa,
            reachable: v.reachable,
            same_site: v.same_site,
        }),
        // A name the resolver cannot see at all (only in /etc/hosts, split horizon, no
        // network) gives no DNSSEC verdict worth rating: leave the part out.
        dnssec: r.dns.as_ref().map(|(_, d)| match d.dnssec {
            _ if d.a.is_empty() && d.aaaa.is_empty() => vigil_rating::Dnssec::Indeterminate,
            vigil_dns::DnssecStatus::Secure => vigil_rating::Dnssec::Secure,
            vigil_dns::DnssecStatus::Insecure => vigil_rating::Dnssec::Insecure,
            vigil_dns::DnssecStatus::Bogus => vigil_rating::Dnssec::Bogus,
            _ => vigil_rating::Dnssec::Indeterminate,
        }),
        uptime: None,
    }
}

/// Every address of `host` from the system resolver, split by family.
async fn addresses(host: &str, port: u16) -> (Vec<IpAddr>, Vec<Ipv6Addr>) {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    if let Ok(Ok(found)) = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::lookup_host((host, port)),
    )
    .await
    {
        for a in found {
            match a.ip() {
                IpAddr::V6(ip) => v6.push(ip),
                ip => v4.push(ip),
            }
        }
    }
    (v4, v6)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Analyses and grades TLS evidence against the plan's trust store (pure).
pub fn analyse_tls(evidence: &TlsEvidence, plan: &ScanPlan) -> TlsResult {
    let report = vigil_tls_checks::analyse(evidence, &plan.probe.trust.roots.roots, now());
    let grades = vigil_tls_grade::grade(&report);
    TlsResult { report, grades }
}

/// Scans every host of the plan, at most `concurrency` at a time, keeping input order.
pub async fn scan_all(plan: &ScanPlan) -> Vec<HostResult> {
    stream::iter(plan.hosts.iter())
        .map(|host| async move {
            let http = vigil_probe::retrieve_http(host, &plan.probe);
            let tls = async {
                match &plan.tls {
                    Some(config) => Some(
                        vigil_tls_probe::retrieve_tls(host.as_str(), plan.probe.https_port, config)
                            .await,
                    ),
                    None => None,
                }
            };
            let ipv6 = async {
                plan.tls.as_ref()?;
                let (v4, v6) = addresses(host.as_str(), plan.probe.https_port).await;
                let ev = vigil_ipv6::check(
                    host.as_str(),
                    &v4,
                    &v6,
                    plan.probe.http_port,
                    plan.probe.https_port,
                    std::time::Duration::from_secs(8),
                )
                .await;
                let verdict = vigil_ipv6::verdict(&ev);
                Some((ev, verdict))
            };
            let dns = async {
                let config = plan.dns.as_ref()?;
                Some(crate::dns::lookup(host.as_str(), plan.probe.https_port, config).await)
            };
            let fedi = async {
                let config = plan.fedi.as_ref()?;
                Some(vigil_fedi::retrieve_fedi(host.as_str(), config).await)
            };
            let txt = async {
                plan.tls.as_ref()?;
                Some(security_txt(host.as_str(), plan.probe.https_port).await)
            };
            let (http, tls, ipv6, dns, fedi, txt) = tokio::join!(http, tls, ipv6, dns, fedi, txt);
            let mut result = analyse(http);
            if plan.legacy {
                result.legacy = Some(vigil_grade::legacy::legacy_report(&result.evidence));
            }
            result.tls = tls.map(|ev| analyse_tls(&ev, plan));
            result.ipv6 = ipv6;
            result.dns = dns;
            result.software = fedi.map(|ev| software(&ev));
            if let Some(txt) = txt {
                result.guidance = Some(vigil_checks::guidance::guidance(
                    &result.evidence,
                    Some(&txt),
                ));
            }
            if result.tls.is_some() {
                result.rating = Some(vigil_rating::rate(&rating_parts(&result)));
            }
            result
        })
        .buffered(plan.concurrency)
        .collect()
        .await
}
