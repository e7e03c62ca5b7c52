//! From events to the outbox, and from the outbox to the receivers. The [`Dispatcher`] runs
//! the rules after the monitor stored a scan or a check and enqueues what fired for every
//! confirmed subscription of the host; [`Delivery`] claims what is due and sends it.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use vigil_store::{
    AlertState, Channel, Instance, NewAlert, NewCheck, NewSubscription, ScanSummary, Store,
    Subscription,
};

use crate::rules::{self, Fired, Priority, ScanFacts};
use crate::send::{Payload, Senders, normalise_handle};
use crate::{AlertConfig, AlertError, SendError};

/// The monitor's hook: runs the rules and enqueues alerts.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    store: Arc<Store>,
    cfg: Arc<AlertConfig>,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// 32 random bytes as hex: a confirmation token nobody can guess.
fn token() -> Result<String, AlertError> {
    let mut buf = [0u8; 32];
    rustls::crypto::aws_lc_rs::default_provider()
        .secure_random
        .fill(&mut buf)
        .map_err(|_| SendError::Config("no randomness".into()))?;
    Ok(hex::encode(buf))
}

fn to_new_alert(f: &Fired, at: i64) -> NewAlert {
    let payload = Payload {
        kind: f.kind.clone(),
        host: f.host.clone(),
        title: f.title.clone(),
        message: f.message.clone(),
        priority: f.priority,
        at,
        details: f.details.clone(),
        confirm_url: None,
    };
    NewAlert {
        host: f.host.clone(),
        kind: f.kind.clone(),
        dedup: f.dedup.clone(),
        payload: serde_json::to_string(&payload).unwrap_or_else(|_| "{}".into()),
        created_at: at,
    }
}

/// Checks a target fits its channel (and normalises a handle); the message says what is wrong.
pub fn validate_target(channel: Channel, target: &str) -> Result<String, AlertError> {
    let t = target.trim();
    match channel {
        Channel::Webhook | Channel::Ntfy => {
            let u = url::Url::parse(t)
                .map_err(|e| AlertError::Invalid(format!("{t:?} is not a URL: {e}")))?;
            if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                return Err(AlertError::Invalid(format!(
                    "{t:?}: an http(s) URL, please"
                )));
            }
            Ok(u.to_string())
        }
        Channel::Email => t
            .parse::<lettre::Address>()
            .map(|a| a.to_string())
            .map_err(|e| AlertError::Invalid(format!("{t:?} is not a mail address: {e}"))),
        Channel::Mastodon => normalise_handle(t)
            .ok_or_else(|| AlertError::Invalid(format!("{t:?} is not a handle like @user@host"))),
    }
}

impl Dispatcher {
    pub fn new(store: Arc<Store>, cfg: Arc<AlertConfig>) -> Dispatcher {
        Dispatcher { store, cfg }
    }

    /// After `record_scan` stored scan `scan_id`: compares it with the host's scan before it
    /// and enqueues what fired. Returns the alerts newly enqueued.
    pub async fn on_scan(
        &self,
        host: &str,
        scan_id: i64,
        summary: &ScanSummary,
        report_json: &str,
    ) -> Result<u64, AlertError> {
        if !self.store.has_subscribers(host).await? {
            return Ok(0);
        }
        let previous = self
            .store
            .scan_before(host, scan_id)
            .await?
            .map(|p| ScanFacts::from_scan(&p.summary, &p.report_json));
        let new = ScanFacts::from_scan(summary, report_json);
        self.on_scan_facts(host, scan_id, previous.as_ref(), &new)
            .await
    }

    /// [`Self::on_scan`] with the facts already read.
    pub async fn on_scan_facts(
        &self,
        host: &str,
        scan_id: i64,
        previous: Option<&ScanFacts>,
        new: &ScanFacts,
    ) -> Result<u64, AlertError> {
        let fired = rules::scan_alerts(host, scan_id, previous, new, &self.cfg.rules);
        self.enqueue(&fired).await
    }

    /// After `record_check` stored a check: `before` is the instance as read before the check.
    pub async fn on_check(&self, before: &Instance, check: &NewCheck) -> Result<u64, AlertError> {
        let fired = rules::check_alerts(before, check, &self.cfg.rules);
        self.enqueue(&fired).await
    }

    async fn enqueue(&self, fired: &[Fired]) -> Result<u64, AlertError> {
        let now = unix_now();
        let mut n = 0;
        for f in fired {
            let added = self.store.enqueue_for_host(&to_new_alert(f, now)).await?;
            if added > 0 {
                info!(host = %f.host, kind = %f.kind, dedup = %f.dedup, added, "alert enqueued");
            }
            n += added;
        }
        Ok(n)
    }

    /// An operator's subscription (CLI or config file): confirmed from the start.
    pub async fn add_operator(
        &self,
        host: &str,
        channel: Channel,
        target: &str,
        secret: Option<&str>,
        source: &str,
    ) -> Result<Subscription, AlertError> {
        let target = validate_target(channel, target)?;
        Ok(self
            .store
            .add_subscription(&NewSubscription {
                host: host.to_string(),
                channel,
                target,
                secret: secret.map(str::to_string),
                confirmed: true,
                token: None,
                source: source.to_string(),
                created_at: unix_now(),
            })
            .await?)
    }

    /// A subscription asked for by anyone: stored unconfirmed, and a confirmation message
    /// with a one-time link is queued to the target. Nothing else reaches the target until
    /// the link is opened ([`Self::confirm`]). Asking again sends no second message.
    pub async fn subscribe(
        &self,
        host: &str,
        channel: Channel,
        target: &str,
        secret: Option<&str>,
    ) -> Result<Subscription, AlertError> {
        if host == "*" {
            return Err(AlertError::Invalid(
                "only the operator may subscribe to every instance".into(),
            ));
        }
        let target = validate_target(channel, target)?;
        let now = unix_now();
        let sub = self
            .store
            .add_subscription(&NewSubscription {
                host: host.to_string(),
                channel,
                target,
                secret: secret.map(str::to_string),
                confirmed: false,
                token: Some(token()?),
                source: "public".into(),
                created_at: now,
            })
            .await?;
        if let Some(tok) = sub.token.as_deref().filter(|_| !sub.confirmed) {
            let base = self
                .cfg
                .public_url
                .as_deref()
                .unwrap_or("")
                .trim_end_matches('/');
            let link = format!("{base}/alerts/confirm?token={tok}");
            let payload = Payload {
                kind: "confirm".into(),
                host: host.to_string(),
                title: format!("Confirm Vigil alerts for {host}"),
                message: format!(
                    "Someone asked Vigil to send alerts about {host} here ({channel}). \
                     If that was you, open the link below; otherwise ignore this message \
                     and nothing more will be sent."
                ),
                priority: Priority::Default,
                at: now,
                details: serde_json::json!({"token": tok}),
                confirm_url: Some(link),
            };
            self.store
                .enqueue_alert(
                    sub.id,
                    &NewAlert {
                        host: host.to_string(),
                        kind: "confirm".into(),
                        dedup: "confirm".into(),
                        payload: serde_json::to_string(&payload).unwrap_or_else(|_| "{}".into()),
                        created_at: now,
                    },
                )
                .await?;
        }
        Ok(sub)
    }

    /// The confirmation link was opened: `None` for an unknown or spent token.
    pub async fn confirm(&self, token: &str) -> Result<Option<Subscription>, AlertError> {
        Ok(self.store.confirm_subscription(token.trim()).await?)
    }
}

/// What one pass of the delivery loop did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u64,
    /// Failed this time, to be tried again later.
    pub retrying: u64,
    /// Failed for the last time.
    pub failed: u64,
}

/// Sends the outbox's due alerts.
#[derive(Debug, Clone)]
pub struct Delivery {
    store: Arc<Store>,
    senders: Senders,
    cfg: Arc<AlertConfig>,
}

/// Alerts sent at once in one pass.
const BATCH: u32 = 16;

impl Delivery {
    pub fn new(store: Arc<Store>, cfg: Arc<AlertConfig>) -> Result<Delivery, AlertError> {
        let senders = Senders::new(Arc::clone(&cfg))?;
        Ok(Delivery {
            store,
            senders,
            cfg,
        })
    }

    /// One pass at time `now`: claims up to a batch of due alerts, sends them side by side and
    /// records each outcome (sent, or failed with the next attempt per the backoff).
    pub async fn deliver_due(&self, now: i64) -> Result<DeliveryReport, AlertError> {
        // The claim outlives the slowest attempt, so no other deliverer takes it meanwhile.
        let lease = i64::try_from(self.cfg.timeout.as_secs())
            .unwrap_or(60)
            .saturating_mul(2)
            .max(30);
        let claimed = self.store.claim_alerts(now, lease, BATCH).await?;
        let mut report = DeliveryReport::default();
        let mut tasks = JoinSet::new();
        for alert in claimed {
            let senders = self.senders.clone();
            tasks.spawn(async move {
                let outcome = senders.send(&alert).await;
                (alert, outcome)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let Ok((alert, outcome)) = done else { continue };
            match outcome {
                Ok(()) => {
                    self.store.mark_alert_sent(alert.id, now).await?;
                    debug!(id = alert.id, host = %alert.host, kind = %alert.kind, "alert sent");
                    report.sent += 1;
                }
                Err(e) => {
                    let state = self
                        .store
                        .mark_alert_failed(alert.id, now, &e.to_string(), &self.cfg.backoff)
                        .await?;
                    if state == AlertState::Failed {
                        warn!(id = alert.id, host = %alert.host, channel = %alert.subscription.channel,
                            error = %e, "alert given up");
                        report.failed += 1;
                    } else {
                        debug!(id = alert.id, error = %e, "alert attempt failed; will retry");
                        report.retrying += 1;
                    }
                }
            }
        }
        Ok(report)
    }
}

/// The delivery loop: a pass every `cfg.poll` (at once again when a pass was full) until
/// `shutdown`; store errors are logged and the loop goes on.
pub async fn run(
    store: Arc<Store>,
    cfg: Arc<AlertConfig>,
    shutdown: CancellationToken,
) -> Result<(), AlertError> {
    let delivery = Delivery::new(store, Arc::clone(&cfg))?;
    info!("alert delivery started");
    loop {
        let busy = match delivery.deliver_due(unix_now()).await {
            Ok(r) => r.sent + r.retrying + r.failed >= u64::from(BATCH),
            Err(e) => {
                warn!(error = %e, "alert delivery pass failed");
                false
            }
        };
        let pause = if busy {
            Duration::from_millis(10)
        } else {
            cfg.poll
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    info!("alert delivery stopped");
    Ok(())
}
