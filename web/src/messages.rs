//! What the page and the analysis worker say to each other.
//!
//! Plain serde types that cross the worker boundary as one JSON string per message (a string
//! is copied by `postMessage` in one go; no JS object per field). The capture itself never
//! crosses as data: the page posts the `File` objects beside a [`ToWorker::Load`], and the
//! worker reads them in slices. What comes back is what the page draws, built from the masked
//! report, in pieces whose size does not grow with the capture: the [`Overview`] when the
//! analysis is done, then on request a page of session cards, one session's details, one
//! exchange. Secrets only on an explicit [`ToWorker::Reveal`] or a detail asked for with
//! `reveal`.

use regauth_core::report::exchanges::SourceRow;
use serde::{Deserialize, Serialize};

use crate::detail::ExchangeDetail;
use crate::view_model::{CardFilter, CardPage, Overview, SessionDetail, TokenSecrets};

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
    /// Send the secrets of the tokens session `session` shows, unmasked (the user pressed
    /// "Reveal secrets").
    Reveal { session: usize },
    /// Send one exchange for the detail view, masked unless `reveal`.
    Exchange { index: usize, reveal: bool },
    /// Send session `index` (0-based) opened: steps, diagram, findings, tokens.
    Session { index: usize },
    /// Send the session cards that fit `filter`, a page from the `from`-th on.
    Cards { filter: CardFilter, from: usize },
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
    /// The analysis is done: what the page shows first.
    Analysed(Box<Overview>),
    /// Nothing could be analysed.
    Refused(LoadFailure),
    /// Unmasked secrets of the tokens session `session` shows, in the order of its
    /// [`SessionDetail::tokens`].
    Secrets {
        session: usize,
        tokens: Vec<TokenSecrets>,
    },
    Exchange(Box<ExchangeDetail>),
    Session(Box<SessionDetail>),
    Cards(CardPage),
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
            ToWorker::Reveal { session: 2 },
            ToWorker::Exchange { index: 3, reveal: false },
            ToWorker::Session { index: 7 },
            ToWorker::Cards { filter: CardFilter::Failure, from: 50 },
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
        let analysed = crate::view_model::tests::analysed_sample("clock-ahead.flow");
        let failed = analysed.overview().first_failed.unwrap();
        for reply in [
            FromWorker::Analysed(Box::new(analysed.overview())),
            FromWorker::Session(Box::new(analysed.session(failed).unwrap())),
            FromWorker::Cards(analysed.cards(CardFilter::Failure, 0)),
        ] {
            assert_eq!(decode::<FromWorker>(&encode(&reply)), Ok(reply));
        }
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
