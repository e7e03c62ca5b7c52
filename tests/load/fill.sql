-- Summary columns as the monitor writes them, spread over the grades, for every instance of a
-- freshly imported list: the web bench (bench/web.sh) and the load test (crates/cli/tests/
-- web_load.rs) read a list of 30,000 without scanning 30,000 hosts. Runs on SQLite and
-- PostgreSQL alike. Names are NAME with a number in characters 2-6 (i00001.bench.example).
UPDATE instances SET
  last_scan_id = 1, last_scan_at = 1796500000 + (length(host) * 7919 + CAST(substr(host, 2, 5) AS INTEGER)) % 86400,
  rating_score = CAST(substr(host, 2, 5) AS INTEGER) % 101,
  observatory_score = CAST(substr(host, 2, 5) AS INTEGER) % 146,
  reachable = 1, up = 1, checks_30d = 8640, up_30d = 8600, checks_90d = 25920, up_90d = 25800,
  uptime_30d_ppm = 995370, uptime_90d_ppm = 995370,
  ipv6 = 'reachable', dnssec = 'insecure', software = 'mastodon', version = '4.5.3',
  version_verdict = 'outdated', open_registrations = 1;
UPDATE instances SET rating_grade = CASE
  WHEN rating_score >= 95 THEN 'A+' WHEN rating_score >= 85 THEN 'A' WHEN rating_score >= 75 THEN 'B'
  WHEN rating_score >= 65 THEN 'C' WHEN rating_score >= 55 THEN 'D' WHEN rating_score >= 45 THEN 'E' ELSE 'F' END,
  observatory_grade = CASE WHEN observatory_score >= 100 THEN 'A+' WHEN observatory_score >= 90 THEN 'A'
  WHEN observatory_score >= 70 THEN 'B' WHEN observatory_score >= 50 THEN 'C' WHEN observatory_score >= 30 THEN 'D' ELSE 'F' END,
  tls_grade = CASE WHEN rating_score % 3 = 0 THEN 'A+' WHEN rating_score % 3 = 1 THEN 'A' ELSE 'B' END;
UPDATE instances SET
  rating_rank = CASE rating_grade WHEN 'A+' THEN 22 WHEN 'A' THEN 21 WHEN 'B' THEN 18 WHEN 'C' THEN 15 WHEN 'D' THEN 12 WHEN 'E' THEN 9 ELSE 6 END,
  tls_rank = CASE tls_grade WHEN 'A+' THEN 22 WHEN 'A' THEN 21 ELSE 18 END;
