//! Vigil's pure data model: what a scan targets, the evidence the retrieve step gathers, the
//! closed lists of result ids the checks may return, and the graded report.
//!
//! Nothing here does I/O, talks to the clock or runs async code, so every later stage (checks,
//! grade, store, present) can share these types and stay testable offline. Every type is serde so
//! evidence can be captured, replayed and stored.
#![forbid(unsafe_code)]

pub mod dns;
pub mod evidence;
pub mod fedi;
pub mod ipv6;
pub mod outcome;
pub mod results;
pub mod target;
pub mod tls;

pub use evidence::{
    HttpEvidence, LegacyCookie, LegacyEvidence, LegacyResource, LegacySession, ResponseEvidence,
    RouteEntry, SessionEvidence, StoredCookie,
};
pub use outcome::{Grade, ObservatoryReport, SiteError, TestOutcome, TestScore};
pub use results::{AnyResult, TestId};
pub use target::{Hostname, TargetError};
pub use tls::{ServedChain, TlsEvidence, VersionEvidence};

/// Version of the Observatory scoring algorithm Vigil reproduces (MDN HTTP Observatory 1.4.8).
pub const OBSERVATORY_ALGORITHM_VERSION: u32 = 4;

/// Version of Vigil's own JSON output shape (`--format json`); bump on any breaking change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;
