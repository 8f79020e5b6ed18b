//! App state and actions: plain Rust, no `html!`, no web-sys, so it is tested natively.
//!
//! The analysis runs in a Web Worker (see `bridge.rs`, `worker.rs`, `pipeline.rs`); the
//! reducer only records what the page asked for and what the worker answered. Choosing a file
//! moves to `Loading` at once (so it paints before any byte is read), progress messages update
//! it, and the overview replaces it. The worker keeps the analysis: the page holds the
//! overview, the session cards listed so far and the sessions opened, and
//! [`AppState::requests`] says what it still needs from the worker (the selected session, its
//! revealed secrets, the next page of cards); `lib.rs` sends each once. Secrets: everything is
//! built from the masked report; revealed token strings arrive only after an explicit reveal,
//! and are dropped again when the user masks them.

use std::collections::HashMap;
use std::rc::Rc;

use regauth_core::report::exchanges::SourceRow;
use regauth_core::units::human_bytes;
use yew::Reducible;

use crate::detail::ExchangeDetail;
use crate::messages::{FailureKind, FromWorker, LoadFailure, Progress, ToWorker};
use crate::route::Route;
use crate::view_model::{CardFilter, Overview, SessionCard, SessionDetail, TokenSecrets};

/// Opened sessions kept at most; past that the cache starts again (each is small, and the
/// worker sends one again in a moment).
const SESSIONS_KEPT: usize = 64;

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
    /// What the worker sent first (built from the masked report: holds no secret).
    pub overview: Shared<Overview>,
    /// The session cards listed so far.
    pub cards: CardList,
    /// The sessions the worker sent, by index.
    pub sessions: Rc<HashMap<usize, Rc<SessionDetail>>>,
    /// The user chose to see secrets.
    pub reveal: bool,
    /// Unmasked token secrets per session, as the worker sent them; only while `reveal`.
    pub revealed: Rc<HashMap<usize, Rc<Vec<TokenSecrets>>>>,
    /// The exchange open in the detail view.
    pub detail: Option<Detail>,
    /// What became of the last export the user asked for.
    pub export: Option<ExportNote>,
}

/// The session cards the overview lists: those that fit a filter, a page at a time.
#[derive(Clone, Debug)]
pub struct CardList {
    pub filter: CardFilter,
    /// Cards that fit the filter, all pages together.
    pub total: usize,
    pub shown: Rc<Vec<SessionCard>>,
    /// The user asked for the next page; the worker has not sent it yet.
    pub more_wanted: bool,
}

impl CardList {
    fn first_page(overview: &Overview) -> CardList {
        CardList {
            filter: overview.cards.filter,
            total: overview.cards.total,
            shown: Rc::new(overview.cards.cards.clone()),
            more_wanted: false,
        }
    }

    /// Cards that fit the filter and are not listed yet.
    pub fn remaining(&self) -> usize {
        self.total.saturating_sub(self.shown.len())
    }
}

impl PartialEq for CardList {
    fn eq(&self, other: &CardList) -> bool {
        self.filter == other.filter
            && self.total == other.total
            && Rc::ptr_eq(&self.shown, &other.shown)
            && self.more_wanted == other.more_wanted
    }
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

/// Compared by what changes: the shared parts (`Rc`) by pointer, which is exact here.
impl PartialEq for Loaded {
    fn eq(&self, other: &Loaded) -> bool {
        self.overview == other.overview
            && self.cards == other.cards
            && Rc::ptr_eq(&self.sessions, &other.sessions)
            && self.reveal == other.reveal
            && Rc::ptr_eq(&self.revealed, &other.revealed)
            && self.detail == other.detail
            && self.export == other.export
    }
}

impl Loaded {
    fn new(overview: Overview) -> Loaded {
        Loaded {
            cards: CardList::first_page(&overview),
            overview: Shared(Rc::new(overview)),
            sessions: Rc::default(),
            reveal: false,
            revealed: Rc::default(),
            detail: None,
            export: None,
        }
    }

    /// The session on screen: the route's, else the first failed one, else the first; `None`
    /// when the capture has no session.
    pub fn selected(&self, route: &Route) -> Option<usize> {
        let count = self.overview.sessions.total;
        let selected = route.session_or(self.overview.first_failed.unwrap_or(0));
        (selected < count).then_some(selected)
    }

    /// Session `index` if the worker sent it.
    pub fn session(&self, index: usize) -> Option<Rc<SessionDetail>> {
        self.sessions.get(&index).cloned()
    }

    /// The token secrets to show with session `index` (in the order of its detail's tokens):
    /// revealed ones if the user asked and the worker sent them, else the masked ones.
    pub fn secrets(&self, index: usize) -> (Rc<Vec<TokenSecrets>>, bool) {
        match self.revealed.get(&index).filter(|_| self.reveal) {
            Some(revealed) => (revealed.clone(), true),
            None => {
                let masked = self
                    .sessions
                    .get(&index)
                    .map(|detail| detail.tokens.iter().map(|token| token.masked.clone()).collect());
                (Rc::new(masked.unwrap_or_default()), false)
            }
        }
    }

    /// The user asked to reveal; the worker has not sent session `index`'s secrets yet.
    pub fn reveal_pending(&self, index: usize) -> bool {
        self.reveal && !self.revealed.contains_key(&index)
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
    /// List the session cards that fit this filter instead (from the first).
    FilterCards(CardFilter),
    /// List the next page of session cards.
    MoreCards,
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
            Action::RevealSecrets(reveal) => self.with_loaded(|loaded| {
                loaded.reveal = reveal;
                if !reveal {
                    loaded.revealed = Rc::default();
                }
                // An open exchange is fetched again, masked or not to match.
                if let Some(detail) = &loaded.detail {
                    loaded.detail = Some(Detail::Pending(detail.index()));
                }
            }),
            Action::FilterCards(filter) => self.with_loaded(|loaded| {
                if loaded.cards.filter == filter {
                    return;
                }
                loaded.cards = if filter == loaded.overview.cards.filter {
                    CardList::first_page(&loaded.overview)
                } else {
                    let total = loaded.overview.sessions.of(filter);
                    CardList { filter, total, shown: Rc::default(), more_wanted: total > 0 }
                };
            }),
            Action::MoreCards => self.with_loaded(|loaded| {
                loaded.cards.more_wanted = loaded.cards.remaining() > 0;
            }),
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
                    Page::Loaded(loaded) => route.clamped(loaded.overview.sessions.total),
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
            FromWorker::Analysed(overview) => {
                // A result that arrives after a cancel belongs to no one: only a load in
                // progress takes it.
                if !matches!(self.page, Page::Loading(_)) {
                    return self;
                }
                let loaded = Loaded::new(*overview);
                let route = self.route.clamped(loaded.overview.sessions.total);
                Rc::new(AppState { page: Page::Loaded(Rc::new(loaded)), route })
            }
            FromWorker::Refused(failure) => match &self.page {
                Page::Loading(_) => Rc::new(AppState { page: Page::Error(error_view(&failure)), route: self.route.clone() }),
                _ => self,
            },
            FromWorker::Secrets { session, tokens } => self.with_loaded(|loaded| {
                // Secrets that arrive after the user masked again are dropped.
                if loaded.reveal {
                    Rc::make_mut(&mut loaded.revealed).insert(session, Rc::new(tokens));
                }
            }),
            FromWorker::Session(detail) => self.with_loaded(|loaded| {
                let sessions = Rc::make_mut(&mut loaded.sessions);
                if sessions.len() >= SESSIONS_KEPT {
                    sessions.clear();
                }
                sessions.insert(detail.session.index, Rc::new(*detail));
            }),
            FromWorker::Cards(page) => self.with_loaded(|loaded| {
                // Only the page still asked for: the filter may have changed meanwhile.
                let cards = &mut loaded.cards;
                if page.filter == cards.filter && page.from == cards.shown.len() {
                    Rc::make_mut(&mut cards.shown).extend(page.cards);
                    cards.total = page.total;
                    cards.more_wanted = false;
                }
            }),
            FromWorker::Exchange(detail) => self.with_loaded(|loaded| {
                // Only the exchange still asked for, and only revealed if the user still wants it.
                let wanted = matches!(&loaded.detail, Some(Detail::Pending(index)) if *index == detail.index);
                let reveal_ok = !detail.revealed || loaded.reveal;
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

    /// What the page needs from the worker and does not have: the selected session, its
    /// revealed secrets when the user asked for them, the next page of cards. The same list
    /// until the answer arrives, so sending only what is new in it sends each request once
    /// (see [`fresh_requests`]).
    pub fn requests(&self) -> Vec<ToWorker> {
        let Page::Loaded(loaded) = &self.page else { return Vec::new() };
        let mut requests = Vec::new();
        if let Some(selected) = loaded.selected(&self.route) {
            if !loaded.sessions.contains_key(&selected) {
                requests.push(ToWorker::Session { index: selected });
            }
            if loaded.reveal_pending(selected) {
                requests.push(ToWorker::Reveal { session: selected });
            }
        }
        if loaded.cards.more_wanted {
            requests.push(ToWorker::Cards {
                filter: loaded.cards.filter,
                from: loaded.cards.shown.len(),
            });
        }
        requests
    }

    /// One line describing what is loaded (`#result`).
    pub fn summary_line(&self) -> String {
        match &self.page {
            Page::Empty => "No capture loaded yet.".to_owned(),
            Page::Cancelled => "Loading cancelled; no capture loaded.".to_owned(),
            Page::Loading(loading) => format!("Loading {}…", loading.what),
            Page::Loaded(loaded) => sources_line(&loaded.overview.sources),
            Page::Error(error) if error.sources.is_empty() => {
                format!("Could not read the file: {}", error.details.join("; "))
            }
            Page::Error(error) => sources_line(&error.sources),
        }
    }
}

/// The requests in `now` that were not in `before`: what to send when
/// [`AppState::requests`] changes from `before` to `now`.
pub fn fresh_requests(before: &[ToWorker], now: &[ToWorker]) -> Vec<ToWorker> {
    now.iter().filter(|request| !before.contains(request)).cloned().collect()
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
    use regauth_core::analysis::Outcome;

    use super::*;
    use crate::messages::{MAX_INPUT_BYTES, Phase};
    use crate::route::View;
    use crate::view_model::tests::{analysed_many, analysed_sample};
    use crate::view_model::{Analysed, CARDS_PER_PAGE};

    fn loaded(state: &AppState) -> &Loaded {
        match &state.page {
            Page::Loaded(loaded) => loaded,
            other => panic!("expected an analysis, got {other:?}"),
        }
    }

    fn loading(what: &str) -> Rc<AppState> {
        Rc::new(AppState::default()).reduce(Action::LoadStarted { what: what.to_owned() })
    }

    fn load(analysed: &Analysed) -> Rc<AppState> {
        loading("x").reduce(Action::Worker(FromWorker::Analysed(Box::new(analysed.overview()))))
    }

    fn load_sample(name: &str) -> Rc<AppState> {
        load(&analysed_sample(name))
    }

    /// Answers every request of `state` as the worker would (from `analysed`).
    fn answer(state: Rc<AppState>, analysed: &Analysed) -> Rc<AppState> {
        state.requests().into_iter().fold(state, |state, request| {
            let reply = match request {
                ToWorker::Session { index } => {
                    FromWorker::Session(Box::new(analysed.session(index).unwrap()))
                }
                ToWorker::Cards { filter, from } => FromWorker::Cards(analysed.cards(filter, from)),
                other => panic!("not answered here: {other:?}"),
            };
            state.reduce(Action::Worker(reply))
        })
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
        assert!(state.requests().is_empty(), "nothing to ask while loading");
        let analysed = analysed_sample("clock-ahead.flow");
        let state =
            state.reduce(Action::Worker(FromWorker::Analysed(Box::new(analysed.overview()))));
        assert!(
            state
                .summary_line()
                .starts_with("clock-ahead.flow: 16514 bytes (16.1 KiB), mitmproxy flow"),
            "{}",
            state.summary_line()
        );
        assert_eq!(loaded(&state).overview.outcome, Outcome::Failure);
    }

    #[test]
    fn the_selected_session_is_asked_for_once_then_kept() {
        let analysed = analysed_many(5);
        let failed = analysed.overview().first_failed.unwrap();
        let state = load(&analysed);
        assert_eq!(loaded(&state).selected(&state.route), Some(failed));
        assert_eq!(state.requests(), [ToWorker::Session { index: failed }]);
        assert!(loaded(&state).session(failed).is_none());
        let state = answer(state, &analysed);
        assert!(state.requests().is_empty());
        assert_eq!(loaded(&state).session(failed).unwrap().session.index, failed);
        // Another session: asked for; back to the first: kept, not asked again.
        let other = (failed + 1) % analysed.report.sessions.len();
        let route = Route { session: Some(other), ..Route::default() };
        let state = state.reduce(Action::Navigate(route));
        assert_eq!(state.requests(), [ToWorker::Session { index: other }]);
        let state = answer(state, &analysed);
        let state = state.reduce(Action::Navigate(Route::default()));
        assert!(state.requests().is_empty());
        // A route past the last session is clamped to it.
        let route = Route { session: Some(999), ..Route::default() };
        let state = state.reduce(Action::Navigate(route));
        assert_eq!(state.route.session, Some(analysed.report.sessions.len() - 1));
    }

    #[test]
    fn requests_are_sent_once_each() {
        let session = || ToWorker::Session { index: 1 };
        let cards = || ToWorker::Cards { filter: CardFilter::All, from: 50 };
        assert_eq!(fresh_requests(&[], &[session()]), [session()]);
        assert_eq!(fresh_requests(&[session()], &[session(), cards()]), [cards()]);
        assert!(fresh_requests(&[session(), cards()], &[cards()]).is_empty());
        // Asked again after it was answered (left the list): sent again.
        assert_eq!(fresh_requests(&[cards()], &[session()]), [session()]);
    }

    #[test]
    fn cards_come_a_page_at_a_time_and_a_filter_starts_its_own_list() {
        let analysed = analysed_many(120);
        let state = answer(load(&analysed), &analysed);
        let cards = &loaded(&state).cards;
        assert_eq!(
            (cards.filter, cards.total, cards.shown.len()),
            (CardFilter::All, 120, CARDS_PER_PAGE)
        );
        assert!(state.requests().is_empty(), "the first page came with the overview");
        let state = state.reduce(Action::MoreCards);
        assert_eq!(
            state.requests(),
            [ToWorker::Cards { filter: CardFilter::All, from: CARDS_PER_PAGE }]
        );
        let state = answer(state, &analysed);
        let shown: Vec<usize> = loaded(&state).cards.shown.iter().map(|card| card.index).collect();
        assert_eq!(shown, (0..2 * CARDS_PER_PAGE).collect::<Vec<_>>());
        let state = answer(state.reduce(Action::MoreCards), &analysed);
        assert_eq!(loaded(&state).cards.shown.len(), 120);
        let state = state.reduce(Action::MoreCards);
        assert!(state.requests().is_empty(), "nothing more to list");
        // Failures only: a list of their own, asked for from the first.
        let state = state.reduce(Action::FilterCards(CardFilter::Failure));
        assert_eq!((loaded(&state).cards.total, loaded(&state).cards.shown.len()), (40, 0));
        assert_eq!(state.requests(), [ToWorker::Cards { filter: CardFilter::Failure, from: 0 }]);
        // A page for another filter (asked before the change) is not taken.
        let stale = state
            .clone()
            .reduce(Action::Worker(FromWorker::Cards(analysed.cards(CardFilter::All, 100))));
        assert_eq!(loaded(&stale).cards.shown.len(), 0);
        let state = answer(state, &analysed);
        assert!(loaded(&state).cards.shown.iter().all(|card| card.outcome == Outcome::Failure));
        assert_eq!(loaded(&state).cards.shown.len(), 40);
        // Back to all: the overview's first page again, without asking.
        let state = state.reduce(Action::FilterCards(CardFilter::All));
        assert_eq!(loaded(&state).cards.shown.len(), CARDS_PER_PAGE);
        assert!(state.requests().is_empty());
        // A filter no session fits asks for nothing.
        let state = state.reduce(Action::FilterCards(CardFilter::Incomplete));
        assert!(state.requests().is_empty());
    }

    #[test]
    fn cancel_returns_to_an_empty_page_and_a_late_result_is_ignored() {
        let state = loading("big.har").reduce(Action::Cancelled);
        assert!(matches!(state.page, Page::Cancelled));
        assert_eq!(state.summary_line(), "Loading cancelled; no capture loaded.");
        let state = state.reduce(Action::Worker(FromWorker::Analysed(Box::new(
            analysed_sample("clock-ahead.flow").overview(),
        ))));
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
        let analysed = analysed_sample("clock-ahead.flow");
        let state = answer(load(&analysed), &analysed);
        let session = loaded(&state).selected(&state.route).unwrap();
        let (masked, revealed) = loaded(&state).secrets(session);
        assert!(!revealed && !masked.is_empty());
        let state = state.reduce(Action::RevealSecrets(true));
        assert!(loaded(&state).reveal_pending(session));
        assert_eq!(state.requests(), [ToWorker::Reveal { session }]);
        assert_eq!(loaded(&state).secrets(session), (masked.clone(), false), "not yet sent");
        let full = vec![TokenSecrets { token: "a.b.full-signature".into(), refresh_token: None }];
        let state =
            state.reduce(Action::Worker(FromWorker::Secrets { session, tokens: full.clone() }));
        assert_eq!(loaded(&state).secrets(session), (Rc::new(full.clone()), true));
        assert!(state.requests().is_empty());
        assert!(!format!("{:?}", loaded(&state).overview).contains("full-signature"));
        let state = state.reduce(Action::RevealSecrets(false));
        assert_eq!(loaded(&state).secrets(session), (masked, false));
        assert!(!format!("{:?}", loaded(&state)).contains("full-signature"), "dropped on mask");
        // Secrets that arrive after the user masked again are dropped.
        let state = state.reduce(Action::Worker(FromWorker::Secrets { session, tokens: full }));
        assert!(!loaded(&state).secrets(session).1);
    }

    #[test]
    fn an_exchange_detail_shows_only_if_still_wanted() {
        let state = load_sample("clock-ahead.flow").reduce(Action::OpenExchange(2));
        assert_eq!(loaded(&state).detail, Some(Detail::Pending(2)));
        let bench = crate::pipeline::load(
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
