//! Unit tests for the CSP test: the benign baseline with one policy change at a time.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::testkit::{benign, header, html};
use vigil_model::results::CspResult as R;

fn run(header_csp: Option<&str>, body: Option<&str>) -> (R, CspVerdict) {
    let mut ev = benign();
    header(&mut ev, "content-security-policy", header_csp);
    if let Some(b) = body {
        html(&mut ev, b);
    }
    let page = Page::from_evidence(&ev);
    let v = check(&ev, &page);
    match v.outcome.result {
        AnyResult::Csp(r) => (r, v),
        other => panic!("{other:?}"),
    }
}

fn r(csp: &str) -> R {
    run(Some(csp), None).0
}

fn meta(policy: &str) -> String {
    format!(
        "<html><head><meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\"></head></html>"
    )
}

#[test]
fn grades_from_best_to_worst() {
    assert_eq!(
        r("default-src 'none'"),
        R::ImplementedWithNoUnsafeDefaultSrcNone
    );
    assert_eq!(r("default-src 'self'"), R::ImplementedWithNoUnsafe);
    assert_eq!(
        r("default-src 'self'; style-src 'self' 'unsafe-inline'"),
        R::ImplementedWithUnsafeInlineInStyleSrcOnly
    );
    assert_eq!(
        r("default-src 'self'; img-src http://i.example"),
        R::ImplementedWithInsecureSchemeInPassiveContentOnly
    );
    assert_eq!(
        r("default-src 'self'; script-src 'self' 'unsafe-eval'"),
        R::ImplementedWithUnsafeEval
    );
    assert_eq!(
        r("default-src 'self'; script-src 'self' 'unsafe-inline'"),
        R::ImplementedWithUnsafeInline
    );
    assert_eq!(
        r("default-src 'self'; connect-src http://api.example"),
        R::ImplementedWithInsecureScheme
    );
    assert_eq!(r("default-src"), R::ImplementedWithNoUnsafeDefaultSrcNone);
}

#[test]
fn broad_sources() {
    assert_eq!(
        r("default-src 'self'; script-src https:"),
        R::ImplementedWithUnsafeInline
    );
    assert_eq!(
        r("default-src 'self'; script-src *"),
        R::ImplementedWithUnsafeInline
    );
    assert_eq!(
        r("default-src 'self'; object-src *"),
        R::ImplementedWithUnsafeInline
    );
    assert_eq!(
        r("default-src 'self'; script-src data:"),
        R::ImplementedWithUnsafeInline
    );
    // Broad image sources are harmless (Mastodon's policy).
    assert_eq!(
        r("default-src 'none'; img-src * data:"),
        R::ImplementedWithNoUnsafeDefaultSrcNone
    );
    // No script-src nor default-src: scripts fall back to '*'.
    assert_eq!(r("img-src 'self'"), R::ImplementedWithUnsafeInline);
}

#[test]
fn nonces_hashes_and_strict_dynamic() {
    assert_eq!(
        r("default-src 'none'; script-src 'nonce-abc' 'unsafe-inline'"),
        R::ImplementedWithNoUnsafeDefaultSrcNone
    );
    let (res, v) = run(
        Some("default-src 'none'; script-src 'nonce-abc' 'strict-dynamic' https: 'self'"),
        None,
    );
    assert_eq!(res, R::ImplementedWithNoUnsafeDefaultSrcNone);
    assert_eq!(v.outcome.data["policy"]["strictDynamic"], json!(true));
    assert_eq!(
        v.outcome.data["data"]["script-src"],
        json!(["'nonce-abc'", "'strict-dynamic'"])
    );
    assert_eq!(
        r("default-src 'none'; script-src 'strict-dynamic' 'self'"),
        R::HeaderInvalid
    );
}

#[test]
fn invalid_policies() {
    assert_eq!(r("a b"), R::HeaderInvalid);
    assert_eq!(
        r("default-src 'self'; default-src 'none'"),
        R::HeaderInvalid
    );
    assert_eq!(
        r("DEFAULT-SRC 'NONE'"),
        R::ImplementedWithNoUnsafeDefaultSrcNone
    );
}

#[test]
fn duplicates_of_report_uri() {
    assert_eq!(
        r("default-src 'none'; report-uri /a; report-uri /b"),
        R::ImplementedButDuplicateDirectives
    );
    assert_eq!(
        r("default-src 'none'; script-src 'unsafe-inline'; report-uri /a; report-uri /b"),
        R::ImplementedWithUnsafeInline
    );
}

#[test]
fn not_implemented_and_report_only() {
    assert_eq!(run(None, None).0, R::NotImplemented);
    let mut ev = benign();
    header(&mut ev, "content-security-policy", None);
    header(
        &mut ev,
        "content-security-policy-report-only",
        Some("default-src 'none'"),
    );
    let page = Page::from_evidence(&ev);
    assert_eq!(
        check(&ev, &page).outcome.result,
        AnyResult::Csp(R::NotImplementedButReportingEnabled)
    );
}

#[test]
fn meta_policies() {
    // A meta with only frame-ancestors: deleted from the meta map, so not implemented.
    assert_eq!(
        run(None, Some(&meta("frame-ancestors 'none'"))).0,
        R::NotImplemented
    );
    let (res, v) = run(
        None,
        Some(&meta("default-src 'none'; frame-ancestors 'none'")),
    );
    assert_eq!(res, R::ImplementedWithNoUnsafeDefaultSrcNone);
    assert!(v.map.unwrap().get("frame-ancestors").is_some());
    // A valid header plus an invalid meta is invalid.
    assert_eq!(
        run(Some("default-src 'none'"), Some(&meta("a"))).0,
        R::HeaderInvalid
    );
    // A directive only in the meta policy ends up 'none'.
    let (_, v) = run(
        Some("default-src 'self'"),
        Some(&meta("default-src 'self'; script-src https:")),
    );
    assert_eq!(
        v.map.unwrap().get("script-src").unwrap(),
        &vec!["'none'".to_string()]
    );
}

#[test]
fn joined_header_lines_make_one_policy() {
    let mut ev = benign();
    header(
        &mut ev,
        "content-security-policy",
        Some("default-src 'none'"),
    );
    ev.https
        .as_mut()
        .unwrap()
        .last
        .headers
        .push(("content-security-policy".into(), "script-src 'self'".into()));
    let page = Page::from_evidence(&ev);
    assert_eq!(
        check(&ev, &page).outcome.result,
        AnyResult::Csp(R::ImplementedWithNoUnsafe)
    );
}

#[test]
fn insecure_scheme_only_counts_on_https_sites() {
    let mut ev = benign();
    header(
        &mut ev,
        "content-security-policy",
        Some("default-src 'self'; connect-src http://api.example"),
    );
    let last = ev.https.take().unwrap().last;
    ev.http.as_mut().unwrap().last = last;
    let page = Page::from_evidence(&ev);
    assert_eq!(
        check(&ev, &page).outcome.result,
        AnyResult::Csp(R::ImplementedWithNoUnsafe)
    );
}
