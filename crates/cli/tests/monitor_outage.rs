//! Honest uptime: when the monitor's own side fails (here every instance at once, as when its
//! network goes down, or the canary the operator named), the round is void and no downtime is
//! recorded; one instance failing among many is downtime. Needs the fleet and knot, so the
//! tests are `#[ignore]`d for plain runs; scripts/test.sh runs them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::time::Duration;

fn serve(scratch: &Scratch, fleet: &Fleet, db: &str, extra: &[&str]) -> (Running, u16) {
    let port = free_port();
    let mut args: Vec<String> = [
        "serve",
        "--database",
        db,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--check-interval",
        "1s",
        "--scan-interval",
        "1h",
        "--tick",
        "200ms",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(fleet.flags());
    (Running::spawn(&args, scratch.path("serve.log")), port)
}

fn checks_each(port: u16, hosts: &[&str], at_least: i64) -> bool {
    let list = get_json(port, "/api/v1/instances?limit=100");
    hosts.iter().all(|h| {
        list["instances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["host"] == *h && r["uptime"]["checks"].as_i64() >= Some(at_least))
    })
}

fn outage(hosts: &[&str], extra: &[&str], tag: &str) {
    let scratch = Scratch::new(tag);
    let fleet = Fleet::start(&scratch);
    let db = scratch.path("list.db");
    let mut add = vec!["instances", "add", "--database", &db];
    add.extend_from_slice(hosts);
    assert!(vigil(&add).status.success());
    let (mut serve, port) = serve(&scratch, &fleet, &db, extra);
    wait_for(
        Duration::from_secs(60),
        "three checks of each instance",
        || {
            get(port, "/healthz")?;
            checks_each(port, hosts, 3).then_some(())
        },
    );
    // The monitor's side goes down: every check fails at once.
    fleet.down();
    let void_before: i64 = sqlite(&db, "SELECT COUNT(*) FROM checks WHERE void = 1")
        .parse()
        .unwrap();
    wait_for(Duration::from_secs(30), "void rounds", || {
        let v: i64 = sqlite(&db, "SELECT COUNT(*) FROM checks WHERE void = 1")
            .parse()
            .ok()?;
        (v >= void_before + 2 * hosts.len() as i64).then_some(())
    });
    fleet.up();
    wait_for(Duration::from_secs(30), "checks after the outage", || {
        let list = get_json(port, "/api/v1/instances?limit=100");
        list["instances"]
            .as_array()?
            .iter()
            .all(|r| r["up"] == true)
            .then_some(())
    });
    let list = get_json(port, "/api/v1/instances?limit=100");
    for r in list["instances"].as_array().unwrap() {
        assert_eq!(r["uptime"]["30d"], 1.0, "downtime was recorded: {r}");
        assert_eq!(r["uptime"]["90d"], 1.0, "{r}");
    }
    assert_eq!(
        sqlite(&db, "SELECT COUNT(*) FROM checks WHERE up = 0 AND void = 0"),
        "0",
        "a failed check of the outage counted"
    );
    let counted: i64 = sqlite(&db, "SELECT SUM(total) FROM uptime_days")
        .parse()
        .unwrap();
    let up: i64 = sqlite(&db, "SELECT SUM(up) FROM uptime_days")
        .parse()
        .unwrap();
    assert_eq!(counted, up);
    assert!(
        serve.log_text().contains("void round"),
        "{}",
        serve.log_text()
    );
    assert!(
        serve
            .term(Duration::from_secs(30))
            .is_some_and(|s| s.success())
    );
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn a_round_where_everything_fails_is_not_downtime() {
    let hosts = [
        "i0011.fleet.test",
        "i0012.fleet.test",
        "i0013.fleet.test",
        "i0014.fleet.test",
        "i0015.fleet.test",
        "i0016.fleet.test",
        "i0017.fleet.test",
        "i0018.fleet.test",
    ];
    outage(&hosts, &[], "outage-most");
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn a_failed_canary_voids_a_small_round() {
    // Two instances are too few to tell "most failed"; the canary tells.
    let hosts = ["i0021.fleet.test", "i0022.fleet.test"];
    outage(&hosts, &["--canary", "canary.fleet.test"], "outage-canary");
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn one_instance_down_among_many_is_downtime() {
    let scratch = Scratch::new("outage-one");
    let fleet = Fleet::start(&scratch);
    let db = scratch.path("list.db");
    let hosts = [
        "i0031.fleet.test",
        "i0032.fleet.test",
        "i0033.fleet.test",
        "i0034.fleet.test",
        "i0035.fleet.test",
        "i0036.fleet.test",
        "down.fleet.test",
    ];
    let mut add = vec!["instances", "add", "--database", &db];
    add.extend_from_slice(&hosts);
    assert!(vigil(&add).status.success());
    let (_serve, port) = serve(&scratch, &fleet, &db, &[]);
    wait_for(Duration::from_secs(60), "a counted failure", || {
        get(port, "/healthz")?;
        let list = get_json(port, "/api/v1/instances?limit=100");
        let down = list["instances"]
            .as_array()?
            .iter()
            .find(|r| r["host"] == "down.fleet.test")?
            .clone();
        (down["uptime"]["checks"].as_i64()? >= 1).then_some(down)
    });
    let failed: i64 = sqlite(
        &db,
        "SELECT COUNT(*) FROM checks WHERE host = 'down.fleet.test' AND up = 0 AND void = 0",
    )
    .parse()
    .unwrap();
    assert!(failed >= 1);
    let list = get_json(port, "/api/v1/instances?limit=100");
    let down = list["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["host"] == "down.fleet.test")
        .unwrap();
    assert_eq!(down["uptime"]["30d"], 0.0, "{down}");
}
