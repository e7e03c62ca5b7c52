//! The terminal report: grade and score on top, a table of test / result / points, then for
//! every test that loses points what to change and an nginx snippet.

use crate::scan::HostResult;
use owo_colors::OwoColorize;
use std::fmt::Write;
use vigil_model::{AnyResult, Grade};

struct Style {
    color: bool,
}

impl Style {
    fn good(&self, s: &str) -> String {
        if self.color {
            s.green().to_string()
        } else {
            s.to_string()
        }
    }
    fn bad(&self, s: &str) -> String {
        if self.color {
            s.red().to_string()
        } else {
            s.to_string()
        }
    }
    fn warn(&self, s: &str) -> String {
        if self.color {
            s.yellow().to_string()
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        if self.color {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        if self.color {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }
    fn grade(&self, g: Grade) -> String {
        let s = g.as_str();
        if g.at_least(Grade::AMinus) {
            self.good(s)
        } else if g.at_least(Grade::CMinus) {
            self.warn(s)
        } else {
            self.bad(s)
        }
    }
}

/// The report for one host.
pub fn render(r: &HostResult, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let host = &r.evidence.host;
    let rep = match &r.outcome {
        Err(e) => {
            let _ = writeln!(
                out,
                "{} {}",
                st.bold(host),
                st.bad(&format!("could not be scanned: {e}"))
            );
            for (name, f) in [
                ("http", &r.evidence.http_failure),
                ("https", &r.evidence.https_failure),
            ] {
                if let Some(f) = f {
                    let _ = writeln!(out, "  {name}: {}", f.detail);
                }
            }
            return out;
        }
        Ok(rep) => rep,
    };
    let _ = writeln!(
        out,
        "{}  HTTP Observatory grade {}  score {}/100 (max 145)  {} of {} tests passed",
        st.bold(host),
        st.bold(&st.grade(rep.grade)),
        rep.score,
        rep.tests_passed,
        rep.tests.len()
    );
    let width = rep
        .tests
        .iter()
        .map(|t| t.test.title().len())
        .max()
        .unwrap_or(10);
    for t in &rep.tests {
        let mark = if t.pass {
            st.good("✓")
        } else {
            st.bad("✗")
        };
        let points = format!("{:+}", t.modifier);
        let points = if t.modifier < 0 {
            st.bad(&points)
        } else if t.modifier > 0 {
            st.good(&points)
        } else {
            st.dim(&points)
        };
        let _ = writeln!(
            out,
            "  {mark} {:width$}  {:>4}  {}",
            t.test.title(),
            points,
            t.outcome.result.as_str()
        );
    }
    let fixes: Vec<_> = rep
        .tests
        .iter()
        .filter_map(|t| vigil_grade::advice(t.outcome.result).map(|a| (t, a)))
        .collect();
    if fixes.is_empty() {
        let _ = writeln!(
            out,
            "\n  {}",
            st.good("Nothing to change: every test earns its full marks.")
        );
    } else {
        let _ = writeln!(out, "\n  {}", st.bold("What to change"));
        for (t, a) in fixes {
            let gain = vigil_grade::max_modifier(t.test) - t.modifier;
            let _ = writeln!(
                out,
                "  • {} (up to +{gain}): {}",
                st.bold(t.test.title()),
                a.fix
            );
            let mastodon =
                r.software.as_ref().and_then(|(f, _)| f.software.as_deref()) == Some("mastodon");
            if mastodon && let Some(note) = vigil_grade::mastodon::note(t.outcome.result) {
                let _ = writeln!(out, "      {} {}", st.bold("Mastodon:"), note);
            }
            let other = vigil_grade::other_servers(a.nginx);
            for (server, snippet) in [
                ("nginx", a.nginx),
                ("Apache", other.apache.as_str()),
                ("Caddy", other.caddy.as_str()),
                ("HAProxy", other.haproxy.as_str()),
            ] {
                let mut lines = snippet.lines();
                let first = lines.next().unwrap_or_default();
                let _ = writeln!(out, "      {server:<8} {}", st.dim(first));
                for l in lines {
                    let _ = writeln!(out, "               {}", st.dim(l));
                }
            }
        }
    }
    out.push('\n');
    out
}

/// The composite rating on top of a host's report: letter, score, each part with its weight.
pub fn render_rating(r: &HostResult, color: bool) -> String {
    let Some(rating) = &r.rating else {
        return String::new();
    };
    let st = Style { color };
    let mut out = String::new();
    let capped = if rating.letter == rating.uncapped_letter {
        String::new()
    } else {
        format!(" (score alone: {})", rating.uncapped_letter)
    };
    let head = format!(
        "{}  Vigil rating {}  {}/100{capped}",
        r.evidence.host, rating.letter, rating.score
    );
    let _ = writeln!(out, "{}", st.bold(&head));
    for p in &rating.parts {
        let score = p.score.map_or("  -".to_string(), |s| format!("{s:>3}"));
        let _ = writeln!(
            out,
            "  {:<9} {score}  weight {:>2} ({:>4.1} %)  {}",
            format!("{:?}", p.part).to_lowercase(),
            p.weight,
            p.effective_weight,
            st.dim(&p.why)
        );
    }
    for c in &rating.caps {
        let _ = writeln!(
            out,
            "  {}",
            st.bad(&format!("capped at {}: {}", c.letter, c.why))
        );
    }
    if let Some((ev, d)) = &r.dns {
        out.push_str(
            &crate::dns::render(&r.evidence.host, ev, d)
                .replace('\n', "\n  ")
                .trim_end_matches(' ')
                .to_string()
                .replacen("DNS for", "  DNS for", 1),
        );
    }
    if let Some((facts, verdict)) = &r.software {
        let name = facts.software.as_deref().unwrap_or("unknown software");
        let version = facts
            .version
            .as_ref()
            .map(|v| v.raw.as_str())
            .unwrap_or("?");
        let _ = writeln!(out, "  Software: {name} {version}");
        if let Some(v) = verdict {
            let _ = writeln!(out, "    {}", v.summary);
            for a in v.advisories_fixed_since.iter().take(10) {
                let _ = writeln!(out, "    - {} fixed in {}", a.id, a.fixed_in);
            }
            if v.advisories_fixed_since.len() > 10 {
                let _ = writeln!(
                    out,
                    "    - … and {} more",
                    v.advisories_fixed_since.len() - 10
                );
            }
        }
    }
    if let Some((_, v)) = &r.ipv6 {
        let state = if v.same_site {
            "IPv6 works and serves the same site".to_string()
        } else if v.reachable {
            "IPv6 answers, but not like IPv4".to_string()
        } else if v.aaaa {
            "AAAA record, but IPv6 does not answer".to_string()
        } else {
            "no IPv6".to_string()
        };
        let _ = writeln!(out, "  IPv6: {state}");
        for n in &v.notes {
            let _ = writeln!(out, "    - {n}");
        }
    }
    out.push('\n');
    out
}

/// Newer guidance the Observatory score ignores.
pub fn render_guidance(r: &HostResult, color: bool) -> String {
    let st = Style { color };
    let Some(items) = &r.guidance else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {}",
        st.bold("Newer guidance (not in the Observatory score)")
    );
    for i in items {
        let mark = if i.ok { "✓" } else { "·" };
        let value = i.value.as_deref().unwrap_or("absent");
        let _ = writeln!(out, "  {mark} {:<30} {value}", i.id);
        if !i.ok {
            let _ = writeln!(out, "      {}", st.dim(i.advice));
        }
    }
    out.push('\n');
    out
}

/// The legacy (2017) Observatory part, with `--scoring legacy`.
pub fn render_legacy(r: &HostResult, color: bool) -> String {
    let st = Style { color };
    let Some(legacy) = &r.legacy else {
        return String::new();
    };
    let mut out = String::new();
    match legacy {
        Err(_) => {
            let _ = writeln!(out, "{}  legacy Observatory: site down\n", r.evidence.host);
        }
        Ok(rep) => {
            let head = format!(
                "{}  legacy Observatory (2017, 135 points) grade {}  score {}",
                r.evidence.host, rep.grade, rep.score
            );
            let _ = writeln!(out, "{}", st.bold(&head));
            for t in &rep.tests {
                let mark = if t.pass { "✓" } else { "✗" };
                let _ = writeln!(
                    out,
                    "  {mark} {:<32} {:>+4}  {}",
                    t.test, t.score_modifier, t.result
                );
            }
            out.push('\n');
        }
    }
    out
}

/// The TLS section of a host's report: grades, facts, fixes.
pub fn render_tls(r: &HostResult, color: bool) -> String {
    let Some(t) = &r.tls else {
        return String::new();
    };
    let mut out = String::new();
    out.push_str(&crate::tls::render_grades(&t.grades, color));
    out.push_str(&crate::tls::render_text(&t.report, color));
    out.push_str(&crate::tls::render_fixes(&t.grades, color));
    out.push('\n');
    out
}

/// A one-line-per-host summary after several reports.
pub fn summary(results: &[HostResult], color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let _ = writeln!(out, "{}", st.bold("Summary"));
    for r in results {
        match &r.outcome {
            Ok(rep) => {
                let _ = writeln!(
                    out,
                    "  {:<4} {:>4}  {}",
                    st.grade(rep.grade),
                    rep.score,
                    r.evidence.host
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "  {:<4} {:>4}  {}  {}",
                    st.bad("ERR"),
                    "-",
                    r.evidence.host,
                    e
                );
            }
        }
    }
    out
}

/// Full advice for one result id, for `vigil explain`.
pub fn explain(result: &str) -> Option<String> {
    let r = AnyResult::from_name(result.trim())?;
    let s = vigil_grade::score(r);
    let mut out = String::new();
    let _ = writeln!(out, "{}  ({})", r.as_str(), r.test().title());
    let _ = writeln!(
        out,
        "  score modifier {:+} (best for this test {:+}), {}",
        s.modifier,
        vigil_grade::max_modifier(r.test()),
        if s.pass { "passes" } else { "fails" }
    );
    match vigil_grade::advice(r) {
        Some(a) => {
            let other = vigil_grade::other_servers(a.nginx);
            let _ = writeln!(out, "  fix:     {}", a.fix);
            let _ = writeln!(out, "  nginx:   {}", a.nginx);
            let _ = writeln!(
                out,
                "  Apache:  {}",
                other.apache.replace('\n', "\n           ")
            );
            let _ = writeln!(
                out,
                "  Caddy:   {}",
                other.caddy.replace('\n', "\n           ")
            );
            let _ = writeln!(
                out,
                "  HAProxy: {}",
                other.haproxy.replace('\n', "\n           ")
            );
        }
        None => {
            let _ = writeln!(out, "  nothing to change");
        }
    }
    Some(out)
}
