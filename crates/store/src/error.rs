//! The one error type of the store, so callers can tell a bad configuration from a bad database.

/// Everything that can go wrong opening or using the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no backend this store speaks (the operator mistyped it).
    #[error("bad database URL: {0}")]
    BadUrl(String),
    /// The database could not be reached or opened; the text is the server's or SQLite's.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// The database was migrated by a newer Vigil; touching it could lose data.
    #[error("the database schema is version {found}, this Vigil knows only up to {known}")]
    NewerSchema {
        /// The version recorded in the database.
        found: i64,
        /// The newest version this binary carries.
        known: i64,
    },
    /// A query failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Stored data could not be read back (bad gzip, bad UTF-8, an impossible value).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The named instance is not on the list.
    #[error("no such instance: {0}")]
    NoSuchInstance(String),
}
