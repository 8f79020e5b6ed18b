//! The worker's work in plain Rust (tested natively): read the inputs with the core, analyse,
//! build the masked report, and answer the page's requests (the overview, pages of session
//! cards, one session's details, secrets, exchange details, exports) from what it keeps.
//!
//! ```text
//!  inputs ─► capture::read ─► analyze ─► AnalysisReport (masked) + referenced ExchangeRows
//!               │ (Parsing)     │ (Analysing)        │ indexed once: view_model::Analysed
//!               └──── Progress messages ─────────────┴─► Overview ─► page
//!  Workbench { capture, analysis, analysed } stays in the worker for the later requests
//! ```

use std::cell::OnceCell;
use std::collections::BTreeSet;

use regauth_core::analysis::{Analysis, AnalysisConfig, analyze};
use regauth_core::capture::{
    Capture, CaptureError, Compression, Format, Input, ReadLimits, read_with, sniff,
};
use regauth_core::redact::{RedactConfig, redact};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::exchanges::{
    ExchangeList, ExchangeRow, SourceRow, compression_name, format_name,
};
use regauth_core::report::markdown::render_analysis;
use regauth_core::report::mermaid::render_mermaid;
use regauth_core::report::runs::{CaptureRun, Checked};
use regauth_core::report::svg::render_svg;

use crate::detail::{ExchangeDetail, exchange_detail};
use crate::messages::{ExportKind, FailureKind, LoadFailure, MAX_INPUT_BYTES, Phase, Progress};
use crate::timeline::tls_facts;
use crate::view_model::{self, Analysed, SessionFacts, TokenSecrets};

/// A loaded capture, kept by the worker until the next load.
pub struct Workbench {
    /// The inputs as read (for the redacted copies). The capture's exchanges are slices of
    /// these buffers already, so keeping them costs little beyond a compressed input.
    inputs: Vec<Input>,
    capture: Capture,
    analysis: Analysis,
    /// The masked report, indexed for the page's requests.
    analysed: Analysed,
    /// Every token's secrets unmasked, made on the first reveal (a report of its own).
    revealed: OnceCell<Vec<TokenSecrets>>,
}

/// A file for the page to offer as a download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    pub file_name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// Reads and analyses `inputs` as one timeline. `on_progress` hears each phase.
pub fn load(
    inputs: &[Input],
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Workbench, LoadFailure> {
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
    let session_facts: Vec<SessionFacts> = analysis
        .sessions
        .iter()
        .map(|session| session_facts(&capture, &session.exchanges))
        .collect();
    let refused_inputs: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let analysed =
        Analysed::new(report, exchanges, capture.exchanges.len(), &session_facts, refused_inputs);
    Ok(Workbench {
        inputs: inputs.to_vec(),
        capture,
        analysis,
        analysed,
        revealed: OnceCell::new(),
    })
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
        .map(|agent| agent.into_owned());
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
    /// The masked report and what the page's requests are answered from.
    pub fn analysed(&self) -> &Analysed {
        &self.analysed
    }

    /// Every token's secrets, unmasked, in report order.
    pub fn revealed_tokens(&self) -> &[TokenSecrets] {
        self.revealed.get_or_init(|| {
            let report = AnalysisReport::new(&self.capture, &self.analysis, Secrets::Revealed);
            report.tokens.iter().map(view_model::token_secrets).collect()
        })
    }

    /// The unmasked secrets of the tokens session `session` shows, in the order of its
    /// detail's tokens.
    pub fn revealed_secrets(&self, session: usize) -> Vec<TokenSecrets> {
        let all = self.revealed_tokens();
        self.analysed
            .session_tokens(session)
            .into_iter()
            .filter_map(|token| all.get(token).cloned())
            .collect()
    }

    /// One exchange for the detail view, or `None` for an index the capture lacks.
    pub fn exchange(&self, index: usize, reveal: bool) -> Option<ExchangeDetail> {
        let exchange = self.capture.exchanges.get(index)?;
        let source = self
            .capture
            .sources
            .get(exchange.origin.source)
            .map_or("?", |source| source.name.as_str());
        let mut detail = exchange_detail(exchange, source, reveal);
        detail.connection = tls_facts(&self.analysed.report, index);
        Some(detail)
    }

    /// A file to download, or why it cannot be made (a redaction the core refused).
    pub fn export(&self, kind: ExportKind) -> Result<Export, String> {
        let base = self.base_name();
        let export = |file_name: String, mime: &str, bytes: Vec<u8>| Export {
            file_name,
            mime: mime.to_owned(),
            bytes,
        };
        Ok(match kind {
            ExportKind::AnalysisJson => export(
                format!("{base}.analysis.json"),
                "application/json",
                analysis_json(&self.capture, &self.analysis).into_bytes(),
            ),
            ExportKind::Markdown => export(
                format!("{base}.analysis.md"),
                "text/markdown;charset=utf-8",
                self.markdown().into_bytes(),
            ),
            ExportKind::Mermaid { session } => export(
                format!("{base}.session-{}.mmd", session + 1),
                "text/plain;charset=utf-8",
                self.diagram(session, render_mermaid)?.into_bytes(),
            ),
            ExportKind::Svg { session } => export(
                format!("{base}.session-{}.svg", session + 1),
                "image/svg+xml",
                self.diagram(session, render_svg)?.into_bytes(),
            ),
            ExportKind::Redacted { source } => {
                let input = self
                    .inputs
                    .get(source)
                    .ok_or_else(|| format!("the capture has no input #{source}"))?;
                if let Some(refusal) = redaction_too_large(&input.name, input.bytes.len() as u64) {
                    return Err(refusal);
                }
                // The CLI's defaults, with the browser's input ceiling.
                let config = RedactConfig { limits: browser_limits() };
                let redacted = redact(&input.bytes, &config)
                    .map_err(|err| format!("cannot redact {}: {err}", input.name))?;
                let mime = match (redacted.compression, redacted.format) {
                    (Compression::Gzip, _) => "application/gzip",
                    (Compression::Zlib, _) => "application/zlib",
                    (Compression::None, Format::Har) => "application/json",
                    (Compression::None, _) => "application/octet-stream",
                };
                export(redacted_name(&input.name), mime, redacted.bytes)
            }
        })
    }

    /// `regauth analyze --format markdown`: one run named after the inputs, with the inputs
    /// that could not be used (the CLI's `analyze.rs` builds the same run).
    fn markdown(&self) -> String {
        let report = &self.analysed.report;
        let exchanges = ExchangeList::from_capture(&self.capture).exchanges;
        let run = CaptureRun {
            unusable: self.analysed.refused_inputs.clone(),
            ..CaptureRun::checked(
                report.sources.iter().map(|source| source.name.clone()).collect(),
                Checked { analysis: report, exchanges: &exchanges, check: None },
            )
        };
        render_analysis(&[run])
    }

    /// `regauth diagram --session N`: one session (0-based here, 1-based in the CLI), masked.
    fn diagram(
        &self,
        session: usize,
        render: fn(&AnalysisReport, &[ExchangeRow], Option<usize>) -> String,
    ) -> Result<String, String> {
        let report = &self.analysed.report;
        if session >= report.sessions.len() {
            return Err(format!("the capture has no session {}", session + 1));
        }
        let exchanges = ExchangeList::from_capture(&self.capture).exchanges;
        Ok(render(report, &exchanges, Some(session)))
    }

    /// The first input's name without its extensions, for download names.
    fn base_name(&self) -> String {
        let name = self.capture.sources.first().map_or("capture", |source| source.name.as_str());
        file_name_stem(name)
    }
}

/// A name's part before its first dot, cut to `[A-Za-z0-9_-]` (a download name must not carry
/// a path or anything odd from the capture's file name).
fn file_name_stem(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let base = name.split('.').next().unwrap_or(name);
    let safe: String = base
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' { ch } else { '_' })
        .collect();
    if safe.is_empty() { "capture".to_owned() } else { safe }
}

/// The largest input the page redacts: the copy is made beside the input and the analysis in
/// the worker's memory (wasm32: 4 GiB at most, often less), and running out of it kills the
/// worker and the analysis with it. Larger inputs are left to the CLI, which maps its input.
pub const MAX_REDACT_BYTES: u64 = 256 << 20;

/// Why `name` (`len` bytes) is not redacted on the page, or `None` when it can be.
fn redaction_too_large(name: &str, len: u64) -> Option<String> {
    (len > MAX_REDACT_BYTES).then(|| {
        format!(
            "{} is {}; the page redacts inputs of up to {} (the copy must fit in the browser's memory beside the analysis). Redact it with the CLI instead: regauth redact FILE -o COPY",
            regauth_core::display::safe(name),
            regauth_core::units::human_bytes(len),
            regauth_core::units::human_bytes(MAX_REDACT_BYTES),
        )
    })
}

/// `a.har.gz` → `a.redacted.har.gz`: the same extensions, so the copy opens like the original.
fn redacted_name(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let extensions: String = name
        .split_once('.')
        .map(|(_, rest)| {
            rest.chars()
                .map(|ch| if ch.is_ascii_alphanumeric() || ch == '.' { ch } else { '_' })
                .collect()
        })
        .unwrap_or_default();
    let stem = file_name_stem(name);
    if extensions.is_empty() {
        format!("{stem}.redacted")
    } else {
        format!("{stem}.redacted.{extensions}")
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
        let bench =
            load(&[sample_input("clock-ahead.flow")], &mut |progress| phases.push(progress.phase))
                .unwrap();
        let analysed = bench.analysed();
        assert_eq!(phases, [Phase::Parsing, Phase::Analysing]);
        assert_eq!(analysed.report.outcome, Outcome::Failure);
        let failed =
            analysed.report.sessions.iter().find(|s| s.outcome == Outcome::Failure).unwrap();
        assert!(
            failed
                .exchanges
                .iter()
                .all(|index| analysed.exchanges.iter().any(|row| row.index == *index))
        );
        assert!(analysed.exchanges.len() <= analysed.exchange_count);
        // The card shows who the client was and how long the session took.
        let cards = analysed.cards(view_model::CardFilter::All, 0).cards;
        let card = cards.iter().find(|card| card.index == failed.index).unwrap();
        assert!(card.client.as_deref().is_some_and(|agent| !agent.is_empty()), "{card:?}");
        assert!(card.duration.ends_with('s'), "{card:?}");
        // Secrets: masked in the report, revealed only on request, per session.
        let masked = &analysed.report.tokens[0].token;
        let revealed = &bench.revealed_tokens()[0].token;
        assert_ne!(masked, revealed);
        assert!(revealed.starts_with(masked.rsplit_once('.').unwrap().0));
        let session = analysed.report.tokens[0].session.unwrap();
        let detail = analysed.session(session).unwrap();
        let of_session = bench.revealed_secrets(session);
        assert_eq!(of_session.len(), detail.tokens.len());
        for (shown, full) in detail.tokens.iter().zip(&of_session) {
            assert_eq!(*full, bench.revealed_tokens()[shown.model.index]);
            assert_ne!(shown.masked, *full, "the detail's own secrets are masked");
        }
    }

    #[test]
    fn the_export_is_what_the_cli_writes() {
        let input = sample_input("clock-ahead.flow");
        let bench = load(std::slice::from_ref(&input), &mut |_| {}).unwrap();
        let Export { file_name, bytes, mime } = bench.export(ExportKind::AnalysisJson).unwrap();
        assert_eq!(file_name, "clock-ahead.analysis.json");
        assert_eq!(mime, "application/json");
        // The same steps as `regauth analyze --format json` (crates/regauth-cli/src/analyze.rs).
        let (capture, _) = regauth_core::capture::read(&[input]);
        let report = AnalysisReport::new(
            &capture,
            &analyze(&capture, &AnalysisConfig::default()),
            Secrets::Masked,
        );
        let mut expected = serde_json::to_vec_pretty(&report).unwrap();
        expected.push(b'\n');
        assert_eq!(bytes, expected);
        assert!(bytes.starts_with(b"{\n  \"schema\": \"regauth.analysis/v1\""));
    }

    #[test]
    fn markdown_and_diagram_exports_come_from_the_core_renderers() {
        let input = sample_input("push-insufficient-scope.flow");
        let bench = load(std::slice::from_ref(&input), &mut |_| {}).unwrap();
        let analysed = bench.analysed();
        let (capture, _) = regauth_core::capture::read(&[input]);
        let report = AnalysisReport::new(
            &capture,
            &analyze(&capture, &AnalysisConfig::default()),
            Secrets::Masked,
        );
        let rows = ExchangeList::from_capture(&capture).exchanges;
        let text = |kind| String::from_utf8(bench.export(kind).unwrap().bytes).unwrap();
        let markdown = text(ExportKind::Markdown);
        assert_eq!(markdown, regauth_core::report::markdown::render_markdown(&report, &rows));
        assert!(markdown.starts_with("## regauth analyze: `push-insufficient-scope.flow`"));
        assert!(markdown.contains("```mermaid"), "{markdown}");
        let failed = analysed.report.sessions.iter().find(|s| s.failed_step.is_some()).unwrap();
        let mermaid = text(ExportKind::Mermaid { session: failed.index });
        assert_eq!(mermaid, render_mermaid(&report, &rows, Some(failed.index)));
        assert!(mermaid.starts_with("sequenceDiagram\n") && mermaid.contains("-x"), "{mermaid}");
        let svg = bench.export(ExportKind::Svg { session: failed.index }).unwrap();
        assert_eq!(
            svg.file_name,
            format!("push-insufficient-scope.session-{}.svg", failed.index + 1)
        );
        assert_eq!(svg.bytes, render_svg(&report, &rows, Some(failed.index)).into_bytes());
        let missing = bench.export(ExportKind::Svg { session: report.sessions.len() });
        assert!(missing.unwrap_err().contains("no session"));
    }

    #[test]
    fn markdown_names_an_input_that_could_not_be_used_as_the_cli_does() {
        let bench = load(
            &[sample_input("wrong-password.har"), Input::new("junk.bin", vec![b'x'; 100])],
            &mut |_| {},
        )
        .unwrap();
        let markdown =
            String::from_utf8(bench.export(ExportKind::Markdown).unwrap().bytes).unwrap();
        assert!(
            markdown.starts_with("## regauth analyze: `wrong-password.har + junk.bin`"),
            "{markdown}"
        );
        assert!(markdown.contains("junk.bin: not a capture"), "{markdown}");
    }

    #[test]
    fn the_redacted_copy_is_the_cores_in_the_inputs_format_per_input() {
        let flow = sample_input("clock-ahead.flow");
        let har = Input::new("wrong-password.har.gz", {
            use std::io::Write as _;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&samples::bytes("wrong-password.har").unwrap()).unwrap();
            gz.finish().unwrap()
        });
        let bench = load(&[flow.clone(), har.clone()], &mut |_| {}).unwrap();
        let analysed = bench.analysed();
        let config = RedactConfig { limits: browser_limits() };
        let copy = bench.export(ExportKind::Redacted { source: 0 }).unwrap();
        assert_eq!(copy.file_name, "clock-ahead.redacted.flow");
        assert_eq!(copy.mime, "application/octet-stream");
        assert_eq!(copy.bytes, redact(&flow.bytes, &config).unwrap().bytes);
        let signature = analysed.report.tokens[0].token.len();
        let full = bench.revealed_tokens()[0].token.clone();
        assert!(full.len() > signature);
        let contains =
            |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
        assert!(contains(&flow.bytes, full.as_bytes()), "the sample holds the full token");
        assert!(!contains(&copy.bytes, full.as_bytes()), "the copy does not");
        let copy = bench.export(ExportKind::Redacted { source: 1 }).unwrap();
        assert_eq!(copy.file_name, "wrong-password.redacted.har.gz");
        assert_eq!(copy.mime, "application/gzip");
        assert_eq!(copy.bytes, redact(&har.bytes, &config).unwrap().bytes);
        assert_eq!(sniff(&copy.bytes).compression, Compression::Gzip);
        // Analysing the copy gives the same verdict.
        let again = load(
            &[Input::new(
                "copy.flow",
                bench.export(ExportKind::Redacted { source: 0 }).unwrap().bytes,
            )],
            &mut |_| {},
        )
        .unwrap();
        let original = load(&[flow], &mut |_| {}).unwrap();
        let verdict = |bench: &Workbench| {
            bench
                .analysed()
                .report
                .sessions
                .iter()
                .map(|session| (session.outcome, session.failed_step))
                .collect::<Vec<_>>()
        };
        assert_eq!(verdict(&again), verdict(&original));
        assert!(bench.export(ExportKind::Redacted { source: 2 }).is_err());
    }

    #[test]
    fn a_refused_redaction_is_a_message_without_the_input() {
        let bench = load(
            &[sample_input("wrong-password.har"), Input::new("junk.bin", vec![b'x'; 100])],
            &mut |_| {},
        )
        .unwrap();
        let error = bench.export(ExportKind::Redacted { source: 1 }).unwrap_err();
        assert!(error.starts_with("cannot redact junk.bin: not a capture"), "{error}");
        assert!(!error.contains("xxxx"), "{error}");
        assert_eq!(redacted_name("../../etc/x y.har"), "x_y.redacted.har");
        assert!(redaction_too_large("push.har", MAX_REDACT_BYTES).is_none());
        let refusal = redaction_too_large("push\u{1b}]0;x.har", MAX_REDACT_BYTES + 1).unwrap();
        assert!(refusal.contains("the page redacts inputs of up to 256.0 MiB"), "{refusal}");
        assert!(refusal.contains("regauth redact FILE -o COPY"), "{refusal}");
        assert!(!refusal.contains('\u{1b}'), "the name is shown escaped: {refusal}");
        assert_eq!(redacted_name("a.b c.flow"), "a.redacted.b_c.flow");
        assert_eq!(redacted_name("pasted"), "pasted.redacted");
        assert_eq!(file_name_stem("C:\\captures\\push.har"), "push");
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
        let bench = load(
            &[
                sample_input("wrong-password.har"),
                sample_input("pull-success.flow"),
                Input::new("junk.bin", vec![b'x'; 100]),
            ],
            &mut |_| {},
        )
        .unwrap();
        let analysed = bench.analysed();
        let names: Vec<&str> =
            analysed.report.sources.iter().map(|source| source.name.as_str()).collect();
        assert_eq!(names, ["wrong-password.har", "pull-success.flow", "junk.bin"]);
        assert_eq!(analysed.refused_inputs.len(), 1, "{:?}", analysed.refused_inputs);
        assert!(analysed.refused_inputs[0].starts_with("junk.bin"));
        assert_eq!(analysed.report.outcome, Outcome::Failure);
        let alone = |name: &str| {
            load(&[sample_input(name)], &mut |_| {}).unwrap().analysed().exchange_count
        };
        assert_eq!(
            analysed.exchange_count,
            alone("wrong-password.har") + alone("pull-success.flow"),
            "every exchange of both files is in the one timeline"
        );
    }

    #[test]
    fn exchange_details_are_masked_unless_revealed() {
        let bench = load(&[sample_input("clock-ahead.flow")], &mut |_| {}).unwrap();
        let token = &bench.analysed().report.tokens[0];
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
        let full = bench.revealed_tokens()[0].token.clone();
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
