//! The `cookies` test (spec §5.2): every cookie in the chosen session's jar, plus the raw
//! `Set-Cookie` lines of the final response for malformed SameSite values. The worst finding
//! wins, in the reference's order (which is not the modifier order).

use crate::headers;
use serde_json::{Map, Value, json};
use vigil_model::evidence::SameSite;
use vigil_model::results::CookiesResult;
use vigil_model::{AnyResult, HttpEvidence, StoredCookie, TestOutcome};

/// Findings from least to most severe; a later one replaces an earlier one.
const ORDER: [CookiesResult; 7] = [
    CookiesResult::WithoutSecureFlagButProtectedByHsts,
    CookiesResult::WithoutSecureFlag,
    CookiesResult::SessionWithoutSecureFlagButProtectedByHsts,
    CookiesResult::SamesiteFlagInvalid,
    CookiesResult::AnticsrfWithoutSamesiteFlag,
    CookiesResult::SessionWithoutHttponlyFlag,
    CookiesResult::SessionWithoutSecureFlag,
];

/// Cookies the reference ignores by name.
const IGNORED: [&str; 1] = ["heroku-session-affinity"];

fn rank(r: CookiesResult) -> Option<usize> {
    ORDER.iter().position(|o| *o == r)
}

fn propose(current: &mut Option<CookiesResult>, new: CookiesResult) {
    match current {
        None => *current = Some(new),
        Some(old) if rank(new) > rank(*old) => *current = Some(new),
        Some(_) => {}
    }
}

/// True when a raw `Set-Cookie` has a SameSite attribute with a missing or unknown value.
pub fn has_invalid_samesite(raw: &str) -> bool {
    raw.trim().split(';').any(|part| {
        let mut kv = part.trim().split('=');
        let key = kv.next().unwrap_or_default();
        let value = kv.next();
        key.trim().eq_ignore_ascii_case("samesite")
            && match value {
                None | Some("") => true,
                Some(v) => !matches!(v.trim().to_lowercase().as_str(), "lax" | "strict" | "none"),
            }
    })
}

/// Runs the test; `hsts` is whether the HSTS test passed.
pub fn check(ev: &HttpEvidence, hsts: bool) -> TestOutcome {
    let mut result: Option<CookiesResult> = None;
    if let Some(resp) = ev.final_response()
        && headers::set_cookies(resp)
            .iter()
            .any(|raw| has_invalid_samesite(raw))
    {
        propose(&mut result, CookiesResult::SamesiteFlagInvalid);
    }
    let jar: Vec<&StoredCookie> = ev
        .chosen()
        .map(|(_, s)| {
            s.cookies
                .iter()
                .filter(|c| !c.name.is_empty() && !IGNORED.contains(&c.name.as_str()))
                .collect()
        })
        .unwrap_or_default();

    let mut data = Map::new();
    if jar.is_empty() {
        data.insert("data".into(), Value::Null);
        data.insert("sameSite".into(), json!(false));
        return TestOutcome {
            result: AnyResult::Cookies(CookiesResult::NotFound),
            data,
        };
    }
    let mut missing_samesite = false;
    for c in &jar {
        let name = c.name.to_lowercase();
        let session = name.contains("login") || name.contains("sess");
        let anticsrf = name.contains("csrf");
        if !c.secure && c.same_site == Some(SameSite::None) {
            propose(&mut result, CookiesResult::SamesiteFlagInvalid);
        }
        if !c.secure {
            propose(
                &mut result,
                if hsts {
                    CookiesResult::WithoutSecureFlagButProtectedByHsts
                } else {
                    CookiesResult::WithoutSecureFlag
                },
            );
        }
        if anticsrf && c.same_site.is_none() {
            propose(&mut result, CookiesResult::AnticsrfWithoutSamesiteFlag);
        }
        if session && !c.secure {
            propose(
                &mut result,
                if hsts {
                    CookiesResult::SessionWithoutSecureFlagButProtectedByHsts
                } else {
                    CookiesResult::SessionWithoutSecureFlag
                },
            );
        }
        if session && !c.http_only {
            propose(&mut result, CookiesResult::SessionWithoutHttponlyFlag);
        }
        if c.same_site.is_none() {
            missing_samesite = true;
        }
    }
    let result = result.unwrap_or(if missing_samesite {
        CookiesResult::SecureWithHttponlySessions
    } else {
        CookiesResult::SecureWithHttponlySessionsAndSamesite
    });
    let mut cookies = Map::new();
    for c in &jar {
        let mut m = Map::new();
        m.insert("domain".into(), json!(c.domain));
        if let Some(e) = &c.expires {
            m.insert("expires".into(), json!(e));
        }
        if c.http_only {
            m.insert("httponly".into(), json!(true));
        }
        if let Some(age) = c.max_age {
            m.insert("max-age".into(), json!(age));
        }
        m.insert("path".into(), json!(c.path));
        m.insert("port".into(), Value::Null);
        if let Some(s) = c.same_site {
            m.insert("samesite".into(), json!(s.as_str()));
        }
        if c.secure {
            m.insert("secure".into(), json!(true));
        }
        cookies.insert(c.name.clone(), Value::Object(m));
    }
    // The reference measures "[object Object]" per cookie against its 32768 limit.
    let fits = jar.len() * "[object Object]".len() < 32768;
    data.insert(
        "data".into(),
        if fits {
            Value::Object(cookies)
        } else {
            Value::Null
        },
    );
    data.insert(
        "sameSite".into(),
        json!(result == CookiesResult::SecureWithHttponlySessionsAndSamesite),
    );
    TestOutcome {
        result: AnyResult::Cookies(result),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{benign, cookie};

    fn run(cookies: Vec<StoredCookie>, hsts: bool) -> CookiesResult {
        let mut ev = benign();
        ev.https.as_mut().unwrap().cookies = cookies;
        match check(&ev, hsts).result {
            AnyResult::Cookies(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_cookies() {
        assert_eq!(run(vec![], true), CookiesResult::NotFound);
        assert_eq!(
            run(vec![cookie("heroku-session-affinity", |_| {})], true),
            CookiesResult::NotFound
        );
    }

    #[test]
    fn good_cookies() {
        let good = cookie("sessionid", |c| {
            c.secure = true;
            c.http_only = true;
            c.same_site = Some(SameSite::Lax);
        });
        assert_eq!(
            run(vec![good.clone()], false),
            CookiesResult::SecureWithHttponlySessionsAndSamesite
        );
        let no_ss = cookie("sessionid", |c| {
            c.secure = true;
            c.http_only = true;
        });
        assert_eq!(
            run(vec![good, no_ss], false),
            CookiesResult::SecureWithHttponlySessions
        );
        let none_secure = cookie("pref", |c| {
            c.secure = true;
            c.same_site = Some(SameSite::None);
        });
        assert_eq!(
            run(vec![none_secure], false),
            CookiesResult::SecureWithHttponlySessionsAndSamesite
        );
    }

    #[test]
    fn findings_and_worst_wins() {
        let insecure = cookie("pref", |c| c.same_site = Some(SameSite::Lax));
        assert_eq!(
            run(vec![insecure.clone()], true),
            CookiesResult::WithoutSecureFlagButProtectedByHsts
        );
        assert_eq!(
            run(vec![insecure.clone()], false),
            CookiesResult::WithoutSecureFlag
        );
        let session = cookie("PHPSESSID", |c| c.http_only = true);
        assert_eq!(
            run(vec![session.clone()], true),
            CookiesResult::SessionWithoutSecureFlagButProtectedByHsts
        );
        assert_eq!(
            run(vec![session], false),
            CookiesResult::SessionWithoutSecureFlag
        );
        let no_httponly = cookie("login_token", |c| c.secure = true);
        assert_eq!(
            run(vec![no_httponly.clone()], false),
            CookiesResult::SessionWithoutHttponlyFlag
        );
        let csrf = cookie("csrftoken", |c| c.secure = true);
        assert_eq!(
            run(vec![csrf.clone()], false),
            CookiesResult::AnticsrfWithoutSamesiteFlag
        );
        let none_insecure = cookie("x", |c| c.same_site = Some(SameSite::None));
        assert_eq!(
            run(vec![none_insecure], true),
            CookiesResult::SamesiteFlagInvalid
        );
        // Worst in the reference order: httponly beats anticsrf.
        assert_eq!(
            run(vec![no_httponly, csrf], false),
            CookiesResult::SessionWithoutHttponlyFlag
        );
    }

    #[test]
    fn raw_samesite_check() {
        assert!(has_invalid_samesite("a=b; SameSite=foo"));
        assert!(has_invalid_samesite("a=b; samesite"));
        assert!(has_invalid_samesite("a=b; SameSite="));
        assert!(!has_invalid_samesite("a=b; SameSite= Lax "));
        assert!(!has_invalid_samesite("a=b"));
    }

    #[test]
    fn invalid_samesite_header_is_ignored_when_jar_is_empty() {
        let mut ev = benign();
        let last = &mut ev.https.as_mut().unwrap().last;
        last.headers
            .push(("set-cookie".into(), "__Secure-x=1; SameSite=bogus".into()));
        assert_eq!(
            check(&ev, true).result,
            AnyResult::Cookies(CookiesResult::NotFound)
        );
    }
}
