//! CAA verdict (RFC 8659): which CAs the relevant CAA set allows, and whether the certificate's
//! issuer is among them. Pure: reads [`DnsEvidence`], no I/O.
//!
//! A certificate names its issuer by a distinguished name, CAA by a domain the CA chose, so the
//! link between them is a table ([`ISSUER_CAA_DOMAINS`]) of well-known CAs. An issuer the table
//! does not know is reported as unknown (`None`), never guessed.

use vigil_model::dns::{CaaVerdict, DnsEvidence};

/// Substrings of a certificate issuer's organisation or DN (matched lowercase) and the CAA
/// `issue` domains that CA operator accepts, from each CA's published CAA documentation.
/// Order matters: the first matching entry wins, so specific names precede generic ones.
///
/// | issuer contains | CAA domains |
/// |---|---|
/// | let's encrypt, isrg | letsencrypt.org |
/// | google trust services, (cn) gts | pki.goog |
/// | zerossl | sectigo.com, zerossl.com |
/// | sectigo, comodo, usertrust | sectigo.com, comodoca.com, comodo.com, usertrust.com |
/// | digicert, geotrust, rapidssl, thawte, symantec, cloudflare (DigiCert-operated CAs) | digicert.com, … |
/// | globalsign | globalsign.com |
/// | amazon | amazon.com, amazontrust.com, awstrust.com, amazonaws.com |
/// | ssl corporation, ssl.com | ssl.com |
/// | buypass | buypass.com, buypass.no |
/// | entrust | entrust.net |
/// | microsoft | microsoft.com |
/// | godaddy, starfield | godaddy.com, starfieldtech.com |
/// | certum, asseco, unizeto | certum.pl, certum.eu |
/// | harica, hellenic academic | harica.gr |
/// | actalis | actalis.it |
/// | telia | telia.com, teliasonera.com |
/// | swisssign | swisssign.com |
pub const ISSUER_CAA_DOMAINS: &[(&[&str], &[&str])] = &[
    (
        &["let's encrypt", "lets encrypt", "isrg"],
        &["letsencrypt.org"],
    ),
    (&["google trust services", "cn=gts "], &["pki.goog"]),
    (&["zerossl"], &["sectigo.com", "zerossl.com"]),
    (
        &["sectigo", "comodo", "usertrust"],
        &["sectigo.com", "comodoca.com", "comodo.com", "usertrust.com"],
    ),
    (
        &[
            "digicert",
            "geotrust",
            "rapidssl",
            "thawte",
            "symantec",
            "cloudflare",
        ],
        &[
            "digicert.com",
            "www.digicert.com",
            "digicert.ne.jp",
            "geotrust.com",
            "rapidssl.com",
            "thawte.com",
            "symantec.com",
        ],
    ),
    (&["globalsign"], &["globalsign.com"]),
    (
        &["amazon"],
        &[
            "amazon.com",
            "amazontrust.com",
            "awstrust.com",
            "amazonaws.com",
        ],
    ),
    (&["ssl corporation", "ssl.com"], &["ssl.com"]),
    (&["buypass"], &["buypass.com", "buypass.no"]),
    (&["entrust"], &["entrust.net"]),
    (&["microsoft"], &["microsoft.com"]),
    (
        &["godaddy", "starfield"],
        &["godaddy.com", "starfieldtech.com"],
    ),
    (
        &["certum", "asseco", "unizeto"],
        &["certum.pl", "certum.eu"],
    ),
    (&["harica", "hellenic academic"], &["harica.gr"]),
    (&["actalis"], &["actalis.it"]),
    (&["telia"], &["telia.com", "teliasonera.com"]),
    (&["swisssign"], &["swisssign.com"]),
];

/// CAA tags a CA is expected to understand (RFC 8659, RFC 8657, RFC 9495, BR 3.2.2.8), for the
/// Issuer Critical rule: an unknown tag with flag 128 forbids issuance by everyone.
const KNOWN_TAGS: &[&str] = &[
    "issue",
    "issuewild",
    "iodef",
    "issuemail",
    "issuevmc",
    "contactemail",
    "contactphone",
];

/// The CAA domains that stand for a certificate issuer (its organisation or whole DN), by
/// [`ISSUER_CAA_DOMAINS`]; a bare domain (`letsencrypt.org`) stands for itself. Empty when the
/// issuer is unknown.
pub fn caa_domains_for_issuer(issuer: &str) -> Vec<String> {
    let lower = format!("{} ", issuer.trim().to_ascii_lowercase());
    for (needles, domains) in ISSUER_CAA_DOMAINS {
        if needles.iter().any(|n| lower.contains(n)) {
            return domains.iter().map(|d| (*d).to_string()).collect();
        }
    }
    let bare = lower.trim().trim_end_matches('.');
    if !bare.is_empty()
        && bare.contains('.')
        && bare
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return vec![bare.to_string()];
    }
    Vec::new()
}

/// The issuer domain of an `issue` value (`letsencrypt.org; accounturi=…` → `letsencrypt.org`),
/// lowercase; `None` for an empty value (`;`), which allows no CA.
fn issue_domain(value: &str) -> Option<String> {
    let domain = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

/// Judges the relevant CAA set of `ev` for a certificate whose issuer organisation (or DN) is
/// `issuer_organisation_or_dn`.
///
/// `issuers` lists the domains of the `issue` properties. `issuer_allowed` is `Some(true)` when
/// there is no set or the set has no `issue` property (any CA may issue), `Some(false)` when a
/// critical unknown tag forbids everyone or the mapped CA is not listed, `None` when no issuer is
/// given or it cannot be mapped ([`caa_domains_for_issuer`]). Only `issue` counts: `issuewild`
/// concerns wildcard certificates, which would need the certificate's names.
pub fn caa_verdict(ev: &DnsEvidence, issuer_organisation_or_dn: Option<&str>) -> CaaVerdict {
    let present = !ev.caa.is_empty();
    let mut issuers: Vec<String> = Vec::new();
    let mut has_issue = false;
    let mut critical_unknown = false;
    for rec in &ev.caa {
        let tag = rec.tag.to_ascii_lowercase();
        if tag == "issue" {
            has_issue = true;
            if let Some(d) = issue_domain(&rec.value)
                && !issuers.contains(&d)
            {
                issuers.push(d);
            }
        } else if rec.flags & 0x80 != 0 && !KNOWN_TAGS.contains(&tag.as_str()) {
            critical_unknown = true;
        }
    }
    let issuer_allowed = issuer_organisation_or_dn.and_then(|issuer| {
        if critical_unknown {
            return Some(false);
        }
        if !has_issue {
            return Some(true);
        }
        let domains = caa_domains_for_issuer(issuer);
        if domains.is_empty() {
            return None;
        }
        Some(domains.iter().any(|d| issuers.contains(d)))
    });
    CaaVerdict {
        present,
        issuers,
        issuer_allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::dns::{CaaRecord, DnssecStatus};

    fn ev(records: &[(u8, &str, &str)]) -> DnsEvidence {
        DnsEvidence {
            host: "example.test".into(),
            resolver: "127.0.0.1:53535".into(),
            a: vec![],
            aaaa: vec![],
            caa: records
                .iter()
                .map(|(flags, tag, value)| CaaRecord {
                    flags: *flags,
                    tag: (*tag).into(),
                    value: (*value).into(),
                })
                .collect(),
            caa_owner: None,
            tlsa: vec![],
            dnssec: DnssecStatus::Secure,
            errors: vec![],
            elapsed_ms: 0,
        }
    }

    const LE_DN: &str = "C=US, O=Let's Encrypt, CN=R11";

    #[test]
    fn maps_common_issuers() {
        assert_eq!(caa_domains_for_issuer("Let's Encrypt"), ["letsencrypt.org"]);
        assert_eq!(caa_domains_for_issuer(LE_DN), ["letsencrypt.org"]);
        assert_eq!(
            caa_domains_for_issuer("C=US, O=Google Trust Services, CN=WE1"),
            ["pki.goog"]
        );
        assert_eq!(caa_domains_for_issuer("DigiCert Inc")[0], "digicert.com");
        assert_eq!(caa_domains_for_issuer("ZeroSSL")[0], "sectigo.com");
        assert_eq!(
            caa_domains_for_issuer("letsencrypt.org"),
            ["letsencrypt.org"]
        );
        assert!(caa_domains_for_issuer("Some Private CA").is_empty());
        assert!(caa_domains_for_issuer("").is_empty());
    }

    #[test]
    fn no_caa_allows_everyone() {
        let v = caa_verdict(&ev(&[]), Some(LE_DN));
        assert!(!v.present);
        assert!(v.issuers.is_empty());
        assert_eq!(v.issuer_allowed, Some(true));
        assert_eq!(caa_verdict(&ev(&[]), None).issuer_allowed, None);
    }

    #[test]
    fn listed_issuer_is_allowed_and_others_are_not() {
        let e = ev(&[
            (0, "issue", "letsencrypt.org"),
            (0, "issue", "pki.goog; cansignhttpexchanges=yes"),
            (0, "issue", "LetsEncrypt.org."),
            (0, "iodef", "mailto:security@example.test"),
        ]);
        let v = caa_verdict(&e, Some(LE_DN));
        assert!(v.present);
        assert_eq!(v.issuers, ["letsencrypt.org", "pki.goog"]);
        assert_eq!(v.issuer_allowed, Some(true));
        assert_eq!(
            caa_verdict(&e, Some("O=DigiCert Inc")).issuer_allowed,
            Some(false)
        );
        assert_eq!(caa_verdict(&e, Some("O=Unknown CA")).issuer_allowed, None);
    }

    #[test]
    fn empty_issue_forbids_everyone() {
        let v = caa_verdict(&ev(&[(0, "issue", ";")]), Some(LE_DN));
        assert!(v.present);
        assert!(v.issuers.is_empty());
        assert_eq!(v.issuer_allowed, Some(false));
    }

    #[test]
    fn only_iodef_or_issuewild_restricts_nothing_for_plain_names() {
        let e = ev(&[
            (0, "iodef", "mailto:a@b.test"),
            (0, "issuewild", "pki.goog"),
        ]);
        let v = caa_verdict(&e, Some(LE_DN));
        assert!(v.present);
        assert!(v.issuers.is_empty());
        assert_eq!(v.issuer_allowed, Some(true));
    }

    #[test]
    fn critical_unknown_tag_forbids_everyone() {
        let e = ev(&[(0, "issue", "letsencrypt.org"), (128, "futuretag", "x")]);
        assert_eq!(caa_verdict(&e, Some(LE_DN)).issuer_allowed, Some(false));
        let e = ev(&[(0, "issue", "letsencrypt.org"), (0, "futuretag", "x")]);
        assert_eq!(caa_verdict(&e, Some(LE_DN)).issuer_allowed, Some(true));
    }
}
