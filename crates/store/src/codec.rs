//! Evidence and reports are stored gzip'd: both are large, repetitive JSON (a full report is
//! about 33 KB, 6.5 KB compressed).

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::StoreError;

/// Compresses JSON for the `scans.evidence` and `scans.report_gz` columns.
pub(crate) fn gzip(text: &str) -> Result<Vec<u8>, StoreError> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(text.as_bytes())
        .and_then(|()| encoder.finish())
        .map_err(|e| StoreError::Corrupt(format!("cannot compress: {e}")))
}

/// Reads back what [`gzip`] stored; anything else is corrupt data.
pub(crate) fn gunzip(bytes: &[u8], scan_id: i64) -> Result<String, StoreError> {
    let mut text = String::new();
    GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(|e| {
            StoreError::Corrupt(format!(
                "scan {scan_id}: stored JSON is not gzip'd UTF-8: {e}"
            ))
        })?;
    Ok(text)
}

/// A scan's report JSON from its row: gzip'd in `report_gz` since schema 4, plain in `report`
/// for scans stored before. The row must carry both columns.
pub(crate) fn report_of(row: &sqlx::any::AnyRow, scan_id: i64) -> Result<String, StoreError> {
    use sqlx::Row;
    match row.try_get::<Option<Vec<u8>>, _>("report_gz")? {
        Some(bytes) => gunzip(&bytes, scan_id),
        None => Ok(row.try_get("report")?),
    }
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
