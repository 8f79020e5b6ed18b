//! `regauth exchanges`: the normalized exchange list, as text or `regauth.exchanges/v1` JSON.

use std::io::Write as _;

use anyhow::Result;
use regauth_core::display::{Safe, safe};
use regauth_core::report::analysis::Secrets;
use regauth_core::report::exchanges::StreamedExchangeList;

use crate::Status;
use crate::args::{ExchangesArgs, OutputFormat};
use crate::input::read_capture;

pub fn run(args: &ExchangesArgs) -> Result<Status> {
    let (capture, errors) = read_capture(&args.files, &args.limits.read_limits())?;
    let secrets = if args.show_secrets { Secrets::Revealed } else { Secrets::Masked };
    // Each row is built as it is written: no list of every exchange besides the capture.
    let list = StreamedExchangeList::new(&capture, secrets);
    crate::progress::finish();
    let status = if errors.is_empty() { Status::Success } else { Status::Error };
    let mut stdout = crate::output::stdout();
    let written = (|| -> std::io::Result<()> {
        match args.format {
            OutputFormat::Json => crate::output::write_json(&mut stdout, &list)?,
            OutputFormat::Text => write_text(&mut stdout, &list)?,
        }
        stdout.flush()
    })();
    let status = crate::output::verdict_despite_closed_pipe(written, status)?;
    crate::skip_teardown(capture);
    Ok(status)
}

/// Every capture-derived field goes through [`Safe`]: the terminal sees escapes, not controls.
fn write_text(
    out: &mut impl std::io::Write,
    list: &StreamedExchangeList<'_>,
) -> std::io::Result<()> {
    for source in &list.sources() {
        writeln!(
            out,
            "# {}: {}{} ({} bytes){}",
            Safe(&source.name),
            source.format,
            if source.compression == "none" {
                String::new()
            } else {
                format!(", {}", source.compression)
            },
            source.size,
            source
                .producer
                .as_ref()
                .map(|producer| format!(", written by {}", Safe(producer)))
                .unwrap_or_default(),
        )?;
    }
    let rows = list.exchanges();
    let n_exchanges = rows.len();
    for row in rows {
        let status = row.status.map_or_else(|| "---".to_owned(), |status| status.to_string());
        let sizes = format!(
            "{}/{}",
            row.request_body_size.map_or_else(|| "?".to_owned(), |n| n.to_string()),
            row.response_body_size.map_or_else(|| "-".to_owned(), |n| n.to_string())
        );
        writeln!(
            out,
            "{:>4}  {:<27}  {:<7} {:>3}  {:>12}  {:<5} {}{}",
            row.index,
            row.started_at.as_deref().unwrap_or("(no time)"),
            safe(&row.method),
            status,
            sizes,
            if row.tls { "tls" } else { "plain" },
            Safe(&row.url),
            row.error
                .as_ref()
                .map(|error| format!("  [error: {}]", Safe(error)))
                .unwrap_or_default(),
        )?;
    }
    writeln!(out, "{n_exchanges} exchanges")
}
