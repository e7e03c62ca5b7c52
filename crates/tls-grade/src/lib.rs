//! TLS grades as pure functions over the TLS report: the SSL Labs-style grade, the
//! cryptcheck-style grade the original fediverse instance list used, and the Mozilla profile
//! verdicts. Every finding names the fix that removes it ([`advice::advice`] has the text and
//! the nginx, Apache, Caddy and HAProxy snippets).

pub mod advice;
pub mod cryptcheck;
pub mod facts;
pub mod finding;
pub mod mozilla;
pub mod ssllabs;
#[cfg(test)]
mod tests;

use serde::Serialize;
use vigil_tls_checks::TlsReport;

pub use advice::{Advice, Fix, advice};
pub use finding::Finding;

/// Every grade of one endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct TlsGrades {
    pub ssllabs: ssllabs::SslLabsGrade,
    pub cryptcheck: cryptcheck::CryptcheckGrade,
    pub mozilla: mozilla::MozillaVerdict,
    /// The advice for every fix any finding points at, once each.
    pub fixes: Vec<Advice>,
    /// What the probes could not establish (the report's `unknown`): the grades above hold
    /// for what was seen, and none of them counts these as "not offered".
    pub unknown: Vec<String>,
}

/// Grades a TLS report.
pub fn grade(report: &TlsReport) -> TlsGrades {
    let f = facts::Facts::from_report(report);
    let ssllabs = ssllabs::grade(&f);
    let cryptcheck = cryptcheck::grade(&f);
    let mozilla = mozilla::verdict(&f);
    let mut fixes: Vec<Fix> = Vec::new();
    let all = ssllabs.findings.iter().chain(&cryptcheck.findings).chain(
        mozilla
            .profiles
            .iter()
            .filter(|p| p.profile == "intermediate" && p.guideline == "6.0")
            .flat_map(|p| &p.deviations),
    );
    for finding in all {
        if let Some(fix) = finding.fix
            && !fixes.contains(&fix)
        {
            fixes.push(fix);
        }
    }
    TlsGrades {
        ssllabs,
        cryptcheck,
        mozilla,
        fixes: fixes.into_iter().map(advice).collect(),
        unknown: report.unknown.clone(),
    }
}
