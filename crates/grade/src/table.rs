//! The score table: every result id's modifier and pass value (spec §5).
//!
//! Written as one exhaustive `match` so a result added to the model without a score is a compile
//! error; `tests/coverage.rs` checks the table against the reference's list of result strings.

use vigil_model::AnyResult;
use vigil_model::results::*;

/// A result's score modifier and whether the test passes with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    /// Points added to (or taken from) the base score of 100.
    pub modifier: i32,
    /// Whether the test counts as passed.
    pub pass: bool,
}

const fn s(modifier: i32, pass: bool) -> Score {
    Score { modifier, pass }
}

/// Looks a result up in the score table.
pub fn score(result: AnyResult) -> Score {
    match result {
        AnyResult::Csp(r) => match r {
            CspResult::ImplementedWithNoUnsafeDefaultSrcNone => s(10, true),
            CspResult::ImplementedWithNoUnsafe => s(5, true),
            CspResult::ImplementedWithUnsafeInlineInStyleSrcOnly => s(0, true),
            CspResult::ImplementedWithInsecureSchemeInPassiveContentOnly => s(-10, true),
            CspResult::ImplementedButDuplicateDirectives => s(0, true),
            CspResult::ImplementedWithUnsafeEval => s(-10, false),
            CspResult::ImplementedWithUnsafeInline => s(-20, false),
            CspResult::ImplementedWithInsecureScheme => s(-20, false),
            CspResult::HeaderInvalid => s(-25, false),
            CspResult::NotImplemented => s(-25, false),
            CspResult::NotImplementedButReportingEnabled => s(-25, false),
        },
        AnyResult::Cookies(r) => match r {
            CookiesResult::SecureWithHttponlySessionsAndSamesite => s(5, true),
            CookiesResult::SecureWithHttponlySessions => s(0, true),
            CookiesResult::NotFound => s(0, true),
            CookiesResult::WithoutSecureFlagButProtectedByHsts => s(-5, false),
            CookiesResult::SessionWithoutSecureFlagButProtectedByHsts => s(-10, false),
            CookiesResult::WithoutSecureFlag => s(-20, false),
            CookiesResult::SamesiteFlagInvalid => s(-20, false),
            CookiesResult::AnticsrfWithoutSamesiteFlag => s(-20, false),
            CookiesResult::SessionWithoutHttponlyFlag => s(-30, false),
            CookiesResult::SessionWithoutSecureFlag => s(-40, false),
        },
        AnyResult::Cors(r) => match r {
            CorsResult::NotImplemented => s(0, true),
            CorsResult::ImplementedWithPublicAccess => s(0, true),
            CorsResult::ImplementedWithRestrictedAccess => s(0, true),
            CorsResult::ImplementedWithUniversalAccess => s(-50, false),
        },
        AnyResult::Redirection(r) => match r {
            RedirectionResult::AllRedirectsPreloaded => s(0, true),
            RedirectionResult::ToHttps => s(0, true),
            RedirectionResult::NotNeededNoHttp => s(0, true),
            RedirectionResult::OffHostFromHttp => s(-5, false),
            RedirectionResult::NotToHttpsOnInitialRedirection => s(-10, false),
            RedirectionResult::NotToHttps => s(-20, false),
            RedirectionResult::Missing => s(-20, false),
            RedirectionResult::InvalidCert => s(-20, false),
        },
        AnyResult::Referrer(r) => match r {
            ReferrerResult::Private => s(5, true),
            ReferrerResult::NotImplemented => s(0, true),
            ReferrerResult::Unsafe => s(-5, false),
            ReferrerResult::HeaderInvalid => s(-5, false),
        },
        AnyResult::Hsts(r) => match r {
            HstsResult::Preloaded => s(5, true),
            HstsResult::ImplementedMaxAgeAtLeastSixMonths => s(0, true),
            HstsResult::ImplementedMaxAgeLessThanSixMonths => s(-10, false),
            HstsResult::NotImplemented => s(-20, false),
            HstsResult::HeaderInvalid => s(-20, false),
            HstsResult::NotImplementedNoHttps => s(-20, false),
            HstsResult::InvalidCert => s(-20, false),
        },
        AnyResult::Sri(r) => match r {
            SriResult::ImplementedAndAllScriptsLoadedSecurely => s(5, true),
            SriResult::ImplementedAndExternalScriptsLoadedSecurely => s(5, true),
            SriResult::NotImplementedResponseNotHtml => s(0, true),
            SriResult::NotImplementedButNoScriptsLoaded => s(0, true),
            SriResult::NotImplementedButAllScriptsLoadedFromSecureOrigin => s(0, true),
            SriResult::NotImplementedButExternalScriptsLoadedSecurely => s(-5, false),
            SriResult::ImplementedButExternalScriptsNotLoadedSecurely => s(-20, false),
            SriResult::NotImplementedAndExternalScriptsNotLoadedSecurely => s(-50, false),
            SriResult::HtmlNotParseable => s(-20, false),
        },
        AnyResult::Xcto(r) => match r {
            XctoResult::Nosniff => s(0, true),
            XctoResult::NotImplemented => s(-5, false),
            XctoResult::HeaderInvalid => s(-5, false),
        },
        AnyResult::Xfo(r) => match r {
            XfoResult::ImplementedViaCsp => s(5, true),
            XfoResult::SameoriginOrDeny => s(0, true),
            XfoResult::AllowFromOrigin => s(0, true),
            XfoResult::NotImplemented => s(-20, false),
            XfoResult::HeaderInvalid => s(-20, false),
        },
        AnyResult::Corp(r) => match r {
            CorpResult::ImplementedWithSameOrigin => s(10, true),
            CorpResult::ImplementedWithSameSite => s(10, true),
            CorpResult::ImplementedWithCrossOrigin => s(0, true),
            CorpResult::NotImplemented => s(0, true),
            CorpResult::HeaderInvalid => s(-5, false),
        },
    }
}
