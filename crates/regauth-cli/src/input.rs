//! Reading capture files (or stdin) into core inputs, and reporting what could not be read.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use regauth_core::capture::{self, Capture, CaptureError, Input};

pub fn read_inputs(files: &[PathBuf]) -> Result<Vec<Input>> {
    let mut inputs = Vec::with_capacity(files.len());
    let total_bytes = files
        .iter()
        .filter(|path| path.as_os_str() != "-")
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|metadata| metadata.len())
        .sum();
    crate::progress::start_reading(total_bytes);
    for path in files {
        if path.as_os_str() == "-" {
            let bytes = crate::progress::read_stdin().context("reading standard input")?;
            inputs.push(Input::new("<stdin>", bytes));
        } else {
            let bytes = crate::progress::read_file(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            inputs.push(Input::new(path.display().to_string(), bytes));
        }
    }
    Ok(inputs)
}

/// Reads the files into one capture. Inputs regauth cannot use at all are returned as errors;
/// located problems (skipped entries, truncation) are printed as warnings.
pub fn read_capture(files: &[PathBuf]) -> Result<(Capture, Vec<CaptureError>)> {
    let inputs = read_inputs(files)?;
    let (capture, errors) =
        crate::progress::phase("decoding the captures", || capture::read(&inputs));
    crate::progress::suspend(|| print_problems(&capture, &errors));
    Ok((capture, errors))
}

fn print_problems(capture: &Capture, errors: &[CaptureError]) {
    let mut stderr = std::io::stderr().lock();
    for problem in &capture.problems {
        let _ = writeln!(stderr, "regauth: warning: {}", crate::for_stderr(&problem.to_string()));
    }
    for error in errors {
        let _ = writeln!(stderr, "regauth: error: {}", crate::for_stderr(&error.to_string()));
    }
}
