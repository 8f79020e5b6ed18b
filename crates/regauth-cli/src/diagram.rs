//! `regauth diagram`: the auth sequence as Mermaid text or an SVG image. The core draws it
//! (the web app's export calls the same renderers); this file reads the input and picks the
//! session.

use std::io::Write as _;

use anyhow::{Result, bail};
use regauth_core::analysis::analyze;
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::exchanges::ExchangeList;
use regauth_core::report::mermaid::render_mermaid;
use regauth_core::report::svg::render_svg;

use crate::Status;
use crate::args::{DiagramArgs, DiagramFormat};
use crate::input::read_capture;

pub fn run(args: &DiagramArgs) -> Result<Status> {
    let config = crate::analyze::analysis_config(&args.engine)?;
    let (capture, errors) = read_capture(&args.files, &args.limits.read_limits())?;
    if !errors.is_empty() && capture.exchanges.is_empty() {
        return Ok(Status::Error);
    }
    let analysis = analyze(&capture, &config);
    let report = AnalysisReport::new(&capture, &analysis, Secrets::Masked);
    let exchanges = ExchangeList::from_capture(&capture).exchanges;
    let session = match args.session {
        None => None,
        Some(number) if number >= 1 && number <= report.sessions.len() => Some(number - 1),
        Some(number) => bail!(
            "there is no session {number}: the capture has {} session(s), numbered from 1 as `regauth analyze` prints them",
            report.sessions.len()
        ),
    };
    let drawn = match args.format {
        DiagramFormat::Mermaid => render_mermaid(&report, &exchanges, session),
        DiagramFormat::Svg => render_svg(&report, &exchanges, session),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(drawn.as_bytes())?;
    stdout.flush()?;
    Ok(if errors.is_empty() { Status::Success } else { Status::Error })
}
