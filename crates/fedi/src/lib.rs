//! Fediverse facts for Vigil: what a server says about itself, and how its Mastodon version
//! stands against the release history.
//!
//! Three steps, kept apart so evidence can be replayed offline:
//!
//! 1. **Retrieve** ([`retrieve_fedi`], feature `retrieve`, on by default): one bounded pass over
//!    `/.well-known/nodeinfo`, the NodeInfo document and the instance API into
//!    [`FediEvidence`]. Failures are entries in its `errors`, never `Err` or panics.
//! 2. **Read** ([`facts`]): pure parsing of the kept documents into [`FediFacts`] (software,
//!    version, registrations, counts, title).
//! 3. **Judge** ([`verdict`]): pure comparison of a Mastodon version with the bundled release
//!    data ([`ReleaseData::bundled`]) on a given day, giving a [`VersionVerdict`].
//!
//! Without the `retrieve` feature the crate has no tokio, HTTP or TLS dependency, so analysis
//! crates can use steps 2 and 3 and stay synchronous.
//!
//! [`FediEvidence`]: vigil_model::fedi::FediEvidence
//! [`FediFacts`]: vigil_model::fedi::FediFacts
//! [`VersionVerdict`]: vigil_model::fedi::VersionVerdict
#![forbid(unsafe_code)]

mod facts;
mod nodeinfo;
mod releases;
mod verdict;
mod version;

#[cfg(feature = "retrieve")]
pub mod client;
mod config;
#[cfg(feature = "retrieve")]
mod fetch;
#[cfg(feature = "retrieve")]
mod retrieve;

pub use facts::facts;
pub use nodeinfo::{nodeinfo_links, preference_order};
pub use releases::{
    AdvisoryRef, Branch, BranchSupport, DataError, Release, ReleaseData, ReleaseVersion,
    SecurityKind,
};
pub use verdict::{BACKPORT_GRACE_DAYS, verdict};
pub use version::{VersionKey, parse_version};

#[cfg(feature = "retrieve")]
pub use config::{FEDI_USER_AGENT, FediConfig, FediLimits};
#[cfg(feature = "retrieve")]
pub use retrieve::retrieve_fedi;
