//! The auth engine: from a [`Capture`] to sessions, findings, clocks and tokens.
//!
//! ```text
//!  exchanges ──► classify.rs (registry / token / engine / storage; connection.rs:
//!                   │   HTTPS-first probes the client repeated over plain HTTP)
//!                   ▼
//!            assign.rs: sessions (registry + repository; pings adopted by the
//!                   │   session whose token request follows them)
//!                   ▼
//!            session.rs walks the capture: verdict.rs judges each answer,
//!                   │   machine.rs files it under steps 1–6 ──► outcome, failing step
//!                   │   (objects.rs: a failure is recovered only by the same object)
//!                   ▼                                           explain.rs: why
//!            clock.rs (Date, iat) ──► refusals.rs (invalid tokens) ──► checks.rs
//!                   │                                 (capture-wide findings)
//!                   ▼
//!            findings.rs: merge, order; each session's explaining finding
//! ```
//!
//! Time is never read from the machine: validity is judged against the capture's clocks.

mod assign;
mod checks;
pub mod classify;
pub mod clock;
mod connection;
mod explain;
pub mod findings;
mod machine;
mod objects;
mod refusals;
mod session;
#[cfg(test)]
mod tests;
mod tls;
mod tokens;
mod verdict;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::capture::Capture;
use crate::model::ArcStr;
use crate::protocol::{Credential, TokenRequest};
use crate::secret::Secret;
use crate::tls_facts::{TlsFacts, tls_facts};
use crate::token::{DecodedToken, SignatureCheck, decode_token};

pub use findings::{CODES, Code, CodeInfo, Finding, Severity, explain};

/// The six steps of registry token authentication. The single source of their numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// 1: the client tries the registry.
    TryRegistry = 1,
    /// 2: the registry answers 401 with a challenge.
    Challenge = 2,
    /// 3: the client asks the token service (realm) for a token.
    TokenRequest = 3,
    /// 4: the token service answers.
    TokenResponse = 4,
    /// 5: the client retries with credentials (Bearer token, or Basic for Basic-auth registries).
    AuthorizedRetry = 5,
    /// 6: the registry checks the credentials and serves, or refuses.
    RegistryVerdict = 6,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::TryRegistry,
        Step::Challenge,
        Step::TokenRequest,
        Step::TokenResponse,
        Step::AuthorizedRetry,
        Step::RegistryVerdict,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::TryRegistry => "client tries the registry",
            Step::Challenge => "registry challenges (401 + WWW-Authenticate)",
            Step::TokenRequest => "client asks the token service",
            Step::TokenResponse => "token service answers",
            Step::AuthorizedRetry => "client retries with credentials",
            Step::RegistryVerdict => "registry checks and serves",
        }
    }
}

/// Settings of one analysis. Time is not among them: the capture supplies its own clocks.
#[derive(Clone, Debug)]
pub struct AnalysisConfig {
    /// A clock further off than this (seconds, beyond its uncertainty) is a `clock-skew` finding.
    pub max_clock_skew_s: f64,
    /// Extra trust anchors (DER) for token signature checks.
    pub trusted_roots_der: Vec<Vec<u8>>,
}

impl Default for AnalysisConfig {
    /// Clock skew beyond 10 s (well under distribution's 60 s leeway) and no extra roots.
    fn default() -> AnalysisConfig {
        AnalysisConfig { max_clock_skew_s: 10.0, trusted_roots_der: Vec::new() }
    }
}

/// How a session (or the whole capture) ended. Serialised as `success`, `failure`, `incomplete`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Success,
    Failure,
    Incomplete,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Incomplete => "incomplete",
        }
    }
}

/// Serialised as `bearer`, `basic`, `none`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthScheme {
    /// Token authentication (steps 1–6).
    Bearer,
    /// HTTP Basic straight to the registry (no steps 3–4).
    Basic,
    /// The registry asked for nothing.
    None,
}

impl AuthScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthScheme::Bearer => "bearer",
            AuthScheme::Basic => "basic",
            AuthScheme::None => "none",
        }
    }

    /// Whether this scheme has `step`: Basic has no token service (steps 3–4), and a registry
    /// that asks for nothing has only the request and its answer (steps 1 and 6).
    pub fn has_step(self, step: Step) -> bool {
        match self {
            AuthScheme::Bearer => true,
            AuthScheme::Basic => !matches!(step, Step::TokenRequest | Step::TokenResponse),
            AuthScheme::None => matches!(step, Step::TryRegistry | Step::RegistryVerdict),
        }
    }
}

/// Where a session got with one step, as the sequence diagram shows it. Serialised as
/// `done`, `failed`, `not-reached`, `skipped`, `not-seen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Seen in the capture, and not the failure.
    Done,
    /// The step whose answer made the session fail.
    Failed,
    /// Not seen; the session failed or stopped before it.
    NotReached,
    /// Not part of the session's auth scheme (Basic has no token service).
    Skipped,
    /// Not seen although later steps were (e.g. credentials sent up front).
    NotSeen,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
            StepStatus::NotReached => "not-reached",
            StepStatus::Skipped => "skipped",
            StepStatus::NotSeen => "not-seen",
        }
    }
}

/// Exchange numbers (indexes into the capture timeline), held inline up to two: most
/// sessions and clock estimates of a busy capture name one or two exchanges, and a heap
/// allocation each cost more than the capture (issue 9). Derefs to `[usize]`.
pub type ExchangeList = smallvec::SmallVec<[usize; 2]>;

/// The exchanges behind one step of a session (see [`StepList::iter`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepExchanges<'a> {
    pub step: Step,
    pub exchanges: &'a [usize],
}

/// The exchanges behind each of a session's six steps, kept as one list grouped by step:
/// one allocation per session instead of a list per step (a capture may hold a hundred
/// thousand sessions, and six lists each were a fifth of the analysis' memory, issue 9).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StepList {
    /// Exchanges grouped by step, the steps in order; capture order within a step unless
    /// the session reordered it (the exchange that decided the step first).
    exchanges: ExchangeList,
    /// Where each step's group ends in `exchanges`: step `n`'s is `ends[n - 2]..ends[n - 1]`.
    ends: [u32; 6],
}

impl StepList {
    /// A list from [`StepRecord`]s in the order they were made: each step keeps its
    /// exchanges in that order. Placed by counting, in one list at its exact size (no sort,
    /// no sort buffer: a session may have a hundred thousand exchanges).
    pub(crate) fn from_records(records: &[StepRecord]) -> StepList {
        let mut ends = [0u32; 6];
        for record in records {
            ends[record.slot()] += 1;
        }
        let mut next = [0usize; 6];
        for slot in 1..ends.len() {
            ends[slot] += ends[slot - 1];
            next[slot] = ends[slot - 1] as usize;
        }
        let mut exchanges: ExchangeList = smallvec::smallvec![0; records.len()];
        for record in records {
            let slot = record.slot();
            exchanges[next[slot]] = record.exchange();
            next[slot] += 1;
        }
        StepList { exchanges, ends }
    }

    fn range(&self, step: Step) -> std::ops::Range<usize> {
        let position = usize::from(step.number() - 1);
        let start = if position == 0 { 0 } else { self.ends[position - 1] as usize };
        start..self.ends[position] as usize
    }

    /// The exchanges behind `step`.
    pub fn of(&self, step: Step) -> &[usize] {
        self.exchanges.get(self.range(step)).unwrap_or_default()
    }

    /// Each step's exchanges, to reorder within a step.
    pub(crate) fn of_mut(&mut self, step: Step) -> &mut [usize] {
        let range = self.range(step);
        self.exchanges.get_mut(range).unwrap_or_default()
    }

    /// All six steps in order, with their exchanges (empty for a step not seen).
    pub fn iter(&self) -> impl Iterator<Item = StepExchanges<'_>> {
        Step::ALL.into_iter().map(|step| StepExchanges { step, exchanges: self.of(step) })
    }
}

/// One exchange filed under one step, packed in eight bytes (the step in the top byte): a
/// session's state machine keeps one per filing until the session ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StepRecord(u64);

impl StepRecord {
    pub(crate) fn new(step: Step, exchange: usize) -> StepRecord {
        // Exchange numbers are far below 2^56: each exchange takes hundreds of bytes.
        StepRecord(u64::from(step.number()) << 56 | (exchange as u64 & ((1 << 56) - 1)))
    }

    /// The step's position in [`Step::ALL`].
    fn slot(self) -> usize {
        usize::from((self.0 >> 56) as u8).saturating_sub(1).min(5)
    }

    fn exchange(self) -> usize {
        (self.0 & ((1 << 56) - 1)) as usize
    }
}

impl<'a> IntoIterator for &'a StepList {
    type Item = StepExchanges<'a>;
    type IntoIter = Box<dyn Iterator<Item = StepExchanges<'a>> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl std::fmt::Debug for StepList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One auth sequence: a registry and a repository (or the registry as a whole: `/v2/`, login).
#[derive(Clone, Debug)]
pub struct Session {
    /// `host[:port]` of the registry. The names are shared with the rest of the analysis
    /// (one copy per distinct name, however many sessions and exchanges name it).
    pub registry: ArcStr,
    pub repository: Option<ArcStr>,
    pub scheme: AuthScheme,
    /// Token realm and service named by the registry's challenge, when it used token auth.
    pub realm: Option<ArcStr>,
    pub service: Option<ArcStr>,
    pub outcome: Outcome,
    /// Step of the first answer that made the session fail (in its final failing run).
    pub failed_step: Option<Step>,
    /// Exchange whose answer made the session fail.
    pub failed_exchange: Option<usize>,
    /// The failing exchanges no later request for the same object (the same upload, blob,
    /// manifest, token realm or daemon call) recovered from, in capture order: the failures
    /// that stuck. Empty unless the session failed.
    pub unrecovered_failures: ExchangeList,
    pub steps: StepList,
    /// Every exchange of the session (steps plus related ones such as storage downloads).
    pub exchanges: ExchangeList,
    /// What the session was waiting for when the capture ended, if it did not finish.
    pub expected_next: Option<&'static str>,
    /// Index into [`Analysis::findings`] of the finding that explains the failing step.
    pub failed_finding: Option<usize>,
}

impl Session {
    /// `registry/repository`, or `registry (registry)` for a registry-wide session (`/v2/`,
    /// login): how every output names the session.
    pub fn title(&self) -> String {
        match &self.repository {
            Some(repository) => format!("{}/{repository}", self.registry),
            None => format!("{} (registry)", self.registry),
        }
    }

    /// The exchanges the session has for `step`.
    pub fn exchanges_of(&self, step: Step) -> &[usize] {
        self.steps.of(step)
    }

    /// Where the session got with `step`.
    pub fn step_status(&self, step: Step) -> StepStatus {
        let last_seen = self
            .steps
            .iter()
            .filter(|entry| !entry.exchanges.is_empty())
            .map(|entry| entry.step)
            .max();
        if self.failed_step == Some(step) {
            StepStatus::Failed
        } else if !self.exchanges_of(step).is_empty() {
            StepStatus::Done
        } else if !self.scheme.has_step(step) {
            StepStatus::Skipped
        } else if self.failed_step.is_some_and(|failed| step > failed)
            || last_seen.is_none_or(|last| step > last)
        {
            StepStatus::NotReached
        } else {
            StepStatus::NotSeen
        }
    }
}

/// What one clock says relative to the capture clock.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockEstimate {
    /// The host (or a token issuer's `iss`); shared, one copy per host.
    pub host: ArcStr,
    pub role: ClockRole,
    /// That clock minus the capture clock, seconds (midpoint of the interval).
    pub offset_s: f64,
    /// Half the width of the interval the offset lies in.
    pub uncertainty_s: f64,
    pub observations: usize,
    pub exchanges: ExchangeList,
}

/// Serialised as `registry`, `token-service`, `token-issuer`, `storage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockRole {
    /// A registry's `Date` header.
    Registry,
    /// A token service's `Date` header.
    TokenService,
    /// A token issuer's `iat` / `issued_at`.
    TokenIssuer,
    /// A storage host a registry redirected to.
    Storage,
}

impl ClockRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockRole::Registry => "registry",
            ClockRole::TokenService => "token-service",
            ClockRole::TokenIssuer => "token-issuer",
            ClockRole::Storage => "storage",
        }
    }
}

/// A token the capture shows being issued, with what happened to it.
#[derive(Clone, Debug)]
pub struct TokenRecord {
    /// The token response exchange that issued it.
    pub issued_by: usize,
    pub session: Option<usize>,
    /// The raw token (masked unless the caller reveals it).
    pub raw: Secret,
    /// What the engine reads of every token; the rest is decoded on demand
    /// ([`TokenRecord::decoded`]).
    pub summary: TokenSummary,
    /// The token request, shared with its exchange's [`classify::Role::Token`].
    pub request: Arc<TokenRequest>,
    /// `expires_in` as the token service sent it, in seconds.
    pub expires_in: Option<i64>,
    /// `issued_at` as the token service sent it (issuer clock).
    pub issued_at: Option<DateTime<Utc>>,
    /// What was odd about the token response, in plain words.
    pub response_problems: Vec<String>,
    /// Whether clients that decode the answer into typed fields (the Go clients) reject it
    /// whole ([`crate::protocol::TokenResponse::rejected_by_typed_clients`]).
    pub response_rejected_by_typed_clients: bool,
    /// `expires_in` as clients use it (absent → 60, below 60 → 60).
    pub effective_lifetime_s: i64,
    pub signature: SignatureCheck,
    /// Exchanges that sent it as `Authorization: Bearer`.
    pub uses: Vec<usize>,
    /// Of those, the ones the registry refused (401/403).
    pub rejected_uses: Vec<usize>,
    /// Whether a refresh token came with it (masked like the token).
    pub refresh_token: Option<Secret>,
}

/// The few facts of a token the engine reads for every token issued, read once when it is
/// issued, so that checks over all tokens do not decode each again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenSummary {
    pub is_jwt: bool,
    /// The JWT's `iss` (one copy per issuer).
    pub issuer: Option<ArcStr>,
    /// The JWT's `iat` (issuer clock, Unix seconds).
    pub issued_at: Option<i64>,
    /// Every `access` entry grants only `pull` (true of no entries, and of an opaque token,
    /// whose grants are unknown).
    pub grants_at_most_pull: bool,
}

impl TokenSummary {
    pub fn of(decoded: &DecodedToken) -> TokenSummary {
        match decoded.jwt() {
            Some(jwt) => TokenSummary {
                is_jwt: true,
                issuer: jwt.claims.iss.as_deref().map(ArcStr::from),
                issued_at: jwt.claims.iat,
                grants_at_most_pull: jwt
                    .claims
                    .access
                    .iter()
                    .all(|entry| entry.actions.iter().all(|action| action == "pull")),
            },
            None => TokenSummary { grants_at_most_pull: true, ..TokenSummary::default() },
        }
    }
}

impl TokenRecord {
    /// Whether the client evidently failed on the answer that carried this token: a field of
    /// a type that clients decoding into typed fields reject, and the token never sent.
    pub fn answer_rejected_by_client(&self) -> bool {
        self.response_rejected_by_typed_clients && self.uses.is_empty()
    }

    /// The token decoded (JWT header, claims, grants), from `raw` on each call. Not kept in
    /// the record: a decoded token costs several times its text, and a capture of a hundred
    /// thousand tokens then costs more than twice its size (issue 9); the engine keeps what it
    /// reads of every token in [`TokenRecord::summary`], and a report decodes each token once.
    pub fn decoded(&self) -> DecodedToken {
        decode_token(self.raw.expose())
    }

    pub fn credential_kind(&self) -> &'static str {
        match &self.request.credential {
            Credential::Anonymous => "anonymous",
            Credential::Basic { .. } => "basic",
            Credential::Password { .. } => "oauth2-password",
            Credential::RefreshToken(_) => "oauth2-refresh-token",
            Credential::Bearer(_) => "bearer",
        }
    }
}

/// A value per exchange of the capture, looked up by exchange index: a vector rather than a
/// hash map, which costs several times as much per entry when most exchanges have one (issue
/// 9: a hundred thousand sessions).
#[derive(Clone, Debug, PartialEq)]
pub struct ExchangeMap<T>(Vec<Option<T>>);

impl<T> Default for ExchangeMap<T> {
    fn default() -> ExchangeMap<T> {
        ExchangeMap(Vec::new())
    }
}

impl<T> ExchangeMap<T> {
    /// A map for `exchanges` exchanges, none with a value yet.
    pub fn with_exchanges(exchanges: usize) -> ExchangeMap<T> {
        ExchangeMap(std::iter::repeat_with(|| None).take(exchanges).collect())
    }

    pub fn get(&self, exchange: &usize) -> Option<&T> {
        self.0.get(*exchange).and_then(Option::as_ref)
    }

    /// Sets the value of `exchange` (growing the map when it is past its end).
    pub fn insert(&mut self, exchange: usize, value: T) {
        if exchange >= self.0.len() {
            self.0.resize_with(exchange + 1, || None);
        }
        if let Some(slot) = self.0.get_mut(exchange) {
            *slot = Some(value);
        }
    }

    /// The exchanges with a value, in capture order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.0
            .iter()
            .enumerate()
            .filter_map(|(idx, value)| value.as_ref().map(|value| (idx, value)))
    }
}

/// Everything regauth concluded about a capture.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub outcome: Outcome,
    pub sessions: Vec<Session>,
    pub findings: Vec<Finding>,
    pub clocks: Vec<ClockEstimate>,
    pub tokens: Vec<TokenRecord>,
    /// Exchange index → session index.
    pub session_of_exchange: ExchangeMap<usize>,
    /// Every TLS endpoint with its certificates (server chain, client certificate).
    pub tls: TlsFacts,
}

/// Analyses a capture. Never fails: whatever the capture lacks becomes findings.
pub fn analyze(capture: &Capture, config: &AnalysisConfig) -> Analysis {
    let mut classified = classify::classify(capture);
    let mut findings = findings::Merger::default();
    let mut built = session::build(capture, &mut classified, &mut findings);
    let clocks = clock::estimate_clocks(capture, &classified, &built.tokens);
    tokens::check_signatures_against(&config.trusted_roots_der, &mut built.tokens);
    refusals::explain_refusals(capture, &built, &clocks, &mut findings);
    clock::skew_findings(config, &clocks, &mut findings);
    let tls = tls_facts(capture);
    checks::capture_findings(capture, &classified, &built, &tls, &mut findings);
    tls::tls_findings(capture, &tls, &built.session_of_exchange, &mut findings);
    let mut findings = findings.finish();
    explain::link_engine_relays(capture, &built, &mut findings);
    findings::order(&mut findings);
    // Each session looks only at its own findings: with thousands of failed sessions, a
    // search of every finding per session would be quadratic. `(session, finding)` pairs
    // sorted by session, in order of the findings within one: one list, not a list per
    // session (a hundred thousand failed sessions, issue 9).
    let mut findings_by_session: Vec<(usize, usize)> = findings
        .iter()
        .enumerate()
        .filter_map(|(finding_idx, finding)| Some((finding.session?, finding_idx)))
        .collect();
    findings_by_session.sort_unstable();
    let mut own = Vec::new();
    let mut pairs = findings_by_session.as_slice();
    for (session_idx, session) in built.sessions.iter_mut().enumerate() {
        let start = pairs.partition_point(|&(of, _)| of < session_idx);
        let len = pairs[start..].partition_point(|&(of, _)| of == session_idx);
        own.clear();
        own.extend(pairs[start..start + len].iter().map(|&(_, finding_idx)| finding_idx));
        pairs = &pairs[start + len..];
        session.failed_finding = explaining_finding(session, &own, &findings);
    }
    // Failure when any session failed (Docker Engine API legs are sessions too); success only
    // when some session actually got a verdict (a capture whose sessions all stop short, or
    // that has none, proves nothing).
    let outcome = if built.sessions.iter().any(|session| session.outcome == Outcome::Failure) {
        Outcome::Failure
    } else if built.sessions.iter().any(|session| session.outcome == Outcome::Success) {
        Outcome::Success
    } else {
        Outcome::Incomplete
    };
    Analysis {
        outcome,
        sessions: built.sessions,
        findings,
        clocks,
        tokens: built.tokens,
        session_of_exchange: built.session_of_exchange,
        tls,
    }
}

/// The finding that explains a failed session: an error on that session and its failing
/// step whose evidence holds the failing exchange, else an error on that step, else any error
/// on the session. Notes (info) and warnings never explain a failure. `own`: the indexes of
/// the session's findings, in order.
fn explaining_finding(session: &Session, own: &[usize], findings: &[Finding]) -> Option<usize> {
    if session.outcome != Outcome::Failure {
        return None;
    }
    let errors = || {
        own.iter()
            .map(|&idx| (idx, &findings[idx]))
            .filter(|(_, finding)| finding.severity == Severity::Error)
    };
    let on_failed_step =
        |finding: &Finding| session.failed_step.is_some() && finding.step == session.failed_step;
    let holds_failed_exchange = |finding: &Finding| {
        session.failed_exchange.is_some_and(|failed| finding.exchanges.contains(&failed))
    };
    errors()
        .find(|(_, finding)| on_failed_step(finding) && holds_failed_exchange(finding))
        .or_else(|| errors().find(|(_, finding)| on_failed_step(finding)))
        .or_else(|| errors().next())
        .map(|(idx, _)| idx)
}
