//! A progress bar on stderr for inputs that take more than a moment: bytes read from the files,
//! then the phases that follow (reading the capture, analysing). Only when stderr is a terminal
//! and the input is large; otherwise nothing is created and reading is a plain `fs::read`, so
//! pipes, CI logs and JSON/JUnit consumers never see it and pay nothing for it.
//!
//! The core stays free of it: the CLI reads the files itself, so it counts the bytes here and
//! names the core's phases around the calls.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Inputs smaller than this are read and analysed in well under a second: no bar.
pub const MIN_BYTES: u64 = 16 << 20;
/// Read in pieces of this size when a bar is shown, so it moves.
const CHUNK: usize = 1 << 20;

static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn bar() -> Option<ProgressBar> {
    BAR.lock().ok().and_then(|guard| guard.clone())
}

fn wanted(total_bytes: u64) -> bool {
    total_bytes >= MIN_BYTES
        && std::io::stderr().is_terminal()
        && std::env::var_os("REGAUTH_NO_PROGRESS").is_none()
}

/// Starts a byte bar for reading `total_bytes` (the sum of the files' sizes, stdin excluded)
/// when it is worth showing.
pub fn start_reading(total_bytes: u64) {
    if !wanted(total_bytes) {
        return;
    }
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message("reading");
    bar.enable_steady_tick(Duration::from_millis(120));
    if let Ok(mut guard) = BAR.lock() {
        *guard = Some(bar);
    }
}

/// Reads a file, counting its bytes on the bar when there is one.
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    match bar() {
        None => std::fs::read(path),
        Some(bar) => read_counting(std::fs::File::open(path)?, &bar),
    }
}

/// Reads standard input, counting its bytes on the bar when there is one.
pub fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut stdin = std::io::stdin().lock();
    match bar() {
        None => {
            let mut bytes = Vec::new();
            stdin.read_to_end(&mut bytes)?;
            Ok(bytes)
        }
        Some(bar) => read_counting(stdin, &bar),
    }
}

fn read_counting(mut reader: impl std::io::Read, bar: &ProgressBar) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut chunk = vec![0; CHUNK];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n_read) => {
                bytes.extend_from_slice(&chunk[..n_read]);
                bar.inc(n_read as u64);
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

/// Runs one step of the work under a spinner saying what it is (`decoding captures`,
/// `analysing 40,000 exchanges`), when a bar is shown.
pub fn phase<T>(message: &str, work: impl FnOnce() -> T) -> T {
    let Some(bar) = bar() else { return work() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    work()
}

/// Runs `print` with the bar hidden, so a warning line does not tear it.
pub fn suspend<T>(print: impl FnOnce() -> T) -> T {
    match bar() {
        None => print(),
        Some(bar) => bar.suspend(print),
    }
}

/// Removes the bar before the results are printed.
pub fn finish() {
    if let Ok(mut guard) = BAR.lock()
        && let Some(bar) = guard.take()
    {
        bar.finish_and_clear();
    }
}
