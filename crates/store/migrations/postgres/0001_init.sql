-- vigil-store schema 1 (PostgreSQL). Times are unix seconds; booleans are 0/1 integers.
-- Keep in step with ../sqlite/0001_init.sql: the same tables, columns and indexes.

CREATE TABLE instances (
    host               TEXT PRIMARY KEY NOT NULL,
    added_at           BIGINT NOT NULL,
    source             TEXT NOT NULL,
    opted_out          TEXT,
    opted_out_at       BIGINT,
    dead_since         BIGINT,
    moved_to           TEXT,
    next_check_at      BIGINT NOT NULL,
    next_scan_at       BIGINT NOT NULL,
    check_owner        TEXT,
    check_lease_until  BIGINT,
    scan_owner         TEXT,
    scan_lease_until   BIGINT,
    refused_streak     BIGINT NOT NULL DEFAULT 0,
    first_down_at      BIGINT,
    last_up_at         BIGINT,
    last_check_at      BIGINT,
    up                 BIGINT,
    last_latency_ms    BIGINT,
    last_failure       TEXT,
    up_30d             BIGINT NOT NULL DEFAULT 0,
    checks_30d         BIGINT NOT NULL DEFAULT 0,
    up_90d             BIGINT NOT NULL DEFAULT 0,
    checks_90d         BIGINT NOT NULL DEFAULT 0,
    uptime_30d_ppm     BIGINT,
    uptime_90d_ppm     BIGINT,
    last_scan_id       BIGINT,
    last_scan_at       BIGINT,
    reachable          BIGINT,
    rating_score       BIGINT,
    rating_grade       TEXT,
    rating_rank        BIGINT,
    observatory_score  BIGINT,
    observatory_grade  TEXT,
    tls_grade          TEXT,
    tls_rank           BIGINT,
    ipv6               TEXT,
    dnssec             TEXT,
    software           TEXT,
    version            TEXT,
    version_verdict    TEXT,
    open_registrations BIGINT
);

CREATE INDEX instances_next_check ON instances (next_check_at);
CREATE INDEX instances_next_scan ON instances (next_scan_at);
-- The default list order (best rating first, NULL ratings last, then observatory, then host).
CREATE INDEX instances_rating ON instances (rating_rank DESC NULLS LAST, rating_score DESC NULLS LAST, observatory_score DESC NULLS LAST, host);
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
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host               TEXT NOT NULL REFERENCES instances (host) ON DELETE CASCADE,
    scanned_at         BIGINT NOT NULL,
    worker             TEXT NOT NULL,
    reachable          BIGINT NOT NULL,
    rating_score       BIGINT,
    rating_grade       TEXT,
    rating_rank        BIGINT,
    observatory_score  BIGINT,
    observatory_grade  TEXT,
    tls_grade          TEXT,
    tls_rank           BIGINT,
    ipv6               TEXT,
    dnssec             TEXT,
    software           TEXT,
    version            TEXT,
    version_verdict    TEXT,
    open_registrations BIGINT,
    report             TEXT NOT NULL,
    evidence           BYTEA NOT NULL,
    algorithm          TEXT NOT NULL
);
CREATE INDEX scans_host_at ON scans (host, scanned_at);

CREATE TABLE checks (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host       TEXT NOT NULL REFERENCES instances (host) ON DELETE CASCADE,
    checked_at BIGINT NOT NULL,
    up         BIGINT NOT NULL,
    latency_ms BIGINT,
    failure    TEXT,
    void       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX checks_host_at ON checks (host, checked_at);

CREATE TABLE uptime_days (
    host  TEXT NOT NULL REFERENCES instances (host) ON DELETE CASCADE,
    day   BIGINT NOT NULL,
    up    BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (host, day)
);

CREATE TABLE events (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host TEXT NOT NULL REFERENCES instances (host) ON DELETE CASCADE,
    at   BIGINT NOT NULL,
    kind TEXT NOT NULL,
    old  TEXT,
    new  TEXT
);
CREATE INDEX events_host_at ON events (host, at);
CREATE INDEX events_at ON events (at);
