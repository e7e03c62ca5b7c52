//! Response bodies: content decoding (gzip, deflate, br, compress) with an output cap, then
//! UTF-8 text with the BOM removed, as the reference's client hands bodies to its tests.

use std::io::Read;

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The compressed stream is corrupt.
    #[error("corrupt {encoding} body: {detail}")]
    Corrupt {
        /// The content coding.
        encoding: String,
        /// The decoder's message.
        detail: String,
    },
}

/// Decoded body text and whether anything was cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedBody {
    /// The text.
    pub text: String,
    /// True when the wire body or the decoded output hit a limit.
    pub truncated: bool,
}

/// Reads everything `reader` yields up to `limit` bytes; on a decoder error returns what was
/// read so far together with the error.
fn read_capped(mut reader: impl Read, limit: usize) -> (Vec<u8>, bool, Option<std::io::Error>) {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return (out, false, None),
            Ok(n) => {
                let room = limit.saturating_sub(out.len());
                let take = n.min(room);
                out.extend_from_slice(buf.get(..take).unwrap_or_default());
                if take < n {
                    return (out, true, None);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (out, false, Some(e)),
        }
    }
}

/// Decodes `raw` according to `Content-Encoding`. A corrupt stream is an error unless the wire
/// body was already truncated (then the decodable prefix is kept).
pub fn decode(
    raw: &[u8],
    encoding: Option<&str>,
    wire_truncated: bool,
    limit: usize,
) -> Result<DecodedBody, DecodeError> {
    let coding = encoding
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let attempt = |bytes: &[u8], which: &str| -> (Vec<u8>, bool, Option<std::io::Error>) {
        match which {
            "gzip" => read_capped(flate2::read::MultiGzDecoder::new(bytes), limit),
            "zlib" => read_capped(flate2::read::ZlibDecoder::new(bytes), limit),
            "raw-deflate" => read_capped(flate2::read::DeflateDecoder::new(bytes), limit),
            "br" => read_capped(
                brotli_decompressor::Decompressor::new(bytes, 16 * 1024),
                limit,
            ),
            _ => {
                let take = bytes.len().min(limit);
                (
                    bytes.get(..take).unwrap_or_default().to_vec(),
                    bytes.len() > limit,
                    None,
                )
            }
        }
    };
    let plan: &[&str] = match coding.as_str() {
        "gzip" | "x-gzip" => &["gzip"],
        "deflate" => &["zlib", "raw-deflate"],
        "compress" | "x-compress" => &["gzip", "zlib"],
        "br" => &["br"],
        _ => &["identity"],
    };
    let mut last_err = None;
    for which in plan {
        let (bytes, cut, err) = attempt(raw, which);
        match err {
            None => return Ok(text(bytes, cut || wire_truncated)),
            Some(_) if wire_truncated => return Ok(text(bytes, true)),
            Some(e) => last_err = Some(e),
        }
    }
    Err(DecodeError::Corrupt {
        encoding: coding,
        detail: last_err.map_or_else(String::new, |e| e.to_string()),
    })
}

fn text(bytes: Vec<u8>, truncated: bool) -> DecodedBody {
    let s = String::from_utf8_lossy(&bytes);
    let s = s.strip_prefix('\u{feff}').unwrap_or(&s).to_string();
    DecodedBody { text: s, truncated }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn identity_strips_bom() {
        let b = decode("\u{feff}<p>".as_bytes(), None, false, 100).unwrap();
        assert_eq!(b.text, "<p>");
    }

    #[test]
    fn gzip_and_deflate_variants() {
        assert_eq!(
            decode(&gzip(b"hello"), Some("gzip"), false, 100)
                .unwrap()
                .text,
            "hello"
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(b"zlib").unwrap();
        assert_eq!(
            decode(&z.finish().unwrap(), Some("deflate"), false, 100)
                .unwrap()
                .text,
            "zlib"
        );
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        d.write_all(b"raw").unwrap();
        assert_eq!(
            decode(&d.finish().unwrap(), Some("Deflate"), false, 100)
                .unwrap()
                .text,
            "raw"
        );
    }

    #[test]
    fn output_cap_stops_zip_bombs() {
        let bomb = gzip(&vec![b'a'; 1_000_000]);
        let b = decode(&bomb, Some("gzip"), false, 1000).unwrap();
        assert_eq!(b.text.len(), 1000);
        assert!(b.truncated);
    }

    #[test]
    fn corrupt_stream_is_an_error_unless_truncated() {
        assert!(decode(b"not gzip", Some("gzip"), false, 100).is_err());
        let g = gzip(b"hello world");
        assert!(decode(&g[..g.len() / 2], Some("gzip"), true, 100).is_ok());
    }
}
