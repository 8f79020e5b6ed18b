//! `regauth exchanges`: the normalized exchange list, as text or `regauth.exchanges/v1` JSON.

use std::io::Write as _;

use anyhow::Result;
use regauth_core::display::{Safe, safe};
use regauth_core::report::analysis::Secrets;
use regauth_core::report::exchanges::ExchangeList;

use crate::Status;
use crate::args::{ExchangesArgs, OutputFormat};
use crate::input::read_capture;

pub fn run(args: &ExchangesArgs) -> Result<Status> {
    let (capture, errors) = read_capture(&args.files, &args.limits.read_limits())?;
    let secrets = if args.show_secrets { Secrets::Revealed } else { Secrets::Masked };
    let list = ExchangeList::new(&capture, secrets);
    crate::progress::finish();
    let mut stdout = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &list)?;
            writeln!(stdout)?;
        }
        OutputFormat::Text => write_text(&mut stdout, &list)?,
    }
    stdout.flush()?;
    Ok(if errors.is_empty() { Status::Success } else { Status::Error })
}

/// Every capture-derived field goes through [`Safe`]: the terminal sees escapes, not controls.
fn write_text(out: &mut impl std::io::Write, list: &ExchangeList) -> std::io::Result<()> {
    for source in &list.sources {
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
    for row in &list.exchanges {
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
    writeln!(out, "{} exchanges", list.exchanges.len())
}
