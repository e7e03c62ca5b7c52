-- vigil-store schema 1 (SQLite). Times are unix seconds; booleans are 0/1 integers.
-- Keep in step with ../postgres/0001_init.sql: the same tables, columns and indexes.

CREATE TABLE instances (
    host               TEXT PRIMARY KEY NOT NULL,
    added_at           INTEGER NOT NULL,
    source             TEXT NOT NULL,
    opted_out          TEXT,
    opted_out_at       INTEGER,
    dead_since         INTEGER,
    moved_to           TEXT,
    next_check_at      INTEGER NOT NULL,
    next_scan_at       INTEGER NOT NULL,
    check_owner        TEXT,
    check_lease_until  INTEGER,
    scan_owner         TEXT,
    scan_lease_until   INTEGER,
    refused_streak     INTEGER NOT NULL DEFAULT 0,
    first_down_at      INTEGER,
    last_up_at         INTEGER,
    last_check_at      INTEGER,
    up                 INTEGER,
    last_latency_ms    INTEGER,
    last_failure       TEXT,
    up_30d             INTEGER NOT NULL DEFAULT 0,
    checks_30d         INTEGER NOT NULL DEFAULT 0,
    up_90d             INTEGER NOT NULL DEFAULT 0,
    checks_90d         INTEGER NOT NULL DEFAULT 0,
    uptime_30d_ppm     INTEGER,
    uptime_90d_ppm     INTEGER,
    last_scan_id       INTEGER,
    last_scan_at       INTEGER,
    reachable          INTEGER,
    rating_score       INTEGER,
    rating_grade       TEXT,
    rating_rank        INTEGER,
    observatory_score  INTEGER,
    observatory_grade  TEXT,
    tls_grade          TEXT,
    tls_rank           INTEGER,
    ipv6               TEXT,
    dnssec             TEXT,
    software           TEXT,
    version            TEXT,
    version_verdict    TEXT,
    open_registrations INTEGER
);

CREATE INDEX instances_next_check ON instances (next_check_at);
CREATE INDEX instances_next_scan ON instances (next_scan_at);
-- The default list order (best rating first, NULL ratings last, then observatory, then host).
CREATE INDEX instances_rating ON instances (rating_rank DESC, rating_score DESC, observatory_score DESC, host);
CREATE INDEX instances_observatory ON instances (observatory_score);
CREATE INDEX instances_tls ON instances (tls_rank);
CREATE INDEX instances_uptime30 ON instances (uptime_30d_ppm);
CREATE INDEX instances_uptime90 ON instances (uptime_90d_ppm);
CREATE INDEX instances_last_scan ON instances (last_scan_at);
CREATE INDEX instances_software ON instances (software, version);
CREATE INDEX instances_version ON instances (version);
CREATE INDEX instances_ipv6 ON instances (ipv6);
CREATE INDEX instances_dnssec ON instances (dnssec);

CREATE TABLE scans (
    id                 INTEGER PRIMARY KEY,
    host               TEXT NOT NULL REFERENCES instances (host) ON DELETE CASCADE,
    scanned_at         INTEGER NOT NULL,
    worker             TEXT NOT NULL,
    reachable          INTEGER NOT NULL,
    rating_score       INTEGER,
    rating_grade       TEXT,
    rating_rank        INTEGER,
    observatory_score  INTEGER,
    observatory_grade  TEXT,
    tls_grade          TEXT,
    tls_rank           INTEGER,
    ipv6               TEXT,
    dnssec             TEXT,
    software           TEXT,
    version            TEXT,
    version_verdict    TEXT,
    open_registrations INTEGER,
    report             TEXT NOT NULL,
    evidence           BLOB NOT NULL,
    algorithm          TEXT NOT NULL
);
CREATE INDEX scans_host_at ON scans (host, scanned_at);

CREATE TABLE checks (
    id         INTEGER PRIMARY KEY,
    host       TEXT NOT NULL REFERENCES instances (host) ON DELETE CASCADE,
    checked_at INTEGER NOT NULL,
    up         INTEGER NOT NULL,
    latency_ms INTEGER,
    failure    TEXT,
    void       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checks_host_at ON checks (host, checked_at);

CREATE TABLE uptime_days (
    host  TEXT NOT NULL REFERENCES instances (host) ON DELETE CASCADE,
    day   INTEGER NOT NULL,
    up    INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (host, day)
);

CREATE TABLE events (
    id   INTEGER PRIMARY KEY,
    host TEXT NOT NULL REFERENCES instances (host) ON DELETE CASCADE,
    at   INTEGER NOT NULL,
    kind TEXT NOT NULL,
    old  TEXT,
    new  TEXT
);
CREATE INDEX events_host_at ON events (host, at);
CREATE INDEX events_at ON events (at);
