-- vigil-store schema 2 (SQLite): alert subscriptions and the alert outbox.
-- Keep in step with ../postgres/0002_alerts.sql: the same tables, columns and indexes.

-- Who wants to hear about an instance, and how. `host` '*' means every instance (operator
-- subscriptions only). A subscription made by the public stays unconfirmed (and gets nothing
-- but its confirmation message) until the token sent to its target comes back.
CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY,
    host       TEXT NOT NULL,
    channel    TEXT NOT NULL,
    target     TEXT NOT NULL,
    secret     TEXT,
    confirmed  INTEGER NOT NULL DEFAULT 0,
    token      TEXT,
    source     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (host, channel, target)
);
CREATE INDEX subscriptions_host ON subscriptions (host);
CREATE UNIQUE INDEX subscriptions_token ON subscriptions (token);

-- The outbox: one row per alert and subscription, so each alert is sent once (the dedup key
-- is unique per subscription) and retried with backoff until sent or failed.
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    host            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    dedup           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER,
    UNIQUE (subscription_id, dedup)
);
CREATE INDEX alerts_due ON alerts (state, next_attempt_at);
CREATE INDEX alerts_host ON alerts (host, created_at);
