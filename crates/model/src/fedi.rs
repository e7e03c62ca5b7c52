//! Fediverse evidence and facts: what a server says about itself through NodeInfo and the
//! Mastodon instance API, the facts read from those documents, and the verdict on a Mastodon
//! version against the release history.
//!
//! The documents are kept as raw JSON ([`FediEvidence`]) so that a better parser can be run over
//! old captures later without rescanning; the parsed view ([`FediFacts`]) and the version
//! judgement ([`VersionVerdict`]) are derived from them by pure functions in `vigil-fedi`.
//! Nothing here does I/O. Dates are ISO 8601 strings (`YYYY-MM-DD`) because this crate keeps no
//! date library.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The documents the fediverse retrieval asks for, named so errors and facts can point at one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FediDocument {
    /// `/.well-known/nodeinfo`, the JRD that links to the NodeInfo documents.
    WellKnown,
    /// The NodeInfo document itself (schema 1.0 to 2.x).
    Nodeinfo,
    /// Mastodon's `/api/v2/instance` (4.0 and later; also served by some other software).
    InstanceV2,
    /// Mastodon's older `/api/v1/instance`, which Pleroma, Akkoma and GoToSocial also serve.
    InstanceV1,
}

impl fmt::Display for FediDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FediDocument::WellKnown => "well-known",
            FediDocument::Nodeinfo => "nodeinfo",
            FediDocument::InstanceV2 => "instance-v2",
            FediDocument::InstanceV1 => "instance-v1",
        })
    }
}

/// How a document request failed, as a closed list (zgrab2 style) so reports and statistics
/// can group failures without parsing free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FediErrorKind {
    /// The name did not resolve.
    DnsError,
    /// The TCP connection was refused.
    Refused,
    /// The request or the whole retrieval ran out of time.
    Timeout,
    /// The peer closed or reset the connection without a usable answer.
    Closed,
    /// The TLS handshake failed for a reason other than the certificate.
    TlsError,
    /// The certificate failed verification (documents are never read without verification).
    CertificateError,
    /// The answer was not valid HTTP or broke a header limit.
    ProtocolError,
    /// The body was larger than the configured cap; it was not parsed.
    TooLarge,
    /// The body was not a JSON object (syntax error, wrong type, too deeply nested).
    BadJson,
    /// A redirect pointed back to a URL already visited.
    RedirectLoop,
    /// More redirects than the configured limit.
    TooManyRedirects,
    /// A final answer with a status other than 2xx (the code is in `http_status`).
    HttpStatus,
    /// A link or redirect pointed somewhere the retrieval refuses to go (not https, another
    /// port, an IP address other than the scanned one, credentials in the URL).
    RejectedUrl,
    /// The well-known document offered no usable NodeInfo link.
    NoNodeinfoLink,
}

impl fmt::Display for FediErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FediErrorKind::DnsError => "dns-error",
            FediErrorKind::Refused => "refused",
            FediErrorKind::Timeout => "timeout",
            FediErrorKind::Closed => "closed",
            FediErrorKind::TlsError => "tls-error",
            FediErrorKind::CertificateError => "certificate-error",
            FediErrorKind::ProtocolError => "protocol-error",
            FediErrorKind::TooLarge => "too-large",
            FediErrorKind::BadJson => "bad-json",
            FediErrorKind::RedirectLoop => "redirect-loop",
            FediErrorKind::TooManyRedirects => "too-many-redirects",
            FediErrorKind::HttpStatus => "http-status",
            FediErrorKind::RejectedUrl => "rejected-url",
            FediErrorKind::NoNodeinfoLink => "no-nodeinfo-link",
        })
    }
}

/// One failed step of the retrieval. A failure is data: the other documents are still fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FediError {
    /// Which document the step was after.
    pub document: FediDocument,
    /// The fixed failure kind.
    pub kind: FediErrorKind,
    /// The URL that failed (absent when no URL could be built).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The HTTP status for [`FediErrorKind::HttpStatus`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// What happened, for humans.
    pub detail: String,
}

impl fmt::Display for FediError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.document, self.kind, self.detail)
    }
}

/// One NodeInfo link offered by `/.well-known/nodeinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeinfoLink {
    /// The schema version from the link's `rel` (`2.1` for
    /// `http://nodeinfo.diaspora.software/ns/schema/2.1`).
    pub schema: String,
    /// The link target as offered (not yet checked).
    pub href: String,
}

/// Everything the fediverse retrieval got from one host, as raw documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FediEvidence {
    /// The scanned host (ASCII form).
    pub host: String,
    /// NodeInfo links offered by the well-known document, in the order offered.
    pub nodeinfo_links: Vec<NodeinfoLink>,
    /// Schema version of the NodeInfo document kept (the highest offered that could be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodeinfo_schema: Option<String>,
    /// URL the NodeInfo document was finally read from (after redirects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodeinfo_url: Option<String>,
    /// The NodeInfo document.
    pub nodeinfo: Option<Value>,
    /// `/api/v2/instance`, when it answered with a JSON object.
    pub instance_v2: Option<Value>,
    /// `/api/v1/instance`, asked only when v2 gave nothing usable.
    pub instance_v1: Option<Value>,
    /// Every failed step, in retrieval order.
    pub errors: Vec<FediError>,
    /// Wall time of the whole retrieval.
    pub elapsed_ms: u64,
}

/// A software version as servers report it, split so that versions compare and forks show.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SoftwareVersion {
    /// The reported string, trimmed.
    pub raw: String,
    /// Major number (Misskey uses the year: `2024.11.0`).
    pub major: u64,
    /// Minor number (0 when absent).
    pub minor: u64,
    /// Patch number (0 when absent).
    pub patch: u64,
    /// Semver pre-release (`beta.1` in `4.4.0-beta.1`); a pre-release sorts before its release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre: Option<String>,
    /// Build metadata, which is where forks and builds say what they are: `glitch` in
    /// `4.5.2+glitch`, `hometown-1.1.1`, GoToSocial's `git-abc123`, or Pleroma's git-describe
    /// suffix `1234-gabcdef-develop` (commits after the tag, so not a pre-release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
}

/// Which document each fact was read from, so a report can say how sure it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactSources {
    /// Source of [`FediFacts::software`].
    pub software: Option<FediDocument>,
    /// Source of [`FediFacts::version`].
    pub version: Option<FediDocument>,
    /// Source of [`FediFacts::open_registrations`].
    pub open_registrations: Option<FediDocument>,
    /// Source of [`FediFacts::users_total`].
    pub users_total: Option<FediDocument>,
    /// Source of [`FediFacts::users_active_month`].
    pub users_active_month: Option<FediDocument>,
    /// Source of [`FediFacts::local_posts`].
    pub local_posts: Option<FediDocument>,
    /// Source of [`FediFacts::title`].
    pub title: Option<FediDocument>,
}

/// What the documents say about the server, each fact optional because any document may be
/// missing or lie about its shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FediFacts {
    /// Software name in lower case (`mastodon`, `pleroma`, `akkoma`, `gotosocial`, …).
    pub software: Option<String>,
    /// The parsed software version.
    pub version: Option<SoftwareVersion>,
    /// Whether sign-ups are open (approval-required counts as open, as in NodeInfo).
    pub open_registrations: Option<bool>,
    /// Local accounts.
    pub users_total: Option<u64>,
    /// Accounts active in the last month.
    pub users_active_month: Option<u64>,
    /// Local posts (statuses).
    pub local_posts: Option<u64>,
    /// The server's display name.
    pub title: Option<String>,
    /// Which document each fact came from.
    pub source: FactSources,
}

/// Support status of a release branch on the day of the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum BranchStatus {
    /// Supported with no announced end.
    Supported,
    /// Supported, with security fixes announced until `until` (ISO date).
    SupportedUntil {
        /// Last day of support.
        until: String,
    },
    /// No more security fixes; `since` is the end date when the data gives or implies one.
    EndOfLife {
        /// End of support (ISO date).
        since: Option<String>,
    },
    /// The branch is not in the release data (a future or never-released branch).
    Unknown,
}

/// One security advisory the running version lacks the fix for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// Advisory id (`GHSA-…` or, for old releases, `CVE-…`).
    pub id: String,
    /// The CVE alias of a GHSA id, when one was assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve: Option<String>,
    /// A third-party (dependency) advisory rather than one of Mastodon's own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub third_party: bool,
    /// The lowest release carrying the fix: on the running branch when it got one, otherwise on
    /// a newer branch (the fix is then inferred to be missing from the running branch).
    pub fixed_in: String,
}

/// How a Mastodon version stands against the release history on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionVerdict {
    /// The running version as reported.
    pub version: String,
    /// Release branch of the running version (`4.3`).
    pub branch: String,
    /// Support status of that branch.
    pub branch_status: BranchStatus,
    /// Latest release on the branch; `None` when the branch has no releases in the data or the
    /// data is known to lack its later releases.
    pub latest_on_branch: Option<String>,
    /// The running version is the latest release of its branch (or newer).
    pub is_latest_on_branch: bool,
    /// Newest release overall.
    pub newest_release: String,
    /// Date of the newest release in the data: facts after it are not known.
    pub release_data_through: String,
    /// True when the data cannot fully judge this version: its branch misses later backport
    /// releases, or the running version is newer than every listed release of its branch.
    pub release_data_incomplete: bool,
    /// Advisories fixed in releases newer than the running one, ordered by `fixed_in`.
    pub advisories_fixed_since: Vec<Advisory>,
    /// Releases on the running branch, newer than it, whose notes have a security section.
    pub security_releases_missed: Vec<String>,
    /// One paragraph for humans.
    pub summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_as_their_display_names() {
        for kind in [
            FediErrorKind::Timeout,
            FediErrorKind::TooLarge,
            FediErrorKind::BadJson,
            FediErrorKind::RedirectLoop,
            FediErrorKind::HttpStatus,
            FediErrorKind::NoNodeinfoLink,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
        let json = serde_json::to_string(&FediDocument::InstanceV2).unwrap();
        assert_eq!(json, "\"instance-v2\"");
    }

    #[test]
    fn branch_status_is_internally_tagged() {
        let s = BranchStatus::SupportedUntil {
            until: "2026-12-17".into(),
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"status":"supported-until","until":"2026-12-17"}"#
        );
        let back: BranchStatus = serde_json::from_str(r#"{"status":"unknown"}"#).unwrap();
        assert_eq!(back, BranchStatus::Unknown);
    }
}
