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

/// Further URLs the cookie jar stores from and sends to: a parent domain, a sibling host, another
/// path, plain http://, an IP address and a public suffix.
const OTHER_COOKIE_URLS: [&str; 6] = [
    "https://example.co.uk/",
    "https://static.example.co.uk/a/b/c",
    "https://www.example.co.uk/other",
    "http://www.example.co.uk/a/b",
    "https://127.0.0.1/",
    "https://co.uk/",
];

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
    // The jar's matching rules: host-only and domain cookies, paths, Secure over http://, expiry.
    for other in OTHER_COOKIE_URLS {
        if let Ok(other) = url::Url::parse(other) {
            for line in lines.iter().take(4) {
                let _ = jar.store(line, &other, NOW);
            }
            let _ = jar.header_for(&other, NOW);
            let _ = jar.header_for(&other, NOW + 400 * 86_400);
        }
    }
    let _ = jar.header_for(&url, NOW);
    // The legacy (Python http.cookiejar) jar on the same lines.
    let _ = vigil_probe::legacy_jar_roundtrip(&lines, &url, NOW);
    for other in OTHER_COOKIE_URLS {
        if let Ok(other) = url::Url::parse(other) {
            let _ = vigil_probe::legacy_jar_roundtrip(&lines, &other, NOW);
        }
    }
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

/// A legacy-scoring site on example.org (http:// redirecting to https://) whose page, and whose
/// `/crossdomain.xml` and `/clientaccesspolicy.xml`, are `body`: the inputs the 2017
/// Observatory's `html.parser` port reads.
fn legacy_site(body: &str) -> vigil_model::LegacyEvidence {
    use vigil_model::{
        LegacyEvidence, LegacyResource, LegacySession, ResponseEvidence, RouteEntry,
    };
    let response = |url: &str, content_type: &str| ResponseEvidence {
        url: url.to_string(),
        status: 200,
        headers: vec![("content-type".to_string(), content_type.to_string())],
        body: Some(body.to_string()),
        body_truncated: false,
    };
    let last = response("https://example.org/", "text/html");
    let route = |urls: &[(&str, u16)]| {
        urls.iter()
            .map(|(url, status)| RouteEntry {
                url: (*url).to_string(),
                status: *status,
            })
            .collect()
    };
    let resources = ["/crossdomain.xml", "/clientaccesspolicy.xml"]
        .iter()
        .map(|path| {
            let url = format!("https://example.org{path}");
            LegacyResource {
                path: (*path).to_string(),
                response: Some(response(&url, "text/xml")),
                url,
            }
        })
        .collect();
    LegacyEvidence {
        http: Some(LegacySession {
            start_url: "http://example.org/".into(),
            verified: true,
            route: route(&[("http://example.org/", 301), ("https://example.org/", 200)]),
            last: last.clone(),
        }),
        http_failure: None,
        https: Some(LegacySession {
            start_url: "https://example.org/".into(),
            verified: true,
            route: route(&[("https://example.org/", 200)]),
            last,
        }),
        https_failure: None,
        cors: None,
        cors_origin: "https://http-observatory.security.mozilla.org".into(),
        resources,
        cookies: Vec::new(),
    }
}

/// A page body through the legacy checks' port of Python's `html.parser` (BeautifulSoup's
/// start tags, character references, `<meta http-equiv>`), then all twelve legacy tests and
/// the legacy grade with the page, the Flash and the Silverlight policy file set to it.
/// Returns how many start tags were found, or `None` when the port says Python would raise.
pub fn legacy_html(bytes: &[u8]) -> Option<usize> {
    use vigil_checks::legacy::{HttpEquiv, html};
    let body = String::from_utf8_lossy(bytes);
    let tags = html::start_tags(&body);
    if let Ok(tags) = &tags {
        for tag in tags {
            let _ = tag.get("http-equiv");
            let _ = tag.get("content");
        }
    }
    let _ = html::unescape(&body);
    let equiv = HttpEquiv::from_page(&body);
    let _ = equiv.get("content-security-policy");
    if let Some(mut ev) = baseline() {
        ev.legacy = Some(legacy_site(&body));
        let _ = vigil_grade::legacy_report(&ev);
    }
    tags.ok().map(|t| t.len())
}

/// A response head as `GET /` reads it for the IPv6 comparison (`vigil_tls_probe::head`):
/// status line and fields. Returns the status when the bytes are HTTP.
pub fn http_head(bytes: &[u8]) -> Option<u16> {
    let head = vigil_tls_probe::head::parse_head(bytes)?;
    for (name, _) in &head.headers {
        assert!(head.header(name).is_some(), "header {name:?} lost");
    }
    let _ = head.header("strict-transport-security");
    Some(head.status)
}

/// The day fediverse verdicts are computed for, fixed so runs are reproducible.
fn fedi_today() -> Option<time::Date> {
    time::Date::from_calendar_date(2026, time::Month::December, 1).ok()
}

/// Fediverse documents: a JSON body read as the NodeInfo well-known document (its links), as
/// the NodeInfo document and as both instance API documents, then the facts and the software
/// verdict against the bundled release data; every line is also a reported version string.
/// Returns how many NodeInfo links and whether a software version were read.
pub fn fedi(bytes: &[u8]) -> FediInput {
    use vigil_model::fedi::FediEvidence;
    let text = String::from_utf8_lossy(bytes);
    for line in text.lines() {
        let _ = vigil_fedi::parse_version(line).map(|v| vigil_fedi::VersionKey::of(&v));
    }
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return FediInput::default();
    };
    let links = vigil_fedi::nodeinfo_links(&doc);
    let _ = vigil_fedi::preference_order(&links).len();
    let evidence = |nodeinfo: bool, v2: bool, v1: bool| FediEvidence {
        host: "example.org".into(),
        nodeinfo_links: links.clone(),
        nodeinfo_schema: links.first().map(|l| l.schema.clone()),
        nodeinfo_url: None,
        nodeinfo: nodeinfo.then(|| doc.clone()),
        instance_v2: v2.then(|| doc.clone()),
        instance_v1: v1.then(|| doc.clone()),
        errors: Vec::new(),
        elapsed_ms: 0,
    };
    let data = vigil_fedi::ReleaseData::bundled().ok();
    let mut versioned = false;
    for (n, v2, v1) in [
        (true, false, false),
        (false, true, false),
        (false, false, true),
        (true, true, true),
    ] {
        let facts = vigil_fedi::facts(&evidence(n, v2, v1));
        versioned |= facts.version.is_some();
        let _ = serde_json::to_string(&facts);
        if let (Some(data), Some(today)) = (data, fedi_today()) {
            let _ = vigil_fedi::verdict(&facts, data, today);
        }
    }
    FediInput {
        links: links.len(),
        versioned,
    }
}

/// What the `fedi` target read out of its input.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FediInput {
    /// NodeInfo links found in the document.
    pub links: usize,
    /// Whether the facts carry a software version.
    pub versioned: bool,
}

/// What the `dns` target read out of its input.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DnsInput {
    /// CAA records read.
    pub caa: usize,
    /// TLSA records read.
    pub tlsa: usize,
    /// Certificates in the chain.
    pub certs: usize,
    /// The DANE verdict's `matches`.
    pub matches: Option<bool>,
}

/// DNS answers as the analysis reads them. The input is text, then optionally a NUL byte and
/// the served certificate chain (each certificate a 2-byte big-endian length and its DER).
/// The text has one record per line: `caa FLAGS TAG VALUE`, `tlsa USAGE SELECTOR MATCHING HEX`
/// (the hex as the server sent it: decoding it is part of what is fuzzed), `issuer NAME` (the
/// certificate issuer CAA is judged against); any other line is an issuer name for
/// `caa_domains_for_issuer`. Then the CAA verdict, DANE matching over the chain, and the JSON
/// view. DNSSEC validation and the record wire format are hickory's; the trust-anchor file
/// parser is private to `vigil-dns`.
pub fn dns(bytes: &[u8]) -> DnsInput {
    use vigil_dns::{CaaRecord, DnsEvidence, DnssecStatus, TlsaRecord};
    let (text, mut certs) = match bytes.iter().position(|&b| b == 0) {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &[][..]),
    };
    let text = String::from_utf8_lossy(text);
    // The same text as a trust-anchor file.
    let _ = vigil_dns::check_trust_anchor_text(&text);
    let mut chain = Vec::new();
    while let [hi, lo, rest @ ..] = certs {
        let len = usize::from(*hi) << 8 | usize::from(*lo);
        let (der, tail) = rest.split_at(len.min(rest.len()));
        chain.push(der.to_vec());
        certs = tail;
    }
    let mut ev = DnsEvidence {
        host: "example.org".into(),
        resolver: "127.0.0.1:53535".into(),
        a: vec!["127.0.0.1".into()],
        aaaa: vec!["::1".into()],
        caa: Vec::new(),
        caa_owner: Some("example.org".into()),
        tlsa: Vec::new(),
        dnssec: DnssecStatus::Secure,
        errors: Vec::new(),
        elapsed_ms: 0,
    };
    let mut issuer = None;
    for line in text.lines() {
        let fields: Vec<&str> = line.splitn(5, ' ').collect();
        let number = |i: usize| fields.get(i).and_then(|w| w.parse::<u8>().ok());
        match fields.first().copied().unwrap_or_default() {
            "caa" => {
                let mut rest = line.splitn(4, ' ').skip(2);
                if let Some(flags) = number(1) {
                    ev.caa.push(CaaRecord {
                        flags,
                        tag: rest.next().unwrap_or_default().to_string(),
                        value: rest.next().unwrap_or_default().to_string(),
                    });
                }
            }
            "tlsa" => {
                if let (Some(usage), Some(selector), Some(matching_type)) =
                    (number(1), number(2), number(3))
                {
                    ev.tlsa.push(TlsaRecord {
                        usage,
                        selector,
                        matching_type,
                        data_hex: fields.get(4).copied().unwrap_or_default().to_string(),
                    });
                }
            }
            "issuer" => issuer = line.get(7..),
            _ => {
                let _ = vigil_dns::caa_domains_for_issuer(line);
            }
        }
    }
    let _ = vigil_dns::caa_verdict(&ev, issuer);
    let tlsa = vigil_dns::tlsa_verdict(&ev, &chain);
    let _ = vigil_dns::json_view(&ev, &chain);
    DnsInput {
        caa: ev.caa.len(),
        tlsa: ev.tlsa.len(),
        certs: chain.len(),
        matches: tlsa.matches,
    }
}
