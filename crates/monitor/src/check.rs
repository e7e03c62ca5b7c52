//! One uptime check: what a fediverse client asks first (`/.well-known/nodeinfo`) over verified
//! HTTPS with a short timeout. Any answer below 500 is up (a 404 still means the server is
//! there); 410 means the operator asked to be left alone; a permanent redirect of the home page
//! to another host means the instance moved. Failures keep their class, and failures that
//! happened on this machine are marked local so they are never counted as the instance's.

use crate::round::Outcome;
use std::time::Instant;
use url::Url;
use vigil_fedi::client::Client;
use vigil_model::Hostname;
use vigil_model::fedi::FediErrorKind;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub up: bool,
    pub latency_ms: Option<i64>,
    /// The failure class when down (`refused`, `timeout`, `dns`, `tls`, `certificate`, …).
    pub failure: Option<String>,
    pub refused: bool,
    pub local: bool,
    /// The instance answered 410 Gone: opted out.
    pub gone: bool,
    /// The home page redirects permanently to this other host.
    pub moved_to: Option<String>,
}

impl CheckResult {
    /// The round's view of this check.
    pub fn outcome(&self) -> Outcome {
        Outcome {
            up: self.up,
            refused: self.refused,
            local: self.local,
        }
    }

    fn down(class: &str, refused: bool, local: bool) -> CheckResult {
        CheckResult {
            up: false,
            latency_ms: None,
            failure: Some(class.to_string()),
            refused,
            local,
            gone: false,
            moved_to: None,
        }
    }
}

/// The class name of a failed request, and whether it was this machine's own trouble (pure).
pub fn classify(kind: FediErrorKind, detail: &str) -> (&'static str, bool) {
    let d = detail.to_ascii_lowercase();
    let local = d.contains("network is unreachable")
        || d.contains("temporary failure in name resolution")
        || d.contains("os error 101");
    let class = match kind {
        FediErrorKind::DnsError => "dns",
        FediErrorKind::Refused => "refused",
        FediErrorKind::Timeout => "timeout",
        FediErrorKind::TlsError => "tls",
        FediErrorKind::CertificateError => "certificate",
        FediErrorKind::ProtocolError => "protocol",
        FediErrorKind::Closed => "closed",
        _ => "other",
    };
    (class, local)
}

fn other_host(location: Option<&str>, base: &Url) -> Option<String> {
    let target = base.join(location?).ok()?;
    let host = target
        .host_str()?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    (Some(host.as_str()) != base.host_str()).then_some(host)
}

/// Checks one instance.
pub async fn check(client: &Client, host: &Hostname) -> CheckResult {
    let Some(url) = client.url(host, "/.well-known/nodeinfo") else {
        return CheckResult::down("other", false, false);
    };
    let started = Instant::now();
    let answer = match client.get(&url, "application/json").await {
        Ok(a) => a,
        Err(f) => {
            let (class, local) = classify(f.kind, &f.detail);
            let mut r = CheckResult::down(class, f.kind == FediErrorKind::Refused, local);
            if f.kind == FediErrorKind::TooLarge {
                // It answered; the document is just big.
                r.up = true;
                r.failure = None;
            }
            return r;
        }
    };
    let latency_ms = Some(i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX));
    let mut result = CheckResult {
        up: answer.status < 500,
        latency_ms,
        failure: (answer.status >= 500).then(|| format!("http-{}", answer.status)),
        refused: false,
        local: false,
        gone: answer.status == 410,
        moved_to: None,
    };
    // NodeInfo is often delegated to another host on purpose (example.com → social.example.com);
    // only a home page that moves for good says the instance moved.
    if matches!(answer.status, 301 | 308)
        && other_host(answer.location.as_deref(), &url).is_some()
        && let Some(home) = client.url(host, "/")
        && let Ok(a) = client.get(&home, "text/html").await
        && matches!(a.status, 301 | 308)
    {
        result.moved_to = other_host(a.location.as_deref(), &home);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_keep_their_class_and_local_ones_are_marked() {
        assert_eq!(
            classify(FediErrorKind::Refused, "connection refused"),
            ("refused", false)
        );
        assert_eq!(
            classify(
                FediErrorKind::Closed,
                "connect: Network is unreachable (os error 101)"
            ),
            ("closed", true)
        );
        assert_eq!(
            classify(
                FediErrorKind::DnsError,
                "Temporary failure in name resolution"
            ),
            ("dns", true)
        );
        assert_eq!(
            classify(FediErrorKind::DnsError, "Name or service not known"),
            ("dns", false)
        );
    }

    #[test]
    fn moved_means_another_host() {
        let base = Url::parse("https://old.example/").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            other_host(Some("https://new.example/"), &base),
            Some("new.example".into())
        );
        assert_eq!(other_host(Some("/about"), &base), None);
        assert_eq!(other_host(Some("https://OLD.example./x"), &base), None);
        assert_eq!(other_host(None, &base), None);
    }
}
