//! Exchange detail: request and response lines, headers (masked unless revealed), the parsed
//! challenge, token request parameters, the token response, bodies, timings and TLS facts.

use yew::prelude::*;

use crate::Actions;
use crate::detail::{BodyView, ExchangeDetail, HeaderLine};
use crate::state::Detail;

#[derive(Properties, PartialEq)]
pub struct ExchangePanelProps {
    pub detail: Detail,
    pub actions: Actions,
}

#[function_component(ExchangePanel)]
pub fn exchange_panel(props: &ExchangePanelProps) -> Html {
    let close = {
        let actions = props.actions.clone();
        Callback::from(move |_: MouseEvent| actions.close_exchange())
    };
    let index = props.detail.index();
    html! {
        <section id="exchange-detail" class="exchange-detail" data-exchange={index.to_string()}
            aria-labelledby="exchange-heading">
            <h2 id="exchange-heading">{ format!("Exchange #{index}") }
                <button type="button" id="close-exchange" class="close" onclick={close}>{ "Close" }</button>
            </h2>
            { match &props.detail {
                Detail::Pending(_) => html! { <p class="none">{ "Loading the exchange…" }</p> },
                Detail::Shown(detail) => detail_body(detail),
            } }
        </section>
    }
}

fn pairs_table(id: &str, caption: &str, rows: &[(String, String)]) -> Html {
    if rows.is_empty() {
        return html! {};
    }
    html! {
        <table class={classes!("pairs", id.to_owned())}>
            <caption>{ caption }</caption>
            <tbody>
                { for rows.iter().map(|(name, value)| html! { <tr><th scope="row">{ name }</th><td>{ value }</td></tr> }) }
            </tbody>
        </table>
    }
}

fn headers_table(id: &str, caption: &str, headers: &[HeaderLine]) -> Html {
    html! {
        <table class={classes!("headers", id.to_owned())}>
            <caption>{ caption }</caption>
            <tbody>
                if headers.is_empty() {
                    <tr><td colspan="2">{ "none recorded" }</td></tr>
                }
                { for headers.iter().map(|line| html! {
                    <tr class={classes!(line.masked.then_some("masked"))}>
                        <th scope="row">{ &line.name }</th>
                        <td><code class={classes!(line.masked.then_some("secret"), line.masked.then_some("masked"))}>{ &line.value }</code></td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

fn body_block(caption: &str, body: &BodyView) -> Html {
    let content = match body {
        BodyView::None => html! { <p class="none">{ "no body" }</p> },
        BodyView::Binary { size, mime } => html! {
            <p class="none">{ format!("{} of binary data{}", regauth_core::units::human_bytes(*size), mime.as_deref().map(|mime| format!(" ({mime})")).unwrap_or_default()) }</p>
        },
        BodyView::Unreadable { reason } => {
            html! { <p class="none">{ format!("cannot show: {reason}") }</p> }
        }
        BodyView::Text { text, json, truncated, size } => html! {
            <>
            <pre class={classes!("body", json.then_some("json"))} tabindex="0">{ text }</pre>
            if *truncated {
                <p class="none">{ format!("(first part shown; {} in all)", regauth_core::units::human_bytes(*size)) }</p>
            }
            </>
        },
    };
    html! { <div class="body-block"><h3>{ caption }</h3>{ content }</div> }
}

fn detail_body(detail: &ExchangeDetail) -> Html {
    let mut timing = Vec::new();
    if let Some(started) = &detail.started_at {
        timing.push(("started".to_owned(), started.clone()));
    }
    if let Some(ended) = &detail.ended_at {
        timing.push(("ended".to_owned(), ended.clone()));
    }
    if let Some(duration) = detail.duration_ms {
        timing.push(("duration".to_owned(), format!("{duration:.1} ms")));
    }
    if let Some(server) = &detail.server_address {
        timing.push(("server address".to_owned(), server.clone()));
    }
    timing.push(("recorded in".to_owned(), detail.origin.clone()));
    html! {
        <div class={classes!("exchange", if detail.revealed { "revealed" } else { "masked" })}>
            <p class="request-line"><code>{ &detail.request_line }</code></p>
            <p class="response-line"><code>{ &detail.response_line }</code></p>
            if let Some(error) = &detail.error {
                <p class="exchange-error">{ format!("error: {error}") }</p>
            }
            if !detail.revealed {
                <p class="reveal-note">{ "Credentials are masked; \"Reveal secrets\" in the token section shows them." }</p>
            }
            { pairs_table("timing", "timing", &timing) }
            { headers_table("request-headers", "request headers", &detail.request_headers) }
            { headers_table("response-headers", "response headers", &detail.response_headers) }
            { for detail.challenges.iter().enumerate().map(|(n, challenge)| {
                let rows: Vec<(String, String)> = challenge.params.clone();
                html! {
                    <div class="challenge">
                        { pairs_table("challenge", &format!("challenge {}: {} (WWW-Authenticate)", n + 1, challenge.scheme), &rows) }
                    </div>
                }
            }) }
            { pairs_table("token-request", "token request", &detail.token_request) }
            { pairs_table("token-response", "token response", &detail.token_response) }
            { body_block("request body", &detail.request_body) }
            { body_block("response body", &detail.response_body) }
            if detail.connection.is_empty() {
                { pairs_table("tls", "TLS", &detail.tls) }
            } else {
                { pairs_table("tls", "TLS connection", &detail.connection) }
            }
        </div>
    }
}
