//! Command-line arguments (raw, as clap parses them) and their conversion into a validated
//! scan plan. Defaults live here and show in `--help`.

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use vigil_model::{Grade, Hostname};
use vigil_probe::{ProbeConfig, TrustStore};

/// How secure is my server, and what do I change to get an A+?
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan hosts: the HTTP Observatory tests, score and grade, with fixes.
    Scan(ScanArgs),
    /// Grade saved evidence (`vigil scan --format evidence`) again, offline.
    Replay(ReplayArgs),
    /// Print the full advice for one result id, e.g. `csp-implemented-with-unsafe-inline`.
    Explain(ExplainArgs),
    /// DNS facts: A/AAAA, CAA, TLSA/DANE and DNSSEC validation.
    Dns(DnsArgs),
    /// Probe a TLS endpoint: versions, every accepted suite and the server's order, groups,
    /// certificate verdicts, OCSP stapling, HSTS.
    Tls(TlsArgs),
    /// Run the list: rescan every instance, check uptime, and answer the JSON API.
    Serve(crate::list::ServeArgs),
    /// Rescan and check instances of a shared database (no API); run several on PostgreSQL.
    Worker(crate::list::WorkerArgs),
    /// Add, remove, list, import or opt out instances of the list.
    Instances(crate::list::InstancesArgs),
    /// Re-assess every stored scan from its evidence with this version's grading.
    Regrade(crate::list::RegradeArgs),
    /// Remove old uptime checks, evidence and scans now (the monitor does it every 6 hours);
    /// every instance keeps its newest scan, and the uptime figures are kept.
    Prune(crate::list::PruneArgs),
    /// Write the whole list (rank order, as the API shows it) as JSON or CSV.
    Export(crate::list::ExportArgs),
    /// Alert subscriptions: add (webhook, mail, ntfy, Mastodon DM), list, remove.
    Alerts(crate::alerts::AlertsArgs),
}

/// Where DNS questions go and what DNSSEC trusts (shared by `vigil dns` and `vigil scan`).
#[derive(Debug, Clone, Args)]
pub struct DnsOptions {
    /// Ask this resolver (IP:PORT) instead of the system's.
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<std::net::SocketAddr>,
    /// DNSSEC trust anchor: a file of DS or DNSKEY records (default: the root KSK).
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
}

impl DnsOptions {
    pub fn config(&self) -> vigil_dns::DnsConfig {
        vigil_dns::DnsConfig {
            resolver: self.resolver,
            trust_anchor: self.trust_anchor.clone(),
            ..vigil_dns::DnsConfig::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct DnsArgs {
    /// A bare host name.
    pub host: String,
    /// Output format (text or json).
    #[arg(long, value_enum, default_value_t = TlsFormat::Text)]
    pub format: TlsFormat,
    /// Port whose served certificate the TLSA records are checked against.
    #[arg(long, default_value_t = 443)]
    pub port: u16,
    #[command(flatten)]
    pub dns: DnsOptions,
}

/// Output formats of `vigil tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsFormat {
    /// A readable report.
    Text,
    /// The TLS report as JSON (see docs/tls-output.md).
    Json,
    /// The raw TLS evidence gathered.
    Evidence,
}

#[derive(Debug, Args)]
pub struct TlsArgs {
    /// HOST[:PORT] (port 443 when omitted; IPv6 as [::1]:443).
    pub target: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TlsFormat::Text)]
    pub format: TlsFormat,
    /// Also trust the CA certificates in this PEM file (repeatable).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Vec<PathBuf>,
    /// Connections open at once to the endpoint.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub max_parallel: u16,
    /// Seconds allowed for one probe connection.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub probe_timeout: u64,
    /// Never colour the text report.
    #[arg(long)]
    pub no_color: bool,
}

/// A validated TLS target.
#[derive(Debug, Clone)]
pub struct TlsTarget {
    pub host: Hostname,
    pub port: u16,
}

impl TlsArgs {
    /// Splits and validates HOST[:PORT].
    pub fn target(&self) -> anyhow::Result<TlsTarget> {
        let raw = self.target.trim();
        let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
            let (h, after) = rest
                .split_once(']')
                .with_context(|| format!("invalid target {raw:?}: missing ']'"))?;
            match after.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None if after.is_empty() => (h, None),
                None => bail!("invalid target {raw:?}"),
            }
        } else {
            match raw.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h, Some(p)),
                _ => (raw, None),
            }
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .with_context(|| format!("invalid port {p:?} in {raw:?}"))?,
            None => 443,
        };
        let host = Hostname::parse(host).with_context(|| format!("invalid host {host:?}"))?;
        Ok(TlsTarget { host, port })
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable report with the fix for every test that loses points.
    Text,
    /// Vigil's own versioned JSON (see docs/json-output.md).
    Json,
    /// Exactly the MDN HTTP Observatory CLI's JSON (`{"scan":…,"tests":…}` or `{"error":…}`).
    Observatory,
    /// Everything the scan retrieved (HTTP, TLS, DNS, IPv6, fediverse, security.txt) as one
    /// bundle, for `vigil replay` and bug reports.
    Evidence,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Host names to scan (bare names such as mastodon.example, no scheme or port).
    pub hosts: Vec<String>,
    /// Read more host names from a file, one per line (# comments allowed).
    #[arg(long, value_name = "FILE")]
    pub hosts_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit with status 3 when a grade is below this one (for CI gates), e.g. `B`: the composite
    /// rating when TLS and the rest ran, else the Observatory grade.
    #[arg(long, value_name = "GRADE", value_parser = parse_grade)]
    pub min_grade: Option<Grade>,
    /// Also trust the CA certificates in this PEM file (repeatable). System roots are always
    /// trusted; SSL_CERT_FILE replaces them, as with OpenSSL.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Vec<PathBuf>,
    /// Hosts scanned at the same time.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Port for http:// (for test setups; the Observatory always uses 80).
    #[arg(long, default_value_t = 80, hide = true)]
    pub http_port: u16,
    /// Port for https:// (for test setups; the Observatory always uses 443).
    #[arg(long, default_value_t = 443, hide = true)]
    pub https_port: u16,
    /// Never colour the text report (colour is used only on a terminal; NO_COLOR is honoured).
    #[arg(long)]
    pub no_color: bool,
    /// Print long lists in full (accepted suites, advisories) instead of folding them to a count.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Skip the TLS, IPv6, DNS and software checks (they never run with `--format observatory`).
    #[arg(long)]
    pub no_tls: bool,
    /// Which Observatory: the current one (`observatory`), or the 2017 one with its 135-point
    /// scale (`legacy`: X-XSS-Protection, HPKP, contribute.json, crossdomain.xml; no CORP).
    #[arg(long, value_enum, default_value_t = Scoring::Observatory)]
    pub scoring: Scoring,
    /// Connect only to public addresses, as a public scanner must: loopback, private,
    /// link-local (cloud metadata), CGNAT and other special-purpose addresses are refused on
    /// every connection, redirects included, before anything is sent.
    #[arg(long)]
    pub public_only: bool,
    #[command(flatten)]
    pub dns: DnsOptions,
}

/// The HTTP scoring scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scoring {
    /// MDN HTTP Observatory (algorithm version 4).
    Observatory,
    /// The 2017 Mozilla Observatory (httpobs 0.9.3), 135 points.
    Legacy,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Evidence JSON written by `vigil scan --format evidence`.
    pub evidence: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit with status 3 when the grade is below this one.
    #[arg(long, value_name = "GRADE", value_parser = parse_grade)]
    pub min_grade: Option<Grade>,
    /// Never colour the text report.
    #[arg(long)]
    pub no_color: bool,
    /// Also trust the CA certificates in this PEM file when re-checking the TLS evidence.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Vec<PathBuf>,
}

/// The profile a replay assesses with: only its trust store matters (nothing is retrieved).
pub fn replay_profile(a: &ReplayArgs) -> anyhow::Result<vigil_scan::ScanProfile> {
    let trust = TrustStore::system_with(&a.ca_file)?;
    Ok(vigil_scan::ScanProfile {
        probe: ProbeConfig::new(trust),
        tls: None,
        dns: None,
        fedi: None,
        legacy: false,
        concurrency: 1,
    })
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A result id such as `hsts-not-implemented`.
    pub result: String,
}

fn parse_grade(s: &str) -> Result<Grade, String> {
    Grade::parse(s).ok_or_else(|| format!("{s:?} is not a grade (A+, A, A-, B+ … F)"))
}

/// How to present results.
#[derive(Debug, Clone)]
pub struct OutputPlan {
    pub format: Format,
    pub min_grade: Option<Grade>,
    pub color: bool,
    /// Long lists in full.
    pub verbose: bool,
}

/// A validated scan: hosts, what to scan, and how to show it.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    pub hosts: Vec<Hostname>,
    pub profile: vigil_scan::ScanProfile,
    pub output: OutputPlan,
}

/// True when the text report should be coloured.
pub fn color_wanted(no_color: bool) -> bool {
    !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

impl ScanArgs {
    /// Validates the arguments (host names, files) into a plan.
    pub fn plan(self) -> anyhow::Result<ScanPlan> {
        let mut raw = self.hosts.clone();
        if let Some(path) = &self.hosts_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read hosts file {}", path.display()))?;
            raw.extend(
                text.lines()
                    .map(|l| l.split('#').next().unwrap_or_default().trim().to_string())
                    .filter(|l| !l.is_empty()),
            );
        }
        if raw.is_empty() {
            bail!("no host given: vigil scan HOST [HOST…] or --hosts-file FILE");
        }
        let mut hosts = Vec::with_capacity(raw.len());
        for h in &raw {
            hosts.push(Hostname::parse(h).with_context(|| format!("invalid host {h:?}"))?);
        }
        let trust = TrustStore::system_with(&self.ca_file)?;
        let mut probe = ProbeConfig::new(trust.clone());
        probe.http_port = self.http_port;
        probe.https_port = self.https_port;
        let legacy = self.scoring == Scoring::Legacy;
        probe.legacy = legacy;
        let full = !self.no_tls && self.format != Format::Observatory;
        let fedi = full.then(|| {
            let mut f = vigil_fedi::FediConfig::new(trust);
            f.https_port = self.https_port;
            // One budget per host: the fediverse fetches end when the HTTP retrieval must.
            f.limits.total_timeout = f.limits.total_timeout.min(probe.limits.total_timeout);
            f
        });
        // The TLS probes share the scan's bound: every scan ends within 15 s, whatever the
        // server does (`vigil tls` alone allows a minute).
        let tls = full.then(|| vigil_tls_probe::TlsProbeConfig {
            total_timeout: probe.limits.total_timeout,
            ..vigil_tls_probe::TlsProbeConfig::default()
        });
        let mut profile = vigil_scan::ScanProfile {
            probe,
            tls,
            dns: full.then(|| self.dns.config()),
            fedi,
            legacy,
            concurrency: usize::from(self.concurrency),
        };
        if self.public_only {
            profile = profile.public_only();
        }
        Ok(ScanPlan {
            hosts,
            profile,
            output: OutputPlan {
                format: self.format,
                min_grade: self.min_grade,
                color: color_wanted(self.no_color),
                verbose: self.verbose,
            },
        })
    }
}
