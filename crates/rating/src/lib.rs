//! The composite instance rating that ranks the list: one pure function from the parts an admin
//! is judged on to a 0-100 score and a letter, with caps for failures no score should hide.
//! `docs/rating.md` explains every weight and cap; this file is the definition.
//!
//! Each part is scored 0-100. A part that could not be measured (no software version found,
//! uptime unknown outside the monitor, DNSSEC indeterminate) is left out and the weights of
//! the others are scaled up, so a missing fact neither rewards nor punishes. Caps then limit
//! the letter: an instance without working HTTPS, with an untrusted certificate, or running a
//! Mastodon release with known unpatched advisories cannot reach the top of the list whatever
//! its other scores.

use serde::{Deserialize, Serialize};
pub use vigil_model::Grade;

/// The inputs, as plain facts (adapters in the CLI and monitor fill them in).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parts {
    /// The Observatory score (0-145; bonuses above 100 count as 100). `None`: not scanned.
    pub http_score: Option<u32>,
    pub tls: Option<Tls>,
    pub software: Option<Software>,
    pub ipv6: Option<Ipv6>,
    pub dnssec: Option<Dnssec>,
    /// Fraction of successful checks over the monitor's window (0.0-1.0); `None` for one scan.
    pub uptime: Option<f64>,
}

/// TLS as the rating needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tls {
    /// HTTPS answered at all on port 443.
    pub https: bool,
    /// The SSL Labs-style letter; `None` when a trust verdict (`T`, `M`) replaced it.
    pub grade: Option<Grade>,
    /// The letter if trust were ignored (for `T` / `M`).
    pub grade_if_trusted: Option<Grade>,
    pub trusted: bool,
    pub hostname_match: bool,
}

/// The software verdict as the rating needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Software {
    /// The running release is the newest of its branch.
    pub latest_on_branch: bool,
    /// The branch still gets security fixes.
    pub branch_supported: bool,
    /// Advisories (the project's own) fixed in releases newer than the running one.
    pub missed_advisories: usize,
    /// Security releases newer than the running one that fixed only dependencies.
    pub missed_dependency_fixes: usize,
}

/// IPv6 as the rating needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6 {
    pub aaaa: bool,
    /// Ports 80 and 443 answered over IPv6 (not IPv4-mapped).
    pub reachable: bool,
    /// The IPv6 answer matches the IPv4 one (status and key headers).
    pub same_site: bool,
}

/// DNSSEC validation result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dnssec {
    Secure,
    Insecure,
    Bogus,
    Indeterminate,
}

/// The parts, their weights, in reporting order.
pub const WEIGHTS: [(Part, u32); 6] = [
    (Part::Http, 25),
    (Part::Tls, 25),
    (Part::Software, 20),
    (Part::Uptime, 15),
    (Part::Ipv6, 10),
    (Part::Dnssec, 5),
];

/// One part of the rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    Http,
    Tls,
    Software,
    Uptime,
    Ipv6,
    Dnssec,
}

/// One part's contribution, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartScore {
    pub part: Part,
    /// Nominal weight (of 100).
    pub weight: u32,
    /// Weight after leaving out unmeasured parts (sums to 100 over measured parts).
    pub effective_weight: f64,
    /// 0-100, `None` when not measured.
    pub score: Option<u32>,
    pub why: String,
}

/// A cap on the letter and its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cap {
    pub letter: Grade,
    pub why: String,
}

/// The composite rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// 0-100, weighted over the measured parts.
    pub score: u32,
    /// `A+`, `A`, `B`, `C`, `D`, `E` or `F`, after caps.
    pub letter: Grade,
    /// The letter the score alone would give.
    pub uncapped_letter: Grade,
    pub parts: Vec<PartScore>,
    pub caps: Vec<Cap>,
}

/// The letters the rating gives, best first.
pub const LETTERS: [Grade; 7] = [
    Grade::APlus,
    Grade::A,
    Grade::B,
    Grade::C,
    Grade::D,
    Grade::E,
    Grade::F,
];

fn letter_for(score: u32) -> Grade {
    match score {
        95.. => Grade::APlus,
        85..95 => Grade::A,
        70..85 => Grade::B,
        55..70 => Grade::C,
        40..55 => Grade::D,
        25..40 => Grade::E,
        _ => Grade::F,
    }
}

/// Points for an SSL Labs-style letter.
fn tls_points(letter: Grade) -> u32 {
    match letter {
        Grade::APlus => 100,
        Grade::A => 95,
        Grade::AMinus => 90,
        Grade::BPlus | Grade::B | Grade::BMinus => 75,
        Grade::CPlus | Grade::C | Grade::CMinus => 60,
        Grade::DPlus | Grade::D | Grade::DMinus => 45,
        Grade::E => 30,
        Grade::F => 0,
    }
}

fn part_score(part: Part, p: &Parts) -> (Option<u32>, String) {
    match part {
        Part::Http => match p.http_score {
            Some(s) => (Some(s.min(100)), format!("Observatory score {s}")),
            None => (None, "not scanned".into()),
        },
        Part::Tls => match &p.tls {
            Some(t) if !t.https => (Some(0), "no HTTPS on port 443".into()),
            Some(t) => {
                let letter = t.grade_if_trusted.or(t.grade).unwrap_or(Grade::F);
                let shown = match (t.grade, t.grade_if_trusted) {
                    (Some(g), _) => g.as_str().to_string(),
                    (None, Some(g)) => format!("{g} if the certificate were trusted"),
                    (None, None) => "none".to_string(),
                };
                (Some(tls_points(letter)), format!("TLS grade {shown}"))
            }
            None => (None, "not probed".into()),
        },
        Part::Software => match &p.software {
            None => (None, "software or version unknown".into()),
            Some(s) if !s.branch_supported => (Some(20), "release branch is end of life".into()),
            Some(s) if s.missed_advisories > 0 => (
                Some(30),
                format!("{} advisories fixed in newer releases", s.missed_advisories),
            ),
            Some(s) if s.missed_dependency_fixes > 0 => (
                Some(60),
                "newer release with dependency security fixes".into(),
            ),
            Some(s) if !s.latest_on_branch => {
                (Some(85), "not the newest release of its branch".into())
            }
            Some(_) => (Some(100), "newest release of a supported branch".into()),
        },
        Part::Uptime => match p.uptime {
            // 99.9 % and better earns full marks; 90 % or worse earns nothing.
            Some(u) => {
                let pts = ((u.clamp(0.0, 1.0) - 0.90) / 0.099 * 100.0).clamp(0.0, 100.0);
                (
                    Some(pts.round() as u32),
                    format!("uptime {:.2} %", u * 100.0),
                )
            }
            None => (None, "not monitored".into()),
        },
        Part::Ipv6 => match p.ipv6 {
            Some(v) if v.reachable && v.same_site => {
                (Some(100), "reachable over IPv6, same site".into())
            }
            Some(v) if v.reachable => (
                Some(60),
                "reachable over IPv6, but not the same site".into(),
            ),
            Some(v) if v.aaaa => (Some(20), "AAAA record, but not reachable over IPv6".into()),
            Some(_) => (Some(0), "no IPv6".into()),
            None => (None, "not checked".into()),
        },
        Part::Dnssec => match p.dnssec {
            Some(Dnssec::Secure) => (Some(100), "DNSSEC validates".into()),
            Some(Dnssec::Insecure) => (Some(0), "zone not signed".into()),
            Some(Dnssec::Bogus) => (Some(0), "DNSSEC signatures do not validate".into()),
            Some(Dnssec::Indeterminate) | None => (None, "not determined".into()),
        },
    }
}

/// Computes the rating (pure).
pub fn rate(p: &Parts) -> Rating {
    let scored: Vec<(Part, u32, Option<u32>, String)> = WEIGHTS
        .iter()
        .map(|&(part, w)| {
            let (s, why) = part_score(part, p);
            (part, w, s, why)
        })
        .collect();
    let measured: u32 = scored.iter().filter(|x| x.2.is_some()).map(|x| x.1).sum();
    let total: f64 = scored
        .iter()
        .filter_map(|(_, w, s, _)| s.map(|s| f64::from(*w) * f64::from(s)))
        .sum();
    let score = if measured == 0 {
        0
    } else {
        (total / f64::from(measured)).round() as u32
    };
    let parts = scored
        .into_iter()
        .map(|(part, weight, s, why)| PartScore {
            part,
            weight,
            effective_weight: if s.is_some() && measured > 0 {
                f64::from(weight) * 100.0 / f64::from(measured)
            } else {
                0.0
            },
            score: s,
            why,
        })
        .collect();

    let mut caps = Vec::new();
    match &p.tls {
        Some(t) if !t.https => caps.push(Cap {
            letter: Grade::F,
            why: "no working HTTPS".into(),
        }),
        Some(t) if !t.trusted => caps.push(Cap {
            letter: Grade::D,
            why: "the certificate is not trusted".into(),
        }),
        Some(t) if !t.hostname_match => caps.push(Cap {
            letter: Grade::D,
            why: "the certificate does not cover the host name".into(),
        }),
        _ => {}
    }
    if let Some(s) = &p.software {
        if s.missed_advisories > 0 {
            caps.push(Cap {
                letter: Grade::C,
                why: "runs a release with known, fixed security advisories".into(),
            });
        }
        if !s.branch_supported {
            caps.push(Cap {
                letter: Grade::C,
                why: "the release branch no longer gets security fixes".into(),
            });
        }
    }
    if p.dnssec == Some(Dnssec::Bogus) {
        caps.push(Cap {
            letter: Grade::D,
            why: "DNSSEC is broken: validating resolvers cannot reach the site".into(),
        });
    }
    let uncapped = letter_for(score);
    let letter = caps
        .iter()
        .map(|c| c.letter)
        .chain(std::iter::once(uncapped))
        .max()
        .unwrap_or(uncapped);
    Rating {
        score,
        letter,
        uncapped_letter: uncapped,
        parts,
        caps,
    }
}

#[cfg(test)]
mod tests;

/// One change an admin can make, as the rating sees it: the part it improves and to what.
/// The report pairs each "what to change" item with one of these so that the list across
/// HTTP, TLS, DNS and software can be ordered by what each change is worth in the rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "part", rename_all = "kebab-case")]
pub enum Improvement {
    /// The Observatory score would gain this many points.
    Http { points: u32 },
    /// The SSL Labs-style grade would become at best this letter (and stay trusted).
    Tls { grade: Grade },
    /// The certificate would be trusted and match the host name.
    Certificate,
    /// The newest release of a supported branch would run.
    Software,
    /// IPv6 would answer and serve the same site.
    Ipv6,
    /// DNSSEC would validate.
    Dnssec,
}

/// What one improvement is worth: the rating before and after it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gain {
    /// Rating points gained (0 when the part is already at its best or not measured).
    pub points: u32,
    /// The letter now.
    pub letter_before: Grade,
    /// The letter after this change alone (caps included).
    pub letter_after: Grade,
}

/// The rating the parts would get with `change` applied (pure).
pub fn improved(p: &Parts, change: &Improvement) -> Parts {
    let mut q = p.clone();
    match change {
        Improvement::Http { points } => {
            q.http_score = q.http_score.map(|s| s.saturating_add(*points));
        }
        Improvement::Tls { grade } => {
            if let Some(t) = q.tls.as_mut() {
                let now = t.grade_if_trusted.or(t.grade).unwrap_or(Grade::F);
                let best = (*grade).min(now);
                t.https = true;
                if t.grade_if_trusted.is_some() {
                    t.grade_if_trusted = Some(best);
                } else {
                    t.grade = Some(best);
                }
            }
        }
        Improvement::Certificate => {
            if let Some(t) = q.tls.as_mut() {
                t.trusted = true;
                t.hostname_match = true;
                if let Some(g) = t.grade_if_trusted.take() {
                    t.grade = Some(g);
                }
            }
        }
        Improvement::Software => {
            if q.software.is_some() {
                q.software = Some(Software {
                    latest_on_branch: true,
                    branch_supported: true,
                    missed_advisories: 0,
                    missed_dependency_fixes: 0,
                });
            }
        }
        Improvement::Ipv6 => {
            if q.ipv6.is_some() {
                q.ipv6 = Some(Ipv6 {
                    aaaa: true,
                    reachable: true,
                    same_site: true,
                });
            }
        }
        Improvement::Dnssec => {
            if q.dnssec.is_some() {
                q.dnssec = Some(Dnssec::Secure);
            }
        }
    }
    q
}

/// What `change` alone is worth in the rating (pure).
pub fn gain(p: &Parts, change: &Improvement) -> Gain {
    let before = rate(p);
    let after = rate(&improved(p, change));
    Gain {
        points: after.score.saturating_sub(before.score),
        letter_before: before.letter,
        letter_after: after.letter,
    }
}
