//! Whether a host could be reached at all, and if not, why: the one line a scan of a dead or
//! misspelt host prints instead of a report. Built from the name lookup and from the HTTP
//! sessions' typed failures, so no free-form error text decides it.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;
use vigil_guard::AddressPolicy;
use vigil_model::evidence::ProbeStatus;
use vigil_model::{HttpEvidence, SiteError};

/// Why a host could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The name does not exist (NXDOMAIN).
    NoSuchName,
    /// The name exists but has no A or AAAA record.
    NoAddress,
    /// The resolver did not answer, or failed (SERVFAIL, no network).
    ResolverFailed,
    /// Every connection was refused.
    ConnectionRefused,
    /// Nothing answered in time.
    TimedOut,
    /// Connections opened but were closed or broken before any answer.
    NoAnswer,
    /// The address guard of a public scan refused the host's addresses (or a redirect's):
    /// loopback, private, link-local, cloud metadata and the like. Nothing was sent to them.
    #[serde(rename = "forbidden-address")]
    Forbidden,
}

impl Cause {
    /// The words a person reads.
    pub fn describe(self) -> &'static str {
        match self {
            Cause::NoSuchName => "no such name",
            Cause::NoAddress => "the name has no address (no A or AAAA record)",
            Cause::ResolverFailed => "the name could not be looked up",
            Cause::ConnectionRefused => "connection refused on ports 80 and 443",
            Cause::TimedOut => "timed out: nothing answered on ports 80 and 443",
            Cause::NoAnswer => "connections closed before any answer",
            Cause::Forbidden => "refused by the address guard (not a public address)",
        }
    }
}

/// A host that could not be scanned, with the underlying error for the curious.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreachable {
    pub cause: Cause,
    pub detail: String,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.cause.describe())
    }
}

/// The outcome of looking a name up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Addresses { v4: Vec<IpAddr>, v6: Vec<Ipv6Addr> },
    Failed(Unreachable),
}

/// How long the system resolver gets for one name.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Looks `host` up with the system resolver (as the HTTP sessions do), once.
pub async fn resolve(host: &str, port: u16) -> Resolution {
    match tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port))).await {
        Err(_) => Resolution::Failed(Unreachable {
            cause: Cause::ResolverFailed,
            detail: format!(
                "no answer from the resolver within {} s",
                LOOKUP_TIMEOUT.as_secs()
            ),
        }),
        Ok(Err(e)) => Resolution::Failed(classify_lookup_error(&e.to_string())),
        Ok(Ok(found)) => {
            let (v4, v6) = crate::split(found.map(|a| a.ip()));
            if v4.is_empty() && v6.is_empty() {
                Resolution::Failed(Unreachable {
                    cause: Cause::NoAddress,
                    detail: format!("{host} has no A or AAAA record"),
                })
            } else {
                Resolution::Addresses { v4, v6 }
            }
        }
    }
}

/// Maps the C library's `getaddrinfo` message to a cause (pure). glibc says "Name or service
/// not known" for NXDOMAIN, "No address associated with hostname" for NODATA, and "Temporary
/// failure in name resolution" when no resolver answered.
pub fn classify_lookup_error(message: &str) -> Unreachable {
    let m = message.to_ascii_lowercase();
    let cause = if m.contains("no address associated") || m.contains("nodata") {
        Cause::NoAddress
    } else if m.contains("not known")
        || m.contains("nodename nor servname")
        || m.contains("nxdomain")
    {
        Cause::NoSuchName
    } else {
        Cause::ResolverFailed
    };
    Unreachable {
        cause,
        detail: message.to_string(),
    }
}

/// [`Cause::Forbidden`] when `guard` refuses every address found, naming the first (pure).
pub fn all_forbidden(v4: &[IpAddr], v6: &[Ipv6Addr], guard: AddressPolicy) -> Option<Unreachable> {
    let all = v4.iter().copied().chain(v6.iter().copied().map(IpAddr::V6));
    let mut first = None;
    for ip in all {
        match guard.check(ip) {
            Ok(()) => return None,
            Err(r) => {
                first.get_or_insert(r);
            }
        }
    }
    first.map(|r| Unreachable {
        cause: Cause::Forbidden,
        detail: r.to_string(),
    })
}

/// Unreachable when neither HTTP session got any answer (pure). `None` when a session got a
/// response, even an error status: that host is up.
pub fn from_http(ev: &HttpEvidence, error: Option<&SiteError>) -> Option<Unreachable> {
    if !matches!(error, Some(SiteError::SiteDown)) || ev.http.is_some() || ev.https.is_some() {
        return None;
    }
    let statuses: Vec<&vigil_model::evidence::SessionFailure> =
        [ev.http_failure.as_ref(), ev.https_failure.as_ref()]
            .into_iter()
            .flatten()
            .collect();
    let all = |s: ProbeStatus| !statuses.is_empty() && statuses.iter().all(|f| f.status == s);
    // A session the guard stopped (at the first address or at a redirect) is the reason
    // nothing was read, whatever the other session met.
    let forbidden: Vec<&str> = statuses
        .iter()
        .filter(|f| f.status == ProbeStatus::Forbidden)
        .map(|f| f.detail.as_str())
        .collect();
    if !forbidden.is_empty() {
        let mut detail: Vec<&str> = Vec::new();
        for d in forbidden {
            if !detail.contains(&d) {
                detail.push(d);
            }
        }
        return Some(Unreachable {
            cause: Cause::Forbidden,
            detail: detail.join("; "),
        });
    }
    let cause = if all(ProbeStatus::DnsError) {
        let detail = statuses
            .first()
            .map(|f| f.detail.as_str())
            .unwrap_or_default();
        return Some(Unreachable {
            cause: classify_lookup_error(detail).cause,
            detail: detail.to_string(),
        });
    } else if statuses.iter().any(|f| {
        matches!(
            f.status,
            ProbeStatus::TlsError | ProbeStatus::CertificateError | ProbeStatus::ProtocolError
        )
    }) {
        // Something spoke on a port: the host is up, just not serving HTTP we can read.
        return None;
    } else if all(ProbeStatus::Refused) {
        Cause::ConnectionRefused
    } else if statuses.iter().any(|f| f.status == ProbeStatus::Timeout) {
        Cause::TimedOut
    } else {
        Cause::NoAnswer
    };
    let detail = statuses
        .iter()
        .map(|f| f.detail.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Some(Unreachable { cause, detail })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use vigil_model::evidence::SessionFailure;

    fn down(http: ProbeStatus, https: ProbeStatus) -> HttpEvidence {
        HttpEvidence {
            host: "h.test".into(),
            http: None,
            http_failure: Some(SessionFailure {
                status: http,
                detail: "http failed".into(),
            }),
            https: None,
            https_failure: Some(SessionFailure {
                status: https,
                detail: "https failed".into(),
            }),
            preflight: None,
            robots_status: None,
            elapsed_ms: 0,
            legacy: None,
        }
    }

    #[test]
    fn glibc_messages_map_to_causes() {
        let c = |m: &str| classify_lookup_error(m).cause;
        assert_eq!(
            c("failed to lookup address information: Name or service not known"),
            Cause::NoSuchName
        );
        assert_eq!(
            c("failed to lookup address information: No address associated with hostname"),
            Cause::NoAddress
        );
        assert_eq!(
            c("failed to lookup address information: Temporary failure in name resolution"),
            Cause::ResolverFailed
        );
    }

    #[test]
    fn refused_and_timeouts_are_unreachable() {
        let down_err = Some(&SiteError::SiteDown);
        let r = from_http(&down(ProbeStatus::Refused, ProbeStatus::Refused), down_err);
        assert_eq!(r.map(|u| u.cause), Some(Cause::ConnectionRefused));
        let r = from_http(&down(ProbeStatus::Refused, ProbeStatus::Timeout), down_err);
        assert_eq!(r.map(|u| u.cause), Some(Cause::TimedOut));
        let r = from_http(&down(ProbeStatus::Closed, ProbeStatus::Closed), down_err);
        assert_eq!(r.map(|u| u.cause), Some(Cause::NoAnswer));
    }

    #[test]
    fn a_session_the_guard_stopped_names_the_guard() {
        let down_err = Some(&SiteError::SiteDown);
        let mut ev = down(ProbeStatus::Forbidden, ProbeStatus::Refused);
        if let Some(f) = ev.http_failure.as_mut() {
            f.detail = "refused by the address guard: 127.0.0.1 is a loopback address".into();
        }
        let r = from_http(&ev, down_err).unwrap();
        assert_eq!(r.cause, Cause::Forbidden);
        assert_eq!(
            r.detail,
            "refused by the address guard: 127.0.0.1 is a loopback address"
        );
        // Forbidden even beside a session that met a TLS error.
        let r = from_http(
            &down(ProbeStatus::TlsError, ProbeStatus::Forbidden),
            down_err,
        );
        assert_eq!(r.map(|u| u.cause), Some(Cause::Forbidden));
        assert_eq!(
            serde_json::to_value(Cause::Forbidden).unwrap(),
            "forbidden-address"
        );
    }

    #[test]
    fn every_address_blocked_is_forbidden_one_public_is_not() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let public: IpAddr = "1.1.1.1".parse().unwrap();
        let ula: Ipv6Addr = "fd00::1".parse().unwrap();
        let r = all_forbidden(&[lo], &[ula], AddressPolicy::PublicOnly).unwrap();
        assert_eq!(r.cause, Cause::Forbidden);
        assert_eq!(
            r.detail,
            "refused by the address guard: 127.0.0.1 is a loopback address"
        );
        assert_eq!(
            all_forbidden(&[lo, public], &[ula], AddressPolicy::PublicOnly),
            None
        );
        assert_eq!(all_forbidden(&[lo], &[], AddressPolicy::AllowAll), None);
    }

    #[test]
    fn a_host_that_spoke_is_not_unreachable() {
        let down_err = Some(&SiteError::SiteDown);
        assert_eq!(
            from_http(&down(ProbeStatus::Refused, ProbeStatus::TlsError), down_err),
            None
        );
        // An unexpected status means the site answered.
        assert_eq!(
            from_http(
                &down(ProbeStatus::Refused, ProbeStatus::Refused),
                Some(&SiteError::UnexpectedStatus { status: 500 })
            ),
            None
        );
    }
}
