//! Verdicts: what each answer means for its session (served, challenged, token issued, or
//! failed at a step, and why). One judge per kind of exchange; none of them writes prose
//! (that is [`super::explain`]).

use super::classify::{RequestAuth, SeenChallenge};
use super::tokens::TokenBook;
use super::{Step, TokenRecord};
use crate::model::{Exchange, Response};
use crate::protocol::{
    Credential, EngineApiCall, TokenRequest, TokenResponseError, parse_token_response_body,
    parse_x_registry_auth,
};
use crate::secret::Secret;
use crate::token::{SignatureCheck, decode_token, verify_signature};

/// Why an answer made a session fail.
#[derive(Clone, Debug, PartialEq)]
pub enum FailCause {
    /// No HTTP answer at all (refused, TLS failure, aborted).
    Connection {
        error: String,
    },
    /// The token service refused the credentials (401/403).
    TokenDenied {
        anonymous: bool,
        status: u16,
    },
    /// The token service answered something else than a token.
    TokenServiceError {
        status: u16,
        oauth_post: bool,
    },
    /// The token service's answer is over the size regauth reads of a token response, so
    /// whether it carried a token is unknown.
    TokenResponseTooLarge {
        status: u16,
        limit: usize,
    },
    /// A 401 without a usable challenge.
    NoChallenge {
        status: u16,
    },
    /// 403 to a request without credentials.
    Forbidden,
    /// The token lacks the action (`error="insufficient_scope"`).
    InsufficientScope {
        token: Option<usize>,
    },
    /// The registry refused the token itself (`error="invalid_token"` or a bare 401).
    InvalidToken {
        token: Option<usize>,
    },
    /// A Basic-auth registry refused the credentials.
    BasicDenied,
    /// The Docker daemon relayed a refusal (Engine API leg: `/auth`, pull or push).
    EngineRefused {
        message: String,
        with_credentials: bool,
    },
    RateLimited {
        status: u16,
    },
    ServerError {
        status: u16,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The registry served (or the request was otherwise fine for auth).
    Ok,
    /// The normal 401 challenge to a request without credentials.
    Challenge,
    /// A token was handed out; the session goes on.
    TokenIssued,
    /// Nothing to judge (no answer recorded, related download, ...).
    Neutral,
    Fail {
        step: Step,
        cause: FailCause,
    },
}

impl Verdict {
    /// Whether this verdict can decide a session's outcome (a success or a failure).
    pub fn is_decisive(&self) -> bool {
        matches!(self, Verdict::Ok | Verdict::Fail { .. })
    }

    /// Whether this is the registry serving (the decisive success).
    pub fn is_success(&self) -> bool {
        *self == Verdict::Ok
    }
}

/// No answer: a connection failure at `step` when the recorder saw an error, else nothing to
/// judge (the capture stopped first).
fn unanswered(exchange: &Exchange, step: Step) -> Verdict {
    match &exchange.error {
        Some(error) => {
            Verdict::Fail { step, cause: FailCause::Connection { error: error.clone() } }
        }
        None => Verdict::Neutral,
    }
}

/// A registry API call's answer.
pub fn judge_registry(
    exchange: &Exchange,
    auth: &RequestAuth,
    challenge: Option<&SeenChallenge>,
    tokens: &TokenBook,
) -> Verdict {
    let authorized = *auth != RequestAuth::None;
    let Some(response) = &exchange.response else {
        return unanswered(
            exchange,
            if authorized { Step::AuthorizedRetry } else { Step::TryRegistry },
        );
    };
    let status = response.status;
    match status {
        401 | 403 if !authorized => judge_unauthenticated_refusal(status, challenge),
        401 | 403 => judge_refused_credentials(response, auth, challenge, tokens),
        429 => Verdict::Fail {
            step: if authorized { Step::RegistryVerdict } else { Step::Challenge },
            cause: FailCause::RateLimited { status },
        },
        500..=599 => Verdict::Fail {
            step: if authorized { Step::RegistryVerdict } else { Step::Challenge },
            cause: FailCause::ServerError { status },
        },
        _ => Verdict::Ok,
    }
}

/// 401/403 to a request without credentials: the normal challenge when it says where to
/// authenticate, else a failure at step 2.
fn judge_unauthenticated_refusal(status: u16, challenge: Option<&SeenChallenge>) -> Verdict {
    let usable = challenge.is_some_and(|seen| {
        seen.bearer().is_some_and(|challenge| challenge.realm().is_some()) || seen.basic().is_some()
    });
    if usable {
        Verdict::Challenge
    } else if status == 403 {
        Verdict::Fail { step: Step::Challenge, cause: FailCause::Forbidden }
    } else {
        Verdict::Fail { step: Step::Challenge, cause: FailCause::NoChallenge { status } }
    }
}

/// 401/403 to a request with credentials: why the registry refused them.
fn judge_refused_credentials(
    response: &Response,
    auth: &RequestAuth,
    challenge: Option<&SeenChallenge>,
    tokens: &TokenBook,
) -> Verdict {
    let status = response.status;
    let bearer_challenge = challenge.and_then(|seen| seen.bearer());
    let error = bearer_challenge.and_then(|challenge| challenge.error());
    // Basic credentials sent up front to a token-auth registry: its plain Bearer challenge
    // asks for a token; it does not judge the password.
    if status == 401
        && matches!(auth, RequestAuth::Basic { .. })
        && error.is_none()
        && bearer_challenge.is_some_and(|challenge| challenge.realm().is_some())
    {
        return Verdict::Challenge;
    }
    let token = match auth {
        RequestAuth::Bearer { token } => tokens.lookup(token),
        _ => None,
    };
    let cause = match (auth, error) {
        (_, Some("insufficient_scope")) => FailCause::InsufficientScope { token },
        // 403 to good Basic credentials: the account may not do this (ECR, nginx ACLs);
        // unless the registry says the password itself expired (ECR's 12 h tokens).
        (RequestAuth::Basic { .. }, _) if status == 403 && !says_expired(response) => {
            FailCause::InsufficientScope { token: None }
        }
        (RequestAuth::Basic { .. }, _) => FailCause::BasicDenied,
        (RequestAuth::Bearer { .. }, _) if status == 403 && error.is_none() => {
            // distribution answers 401; 403 without an error parameter is a denial of the
            // action (Harbor, GHCR, ECR).
            FailCause::InsufficientScope { token }
        }
        _ => FailCause::InvalidToken { token },
    };
    Verdict::Fail { step: Step::RegistryVerdict, cause }
}

/// Whether a refusal's body says the credentials expired (ECR: "Your authorization token has
/// expired").
fn says_expired(response: &Response) -> bool {
    response.body.text(4096).is_ok_and(|text| text.to_ascii_lowercase().contains("expired"))
}

/// A token service's answer; a token it hands out goes into `tokens`.
pub fn judge_token(
    exchange: &Exchange,
    request: &TokenRequest,
    session_idx: usize,
    tokens: &mut TokenBook,
) -> Verdict {
    let Some(response) = &exchange.response else {
        return unanswered(exchange, Step::TokenRequest);
    };
    let oauth_post = exchange.request.method.eq_ignore_ascii_case("POST");
    let status = response.status;
    match status {
        200..=299 => {
            let no_token = Verdict::Fail {
                step: Step::TokenResponse,
                cause: FailCause::TokenServiceError { status, oauth_post },
            };
            let parsed = match parse_token_response_body(&response.body) {
                Ok(parsed) => parsed,
                Err(TokenResponseError::TooLarge { limit }) => {
                    return Verdict::Fail {
                        step: Step::TokenResponse,
                        cause: FailCause::TokenResponseTooLarge { status, limit },
                    };
                }
                Err(_) => return no_token,
            };
            let Some(raw) = parsed.effective_token().map(|secret| secret.expose().to_owned())
            else {
                return no_token;
            };
            let decoded = decode_token(&raw);
            let signature = match decoded.jwt() {
                Some(jwt) => verify_signature(&raw, jwt, &[]),
                None => SignatureCheck::NotChecked { reason: "not a JWT".to_owned() },
            };
            tokens.issue(TokenRecord {
                issued_by: exchange.index,
                session: Some(session_idx),
                raw: Secret::new(raw),
                decoded,
                request: request.clone(),
                effective_lifetime_s: parsed.effective_lifetime_s(),
                refresh_token: parsed.refresh_token.clone(),
                response: parsed,
                signature,
                uses: Vec::new(),
                rejected_uses: Vec::new(),
            });
            Verdict::TokenIssued
        }
        401 | 403 => Verdict::Fail {
            step: Step::TokenResponse,
            cause: FailCause::TokenDenied {
                anonymous: request.credential == Credential::Anonymous,
                status,
            },
        },
        429 => {
            Verdict::Fail { step: Step::TokenResponse, cause: FailCause::RateLimited { status } }
        }
        _ => Verdict::Fail {
            step: Step::TokenResponse,
            cause: FailCause::TokenServiceError { status, oauth_post },
        },
    }
}

/// The daemon's answer to a login, pull or push. Pull and push answer 200 and report failures
/// as an `errorDetail` line inside the JSON progress stream.
pub fn judge_engine(exchange: &Exchange, call: &EngineApiCall) -> Verdict {
    let with_credentials = match call {
        EngineApiCall::Auth { .. } => true,
        _ => exchange
            .request
            .headers
            .get("x-registry-auth")
            .and_then(|value| parse_x_registry_auth(value).ok())
            .is_some_and(|config| config.carries_secret()),
    };
    let step = match call {
        EngineApiCall::Auth { .. } => Step::TokenResponse,
        EngineApiCall::Ping { .. } => return Verdict::Neutral,
        _ => Step::RegistryVerdict,
    };
    let Some(response) = &exchange.response else {
        return unanswered(
            exchange,
            if step == Step::TokenResponse { Step::TokenRequest } else { Step::TryRegistry },
        );
    };
    let body = response.body.decoded(4 << 20).unwrap_or_default();
    let message = engine_error_message(&String::from_utf8_lossy(&body));
    match (response.status, message) {
        (200..=299, None) => Verdict::Ok,
        (200..=299, Some(message)) => {
            Verdict::Fail { step, cause: FailCause::EngineRefused { message, with_credentials } }
        }
        (status, message) => Verdict::Fail {
            step,
            cause: FailCause::EngineRefused {
                message: message.unwrap_or_else(|| format!("status {status}")),
                with_credentials,
            },
        },
    }
}

/// The error message in an Engine API answer: `{"message": ...}` or the last `errorDetail`
/// (or `error`) line of a JSON progress stream.
fn engine_error_message(text: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines().map(str::trim).filter(|line| line.starts_with('{')) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let message = value
            .get("errorDetail")
            .and_then(|detail| detail.get("message"))
            .or_else(|| value.get("error"))
            .or_else(|| value.get("message"))
            .and_then(|message| message.as_str());
        if let Some(message) = message {
            found = Some(message.to_owned());
        }
    }
    found
}
