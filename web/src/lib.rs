//! regauth-web: the Yew front end. Components render state; analysis happens in regauth-core.
//! Nothing here sends a byte of a capture anywhere (the page's Content-Security-Policy enforces it).

mod components;
mod io;
pub mod samples;
pub mod state;
pub mod view_model;

use bytes::Bytes;
use yew::prelude::*;

use components::analysis::AnalysisView;
use components::dropzone::DropZone;
use components::error::ErrorPanel;
use components::gallery::Gallery;
use samples::Sample;
use state::{Action, AppState, Page};

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(AppState::default);
    let on_file = {
        let state = state.clone();
        Callback::from(move |loaded: io::LoadedFile| {
            state.dispatch(Action::FileLoaded {
                name: loaded.name,
                bytes: Bytes::from(loaded.bytes),
            })
        })
    };
    let on_error = {
        let state = state.clone();
        Callback::from(move |message: String| state.dispatch(Action::ReadFailed(message)))
    };
    let on_pick = {
        let state = state.clone();
        Callback::from(move |sample: &'static Sample| {
            // Static bytes: no copy of the bundled sample.
            state.dispatch(Action::FileLoaded {
                name: sample.name.to_owned(),
                bytes: Bytes::from_static(sample.bytes),
            })
        })
    };
    let on_reveal = {
        let state = state.clone();
        Callback::from(move |reveal: bool| state.dispatch(Action::RevealSecrets(reveal)))
    };
    let body = match &state.page {
        Page::Empty => html! {},
        Page::Error(error) => html! { <ErrorPanel error={error.clone()} /> },
        Page::Loaded(loaded) => html! {
            <AnalysisView model={loaded.model.clone()} secrets={loaded.secrets()}
                revealed={loaded.revealed.is_some()} {on_reveal} />
        },
    };
    html! {
        <main>
            <header>
                <h1 id="title">{ "regauth" }</h1>
                <p class="tagline">{ "See what really happened when a container client authenticated to an image registry." }</p>
            </header>
            <DropZone {on_file} {on_error} />
            <Gallery {on_pick} />
            <section id="result" aria-live="polite">{ state.summary_line() }</section>
            { body }
            <p id="privacy-note" class="privacy">
                { "Nothing leaves your browser: captures are read and analysed on this page, never uploaded." }
            </p>
        </main>
    }
}
