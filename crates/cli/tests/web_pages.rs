//! The public pages of a real `vigil serve` on loopback: the ranked list renders and sorting by
//! a column reorders it, filters and paging work from the query string, the instance page shows
//! the rating, the fixes with their snippets and the history charts, badges come as SVG and as
//! shields.io JSON with cache headers, and every page carries the strict headers Vigil grades
//! others on. Needs the fleet and knot (scripts/test.sh), so the test is `#[ignore]`d.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::io::{Read, Write};
use std::time::Duration;

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn the_pages_render_sort_and_stay_strict() {
    let scratch = Scratch::new("pages");
    let fleet = Fleet::start(&scratch);
    let hosts = [
        "i0041.fleet.test",
        "i0042.fleet.test",
        "i0043.fleet.test",
        "down.fleet.test",
        "optout.fleet.test",
    ];
    let (_serve, port) = serve_rescanning(&scratch, &fleet, &hosts);

    let (head, list) = get_full(port, "/");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    for h in [
        "content-security-policy: default-src 'none'; style-src 'self'",
        "strict-transport-security: max-age=63072000",
        "x-content-type-options: nosniff",
        "x-frame-options: deny",
        "referrer-policy: no-referrer",
    ] {
        assert!(head.contains(h), "missing {h}: {head}");
    }
    assert!(!list.contains("<script"), "the pages need no script");
    assert!(
        !list.contains("style=\""),
        "no inline style: the CSP forbids it"
    );
    let ranked = hosts_in_order(&list);
    assert!(ranked.contains(&"i0041.fleet.test".to_string()), "{list}");
    assert!(
        !ranked.contains(&"optout.fleet.test".to_string()),
        "opted out is hidden by default"
    );
    assert!(
        list.contains("Rating") && list.contains("Uptime 30 d") && list.contains("mastodon 4.5.3")
    );
    assert!(list.contains("security fixes missing"), "the version mark");
    // Sorting by host, both ways, reorders the rows.
    let asc = hosts_in_order(&get_full(port, "/?sort=host&order=asc").1);
    let desc = hosts_in_order(&get_full(port, "/?sort=host&order=desc").1);
    let mut sorted = asc.clone();
    sorted.sort();
    assert_eq!(asc, sorted);
    assert_eq!(desc, asc.iter().rev().cloned().collect::<Vec<_>>());
    assert!(asc.len() >= 4);
    // Filters and paging from the query string.
    let with_optout = hosts_in_order(&get_full(port, "/?include_opted_out=true").1);
    assert!(with_optout.contains(&"optout.fleet.test".to_string()));
    let page2 = get_full(port, "/?sort=host&order=asc&limit=2&offset=2").1;
    assert_eq!(hosts_in_order(&page2), asc[2..4].to_vec());
    assert!(page2.contains("rel=\"prev\"") && page2.contains("3–4 of"));
    let filtered = hosts_in_order(&get_full(port, "/?software=pleroma").1);
    assert!(filtered.is_empty());
    assert!(
        get_full(port, "/?sort=nonsense")
            .0
            .starts_with("http/1.1 400")
    );

    // The instance page: rating, fixes with snippets, charts, sections.
    let (_, page) = get_full(port, "/instances/i0041.fleet.test");
    assert!(page.contains("What to change"), "{page}");
    assert!(page.contains("<dt>nginx</dt>") && page.contains("<dt>HAProxy</dt>"));
    assert!(page.contains("Upgrade mastodon from 4.5.3"));
    assert!(page.matches("<svg").count() >= 2, "charts: {page}");
    assert!(page.contains("<polyline"), "a history line");
    assert!(page.contains("HTTP headers: Observatory A+"));
    assert!(page.contains("TLS: "));
    // Its standing is the rank the list prints for it, and links to that row.
    let (_, front) = get_full(port, "/");
    let listed_rank = front
        .split("id=\"row-i0041.fleet.test\">")
        .nth(1)
        .and_then(|r| r.split("<td class=\"rank\">").nth(1))
        .and_then(|r| r.split('<').next())
        .unwrap_or_else(|| panic!("no row for i0041: {front}"))
        .to_string();
    let shown = ranked.len();
    assert!(
        page.contains(&format!(
            "Rank <strong>{listed_rank}</strong> of {shown} on <a href=\"/#row-i0041.fleet.test\">the list</a>"
        )),
        "rank {listed_rank} of {shown}: {page}"
    );
    let (_, down_page) = get_full(port, "/instances/down.fleet.test");
    assert!(!down_page.contains("id=\"standing\""), "unrated: no rank");
    assert!(!page.contains("<script"));
    // A host that refuses connections has a page with its finding.
    let down = wait_for(Duration::from_secs(30), "the down host's scan", || {
        let (_, page) = get_full(port, "/instances/down.fleet.test");
        (!page.contains("has not been scanned yet")).then_some(page)
    });
    assert!(down.contains("could not be reached"), "{down}");
    assert!(!down.contains("could not be read"), "{down}");
    assert!(
        down.contains("Nothing can be judged until") && !down.contains("does everything"),
        "an unreachable host is not praised: {down}"
    );
    let (_, opted) = get_full(port, "/instances/optout.fleet.test");
    assert!(opted.contains("opted out of the list"));
    assert!(
        get_full(port, "/instances/nowhere.fleet.test")
            .0
            .starts_with("http/1.1 404")
    );
    // A visitor's mistake is a page, with the same status and reason the API gives; the API
    // still answers JSON.
    for (path, status, kind, says) in [
        (
            "/instances/nowhere.fleet.test",
            "404",
            "not-found",
            "nowhere.fleet.test is not in the list",
        ),
        ("/instances/bad..name", "400", "bad-request", ""),
        ("/?limit=abc", "400", "bad-request", "limit"),
        ("/?limit=0", "400", "bad-request", "limit must be 1 to 500"),
        ("/?sort=bogus", "400", "bad-request", "unknown sort"),
        (
            "/?registrations=maybe",
            "400",
            "bad-request",
            "open, closed or any",
        ),
    ] {
        let (head, body) = get_full(port, path);
        assert!(
            head.starts_with(&format!("http/1.1 {status}")),
            "{path}: {head}"
        );
        assert!(head.contains("content-type: text/html"), "{path}: {head}");
        assert!(
            head.contains("content-security-policy: default-src 'none'"),
            "{path}"
        );
        assert!(
            body.contains(&format!("data-error=\"{kind}\"")),
            "{path}: {body}"
        );
        assert!(body.contains(says), "{path}: {body}");
        assert!(
            body.contains("<a href=\"/\">The list</a>"),
            "{path}: {body}"
        );
    }
    let (head, _) = get_full(port, "/api/v1/instances?limit=abc");
    assert!(
        head.starts_with("http/1.1 400") && head.contains("application/json"),
        "{head}"
    );
    // A mangled note on the instance page is ignored, not an error.
    assert!(
        get_full(port, "/instances/i0041.fleet.test?rescan=a&rescan=b")
            .0
            .starts_with("http/1.1 200")
    );
    let (_, about) = get_full(port, "/about");
    assert!(about.contains("User-agent: Vigil") && about.contains("Vigil/"));

    // "Rescan now" obeys the cooldown: a fresh scan exists, so it is kept.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "POST /instances/i0041.fleet.test/rescan HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let answer = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 303"), "{answer}");
    assert!(
        answer.contains("location: /instances/i0041.fleet.test?rescan=cooldown"),
        "{answer}"
    );
    let (_, noted) = get_full(port, "/instances/i0041.fleet.test?rescan=cooldown");
    assert!(noted.contains("Scanned less than a minute ago") && noted.contains("Rescan now"));

    // Badges.
    let (head, svg) = get_full(port, "/badge/i0041.fleet.test.svg");
    assert!(head.contains("content-type: image/svg+xml") && head.contains("cache-control: public"));
    assert!(svg.starts_with("<svg") && svg.contains("vigil"));
    let json = get_json(port, "/badge/i0041.fleet.test.json");
    assert_eq!(json["schemaVersion"], 1);
    assert_eq!(json["label"], "vigil");
    let rating = get_json(port, "/api/v1/instances/i0041.fleet.test")["rating"].clone();
    assert_eq!(
        json["message"],
        format!("{} {}", rating["letter"].as_str().unwrap(), rating["score"])
    );
    assert_eq!(
        get_json(port, "/badge/optout.fleet.test.json")["message"],
        "opted out"
    );
    assert!(get_full(port, "/badge/x.png").0.starts_with("http/1.1 404"));
    // A name that cannot be an instance still gets an image, saying so.
    let (head, svg) = get_full(port, "/badge/bad..name.svg");
    assert!(
        head.starts_with("http/1.1 400") && head.contains("image/svg+xml"),
        "{head}"
    );
    assert!(
        svg.starts_with("<svg") && svg.contains("invalid name"),
        "{svg}"
    );
    let (head, json) = get_full(port, "/badge/bad..name.json");
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(
        json.contains("\"isError\":true") && json.contains("invalid name"),
        "{json}"
    );
    assert!(
        !get_full(port, "/badge/i0041.fleet.test.json")
            .1
            .contains("isError")
    );
}
