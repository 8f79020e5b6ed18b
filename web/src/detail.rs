//! One exchange as the detail view shows it: request and response lines, headers, the parsed
//! challenge, token request parameters, the token response, bodies, timings and TLS facts.
//!
//! Built in the worker from the core's model and protocol parsers (so the page never holds a
//! capture byte it did not ask for), masked unless the user revealed secrets: credentials in
//! `Authorization`, cookies, `X-Registry-Auth`, secret URL and form parameters and secret JSON
//! members show their shape (scheme, user name, JWT header and claims) but not their value.

use regauth_core::model::{Body, Exchange, Headers};
use regauth_core::protocol::{
    Authorization, Credential, TokenRequestKind, parse_authorization, parse_challenges,
    parse_token_request, parse_token_response,
};
use regauth_core::report::exchanges::rfc3339;
use regauth_core::secret::{is_secret_parameter, mask_url_secrets};

use regauth_core::token::decode_token;
use serde::{Deserialize, Serialize};

/// What a masked value is replaced with: the core's mask, as in every other output.
pub use regauth_core::secret::MASK;
/// Bodies are shown up to this many bytes (decoded); the rest is summarised by size.
const BODY_PREVIEW_BYTES: usize = 64 << 10;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExchangeDetail {
    pub index: usize,
    /// `a.flow, entry 3`.
    pub origin: String,
    pub revealed: bool,
    /// `GET https://r.example/v2/ HTTP/1.1` (secret URL parameters masked).
    pub request_line: String,
    /// `401 Unauthorized`, or why there was none.
    pub response_line: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub duration_ms: Option<f64>,
    pub server_address: Option<String>,
    pub request_headers: Vec<HeaderLine>,
    pub response_headers: Vec<HeaderLine>,
    /// Each challenge of the response's `WWW-Authenticate` headers.
    pub challenges: Vec<ChallengeView>,
    /// Token request parameters, when this exchange asks a realm for a token.
    pub token_request: Vec<(String, String)>,
    /// The token response's fields, when the body is one.
    pub token_response: Vec<(String, String)>,
    pub request_body: BodyView,
    pub response_body: BodyView,
    pub tls: Vec<(String, String)>,
    /// The TLS connection that carried the exchange, from the report's `tls` section
    /// (endpoint, versions, the chain checked at the connection's time); empty when none.
    #[serde(default)]
    pub connection: Vec<(String, String)>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeaderLine {
    pub name: String,
    pub value: String,
    /// The value was masked (a credential).
    pub masked: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChallengeView {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BodyView {
    None,
    Text { text: String, json: bool, truncated: bool, size: u64 },
    Binary { size: u64, mime: Option<String> },
    Unreadable { reason: String },
}

/// Builds the detail of `exchange`; `source_name` names its input.
pub fn exchange_detail(exchange: &Exchange, source_name: &str, reveal: bool) -> ExchangeDetail {
    let request = &exchange.request;
    let url = mask_url(&request.url(), reveal);
    let version = if request.http_version.is_empty() {
        String::new()
    } else {
        format!(" {}", request.http_version)
    };
    let response_line = match (&exchange.response, &exchange.error) {
        (Some(response), _) => format!("{} {}", response.status, response.reason).trim().to_owned(),
        (None, Some(_)) => "no answer (the connection failed)".to_owned(),
        (None, None) => "no response recorded".to_owned(),
    };
    let started = exchange.timing.request_start;
    let ended = exchange.timing.response_end;
    let duration_ms = match (started, ended) {
        (Some(start), Some(end)) => {
            Some((end - start).num_microseconds().unwrap_or(0) as f64 / 1e3)
        }
        _ => None,
    };
    let challenges = exchange
        .response
        .as_ref()
        .map(|response| {
            parse_challenges(response.headers.get_all("www-authenticate"))
                .0
                .into_iter()
                .map(|challenge| ChallengeView {
                    scheme: challenge.scheme.clone(),
                    params: challenge.params.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let token_response = exchange
        .response
        .as_ref()
        .filter(|response| response.status == 200)
        .and_then(|response| response.body.decoded(BODY_PREVIEW_BYTES).ok())
        .and_then(|body| parse_token_response(&body).ok())
        .filter(|parsed| parsed.effective_token().is_some())
        .map(|parsed| {
            let mut rows = Vec::new();
            for (name, secret) in [("token", &parsed.token), ("access_token", &parsed.access_token)]
            {
                if let Some(secret) = secret {
                    rows.push((name.to_owned(), show_token(secret.expose(), reveal)));
                }
            }
            if let Some(expires_in) = parsed.expires_in {
                rows.push(("expires_in".to_owned(), format!("{expires_in} s")));
            } else {
                rows.push(("expires_in".to_owned(), "absent (clients assume 60 s)".to_owned()));
            }
            if let Some(issued_at) = parsed.issued_at {
                rows.push(("issued_at".to_owned(), rfc3339(&issued_at)));
            }
            if let Some(refresh) = &parsed.refresh_token {
                rows.push(("refresh_token".to_owned(), show_secret(refresh.expose(), reveal)));
            }
            rows
        })
        .unwrap_or_default();
    let token_request = if looks_like_token_request(exchange) {
        token_request_rows(exchange, reveal)
    } else {
        Vec::new()
    };
    ExchangeDetail {
        index: exchange.index,
        origin: format!("{source_name}, entry {}", exchange.origin.index),
        revealed: reveal,
        request_line: format!("{} {url}{version}", request.method),
        response_line,
        started_at: started.as_ref().map(rfc3339),
        ended_at: ended.as_ref().map(rfc3339),
        duration_ms,
        server_address: exchange.server_address.as_deref().map(str::to_owned),
        request_headers: header_lines(&request.headers, reveal),
        response_headers: exchange
            .response
            .as_ref()
            .map(|response| header_lines(&response.headers, reveal))
            .unwrap_or_default(),
        challenges,
        token_request,
        token_response,
        request_body: body_view(&request.body, reveal),
        response_body: exchange
            .response
            .as_ref()
            .map(|response| body_view(&response.body, reveal))
            .unwrap_or(BodyView::None),
        tls: tls_rows(exchange),
        connection: Vec::new(),
        error: exchange.error.as_deref().map(str::to_owned),
    }
}

fn looks_like_token_request(exchange: &Exchange) -> bool {
    let request = &exchange.request;
    let query_or_form = request.query().unwrap_or_default().contains("service=")
        || request.query().unwrap_or_default().contains("scope=")
        || (request.method == "POST"
            && request
                .body
                .text(BODY_PREVIEW_BYTES)
                .is_ok_and(|body| body.contains("grant_type=")));
    query_or_form && !request.path_only().starts_with("/v2/")
}

fn token_request_rows(exchange: &Exchange, reveal: bool) -> Vec<(String, String)> {
    let parsed = parse_token_request(&exchange.request);
    let kind = match parsed.kind {
        TokenRequestKind::Get => "GET with query parameters (token spec)",
        TokenRequestKind::OAuthPost => "OAuth2 POST form (oauth spec)",
    };
    let mut rows = vec![("kind".to_owned(), kind.to_owned())];
    let mut push = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            rows.push((name.to_owned(), value.to_owned()));
        }
    };
    push("service", parsed.service.as_deref());
    let scopes: Vec<String> = parsed.scopes.iter().map(ToString::to_string).collect();
    push("scope", (!scopes.is_empty()).then(|| scopes.join(" ")).as_deref());
    push("account", parsed.account.as_deref());
    push("client_id", parsed.client_id.as_deref());
    push("grant_type", parsed.grant_type.as_deref());
    if parsed.offline_token {
        push("offline_token", Some("true"));
    }
    let credential = match &parsed.credential {
        Credential::Anonymous => "none (anonymous)".to_owned(),
        Credential::Basic { username, .. } => format!("Basic, user {username}"),
        Credential::Password { username, .. } => format!("password grant, user {username}"),
        Credential::RefreshToken(_) => "refresh token (OAuth2 grant)".to_owned(),
        Credential::Bearer(_) => "bearer token".to_owned(),
    };
    rows.push(("credential".to_owned(), credential));
    if parsed.secret_in_url {
        rows.push((
            "warning".to_owned(),
            if reveal {
                "a secret travels in the URL".to_owned()
            } else {
                format!("a secret travels in the URL (masked here: {MASK})")
            },
        ));
    }
    for problem in &parsed.problems {
        rows.push(("problem".to_owned(), mask_url(problem, reveal)));
    }
    rows
}

/// Header names whose whole value is a credential.
fn is_secret_header(lower: &str) -> bool {
    matches!(
        lower,
        "cookie"
            | "set-cookie"
            | "x-registry-auth"
            | "x-registry-config"
            | "x-registry-token"
            | "private-token"
            | "x-api-key"
            | "api-key"
    ) || ((lower.contains("token") || lower.contains("secret") || lower.contains("password"))
        && !lower.starts_with("access-control"))
}

fn header_lines(headers: &Headers, reveal: bool) -> Vec<HeaderLine> {
    headers
        .iter()
        .map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            let value = value.as_ref();
            let (value, masked) = if reveal {
                (value.to_owned(), false)
            } else if lower == "authorization" || lower == "proxy-authorization" {
                (mask_authorization(value), true)
            } else if lower == "cookie" || lower == "set-cookie" {
                (mask_cookie(value), true)
            } else if is_secret_header(&lower) {
                (format!("{MASK} ({} characters)", value.chars().count()), true)
            } else if lower == "location" || lower == "referer" || lower == "content-location" {
                let shown = mask_url(value, false);
                let masked = shown != value;
                (shown, masked)
            } else {
                (value.to_owned(), false)
            };
            HeaderLine { name: name.to_owned(), value, masked }
        })
        .collect()
}

fn mask_authorization(value: &str) -> String {
    match parse_authorization(value) {
        Ok(Authorization::Basic { username, .. }) => format!("Basic {username}:{MASK}"),
        Ok(Authorization::Bearer(token)) => format!("Bearer {}", show_token(token.expose(), false)),
        Ok(Authorization::Other { scheme }) => format!("{scheme} {MASK}"),
        Err(_) => {
            let scheme = value.split_whitespace().next().unwrap_or_default();
            format!("{scheme} {MASK}")
        }
    }
}

fn mask_cookie(value: &str) -> String {
    value
        .split(';')
        .map(|part| match part.split_once('=') {
            // Attributes of Set-Cookie (Path, Expires, ...) are not secret.
            Some((name, attribute))
                if ["path", "domain", "expires", "max-age", "samesite"]
                    .contains(&name.trim().to_ascii_lowercase().as_str()) =>
            {
                format!("{name}={attribute}")
            }
            Some((name, _)) => format!("{name}={MASK}"),
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// A token as the masked report shows it: a JWT keeps header and claims, others only a mask.
fn show_token(raw: &str, reveal: bool) -> String {
    if reveal {
        return raw.to_owned();
    }
    match decode_token(raw).jwt() {
        Some(jwt) => jwt.masked(),
        None => format!("{MASK} ({} characters)", raw.chars().count()),
    }
}

fn show_secret(raw: &str, reveal: bool) -> String {
    if reveal { raw.to_owned() } else { format!("{MASK} ({} characters)", raw.chars().count()) }
}

/// Names of JSON members that carry credentials: the core's secret URL parameters, plus the
/// members token responses and Docker's auth bodies use.
fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase().replace('-', "_");
    if lower == "offline_token" {
        return false;
    }
    is_secret_parameter(name)
        || matches!(
            lower.as_str(),
            "password"
                | "passwd"
                | "token"
                | "access_token"
                | "refresh_token"
                | "id_token"
                | "identitytoken"
                | "registrytoken"
                | "client_secret"
                | "code"
                | "auth"
                | "sig"
                | "signature"
                | "x_amz_signature"
                | "x_amz_security_token"
                | "x_goog_signature"
                | "verify"
        )
        || lower.ends_with("_token")
        || lower.ends_with("password")
        || lower.ends_with("secret")
        || lower.ends_with("signature")
}

/// Masks the password of `user:password@` and secret URL/form parameters, with the core's
/// one rule for what of a URL is secret.
pub fn mask_url(text: &str, reveal: bool) -> String {
    if reveal { text.to_owned() } else { mask_url_secrets(text).into_owned() }
}

fn mask_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                match member {
                    serde_json::Value::String(text) if is_secret_name(name) => {
                        *text = show_token(text, false);
                    }
                    other => mask_json(other),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_json),
        serde_json::Value::String(text) if decode_token(text).jwt().is_some() => {
            *text = show_token(text, false);
        }
        _ => {}
    }
}

fn body_view(body: &Body, reveal: bool) -> BodyView {
    if body.is_absent() {
        return match body.size {
            Some(size) if size > 0 => {
                BodyView::Binary { size, mime: body.mime_type.as_deref().map(str::to_owned) }
            }
            _ => BodyView::None,
        };
    }
    let decoded = match body.decoded(BODY_PREVIEW_BYTES + 1) {
        Ok(decoded) => decoded,
        Err(err) => return BodyView::Unreadable { reason: err.to_string() },
    };
    let size = body.size.unwrap_or(decoded.len() as u64).max(decoded.len() as u64);
    if decoded.is_empty() {
        return BodyView::None;
    }
    let truncated = decoded.len() > BODY_PREVIEW_BYTES;
    let shown = &decoded[..decoded.len().min(BODY_PREVIEW_BYTES)];
    let Ok(text) = std::str::from_utf8(shown) else {
        return BodyView::Binary { size, mime: body.mime_type.as_deref().map(str::to_owned) };
    };
    if text.chars().any(|ch| ch.is_control() && !ch.is_whitespace()) {
        return BodyView::Binary { size, mime: body.mime_type.as_deref().map(str::to_owned) };
    }
    if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(text) {
        if !reveal {
            mask_json(&mut json);
        }
        let pretty = serde_json::to_string_pretty(&json).unwrap_or_else(|_| text.to_owned());
        return BodyView::Text { text: pretty, json: true, truncated, size };
    }
    let text = if reveal {
        text.to_owned()
    } else if text.contains('=') && !text.contains(char::is_whitespace) {
        mask_url_secrets(text).into_owned()
    } else {
        mask_free_text(text)
    };
    BodyView::Text { text, json: false, truncated, size }
}

/// Free text may still quote a JWT (an error page, a log line): its signature goes.
fn mask_free_text(text: &str) -> String {
    text.split_inclusive(|ch: char| ch.is_whitespace() || ch == '"')
        .map(|word| {
            let trimmed = word.trim_end_matches(|ch: char| ch.is_whitespace() || ch == '"');
            match decode_token(trimmed).jwt() {
                Some(jwt) => word.replacen(trimmed, &jwt.masked(), 1),
                None => word.to_owned(),
            }
        })
        .collect()
}

fn tls_rows(exchange: &Exchange) -> Vec<(String, String)> {
    let Some(tls) = &exchange.tls else {
        return if exchange.request.scheme == "http" {
            vec![("TLS".to_owned(), "none: plain HTTP".to_owned())]
        } else {
            Vec::new()
        };
    };
    let mut rows = vec![(
        "handshake".to_owned(),
        if tls.established { "completed" } else { "did not complete" }.to_owned(),
    )];
    for (name, value) in [
        ("SNI", &tls.sni),
        ("version", &tls.version),
        ("cipher", &tls.cipher),
        ("ALPN", &tls.alpn),
        ("error", &tls.error),
    ] {
        if let Some(value) = value {
            rows.push((name.to_owned(), value.clone()));
        }
    }
    if !tls.server_certificates.is_empty() {
        rows.push((
            "server certificates".to_owned(),
            format!("{} in the chain", tls.server_certificates.len()),
        ));
    }
    if let Some(summary) = &tls.server_certificate_summary {
        if let Some(subject) = &summary.subject {
            rows.push(("certificate subject".to_owned(), subject.clone()));
        }
        if let Some(issuer) = &summary.issuer {
            rows.push(("certificate issuer".to_owned(), issuer.clone()));
        }
    }
    if !tls.client_certificates.is_empty() {
        rows.push((
            "client certificates".to_owned(),
            format!("{} in the chain", tls.client_certificates.len()),
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_passwords_and_secret_parameters_but_keep_the_rest() {
        assert_eq!(
            mask_url(
                "https://bob:hunter2@r.example/token?service=r&password=hunter2&scope=a",
                false
            ),
            format!("https://bob:{MASK}@r.example/token?service=r&password={MASK}&scope=a")
        );
        assert_eq!(
            mask_url("https://s3.example/blob?X-Amz-Signature=abc&offline_token=true", false),
            format!("https://s3.example/blob?X-Amz-Signature={MASK}&offline_token=true")
        );
        assert_eq!(mask_url("https://r.example/v2/?a=1", true), "https://r.example/v2/?a=1");
    }

    #[test]
    fn credentials_in_headers_keep_their_shape_not_their_value() {
        // hand-written fixture
        let basic = format!("Basic {}", "Ym9iOmh1bnRlcjI="); // bob:hunter2
        assert_eq!(mask_authorization(&basic), format!("Basic bob:{MASK}"));
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl";
        let masked = mask_authorization(&format!("Bearer {jwt}"));
        assert!(masked.starts_with("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ."), "{masked}");
        assert!(!masked.contains("c2lnbmF0dXJl"), "{masked}");
        assert_eq!(mask_cookie("a=1; b=2"), format!("a={MASK}; b={MASK}"));
        assert_eq!(mask_cookie("sid=x; Path=/"), format!("sid={MASK}; Path=/"));
        let mut headers = Headers::default();
        headers.push("X-Registry-Auth", "eyJwYXNzd29yZCI6Imh1bnRlcjIifQ==");
        headers.push("Content-Type", "application/json");
        let lines = header_lines(&headers, false);
        assert!(lines[0].masked && !lines[0].value.contains("eyJ"), "{lines:?}");
        assert!(!lines[1].masked && lines[1].value == "application/json");
    }

    #[test]
    fn json_bodies_are_pretty_and_masked() {
        // hand-written fixture
        let mut json: serde_json::Value = serde_json::from_str(
            r#"{"token":"opaque-secret","expires_in":300,"nested":{"password":"hunter2","user":"bob"}}"#,
        )
        .unwrap();
        mask_json(&mut json);
        let text = json.to_string();
        assert!(!text.contains("opaque-secret") && !text.contains("hunter2"), "{text}");
        assert!(text.contains("\"user\":\"bob\"") && text.contains("300"), "{text}");
        let form = mask_url("grant_type=password&password=hunter2&username=bob", false);
        assert!(!form.contains("hunter2") && form.contains("username=bob"), "{form}");
    }
}
