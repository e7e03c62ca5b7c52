//! Legacy `cookies`.
//!
//! It reads the chosen session's Python cookie jar after every legacy request, robots.txt and
//! the other extra files included (the current test counts only the session's own chain), so
//! expired cookies are gone, cookie prefixes are not enforced and `Domain` is checked the
//! Python way. `HttpOnly` and `SameSite` come from the jar's non-standard attributes; an
//! unrecognised `SameSite` value proposes `samesite-flag-invalid` even without the raw header
//! check of the current test. `__cfduid` and `heroku-session-affinity` are ignored, but only
//! after the emptiness check, so a jar holding only those gives the `-and-samesite` bonus.

use super::{LegacyOutcome, LegacyTest, Reqs, py, worse};

/// Worst last.
const ORDER: [&str; 7] = [
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
];

const IGNORED: [&str; 2] = ["__cfduid", "heroku-session-affinity"];

/// The test; `hsts` is the legacy HSTS test's pass value.
pub fn check(r: &Reqs<'_>, hsts: bool) -> LegacyOutcome {
    let done = |result: &'static str| {
        let pass = matches!(
            result,
            "cookies-not-found"
                | "cookies-secure-with-httponly-sessions-and-samesite"
                | "cookies-secure-with-httponly-sessions"
        );
        LegacyOutcome::new(LegacyTest::Cookies, result, pass)
    };
    let jar = &r.ev.cookies;
    if jar.is_empty() {
        return done("cookies-not-found");
    }
    let mut result: Option<&'static str> = None;
    let mut all_samesite = true;
    for cookie in jar.iter().filter(|c| !IGNORED.contains(&c.name.as_str())) {
        let mut httponly = false;
        let mut samesite: Option<&'static str> = None;
        for (key, value) in &cookie.rest {
            let key = key.to_lowercase();
            if key == "httponly" && !httponly {
                httponly = true;
            } else if key == "samesite" && samesite.is_none() {
                match py::strip(value.as_deref().unwrap_or(""))
                    .to_lowercase()
                    .as_str()
                {
                    "lax" => samesite = Some("Lax"),
                    "strict" => samesite = Some("Strict"),
                    "none" => samesite = Some("None"),
                    _ => result = Some(worse("cookies-samesite-flag-invalid", result, &ORDER)),
                }
            }
        }
        let name = cookie.name.to_lowercase();
        let session = name.contains("login") || name.contains("sess");
        let anticsrf = name.contains("csrf");
        let mut propose = |p: &'static str| result = Some(worse(p, result, &ORDER));
        if !cookie.secure && samesite == Some("None") {
            propose("cookies-samesite-flag-invalid");
        }
        if !cookie.secure {
            propose(if hsts {
                "cookies-without-secure-flag-but-protected-by-hsts"
            } else {
                "cookies-without-secure-flag"
            });
        }
        if anticsrf && samesite.is_none() {
            propose("cookies-anticsrf-without-samesite-flag");
        }
        if session && !cookie.secure {
            propose(if hsts {
                "cookies-session-without-secure-flag-but-protected-by-hsts"
            } else {
                "cookies-session-without-secure-flag"
            });
        }
        if session && !httponly {
            propose("cookies-session-without-httponly-flag");
        }
        if samesite.is_none() {
            all_samesite = false;
        }
    }
    done(result.unwrap_or(if all_samesite {
        "cookies-secure-with-httponly-sessions-and-samesite"
    } else {
        "cookies-secure-with-httponly-sessions"
    }))
}

#[cfg(test)]
mod tests {
    use super::super::kit::{cookie, site};
    use super::*;

    fn result(cookies: Vec<vigil_model::LegacyCookie>, hsts: bool) -> &'static str {
        let mut ev = site(&[], "");
        ev.cookies = cookies;
        check(&Reqs::new(&ev).unwrap(), hsts).result
    }

    #[test]
    fn results() {
        assert_eq!(result(vec![], false), "cookies-not-found");
        assert_eq!(
            result(
                vec![cookie(
                    "sessionid",
                    true,
                    &[("HttpOnly", None), ("SameSite", Some("Lax"))]
                )],
                true
            ),
            "cookies-secure-with-httponly-sessions-and-samesite"
        );
        assert_eq!(
            result(vec![cookie("pref", true, &[])], true),
            "cookies-secure-with-httponly-sessions"
        );
        assert_eq!(
            result(
                vec![cookie("sessionid", false, &[("HttpOnly", None)])],
                false
            ),
            "cookies-session-without-secure-flag"
        );
        assert_eq!(
            result(
                vec![cookie("pref", true, &[("samesite", Some("bogus"))])],
                true
            ),
            "cookies-samesite-flag-invalid"
        );
        assert_eq!(
            result(vec![cookie("csrftoken", true, &[])], true),
            "cookies-anticsrf-without-samesite-flag"
        );
    }

    #[test]
    fn only_ignored_cookies_still_earn_the_bonus() {
        assert_eq!(
            result(vec![cookie("heroku-session-affinity", false, &[])], false),
            "cookies-secure-with-httponly-sessions-and-samesite"
        );
    }
}
