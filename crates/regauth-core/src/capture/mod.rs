//! Reading captures: format sniffing, decompression, HAR and mitmproxy flow readers, and the
//! merge of several inputs into one timeline.
//!
//! Readers only translate a recording into [`crate::model`] types; they must not interpret
//! authentication (that is the auth engine's job).

pub mod content_encoding;
pub mod har;
pub(crate) mod json_string;
pub mod mitm;
pub(crate) mod sniff;

use bytes::Bytes;

use crate::model::Exchange;
pub use sniff::{Compression, Format, Sniffed, sniff};

/// Largest input (after decompression) a reader accepts, so hostile input cannot exhaust memory.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 4 << 30;

/// One input file, already in memory (the shell reads it; the core never does).
#[derive(Clone, Debug)]
pub struct Input {
    /// What to call it in messages (usually the file name).
    pub name: String,
    pub bytes: Bytes,
}

impl Input {
    pub fn new(name: impl Into<String>, bytes: impl Into<Bytes>) -> Input {
        Input { name: name.into(), bytes: bytes.into() }
    }
}

/// What one input turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    pub name: String,
    pub format: Format,
    pub compression: Compression,
    /// Producer as the file names it (HAR `creator`, mitmproxy version), if it does.
    pub producer: Option<String>,
    /// Input size before decompression.
    pub size: u64,
}

/// Every exchange of every input, merged into one timeline, plus what could not be read.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    pub sources: Vec<SourceInfo>,
    pub exchanges: Vec<Exchange>,
    pub problems: Vec<InputProblem>,
}

/// Something in an input that could not be read as intended; analysis goes on without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    pub location: Location,
    pub message: String,
}

impl std::fmt::Display for InputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// A place in an input: which source, which entry, which byte.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Location {
    pub source: String,
    pub entry: Option<usize>,
    pub byte_offset: Option<u64>,
    /// 1-based line and column, for text formats.
    pub line_column: Option<(usize, usize)>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)?;
        if let Some(entry) = self.entry {
            write!(f, ": entry {entry}")?;
        }
        if let Some((line, column)) = self.line_column {
            write!(f, ": line {line} column {column}")?;
        }
        if let Some(offset) = self.byte_offset {
            write!(f, " (byte {offset})")?;
        }
        Ok(())
    }
}

/// An input regauth cannot use at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    #[error(
        "{name}: not a capture regauth can read (expected a HAR file or a mitmproxy flow file, found {found})"
    )]
    UnknownFormat { name: String, found: String },
    #[error("{name}: input is empty")]
    Empty { name: String },
    #[error("{name}: larger than the limit of {limit} bytes after decompression")]
    TooLarge { name: String, limit: u64 },
    #[error("{name}: cannot decompress {compression:?} data: {reason}")]
    Decompress { name: String, compression: Compression, reason: String },
    #[error("{location}: {message}")]
    Malformed { location: Location, message: String },
}

/// Reads every input and merges their exchanges into one timeline ordered by request start.
///
/// Inputs that cannot be used at all become errors in the second element; the others are
/// read as far as possible, with [`InputProblem`]s for what was skipped.
pub fn read(inputs: &[Input]) -> (Capture, Vec<CaptureError>) {
    let mut capture = Capture::default();
    let mut errors = Vec::new();
    for (source_idx, input) in inputs.iter().enumerate() {
        match read_one(source_idx, input) {
            Ok((info, exchanges, problems)) => {
                capture.sources.push(info);
                capture.exchanges.extend(exchanges);
                capture.problems.extend(problems);
            }
            Err(err) => {
                capture.sources.push(SourceInfo {
                    name: input.name.clone(),
                    format: Format::Unknown,
                    compression: Compression::None,
                    producer: None,
                    size: input.bytes.len() as u64,
                });
                errors.push(err);
            }
        }
    }
    // Stable sort: exchanges without a start time keep their position relative to their source.
    capture.exchanges.sort_by(|a, b| {
        match (a.timing.request_start, b.timing.request_start) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => std::cmp::Ordering::Equal,
        }
        .then(a.origin.source.cmp(&b.origin.source))
        .then(a.origin.index.cmp(&b.origin.index))
    });
    for (idx, exchange) in capture.exchanges.iter_mut().enumerate() {
        exchange.index = idx;
    }
    (capture, errors)
}

type ReadOne = (SourceInfo, Vec<Exchange>, Vec<InputProblem>);

fn read_one(source_idx: usize, input: &Input) -> Result<ReadOne, CaptureError> {
    if input.bytes.is_empty() {
        return Err(CaptureError::Empty { name: input.name.clone() });
    }
    let sniffed = sniff(&input.bytes);
    let payload =
        sniff::decompress(&input.name, &input.bytes, sniffed.compression, DEFAULT_MAX_INPUT_BYTES)?;
    let format = if sniffed.compression == Compression::None {
        sniffed.format
    } else {
        sniff(&payload).format
    };
    let mut info = SourceInfo {
        name: input.name.clone(),
        format,
        compression: sniffed.compression,
        producer: None,
        size: input.bytes.len() as u64,
    };
    let (exchanges, problems, producer) = match format {
        Format::Har => har::read(source_idx, &input.name, payload)?,
        Format::MitmproxyFlow => mitm::read(source_idx, &input.name, payload)?,
        Format::Unknown => {
            return Err(CaptureError::UnknownFormat {
                name: input.name.clone(),
                found: sniff::describe_start(&payload),
            });
        }
    };
    info.producer = producer;
    Ok((info, exchanges, problems))
}
