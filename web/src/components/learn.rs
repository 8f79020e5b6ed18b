//! Learn mode: one of the six steps at a time, in plain words, with the matching arrow
//! highlighted and its exchange one click away. Works on any loaded session.

use yew::prelude::*;

use crate::Actions;
use crate::components::diagram::SequenceDiagram;
use crate::learn::{first_step, lesson};
use crate::route::Route;
use crate::state::Shared;
use crate::view_model::SessionDetail;

#[derive(Properties, PartialEq)]
pub struct LearnProps {
    pub detail: Shared<SessionDetail>,
    pub route: Route,
    pub actions: Actions,
}

#[function_component(LearnView)]
pub fn learn_view(props: &LearnProps) -> Html {
    let session = &props.detail.session;
    let step = props.route.step.unwrap_or_else(|| first_step(session));
    let lesson = lesson(step, session);
    let go = |to: u8| {
        let actions = props.actions.clone();
        let route = Route { step: Some(to), ..props.route.clone() };
        Callback::from(move |_: MouseEvent| actions.navigate(route.clone()))
    };
    let open = lesson.exchange.map(|index| {
        let actions = props.actions.clone();
        Callback::from(move |_: MouseEvent| actions.open_exchange(index))
    });
    html! {
        <section id="learn" class="learn" data-testid="learn" data-step={step.to_string()} aria-labelledby="learn-heading">
            <h2 id="learn-heading">{ format!("Step {step} of 6: {}", lesson.title) }</h2>
            <ol class="learn-steps" aria-label="The six steps">
                { for (1..=6u8).map(|number| html! {
                    <li>
                        <button type="button" class="learn-step" data-step={number.to_string()}
                            aria-current={(number == step).then_some("step")} onclick={go(number)}>
                            { number }
                        </button>
                    </li>
                }) }
            </ol>
            <div class="lesson">
                <h3>{ "What the client sends" }</h3>
                <p>{ super::prose(lesson.client_sends) }</p>
                <h3>{ "What the server answers" }</h3>
                <p>{ super::prose(lesson.server_answers) }</p>
                <h3>{ "In this capture" }</h3>
                <p class="in-this-capture">{ super::prose(&lesson.in_this_capture) }</p>
                if let Some(open) = open {
                    <button type="button" id="learn-open-exchange" onclick={open}>{ "Open this step's exchange" }</button>
                }
                <h3>{ "What can go wrong here" }</h3>
                <ul class="can-go-wrong">
                    { for lesson.can_go_wrong.iter().map(|(code, when)| html! {
                        <li data-code={*code}><code>{ *code }</code>{ ": " }{ super::prose(when) }</li>
                    }) }
                </ul>
            </div>
            <p class="learn-nav">
                <button type="button" id="learn-prev" disabled={step == 1} onclick={go(step.saturating_sub(1).max(1))}>{ "← Previous step" }</button>
                <button type="button" id="learn-next" disabled={step == 6} onclick={go((step + 1).min(6))}>{ "Next step →" }</button>
            </p>
            <SequenceDiagram detail={props.detail.clone()} actions={props.actions.clone()} highlight={Some(step)} />
        </section>
    }
}
