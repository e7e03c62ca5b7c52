//! Fuzzing harness for Vigil's parsers of remote input; see `README.md`.
pub mod harness;
