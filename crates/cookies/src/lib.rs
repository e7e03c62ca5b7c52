//! A cookie jar with the storage rules a browser-like client applies (RFC 6265 plus the
//! `__Secure-`/`__Host-` prefixes and public-suffix rejection), as tough-cookie does for the
//! reference Observatory.
//!
//! `Set-Cookie` syntax is parsed by the `cookie` crate; this crate adds only the rules no crate
//! has: which cookies a jar silently drops, how a later cookie replaces an earlier one, which
//! cookies go back to the server on the next hop, and the raw `Max-Age` the reference reports.
//! It owns no I/O: the caller passes the request URL and the current time.
#![forbid(unsafe_code)]

mod jar;
mod parse;
pub mod py;

pub use jar::{CookieJar, Rejection};
pub use parse::{ParsedCookie, parse_set_cookie};
