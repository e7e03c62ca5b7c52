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
