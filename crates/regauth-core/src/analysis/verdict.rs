//! Verdicts: what each answer means for its session (served, challenged, token issued, or
//! failed at a step, and why). One judge per kind of exchange; none of them writes prose
//! (that is [`super::explain`]).

use std::sync::Arc;

use super::classify::{RequestAuth, SeenChallenge, bearer_token, is_referrers_api};
use super::connection::{NoAnswer, no_answer, recorder_error};
use super::tokens::TokenBook;
use super::{Step, TokenRecord, TokenSummary};
use crate::model::{Exchange, Request, Response, decode_limits};
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
    /// The token service's answer could not be decoded (the input's decoding budget spent, a
    /// broken content-encoding), so whether it carried a token is unknown.
    TokenResponseUndecodable {
        status: u16,
        reason: String,
    },
    /// The token service's answer carried a token in a shape clients that decode into typed
    /// fields reject (a string `expires_in`, ...), and the client never sent the token: it
    /// failed on the answer. Set after the walk, once it shows the token unused.
    MalformedTokenResponse {
        /// Index into the token records.
        token: usize,
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
    /// The registry refused the request itself (a 4xx that is neither an auth refusal nor a
    /// read of something absent): `DIGEST_INVALID`, `MANIFEST_INVALID`, `BLOB_UPLOAD_UNKNOWN`...
    RegistryError {
        status: u16,
    },
    /// The Docker daemon relayed a failure that its own registry leg in the capture shows:
    /// `leg` is that leg's failing exchange, which explains it.
    EngineRelayed {
        leg: usize,
        message: String,
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
    /// Nothing to judge (no answer recorded, related download, an HTTPS probe the client
    /// repeated over plain HTTP, ...).
    Neutral,
    /// The client gave the request up before it was answered (killed, exited, aborted): no
    /// verdict, and no server failure either.
    Abandoned,
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

/// No answer: a request the client abandoned, a connection failure at `step` when the
/// recorder saw another error, else nothing to judge (the capture stopped first).
fn unanswered(exchange: &Exchange, step: Step) -> Verdict {
    match &exchange.error {
        Some(error) if no_answer(error) == NoAnswer::Abandoned => Verdict::Abandoned,
        Some(error) => {
            Verdict::Fail { step, cause: FailCause::Connection { error: error.to_string() } }
        }
        None => Verdict::Neutral,
    }
}

/// A registry API call's answer. `probe`: an HTTPS attempt the client then repeated over
/// plain HTTP ([`super::connection::fallback_probes`]), which decides nothing.
pub fn judge_registry(
    exchange: &Exchange,
    auth: &RequestAuth,
    challenge: Option<&SeenChallenge>,
    tokens: &TokenBook,
    probe: bool,
) -> Verdict {
    if probe {
        return Verdict::Neutral;
    }
    let authorized = *auth != RequestAuth::None;
    let unanswered_step = if authorized { Step::AuthorizedRetry } else { Step::TryRegistry };
    let Some(response) = &exchange.response else {
        return unanswered(exchange, unanswered_step);
    };
    // A recorder's own 502 stands for an answer the registry never gave.
    if let Some(error) = recorder_error(exchange) {
        return Verdict::Fail { step: unanswered_step, cause: FailCause::Connection { error } };
    }
    let status = response.status;
    let judged_step = if authorized { Step::RegistryVerdict } else { Step::Challenge };
    let reads = matches!(exchange.request.method.to_ascii_uppercase().as_str(), "GET" | "HEAD");
    match status {
        401 | 403 if !authorized => judge_unauthenticated_refusal(status, challenge),
        401 | 403 => {
            judge_refused_credentials(&exchange.request, response, auth, challenge, tokens)
        }
        429 => Verdict::Fail { step: judged_step, cause: FailCause::RateLimited { status } },
        // Reading something absent is how clients ask whether it exists (a blob before
        // uploading it, a tag before pushing it, signatures and referrers that may not be
        // there): not a failure of the session. The capture-wide check still reports the
        // 404s that are not such checks as registry errors.
        404 if reads => Verdict::Ok,
        400..=499 if reads && is_referrers_api(exchange.request.path_only()) => Verdict::Ok,
        400..=499 => {
            Verdict::Fail { step: judged_step, cause: FailCause::RegistryError { status } }
        }
        500..=599 => Verdict::Fail { step: judged_step, cause: FailCause::ServerError { status } },
        _ => Verdict::Ok,
    }
}

/// 401/403 to a request without credentials: the normal challenge when it says where to
/// authenticate, else a failure at step 2.
fn judge_unauthenticated_refusal(status: u16, challenge: Option<&SeenChallenge>) -> Verdict {
    let usable = challenge.is_some_and(|seen| {
        seen.bearer().is_some_and(|challenge| challenge.realm().is_some()) || seen.has_basic()
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
    request: &Request,
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
        RequestAuth::Bearer => bearer_token(request).and_then(|token| tokens.lookup(&token)),
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
        (RequestAuth::Bearer, _) if status == 403 && error.is_none() => {
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
    request: &Arc<TokenRequest>,
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
            let parsed = parse_token_response_body(&response.body);
            // What the engine needs of the answer is in `parsed` (or its verdict); a
            // compressed answer's decoded copy would otherwise be kept to the end.
            response.body.forget_decoded();
            let parsed = match parsed {
                Ok(parsed) => parsed,
                Err(TokenResponseError::TooLarge { limit }) => {
                    return Verdict::Fail {
                        step: Step::TokenResponse,
                        cause: FailCause::TokenResponseTooLarge { status, limit },
                    };
                }
                Err(TokenResponseError::Undecodable(reason)) => {
                    return Verdict::Fail {
                        step: Step::TokenResponse,
                        cause: FailCause::TokenResponseUndecodable { status, reason },
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
                None => SignatureCheck::NotChecked { reason: "not a JWT".into() },
            };
            // The record holds each secret once: the token as `raw`, the refresh token as
            // `refresh_token`, and of the rest of the answer only what is read (issue 9:
            // 100,000 tokens, each copied three times, cost more than the capture they came
            // from).
            tokens.issue(TokenRecord {
                issued_by: exchange.index,
                session: Some(session_idx),
                // The token's text shared with the input where the body has it verbatim.
                raw: response
                    .body
                    .find_verbatim(&raw)
                    .and_then(Secret::from_input)
                    .unwrap_or_else(|| Secret::new(raw)),
                summary: TokenSummary::of(&decoded),
                request: Arc::clone(request),
                effective_lifetime_s: parsed.effective_lifetime_s(),
                refresh_token: parsed.refresh_token,
                expires_in: parsed.expires_in,
                issued_at: parsed.issued_at,
                response_problems: parsed.problems,
                response_rejected_by_typed_clients: parsed.rejected_by_typed_clients,
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
/// as an `errorDetail` line inside the JSON progress stream. With the verdict comes, for a 2xx
/// answer whose stream was not read to its end, why (the verdict is then neutral).
pub fn judge_engine(exchange: &Exchange, call: &EngineApiCall) -> (Verdict, Option<String>) {
    let with_credentials = match call {
        EngineApiCall::Auth { .. } => true,
        _ => exchange
            .request
            .headers
            .get("x-registry-auth")
            .and_then(|value| parse_x_registry_auth(&value).ok())
            .is_some_and(|config| config.carries_secret()),
    };
    let step = match call {
        EngineApiCall::Auth { .. } => Step::TokenResponse,
        EngineApiCall::Ping { .. } => return (Verdict::Neutral, None),
        _ => Step::RegistryVerdict,
    };
    let Some(response) = &exchange.response else {
        let step = if step == Step::TokenResponse { Step::TokenRequest } else { Step::TryRegistry };
        return (unanswered(exchange, step), None);
    };
    let message = match engine_stream(response) {
        EngineStream::Unread(why) if (200..=299).contains(&response.status) => {
            // An error that ended the stream would be at its end, which regauth did not read:
            // neither a success nor a failure ([`super::checks`] says why).
            return (Verdict::Neutral, Some(why));
        }
        EngineStream::Error(message) => Some(message),
        EngineStream::Clean | EngineStream::Unread(_) => None,
    };
    let verdict = match (response.status, message) {
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
    };
    (verdict, None)
}

/// What an Engine API answer says about how the call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineStream {
    /// `{"message": ...}`, or the last `errorDetail` (or `error`) line of a progress stream.
    Error(String),
    /// Read to its end, and no error in it.
    Clean,
    /// No error in what was read, but it was not read to its end (why, in words): not
    /// decodable (a decoding budget spent, a broken or unsupported encoding).
    Unread(String),
}

/// How an Engine API answer ended: its stream is searched from its end for a line that
/// reports an error (a push's progress lines are most of it, and the error that ended it is
/// the last one).
///
/// The body's bounded, cached prefix ([`decode_limits::ENGINE_STREAM`]) serves most streams.
/// A longer one is judged by its end: an unencoded stream (what dockerd sends) is searched
/// whole from its end, as its bytes are already in the capture; an encoded one is decompressed
/// through, keeping only its last [`decode_limits::ENGINE_STREAM`] bytes, charged to the
/// input's pool for stream ends ([`crate::model::DecodeBudget::TAIL_FACTOR`]).
pub fn engine_stream(response: &Response) -> EngineStream {
    if response.body.content_encoding.trim().is_empty()
        && let Ok(whole) = response.body.wire_bytes()
    {
        return search_engine_stream(&whole);
    }
    match response.body.decoded_prefix(decode_limits::ENGINE_STREAM) {
        Ok(prefix) if prefix.complete => search_engine_stream(&prefix.bytes),
        Ok(_) => match response.body.decoded_tail(decode_limits::ENGINE_STREAM) {
            Ok(tail) => {
                // The tail starts inside a line unless it is the whole stream.
                let first_whole_line = if tail.complete {
                    0
                } else {
                    memchr::memchr(b'\n', &tail.bytes)
                        .map_or(tail.bytes.len(), |newline| newline + 1)
                };
                search_engine_stream(&tail.bytes[first_whole_line..])
            }
            Err(error) => EngineStream::Unread(error.to_string()),
        },
        Err(error) => EngineStream::Unread(error.to_string()),
    }
}

/// Searches `stream` (a whole stream, or its end from a line start) from its end for the
/// line that reports an error.
fn search_engine_stream(stream: &[u8]) -> EngineStream {
    let mut rest = stream;
    let error_key = memchr::memmem::FinderRev::new(b"\"error");
    let message_key = memchr::memmem::FinderRev::new(b"\"message\"");
    loop {
        let Some(at) = error_key.rfind(rest).max(message_key.rfind(rest)) else {
            return EngineStream::Clean;
        };
        let start = memchr::memrchr(b'\n', &rest[..at]).map_or(0, |newline| newline + 1);
        let end = memchr::memchr(b'\n', &rest[at..]).map_or(rest.len(), |newline| at + newline);
        let line = rest[start..end].trim_ascii();
        if line.starts_with(b"{")
            && let Ok(value) = serde_json::from_slice::<serde_json::Value>(line)
            && let Some(message) = value
                .get("errorDetail")
                .and_then(|detail| detail.get("message"))
                .or_else(|| value.get("error"))
                .or_else(|| value.get("message"))
                .and_then(|message| message.as_str())
        {
            return EngineStream::Error(message.to_owned());
        }
        // Not an error line after all (a key inside a progress line): look further back.
        rest = &rest[..start];
    }
}
