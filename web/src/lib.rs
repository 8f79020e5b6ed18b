//! regauth-web: the Yew front end. Components render state; analysis happens in regauth-core.
//! Nothing here sends a byte of a capture anywhere (the page's Content-Security-Policy enforces it).

mod components;
mod io;
pub mod state;

use yew::prelude::*;

use components::dropzone::DropZone;
use state::{Action, AppState};

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(AppState::default);
    let on_file = {
        let state = state.clone();
        Callback::from(move |loaded: io::LoadedFile| {
            state.dispatch(Action::FileLoaded { name: loaded.name, bytes: loaded.bytes })
        })
    };
    let on_error = {
        let state = state.clone();
        Callback::from(move |message: String| state.dispatch(Action::ReadFailed(message)))
    };
    html! {
        <main>
            <header>
                <h1 id="title">{ "regauth" }</h1>
                <p class="tagline">{ "See what really happened when a container client authenticated to an image registry." }</p>
            </header>
            <DropZone {on_file} {on_error} />
            <section id="result" aria-live="polite">{ state.summary_line() }</section>
            <p id="privacy-note" class="privacy">
                { "Nothing leaves your browser: captures are read and analysed on this page, never uploaded." }
            </p>
        </main>
    }
}
