//! App state and actions: plain Rust, no `html!`, no web-sys, so it is tested natively.
//!
//! Loading a file runs the whole core pipeline here (read, analyse, report, view model): it
//! takes milliseconds for real captures, and doing it in the reducer keeps the components
//! free of logic. Secrets: the page model is built from the masked report; the revealed one is
//! built only while the user has asked for it, and dropped again when they hide it.

use std::rc::Rc;

use bytes::Bytes;
use regauth_core::analysis::{Analysis, AnalysisConfig, analyze};
use regauth_core::capture::{Capture, CaptureError, Format, Input, read, sniff};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::exchanges::ExchangeList;
use regauth_core::units::human_bytes;
use yew::Reducible;

use crate::view_model::{self, PageModel, TokenSecrets};

#[derive(Clone, Debug, Default)]
pub struct AppState {
    /// What was dropped, as far as it could be identified.
    pub file: Option<FileSummary>,
    pub page: Page,
}

#[derive(Clone, Debug, Default)]
pub enum Page {
    #[default]
    Empty,
    Error(ErrorView),
    Loaded(Rc<Loaded>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FileSummary {
    pub name: String,
    pub size: u64,
    pub format: Format,
}

/// A capture that was read and analysed.
#[derive(Debug)]
pub struct Loaded {
    capture: Rc<Capture>,
    analysis: Rc<Analysis>,
    /// Built from the masked report: holds no secret.
    pub model: Rc<PageModel>,
    /// Masked token secrets (signature hidden), always available.
    pub masked: Rc<Vec<TokenSecrets>>,
    /// Present only while the user has chosen to reveal secrets.
    pub revealed: Option<Rc<Vec<TokenSecrets>>>,
}

impl Loaded {
    /// The token secrets to show: revealed ones if the user asked, else masked ones.
    pub fn secrets(&self) -> Rc<Vec<TokenSecrets>> {
        self.revealed.clone().unwrap_or_else(|| self.masked.clone())
    }
}

/// What the page shows instead of an analysis when there is none to show.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorView {
    pub headline: String,
    pub details: Vec<String>,
    pub hint: &'static str,
}

/// Why nothing could be analysed.
pub enum ErrorCause<'a> {
    /// The browser could not read the file.
    Read(&'a str),
    /// The core refused the input.
    Capture(&'a [CaptureError]),
}

pub enum Action {
    FileLoaded { name: String, bytes: Bytes },
    ReadFailed(String),
    RevealSecrets(bool),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::FileLoaded { name, bytes } => Rc::new(load(name, bytes)),
            Action::ReadFailed(message) => Rc::new(AppState {
                file: None,
                page: Page::Error(error_view(ErrorCause::Read(&message))),
            }),
            Action::RevealSecrets(reveal) => {
                let Page::Loaded(loaded) = &self.page else { return self };
                if reveal == loaded.revealed.is_some() {
                    return self;
                }
                let revealed = reveal.then(|| {
                    let report =
                        AnalysisReport::new(&loaded.capture, &loaded.analysis, Secrets::Revealed);
                    Rc::new(view_model::token_secrets(&report))
                });
                let loaded = Loaded {
                    capture: loaded.capture.clone(),
                    analysis: loaded.analysis.clone(),
                    model: loaded.model.clone(),
                    masked: loaded.masked.clone(),
                    revealed,
                };
                Rc::new(AppState { file: self.file.clone(), page: Page::Loaded(Rc::new(loaded)) })
            }
        }
    }
}

/// Reads and analyses one file. Never panics: unusable input becomes the error page.
pub fn load(name: String, bytes: Bytes) -> AppState {
    let size = bytes.len() as u64;
    let (capture, errors) = read(&[Input::new(name.clone(), bytes.clone())]);
    // The reader knows the format after decompression, but says "unknown" for input it
    // refused; then the sniffed start of the file is the better description.
    let format = match capture.sources.first() {
        Some(source) if errors.is_empty() => source.format,
        _ => sniff(&bytes).format,
    };
    let file = Some(FileSummary { name, size, format });
    if !errors.is_empty() {
        return AppState { file, page: Page::Error(error_view(ErrorCause::Capture(&errors))) };
    }
    let analysis = analyze(&capture, &AnalysisConfig::default());
    let report = AnalysisReport::new(&capture, &analysis, Secrets::Masked);
    let exchanges = ExchangeList::from_capture(&capture);
    let model = view_model::page(&report, &exchanges.exchanges);
    let loaded = Loaded {
        capture: Rc::new(capture),
        analysis: Rc::new(analysis),
        model: Rc::new(model),
        masked: Rc::new(view_model::token_secrets(&report)),
        revealed: None,
    };
    AppState { file, page: Page::Loaded(Rc::new(loaded)) }
}

/// The one place that turns a failure into what the user sees.
pub fn error_view(cause: ErrorCause<'_>) -> ErrorView {
    const FORMATS: &str = "regauth reads HAR files (browser dev tools, mitmproxy `--set hardump=`, Playwright) and mitmproxy flow files (`mitmdump -w`), also gzip-compressed.";
    match cause {
        ErrorCause::Read(message) => ErrorView {
            headline: "The browser could not read the file".to_owned(),
            details: vec![message.to_owned()],
            hint: "Try choosing the file again; if it is on a network drive, copy it locally first.",
        },
        ErrorCause::Capture(errors) => {
            let headline = match errors.first() {
                Some(CaptureError::UnknownFormat { .. }) => "Not a capture regauth can read",
                Some(CaptureError::Empty { .. }) => "The file is empty",
                Some(CaptureError::TooLarge { .. }) => "The capture is too large",
                Some(CaptureError::Decompress { .. }) => "The compressed file is damaged",
                Some(CaptureError::Malformed { .. }) => "The capture is damaged",
                // `CaptureError` is non-exhaustive: a new kind still gets a clear message.
                Some(_) | None => "The capture could not be read",
            };
            ErrorView {
                headline: headline.to_owned(),
                details: errors.iter().map(ToString::to_string).collect(),
                hint: FORMATS,
            }
        }
    }
}

impl AppState {
    /// One line describing what was dropped, computed by the core.
    pub fn summary_line(&self) -> String {
        if let Page::Error(error) = &self.page
            && self.file.is_none()
        {
            return format!("Could not read the file: {}", error.details.join("; "));
        }
        match &self.file {
            None => "No capture loaded yet.".to_owned(),
            Some(file) => {
                let kind = match file.format {
                    Format::Har => "HAR",
                    Format::MitmproxyFlow => "mitmproxy flow",
                    Format::Unknown => "unknown format",
                };
                format!("{}: {} bytes ({}), {}", file.name, file.size, human_bytes(file.size), kind)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    fn loaded(state: &AppState) -> &Loaded {
        match &state.page {
            Page::Loaded(loaded) => loaded,
            other => panic!("expected an analysis, got {other:?}"),
        }
    }

    #[test]
    fn loaded_file_is_summarised_by_the_core() {
        let state = Rc::new(AppState::default());
        assert_eq!(state.summary_line(), "No capture loaded yet.");
        let state = state.reduce(Action::FileLoaded {
            name: "a.har".into(),
            bytes: Bytes::from(format!("{:<2000}", r#"{"log":{"version":"1.2","entries":[]}}"#)),
        });
        assert_eq!(state.summary_line(), "a.har: 2000 bytes (2.0 KiB), HAR");
        let state = state.reduce(Action::ReadFailed("boom".into()));
        assert_eq!(state.summary_line(), "Could not read the file: boom");
        assert!(matches!(&state.page, Page::Error(error) if error.details == ["boom"]));
    }

    #[test]
    fn har_without_entries_is_an_error_page_not_an_empty_analysis() {
        // A HAR with no entry proves nothing: like the CLI (exit 2), the page says so.
        let state = load("e.har".into(), Bytes::from_static(br#"{"log":{"entries":[]}}"#));
        let Page::Error(error) = &state.page else { panic!("expected an error page") };
        assert!(error.details.iter().any(|detail| detail.contains("no exchange")), "{error:?}");
    }

    #[test]
    fn unreadable_input_becomes_the_error_page_not_a_panic() {
        let state = load("x.bin".into(), Bytes::from(vec![b'x'; 3000]));
        assert_eq!(state.summary_line(), "x.bin: 3000 bytes (2.9 KiB), unknown format");
        let Page::Error(error) = &state.page else { panic!("expected an error page") };
        assert_eq!(error.headline, "Not a capture regauth can read");
        assert!(error.details[0].starts_with("x.bin: not a capture"), "{:?}", error.details);

        let state = load("empty.flow".into(), Bytes::new());
        assert!(matches!(&state.page, Page::Error(error) if error.headline == "The file is empty"));

        // Truncated in the middle: whatever the reader makes of it, the app does not panic.
        let sample = samples::find("clock-ahead.flow").unwrap();
        for cut in [1, 10, 100, 5000, sample.bytes.len() - 1] {
            let _ = load("cut.flow".into(), Bytes::from_static(&sample.bytes[..cut]));
        }
        let _ = load("garbage.har".into(), Bytes::from_static(b"{\"log\": [1, 2"));
    }

    #[test]
    fn secrets_are_masked_until_revealed_and_masked_again_after() {
        let sample = samples::find("clock-ahead.flow").unwrap();
        let state = Rc::new(load(sample.name.into(), Bytes::from_static(sample.bytes)));
        let masked = loaded(&state).secrets();
        let token = &masked[0].token;
        let signature = token.rsplit('.').next().unwrap_or_default().to_owned();
        assert!(loaded(&state).revealed.is_none());

        let state = state.reduce(Action::RevealSecrets(true));
        let revealed = loaded(&state).secrets();
        let real_signature = revealed[0].token.rsplit('.').next().unwrap_or_default();
        assert_ne!(real_signature, signature, "the masked token must not carry the signature");
        assert!(real_signature.len() > 40, "{real_signature}");
        // The page model never carries the signature, whatever the toggle says.
        assert!(!format!("{:?}", loaded(&state).model).contains(real_signature));

        let state = state.reduce(Action::RevealSecrets(false));
        assert!(loaded(&state).revealed.is_none());
        assert_eq!(loaded(&state).secrets()[0].token, *token);
    }
}
