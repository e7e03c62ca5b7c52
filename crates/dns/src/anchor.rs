//! DNSSEC trust anchors from a file: DNSKEY and DS records in zone-file presentation format
//! (what `dnssec-keygen` writes into `K*.key`, what `dnssec-dsfromkey` prints, what IANA's
//! root anchors look like as records).
//!
//! hickory's own anchor parser takes DNSKEY lines only, so this module reads both kinds itself.
//! Pure parsing; turning DS anchors (and KSK-only DNSKEY anchors) into the full key set hickory
//! needs is the network step in `anchor_fetch`. Main type: [`AnchorSet`].

use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS};
use hickory_resolver::proto::dnssec::{Algorithm, PublicKeyBuf, TrustAnchors};
use hickory_resolver::proto::rr::{LowerName, Name, RData, RecordType};
use std::path::{Path, PathBuf};

/// Largest anchor file read: real ones are a few hundred bytes.
const MAX_ANCHOR_FILE_BYTES: u64 = 1024 * 1024;

/// Why a trust anchor file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// The file could not be read.
    #[error("trust anchor {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is larger than any anchor file should be.
    #[error("trust anchor {path}: larger than {MAX_ANCHOR_FILE_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// A record could not be parsed.
    #[error("trust anchor line {line}: {reason}")]
    Syntax {
        /// 1-based line where the record starts.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// A record of a type other than DNSKEY or DS.
    #[error("trust anchor line {line}: {rtype} is not DNSKEY or DS")]
    Unsupported {
        /// 1-based line where the record starts.
        line: usize,
        /// The type as written.
        rtype: String,
    },
    /// The file holds no DNSKEY or DS record, which would trust nothing.
    #[error("trust anchor file has no DNSKEY or DS record")]
    Empty,
}

/// The anchors of one file, not yet resolved.
#[derive(Debug, Clone, Default)]
pub(crate) struct AnchorSet {
    pub(crate) keys: Vec<(Name, DNSKEY)>,
    pub(crate) ds: Vec<(Name, DS)>,
}

impl AnchorSet {
    /// The hickory anchor set for the DNSKEYs (DS anchors add their keys in `anchor_fetch`).
    pub(crate) fn trust_anchors(&self) -> TrustAnchors {
        let mut anchors = TrustAnchors::empty();
        for (name, key) in &self.keys {
            anchors.insert_with_name(key.public_key(), LowerName::new(name));
        }
        anchors
    }

    /// Whether the file anchors the root itself.
    pub(crate) fn has_root(&self) -> bool {
        self.keys.iter().any(|(n, _)| n.is_root()) || self.ds.iter().any(|(n, _)| n.is_root())
    }

    /// The anchored zones other than the root, each once, in file order.
    pub(crate) fn zones(&self) -> Vec<Name> {
        let mut zones: Vec<Name> = Vec::new();
        for name in self
            .keys
            .iter()
            .map(|(n, _)| n)
            .chain(self.ds.iter().map(|(n, _)| n))
        {
            if !name.is_root() && !zones.contains(name) {
                zones.push(name.clone());
            }
        }
        zones
    }
}

/// Reads and parses an anchor file.
pub(crate) fn load_anchor_file(path: &Path) -> Result<AnchorSet, AnchorError> {
    let io = |source| AnchorError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_ANCHOR_FILE_BYTES {
        return Err(AnchorError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    parse_anchors(&text)
}

/// Parses presentation-format DNSKEY and DS records: `owner [ttl] [class] TYPE rdata`, with `;`
/// comments and `( … )` spanning lines. Owner names are taken as absolute.
pub(crate) fn parse_anchors(text: &str) -> Result<AnchorSet, AnchorError> {
    let mut set = AnchorSet::default();
    for (line, tokens) in records(text)? {
        let syntax = |reason: String| AnchorError::Syntax { line, reason };
        let mut it = tokens.iter().map(String::as_str).peekable();
        let Some(owner) = it.next() else { continue };
        if owner.starts_with('$') {
            continue; // $TTL / $ORIGIN: owners are absolute here, TTLs do not matter
        }
        let mut name =
            Name::from_ascii(owner).map_err(|e| syntax(format!("owner {owner}: {e}")))?;
        name.set_fqdn(true);
        // optional TTL and class, in either order
        while let Some(t) = it.peek() {
            if t.bytes().all(|b| b.is_ascii_digit()) || t.eq_ignore_ascii_case("IN") {
                it.next();
            } else {
                break;
            }
        }
        let Some(rtype) = it.next() else {
            return Err(syntax("record type missing".into()));
        };
        let rdata = it.collect::<Vec<_>>().join(" ");
        let wanted = if rtype.eq_ignore_ascii_case("DNSKEY") {
            RecordType::DNSKEY
        } else if rtype.eq_ignore_ascii_case("DS") {
            RecordType::DS
        } else {
            return Err(AnchorError::Unsupported {
                line,
                rtype: rtype.to_string(),
            });
        };
        let data = if wanted == RecordType::DNSKEY {
            // hickory's text parser refuses DNSKEY data ("dynamically generated")
            parse_dnskey(&rdata).map(|k| RData::DNSSEC(DNSSECRData::DNSKEY(k)))
        } else {
            RData::try_from_str(wanted, &rdata).map_err(|e| e.to_string())
        }
        .map_err(|e| syntax(format!("{rtype} data: {e}")))?;
        match data {
            RData::DNSSEC(DNSSECRData::DNSKEY(key)) => set.keys.push((name, key)),
            RData::DNSSEC(DNSSECRData::DS(ds)) => set.ds.push((name, ds)),
            other => {
                return Err(syntax(format!(
                    "parsed as {} instead of {rtype}",
                    other.record_type()
                )));
            }
        }
    }
    if set.keys.is_empty() && set.ds.is_empty() {
        return Err(AnchorError::Empty);
    }
    Ok(set)
}

/// DNSKEY data in presentation format: `flags protocol algorithm base64-key…` (RFC 4034 §2.2).
fn parse_dnskey(rdata: &str) -> Result<DNSKEY, String> {
    let mut it = rdata.split_whitespace();
    let mut number = |what: &str| {
        it.next()
            .ok_or_else(|| format!("{what} missing"))
            .and_then(|t| t.parse::<u16>().map_err(|e| format!("{what} {t:?}: {e}")))
    };
    let flags = number("flags")?;
    let protocol = number("protocol")?;
    let algorithm = number("algorithm")?;
    if protocol != 3 {
        return Err(format!("protocol {protocol} is not 3"));
    }
    let algorithm = u8::try_from(algorithm).map_err(|_| format!("algorithm {algorithm}"))?;
    let key: String = it.collect();
    if key.is_empty() {
        return Err("public key missing".into());
    }
    let bytes = data_encoding::BASE64
        .decode(key.as_bytes())
        .map_err(|e| format!("public key: {e}"))?;
    Ok(DNSKEY::with_flags(
        flags,
        PublicKeyBuf::new(bytes, Algorithm::from_u8(algorithm)),
    ))
}

/// Splits presentation text into records (token lists) with the line each starts on.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, AnchorError> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(';').next().unwrap_or_default();
        if depth == 0 {
            start = i + 1;
        }
        for ch in line.chars() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth = depth.checked_sub(1).ok_or(AnchorError::Syntax {
                        line: i + 1,
                        reason: "')' without '('".into(),
                    })?;
                }
                _ => {}
            }
        }
        current.extend(
            line.replace(['(', ')'], " ")
                .split_whitespace()
                .map(str::to_string),
        );
        if depth == 0 && !current.is_empty() {
            out.push((start, std::mem::take(&mut current)));
        }
    }
    if depth != 0 {
        return Err(AnchorError::Syntax {
            line: start,
            reason: "'(' never closed".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const KEY: &str = "; This is a key-signing key, keyid 56963, for vigil.test.\n\
        ; Created: 20261129032645\n\
        vigil.test. IN DNSKEY 257 3 13 P2Po+xujT0/zIKuIwnAaZ6A8zJLSFBcRni+CJTmf00n/V4+CpFcQto4b kGUNM3q5tAlmsJgPZlCK2Z6mQ+FWdQ==\n";

    #[test]
    fn reads_a_dnssec_keygen_key_file() {
        let set = parse_anchors(KEY).unwrap();
        assert_eq!(set.keys.len(), 1);
        assert_eq!(set.keys[0].0.to_ascii(), "vigil.test.");
        assert_eq!(set.keys[0].1.flags(), 257);
        assert!(set.ds.is_empty());
    }

    #[test]
    fn reads_ds_with_ttl_and_parentheses() {
        let text = "vigil.test. 3600 IN DS 23899 13 2 (\n  442FCD7EBFAD60A2525A69CAFB63C2D3\n  65565262AA8C370D2AAB4A1C2C57E692 ) ; sha-256\n";
        let set = parse_anchors(text).unwrap();
        assert_eq!(set.ds.len(), 1);
        assert_eq!(set.ds[0].1.key_tag(), 23899);
        assert_eq!(set.ds[0].1.digest().len(), 32);
    }

    #[test]
    fn the_ds_of_a_key_covers_it() {
        let key = parse_anchors(KEY).unwrap().keys.remove(0);
        let ds = DS::new(
            key.1.calculate_key_tag().unwrap(),
            hickory_resolver::proto::dnssec::Verifier::algorithm(&key.1),
            hickory_resolver::proto::dnssec::DigestType::SHA256,
            key.1
                .to_digest(&key.0, hickory_resolver::proto::dnssec::DigestType::SHA256)
                .unwrap()
                .as_ref()
                .to_vec(),
        );
        assert!(ds.covers(&key.0, &key.1).unwrap());
    }

    #[test]
    fn rejects_other_types_garbage_and_empty_files() {
        assert!(matches!(
            parse_anchors("vigil.test. IN A 127.0.0.1\n"),
            Err(AnchorError::Unsupported { line: 1, .. })
        ));
        assert!(matches!(
            parse_anchors("vigil.test. IN DNSKEY 257 3 13 !!!notbase64\n"),
            Err(AnchorError::Syntax { line: 1, .. })
        ));
        assert!(matches!(
            parse_anchors("vigil.test. IN DS ( 1 13 2\n"),
            Err(AnchorError::Syntax { .. })
        ));
        assert!(matches!(
            parse_anchors("; only a comment\n\n"),
            Err(AnchorError::Empty)
        ));
        assert!(parse_anchors("vigil.test. ) \n").is_err());
        assert!(parse_anchors("vigil.test. 300 IN\n").is_err());
    }
}
