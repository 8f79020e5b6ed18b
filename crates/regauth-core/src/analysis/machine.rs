//! One session's state machine: what it expects next, which step each exchange fills, and
//! at the end its outcome and failing step.
//!
//! The outcome is the last decisive verdict; the failing step is the first failure after the
//! last success, so a failure the client recovered from does not count.

use std::collections::HashMap;

use super::classify::{RequestAuth, Role, SeenChallenge, url_base};
use super::verdict::{FailCause, Verdict};
use super::{AuthScheme, Outcome, Session, Step, StepExchanges};
use crate::model::Exchange;
use crate::protocol::{EngineApiCall, TokenRequest};

/// What a session waits for next (the rustls/quinn "Expect*" style); transitions consume self.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    ExpectFirstRequest,
    /// Challenged with Bearer: the client should ask the realm.
    ExpectTokenRequest,
    /// Challenged with Basic: the client should retry with credentials.
    ExpectBasicRetry,
    /// Holding a token: the client should retry with it.
    ExpectAuthorizedRetry,
    /// The registry served; more requests may follow.
    Serving,
    /// Refused; a retry or re-authentication may follow.
    ExpectRecovery,
}

impl State {
    fn next(self, verdict: &Verdict, scheme: AuthScheme) -> State {
        match verdict {
            Verdict::Ok => State::Serving,
            Verdict::Challenge if scheme == AuthScheme::Basic => State::ExpectBasicRetry,
            Verdict::Challenge => State::ExpectTokenRequest,
            Verdict::TokenIssued => State::ExpectAuthorizedRetry,
            Verdict::Neutral => self,
            Verdict::Fail { .. } => State::ExpectRecovery,
        }
    }

    fn expectation(self) -> Option<&'static str> {
        match self {
            State::ExpectFirstRequest => Some("a registry request (step 1)"),
            State::ExpectTokenRequest => Some("the client to ask the token service (step 3)"),
            State::ExpectBasicRetry => Some("the client to retry with Basic credentials (step 5)"),
            State::ExpectAuthorizedRetry => Some("the client to retry with its token (step 5)"),
            State::Serving => None,
            State::ExpectRecovery => Some("a retry or re-authentication after the refusal"),
        }
    }
}

/// One session's state machine.
pub struct Machine {
    registry: String,
    repository: Option<String>,
    scheme: AuthScheme,
    realm: Option<String>,
    service: Option<String>,
    state: State,
    steps: Vec<StepExchanges>,
}

impl Machine {
    pub fn new(registry: String, repository: Option<String>) -> Machine {
        Machine {
            registry,
            repository,
            scheme: AuthScheme::None,
            realm: None,
            service: None,
            state: State::ExpectFirstRequest,
            steps: Step::ALL
                .iter()
                .map(|&step| StepExchanges { step, exchanges: Vec::new() })
                .collect(),
        }
    }

    /// Learns the auth scheme (and realm, service) from a registry's answer: its challenge,
    /// or, when the capture lacks one (it started later), the credentials the client sent.
    pub fn learn_from_registry(
        &mut self,
        exchange: &Exchange,
        auth: &RequestAuth,
        challenge: Option<&SeenChallenge>,
    ) {
        if exchange.response.is_none() {
            return;
        }
        if let Some(seen) = challenge {
            if let Some(bearer) = seen.bearer() {
                self.scheme = AuthScheme::Bearer;
                self.realm = self.realm.take().or_else(|| bearer.realm().map(str::to_owned));
                self.service = self.service.take().or_else(|| bearer.service().map(str::to_owned));
            } else if seen.basic().is_some() && self.scheme != AuthScheme::Bearer {
                self.scheme = AuthScheme::Basic;
            }
        }
        if self.scheme == AuthScheme::None {
            match auth {
                RequestAuth::Basic { .. } => self.scheme = AuthScheme::Basic,
                RequestAuth::Bearer { .. } => self.scheme = AuthScheme::Bearer,
                _ => {}
            }
        }
    }

    /// A token request means token auth; its URL and `service` stand in for a challenge the
    /// capture lacks.
    pub fn learn_from_token_request(&mut self, exchange: &Exchange, request: &TokenRequest) {
        if self.scheme == AuthScheme::None {
            self.scheme = AuthScheme::Bearer;
        }
        if self.realm.is_none() {
            self.realm = Some(url_base(&exchange.request.url()));
        }
        if self.service.is_none() {
            self.service = request.service.clone();
        }
    }

    fn record(&mut self, step: Step, exchange: usize) {
        if let Some(entry) = self.steps.iter_mut().find(|entry| entry.step == step) {
            entry.exchanges.push(exchange);
        }
    }

    /// Files the exchange under its steps and moves to the next state.
    pub fn feed(&mut self, idx: usize, role: &Role, verdict: &Verdict) {
        let answered = |failed_before: Step| {
            !matches!(verdict, Verdict::Neutral)
                && !matches!(verdict, Verdict::Fail { step, .. } if *step == failed_before)
        };
        match role {
            Role::Registry { auth, .. }
                if *auth == RequestAuth::None || *verdict == Verdict::Challenge =>
            {
                self.record(Step::TryRegistry, idx);
                if *verdict == Verdict::Challenge
                    || matches!(verdict, Verdict::Fail { step: Step::Challenge, .. })
                {
                    self.record(Step::Challenge, idx);
                }
            }
            Role::Registry { .. } => {
                self.record(Step::AuthorizedRetry, idx);
                if answered(Step::AuthorizedRetry) {
                    self.record(Step::RegistryVerdict, idx);
                }
            }
            // The daemon's /auth asks the token service on the client's behalf.
            Role::Token { .. } | Role::EngineApi { call: EngineApiCall::Auth { .. } } => {
                self.record(Step::TokenRequest, idx);
                if answered(Step::TokenRequest) {
                    self.record(Step::TokenResponse, idx);
                }
            }
            // A pull or push through the daemon: the registry's verdict comes back relayed.
            Role::EngineApi {
                call: EngineApiCall::ImagesCreate { .. } | EngineApiCall::ImagePush { .. },
                ..
            } => {
                self.record(Step::TryRegistry, idx);
                if answered(Step::TryRegistry) {
                    self.record(Step::RegistryVerdict, idx);
                }
            }
            _ => {}
        }
        self.state = self.state.next(verdict, self.scheme);
    }

    /// The finished session: its outcome and failing step from the verdicts of its members,
    /// and each step's evidence led by the exchange that decided it.
    pub fn finish(
        mut self,
        members: &[usize],
        verdicts: &HashMap<usize, Verdict>,
        exchanges: &[Exchange],
    ) -> Session {
        let decisive = decisive_verdicts(members, verdicts);
        let (outcome, failed) = outcome_of(&decisive);
        if let Some(decision) = decision(&decisive, failed, exchanges) {
            for entry in &mut self.steps {
                lead_with_decider(&mut entry.exchanges, decision);
            }
        }
        Session {
            registry: self.registry,
            repository: self.repository,
            scheme: self.scheme,
            realm: self.realm,
            service: self.service,
            outcome,
            failed_step: failed.map(|(step, _)| step),
            failed_exchange: failed.map(|(_, idx)| idx),
            steps: self.steps,
            exchanges: members.to_vec(),
            expected_next: if outcome == Outcome::Success {
                None
            } else {
                self.state.expectation()
            },
            failed_finding: None,
        }
    }
}

/// The verdicts that decide a session, in capture order. containerd's OAuth2 POST refused as
/// unsupported (400/404/405) decides nothing when the client falls back to another token
/// request afterwards.
fn decisive_verdicts<'a>(
    members: &[usize],
    verdicts: &'a HashMap<usize, Verdict>,
) -> Vec<(usize, &'a Verdict)> {
    let superseded_fallback = |idx: usize, verdict: &Verdict| {
        matches!(
            verdict,
            Verdict::Fail {
                cause: FailCause::TokenServiceError { oauth_post: true, status: 400 | 404 | 405 },
                ..
            }
        ) && members.iter().any(|&later| {
            later > idx
                && matches!(
                    verdicts.get(&later),
                    Some(Verdict::TokenIssued | Verdict::Fail { step: Step::TokenResponse, .. })
                )
        })
    };
    members
        .iter()
        .filter_map(|idx| verdicts.get(idx).map(|verdict| (*idx, verdict)))
        .filter(|(_, verdict)| verdict.is_decisive())
        .filter(|(idx, verdict)| !superseded_fallback(*idx, verdict))
        .collect()
}

/// The outcome is the last decisive verdict; the failure is the first one after the last
/// success, as (step, exchange).
fn outcome_of(decisive: &[(usize, &Verdict)]) -> (Outcome, Option<(Step, usize)>) {
    let last_ok = decisive.iter().rposition(|(_, verdict)| **verdict == Verdict::Ok);
    match decisive.last() {
        None => (Outcome::Incomplete, None),
        Some((_, Verdict::Ok)) => (Outcome::Success, None),
        Some(_) => {
            let first_failure =
                decisive[last_ok.map_or(0, |ok| ok + 1)..].first().and_then(|(idx, verdict)| {
                    match verdict {
                        Verdict::Fail { step, .. } => Some((*step, *idx)),
                        _ => None,
                    }
                });
            (Outcome::Failure, first_failure)
        }
    }
}

/// The exchange the session's outcome rests on: the failing one, else the first success
/// after the last failure (a served request rather than an existence check's 404 when there
/// is one). None for a session without a verdict.
fn decision(
    decisive: &[(usize, &Verdict)],
    failed: Option<(Step, usize)>,
    exchanges: &[Exchange],
) -> Option<usize> {
    if let Some((_, idx)) = failed {
        return Some(idx);
    }
    let last_failure = decisive.iter().rposition(|(_, verdict)| !verdict.is_success());
    let since = &decisive[last_failure.map_or(0, |at| at + 1)..];
    let served = |idx: usize| {
        exchanges
            .get(idx)
            .and_then(|exchange| exchange.response.as_ref())
            .is_some_and(|response| response.status < 400)
    };
    since
        .iter()
        .find(|(idx, verdict)| verdict.is_success() && served(*idx))
        .or_else(|| since.iter().find(|(_, verdict)| verdict.is_success()))
        .map(|(idx, _)| *idx)
}

/// Puts first the exchange of a step that decided it: the session's deciding exchange when
/// the step has it, else the step's latest exchange before it (the challenge, token or retry
/// that the decision built on). The others keep capture order.
fn lead_with_decider(step_exchanges: &mut [usize], decision: usize) {
    let Some(position) = step_exchanges.iter().rposition(|&idx| idx <= decision) else { return };
    step_exchanges[..=position].rotate_right(1);
}

/// Whether `exchange` is in the session's final failing run (its failure stuck).
///
/// `failed_exchange` is the first failure after the session's last success (see
/// [`outcome_of`]), so nothing after it succeeded.
pub fn is_final_failure(session: &Session, exchange: usize) -> bool {
    session.outcome == Outcome::Failure
        && session.failed_exchange.is_some_and(|first| exchange >= first)
}
