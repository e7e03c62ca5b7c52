//! The rules: pure functions from what a scan or a check found to the alerts it fires. Each
//! alert carries a dedup key naming the one occurrence it is about (this scan, this
//! certificate, this outage, this release), so a rule that fires again for the same
//! occurrence enqueues nothing new.

use serde::{Deserialize, Serialize};
use vigil_store::{Instance, NewCheck, ScanSummary, grade_rank};

/// What the rules read from one scan: its summary columns and a few facts of its report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFacts {
    /// The rating letter.
    pub grade: Option<String>,
    /// Whole days the served certificate has left (`tls.certificate.days_left`).
    pub cert_days_left: Option<i64>,
    /// The certificate's `not_after`, which names the certificate in the dedup key.
    pub cert_not_after: Option<String>,
    /// Server software and version.
    pub software: Option<String>,
    pub version: Option<String>,
    /// Newest release of the software (`software.verdict.newest_release`).
    pub newest_release: Option<String>,
    /// Security releases on the running branch that the instance has not installed.
    pub security_releases_missed: Vec<String>,
}

impl ScanFacts {
    /// Reads the facts from a scan's summary and report JSON; missing or odd parts of the
    /// report are simply absent facts (a report is remote data, never trusted to be whole).
    pub fn from_scan(summary: &ScanSummary, report_json: &str) -> ScanFacts {
        let report: serde_json::Value =
            serde_json::from_str(report_json).unwrap_or(serde_json::Value::Null);
        let cert = report.pointer("/tls/certificate");
        let verdict = report.pointer("/software/verdict");
        ScanFacts {
            grade: summary.rating_grade.clone(),
            cert_days_left: cert
                .and_then(|c| c.get("days_left"))
                .and_then(serde_json::Value::as_i64),
            cert_not_after: cert
                .and_then(|c| c.get("not_after"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
            software: summary.software.clone(),
            version: summary.version.clone(),
            newest_release: verdict
                .and_then(|v| v.get("newest_release"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
            security_releases_missed: verdict
                .and_then(|v| v.get("security_releases_missed"))
                .and_then(serde_json::Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(serde_json::Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The rules' thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleConfig {
    /// A certificate with at most this many days left is worth an alert.
    pub cert_warn_days: i64,
    /// Down at least this long (seconds) is an outage worth an alert, and so is its end.
    pub down_threshold_secs: i64,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            cert_warn_days: 14,
            down_threshold_secs: 30 * 60,
        }
    }
}

/// How urgent an alert is (ntfy's priority; mail and DMs say it in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Default,
    High,
    Urgent,
}

/// One alert a rule fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fired {
    /// `grade-drop`, `cert-expiry`, `down`, `recovered` or `release`.
    pub kind: String,
    pub host: String,
    /// Unique per occurrence: `grade-drop:<scan id>`, `cert-expiry:<not_after>`,
    /// `down:<first_down_at>`, `recovered:<first_down_at>`, `release:<version>`.
    pub dedup: String,
    /// One line for subjects and notification titles.
    pub title: String,
    /// A few sentences for humans.
    pub message: String,
    pub priority: Priority,
    /// The facts behind it, for webhooks.
    pub details: serde_json::Value,
}

/// The alerts one stored scan fires, compared with the scan before it (`None` for the first
/// scan: nothing has dropped or appeared yet, but an expiring certificate is news anyway).
pub fn scan_alerts(
    host: &str,
    scan_id: i64,
    previous: Option<&ScanFacts>,
    new: &ScanFacts,
    cfg: &RuleConfig,
) -> Vec<Fired> {
    let mut out = Vec::new();
    if let Some(prev) = previous
        && let (Some(old), Some(now)) = (&prev.grade, &new.grade)
        && grade_rank(now) < grade_rank(old)
    {
        out.push(Fired {
            kind: "grade-drop".into(),
            host: host.into(),
            dedup: format!("grade-drop:{scan_id}"),
            title: format!("{host}: rating dropped from {old} to {now}"),
            message: format!(
                "The Vigil rating of {host} dropped from {old} to {now} in the latest scan."
            ),
            priority: Priority::High,
            details: serde_json::json!({"old": old, "new": now, "scan_id": scan_id}),
        });
    }
    if let (Some(days), Some(not_after)) = (new.cert_days_left, &new.cert_not_after)
        && days <= cfg.cert_warn_days
    {
        let (title, priority) = if days < 0 {
            (
                format!("{host}: the certificate has expired"),
                Priority::Urgent,
            )
        } else {
            (
                format!("{host}: the certificate expires in {days} days"),
                Priority::High,
            )
        };
        out.push(Fired {
            kind: "cert-expiry".into(),
            host: host.into(),
            dedup: format!("cert-expiry:{not_after}"),
            message: format!(
                "The TLS certificate {host} serves is valid until {not_after} ({days} days \
                 left). Renew it before visitors and other servers are turned away."
            ),
            title,
            priority,
            details: serde_json::json!({"days_left": days, "not_after": not_after}),
        });
    }
    if let Some(prev) = previous {
        let gained: Vec<&String> = new
            .security_releases_missed
            .iter()
            .filter(|v| !prev.security_releases_missed.contains(v))
            .collect();
        if let Some(latest) = gained.last() {
            let software = new.software.as_deref().unwrap_or("its software");
            let running = new.version.as_deref().unwrap_or("an older version");
            out.push(Fired {
                kind: "release".into(),
                host: host.into(),
                dedup: format!("release:{latest}"),
                title: format!("{host}: security release {software} {latest} is out"),
                message: format!(
                    "{software} {latest} carries security fixes; {host} runs {running}. \
                     Newest release: {}.",
                    new.newest_release.as_deref().unwrap_or(latest)
                ),
                priority: Priority::High,
                details: serde_json::json!({
                    "software": new.software,
                    "running": new.version,
                    "new_security_releases": gained,
                    "newest_release": new.newest_release,
                }),
            });
        }
    }
    out
}

/// The alerts one recorded check fires, given the instance as it was before the check: down
/// for at least the threshold (once per outage), and back up after such an outage.
pub fn check_alerts(before: &Instance, check: &NewCheck, cfg: &RuleConfig) -> Vec<Fired> {
    if check.void {
        return Vec::new();
    }
    let host = &check.host;
    let at = check.checked_at;
    if check.up {
        let Some(since) = before.first_down_at else {
            return Vec::new();
        };
        let lasted = at - since;
        if lasted < cfg.down_threshold_secs {
            return Vec::new();
        }
        return vec![Fired {
            kind: "recovered".into(),
            host: host.clone(),
            dedup: format!("recovered:{since}"),
            title: format!("{host} is back up after {}", human(lasted)),
            message: format!("{host} answers again; it was down for {}.", human(lasted)),
            priority: Priority::Default,
            details: serde_json::json!({"down_since": since, "up_at": at, "down_secs": lasted}),
        }];
    }
    let since = before.first_down_at.unwrap_or(at);
    let lasted = at - since;
    if lasted < cfg.down_threshold_secs {
        return Vec::new();
    }
    let failure = check.failure.as_deref().unwrap_or("no answer");
    vec![Fired {
        kind: "down".into(),
        host: host.clone(),
        dedup: format!("down:{since}"),
        title: format!("{host} has been down for {}", human(lasted)),
        message: format!(
            "{host} has not answered Vigil's checks for {} (last failure: {failure}).",
            human(lasted)
        ),
        priority: Priority::Urgent,
        details: serde_json::json!({"down_since": since, "failure": failure, "down_secs": lasted}),
    }]
}

/// `3 h 20 min`, `45 min`, `2 d 3 h`.
pub fn human(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(grade: &str) -> ScanFacts {
        ScanFacts {
            grade: Some(grade.into()),
            ..ScanFacts::default()
        }
    }

    fn instance(first_down_at: Option<i64>) -> Instance {
        Instance {
            host: "a.example".into(),
            added_at: 0,
            source: "operator".into(),
            opted_out: None,
            opted_out_at: None,
            dead_since: None,
            moved_to: None,
            next_check_at: 0,
            next_scan_at: 0,
            refused_streak: 0,
            first_down_at,
            last_up_at: None,
            last_check_at: None,
            up: first_down_at.map(|_| false),
            last_latency_ms: None,
            last_failure: None,
            last_scan_at: None,
        }
    }

    fn check(at: i64, up: bool, void: bool) -> NewCheck {
        NewCheck {
            host: "a.example".into(),
            checked_at: at,
            up,
            latency_ms: None,
            failure: (!up).then(|| "timeout".into()),
            void,
        }
    }

    #[test]
    fn a_lower_letter_is_a_drop_and_a_higher_one_is_not() {
        let cfg = RuleConfig::default();
        let fired = scan_alerts("a.example", 7, Some(&facts("A")), &facts("B+"), &cfg);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].kind, "grade-drop");
        assert_eq!(fired[0].dedup, "grade-drop:7");
        assert!(
            fired[0].title.contains("from A to B+"),
            "{}",
            fired[0].title
        );
        assert!(scan_alerts("a.example", 8, Some(&facts("B")), &facts("A"), &cfg).is_empty());
        assert!(scan_alerts("a.example", 8, Some(&facts("A")), &facts("A"), &cfg).is_empty());
        assert!(scan_alerts("a.example", 8, Some(&facts("A-")), &facts("A"), &cfg).is_empty());
        assert!(scan_alerts("a.example", 8, None, &facts("F"), &cfg).is_empty());
        // No letter (unreachable) is not a drop.
        assert!(
            scan_alerts(
                "a.example",
                8,
                Some(&facts("A")),
                &ScanFacts::default(),
                &cfg
            )
            .is_empty()
        );
    }

    #[test]
    fn certificates_close_to_expiry_fire_once_per_certificate() {
        let cfg = RuleConfig::default();
        let mut f = facts("A");
        f.cert_not_after = Some("Feb 22 19:52:55 2035 +00:00".into());
        f.cert_days_left = Some(15);
        assert!(scan_alerts("a.example", 1, None, &f, &cfg).is_empty());
        f.cert_days_left = Some(14);
        let fired = scan_alerts("a.example", 1, None, &f, &cfg);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].dedup, "cert-expiry:Feb 22 19:52:55 2035 +00:00");
        assert_eq!(fired[0].priority, Priority::High);
        // A later scan of the same certificate has the same key.
        f.cert_days_left = Some(3);
        assert_eq!(
            scan_alerts("a.example", 2, Some(&facts("A")), &f, &cfg)[0].dedup,
            fired[0].dedup
        );
        f.cert_days_left = Some(-1);
        assert_eq!(
            scan_alerts("a.example", 3, None, &f, &cfg)[0].priority,
            Priority::Urgent
        );
    }

    #[test]
    fn new_security_releases_fire_and_old_ones_do_not() {
        let cfg = RuleConfig::default();
        let mut prev = facts("B");
        prev.security_releases_missed = vec!["4.3.3".into()];
        let mut new = prev.clone();
        assert!(scan_alerts("a.example", 2, Some(&prev), &new, &cfg).is_empty());
        new.security_releases_missed = vec!["4.3.3".into(), "4.3.4".into(), "4.3.5".into()];
        new.newest_release = Some("4.5.0".into());
        new.software = Some("mastodon".into());
        let fired = scan_alerts("a.example", 2, Some(&prev), &new, &cfg);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].dedup, "release:4.3.5");
        assert!(fired[0].title.contains("mastodon 4.3.5"));
        // An upgrade empties the list: nothing to say.
        let upgraded = facts("B");
        assert!(scan_alerts("a.example", 3, Some(&new), &upgraded, &cfg).is_empty());
        // The first scan has nothing to compare with.
        assert!(scan_alerts("a.example", 1, None, &new, &cfg).is_empty());
    }

    #[test]
    fn facts_come_from_the_report_json() {
        let report = r#"{"tls": {"certificate": {"days_left": 9, "not_after": "X"}},
            "software": {"verdict": {"newest_release": "4.6.5",
                "security_releases_missed": ["4.3.3", 17, "4.3.4"]}}}"#;
        let summary = ScanSummary {
            rating_grade: Some("C".into()),
            ..ScanSummary::default()
        };
        let f = ScanFacts::from_scan(&summary, report);
        assert_eq!(f.grade.as_deref(), Some("C"));
        assert_eq!(f.cert_days_left, Some(9));
        assert_eq!(f.cert_not_after.as_deref(), Some("X"));
        assert_eq!(f.newest_release.as_deref(), Some("4.6.5"));
        assert_eq!(f.security_releases_missed, vec!["4.3.3", "4.3.4"]);
        let empty = ScanFacts::from_scan(&summary, "not json");
        assert_eq!(empty.cert_days_left, None);
        assert!(empty.security_releases_missed.is_empty());
    }

    #[test]
    fn outages_fire_once_past_the_threshold_and_again_when_over() {
        let cfg = RuleConfig {
            down_threshold_secs: 600,
            ..RuleConfig::default()
        };
        // The first failed check: too early.
        assert!(check_alerts(&instance(None), &check(1000, false, false), &cfg).is_empty());
        assert!(check_alerts(&instance(Some(1000)), &check(1599, false, false), &cfg).is_empty());
        let down = check_alerts(&instance(Some(1000)), &check(1600, false, false), &cfg);
        assert_eq!(down.len(), 1);
        assert_eq!(down[0].dedup, "down:1000");
        assert_eq!(down[0].priority, Priority::Urgent);
        // Still down later: the same outage, the same key.
        assert_eq!(
            check_alerts(&instance(Some(1000)), &check(5000, false, false), &cfg)[0].dedup,
            "down:1000"
        );
        // A void round says nothing.
        assert!(check_alerts(&instance(Some(1000)), &check(5000, false, true), &cfg).is_empty());
        assert!(check_alerts(&instance(Some(1000)), &check(5000, true, true), &cfg).is_empty());
        let back = check_alerts(&instance(Some(1000)), &check(4600, true, false), &cfg);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].kind, "recovered");
        assert_eq!(back[0].dedup, "recovered:1000");
        assert!(back[0].title.contains("1 h"), "{}", back[0].title);
        // A short blip comes and goes unannounced.
        assert!(check_alerts(&instance(Some(1000)), &check(1300, true, false), &cfg).is_empty());
        assert!(check_alerts(&instance(None), &check(1300, true, false), &cfg).is_empty());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(59), "0 min");
        assert_eq!(human(45 * 60), "45 min");
        assert_eq!(human(3600), "1 h");
        assert_eq!(human(3 * 3600 + 20 * 60), "3 h 20 min");
        assert_eq!(human(2 * 86_400 + 3 * 3600), "2 d 3 h");
        assert_eq!(human(86_400), "1 d");
    }
}
