//! Prints Vigil's own JSON report (`--format json`): exactly the library's
//! [`vigil_scan::InstanceReport`], the type the monitor stores and its API serves. Also the
//! evidence bundle (`--format evidence`).

use serde::Serialize;
use vigil_scan::Scanned;

fn emit<T: Serialize>(v: &T, single: bool) -> anyhow::Result<String> {
    let s = if single {
        serde_json::to_string_pretty(v)?
    } else {
        serde_json::to_string(v)?
    };
    Ok(format!("{s}\n"))
}

/// Renders the report (pretty for one host, one line per host otherwise).
pub fn render(s: &Scanned, single: bool) -> anyhow::Result<String> {
    emit(&s.report(), single)
}

/// Renders the evidence bundle, for `vigil replay`.
pub fn evidence(s: &Scanned, single: bool) -> anyhow::Result<String> {
    emit(&s.evidence, single)
}
