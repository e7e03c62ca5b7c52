#![no_main]
//! Fuzz target: see `vigil_fuzz::harness::csp`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| vigil_fuzz::harness::csp(text));
