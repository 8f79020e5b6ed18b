//! The worker's work in plain Rust (tested natively): read the inputs with the core, analyse,
//! build the masked report and what the page draws, and answer later requests (secrets,
//! exchange details, exports) from the capture it keeps.
//!
//! ```text
//!  inputs ─► capture::read ─► analyze ─► AnalysisReport (masked) + referenced ExchangeRows
//!               │ (Parsing)     │ (Analysing)                 │
//!               └──── Progress messages ──────────────────────┴─► page
//!  Workbench { capture, analysis } stays in the worker for Reveal / Exchange / Export
//! ```

use std::collections::BTreeSet;

use regauth_core::analysis::{Analysis, AnalysisConfig, analyze};
use regauth_core::capture::{Capture, CaptureError, Format, Input, ReadLimits, read_with, sniff};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::exchanges::{ExchangeList, SourceRow, compression_name, format_name};

use crate::detail::{ExchangeDetail, exchange_detail};
use crate::messages::{
    Analysed, ExportKind, FailureKind, FromWorker, LoadFailure, MAX_INPUT_BYTES, Phase, Progress,
    SessionFacts,
};
use crate::view_model::{self, TokenSecrets};

/// A loaded capture, kept by the worker until the next load.
pub struct Workbench {
    capture: Capture,
    analysis: Analysis,
}

/// Reads and analyses `inputs` as one timeline. `on_progress` hears each phase.
pub fn load(
    inputs: &[Input],
    on_progress: &mut dyn FnMut(Progress),
) -> Result<(Workbench, Analysed), LoadFailure> {
    let total: u64 = inputs.iter().map(|input| input.bytes.len() as u64).sum();
    if let Some(failure) =
        too_large(inputs.iter().map(|input| (input.name.as_str(), input.bytes.len() as u64)))
    {
        return Err(failure);
    }
    let progress =
        |phase, exchanges| Progress { phase, bytes_read: total, bytes_total: total, exchanges };
    on_progress(progress(Phase::Parsing, None));
    let (capture, errors) = read_with(inputs, &browser_limits());
    if capture.exchanges.is_empty() && !errors.is_empty() {
        return Err(LoadFailure {
            sources: inputs.iter().map(sniffed_source).collect(),
            kind: failure_kind(&errors),
            details: errors.iter().map(ToString::to_string).collect(),
        });
    }
    on_progress(progress(Phase::Analysing, Some(capture.exchanges.len())));
    let analysis = analyze(&capture, &AnalysisConfig::default());
    let report = AnalysisReport::new(&capture, &analysis, Secrets::Masked);
    let referenced = referenced_exchanges(&report);
    let exchanges = ExchangeList::from_capture(&capture)
        .exchanges
        .into_iter()
        .filter(|row| referenced.contains(&row.index))
        .collect();
    let session_facts = analysis
        .sessions
        .iter()
        .map(|session| session_facts(&capture, &session.exchanges))
        .collect();
    let analysed = Analysed {
        report,
        exchanges,
        exchange_count: capture.exchanges.len(),
        session_facts,
        refused_inputs: errors.iter().map(ToString::to_string).collect(),
    };
    Ok((Workbench { capture, analysis }, analysed))
}

/// The core's read limits with the input ceiling lowered to what wasm32 can hold, so a gzip
/// capture that inflates past it is cut with a located problem instead of aborting the module.
pub fn browser_limits() -> ReadLimits {
    ReadLimits { max_input_bytes: MAX_INPUT_BYTES, ..ReadLimits::DEFAULT }
}

/// The refusal for inputs over the browser's ceiling, if they are (checked before reading a
/// byte, by the page and again by the worker).
pub fn too_large<'a>(files: impl IntoIterator<Item = (&'a str, u64)>) -> Option<LoadFailure> {
    let files: Vec<(&str, u64)> = files.into_iter().collect();
    let total: u64 = files.iter().map(|(_, size)| size).sum();
    (total > MAX_INPUT_BYTES).then(|| LoadFailure {
        sources: files
            .iter()
            .map(|(name, size)| SourceRow {
                name: (*name).to_owned(),
                format: format_name(Format::Unknown).to_owned(),
                compression: "none".to_owned(),
                producer: None,
                size: *size,
            })
            .collect(),
        kind: FailureKind::TooLarge,
        details: vec![format!(
            "{} in all, over the {} the browser analyses (WebAssembly addresses at most 4 GiB, and analysis needs about twice the input); use the CLI for larger captures: `regauth analyze FILE`",
            regauth_core::units::human_bytes(total),
            regauth_core::units::human_bytes(MAX_INPUT_BYTES),
        )],
    })
}

fn sniffed_source(input: &Input) -> SourceRow {
    let sniffed = sniff(&input.bytes);
    SourceRow {
        name: input.name.clone(),
        format: format_name(sniffed.format).to_owned(),
        compression: compression_name(sniffed.compression).to_owned(),
        producer: None,
        size: input.bytes.len() as u64,
    }
}

fn failure_kind(errors: &[CaptureError]) -> FailureKind {
    match errors.first() {
        Some(CaptureError::UnknownFormat { .. }) => FailureKind::UnknownFormat,
        Some(CaptureError::Empty { .. }) => FailureKind::Empty,
        Some(CaptureError::TooLarge { .. }) => FailureKind::TooLarge,
        Some(CaptureError::Decompress { .. }) => FailureKind::Decompress,
        Some(CaptureError::Malformed { .. }) => FailureKind::Malformed,
        Some(CaptureError::NoExchanges { .. }) => FailureKind::NoExchanges,
        // `CaptureError` is non-exhaustive: a new kind still gets a clear message.
        Some(_) | None => FailureKind::Other,
    }
}

/// Every exchange the report names: the page needs rows for these only.
fn referenced_exchanges(report: &AnalysisReport) -> BTreeSet<usize> {
    let mut referenced = BTreeSet::new();
    for session in &report.sessions {
        referenced.extend(&session.exchanges);
        referenced.extend(session.failed_exchange);
        for step in &session.steps {
            referenced.extend(&step.exchanges);
        }
    }
    for finding in &report.findings {
        referenced.extend(&finding.exchanges);
    }
    for token in &report.tokens {
        referenced.insert(token.issued_by);
        referenced.extend(&token.uses);
        referenced.extend(&token.rejected_uses);
    }
    for clock in &report.clocks {
        referenced.extend(&clock.exchanges);
    }
    referenced
}

fn session_facts(capture: &Capture, exchanges: &[usize]) -> SessionFacts {
    let of_session = || exchanges.iter().filter_map(|&index| capture.exchanges.get(index));
    let user_agent = of_session()
        .find_map(|exchange| exchange.request.headers.get("user-agent"))
        .map(str::to_owned);
    let start = of_session().filter_map(|exchange| exchange.timing.request_start).min();
    let end = of_session()
        .filter_map(|exchange| exchange.timing.response_end.or(exchange.timing.request_start))
        .max();
    let duration_seconds = match (start, end) {
        (Some(start), Some(end)) => Some((end - start).num_milliseconds().max(0) as f64 / 1000.0),
        _ => None,
    };
    SessionFacts { user_agent, duration_seconds }
}

impl Workbench {
    /// The token secrets, unmasked.
    pub fn revealed_secrets(&self) -> Vec<TokenSecrets> {
        let report = AnalysisReport::new(&self.capture, &self.analysis, Secrets::Revealed);
        view_model::token_secrets(&report)
    }

    /// One exchange for the detail view, or `None` for an index the capture lacks.
    pub fn exchange(&self, index: usize, reveal: bool) -> Option<ExchangeDetail> {
        let exchange = self.capture.exchanges.get(index)?;
        let source = self
            .capture
            .sources
            .get(exchange.origin.source)
            .map_or("?", |source| source.name.as_str());
        Some(exchange_detail(exchange, source, reveal))
    }

    /// A file to download.
    pub fn export(&self, kind: ExportKind) -> FromWorker {
        match kind {
            ExportKind::AnalysisJson => FromWorker::Export {
                file_name: format!("{}.analysis.json", self.base_name()),
                mime: "application/json".to_owned(),
                text: analysis_json(&self.capture, &self.analysis),
            },
        }
    }

    /// The first input's name without its extensions, for download names.
    fn base_name(&self) -> String {
        let name = self.capture.sources.first().map_or("capture", |source| source.name.as_str());
        let base = name.split('.').next().unwrap_or(name);
        let safe: String = base
            .chars()
            .map(|ch| if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' { ch } else { '_' })
            .collect();
        if safe.is_empty() { "capture".to_owned() } else { safe }
    }
}

/// `regauth.analysis/v1` exactly as `regauth analyze --format json` writes it: the same report
/// (masked), serde_json's pretty printer, one newline at the end.
pub fn analysis_json(capture: &Capture, analysis: &Analysis) -> String {
    let report = AnalysisReport::new(capture, analysis, Secrets::Masked);
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use regauth_core::analysis::Outcome;

    use super::*;
    use crate::samples;

    fn sample_input(name: &str) -> Input {
        Input::new(name, samples::bytes(name).unwrap())
    }

    #[test]
    fn a_sample_loads_with_phases_in_order_and_rows_for_what_the_report_names() {
        let mut phases = Vec::new();
        let (bench, analysed) =
            load(&[sample_input("clock-ahead.flow")], &mut |progress| phases.push(progress.phase))
                .unwrap();
        assert_eq!(phases, [Phase::Parsing, Phase::Analysing]);
        assert_eq!(analysed.report.outcome, Outcome::Failure);
        assert_eq!(analysed.session_facts.len(), analysed.report.sessions.len());
        let failed =
            analysed.report.sessions.iter().find(|s| s.outcome == Outcome::Failure).unwrap();
        assert!(
            failed
                .exchanges
                .iter()
                .all(|index| analysed.exchanges.iter().any(|row| row.index == *index))
        );
        assert!(analysed.exchanges.len() <= analysed.exchange_count);
        let facts = &analysed.session_facts[failed.index];
        assert!(facts.user_agent.as_deref().is_some_and(|agent| !agent.is_empty()), "{facts:?}");
        assert!(facts.duration_seconds.is_some_and(|seconds| seconds >= 0.0));
        // Secrets: masked in the report, revealed only on request.
        let masked = &analysed.report.tokens[0].token;
        let revealed = &bench.revealed_secrets()[0].token;
        assert_ne!(masked, revealed);
        assert!(revealed.starts_with(masked.rsplit_once('.').unwrap().0));
    }

    #[test]
    fn the_export_is_what_the_cli_writes() {
        let input = sample_input("clock-ahead.flow");
        let (bench, _) = load(std::slice::from_ref(&input), &mut |_| {}).unwrap();
        let FromWorker::Export { file_name, text, .. } = bench.export(ExportKind::AnalysisJson)
        else {
            panic!("expected a file")
        };
        assert_eq!(file_name, "clock-ahead.analysis.json");
        // The same steps as `regauth analyze --format json` (crates/regauth-cli/src/analyze.rs).
        let (capture, _) = regauth_core::capture::read(&[input]);
        let report = AnalysisReport::new(
            &capture,
            &analyze(&capture, &AnalysisConfig::default()),
            Secrets::Masked,
        );
        let mut expected = serde_json::to_vec_pretty(&report).unwrap();
        expected.push(b'\n');
        assert_eq!(text.as_bytes(), expected.as_slice());
        assert!(text.starts_with("{\n  \"schema\": \"regauth.analysis/v1\""));
    }

    #[test]
    fn unusable_input_is_a_located_refusal_and_too_much_input_is_refused_before_reading() {
        let failure =
            load(&[Input::new("notes.txt", &b"just some text\n"[..])], &mut |_| {}).err().unwrap();
        assert_eq!(failure.kind, FailureKind::UnknownFormat);
        assert!(
            failure.details[0].starts_with("notes.txt: not a capture"),
            "{:?}",
            failure.details
        );
        let failure = too_large([("a.har", MAX_INPUT_BYTES), ("b.har", 1)]).unwrap();
        assert_eq!(failure.kind, FailureKind::TooLarge);
        assert!(failure.details[0].contains("1.0 GiB"), "{:?}", failure.details);
        assert!(too_large([("a.har", MAX_INPUT_BYTES)]).is_none());
        // A HAR with no entry proves nothing: like the CLI (exit 2), the page says so.
        let failure = load(&[Input::new("e.har", &br#"{"log":{"entries":[]}}"#[..])], &mut |_| {})
            .err()
            .unwrap();
        assert_eq!(failure.kind, FailureKind::NoExchanges);
        assert!(failure.details.iter().any(|detail| detail.contains("no exchange")), "{failure:?}");
    }

    #[test]
    fn several_files_are_one_timeline_and_a_refused_one_is_named() {
        let (_, analysed) = load(
            &[
                sample_input("wrong-password.har"),
                sample_input("pull-success.flow"),
                Input::new("junk.bin", vec![b'x'; 100]),
            ],
            &mut |_| {},
        )
        .unwrap();
        let names: Vec<&str> =
            analysed.report.sources.iter().map(|source| source.name.as_str()).collect();
        assert_eq!(names, ["wrong-password.har", "pull-success.flow", "junk.bin"]);
        assert_eq!(analysed.refused_inputs.len(), 1, "{:?}", analysed.refused_inputs);
        assert!(analysed.refused_inputs[0].starts_with("junk.bin"));
        assert_eq!(analysed.report.outcome, Outcome::Failure);
        let alone = |name: &str| load(&[sample_input(name)], &mut |_| {}).unwrap().1.exchange_count;
        assert_eq!(
            analysed.exchange_count,
            alone("wrong-password.har") + alone("pull-success.flow"),
            "every exchange of both files is in the one timeline"
        );
    }

    #[test]
    fn exchange_details_are_masked_unless_revealed() {
        let (bench, analysed) = load(&[sample_input("clock-ahead.flow")], &mut |_| {}).unwrap();
        let token = &analysed.report.tokens[0];
        let retry = token.uses[0];
        let masked = bench.exchange(retry, false).unwrap();
        let revealed = bench.exchange(retry, true).unwrap();
        let auth = |detail: &ExchangeDetail| {
            detail
                .request_headers
                .iter()
                .find(|line| line.name.eq_ignore_ascii_case("authorization"))
                .map(|line| line.value.clone())
                .unwrap()
        };
        let full = bench.revealed_secrets()[0].token.clone();
        assert_eq!(auth(&revealed), format!("Bearer {full}"));
        assert!(!auth(&masked).contains(full.rsplit('.').next().unwrap()), "{}", auth(&masked));
        assert!(bench.exchange(usize::MAX, false).is_none());
        // The token service's answer: parsed fields, token masked.
        let issued = bench.exchange(token.issued_by, false).unwrap();
        assert!(
            issued.token_response.iter().any(|(name, _)| name == "expires_in"),
            "{:?}",
            issued.token_response
        );
        assert!(!format!("{issued:?}").contains(full.rsplit('.').next().unwrap()));
        assert!(!issued.token_request.is_empty(), "the token request's parameters");
    }
}
