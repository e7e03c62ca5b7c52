//! Running the pipeline for many hosts: retrieve (bounded concurrency; the HTTP sessions and
//! the TLS probes of one host run at the same time), then the pure check and grade steps. One
//! host's failure never stops the others.

use crate::args::ScanPlan;
use futures_util::stream::{self, StreamExt};
use std::time::{SystemTime, UNIX_EPOCH};
use vigil_model::{HttpEvidence, ObservatoryReport, SiteError, TlsEvidence};
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
}

/// Checks and grades evidence (pure).
pub fn analyse(evidence: HttpEvidence) -> HostResult {
    let outcome = vigil_checks::run_all(&evidence).map(|outcomes| vigil_grade::grade(&outcomes));
    HostResult {
        evidence,
        outcome,
        tls: None,
    }
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
            let (http, tls) = tokio::join!(http, tls);
            let mut result = analyse(http);
            result.tls = tls.map(|ev| analyse_tls(&ev, plan));
            result
        })
        .buffered(plan.concurrency)
        .collect()
        .await
}
