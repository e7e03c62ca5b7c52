//! One "What to change" list across HTTP, TLS, DNS, IPv6 and software, ordered by what each
//! change is worth in the composite rating (then in Observatory points). The ordering is
//! decided here, from the rating's own arithmetic, so the text report, the JSON and the list's
//! instance page all show the same list in the same order.

use crate::HostResult;
use serde::{Deserialize, Serialize};
use vigil_model::Grade;
use vigil_rating::{Gain, Improvement};

/// Which part of the report a change belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Http,
    Tls,
    Software,
    Dns,
    Ipv6,
    /// Newer guidance outside every score.
    Guidance,
}

impl ChangeKind {
    /// The label printed before a change.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Http => "HTTP",
            ChangeKind::Tls => "TLS",
            ChangeKind::Software => "Software",
            ChangeKind::Dns => "DNS",
            ChangeKind::Ipv6 => "IPv6",
            ChangeKind::Guidance => "Guidance",
        }
    }
}

/// Configuration snippets for the four servers Vigil knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippets {
    pub nginx: String,
    pub apache: String,
    pub caddy: String,
    pub haproxy: String,
}

/// One thing to change, with what it is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// A stable id: the Observatory result, the TLS fix or a Vigil id (`dnssec-unsigned` …).
    pub id: String,
    /// What the change is about (`Content Security Policy`, `TLS`, `DNSSEC` …).
    pub title: String,
    /// What to do, in one sentence or two.
    pub fix: String,
    /// Observatory points the change gains (HTTP changes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observatory_points: Option<i32>,
    /// What the change alone does to the rating; `None` without a rating (`--no-tls`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_gain: Option<Gain>,
    /// The note for Mastodon admins, when the host runs Mastodon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mastodon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippets: Option<Snippets>,
}

/// A change before its gain is known.
struct Draft {
    change: Change,
    improvement: Option<Improvement>,
}

fn draft(kind: ChangeKind, id: &str, title: &str, fix: &str) -> Draft {
    Draft {
        change: Change {
            kind,
            id: id.to_string(),
            title: title.to_string(),
            fix: fix.to_string(),
            observatory_points: None,
            rating_gain: None,
            mastodon: None,
            snippets: None,
        },
        improvement: None,
    }
}

fn http_changes(r: &HostResult, out: &mut Vec<Draft>) {
    let Ok(rep) = &r.outcome else {
        return;
    };
    let mastodon = r.is_mastodon();
    for t in &rep.tests {
        let Some(a) = vigil_grade::advice(t.outcome.result) else {
            continue;
        };
        let gain = vigil_grade::max_modifier(t.test) - t.modifier;
        let other = vigil_grade::other_servers(a.nginx);
        let mut d = draft(
            ChangeKind::Http,
            t.outcome.result.as_str(),
            t.test.title(),
            a.fix,
        );
        d.change.observatory_points = Some(gain);
        d.change.snippets = Some(Snippets {
            nginx: a.nginx.to_string(),
            apache: other.apache,
            caddy: other.caddy,
            haproxy: other.haproxy,
        });
        if mastodon {
            d.change.mastodon = vigil_grade::mastodon::note(t.outcome.result).map(str::to_string);
        }
        d.improvement = Some(Improvement::Http {
            points: u32::try_from(gain).unwrap_or(0),
        });
        out.push(d);
    }
}

/// The letter a `cap X` finding sets.
fn cap_letter(effect: &str) -> Option<Grade> {
    effect.strip_prefix("cap ").and_then(Grade::parse)
}

fn tls_changes(r: &HostResult, out: &mut Vec<Draft>) {
    let Some(t) = &r.tls else {
        return;
    };
    let findings = &t.grades.ssllabs.findings;
    for a in &t.grades.fixes {
        let mut d = draft(ChangeKind::Tls, &a.fix.id(), "TLS", a.summary);
        d.change.snippets = Some(Snippets {
            nginx: a.nginx.to_string(),
            apache: a.apache.to_string(),
            caddy: a.caddy.to_string(),
            haproxy: a.haproxy.to_string(),
        });
        use vigil_tls_grade::advice::Fix;
        d.improvement = Some(match a.fix {
            Fix::TrustedCertificate
            | Fix::MatchingCertificate
            | Fix::RenewCertificate
            | Fix::ServeFullChain => Improvement::Certificate,
            fix => {
                // With this fix, the grade is capped only by the findings other fixes own.
                let rest = findings
                    .iter()
                    .filter(|f| f.fix != Some(fix))
                    .filter_map(|f| cap_letter(&f.effect))
                    .max()
                    .unwrap_or(Grade::APlus);
                Improvement::Tls { grade: rest }
            }
        });
        out.push(d);
    }
}

fn software_changes(r: &HostResult, out: &mut Vec<Draft>) {
    let Some((facts, Some(v))) = &r.software else {
        return;
    };
    if v.is_latest_on_branch
        && !matches!(
            v.branch_status,
            vigil_model::fedi::BranchStatus::EndOfLife { .. }
        )
    {
        return;
    }
    let name = facts.software.as_deref().unwrap_or("the software");
    let target = match (&v.latest_on_branch, &v.branch_status) {
        (_, vigil_model::fedi::BranchStatus::EndOfLife { .. }) | (None, _) => {
            v.newest_release.clone()
        }
        (Some(latest), _) => latest.clone(),
    };
    let fix = format!(
        "Upgrade {name} from {} to {target}. {}",
        v.version, v.summary
    );
    let mut d = draft(ChangeKind::Software, "software-outdated", "Software", &fix);
    d.improvement = Some(Improvement::Software);
    out.push(d);
}

fn dns_changes(r: &HostResult, out: &mut Vec<Draft>) {
    let Some((_, d)) = &r.dns else {
        return;
    };
    use vigil_model::dns::DnssecStatus;
    match d.dnssec {
        DnssecStatus::Insecure => {
            let mut c = draft(
                ChangeKind::Dns,
                "dnssec-unsigned",
                "DNSSEC",
                "Sign the zone with DNSSEC (most DNS hosts do it with one switch) and publish the DS record at the registrar.",
            );
            c.improvement = Some(Improvement::Dnssec);
            out.push(c);
        }
        DnssecStatus::Bogus => {
            let mut c = draft(
                ChangeKind::Dns,
                "dnssec-bogus",
                "DNSSEC",
                "Repair the DNSSEC chain: the signatures do not validate (expired signatures, or a DS at the registrar that matches no key), so validating resolvers cannot reach the site.",
            );
            c.improvement = Some(Improvement::Dnssec);
            out.push(c);
        }
        DnssecStatus::Secure | DnssecStatus::Indeterminate => {}
    }
    let has_address = !d.a.is_empty() || !d.aaaa.is_empty();
    if has_address && !d.caa.present {
        out.push(draft(
            ChangeKind::Dns,
            "caa-missing",
            "CAA",
            "Publish a CAA record naming the certificate authority you use (for example 0 issue \"letsencrypt.org\"), so no other CA may issue for the name.",
        ));
    }
    if d.tlsa.matches == Some(false) {
        out.push(draft(
            ChangeKind::Dns,
            "tlsa-mismatch",
            "DANE/TLSA",
            "Update the TLSA record: no record matches the certificate served, so DANE clients refuse the connection. Publish the new key's record before every key change.",
        ));
    }
}

fn ipv6_changes(r: &HostResult, out: &mut Vec<Draft>) {
    let Some((_, v)) = &r.ipv6 else {
        return;
    };
    if v.reachable && v.same_site {
        return;
    }
    let fix = if v.reachable {
        "Serve the same site over IPv6 as over IPv4: the IPv6 answer differs (status, redirect or security headers)."
    } else if v.aaaa {
        "Make the server listen on IPv6 (nginx: listen [::]:443 ssl; listen [::]:80;) and open the firewall: the AAAA record points at an address that does not answer."
    } else {
        "Publish an AAAA record and listen on IPv6 (nginx: listen [::]:443 ssl; listen [::]:80;)."
    };
    let mut d = draft(ChangeKind::Ipv6, "ipv6", "IPv6", fix);
    d.improvement = Some(Improvement::Ipv6);
    out.push(d);
}

fn guidance_changes(r: &HostResult, out: &mut Vec<Draft>) {
    for g in r.guidance.iter().flatten().filter(|g| !g.ok) {
        out.push(draft(ChangeKind::Guidance, g.id, g.id, g.advice));
    }
}

/// Every change the report suggests, best first: by rating points gained (a change that lifts
/// the letter counts before one that does not), then Observatory points, then part.
pub fn changes(r: &HostResult) -> Vec<Change> {
    if r.unreachable.is_some() {
        return Vec::new();
    }
    let mut drafts = Vec::new();
    http_changes(r, &mut drafts);
    tls_changes(r, &mut drafts);
    software_changes(r, &mut drafts);
    dns_changes(r, &mut drafts);
    ipv6_changes(r, &mut drafts);
    guidance_changes(r, &mut drafts);
    let parts = r.rating.as_ref().map(|_| crate::rating_parts(r));
    let mut out: Vec<Change> = drafts
        .into_iter()
        .map(|d| {
            let mut c = d.change;
            if let (Some(parts), Some(imp)) = (&parts, &d.improvement) {
                c.rating_gain = Some(vigil_rating::gain(parts, imp));
            }
            c
        })
        .collect();
    out.sort_by(|a, b| {
        let key = |c: &Change| {
            let g = c.rating_gain;
            (
                // Letter after (lower is better), then points (more is better).
                g.map_or(Grade::F, |g| g.letter_after),
                std::cmp::Reverse(g.map_or(0, |g| g.points)),
                std::cmp::Reverse(c.observatory_points.unwrap_or(0)),
                c.kind,
            )
        };
        key(a).cmp(&key(b))
    });
    out
}
