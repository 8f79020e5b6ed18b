//! The error state: what went wrong, the core's own words, and what to try instead.

use yew::prelude::*;

use crate::state::ErrorView;

#[derive(Properties, PartialEq)]
pub struct ErrorPanelProps {
    pub error: ErrorView,
}

#[function_component(ErrorPanel)]
pub fn error_panel(props: &ErrorPanelProps) -> Html {
    let error = &props.error;
    html! {
        <section id="error" class="error-panel" role="alert">
            <h2 class="error-headline">{ &error.headline }</h2>
            <ul class="error-details">
                { for error.details.iter().map(|detail| html! { <li>{ detail }</li> }) }
            </ul>
            <p class="error-hint">{ error.hint }</p>
        </section>
    }
}
