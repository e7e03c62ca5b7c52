//! The whole-instance scan as a library, so the CLI (and later the monitor) run the same steps:
//! find the host's addresses once, retrieve every part at the same time (HTTP sessions, TLS
//! probes, IPv6, DNS, fediverse software, security.txt), then check, grade and rate them with
//! pure functions. A host that cannot be reached ends as [`Unreachable`] with its cause and no
//! rating, never as an F built from nothing.

mod changes;
mod evidence;
mod reach;
mod report;

pub use changes::{Change, ChangeKind, Snippets, changes};
pub use evidence::{
    DnsPart, EVIDENCE_SCHEMA_VERSION, EvidenceError, InstanceEvidence, Lookup, MonitoredUptime,
    retrieve,
};
pub use reach::{Cause, Resolution, Unreachable, resolve};
pub use report::{INSTANCE_REPORT_SCHEMA_VERSION, InstanceReport, Summary};

use futures_util::stream::{self, StreamExt};
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vigil_guard::AddressPolicy;
use vigil_ipv6::Ipv6Verdict;
use vigil_model::fedi::{BranchStatus, FediFacts, VersionVerdict};
use vigil_model::ipv6::Ipv6Evidence;
use vigil_model::{Hostname, HttpEvidence, ObservatoryReport, SiteError};
use vigil_probe::ProbeConfig;
use vigil_rating::Rating;
use vigil_tls_checks::TlsReport;
use vigil_tls_grade::TlsGrades;

/// Which parts a scan runs, and how. The CLI builds one from its flags; nothing here depends
/// on the output format.
#[derive(Debug, Clone)]
pub struct ScanProfile {
    pub probe: ProbeConfig,
    /// TLS probing; `None` skips TLS and with it IPv6, security.txt and the rating.
    pub tls: Option<vigil_tls_probe::TlsProbeConfig>,
    /// DNS lookups for the full report.
    pub dns: Option<vigil_dns::DnsConfig>,
    /// Fediverse facts for the full report.
    pub fedi: Option<vigil_fedi::FediConfig>,
    /// Grade with the legacy 135-point Observatory as well.
    pub legacy: bool,
    /// Hosts scanned at the same time.
    pub concurrency: usize,
}

impl ScanProfile {
    /// True when the full instance report (TLS, IPv6, DNS, software, rating) runs.
    pub fn full(&self) -> bool {
        self.tls.is_some()
    }

    /// The same profile for a public scan: every part that connects (HTTP sessions and their
    /// redirects, TLS probes, the IPv6 check, security.txt, the fediverse fetches) refuses
    /// addresses that are not public, on each connection. DNS questions go to the configured
    /// or system resolver, never one the target chooses, so DNS is unchanged.
    pub fn public_only(mut self) -> Self {
        self.set_guard(AddressPolicy::PublicOnly);
        self
    }

    /// Sets the address policy of every part at once, so no part can be left behind.
    pub fn set_guard(&mut self, guard: AddressPolicy) {
        self.probe.guard = guard;
        if let Some(tls) = &mut self.tls {
            tls.guard = guard;
        }
        if let Some(fedi) = &mut self.fedi {
            fedi.guard = guard;
        }
    }

    /// The profile's address policy (the HTTP part's, which [`ScanProfile::set_guard`] keeps
    /// equal to every other part's); the parts without a configuration of their own (IPv6,
    /// security.txt, the served chain) use it.
    pub fn guard(&self) -> AddressPolicy {
        self.probe.guard
    }
}

/// The TLS part of a host's result.
#[derive(Debug, Clone)]
pub struct TlsResult {
    pub report: TlsReport,
    pub grades: TlsGrades,
}

/// Everything known about one scanned host.
#[derive(Debug, Clone)]
pub struct HostResult {
    /// When the evidence was retrieved (Unix seconds); 0 for a bare HTTP evidence file.
    pub scanned_at: i64,
    /// The monitor's uptime share, when it had enough checks (the rating's uptime part).
    pub uptime: Option<f64>,
    pub evidence: HttpEvidence,
    pub outcome: Result<ObservatoryReport, SiteError>,
    /// Set when the host could not be reached at all; every other part is then empty.
    pub unreachable: Option<Unreachable>,
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

impl HostResult {
    /// True when the host runs Mastodon (the report then adds Mastodon notes).
    pub fn is_mastodon(&self) -> bool {
        self.software
            .as_ref()
            .and_then(|(f, _)| f.software.as_deref())
            == Some("mastodon")
    }
}

/// Checks and grades HTTP evidence (pure).
pub fn analyse(evidence: HttpEvidence) -> HostResult {
    let outcome = vigil_checks::run_all(&evidence).map(|outcomes| vigil_grade::grade(&outcomes));
    let unreachable = reach::from_http(&evidence, outcome.as_ref().err());
    HostResult {
        scanned_at: 0,
        uptime: None,
        evidence,
        outcome,
        unreachable,
        tls: None,
        ipv6: None,
        rating: None,
        dns: None,
        software: None,
        guidance: None,
        legacy: None,
    }
}

/// What `/.well-known/security.txt` answers over https (first address of the host the guard
/// allows; the fetch checks it again).
pub(crate) async fn security_txt(
    addr: Option<IpAddr>,
    host: &str,
    port: u16,
    guard: AddressPolicy,
) -> vigil_checks::guidance::SecurityTxt {
    let none = vigil_checks::guidance::SecurityTxt {
        status: None,
        content_type: None,
    };
    let Some(ip) = addr else {
        return none;
    };
    match vigil_tls_probe::head::get_head_of(
        std::net::SocketAddr::new(ip, port),
        host,
        "/.well-known/security.txt",
        true,
        Duration::from_secs(8),
        guard,
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

/// The rating's inputs from what this scan measured (pure).
pub fn rating_parts(r: &HostResult) -> vigil_rating::Parts {
    // TLS counts as measured when some version answered, or every version was refused for
    // certain; a probe that got no answer is not a "no", so the part is then left out.
    let tls = r.tls.as_ref().and_then(|t| {
        let cert = t.report.certificate.as_ref();
        let p = &t.report.protocols;
        let versions = [&p.tls1_3, &p.tls1_2, &p.tls1_1, &p.tls1_0, &p.ssl3_0];
        let https = versions.iter().any(|v| v.supported);
        let unknown = versions
            .iter()
            .any(|v| v.status == vigil_tls_checks::report::ProtocolStatus::Unknown);
        if !https && unknown {
            return None;
        }
        Some(vigil_rating::Tls {
            https,
            grade: t.grades.ssllabs.grade.letter(),
            grade_if_trusted: t.grades.ssllabs.grade_if_trust_ignored,
            trusted: cert.is_some_and(|c| c.trusted),
            hostname_match: cert.is_some_and(|c| c.hostname_match),
        })
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
        // A proven broken chain is bogus even though the validator dropped every record.
        // Otherwise a name the resolver cannot see at all (only in /etc/hosts, split
        // horizon, no network) gives no DNSSEC verdict worth rating: leave the part out.
        dnssec: r.dns.as_ref().map(|(_, d)| match d.dnssec {
            vigil_dns::DnssecStatus::Bogus => vigil_rating::Dnssec::Bogus,
            _ if d.a.is_empty() && d.aaaa.is_empty() => vigil_rating::Dnssec::Indeterminate,
            vigil_dns::DnssecStatus::Secure => vigil_rating::Dnssec::Secure,
            vigil_dns::DnssecStatus::Insecure => vigil_rating::Dnssec::Insecure,
            _ => vigil_rating::Dnssec::Indeterminate,
        }),
        uptime: r.uptime,
    }
}

/// Seconds since the Unix epoch, the one clock reading of a scan.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Looks up the DNS facts and the served chain (for TLSA) at once. For `vigil dns`, the
/// operator's own tool: the chain is read from any address.
pub async fn dns_lookup(
    host: &str,
    port: u16,
    config: &vigil_dns::DnsConfig,
) -> (vigil_dns::DnsEvidence, vigil_dns::DnsReport) {
    let (ev, chain) = tokio::join!(
        vigil_dns::retrieve_dns(host, port, config),
        vigil_tls_probe::served_chain(host, port, Duration::from_secs(8), AddressPolicy::AllowAll),
    );
    let report = vigil_dns::json_view(&ev, chain.as_deref().unwrap_or_default());
    (ev, report)
}

/// The HTTP evidence of a host whose name did not lead to an address it may connect to: both
/// sessions failed with the lookup's cause (or the guard's refusal), nothing else retrieved.
pub(crate) fn unreachable_http(host: &Hostname, why: &Unreachable) -> HttpEvidence {
    let status = match why.cause {
        Cause::Forbidden => vigil_model::evidence::ProbeStatus::Forbidden,
        _ => vigil_model::evidence::ProbeStatus::DnsError,
    };
    let failure = vigil_model::evidence::SessionFailure {
        status,
        detail: why.detail.clone(),
    };
    HttpEvidence {
        host: host.as_str().to_string(),
        http: None,
        http_failure: Some(failure.clone()),
        https: None,
        https_failure: Some(failure),
        preflight: None,
        robots_status: None,
        elapsed_ms: 0,
        legacy: None,
    }
}

/// What assessing needs besides the evidence: the trust anchors certificates are checked
/// against and the Mastodon release data versions are judged by. Both are inputs, so the same
/// evidence assessed with the same context always gives the same report.
#[derive(Clone, Copy)]
pub struct Assessor<'a> {
    pub anchors: &'a [rustls_pki_types::TrustAnchor<'static>],
    pub releases: Option<&'a vigil_fedi::ReleaseData>,
}

impl<'a> Assessor<'a> {
    /// The profile's trust store and the release data bundled in this binary.
    pub fn new(profile: &'a ScanProfile) -> Assessor<'a> {
        Assessor {
            anchors: &profile.probe.trust.roots.roots,
            releases: vigil_fedi::ReleaseData::bundled().ok(),
        }
    }
}

/// Checks, grades and rates one evidence bundle as of `now` (Unix seconds): pure, no I/O. The
/// CLI, `vigil replay`, the monitor and `vigil regrade` all build their report here.
pub fn assess(ev: &InstanceEvidence, ctx: &Assessor<'_>, now: i64) -> HostResult {
    let mut result = analyse(ev.http.clone());
    result.scanned_at = ev.started_at;
    result.uptime = ev.uptime.and_then(|u| u.ratio());
    if let Lookup::Failed(why) = &ev.lookup {
        result.unreachable = Some(why.clone());
        return result;
    }
    let tls = ev.tls.as_ref().map(|t| {
        let report = vigil_tls_checks::analyse(t, ctx.anchors, now);
        let grades = vigil_tls_grade::grade(&report);
        (t.failure.is_none(), TlsResult { report, grades })
    });
    // Reachable over TLS means reachable, even when no HTTP answer came back; a port that
    // accepts connections and then says nothing is not an answer.
    let tls_answered = tls.as_ref().is_some_and(|(connected, t)| {
        let p = &t.report.protocols;
        *connected
            && [
                &p.ssl2_0, &p.ssl3_0, &p.tls1_0, &p.tls1_1, &p.tls1_2, &p.tls1_3,
            ]
            .iter()
            .any(|v| v.status != vigil_tls_checks::report::ProtocolStatus::Unknown)
    });
    if tls_answered {
        result.unreachable = None;
    }
    if result.unreachable.is_some() {
        return result;
    }
    if ev.legacy {
        result.legacy = Some(vigil_grade::legacy::legacy_report(&result.evidence));
    }
    result.tls = tls.map(|(_, t)| t);
    result.ipv6 = ev
        .ipv6
        .as_ref()
        .map(|i| (i.clone(), vigil_ipv6::verdict(i)));
    result.dns = ev.dns.as_ref().map(|d| {
        (
            d.records.clone(),
            vigil_dns::json_view(&d.records, &d.served_chain),
        )
    });
    let today = time::OffsetDateTime::from_unix_timestamp(now)
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    result.software = ev.fedi.as_ref().map(|f| {
        let facts = vigil_fedi::facts(f);
        let verdict = ctx
            .releases
            .and_then(|data| vigil_fedi::verdict(&facts, data, today));
        (facts, verdict)
    });
    if let Some(txt) = &ev.security_txt {
        result.guidance = Some(vigil_checks::guidance::guidance(
            &result.evidence,
            Some(txt),
        ));
    }
    if result.tls.is_some() {
        result.rating = Some(vigil_rating::rate(&rating_parts(&result)));
    }
    result
}

/// One scanned host: what was retrieved, and the result assessed from it.
#[derive(Debug, Clone)]
pub struct Scanned {
    pub evidence: InstanceEvidence,
    pub result: HostResult,
}

impl Scanned {
    /// The versioned report of this scan.
    pub fn report(&self) -> InstanceReport {
        InstanceReport::new(&self.result)
    }
}

/// Scans one host with every part the profile asks for: [`retrieve`], then [`assess`] as of
/// the moment retrieval started.
pub async fn scan_host(host: &Hostname, profile: &ScanProfile) -> Scanned {
    let evidence = retrieve(host, profile).await;
    let result = assess(&evidence, &Assessor::new(profile), evidence.started_at);
    Scanned { evidence, result }
}

/// Scans every host, at most `profile.concurrency` at a time, keeping input order. One host's
/// failure never stops the others.
pub async fn scan_all(hosts: &[Hostname], profile: &ScanProfile) -> Vec<Scanned> {
    stream::iter(hosts.iter())
        .map(|host| scan_host(host, profile))
        .buffered(profile.concurrency.max(1))
        .collect()
        .await
}

/// Every address of `host` from the system resolver, split by family (IPv4-mapped IPv6
/// addresses count as IPv4).
pub(crate) fn split(found: impl Iterator<Item = IpAddr>) -> (Vec<IpAddr>, Vec<Ipv6Addr>) {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for ip in found {
        match ip {
            IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
                Some(mapped) => v4.push(IpAddr::V4(mapped)),
                None => v6.push(ip),
            },
            ip => v4.push(ip),
        }
    }
    (v4, v6)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn public_only_sets_the_guard_of_every_part() {
        let trust = vigil_probe::TrustStore::system_with(&[]).unwrap();
        let profile = ScanProfile {
            probe: ProbeConfig::new(trust.clone()),
            tls: Some(vigil_tls_probe::TlsProbeConfig::default()),
            dns: None,
            fedi: Some(vigil_fedi::FediConfig::new(trust)),
            legacy: false,
            concurrency: 1,
        };
        // Operators scan their own (often private) instances: off unless asked for.
        assert_eq!(profile.guard(), AddressPolicy::AllowAll);
        let public = profile.public_only();
        assert_eq!(public.guard(), AddressPolicy::PublicOnly);
        assert_eq!(public.probe.guard, AddressPolicy::PublicOnly);
        assert_eq!(public.tls.map(|t| t.guard), Some(AddressPolicy::PublicOnly));
        assert_eq!(
            public.fedi.map(|f| f.guard),
            Some(AddressPolicy::PublicOnly)
        );
    }
}
