//! The public scan: any host name from anyone, so it is checked before anything is sent. The
//! name must be a valid public host name with a known top-level domain (IP literals are refused,
//! as the Observatory refuses them), it must resolve, and unless the operator allows private
//! targets every address must be public. A host re-asked within the cooldown gets its last scan;
//! each client address may start only so many scans a window; a bounded queue answers "busy"
//! rather than piling up work.

use crate::guard;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use vigil_model::Hostname;
use vigil_scan::{Assessor, InstanceReport, ScanProfile, Summary};
use vigil_store::{NewScan, ScanRef, Store, StoreError};

/// Why a public scan was not run, with the Observatory's error names where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Cannot scan IP addresses")]
    IpAddress,
    #[error("Invalid hostname")]
    InvalidHostname,
    #[error("{0} cannot be resolved")]
    Lookup(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("too many scans from your address; try again in {0} s")]
    RateLimited(u64),
    #[error("the scanner is busy; try again in a minute")]
    Busy,
    #[error("{0}")]
    Failed(String),
}

impl Refusal {
    /// The error name the API answers with.
    pub fn name(&self) -> &'static str {
        match self {
            Refusal::IpAddress => "invalid-hostname-ip",
            Refusal::InvalidHostname => "invalid-hostname",
            Refusal::Lookup(_) => "invalid-hostname-lookup",
            Refusal::Forbidden(_) => "forbidden-address",
            Refusal::RateLimited(_) => "rate-limited",
            Refusal::Busy => "scanner-busy",
            Refusal::Failed(_) => "scan-failed",
        }
    }
}

impl From<StoreError> for Refusal {
    /// The store's own words (paths, SQL errors) go to the log, not to whoever asked.
    fn from(e: StoreError) -> Self {
        tracing::warn!(error = %e, "public scan: store error");
        Refusal::Failed("the store failed".into())
    }
}

/// Limits of the public scan.
#[derive(Debug, Clone)]
pub struct PublicLimits {
    /// Scans each client address may start per window.
    pub per_client: u32,
    pub window: Duration,
    /// Scans running at once, and waiting beyond those.
    pub running: usize,
    pub waiting: usize,
    /// How long a scan may wait for a free slot before the answer is "busy".
    pub queue_wait: Duration,
    /// Operators scanning their own LAN (and tests on loopback) lift the address guard.
    pub allow_private: bool,
    /// When a scanned host is scanned again by the monitor.
    pub scan_interval: Duration,
}

impl Default for PublicLimits {
    fn default() -> Self {
        PublicLimits {
            per_client: 10,
            window: Duration::from_secs(300),
            running: 4,
            waiting: 16,
            queue_wait: Duration::from_secs(30),
            allow_private: false,
            scan_interval: Duration::from_secs(86_400),
        }
    }
}

/// The public scan service.
pub struct PublicScans {
    store: Arc<Store>,
    profile: Arc<ScanProfile>,
    /// For instances the operator listed: scanned as given.
    trusted: Arc<ScanProfile>,
    limits: PublicLimits,
    running: Semaphore,
    waiting: Semaphore,
    clients: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

/// True when the last label is a top-level domain the public suffix list knows (pure).
pub fn known_tld(name: &str) -> bool {
    let tld = name.rsplit('.').next().unwrap_or_default();
    !tld.is_empty() && psl::suffix(tld.as_bytes()).is_some_and(|s| s.is_known())
}

impl PublicScans {
    /// A service scanning with `profile` into `store`.
    pub fn new(store: Arc<Store>, profile: ScanProfile, limits: PublicLimits) -> PublicScans {
        // Checked at the lookup and again on every connection the scan makes (redirects,
        // rebinding), unless the operator lifted the guard.
        let trusted = Arc::new(profile.clone());
        let profile = if limits.allow_private {
            profile
        } else {
            profile.public_only()
        };
        PublicScans {
            trusted,
            store,
            profile: Arc::new(profile),
            running: Semaphore::new(limits.running.max(1)),
            waiting: Semaphore::new(limits.waiting.max(1) + limits.running.max(1)),
            limits,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The longest a scan request can take: the wait for a free slot, then the scan's own
    /// deadline, with a margin. The web layer's timeout for the scan routes is this, so a host
    /// that never answers still gets its finding (a timeout is a result) rather than a blank
    /// gateway error, and nothing waits for ever.
    pub fn answer_within(&self) -> Duration {
        self.limits.queue_wait
            + self
                .profile
                .probe
                .limits
                .total_timeout
                .max(self.trusted.probe.limits.total_timeout)
            + Duration::from_secs(12)
    }

    /// The limits this service runs with (the about page states them).
    pub fn limits(&self) -> &PublicLimits {
        &self.limits
    }

    /// The host name the scan would use, or why it is refused (as the Observatory checks it,
    /// then stricter: every address must be public).
    pub async fn check_host(&self, raw: &str) -> Result<Hostname, Refusal> {
        let raw = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        let bare = raw.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<IpAddr>().is_ok() {
            return Err(Refusal::IpAddress);
        }
        let host = Hostname::parse(&raw).map_err(|_| Refusal::InvalidHostname)?;
        // A LAN's own names (`nas.lan`, the tests' `.test`) are fine when the operator lifts
        // the guard; from anyone else they are not public host names.
        if !host.as_str().contains('.') || (!known_tld(host.as_str()) && !self.limits.allow_private)
        {
            return Err(Refusal::InvalidHostname);
        }
        if !self.limits.allow_private && !guard::public_name(host.as_str()) {
            return Err(Refusal::Forbidden(format!(
                "{host} is not a public host name (refused by the address guard)"
            )));
        }
        let mut addrs = self.lookup(&host).await;
        let mut host = host;
        if addrs.is_empty() {
            // As the Observatory does: try the www. name before giving up.
            if let Ok(www) = Hostname::parse(&format!("www.{host}")) {
                addrs = self.lookup(&www).await;
                if !addrs.is_empty() {
                    host = www;
                }
            }
        }
        if addrs.is_empty() {
            return Err(Refusal::Lookup(host.as_str().to_string()));
        }
        if !self.limits.allow_private
            && let Some(bad) = addrs.iter().find(|a| !guard::public_address(**a))
        {
            return Err(Refusal::Forbidden(format!(
                "{host} resolves to {bad}, which is not a public address (refused by the address guard)"
            )));
        }
        Ok(host)
    }

    async fn lookup(&self, host: &Hostname) -> Vec<IpAddr> {
        outside_addresses(&self.profile, host).await
    }
    /// Whether a scan for `client` would be taken now, without counting it: over its limit is
    /// `RateLimited`, a full queue `Busy`. For routes that answer before the scan runs (the
    /// job API), so a refused job is refused at once rather than "queued" for ever.
    pub fn would_take(&self, client: IpAddr) -> Result<(), Refusal> {
        let now = vigil_scan::now();
        let window = i64::try_from(self.limits.window.as_secs())
            .unwrap_or(300)
            .max(1);
        if let Ok(clients) = self.clients.lock()
            && let Some((start, n)) = clients.get(&vigil_guard::client_key(client))
            && now - *start < window
            && *n >= self.limits.per_client
        {
            return Err(Refusal::RateLimited(
                u64::try_from(window - (now - *start)).unwrap_or(1).max(1),
            ));
        }
        if self.waiting.available_permits() == 0 {
            return Err(Refusal::Busy);
        }
        Ok(())
    }

    /// Counts one scan for `client` (an IPv6 client by its /64); `Err(seconds to wait)` when
    /// over the limit.
    fn admit(&self, client: IpAddr, now: i64) -> Result<(), u64> {
        let window = i64::try_from(self.limits.window.as_secs())
            .unwrap_or(300)
            .max(1);
        let Ok(mut clients) = self.clients.lock() else {
            return Ok(());
        };
        if clients.len() > 100_000 {
            clients.retain(|_, (start, _)| now - *start < window);
        }
        let entry = clients
            .entry(vigil_guard::client_key(client))
            .or_insert((now, 0));
        if now - entry.0 >= window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limits.per_client {
            return Err(u64::try_from(window - (now - entry.0)).unwrap_or(1).max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// The newest scan of `raw` younger than `max_age`, else a new scan (the host checked
    /// first, the client counted, the queue bounded). Returns the scan and whether it is new.
    pub async fn scan(
        &self,
        raw: &str,
        client: IpAddr,
        max_age: Duration,
    ) -> Result<(ScanRef, bool), Refusal> {
        let host = self.check_host(raw).await?;
        let profile = Arc::clone(&self.profile);
        self.scan_checked(host, client, max_age, &profile).await
    }

    /// "Rescan now" of an instance the operator listed: scanned as given (the operator owns
    /// it), with the cooldown, the client's rate limit and the queue as for any public scan.
    pub async fn rescan_listed(
        &self,
        host: &Hostname,
        client: IpAddr,
        cooldown: Duration,
    ) -> Result<(ScanRef, bool), Refusal> {
        match self.store.instance(host.as_str()).await? {
            Some(i)
                if i.opted_out.is_none() && (i.source == "operator" || i.source == "import") =>
            {
                let trusted = Arc::clone(&self.trusted);
                self.scan_checked(host.clone(), client, cooldown, &trusted)
                    .await
            }
            Some(i) if i.opted_out.is_some() => {
                Err(Refusal::Forbidden(format!("{host} opted out")))
            }
            _ => self.scan(host.as_str(), client, cooldown).await,
        }
    }

    async fn scan_checked(
        &self,
        host: Hostname,
        client: IpAddr,
        max_age: Duration,
        profile: &ScanProfile,
    ) -> Result<(ScanRef, bool), Refusal> {
        let now = vigil_scan::now();
        let age = i64::try_from(max_age.as_secs()).unwrap_or(0);
        if let Some(recent) = self
            .store
            .latest_scan_since(host.as_str(), now - age)
            .await?
        {
            return Ok((recent, false));
        }
        self.admit(client, now).map_err(Refusal::RateLimited)?;
        let _queued = self.waiting.try_acquire().map_err(|_| Refusal::Busy)?;
        let _running = tokio::time::timeout(self.limits.queue_wait, self.running.acquire())
            .await
            .map_err(|_| Refusal::Busy)?
            .map_err(|_| Refusal::Failed("the scanner is shutting down".into()))?;
        // Another request may have scanned the host while this one waited.
        if let Some(recent) = self
            .store
            .latest_scan_since(host.as_str(), now - age)
            .await?
        {
            return Ok((recent, false));
        }
        let evidence = vigil_scan::retrieve(&host, profile).await;
        let result = vigil_scan::assess(&evidence, &Assessor::new(profile), evidence.started_at);
        let report_json = serde_json::to_string(&InstanceReport::new(&result))
            .map_err(|e| Refusal::Failed(e.to_string()))?;
        let evidence_json =
            serde_json::to_string(&evidence).map_err(|e| Refusal::Failed(e.to_string()))?;
        let interval = i64::try_from(self.limits.scan_interval.as_secs()).unwrap_or(86_400);
        self.store
            .add_instance(host.as_str(), "public", now, 300)
            .await?;
        let summary = crate::to_store(Summary::of(&result));
        let is_fedi = summary.software.is_some();
        let id = self
            .store
            .insert_scan_unleased(
                &NewScan {
                    host: host.as_str().to_string(),
                    scanned_at: evidence.started_at,
                    worker: "public".into(),
                    summary,
                    report_json: report_json.clone(),
                    evidence_json,
                    algorithm: crate::algorithm(),
                },
                evidence.started_at + interval,
            )
            .await?;
        if !is_fedi {
            self.store.park_public(host.as_str(), i64::MAX / 4).await?;
        }
        Ok((
            ScanRef {
                id,
                host: host.as_str().to_string(),
                scanned_at: evidence.started_at,
                report_json,
            },
            true,
        ))
    }
}

/// The addresses a name from outside leads to: through the profile's resolver when one is set
/// (tests and operators who choose one), with /etc/hosts read as the system's lookup would,
/// else the system's lookup. One place, so the public scan and the monitor's peer check agree.
pub async fn outside_addresses(profile: &ScanProfile, host: &Hostname) -> Vec<IpAddr> {
    if let Some(dns) = &profile.dns
        && dns.resolver.is_some()
    {
        let ev = vigil_dns::retrieve_dns(host.as_str(), profile.probe.https_port, dns).await;

        let found: Vec<IpAddr> =
            ev.a.iter()
                .chain(ev.aaaa.iter())
                .filter_map(|a| a.parse().ok())
                .collect();
        if !found.is_empty() {
            return found;
        }
        // The connection itself will use the system's lookup, which reads /etc/hosts
        // first; read it the same way (a file, no query to any other resolver).
        return std::fs::read_to_string("/etc/hosts")
            .map(|text| hosts_file(&text, host.as_str()))
            .unwrap_or_default();
    }
    match tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::lookup_host((host.as_str(), 443)),
    )
    .await
    {
        Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
        _ => Vec::new(),
    }
}

/// The addresses `/etc/hosts` text gives `name` (pure).
pub fn hosts_file(text: &str, name: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|l| {
            let l = l.split('#').next().unwrap_or_default();
            let mut fields = l.split_whitespace();
            let ip: IpAddr = fields.next()?.parse().ok()?;
            fields.any(|n| n.eq_ignore_ascii_case(name)).then_some(ip)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_files() {
        let text = "127.0.0.1 localhost\n127.0.0.1 a.fleet.test b.fleet.test # x\n::1 b.fleet.test\n# 10.0.0.1 c.fleet.test\n";
        assert_eq!(hosts_file(text, "B.fleet.test").len(), 2);
        assert!(hosts_file(text, "c.fleet.test").is_empty());
    }

    #[test]
    fn top_level_domains() {
        assert!(known_tld("mastodon.social"));
        assert!(known_tld("example.co.uk"));
        assert!(!known_tld("printer.notatld"));
        assert!(!known_tld(""));
    }
}
