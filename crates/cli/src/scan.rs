//! Running the pipeline for many hosts: retrieve (bounded concurrency), then the pure
//! check and grade steps. One host's failure never stops the others.

use crate::args::ScanPlan;
use futures_util::stream::{self, StreamExt};
use vigil_model::{HttpEvidence, ObservatoryReport, SiteError};

/// Everything known about one scanned host.
#[derive(Debug, Clone)]
pub struct HostResult {
    pub evidence: HttpEvidence,
    pub outcome: Result<ObservatoryReport, SiteError>,
}

/// Checks and grades evidence (pure).
pub fn analyse(evidence: HttpEvidence) -> HostResult {
    let outcome = vigil_checks::run_all(&evidence).map(|outcomes| vigil_grade::grade(&outcomes));
    HostResult { evidence, outcome }
}

/// Scans every host of the plan, at most `concurrency` at a time, keeping input order.
pub async fn scan_all(plan: &ScanPlan) -> Vec<HostResult> {
    stream::iter(plan.hosts.iter())
        .map(|host| async move { analyse(vigil_probe::retrieve_http(host, &plan.probe).await) })
        .buffered(plan.concurrency)
        .collect()
        .await
}
