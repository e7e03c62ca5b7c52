#![no_main]
//! Fuzz target: see `vigil_fuzz::harness::legacy_html`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vigil_fuzz::harness::legacy_html(data);
});
