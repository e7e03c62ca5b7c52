//! Record-layer framing and handshake-message reassembly for cleartext server flights.

use crate::WireError;

/// Record content types.
pub mod content {
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    pub const ALERT: u8 = 21;
    pub const HANDSHAKE: u8 = 22;
    pub const APPLICATION_DATA: u8 = 23;
    pub const HEARTBEAT: u8 = 24;
}

/// Largest record payload accepted: 2^14 plus the expansion a compressed or encrypted record
/// may carry (RFC 5246 §6.2.3).
pub const MAX_RECORD_PAYLOAD: usize = 16_384 + 2_048;

/// Largest handshake message reassembled. Ordinary chains are a few KiB, but valid ones grow
/// far larger (badssl.com's leaf with 10,000 names is about 220 KB, and TLS allows 16 MiB), so
/// the bound leaves room for several such chains while keeping one probe's memory small.
pub const MAX_HANDSHAKE_MESSAGE: usize = 1024 * 1024;

/// One TLS record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub content_type: u8,
    pub version: u16,
    pub payload: Vec<u8>,
}

/// Splits a byte stream into records; bytes arrive in any chunking.
#[derive(Debug, Default)]
pub struct RecordReader {
    buf: Vec<u8>,
}

impl RecordReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as records.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// The next complete record, `Ok(None)` when more bytes are needed.
    pub fn next_record(&mut self) -> Result<Option<Record>, WireError> {
        let Some(header) = self.buf.get(..5) else {
            return Ok(None);
        };
        let content_type = header[0];
        let version = u16::from_be_bytes([header[1], header[2]]);
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if !(20..=24).contains(&content_type) || header[1] > 3 {
            return Err(WireError::NotTls);
        }
        if len > MAX_RECORD_PAYLOAD {
            return Err(WireError::RecordTooLong(len));
        }
        if self.buf.len() < 5 + len {
            return Ok(None);
        }
        let payload = self.buf[5..5 + len].to_vec();
        self.buf.drain(..5 + len);
        Ok(Some(Record {
            content_type,
            version,
            payload,
        }))
    }
}

/// Joins handshake records into handshake messages (a message may span records, and a record
/// may hold several messages).
#[derive(Debug, Default)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
}

impl HandshakeJoiner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, payload: &[u8]) {
        self.buf.extend_from_slice(payload);
    }

    /// The next complete message as (type, body), `Ok(None)` when more records are needed.
    pub fn next_message(&mut self) -> Result<Option<(u8, Vec<u8>)>, WireError> {
        let Some(header) = self.buf.get(..4) else {
            return Ok(None);
        };
        let kind = header[0];
        let len =
            (usize::from(header[1]) << 16) | (usize::from(header[2]) << 8) | usize::from(header[3]);
        if len > MAX_HANDSHAKE_MESSAGE {
            return Err(WireError::MessageTooLong(len));
        }
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let body = self.buf[4..4 + len].to_vec();
        self.buf.drain(..4 + len);
        Ok(Some((kind, body)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_arrive_in_any_chunking() {
        let stream = [22u8, 3, 3, 0, 2, 0xaa, 0xbb, 21, 3, 3, 0, 2, 2, 40];
        for split in 0..stream.len() {
            let mut r = RecordReader::new();
            r.push(&stream[..split]);
            let mut got = Vec::new();
            while let Some(rec) = r.next_record().unwrap() {
                got.push(rec);
            }
            r.push(&stream[split..]);
            while let Some(rec) = r.next_record().unwrap() {
                got.push(rec);
            }
            assert_eq!(got.len(), 2);
            assert_eq!(got[1].payload, vec![2, 40]);
        }
    }

    #[test]
    fn garbage_and_oversize_are_errors() {
        let mut r = RecordReader::new();
        r.push(b"HTTP/1.1 400 Bad Request\r\n");
        assert_eq!(r.next_record(), Err(WireError::NotTls));
        let mut r = RecordReader::new();
        r.push(&[22, 3, 3, 0xff, 0xff]);
        assert_eq!(r.next_record(), Err(WireError::RecordTooLong(65535)));
    }

    #[test]
    fn messages_span_records() {
        let mut j = HandshakeJoiner::new();
        j.push(&[2, 0, 0, 3, 1]);
        assert_eq!(j.next_message().unwrap(), None);
        j.push(&[2, 3, 14, 0, 0, 0]);
        assert_eq!(j.next_message().unwrap(), Some((2, vec![1, 2, 3])));
        assert_eq!(j.next_message().unwrap(), Some((14, vec![])));
    }
}
