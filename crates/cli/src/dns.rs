//! `vigil dns HOST`: DNS facts alone (A/AAAA, CAA, TLSA against the served certificate,
//! DNSSEC validation). Exit 0 when the lookups ran, 1 when DNSSEC is bogus.

use crate::args::{DnsArgs, TlsFormat};
use anyhow::Context;
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;
use vigil_model::Hostname;

pub fn run(args: &DnsArgs) -> anyhow::Result<ExitCode> {
    let host =
        Hostname::parse(&args.host).with_context(|| format!("invalid host {:?}", args.host))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let config = args.dns.config();
    let (ev, report) = runtime.block_on(vigil_scan::dns_lookup(host.as_str(), args.port, &config));
    let text = match args.format {
        TlsFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        TlsFormat::Evidence => serde_json::to_string_pretty(&ev)? + "\n",
        TlsFormat::Text => render(host.as_str(), &ev, &report),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    Ok(if report.dnssec == vigil_dns::DnssecStatus::Bogus {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The text section for DNS facts.
pub fn render(host: &str, ev: &vigil_dns::DnsEvidence, r: &vigil_dns::DnsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "DNS for {host} (resolver {})", ev.resolver);
    let _ = writeln!(
        out,
        "  DNSSEC  {}",
        serde_json::to_value(r.dnssec)
            .unwrap_or_default()
            .as_str()
            .unwrap_or("?")
    );
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(out, "  A       {}", list(&r.a));
    let _ = writeln!(out, "  AAAA    {}", list(&r.aaaa));
    let _ = writeln!(
        out,
        "  CAA     {}",
        if r.caa.present {
            format!("issuers: {}", list(&r.caa.issuers))
        } else {
            "none (any CA may issue)".to_string()
        }
    );
    let tlsa = match (r.tlsa.present, r.tlsa.matches) {
        (false, _) => "none".to_string(),
        (true, Some(true)) => "present, matches the served certificate".to_string(),
        (true, Some(false)) => "present, does NOT match the served certificate".to_string(),
        (true, None) => "present (no certificate served to compare)".to_string(),
    };
    let _ = writeln!(out, "  TLSA    {tlsa}");
    for e in &ev.errors {
        let _ = writeln!(out, "  ! {e}");
    }
    out
}
