//! Token inspector: header, claims, access table, validity times, signature state. The token
//! itself is shown as the report printed it: masked (no signature) unless the user reveals it.

use std::rc::Rc;

use yew::prelude::*;

use crate::Actions;
use crate::state::Shared;
use crate::timeline::TokenTimeline;
use crate::view_model::{JwtModel, SessionDetail, TokenSecrets, TokenView};

#[derive(Properties, PartialEq)]
pub struct TokenInspectorProps {
    /// The session on screen, with its tokens (and those of no session).
    pub detail: Shared<SessionDetail>,
    /// Masked or revealed, matching `revealed`, in the order of the detail's tokens.
    pub secrets: Rc<Vec<TokenSecrets>>,
    pub revealed: bool,
    /// Reveal asked for, the worker has not answered yet.
    pub pending: bool,
    pub actions: Actions,
}

#[function_component(TokenInspector)]
pub fn token_inspector(props: &TokenInspectorProps) -> Html {
    let detail = &props.detail;
    if detail.tokens.is_empty() {
        return html! {
            <section id="tokens"><h2>{ "Tokens" }</h2><p class="none">{ "No token was issued in this session." }</p></section>
        };
    }
    let revealed = props.revealed;
    let pressed = revealed || props.pending;
    let onclick = {
        let actions = props.actions.clone();
        Callback::from(move |_: MouseEvent| actions.reveal(!pressed))
    };
    html! {
        <section id="tokens">
            <h2>{ "Tokens" }</h2>
            <p class="reveal">
                <button type="button" id="reveal-secrets" aria-pressed={pressed.to_string()} {onclick}>
                    { if revealed { "Mask secrets" } else { "Reveal secrets" } }
                </button>
                <span class="reveal-note">{
                    if revealed { "Token signatures and refresh tokens are shown in full." }
                    else { "Token signatures and refresh tokens are masked." }
                }</span>
            </p>
            if detail.token_count > detail.tokens.len() {
                <p class="none">{ format!("The first {} of {} tokens of this session:", detail.tokens.len(), detail.token_count) }</p>
            }
            { for detail.tokens.iter().enumerate().map(|(at, token)| token_card(token, props.secrets.get(at), revealed)) }
        </section>
    }
}

fn token_card(view: &TokenView, secrets: Option<&TokenSecrets>, revealed: bool) -> Html {
    let token = &view.model;
    let secret_class = classes!("secret", if revealed { "revealed" } else { "masked" });
    let access = &view.access;
    let timeline = &view.timeline;
    html! {
        <article class="token" data-token={token.index.to_string()} aria-labelledby={format!("token-{}-heading", token.index)}>
            <h3 id={format!("token-{}-heading", token.index)}>{ format!("Token {} ({}) for {}", token.index + 1, token.kind, token.holder) }</h3>
            <table class="facts">
                <tr><th scope="row">{ "requested scopes" }</th><td>{ &token.scopes }</td></tr>
                <tr><th scope="row">{ "issued by" }</th><td>{ format!("exchange #{}", token.issued_by) }</td></tr>
                <tr><th scope="row">{ "issued at" }</th><td>{ token.issued_at.as_deref().unwrap_or("-") }</td></tr>
                <tr><th scope="row">{ "lifetime" }</th><td>{ format!("{} s (as clients count it)", token.lifetime_seconds) }</td></tr>
                <tr><th scope="row">{ "used" }</th><td>{ format!("{} time(s), refused {}", token.uses, token.rejected_uses) }</td></tr>
            </table>
            if !access.is_empty() {
                <table class="access-check">
                    <caption>{ "access: asked for against granted" }</caption>
                    <thead><tr><th scope="col">{ "resource" }</th><th scope="col">{ "asked for" }</th><th scope="col">{ "granted" }</th><th scope="col">{ "missing" }</th></tr></thead>
                    <tbody>
                        { for access.iter().map(|line| html! {
                            <tr class={classes!((!line.missing.is_empty()).then_some("missing"))}>
                                <td>{ &line.resource }</td><td>{ &line.requested }</td><td>{ &line.granted }</td>
                                <td class="missing-actions">{
                                    if line.missing.is_empty() { "none".to_owned() } else { format!("✗ {}", line.missing.join(", ")) }
                                }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            if let Some(timeline) = &timeline { { validity_chart(token.index, timeline) } }
            if let Some(jwt) = &token.jwt { { jwt_tables(jwt) } }
            if let Some(secrets) = secrets {
                <details class="raw-token" open={revealed}>
                    <summary>{ if revealed { "Raw token (revealed)" } else { "Raw token (signature masked)" } }</summary>
                    <p class="token-value"><code class={secret_class.clone()}>{ &secrets.token }</code></p>
                    if let Some(refresh) = &secrets.refresh_token {
                        <p class="refresh-token">{ "refresh token " }<code class={secret_class}>{ refresh }</code></p>
                    }
                </details>
            }
        </article>
    }
}

/// The validity window against the three clocks, and the requests that used the token.
fn validity_chart(index: usize, timeline: &TokenTimeline) -> Html {
    let band = |class: &'static str, y: u32, window: Option<(f64, f64)>, label: &'static str| {
        match window {
            Some((from, to)) => html! {
                <g class={class}>
                    <rect x={format!("{from:.2}%")} y={y.to_string()} width={format!("{:.2}%", (to - from).max(0.4))} height="12" />
                    <text x={format!("{:.2}%", from.min(70.0))} y={(y + 24).to_string()}>{ label }</text>
                </g>
            },
            None => html! {},
        }
    };
    html! {
        <figure class="validity-chart" data-token={index.to_string()}>
            <svg width="100%" height="118" role="img" aria-label={format!("Validity of token {} on the capture clock: {}", index + 1, timeline.clocks_note)}>
                { band("issuer-window", 6, timeline.issuer_window, "valid by the issuer's clock (nbf–exp)") }
                { band("registry-window", 40, timeline.registry_window, "accepted by the registry's clock (±60 s leeway)") }
                if let Some(x) = timeline.expiry_x {
                    <g class="expiry">
                        <line x1={format!("{x:.2}%")} x2={format!("{x:.2}%")} y1="0" y2="100" />
                        // Right of the line, or left of it in the right half, so the label is never cut by the edge.
                        if x > 50.0 {
                            <text x={format!("{:.2}%", x - 0.5)} y="96" text-anchor="end">{ "exp (registry clock)" }</text>
                        } else {
                            <text x={format!("{:.2}%", x + 0.5)} y="96">{ "exp (registry clock)" }</text>
                        }
                    </g>
                }
                { for timeline.uses.iter().map(|mark| {
                    let x = format!("{:.2}%", mark.x);
                    if mark.refused {
                        html! { <g class="use refused" data-exchange={mark.exchange.to_string()}>
                            <text x={x} y="84" text-anchor="middle">{ "✗" }</text>
                        </g> }
                    } else {
                        html! { <g class="use accepted" data-exchange={mark.exchange.to_string()}>
                            <circle cx={x} cy="79" r="5" />
                        </g> }
                    }
                }) }
                <line class="axis" x1="0" x2="100%" y1="100" y2="100" />
            </svg>
            <figcaption>
                { format!("Capture clock from {} to {}. Requests that used the token: ● accepted, ✗ refused. {}.", timeline.start, timeline.end, timeline.clocks_note) }
            </figcaption>
        </figure>
    }
}

fn optional(value: Option<&String>) -> String {
    value.cloned().unwrap_or_else(|| "-".to_owned())
}

fn jwt_tables(jwt: &JwtModel) -> Html {
    html! {
        <div class="jwt">
            <table class="jwt-header">
                <caption>{ "header" }</caption>
                <tr><th>{ "alg" }</th><td>{ &jwt.alg }</td></tr>
                <tr><th>{ "kid" }</th><td>{ optional(jwt.kid.as_ref()) }</td></tr>
                <tr><th>{ "typ" }</th><td>{ optional(jwt.typ.as_ref()) }</td></tr>
                <tr><th>{ "x5c" }</th><td>{ format!("{} certificate(s)", jwt.x5c_certificates) }</td></tr>
            </table>
            <table class="jwt-claims">
                <caption>{ "claims" }</caption>
                <tr><th>{ "iss" }</th><td>{ optional(jwt.iss.as_ref()) }</td></tr>
                <tr><th>{ "sub" }</th><td>{ optional(jwt.sub.as_ref()) }</td></tr>
                <tr><th>{ "aud" }</th><td>{ &jwt.aud }</td></tr>
                <tr><th>{ "jti" }</th><td>{ optional(jwt.jti.as_ref()) }</td></tr>
            </table>
            <table class="validity">
                <caption>{ "validity (issuer clock; compare with the clock table)" }</caption>
                { for jwt.times.iter().map(|(claim, unix, at)| html! {
                    <tr data-claim={claim.clone()}><th>{ claim }</th><td class="num">{ unix }</td><td>{ at }</td></tr>
                }) }
            </table>
            <table class="access">
                <caption>{ "access granted" }</caption>
                <thead><tr><th>{ "type" }</th><th>{ "name" }</th><th>{ "actions" }</th></tr></thead>
                <tbody>
                    if jwt.access.is_empty() {
                        <tr><td colspan="3">{ "nothing: the token grants no access" }</td></tr>
                    }
                    { for jwt.access.iter().map(|entry| html! {
                        <tr><td>{ &entry.resource_type }</td><td>{ &entry.name }</td><td>{ &entry.actions }</td></tr>
                    }) }
                </tbody>
            </table>
            <p class="signature">
                { format!("signature {} ({}): {}", jwt.signature, jwt.signature_check, jwt.signature_detail) }
            </p>
        </div>
    }
}
