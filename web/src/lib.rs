//! regauth-web: the Yew front end. Components render state; analysis happens in regauth-core,
//! inside a Web Worker so the page never freezes. Nothing here sends a byte of a capture
//! anywhere (the page's Content-Security-Policy enforces it).
//!
//! ```text
//!  page (bin regauth-web)                         worker (bin regauth-worker)
//!  DropZone/paste/Gallery ─► File objects ─────►  worker.rs: File.slice → FileReaderSync
//!  state.rs (reducer) ◄── Progress ────────────   pipeline.rs: capture::read, analyze,
//!        │            ◄── Overview ────────────     AnalysisReport (masked), indexed in
//!        │                                          view_model::Analysed, which builds:
//!        │ requests() ─► Session / Cards / Reveal ─► SessionDetail, CardPage, Secrets
//!        │            ◄── Exchange / Export, on a click
//!        ▼
//!  components/ (render what the reducer holds)
//! ```
#![forbid(unsafe_code)]

mod bridge;
mod components;
pub mod detail;
pub mod diagram;
mod io;
pub mod learn;
pub mod messages;
pub mod pipeline;
pub mod route;
pub mod samples;
pub mod state;
pub mod timeline;
pub mod view_model;
pub mod worker;

use std::rc::Rc;

use yew::prelude::*;

use bridge::WorkerHandle;
use components::analysis::AnalysisView;
use components::dropzone::DropZone;
use components::error::ErrorPanel;
use components::gallery::Gallery;
use components::loading::LoadingPanel;
use messages::{ExportKind, FromWorker, ToWorker};
use route::Route;
use samples::SampleInfo;
use state::{Action, AppState, Page, fresh_requests, loading_label};
use view_model::CardFilter;

/// What the components call to act; each is one dispatch and at most one worker request.
#[derive(Clone)]
pub struct Actions {
    state: UseReducerHandle<AppState>,
    worker: Rc<WorkerHandle>,
}

impl PartialEq for Actions {
    fn eq(&self, other: &Actions) -> bool {
        Rc::ptr_eq(&self.worker, &other.worker)
    }
}

impl Actions {
    /// Analyse the user's files as one timeline.
    pub fn load_files(&self, files: Vec<web_sys::File>) {
        if files.is_empty() {
            return;
        }
        let sizes: Vec<(String, u64)> =
            files.iter().map(|file| (file.name(), file.size() as u64)).collect();
        // Over the ceiling: refused here, before any byte is read.
        if let Some(failure) =
            pipeline::too_large(sizes.iter().map(|(name, size)| (name.as_str(), *size)))
        {
            self.state.dispatch(Action::Refused(failure));
            return;
        }
        let route = Route { sample: None, view: self.state.route.view, ..Route::default() };
        self.state.dispatch(Action::Navigate(route));
        self.state.dispatch(Action::LoadStarted { what: loading_label(&sizes) });
        self.worker.send(&ToWorker::Load, &files);
    }

    /// Analyse a bundled sample, keeping the rest of `route` (a teaching link's view and step).
    pub fn load_sample(&self, sample: &'static SampleInfo, route: Route) {
        self.state.dispatch(Action::Navigate(Route { sample: Some(sample.name), ..route }));
        self.state
            .dispatch(Action::LoadStarted { what: format!("{} (bundled sample)", sample.name) });
        self.worker.send(&ToWorker::LoadSample { name: sample.name.to_owned() }, &[]);
    }

    pub fn cancel(&self) {
        self.worker.restart();
        self.state.dispatch(Action::Cancelled);
    }

    /// Show or mask secrets; the worker sends the selected session's when asked (see
    /// [`AppState::requests`]).
    pub fn reveal(&self, reveal: bool) {
        self.state.dispatch(Action::RevealSecrets(reveal));
        if let Page::Loaded(loaded) = &self.state.page
            && let Some(detail) = &loaded.detail
        {
            self.worker.send(&ToWorker::Exchange { index: detail.index(), reveal }, &[]);
        }
    }

    pub fn open_exchange(&self, index: usize) {
        let reveal = matches!(&self.state.page, Page::Loaded(loaded) if loaded.reveal);
        self.state.dispatch(Action::OpenExchange(index));
        self.worker.send(&ToWorker::Exchange { index, reveal }, &[]);
    }

    /// List the session cards that fit `filter`.
    pub fn filter_cards(&self, filter: CardFilter) {
        self.state.dispatch(Action::FilterCards(filter));
    }

    /// List the next page of session cards.
    pub fn more_cards(&self) {
        self.state.dispatch(Action::MoreCards);
    }

    pub fn close_exchange(&self) {
        self.state.dispatch(Action::CloseExchange);
    }

    pub fn navigate(&self, route: Route) {
        self.state.dispatch(Action::Navigate(route));
    }

    pub fn export(&self, export: ExportKind) {
        self.state.dispatch(Action::ExportStarted);
        self.worker.send(&ToWorker::Export { export }, &[]);
    }

    pub fn route(&self) -> Route {
        self.state.route.clone()
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(AppState::default);
    let worker = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            let on_reply = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |reply: FromWorker| dispatcher.dispatch(Action::Worker(reply)))
            };
            let on_download = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |download: bridge::Download| {
                    io::download(&download.file_name, &download.mime, &download.bytes);
                    dispatcher.dispatch(Action::Downloaded(download.file_name));
                })
            };
            let on_crash = Callback::from(move |message: String| {
                dispatcher.dispatch(Action::Crashed(message))
            });
            let worker = WorkerHandle::new(on_reply, on_download, on_crash);
            // Start the worker now so its module compiles while the user picks a file.
            worker.ensure();
            worker
        })
    };
    // What the page still needs from the worker (the selected session, revealed secrets, the
    // next cards), each sent once: the list stays the same until the answer arrives.
    {
        let worker = worker.clone();
        let sent = use_mut_ref(Vec::<ToWorker>::new);
        use_effect_with(state.requests(), move |wanted| {
            for request in fresh_requests(&sent.borrow(), wanted) {
                worker.send(&request, &[]);
            }
            *sent.borrow_mut() = wanted.clone();
        });
    }
    let actions = Actions { state: state.clone(), worker };

    // A link's fragment opens its sample and view; later fragment edits do too.
    {
        let actions = actions.clone();
        use_effect_with((), move |_| {
            let open = move || {
                let route = Route::parse(&io::location_hash());
                match route.sample.and_then(samples::find) {
                    Some(sample) => actions.load_sample(sample, route),
                    None => actions.navigate(route),
                }
            };
            open();
            let listener = io::on_hash_change(open);
            move || drop(listener)
        });
    }
    // The fragment follows the route (replaceState: no history entry, no hashchange).
    use_effect_with(state.route.clone(), |route| io::set_location_hash(&route.to_fragment()));

    let body = match &state.page {
        Page::Empty | Page::Cancelled => html! {},
        Page::Loading(loading) => {
            html! { <LoadingPanel loading={loading.clone()} actions={actions.clone()} /> }
        }
        Page::Error(error) => html! { <ErrorPanel error={error.clone()} /> },
        Page::Loaded(loaded) => html! {
            <AnalysisView loaded={loaded.clone()} route={state.route.clone()} actions={actions.clone()} />
        },
    };
    let busy = matches!(state.page, Page::Loading(_));
    html! {
        <>
        <a class="skip-link" href="#main-content">{ "Skip to the analysis" }</a>
        <header class="app-header">
            <h1 id="title">{ "regauth" }</h1>
            <p class="tagline">{ "See what really happened when a container client authenticated to an image registry." }</p>
        </header>
        <main id="main-content" aria-busy={busy.to_string()}>
            <section class="inputs" aria-label="Choose a capture">
                <DropZone actions={actions.clone()} />
                <Gallery actions={actions.clone()} />
            </section>
            <p id="result" role="status" aria-live="polite">{ state.summary_line() }</p>
            { body }
            <p id="privacy-note" class="privacy">
                { "Nothing leaves your browser: captures are read and analysed on this page, never uploaded." }
            </p>
        </main>
        </>
    }
}
