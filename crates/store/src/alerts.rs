//! Alert subscriptions and the alert outbox (schema 2). An alert is enqueued once per
//! subscription and dedup key (a second enqueue of the same key is a no-op on both databases),
//! claimed by one deliverer at a time through a short lease on `next_attempt_at`, and ends
//! `sent` or, after the backoff schedule runs out, `failed`.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::rows::{flag, summary_from};
use crate::{Backend, ScanSummary, Store, StoreError};

/// Seconds to wait after the 1st, 2nd, … failed attempt; after the last one the alert fails.
pub const DEFAULT_BACKOFF: &[i64] = &[60, 300, 1800, 7200];

/// How an alert reaches its subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// A JSON POST signed with the subscription's secret.
    Webhook,
    /// A mail over SMTP.
    Email,
    /// A POST of the text to an ntfy topic URL.
    Ntfy,
    /// A direct message from the operator's bot account to a fediverse handle.
    Mastodon,
}

impl Channel {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Email => "email",
            Channel::Ntfy => "ntfy",
            Channel::Mastodon => "mastodon",
        }
    }

    /// The channel a stored name means.
    pub fn parse(name: &str) -> Option<Channel> {
        Some(match name {
            "webhook" => Channel::Webhook,
            "email" => Channel::Email,
            "ntfy" => Channel::Ntfy,
            "mastodon" => Channel::Mastodon,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A subscription to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubscription {
    /// The instance, or `*` for every instance.
    pub host: String,
    pub channel: Channel,
    /// URL, mail address, ntfy topic URL or `@user@host`.
    pub target: String,
    /// The webhook's HMAC key.
    pub secret: Option<String>,
    /// Operator subscriptions start confirmed; public ones wait for their token.
    pub confirmed: bool,
    /// The confirmation token sent to the target (unconfirmed subscriptions only).
    pub token: Option<String>,
    /// `operator`, `config` or `public`.
    pub source: String,
    pub created_at: i64,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: i64,
    pub host: String,
    pub channel: Channel,
    pub target: String,
    pub secret: Option<String>,
    pub confirmed: bool,
    pub token: Option<String>,
    pub source: String,
    pub created_at: i64,
}

/// An alert to enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAlert {
    pub host: String,
    /// `grade-drop`, `cert-expiry`, `down`, `recovered`, `release` or `confirm`.
    pub kind: String,
    /// Unique per subscription: the same key is never enqueued twice.
    pub dedup: String,
    /// The alert as JSON (what a webhook receives).
    pub payload: String,
    pub created_at: i64,
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Waiting for its (next) attempt.
    Pending,
    /// Delivered.
    Sent,
    /// Every attempt failed.
    Failed,
}

impl AlertState {
    fn parse(name: &str) -> Result<AlertState, StoreError> {
        Ok(match name {
            "pending" => AlertState::Pending,
            "sent" => AlertState::Sent,
            "failed" => AlertState::Failed,
            other => return Err(StoreError::Corrupt(format!("alert state {other:?}"))),
        })
    }
}

/// A stored alert with the subscription it goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    pub subscription: Subscription,
    pub host: String,
    pub kind: String,
    pub dedup: String,
    pub payload: String,
    pub created_at: i64,
    pub state: AlertState,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

/// The scan before a given one, for rules that compare two scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousScan {
    pub id: i64,
    pub scanned_at: i64,
    pub summary: ScanSummary,
    pub report_json: String,
}

const SUB_COLS: &str = "s.id AS s_id, s.host AS s_host, s.channel, s.target, s.secret, \
     s.confirmed, s.token, s.source, s.created_at AS s_created_at";

macro_rules! alert_select {
    () => {
        "SELECT a.id, a.host, a.kind, a.dedup, a.payload, a.created_at, a.state, a.attempts, \
         a.next_attempt_at, a.last_error, a.sent_at, s.id AS s_id, s.host AS s_host, s.channel, \
         s.target, s.secret, s.confirmed, s.token, s.source, s.created_at AS s_created_at \
         FROM alerts a JOIN subscriptions s ON s.id = a.subscription_id "
    };
}

const UPSERT_SUB: &str = "INSERT INTO subscriptions \
     (host, channel, target, secret, confirmed, token, source, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (host, channel, target) DO UPDATE SET \
     confirmed = CASE WHEN excluded.confirmed = 1 THEN 1 ELSE subscriptions.confirmed END, \
     token = CASE WHEN excluded.confirmed = 1 THEN NULL ELSE subscriptions.token END, \
     secret = CASE WHEN excluded.confirmed = 1 THEN COALESCE(excluded.secret, subscriptions.secret) \
         ELSE subscriptions.secret END, \
     source = CASE WHEN excluded.confirmed = 1 THEN excluded.source ELSE subscriptions.source END \
     RETURNING id AS s_id, host AS s_host, channel, target, secret, confirmed, token, source, \
     created_at AS s_created_at";

const CLAIM_PG: &str = "SELECT a.id FROM alerts a JOIN subscriptions s ON s.id = a.subscription_id \
     WHERE a.state = 'pending' AND a.next_attempt_at <= $1 \
     AND (s.confirmed = 1 OR a.kind = 'confirm') \
     ORDER BY a.next_attempt_at, a.id LIMIT $2 FOR UPDATE OF a SKIP LOCKED";
const CLAIM_SQLITE: &str = "SELECT a.id FROM alerts a \
     JOIN subscriptions s ON s.id = a.subscription_id \
     WHERE a.state = 'pending' AND a.next_attempt_at <= $1 \
     AND (s.confirmed = 1 OR a.kind = 'confirm') \
     ORDER BY a.next_attempt_at, a.id LIMIT $2";

fn subscription_from(row: &AnyRow) -> Result<Subscription, StoreError> {
    let channel: String = row.try_get("channel")?;
    Ok(Subscription {
        id: row.try_get("s_id")?,
        host: row.try_get("s_host")?,
        channel: Channel::parse(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("subscription channel {channel:?}")))?,
        target: row.try_get("target")?,
        secret: row.try_get("secret")?,
        confirmed: flag(row.try_get("confirmed")?, "confirmed")?.unwrap_or(false),
        token: row.try_get("token")?,
        source: row.try_get("source")?,
        created_at: row.try_get("s_created_at")?,
    })
}

fn alert_from(row: &AnyRow) -> Result<Alert, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(Alert {
        id: row.try_get("id")?,
        subscription: subscription_from(row)?,
        host: row.try_get("host")?,
        kind: row.try_get("kind")?,
        dedup: row.try_get("dedup")?,
        payload: row.try_get("payload")?,
        created_at: row.try_get("created_at")?,
        state: AlertState::parse(&state)?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        sent_at: row.try_get("sent_at")?,
    })
}

impl Store {
    /// Adds a subscription, or returns the one with the same host, channel and target. A
    /// confirmed (operator) add confirms an existing public one and may set its secret; an
    /// unconfirmed add never changes an existing row, so nobody can re-key someone's webhook.
    pub async fn add_subscription(
        &self,
        sub: &NewSubscription,
    ) -> Result<Subscription, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(UPSERT_SUB)
            .bind(sub.host.clone())
            .bind(sub.channel.as_str())
            .bind(sub.target.clone())
            .bind(sub.secret.clone())
            .bind(i64::from(sub.confirmed))
            .bind(if sub.confirmed {
                None
            } else {
                sub.token.clone()
            })
            .bind(sub.source.clone())
            .bind(sub.created_at)
            .fetch_one(&mut *tx)
            .await?;
        let out = subscription_from(&row)?;
        tx.commit().await?;
        Ok(out)
    }

    /// Confirms the subscription whose token this is (the token is then spent); `None` for an
    /// unknown or already used token.
    pub async fn confirm_subscription(
        &self,
        token: &str,
    ) -> Result<Option<Subscription>, StoreError> {
        if token.is_empty() {
            return Ok(None);
        }
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE subscriptions SET confirmed = 1, token = NULL WHERE token = $1 \
             RETURNING id AS s_id, host AS s_host, channel, target, secret, confirmed, token, \
             source, created_at AS s_created_at",
        )
        .bind(token.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let out = row.as_ref().map(subscription_from).transpose()?;
        tx.commit().await?;
        Ok(out)
    }

    /// Every subscription (of one host when given; `*` subscriptions are listed under `*`),
    /// oldest first.
    pub async fn subscriptions(&self, host: Option<&str>) -> Result<Vec<Subscription>, StoreError> {
        let sql = format!(
            "SELECT {SUB_COLS} FROM subscriptions s {} ORDER BY s.id",
            if host.is_some() {
                "WHERE s.host = $1"
            } else {
                ""
            }
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(h) = host {
            q = q.bind(h.to_string());
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(subscription_from)
            .collect()
    }

    /// Whether anyone confirmed would hear about `host`, so callers can skip the work of
    /// comparing scans nobody is waiting for.
    pub async fn has_subscribers(&self, host: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM subscriptions WHERE (host = $1 OR host = '*') AND confirmed = 1",
        )
        .bind(host.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Removes a subscription and its alerts; `false` when there was none.
    pub async fn remove_subscription(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        // Explicit, so it does not depend on SQLite's foreign_keys pragma being on.
        sqlx::query("DELETE FROM alerts WHERE subscription_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM subscriptions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Enqueues `alert` for one subscription, due at once; `false` when that subscription
    /// already has an alert with the same dedup key (sent, failed or pending).
    pub async fn enqueue_alert(
        &self,
        subscription_id: i64,
        alert: &NewAlert,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO alerts (subscription_id, host, kind, dedup, payload, created_at, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (subscription_id, dedup) DO NOTHING",
        )
        .bind(subscription_id)
        .bind(alert.host.clone())
        .bind(alert.kind.clone())
        .bind(alert.dedup.clone())
        .bind(alert.payload.clone())
        .bind(alert.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Enqueues `alert` for every confirmed subscription to its host (and to `*`); returns how
    /// many were new. Enqueuing the same dedup key again adds nothing.
    pub async fn enqueue_for_host(&self, alert: &NewAlert) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        // SQLite needs the WHERE in INSERT … SELECT … ON CONFLICT to parse it.
        let done = sqlx::query(
            "INSERT INTO alerts (subscription_id, host, kind, dedup, payload, created_at, \
             next_attempt_at) \
             SELECT id, $1, $2, $3, $4, $5, $5 FROM subscriptions \
             WHERE (host = $1 OR host = '*') AND confirmed = 1 \
             ON CONFLICT (subscription_id, dedup) DO NOTHING",
        )
        .bind(alert.host.clone())
        .bind(alert.kind.clone())
        .bind(alert.dedup.clone())
        .bind(alert.payload.clone())
        .bind(alert.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Claims up to `limit` due pending alerts (of confirmed subscriptions, plus confirmation
    /// messages), earliest first, by moving their next attempt `lease_secs` ahead: another
    /// deliverer skips them meanwhile, and a deliverer that dies mid-way leaves them to be
    /// retried after the lease. Delivery is therefore at least once.
    pub async fn claim_alerts(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<Alert>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let sql = match self.backend {
            Backend::Postgres => CLAIM_PG,
            Backend::Sqlite => CLAIM_SQLITE,
        };
        let mut tx = self.begin_write().await?;
        let ids: Vec<i64> = sqlx::query_scalar(sql)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        if ids.is_empty() {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            sqlx::query("UPDATE alerts SET next_attempt_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now.saturating_add(lease_secs))
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query(concat!(alert_select!(), "WHERE a.id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            claimed.push(alert_from(&row)?);
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Notes a delivered alert.
    pub async fn mark_alert_sent(&self, id: i64, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE alerts SET state = 'sent', sent_at = $2, attempts = attempts + 1, \
             last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Notes a failed attempt: the alert is retried `backoff[n-1]` seconds after its n-th
    /// failure, and is `failed` for good once the schedule is used up. Returns the new state.
    pub async fn mark_alert_failed(
        &self,
        id: i64,
        now: i64,
        error: &str,
        backoff: &[i64],
    ) -> Result<AlertState, StoreError> {
        let mut tx = self.begin_write().await?;
        let attempts: Option<i64> = sqlx::query_scalar("SELECT attempts FROM alerts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(attempts) = attempts else {
            tx.rollback().await?;
            return Err(StoreError::Corrupt(format!("no alert {id}")));
        };
        let attempts = attempts.saturating_add(1);
        let wait = usize::try_from(attempts - 1)
            .ok()
            .and_then(|i| backoff.get(i));
        let (state, next) = match wait {
            Some(w) => (AlertState::Pending, now.saturating_add(*w)),
            None => (AlertState::Failed, now),
        };
        let error: String = error.chars().take(1000).collect();
        sqlx::query(
            "UPDATE alerts SET attempts = $2, last_error = $3, next_attempt_at = $4, state = $5 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(attempts)
        .bind(error)
        .bind(next)
        .bind(match state {
            AlertState::Pending => "pending",
            AlertState::Sent => "sent",
            AlertState::Failed => "failed",
        })
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(state)
    }

    /// Alerts, newest first (of one host when given), for `vigil alerts list` and tests.
    pub async fn alerts(&self, host: Option<&str>, limit: u32) -> Result<Vec<Alert>, StoreError> {
        let rows = match host {
            Some(h) => {
                sqlx::query(concat!(
                    alert_select!(),
                    "WHERE a.host = $1 ORDER BY a.id DESC LIMIT $2"
                ))
                .bind(h.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(concat!(alert_select!(), "ORDER BY a.id DESC LIMIT $1"))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(alert_from).collect()
    }

    /// The host's newest scan stored before scan `before_id`, with its report, for rules that
    /// compare a new scan with the one before it.
    pub async fn scan_before(
        &self,
        host: &str,
        before_id: i64,
    ) -> Result<Option<PreviousScan>, StoreError> {
        let row = sqlx::query(
            "SELECT id, scanned_at, reachable, rating_score, rating_grade, observatory_score, \
             observatory_grade, tls_grade, ipv6, dnssec, software, version, version_verdict, \
             open_registrations, report, report_gz FROM scans WHERE host = $1 AND id < $2 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(host.to_string())
        .bind(before_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(PreviousScan {
                id: r.try_get("id")?,
                scanned_at: r.try_get("scanned_at")?,
                summary: summary_from(&r)?,
                report_json: crate::codec::report_of(&r, r.try_get("id")?)?,
            })
        })
        .transpose()
    }
}
