//! Vigil's HTTP conformance harness. `tests/conformance/http/serve.sh` serves the recorded test
//! sites on 127.0.0.1, and `vigil scan --format observatory HOST` must give, for every case, the
//! answer MDN HTTP Observatory 1.4.8 recorded in the case's `expected.json`. Only what the
//! reference's answers pin down is compared: `scan.score`, `grade`, `statusCode` and the test
//! counts, the set of tests, and `expectation` / `pass` / `result` / `scoreModifier` of each
//! test, or the `error` text when the reference refused to scan. A field missing on either
//! side is a mismatch.
//!
//! Serving the sites needs root (ports 80/443, `/etc/hosts`), so the test is `#[ignore]`d:
//! `scripts/test.sh` runs it with `--include-ignored`, and a plain `cargo test` reports it as
//! ignored rather than passed. Knobs:
//! `VIGIL_CONFORMANCE_CASES="157 cookies"` keeps cases whose directory name contains a word,
//! `VIGIL_CONFORMANCE_JOBS` sets the parallelism (8), `VIGIL_BIN` scans with another binary.
//! Each case's stdout and stderr stay in `<target>/tmp/conformance-http/NAME.{out,err}`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const CASE_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_JOBS: usize = 8;
/// What is compared: the fields of the reference's answer that do not depend on the day the
/// answer was recorded (dates, header values and test `data` do).
const SCAN_FIELDS: [&str; 7] = [
    "algorithmVersion",
    "score",
    "grade",
    "statusCode",
    "testsPassed",
    "testsFailed",
    "testsQuantity",
];
const TEST_FIELDS: [&str; 4] = ["expectation", "pass", "result", "scoreModifier"];

/// One directory under `tests/conformance/http/cases`.
struct Case {
    name: String,
    host: String,
    expected: Value,
}

/// How one scan ended and what it printed.
struct Scan {
    exit: Exit,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

enum Exit {
    Status(std::process::ExitStatus),
    TimedOut,
    NotStarted(String),
}

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn http_conformance_cases_match_the_reference() {
    let kit = Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../../tests/conformance/http");
    let cases = load_cases(&kit.join("cases"), &case_filter());
    assert!(!cases.is_empty(), "no case matches VIGIL_CONFORMANCE_CASES");
    let ca = serve(&kit.join("serve.sh"));
    let bin = std::env::var_os("VIGIL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_vigil")));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-http");
    fs::create_dir_all(&out_dir).unwrap();

    let scans = scan_all(&cases, |case| scan(&bin, &ca, case, &out_dir));
    let mut matched = 0;
    for (case, scan) in cases.iter().zip(&scans) {
        let diffs = differences(&case.expected, scan);
        if diffs.is_empty() {
            matched += 1;
        } else {
            println!("MISMATCH {}: {}", case.name, diffs.join("; "));
        }
    }
    let times: Vec<f64> = scans.iter().map(|s| s.elapsed.as_secs_f64()).collect();
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let max = times.iter().copied().fold(0.0, f64::max);
    println!("(vigil wall time per case: mean {mean:.2}s, max {max:.2}s; output in {out_dir:?})");
    println!("conformance: {matched}/{} cases match", cases.len());
    assert_eq!(matched, cases.len(), "some conformance cases do not match");
}

/// Words of `VIGIL_CONFORMANCE_CASES`; empty means every case.
fn case_filter() -> Vec<String> {
    let words = std::env::var("VIGIL_CONFORMANCE_CASES").unwrap_or_default();
    words.split_whitespace().map(str::to_string).collect()
}

fn load_cases(dir: &Path, filter: &[String]) -> Vec<Case> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {dir:?}: {e}"))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| filter.is_empty() || filter.iter().any(|w| name.contains(w.as_str())))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let case = read_json(&dir.join(&name).join("case.json"));
            let host = case["host"]
                .as_str()
                .expect("case.json has a host")
                .to_string();
            let expected = read_json(&dir.join(&name).join("expected.json"));
            Case {
                name,
                host,
                expected,
            }
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?} is not JSON: {e}"))
}

/// Starts (or reloads) the test sites and returns the CA certificate the scanner must trust.
fn serve(script: &Path) -> PathBuf {
    let status = Command::new("bash").arg(script).arg("start").status();
    assert!(
        matches!(status, Ok(s) if s.success()),
        "{script:?} start failed ({status:?}): the test sites are not being served"
    );
    let out = Command::new("bash").arg(script).arg("ca").output().unwrap();
    assert!(out.status.success(), "{script:?} ca failed");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// Runs `one` on every case, a few at a time; the results come back in the order of `cases`.
fn scan_all(cases: &[Case], one: impl Fn(&Case) -> Scan + Sync) -> Vec<Scan> {
    let jobs = std::env::var("VIGIL_CONFORMANCE_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(DEFAULT_JOBS)
        .clamp(1, cases.len().max(1));
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::with_capacity(cases.len()));
    thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let scan = one(case);
                    done.lock().unwrap().push((i, scan));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, scan)| scan).collect()
}

/// `vigil scan --format observatory HOST`, stdin closed, killed after `CASE_TIMEOUT`.
fn scan(bin: &Path, ca: &Path, case: &Case, out_dir: &Path) -> Scan {
    let out_path = out_dir.join(format!("{}.out", case.name));
    let err_path = out_dir.join(format!("{}.err", case.name));
    let start = Instant::now();
    let child = Command::new(bin)
        .args(["scan", "--format", "observatory", &case.host])
        .env("SSL_CERT_FILE", ca)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .process_group(0)
        .spawn();
    let exit = match child {
        Err(e) => Exit::NotStarted(format!("cannot run {bin:?}: {e}")),
        Ok(mut child) => loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Exit::Status(status);
            }
            if start.elapsed() >= CASE_TIMEOUT {
                kill_group(&mut child);
                break Exit::TimedOut;
            }
            thread::sleep(Duration::from_millis(20));
        },
    };
    let read = |p: &Path| String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned();
    Scan {
        exit,
        stdout: read(&out_path),
        stderr: read(&err_path),
        elapsed: start.elapsed(),
    }
}

/// Kills the scanner and anything it started (it leads its own process group), e.g. when
/// `VIGIL_BIN` is a wrapper script.
fn kill_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let _ = child.kill();
    let _ = child.wait();
}

/// What differs between the recorded answer and the scan; empty when they match.
///
/// Every compared field must be present on both sides: a key that is missing from the answer
/// or from the scan is a difference, never two `null`s that happen to be equal. The scan's tests
/// must be exactly the reference's (none missing, none extra).
fn differences(want: &Value, scan: &Scan) -> Vec<String> {
    let got: Value = match serde_json::from_str(&scan.stdout) {
        Ok(got) => got,
        Err(_) => return vec![not_json(scan)],
    };
    if !got.is_object() {
        return vec!["stdout is JSON but not an object".to_string()];
    }
    let Some(want_tests) = want.get("tests") else {
        // The reference refused to scan this site: only the message counts, and it must be
        // the same message, not two missing ones.
        let Some(w) = want.get("error").filter(|e| e.is_string()) else {
            return vec!["expected.json has neither 'tests' nor an 'error' message".to_string()];
        };
        return match got.get("error") {
            Some(g) if same(w, g) => vec![],
            Some(g) => vec![format!("error: want {w} got {g}")],
            None if got.get("tests").is_some() => {
                vec![format!("error: want {w}, got a scan")]
            }
            None => vec![format!("error: want {w}, got no 'error' key")],
        };
    };
    let Some(got_tests) = got.get("tests") else {
        return match got.get("error") {
            Some(e) if truthy(e) => {
                vec![format!(
                    "want a scan (score {}), got error {e}",
                    want["scan"]["score"]
                )]
            }
            _ => vec!["no 'tests' object in the output".to_string()],
        };
    };
    let mut out = Vec::new();
    let (Some(wscan), Some(gscan)) = (want.get("scan"), got.get("scan")) else {
        return vec![format!(
            "'scan' object missing (in expected.json: {}, in the output: {})",
            want.get("scan").is_none(),
            got.get("scan").is_none()
        )];
    };
    for k in SCAN_FIELDS {
        if let Some(diff) = field_difference(&format!("scan.{k}"), wscan, gscan, k) {
            out.push(diff);
        }
    }
    let (Some(want_tests), Some(got_tests)) = (want_tests.as_object(), got_tests.as_object())
    else {
        return vec!["'tests' is not an object".to_string()];
    };
    for (test, w) in want_tests {
        let Some(g) = got_tests.get(test).filter(|g| g.is_object()) else {
            out.push(format!("{test}: missing"));
            continue;
        };
        let bad: Vec<String> = TEST_FIELDS
            .iter()
            .filter_map(|f| field_difference(f, w, g, f))
            .collect();
        if !bad.is_empty() {
            out.push(format!("{test}: {}", bad.join(", ")));
        }
    }
    for test in got_tests.keys() {
        if !want_tests.contains_key(test) {
            out.push(format!("{test}: not in the reference's answer"));
        }
    }
    out
}

/// `key` of `want` against `key` of `got`, both required to be present; `None` when equal.
fn field_difference(label: &str, want: &Value, got: &Value, key: &str) -> Option<String> {
    match (want.get(key), got.get(key)) {
        (Some(w), Some(g)) if same(w, g) => None,
        (Some(w), Some(g)) => Some(format!("{label} want {w} got {g}")),
        (Some(w), None) => Some(format!("{label} want {w}, missing from the output")),
        (None, _) => Some(format!("{label} missing from expected.json")),
    }
}

/// JSON equality, except that numbers compare by value (`130` equals `130.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false)) && v != "" && v.as_f64() != Some(0.0)
}

fn not_json(scan: &Scan) -> String {
    let how = match &scan.exit {
        Exit::TimedOut => format!("timed out after {}s", CASE_TIMEOUT.as_secs()),
        Exit::NotStarted(why) => return why.clone(),
        Exit::Status(s) => match s.code() {
            Some(code) => format!("exit status {code}"),
            None => format!("{s}"),
        },
    };
    let tail = match scan.stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => format!("; stderr: {}", line.chars().take(160).collect::<String>()),
        None => String::new(),
    };
    format!(
        "stdout is not JSON ({how}, {} bytes on stdout){tail}",
        scan.stdout.len()
    )
}
