//! Every HTTP conformance site (123 small servers, each built around one header rule, several
//! of them hostile: bad certificates, redirect loops and redirects to nowhere, broken and
//! duplicated headers, scripts in odd places) monitored by a real `vigil serve`: every
//! instance page renders the stored report (never "could not be read"), shows a rating or
//! says why there is none, carries nothing of the site's markup unescaped, and every badge
//! answers. Needs the conformance sites and knot (scripts/test.sh), so it is `#[ignore]`d.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

fn case_hosts() -> Vec<String> {
    let dir = repo().join("tests/conformance/http/cases");
    let mut hosts: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("case.json")).ok())
        .filter_map(|t| serde_json::from_str::<Value>(&t).ok())
        .filter_map(|c| c["host"].as_str().map(str::to_string))
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

#[test]
#[ignore = "needs the conformance sites and knot: scripts/test.sh"]
fn every_conformance_site_has_a_readable_page() {
    let hosts = case_hosts();
    assert!(hosts.len() >= 100, "{} cases", hosts.len());
    let scratch = Scratch::new("web-conformance");
    let db = scratch.path("list.db");
    let mut add = vec!["instances", "add", "--database", &db];
    add.extend(hosts.iter().map(String::as_str));
    assert!(vigil(&add).status.success());
    let port = free_port();
    let args: Vec<String> = [
        "serve",
        "--database",
        &db,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--check-interval",
        "1h",
        "--scan-interval",
        "1h",
        "--scan-concurrency",
        "8",
        "--tick",
        "200ms",
        "--ca-file",
        &script("tests/conformance/http/serve.sh", &["ca"]),
        "--resolver",
        &script("tests/dns/serve.sh", &["addr"]),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let serve = Running::spawn(&args, scratch.path("serve.log"));
    wait_for(Duration::from_secs(300), "a scan of every site", || {
        let (_, body) = get(port, "/api/v1/instances?limit=500")?;
        let list: Value = serde_json::from_str(&body).ok()?;
        let rows = list["instances"].as_array()?;
        (rows.len() == hosts.len()
            && rows
                .iter()
                .all(|r| !r["last_scan_at"].is_null() || r["opted_out"] == true))
        .then_some(())
    });
    let mut rated = 0;
    for host in &hosts {
        let (status, page) = get(port, &format!("/instances/{host}")).unwrap();
        assert_eq!(status, 200, "{host}");
        assert!(!page.contains("could not be read"), "{host}: {page}");
        assert!(
            !page.contains("<script"),
            "{host}: markup leaked into the page"
        );
        assert!(
            page.contains("class=\"rating\"")
                || page.contains("No rating")
                || page.contains("could not be reached")
                || page.contains("opted out"),
            "{host}: neither a rating nor why not: {page}"
        );
        if page.contains("class=\"rating\"") {
            rated += 1;
        }
        let (status, svg) = get(port, &format!("/badge/{host}.svg")).unwrap();
        assert_eq!(status, 200, "{host}");
        assert!(svg.starts_with("<svg"), "{host}");
    }
    eprintln!("{rated} of {} sites rated", hosts.len());
    assert!(rated > hosts.len() / 2, "{rated} of {} rated", hosts.len());
    // The list page renders with all of them on it.
    let (status, list) = get(port, "/?limit=500").unwrap();
    assert_eq!(status, 200);
    assert_eq!(hosts_in_order(&list).len(), hosts.len());
    assert!(!serve.log_text().contains("panicked"));
}
