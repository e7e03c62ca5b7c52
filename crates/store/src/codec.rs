//! Evidence is stored gzip'd: it is large, repetitive JSON that is read back only to regrade.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::StoreError;

/// Compresses evidence JSON for the `scans.evidence` column.
pub(crate) fn gzip(text: &str) -> Result<Vec<u8>, StoreError> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(text.as_bytes())
        .and_then(|()| encoder.finish())
        .map_err(|e| StoreError::Corrupt(format!("cannot compress evidence: {e}")))
}

/// Reads back what [`gzip`] stored; anything else is corrupt data.
pub(crate) fn gunzip(bytes: &[u8], scan_id: i64) -> Result<String, StoreError> {
    let mut text = String::new();
    GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(|e| {
            StoreError::Corrupt(format!("scan {scan_id}: evidence is not gzip'd UTF-8: {e}"))
        })?;
    Ok(text)
}

/// A host's place in the check interval: FNV-1a, so it is the same on every run and machine
/// (std's hasher is seeded per process).
pub(crate) fn stable_hash(host: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in host.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Spreads first checks over the interval: `now + hash(host) % interval`.
pub(crate) fn first_check_at(host: &str, now: i64, check_interval_secs: i64) -> i64 {
    let Ok(interval) = u64::try_from(check_interval_secs) else {
        return now;
    };
    if interval == 0 {
        return now;
    }
    // The remainder is below `interval`, which came from an i64, so it fits.
    now.saturating_add(i64::try_from(stable_hash(host) % interval).unwrap_or(0))
}

/// Unix day number of a unix time (days start at 00:00 UTC).
pub(crate) fn unix_day(secs: i64) -> i64 {
    secs.div_euclid(86_400)
}
