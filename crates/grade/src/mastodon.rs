//! Notes for Mastodon admins: which of the failing tests Mastodon itself controls, and what to
//! change in `.env.production` or the shipped nginx configuration rather than adding headers
//! blindly (a second Content-Security-Policy header, say, makes things stricter, not looser).

use vigil_model::{AnyResult, TestId};

/// The Mastodon-specific note for a test that loses points, if there is one.
pub fn note(result: AnyResult) -> Option<&'static str> {
    if crate::score(result).modifier >= crate::max_modifier(result.test()) {
        return None;
    }
    Some(match result.test() {
        TestId::ContentSecurityPolicy => {
            "Mastodon sends its own Content-Security-Policy (config/initializers/content_security_policy.rb). Do not add a second one in nginx: browsers enforce both. If media or assets live on another host, set S3_ALIAS_HOST or CDN_HOST in .env.production so Mastodon's policy names it, and check that the proxy does not strip the header (no proxy_hide_header Content-Security-Policy)."
        }
        TestId::Cookies => {
            "Mastodon marks its session cookie Secure, HttpOnly and SameSite=Lax when it knows it runs behind HTTPS: keep LOCAL_HTTPS=true (the default) in .env.production and pass X-Forwarded-Proto from the proxy (proxy_set_header X-Forwarded-Proto $scheme)."
        }
        TestId::StrictTransportSecurity => {
            "Mastodon's shipped dist/nginx.conf sends Strict-Transport-Security; if it is missing, the server block in use is not the shipped one. Rails also sends it when LOCAL_HTTPS=true."
        }
        TestId::Redirection => {
            "Mastodon's dist/nginx.conf has a port-80 server that answers every request with 301 to https://; enable it (and its IPv6 listen line)."
        }
        TestId::XFrameOptions | TestId::XContentTypeOptions | TestId::ReferrerPolicy => {
            "Mastodon (Rails) sends X-Frame-Options, X-Content-Type-Options and Referrer-Policy itself; when they are missing, something between Mastodon and the visitor removes them (a CDN, or proxy_hide_header in nginx)."
        }
        TestId::SubresourceIntegrity => {
            "Mastodon serves its scripts from its own origin; with CDN_HOST set, they come from the CDN host and need integrity attributes, which Mastodon's asset tags add in production builds."
        }
        TestId::CrossOriginResourceSharing => {
            "Mastodon's API answers with Access-Control-Allow-Origin: * on purpose (public API for apps); only a policy on other paths that reflects arbitrary origins with credentials is a problem."
        }
        TestId::CrossOriginResourcePolicy => {
            "Mastodon does not send Cross-Origin-Resource-Policy; add it in nginx for the HTML and API locations. Keep media (/system/) readable by other sites, or remote instances and apps cannot embed it."
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_losing_result_has_a_mastodon_note_and_full_marks_have_none() {
        for test in TestId::ALL {
            for r in test.results() {
                let losing = crate::score(r).modifier < crate::max_modifier(test);
                assert_eq!(note(r).is_some(), losing, "{r:?}");
            }
        }
    }
}
