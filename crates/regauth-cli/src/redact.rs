//! `regauth redact IN -o OUT`: writes the core's redacted copy, never over the input.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use regauth_core::capture::{Compression, Format};
use regauth_core::redact::{RedactConfig, Redacted, redact};

use crate::Status;
use crate::args::RedactArgs;

pub fn run(args: &RedactArgs) -> Result<Status> {
    let from_stdin = args.input.as_os_str() == "-";
    let input_name =
        if from_stdin { "<stdin>".to_owned() } else { args.input.display().to_string() };
    let output = match (&args.output, args.dry_run) {
        (_, true) => None,
        (Some(output), false) => Some(output),
        (None, false) => bail!("no output: give -o OUT (or --dry-run)"),
    };
    if let Some(output) = output {
        if output.as_os_str() == "-" {
            // The copy is capture bytes: on a terminal they could be escape sequences.
            if std::io::stdout().is_terminal() {
                bail!(
                    "refusing to write a capture to a terminal; redirect standard output or give -o FILE"
                );
            }
        } else {
            refuse_unsafe_output(&args.input, from_stdin, output, args.force)?;
        }
    }
    let bytes = if from_stdin {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes).context("reading standard input")?;
        bytes::Bytes::from(bytes)
    } else {
        // Mapped like `analyze`'s inputs: a big capture is not copied before it is redacted.
        crate::mapped::read_file(&args.input)
            .with_context(|| format!("cannot read {input_name}"))?
    };
    let config = RedactConfig { limits: args.limits.read_limits() };
    let redacted =
        redact(&bytes, &config).with_context(|| format!("cannot redact {input_name}"))?;
    drop(bytes);

    let mut stderr = std::io::stderr().lock();
    for note in &redacted.notes {
        let _ = writeln!(stderr, "regauth: note: {input_name}: {note}");
    }
    if args.dry_run {
        let mut stdout = std::io::stdout().lock();
        write_listing(&mut stdout, &input_name, &redacted)?;
        stdout.flush()?;
        return Ok(Status::Success);
    }
    let Some(output) = output else { return Ok(Status::Success) };
    if output.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&redacted.bytes)?;
        stdout.flush()?;
    } else {
        write_atomically(output, &redacted.bytes)?;
    }
    let _ = writeln!(
        stderr,
        "regauth: {input_name}: masked {} values ({} distinct secrets); wrote {}",
        redacted.masked.len(),
        redacted.n_secrets,
        if output.as_os_str() == "-" {
            "standard output".to_owned()
        } else {
            output.display().to_string()
        }
    );
    Ok(Status::Success)
}

/// Refuses an output that is the input (same path, same file through a link, or the same
/// inode) whatever `--force` says, and an existing output without `--force`.
fn refuse_unsafe_output(input: &Path, from_stdin: bool, output: &Path, force: bool) -> Result<()> {
    if !from_stdin {
        if input == output {
            bail!("refusing to write the redacted copy over its input {}", input.display());
        }
        if let (Ok(input_meta), Ok(output_meta)) =
            (std::fs::metadata(input), std::fs::metadata(output))
            && same_file(input, &input_meta, output, &output_meta)
        {
            bail!(
                "refusing to write the redacted copy over its input: {} is {}",
                output.display(),
                input.display()
            );
        }
    }
    if output.symlink_metadata().is_ok() && !force {
        bail!("{} exists; pass --force to replace it", output.display());
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(_: &Path, a: &std::fs::Metadata, _: &Path, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &Path, _: &std::fs::Metadata, b: &Path, _: &std::fs::Metadata) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Writes `bytes` to a temporary file beside `output` and renames it into place, so a failed
/// write never leaves a half-written copy (and never truncates a file someone else holds).
fn write_atomically(output: &Path, bytes: &[u8]) -> Result<()> {
    let file_name =
        output.file_name().with_context(|| format!("{} is not a file name", output.display()))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(".regauth-{}.tmp", std::process::id()));
    let temporary = output.with_file_name(temporary_name);
    let result = (|| -> Result<()> {
        let mut file = std::fs::File::create_new(&temporary)
            .with_context(|| format!("cannot create {}", temporary.display()))?;
        file.write_all(bytes).with_context(|| format!("cannot write {}", temporary.display()))?;
        file.sync_all().with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, output)
            .with_context(|| format!("cannot write {}", output.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn write_listing(
    out: &mut impl std::io::Write,
    input_name: &str,
    redacted: &Redacted,
) -> Result<()> {
    let format = match redacted.format {
        Format::Har => "HAR",
        Format::MitmproxyFlow => "mitmproxy flow file",
        Format::Unknown => "capture",
    };
    let compression = match redacted.compression {
        Compression::Gzip => ", gzip",
        Compression::Zlib => ", zlib",
        Compression::None => "",
    };
    writeln!(
        out,
        "# {input_name}: {format}{compression}: {} values would be masked ({} distinct secrets)",
        redacted.masked.len(),
        redacted.n_secrets
    )?;
    if redacted.masked.is_empty() {
        return Ok(());
    }
    let width = redacted.masked.iter().map(|item| item.field.len()).max().unwrap_or(0).min(60);
    writeln!(out, "{:>5}  {:width$}  kind", "entry", "field")?;
    for item in &redacted.masked {
        let entry = item.entry.map_or_else(|| "-".to_owned(), |entry| entry.to_string());
        writeln!(out, "{entry:>5}  {:width$}  {}", item.field, item.kind)?;
    }
    Ok(())
}
