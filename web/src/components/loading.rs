//! The `Loading` state: what is loading, a progress bar (bytes read, then exchanges found)
//! and Cancel, which terminates the worker at once.

use yew::prelude::*;

use crate::Actions;
use crate::state::LoadingView;

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    pub loading: LoadingView,
    pub actions: Actions,
}

#[function_component(LoadingPanel)]
pub fn loading_panel(props: &LoadingProps) -> Html {
    let percent = (props.loading.fraction() * 100.0).round() as u32;
    let onclick = {
        let actions = props.actions.clone();
        Callback::from(move |_: MouseEvent| actions.cancel())
    };
    html! {
        <section id="loading" class="loading-panel" data-testid="loading" aria-labelledby="loading-heading">
            <h2 id="loading-heading">{ format!("Analysing {}", props.loading.what) }</h2>
            <progress id="load-progress" max="100" value={percent.to_string()}
                aria-label="Analysis progress" aria-valuetext={props.loading.status()}></progress>
            <p id="load-status">{ props.loading.status() }</p>
            <button type="button" id="cancel-load" {onclick}>{ "Cancel" }</button>
            <p class="hint">{ "The analysis runs in a background worker: the page stays responsive, and Cancel stops it at once." }</p>
        </section>
    }
}
