//! What each fuzz target does with one input. Shared by the libFuzzer targets in
//! `fuzz_targets/` and by the corpus replay test in `crates/cli/tests/fuzz_corpus.rs`, so the
//! corpus that `cargo test` replays exercises exactly the code the fuzzer explored.
//!
//! Every function must return normally for any input: a panic is the bug being hunted.

use vigil_model::HttpEvidence;

/// A benign, full-marks evidence capture (a Mastodon-like site) that inputs are spliced into,
/// so each parser is also driven through the whole check-and-grade pipeline.
const BASELINE: &str = include_str!("../baseline.evidence.json");

/// The page URL cookies are stored against; a public-suffix domain makes the jar's rules bite.
const PAGE_URL: &str = "https://www.example.co.uk/a/b";

/// A fixed clock, so runs are reproducible.
const NOW: i64 = 1_700_000_000;

fn baseline() -> Option<HttpEvidence> {
    serde_json::from_str(BASELINE).ok()
}

/// Replaces every value of header `name` in the final https:// response with `values`.
fn with_header(ev: &mut HttpEvidence, name: &str, values: &[&str]) {
    if let Some(s) = ev.https.as_mut() {
        s.last.headers.retain(|(n, _)| n != name);
        s.last
            .headers
            .extend(values.iter().map(|v| (name.to_string(), (*v).to_string())));
    }
}

/// Checks and grades the evidence; the result is irrelevant, only that it returns.
fn pipeline(ev: &HttpEvidence) {
    if let Ok(outcomes) = vigil_checks::run_all(ev) {
        let _ = vigil_grade::grade(&outcomes);
    }
}

/// CSP: each input line is one header value (repeated headers), parsed alone and graded.
pub fn csp(text: &str) {
    let policies: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let _ = vigil_checks::csp::parse::parse(&policies);
    let _ = vigil_checks::csp::parse::parse_meta(&policies);
    let _ = vigil_checks::csp::parse::decode_uri_component(text);
    if let Some(mut ev) = baseline() {
        let lines: Vec<&str> = text.split('\n').collect();
        with_header(&mut ev, "content-security-policy", &lines);
        pipeline(&ev);
    }
}

/// Set-Cookie: parsed, stored in a jar line by line, then the stored cookies graded.
pub fn cookie(text: &str) {
    let _ = vigil_cookies::parse_set_cookie(text);
    let Ok(url) = url::Url::parse(PAGE_URL) else {
        return;
    };
    let mut jar = vigil_cookies::CookieJar::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for line in &lines {
        let _ = jar.store(line, &url, NOW);
    }
    let _ = jar.header_for(&url, NOW);
    if let Some(mut ev) = baseline() {
        with_header(&mut ev, "set-cookie", &lines);
        if let Some(s) = ev.https.as_mut() {
            s.cookies = jar.cookies().to_vec();
        }
        pipeline(&ev);
    }
}

/// Strict-Transport-Security: the header parser, the integer parse behind max-age, the grade.
pub fn hsts(text: &str) {
    let _ = vigil_checks::hsts::parse_hsts(text);
    let _ = vigil_checks::hsts::parse_int(text);
    if let Some(mut ev) = baseline() {
        with_header(&mut ev, "strict-transport-security", &[text]);
        pipeline(&ev);
    }
}

/// Raw header bytes from the wire into the text the checks see.
pub fn header_value(bytes: &[u8]) {
    let _ = vigil_probe::clean_header_value(bytes);
}

/// A page body: the JSON quirk, the HTML gate, `<meta>` and `<script>` extraction, all tests.
pub fn html_meta(bytes: &[u8]) {
    let body = String::from_utf8_lossy(bytes);
    let _ = vigil_checks::page::page_text(&body);
    if let Some(mut ev) = baseline() {
        if let Some(s) = ev.https.as_mut() {
            s.last.body = Some(body.into_owned());
        }
        pipeline(&ev);
    }
}
