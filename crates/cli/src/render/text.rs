//! The terminal report: the rating and its parts on top, one list of what to change across
//! every part (ordered by the scan library, not here), then each section's details.

use owo_colors::OwoColorize;
use std::fmt::Write;
use vigil_model::{AnyResult, Grade};
use vigil_scan::HostResult;

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

/// The report for one host, top to bottom: the rating and its parts, one "What to change" list
/// across every part ordered by what each change gains, then the details of each section.
/// A host that could not be reached gets one line naming the cause, and nothing else.
pub fn report(r: &HostResult, color: bool, verbose: bool) -> String {
    let st = Style { color };
    let host = &r.evidence.host;
    if let Some(u) = &r.unreachable {
        // The guard's refusal is not the host's fault: say what was refused and why.
        if u.cause == vigil_scan::Cause::Forbidden {
            return format!(
                "{} {}\n",
                st.bold(host),
                st.bad(&format!("was not scanned: {}", u.detail))
            );
        }
        return format!(
            "{} {} {}\n",
            st.bold(host),
            st.bad(&format!("could not be reached: {u}")),
            st.dim(&format!("({})", u.detail))
        );
    }
    let mut out = String::new();
    out.push_str(&render_rating(r, &st));
    out.push_str(&render_changes(r, &st));
    out.push_str(&render_http(r, &st));
    out.push_str(&render_guidance(r, &st));
    out.push_str(&render_legacy(r, &st));
    out.push_str(&render_tls(r, &st, verbose));
    out.push_str(&render_dns_ipv6(r, &st));
    out.push_str(&render_software(r, &st, verbose));
    out
}

/// The HTTP (Observatory) section: grade, score and one line per test.
fn render_http(r: &HostResult, st: &Style) -> String {
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
            out.push('\n');
            return out;
        }
        Ok(rep) => rep,
    };
    let _ = writeln!(
        out,
        "{}  HTTP Observatory grade {}  score {}/100 (max 145)  {} of {} tests passed",
        st.bold(if r.rating.is_some() { "HTTP" } else { host }),
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
    out.push('\n');
    out
}

/// The one list of changes, best first, each with its snippets and the Mastodon note.
fn render_changes(r: &HostResult, st: &Style) -> String {
    let changes = vigil_scan::changes(r);
    let mut out = String::new();
    if r.outcome.is_err() && r.rating.is_none() {
        return out;
    }
    if changes.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            st.good("Nothing to change: every part earns its full marks.")
        );
        return out;
    }
    let heading = if r.rating.is_some() {
        "What to change (best first: by what each change alone gains in the rating)"
    } else {
        "What to change (best first: by the points each change gains)"
    };
    let _ = writeln!(out, "{}", st.bold(heading));
    for (i, c) in changes.iter().enumerate() {
        let mut worth = Vec::new();
        if let Some(g) = c.rating_gain {
            if g.points > 0 {
                worth.push(format!("+{} rating", g.points));
            }
            if g.letter_after != g.letter_before {
                worth.push(format!("{} → {}", g.letter_before, g.letter_after));
            }
        }
        if let Some(p) = c.observatory_points.filter(|p| *p > 0) {
            worth.push(format!("+{p} Observatory"));
        }
        let worth = if worth.is_empty() {
            String::new()
        } else {
            format!(" ({})", worth.join(", "))
        };
        let title = if c.title == c.kind.label() {
            c.kind.label().to_string()
        } else {
            format!("{} {}", c.kind.label(), c.title)
        };
        let _ = writeln!(
            out,
            "{:>3}. {}{}: {}",
            i + 1,
            st.bold(&title),
            st.good(&worth),
            c.fix
        );
        if let Some(note) = &c.mastodon {
            let _ = writeln!(out, "       {} {}", st.bold("Mastodon:"), note);
        }
        if let Some(s) = &c.snippets {
            for (server, snippet) in [
                ("nginx", &s.nginx),
                ("Apache", &s.apache),
                ("Caddy", &s.caddy),
                ("HAProxy", &s.haproxy),
            ] {
                let mut lines = snippet.lines();
                let first = lines.next().unwrap_or_default();
                let _ = writeln!(out, "       {server:<8} {}", st.dim(first));
                for l in lines {
                    let _ = writeln!(out, "                {}", st.dim(l));
                }
            }
        }
    }
    out.push('\n');
    out
}

/// The composite rating on top of a host's report: letter, score, each part with its weight.
fn render_rating(r: &HostResult, st: &Style) -> String {
    let Some(rating) = &r.rating else {
        return String::new();
    };
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
    out.push('\n');
    out
}

/// DNS facts and the IPv6 check.
fn render_dns_ipv6(r: &HostResult, st: &Style) -> String {
    let mut out = String::new();
    if r.dns.is_none() && r.ipv6.is_none() {
        return out;
    }
    let _ = writeln!(out, "{}", st.bold("DNS and IPv6"));
    if let Some((ev, d)) = &r.dns {
        let text = crate::dns::render(&r.evidence.host, ev, d);
        for line in text.lines().skip(1) {
            let _ = writeln!(out, "{line}");
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

/// How many advisories the folded report lists before the count.
const FOLDED_ADVISORIES: usize = 5;

/// The software, its version and the advisories a newer release fixed.
fn render_software(r: &HostResult, st: &Style, verbose: bool) -> String {
    let mut out = String::new();
    let Some((facts, verdict)) = &r.software else {
        return out;
    };
    let name = facts.software.as_deref().unwrap_or("unknown software");
    let version = facts
        .version
        .as_ref()
        .map(|v| v.raw.as_str())
        .unwrap_or("?");
    let _ = writeln!(out, "{}", st.bold(&format!("Software: {name} {version}")));
    if let Some(v) = verdict {
        let _ = writeln!(out, "  {}", v.summary);
        let shown = if verbose {
            v.advisories_fixed_since.len()
        } else {
            FOLDED_ADVISORIES
        };
        for a in v.advisories_fixed_since.iter().take(shown) {
            let _ = writeln!(out, "  - {} fixed in {}", a.id, a.fixed_in);
        }
        if v.advisories_fixed_since.len() > shown {
            let _ = writeln!(
                out,
                "  - … and {} more (--verbose lists them all)",
                v.advisories_fixed_since.len() - shown
            );
        }
    }
    out.push('\n');
    out
}

/// Newer guidance the Observatory score ignores.
fn render_guidance(r: &HostResult, st: &Style) -> String {
    let Some(items) = &r.guidance else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        st.bold("Newer guidance (not in the Observatory score)")
    );
    for i in items {
        let mark = if i.ok { "✓" } else { "·" };
        let value = i.value.as_deref().unwrap_or("absent");
        let _ = writeln!(out, "  {mark} {:<30} {value}", i.id);
    }
    out.push('\n');
    out
}

/// The legacy (2017) Observatory part, with `--scoring legacy`.
fn render_legacy(r: &HostResult, st: &Style) -> String {
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

/// The TLS section: grades and findings, then the facts (suites folded unless `verbose`).
fn render_tls(r: &HostResult, st: &Style, verbose: bool) -> String {
    let Some(t) = &r.tls else {
        return String::new();
    };
    let mut out = String::new();
    out.push_str(&crate::tls::render_grades(&t.grades, st.color, verbose));
    out.push_str(&crate::tls::render_text(&t.report, st.color, verbose));
    if !verbose {
        out.push_str("  (--verbose lists every accepted suite and every item of long findings)\n");
    }
    out.push('\n');
    out
}

/// A one-line-per-host summary after several reports: the rating when it ran, else the
/// Observatory grade; hosts that could not be reached say why.
pub fn summary(results: &[&HostResult], color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let _ = writeln!(out, "{}", st.bold("Summary"));
    for r in results {
        let host = &r.evidence.host;
        if let Some(u) = &r.unreachable {
            let _ = writeln!(out, "  {:<4} {:>4}  {host}  {u}", st.bad("DOWN"), "-");
            continue;
        }
        match (&r.rating, &r.outcome) {
            (Some(rating), _) => {
                let _ = writeln!(
                    out,
                    "  {:<4} {:>4}  {host}",
                    st.grade(rating.letter),
                    rating.score
                );
            }
            (None, Ok(rep)) => {
                let _ = writeln!(out, "  {:<4} {:>4}  {host}", st.grade(rep.grade), rep.score);
            }
            (None, Err(e)) => {
                let _ = writeln!(out, "  {:<4} {:>4}  {host}  {e}", st.bad("ERR"), "-");
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
