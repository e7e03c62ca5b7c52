#![no_main]
//! Fuzz target: see `vigil_fuzz::harness::header_value`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| vigil_fuzz::harness::header_value(bytes));
