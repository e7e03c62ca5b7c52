//! What newer guidance checks beside the Observatory score (which ignores them): a
//! Permissions-Policy, cross-origin isolation headers (COOP, COEP) and a security.txt. They are
//! reported with advice but never change the Observatory score or grade.

use crate::headers;
use serde::Serialize;
use vigil_model::HttpEvidence;

/// What `/.well-known/security.txt` answered over https.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SecurityTxt {
    pub status: Option<u16>,
    pub content_type: Option<String>,
}

/// One guidance item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuidanceItem {
    /// `permissions-policy`, `cross-origin-opener-policy`, `cross-origin-embedder-policy`,
    /// `security-txt`.
    pub id: &'static str,
    /// The value seen (header value, or the security.txt status).
    pub value: Option<String>,
    /// Meets the guidance.
    pub ok: bool,
    /// What to do when it does not (empty when it does).
    pub advice: &'static str,
}

/// Judges the final response and the security.txt answer (pure).
pub fn guidance(ev: &HttpEvidence, security_txt: Option<&SecurityTxt>) -> Vec<GuidanceItem> {
    let header = |name: &str| ev.final_response().and_then(|r| headers::get(r, name));
    let pp = header("permissions-policy");
    let coop = header("cross-origin-opener-policy");
    let coep = header("cross-origin-embedder-policy");
    let token = |v: &Option<String>| {
        v.as_deref().map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    };
    let coop_ok = matches!(
        token(&coop).as_deref(),
        Some("same-origin" | "same-origin-allow-popups" | "noopener-allow-popups")
    );
    let coep_ok = matches!(
        token(&coep).as_deref(),
        Some("require-corp" | "credentialless")
    );
    let txt_ok = security_txt.is_some_and(|t| {
        t.status == Some(200)
            && t.content_type
                .as_deref()
                .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/plain"))
    });
    let advise = |ok: bool, text: &'static str| if ok { "" } else { text };
    vec![
        GuidanceItem {
            id: "permissions-policy",
            ok: pp.is_some(),
            advice: advise(
                pp.is_some(),
                "Send a Permissions-Policy that turns off the browser features the site does not use, e.g. Permissions-Policy: camera=(), microphone=(), geolocation=(), interest-cohort=()",
            ),
            value: pp,
        },
        GuidanceItem {
            id: "cross-origin-opener-policy",
            ok: coop_ok,
            advice: advise(
                coop_ok,
                "Send Cross-Origin-Opener-Policy: same-origin (or same-origin-allow-popups if OAuth pop-ups must talk back) so other sites' windows cannot reach yours.",
            ),
            value: coop,
        },
        GuidanceItem {
            id: "cross-origin-embedder-policy",
            ok: coep_ok,
            advice: advise(
                coep_ok,
                "Optional: Cross-Origin-Embedder-Policy: credentialless isolates the page; on Mastodon it can block remote media that lacks CORP, so test before enabling.",
            ),
            value: coep,
        },
        GuidanceItem {
            id: "security-txt",
            ok: txt_ok,
            advice: advise(
                txt_ok,
                "Publish /.well-known/security.txt (text/plain, RFC 9116) with at least Contact: and Expires: lines, so researchers know where to report.",
            ),
            value: security_txt.and_then(|t| t.status).map(|s| s.to_string()),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    #[test]
    fn a_benign_site_has_no_guidance_headers() {
        let ev = testkit::benign();
        let g = guidance(&ev, None);
        assert_eq!(g.len(), 4);
        assert!(g.iter().all(|i| !i.ok && !i.advice.is_empty()));
    }

    #[test]
    fn headers_and_security_txt_meet_the_guidance() {
        let mut ev = testkit::benign();
        testkit::header(&mut ev, "permissions-policy", Some("camera=()"));
        testkit::header(
            &mut ev,
            "cross-origin-opener-policy",
            Some("same-origin; report-to=\"x\""),
        );
        testkit::header(
            &mut ev,
            "cross-origin-embedder-policy",
            Some("require-corp"),
        );
        let txt = SecurityTxt {
            status: Some(200),
            content_type: Some("text/plain; charset=utf-8".into()),
        };
        let g = guidance(&ev, Some(&txt));
        assert!(g.iter().all(|i| i.ok && i.advice.is_empty()), "{g:?}");
        let html = SecurityTxt {
            status: Some(200),
            content_type: Some("text/html".into()),
        };
        assert!(!guidance(&ev, Some(&html))[3].ok);
        testkit::header(&mut ev, "cross-origin-opener-policy", Some("unsafe-none"));
        assert!(!guidance(&ev, None)[1].ok);
    }
}
