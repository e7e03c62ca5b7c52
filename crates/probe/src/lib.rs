//! All network I/O of a Vigil scan: one bounded pass that turns a host into [`HttpEvidence`].
//!
//! Retrieval follows the MDN HTTP Observatory's retriever (spec §2) so that grades match it:
//! two sessions (http:// and https://) started together, redirects followed by hand, a cookie
//! jar per session, a retry without certificate verification after a certificate error, then
//! `/robots.txt` and a CORS preflight. Every read has a timeout and a size cap ([`Limits`]);
//! network failures become data in the evidence, never errors or panics. With
//! `ProbeConfig::legacy`, the 2017 Observatory's retrieval (python-requests semantics and its
//! extra files) runs beside it and fills `HttpEvidence::legacy`.
#![forbid(unsafe_code)]

mod body;
mod config;
mod fetch;
mod legacy;
mod legacy_jar;
mod session;
mod tls;

pub use config::{Limits, ProbeConfig, TrustError, TrustStore};
pub use fetch::{FetchError, classify_hyper, classify_tls, clean_header_value, connect};
pub use legacy::{LEGACY_RESOURCES, LEGACY_USER_AGENT};
pub use session::retrieve_http;

/// Runs `Set-Cookie` values through the legacy (Python `http.cookiejar`) jar as answers to
/// `url` at `now`, asks it what it would send back to `url`, and returns the cookies it keeps.
/// Public so the fuzz targets can drive the legacy cookie rules with remote input directly;
/// the scan itself uses the jar through the legacy retrieval.
#[doc(hidden)]
pub fn legacy_jar_roundtrip(
    set_cookie: &[&str],
    url: &url::Url,
    now: i64,
) -> (Option<String>, Vec<vigil_model::evidence::LegacyCookie>) {
    let mut jar = legacy_jar::PyJar::default();
    let headers: Vec<(String, String)> = set_cookie
        .iter()
        .map(|v| ("set-cookie".to_string(), (*v).to_string()))
        .collect();
    jar.extract(&headers, url, now);
    let sent = jar.header_for(url, now);
    (sent, jar.cookies())
}
