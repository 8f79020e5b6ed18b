//! What the page draws, computed from the core's report DTOs: plain data, no `html!`, no
//! web-sys, so every label and every red arrow is unit-tested natively. The components only
//! lay these values out; nothing here judges authentication (the core already did).

use std::collections::HashMap;

use regauth_core::analysis::{Outcome, Severity};
use regauth_core::report::analysis::{AnalysisReport, FindingRow, SessionRow, TokenRow};
use regauth_core::report::exchanges::ExchangeRow;

use crate::messages::{Analysed, SessionFacts};

/// The three participants of registry token auth, left to right in the diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

#[derive(Clone, Debug, PartialEq)]
pub struct FindingRef {
    pub code: &'static str,
    pub message: String,
}

/// One numbered arrow of a sequence diagram.
#[derive(Clone, Debug, PartialEq)]
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
    pub notes: Vec<&'static str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SessionModel {
    pub index: usize,
    /// `registry/repository`, or `registry (registry)` for registry-wide sessions.
    pub title: String,
    pub scheme: &'static str,
    pub outcome: &'static str,
    /// `failure at step 6`, `success`, `incomplete`.
    pub verdict: String,
    pub realm: Option<String>,
    pub service: Option<String>,
    pub expected_next: Option<String>,
    pub arrows: Vec<Arrow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FindingModel {
    pub code: &'static str,
    pub severity: &'static str,
    pub title: String,
    /// `session 1, step 6`, `session 2`, `capture`.
    pub place: String,
    pub exchanges: String,
    pub message: String,
    pub fix: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClockModel {
    pub host: String,
    pub role: &'static str,
    /// `+7200.0 s`.
    pub offset: String,
    /// `± 0.5 s`.
    pub uncertainty: String,
    pub observations: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccessModel {
    pub resource_type: String,
    pub name: String,
    pub actions: String,
}

#[derive(Clone, Debug, PartialEq)]
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
    pub times: Vec<(&'static str, i64, String)>,
    pub signature: String,
    pub signature_check: String,
    pub signature_detail: String,
}

/// A token without its secrets: those live in [`TokenSecrets`], masked or revealed.
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenSecrets {
    pub token: String,
    pub refresh_token: Option<String>,
}

/// One card of the overview: a session at a glance.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionCard {
    pub index: usize,
    pub registry: String,
    /// `None` for registry-wide sessions (`/v2/` ping, catalog).
    pub repository: Option<String>,
    /// The client as its `User-Agent` names it.
    pub client: Option<String>,
    pub scheme: &'static str,
    pub outcome: &'static str,
    /// `failed at step 6`, `succeeded`, `incomplete`: the badge text (colour is never the only signal).
    pub badge: String,
    pub failed_step: Option<u8>,
    /// Code and title of the finding that explains the failure.
    pub failed_finding: Option<(&'static str, String)>,
    /// `1.2 s`, or `-` when the capture has no timings.
    pub duration: String,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PageModel {
    pub outcome: &'static str,
    pub headline: String,
    pub sources: String,
    pub exchange_count: usize,
    pub cards: Vec<SessionCard>,
    /// The session shown first: the first one that failed.
    pub first_failed: Option<usize>,
    pub sessions: Vec<SessionModel>,
    pub findings: Vec<FindingModel>,
    pub clocks: Vec<ClockModel>,
    pub tokens: Vec<TokenModel>,
    /// Parts of the input that could not be read (analysis went on without them).
    pub problems: Vec<String>,
}

/// Builds the page from what the worker sent. The report is the masked one: the model keeps
/// no secret.
pub fn page(analysed: &Analysed) -> PageModel {
    let report = &analysed.report;
    // Indexed once: a capture of thousands of sessions must not scan every exchange and
    // finding for each of them (that made the overview of a busy CI's capture quadratic).
    let exchanges: HashMap<usize, &ExchangeRow> =
        analysed.exchanges.iter().map(|row| (row.index, row)).collect();
    let mut findings_of: HashMap<usize, Vec<&FindingRow>> = HashMap::new();
    for finding in &report.findings {
        if let Some(session) = finding.session {
            findings_of.entry(session).or_default().push(finding);
        }
    }
    let of_session = |index: usize| findings_of.get(&index).map_or(&[][..], Vec::as_slice);
    let sessions: Vec<SessionModel> = report
        .sessions
        .iter()
        .map(|session| session_model(session, report, of_session(session.index), &exchanges))
        .collect();
    let cards = report
        .sessions
        .iter()
        .map(|session| {
            let facts = analysed.session_facts.get(session.index);
            session_card(session, report, of_session(session.index), facts)
        })
        .collect();
    let mut problems: Vec<String> = analysed.refused_inputs.clone();
    PageModel {
        outcome: report.outcome.as_str(),
        headline: headline(report, analysed.exchange_count),
        sources: report
            .sources
            .iter()
            .map(|source| source.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        exchange_count: analysed.exchange_count,
        first_failed: report
            .sessions
            .iter()
            .position(|session| session.outcome == Outcome::Failure),
        cards,
        sessions,
        findings: report.findings.iter().map(finding_model).collect(),
        clocks: report
            .clocks
            .iter()
            .map(|clock| ClockModel {
                host: clock.host.clone(),
                role: clock.role.as_str(),
                offset: format!("{:+.1} s", clock.offset_seconds),
                uncertainty: format!("± {:.1} s", clock.uncertainty_seconds),
                observations: clock.observations,
            })
            .collect(),
        tokens: report.tokens.iter().map(token_model).collect(),
        problems: {
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
            problems
        },
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
        scheme: session.scheme.as_str(),
        outcome: session.outcome.as_str(),
        badge,
        failed_step: session.failed_step,
        failed_finding: session
            .failed_finding
            .as_ref()
            .and_then(|reference| report.findings.get(reference.index))
            .map(|finding| (finding.code.as_str(), finding.title.clone())),
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

/// The secrets of every token, in report order, for the token inspector.
pub fn token_secrets(report: &AnalysisReport) -> Vec<TokenSecrets> {
    report
        .tokens
        .iter()
        .map(|token| TokenSecrets {
            token: token.token.clone(),
            refresh_token: token.refresh_token.clone(),
        })
        .collect()
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
    exchanges: &HashMap<usize, &ExchangeRow>,
) -> SessionModel {
    let explanation = session
        .failed_finding
        .as_ref()
        .and_then(|reference| report.findings.get(reference.index))
        .map(|finding| FindingRef {
            code: finding.code.as_str(),
            message: finding.message.clone(),
        });
    let arrows = session
        .steps
        .iter()
        .map(|row| {
            let status = row.status;
            let finding = explanation.clone().filter(|_| status == ArrowStatus::Failed);
            let notes = findings
                .iter()
                .filter(|other| other.step == Some(row.step))
                .map(|other| other.code.as_str())
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
        scheme: session.scheme.as_str(),
        outcome: session.outcome.as_str(),
        verdict,
        realm: session.realm.clone(),
        service: session.service.clone(),
        expected_next: session.expected_next.clone(),
        arrows,
    }
}

/// `#3 GET /v2/private/app/manifests/1.0 → 401 (+2 more)`.
fn exchange_detail(seen: &[usize], exchanges: &HashMap<usize, &ExchangeRow>) -> Option<String> {
    let &first = seen.first()?;
    let mut line = match exchanges.get(&first) {
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
        code: finding.code.as_str(),
        severity: finding.severity.as_str(),
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
            .filter_map(|(claim, unix, at)| Some((claim, unix?, at.clone().unwrap_or_default())))
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

    use super::*;
    use crate::samples;

    fn model_of(name: &str) -> PageModel {
        page(&analysed_sample(name))
    }

    pub(crate) fn analysed_sample(name: &str) -> Analysed {
        let input = Input::new(name, samples::bytes(name).unwrap());
        crate::pipeline::load(&[input], &mut |_| {}).map(|(_, analysed)| analysed).unwrap()
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
        let model = model_of("clock-ahead.flow");
        assert_eq!(model.outcome, "failure");
        assert!(model.headline.starts_with("Failure: 1 of "), "{}", model.headline);
        assert!(model.headline.contains("at step 6: token-not-yet-valid"), "{}", model.headline);
        let failed: Vec<&SessionModel> =
            model.sessions.iter().filter(|session| session.outcome == "failure").collect();
        assert_eq!(failed.len(), 1);
        let session = failed[0];
        assert_eq!(session.verdict, "failure at step 6");
        assert_eq!(statuses(session), ["done", "done", "done", "done", "done", "failed"]);
        let arrow = &session.arrows[5];
        assert_eq!(arrow.finding.as_ref().map(|finding| finding.code), Some("token-not-yet-valid"));
        assert_eq!((arrow.from, arrow.to), (Lane::Registry, Lane::Client));
        let detail = arrow.detail.as_deref().unwrap_or_default();
        assert!(detail.starts_with('#') && detail.contains("GET /v2/"), "{detail}");
        assert!(
            model
                .clocks
                .iter()
                .any(|clock| clock.role == "token-issuer" && clock.offset.starts_with("+7"))
        );
        let jwt = model.tokens[0].jwt.as_ref().unwrap();
        assert_eq!(
            jwt.times.iter().map(|(claim, _, _)| *claim).collect::<Vec<_>>(),
            ["iat", "nbf", "exp"]
        );
        assert!(!jwt.access.is_empty());
    }

    #[test]
    fn wrong_password_fails_at_step_4_and_later_steps_are_not_reached() {
        let model = model_of("wrong-password.har");
        let session = model.sessions.iter().find(|session| session.outcome == "failure").unwrap();
        assert_eq!(session.verdict, "failure at step 4");
        assert_eq!(&statuses(session)[3..], ["failed", "not-reached", "not-reached"]);
        assert_eq!(
            session.arrows[3].finding.as_ref().map(|finding| finding.code),
            Some("bad-credentials")
        );
    }

    #[test]
    fn basic_auth_skips_the_token_service() {
        let model = model_of("basic-plain-http.har");
        assert_eq!(model.outcome, "success");
        assert!(
            model.headline.starts_with("Success: 1 session(s), none failed. Still worth a look: ")
                && model.headline.contains("credentials-over-plain-http"),
            "{}",
            model.headline
        );
        let session = &model.sessions[0];
        assert_eq!(session.scheme, "basic");
        assert_eq!(&statuses(session)[2..4], ["skipped", "skipped"]);
        assert!(model.findings.iter().any(|finding| finding.code == "credentials-over-plain-http"));
    }

    #[test]
    fn every_bundled_sample_gets_its_recorded_outcome() {
        let expected = [
            ("pull-success.flow", "success"),
            ("wrong-password.har", "failure"),
            ("clock-ahead.flow", "failure"),
            ("push-insufficient-scope.flow", "failure"),
            ("token-expired-mid-push-recovered.flow", "success"),
            ("basic-plain-http.har", "success"),
        ];
        assert_eq!(samples::GALLERY.len(), expected.len());
        for (name, outcome) in expected {
            let model = model_of(name);
            assert_eq!(model.outcome, outcome, "{name}");
            assert!(!model.sessions.is_empty(), "{name}");
            assert!(model.problems.is_empty(), "{name}: {:?}", model.problems);
        }
    }

    #[test]
    fn recovered_expiry_is_a_note_on_a_successful_session() {
        let model = model_of("token-expired-mid-push-recovered.flow");
        let notes: Vec<&str> = model
            .sessions
            .iter()
            .flat_map(|session| &session.arrows)
            .flat_map(|arrow| arrow.notes.iter().copied())
            .collect();
        assert!(model.findings.iter().any(|finding| finding.code == "token-expired"));
        assert!(model.sessions.iter().all(|session| session.outcome != "failure"));
        assert!(notes.contains(&"token-expired"), "{notes:?}");
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
                scheme: regauth_core::analysis::AuthScheme::Bearer,
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
        };
        let model = page(&Analysed {
            report,
            exchanges: Vec::new(),
            exchange_count: 0,
            session_facts: Vec::new(),
            refused_inputs: Vec::new(),
        });
        assert!(
            model.headline.starts_with("Incomplete: none of 1 session(s)"),
            "{}",
            model.headline
        );
        // The page draws the steps the report lists, as the report says.
        let session = &model.sessions[0];
        assert_eq!(session.title, "r.example/a/b");
        assert_eq!(statuses(session), ["not-reached"; 6]);
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
