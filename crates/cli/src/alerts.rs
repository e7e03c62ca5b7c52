//! `vigil alerts add|list|remove` and the alert settings of `serve`/`worker`: SMTP relay,
//! Mastodon bot account, down threshold, public URL for confirmation links, and operator
//! subscriptions from the config file's `[alerts]` section. Every flag has an environment twin.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Deserialize;
use std::sync::Arc;
use vigil_alerts::{AlertConfig, Dispatcher, MastodonBot, SmtpConfig, SmtpSecurity};
use vigil_store::{Channel, Store};

use crate::list::{DatabaseArg, FileConfig, load_file, open, parse_duration};

/// Alert settings, flattened into the monitor's flags.
#[derive(Debug, Clone, Default, Args)]
pub struct AlertArgs {
    /// SMTP relay for mail alerts, HOST[:PORT] (plain SMTP on 25 unless --smtp-starttls, 587,
    /// or --smtp-tls, 465).
    #[arg(long, env = "VIGIL_SMTP_SERVER", value_name = "HOST:PORT")]
    pub smtp_server: Option<String>,
    /// The From: address of mail alerts.
    #[arg(long, env = "VIGIL_SMTP_FROM", value_name = "ADDRESS")]
    pub smtp_from: Option<String>,
    /// Require STARTTLS on the SMTP connection (a relay that does not offer it gets no mail).
    #[arg(long, env = "VIGIL_SMTP_STARTTLS", conflicts_with = "smtp_tls")]
    pub smtp_starttls: bool,
    /// Speak TLS to the SMTP relay from the first byte (submissions, port 465).
    #[arg(long, env = "VIGIL_SMTP_TLS")]
    pub smtp_tls: bool,
    /// PEM file of the CA certificates to trust for the SMTP relay instead of the public web
    /// roots (a relay with its own CA).
    #[arg(long, env = "VIGIL_SMTP_CA_FILE", value_name = "PEM")]
    pub smtp_ca_file: Option<std::path::PathBuf>,
    /// SMTP user name (with VIGIL_SMTP_PASSWORD).
    #[arg(long, env = "VIGIL_SMTP_USER", value_name = "USER")]
    pub smtp_user: Option<String>,
    /// SMTP password (set it in the environment, not on the command line).
    #[arg(
        long,
        env = "VIGIL_SMTP_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// The instance of the bot account that sends direct-message alerts (https://…).
    #[arg(long, env = "VIGIL_MASTODON_INSTANCE", value_name = "URL")]
    pub mastodon_instance: Option<String>,
    /// The bot account's access token (write:statuses).
    #[arg(
        long,
        env = "VIGIL_MASTODON_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub mastodon_token: Option<String>,
    /// Down at least this long is worth an alert, and so is coming back [default: 30m].
    #[arg(long, env = "VIGIL_ALERT_DOWN_AFTER", value_name = "DURATION")]
    pub alert_down_after: Option<String>,
    /// Certificates with at most this many days left are worth an alert [default: 14].
    #[arg(long, env = "VIGIL_ALERT_CERT_DAYS", value_name = "DAYS")]
    pub alert_cert_days: Option<i64>,
    /// This site's public URL, for the links in confirmation messages.
    #[arg(long, env = "VIGIL_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

/// The config file's `[alerts]` section: the same settings (keys as the flags) and operator
/// subscriptions, confirmed from the start.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsFile {
    smtp_server: Option<String>,
    smtp_from: Option<String>,
    smtp_starttls: Option<bool>,
    smtp_tls: Option<bool>,
    smtp_ca_file: Option<std::path::PathBuf>,
    smtp_user: Option<String>,
    mastodon_instance: Option<String>,
    alert_down_after: Option<String>,
    alert_cert_days: Option<i64>,
    public_url: Option<String>,
    #[serde(default)]
    subscriptions: Vec<FileSubscription>,
}

/// `[[alerts.subscriptions]]`: `host` (or `*`) and exactly one of the channels.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSubscription {
    host: String,
    webhook: Option<String>,
    secret: Option<String>,
    email: Option<String>,
    ntfy: Option<String>,
    mastodon: Option<String>,
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub action: AlertsAction,
}

/// Exactly one channel of a new subscription.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct ChannelArg {
    /// POST signed JSON to this URL.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Mail this address.
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// POST to this ntfy topic URL.
    #[arg(long, value_name = "URL")]
    pub ntfy: Option<String>,
    /// Direct-message this fediverse account from the bot account.
    #[arg(long, value_name = "@USER@HOST")]
    pub mastodon: Option<String>,
}

impl ChannelArg {
    fn pick(&self) -> anyhow::Result<(Channel, &str)> {
        Ok(
            match (&self.webhook, &self.email, &self.ntfy, &self.mastodon) {
                (Some(u), None, None, None) => (Channel::Webhook, u),
                (None, Some(a), None, None) => (Channel::Email, a),
                (None, None, Some(u), None) => (Channel::Ntfy, u),
                (None, None, None, Some(h)) => (Channel::Mastodon, h),
                _ => bail!("give exactly one of --webhook, --email, --ntfy, --mastodon"),
            },
        )
    }
}

#[derive(Debug, Subcommand)]
pub enum AlertsAction {
    /// Subscribe to an instance's alerts (HOST, or `*` for every instance); yours, so
    /// confirmed at once.
    Add {
        #[command(flatten)]
        db: DatabaseArg,
        host: String,
        #[command(flatten)]
        channel: ChannelArg,
        /// The webhook's HMAC-SHA256 key (X-Vigil-Signature).
        #[arg(long, value_name = "SECRET")]
        secret: Option<String>,
    },
    /// Print the subscriptions, one a line: id, host, channel, target, state.
    List {
        #[command(flatten)]
        db: DatabaseArg,
        /// Also print the latest alerts.
        #[arg(long)]
        sent: bool,
    },
    /// Remove a subscription and its alerts.
    Remove {
        #[command(flatten)]
        db: DatabaseArg,
        id: i64,
    },
}

fn host_arg(raw: &str) -> anyhow::Result<String> {
    if raw == "*" {
        return Ok(raw.to_string());
    }
    vigil_model::Hostname::parse(raw)
        .map(|h| h.as_str().to_string())
        .with_context(|| format!("invalid host {raw:?}"))
}

/// The alert configuration from flags, then the file, then defaults.
pub fn config(a: &AlertArgs, f: &AlertsFile, user_agent: &str) -> anyhow::Result<AlertConfig> {
    let mut cfg = AlertConfig {
        user_agent: format!("{user_agent} alerts"),
        ..AlertConfig::default()
    };
    if let Some(d) = a
        .alert_down_after
        .as_deref()
        .or(f.alert_down_after.as_deref())
    {
        cfg.rules.down_threshold_secs =
            i64::try_from(parse_duration(d)?.as_secs()).unwrap_or(i64::MAX);
    }
    if let Some(days) = a.alert_cert_days.or(f.alert_cert_days) {
        cfg.rules.cert_warn_days = days;
    }
    cfg.public_url = a.public_url.clone().or_else(|| f.public_url.clone());
    if let Some(server) = a.smtp_server.as_deref().or(f.smtp_server.as_deref()) {
        let starttls = a.smtp_starttls || f.smtp_starttls.unwrap_or(false);
        let tls = a.smtp_tls || f.smtp_tls.unwrap_or(false);
        let security = match (starttls, tls) {
            (true, true) => bail!("choose one of --smtp-starttls and --smtp-tls"),
            (true, false) => SmtpSecurity::StartTls,
            (false, true) => SmtpSecurity::Tls,
            (false, false) => SmtpSecurity::Plain,
        };
        let (host, port) = smtp_host_port(server, security.default_port())?;
        let from = a
            .smtp_from
            .clone()
            .or_else(|| f.smtp_from.clone())
            .context("--smtp-server needs --smtp-from")?;
        let ca_pem = match a.smtp_ca_file.as_ref().or(f.smtp_ca_file.as_ref()) {
            None => None,
            Some(path) => Some(
                std::fs::read(path)
                    .with_context(|| format!("--smtp-ca-file {}", path.display()))?,
            ),
        };
        cfg.smtp = Some(SmtpConfig {
            host,
            port,
            security,
            username: a.smtp_user.clone().or_else(|| f.smtp_user.clone()),
            password: a.smtp_password.clone(),
            from,
            ca_pem,
        });
    }
    if let Some(instance) = a
        .mastodon_instance
        .clone()
        .or_else(|| f.mastodon_instance.clone())
    {
        let u = url::Url::parse(&instance)
            .with_context(|| format!("--mastodon-instance {instance:?} is not a URL"))?;
        if !matches!(u.scheme(), "https" | "http") {
            bail!("--mastodon-instance must be an https:// URL");
        }
        let token = a
            .mastodon_token
            .clone()
            .context("--mastodon-instance needs VIGIL_MASTODON_TOKEN")?;
        cfg.mastodon = Some(MastodonBot { instance, token });
    }
    Ok(cfg)
}

/// `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT` of `--smtp-server`, with `default_port` when
/// none is given.
fn smtp_host_port(server: &str, default_port: u16) -> anyhow::Result<(String, u16)> {
    let bad = || format!("--smtp-server {server:?}: expected HOST, HOST:PORT or [IPV6]:PORT");
    let (host, port) = if let Some(rest) = server.strip_prefix('[') {
        let (host, after) = rest.split_once(']').with_context(bad)?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').with_context(bad)?)),
        }
    } else {
        match server.split_once(':') {
            Some((h, p)) if !p.contains(':') => (h, Some(p)),
            Some(_) => bail!("{}", bad()),
            None => (server, None),
        }
    };
    if host.is_empty() {
        bail!("{}", bad());
    }
    let port = match port {
        None => default_port,
        Some(p) => p.parse::<u16>().with_context(bad)?,
    };
    Ok((host.to_string(), port))
}

/// For `serve`/`worker`: the monitor's dispatcher, with the file's subscriptions in the store.
pub struct Alerting {
    pub dispatcher: Arc<Dispatcher>,
    cfg: Arc<AlertConfig>,
}

impl Alerting {
    /// Reads the settings and stores the config file's subscriptions (confirmed).
    pub async fn setup(
        a: &AlertArgs,
        file: &FileConfig,
        store: &Arc<Store>,
        user_agent: &str,
        allow_private: bool,
    ) -> anyhow::Result<Alerting> {
        let mut cfg = config(a, &file.alerts, user_agent)?;
        // `--allow-private` (own LAN, tests) also lets public subscriptions reach private targets.
        cfg.allow_private_targets = allow_private;
        let cfg = Arc::new(cfg);
        // A relay that cannot be used (credentials in the clear, an empty CA file) stops the
        // start with its reason rather than failing every mail later.
        vigil_alerts::Senders::new(Arc::clone(&cfg)).context("alert settings")?;
        let dispatcher = Arc::new(Dispatcher::new(Arc::clone(store), Arc::clone(&cfg)));
        for s in &file.alerts.subscriptions {
            let host = host_arg(&s.host)?;
            let channel = ChannelArg {
                webhook: s.webhook.clone(),
                email: s.email.clone(),
                ntfy: s.ntfy.clone(),
                mastodon: s.mastodon.clone(),
            };
            let (channel, target) = channel
                .pick()
                .with_context(|| format!("[[alerts.subscriptions]] for {host}"))?;
            dispatcher
                .add_operator(&host, channel, target, s.secret.as_deref(), "config")
                .await?;
        }
        Ok(Alerting { dispatcher, cfg })
    }

    /// The monitor, feeding the alert rules.
    pub fn attach(&self, monitor: vigil_monitor::Monitor) -> vigil_monitor::Monitor {
        monitor.with_alerts(Arc::clone(&self.dispatcher))
    }

    /// Starts the delivery loop until `stop`.
    pub fn spawn(
        &self,
        store: &Arc<Store>,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let (store, cfg) = (Arc::clone(store), Arc::clone(&self.cfg));
        tokio::spawn(async move {
            if let Err(e) = vigil_alerts::run(store, cfg, stop).await {
                tracing::error!(error = %e, "alert delivery cannot start");
            }
        })
    }
}

/// `vigil alerts …`.
pub fn run(a: &AlertsArgs) -> anyhow::Result<std::process::ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let db = match &a.action {
        AlertsAction::Add { db, .. }
        | AlertsAction::List { db, .. }
        | AlertsAction::Remove { db, .. } => db,
    };
    let file = load_file(db.config.as_deref())?;
    rt.block_on(async {
        let store = Arc::new(open(db, &file).await?);
        let mut code = std::process::ExitCode::SUCCESS;
        match &a.action {
            AlertsAction::Add {
                host,
                channel,
                secret,
                ..
            } => {
                let host = host_arg(host)?;
                let (channel, target) = channel.pick()?;
                if secret.is_some() && channel != Channel::Webhook {
                    bail!("--secret is for --webhook only");
                }
                let d = Dispatcher::new(Arc::clone(&store), Arc::new(AlertConfig::default()));
                let s = d
                    .add_operator(&host, channel, target, secret.as_deref(), "operator")
                    .await?;
                println!(
                    "subscription {}: {} {} {}",
                    s.id, s.host, s.channel, s.target
                );
            }
            AlertsAction::List { sent, .. } => {
                for s in store.subscriptions(None).await? {
                    let state = if s.confirmed {
                        "confirmed"
                    } else {
                        "unconfirmed"
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{state}\t{}",
                        s.id, s.host, s.channel, s.target, s.source
                    );
                }
                if *sent {
                    for al in store.alerts(None, 50).await? {
                        println!(
                            "alert {}\tsubscription {}\t{}\t{}\t{:?}\tattempts {}\t{}",
                            al.id,
                            al.subscription.id,
                            al.host,
                            al.dedup,
                            al.state,
                            al.attempts,
                            al.last_error.unwrap_or_default()
                        );
                    }
                }
            }
            AlertsAction::Remove { id, .. } => {
                if store.remove_subscription(*id).await? {
                    println!("removed subscription {id}");
                } else {
                    eprintln!("vigil: no subscription {id}");
                    code = std::process::ExitCode::from(1);
                }
            }
        }
        store.close().await;
        Ok(code)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_flags_then_file() {
        let file: AlertsFile = toml::from_str(
            r#"
            smtp_server = "127.0.0.1:2525"
            smtp_from = "alerts@vigil.example"
            alert_down_after = "1h"
            [[subscriptions]]
            host = "*"
            ntfy = "https://ntfy.example/vigil"
            "#,
        )
        .unwrap_or_default();
        let cfg = config(&AlertArgs::default(), &file, "Vigil/0").ok();
        let smtp = cfg.as_ref().and_then(|c| c.smtp.clone());
        assert_eq!(smtp.as_ref().map(|s| s.port), Some(2525));
        assert_eq!(
            cfg.as_ref().map(|c| c.rules.down_threshold_secs),
            Some(3600)
        );
        assert_eq!(file.subscriptions.len(), 1);
        let flags = AlertArgs {
            alert_down_after: Some("10m".into()),
            ..AlertArgs::default()
        };
        assert_eq!(
            config(&flags, &file, "V")
                .ok()
                .map(|c| c.rules.down_threshold_secs),
            Some(600)
        );
        // A bot instance without its token is a mistake worth stopping for.
        let bot = AlertArgs {
            mastodon_instance: Some("https://bots.example".into()),
            ..AlertArgs::default()
        };
        assert!(config(&bot, &AlertsFile::default(), "V").is_err());
    }

    #[test]
    fn smtp_server_names_and_ports() {
        let ok = |s: &str, d: u16| smtp_host_port(s, d).ok();
        assert_eq!(ok("mail.example", 587), Some(("mail.example".into(), 587)));
        assert_eq!(
            ok("mail.example:2525", 25),
            Some(("mail.example".into(), 2525))
        );
        assert_eq!(ok("[::1]:2525", 25), Some(("::1".into(), 2525)));
        assert_eq!(ok("[::1]", 465), Some(("::1".into(), 465)));
        for bad in [
            "",
            ":25",
            "mail.example:x",
            "::1",
            "[::1",
            "[::1]x",
            "a:70000",
        ] {
            assert!(smtp_host_port(bad, 25).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn smtp_security_from_flags_and_file() {
        let file: AlertsFile = toml::from_str(
            r#"
            smtp_server = "mail.example"
            smtp_from = "alerts@vigil.example"
            smtp_tls = true
            "#,
        )
        .unwrap_or_default();
        let smtp = config(&AlertArgs::default(), &file, "V")
            .ok()
            .and_then(|c| c.smtp);
        assert_eq!(
            smtp.as_ref().map(|s| (s.security, s.port)),
            Some((SmtpSecurity::Tls, 465))
        );
        let both = AlertArgs {
            smtp_starttls: true,
            ..AlertArgs::default()
        };
        let e = config(&both, &file, "V").err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("choose one")));
        let missing = AlertArgs {
            smtp_server: Some("mail.example".into()),
            smtp_from: Some("a@vigil.example".into()),
            smtp_starttls: true,
            smtp_ca_file: Some("/nonexistent/ca.pem".into()),
            ..AlertArgs::default()
        };
        let e = config(&missing, &AlertsFile::default(), "V")
            .err()
            .map(|e| format!("{e:#}"));
        assert!(e.is_some_and(|e| e.contains("/nonexistent/ca.pem")));
    }
}
