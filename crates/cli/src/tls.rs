//! `vigil tls HOST[:PORT]`: probe (I/O), analyse (pure), render. Exit 0 when the endpoint was
//! probed, 1 when it could not be.

use crate::args::{TlsArgs, TlsFormat};
use anyhow::Context;
use owo_colors::OwoColorize;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vigil_probe::TrustStore;
use vigil_tls_checks::report::ProtocolReport;
use vigil_tls_checks::{TlsReport, analyse};
use vigil_tls_grade::TlsGrades;
use vigil_tls_probe::{TlsProbeConfig, retrieve_tls};

pub fn run(args: &TlsArgs) -> anyhow::Result<ExitCode> {
    let target = args.target()?;
    let trust = TrustStore::system_with(&args.ca_file)?;
    let counter = Arc::new(AtomicU32::new(0));
    let config = TlsProbeConfig {
        max_parallel: usize::from(args.max_parallel),
        probe_timeout: Duration::from_secs(args.probe_timeout),
        progress: Some(counter.clone()),
        ..TlsProbeConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let host = target.host.as_str().to_string();
    let evidence = runtime.block_on(async {
        let ticker = (args.format == TlsFormat::Text && std::io::stderr().is_terminal())
            .then(|| tokio::spawn(progress(format!("{host}:{}", target.port), counter)));
        let evidence = retrieve_tls(&host, target.port, &config).await;
        if let Some(t) = ticker {
            t.abort();
            eprint!("\r\x1b[2K");
        }
        evidence
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let report = analyse(&evidence, &trust.roots.roots, now);
    let grades = vigil_tls_grade::grade(&report);
    let text = match args.format {
        TlsFormat::Json => {
            serde_json::to_string_pretty(&GradedReport {
                report: &report,
                grades: &grades,
            })? + "\n"
        }
        TlsFormat::Evidence => serde_json::to_string_pretty(&evidence)? + "\n",
        TlsFormat::Text => {
            let color = crate::args::color_wanted(args.no_color);
            render_grades(&grades, color, true)
                + &render_text(&report, color, true)
                + &render_fixes(&grades, color)
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(if evidence.failure.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A one-line spinner on stderr while the probes run (terminal only).
async fn progress(target: String, counter: Arc<AtomicU32>) {
    let frames = ['|', '/', '-', '\\'];
    let mut i = 0usize;
    loop {
        let n = counter.load(Ordering::Relaxed);
        eprint!(
            "\r{} probing {target}: {n} connections",
            frames[i % frames.len()]
        );
        i += 1;
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
}

/// The JSON of `vigil tls --format json`: the report's fields, plus `grades`.
#[derive(serde::Serialize)]
struct GradedReport<'a> {
    #[serde(flatten)]
    report: &'a TlsReport,
    grades: &'a TlsGrades,
}

fn paint(grade: &str, color: bool) -> String {
    if !color {
        return grade.to_string();
    }
    match grade.chars().next() {
        Some('A') => grade.green().bold().to_string(),
        Some('B' | 'C') => grade.yellow().bold().to_string(),
        _ => grade.red().bold().to_string(),
    }
}

/// How many items of a long list a folded finding names before the count.
const FOLDED_ITEMS: usize = 3;

/// Folds a finding that ends in a long list ("…: A, B, C, D, E.") to its first items and the
/// count, unless `verbose`.
fn fold(message: &str, verbose: bool) -> String {
    if verbose {
        return message.to_string();
    }
    let Some((head, list)) = message.split_once(": ") else {
        return message.to_string();
    };
    let (list, tail) = match list.split_once(" (") {
        Some((l, t)) => (l, format!(" ({t}")),
        None => (list, String::new()),
    };
    let items: Vec<&str> = list.trim_end_matches('.').split(", ").collect();
    if items.len() <= FOLDED_ITEMS + 2 {
        return message.to_string();
    }
    format!(
        "{head}: {} … ({} in all){tail}",
        items[..FOLDED_ITEMS].join(", "),
        items.len()
    )
}

/// The grades on top, each with the findings that shaped it; `verbose` keeps long lists whole.
pub fn render_grades(g: &TlsGrades, color: bool, verbose: bool) -> String {
    let mut out = String::new();
    let s = &g.ssllabs;
    let ignored = s
        .grade_if_trust_ignored
        .map(vigil_model::Grade::as_str)
        .map(|l| format!(" (if trust is ignored: {l})"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "SSL Labs-style grade  {}{ignored}   score {} (protocol {}, key exchange {}, cipher {})",
        paint(s.grade.as_str(), color),
        s.score,
        s.protocol_score,
        s.key_exchange_score,
        s.cipher_score
    );
    for f in &s.findings {
        let _ = writeln!(out, "  - [{}] {}", f.effect, fold(&f.message, verbose));
    }
    let _ = writeln!(
        out,
        "cryptcheck-style grade {}",
        paint(g.cryptcheck.grade.as_str(), color)
    );
    for f in &g.cryptcheck.findings {
        let _ = writeln!(out, "  - [{}] {}", f.effect, fold(&f.message, verbose));
    }
    let m = &g.mozilla;
    let _ = writeln!(
        out,
        "Mozilla profile        current (6.0): {}   guideline 5.7: {}",
        m.current.unwrap_or("none"),
        m.v5_7.unwrap_or("none")
    );
    if let Some(p) = m
        .profiles
        .iter()
        .find(|p| p.guideline == "6.0" && p.profile == "intermediate")
    {
        for d in &p.deviations {
            let _ = writeln!(out, "  - [intermediate 6.0] {}", fold(&d.message, verbose));
        }
    }
    out.push('\n');
    out
}

/// What to change, with nginx / Apache / Caddy / HAProxy snippets.
pub fn render_fixes(g: &TlsGrades, color: bool) -> String {
    if g.fixes.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let title = "What to change";
    let _ = writeln!(
        out,
        "\n{}",
        if color {
            title.bold().to_string()
        } else {
            title.to_string()
        }
    );
    for a in &g.fixes {
        let _ = writeln!(out, "* {}", a.summary);
        for (server, snippet) in [
            ("nginx", a.nginx),
            ("Apache", a.apache),
            ("Caddy", a.caddy),
            ("HAProxy", a.haproxy),
        ] {
            let mut lines = snippet.lines();
            let _ = writeln!(out, "    {server:<8} {}", lines.next().unwrap_or_default());
            for l in lines {
                let _ = writeln!(out, "             {l}");
            }
        }
    }
    out
}

fn yes_no(v: bool, good_when: bool, color: bool) -> String {
    let word = if v { "yes" } else { "no" };
    match (color, v == good_when) {
        (false, _) => word.to_string(),
        (true, true) => word.green().to_string(),
        (true, false) => word.red().to_string(),
    }
}

fn protocol_line(
    out: &mut String,
    name: &str,
    p: &ProtocolReport,
    modern: bool,
    color: bool,
    verbose: bool,
) {
    let offered = match p.status {
        vigil_tls_checks::report::ProtocolStatus::Unknown => {
            let why = if p.errors.is_empty() {
                "no answer".to_string()
            } else {
                p.errors.join("; ")
            };
            let word = format!("unknown ({why})");
            if color {
                word.yellow().to_string()
            } else {
                word
            }
        }
        _ => yes_no(p.supported, modern, color),
    };
    let order = match p.server_order {
        Some(true) => ", server order",
        Some(false) => ", client order",
        None => "",
    };
    let incomplete = if p.suites_complete {
        ""
    } else {
        ", list may be incomplete"
    };
    let _ = writeln!(
        out,
        "  {name:<7} {offered}{}",
        if p.supported {
            format!(" ({} suites{order}{incomplete})", p.ciphers.len())
        } else {
            String::new()
        }
    );
    if verbose {
        for c in &p.ciphers {
            let _ = writeln!(out, "            {c}");
        }
    }
}

/// The terminal report; `verbose` lists every accepted suite under its protocol.
pub fn render_text(r: &TlsReport, color: bool, verbose: bool) -> String {
    let mut out = String::new();
    let title = format!("TLS report for {}", r.target);
    let _ = writeln!(
        out,
        "{}",
        if color {
            title.bold().to_string()
        } else {
            title
        }
    );
    if let Some(addr) = &r.address {
        let _ = writeln!(
            out,
            "  address {addr}, {} probes in {} ms",
            r.probes, r.elapsed_ms
        );
    }
    if let Some(e) = &r.error {
        let _ = writeln!(out, "  error: {e}");
    }
    let _ = writeln!(out, "\nProtocols");
    let p = &r.protocols;
    protocol_line(&mut out, "SSL2.0", &p.ssl2_0, false, color, verbose);
    protocol_line(&mut out, "SSL3.0", &p.ssl3_0, false, color, verbose);
    protocol_line(&mut out, "TLS1.0", &p.tls1_0, false, color, verbose);
    protocol_line(&mut out, "TLS1.1", &p.tls1_1, false, color, verbose);
    protocol_line(&mut out, "TLS1.2", &p.tls1_2, true, color, verbose);
    protocol_line(&mut out, "TLS1.3", &p.tls1_3, true, color, verbose);
    let _ = writeln!(out, "\nKey exchange");
    let _ = writeln!(
        out,
        "  groups          {}",
        if r.groups.is_empty() {
            "none".to_string()
        } else {
            r.groups.join(", ")
        }
    );
    if let Some(bits) = r.dh_bits {
        let _ = writeln!(out, "  DHE prime       {bits} bits");
    }
    let _ = writeln!(out, "  forward secrecy {}", r.forward_secrecy);
    for c in &r.certificates {
        let _ = writeln!(out, "\nCertificate ({})", c.via);
        let _ = writeln!(
            out,
            "  subject         {}",
            c.subject_cn.as_deref().unwrap_or("-")
        );
        let _ = writeln!(
            out,
            "  issuer          {}",
            c.issuer_cn.as_deref().unwrap_or("-")
        );
        let _ = writeln!(
            out,
            "  key             {} {}",
            c.key_type,
            c.key_bits.map(|b| b.to_string()).unwrap_or_default()
        );
        let _ = writeln!(out, "  signature       {}", c.signature_algorithm);
        let _ = writeln!(
            out,
            "  valid           {} .. {} ({} days left)",
            c.not_before, c.not_after, c.days_left
        );
        let _ = writeln!(
            out,
            "  trusted         {}{}",
            yes_no(c.trusted, true, color),
            c.trust_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "  name matches    {}",
            yes_no(c.hostname_match, true, color)
        );
        let _ = writeln!(
            out,
            "  chain complete  {} ({} sent)",
            yes_no(c.chain_complete, true, color),
            c.chain_length_sent
        );
        let _ = writeln!(
            out,
            "  self-signed     {}",
            yes_no(c.self_signed, false, color)
        );
        let _ = writeln!(
            out,
            "  SHA-1 in chain  {}",
            yes_no(c.sha1_signature, false, color)
        );
    }
    let _ = writeln!(out, "\nOther");
    let _ = writeln!(
        out,
        "  OCSP stapled    {}",
        yes_no(r.ocsp_stapled, true, color)
    );
    let _ = writeln!(
        out,
        "  HSTS            {}",
        r.hsts.value.as_deref().unwrap_or("not sent")
    );
    let flag =
        |v: Option<bool>, good: bool| v.map_or("unknown".to_string(), |v| yes_no(v, good, color));
    let _ = writeln!(
        out,
        "  secure renegotiation   {}",
        flag(r.secure_renegotiation, true)
    );
    let _ = writeln!(
        out,
        "  TLS compression        {}",
        flag(r.compression, false)
    );
    let _ = writeln!(
        out,
        "  extended master secret {}",
        flag(r.extended_master_secret, true)
    );
    let _ = writeln!(
        out,
        "  TLS_FALLBACK_SCSV      {}",
        flag(r.fallback_scsv, true)
    );
    let _ = writeln!(
        out,
        "  session resumption     {}",
        flag(r.session_resumption, true)
    );
    let _ = writeln!(
        out,
        "  Heartbleed             {}",
        r.heartbleed
            .map_or("not applicable (no heartbeat)".to_string(), |v| {
                if v {
                    "VULNERABLE".to_string()
                } else {
                    "not vulnerable".to_string()
                }
            })
    );
    let robot = match r.robot_status {
        vigil_tls_checks::report::RobotStatus::NotApplicable => {
            "not applicable (no static RSA)".to_string()
        }
        vigil_tls_checks::report::RobotStatus::NotVulnerable => "not vulnerable".to_string(),
        vigil_tls_checks::report::RobotStatus::Vulnerable => {
            "VULNERABLE (padding oracle, confirmed twice)".to_string()
        }
        vigil_tls_checks::report::RobotStatus::Unknown => format!(
            "unknown: {}",
            r.robot_detail
                .as_deref()
                .unwrap_or("the test did not finish")
        ),
    };
    let _ = writeln!(out, "  ROBOT                  {robot}");
    let _ = writeln!(
        out,
        "  ALPN                   {}",
        r.alpn.as_deref().unwrap_or("-")
    );
    if !r.unknown.is_empty() {
        let _ = writeln!(
            out,
            "\nNot established (probes that got no answer after retries)"
        );
        for u in &r.unknown {
            let _ = writeln!(out, "  - {u}");
        }
    }
    out
}

/// Full advice for one TLS fix id (as in `grades.fixes[].fix`), for `vigil explain`.
pub fn explain(id: &str) -> Option<String> {
    let a = vigil_tls_grade::advice(vigil_tls_grade::Fix::from_id(id.trim())?);
    let mut out = String::new();
    let _ = writeln!(out, "{}  (TLS)", id.trim());
    let _ = writeln!(out, "  fix:     {}", a.summary);
    for (server, snippet) in [
        ("nginx", a.nginx),
        ("Apache", a.apache),
        ("Caddy", a.caddy),
        ("HAProxy", a.haproxy),
    ] {
        let _ = writeln!(
            out,
            "  {:<8} {}",
            format!("{server}:"),
            snippet.replace('\n', "\n           ")
        );
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn long_lists_fold_to_a_count_unless_verbose() {
        let m = "Suites with a SHA-1 MAC are offered: A, B, C, D, E, F.";
        assert_eq!(
            fold(m, false),
            "Suites with a SHA-1 MAC are offered: A, B, C … (6 in all)"
        );
        assert_eq!(fold(m, true), m);
        let m = "Groups are accepted: a, b, c, d, e, f, g (the profile uses x, y).";
        assert_eq!(
            fold(m, false),
            "Groups are accepted: a, b, c … (7 in all) (the profile uses x, y)."
        );
        // Short lists and plain sentences stay as they are.
        assert_eq!(fold("Offered: A, B.", false), "Offered: A, B.");
        assert_eq!(fold("No list here.", false), "No list here.");
    }
}
