//! Pure analysis of HTTP evidence: one module per Observatory test, each a function from
//! evidence to a result id plus the reference's informational fields.
//!
//! Nothing here does I/O or reads the clock. The order of [`run_all`] matters only because two
//! tests read another's verdict (cookies reads HSTS, X-Frame-Options reads the CSP map), exactly
//! as the reference does. [`legacy`] holds the twelve tests of the 2017 Observatory.
#![forbid(unsafe_code)]

pub mod cookies;
pub mod corp;
pub mod cors;
pub mod csp;
pub mod guidance;
pub mod headers;
pub mod hsts;
pub mod html;
pub mod legacy;
pub mod page;
pub mod preload;
pub mod redirection;
pub mod referrer_policy;
pub mod registrable;
pub mod sri;
pub mod xcto;
pub mod xfo;

#[cfg(test)]
pub(crate) mod testkit;

use vigil_model::{HttpEvidence, SiteError, TestOutcome};

/// The reference's refusal rules (spec §1): no final response, or an unexpected status.
pub fn site_verdict(ev: &HttpEvidence) -> Result<(), SiteError> {
    let last = ev.final_response().ok_or(SiteError::SiteDown)?;
    let status = last.status;
    if status < 200 || (status >= 400 && status != 401 && status != 403) {
        return Err(SiteError::UnexpectedStatus { status });
    }
    Ok(())
}

/// Runs all ten tests in the reference's output order, or returns why the site is refused.
pub fn run_all(ev: &HttpEvidence) -> Result<Vec<TestOutcome>, SiteError> {
    site_verdict(ev)?;
    let page = page::Page::from_evidence(ev);
    let csp = csp::check(ev, &page);
    let hsts = hsts::check(ev);
    let cookies = cookies::check(ev, hsts::passes(hsts.result));
    let xfo = xfo::check(ev, &csp);
    Ok(vec![
        csp.outcome,
        cookies,
        cors::check(ev),
        redirection::check(ev),
        referrer_policy::check(ev, &page),
        hsts,
        sri::check(ev, &page),
        xcto::check(ev),
        xfo,
        corp::check(ev),
    ])
}
