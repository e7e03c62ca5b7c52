//! What each fuzz target does with one input. Shared by the libFuzzer targets in
//! `fuzz_targets/` and by the corpus replay test in `crates/cli/tests/fuzz_corpus.rs`, so the
//! corpus that `cargo test` replays exercises exactly the code the fuzzer explored.
//!
//! Every function must return normally for any input: a panic is the bug being hunted.

use vigil_model::HttpEvidence;

/// A benign, full-marks evidence capture (a Mastodon-like site) that inputs are spliced into,
/// so each parser is also driven through the whole check-and-grade pipeline.
const BASELINE: &str = include_str!("../baseline.evidence.json");

/// The page URL cookies are stored against; a public-suffix domain makes the jar's rules bite.
const PAGE_URL: &str = "https://www.example.co.uk/a/b";

/// A fixed clock, so runs are reproducible.
const NOW: i64 = 1_700_000_000;

fn baseline() -> Option<HttpEvidence> {
    serde_json::from_str(BASELINE).ok()
}

/// Replaces every value of header `name` in the final https:// response with `values`.
fn with_header(ev: &mut HttpEvidence, name: &str, values: &[&str]) {
    if let Some(s) = ev.https.as_mut() {
        s.last.headers.retain(|(n, _)| n != name);
        s.last
            .headers
            .extend(values.iter().map(|v| (name.to_string(), (*v).to_string())));
    }
}

/// Checks and grades the evidence; the result is irrelevant, only that it returns.
fn pipeline(ev: &HttpEvidence) {
    if let Ok(outcomes) = vigil_checks::run_all(ev) {
        let _ = vigil_grade::grade(&outcomes);
    }
}

/// CSP: each input line is one header value (repeated headers), parsed alone and graded.
pub fn csp(text: &str) {
    let policies: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let _ = vigil_checks::csp::parse::parse(&policies);
    let _ = vigil_checks::csp::parse::parse_meta(&policies);
    let _ = vigil_checks::csp::parse::decode_uri_component(text);
    if let Some(mut ev) = baseline() {
        let lines: Vec<&str> = text.split('\n').collect();
        with_header(&mut ev, "content-security-policy", &lines);
        pipeline(&ev);
    }
}

/// Set-Cookie: parsed, stored in a jar line by line, then the stored cookies graded.
pub fn cookie(text: &str) {
    let _ = vigil_cookies::parse_set_cookie(text);
    let Ok(url) = url::Url::parse(PAGE_URL) else {
        return;
    };
    let mut jar = vigil_cookies::CookieJar::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for line in &lines {
        let _ = jar.store(line, &url, NOW);
    }
    let _ = jar.header_for(&url, NOW);
    if let Some(mut ev) = baseline() {
        with_header(&mut ev, "set-cookie", &lines);
        if let Some(s) = ev.https.as_mut() {
            s.cookies = jar.cookies().to_vec();
        }
        pipeline(&ev);
    }
}

/// Strict-Transport-Security: the header parser, the integer parse behind max-age, the grade.
pub fn hsts(text: &str) {
    let _ = vigil_checks::hsts::parse_hsts(text);
    let _ = vigil_checks::hsts::parse_int(text);
    if let Some(mut ev) = baseline() {
        with_header(&mut ev, "strict-transport-security", &[text]);
        pipeline(&ev);
    }
}

/// Raw header bytes from the wire into the text the checks see.
pub fn header_value(bytes: &[u8]) {
    let _ = vigil_probe::clean_header_value(bytes);
}

/// A page body: the JSON quirk, the HTML gate, `<meta>` and `<script>` extraction, all tests.
pub fn html_meta(bytes: &[u8]) {
    let body = String::from_utf8_lossy(bytes);
    let _ = vigil_checks::page::page_text(&body);
    if let Some(mut ev) = baseline() {
        if let Some(s) = ev.https.as_mut() {
            s.last.body = Some(body.into_owned());
        }
        pipeline(&ev);
    }
}

/// A TLS ServerHello (or HelloRetryRequest) body, the handshake header already removed: the
/// parser and every accessor a probe reads. Returns whether the bytes parsed.
pub fn tls_server_hello(bytes: &[u8]) -> bool {
    let Ok(hello) = vigil_tls_wire::server::parse_server_hello(bytes) else {
        return false;
    };
    server_hello_accessors(&hello);
    true
}

fn server_hello_accessors(hello: &vigil_tls_wire::server::ServerHello) {
    let _ = hello.is_hello_retry();
    let _ = hello.version().name();
    let _ = hello.key_share_group().map(|g| (g.name(), g.key_bits()));
    let _ = hello.cookie();
    let _ = hello.alpn();
    let _ = hello.suite.name();
    let _ = hello.suite.is_tls13();
    let _ = vigil_tls_wire::suites::info(hello.suite);
    for (code, _) in &hello.extensions {
        assert!(hello.extension(*code).is_some(), "extension {code} lost");
    }
}

/// One event of a cleartext server flight, as `tls_records` sees it.
#[derive(Debug, PartialEq, Eq)]
enum FlightEvent {
    Record(u8, u16, Vec<u8>),
    Message(u8, Vec<u8>),
    Error(vigil_tls_wire::WireError),
}

/// Runs `stream` through `RecordReader` and `HandshakeJoiner`, pushed in chunks whose sizes
/// `chunk` gives (the n-th chunk, never 0), stopping at the first error as a probe does.
fn flight_events(stream: &[u8], chunk: impl Fn(usize) -> usize) -> Vec<FlightEvent> {
    use vigil_tls_wire::record::{HandshakeJoiner, RecordReader, content};
    let mut records = RecordReader::new();
    let mut messages = HandshakeJoiner::new();
    let mut events = Vec::new();
    let mut rest = stream;
    let mut n = 0;
    while !rest.is_empty() {
        let (head, tail) = rest.split_at(chunk(n).clamp(1, rest.len()));
        rest = tail;
        n += 1;
        records.push(head);
        loop {
            let record = match records.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    events.push(FlightEvent::Error(e));
                    return events;
                }
            };
            if record.content_type == content::HANDSHAKE {
                messages.push(&record.payload);
            }
            events.push(FlightEvent::Record(
                record.content_type,
                record.version,
                record.payload,
            ));
            loop {
                match messages.next_message() {
                    Ok(Some((kind, body))) => events.push(FlightEvent::Message(kind, body)),
                    Ok(None) => break,
                    Err(e) => {
                        events.push(FlightEvent::Error(e));
                        return events;
                    }
                }
            }
        }
    }
    events
}

/// A server's cleartext flight: byte 0 picks how the rest is chunked into `RecordReader`, whose
/// records go through `HandshakeJoiner`; the result must not depend on the chunking (compared
/// with one push of everything). Then each record and message goes to the parser a probe would
/// use: alerts, ServerHello, Certificate, CertificateStatus, ServerKeyExchange (ECDHE and
/// DHE). Returns how many handshake messages were complete.
pub fn tls_records(data: &[u8]) -> usize {
    use vigil_tls_wire::record::content;
    use vigil_tls_wire::server::{self, KeyExchangeParams, handshake};
    let Some((&seed, stream)) = data.split_first() else {
        return 0;
    };
    let seed = usize::from(seed);
    // Sizes from 1 byte up to a few records' worth, varying chunk by chunk.
    let chunked = flight_events(stream, |n| {
        1 + (seed.wrapping_mul(31).wrapping_add(n.wrapping_mul(seed | 1)) % (seed * 64 + 1))
    });
    let whole = flight_events(stream, |_| usize::MAX);
    assert_eq!(chunked, whole, "chunking changed what was read");
    let mut complete = 0;
    for event in &whole {
        match event {
            FlightEvent::Record(content::ALERT, _, payload) => {
                let _ = server::parse_alert(payload).map(|(_, d)| d.name());
            }
            FlightEvent::Message(kind, body) => {
                complete += 1;
                match *kind {
                    handshake::SERVER_HELLO => {
                        if let Ok(hello) = server::parse_server_hello(body) {
                            server_hello_accessors(&hello);
                        }
                    }
                    handshake::CERTIFICATE => {
                        let _ = server::parse_certificate_list(body);
                    }
                    handshake::CERTIFICATE_STATUS => {
                        let _ = server::parse_certificate_status(body);
                    }
                    handshake::SERVER_KEY_EXCHANGE => {
                        if let Ok(KeyExchangeParams::Ecdhe { group, .. }) =
                            server::parse_ecdhe_params(body)
                        {
                            let _ = group.name();
                        }
                        if let Ok(KeyExchangeParams::Dhe { prime, generator }) =
                            server::parse_dhe_params(body)
                        {
                            let _ = KeyExchangeParams::dh_bits(&prime);
                            let _ = KeyExchangeParams::dh_bits(&generator);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    complete
}

/// An SSL 2.0 SERVER-HELLO record (2- or 3-byte header). Returns whether it parsed.
pub fn tls_sslv2(bytes: &[u8]) -> bool {
    let Ok(hello) = vigil_tls_wire::server::parse_sslv2_server_hello(bytes) else {
        return false;
    };
    let _ = vigil_tls_wire::ProtocolVersion(hello.version).name();
    let _ = hello.specs.len() + hello.certificate.len();
    true
}
