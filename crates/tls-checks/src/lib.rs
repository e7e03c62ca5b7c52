//! Pure TLS analysis: from [`TlsEvidence`] (captured by `vigil-tls-probe`, or replayed from a
//! file) to the TLS report: protocols and suites by IANA name, groups, certificate verdicts,
//! stapling and HSTS. No I/O: the trust anchors and the clock are arguments.

pub mod certificate;
pub mod report;

pub use certificate::CertificateReport;
pub use report::{TlsReport, analyse};
pub use vigil_model::TlsEvidence;
