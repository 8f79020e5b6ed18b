//! Sequence diagram of one session: three lifelines and the six numbered arrows, drawn with
//! CSS grid so that it is plain, selectable, testable HTML (`li.step[data-step]`).

use yew::prelude::*;

use crate::Actions;
use crate::view_model::{Arrow, Lane, SessionModel};

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub session: SessionModel,
    pub actions: Actions,
    /// The step learn mode is on, drawn highlighted.
    pub highlight: Option<u8>,
}

#[function_component(SequenceDiagram)]
pub fn sequence_diagram(props: &DiagramProps) -> Html {
    let session = &props.session;
    html! {
        <section class={classes!("session", session.outcome)} id={format!("session-{}", session.index + 1)}
            data-outcome={session.outcome}>
            <h3>
                { format!("Session {}: {}", session.index + 1, session.title) }
                <span class={classes!("verdict", session.outcome)}>{ &session.verdict }</span>
                <span class="scheme">{ format!("{} auth", session.scheme) }</span>
            </h3>
            if let Some(realm) = &session.realm {
                <p class="realm">{ format!("realm {realm}  service {}", session.service.as_deref().unwrap_or("?")) }</p>
            }
            <div class="diagram">
                <div class="lanes">
                    { for Lane::ALL.iter().map(|lane| html! {
                        <span class="lane" style={grid_columns(lane.column() * 2 + 1, lane.column() * 2 + 3)}>
                            { lane.label() }
                        </span>
                    }) }
                </div>
                <ol class="arrows">
                    { for session.arrows.iter().map(|arrow| arrow_row(arrow, &props.actions, props.highlight)) }
                </ol>
            </div>
            if let Some(next) = &session.expected_next {
                <p class="expected-next">{ format!("The capture ends while waiting for: {next}") }</p>
            }
        </section>
    }
}

fn grid_columns(start: usize, end: usize) -> String {
    format!("grid-column: {start} / {end}")
}

fn arrow_row(arrow: &Arrow, actions: &Actions, highlight: Option<u8>) -> Html {
    let (from, to) = (arrow.from.column(), arrow.to.column());
    // Lane n's lifeline sits on grid line 2n + 2 of a six-column grid.
    let span = grid_columns(from.min(to) * 2 + 2, from.max(to) * 2 + 2);
    let direction = if to > from { "ltr" } else { "rtl" };
    html! {
        <li class={classes!("step", arrow.status.as_str(), (highlight == Some(arrow.step)).then_some("highlight"))}
            data-step={arrow.step.to_string()} data-status={arrow.status.as_str()}>
            <div class={classes!("arrow", direction)} style={span}>
                <span class="label">
                    <span class="step-num">{ arrow.step }</span>
                    { " " }{ &arrow.title }
                </span>
                <span class="line" aria-hidden="true"></span>
                if let Some(index) = arrow.first_exchange {
                    <button type="button" class="detail exchange-link" data-exchange={index.to_string()}
                        onclick={let actions = actions.clone(); Callback::from(move |_: MouseEvent| actions.open_exchange(index))}>
                        { arrow.detail.clone().unwrap_or_default() }
                    </button>
                } else {
                    <span class="detail">{ status_text(arrow) }</span>
                }
            </div>
            if let Some(finding) = &arrow.finding {
                <p class="step-finding" data-code={finding.code}>
                    <code>{ finding.code }</code>{ " " }{ &finding.message }
                </p>
            }
            if !arrow.notes.is_empty() {
                <p class="step-notes">{ for arrow.notes.iter().map(|code| html! { <code>{ *code }</code> }) }</p>
            }
        </li>
    }
}

fn status_text(arrow: &Arrow) -> String {
    match arrow.status.as_str() {
        "skipped" => "not part of this auth scheme".to_owned(),
        "not-reached" => "not reached".to_owned(),
        _ => "not seen in the capture".to_owned(),
    }
}
