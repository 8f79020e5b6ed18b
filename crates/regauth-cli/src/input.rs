//! Reading capture files (or stdin) into core inputs, and reporting what could not be read.
//!
//! Every named input is tried: one that cannot be opened, or that the core cannot use (not a
//! capture, no exchange in it), is reported on stderr and the others are still read. The
//! caller then analyses what was read and exits 2 (see `main.rs`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use regauth_core::capture::{self, Capture, Input, ReadLimits};

/// An input that could not be used at all, as a message for stderr.
pub type InputError = String;

/// The files that could be opened, and a message for each that could not.
pub fn read_inputs(files: &[PathBuf]) -> (Vec<Input>, Vec<InputError>) {
    crate::progress::start_reading(total_size(files));
    let mut inputs = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for path in files {
        match read_input(path) {
            Ok(input) => inputs.push(input),
            Err(error) => errors.push(error),
        }
    }
    (inputs, errors)
}

/// The sum of the files' sizes (stdin excluded), for the progress bar.
pub fn total_size(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter(|path| path.as_os_str() != "-")
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|metadata| metadata.len())
        .sum()
}

/// One file (`-`: stdin), counted on the progress bar when there is one.
pub fn read_input(path: &Path) -> Result<Input, InputError> {
    if path.as_os_str() == "-" {
        crate::progress::read_stdin()
            .map(|bytes| Input::new("<stdin>", bytes))
            .map_err(|err| format!("cannot read standard input: {err}"))
    } else {
        crate::progress::read_file(path)
            .map(|bytes| Input::new(path.display().to_string(), bytes))
            .map_err(|err| {
                format!(
                    "cannot read {}: {err}; check the path (the other inputs are still read)",
                    path.display()
                )
            })
    }
}

/// Reads the files into one capture. Inputs regauth cannot use at all are printed as errors
/// and returned; located problems (skipped entries, truncation) are printed as warnings, and
/// notes (exchanges found in two inputs) as notes.
pub fn read_capture(files: &[PathBuf], limits: &ReadLimits) -> Result<(Capture, Vec<InputError>)> {
    let (inputs, mut errors) = read_inputs(files);
    let (capture, capture_errors) =
        crate::progress::phase("decoding the captures", || capture::read_with(&inputs, limits));
    drop(inputs);
    errors.extend(capture_errors.iter().map(ToString::to_string));
    crate::progress::suspend(|| print_problems(files, &capture, &errors, capture_errors.len()));
    Ok((capture, errors))
}

/// Warnings, notes and errors quote capture strings (names, URLs, recorder errors): each goes
/// through `for_stderr` (URL credentials masked, control and bidi characters escaped).
fn print_problems(files: &[PathBuf], capture: &Capture, errors: &[InputError], n_unusable: usize) {
    let mut stderr = std::io::stderr().lock();
    for problem in &capture.problems {
        let _ = writeln!(stderr, "regauth: warning: {}", crate::for_stderr(&problem.to_string()));
    }
    for note in &capture.notes {
        let _ = writeln!(stderr, "regauth: note: {}", crate::for_stderr(&note.to_string()));
    }
    for error in errors {
        let _ = writeln!(stderr, "regauth: error: {}", crate::for_stderr(error));
    }
    if !errors.is_empty() && files.len() > 1 {
        let n_read = capture.sources.len() - n_unusable;
        let _ = writeln!(
            stderr,
            "regauth: {} of {} inputs could not be used; {} read (exit status 2)",
            errors.len(),
            files.len(),
            if n_read == 0 { "none was".to_owned() } else { format!("the other {n_read} were") }
        );
    }
}
