//! `vigil`: scan hosts the way the MDN HTTP Observatory does and say how to reach an A+.
//!
//! This binary is glue: it parses arguments into a validated configuration, runs the
//! retrieve → check → grade pipeline from the library crates for each host (many at once with
//! `--hosts-file`), renders the result, and maps outcomes to exit codes:
//! 0 scanned, 1 a site could not be scanned, 2 usage error, 3 a grade below `--min-grade`.
#![forbid(unsafe_code)]

mod alerts;
mod args;
mod dns;
mod list;
mod render;
mod tls;

use anyhow::Context;
use args::{Cli, Command, Format};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vigil: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(a) => {
            let plan = a.plan()?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            let results = runtime.block_on(vigil_scan::scan_all(&plan.hosts, &plan.profile));
            emit(&plan.output, &results)
        }
        Command::Replay(a) => {
            let text = std::fs::read_to_string(&a.evidence)
                .with_context(|| format!("cannot read {}", a.evidence.display()))?;
            let evidence = vigil_scan::InstanceEvidence::from_json(&text)
                .with_context(|| format!("cannot replay {}", a.evidence.display()))?;
            let profile = args::replay_profile(&a)?;
            // Assessed as of the scan (certificate validity, release data); a bare HTTP
            // evidence file has no time and is assessed as of now.
            let now = match evidence.started_at {
                0 => vigil_scan::now(),
                t => t,
            };
            let result = vigil_scan::assess(&evidence, &vigil_scan::Assessor::new(&profile), now);
            let scanned = vigil_scan::Scanned { evidence, result };
            let output = args::OutputPlan {
                format: a.format,
                min_grade: a.min_grade,
                color: args::color_wanted(a.no_color),
                verbose: false,
            };
            emit(&output, &[scanned])
        }
        Command::Tls(a) => tls::run(&a),
        Command::Serve(a) => {
            list::run_monitor(&a.monitor, Some((&a.listen, a.no_monitor)), &a.hosts)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker(a) => {
            list::run_monitor(&a.monitor, None, &[])?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Instances(a) => list::run_instances(&a),
        Command::Export(a) => {
            list::run_export(&a)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Regrade(a) => {
            list::run_regrade(&a)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Prune(a) => {
            list::run_prune(&a)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Dns(a) => dns::run(&a),
        Command::Alerts(a) => alerts::run(&a),
        Command::Explain(a) => {
            let text = render::text::explain(&a.result)
                .or_else(|| tls::explain(&a.result))
                .ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown result {:?}; results look like csp-implemented-with-unsafe-inline or, for TLS fixes, disable-legacy-protocols",
                    a.result
                )
            })?;
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn emit(output: &args::OutputPlan, scans: &[vigil_scan::Scanned]) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let single = scans.len() == 1;
    for s in scans {
        let r = &s.result;
        let text = match output.format {
            Format::Observatory => render::observatory::render(r, single),
            Format::Json => render::json::render(s, single)?,
            Format::Evidence => render::json::evidence(s, single)?,
            Format::Text => render::text::report(r, output.color, output.verbose),
        };
        out.write_all(text.as_bytes())?;
    }
    let results: Vec<&vigil_scan::HostResult> = scans.iter().map(|s| &s.result).collect();
    if output.format == Format::Text && results.len() > 1 {
        out.write_all(render::text::summary(&results, output.color).as_bytes())?;
    }
    out.flush()?;
    let site_error = results
        .iter()
        .any(|r| r.outcome.is_err() || r.unreachable.is_some());
    let below = output.min_grade.is_some_and(|floor| {
        results.iter().any(|r| {
            // The composite rating when the full report ran, else the Observatory grade.
            match r.rating.as_ref().map(|rt| rt.letter) {
                Some(letter) => !letter.at_least(floor),
                None => r
                    .outcome
                    .as_ref()
                    .is_ok_and(|rep| !rep.grade.at_least(floor)),
            }
        })
    });
    Ok(if site_error {
        ExitCode::from(1)
    } else if below {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
