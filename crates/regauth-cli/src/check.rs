//! `regauth check`: assertions over recorded sessions, for CI. The assertions and their
//! renderings are the core's `regauth.check/v1` contract; this file reads the input, maps the
//! arguments and writes the result.

use std::io::Write as _;

use anyhow::Result;
use regauth_core::analysis::{Code, Outcome, analyze};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::check::{CheckReport, CheckSpec};

use crate::Status;
use crate::args::{CheckArgs, CheckFormat, Expectation};
use crate::input::read_capture;

fn parse_codes(codes: &[String]) -> Result<Vec<Code>> {
    codes
        .iter()
        .map(|code| {
            Code::parse(code).ok_or_else(|| {
                anyhow::anyhow!("unknown finding code `{code}` (`regauth explain` lists them)")
            })
        })
        .collect()
}

pub fn run(args: &CheckArgs) -> Result<Status> {
    let spec = CheckSpec {
        expect: match args.expect {
            Expectation::Success => Outcome::Success,
            Expectation::Failure => Outcome::Failure,
        },
        deny: parse_codes(&args.deny)?,
        allow: parse_codes(&args.allow)?,
        max_clock_skew_s: args.engine.max_clock_skew,
    };
    let config = crate::analyze::analysis_config(&args.engine)?;
    let (capture, input_errors) = read_capture(&args.files, &args.limits.read_limits())?;
    if capture.exchanges.is_empty() {
        return Ok(Status::Error);
    }
    let analysis =
        crate::progress::phase(&format!("analysing {} exchanges", capture.exchanges.len()), || {
            analyze(&capture, &config)
        });
    crate::progress::finish();
    let report = AnalysisReport::new(&capture, &analysis, Secrets::Masked);
    let check = CheckReport::new(&report, &spec);

    let mut stdout = std::io::stdout().lock();
    match args.format {
        CheckFormat::Text => write!(stdout, "{}", check.render_text())?,
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &check)?;
            writeln!(stdout)?;
        }
        CheckFormat::Junit => write!(stdout, "{}", check.render_junit())?,
    }
    stdout.flush()?;
    // The readable inputs were checked, but not all that were named: the check cannot vouch.
    Ok(if !input_errors.is_empty() {
        Status::Error
    } else if check.passed {
        Status::Success
    } else {
        Status::Failure
    })
}
