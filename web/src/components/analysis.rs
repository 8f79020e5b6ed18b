//! The analysis of a capture: the verdict in one sentence, the session cards (a page at a
//! time, filtered by outcome on a big capture), then the selected session's details (diagram,
//! tokens; asked from the worker when it is opened), the findings and clocks, or learn mode.

use std::rc::Rc;

use regauth_core::analysis::Outcome;
use yew::prelude::*;

use crate::Actions;
use crate::components::detail::ExchangePanel;
use crate::components::diagram::SequenceDiagram;
use crate::components::findings::{ClockTable, FindingsList, SessionFindings};
use crate::components::learn::LearnView;
use crate::components::tokens::TokenInspector;
use crate::messages::ExportKind;
use crate::route::{Route, View};
use crate::state::{CardList, ExportNote, Loaded, Shared};
use crate::view_model::{CARDS_PER_PAGE, CardFilter, Overview, SessionCard};

#[derive(Properties, PartialEq)]
pub struct AnalysisProps {
    pub loaded: Rc<Loaded>,
    pub route: Route,
    pub actions: Actions,
}

#[function_component(AnalysisView)]
pub fn analysis_view(props: &AnalysisProps) -> Html {
    let loaded = &props.loaded;
    let overview = &loaded.overview;
    // The overview paints first; the findings and clocks follow in the next task, so no single
    // main-thread task lays out the whole analysis. Keyed by the overview, not by `Loaded`:
    // opening an exchange must not hide them.
    let lists_for = use_state(|| None::<*const Overview>);
    {
        let lists_for = lists_for.setter();
        use_effect_with(overview.clone(), move |overview| {
            let pointer = Rc::as_ptr(&overview.0);
            crate::io::next_task(move || lists_for.set(Some(pointer)));
        });
    }
    let lists_ready = *lists_for == Some(Rc::as_ptr(&overview.0));
    let selected = loaded.selected(&props.route);
    let detail = selected.and_then(|index| loaded.session(index)).map(Shared);
    let set_view = |view: View| {
        let actions = props.actions.clone();
        let route = props.route.clone();
        Callback::from(move |_: MouseEvent| actions.navigate(Route { view, ..route.clone() }))
    };
    let export = |kind: ExportKind| {
        let actions = props.actions.clone();
        Callback::from(move |_: MouseEvent| actions.export(kind))
    };
    html! {
        <div id="analysis">
            <section id="overview" data-testid="overview" class={classes!("outcome", overview.outcome.as_str())}
                data-outcome={overview.outcome.as_str()} aria-labelledby="verdict">
                <h2 id="verdict" class="headline">{ &overview.headline }</h2>
                <p class="sources">{ format!("{} exchange(s) read from {}", overview.exchange_count, overview.source_names) }</p>
                <div class="exports" role="group" aria-label="Downloads (made on this page, the same as the CLI writes)">
                    <button type="button" id="export-json" onclick={export(ExportKind::AnalysisJson)}>{ "Analysis (JSON)" }</button>
                    <button type="button" id="export-markdown" onclick={export(ExportKind::Markdown)}>{ "Summary for an issue (Markdown)" }</button>
                    if let Some(selected) = selected {
                        <button type="button" id="export-mermaid" onclick={export(ExportKind::Mermaid { session: selected })}>
                            { format!("Diagram of session {} (Mermaid)", selected + 1) }</button>
                        <button type="button" id="export-svg" onclick={export(ExportKind::Svg { session: selected })}>
                            { format!("Diagram of session {} (SVG)", selected + 1) }</button>
                    }
                    { for overview.sources.iter().enumerate().filter(|(_, source)| source.format != "unknown").map(|(index, source)| html! {
                        <button type="button" class="export-redacted" id={format!("export-redacted-{index}")} data-source={index.to_string()}
                            onclick={export(ExportKind::Redacted { source: index })}>
                            { format!("Redacted copy of {}", source.name) }</button>
                    }) }
                </div>
                if let Some(note) = &loaded.export {
                    <p id="export-status" role="status" class={classes!("export-status", matches!(note, ExportNote::Failed(_)).then_some("failed"))}>
                        { note.text() }</p>
                }
            </section>
            if !overview.problems.is_empty() {
                <section id="problems" class="problems">
                    <h2>{ "Parts of the input that could not be read" }</h2>
                    <ul>{ for overview.problems.iter().map(|problem| html! { <li>{ problem }</li> }) }</ul>
                </section>
            }
            if !overview.notes.is_empty() {
                <section id="input-notes" class="input-notes">
                    <h2>{ "About the inputs" }</h2>
                    <ul>{ for overview.notes.iter().map(|note| html! { <li>{ note }</li> }) }</ul>
                </section>
            }
            if overview.sessions.total > 0 {
                { card_list(overview, &loaded.cards, selected, &props.actions, &props.route) }
            }
            if let Some(selected) = selected {
                <section id="session-view" data-session={selected.to_string()} aria-busy={detail.is_none().to_string()}
                    aria-label={format!("Session {}", selected + 1)}>
                    <nav class="view-tabs" aria-label="How to show the session">
                        <button type="button" id="tab-overview" aria-pressed={(props.route.view == View::Overview).to_string()}
                            onclick={set_view(View::Overview)}>{ "Details" }</button>
                        <button type="button" id="tab-learn" aria-pressed={(props.route.view == View::Learn).to_string()}
                            onclick={set_view(View::Learn)}>{ "Learn the six steps" }</button>
                    </nav>
                    { match &detail {
                        None => html! { <p class="none" id="session-pending">{ format!("Loading session {}…", selected + 1) }</p> },
                        Some(detail) if props.route.view == View::Learn => html! {
                            <LearnView key={selected} detail={detail.clone()} route={props.route.clone()} actions={props.actions.clone()} />
                        },
                        Some(detail) => html! {
                            <>
                            <SequenceDiagram key={selected} detail={detail.clone()} actions={props.actions.clone()} highlight={None::<u8>} />
                            // Every finding is listed below already, unless the capture has too many to list.
                            if overview.finding_count > overview.findings.len() {
                                <SessionFindings detail={detail.clone()} />
                            }
                            </>
                        },
                    } }
                </section>
            }
            if let Some(exchange) = &loaded.detail {
                <ExchangePanel detail={exchange.clone()} actions={props.actions.clone()} />
            }
            if lists_ready && props.route.view == View::Overview {
                <FindingsList overview={overview.clone()} />
                <ClockTable overview={overview.clone()} />
            }
            if props.route.view == View::Overview {
                if let (Some(selected), Some(detail)) = (selected, &detail) {
                    <TokenInspector detail={detail.clone()} secrets={loaded.secrets(selected).0}
                        revealed={loaded.secrets(selected).1} pending={loaded.reveal_pending(selected)}
                        actions={props.actions.clone()} />
                }
            }
        </div>
    }
}

/// The session cards listed so far, with the outcome filters and "show more" of a big capture.
fn card_list(
    overview: &Overview,
    cards: &CardList,
    selected: Option<usize>,
    actions: &Actions,
    route: &Route,
) -> Html {
    let counts = overview.sessions;
    // Filters help only when the sessions do not fit on one page.
    let filters = counts.total > CARDS_PER_PAGE;
    let more = {
        let actions = actions.clone();
        Callback::from(move |_: MouseEvent| actions.more_cards())
    };
    html! {
        <section id="session-cards" aria-labelledby="cards-heading">
            <h2 id="cards-heading">{ format!("Sessions ({})", counts.total) }</h2>
            if filters {
                <div class="card-filters" role="group" aria-label="Which sessions to list">
                    { for CardFilter::ALL.into_iter().filter(|filter| counts.of(*filter) > 0).map(|filter| {
                        let actions = actions.clone();
                        html! {
                            <button type="button" class="card-filter" data-filter={filter.as_str()}
                                aria-pressed={(cards.filter == filter).to_string()}
                                onclick={Callback::from(move |_: MouseEvent| actions.filter_cards(filter))}>
                                { format!("{} ({})", filter.label(), counts.of(filter)) }
                            </button>
                        }
                    }) }
                </div>
            }
            <ul class="cards">
                { for cards.shown.iter().map(|card| session_card(card, selected, actions, route)) }
            </ul>
            if cards.remaining() > 0 {
                <p class="more-cards">
                    <span class="none">{ format!("{} of {} listed. ", cards.shown.len(), cards.total) }</span>
                    <button type="button" id="more-sessions" disabled={cards.more_wanted} onclick={more}>
                        { if cards.more_wanted { "Loading…".to_owned() } else { format!("Show {} more", cards.remaining().min(CARDS_PER_PAGE)) } }
                    </button>
                </p>
            }
        </section>
    }
}

fn session_card(
    card: &SessionCard,
    selected: Option<usize>,
    actions: &Actions,
    route: &Route,
) -> Html {
    let onclick = {
        let actions = actions.clone();
        let route = Route { session: Some(card.index), step: None, ..route.clone() };
        Callback::from(move |_: MouseEvent| actions.navigate(route.clone()))
    };
    let is_selected = selected == Some(card.index);
    let outcome = card.outcome.as_str();
    html! {
        <li key={card.index}>
            <article class={classes!("card", outcome, is_selected.then_some("selected"))}
                data-testid="session" data-session={card.index.to_string()} data-outcome={outcome}
                data-failed-step={card.failed_step.map(|step| step.to_string())}>
                <h3>
                    <span class="card-registry">{ &card.registry }</span>
                    <span class="card-repository">{ card.repository.as_deref().map_or_else(|| " (registry-wide)".to_owned(), |repository| format!("/{repository}")) }</span>
                </h3>
                <p class={classes!("badge", outcome)}>
                    <span aria-hidden="true">{ match card.outcome { Outcome::Failure => "✗ ", Outcome::Success => "✓ ", Outcome::Incomplete => "… " } }</span>
                    { &card.badge }
                </p>
                if let Some((code, title)) = &card.failed_finding {
                    <p class="card-finding" data-code={code.as_str()}><code>{ code.as_str() }</code>{ " " }{ title }</p>
                }
                <dl class="card-facts">
                    <dt>{ "client" }</dt><dd class="card-client">{ card.client.as_deref().unwrap_or("unknown") }</dd>
                    <dt>{ "auth" }</dt><dd>{ card.scheme.as_str() }</dd>
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
