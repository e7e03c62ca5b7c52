-- vigil-store schema 4: reports are stored gzip'd (a full report is about 33 KB of JSON and
-- 6.5 KB compressed). New scans leave `report` empty and fill `report_gz`; scans written
-- before keep their JSON in `report` and are read as they are.
ALTER TABLE scans ADD COLUMN report_gz BLOB;
