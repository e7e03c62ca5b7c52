-- vigil-store schema 5: every sort order of the list gets one index that also carries the
-- columns its filters read. A page is then found in two steps: the hosts of the page from an
-- index-only scan (narrow entries, no sort, no heap), then those 100 rows by primary key. Deep
-- pages (offset 20,000) no longer sort every instance, which spilled to disk at the default
-- work_mem. The keys are those of the ORDER BY in list.rs in the default direction of each sort.
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
  (rating_rank DESC NULLS LAST, rating_score DESC NULLS LAST, observatory_score DESC NULLS LAST, host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations);
CREATE INDEX instances_list_observatory ON instances (observatory_score DESC NULLS LAST, host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_tls ON instances (tls_rank DESC NULLS LAST, host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_uptime30 ON instances (uptime_30d_ppm DESC NULLS LAST, host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_uptime90 ON instances (uptime_90d_ppm DESC NULLS LAST, host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_last_scan ON instances (last_scan_at DESC NULLS LAST, host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_host ON instances (host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_software ON instances (software, version, host)
  INCLUDE (source, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_version ON instances (version DESC NULLS LAST, host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_ipv6 ON instances (ipv6 DESC NULLS LAST, host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations, rating_rank);
CREATE INDEX instances_list_dnssec ON instances (dnssec DESC NULLS LAST, host)
  INCLUDE (source, software, dead_since, opted_out, up, open_registrations, rating_rank);
-- An index-only scan skips the table only on pages the visibility map marks all-visible, and
-- the monitor rewrites rows of this table all day; vacuum it after 2 % of its rows changed
-- (not the default 20 %) so the map stays close to current. A vacuum of 30,000 rows is cheap.
ALTER TABLE instances SET (autovacuum_vacuum_scale_factor = 0.02);
