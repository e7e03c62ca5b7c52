//! Connection caps: one per endpoint and one shared by every endpoint a process (or a caller)
//! probes at once, so a scan of many hosts cannot exhaust the file-descriptor table or look
//! like a flood to a shared front end.

use std::sync::{Arc, OnceLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

/// Connections open at once across all endpoints when the caller passes no budget of its own.
pub const DEFAULT_PROCESS_CONNECTIONS: usize = 64;

/// The process-wide budget used when [`crate::TlsProbeConfig::connection_budget`] is `None`.
pub fn process_budget() -> Arc<Semaphore> {
    static BUDGET: OnceLock<Arc<Semaphore>> = OnceLock::new();
    BUDGET
        .get_or_init(|| Arc::new(Semaphore::new(DEFAULT_PROCESS_CONNECTIONS)))
        .clone()
}

/// The two caps one endpoint's probes go through.
pub(crate) struct Gates {
    host: Semaphore,
    shared: Arc<Semaphore>,
}

/// Held while one connection is open; dropping it frees both slots.
pub(crate) struct Permit<'a> {
    _host: Option<SemaphorePermit<'a>>,
    _shared: Option<OwnedSemaphorePermit>,
}

impl Gates {
    pub(crate) fn new(per_host: usize, shared: Arc<Semaphore>) -> Self {
        Self {
            host: Semaphore::new(per_host.max(1)),
            shared,
        }
    }

    /// Waits for a slot under both caps, the host's first (so one busy host queues on its own
    /// cap instead of holding shared slots while it waits).
    pub(crate) async fn permit(&self) -> Permit<'_> {
        let host = self.host.acquire().await.ok();
        let shared = self.shared.clone().acquire_owned().await.ok();
        Permit {
            _host: host,
            _shared: shared,
        }
    }
}
