//! The list's commands: `vigil serve` (monitor and API), `vigil worker` (monitor only),
//! `vigil instances …` and `vigil regrade`. Every setting is a flag with an environment twin
//! (`VIGIL_DATABASE`, …) and may also come from a TOML file (`--config`); a flag or variable
//! wins over the file, the file over the default.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Deserialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use vigil_model::Hostname;
use vigil_monitor::{Monitor, MonitorConfig};
use vigil_probe::{ProbeConfig, TrustStore};
use vigil_store::Store;

/// The database every list command opens when none is given: a SQLite file here.
pub const DEFAULT_DATABASE: &str = "vigil.db";

/// Where the list lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArg {
    /// The database: a SQLite file (created when missing; `sqlite:PATH` works too) or
    /// `postgres://user@host/db` for several workers [default: vigil.db].
    #[arg(long, env = "VIGIL_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// A TOML file with any of the settings below (keys as the flags, `_` for `-`).
    #[arg(long, env = "VIGIL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The monitor's settings, shared by `serve` and `worker`.
#[derive(Debug, Clone, Args)]
pub struct MonitorArgs {
    #[command(flatten)]
    pub db: DatabaseArg,
    /// Time between uptime checks of one instance [default: 5m].
    #[arg(long, env = "VIGIL_CHECK_INTERVAL", value_name = "DURATION")]
    pub check_interval: Option<String>,
    /// Time between full scans of one instance [default: 24h].
    #[arg(long, env = "VIGIL_SCAN_INTERVAL", value_name = "DURATION")]
    pub scan_interval: Option<String>,
    /// How long a claimed job is this worker's before others may take it [default: 2m].
    #[arg(long, env = "VIGIL_LEASE", value_name = "DURATION")]
    pub lease: Option<String>,
    /// Full scans at once [default: 8].
    #[arg(long, env = "VIGIL_SCAN_CONCURRENCY", value_name = "N")]
    pub scan_concurrency: Option<usize>,
    /// Uptime checks at once [default: 64].
    #[arg(long, env = "VIGIL_CHECK_CONCURRENCY", value_name = "N")]
    pub check_concurrency: Option<usize>,
    /// Timeout of one uptime check [default: 10s].
    #[arg(long, env = "VIGIL_CHECK_TIMEOUT", value_name = "DURATION")]
    pub check_timeout: Option<String>,
    /// Deadline of one full scan of a host [default: 12s].
    #[arg(long, env = "VIGIL_SCAN_TIMEOUT", value_name = "DURATION")]
    pub scan_timeout: Option<String>,
    /// A host you trust to be up: when its check fails, the round says nothing about the
    /// instances and is not counted.
    #[arg(long, env = "VIGIL_CANARY", value_name = "HOST")]
    pub canary: Option<String>,
    /// Add the names in scanned instances' `/api/v1/instance/peers` lists.
    #[arg(long, env = "VIGIL_DISCOVER")]
    pub discover: bool,
    /// Most names taken from one instance's peer list [default: 1000].
    #[arg(long, env = "VIGIL_PEERS_LIMIT", value_name = "N")]
    pub peers_limit: Option<usize>,
    /// Your page about this list, sent in every request's User-Agent so admins can reach you.
    #[arg(long, env = "VIGIL_CONTACT_URL", value_name = "URL")]
    pub contact_url: Option<String>,
    /// Also trust the CA certificates in this PEM file (repeatable).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Vec<PathBuf>,
    /// Ask this DNS resolver (IP:PORT) instead of the system's.
    #[arg(long, env = "VIGIL_RESOLVER", value_name = "IP:PORT")]
    pub resolver: Option<std::net::SocketAddr>,
    /// DNSSEC trust anchor: a file of DS or DNSKEY records (default: the root KSK).
    #[arg(long, env = "VIGIL_TRUST_ANCHOR", value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
    /// How often to look for due work [default: 2s].
    #[arg(long, hide = true, value_name = "DURATION")]
    pub tick: Option<String>,
    /// Let the public scan reach private and loopback addresses (your own LAN; tests). Names
    /// from outside are otherwise refused when any of their addresses is not public.
    #[arg(long, env = "VIGIL_ALLOW_PRIVATE")]
    pub allow_private: bool,
    /// Public scans one client address may start per 5 minutes [default: 10].
    #[arg(long, env = "VIGIL_SCAN_RATE", value_name = "N")]
    pub scan_rate: Option<u32>,
    /// Down this long means dead [default: 14d] (shorter only for tests).
    #[arg(long, hide = true, value_name = "DURATION")]
    pub dead_after: Option<String>,
    /// Time between prunes of the store [default: 6h] (shorter only for tests).
    #[arg(long, hide = true, value_name = "DURATION")]
    pub prune_every: Option<String>,
    /// Port for http:// (test setups).
    #[arg(long, hide = true)]
    pub http_port: Option<u16>,
    /// Port for https:// (test setups).
    #[arg(long, hide = true)]
    pub https_port: Option<u16>,
    #[command(flatten)]
    pub keep: KeepArgs,
    #[command(flatten)]
    pub alerts: crate::alerts::AlertArgs,
}

/// What the store keeps (`forever` keeps everything of that kind).
#[derive(Debug, Clone, Args)]
pub struct KeepArgs {
    /// Keep raw uptime checks this long; the daily uptime figures are always kept [default: 7d].
    #[arg(long, env = "VIGIL_KEEP_CHECKS", value_name = "DURATION")]
    pub keep_checks: Option<String>,
    /// Keep the evidence of older scans this long (what `vigil regrade` re-assesses); each
    /// instance's newest scan keeps its evidence [default: 30d].
    #[arg(long, env = "VIGIL_KEEP_EVIDENCE", value_name = "DURATION")]
    pub keep_evidence: Option<String>,
    /// Keep older scans this long; each instance's newest is always kept [default: 180d].
    #[arg(long, env = "VIGIL_KEEP_SCANS", value_name = "DURATION")]
    pub keep_scans: Option<String>,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub db: DatabaseArg,
    #[command(flatten)]
    pub keep: KeepArgs,
}

/// The retention from the flags, the file and the defaults.
fn retention(k: &KeepArgs, file: &FileConfig) -> anyhow::Result<vigil_store::Retention> {
    let d = vigil_store::Retention::default();
    let one = |flag: &Option<String>,
               key: &Option<String>,
               default: Option<i64>|
     -> anyhow::Result<Option<i64>> {
        match flag.as_deref().or(key.as_deref()) {
            None => Ok(default),
            Some(t) if t.trim().eq_ignore_ascii_case("forever") => Ok(None),
            Some(t) => {
                let secs = parse_duration(t)?.as_secs();
                Ok(Some(i64::try_from(secs).unwrap_or(i64::MAX)))
            }
        }
    };
    Ok(vigil_store::Retention {
        checks: one(&k.keep_checks, &file.keep_checks, d.checks)?,
        evidence: one(&k.keep_evidence, &file.keep_evidence, d.evidence)?,
        scans: one(&k.keep_scans, &file.keep_scans, d.scans)?,
    })
}

/// `vigil prune`: one prune now, with what it removed.
pub fn run_prune(a: &PruneArgs) -> anyhow::Result<()> {
    let file = load_file(a.db.config.as_deref())?;
    let keep = retention(&a.keep, &file)?;
    let rt = runtime()?;
    rt.block_on(async {
        let store = open(&a.db, &file).await?;
        let p = store.prune(vigil_scan::now(), &keep).await?;
        println!(
            "pruned {} uptime checks, the evidence of {} scans and {} scans",
            p.checks, p.evidence, p.scans
        );
        store.close().await;
        Ok(())
    })
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Instances to add to the list before serving (as `vigil instances add` does).
    pub hosts: Vec<String>,
    #[command(flatten)]
    pub monitor: MonitorArgs,
    /// Address the API listens on [default: 127.0.0.1:8080].
    #[arg(long, env = "VIGIL_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Serve the API only; leave the scanning to `vigil worker` processes.
    #[arg(long)]
    pub no_monitor: bool,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub monitor: MonitorArgs,
}

#[derive(Debug, Args)]
pub struct InstancesArgs {
    #[command(subcommand)]
    pub action: InstancesAction,
}

#[derive(Debug, Subcommand)]
pub enum InstancesAction {
    /// Add instances to the list (scanned as given, private addresses included).
    Add {
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(required = true)]
        hosts: Vec<String>,
    },
    /// Remove instances and everything stored about them.
    Remove {
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(required = true)]
        hosts: Vec<String>,
    },
    /// Print the instances, one a line: host, state, last scan.
    List {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Add the hosts in FILE: one a line (# comments), or the JSON of instances.social's
    /// `/instances/list` API. A malformed line is reported and skipped.
    Import {
        #[command(flatten)]
        db: DatabaseArg,
        file: PathBuf,
    },
    /// Keep these instances out of the list: nothing but the name is shown, nothing is scanned.
    OptOut {
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(required = true)]
        hosts: Vec<String>,
    },
    /// Undo `opt-out`.
    OptIn {
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(required = true)]
        hosts: Vec<String>,
    },
}

/// Formats of `vigil export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON array of the API's rows.
    Json,
    /// A header line and one line per instance.
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub db: DatabaseArg,
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,
}

fn csv_field(v: Option<String>) -> String {
    let v = v.unwrap_or_default();
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// `vigil export`: the whole list in rank order, as the API shows it.
pub fn run_export(a: &ExportArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let file = load_file(a.db.config.as_deref())?;
    let rt = runtime()?;
    rt.block_on(async {
        let store = open(&a.db, &file).await?;
        let mut rows = Vec::new();
        let mut offset = 0;
        loop {
            let q = vigil_store::ListQuery {
                limit: vigil_store::MAX_PAGE,
                offset,
                include_dead: true,
                include_opted_out: true,
                include_down: true,
                ..vigil_store::ListQuery::default()
            };
            let (page, total) = store.list(&q).await?;
            let n = u32::try_from(page.len()).unwrap_or(0);
            rows.extend(page.into_iter().map(vigil_web::row));
            offset += n;
            if n == 0 || i64::from(offset) >= total {
                break;
            }
        }
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        match a.format {
            ExportFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
            }
            ExportFormat::Csv => {
                writeln!(out, "rank,host,rating_score,rating_grade,observatory_score,observatory_grade,tls_grade,ipv6,dnssec,software,version,version_verdict,uptime_30d,uptime_checks,up,last_scan_at,opted_out,dead,moved_to")?;
                for r in rows {
                    let fields = [
                        Some(r.rank.to_string()),
                        Some(r.host),
                        r.rating.score.map(|x| x.to_string()),
                        r.rating.grade,
                        r.observatory.score.map(|x| x.to_string()),
                        r.observatory.grade,
                        r.tls_grade,
                        r.ipv6,
                        r.dnssec,
                        r.software.name,
                        r.software.version,
                        r.software.verdict,
                        r.uptime.d30.map(|x| x.to_string()),
                        Some(r.uptime.checks.to_string()),
                        r.up.map(|x| x.to_string()),
                        r.last_scan_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
                        Some(r.opted_out.to_string()),
                        Some(r.dead.to_string()),
                        r.moved_to,
                    ];
                    let line: Vec<String> = fields.into_iter().map(csv_field).collect();
                    writeln!(out, "{}", line.join(","))?;
                }
            }
        }
        store.close().await;
        Ok(())
    })
}

#[derive(Debug, Args)]
pub struct RegradeArgs {
    #[command(flatten)]
    pub db: DatabaseArg,
    /// Also trust the CA certificates in this PEM file when re-checking TLS evidence.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Vec<PathBuf>,
}

/// The TOML file's keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    database: Option<String>,
    listen: Option<String>,
    check_interval: Option<String>,
    scan_interval: Option<String>,
    lease: Option<String>,
    scan_concurrency: Option<usize>,
    check_concurrency: Option<usize>,
    check_timeout: Option<String>,
    scan_timeout: Option<String>,
    canary: Option<String>,
    discover: Option<bool>,
    peers_limit: Option<usize>,
    contact_url: Option<String>,
    #[serde(default)]
    ca_file: Vec<PathBuf>,
    resolver: Option<std::net::SocketAddr>,
    trust_anchor: Option<PathBuf>,
    keep_checks: Option<String>,
    keep_evidence: Option<String>,
    keep_scans: Option<String>,
    #[serde(default)]
    pub(crate) alerts: crate::alerts::AlertsFile,
}

pub(crate) fn load_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config file {} is not valid", path.display()))
}

/// `300`, `90s`, `5m`, `24h`, `1d` or `500ms` (pure).
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .with_context(|| format!("{text:?} is not a duration (like 30s, 5m, 24h)"))?;
    let d = match unit.trim() {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" | "min" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        "d" => Duration::from_secs(n * 86_400),
        other => bail!("unknown unit {other:?} in {text:?}: ms, s, m, h or d"),
    };
    if d.is_zero() {
        bail!("{text:?}: a duration must be more than zero");
    }
    Ok(d)
}

fn duration(
    flag: &Option<String>,
    file: &Option<String>,
    default: &str,
) -> anyhow::Result<Duration> {
    parse_duration(flag.as_deref().or(file.as_deref()).unwrap_or(default))
}

/// Opens the store the settings name, with a clear error.
pub(crate) async fn open(db: &DatabaseArg, file: &FileConfig) -> anyhow::Result<Store> {
    let url = db
        .database
        .clone()
        .or_else(|| file.database.clone())
        .unwrap_or_else(|| DEFAULT_DATABASE.to_string());
    Store::open(&url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&url)))
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Structured logs on stderr (`RUST_LOG` or `VIGIL_LOG` filter them; default `info`).
fn init_logs() {
    let filter = std::env::var("VIGIL_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,sqlx=warn".to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// The monitor's configuration and scan profile from the settings.
fn monitor_setup(
    a: &MonitorArgs,
    file: &FileConfig,
) -> anyhow::Result<(MonitorConfig, vigil_scan::ScanProfile)> {
    let mut cfg = MonitorConfig::new(vigil_monitor::worker_name());
    cfg.check_interval = duration(&a.check_interval, &file.check_interval, "5m")?;
    cfg.scan_interval = duration(&a.scan_interval, &file.scan_interval, "24h")?;
    cfg.lease = duration(&a.lease, &file.lease, "2m")?;
    cfg.check_timeout = duration(&a.check_timeout, &file.check_timeout, "10s")?;
    cfg.tick = duration(&a.tick, &None, "2s")?;
    cfg.dead_after = duration(&a.dead_after, &None, "14d")?;
    cfg.retention = retention(&a.keep, file)?;
    cfg.prune_every = duration(&a.prune_every, &None, "6h")?;
    cfg.scan_concurrency = a
        .scan_concurrency
        .or(file.scan_concurrency)
        .unwrap_or(8)
        .clamp(1, 1024);
    cfg.check_concurrency = a
        .check_concurrency
        .or(file.check_concurrency)
        .unwrap_or(64)
        .clamp(1, 4096);
    cfg.discover = a.discover || file.discover.unwrap_or(false);
    cfg.peers_per_instance = a.peers_limit.or(file.peers_limit).unwrap_or(1000);
    cfg.canary = match a.canary.as_deref().or(file.canary.as_deref()) {
        Some(c) => Some(Hostname::parse(c).with_context(|| format!("invalid canary host {c:?}"))?),
        None => None,
    };
    let scan_timeout = duration(&a.scan_timeout, &file.scan_timeout, "12s")?;
    // A lease must outlive the longest scan, or a slow scan would be taken over mid-way.
    if cfg.lease < scan_timeout + Duration::from_secs(5) {
        bail!(
            "--lease ({} s) must be longer than --scan-timeout ({} s) plus 5 s",
            cfg.lease.as_secs(),
            scan_timeout.as_secs()
        );
    }
    let contact = a.contact_url.clone().or_else(|| file.contact_url.clone());
    if let Some(c) = &contact {
        let u = url::Url::parse(c).with_context(|| format!("--contact-url {c:?} is not a URL"))?;
        if !matches!(u.scheme(), "https" | "http" | "mailto") {
            bail!("--contact-url must be an https:, http: or mailto: URL");
        }
    }
    let agent = vigil_monitor::user_agent(contact.as_deref());
    let mut ca = a.ca_file.clone();
    ca.extend(file.ca_file.iter().cloned());
    let trust = TrustStore::system_with(&ca)?;
    let mut probe = ProbeConfig::new(trust.clone());
    probe.user_agent = agent.clone();
    probe.limits.total_timeout = scan_timeout;
    if let Some(p) = a.http_port {
        probe.http_port = p;
    }
    if let Some(p) = a.https_port {
        probe.https_port = p;
    }
    let mut fedi = vigil_fedi::FediConfig::new(trust);
    fedi.user_agent = agent;
    fedi.https_port = probe.https_port;
    fedi.limits.total_timeout = fedi.limits.total_timeout.min(scan_timeout);
    let dns = vigil_dns::DnsConfig {
        resolver: a.resolver.or(file.resolver),
        trust_anchor: a.trust_anchor.clone().or_else(|| file.trust_anchor.clone()),
        ..vigil_dns::DnsConfig::default()
    };
    let profile = vigil_scan::ScanProfile {
        tls: Some(vigil_tls_probe::TlsProbeConfig {
            total_timeout: scan_timeout,
            ..vigil_tls_probe::TlsProbeConfig::default()
        }),
        probe,
        dns: Some(dns),
        fedi: Some(fedi),
        legacy: false,
        concurrency: cfg.scan_concurrency,
    };
    Ok((cfg, profile))
}

/// SIGTERM or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// A status line every 10 s when stderr is a terminal.
fn progress(
    stats: Arc<vigil_monitor::Stats>,
    store: Arc<Store>,
    stop: tokio_util::sync::CancellationToken,
) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(Duration::from_secs(10)) => {}
            }
            let n = store.count().await.unwrap_or(0);
            eprintln!(
                "vigil: {n} instances · {} scans · {} checks ({} void) · {} discovered",
                stats.scans.load(Ordering::Relaxed),
                stats.checks.load(Ordering::Relaxed),
                stats.void_checks.load(Ordering::Relaxed),
                stats.discovered.load(Ordering::Relaxed),
            );
        }
    });
}

fn health_of(
    stats: &Arc<vigil_monitor::Stats>,
    worker: &str,
    monitoring: bool,
) -> serde_json::Value {
    serde_json::json!({
        "vigil_version": env!("CARGO_PKG_VERSION"),
        "monitor": monitoring,
        "worker": worker,
        "scans": stats.scans.load(Ordering::Relaxed),
        "checks": stats.checks.load(Ordering::Relaxed),
        "void_checks": stats.void_checks.load(Ordering::Relaxed),
        "errors": stats.errors.load(Ordering::Relaxed),
    })
}

/// `vigil serve` and `vigil worker`.
pub fn run_monitor(
    a: &MonitorArgs,
    listen: Option<(&Option<String>, bool)>,
    add: &[String],
) -> anyhow::Result<()> {
    let file = load_file(a.db.config.as_deref())?;
    let (cfg, profile) = monitor_setup(a, &file)?;
    let public_limits = vigil_monitor::public::PublicLimits {
        allow_private: a.allow_private,
        per_client: a.scan_rate.unwrap_or(10),
        scan_interval: cfg.scan_interval,
        ..vigil_monitor::public::PublicLimits::default()
    };
    let site = vigil_web::pages::SiteInfo {
        scan_interval: humanise(cfg.scan_interval),
        check_interval: humanise(cfg.check_interval),
        user_agent: profile.probe.user_agent.clone(),
    };
    let add = hosts(add)?;
    init_logs();
    let metrics_handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full("vigil_scan_duration_seconds".into()),
            &[0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0],
        )
        .ok()
        .and_then(|b| b.install_recorder().ok());
    let rt = runtime()?;
    rt.block_on(async {
        let store = Arc::new(open(&a.db, &file).await?);
        if !add.is_empty() {
            let entries: Vec<(&str, &str)> = add.iter().map(|h| (h.as_str(), "operator")).collect();
            let n = store
                .add_instances(&entries, vigil_scan::now(), secs_of(cfg.check_interval))
                .await?;
            tracing::info!(added = n, given = add.len(), "instances added");
        }
        let worker = cfg.worker.clone();
        let public = listen.map(|_| {
            Arc::new(vigil_monitor::public::PublicScans::new(
                Arc::clone(&store),
                profile.clone(),
                public_limits.clone(),
            ))
        });
        let alerting = crate::alerts::Alerting::setup(
            &a.alerts,
            &file,
            &store,
            &site.user_agent,
            a.allow_private,
        )
        .await?;
        let monitor = Arc::new(alerting.attach(Monitor::new(Arc::clone(&store), cfg, profile)?));
        let stats = monitor.stats();
        let stop = tokio_util::sync::CancellationToken::new();
        let monitoring = listen.is_none_or(|(_, no_monitor)| !no_monitor);
        let mut api = None;
        if let Some((addr, _)) = listen {
            let addr = addr
                .clone()
                .or_else(|| file.listen.clone())
                .unwrap_or_else(|| "127.0.0.1:8080".to_string());
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(%addr, database = ?store.backend(), "serving the API");
            let st = Arc::clone(&stats);
            let w = worker.clone();
            let state = vigil_web::AppState {
                store: Arc::clone(&store),
                health: Arc::new(move || health_of(&st, &w, monitoring)),
                site: site.clone(),
                public: public.clone(),
                metrics: metrics_handle.clone(),
                alerts: Some(Arc::clone(&alerting.dispatcher)),
                subscribe_limit: Arc::default(),
                badges: Arc::default(),
            };
            let stop_api = stop.clone();
            api = Some(tokio::spawn(vigil_web::serve(
                listener,
                state,
                async move {
                    stop_api.cancelled().await;
                },
            )));
        }
        progress(Arc::clone(&stats), Arc::clone(&store), stop.clone());
        let delivery = alerting.spawn(&store, stop.clone());
        let stopper = stop.clone();
        tokio::spawn(async move {
            stop_signal().await;
            tracing::info!("stopping: finishing the jobs in hand");
            stopper.cancel();
        });
        let result = if monitoring {
            Arc::clone(&monitor)
                .run(stop.clone())
                .await
                .map_err(anyhow::Error::from)
        } else {
            stop.cancelled().await;
            Ok(())
        };
        stop.cancel();
        if let Some(api) = api {
            let _ = api.await;
        }
        let _ = delivery.await;
        store.close().await;
        result
    })
}

/// `24 hours`, `5 minutes`, `90 seconds`.
fn humanise(d: Duration) -> String {
    let s = d.as_secs();
    let (n, unit) = if s.is_multiple_of(86_400) && s >= 86_400 {
        (s / 86_400, "day")
    } else if s.is_multiple_of(3600) && s >= 3600 {
        (s / 3600, "hour")
    } else if s.is_multiple_of(60) && s >= 60 {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    if n == 1 {
        unit.to_string()
    } else {
        format!("{n} {unit}s")
    }
}

fn secs_of(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX).max(1)
}

fn hosts(raw: &[String]) -> anyhow::Result<Vec<String>> {
    raw.iter()
        .map(|h| {
            Hostname::parse(h)
                .map(|h| h.as_str().to_string())
                .with_context(|| format!("invalid host {h:?}"))
        })
        .collect()
}

/// The hosts of an import file, and the lines that were not hosts (pure).
pub fn import_hosts(text: &str) -> (Vec<String>, Vec<String>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        // instances.social: `{"instances": [{"name": "…"}, …]}` (or the bare array).
        let value: serde_json::Value = match serde_json::from_str(trimmed) {
            Ok(v) => v,
            Err(e) => {
                bad.push(format!("not JSON: {e}"));
                return (good, bad);
            }
        };
        let list = value
            .get("instances")
            .and_then(|v| v.as_array())
            .or_else(|| value.as_array())
            .cloned()
            .unwrap_or_default();
        for (i, entry) in list.iter().enumerate() {
            let name = entry
                .get("name")
                .and_then(|n| n.as_str())
                .or_else(|| entry.as_str());
            match name.map(Hostname::parse) {
                Some(Ok(h)) => good.push(h.as_str().to_string()),
                _ => bad.push(format!("entry {}: {entry}", i + 1)),
            }
        }
        return (good, bad);
    }
    for (i, line) in text.lines().enumerate() {
        let l = line.split('#').next().unwrap_or_default().trim();
        if l.is_empty() {
            continue;
        }
        match Hostname::parse(l) {
            Ok(h) => good.push(h.as_str().to_string()),
            Err(e) => bad.push(format!("line {}: {l:?}: {e}", i + 1)),
        }
    }
    (good, bad)
}

/// `vigil instances …`.
pub fn run_instances(a: &InstancesArgs) -> anyhow::Result<std::process::ExitCode> {
    let rt = runtime()?;
    let now = vigil_scan::now();
    let check_interval = 300;
    rt.block_on(async {
        let db = match &a.action {
            InstancesAction::Add { db, .. }
            | InstancesAction::Remove { db, .. }
            | InstancesAction::List { db }
            | InstancesAction::Import { db, .. }
            | InstancesAction::OptOut { db, .. }
            | InstancesAction::OptIn { db, .. } => db,
        };
        let file = load_file(db.config.as_deref())?;
        let store = open(db, &file).await?;
        let mut code = std::process::ExitCode::SUCCESS;
        match &a.action {
            InstancesAction::Add { hosts: raw, .. } => {
                let list = hosts(raw)?;
                let entries: Vec<(&str, &str)> =
                    list.iter().map(|h| (h.as_str(), "operator")).collect();
                let added = store.add_instances(&entries, now, check_interval).await?;
                println!(
                    "added {added} of {} (the rest were already listed)",
                    list.len()
                );
            }
            InstancesAction::Remove { hosts: raw, .. } => {
                for h in hosts(raw)? {
                    if store.remove_instance(&h).await? {
                        println!("removed {h}");
                    } else {
                        eprintln!("vigil: {h} is not in the list");
                        code = std::process::ExitCode::from(1);
                    }
                }
            }
            InstancesAction::List { .. } => {
                for i in store.instances().await? {
                    let state = if let Some(o) = &i.opted_out {
                        format!("opted-out ({o})")
                    } else if i.dead_since.is_some() {
                        "dead".to_string()
                    } else if let Some(m) = &i.moved_to {
                        format!("moved to {m}")
                    } else {
                        match i.up {
                            Some(true) => "up".to_string(),
                            Some(false) => "down".to_string(),
                            None => "not checked".to_string(),
                        }
                    };
                    let scanned = i
                        .last_scan_at
                        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                        .and_then(|t| {
                            t.format(&time::format_description::well_known::Rfc3339)
                                .ok()
                        })
                        .unwrap_or_else(|| "never scanned".to_string());
                    println!("{}\t{state}\t{scanned}\t{}", i.host, i.source);
                }
            }
            InstancesAction::Import { file: path, .. } => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let (good, bad) = import_hosts(&text);
                for b in &bad {
                    eprintln!("vigil: {}: skipped {b}", path.display());
                }
                let entries: Vec<(&str, &str)> =
                    good.iter().map(|h| (h.as_str(), "import")).collect();
                let added = store.add_instances(&entries, now, check_interval).await?;
                println!(
                    "imported {added} new of {} hosts; {} lines skipped",
                    good.len(),
                    bad.len()
                );
                if !bad.is_empty() {
                    code = std::process::ExitCode::from(1);
                }
            }
            InstancesAction::OptOut { hosts: raw, .. }
            | InstancesAction::OptIn { hosts: raw, .. } => {
                let out = matches!(a.action, InstancesAction::OptOut { .. });
                for h in hosts(raw)? {
                    if store.instance(&h).await?.is_none() {
                        // An opt-out is kept for names not listed yet, so they never enter.
                        if out {
                            store
                                .add_instance(&h, "operator", now, check_interval)
                                .await?;
                        } else {
                            eprintln!("vigil: {h} is not in the list");
                            code = std::process::ExitCode::from(1);
                            continue;
                        }
                    }
                    store
                        .set_opted_out(&h, out.then_some("operator"), now)
                        .await?;
                    println!("{h}: {}", if out { "opted out" } else { "opted in" });
                }
            }
        }
        store.close().await;
        Ok(code)
    })
}

/// `vigil regrade`: every stored scan assessed again from its evidence with this binary's
/// grading, without a single request to any instance.
pub fn run_regrade(a: &RegradeArgs) -> anyhow::Result<()> {
    let file = load_file(a.db.config.as_deref())?;
    let rt = runtime()?;
    let trust = TrustStore::system_with(&a.ca_file)?;
    let profile = vigil_scan::ScanProfile {
        probe: ProbeConfig::new(trust),
        tls: None,
        dns: None,
        fedi: None,
        legacy: false,
        concurrency: 1,
    };
    rt.block_on(async {
        let store = open(&a.db, &file).await?;
        let (done, unreadable) = vigil_monitor::regrade(&store, &profile).await?;
        println!("regraded {done} scans; {unreadable} with unreadable evidence kept as they were");
        store.close().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").ok(), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m").ok(), Some(Duration::from_secs(300)));
        assert_eq!(
            parse_duration("24h").ok(),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_duration("2d").ok(),
            Some(Duration::from_secs(172_800))
        );
        assert_eq!(
            parse_duration("250ms").ok(),
            Some(Duration::from_millis(250))
        );
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn import_files_of_both_shapes() {
        let (good, bad) =
            import_hosts("# mine\nmastodon.example\n\nBücher.example # idn\nhttp://x/\n");
        assert_eq!(good, vec!["mastodon.example", "xn--bcher-kva.example"]);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].starts_with("line 5"), "{bad:?}");
        let social = r#"{"instances": [{"name": "mastodon.social", "users": 1}, {"name": "a b"}, {"id": 3}]}"#;
        let (good, bad) = import_hosts(social);
        assert_eq!(good, vec!["mastodon.social"]);
        assert_eq!(bad.len(), 2);
        let (good, _) = import_hosts(r#"["fosstodon.org", "hachyderm.io"]"#);
        assert_eq!(good, vec!["fosstodon.org", "hachyderm.io"]);
        let (good, bad) = import_hosts("{not json");
        assert!(good.is_empty() && bad.len() == 1);
    }
}
