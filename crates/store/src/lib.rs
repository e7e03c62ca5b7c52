//! vigil-store: the list's database. Instances, their scans, reachability checks, the uptime
//! rollup and events, on one SQLite file or a PostgreSQL server through one code path (sqlx's
//! `Any` driver, no compile-time macros). Workers share the work through leases on the
//! `instances` rows ([`Store::claim`]), so several processes can scan without doing an instance
//! twice in one interval.

mod alerts;
mod codec;
mod error;
mod instances;
mod jobs;
mod list;
mod observatory;
mod open;
mod postpone;
mod prune;
mod read;
mod record;
mod rows;
mod schema;
mod types;

pub use alerts::{
    Alert, AlertState, Channel, DEFAULT_BACKOFF, NewAlert, NewSubscription, PreviousScan,
    Subscription,
};
pub use error::StoreError;
pub use list::{MAX_PAGE, Standing};
pub use observatory::{ScanRef, ScoreChange};
pub use prune::{Pruned, Retention};
pub use read::{BadgeFacts, HISTORY_SCANS};
pub use schema::SCHEMA_VERSION;
pub use types::{
    Backend, Claim, Event, History, Instance, JobKind, ListQuery, ListRow, NewCheck, NewScan,
    ScanRow, ScanSummary, SortKey, Uptime, UptimeDay, grade_rank,
};

use sqlx::Transaction;
use sqlx::{Any, AnyPool};

/// A handle on the list's database; cheap to clone (it wraps a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Recent list totals by filter: counting 30,000 filtered rows costs more than the page
    /// itself, and a total a few seconds old is as good to a reader.
    totals: list::TotalCache,
}

impl Store {
    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every pooled connection, so a SQLite file is checkpointed and released and a server
    /// sees a clean goodbye.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction. SQLite gets `BEGIN IMMEDIATE`, which takes the write lock up
    /// front: a deferred transaction that reads first and writes later can fail with
    /// `SQLITE_BUSY` instead of waiting out the busy timeout.
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}
