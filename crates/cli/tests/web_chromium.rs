//! The pages in a real browser: headless Chromium (Debian's `chromium`, installed by
//! scripts/test.sh) loads the list and an instance page from a `vigil serve` on loopback. The
//! list renders its rows, following a column's sort link (what a click does; the pages need no
//! script) reorders them, the instance page shows its charts and fixes, and the browser logs no
//! console error and no violation of the page's own CSP. Screenshots go to the scratch
//! directory, and are kept in `$VIGIL_SCREENSHOTS` when that names a directory (CI artifacts,
//! a look by hand); the assertions are on content. `#[ignore]`d: needs the fleet, knot and
//! Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::process::Command;

/// The DOM Chromium built for `url`, and everything it logged.
fn chromium(scratch: &Scratch, url: &str, shot: &str) -> (String, String) {
    let profile = scratch.path(&format!("profile-{shot}"));
    let out = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dns-prefetch-disable",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            &format!("--user-data-dir={profile}"),
            "--dump-dom",
            url,
        ])
        .output()
        .expect("chromium is installed (scripts/test.sh installs it)");
    let _ = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            &format!("--user-data-dir={profile}"),
            "--window-size=1280,1600",
            &format!("--screenshot={}", scratch.path(&format!("{shot}.png"))),
            url,
        ])
        .output();
    if let Some(keep) = std::env::var_os("VIGIL_SCREENSHOTS") {
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(
            scratch.path(&format!("{shot}.png")),
            std::path::Path::new(&keep).join(format!("{shot}.png")),
        );
    }
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_clean(log: &str, page: &str) {
    for bad in [
        "Refused to",
        "Content Security Policy",
        "Uncaught",
        "CONSOLE",
    ] {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(bad)).collect();
        assert!(
            hits.is_empty(),
            "{page}: the browser logged {bad:?}: {hits:#?}"
        );
    }
}

#[test]
#[ignore = "needs the fleet, knot and chromium: scripts/test.sh"]
fn pages_in_chromium() {
    let scratch = Scratch::new("chromium");
    let fleet = Fleet::start(&scratch);
    let hosts = [
        "i0081.fleet.test",
        "i0082.fleet.test",
        "i0083.fleet.test",
        "down.fleet.test",
    ];
    let (_serve, port) = serve_rescanning(&scratch, &fleet, &hosts);
    let base = format!("http://127.0.0.1:{port}");

    let (dom, log) = chromium(&scratch, &format!("{base}/"), "list");
    assert_clean(&log, "/");
    let rows = hosts_in_order(&dom);
    assert!(rows.len() >= 4, "the list rendered no rows: {dom}");
    assert!(dom.contains("Vigil: the fediverse security list"));
    // The Instance column's link, as the browser built it, sorts by host.
    let href = dom
        .split("data-sort=\"host\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|h| h.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let (sorted_dom, log) = chromium(&scratch, &format!("{base}{href}"), "sorted");
    assert_clean(&log, &href);
    let sorted = hosts_in_order(&sorted_dom);
    let mut expect = rows.clone();
    expect.sort();
    assert_eq!(sorted, expect, "sorting by host did not reorder the rows");
    // Its link now sorts the other way.
    let href2 = sorted_dom
        .split("data-sort=\"host\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|h| h.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let (desc_dom, _) = chromium(&scratch, &format!("{base}{href2}"), "sorted-desc");
    let desc = hosts_in_order(&desc_dom);
    assert_eq!(desc, expect.iter().rev().cloned().collect::<Vec<_>>());

    let (page, log) = chromium(
        &scratch,
        &format!("{base}/instances/i0081.fleet.test"),
        "instance",
    );
    assert_clean(&log, "/instances/i0081.fleet.test");
    assert!(page.contains("What to change"));
    assert!(page.contains("<dt>nginx</dt>"));
    assert!(page.matches("<svg").count() >= 2, "charts: {page}");
    assert!(page.contains("<polyline"));
    assert!(
        page.contains("id=\"standing\""),
        "its rank on the list: {page}"
    );
    let (_, log) = chromium(&scratch, &format!("{base}/about"), "about");
    assert_clean(&log, "/about");
    // An error is a page too, under the same CSP.
    let (missing, log) = chromium(
        &scratch,
        &format!("{base}/instances/nowhere.fleet.test"),
        "not-found",
    );
    assert_clean(&log, "/instances/nowhere.fleet.test");
    assert!(
        missing.contains("data-error=\"not-found\"") && missing.contains("is not in the list"),
        "{missing}"
    );
}
