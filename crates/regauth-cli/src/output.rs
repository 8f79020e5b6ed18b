//! Writing reports to stdout: buffered (a pretty JSON report is millions of short writes, and
//! stdout is line-buffered), streamed row by row where the core offers it, and with I/O errors
//! kept as `std::io::Error` so that a closed pipe is told from a failure: the command still exits
//! with its verdict ([`verdict_despite_closed_pipe`]).

use std::fmt;
use std::io::{self, BufWriter, Write};

/// The command's exit status once its report was written, or stopped by a closed pipe
/// (`regauth analyze … | head`): the verdict was reached before the writing began, so the
/// exit code still tells it (a failed session exits 1 however much of the report was read).
/// Any other write error is an error.
pub fn verdict_despite_closed_pipe(
    written: io::Result<()>,
    status: crate::Status,
) -> io::Result<crate::Status> {
    match written {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(status),
        Err(err) => Err(err),
        Ok(()) => Ok(status),
    }
}

/// Standard output, locked and buffered.
pub fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(64 << 10, io::stdout().lock())
}

/// `value` as pretty JSON and a newline. A write error comes back as the `io::Error` it was
/// (serde_json wraps it), so a broken pipe is recognised.
pub fn write_json(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)
}

/// Runs a `fmt::Write` renderer (the core's text reports are pure, `fmt::Write`) against `out`,
/// returning the write error that stopped it, if any.
pub fn write_text(
    out: &mut impl Write,
    render: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result,
) -> io::Result<()> {
    let mut adapter = FmtToIo { out, error: None };
    match render(&mut adapter) {
        Ok(()) => Ok(()),
        Err(fmt::Error) => Err(adapter
            .error
            .unwrap_or_else(|| io::Error::other("the text report could not be formatted"))),
    }
}

struct FmtToIo<'a, W> {
    out: &'a mut W,
    error: Option<io::Error>,
}

impl<W: Write> fmt::Write for FmtToIo<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.out.write_all(text.as_bytes()).map_err(|err| {
            self.error = Some(err);
            fmt::Error
        })
    }
}
