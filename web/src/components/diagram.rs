//! The sequence diagram of one session, in SVG: a lifeline per participant, a row per
//! exchange (request arrow to the host, answer arrow back), step numbers on the arrows,
//! repeats collapsed with a count (expandable), and the failing answer red with its finding
//! right under it. Each row is a button that opens the exchange. Above it, the six steps in
//! a strip with each one's status, in words and symbols (colour is never the only signal).

use yew::prelude::*;

use crate::Actions;
use crate::diagram::{Diagram, DiagramRow, ROWS_AT_FIRST};
use crate::state::Shared;
use crate::view_model::{Arrow, SessionDetail};

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// The session as the worker sent it (steps and diagram built there).
    pub detail: Shared<SessionDetail>,
    pub actions: Actions,
    /// The step learn mode is on, drawn highlighted.
    pub highlight: Option<u8>,
}

const ROW_HEIGHT: u32 = 46;

#[function_component(SequenceDiagram)]
pub fn sequence_diagram(props: &DiagramProps) -> Html {
    let session = &props.detail.session;
    let expanded = use_state(Vec::<usize>::new);
    let show_all = use_state(|| false);
    let outcome = session.outcome.as_str();
    html! {
        <section class={classes!("session", outcome)} id={format!("session-{}", session.index + 1)}
            data-outcome={outcome} aria-labelledby={format!("session-{}-heading", session.index + 1)}>
            <h3 id={format!("session-{}-heading", session.index + 1)}>
                { format!("Session {}: {}", session.index + 1, session.title) }
                <span class={classes!("verdict", outcome)}>{ &session.verdict }</span>
                <span class="scheme">{ format!("{} auth", session.scheme.as_str()) }</span>
            </h3>
            if let Some(realm) = &session.realm {
                <p class="realm">{ format!("realm {realm}  service {}", session.service.as_deref().unwrap_or("?")) }</p>
            }
            <ol class="steps-strip" aria-label="The six steps">
                { for session.arrows.iter().map(|arrow| step_badge(arrow, props.highlight)) }
            </ol>
            { draw(&props.detail.diagram, props, &expanded, &show_all) }
            if let Some(next) = &session.expected_next {
                <p class="expected-next">{ format!("The capture ends while waiting for: {next}") }</p>
            }
        </section>
    }
}

fn step_badge(arrow: &Arrow, highlight: Option<u8>) -> Html {
    let symbol = match arrow.status.as_str() {
        "done" => "✓",
        "failed" => "✗",
        "skipped" => "–",
        _ => "…",
    };
    let words = match arrow.status.as_str() {
        "done" => "done",
        "failed" => "failed here",
        "skipped" => "not in this scheme",
        "not-reached" => "not reached",
        _ => "not seen",
    };
    html! {
        <li class={classes!("step", arrow.status.as_str(), (highlight == Some(arrow.step)).then_some("highlight"))}
            data-step={arrow.step.to_string()} data-status={arrow.status.as_str()}
            title={format!("{}: {}", arrow.title, words)}>
            <span class="step-num">{ arrow.step }</span>
            <span class="step-symbol" aria-hidden="true">{ symbol }</span>
            <span class="step-title">{ format!("{} ({words})", arrow.title) }</span>
        </li>
    }
}

/// Centre of lane `lane` of `lanes`, in percent of the width.
fn lane_x(lane: usize, lanes: usize) -> f64 {
    (lane as f64 + 0.5) * 100.0 / lanes.max(1) as f64
}

fn steps_text(steps: &[u8]) -> String {
    steps.iter().map(|step| format!("({step}) ")).collect()
}

fn draw(
    diagram: &Diagram,
    props: &DiagramProps,
    expanded: &UseStateHandle<Vec<usize>>,
    show_all: &UseStateHandle<bool>,
) -> Html {
    let lanes = diagram.lanes.len();
    let rows = if **show_all {
        diagram.rows.as_slice()
    } else {
        &diagram.rows[..diagram.rows.len().min(ROWS_AT_FIRST)]
    };
    html! {
        <div class="seq" style={format!("--lanes: {lanes}")}>
            <svg class="seq-defs" width="0" height="0" aria-hidden="true" focusable="false">
                <defs>
                    <marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="head" />
                    </marker>
                    <marker id="arrowhead-failed" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="head failed" />
                    </marker>
                </defs>
            </svg>
            <ul class="seq-lanes" aria-label="Participants">
                { for diagram.lanes.iter().map(|lane| html! {
                    <li class="seq-lane" data-role={lane.role.clone()}>
                        <span class="lane-role">{ &lane.role }</span>
                        if let Some(authority) = &lane.authority {
                            <span class="lane-host">{ authority }</span>
                        }
                    </li>
                }) }
            </ul>
            <ol class="seq-rows">
                { for rows.iter().enumerate().map(|(at, row)| draw_row(at, row, lanes, props, expanded)) }
            </ol>
            if diagram.rows.len() > rows.len() {
                <button type="button" class="show-all-rows" onclick={
                    let show_all = show_all.clone();
                    Callback::from(move |_: MouseEvent| show_all.set(true))
                }>{ format!("Show all {} rows", diagram.rows.len()) }</button>
            }
        </div>
    }
}

fn draw_row(
    at: usize,
    row: &DiagramRow,
    lanes: usize,
    props: &DiagramProps,
    expanded: &UseStateHandle<Vec<usize>>,
) -> Html {
    let first = row.exchanges[0];
    let client = lane_x(0, lanes);
    let host = lane_x(row.lane, lanes);
    let middle = (client + host) / 2.0;
    let steps: Vec<String> =
        row.request_steps.iter().chain(&row.answer_steps).map(ToString::to_string).collect();
    let highlighted = props
        .highlight
        .is_some_and(|step| row.request_steps.contains(&step) || row.answer_steps.contains(&step));
    let count = row.exchanges.len();
    let label = format!(
        "Exchange #{first}: {}{} → {}{}",
        row.request,
        if count > 1 { format!(" (and {} more like it)", count - 1) } else { String::new() },
        row.answer,
        if row.failed { ", the failing answer" } else { "" }
    );
    let open = {
        let actions = props.actions.clone();
        Callback::from(move |_: MouseEvent| actions.open_exchange(first))
    };
    let is_expanded = expanded.contains(&at);
    let toggle = {
        let expanded = expanded.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*expanded).clone();
            if let Some(position) = next.iter().position(|row| *row == at) {
                next.remove(position);
            } else {
                next.push(at);
            }
            expanded.set(next);
        })
    };
    let marker = if row.failed { "url(#arrowhead-failed)" } else { "url(#arrowhead)" };
    html! {
        <li class={classes!("row", row.failed.then_some("failed"), highlighted.then_some("highlight"))}
            data-exchange={first.to_string()} data-steps={steps.join(" ")} data-count={count.to_string()}>
            <button type="button" class="row-open" aria-label={label} onclick={open}>
                <svg class="arrows" width="100%" height={ROW_HEIGHT.to_string()} aria-hidden="true" focusable="false">
                    { for (0..lanes).map(|lane| {
                        let x = format!("{:.2}%", lane_x(lane, lanes));
                        html! { <line class="lifeline" x1={x.clone()} x2={x} y1="0" y2={ROW_HEIGHT.to_string()} /> }
                    }) }
                    <line class="request" x1={format!("{client:.2}%")} x2={format!("{host:.2}%")} y1="17" y2="17" marker-end={marker} />
                    <line class="answer" x1={format!("{host:.2}%")} x2={format!("{client:.2}%")} y1="39" y2="39" marker-end={marker} />
                    <text class="label request" x={format!("{middle:.2}%")} y="12" text-anchor="middle">
                        { format!("{}{}{}", steps_text(&row.request_steps), row.request, if count > 1 { format!("  ×{count}") } else { String::new() }) }
                    </text>
                    <text class="label answer" x={format!("{middle:.2}%")} y="34" text-anchor="middle">
                        { format!("{}{}{}", steps_text(&row.answer_steps), row.answer, if row.failed { "  ✗" } else { "" }) }
                    </text>
                </svg>
            </button>
            if let Some(finding) = &row.finding {
                <p class="row-finding" data-code={finding.code.as_str()}>
                    <span class="finding-mark" aria-hidden="true">{ "✗ " }</span>
                    <code>{ finding.code.as_str() }</code>{ " " }{ super::prose(&finding.message) }
                </p>
            }
            if !row.notes.is_empty() {
                <p class="row-notes">{ for row.notes.iter().map(|code| html! { <code data-code={code.as_str()}>{ code.as_str() }</code> }) }</p>
            }
            if count > 1 {
                <button type="button" class="expand" aria-expanded={is_expanded.to_string()} onclick={toggle}>
                    { if is_expanded { format!("Hide the {count} exchanges") } else { format!("×{count}: show each") } }
                </button>
                if is_expanded {
                    <ul class="repeats">
                        { for row.exchanges.iter().map(|&index| {
                            let actions = props.actions.clone();
                            html! {
                                <li><button type="button" class="exchange-link" data-exchange={index.to_string()}
                                    onclick={Callback::from(move |_: MouseEvent| actions.open_exchange(index))}>
                                    { format!("#{index}") }
                                </button></li>
                            }
                        }) }
                    </ul>
                }
            }
        </li>
    }
}
