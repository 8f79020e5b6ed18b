//! The analysis of one capture: outcome, one diagram per session, findings, clocks, tokens.

use std::rc::Rc;

use yew::prelude::*;

use crate::components::diagram::SequenceDiagram;
use crate::components::findings::{ClockTable, FindingsList};
use crate::components::tokens::TokenInspector;
use crate::view_model::{PageModel, TokenSecrets};

#[derive(Properties, PartialEq)]
pub struct AnalysisProps {
    pub model: Rc<PageModel>,
    pub secrets: Rc<Vec<TokenSecrets>>,
    pub revealed: bool,
    pub on_reveal: Callback<bool>,
}

#[function_component(AnalysisView)]
pub fn analysis_view(props: &AnalysisProps) -> Html {
    let model = &props.model;
    html! {
        <div id="analysis">
            <section id="outcome" class={classes!("outcome", model.outcome)} data-outcome={model.outcome}>
                <p class="headline">{ &model.headline }</p>
                <p class="sources">{ format!("{} exchange(s) read from {}", model.exchange_count, model.sources) }</p>
            </section>
            if !model.problems.is_empty() {
                <section id="problems" class="problems">
                    <h2>{ "Parts of the file that could not be read" }</h2>
                    <ul>{ for model.problems.iter().map(|problem| html! { <li>{ problem }</li> }) }</ul>
                </section>
            }
            <section id="sessions">
                { for model.sessions.iter().map(|session| html! {
                    <SequenceDiagram session={session.clone()} />
                }) }
            </section>
            <FindingsList model={model.clone()} />
            <ClockTable model={model.clone()} />
            <TokenInspector model={model.clone()} secrets={props.secrets.clone()}
                revealed={props.revealed} on_reveal={props.on_reveal.clone()} />
        </div>
    }
}
