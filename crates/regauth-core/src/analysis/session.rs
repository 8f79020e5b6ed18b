//! Sessions: assigns exchanges to sessions ([`super::assign`]), walks the capture in order
//! feeding each exchange's verdict ([`super::verdict`]) to its session's state machine
//! ([`super::machine`]), and explains each session's failures ([`super::explain`]).
//!
//! Hand-written because it is the product: no crate knows the registry auth sequence.

use std::collections::HashMap;

use super::assign::{Assignment, SessionKey, assign};
use super::classify::{Classified, RequestAuth, Role, bearer_token};
use super::findings::Merger;
use super::machine::{Machine, is_final_failure, relay_engine_failures};
use super::objects::timeline;
use super::tokens::{LastDecoded, TokenBook};
use super::verdict::{FailCause, Verdict, judge_engine, judge_registry, judge_token};
use super::{ExchangeList, ExchangeMap, Session, Step, TokenRecord};
use crate::capture::Capture;
use crate::model::ArcStr;

pub struct Built {
    pub sessions: Vec<Session>,
    pub tokens: Vec<TokenRecord>,
    /// The token the last finding decoded ([`LastDecoded`]).
    pub last_decoded: LastDecoded,
    pub session_of_exchange: ExchangeMap<usize>,
    pub verdicts: ExchangeMap<Verdict>,
    /// Registry authority → the service its challenges name.
    pub registry_service: HashMap<ArcStr, String>,
    /// Invalid-token refusals, explained once clocks are known ([`super::refusals`]).
    pub invalid_token_refusals: Vec<InvalidTokenRefusal>,
    /// Docker Engine answers whose stream was not read to its end, and why (in words), so
    /// the check that reports them does not decode their bodies again.
    pub unread_engine_streams: HashMap<usize, String>,
}

/// A registry refused a bearer token as invalid (`error="invalid_token"` or a bare 401).
#[derive(Clone, Copy, Debug)]
pub struct InvalidTokenRefusal {
    pub session: usize,
    pub exchange: usize,
    /// The refused token, when the capture shows it being issued.
    pub token: Option<usize>,
    /// Whether the refusal is in the session's final failing run.
    pub final_failure: bool,
}

/// The sessions, their tokens and findings. The parsed challenges are taken out of
/// `classified` once the sessions are walked (their last use), before the sessions and
/// their findings are made.
pub fn build(capture: &Capture, classified: &mut Classified, findings: &mut Merger) -> Built {
    let mut assignment = assign(&capture.exchanges, classified);
    // The keys become the machines' (moved, not copied: a hundred thousand sessions).
    let keys = std::mem::take(&mut assignment.keys);
    let mut walked = walk(capture, classified, keys, &assignment);
    // The parsed challenges' last readers are the walk, the registries' services and the
    // malformed-challenge check: a hundred thousand 401s parse to as many challenges, given
    // back before the sessions and their findings are made on top of them (issue 9).
    let registry_service = registry_services(classified);
    let challenges = std::mem::take(&mut classified.challenges);
    super::checks::malformed_challenges(&challenges, &assignment.session_of_exchange, findings);
    drop(challenges);
    let classified: &Classified = classified;
    let mut timeline = timeline(&capture.exchanges, &classified.roles, &walked.verdicts);
    for members in &assignment.members {
        relay_engine_failures(
            members,
            &classified.roles,
            &mut walked.verdicts,
            &timeline,
            &capture.exchanges,
        );
    }
    let sessions = finish_machines(
        std::mem::take(&mut walked.machines),
        assignment.members,
        |machine, members| machine.finish(members, &walked.verdicts, &timeline, &capture.exchanges),
    );
    let mut built = Built {
        sessions: Vec::new(),
        tokens: walked.tokens.records,
        last_decoded: LastDecoded::default(),
        session_of_exchange: assignment.session_of_exchange,
        verdicts: walked.verdicts,
        registry_service,
        invalid_token_refusals: Vec::new(),
        unread_engine_streams: walked.unread_engine_streams,
    };
    timeline.keep_for_findings(&built.verdicts);
    for (session_idx, session) in sessions.iter().enumerate() {
        findings.extend(super::explain::session_findings(
            capture,
            classified,
            session_idx,
            session,
            &built,
            &timeline,
        ));
        built.invalid_token_refusals.extend(invalid_token_refusals(
            session_idx,
            session,
            &built.verdicts,
        ));
    }
    built.sessions = sessions;
    // What each exchange acts on and when its verdict counted (a string per exchange) is
    // needed only to build the sessions and their findings: dropped here, before the later
    // stages add theirs (issue 9: the analysis' peak is at its end).
    drop(timeline);
    built
}

/// Each machine finished into its session (`finish(machine, its members)`), in order.
///
/// Taken from the back, and the machines' list given back as it empties: otherwise every
/// machine stays allocated until the last session is made, and with a hundred thousand
/// sessions the two lists side by side were the analysis' peak (issue 9).
fn finish_machines<M, S>(
    mut machines: Vec<M>,
    mut members: Vec<ExchangeList>,
    mut finish: impl FnMut(M, ExchangeList) -> S,
) -> Vec<S> {
    // Paired from the front, as the machines and their member lists were made.
    let paired = machines.len().min(members.len());
    machines.truncate(paired);
    members.truncate(paired);
    let mut sessions = Vec::with_capacity(paired);
    while let (Some(machine), Some(members_of)) = (machines.pop(), members.pop()) {
        sessions.push(finish(machine, members_of));
        if machines.len() < machines.capacity() / 2 {
            machines.shrink_to_fit();
            members.shrink_to_fit();
        }
    }
    sessions.reverse();
    sessions
}

/// For each registry, the service its first Bearer challenge names.
fn registry_services(classified: &Classified) -> HashMap<ArcStr, String> {
    let mut registry_service = HashMap::new();
    for seen in &classified.challenges {
        if let Some(service) = seen.bearer().and_then(|challenge| challenge.service()) {
            registry_service.entry(seen.authority.clone()).or_insert_with(|| service.to_owned());
        }
    }
    registry_service
}

struct Walked {
    machines: Vec<Machine>,
    verdicts: ExchangeMap<Verdict>,
    tokens: TokenBook,
    unread_engine_streams: HashMap<usize, String>,
}

/// Tokens are issued and used across sessions, so this walks all exchanges in capture order
/// and feeds each to its session's machine.
fn walk(
    capture: &Capture,
    classified: &Classified,
    keys: Vec<SessionKey>,
    assignment: &Assignment,
) -> Walked {
    let mut walked = Walked {
        machines: keys
            .into_iter()
            .map(|(registry, repository)| Machine::new(registry, repository))
            .collect(),
        verdicts: ExchangeMap::with_exchanges(capture.exchanges.len()),
        tokens: TokenBook::default(),
        unread_engine_streams: HashMap::new(),
    };
    for (idx, exchange) in capture.exchanges.iter().enumerate() {
        let Some(&session_idx) = assignment.session_of_exchange.get(&idx) else { continue };
        let machine = &mut walked.machines[session_idx];
        let role = &classified.roles[idx];
        let verdict = match role {
            Role::Registry { auth, .. } => {
                let challenge = classified.challenge(idx);
                machine.learn_from_registry(exchange, auth, challenge);
                let probe = classified.fallback_probes.contains_key(&idx);
                judge_registry(exchange, auth, challenge, &walked.tokens, probe)
            }
            Role::Token { request } => {
                machine.learn_from_token_request(exchange, request);
                judge_token(exchange, request, session_idx, &mut walked.tokens)
            }
            Role::EngineApi { call } => {
                let (verdict, unread) = judge_engine(exchange, call);
                if let Some(why) = unread {
                    walked.unread_engine_streams.insert(idx, why);
                }
                verdict
            }
            Role::Storage { .. } | Role::Other => Verdict::Neutral,
        };
        if let Role::Registry { auth: RequestAuth::Bearer, .. } = role
            && let Some(token) = bearer_token(&exchange.request)
        {
            walked.tokens.record_use(&token, exchange);
        }
        machine.feed(idx, role, &verdict);
        walked.verdicts.insert(idx, verdict);
    }
    // A token answer the client could not decode shows only afterwards, when its token is
    // never sent: its answer is then the session's failure at step 4, not a token issued.
    for (token_idx, record) in walked.tokens.records.iter().enumerate() {
        if record.answer_rejected_by_client() {
            walked.verdicts.insert(
                record.issued_by,
                Verdict::Fail {
                    step: Step::TokenResponse,
                    cause: FailCause::MalformedTokenResponse { token: token_idx },
                },
            );
            if let Some(machine) =
                record.session.and_then(|session| walked.machines.get_mut(session))
            {
                machine.answer_rejected();
            }
        }
    }
    walked
}

fn invalid_token_refusals(
    session_idx: usize,
    session: &Session,
    verdicts: &ExchangeMap<Verdict>,
) -> Vec<InvalidTokenRefusal> {
    session
        .exchanges
        .iter()
        .filter_map(|&idx| match verdicts.get(&idx) {
            Some(Verdict::Fail { cause: FailCause::InvalidToken { token }, .. }) => {
                Some(InvalidTokenRefusal {
                    session: session_idx,
                    exchange: idx,
                    token: *token,
                    final_failure: is_final_failure(session, idx),
                })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{ExchangeList, finish_machines};

    #[test]
    fn machines_finish_in_their_order_with_their_own_members() {
        // Enough machines for the list to be given back several times on the way.
        let machines: Vec<usize> = (0..1000).collect();
        let members: Vec<ExchangeList> =
            (0..1000).map(|machine| ExchangeList::from_slice(&[machine * 10])).collect();
        let sessions = finish_machines(machines, members, |machine, members| (machine, members[0]));
        assert_eq!(sessions.len(), 1000);
        assert!(
            sessions
                .iter()
                .enumerate()
                .all(|(at, &(machine, member))| { machine == at && member == at * 10 })
        );
    }

    #[test]
    fn machines_pair_with_member_lists_from_the_front() {
        let members: Vec<ExchangeList> =
            (0..3).map(|list| ExchangeList::from_slice(&[list])).collect();
        let sessions = finish_machines(vec!['a', 'b'], members, |machine, members| {
            (machine, members.to_vec())
        });
        assert_eq!(sessions, [('a', vec![0]), ('b', vec![1])]);
    }
}
