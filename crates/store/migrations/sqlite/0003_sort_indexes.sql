-- vigil-store schema 3: the list's other sort orders, each with the host tie-break the query
-- uses (ORDER BY column DESC, host ASC), so a page sorted by them reads the index instead of
-- sorting every instance.
CREATE INDEX instances_observatory_host ON instances (observatory_score DESC, host);
CREATE INDEX instances_tls_host ON instances (tls_rank DESC, host);
CREATE INDEX instances_uptime30_host ON instances (uptime_30d_ppm DESC, host);
CREATE INDEX instances_uptime90_host ON instances (uptime_90d_ppm DESC, host);
CREATE INDEX instances_last_scan_host ON instances (last_scan_at DESC, host);
-- The single-column indexes these replace.
DROP INDEX IF EXISTS instances_observatory;
DROP INDEX IF EXISTS instances_tls;
DROP INDEX IF EXISTS instances_uptime30;
DROP INDEX IF EXISTS instances_uptime90;
DROP INDEX IF EXISTS instances_last_scan;
