//! What the page draws, computed from the core's report DTOs: plain data, no `html!`, no
//! web-sys, so every label and every red arrow is unit-tested natively. Nothing here judges
//! authentication (the core already did).
//!
//! The worker builds these values, because it holds the report: [`Analysed`] keeps the masked
//! report with its lookups indexed once per load, and answers the page's requests with small
//! values: the [`Overview`] (verdict, counts, first page of session cards, findings, clocks)
//! once per load, a [`CardPage`] of session cards when the page lists more, and one session's
//! [`SessionDetail`] (steps, diagram, findings, tokens) when it is opened. So the page never
//! decodes, nor builds a view of, every session of a capture at once: a busy CI's capture has
//! thousands, and taking them all in one main-thread task froze the page for seconds.

use regauth_core::analysis::{AuthScheme, ClockRole, Code, Outcome, Severity};
use regauth_core::report::analysis::{AnalysisReport, FindingRow, SessionRow, TokenRow};
use regauth_core::report::exchanges::{ExchangeRow, SourceRow};
use serde::{Deserialize, Serialize};

use crate::diagram::{self, Diagram, row_of};
use crate::timeline::{self, AccessLine, ClockChart, TokenTimeline};

/// Session cards per page of the overview (a small capture shows all of its cards at once).
pub const CARDS_PER_PAGE: usize = 50;
/// Findings the overview lists at most (a capture with thousands of sessions can have
/// thousands; the JSON export has them all).
pub const FINDINGS_AT_MOST: usize = 200;
/// Findings of one session its detail lists at most.
pub const SESSION_FINDINGS_AT_MOST: usize = 50;
/// Token cards of one session drawn at most: each has tables and a chart, and layout is the cost.
pub const TOKENS_AT_MOST: usize = 12;

/// The three participants of registry token auth, left to right in the diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lane {
    Client,
    Registry,
    TokenService,
}

impl Lane {
    pub const ALL: [Lane; 3] = [Lane::Client, Lane::Registry, Lane::TokenService];

    pub fn label(self) -> &'static str {
        match self {
            Lane::Client => "client",
            Lane::Registry => "registry",
            Lane::TokenService => "token service",
        }
    }

    /// Position from the left, 0-based.
    pub fn column(self) -> usize {
        match self {
            Lane::Client => 0,
            Lane::Registry => 1,
            Lane::TokenService => 2,
        }
    }
}

/// Who talks to whom in each of the six steps (fixed by the protocol, not by the capture).
pub fn lanes_of_step(step: u8) -> (Lane, Lane) {
    match step {
        1 | 5 => (Lane::Client, Lane::Registry),
        3 => (Lane::Client, Lane::TokenService),
        4 => (Lane::TokenService, Lane::Client),
        // 2 and 6: the registry answers.
        _ => (Lane::Registry, Lane::Client),
    }
}

/// Where a session got with a step; the CSS class (`.step.failed`, which the browser tests
/// look for) is its wire spelling, `status.as_str()`.
pub use regauth_core::analysis::StepStatus as ArrowStatus;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingRef {
    pub code: Code,
    pub message: String,
}

/// One numbered arrow of a sequence diagram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Arrow {
    pub step: u8,
    pub from: Lane,
    pub to: Lane,
    pub title: String,
    /// The first exchange behind the step (`#3 GET /v2/… → 401`), plus how many more.
    pub detail: Option<String>,
    /// Index of that first exchange, to open it.
    pub first_exchange: Option<usize>,
    pub status: ArrowStatus,
    /// The finding that explains a failed arrow.
    pub finding: Option<FindingRef>,
    /// Codes of the other findings placed on this step (warnings such as a recovered expiry).
    pub notes: Vec<Code>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionModel {
    pub index: usize,
    /// `registry/repository`, or `registry (registry)` for registry-wide sessions.
    pub title: String,
    pub scheme: AuthScheme,
    pub outcome: Outcome,
    /// `failure at step 6`, `success`, `incomplete`.
    pub verdict: String,
    pub realm: Option<String>,
    pub service: Option<String>,
    pub expected_next: Option<String>,
    pub arrows: Vec<Arrow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingModel {
    pub code: Code,
    pub severity: Severity,
    pub title: String,
    /// `session 1, step 6`, `session 2`, `capture`.
    pub place: String,
    pub exchanges: String,
    pub message: String,
    pub fix: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockModel {
    pub host: String,
    pub role: ClockRole,
    /// `+7200.0 s`.
    pub offset: String,
    /// `± 0.5 s`.
    pub uncertainty: String,
    pub observations: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessModel {
    pub resource_type: String,
    pub name: String,
    pub actions: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JwtModel {
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub x5c_certificates: usize,
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: String,
    pub jti: Option<String>,
    pub access: Vec<AccessModel>,
    /// (claim, unix seconds, RFC 3339) for iat, nbf, exp, in the issuer's clock.
    pub times: Vec<(String, i64, String)>,
    pub signature: String,
    pub signature_check: String,
    pub signature_detail: String,
}

/// A token without its secrets: those live in [`TokenSecrets`], masked or revealed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenModel {
    pub index: usize,
    pub kind: String,
    /// `reader (basic)`, `anonymous`.
    pub holder: String,
    pub scopes: String,
    pub lifetime_seconds: i64,
    pub issued_at: Option<String>,
    pub issued_by: usize,
    pub uses: usize,
    pub rejected_uses: usize,
    pub jwt: Option<JwtModel>,
}

/// The secret parts of one token as a report printed them (masked or revealed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenSecrets {
    pub token: String,
    pub refresh_token: Option<String>,
}

/// One card of the overview: a session at a glance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionCard {
    pub index: usize,
    pub registry: String,
    /// `None` for registry-wide sessions (`/v2/` ping, catalog).
    pub repository: Option<String>,
    /// The client as its `User-Agent` names it.
    pub client: Option<String>,
    pub scheme: AuthScheme,
    pub outcome: Outcome,
    /// `failed at step 6`, `succeeded`, `incomplete`: the badge text (colour is never the only signal).
    pub badge: String,
    pub failed_step: Option<u8>,
    /// Code and title of the finding that explains the failure.
    pub failed_finding: Option<(Code, String)>,
    /// `1.2 s`, or `-` when the capture has no timings.
    pub duration: String,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

/// Which session cards the overview lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardFilter {
    #[default]
    All,
    Failure,
    Success,
    Incomplete,
}

impl CardFilter {
    pub const ALL: [CardFilter; 4] =
        [CardFilter::All, CardFilter::Failure, CardFilter::Success, CardFilter::Incomplete];

    pub fn fits(self, outcome: Outcome) -> bool {
        match self {
            CardFilter::All => true,
            CardFilter::Failure => outcome == Outcome::Failure,
            CardFilter::Success => outcome == Outcome::Success,
            CardFilter::Incomplete => outcome == Outcome::Incomplete,
        }
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            CardFilter::All => "all",
            CardFilter::Failure => "failed",
            CardFilter::Success => "succeeded",
            CardFilter::Incomplete => "incomplete",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CardFilter::All => "all",
            CardFilter::Failure => "failure",
            CardFilter::Success => "success",
            CardFilter::Incomplete => "incomplete",
        }
    }
}

/// A page of session cards: those that fit `filter`, from the `from`-th on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardPage {
    pub filter: CardFilter,
    pub from: usize,
    /// Cards that fit the filter, all pages together.
    pub total: usize,
    pub cards: Vec<SessionCard>,
}

/// How many sessions ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCounts {
    pub total: usize,
    pub failure: usize,
    pub success: usize,
    pub incomplete: usize,
}

impl SessionCounts {
    pub fn of(&self, filter: CardFilter) -> usize {
        match filter {
            CardFilter::All => self.total,
            CardFilter::Failure => self.failure,
            CardFilter::Success => self.success,
            CardFilter::Incomplete => self.incomplete,
        }
    }
}

/// What the page shows as soon as an analysis is done: the verdict, the counts, the first
/// page of session cards, the capture's findings and clocks. Its size does not grow with the
/// number of sessions beyond [`CARDS_PER_PAGE`] cards and [`FINDINGS_AT_MOST`] findings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub sources: Vec<SourceRow>,
    pub outcome: Outcome,
    pub headline: String,
    /// The inputs' names, `a.har, b.flow`.
    pub source_names: String,
    pub exchange_count: usize,
    pub sessions: SessionCounts,
    /// The session shown first: the first one that failed.
    pub first_failed: Option<usize>,
    /// The first page of all session cards.
    pub cards: CardPage,
    /// The first [`FINDINGS_AT_MOST`] findings, in report order.
    pub findings: Vec<FindingModel>,
    pub finding_count: usize,
    pub clocks: Vec<ClockModel>,
    pub clock_chart: Option<ClockChart>,
    /// Parts of the input that could not be read (analysis went on without them).
    pub problems: Vec<String>,
    /// What was done with the inputs (an input repeating another's exchanges counted once).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A token of a session as the inspector draws it; its secrets masked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub model: TokenModel,
    /// The access asked for against the access granted.
    pub access: Vec<AccessLine>,
    pub timeline: Option<TokenTimeline>,
    pub masked: TokenSecrets,
}

/// One session opened: its steps, its sequence diagram, its findings and its tokens (and those
/// of no session), built when the page asks for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionDetail {
    pub session: SessionModel,
    pub diagram: Diagram,
    /// The session's findings, the first [`SESSION_FINDINGS_AT_MOST`].
    pub findings: Vec<FindingModel>,
    pub finding_count: usize,
    /// The first [`TOKENS_AT_MOST`] tokens of the session and of no session, in report order.
    pub tokens: Vec<TokenView>,
    pub token_count: usize,
}

/// What the overview shows of a session beyond the report: who the client was and how long
/// it took.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionFacts {
    /// The `User-Agent` the client sent (first one seen in the session).
    pub user_agent: Option<String>,
    /// From the first request's start to the last response's end, capture clock.
    pub duration_seconds: Option<f64>,
}

/// A finished analysis as the worker keeps it: the masked report, the rows of the exchanges
/// it names, and the lookups the page's requests need, indexed once.
#[derive(Clone, Debug)]
pub struct Analysed {
    /// The masked `regauth.analysis/v1` report (the typed contract, unchanged).
    pub report: AnalysisReport,
    /// Rows of the exchanges the report refers to (sessions, findings, tokens, clocks), in
    /// timeline order; not every exchange of a large capture.
    pub exchanges: Vec<ExchangeRow>,
    /// Exchanges in the capture, all of them.
    pub exchange_count: usize,
    /// Inputs that could not be used while others could (one message each).
    pub refused_inputs: Vec<String>,
    /// Per session: indexes of its findings in `report.findings`.
    findings_of: Vec<Vec<usize>>,
    /// Per session: indexes of its tokens in `report.tokens`.
    tokens_of: Vec<Vec<usize>>,
    /// Tokens of no session (shown with every session).
    tokens_of_none: Vec<usize>,
    cards: Vec<SessionCard>,
}

impl Analysed {
    /// Indexes `report` for the page's requests. `facts` is per session, in report order.
    pub fn new(
        report: AnalysisReport,
        exchanges: Vec<ExchangeRow>,
        exchange_count: usize,
        facts: &[SessionFacts],
        refused_inputs: Vec<String>,
    ) -> Analysed {
        // Indexed once: a capture of thousands of sessions must not scan every finding and
        // token for each of them (that made the overview of a busy CI's capture quadratic).
        let sessions = report.sessions.len();
        let mut findings_of = vec![Vec::new(); sessions];
        for (at, finding) in report.findings.iter().enumerate() {
            if let Some(list) = finding.session.and_then(|session| findings_of.get_mut(session)) {
                list.push(at);
            }
        }
        let mut tokens_of = vec![Vec::new(); sessions];
        let mut tokens_of_none = Vec::new();
        for (at, token) in report.tokens.iter().enumerate() {
            match token.session {
                Some(session) => {
                    if let Some(list) = tokens_of.get_mut(session) {
                        list.push(at);
                    }
                }
                None => tokens_of_none.push(at),
            }
        }
        let cards = report
            .sessions
            .iter()
            .enumerate()
            .map(|(at, session)| {
                let findings: Vec<&FindingRow> =
                    findings_of[at].iter().map(|&finding| &report.findings[finding]).collect();
                session_card(session, &report, &findings, facts.get(at))
            })
            .collect();
        Analysed {
            report,
            exchanges,
            exchange_count,
            refused_inputs,
            findings_of,
            tokens_of,
            tokens_of_none,
            cards,
        }
    }

    fn findings_of(&self, session: usize) -> Vec<&FindingRow> {
        self.findings_of
            .get(session)
            .map(|list| list.iter().map(|&at| &self.report.findings[at]).collect())
            .unwrap_or_default()
    }

    /// Indexes in `report.tokens` of the tokens shown with `session`, in report order.
    fn tokens_shown_with(&self, session: usize) -> Vec<usize> {
        let mut tokens: Vec<usize> = self
            .tokens_of
            .get(session)
            .into_iter()
            .flatten()
            .chain(&self.tokens_of_none)
            .copied()
            .collect();
        tokens.sort_unstable();
        tokens
    }

    /// The overview: what the page shows first.
    pub fn overview(&self) -> Overview {
        let report = &self.report;
        let count = |outcome: Outcome| {
            report.sessions.iter().filter(|session| session.outcome == outcome).count()
        };
        let mut problems: Vec<String> = self.refused_inputs.clone();
        problems.extend(report.problems.iter().map(|problem| {
            let mut place = problem.source.clone();
            if let Some(entry) = problem.entry {
                place.push_str(&format!(", entry {entry}"));
            }
            if let Some(offset) = problem.byte_offset {
                place.push_str(&format!(", byte {offset}"));
            }
            format!("{place}: {}", problem.message)
        }));
        Overview {
            sources: report.sources.clone(),
            outcome: report.outcome,
            headline: headline(report, self.exchange_count),
            source_names: report
                .sources
                .iter()
                .map(|source| source.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            exchange_count: self.exchange_count,
            sessions: SessionCounts {
                total: report.sessions.len(),
                failure: count(Outcome::Failure),
                success: count(Outcome::Success),
                incomplete: count(Outcome::Incomplete),
            },
            first_failed: report
                .sessions
                .iter()
                .position(|session| session.outcome == Outcome::Failure),
            cards: self.cards(CardFilter::All, 0),
            findings: report.findings.iter().take(FINDINGS_AT_MOST).map(finding_model).collect(),
            finding_count: report.findings.len(),
            clocks: report
                .clocks
                .iter()
                .map(|clock| ClockModel {
                    host: clock.host.clone(),
                    role: clock.role,
                    offset: format!("{:+.1} s", clock.offset_seconds),
                    uncertainty: format!("± {:.1} s", clock.uncertainty_seconds),
                    observations: clock.observations,
                })
                .collect(),
            clock_chart: timeline::clock_chart(&report.clocks),
            problems,
            notes: report
                .notes
                .iter()
                .map(|note| format!("{}: {}", note.source, note.message))
                .collect(),
        }
    }

    /// The cards that fit `filter`, [`CARDS_PER_PAGE`] of them from the `from`-th on.
    pub fn cards(&self, filter: CardFilter, from: usize) -> CardPage {
        let fitting = self.cards.iter().filter(|card| filter.fits(card.outcome));
        let total = fitting.clone().count();
        CardPage {
            filter,
            from,
            total,
            cards: fitting.skip(from).take(CARDS_PER_PAGE).cloned().collect(),
        }
    }

    /// Session `index` opened, or `None` for a session the report lacks.
    pub fn session(&self, index: usize) -> Option<SessionDetail> {
        let report = &self.report;
        let row = report.sessions.get(index)?;
        let findings = self.findings_of(index);
        let tokens = self.tokens_shown_with(index);
        Some(SessionDetail {
            session: session_model(row, report, &findings, &self.exchanges),
            diagram: diagram::build(row, report, &findings, &self.exchanges),
            findings: findings
                .iter()
                .take(SESSION_FINDINGS_AT_MOST)
                .map(|finding| finding_model(finding))
                .collect(),
            finding_count: findings.len(),
            token_count: tokens.len(),
            tokens: tokens
                .iter()
                .take(TOKENS_AT_MOST)
                .map(|&at| {
                    let token = &report.tokens[at];
                    TokenView {
                        model: token_model(token),
                        access: timeline::access_lines(token),
                        timeline: timeline::token_timeline(token, report, &self.exchanges),
                        masked: token_secrets(token),
                    }
                })
                .collect(),
        })
    }

    /// Indexes in `report.tokens` of the tokens [`Analysed::session`] shows for `session`, in
    /// the same order (to match revealed secrets to them).
    pub fn session_tokens(&self, session: usize) -> Vec<usize> {
        self.tokens_shown_with(session).into_iter().take(TOKENS_AT_MOST).collect()
    }
}

fn session_card(
    session: &SessionRow,
    report: &AnalysisReport,
    findings: &[&FindingRow],
    facts: Option<&SessionFacts>,
) -> SessionCard {
    let count =
        |severity: Severity| findings.iter().filter(|finding| finding.severity == severity).count();
    let badge = match (session.outcome, session.failed_step) {
        (Outcome::Failure, Some(step)) => format!("failed at step {step}"),
        (Outcome::Failure, None) => "failed".to_owned(),
        (Outcome::Success, _) => "succeeded".to_owned(),
        (Outcome::Incomplete, _) => "incomplete".to_owned(),
    };
    SessionCard {
        index: session.index,
        registry: session.registry.clone(),
        repository: session.repository.clone(),
        client: facts.and_then(|facts| facts.user_agent.clone()),
        scheme: session.scheme,
        outcome: session.outcome,
        badge,
        failed_step: session.failed_step,
        failed_finding: session
            .failed_finding
            .as_ref()
            .and_then(|reference| report.findings.get(reference.index))
            .map(|finding| (finding.code, finding.title.clone())),
        duration: facts
            .and_then(|facts| facts.duration_seconds)
            .map_or_else(|| "-".to_owned(), human_duration),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        notes: count(Severity::Info),
    }
}

/// `850 ms`, `12.3 s`, `4 min 05 s`.
pub fn human_duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        let whole = seconds.round() as u64;
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

/// The secrets of one token as the report printed them (masked in the worker's report).
pub fn token_secrets(token: &TokenRow) -> TokenSecrets {
    TokenSecrets { token: token.token.clone(), refresh_token: token.refresh_token.clone() }
}

fn headline(report: &AnalysisReport, exchange_count: usize) -> String {
    if report.sessions.is_empty() {
        return format!(
            "No registry authentication found: {exchange_count} exchange(s), none of them to a container registry."
        );
    }
    let failed: Vec<&SessionRow> =
        report.sessions.iter().filter(|session| session.outcome == Outcome::Failure).collect();
    let total = report.sessions.len();
    if failed.is_empty() && report.outcome == Outcome::Incomplete {
        return format!(
            "Incomplete: none of {total} session(s) reached the registry's verdict; the capture may have started late or ended early."
        );
    }
    let Some(first) = failed.first() else {
        // A successful run can still have done something dangerous (a password over plain
        // HTTP): name the errors and warnings so "success" does not read as "all is well".
        let mut concerns: Vec<&str> = Vec::new();
        for finding in &report.findings {
            if finding.severity != Severity::Info && !concerns.contains(&finding.code.as_str()) {
                concerns.push(finding.code.as_str());
            }
        }
        let concerns = if concerns.is_empty() {
            String::new()
        } else {
            format!(" Still worth a look: {}.", concerns.join(", "))
        };
        return format!("Success: {total} session(s), none failed.{concerns}");
    };
    let place = match first.failed_step {
        Some(step) => format!(" at step {step}"),
        None => String::new(),
    };
    let cause = first
        .failed_finding
        .as_ref()
        .map(|finding| format!(": {}", finding.code))
        .unwrap_or_default();
    format!(
        "Failure: {} of {total} session(s) failed. First: {}{place}{cause}.",
        failed.len(),
        first.title
    )
}

fn session_model(
    session: &SessionRow,
    report: &AnalysisReport,
    findings: &[&FindingRow],
    exchanges: &[ExchangeRow],
) -> SessionModel {
    let explanation = session
        .failed_finding
        .as_ref()
        .and_then(|reference| report.findings.get(reference.index))
        .map(|finding| FindingRef { code: finding.code, message: finding.message.clone() });
    let arrows = session
        .steps
        .iter()
        .map(|row| {
            let status = row.status;
            let finding = explanation.clone().filter(|_| status == ArrowStatus::Failed);
            let notes = findings
                .iter()
                .filter(|other| other.step == Some(row.step))
                .map(|other| other.code)
                .filter(|code| finding.as_ref().is_none_or(|shown| shown.code != *code))
                .collect();
            let (from, to) = lanes_of_step(row.step);
            Arrow {
                step: row.step,
                from,
                to,
                title: row.title.clone(),
                detail: exchange_detail(&row.exchanges, exchanges),
                first_exchange: row.exchanges.first().copied(),
                status,
                finding,
                notes,
            }
        })
        .collect();
    let verdict = match (session.outcome, session.failed_step) {
        (Outcome::Failure, Some(step)) => format!("failure at step {step}"),
        (outcome, _) => outcome.as_str().to_owned(),
    };
    SessionModel {
        index: session.index,
        title: session.title.clone(),
        scheme: session.scheme,
        outcome: session.outcome,
        verdict,
        realm: session.realm.clone(),
        service: session.service.clone(),
        expected_next: session.expected_next.clone(),
        arrows,
    }
}

/// `#3 GET /v2/private/app/manifests/1.0 → 401 (+2 more)`.
fn exchange_detail(seen: &[usize], exchanges: &[ExchangeRow]) -> Option<String> {
    let &first = seen.first()?;
    let mut line = match row_of(exchanges, first) {
        Some(row) => {
            let answer = match (row.status, &row.error) {
                (Some(status), _) => status.to_string(),
                (None, Some(_)) => "no answer".to_owned(),
                (None, None) => "no response recorded".to_owned(),
            };
            format!("#{first} {} {} → {answer}", row.method, shorten(path_of(&row.url), 64))
        }
        None => format!("#{first}"),
    };
    if seen.len() > 1 {
        line.push_str(&format!(" (+{} more)", seen.len() - 1));
    }
    Some(line)
}

/// The path and query of a URL (the host is already the lane).
fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |at| &url[at + 3..]);
    after_scheme.find('/').map_or("/", |at| &after_scheme[at..])
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn finding_model(finding: &FindingRow) -> FindingModel {
    let place = match (finding.session, finding.step) {
        (Some(session), Some(step)) => format!("session {}, step {step}", session + 1),
        (Some(session), None) => format!("session {}", session + 1),
        (None, Some(step)) => format!("step {step}"),
        (None, None) => "capture".to_owned(),
    };
    let mut exchanges: Vec<String> =
        finding.exchanges.iter().take(8).map(|index| format!("#{index}")).collect();
    if finding.exchanges.len() > 8 {
        exchanges.push(format!("… ({} exchanges)", finding.exchanges.len()));
    }
    FindingModel {
        code: finding.code,
        severity: finding.severity,
        title: finding.title.clone(),
        place,
        exchanges: exchanges.join(" "),
        message: finding.message.clone(),
        fix: finding.fix.clone(),
    }
}

fn token_model(token: &TokenRow) -> TokenModel {
    let holder = match &token.username {
        Some(user) => format!("{user} ({})", token.credential),
        None => token.credential.clone(),
    };
    TokenModel {
        index: token.index,
        kind: token.kind.clone(),
        holder,
        scopes: if token.requested_scopes.is_empty() {
            "no scope".to_owned()
        } else {
            token.requested_scopes.join(" ")
        },
        lifetime_seconds: token.effective_lifetime_seconds,
        issued_at: token.issued_at.clone(),
        issued_by: token.issued_by,
        uses: token.uses.len(),
        rejected_uses: token.rejected_uses.len(),
        jwt: token.jwt.as_ref().map(|jwt| JwtModel {
            alg: jwt.header.alg.clone(),
            kid: jwt.header.kid.clone(),
            typ: jwt.header.typ.clone(),
            x5c_certificates: jwt.header.x5c_certificates,
            iss: jwt.claims.iss.clone(),
            sub: jwt.claims.sub.clone(),
            aud: jwt.claims.aud.join(", "),
            jti: jwt.claims.jti.clone(),
            access: jwt
                .claims
                .access
                .iter()
                .map(|entry| AccessModel {
                    resource_type: entry.resource_type.clone(),
                    name: entry.name.clone(),
                    actions: entry.actions.join(", "),
                })
                .collect(),
            times: [
                ("iat", jwt.claims.iat, &jwt.iat_at),
                ("nbf", jwt.claims.nbf, &jwt.nbf_at),
                ("exp", jwt.claims.exp, &jwt.exp_at),
            ]
            .into_iter()
            .filter_map(|(claim, unix, at)| {
                Some((claim.to_owned(), unix?, at.clone().unwrap_or_default()))
            })
            .collect(),
            signature: jwt.signature.clone(),
            signature_check: jwt.signature_check.clone(),
            signature_detail: jwt.signature_detail.clone(),
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use regauth_core::capture::Input;
    use regauth_core::report::analysis::{Secrets, StepRow};
    use regauth_core::report::exchanges::NoteRow;

    use super::*;
    use crate::samples;

    pub(crate) fn analysed_sample(name: &str) -> Analysed {
        let input = Input::new(name, samples::bytes(name).unwrap());
        crate::pipeline::load(&[input], &mut |_| {}).unwrap().analysed().clone()
    }

    /// hand-written fixture: a HAR of `sessions` token-auth pulls, one repository each, in
    /// which every third client sends a wrong password (the token service answers 401).
    pub(crate) fn many_sessions_har(sessions: usize) -> Vec<u8> {
        let entry = |at: usize,
                     method: &str,
                     url: &str,
                     status: u16,
                     request: &str,
                     response: &str,
                     text: &str| {
            format!(
                r#"{{"startedDateTime":"2026-11-23T10:{:02}:{:02}.{:03}Z","time":30,"request":{{"method":"{method}","url":"{url}","httpVersion":"HTTP/1.1","headers":[{{"name":"User-Agent","value":"containers/5.24.1"}}{request}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0}},"response":{{"status":{status},"statusText":"","httpVersion":"HTTP/1.1","headers":[{response}],"cookies":[],"content":{{"size":0,"mimeType":"application/json","text":"{text}"}},"redirectURL":"","headersSize":-1,"bodySize":0}},"cache":{{}},"timings":{{"send":1,"wait":28,"receive":1}}}}"#,
                at / 60_000 % 60,
                at / 1000 % 60,
                at % 1000
            )
        };
        let mut entries = Vec::new();
        for session in 0..sessions {
            let at = session * 200;
            let repo = format!("team/app-{session}");
            let registry = "https://registry.many.test";
            let challenge = format!(
                r#",{{"name":"WWW-Authenticate","value":"Bearer realm=\"https://auth.many.test/token\",service=\"registry.many.test\",scope=\"repository:{repo}:pull\""}}"#
            );
            let basic = r#",{"name":"Authorization","value":"Basic cmVhZGVyOnNlY3JldA=="}"#;
            let manifest = format!("{registry}/v2/{repo}/manifests/1.0");
            entries.push(entry(at, "GET", &manifest, 401, "", &challenge[1..], "{}"));
            let token_url = format!(
                "https://auth.many.test/token?scope=repository%3A{}%3Apull&service=registry.many.test",
                repo.replace('/', "%2F")
            );
            if session % 3 == 2 {
                entries.push(entry(at + 40, "GET", &token_url, 401, basic, "", "{}"));
                continue;
            }
            let token = format!(r#"{{\"token\":\"opaque-token-{session}\",\"expires_in\":300}}"#);
            entries.push(entry(at + 40, "GET", &token_url, 200, basic, "", &token));
            let bearer =
                format!(r#",{{"name":"Authorization","value":"Bearer opaque-token-{session}"}}"#);
            entries.push(entry(at + 80, "GET", &manifest, 200, &bearer, "", "{}"));
        }
        format!(
            r#"{{"log":{{"version":"1.2","creator":{{"name":"hand-written","version":"1"}},"entries":[{}]}}}}"#,
            entries.join(",")
        )
        .into_bytes()
    }

    pub(crate) fn analysed_many(sessions: usize) -> Analysed {
        let input = Input::new("many.har", many_sessions_har(sessions));
        crate::pipeline::load(&[input], &mut |_| {}).unwrap().analysed().clone()
    }

    fn failed_session(analysed: &Analysed) -> SessionDetail {
        analysed.session(analysed.overview().first_failed.unwrap()).unwrap()
    }

    fn statuses(session: &SessionModel) -> Vec<&'static str> {
        session.arrows.iter().map(|arrow| arrow.status.as_str()).collect()
    }

    #[test]
    fn lanes_follow_the_protocol() {
        let lanes: Vec<(usize, usize)> = (1..=6)
            .map(|step| {
                let (from, to) = lanes_of_step(step);
                (from.column(), to.column())
            })
            .collect();
        assert_eq!(lanes, [(0, 1), (1, 0), (0, 2), (2, 0), (0, 1), (1, 0)]);
    }

    #[test]
    fn clock_ahead_fails_at_step_6_with_the_finding_on_the_arrow() {
        let analysed = analysed_sample("clock-ahead.flow");
        let overview = analysed.overview();
        assert_eq!(overview.outcome, Outcome::Failure);
        assert!(overview.headline.starts_with("Failure: 1 of "), "{}", overview.headline);
        assert!(
            overview.headline.contains("at step 6: token-not-yet-valid"),
            "{}",
            overview.headline
        );
        assert_eq!(overview.sessions.failure, 1);
        let detail = failed_session(&analysed);
        let session = &detail.session;
        assert_eq!(session.outcome, Outcome::Failure);
        assert_eq!(session.verdict, "failure at step 6");
        assert_eq!(statuses(session), ["done", "done", "done", "done", "done", "failed"]);
        let arrow = &session.arrows[5];
        assert_eq!(
            arrow.finding.as_ref().map(|finding| finding.code.as_str()),
            Some("token-not-yet-valid")
        );
        assert_eq!((arrow.from, arrow.to), (Lane::Registry, Lane::Client));
        let detail_line = arrow.detail.as_deref().unwrap_or_default();
        assert!(detail_line.starts_with('#') && detail_line.contains("GET /v2/"), "{detail_line}");
        assert!(overview.clocks.iter().any(|clock| {
            clock.role == ClockRole::TokenIssuer && clock.offset.starts_with("+7")
        }));
        assert!(overview.clock_chart.is_some());
        let jwt = detail.tokens[0].model.jwt.as_ref().unwrap();
        assert_eq!(
            jwt.times.iter().map(|(claim, _, _)| claim.as_str()).collect::<Vec<_>>(),
            ["iat", "nbf", "exp"]
        );
        assert!(!jwt.access.is_empty());
        assert!(detail.tokens[0].timeline.is_some());
        assert!(detail.findings.iter().any(|finding| finding.code == Code::TokenNotYetValid));
    }

    #[test]
    fn wrong_password_fails_at_step_4_and_later_steps_are_not_reached() {
        let session = failed_session(&analysed_sample("wrong-password.har")).session;
        assert_eq!(session.verdict, "failure at step 4");
        assert_eq!(&statuses(&session)[3..], ["failed", "not-reached", "not-reached"]);
        assert_eq!(
            session.arrows[3].finding.as_ref().map(|finding| finding.code.as_str()),
            Some("bad-credentials")
        );
    }

    #[test]
    fn basic_auth_skips_the_token_service() {
        let analysed = analysed_sample("basic-plain-http.har");
        let overview = analysed.overview();
        assert_eq!(overview.outcome, Outcome::Success);
        assert!(
            overview
                .headline
                .starts_with("Success: 1 session(s), none failed. Still worth a look: ")
                && overview.headline.contains("credentials-over-plain-http"),
            "{}",
            overview.headline
        );
        let session = analysed.session(0).unwrap().session;
        assert_eq!(session.scheme, AuthScheme::Basic);
        assert_eq!(&statuses(&session)[2..4], ["skipped", "skipped"]);
        assert!(
            overview.findings.iter().any(|finding| finding.code == Code::CredentialsOverPlainHttp)
        );
    }

    #[test]
    fn every_bundled_sample_gets_its_recorded_outcome() {
        let expected = [
            ("pull-success.flow", Outcome::Success),
            ("wrong-password.har", Outcome::Failure),
            ("clock-ahead.flow", Outcome::Failure),
            ("push-insufficient-scope.flow", Outcome::Failure),
            ("token-expired-mid-push-recovered.flow", Outcome::Success),
            ("basic-plain-http.har", Outcome::Success),
        ];
        assert_eq!(samples::GALLERY.len(), expected.len());
        for (name, outcome) in expected {
            let analysed = analysed_sample(name);
            let overview = analysed.overview();
            assert_eq!(overview.outcome, outcome, "{name}");
            assert!(overview.sessions.total > 0, "{name}");
            assert!(overview.problems.is_empty(), "{name}: {:?}", overview.problems);
            // A small capture lists every card on the first page, in session order.
            let indexes: Vec<usize> = overview.cards.cards.iter().map(|card| card.index).collect();
            assert_eq!(indexes, (0..overview.sessions.total).collect::<Vec<_>>(), "{name}");
            assert!(analysed.session(overview.sessions.total).is_none(), "{name}");
        }
    }

    #[test]
    fn recovered_expiry_is_a_note_on_a_successful_session() {
        let analysed = analysed_sample("token-expired-mid-push-recovered.flow");
        let sessions: Vec<SessionModel> = (0..analysed.report.sessions.len())
            .map(|index| analysed.session(index).unwrap().session)
            .collect();
        let notes: Vec<Code> = sessions
            .iter()
            .flat_map(|session| &session.arrows)
            .flat_map(|arrow| arrow.notes.iter().copied())
            .collect();
        assert!(
            analysed.overview().findings.iter().any(|finding| finding.code == Code::TokenExpired)
        );
        assert!(sessions.iter().all(|session| session.outcome != Outcome::Failure));
        assert!(notes.contains(&Code::TokenExpired), "{notes:?}");
    }

    #[test]
    fn the_overview_of_many_sessions_carries_one_page_and_each_session_comes_alone() {
        let analysed = analysed_many(120);
        let overview = analysed.overview();
        assert_eq!(overview.sessions.total, 120);
        assert_eq!(overview.sessions.failure, 40, "every third session fails");
        assert_eq!(overview.sessions.failure + overview.sessions.success, 120);
        assert_eq!(overview.cards.cards.len(), CARDS_PER_PAGE);
        assert_eq!(
            (overview.cards.filter, overview.cards.from, overview.cards.total),
            (CardFilter::All, 0, 120)
        );
        assert_eq!(overview.first_failed, Some(2));
        assert!(overview.findings.len() <= FINDINGS_AT_MOST);
        // The message stops growing with the sessions once the findings list is full.
        let size =
            |sessions| serde_json::to_string(&analysed_many(sessions).overview()).unwrap().len();
        let (big, bigger) = (size(600), size(1200));
        assert!(bigger < big * 11 / 10, "{bigger} bytes for 1200 sessions, {big} for 600");
        // Pages: the rest of the cards, in order; filters count and list only their outcome.
        let second = analysed.cards(CardFilter::All, CARDS_PER_PAGE);
        assert_eq!(second.cards.first().map(|card| card.index), Some(CARDS_PER_PAGE));
        let last = analysed.cards(CardFilter::All, 2 * CARDS_PER_PAGE);
        assert_eq!(last.cards.len(), 120 - 2 * CARDS_PER_PAGE);
        assert!(analysed.cards(CardFilter::All, 120).cards.is_empty());
        let failed = analysed.cards(CardFilter::Failure, 0);
        assert_eq!(failed.total, 40);
        assert!(failed.cards.iter().all(|card| card.outcome == Outcome::Failure
            && card.failed_step == Some(4)
            && card.failed_finding.as_ref().map(|(code, _)| *code) == Some(Code::BadCredentials)));
        assert_eq!(analysed.cards(CardFilter::Incomplete, 0).total, overview.sessions.incomplete);
        // A session's detail holds that session only.
        let detail = analysed.session(5).unwrap();
        assert_eq!(detail.session.index, 5);
        assert!(detail.session.title.contains("team/app-5"), "{}", detail.session.title);
        assert!(detail.findings.iter().all(|finding| finding.place.starts_with("session 6")));
        assert_eq!(detail.finding_count, detail.findings.len());
        assert!(
            detail
                .diagram
                .rows
                .iter()
                .all(|row| row.request.contains("app-5/") || row.request.contains("app-5%")),
            "{:?}",
            detail.diagram.rows
        );
    }

    #[test]
    fn a_capture_without_any_verdict_is_called_incomplete_not_success() {
        // hand-written fixture: a report whose one session never got a verdict.
        let steps = (1..=6u8)
            .map(|step| StepRow {
                step,
                title: format!("step {step}"),
                exchanges: Vec::new(),
                in_scheme: true,
                status: ArrowStatus::NotReached,
            })
            .collect();
        let report = AnalysisReport {
            schema: "regauth.analysis/v1".to_owned(),
            outcome: Outcome::Incomplete,
            secrets: Secrets::Masked,
            sources: Vec::new(),
            sessions: vec![SessionRow {
                index: 0,
                registry: "r.example".into(),
                repository: Some("a/b".into()),
                scheme: AuthScheme::Bearer,
                realm: None,
                service: None,
                outcome: Outcome::Incomplete,
                failed_step: None,
                failed_exchange: None,
                expected_next: Some("the token service's answer".to_owned()),
                steps,
                exchanges: Vec::new(),
                title: "r.example/a/b".to_owned(),
                failed_finding: None,
            }],
            findings: Vec::new(),
            clocks: Vec::new(),
            tokens: Vec::new(),
            tls: Default::default(),
            problems: Vec::new(),
            notes: vec![NoteRow { source: "b.har".into(), message: "counted once".into() }],
        };
        let analysed = Analysed::new(report, Vec::new(), 0, &[], Vec::new());
        let overview = analysed.overview();
        // What was done with the inputs is shown, apart from what could not be read.
        assert_eq!(overview.notes, ["b.har: counted once"]);
        assert!(overview.problems.is_empty());
        assert!(
            overview.headline.starts_with("Incomplete: none of 1 session(s)"),
            "{}",
            overview.headline
        );
        assert_eq!(overview.cards.cards[0].duration, "-", "no facts, no duration");
        // The page draws the steps the report lists, as the report says.
        let session = analysed.session(0).unwrap().session;
        assert_eq!(session.title, "r.example/a/b");
        assert_eq!(statuses(&session), ["not-reached"; 6]);
        assert_eq!(session.arrows[2].title, "step 3");
        assert_eq!(session.arrows[2].detail, None);
    }

    #[test]
    fn urls_are_shown_as_paths() {
        assert_eq!(path_of("https://r.example:5000/v2/a/manifests/1?x=1"), "/v2/a/manifests/1?x=1");
        assert_eq!(path_of("http://r.example"), "/");
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
