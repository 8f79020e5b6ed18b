//! One session's state machine: what it expects next, which step each exchange fills, and
//! at the end its outcome and failing step.
//!
//! The outcome is what the client saw at the end: a failure counts unless a later request for
//! the same object succeeded (then the client recovered), and the failing step is the first
//! failure that stuck. Docker Engine calls count when the daemon answered, and take their
//! cause from the registry leg they relayed when the capture has it.

use std::collections::HashSet;

use super::classify::{RequestAuth, Role, SeenChallenge, url_base};
use super::objects::Timeline;
use super::verdict::{FailCause, Verdict};
use super::{AuthScheme, ExchangeList, ExchangeMap, Outcome, Session, Step, StepList, StepRecord};
use crate::model::{ArcStr, Exchange};
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
            Verdict::Neutral | Verdict::Abandoned => self,
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
    registry: ArcStr,
    repository: Option<ArcStr>,
    scheme: AuthScheme,
    realm: Option<ArcStr>,
    service: Option<ArcStr>,
    state: State,
    /// Exchanges filed under steps, in the order filed; grouped by step when the session is
    /// finished. Inline up to two: a hundred thousand sessions of one exchange file it
    /// under one or two steps, and a list each was the largest part of the walk (issue 9).
    steps: smallvec::SmallVec<[StepRecord; 2]>,
}

impl Machine {
    pub fn new(registry: ArcStr, repository: Option<ArcStr>) -> Machine {
        Machine {
            registry,
            repository,
            scheme: AuthScheme::None,
            realm: None,
            service: None,
            state: State::ExpectFirstRequest,
            steps: smallvec::SmallVec::new(),
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
                self.realm = self.realm.take().or_else(|| bearer.shared_realm().cloned());
                self.service = self.service.take().or_else(|| bearer.shared_service().cloned());
            } else if seen.has_basic() && self.scheme != AuthScheme::Bearer {
                self.scheme = AuthScheme::Basic;
            }
        }
        if self.scheme == AuthScheme::None {
            match auth {
                RequestAuth::Basic { .. } => self.scheme = AuthScheme::Basic,
                RequestAuth::Bearer => self.scheme = AuthScheme::Bearer,
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
            self.realm = Some(url_base(&exchange.request.url()).into());
        }
        if self.service.is_none() {
            self.service = request.service.as_deref().map(ArcStr::from);
        }
    }

    /// The client failed on the token answer it was waiting to use (found after the walk:
    /// [`super::TokenRecord::answer_rejected_by_client`]).
    pub fn answer_rejected(&mut self) {
        if self.state == State::ExpectAuthorizedRetry {
            self.state = State::ExpectRecovery;
        }
    }

    fn record(&mut self, step: Step, exchange: usize) {
        self.steps.push(StepRecord::new(step, exchange));
    }

    /// Files the exchange under its steps and moves to the next state.
    pub fn feed(&mut self, idx: usize, role: &Role, verdict: &Verdict) {
        let answered = |failed_before: Step| {
            !matches!(verdict, Verdict::Neutral | Verdict::Abandoned)
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
    /// taken in the order their answers counted ([`Timeline::decided_at`]), and each step's
    /// evidence led by the exchange that decided it.
    pub fn finish(
        self,
        mut members: ExchangeList,
        verdicts: &ExchangeMap<Verdict>,
        timeline: &Timeline,
        exchanges: &[Exchange],
    ) -> Session {
        let ordered = in_decision_order(&members, timeline);
        let judged = judge_session(&ordered, verdicts, timeline, exchanges);
        let decisive: Vec<(usize, &Verdict)> = ordered
            .iter()
            .filter_map(|&idx| verdicts.get(&idx).map(|verdict| (idx, verdict)))
            .filter(|(_, verdict)| verdict.is_decisive())
            .collect();
        let mut steps = StepList::from_records(&self.steps);
        drop(self.steps);
        if let Some(decision) = decision(&decisive, judged.failed, exchanges) {
            for step in Step::ALL {
                lead_with_decider(steps.of_mut(step), decision);
            }
        }
        let expected_next = match judged.outcome {
            Outcome::Success => None,
            Outcome::Incomplete if judged.in_flight_at_end => Some(
                "answers to the requests still in flight when the client went away or the capture ended",
            ),
            _ => self.state.expectation(),
        };
        let mut unrecovered_failures = judged.unrecovered;
        unrecovered_failures.sort_unstable();
        // Both kept for the whole analysis, one pair per session: at their exact size, not
        // with the room pushing left (a hundred thousand sessions of one exchange, issue 9);
        // up to two exchanges each stay inline.
        unrecovered_failures.shrink_to_fit();
        members.shrink_to_fit();
        Session {
            registry: self.registry,
            repository: self.repository,
            scheme: self.scheme,
            realm: self.realm,
            service: self.service,
            outcome: judged.outcome,
            failed_step: judged.failed.map(|(step, _)| step),
            failed_exchange: judged.failed.map(|(_, idx)| idx),
            unrecovered_failures,
            steps,
            exchanges: members,
            expected_next,
            failed_finding: None,
        }
    }
}

/// The session's members in the order their verdicts counted: by [`Timeline::decided_at`],
/// capture order among equals.
fn in_decision_order(members: &[usize], timeline: &Timeline) -> Vec<usize> {
    let mut ordered = members.to_vec();
    ordered.sort_by(|&a, &b| {
        timeline.decided_at[a].total_cmp(&timeline.decided_at[b]).then(a.cmp(&b))
    });
    ordered
}

/// What a session's verdicts add up to.
struct Judged {
    outcome: Outcome,
    /// The first failure that stuck, as (step, exchange).
    failed: Option<(Step, usize)>,
    /// Every failure that stuck, in decision order.
    unrecovered: ExchangeList,
    /// Whether the session ends with requests that never got an answer (abandoned by the
    /// client, or cut by the end of the capture) and nothing answered after them.
    in_flight_at_end: bool,
}

/// The outcome is what the client saw at the end (issue 8, item 2): the session failed when
/// a failure stuck, that is when no later request for the same object succeeded, whatever
/// else succeeded after it; it is incomplete when it ends with requests in flight; it
/// succeeded when the registry served and every failure was recovered from.
fn judge_session(
    ordered: &[usize],
    verdicts: &ExchangeMap<Verdict>,
    timeline: &Timeline,
    exchanges: &[Exchange],
) -> Judged {
    let unrecovered = unrecovered_failures(ordered, verdicts, timeline);
    let mut answered_after = false;
    let mut in_flight_at_end = false;
    let mut served = false;
    for &idx in ordered.iter().rev() {
        let exchange = &exchanges[idx];
        match verdicts.get(&idx) {
            Some(Verdict::Ok) => served = true,
            Some(Verdict::Abandoned) => in_flight_at_end |= !answered_after,
            Some(Verdict::Neutral) | None
                if exchange.response.is_none() && exchange.error.is_none() =>
            {
                in_flight_at_end |= !answered_after;
            }
            _ => {}
        }
        answered_after |= exchange.response.is_some();
    }
    let failed = unrecovered.first().and_then(|&idx| match verdicts.get(&idx) {
        Some(Verdict::Fail { step, .. }) => Some((*step, idx)),
        _ => None,
    });
    let outcome = if failed.is_some() {
        Outcome::Failure
    } else if in_flight_at_end || !served {
        Outcome::Incomplete
    } else {
        Outcome::Success
    };
    Judged { outcome, failed, unrecovered, in_flight_at_end }
}

/// The failures among `ordered` (in decision order) that no later request for the same
/// object recovered from: a later answer that served it (or a token the same realm handed
/// out). containerd's OAuth2 POST refused as unsupported (400/404/405) is no failure when the
/// client falls back to another token request afterwards, whatever that one gets. A token
/// response too large to read, or not decoded, is recovered when the registry later served the
/// session: the client evidently found a token in it (issue 9: "unknown", not "no token").
fn unrecovered_failures(
    ordered: &[usize],
    verdicts: &ExchangeMap<Verdict>,
    timeline: &Timeline,
) -> ExchangeList {
    let mut succeeded_later: HashSet<&str> = HashSet::new();
    let mut token_answer_later = false;
    let mut served_later = false;
    let mut unrecovered = ExchangeList::new();
    for &idx in ordered.iter().rev() {
        let object = timeline.objects[idx].as_deref();
        match verdicts.get(&idx) {
            Some(Verdict::Fail {
                cause: FailCause::TokenServiceError { oauth_post: true, status: 400 | 404 | 405 },
                ..
            }) if token_answer_later => {}
            Some(Verdict::Fail {
                cause:
                    FailCause::TokenResponseTooLarge { .. } | FailCause::TokenResponseUndecodable { .. },
                ..
            }) if served_later => {}
            Some(Verdict::Fail { step, .. }) => {
                if !object.is_some_and(|object| succeeded_later.contains(object)) {
                    unrecovered.push(idx);
                }
                token_answer_later |= *step == Step::TokenResponse;
            }
            Some(Verdict::Ok) => {
                succeeded_later.extend(object);
                served_later = true;
            }
            Some(Verdict::TokenIssued) => {
                succeeded_later.extend(object);
                token_answer_later = true;
            }
            _ => {}
        }
    }
    unrecovered.reverse();
    unrecovered
}

/// A Docker Engine pull, push or login that failed while the capture shows the daemon's own
/// registry leg failing takes its cause from that leg (issue 8, item 3): the daemon's message
/// ("denied: requested access to the resource is denied", "unauthorized: authentication
/// required") is its reading of the registry's answer, and the answer itself says more
/// (`insufficient_scope`, an expired token). The leg is the first failure that stuck among the
/// session's non-Engine exchanges that ran while the daemon worked on the call (between its
/// request and its answer; without timestamps, until the session's next Engine call).
pub fn relay_engine_failures(
    members: &[usize],
    roles: &[Role],
    verdicts: &mut ExchangeMap<Verdict>,
    timeline: &Timeline,
    exchanges: &[Exchange],
) {
    let is_engine = |idx: usize| matches!(roles[idx], Role::EngineApi { .. });
    let legs: Vec<usize> = members.iter().copied().filter(|&idx| !is_engine(idx)).collect();
    let ordered_legs = in_decision_order(&legs, timeline);
    let stuck_legs = unrecovered_failures(&ordered_legs, verdicts, timeline);
    if stuck_legs.is_empty() {
        return;
    }
    let engine_calls: Vec<usize> = members.iter().copied().filter(|&idx| is_engine(idx)).collect();
    for (position, &call) in engine_calls.iter().enumerate() {
        let Some(Verdict::Fail { cause: FailCause::EngineRefused { message, .. }, .. }) =
            verdicts.get(&call)
        else {
            continue;
        };
        let exchange = &exchanges[call];
        let next_call = engine_calls.get(position + 1).copied();
        let during = |leg: usize| match (
            exchange.timing.request_start,
            exchange.timing.response_end,
            exchanges[leg].timing.request_start,
        ) {
            (Some(start), Some(end), Some(at)) => start <= at && at <= end,
            _ => leg > call && next_call.is_none_or(|next| leg < next),
        };
        let Some(&leg) = stuck_legs.iter().find(|&&leg| during(leg)) else { continue };
        let Some(Verdict::Fail { step, .. }) = verdicts.get(&leg) else { continue };
        let relayed = Verdict::Fail {
            step: *step,
            cause: FailCause::EngineRelayed { leg, message: message.clone() },
        };
        verdicts.insert(call, relayed);
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

/// Whether `exchange` failed and no later request for the same object recovered from it.
pub fn is_final_failure(session: &Session, exchange: usize) -> bool {
    session.unrecovered_failures.binary_search(&exchange).is_ok()
}
