//! App state and actions: plain Rust, no `html!`, no web-sys, so it is tested natively.
//!
//! The analysis runs in a Web Worker (see `bridge.rs`, `worker.rs`, `pipeline.rs`); the
//! reducer only records what the page asked for and what the worker answered. Choosing a file
//! moves to `Loading` at once (so it paints before any byte is read), progress messages update
//! it, and the masked report replaces it. Secrets: the page model is built from the masked
//! report; revealed token strings arrive only after an explicit reveal, and are dropped again
//! when the user masks them.

use std::rc::Rc;

use regauth_core::report::exchanges::SourceRow;
use regauth_core::units::human_bytes;
use yew::Reducible;

use crate::detail::ExchangeDetail;
use crate::messages::{Analysed, FailureKind, FromWorker, LoadFailure, Progress};
use crate::route::Route;
use crate::view_model::{self, PageModel, TokenSecrets};

#[derive(Clone, Debug, Default)]
pub struct AppState {
    pub page: Page,
    /// What the page shows and where (the URL fragment mirrors it).
    pub route: Route,
}

#[derive(Clone, Debug, Default)]
pub enum Page {
    #[default]
    Empty,
    /// The user cancelled a load; the page is empty again.
    Cancelled,
    Loading(LoadingView),
    Error(ErrorView),
    Loaded(Rc<Loaded>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct LoadingView {
    /// `a.har (200.0 MiB)`, `clock-ahead.flow (bundled sample)`.
    pub what: String,
    pub progress: Option<Progress>,
}

impl LoadingView {
    /// Share of the work done, 0 to 1, for the progress bar: reading is the first 70 %.
    pub fn fraction(&self) -> f64 {
        use crate::messages::Phase;
        match &self.progress {
            None => 0.0,
            Some(progress) => match progress.phase {
                Phase::Reading if progress.bytes_total > 0 => {
                    0.7 * progress.bytes_read as f64 / progress.bytes_total as f64
                }
                Phase::Reading => 0.0,
                Phase::Parsing => 0.75,
                Phase::Analysing => 0.9,
            },
        }
    }

    /// `Reading the file: 16.0 MiB of 200.0 MiB`, `Analysing …: 1200 exchanges found`.
    pub fn status(&self) -> String {
        match &self.progress {
            None => "Starting the analysis…".to_owned(),
            Some(progress) => {
                let mut line = format!(
                    "{}: {} of {} read",
                    progress.phase.label(),
                    human_bytes(progress.bytes_read),
                    human_bytes(progress.bytes_total)
                );
                if let Some(exchanges) = progress.exchanges {
                    line.push_str(&format!(", {exchanges} exchange(s) found"));
                }
                line
            }
        }
    }
}

/// A shared value compared by identity: props holding a whole report must not compare it
/// field by field on every render.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A capture the worker analysed.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub sources: Vec<SourceRow>,
    /// What the worker sent (masked): the diagram of the session on screen is built from it.
    pub analysed: Shared<Analysed>,
    /// Built from the masked report: holds no secret.
    pub model: Rc<PageModel>,
    /// Masked token secrets (signature hidden), always available.
    pub masked: Rc<Vec<TokenSecrets>>,
    /// Present only while the user has chosen to reveal secrets (and the worker sent them).
    pub revealed: Option<Rc<Vec<TokenSecrets>>>,
    /// The user asked to reveal; the worker has not answered yet.
    pub reveal_pending: bool,
    /// The exchange open in the detail view.
    pub detail: Option<Detail>,
    /// What became of the last export the user asked for.
    pub export: Option<ExportNote>,
}

/// The last export's state, shown next to the export buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportNote {
    /// Asked the worker; a redaction of a large capture takes a moment.
    Preparing,
    /// Handed to the browser as a download with this name.
    Saved(String),
    /// The worker could not make it (its words).
    Failed(String),
}

impl ExportNote {
    pub fn text(&self) -> String {
        match self {
            ExportNote::Preparing => "Preparing the file…".to_owned(),
            ExportNote::Saved(name) => format!("Saved {name} to your downloads."),
            ExportNote::Failed(message) => format!("Could not make the file: {message}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Detail {
    /// Asked the worker for exchange `#n`.
    Pending(usize),
    Shown(Rc<ExchangeDetail>),
}

impl Detail {
    pub fn index(&self) -> usize {
        match self {
            Detail::Pending(index) => *index,
            Detail::Shown(detail) => detail.index,
        }
    }
}

/// Compared by content that changes: the model is shared (`Rc`), so pointer equality is exact.
impl PartialEq for Loaded {
    fn eq(&self, other: &Loaded) -> bool {
        Rc::ptr_eq(&self.model, &other.model)
            && self.revealed.as_ref().map(Rc::as_ptr) == other.revealed.as_ref().map(Rc::as_ptr)
            && self.reveal_pending == other.reveal_pending
            && self.detail == other.detail
            && self.export == other.export
    }
}

impl Loaded {
    /// The token secrets to show: revealed ones if the user asked, else masked ones.
    pub fn secrets(&self) -> Rc<Vec<TokenSecrets>> {
        self.revealed.clone().unwrap_or_else(|| self.masked.clone())
    }

    pub fn is_revealed(&self) -> bool {
        self.revealed.is_some()
    }
}

/// What the page shows instead of an analysis when there is none to show.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorView {
    pub headline: String,
    pub details: Vec<String>,
    pub hint: &'static str,
    /// The inputs as far as they could be identified.
    pub sources: Vec<SourceRow>,
}

pub enum Action {
    /// The user chose input; the page shows `Loading` before any byte is read.
    LoadStarted {
        what: String,
    },
    /// The page refused the input itself (too large), or the worker did.
    Refused(LoadFailure),
    /// A reply from the worker (exports are handled by the page, not stored).
    Worker(FromWorker),
    /// The worker died (internal error, or out of memory).
    Crashed(String),
    /// The user pressed Cancel during a load (the worker is already terminated).
    Cancelled,
    RevealSecrets(bool),
    OpenExchange(usize),
    CloseExchange,
    /// Where to look: view, session, step (from a click or the URL fragment).
    Navigate(Route),
    /// The user asked for a download; the worker is making it.
    ExportStarted,
    /// The worker's file was handed to the browser as a download with this name.
    Downloaded(String),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let with_page = |page: Page| Rc::new(AppState { page, route: self.route.clone() });
        match action {
            Action::LoadStarted { what } => {
                with_page(Page::Loading(LoadingView { what, progress: None }))
            }
            Action::Refused(failure) => with_page(Page::Error(error_view(&failure))),
            Action::Crashed(message) => with_page(Page::Error(crash_view(&message))),
            Action::Cancelled => match &self.page {
                Page::Loading(_) => with_page(Page::Cancelled),
                _ => self,
            },
            Action::Worker(reply) => self.clone().on_reply(reply),
            Action::RevealSecrets(reveal) => {
                let Page::Loaded(loaded) = &self.page else { return self };
                let mut next = (**loaded).clone();
                if reveal {
                    next.reveal_pending = next.revealed.is_none();
                } else {
                    next.revealed = None;
                    next.reveal_pending = false;
                }
                // An open exchange is fetched again, masked or not to match.
                if let Some(detail) = &next.detail {
                    next.detail = Some(Detail::Pending(detail.index()));
                }
                with_page(Page::Loaded(Rc::new(next)))
            }
            Action::OpenExchange(index) => {
                self.with_loaded(|loaded| loaded.detail = Some(Detail::Pending(index)))
            }
            Action::CloseExchange => self.with_loaded(|loaded| loaded.detail = None),
            Action::ExportStarted => {
                self.with_loaded(|loaded| loaded.export = Some(ExportNote::Preparing))
            }
            Action::Downloaded(name) => {
                self.with_loaded(|loaded| loaded.export = Some(ExportNote::Saved(name)))
            }
            Action::Navigate(route) => {
                let route = match &self.page {
                    Page::Loaded(loaded) => route.clamped(loaded.model.sessions.len()),
                    _ => route,
                };
                Rc::new(AppState { page: self.page.clone(), route })
            }
        }
    }
}

impl AppState {
    fn with_loaded(self: Rc<Self>, change: impl FnOnce(&mut Loaded)) -> Rc<Self> {
        let Page::Loaded(loaded) = &self.page else { return self };
        let mut next = (**loaded).clone();
        change(&mut next);
        Rc::new(AppState { page: Page::Loaded(Rc::new(next)), route: self.route.clone() })
    }

    fn on_reply(self: Rc<Self>, reply: FromWorker) -> Rc<Self> {
        match reply {
            FromWorker::Progress(progress) => match &self.page {
                Page::Loading(loading) => Rc::new(AppState {
                    page: Page::Loading(LoadingView { what: loading.what.clone(), progress: Some(progress) }),
                    route: self.route.clone(),
                }),
                _ => self,
            },
            FromWorker::Analysed(analysed) => {
                // A result that arrives after a cancel belongs to no one: only a load in
                // progress takes it.
                if !matches!(self.page, Page::Loading(_)) {
                    return self;
                }
                let model = view_model::page(&analysed);
                let masked = Rc::new(view_model::token_secrets(&analysed.report));
                let loaded = Loaded {
                    sources: analysed.report.sources.clone(),
                    analysed: Shared(Rc::new(*analysed)),
                    masked,
                    model: Rc::new(model),
                    revealed: None,
                    reveal_pending: false,
                    detail: None,
                    export: None,
                };
                let route = self.route.clamped(loaded.model.sessions.len());
                Rc::new(AppState { page: Page::Loaded(Rc::new(loaded)), route })
            }
            FromWorker::Refused(failure) => match &self.page {
                Page::Loading(_) => Rc::new(AppState { page: Page::Error(error_view(&failure)), route: self.route.clone() }),
                _ => self,
            },
            FromWorker::Secrets { tokens } => self.with_loaded(|loaded| {
                if loaded.reveal_pending {
                    loaded.revealed = Some(Rc::new(tokens));
                    loaded.reveal_pending = false;
                }
            }),
            FromWorker::Exchange(detail) => self.with_loaded(|loaded| {
                // Only the exchange still asked for, and only revealed if the user still wants it.
                let wanted = matches!(&loaded.detail, Some(Detail::Pending(index)) if *index == detail.index);
                let reveal_ok = !detail.revealed || loaded.revealed.is_some() || loaded.reveal_pending;
                if wanted && reveal_ok {
                    loaded.detail = Some(Detail::Shown(Rc::new(*detail)));
                }
            }),
            FromWorker::ExportFailed { message } => {
                self.with_loaded(|loaded| loaded.export = Some(ExportNote::Failed(message)))
            }
            // A download's bytes go straight to the browser (see `bridge.rs`), not through here.
            FromWorker::Ready | FromWorker::Export { .. } | FromWorker::Unavailable { .. } => self,
        }
    }

    /// One line describing what is loaded (`#result`).
    pub fn summary_line(&self) -> String {
        match &self.page {
            Page::Empty => "No capture loaded yet.".to_owned(),
            Page::Cancelled => "Loading cancelled; no capture loaded.".to_owned(),
            Page::Loading(loading) => format!("Loading {}…", loading.what),
            Page::Loaded(loaded) => sources_line(&loaded.sources),
            Page::Error(error) if error.sources.is_empty() => {
                format!("Could not read the file: {}", error.details.join("; "))
            }
            Page::Error(error) => sources_line(&error.sources),
        }
    }
}

/// `a.har: 2000 bytes (2.0 KiB), HAR; b.flow.gz: …, mitmproxy flow (gzip)`.
pub fn sources_line(sources: &[SourceRow]) -> String {
    sources
        .iter()
        .map(|source| {
            let kind = match source.format.as_str() {
                "har" => "HAR",
                "mitmproxy-flow" => "mitmproxy flow",
                _ => "unknown format",
            };
            let compression = match source.compression.as_str() {
                "none" | "" => String::new(),
                other => format!(" ({other})"),
            };
            format!(
                "{}: {} bytes ({}), {kind}{compression}",
                source.name,
                source.size,
                human_bytes(source.size)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `a.har (2.0 KiB)` or `2 files (3.1 MiB)`: what is loading.
pub fn loading_label(files: &[(String, u64)]) -> String {
    let total: u64 = files.iter().map(|(_, size)| size).sum();
    match files {
        [(name, size)] => format!("{name} ({})", human_bytes(*size)),
        _ => format!("{} files ({})", files.len(), human_bytes(total)),
    }
}

const FORMATS: &str = "regauth reads HAR files (browser dev tools, mitmproxy `--set hardump=`, Playwright) and mitmproxy flow files (`mitmdump -w`), also gzip- or zlib-compressed.";

/// The one place that turns a refusal into what the user sees.
pub fn error_view(failure: &LoadFailure) -> ErrorView {
    let (headline, hint) = match failure.kind {
        FailureKind::UnknownFormat => ("Not a capture regauth can read", FORMATS),
        FailureKind::Empty => ("The file is empty", FORMATS),
        FailureKind::TooLarge => (
            "The capture is too large for the browser",
            "Analyse it with the CLI instead (`regauth analyze FILE`), or record a shorter session.",
        ),
        FailureKind::Decompress => ("The compressed file is damaged", FORMATS),
        FailureKind::Malformed => ("The capture is damaged", FORMATS),
        FailureKind::NoExchanges => ("The capture holds no exchanges", FORMATS),
        FailureKind::Unreadable => (
            "The browser could not read the file",
            "Try choosing the file again; if it is on a network drive, copy it locally first.",
        ),
        FailureKind::Other => ("The capture could not be read", FORMATS),
    };
    ErrorView {
        headline: headline.to_owned(),
        details: failure.details.clone(),
        hint,
        sources: failure.sources.clone(),
    }
}

fn crash_view(message: &str) -> ErrorView {
    ErrorView {
        headline: "The analysis stopped unexpectedly".to_owned(),
        details: vec![if message.is_empty() {
            "the analysis worker ended".to_owned()
        } else {
            message.to_owned()
        }],
        hint: "The browser may have run out of memory for this capture, or regauth hit an internal error. The page still works: try a smaller capture, or the CLI (`regauth analyze FILE`), and please report the problem.",
        sources: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{MAX_INPUT_BYTES, Phase};
    use crate::route::View;
    use crate::view_model::tests::analysed_sample;

    fn loaded(state: &AppState) -> &Loaded {
        match &state.page {
            Page::Loaded(loaded) => loaded,
            other => panic!("expected an analysis, got {other:?}"),
        }
    }

    fn loading(what: &str) -> Rc<AppState> {
        Rc::new(AppState::default()).reduce(Action::LoadStarted { what: what.to_owned() })
    }

    fn load_sample(name: &str) -> Rc<AppState> {
        loading(name).reduce(Action::Worker(FromWorker::Analysed(Box::new(analysed_sample(name)))))
    }

    #[test]
    fn loading_paints_at_once_then_follows_progress_then_shows_the_analysis() {
        let state = Rc::new(AppState::default());
        assert_eq!(state.summary_line(), "No capture loaded yet.");
        let state = state.reduce(Action::LoadStarted { what: "big.har (200.0 MiB)".into() });
        assert_eq!(state.summary_line(), "Loading big.har (200.0 MiB)…");
        let Page::Loading(view) = &state.page else { panic!("expected Loading") };
        assert_eq!(view.fraction(), 0.0);
        let state = state.reduce(Action::Worker(FromWorker::Progress(Progress {
            phase: Phase::Reading,
            bytes_read: 100 << 20,
            bytes_total: 200 << 20,
            exchanges: None,
        })));
        let Page::Loading(view) = &state.page else { panic!("expected Loading") };
        assert!((view.fraction() - 0.35).abs() < 1e-9);
        assert_eq!(view.status(), "Reading the file: 100.0 MiB of 200.0 MiB read");
        let state = state.reduce(Action::Worker(FromWorker::Analysed(Box::new(analysed_sample(
            "clock-ahead.flow",
        )))));
        assert!(
            state
                .summary_line()
                .starts_with("clock-ahead.flow: 16514 bytes (16.1 KiB), mitmproxy flow"),
            "{}",
            state.summary_line()
        );
        assert_eq!(loaded(&state).model.outcome, "failure");
    }

    #[test]
    fn cancel_returns_to_an_empty_page_and_a_late_result_is_ignored() {
        let state = loading("big.har").reduce(Action::Cancelled);
        assert!(matches!(state.page, Page::Cancelled));
        assert_eq!(state.summary_line(), "Loading cancelled; no capture loaded.");
        let state = state.reduce(Action::Worker(FromWorker::Analysed(Box::new(analysed_sample(
            "clock-ahead.flow",
        )))));
        assert!(matches!(state.page, Page::Cancelled), "a result after cancel must not show");
    }

    #[test]
    fn refusals_and_crashes_become_the_error_page() {
        let failure = crate::pipeline::too_large([("huge.har", MAX_INPUT_BYTES + 1)]).unwrap();
        let state = Rc::new(AppState::default()).reduce(Action::Refused(failure));
        let Page::Error(error) = &state.page else { panic!("expected an error page") };
        assert_eq!(error.headline, "The capture is too large for the browser");
        assert!(state.summary_line().starts_with("huge.har: 1073741825 bytes"));
        let state = loading("x").reduce(Action::Crashed("RuntimeError: unreachable".into()));
        let Page::Error(error) = &state.page else { panic!("expected an error page") };
        assert_eq!(error.headline, "The analysis stopped unexpectedly");
    }

    #[test]
    fn secrets_are_masked_until_the_worker_sends_them_and_masked_again_after() {
        let state = load_sample("clock-ahead.flow");
        let masked = loaded(&state).secrets()[0].token.clone();
        let state = state.reduce(Action::RevealSecrets(true));
        assert!(loaded(&state).reveal_pending && !loaded(&state).is_revealed());
        let revealed =
            vec![TokenSecrets { token: "a.b.full-signature".into(), refresh_token: None }];
        let state = state.reduce(Action::Worker(FromWorker::Secrets { tokens: revealed.clone() }));
        assert_eq!(*loaded(&state).secrets(), revealed);
        assert!(!format!("{:?}", loaded(&state).model).contains("full-signature"));
        let state = state.reduce(Action::RevealSecrets(false));
        assert!(!loaded(&state).is_revealed());
        assert_eq!(loaded(&state).secrets()[0].token, masked);
        // Secrets that arrive after the user masked again are dropped.
        let state = state.reduce(Action::Worker(FromWorker::Secrets { tokens: revealed }));
        assert!(!loaded(&state).is_revealed());
    }

    #[test]
    fn an_exchange_detail_shows_only_if_still_wanted() {
        let state = load_sample("clock-ahead.flow").reduce(Action::OpenExchange(2));
        assert_eq!(loaded(&state).detail, Some(Detail::Pending(2)));
        let (bench, _) = crate::pipeline::load(
            &[regauth_core::capture::Input::new(
                "clock-ahead.flow",
                crate::samples::bytes("clock-ahead.flow").unwrap(),
            )],
            &mut |_| {},
        )
        .unwrap();
        let other = bench.exchange(1, false).unwrap();
        let state = state.reduce(Action::Worker(FromWorker::Exchange(Box::new(other))));
        assert_eq!(
            loaded(&state).detail,
            Some(Detail::Pending(2)),
            "an answer for another exchange"
        );
        let revealed = bench.exchange(2, true).unwrap();
        let state = state.reduce(Action::Worker(FromWorker::Exchange(Box::new(revealed))));
        assert_eq!(loaded(&state).detail, Some(Detail::Pending(2)), "revealed while masked");
        let masked = bench.exchange(2, false).unwrap();
        let state = state.reduce(Action::Worker(FromWorker::Exchange(Box::new(masked))));
        assert!(matches!(&loaded(&state).detail, Some(Detail::Shown(detail)) if detail.index == 2));
        let state = state.reduce(Action::CloseExchange);
        assert_eq!(loaded(&state).detail, None);
    }

    #[test]
    fn several_sources_are_summarised_in_one_line() {
        let source = |name: &str, format: &str, compression: &str| SourceRow {
            name: name.into(),
            format: format.into(),
            compression: compression.into(),
            producer: None,
            size: 2048,
        };
        assert_eq!(
            sources_line(&[
                source("a.har", "har", "none"),
                source("b.flow.gz", "mitmproxy-flow", "gzip")
            ]),
            "a.har: 2048 bytes (2.0 KiB), HAR; b.flow.gz: 2048 bytes (2.0 KiB), mitmproxy flow (gzip)"
        );
        assert_eq!(loading_label(&[("a.har".into(), 2048)]), "a.har (2.0 KiB)");
        assert_eq!(loading_label(&[("a".into(), 1024), ("b".into(), 1024)]), "2 files (2.0 KiB)");
    }

    #[test]
    fn an_export_is_preparing_then_saved_or_failed_in_words() {
        let state = load_sample("clock-ahead.flow");
        assert_eq!(loaded(&state).export, None);
        let state = state.reduce(Action::ExportStarted);
        assert_eq!(loaded(&state).export, Some(ExportNote::Preparing));
        let state = state.reduce(Action::Downloaded("clock-ahead.analysis.md".into()));
        assert_eq!(
            loaded(&state).export.as_ref().map(ExportNote::text).as_deref(),
            Some("Saved clock-ahead.analysis.md to your downloads.")
        );
        let state = state.reduce(Action::Worker(FromWorker::ExportFailed {
            message: "cannot redact x: input is empty".into(),
        }));
        assert_eq!(
            loaded(&state).export,
            Some(ExportNote::Failed("cannot redact x: input is empty".into()))
        );
        // Nothing to export on an empty page: the actions change nothing.
        let empty = Rc::new(AppState::default()).reduce(Action::ExportStarted);
        assert!(matches!(empty.page, Page::Empty));
    }

    #[test]
    fn view_names_survive_state_changes() {
        let state = load_sample("clock-ahead.flow");
        let state = state.reduce(Action::Navigate(Route { view: View::Learn, ..Route::default() }));
        assert_eq!(state.route.view, View::Learn);
        let state = state.reduce(Action::OpenExchange(1));
        assert_eq!(state.route.view, View::Learn);
    }
}
