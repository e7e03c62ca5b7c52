//! What to change for every result that does not earn a test's full marks, with an nginx
//! snippet (nginx fronts most Mastodon instances). Text only: the grade never depends on it.

use crate::table::score;
use vigil_model::results::*;
use vigil_model::{AnyResult, TestId};

/// One piece of advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advice {
    /// One line: what to change.
    pub fix: &'static str,
    /// An nginx configuration snippet that implements it (server block, https side).
    pub nginx: &'static str,
}

/// The best modifier a test can earn.
pub fn max_modifier(test: TestId) -> i32 {
    test.results()
        .into_iter()
        .map(|r| score(r).modifier)
        .max()
        .unwrap_or(0)
}

const CSP_NGINX: &str = "add_header Content-Security-Policy \"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data: blob:; media-src 'self' https: data:; font-src 'self'; connect-src 'self' wss://$host; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'\" always;";
const HSTS_NGINX: &str =
    "add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains\" always;";
const REDIRECT_NGINX: &str = "server { listen 80; listen [::]:80; server_name example.social; return 301 https://$host$request_uri; }";
const COOKIE_NGINX: &str = "proxy_cookie_flags ~ secure httponly samesite=lax;";

/// Advice for a result, or `None` when the result already earns the test's full marks.
pub fn advice(result: AnyResult) -> Option<Advice> {
    if score(result).modifier >= max_modifier(result.test()) {
        return None;
    }
    let a = |fix, nginx| Some(Advice { fix, nginx });
    match result {
        AnyResult::Csp(r) => match r {
            CspResult::ImplementedWithNoUnsafe => a(
                "Add default-src 'none' and allow each resource type explicitly for the +10 bonus.",
                CSP_NGINX,
            ),
            CspResult::ImplementedWithUnsafeInlineInStyleSrcOnly => a(
                "Remove 'unsafe-inline' (and data:, broad sources) from style-src; use hashes or nonces for inline styles.",
                CSP_NGINX,
            ),
            CspResult::ImplementedWithInsecureSchemeInPassiveContentOnly => a(
                "Remove http: sources from img-src and media-src; load images and media over https.",
                CSP_NGINX,
            ),
            CspResult::ImplementedButDuplicateDirectives => a(
                "Send report-uri / report-to only once in the policy.",
                CSP_NGINX,
            ),
            CspResult::ImplementedWithUnsafeEval => a(
                "Remove 'unsafe-eval' from script-src and style-src.",
                CSP_NGINX,
            ),
            CspResult::ImplementedWithUnsafeInline => a(
                "Remove 'unsafe-inline', data: and broad sources (*, https:) from script-src and object-src; use nonces or hashes.",
                CSP_NGINX,
            ),
            CspResult::ImplementedWithInsecureScheme => a(
                "Remove http: and ftp: sources from the policy; load active content over https only.",
                CSP_NGINX,
            ),
            CspResult::HeaderInvalid => a(
                "Fix the policy: no repeated directives, 'strict-dynamic' only with a nonce or hash, and one Content-Security-Policy header (header and <meta> policies must both parse).",
                CSP_NGINX,
            ),
            CspResult::NotImplemented => a(
                "Send a Content-Security-Policy header (Mastodon sets one itself; make sure your proxy does not drop it).",
                CSP_NGINX,
            ),
            CspResult::NotImplementedButReportingEnabled => a(
                "Enforce the policy: send Content-Security-Policy, not only Content-Security-Policy-Report-Only.",
                CSP_NGINX,
            ),
            CspResult::ImplementedWithNoUnsafeDefaultSrcNone => None,
        },
        AnyResult::Cookies(r) => match r {
            CookiesResult::SecureWithHttponlySessions => a(
                "Add SameSite=Lax (or Strict) to every cookie for the +5 bonus.",
                COOKIE_NGINX,
            ),
            CookiesResult::WithoutSecureFlagButProtectedByHsts
            | CookiesResult::WithoutSecureFlag
            | CookiesResult::SessionWithoutSecureFlagButProtectedByHsts
            | CookiesResult::SessionWithoutSecureFlag => a(
                "Set the Secure flag on every cookie (for Mastodon behind a proxy, keep LOCAL_HTTPS=true / X-Forwarded-Proto https).",
                COOKIE_NGINX,
            ),
            CookiesResult::SamesiteFlagInvalid => a(
                "Use SameSite=Strict, Lax or None, and only use None together with Secure.",
                COOKIE_NGINX,
            ),
            CookiesResult::AnticsrfWithoutSamesiteFlag => a(
                "Give the anti-CSRF cookie a SameSite attribute.",
                COOKIE_NGINX,
            ),
            CookiesResult::SessionWithoutHttponlyFlag => a(
                "Set HttpOnly on session cookies so scripts cannot read them.",
                COOKIE_NGINX,
            ),
            _ => None,
        },
        AnyResult::Cors(_) => a(
            "Do not allow arbitrary origins with credentials; allow only the origins that need access.",
            "add_header Access-Control-Allow-Origin \"https://app.example\" always;",
        ),
        AnyResult::Redirection(r) => match r {
            RedirectionResult::OffHostFromHttp => a(
                "Redirect http://host/ to https://host/ first (same host), then to other hosts.",
                REDIRECT_NGINX,
            ),
            RedirectionResult::NotToHttpsOnInitialRedirection => a(
                "Make the first redirect go straight to https:// on the same host.",
                REDIRECT_NGINX,
            ),
            RedirectionResult::NotToHttps | RedirectionResult::Missing => a(
                "Redirect every http:// request to https:// on the same host.",
                REDIRECT_NGINX,
            ),
            RedirectionResult::InvalidCert => a(
                "Serve a certificate that browsers trust for this name (e.g. from Let's Encrypt), with the full chain.",
                "ssl_certificate /etc/letsencrypt/live/example.social/fullchain.pem;",
            ),
            _ => None,
        },
        AnyResult::Referrer(_) => a(
            "Send Referrer-Policy: same-origin (or no-referrer, strict-origin, strict-origin-when-cross-origin).",
            "add_header Referrer-Policy \"same-origin\" always;",
        ),
        AnyResult::Hsts(r) => match r {
            HstsResult::ImplementedMaxAgeAtLeastSixMonths => a(
                "Submit the domain to the HSTS preload list (hstspreload.org) for the +5 bonus; it needs includeSubDomains and preload.",
                "add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains; preload\" always;",
            ),
            HstsResult::InvalidCert => a(
                "Serve a certificate that browsers trust for this name, with the full chain.",
                "ssl_certificate /etc/letsencrypt/live/example.social/fullchain.pem;",
            ),
            HstsResult::NotImplementedNoHttps => {
                a("Serve the site over https.", "listen 443 ssl; http2 on;")
            }
            _ => a(
                "Send Strict-Transport-Security with max-age of at least 15552000 (six months), once, on the https answer.",
                HSTS_NGINX,
            ),
        },
        AnyResult::Sri(r) => match r {
            SriResult::NotImplementedButAllScriptsLoadedFromSecureOrigin
            | SriResult::NotImplementedButNoScriptsLoaded
            | SriResult::NotImplementedResponseNotHtml => None,
            SriResult::HtmlNotParseable => a(
                "Serve the front page as HTML, not as a JSON object.",
                "default_type text/html;",
            ),
            _ => a(
                "Load third-party scripts over https with an integrity=\"sha384-…\" attribute, or host them yourself.",
                "# in HTML: <script src=\"https://cdn.example/lib.js\" integrity=\"sha384-…\" crossorigin=\"anonymous\"></script>",
            ),
        },
        AnyResult::Xcto(_) => a(
            "Send X-Content-Type-Options: nosniff (once).",
            "add_header X-Content-Type-Options \"nosniff\" always;",
        ),
        AnyResult::Xfo(_) => a(
            "Add frame-ancestors 'none' to the CSP (+5), or send X-Frame-Options: DENY.",
            "add_header X-Frame-Options \"DENY\" always;",
        ),
        AnyResult::Corp(_) => a(
            "Send Cross-Origin-Resource-Policy: same-origin (or same-site) for +10.",
            "add_header Cross-Origin-Resource-Policy \"same-origin\" always;",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_non_maximal_result_has_advice_and_maximal_ones_have_none() {
        for r in AnyResult::all() {
            let maximal = score(r).modifier >= max_modifier(r.test());
            let neutral = matches!(
                r,
                AnyResult::Sri(
                    SriResult::NotImplementedButAllScriptsLoadedFromSecureOrigin
                        | SriResult::NotImplementedButNoScriptsLoaded
                        | SriResult::NotImplementedResponseNotHtml
                ) | AnyResult::Cookies(CookiesResult::NotFound)
            );
            assert_eq!(advice(r).is_none(), maximal || neutral, "{}", r.as_str());
        }
    }
}

/// The same change for the other servers admins run in front of Mastodon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherServers {
    pub apache: String,
    pub caddy: String,
    pub haproxy: String,
}

/// Translates one of the nginx snippets above for Apache, Caddy and HAProxy. Header snippets
/// (`add_header NAME "VALUE" always;`) translate mechanically; the few others by hand.
pub fn other_servers(nginx: &str) -> OtherServers {
    let o = |apache: &str, caddy: &str, haproxy: &str| OtherServers {
        apache: apache.to_string(),
        caddy: caddy.to_string(),
        haproxy: haproxy.to_string(),
    };
    if let Some(rest) = nginx.strip_prefix("add_header ")
        && let Some((name, value)) = rest.split_once(' ')
    {
        let value = value
            .trim_end_matches(';')
            .trim_end_matches(" always")
            .trim();
        return OtherServers {
            apache: format!("Header always set {name} {value}"),
            caddy: format!("header {name} {value}"),
            haproxy: format!("http-response set-header {name} {value}"),
        };
    }
    match nginx {
        REDIRECT_NGINX => o(
            "<VirtualHost *:80>\n  ServerName example.social\n  Redirect permanent / https://example.social/\n</VirtualHost>",
            "# Caddy redirects http:// to https:// by itself for every site it serves",
            "http-request redirect scheme https code 301 unless { ssl_fc }",
        ),
        COOKIE_NGINX => o(
            "Header always edit Set-Cookie \"^(.*)$\" \"$1; Secure; HttpOnly; SameSite=Lax\"",
            "header >Set-Cookie \"(.*)\" \"$1; Secure; HttpOnly; SameSite=Lax\"",
            "http-response replace-header Set-Cookie (.*) \"\\1; Secure; HttpOnly; SameSite=Lax\"",
        ),
        "default_type text/html;" => o(
            "AddType text/html .html",
            "header Content-Type text/html",
            "http-response set-header Content-Type text/html",
        ),
        "listen 443 ssl; http2 on;" => o(
            "Listen 443\n<VirtualHost *:443>\n  SSLEngine on\n  Protocols h2 http/1.1\n</VirtualHost>",
            "# Caddy serves https with HTTP/2 for every site name it is given",
            "bind :443 ssl crt /etc/haproxy/example.social.pem alpn h2,http/1.1",
        ),
        "ssl_certificate /etc/letsencrypt/live/example.social/fullchain.pem;" => o(
            "SSLCertificateFile /etc/letsencrypt/live/example.social/fullchain.pem",
            "# Caddy obtains and serves a trusted certificate by itself",
            "bind :443 ssl crt /etc/haproxy/example.social.pem  # full chain and key in one file",
        ),
        other => o(other, other, other),
    }
}

#[cfg(test)]
mod other_server_tests {
    use super::*;

    #[test]
    fn header_snippets_translate() {
        let o = other_servers("add_header X-Frame-Options \"DENY\" always;");
        assert_eq!(o.apache, "Header always set X-Frame-Options \"DENY\"");
        assert_eq!(o.caddy, "header X-Frame-Options \"DENY\"");
        assert_eq!(
            o.haproxy,
            "http-response set-header X-Frame-Options \"DENY\""
        );
        let csp = other_servers(CSP_NGINX);
        assert!(
            csp.apache
                .starts_with("Header always set Content-Security-Policy \"default-src 'none';")
        );
        assert!(csp.apache.ends_with("form-action 'self'\""));
    }

    #[test]
    fn every_advice_has_a_translation_that_is_not_nginx() {
        for test in TestId::ALL {
            for r in test.results() {
                if let Some(a) = advice(r) {
                    let o = other_servers(a.nginx);
                    for s in [&o.apache, &o.caddy, &o.haproxy] {
                        let nginx_only = [
                            "add_header",
                            "ssl_certificate ",
                            "proxy_cookie",
                            "default_type",
                            "listen 443",
                        ]
                        .iter()
                        .any(|k| s.contains(k));
                        assert!(!nginx_only, "{r:?}: {s}");
                    }
                }
            }
        }
    }
}
