-- vigil-store schema 5: every sort order of the list gets one index that also carries the
-- columns its filters read (after the sort keys, as SQLite has no INCLUDE). A page is then
-- found in two steps: the hosts of the page from the covering index (no sort, no table
-- reads), then those 100 rows by primary key. The keys are those of the ORDER BY in list.rs in
-- the default direction of each sort (SQLite sorts NULLs last in a DESC index).
DROP INDEX IF EXISTS instances_rating;
DROP INDEX IF EXISTS instances_observatory_host;
DROP INDEX IF EXISTS instances_tls_host;
DROP INDEX IF EXISTS instances_uptime30_host;
DROP INDEX IF EXISTS instances_uptime90_host;
DROP INDEX IF EXISTS instances_last_scan_host;
DROP INDEX IF EXISTS instances_software;
DROP INDEX IF EXISTS instances_version;
DROP INDEX IF EXISTS instances_ipv6;
DROP INDEX IF EXISTS instances_dnssec;
CREATE INDEX instances_list_rating ON instances
  (rating_rank DESC, rating_score DESC, observatory_score DESC, host,
   source, software, dead_since, opted_out, up, open_registrations);
CREATE INDEX instances_list_observatory ON instances (observatory_score DESC, host,
  source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_tls ON instances (tls_rank DESC, host,
  source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_uptime30 ON instances (uptime_30d_ppm DESC, host,
  source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_uptime90 ON instances (uptime_90d_ppm DESC, host,
  source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_last_scan ON instances (last_scan_at DESC, host,
  source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_host ON instances (host,
  source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_software ON instances (software, version, host,
  source, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_version ON instances (version DESC, host,
  source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_ipv6 ON instances (ipv6 DESC, host,
  source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_dnssec ON instances (dnssec DESC, host,
  source, software, dead_since, opted_out, up, open_registrations, rating_rank);
