//! The analysis of a capture: the verdict in one sentence, one card per session, then the
//! selected session's details (diagram, findings, clocks, tokens), or learn mode.

use std::rc::Rc;

use yew::prelude::*;

use crate::Actions;
use crate::components::detail::ExchangePanel;
use crate::components::diagram::SequenceDiagram;
use crate::components::findings::{ClockTable, FindingsList};
use crate::components::learn::LearnView;
use crate::components::tokens::TokenInspector;
use crate::messages::{Analysed, ExportKind};
use crate::route::{Route, View};
use crate::state::{ExportNote, Loaded};
use crate::view_model::SessionCard;

/// Cards drawn before "show all": a capture with thousands of sessions must not build
/// thousands of cards in one main-thread task.
const CARDS_AT_FIRST: usize = 12;

#[derive(Properties, PartialEq)]
pub struct AnalysisProps {
    pub loaded: Rc<Loaded>,
    pub route: Route,
    pub actions: Actions,
}

#[function_component(AnalysisView)]
pub fn analysis_view(props: &AnalysisProps) -> Html {
    let model = &props.loaded.model;
    let show_all = use_state(|| false);
    // The overview paints first; the details (diagram, findings, clocks, tokens) follow in the
    // next task, so no single main-thread task lays out the whole analysis.
    // Keyed by the analysis, not by `Loaded`: opening an exchange must not hide the details.
    let details_for = use_state(|| None::<*const Analysed>);
    {
        let details_for = details_for.setter();
        use_effect_with(props.loaded.analysed.clone(), move |analysed| {
            let pointer = Rc::as_ptr(&analysed.0);
            crate::io::next_task(move || details_for.set(Some(pointer)));
        });
    }
    let details_ready = *details_for == Some(Rc::as_ptr(&props.loaded.analysed.0));
    let selected = props.route.session_or(model.first_failed.unwrap_or(0));
    let cards = if *show_all {
        model.cards.as_slice()
    } else {
        &model.cards[..model.cards.len().min(CARDS_AT_FIRST)]
    };
    let set_view = |view: View| {
        let actions = props.actions.clone();
        let route = props.route.clone();
        Callback::from(move |_: MouseEvent| actions.navigate(Route { view, ..route.clone() }))
    };
    let export = |kind: ExportKind| {
        let actions = props.actions.clone();
        Callback::from(move |_: MouseEvent| actions.export(kind))
    };
    let session = model.sessions.get(selected);
    html! {
        <div id="analysis">
            <section id="overview" data-testid="overview" class={classes!("outcome", model.outcome)}
                data-outcome={model.outcome} aria-labelledby="verdict">
                <h2 id="verdict" class="headline">{ &model.headline }</h2>
                <p class="sources">{ format!("{} exchange(s) read from {}", model.exchange_count, model.sources) }</p>
                <div class="exports" role="group" aria-label="Downloads (made on this page, the same as the CLI writes)">
                    <button type="button" id="export-json" onclick={export(ExportKind::AnalysisJson)}>{ "Analysis (JSON)" }</button>
                    <button type="button" id="export-markdown" onclick={export(ExportKind::Markdown)}>{ "Summary for an issue (Markdown)" }</button>
                    if session.is_some() {
                        <button type="button" id="export-mermaid" onclick={export(ExportKind::Mermaid { session: selected })}>
                            { format!("Diagram of session {} (Mermaid)", selected + 1) }</button>
                        <button type="button" id="export-svg" onclick={export(ExportKind::Svg { session: selected })}>
                            { format!("Diagram of session {} (SVG)", selected + 1) }</button>
                    }
                    { for props.loaded.sources.iter().enumerate().filter(|(_, source)| source.format != "unknown").map(|(index, source)| html! {
                        <button type="button" class="export-redacted" id={format!("export-redacted-{index}")} data-source={index.to_string()}
                            onclick={export(ExportKind::Redacted { source: index })}>
                            { format!("Redacted copy of {}", source.name) }</button>
                    }) }
                </div>
                if let Some(note) = &props.loaded.export {
                    <p id="export-status" role="status" class={classes!("export-status", matches!(note, ExportNote::Failed(_)).then_some("failed"))}>
                        { note.text() }</p>
                }
            </section>
            if !model.problems.is_empty() {
                <section id="problems" class="problems">
                    <h2>{ "Parts of the input that could not be read" }</h2>
                    <ul>{ for model.problems.iter().map(|problem| html! { <li>{ problem }</li> }) }</ul>
                </section>
            }
            if !model.cards.is_empty() {
                <section id="session-cards" aria-labelledby="cards-heading">
                    <h2 id="cards-heading">{ format!("Sessions ({})", model.cards.len()) }</h2>
                    <ul class="cards">
                        { for cards.iter().map(|card| session_card(card, selected, &props.actions, &props.route)) }
                    </ul>
                    if model.cards.len() > cards.len() {
                        <button type="button" id="show-all-sessions" onclick={
                            let show_all = show_all.clone();
                            Callback::from(move |_: MouseEvent| show_all.set(true))
                        }>{ format!("Show all {} sessions", model.cards.len()) }</button>
                    }
                </section>
            }
            if !details_ready {
                <p class="none" id="details-pending">{ "Drawing the details…" }</p>
            } else if let Some(session) = session {
                <nav class="view-tabs" aria-label="How to show the session">
                    <button type="button" id="tab-overview" aria-pressed={(props.route.view == View::Overview).to_string()}
                        onclick={set_view(View::Overview)}>{ "Details" }</button>
                    <button type="button" id="tab-learn" aria-pressed={(props.route.view == View::Learn).to_string()}
                        onclick={set_view(View::Learn)}>{ "Learn the six steps" }</button>
                </nav>
                if props.route.view == View::Learn {
                    <LearnView session={session.clone()} analysed={props.loaded.analysed.clone()} route={props.route.clone()} actions={props.actions.clone()} />
                } else {
                    <SequenceDiagram session={session.clone()} analysed={props.loaded.analysed.clone()} actions={props.actions.clone()} highlight={None::<u8>} />
                }
            }
            if let Some(detail) = &props.loaded.detail {
                <ExchangePanel detail={detail.clone()} actions={props.actions.clone()} analysed={props.loaded.analysed.clone()} />
            }
            if details_ready && props.route.view == View::Overview {
                <FindingsList model={model.clone()} />
                <ClockTable model={model.clone()} analysed={props.loaded.analysed.clone()} />
                <TokenInspector model={model.clone()} secrets={props.loaded.secrets()}
                    revealed={props.loaded.is_revealed()} pending={props.loaded.reveal_pending}
                    actions={props.actions.clone()} analysed={props.loaded.analysed.clone()} session={selected} />
            }
        </div>
    }
}

fn session_card(card: &SessionCard, selected: usize, actions: &Actions, route: &Route) -> Html {
    let onclick = {
        let actions = actions.clone();
        let route = Route { session: Some(card.index), step: None, ..route.clone() };
        Callback::from(move |_: MouseEvent| actions.navigate(route.clone()))
    };
    let is_selected = card.index == selected;
    html! {
        <li>
            <article class={classes!("card", card.outcome, is_selected.then_some("selected"))}
                data-testid="session" data-session={card.index.to_string()} data-outcome={card.outcome}
                data-failed-step={card.failed_step.map(|step| step.to_string())}>
                <h3>
                    <span class="card-registry">{ &card.registry }</span>
                    <span class="card-repository">{ card.repository.as_deref().map_or_else(|| " (registry-wide)".to_owned(), |repository| format!("/{repository}")) }</span>
                </h3>
                <p class={classes!("badge", card.outcome)}>
                    <span aria-hidden="true">{ match card.outcome { "failure" => "✗ ", "success" => "✓ ", _ => "… " } }</span>
                    { &card.badge }
                </p>
                if let Some((code, title)) = &card.failed_finding {
                    <p class="card-finding" data-code={*code}><code>{ *code }</code>{ " " }{ title }</p>
                }
                <dl class="card-facts">
                    <dt>{ "client" }</dt><dd class="card-client">{ card.client.as_deref().unwrap_or("unknown") }</dd>
                    <dt>{ "auth" }</dt><dd>{ card.scheme }</dd>
                    <dt>{ "duration" }</dt><dd>{ &card.duration }</dd>
                    <dt>{ "findings" }</dt><dd>{ format!("{} error(s), {} warning(s), {} note(s)", card.errors, card.warnings, card.notes) }</dd>
                </dl>
                <button type="button" class="card-open" aria-pressed={is_selected.to_string()} {onclick}>
                    { if is_selected { "Shown below" } else { "Show this session" } }
                </button>
            </article>
        </li>
    }
}
