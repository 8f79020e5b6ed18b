//! What the page and the analysis worker say to each other.
//!
//! Plain serde types that cross the worker boundary as one JSON string per message (a string
//! is copied by `postMessage` in one go; no JS object per field). The capture itself never
//! crosses as data: the page posts the `File` objects beside a [`ToWorker::Load`], and the
//! worker reads them in slices. What comes back is the masked report and what the page draws;
//! secrets only on an explicit [`ToWorker::Reveal`] or a detail asked for with `reveal`.

use regauth_core::report::analysis::AnalysisReport;
use regauth_core::report::exchanges::{ExchangeRow, SourceRow};
use serde::{Deserialize, Serialize};

use crate::detail::ExchangeDetail;
use crate::view_model::TokenSecrets;

/// The largest input, all files together, the browser analyses. wasm32 addresses 4 GiB at
/// most, and reading keeps the input plus the exchanges read from it (up to about its size
/// again) plus the analysis: 1 GiB leaves room for all of that. The core's default (4 GiB)
/// is for native use.
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

/// A request from the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ToWorker {
    /// Read and analyse the files posted with this message, in this order, as one timeline.
    Load,
    /// Analyse a bundled sample (the worker holds their bytes; the page only their names).
    LoadSample { name: String },
    /// Send the token secrets unmasked (the user pressed "Reveal secrets").
    Reveal,
    /// Send one exchange for the detail view, masked unless `reveal`.
    Exchange { index: usize, reveal: bool },
    /// Produce a file to download.
    Export { export: ExportKind },
}

/// What the page can download; each is byte for byte what the matching CLI command writes
/// (see [`crate::pipeline`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportKind {
    /// `regauth.analysis/v1`: `regauth analyze --format json`.
    AnalysisJson,
    /// The summary to paste into an issue: `regauth analyze --format markdown`.
    Markdown,
    /// One session's sequence diagram (0-based): `regauth diagram --session N+1 --format mermaid`.
    Mermaid { session: usize },
    /// The same as an SVG image: `regauth diagram --session N+1 --format svg`.
    Svg { session: usize },
    /// A redacted copy of input `source` in its own format: `regauth redact IN -o OUT`.
    Redacted { source: usize },
}

/// A message from the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FromWorker {
    /// The worker's module is running and listens.
    Ready,
    Progress(Progress),
    Analysed(Box<Analysed>),
    /// Nothing could be analysed.
    Refused(LoadFailure),
    /// Unmasked token secrets, in report order.
    Secrets {
        tokens: Vec<TokenSecrets>,
    },
    Exchange(Box<ExchangeDetail>),
    /// A file to download; its bytes travel beside this message as a `Uint8Array` (a
    /// redacted flow file is binary, and a large copy is transferred, not copied).
    Export {
        file_name: String,
        mime: String,
    },
    /// An export the worker could not make (e.g. a redaction the core refused), in words.
    ExportFailed {
        message: String,
    },
    /// A request the worker could not serve (no capture loaded, unknown exchange).
    Unavailable {
        message: String,
    },
}

/// How far the worker got with a load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub phase: Phase,
    /// Bytes of all files read so far, and in total.
    pub bytes_read: u64,
    pub bytes_total: u64,
    /// Exchanges found, once the files are parsed.
    pub exchanges: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Copying the files' bytes into the worker.
    Reading,
    /// The core parses HAR/flow and merges the timeline.
    Parsing,
    /// The auth engine runs.
    Analysing,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Reading => "Reading the file",
            Phase::Parsing => "Parsing the capture",
            Phase::Analysing => "Analysing the auth sequences",
        }
    }
}

/// A finished analysis: the masked report plus what the page needs to draw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysed {
    /// The masked `regauth.analysis/v1` report (the typed contract, unchanged).
    pub report: AnalysisReport,
    /// Rows of the exchanges the report refers to (sessions, findings, tokens, clocks), in
    /// timeline order; not every exchange of a large capture.
    pub exchanges: Vec<ExchangeRow>,
    /// Exchanges in the capture, all of them.
    pub exchange_count: usize,
    /// Per session (same order as `report.sessions`): facts the report does not carry.
    pub session_facts: Vec<SessionFacts>,
    /// Inputs that could not be used while others could (one message each).
    pub refused_inputs: Vec<String>,
}

/// What the overview shows of a session beyond the report: who the client was and how long
/// it took.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionFacts {
    /// The `User-Agent` the client sent (first one seen in the session).
    pub user_agent: Option<String>,
    /// From the first request's start to the last response's end, capture clock.
    pub duration_seconds: Option<f64>,
}

/// Why a load gave nothing to show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadFailure {
    /// The inputs as far as they could be identified (format sniffed from their start).
    pub sources: Vec<SourceRow>,
    pub kind: FailureKind,
    /// One line per refused input, the core's own words.
    pub details: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    UnknownFormat,
    Empty,
    TooLarge,
    Decompress,
    Malformed,
    NoExchanges,
    /// The browser could not read a file, or could not give the worker the memory for it.
    Unreadable,
    Other,
}

/// Encodes a message for `postMessage`.
pub fn encode<T: Serialize>(message: &T) -> String {
    // Serialising these plain types cannot fail (no maps with non-string keys, no I/O).
    serde_json::to_string(message).unwrap_or_default()
}

/// Decodes a message; a malformed one is an error the caller reports, never a panic.
pub fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|err| format!("malformed worker message: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_tagged_json() {
        let requests = [
            ToWorker::Load,
            ToWorker::LoadSample { name: "clock-ahead.flow".into() },
            ToWorker::Reveal,
            ToWorker::Exchange { index: 3, reveal: false },
            ToWorker::Export { export: ExportKind::AnalysisJson },
            ToWorker::Export { export: ExportKind::Markdown },
            ToWorker::Export { export: ExportKind::Mermaid { session: 2 } },
            ToWorker::Export { export: ExportKind::Svg { session: 0 } },
            ToWorker::Export { export: ExportKind::Redacted { source: 1 } },
        ];
        for request in requests {
            let text = encode(&request);
            assert_eq!(decode::<ToWorker>(&text), Ok(request.clone()), "{text}");
        }
        assert_eq!(encode(&ToWorker::Load), r#"{"type":"load"}"#);
        assert!(decode::<ToWorker>(r#"{"type":"format-disk"}"#).is_err());
        assert!(decode::<FromWorker>("not json").is_err());
    }

    #[test]
    fn every_reply_round_trips_including_ones_with_a_kind_field() {
        let refused = FromWorker::Refused(LoadFailure {
            sources: Vec::new(),
            kind: FailureKind::UnknownFormat,
            details: vec!["x: not a capture".into()],
        });
        assert_eq!(decode::<FromWorker>(&encode(&refused)), Ok(refused));
        let analysed = FromWorker::Analysed(Box::new(crate::view_model::tests::analysed_sample(
            "clock-ahead.flow",
        )));
        assert_eq!(decode::<FromWorker>(&encode(&analysed)), Ok(analysed));
    }

    #[test]
    fn progress_round_trips() {
        let progress = FromWorker::Progress(Progress {
            phase: Phase::Reading,
            bytes_read: 16 << 20,
            bytes_total: 200 << 20,
            exchanges: None,
        });
        assert_eq!(decode::<FromWorker>(&encode(&progress)), Ok(progress));
    }
}
