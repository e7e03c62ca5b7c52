//! The probing plan: versions and suites (n+1 elimination per version), server order, groups,
//! DH parameters, chains, staple, and the odd flags, all under one connection cap and deadline.

use crate::budget::{Gates, process_budget};
use crate::exchange::{Answer, ExchangeLimits, Flight, exchange, raw_exchange};
use crate::handshake::{HandshakeFacts, real_handshake};
use crate::robot::RobotOutcome;
use base64::Engine;
use futures_util::future::join_all;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use vigil_guard::AddressPolicy;
use vigil_model::{ServedChain, TlsEvidence, VersionEvidence};
use vigil_tls_wire::client_hello::{SSLV2_SPECS, sslv2_client_hello};
use vigil_tls_wire::server::{
    KeyExchangeParams, parse_dhe_params, parse_ecdhe_params, parse_sslv2_server_hello,
};
use vigil_tls_wire::suites::{self, Authentication, KeyExchange};
use vigil_tls_wire::{AlertDescription, CipherSuite, ClientHello, NamedGroup, ProtocolVersion};

/// How hard and how long to probe one endpoint.
#[derive(Debug, Clone)]
pub struct TlsProbeConfig {
    /// Per connection: connect, write, read the answer.
    pub probe_timeout: Duration,
    /// The real handshake plus `GET /`.
    pub handshake_timeout: Duration,
    /// The whole scan of one endpoint.
    pub total_timeout: Duration,
    /// Connections open at once to one endpoint.
    pub max_parallel: usize,
    /// Bytes read per probe (bounds memory; large enough for a chain with a 1 MiB leaf).
    pub max_flight_bytes: usize,
    /// Suites per ClientHello (some servers choke on long lists).
    pub suites_per_hello: usize,
    /// A counter of connections opened, shared with a caller that shows progress.
    pub progress: Option<Arc<AtomicU32>>,
    /// Connections open at once across every endpoint probed with this budget; `None` uses
    /// the process-wide one ([`crate::budget::DEFAULT_PROCESS_CONNECTIONS`]). A caller that
    /// scans many hosts passes one semaphore to all of them.
    pub connection_budget: Option<Arc<Semaphore>>,
    /// Further attempts after a probe timed out or could not connect (a rate limit, a full
    /// descriptor table, a lost packet), and after a connection closed without an answer
    /// (one at most: a server that closes twice is refusing). What still fails is recorded as
    /// unknown, never as "not offered".
    pub retries: u32,
    /// Wait before the first retry of a timeout or failed connect; doubled for each further one.
    pub retry_backoff: Duration,
    /// Which addresses the probes may connect to: the address probed is chosen among those the
    /// guard allows, and every connection checks it again. `AllowAll` unless the scan is public.
    pub guard: AddressPolicy,
}

impl Default for TlsProbeConfig {
    fn default() -> Self {
        Self {
            probe_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(8),
            total_timeout: Duration::from_secs(60),
            max_parallel: 16,
            // A Certificate message of the largest size the reader reassembles, plus the rest.
            max_flight_bytes: vigil_tls_wire::record::MAX_HANDSHAKE_MESSAGE + 64 * 1024,
            suites_per_hello: 120,
            progress: None,
            connection_budget: None,
            retries: 2,
            retry_backoff: Duration::from_millis(50),
            guard: AddressPolicy::AllowAll,
        }
    }
}

struct Prober {
    addr: SocketAddr,
    sni: Option<String>,
    limits: ExchangeLimits,
    gates: Gates,
    probes: Arc<AtomicU32>,
    retries: u32,
    retry_backoff: Duration,
}

/// The server's suite order for one version.
struct SuiteOrder {
    server_order: Option<bool>,
    /// In the server's preference order when it imposes one.
    suites: Vec<CipherSuite>,
    /// The server prefers its own order except that a client listing ChaCha20 first gets it.
    chacha_priority: Option<bool>,
}

/// Findings of the legacy (SSL 3.0 - TLS 1.2) enumeration of one version.
#[derive(Default)]
struct LegacyVersion {
    accepted: Vec<CipherSuite>,
    flights: Vec<(CipherSuite, Flight, bool, bool)>,
    errors: Vec<String>,
}

/// The wait before attempt `attempt + 1` (0-based) after `answer`, `None` when the answer
/// stands: an alert or a ServerHello is the server's word, garbage will not improve, a close
/// is retried once at once, a timeout or failed connect up to `retries` times with backoff.
fn retry_delay(answer: &Answer, attempt: u32, retries: u32, backoff: Duration) -> Option<Duration> {
    if attempt >= retries {
        return None;
    }
    match answer {
        Answer::Timeout | Answer::ConnectFailed(_) => {
            Some(backoff.saturating_mul(1u32 << attempt.min(8)))
        }
        Answer::Closed if attempt == 0 => Some(Duration::ZERO),
        _ => None,
    }
}

/// Per-group probe results as the groups accepted and the reasons of those left unknown.
fn split_groups(results: Vec<(Option<u16>, Option<String>)>) -> (Vec<u16>, Vec<String>) {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for (hit, why) in results {
        found.extend(hit);
        unknown.extend(why);
    }
    (found, unknown)
}

/// What stayed abnormal after the retries, worded for the report.
fn unknown_reason(answer: &Answer, attempts: u32) -> Option<String> {
    let e = answer.abnormal()?;
    Some(if attempts > 1 {
        format!("{e} ({attempts} attempts)")
    } else {
        e
    })
}

impl Prober {
    async fn ask(&self, hello: &ClientHello, want_flight: bool) -> Answer {
        self.ask_counted(hello, want_flight).await.0
    }

    /// One probe with its bounded retries: the last answer and how many attempts it took.
    async fn ask_counted(&self, hello: &ClientHello, want_flight: bool) -> (Answer, u32) {
        let records = hello.to_records();
        let mut attempt = 0;
        loop {
            let answer = {
                let _permit = self.gates.permit().await;
                self.probes.fetch_add(1, Ordering::Relaxed);
                exchange(self.addr, &records, want_flight, self.limits).await
            };
            match retry_delay(&answer, attempt, self.retries, self.retry_backoff) {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return (answer, attempt + 1),
            }
        }
    }

    fn legacy_hello(&self, version: ProtocolVersion, suites: &[CipherSuite]) -> ClientHello {
        if version == ProtocolVersion::SSL3_0 {
            return ClientHello {
                record_version: version,
                client_version: version,
                no_extensions: true,
                suites: suites.to_vec(),
                ..ClientHello::default()
            };
        }
        ClientHello {
            client_version: version,
            server_name: self.sni.clone(),
            groups: NamedGroup::known()
                .filter(|g| g.is_ecdhe_curve() || g.is_ffdhe())
                .collect(),
            suites: suites.to_vec(),
            ..ClientHello::default()
        }
    }

    fn tls13_hello(
        &self,
        suites: &[CipherSuite],
        groups: Vec<NamedGroup>,
        share: bool,
    ) -> ClientHello {
        let key_shares = if share && groups.contains(&NamedGroup::X25519) {
            // Any 32 bytes are an X25519 public key; the handshake is never finished.
            vec![(NamedGroup::X25519, vec![0x09; 32])]
        } else {
            Vec::new()
        };
        ClientHello {
            client_version: ProtocolVersion::TLS1_2,
            server_name: self.sni.clone(),
            supported_versions: vec![ProtocolVersion::TLS1_3],
            groups,
            key_shares,
            suites: suites.to_vec(),
            ..ClientHello::default()
        }
    }

    /// n+1 elimination over `candidates` (split into hellos of bounded size, run concurrently).
    async fn enumerate_legacy(&self, version: ProtocolVersion, size: usize) -> LegacyVersion {
        let all = suites::legacy_suites();
        let chunks: Vec<Vec<CipherSuite>> = all.chunks(size.max(1)).map(<[_]>::to_vec).collect();
        let runs = chunks.into_iter().map(|mut remaining| async move {
            let mut found = LegacyVersion::default();
            while !remaining.is_empty() {
                let (answer, attempts) = self
                    .ask_counted(&self.legacy_hello(version, &remaining), true)
                    .await;
                if let Some(e) = unknown_reason(&answer, attempts) {
                    found.errors.push(e);
                }
                let Answer::Hello(hello, flight) = answer else {
                    break;
                };
                if hello.version() != version || !remaining.contains(&hello.suite) {
                    break;
                }
                remaining.retain(|&s| s != hello.suite);
                found.accepted.push(hello.suite);
                let reneg = hello.extension(0xff01).is_some();
                let ems = hello.extension(23).is_some();
                found.flights.push((hello.suite, flight, reneg, ems));
            }
            found
        });
        let mut merged = LegacyVersion::default();
        for part in join_all(runs).await {
            merged.accepted.extend(part.accepted);
            merged.flights.extend(part.flights);
            // The hellos of one version fail alike; one line each is enough.
            for e in part.errors {
                if !merged.errors.contains(&e) {
                    merged.errors.push(e);
                }
            }
        }
        merged
    }

    /// n+1 elimination over the TLS 1.3 suites; a HelloRetryRequest also names the suite.
    async fn enumerate_tls13(&self) -> (Vec<CipherSuite>, Vec<String>) {
        let mut remaining = suites::tls13_suites();
        let groups: Vec<NamedGroup> = NamedGroup::known().collect();
        let mut accepted = Vec::new();
        let mut errors = Vec::new();
        while !remaining.is_empty() {
            let (answer, attempts) = self
                .ask_counted(&self.tls13_hello(&remaining, groups.clone(), true), false)
                .await;
            if let Some(e) = unknown_reason(&answer, attempts) {
                errors.push(e);
            }
            let Some(hello) = answer.hello() else { break };
            if hello.version() != ProtocolVersion::TLS1_3 || !remaining.contains(&hello.suite) {
                break;
            }
            remaining.retain(|&s| s != hello.suite);
            accepted.push(hello.suite);
        }
        (accepted, errors)
    }

    /// Whether the server imposes its order, and the order (its own when it does).
    async fn order<F>(&self, accepted: &[CipherSuite], make: F) -> SuiteOrder
    where
        F: Fn(&[CipherSuite]) -> ClientHello,
    {
        let unordered = |server_order| SuiteOrder {
            server_order,
            suites: accepted.to_vec(),
            chacha_priority: None,
        };
        if accepted.len() < 2 {
            return unordered(None);
        }
        let is_chacha = |s: &CipherSuite| {
            suites::info(*s).is_some_and(|i| i.cipher == suites::Cipher::ChaCha20)
        };
        // Two opposite orders. ChaCha20 stays last in both when there are two other suites to
        // swap, so a ChaCha preference (OpenSSL's PRIORITIZE_CHACHA) cannot pass for client
        // order.
        let others: Vec<CipherSuite> = accepted.iter().copied().filter(|s| !is_chacha(s)).collect();
        let chachas: Vec<CipherSuite> = accepted.iter().copied().filter(is_chacha).collect();
        let (first, second): (Vec<CipherSuite>, Vec<CipherSuite>) = if others.len() >= 2 {
            (
                others.iter().chain(&chachas).copied().collect(),
                others.iter().rev().chain(&chachas).copied().collect(),
            )
        } else {
            (accepted.to_vec(), accepted.iter().rev().copied().collect())
        };
        let (forward, backward) = (make(&first), make(&second));
        let (a, b) = tokio::join!(self.ask(&forward, false), self.ask(&backward, false));
        let (Some(a), Some(b)) = (a.hello().map(|h| h.suite), b.hello().map(|h| h.suite)) else {
            return unordered(None);
        };
        if Some(&a) == first.first() && Some(&b) == second.first() {
            return unordered(Some(false));
        }
        // The server imposes an order. Its own order: what it picks from what is left, with
        // ChaCha20 listed last so a ChaCha preference cannot bend the answer.
        let mut remaining = accepted.to_vec();
        let mut ordered = Vec::new();
        while !remaining.is_empty() {
            let mut offer: Vec<CipherSuite> = remaining
                .iter()
                .copied()
                .filter(|s| !is_chacha(s))
                .collect();
            offer.extend(remaining.iter().copied().filter(is_chacha));
            let answer = self.ask(&make(&offer), false).await;
            match answer.hello().map(|h| h.suite) {
                Some(s) if remaining.contains(&s) => {
                    remaining.retain(|&r| r != s);
                    ordered.push(s);
                }
                _ => break,
            }
        }
        ordered.extend(remaining);
        // ChaCha priority: a client listing ChaCha20 first gets it although the server would
        // choose something else first.
        let chacha_priority = match ordered.iter().position(is_chacha) {
            Some(0) | None => None,
            Some(i) => {
                let mut offer = vec![ordered[i]];
                offer.extend(ordered.iter().copied().filter(|s| *s != ordered[i]));
                let answer = self.ask(&make(&offer), false).await;
                answer.hello().map(|h| h.suite == ordered[i])
            }
        };
        SuiteOrder {
            server_order: Some(true),
            suites: ordered,
            chacha_priority,
        }
    }

    /// TLS 1.3 groups: a HelloRetryRequest naming G when only G is offered, with no share.
    /// TLS 1.3 groups, and the groups whose probe got no answer after its retries.
    async fn groups_tls13(&self, suites13: &[CipherSuite]) -> (Vec<u16>, Vec<String>) {
        let checks = NamedGroup::known().map(|g| async move {
            let (answer, attempts) = self
                .ask_counted(&self.tls13_hello(suites13, vec![g], false), false)
                .await;
            let hit = answer.hello().is_some_and(|h| {
                h.version() == ProtocolVersion::TLS1_3 && h.key_share_group() == Some(g)
            });
            let unknown =
                unknown_reason(&answer, attempts).map(|e| format!("group {}: {e}", g.name()));
            (hit.then_some(g.0), unknown)
        });
        split_groups(join_all(checks).await)
    }

    /// TLS 1.2-and-older groups: the curve the ServerKeyExchange names when only G is offered
    /// (with the certificate's possible curves added for ECDSA, which OpenSSL requires).
    async fn groups_legacy(
        &self,
        version: ProtocolVersion,
        ecdhe: &[CipherSuite],
        ecdsa: bool,
    ) -> (Vec<u16>, Vec<String>) {
        let checks = NamedGroup::known()
            .filter(|g| g.is_ecdhe_curve())
            .map(|g| async move {
                let names = |groups: Vec<NamedGroup>| {
                    let mut hello = self.legacy_hello(version, ecdhe);
                    hello.groups = groups;
                    hello
                };
                let (curve, why) = self.curve_of(&names(vec![g])).await;
                if curve == Some(g) {
                    return (Some(g.0), None);
                }
                if ecdsa {
                    let mut with_cert_curves = vec![g];
                    with_cert_curves.extend(
                        [
                            NamedGroup::SECP256R1,
                            NamedGroup::SECP384R1,
                            NamedGroup::SECP521R1,
                        ]
                        .into_iter()
                        .filter(|&c| c != g),
                    );
                    let (curve, why2) = self.curve_of(&names(with_cert_curves)).await;
                    if curve == Some(g) {
                        return (Some(g.0), None);
                    }
                    return (
                        None,
                        why.or(why2).map(|e| format!("group {}: {e}", g.name())),
                    );
                }
                (None, why.map(|e| format!("group {}: {e}", g.name())))
            });
        split_groups(join_all(checks).await)
    }

    /// The curve the ServerKeyExchange names, and why there is none when the probe got no
    /// answer after its retries.
    async fn curve_of(&self, hello: &ClientHello) -> (Option<NamedGroup>, Option<String>) {
        let (answer, attempts) = self.ask_counted(hello, true).await;
        let Answer::Hello(_, flight) = &answer else {
            return (None, unknown_reason(&answer, attempts));
        };
        let curve = match flight
            .server_key_exchange
            .as_deref()
            .map(parse_ecdhe_params)
        {
            Some(Ok(KeyExchangeParams::Ecdhe { group, .. })) => Some(group),
            _ => None,
        };
        (curve, None)
    }

    /// The real handshake under the caps. Not retried: rustls refuses many servers the
    /// cleartext probes still read (static RSA only, SSL 3.0), quickly, and a retry there
    /// would only add a backoff to every such scan.
    async fn handshake(&self, host: &str, timeout: Duration) -> Option<HandshakeFacts> {
        let _permit = self.gates.permit().await;
        self.probes.fetch_add(1, Ordering::Relaxed);
        // A task of its own, so that whatever rustls computes (or waits for: see
        // [`warm_random`]) never holds up the thread that polls the other probes.
        let (addr, host, guard) = (self.addr, host.to_string(), self.limits.guard);
        tokio::spawn(async move { real_handshake(addr, &host, timeout, guard).await })
            .await
            .ok()
            .flatten()
    }

    async fn sslv2(&self) -> VersionEvidence {
        let hello = sslv2_client_hello(SSLV2_SPECS, &[0x2a; 16]);
        let mut ev = VersionEvidence {
            version: ProtocolVersion::SSL2_0.0,
            supported: false,
            suites: Vec::new(),
            server_order: None,
            chacha_priority: None,
            errors: Vec::new(),
        };
        let mut attempt = 0;
        let outcome = loop {
            let outcome = {
                let _permit = self.gates.permit().await;
                self.probes.fetch_add(1, Ordering::Relaxed);
                raw_exchange(self.addr, &hello, self.limits).await
            };
            let wait = match &outcome {
                Ok(bytes) if bytes.is_empty() => {
                    retry_delay(&Answer::Closed, attempt, self.retries, self.retry_backoff)
                }
                Ok(_) => None,
                Err(answer) => retry_delay(answer, attempt, self.retries, self.retry_backoff),
            };
            match wait {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => break outcome,
            }
        };
        match outcome {
            Ok(bytes) => {
                if let Ok(h) = parse_sslv2_server_hello(&bytes) {
                    ev.suites = h
                        .specs
                        .iter()
                        .map(|s| (u32::from(s[0]) << 16) | (u32::from(s[1]) << 8) | u32::from(s[2]))
                        .collect();
                    ev.supported = !ev.suites.is_empty();
                }
            }
            Err(answer) => ev.errors.extend(unknown_reason(&answer, attempt + 1)),
        }
        ev
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Seeds the crypto library's random generator on a blocking thread, once per process, as
/// soon as a scan starts. aws-lc seeds it on first use from CPU jitter entropy, about 50 ms
/// of computation; left to the first real handshake, that ran on the thread polling every
/// probe and stalled them all (the "~50 ms step" of `bench/tls.sh`). Started first, it runs
/// on another core beside the name lookup and the first round of probes.
fn warm_random() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        tokio::task::spawn_blocking(|| {
            let provider = rustls::crypto::aws_lc_rs::default_provider();
            let _ = provider.secure_random.fill(&mut [0u8; 1]);
        });
    });
}

/// Probes `host:port` and returns what it found; failures become evidence, never panics.
pub async fn retrieve_tls(host: &str, port: u16, config: &TlsProbeConfig) -> TlsEvidence {
    let started = Instant::now();
    warm_random();
    let mut ev = TlsEvidence::empty(host, port);
    let addr = match tokio::net::lookup_host((host, port)).await {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            let refused = addrs.iter().find_map(|a| config.guard.check(a.ip()).err());
            match addrs.iter().find(|a| config.guard.allows(a.ip())) {
                Some(a) => *a,
                None => {
                    ev.failure = Some(match refused {
                        Some(r) => r.to_string(),
                        None => format!("{host} has no address"),
                    });
                    return ev;
                }
            }
        }
        Err(e) => {
            ev.failure = Some(format!("cannot resolve {host}: {e}"));
            return ev;
        }
    };
    ev.address = Some(addr.ip().to_string());
    let budget = config
        .connection_budget
        .clone()
        .unwrap_or_else(process_budget);
    // Reachability first, retried like a probe, so a host that is down fails at once with
    // one clear reason instead of as many unknowns as there are probes.
    let mut attempt = 0;
    loop {
        let reached = {
            let _slot = budget.acquire().await;
            tokio::time::timeout(
                config.probe_timeout,
                crate::net::connect(addr, config.guard),
            )
            .await
        };
        let answer = match reached {
            Ok(Ok(_)) => break,
            Ok(Err(e)) => Answer::ConnectFailed(e.to_string()),
            Err(_) => Answer::Timeout,
        };
        if let Some(wait) = retry_delay(&answer, attempt, config.retries, config.retry_backoff) {
            tokio::time::sleep(wait).await;
            attempt += 1;
            continue;
        }
        ev.failure = Some(match answer {
            Answer::ConnectFailed(e) => format!("cannot connect to {addr}: {e}"),
            _ => format!("connecting to {addr} timed out"),
        });
        return ev;
    }
    let prober = Prober {
        addr,
        sni: host
            .parse::<std::net::IpAddr>()
            .is_err()
            .then(|| host.to_string()),
        limits: ExchangeLimits {
            timeout: config.probe_timeout,
            max_bytes: config.max_flight_bytes,
            guard: config.guard,
        },
        gates: Gates::new(config.max_parallel, budget),
        probes: {
            let counter = config.progress.clone().unwrap_or_default();
            counter.fetch_add(1, Ordering::Relaxed);
            counter
        },
        retries: config.retries,
        retry_backoff: config.retry_backoff,
    };
    let work = probe_all(&prober, host, config, &mut ev);
    if tokio::time::timeout(config.total_timeout, work)
        .await
        .is_err()
    {
        ev.failure = Some(format!(
            "the scan did not finish within {} s",
            config.total_timeout.as_secs()
        ));
    }
    ev.probes = prober.probes.load(Ordering::Relaxed);
    ev.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    ev
}

async fn probe_all(p: &Prober, host: &str, config: &TlsProbeConfig, ev: &mut TlsEvidence) {
    let size = config.suites_per_hello;
    let legacy_versions = [
        ProtocolVersion::SSL3_0,
        ProtocolVersion::TLS1_0,
        ProtocolVersion::TLS1_1,
        ProtocolVersion::TLS1_2,
    ];
    // The real handshake runs beside every other probe instead of gating the second round:
    // it is the slowest probe (two handshakes and a GET), and its first use of the crypto
    // library's random generator pays the generator's one-time seeding.
    let facts = p.handshake(host, config.handshake_timeout);
    let probes = async {
        let (sslv2, legacy, tls13) = tokio::join!(
            p.sslv2(),
            join_all(legacy_versions.iter().map(|&v| p.enumerate_legacy(v, size))),
            p.enumerate_tls13(),
        );

        // Order, per version, then groups and the rest, all concurrently.
        let orders = join_all(legacy_versions.iter().zip(&legacy).map(|(&v, found)| {
            p.order(&found.accepted, move |s: &[CipherSuite]| {
                p.legacy_hello(v, s)
            })
        }));
        let all_groups: Vec<NamedGroup> = NamedGroup::known().collect();
        let order13 = p.order(&tls13.0, |s: &[CipherSuite]| {
            p.tls13_hello(s, all_groups.clone(), true)
        });

        let best_legacy = legacy_versions
            .iter()
            .zip(&legacy)
            .rev()
            .find(|(_, f)| !f.accepted.is_empty());
        let info = |s: &CipherSuite| suites::info(*s);
        let (ecdhe, ecdsa, dhe) = best_legacy.map_or((Vec::new(), false, Vec::new()), |(_, f)| {
            let ecdhe: Vec<CipherSuite> = f
                .accepted
                .iter()
                .copied()
                .filter(|s| info(s).is_some_and(|i| i.kx == KeyExchange::Ecdhe))
                .collect();
            let ecdsa = ecdhe
                .iter()
                .any(|s| info(s).is_some_and(|i| i.auth == Authentication::Ecdsa));
            let dhe: Vec<CipherSuite> = f
                .accepted
                .iter()
                .copied()
                .filter(|s| info(s).is_some_and(|i| i.kx == KeyExchange::Dhe))
                .collect();
            (ecdhe, ecdsa, dhe)
        });
        let best_version = best_legacy.map(|(&v, _)| v);
        let groups12 = async {
            match best_version {
                Some(v) if !ecdhe.is_empty() => p.groups_legacy(v, &ecdhe, ecdsa).await,
                _ => (Vec::new(), Vec::new()),
            }
        };
        let groups13 = async {
            if tls13.0.is_empty() {
                (Vec::new(), Vec::new())
            } else {
                p.groups_tls13(&tls13.0).await
            }
        };
        let dh = async {
            let v = best_version?;
            if dhe.is_empty() {
                return None;
            }
            let Answer::Hello(_, flight) = p.ask(&p.legacy_hello(v, &dhe), true).await else {
                return None;
            };
            match parse_dhe_params(flight.server_key_exchange.as_deref()?) {
                Ok(KeyExchangeParams::Dhe { prime, .. }) => Some(hex::encode(&prime)),
                _ => None,
            }
        };
        let extras = extras(p, &legacy_versions, &legacy, !tls13.0.is_empty());
        // ROBOT needs static-RSA key exchange; it is tried with TLS 1.2 when offered there.
        let rsa12: Vec<CipherSuite> = legacy_versions
            .iter()
            .zip(&legacy)
            .find(|(v, _)| **v == ProtocolVersion::TLS1_2)
            .map(|(_, f)| {
                f.accepted
                    .iter()
                    .copied()
                    .filter(|s| info(s).is_some_and(|i| i.kx == KeyExchange::Rsa))
                    .collect()
            })
            .unwrap_or_default();
        let robot = async {
            if rsa12.is_empty() {
                return None;
            }
            let hello = p.legacy_hello(ProtocolVersion::TLS1_2, &rsa12).to_records();
            let outcome = crate::robot::test(p.addr, &hello, p.limits, &p.gates).await;
            let runs = if matches!(outcome, RobotOutcome::NotVulnerable) {
                5
            } else {
                10
            };
            p.probes.fetch_add(runs, Ordering::Relaxed);
            Some(outcome)
        };
        let (orders, order13, groups12, groups13, dh, extras, robot) =
            tokio::join!(orders, order13, groups12, groups13, dh, extras, robot);
        (
            sslv2, legacy, tls13, orders, order13, groups12, groups13, dh, extras, robot,
        )
    };
    let (facts, (sslv2, legacy, tls13, orders, order13, groups12, groups13, dh, extras, robot)) =
        tokio::join!(facts, probes);
    ev.versions.push(sslv2);
    let info = |s: &CipherSuite| suites::info(*s);
    (ev.robot, ev.robot_note) = match robot {
        None => (None, None),
        Some(RobotOutcome::NotVulnerable) => (Some(false), None),
        Some(RobotOutcome::Vulnerable) => (Some(true), None),
        Some(RobotOutcome::Inconclusive(why)) => (None, Some(format!("inconclusive: {why}"))),
        Some(RobotOutcome::NotTested(why)) => (None, Some(format!("not tested: {why}"))),
    };

    for ((&v, found), order) in legacy_versions.iter().zip(&legacy).zip(orders) {
        ev.versions.push(VersionEvidence {
            version: v.0,
            supported: !found.accepted.is_empty(),
            suites: order.suites.iter().map(|s| u32::from(s.0)).collect(),
            server_order: order.server_order,
            chacha_priority: order.chacha_priority,
            errors: found.errors.clone(),
        });
    }
    ev.versions.push(VersionEvidence {
        version: ProtocolVersion::TLS1_3.0,
        supported: !tls13.0.is_empty(),
        suites: order13.suites.iter().map(|s| u32::from(s.0)).collect(),
        server_order: order13.server_order,
        chacha_priority: order13.chacha_priority,
        errors: tls13.1.clone(),
    });
    ev.groups_tls12 = groups12.0;
    ev.groups_tls13 = groups13.0;
    ev.groups_unknown = groups12.1.into_iter().chain(groups13.1).collect();
    ev.dh_prime_hex = dh;
    (ev.compression, ev.fallback_scsv, ev.heartbleed) = extras;

    // Chains: one per authentication kind from the cleartext flights, newest version first,
    // then the real handshake's (the only source for TLS 1.3-only servers).
    let mut kinds_seen: Vec<Authentication> = Vec::new();
    for (&v, found) in legacy_versions.iter().zip(&legacy).rev() {
        for (suite, flight, reneg, ems) in &found.flights {
            ev.secure_renegotiation.get_or_insert(*reneg);
            ev.extended_master_secret.get_or_insert(*ems);
            if ev.ocsp_staple_b64.is_none() {
                ev.ocsp_staple_b64 = flight.ocsp_staple.as_deref().map(b64);
            }
            let Some(certs) = &flight.certificates else {
                continue;
            };
            let Some(kind) = info(suite).map(|i| i.auth) else {
                continue;
            };
            if certs.is_empty() || kinds_seen.contains(&kind) {
                continue;
            }
            kinds_seen.push(kind);
            ev.chains.push(ServedChain {
                via: format!("{} {kind:?}", v.name()),
                der_b64: certs.iter().map(|c| b64(c)).collect(),
            });
        }
    }
    if let Some(HandshakeFacts {
        version,
        chain,
        ocsp_staple,
        alpn,
        resumed,
        hsts,
        http_status,
    }) = facts
    {
        ev.session_resumption = resumed;
        let same_chain = ev
            .chains
            .iter()
            .any(|c| c.der_b64.first() == chain.first().map(|d| b64(d)).as_ref());
        if !chain.is_empty() && !same_chain {
            let via = version.map_or("handshake".to_string(), |v| ProtocolVersion(v).name());
            ev.chains.push(ServedChain {
                via,
                der_b64: chain.iter().map(|c| b64(c)).collect(),
            });
        }
        if ev.ocsp_staple_b64.is_none() {
            ev.ocsp_staple_b64 = ocsp_staple.as_deref().map(b64);
        }
        ev.alpn = alpn;
        ev.hsts = hsts;
        ev.http_status = http_status;
    }
}

/// TLS compression (deflate offered beside null), TLS_FALLBACK_SCSV (a hello below the best
/// version carrying the SCSV must be refused with inappropriate_fallback) and Heartbleed.
async fn extras(
    p: &Prober,
    versions: &[ProtocolVersion],
    legacy: &[LegacyVersion],
    tls13: bool,
) -> (Option<bool>, Option<bool>, Option<bool>) {
    let supported: Vec<(ProtocolVersion, &LegacyVersion)> = versions
        .iter()
        .copied()
        .zip(legacy)
        .filter(|(_, f)| !f.accepted.is_empty())
        .collect();
    let Some(&(best, best_found)) = supported.last() else {
        return (None, None, None);
    };
    let compression = async {
        let mut hello = p.legacy_hello(best, &best_found.accepted);
        hello.compression = vec![1, 0];
        p.ask(&hello, false)
            .await
            .hello()
            .map(|h| h.compression != 0)
    };
    // The version to fall back to: below TLS 1.3 when it is offered, else the next lower one.
    let fallback_to = if tls13 {
        Some((best, best_found))
    } else {
        supported.iter().rev().nth(1).copied()
    };
    let fallback = async {
        let (v, found) = fallback_to?;
        let mut list = found.accepted.clone();
        list.push(CipherSuite::FALLBACK_SCSV);
        match p.ask(&p.legacy_hello(v, &list), false).await {
            Answer::Alert(a) => Some(a == AlertDescription::INAPPROPRIATE_FALLBACK),
            Answer::Hello(..) => Some(false),
            _ => None,
        }
    };
    let bleed = async {
        if best > ProtocolVersion::TLS1_2 || best == ProtocolVersion::SSL3_0 {
            return None;
        }
        let mut hello = p.legacy_hello(best, &best_found.accepted);
        hello.heartbeat = true;
        let _permit = p.gates.permit().await;
        p.probes.fetch_add(1, Ordering::Relaxed);
        crate::heartbleed::test(p.addr, &hello.to_records(), best.0, p.limits).await
    };
    tokio::join!(compression, fallback, bleed)
}
