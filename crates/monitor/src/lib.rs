//! The list's engine. Every instance in the store is checked for uptime every check interval
//! and fully scanned every scan interval, each job claimed with a lease so that any number of
//! workers (processes sharing one PostgreSQL database, or tasks on one SQLite file) share the
//! due work and a killed worker's jobs return to the pool when its lease ends.
//!
//! The scan is the same `vigil_scan::retrieve` + `assess` the CLI runs, and what is stored is the
//! same `InstanceReport` the CLI prints, with the evidence kept for `vigil regrade`.
//! Crawler manners: a `User-Agent` naming Vigil and the operator's contact URL, robots.txt and
//! HTTP 410 honoured as opt-outs, one connection burst per host at a time, backoff for hosts
//! that refuse, daily checks for dead ones.

pub mod check;
pub mod guard;
pub mod peers;
pub mod public;
pub mod robots;
pub mod round;
pub mod schedule;

use futures_util::stream::{self, StreamExt};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use vigil_fedi::client::Client;
use vigil_model::Hostname;
use vigil_scan::{Assessor, InstanceReport, ScanProfile, Summary};
use vigil_store::{JobKind, NewCheck, NewScan, ScanSummary, Store, StoreError};

/// How the monitor paces itself.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// This worker's name in leases (host name, process id and a random part).
    pub worker: String,
    pub check_interval: Duration,
    pub scan_interval: Duration,
    /// How long a claimed job stays this worker's; a worker that dies loses its jobs after it.
    pub lease: Duration,
    /// Full scans in flight at once (each is one connection burst to one host).
    pub scan_concurrency: usize,
    /// Uptime checks in flight at once.
    pub check_concurrency: usize,
    /// Timeout of one uptime check.
    pub check_timeout: Duration,
    /// A host the operator trusts to be up: when it fails, the round is void.
    pub canary: Option<Hostname>,
    /// Add the names in scanned instances' peer lists.
    pub discover: bool,
    /// Most names taken from one instance's peer list.
    pub peers_per_instance: usize,
    /// How often to look for due work.
    pub tick: Duration,
    /// How long SIGTERM waits for jobs in hand before releasing them.
    pub grace: Duration,
    /// Down this long means dead (14 days; shorter only in tests).
    pub dead_after: Duration,
    /// What the store keeps, and how often the monitor prunes the rest.
    pub retention: vigil_store::Retention,
    pub prune_every: Duration,
}

impl MonitorConfig {
    /// Defaults for `worker`: 5 min checks, daily scans.
    pub fn new(worker: String) -> MonitorConfig {
        MonitorConfig {
            worker,
            check_interval: Duration::from_secs(300),
            scan_interval: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(120),
            scan_concurrency: 8,
            check_concurrency: 64,
            check_timeout: Duration::from_secs(10),
            canary: None,
            discover: false,
            peers_per_instance: 1000,
            tick: Duration::from_secs(2),
            grace: Duration::from_secs(30),
            dead_after: Duration::from_secs(
                u64::try_from(schedule::DEAD_AFTER_SECS).unwrap_or(1_209_600),
            ),
            retention: vigil_store::Retention::default(),
            prune_every: Duration::from_secs(6 * 3600),
        }
    }
}

/// The `User-Agent` every monitor request carries: Vigil, its version, and where the operator
/// can be reached, as fediverse admins ask of crawlers.
pub fn user_agent(contact_url: Option<&str>) -> String {
    match contact_url {
        Some(url) => format!("Vigil/{} (+{url})", env!("CARGO_PKG_VERSION")),
        None => format!(
            "Vigil/{} (+https://github.com/vigil-scan/vigil)",
            env!("CARGO_PKG_VERSION")
        ),
    }
}

/// A name for this worker in leases: host name, process id and time, unique enough that two
/// processes never share one.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "vigil".to_string());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{host}-{}-{nanos:08x}", std::process::id())
}

/// Why the monitor stopped.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTPS client from the trust store")]
    Client,
}

/// What the monitor has done since it started (for the progress line and `/healthz`).
#[derive(Debug, Default)]
pub struct Stats {
    pub scans: AtomicU64,
    pub checks: AtomicU64,
    pub void_checks: AtomicU64,
    pub lost_leases: AtomicU64,
    pub discovered: AtomicU64,
    pub errors: AtomicU64,
}

/// How the monitor reaches one kind of instance: the scan profile and the two clients.
struct Reach {
    profile: Arc<ScanProfile>,
    client: Client,
    peers_client: Client,
}

/// True for instances the operator added (by hand or from a file): scanned with the
/// operator's profile, whatever their addresses. Anything else (peers) came from outside.
fn trusted(source: &str) -> bool {
    source == "operator" || source == "import"
}

/// The scanner and checker over one store.
pub struct Monitor {
    store: Arc<Store>,
    cfg: MonitorConfig,
    profile: Arc<ScanProfile>,
    client: Client,
    peers_client: Client,
    /// For instances that came from outside: the same profile and clients with the address
    /// guard on, so every connection to them is refused unless it goes to a public address
    /// (the pre-check in `allowed` saw one lookup; a later one may answer otherwise).
    public: Reach,
    stats: Arc<Stats>,
    /// Hosts this process is scanning now: their uptime check waits, so a host never sees two
    /// bursts from this monitor at once.
    scanning: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Runs the alert rules after each stored scan and check.
    alerts: Option<Arc<vigil_alerts::Dispatcher>>,
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX).max(1)
}

impl Monitor {
    /// A monitor scanning with `profile` (the same one `vigil scan` builds from its flags). The
    /// profile's fediverse configuration (trust, port, user agent) is reused for checks.
    pub fn new(
        store: Arc<Store>,
        cfg: MonitorConfig,
        profile: ScanProfile,
    ) -> Result<Monitor, MonitorError> {
        let mut fedi = match &profile.fedi {
            Some(f) => f.clone(),
            None => vigil_fedi::FediConfig::new(profile.probe.trust.clone()),
        };
        fedi.limits.request_timeout = cfg.check_timeout;
        let client = Client::new(fedi.clone()).ok_or(MonitorError::Client)?;
        let mut public_fedi = fedi.clone();
        public_fedi.guard = vigil_guard::AddressPolicy::PublicOnly;
        let public_client = Client::new(public_fedi.clone()).ok_or(MonitorError::Client)?;
        // Peer lists of big instances run to megabytes.
        fedi.limits.max_body_bytes = 16 * 1024 * 1024;
        public_fedi.limits.max_body_bytes = fedi.limits.max_body_bytes;
        let peers_client = Client::new(fedi).ok_or(MonitorError::Client)?;
        let public = Reach {
            profile: Arc::new(profile.clone().public_only()),
            client: public_client,
            peers_client: Client::new(public_fedi).ok_or(MonitorError::Client)?,
        };
        Ok(Monitor {
            store,
            cfg,
            profile: Arc::new(profile),
            client,
            peers_client,
            public,
            stats: Arc::new(Stats::default()),
            scanning: std::sync::Mutex::new(std::collections::HashSet::new()),
            alerts: None,
        })
    }

    /// Feeds every stored scan and check to `alerts`' rules.
    pub fn with_alerts(mut self, alerts: Arc<vigil_alerts::Dispatcher>) -> Monitor {
        self.alerts = Some(alerts);
        self
    }

    /// The counters, shared.
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    /// Runs the check and scan loops until `shutdown` is cancelled, then finishes the jobs in
    /// hand (up to the grace period) and gives back the rest.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) -> Result<(), MonitorError> {
        info!(worker = %self.cfg.worker, "monitor started");
        self.store
            .respread_unchecked(vigil_scan::now(), secs(self.cfg.check_interval))
            .await?;
        let checks = tokio::spawn(Arc::clone(&self).check_loop(shutdown.clone()));
        let scans = tokio::spawn(Arc::clone(&self).scan_loop(shutdown.clone()));
        let prunes = tokio::spawn(Arc::clone(&self).prune_loop(shutdown.clone()));
        let (c, s, _) = tokio::join!(checks, scans, prunes);
        info!(worker = %self.cfg.worker, "monitor stopped");
        match (c, s) {
            (Ok(Err(e)), _) | (_, Ok(Err(e))) => Err(e),
            _ => Ok(()),
        }
    }

    async fn scan_loop(self: Arc<Self>, shutdown: CancellationToken) -> Result<(), MonitorError> {
        let mut in_hand: JoinSet<String> = JoinSet::new();
        let mut held: std::collections::HashSet<String> = std::collections::HashSet::new();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let free = self.cfg.scan_concurrency.saturating_sub(in_hand.len());
            if free > 0 {
                let claims = match self
                    .store
                    .claim(
                        JobKind::Scan,
                        &self.cfg.worker,
                        vigil_scan::now(),
                        secs(self.cfg.lease),
                        u32::try_from(free).unwrap_or(u32::MAX),
                    )
                    .await
                {
                    Ok(c) => c,
                    Err(e) => {
                        warn!(error = %e, "cannot claim scans");
                        self.stats.errors.fetch_add(1, Ordering::Relaxed);
                        Vec::new()
                    }
                };
                for claim in claims {
                    held.insert(claim.host.clone());
                    let me = Arc::clone(&self);
                    in_hand.spawn(async move {
                        me.mark_scanning(&claim.host, true);
                        me.scan_one(&claim.host).await;
                        me.mark_scanning(&claim.host, false);
                        claim.host
                    });
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                Some(done) = in_hand.join_next(), if !in_hand.is_empty() => {
                    if let Ok(host) = done { held.remove(&host); }
                }
                _ = tokio::time::sleep(self.cfg.tick) => {}
            }
        }
        // SIGTERM: finish what is in hand within the grace period, give back the rest.
        let grace = tokio::time::sleep(self.cfg.grace);
        tokio::pin!(grace);
        while !in_hand.is_empty() {
            tokio::select! {
                _ = &mut grace => break,
                Some(done) = in_hand.join_next() => {
                    if let Ok(host) = done { held.remove(&host); }
                }
            }
        }
        in_hand.abort_all();
        for host in held {
            let _ = self
                .store
                .release(&host, JobKind::Scan, &self.cfg.worker)
                .await;
        }
        Ok(())
    }

    /// The addresses an outside name leads to, through the configured resolver when there is
    /// one (so tests never ask the system's), else the system's.
    async fn addresses(&self, host: &Hostname) -> Vec<IpAddr> {
        public::outside_addresses(&self.profile, host).await
    }

    /// Prunes the store now and then every `prune_every` (see [`vigil_store::Retention`]);
    /// a failed prune is logged and tried again next time, it never stops the monitor.
    async fn prune_loop(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            match self
                .store
                .prune(vigil_scan::now(), &self.cfg.retention)
                .await
            {
                Ok(p) if p != vigil_store::Pruned::default() => {
                    info!(
                        checks = p.checks,
                        evidence = p.evidence,
                        scans = p.scans,
                        "pruned"
                    );
                }
                Ok(_) => {}
                Err(e) => warn!(error = %e, "prune failed"),
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.cfg.prune_every.max(Duration::from_secs(1))) => {}
            }
        }
    }

    /// The profile and clients for an instance from `source`.
    fn reach_for(&self, source: &str) -> (&ScanProfile, &Client, &Client) {
        if trusted(source) {
            (&self.profile, &self.client, &self.peers_client)
        } else {
            (
                &self.public.profile,
                &self.public.client,
                &self.public.peers_client,
            )
        }
    }

    /// Outside names (peers) may only lead to public addresses.
    async fn allowed(&self, host: &Hostname, source: &str) -> Result<(), String> {
        if trusted(source) {
            return Ok(());
        }
        if !guard::public_name(host.as_str()) {
            return Err(format!("{host} is not a public host name"));
        }
        let addrs = self.addresses(host).await;
        if addrs.is_empty() {
            return Err(format!("{host} has no address"));
        }
        if let Some(bad) = addrs.iter().find(|a| !guard::public_address(**a)) {
            return Err(format!("{host} leads to the non-public address {bad}"));
        }
        Ok(())
    }

    /// Gives a job back and sets when it is due again.
    async fn postpone(&self, host: &str, kind: JobKind, at: i64) {
        if let Err(e) = self.store.postpone(host, kind, &self.cfg.worker, at).await {
            warn!(%host, error = %e, "cannot postpone");
        }
    }

    /// robots.txt says no to Vigil (or to everyone).
    async fn robots_forbid(&self, client: &Client, host: &Hostname) -> bool {
        let Some(url) = client.url(host, "/robots.txt") else {
            return false;
        };
        match client.get(&url, "text/plain").await {
            Ok(a) if a.status == 200 => {
                robots::disallows_all(&String::from_utf8_lossy(&a.body), robots::AGENT)
            }
            _ => false,
        }
    }

    async fn scan_one(&self, host: &str) {
        let now = vigil_scan::now();
        let scan_interval = secs(self.cfg.scan_interval);
        let instance = match self.store.instance(host).await {
            Ok(Some(i)) => i,
            Ok(None) => return,
            Err(e) => {
                warn!(%host, error = %e, "cannot read instance");
                return;
            }
        };
        let Ok(name) = Hostname::parse(host) else {
            warn!(%host, "stored host is not a host name");
            self.postpone(host, JobKind::Scan, now + scan_interval)
                .await;
            return;
        };
        if let Err(why) = self.allowed(&name, &instance.source).await {
            debug!(%host, %why, "not scanned");
            self.postpone(host, JobKind::Scan, now + scan_interval)
                .await;
            return;
        }
        let (profile, client, peers_client) = self.reach_for(&instance.source);
        if self.robots_forbid(client, &name).await {
            info!(%host, "robots.txt forbids Vigil: opted out");
            let _ = self.store.set_opted_out(host, Some("robots"), now).await;
            self.postpone(host, JobKind::Scan, now + scan_interval)
                .await;
            return;
        }
        let clock = std::time::Instant::now();
        let mut evidence = vigil_scan::retrieve(&name, profile).await;
        metrics::histogram!("vigil_scan_duration_seconds").record(clock.elapsed().as_secs_f64());
        // The uptime the monitor measured is part of what this scan rests on.
        if let Ok(u) = self.store.uptime(host, now, 30).await {
            evidence.uptime = Some(vigil_scan::MonitoredUptime {
                up: u.up,
                checks: u.checks,
                days: 30,
            });
        }
        let result = vigil_scan::assess(&evidence, &Assessor::new(profile), evidence.started_at);
        if result
            .evidence
            .final_response()
            .is_some_and(|f| f.status == 410)
        {
            info!(%host, "answers 410 Gone: opted out");
            let _ = self.store.set_opted_out(host, Some("gone-410"), now).await;
            self.postpone(host, JobKind::Scan, now + scan_interval)
                .await;
            return;
        }
        let moved = moved_to(&result.evidence);
        if moved != instance.moved_to {
            let _ = self.store.set_moved(host, moved.as_deref(), now).await;
        }
        let summary = to_store(Summary::of(&result));
        let report = InstanceReport::new(&result);
        let (Ok(report_json), Ok(evidence_json)) = (
            serde_json::to_string(&report),
            serde_json::to_string(&evidence),
        ) else {
            warn!(%host, "cannot serialise the report");
            self.postpone(host, JobKind::Scan, now + scan_interval)
                .await;
            return;
        };
        let mastodon_like = result.software.as_ref().is_some_and(|(f, _)| {
            matches!(
                f.software.as_deref(),
                Some("mastodon" | "hometown" | "glitch-soc" | "pleroma" | "akkoma" | "gotosocial")
            )
        });
        let scan = NewScan {
            host: host.to_string(),
            scanned_at: evidence.started_at,
            worker: self.cfg.worker.clone(),
            summary,
            report_json,
            evidence_json,
            algorithm: algorithm(),
        };
        match self
            .store
            .record_scan(&scan, evidence.started_at + scan_interval)
            .await
        {
            Ok(Some(id)) => {
                self.stats.scans.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("vigil_scans_total", "outcome" => if result.unreachable.is_some() { "unreachable" } else { "done" }).increment(1);
                if let Some(days) = result
                    .tls
                    .as_ref()
                    .and_then(|t| t.report.certificate.as_ref())
                    .map(|c| c.days_left)
                {
                    metrics::gauge!("vigil_certificate_days_left", "host" => host.to_string())
                        .set(days as f64);
                }
                debug!(%host, id, "scan stored");
                if let Some(a) = &self.alerts
                    && let Err(e) = a.on_scan(host, id, &scan.summary, &scan.report_json).await
                {
                    warn!(%host, error = %e, "alert rules failed");
                }
            }
            Ok(None) => {
                // Another worker took the job after this lease ran out: its scan counts.
                self.stats.lost_leases.fetch_add(1, Ordering::Relaxed);
                warn!(%host, "lease lost; scan discarded");
                return;
            }
            Err(e) => {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("vigil_scans_total", "outcome" => "failed").increment(1);
                warn!(%host, error = %e, "cannot store scan");
                return;
            }
        }
        if self.cfg.discover && mastodon_like {
            self.discover(peers_client, &name).await;
        }
    }

    async fn discover(&self, peers_client: &Client, host: &Hostname) {
        let Some(url) = peers_client.url(host, "/api/v1/instance/peers") else {
            return;
        };
        let answer = match peers_client.get(&url, "application/json").await {
            Ok(a) if a.status == 200 => a,
            Ok(a) => {
                debug!(%host, status = a.status, "no peers shared");
                return;
            }
            Err(f) => {
                debug!(%host, detail = %f.detail, "peers not read");
                return;
            }
        };
        let Ok(found) = peers::parse(&answer.body, self.cfg.peers_per_instance) else {
            debug!(%host, "peers document unreadable");
            return;
        };
        let source = format!("peer:{host}");
        let entries: Vec<(&str, &str)> = found
            .names
            .iter()
            .filter(|n| n.as_str() != host.as_str())
            .map(|n| (n.as_str(), source.as_str()))
            .collect();
        match self
            .store
            .add_instances(&entries, vigil_scan::now(), secs(self.cfg.check_interval))
            .await
        {
            Ok(added) => {
                self.stats
                    .discovered
                    .fetch_add(u64::try_from(added).unwrap_or(0), Ordering::Relaxed);
                info!(%host, added, rejected = found.rejected, "peers discovered");
            }
            Err(e) => warn!(%host, error = %e, "cannot add peers"),
        }
    }

    async fn check_loop(self: Arc<Self>, shutdown: CancellationToken) -> Result<(), MonitorError> {
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let now = vigil_scan::now();
            let claims = match self
                .store
                .claim(
                    JobKind::Check,
                    &self.cfg.worker,
                    now,
                    secs(self.cfg.lease),
                    u32::try_from(self.cfg.check_concurrency.saturating_mul(4)).unwrap_or(256),
                )
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    warn!(error = %e, "cannot claim checks");
                    Vec::new()
                }
            };
            if claims.is_empty() {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(self.cfg.tick) => {}
                }
                continue;
            }
            let (busy, hosts): (Vec<String>, Vec<String>) = claims
                .into_iter()
                .map(|c| c.host)
                .partition(|h| self.is_scanning(h));
            // A host being scanned is checked a little later instead.
            for host in busy {
                self.postpone(&host, JobKind::Check, now + secs(self.cfg.tick) + 5)
                    .await;
            }
            if hosts.is_empty() {
                continue;
            }
            // A round runs to the end once started (checks are short); SIGTERM waits for it.
            self.check_round(&hosts).await;
        }
        Ok(())
    }

    fn mark_scanning(&self, host: &str, on: bool) {
        if let Ok(mut set) = self.scanning.lock() {
            if on {
                set.insert(host.to_string());
            } else {
                set.remove(host);
            }
        }
    }

    fn is_scanning(&self, host: &str) -> bool {
        self.scanning.lock().is_ok_and(|set| set.contains(host))
    }

    /// One instance's check, unless it is opted out or refused by the address guard.
    async fn check_host(
        &self,
        host: String,
    ) -> (
        String,
        Option<vigil_store::Instance>,
        Option<check::CheckResult>,
    ) {
        let instance = self.store.instance(&host).await.ok().flatten();
        let result = match (&instance, Hostname::parse(&host)) {
            (Some(i), Ok(name)) if i.opted_out.is_none() => {
                match self.allowed(&name, &i.source).await {
                    Ok(()) => Some(check::check(self.reach_for(&i.source).1, &name).await),
                    Err(_) => None,
                }
            }
            _ => None,
        };
        (host, instance, result)
    }

    /// Checks one claimed batch as a round: the canary and every instance at once, then the
    /// round is judged and recorded.
    async fn check_round(&self, hosts: &[String]) {
        let canary = async {
            match &self.cfg.canary {
                Some(c) => Some(check::check(&self.client, c).await.up),
                None => None,
            }
        };
        let checks = stream::iter(hosts.to_vec())
            .map(|host: String| self.check_host(host))
            .buffer_unordered(self.cfg.check_concurrency.max(1))
            .collect::<Vec<_>>();
        let (canary_up, done) = tokio::join!(canary, checks);
        let outcomes: Vec<round::Outcome> = done
            .iter()
            .filter_map(|(_, _, r)| r.as_ref().map(check::CheckResult::outcome))
            .collect();
        let judged = round::judge(&outcomes, canary_up);
        if judged.iter().any(|j| j.void) {
            info!(
                round = outcomes.len(),
                failed = outcomes.iter().filter(|o| !o.up).count(),
                canary_up = ?canary_up,
                "void round: the failures are not counted as downtime"
            );
        }
        let now = vigil_scan::now();
        let interval = secs(self.cfg.check_interval);
        let mut judged = judged.into_iter();
        for (host, instance, result) in done {
            let Some(instance) = instance else { continue };
            let Some(result) = result else {
                // Opted out, refused by the guard or unreadable: no check, looked at again daily
                // (an opted-out instance's robots.txt is read then; see below).
                if let Some(reason) = instance.opted_out.as_deref()
                    && reason != "operator"
                    && let Ok(name) = Hostname::parse(&host)
                    && instance
                        .opted_out_at
                        .is_some_and(|at| now - at >= schedule::DAILY_SECS)
                    && !self
                        .robots_forbid(self.reach_for(&instance.source).1, &name)
                        .await
                {
                    let _ = self.store.set_opted_out(&host, None, now).await;
                }
                self.postpone(&host, JobKind::Check, now + schedule::DAILY_SECS)
                    .await;
                continue;
            };
            let Some(j) = judged.next() else { break };
            if result.gone {
                let _ = self.store.set_opted_out(&host, Some("gone-410"), now).await;
            }
            if result.moved_to.is_some() && result.moved_to != instance.moved_to {
                let _ = self
                    .store
                    .set_moved(&host, result.moved_to.as_deref(), now)
                    .await;
            }
            let first_down = if j.up || j.void {
                None
            } else {
                Some(instance.first_down_at.unwrap_or(now))
            };
            let next = schedule::next_check(
                now,
                interval,
                secs(self.cfg.dead_after),
                &j,
                instance.refused_streak,
                first_down,
                instance.dead_since,
            );
            let check = NewCheck {
                host: host.clone(),
                checked_at: now,
                up: j.up,
                latency_ms: result.latency_ms,
                failure: result.failure.clone(),
                void: j.void,
            };
            match self
                .store
                .record_check(&check, &self.cfg.worker, next.at, next.refused_streak)
                .await
            {
                Ok(true) => {
                    self.stats.checks.fetch_add(1, Ordering::Relaxed);
                    let label = if j.void {
                        "void"
                    } else if j.up {
                        "up"
                    } else {
                        "down"
                    };
                    metrics::counter!("vigil_checks_total", "result" => label).increment(1);
                    if let Some(a) = &self.alerts
                        && let Err(e) = a.on_check(&instance, &check).await
                    {
                        warn!(%host, error = %e, "alert rules failed");
                    }
                    if j.void {
                        self.stats.void_checks.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(false) => {
                    self.stats.lost_leases.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    self.stats.errors.fetch_add(1, Ordering::Relaxed);
                    warn!(%host, error = %e, "cannot store check");
                }
            }
            if next.dead_since != instance.dead_since {
                let _ = self.store.set_dead(&host, next.dead_since, now).await;
            }
        }
    }
}

/// The grading version stored with each scan, so `vigil regrade` knows what changed.
pub fn algorithm() -> String {
    format!(
        "vigil {} report {}",
        env!("CARGO_PKG_VERSION"),
        vigil_scan::INSTANCE_REPORT_SCHEMA_VERSION
    )
}

/// The store's columns of a report summary.
pub fn to_store(s: Summary) -> ScanSummary {
    ScanSummary {
        rating_score: s.rating_score,
        rating_grade: s.rating_grade,
        observatory_score: s.observatory_score,
        observatory_grade: s.observatory_grade,
        tls_grade: s.tls_grade,
        ipv6: s.ipv6,
        dnssec: s.dnssec,
        software: s.software,
        version: s.version,
        version_verdict: s.version_verdict,
        open_registrations: s.open_registrations,
        reachable: s.reachable,
    }
}

/// The other host the home page redirects to for good (301 or 308 as the first hop of the
/// https session), if any.
pub fn moved_to(ev: &vigil_model::HttpEvidence) -> Option<String> {
    let session = ev.https.as_ref()?;
    let first = session.route.first()?;
    if !matches!(first.status, 301 | 308) {
        return None;
    }
    let next = session.route.get(1)?;
    let from = url::Url::parse(&first.url).ok()?;
    let to = url::Url::parse(&next.url).ok()?;
    let (a, b) = (from.host_str()?, to.host_str()?);
    (!a.eq_ignore_ascii_case(b)).then(|| b.to_ascii_lowercase())
}

/// Assesses every stored scan again from its evidence with this binary's grading and stores the
/// new report and columns (`vigil regrade`): no request to any instance. Returns the scans
/// regraded and the ones whose evidence could not be read (kept as they were).
pub async fn regrade(store: &Store, profile: &ScanProfile) -> Result<(u64, u64), StoreError> {
    let ctx = Assessor::new(profile);
    let algorithm = algorithm();
    let (mut done, mut unreadable, mut after) = (0, 0, 0);
    loop {
        let batch = store.scans_for_regrade(after, 200).await?;
        if batch.is_empty() {
            break;
        }
        for (id, host, evidence) in batch {
            after = id;
            let ev = match vigil_scan::InstanceEvidence::from_json(&evidence) {
                Ok(ev) => ev,
                Err(e) => {
                    warn!(%host, id, error = %e, "evidence unreadable; scan kept as it was");
                    unreadable += 1;
                    continue;
                }
            };
            let result = vigil_scan::assess(&ev, &ctx, ev.started_at);
            let Ok(report) = serde_json::to_string(&InstanceReport::new(&result)) else {
                unreadable += 1;
                continue;
            };
            store
                .update_regraded(id, &to_store(Summary::of(&result)), &report, &algorithm)
                .await?;
            done += 1;
        }
    }
    Ok((done, unreadable))
}
