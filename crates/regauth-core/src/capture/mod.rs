//! Reading captures: format sniffing, decompression, HAR and mitmproxy flow readers, and the
//! merge of several inputs into one timeline.
//!
//! Readers only translate a recording into [`crate::model`] types; they must not interpret
//! authentication (that is the auth engine's job).
//!
//! # Limits
//!
//! What reading costs is bounded by the input, never by what the input claims: every limit in
//! [`ReadLimits`] is a ceiling or a multiple of the input's size, each can be raised by the
//! caller (the CLI has a `--max-*` flag per limit), and reaching one keeps what was read so
//! far, with an [`InputProblem`] that names the limit and how to raise it.
//!
//! ```text
//!  Input ─► sniff ─► inflate (gzip/zlib, ≤ ratio × compressed size, ≤ max_input_bytes)
//!                      │ cut stream: keep what inflated, problem at the compressed offset
//!                      ▼
//!           HAR reader / flow reader, entry by entry
//!                      │ memory of the exchanges ≤ ratio × input + floor, else stop here
//!                      ▼
//!           exchanges (bodies: slices of the input + the input's decoding budget)
//!                      ▼
//!           merge: one timeline (total order), duplicates across inputs counted once
//! ```

pub mod content_encoding;
pub mod har;
pub(crate) mod json_string;
pub(crate) mod merge;
pub mod mitm;
pub(crate) mod sniff;

use std::sync::Arc;

use bytes::Bytes;

use crate::model::{DecodeBudget, Exchange};
pub use sniff::{Compression, Format, Sniffed, sniff};

/// Largest input (after decompression) a reader accepts by default.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 4 << 30;
/// A compressed input may always inflate to this much, whatever its ratio.
pub const INFLATE_FLOOR_BYTES: u64 = 64 << 20;
/// The exchanges of an input may always take this much memory, whatever its size.
pub const EXCHANGE_MEMORY_FLOOR_BYTES: u64 = 64 << 20;
/// Decompressing bodies may always produce this much per input, whatever its size.
pub const DECODED_FLOOR_BYTES: u64 = 64 << 20;

/// What reading one input may cost. Each limit is either a ceiling or a multiple of the
/// input's size (above a fixed floor, so small inputs are never cut), and reaching one keeps
/// what was read before it, with a problem naming the limit.
///
/// The defaults keep peak memory near twice the uncompressed input and reading time linear
/// in it; raise a limit for a capture that needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest input after decompression, in bytes (CLI `--max-input-size`).
    pub max_input_bytes: u64,
    /// A gzip or zlib input may inflate to at most this many times its compressed size, or
    /// [`INFLATE_FLOOR_BYTES`] if that is more (CLI `--max-inflate-ratio`). Captures compress
    /// 5 to 15 times; a decompression bomb a thousand times.
    pub max_inflate_ratio: u64,
    /// The exchanges read from an input may take at most this many times the input's
    /// (uncompressed) size in memory, plus [`EXCHANGE_MEMORY_FLOOR_BYTES`] (CLI
    /// `--max-memory-ratio`). Real entries cost less than their size in the file; a file of
    /// a million near-empty entries would cost many times its size.
    pub max_exchange_memory_ratio: u64,
    /// Decompressing bodies (`Content-Encoding`) may produce at most this many times the
    /// input's size in all, plus [`DECODED_FLOOR_BYTES`] (CLI `--max-decoded-ratio`).
    pub max_decoded_ratio: u64,
    /// Threads a reader may use for one input, the calling one included (CLI `--threads`):
    /// a large flow or HAR file is read in parallel parts. The result is the same for any number;
    /// 1 (the default, and the only choice on wasm32) reads on the calling thread alone.
    pub max_threads: usize,
}

impl ReadLimits {
    pub const DEFAULT: ReadLimits = ReadLimits {
        max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
        max_inflate_ratio: 16,
        max_exchange_memory_ratio: 1,
        max_decoded_ratio: 4,
        max_threads: 1,
    };

    fn max_inflated(&self, compressed_len: u64) -> u64 {
        self.max_inflate_ratio
            .saturating_mul(compressed_len)
            .max(INFLATE_FLOOR_BYTES)
            .min(self.max_input_bytes)
    }
}

impl Default for ReadLimits {
    fn default() -> ReadLimits {
        ReadLimits::DEFAULT
    }
}

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
    /// What reading did that is worth saying but lost nothing (e.g. exchanges found in two
    /// inputs and counted once). Unlike problems, notes do not make a capture incomplete.
    pub notes: Vec<InputNote>,
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

/// Something reading did to an input that loses nothing (see [`Capture::notes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputNote {
    /// The input it is about.
    pub source: String,
    pub message: String,
}

impl std::fmt::Display for InputNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
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

/// An input regauth cannot use at all. Each message says what to do next; none quotes the
/// input's bytes (they may be secrets), it describes them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    #[error(
        "{name}: not a capture regauth can read: it {found}; give a HAR file (from a browser, mitmproxy, \
         Charles, Playwright...) or a mitmproxy flow file (`mitmdump -w`), optionally gzip/zlib-compressed"
    )]
    UnknownFormat { name: String, found: String },
    #[error("{name}: input is empty; check that the recording was saved and the path is right")]
    Empty { name: String },
    #[error(
        "{name}: larger than the limit of {limit} bytes after decompression; raise it with --max-input-size \
         (ReadLimits::max_input_bytes)"
    )]
    TooLarge { name: String, limit: u64 },
    #[error(
        "{name}: cannot decompress {compression:?} data: {reason}; check that the file was copied whole, or \
         decompress it yourself and give the result"
    )]
    Decompress { name: String, compression: Compression, reason: String },
    #[error("{location}: {message}")]
    Malformed { location: Location, message: String },
    #[error("{name}: no exchange could be read from it: {why}")]
    NoExchanges { name: String, why: String },
}

/// Reads every input with the default [`ReadLimits`]; see [`read_with`].
pub fn read(inputs: &[Input]) -> (Capture, Vec<CaptureError>) {
    read_with(inputs, &ReadLimits::DEFAULT)
}

/// Reads every input and merges their exchanges into one timeline ordered by request start.
///
/// Inputs that cannot be used at all (or yield no exchange) become errors in the second
/// element; the others are read as far as possible, with [`InputProblem`]s for what was
/// skipped. The same exchange found in several inputs (the same recording given twice, a
/// flow file and the HAR mitmproxy wrote from it) is kept once, with an [`InputNote`].
pub fn read_with(inputs: &[Input], limits: &ReadLimits) -> (Capture, Vec<CaptureError>) {
    let mut capture = Capture::default();
    let mut errors = Vec::new();
    for (source_idx, input) in inputs.iter().enumerate() {
        match read_one(source_idx, input, limits) {
            Ok((info, exchanges, problems)) => {
                if exchanges.is_empty() {
                    errors.push(CaptureError::NoExchanges {
                        name: input.name.clone(),
                        why: why_no_exchanges(info.format, &problems),
                    });
                }
                capture.sources.push(info);
                // Moved, not copied, when it is the first: exchanges are most of the memory.
                if capture.exchanges.is_empty() {
                    capture.exchanges = exchanges;
                } else {
                    capture.exchanges.extend(exchanges);
                }
                capture.problems.extend(problems);
            }
            Err(err) => {
                capture.sources.push(SourceInfo {
                    name: input.name.clone(),
                    format: Format::Unknown,
                    compression: sniff(&input.bytes).compression,
                    producer: None,
                    size: input.bytes.len() as u64,
                });
                errors.push(err);
            }
        }
    }
    let exchanges = std::mem::take(&mut capture.exchanges);
    let (exchanges, notes) = merge::merge(exchanges, &capture.sources);
    capture.exchanges = exchanges;
    capture.notes = notes;
    (capture, errors)
}

/// `bytes` as text if it is UTF-8, checked with SIMD (`simdutf8`), several times faster than
/// `std::str::from_utf8` on the mostly-ASCII text of captures; the error (with its
/// `valid_up_to`) comes from std, which checks again only when the text is not UTF-8.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    }
}

fn why_no_exchanges(format: Format, problems: &[InputProblem]) -> String {
    let what = match format {
        Format::Har => "HAR file",
        Format::MitmproxyFlow => "flow file",
        Format::Unknown => "file",
    };
    match problems.first() {
        Some(problem) => format!(
            "the {what} holds no complete, readable exchange (first problem: {problem}); check that the \
             recording finished and the file was copied whole"
        ),
        None => format!(
            "the {what} holds no exchanges; record the session again with the client's traffic going through \
             the recorder"
        ),
    }
}

type ReadOne = (SourceInfo, Vec<Exchange>, Vec<InputProblem>);

/// What a reader needs besides the bytes: where its exchanges go and what they may cost.
pub(crate) struct ReaderContext<'a> {
    pub(crate) source_idx: usize,
    pub(crate) name: &'a str,
    /// Shared by every body of the input.
    pub(crate) decode_budget: Arc<DecodeBudget>,
    /// Bytes the exchanges read from the input may take.
    pub(crate) memory_limit: u64,
    /// Threads a reader may use ([`ReadLimits::max_threads`], at least 1).
    pub(crate) threads: usize,
    /// How a reader splits an input between those threads.
    pub(crate) batching: Batching,
}

/// How readers split an input between threads. The flow reader frames `batch_bytes` of flows
/// at a time and decodes a batch on several threads when each gets at least
/// `min_flows_per_thread` flows; the HAR reader reads ahead on another thread from every
/// `min_har_part_bytes` of entries (`har/fast.rs`). The result does not depend on it; tests
/// and the fuzzer use [`Batching::SMALL`] so that small inputs cross batch boundaries and are
/// split between threads too.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Batching {
    pub(crate) batch_bytes: usize,
    pub(crate) min_flows_per_thread: usize,
    pub(crate) min_har_part_bytes: usize,
}

impl Batching {
    /// Big enough that starting threads for a batch costs nothing, small enough that decoding
    /// a batch past the memory limit costs little.
    pub(crate) const DEFAULT: Batching =
        Batching { batch_bytes: 16 << 20, min_flows_per_thread: 64, min_har_part_bytes: 1 << 20 };
    pub(crate) const SMALL: Batching =
        Batching { batch_bytes: 4 << 10, min_flows_per_thread: 2, min_har_part_bytes: 64 };
}

impl<'a> ReaderContext<'a> {
    pub(crate) fn new(
        source_idx: usize,
        name: &'a str,
        input_len: u64,
        limits: &ReadLimits,
    ) -> ReaderContext<'a> {
        let decode_budget =
            limits.max_decoded_ratio.saturating_mul(input_len).saturating_add(DECODED_FLOOR_BYTES);
        let memory_limit = limits
            .max_exchange_memory_ratio
            .saturating_mul(input_len)
            .saturating_add(EXCHANGE_MEMORY_FLOOR_BYTES);
        ReaderContext {
            source_idx,
            name,
            decode_budget: Arc::new(DecodeBudget::new(decode_budget)),
            memory_limit,
            threads: limits.max_threads.max(1),
            batching: Batching::DEFAULT,
        }
    }

    /// The message for an input whose exchanges outgrew [`ReaderContext::memory_limit`].
    pub(crate) fn memory_limit_message(&self, n_read: usize, used: u64) -> String {
        format!(
            "stopped reading after {n_read} exchanges: they take about {} MiB in memory, the limit for this input \
             ({} MiB: `max_exchange_memory_ratio` times its size plus {} MiB); the rest is not read. Raise it with \
             regauth's --max-memory-ratio",
            used / (1 << 20),
            self.memory_limit / (1 << 20),
            EXCHANGE_MEMORY_FLOOR_BYTES >> 20,
        )
    }
}

/// Memory one exchange takes (its value plus what it owns on the heap), for the read budget;
/// slices of the input cost nothing extra.
///
/// Small text ([`crate::model::ArcStr`]) is shared between exchanges, so what it costs
/// depends on what came before; it is charged as if each value over 24 bytes were the
/// exchange's own (short values not at all), which depends only on the exchange, so the limit
/// stops at the same entry however many threads read.
pub(crate) fn exchange_memory(exchange: &Exchange) -> u64 {
    // What the allocator hands out for a string: its capacity rounded up, plus a header
    // (glibc: 16-byte granules, 8-byte header, 32 bytes at least); nothing when empty.
    let allocation =
        |capacity: usize| if capacity == 0 { 0 } else { (capacity + 8).div_ceil(16).max(2) * 16 };
    let small = |texts: &[Option<&str>]| {
        texts
            .iter()
            .flatten()
            .filter(|text| text.len() > 24)
            .map(|text| allocation(text.len()))
            .sum::<usize>()
    };
    let request = &exchange.request;
    let mut total = size_of::<Exchange>()
        + small(&[
            Some(&request.method),
            Some(&request.scheme),
            Some(&request.host),
            Some(&request.http_version),
            Some(&request.body.content_encoding),
            request.body.mime_type.as_deref(),
            exchange.server_address.as_deref(),
            exchange.client_address.as_deref(),
            exchange.connection.as_deref(),
        ])
        + allocation(request.path.capacity())
        + request.headers.heap_size();
    if let Some(response) = &exchange.response {
        total += small(&[
            Some(&response.reason),
            Some(&response.http_version),
            Some(&response.body.content_encoding),
            response.body.mime_type.as_deref(),
        ]) + response.headers.heap_size();
    }
    if let Some(error) = &exchange.error {
        total += allocation(error.len());
    }
    if exchange.tls.is_some() {
        total += size_of::<crate::model::TlsInfo>() + 256;
    }
    total as u64
}

fn read_one(
    source_idx: usize,
    input: &Input,
    limits: &ReadLimits,
) -> Result<ReadOne, CaptureError> {
    if input.bytes.is_empty() {
        return Err(CaptureError::Empty { name: input.name.clone() });
    }
    let sniffed = sniff(&input.bytes);
    let mut problems = Vec::new();
    let payload = match sniffed.compression {
        Compression::None => {
            if input.bytes.len() as u64 > limits.max_input_bytes {
                return Err(CaptureError::TooLarge {
                    name: input.name.clone(),
                    limit: limits.max_input_bytes,
                });
            }
            input.bytes.clone()
        }
        compression => {
            let max_inflated = limits.max_inflated(input.bytes.len() as u64);
            let inflated =
                sniff::inflate(&input.bytes, compression, max_inflated).map_err(|reason| {
                    CaptureError::Decompress { name: input.name.clone(), compression, reason }
                })?;
            if let Some(stop) = &inflated.stopped {
                let message = match stop {
                    sniff::InflateStop::Cut { reason } => format!(
                        "the {compression:?} stream is cut short or damaged here ({reason}); the {} bytes that \
                         inflated before it are read, the rest is lost",
                        inflated.bytes.len()
                    ),
                    sniff::InflateStop::Limit => {
                        let by_ratio =
                            limits.max_inflate_ratio.saturating_mul(input.bytes.len() as u64);
                        if max_inflated == limits.max_input_bytes && by_ratio > max_inflated {
                            format!(
                                "stopped inflating at {max_inflated} bytes, the limit on an input's size after \
                                 decompression; only that much is read. Raise it with regauth's --max-input-size"
                            )
                        } else {
                            format!(
                                "stopped inflating at {max_inflated} bytes: the limit for this input is {} times its \
                                 compressed size (at least {} MiB), which guards against decompression bombs; only \
                                 that much is read. Raise it with regauth's --max-inflate-ratio",
                                limits.max_inflate_ratio,
                                INFLATE_FLOOR_BYTES >> 20
                            )
                        }
                    }
                };
                problems.push(InputProblem {
                    location: Location {
                        source: input.name.clone(),
                        byte_offset: Some(inflated.compressed_offset),
                        ..Location::default()
                    },
                    message,
                });
            }
            inflated.bytes
        }
    };
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
    let context = ReaderContext::new(source_idx, &input.name, payload.len() as u64, limits);
    let (exchanges, reader_problems, producer) = match format {
        Format::Har => har::read_with(&context, payload)?,
        Format::MitmproxyFlow => mitm::read_with(&context, payload)?,
        Format::Unknown => {
            return Err(CaptureError::UnknownFormat {
                name: input.name.clone(),
                found: sniff::describe_start(&payload),
            });
        }
    };
    // The inflate problem (an offset in the file) first: it explains the reader's (offsets in
    // the inflated stream), e.g. a HAR cut short because its gzip stream was.
    problems.extend(reader_problems);
    info.producer = producer;
    Ok((info, exchanges, problems))
}
