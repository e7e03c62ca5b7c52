//! The closed lists of result ids, one enum per Observatory test.
//!
//! The strings are the reference's own (MDN HTTP Observatory 1.4.8) so output stays compatible
//! with existing Observatory integrations. Keeping them as enums means the score table in
//! `vigil-grade` is an exhaustive `match`: adding a result without a score does not compile.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! result_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $s:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $variant,)+ }

        impl $name {
            /// Every result of this test, in the reference's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The reference's result string.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s,)+ }
            }

            /// Looks a result string up.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::from_name(&s)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown result {s:?}")))
            }
        }
    };
}

result_enum! {
    /// Results of the `content-security-policy` test.
    CspResult {
        /// A policy with `default-src 'none'` and nothing unsafe.
        ImplementedWithNoUnsafeDefaultSrcNone => "csp-implemented-with-no-unsafe-default-src-none",
        /// A policy with nothing unsafe.
        ImplementedWithNoUnsafe => "csp-implemented-with-no-unsafe",
        /// Only styles allow `'unsafe-inline'`.
        ImplementedWithUnsafeInlineInStyleSrcOnly => "csp-implemented-with-unsafe-inline-in-style-src-only",
        /// Images or media may load over http.
        ImplementedWithInsecureSchemeInPassiveContentOnly => "csp-implemented-with-insecure-scheme-in-passive-content-only",
        /// `'unsafe-eval'` in scripts or styles.
        ImplementedWithUnsafeEval => "csp-implemented-with-unsafe-eval",
        /// Scripts or objects may load from anywhere or inline.
        ImplementedWithUnsafeInline => "csp-implemented-with-unsafe-inline",
        /// Active content may load over http.
        ImplementedWithInsecureScheme => "csp-implemented-with-insecure-scheme",
        /// A passing policy that repeats `report-uri`/`report-to`.
        ImplementedButDuplicateDirectives => "csp-implemented-but-duplicate-directives",
        /// The policy cannot be parsed or is contradictory.
        HeaderInvalid => "csp-header-invalid",
        /// No policy.
        NotImplemented => "csp-not-implemented",
        /// Only a report-only policy.
        NotImplementedButReportingEnabled => "csp-not-implemented-but-reporting-enabled",
    }
}

result_enum! {
    /// Results of the `cookies` test.
    CookiesResult {
        /// All cookies secure, session cookies HttpOnly, all with SameSite.
        SecureWithHttponlySessionsAndSamesite => "cookies-secure-with-httponly-sessions-and-samesite",
        /// All cookies secure, session cookies HttpOnly.
        SecureWithHttponlySessions => "cookies-secure-with-httponly-sessions",
        /// No cookies were set.
        NotFound => "cookies-not-found",
        /// A cookie lacks `Secure`, but HSTS protects it.
        WithoutSecureFlagButProtectedByHsts => "cookies-without-secure-flag-but-protected-by-hsts",
        /// A session cookie lacks `Secure`, but HSTS protects it.
        SessionWithoutSecureFlagButProtectedByHsts => "cookies-session-without-secure-flag-but-protected-by-hsts",
        /// A cookie lacks `Secure`.
        WithoutSecureFlag => "cookies-without-secure-flag",
        /// A SameSite attribute is invalid, or `None` without `Secure`.
        SamesiteFlagInvalid => "cookies-samesite-flag-invalid",
        /// An anti-CSRF cookie has no SameSite.
        AnticsrfWithoutSamesiteFlag => "cookies-anticsrf-without-samesite-flag",
        /// A session cookie lacks `HttpOnly`.
        SessionWithoutHttponlyFlag => "cookies-session-without-httponly-flag",
        /// A session cookie lacks `Secure` and there is no HSTS.
        SessionWithoutSecureFlag => "cookies-session-without-secure-flag",
    }
}

result_enum! {
    /// Results of the `cross-origin-resource-sharing` test.
    CorsResult {
        /// No `Access-Control-Allow-Origin` on the preflight.
        NotImplemented => "cross-origin-resource-sharing-not-implemented",
        /// `Access-Control-Allow-Origin: *`.
        ImplementedWithPublicAccess => "cross-origin-resource-sharing-implemented-with-public-access",
        /// A specific origin is allowed.
        ImplementedWithRestrictedAccess => "cross-origin-resource-sharing-implemented-with-restricted-access",
        /// Any origin is allowed with credentials (unreachable in the reference 1.4.8).
        ImplementedWithUniversalAccess => "cross-origin-resource-sharing-implemented-with-universal-access",
    }
}

result_enum! {
    /// Results of the `redirection` test.
    RedirectionResult {
        /// Every host on the route is HSTS-preloaded.
        AllRedirectsPreloaded => "redirection-all-redirects-preloaded",
        /// http:// redirects to https:// on the same host.
        ToHttps => "redirection-to-https",
        /// Nothing answers on http://.
        NotNeededNoHttp => "redirection-not-needed-no-http",
        /// The first redirect goes to https:// on another host.
        OffHostFromHttp => "redirection-off-host-from-http",
        /// The first redirect stays on http://.
        NotToHttpsOnInitialRedirection => "redirection-not-to-https-on-initial-redirection",
        /// The redirects end on http://.
        NotToHttps => "redirection-not-to-https",
        /// http:// answers without redirecting.
        Missing => "redirection-missing",
        /// The redirect leads to an invalid certificate.
        InvalidCert => "redirection-invalid-cert",
    }
}

result_enum! {
    /// Results of the `referrer-policy` test.
    ReferrerResult {
        /// A policy that does not leak paths cross-origin.
        Private => "referrer-policy-private",
        /// No policy (browsers default to strict-origin-when-cross-origin).
        NotImplemented => "referrer-policy-not-implemented",
        /// A policy that leaks.
        Unsafe => "referrer-policy-unsafe",
        /// No recognised token.
        HeaderInvalid => "referrer-policy-header-invalid",
    }
}

result_enum! {
    /// Results of the `strict-transport-security` test.
    HstsResult {
        /// The host is on the HSTS preload list.
        Preloaded => "hsts-preloaded",
        /// `max-age` of at least six months.
        ImplementedMaxAgeAtLeastSixMonths => "hsts-implemented-max-age-at-least-six-months",
        /// `max-age` under six months.
        ImplementedMaxAgeLessThanSixMonths => "hsts-implemented-max-age-less-than-six-months",
        /// No header on the https:// answer.
        NotImplemented => "hsts-not-implemented",
        /// The header cannot be parsed.
        HeaderInvalid => "hsts-header-invalid",
        /// Nothing answers on https://.
        NotImplementedNoHttps => "hsts-not-implemented-no-https",
        /// The https:// certificate is invalid.
        InvalidCert => "hsts-invalid-cert",
    }
}

result_enum! {
    /// Results of the `subresource-integrity` test.
    SriResult {
        /// Integrity on scripts, all from secure origins.
        ImplementedAndAllScriptsLoadedSecurely => "sri-implemented-and-all-scripts-loaded-securely",
        /// Integrity on external scripts loaded over https.
        ImplementedAndExternalScriptsLoadedSecurely => "sri-implemented-and-external-scripts-loaded-securely",
        /// The answer is not HTML.
        NotImplementedResponseNotHtml => "sri-not-implemented-response-not-html",
        /// No script elements.
        NotImplementedButNoScriptsLoaded => "sri-not-implemented-but-no-scripts-loaded",
        /// Scripts only from the site itself.
        NotImplementedButAllScriptsLoadedFromSecureOrigin => "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        /// External scripts over https without integrity.
        NotImplementedButExternalScriptsLoadedSecurely => "sri-not-implemented-but-external-scripts-loaded-securely",
        /// External scripts with integrity but over http.
        ImplementedButExternalScriptsNotLoadedSecurely => "sri-implemented-but-external-scripts-not-loaded-securely",
        /// External scripts over http without integrity.
        NotImplementedAndExternalScriptsNotLoadedSecurely => "sri-not-implemented-and-external-scripts-not-loaded-securely",
        /// The body could not be turned into a document.
        HtmlNotParseable => "html-not-parseable",
    }
}

result_enum! {
    /// Results of the `x-content-type-options` test.
    XctoResult {
        /// `nosniff`.
        Nosniff => "x-content-type-options-nosniff",
        /// No header.
        NotImplemented => "x-content-type-options-not-implemented",
        /// Any other value.
        HeaderInvalid => "x-content-type-options-header-invalid",
    }
}

result_enum! {
    /// Results of the `x-frame-options` test.
    XfoResult {
        /// CSP `frame-ancestors` is present.
        ImplementedViaCsp => "x-frame-options-implemented-via-csp",
        /// `DENY` or `SAMEORIGIN`.
        SameoriginOrDeny => "x-frame-options-sameorigin-or-deny",
        /// `ALLOW-FROM ...`.
        AllowFromOrigin => "x-frame-options-allow-from-origin",
        /// No header.
        NotImplemented => "x-frame-options-not-implemented",
        /// Any other value.
        HeaderInvalid => "x-frame-options-header-invalid",
    }
}

result_enum! {
    /// Results of the `cross-origin-resource-policy` test.
    CorpResult {
        /// `same-origin`.
        ImplementedWithSameOrigin => "corp-implemented-with-same-origin",
        /// `same-site`.
        ImplementedWithSameSite => "corp-implemented-with-same-site",
        /// `cross-origin`.
        ImplementedWithCrossOrigin => "corp-implemented-with-cross-origin",
        /// No header.
        NotImplemented => "corp-not-implemented",
        /// Any other value.
        HeaderInvalid => "corp-header-invalid",
    }
}

/// The ten Observatory tests, in the reference's output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestId {
    /// `content-security-policy`
    ContentSecurityPolicy,
    /// `cookies`
    Cookies,
    /// `cross-origin-resource-sharing`
    CrossOriginResourceSharing,
    /// `redirection`
    Redirection,
    /// `referrer-policy`
    ReferrerPolicy,
    /// `strict-transport-security`
    StrictTransportSecurity,
    /// `subresource-integrity`
    SubresourceIntegrity,
    /// `x-content-type-options`
    XContentTypeOptions,
    /// `x-frame-options`
    XFrameOptions,
    /// `cross-origin-resource-policy`
    CrossOriginResourcePolicy,
}

impl TestId {
    /// All tests in output order.
    pub const ALL: [TestId; 10] = [
        TestId::ContentSecurityPolicy,
        TestId::Cookies,
        TestId::CrossOriginResourceSharing,
        TestId::Redirection,
        TestId::ReferrerPolicy,
        TestId::StrictTransportSecurity,
        TestId::SubresourceIntegrity,
        TestId::XContentTypeOptions,
        TestId::XFrameOptions,
        TestId::CrossOriginResourcePolicy,
    ];

    /// The stable kebab-case id.
    pub fn as_str(self) -> &'static str {
        match self {
            TestId::ContentSecurityPolicy => "content-security-policy",
            TestId::Cookies => "cookies",
            TestId::CrossOriginResourceSharing => "cross-origin-resource-sharing",
            TestId::Redirection => "redirection",
            TestId::ReferrerPolicy => "referrer-policy",
            TestId::StrictTransportSecurity => "strict-transport-security",
            TestId::SubresourceIntegrity => "subresource-integrity",
            TestId::XContentTypeOptions => "x-content-type-options",
            TestId::XFrameOptions => "x-frame-options",
            TestId::CrossOriginResourcePolicy => "cross-origin-resource-policy",
        }
    }

    /// A title for humans.
    pub fn title(self) -> &'static str {
        match self {
            TestId::ContentSecurityPolicy => "Content Security Policy",
            TestId::Cookies => "Cookies",
            TestId::CrossOriginResourceSharing => "Cross-Origin Resource Sharing",
            TestId::Redirection => "Redirection",
            TestId::ReferrerPolicy => "Referrer Policy",
            TestId::StrictTransportSecurity => "Strict Transport Security",
            TestId::SubresourceIntegrity => "Subresource Integrity",
            TestId::XContentTypeOptions => "X-Content-Type-Options",
            TestId::XFrameOptions => "X-Frame-Options",
            TestId::CrossOriginResourcePolicy => "Cross-Origin Resource Policy",
        }
    }

    /// The expectation string the reference prints for the test (a constant per test).
    pub fn expectation(self) -> &'static str {
        match self {
            TestId::ContentSecurityPolicy => "csp-implemented-with-no-unsafe",
            TestId::Cookies => "cookies-secure-with-httponly-sessions",
            TestId::CrossOriginResourceSharing => "cross-origin-resource-sharing-not-implemented",
            TestId::Redirection => "redirection-to-https",
            TestId::ReferrerPolicy => "referrer-policy-private",
            TestId::StrictTransportSecurity => "hsts-implemented-max-age-at-least-six-months",
            TestId::SubresourceIntegrity => "sri-implemented-and-external-scripts-loaded-securely",
            TestId::XContentTypeOptions => "x-content-type-options-nosniff",
            TestId::XFrameOptions => "x-frame-options-sameorigin-or-deny",
            TestId::CrossOriginResourcePolicy => "corp-implemented-with-same-site",
        }
    }

    /// Every result id this test can return.
    pub fn results(self) -> Vec<AnyResult> {
        match self {
            TestId::ContentSecurityPolicy => {
                CspResult::ALL.iter().map(|r| AnyResult::Csp(*r)).collect()
            }
            TestId::Cookies => CookiesResult::ALL
                .iter()
                .map(|r| AnyResult::Cookies(*r))
                .collect(),
            TestId::CrossOriginResourceSharing => CorsResult::ALL
                .iter()
                .map(|r| AnyResult::Cors(*r))
                .collect(),
            TestId::Redirection => RedirectionResult::ALL
                .iter()
                .map(|r| AnyResult::Redirection(*r))
                .collect(),
            TestId::ReferrerPolicy => ReferrerResult::ALL
                .iter()
                .map(|r| AnyResult::Referrer(*r))
                .collect(),
            TestId::StrictTransportSecurity => HstsResult::ALL
                .iter()
                .map(|r| AnyResult::Hsts(*r))
                .collect(),
            TestId::SubresourceIntegrity => {
                SriResult::ALL.iter().map(|r| AnyResult::Sri(*r)).collect()
            }
            TestId::XContentTypeOptions => XctoResult::ALL
                .iter()
                .map(|r| AnyResult::Xcto(*r))
                .collect(),
            TestId::XFrameOptions => XfoResult::ALL.iter().map(|r| AnyResult::Xfo(*r)).collect(),
            TestId::CrossOriginResourcePolicy => CorpResult::ALL
                .iter()
                .map(|r| AnyResult::Corp(*r))
                .collect(),
        }
    }

    /// Looks a test id up by its kebab-case name.
    pub fn from_name(s: &str) -> Option<TestId> {
        TestId::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A result of any test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnyResult {
    /// content-security-policy
    Csp(CspResult),
    /// cookies
    Cookies(CookiesResult),
    /// cross-origin-resource-sharing
    Cors(CorsResult),
    /// redirection
    Redirection(RedirectionResult),
    /// referrer-policy
    Referrer(ReferrerResult),
    /// strict-transport-security
    Hsts(HstsResult),
    /// subresource-integrity
    Sri(SriResult),
    /// x-content-type-options
    Xcto(XctoResult),
    /// x-frame-options
    Xfo(XfoResult),
    /// cross-origin-resource-policy
    Corp(CorpResult),
}

impl AnyResult {
    /// The test the result belongs to.
    pub fn test(self) -> TestId {
        match self {
            AnyResult::Csp(_) => TestId::ContentSecurityPolicy,
            AnyResult::Cookies(_) => TestId::Cookies,
            AnyResult::Cors(_) => TestId::CrossOriginResourceSharing,
            AnyResult::Redirection(_) => TestId::Redirection,
            AnyResult::Referrer(_) => TestId::ReferrerPolicy,
            AnyResult::Hsts(_) => TestId::StrictTransportSecurity,
            AnyResult::Sri(_) => TestId::SubresourceIntegrity,
            AnyResult::Xcto(_) => TestId::XContentTypeOptions,
            AnyResult::Xfo(_) => TestId::XFrameOptions,
            AnyResult::Corp(_) => TestId::CrossOriginResourcePolicy,
        }
    }

    /// The reference's result string.
    pub fn as_str(self) -> &'static str {
        match self {
            AnyResult::Csp(r) => r.as_str(),
            AnyResult::Cookies(r) => r.as_str(),
            AnyResult::Cors(r) => r.as_str(),
            AnyResult::Redirection(r) => r.as_str(),
            AnyResult::Referrer(r) => r.as_str(),
            AnyResult::Hsts(r) => r.as_str(),
            AnyResult::Sri(r) => r.as_str(),
            AnyResult::Xcto(r) => r.as_str(),
            AnyResult::Xfo(r) => r.as_str(),
            AnyResult::Corp(r) => r.as_str(),
        }
    }

    /// Every result of every test.
    pub fn all() -> Vec<AnyResult> {
        TestId::ALL.into_iter().flat_map(|t| t.results()).collect()
    }

    /// Looks any result string up.
    pub fn from_name(s: &str) -> Option<AnyResult> {
        AnyResult::all().into_iter().find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let all = AnyResult::all();
        assert_eq!(all.len(), 66);
        let mut seen = std::collections::HashSet::new();
        for r in &all {
            assert!(seen.insert(r.as_str()), "duplicate {}", r.as_str());
            assert_eq!(AnyResult::from_name(r.as_str()), Some(*r));
            assert!(r.test().results().contains(r));
        }
    }

    #[test]
    fn expectation_is_a_result_of_its_test() {
        for t in TestId::ALL {
            assert!(
                t.results().iter().any(|r| r.as_str() == t.expectation()),
                "{t:?}"
            );
            assert_eq!(TestId::from_name(t.as_str()), Some(t));
        }
    }
}
