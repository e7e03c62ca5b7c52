//! Renderers: the same [`vigil_scan::HostResult`] as text, Vigil JSON, Observatory JSON or raw
//! evidence. Renderers only format; every verdict comes from the check and grade crates.

pub mod json;
pub mod observatory;
pub mod text;
