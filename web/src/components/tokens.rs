//! Token inspector: header, claims, access table, validity times, signature state. The token
//! itself is shown as the report printed it: masked (no signature) unless the user reveals it.

use std::rc::Rc;

use yew::prelude::*;

use crate::Actions;
use crate::view_model::{JwtModel, PageModel, TokenModel, TokenSecrets};

#[derive(Properties, PartialEq)]
pub struct TokenInspectorProps {
    pub model: Rc<PageModel>,
    /// Masked or revealed, matching `revealed`.
    pub secrets: Rc<Vec<TokenSecrets>>,
    pub revealed: bool,
    /// Reveal asked for, the worker has not answered yet.
    pub pending: bool,
    pub actions: Actions,
}

#[function_component(TokenInspector)]
pub fn token_inspector(props: &TokenInspectorProps) -> Html {
    if props.model.tokens.is_empty() {
        return html! {
            <section id="tokens"><h2>{ "Tokens" }</h2><p class="none">{ "No token was issued in this capture." }</p></section>
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
            { for props.model.tokens.iter().map(|token| token_card(token, props.secrets.get(token.index), revealed)) }
        </section>
    }
}

fn token_card(token: &TokenModel, secrets: Option<&TokenSecrets>, revealed: bool) -> Html {
    let secret_class = classes!("secret", if revealed { "revealed" } else { "masked" });
    html! {
        <article class="token" data-token={token.index.to_string()}>
            <h3>{ format!("Token {} ({}) for {}", token.index + 1, token.kind, token.holder) }</h3>
            <table class="facts">
                <tr><th>{ "requested scopes" }</th><td>{ &token.scopes }</td></tr>
                <tr><th>{ "issued by" }</th><td>{ format!("exchange #{}", token.issued_by) }</td></tr>
                <tr><th>{ "issued at" }</th><td>{ token.issued_at.as_deref().unwrap_or("-") }</td></tr>
                <tr><th>{ "lifetime" }</th><td>{ format!("{} s (as clients count it)", token.lifetime_seconds) }</td></tr>
                <tr><th>{ "used" }</th><td>{ format!("{} time(s), refused {}", token.uses, token.rejected_uses) }</td></tr>
            </table>
            if let Some(secrets) = secrets {
                <p class="token-value"><code class={secret_class.clone()}>{ &secrets.token }</code></p>
                if let Some(refresh) = &secrets.refresh_token {
                    <p class="refresh-token">{ "refresh token " }<code class={secret_class}>{ refresh }</code></p>
                }
            }
            if let Some(jwt) = &token.jwt { { jwt_tables(jwt) } }
        </article>
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
                    <tr data-claim={*claim}><th>{ *claim }</th><td class="num">{ unix }</td><td>{ at }</td></tr>
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
