//! `regauth.analysis/v1`: what `regauth analyze --format json` prints and the web app exports.
//!
//! # Wire format
//!
//! ```text
//! {
//!   "schema": "regauth.analysis/v1",
//!   "outcome": "success" | "failure" | "incomplete", // failure when any session failed;
//!                                        // incomplete when no session reached a verdict
//!   "secrets": "masked" | "revealed",
//!   "sources":  [{name, format, compression, producer, size}],
//!   "sessions": [{index, registry, repository|null, scheme: "bearer"|"basic"|"none",
//!                 realm|null, service|null, outcome: "success"|"failure"|"incomplete",
//!                 failed_step: 1..6|null, failed_exchange|null, expected_next|null,
//!                 steps: [{step, title, exchanges: [..], in_scheme,
//!                          status: "done"|"failed"|"not-reached"|"skipped"|"not-seen"}],
//!                 exchanges: [..], title, failed_finding: {index, code}|null}],
//!   "findings": [{code, severity: "error"|"warning"|"info", title, session|null, step|null,
//!                 exchanges: [..], message, fix}],
//!   "clocks":   [{host, role: "registry"|"token-service"|"token-issuer"|"storage",
//!                 offset_seconds, uncertainty_seconds, observations, exchanges: [..]}],
//!   "tokens":   [{index, issued_by, session|null, token, kind, credential, username|null,
//!                 requested_scopes: [..], expires_in|null, effective_lifetime_seconds,
//!                 issued_at|null, refresh_token|null, uses: [..], rejected_uses: [..],
//!                 jwt: {header: {alg, kid, typ, x5c_certificates}, claims: {iss, sub, aud: [..],
//!                       exp, nbf, iat, jti, access: [{type, name, actions}]},
//!                       exp_at|null, nbf_at|null, iat_at|null, signature, signature_check,
//!                       signature_detail} | null}],
//!     (signature_check: "valid"|"invalid"|"not-checked"|"unsupported")
//!   "problems": [{source, entry|null, byte_offset|null, message}],
//!   "tls":      {certificates: [..], connections: [..]}, // see report::tls
//!   "notes":    [{source, message}]  // what was done with the inputs (a repeated input
//!                                    // counted once); added after the first release
//! }
//! ```
//! A session's `title` is `registry/repository` (or `registry (registry)`); its `steps` are
//! always the six steps in order, `in_scheme` false for those its scheme lacks (Basic: 3 and 4;
//! none: 2 to 5). A step's `exchanges` start with the one whose answer decided it (the failing
//! request on the failed step; else the success the session's outcome rests on, or the latest
//! exchange of the step before it), then the others in capture order. `failed_finding` points
//! into `findings` at the error that explains the failing step. Shells draw these as they are
//! instead of re-deriving them. A finding merges every occurrence of its code on one session
//! and step: `exchanges` holds all of them and `message` says each different thing once.
//! Exchange numbers are indexes into the capture timeline (`regauth exchanges`). Offsets are
//! that clock minus the capture clock, in seconds. Secrets (token signatures, refresh tokens,
//! passwords) are masked unless revealed on request. Fields are only ever added, never renamed
//! or removed; a breaking change gets a new schema version.

use serde::{Deserialize, Serialize};

use super::SerializedRows;
use super::exchanges::{NoteRow, ProblemRow, SourceRow, rfc3339};
use super::tls::TlsSection;
use crate::analysis::{
    Analysis, AuthScheme, ClockEstimate, ClockRole, Code, Finding, Outcome, Session, Severity,
    Step, StepStatus, TokenRecord,
};
use crate::capture::Capture;
use crate::token::{OpaqueKind, SignatureCheck, SignatureState, TokenKind, not_checked_detail};

pub const SCHEMA: &str = "regauth.analysis/v1";

/// Whether secrets are printed as they are. Serialised as `masked` or `revealed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Secrets {
    Masked,
    Revealed,
}

impl Secrets {
    /// `text` (a URL, a path, a message quoting one) with the credentials in its URLs masked
    /// ([`crate::secret::mask_url_secrets`]), unless secrets are revealed.
    pub fn url_text(self, text: &str) -> String {
        match self {
            Secrets::Masked => crate::secret::mask_url_secrets(text).into_owned(),
            Secrets::Revealed => text.to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisReport {
    pub schema: String,
    pub outcome: Outcome,
    pub secrets: Secrets,
    pub sources: Vec<SourceRow>,
    pub sessions: Vec<SessionRow>,
    pub findings: Vec<FindingRow>,
    pub clocks: Vec<ClockRow>,
    pub tokens: Vec<TokenRow>,
    pub problems: Vec<ProblemRow>,
    /// Every TLS endpoint with its certificates ([`super::tls`]). Added field: reports written
    /// before it deserialise with an empty section.
    #[serde(default)]
    pub tls: TlsSection,
    /// Added field: reports written before it deserialise with none.
    #[serde(default)]
    pub notes: Vec<NoteRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub index: usize,
    pub registry: String,
    pub repository: Option<String>,
    pub scheme: AuthScheme,
    pub realm: Option<String>,
    pub service: Option<String>,
    pub outcome: Outcome,
    pub failed_step: Option<u8>,
    pub failed_exchange: Option<usize>,
    pub expected_next: Option<String>,
    pub steps: Vec<StepRow>,
    pub exchanges: Vec<usize>,
    /// `registry/repository`, or `registry (registry)`: how every output names the session.
    pub title: String,
    /// The finding that explains the failing step (an error on that step, else on the session).
    pub failed_finding: Option<FindingRef>,
}

/// Points at one entry of [`AnalysisReport::findings`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingRef {
    /// Index into `findings`.
    pub index: usize,
    pub code: Code,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    pub step: u8,
    pub title: String,
    pub exchanges: Vec<usize>,
    /// Whether the session's auth scheme has this step (Basic has no token service).
    pub in_scheme: bool,
    pub status: StepStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingRow {
    pub code: Code,
    pub severity: Severity,
    pub title: String,
    pub session: Option<usize>,
    pub step: Option<u8>,
    pub exchanges: Vec<usize>,
    pub message: String,
    pub fix: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockRow {
    pub host: String,
    pub role: ClockRole,
    pub offset_seconds: f64,
    pub uncertainty_seconds: f64,
    pub observations: usize,
    pub exchanges: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub index: usize,
    pub issued_by: usize,
    pub session: Option<usize>,
    pub token: String,
    pub kind: String,
    pub credential: String,
    pub username: Option<String>,
    pub requested_scopes: Vec<String>,
    pub expires_in: Option<i64>,
    pub effective_lifetime_seconds: i64,
    pub issued_at: Option<String>,
    pub refresh_token: Option<String>,
    pub uses: Vec<usize>,
    pub rejected_uses: Vec<usize>,
    pub jwt: Option<JwtRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JwtRow {
    pub header: JwtHeaderRow,
    pub claims: ClaimsRow,
    pub exp_at: Option<String>,
    pub nbf_at: Option<String>,
    pub iat_at: Option<String>,
    pub signature: String,
    pub signature_check: String,
    pub signature_detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JwtHeaderRow {
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub x5c_certificates: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimsRow {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Vec<String>,
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
    pub jti: Option<String>,
    pub access: Vec<AccessRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessRow {
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    pub actions: Vec<String>,
}

fn unix_to_rfc3339(seconds: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(seconds, 0).map(|at| rfc3339(&at))
}

impl AnalysisReport {
    pub fn new(capture: &Capture, analysis: &Analysis, secrets: Secrets) -> AnalysisReport {
        let sources = SourceRow::list(capture);
        let problems = ProblemRow::list(capture, secrets);
        let notes = NoteRow::list(capture);
        AnalysisReport::from_analysis(analysis, secrets, sources, problems, notes)
    }

    /// [`AnalysisReport::new`] for a caller that has let go of the capture (so that the
    /// capture and the report are never in memory together): `sources`, `problems` and `notes`
    /// are the capture's rows, taken before ([`SourceRow::list`], [`ProblemRow::list`],
    /// [`NoteRow::list`]).
    pub fn from_analysis(
        analysis: &Analysis,
        secrets: Secrets,
        sources: Vec<SourceRow>,
        problems: Vec<ProblemRow>,
        notes: Vec<NoteRow>,
    ) -> AnalysisReport {
        AnalysisReport {
            schema: SCHEMA.to_owned(),
            outcome: analysis.outcome,
            secrets,
            sources,
            sessions: session_rows(analysis, secrets).collect(),
            findings: finding_rows(analysis, secrets).collect(),
            clocks: analysis.clocks.iter().map(ClockRow::new).collect(),
            tokens: token_rows(analysis, secrets).collect(),
            problems,
            tls: TlsSection::new(&analysis.tls),
            notes,
        }
    }
}

fn session_rows(
    analysis: &Analysis,
    secrets: Secrets,
) -> impl ExactSizeIterator<Item = SessionRow> + '_ {
    analysis
        .sessions
        .iter()
        .enumerate()
        .map(move |(index, session)| SessionRow::new(analysis, index, session, secrets))
}

fn finding_rows(
    analysis: &Analysis,
    secrets: Secrets,
) -> impl ExactSizeIterator<Item = FindingRow> + '_ {
    analysis.findings.iter().map(move |finding| FindingRow::new(finding, secrets))
}

fn token_rows(
    analysis: &Analysis,
    secrets: Secrets,
) -> impl ExactSizeIterator<Item = TokenRow> + '_ {
    analysis
        .tokens
        .iter()
        .enumerate()
        .map(move |(index, record)| TokenRow::new(index, record, secrets))
}

/// The same report as [`AnalysisReport`], its rows built one at a time as they are asked for,
/// so a 100,000-session report is never in memory whole: it serialises (`serde_json`) to the
/// very bytes of [`AnalysisReport::new`], and [`super::text::write_text`] renders it alike.
/// What `regauth analyze` writes; the web app and the CI renderers keep the whole value.
#[derive(Clone, Copy, Debug)]
pub struct StreamedReport<'a> {
    capture: &'a Capture,
    analysis: &'a Analysis,
    secrets: Secrets,
}

impl<'a> StreamedReport<'a> {
    pub fn new(capture: &'a Capture, analysis: &'a Analysis, secrets: Secrets) -> Self {
        StreamedReport { capture, analysis, secrets }
    }

    pub fn outcome(&self) -> Outcome {
        self.analysis.outcome
    }

    pub fn secrets(&self) -> Secrets {
        self.secrets
    }

    pub fn capture(&self) -> &'a Capture {
        self.capture
    }

    pub fn sources(&self) -> Vec<SourceRow> {
        SourceRow::list(self.capture)
    }

    pub fn problems(&self) -> Vec<ProblemRow> {
        ProblemRow::list(self.capture, self.secrets)
    }

    pub fn tls(&self) -> TlsSection {
        TlsSection::new(&self.analysis.tls)
    }

    pub fn notes(&self) -> Vec<NoteRow> {
        NoteRow::list(self.capture)
    }

    /// How many sessions failed (what the text's first line counts).
    pub fn n_failed_sessions(&self) -> usize {
        let sessions = &self.analysis.sessions;
        sessions.iter().filter(|session| session.outcome == Outcome::Failure).count()
    }

    pub fn sessions(&self) -> impl ExactSizeIterator<Item = SessionRow> + 'a {
        session_rows(self.analysis, self.secrets)
    }

    pub fn findings(&self) -> impl ExactSizeIterator<Item = FindingRow> + 'a {
        finding_rows(self.analysis, self.secrets)
    }

    pub fn clocks(&self) -> impl ExactSizeIterator<Item = ClockRow> + 'a {
        self.analysis.clocks.iter().map(ClockRow::new)
    }

    pub fn tokens(&self) -> impl ExactSizeIterator<Item = TokenRow> + 'a {
        token_rows(self.analysis, self.secrets)
    }
}

impl Serialize for StreamedReport<'_> {
    /// The fields of [`AnalysisReport`], in its order (a test compares the bytes).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut report = serializer.serialize_struct("AnalysisReport", 11)?;
        report.serialize_field("schema", SCHEMA)?;
        report.serialize_field("outcome", &self.analysis.outcome)?;
        report.serialize_field("secrets", &self.secrets)?;
        report.serialize_field("sources", &self.sources())?;
        report.serialize_field("sessions", &SerializedRows(|| self.sessions()))?;
        report.serialize_field("findings", &SerializedRows(|| self.findings()))?;
        report.serialize_field("clocks", &SerializedRows(|| self.clocks()))?;
        report.serialize_field("tokens", &SerializedRows(|| self.tokens()))?;
        report.serialize_field("problems", &self.problems())?;
        report.serialize_field("tls", &self.tls())?;
        report.serialize_field("notes", &self.notes())?;
        report.end()
    }
}

impl SessionRow {
    fn new(analysis: &Analysis, index: usize, session: &Session, secrets: Secrets) -> SessionRow {
        SessionRow {
            index,
            registry: session.registry.to_string(),
            repository: session.repository.as_deref().map(str::to_owned),
            scheme: session.scheme,
            realm: session.realm.as_deref().map(|realm| secrets.url_text(realm)),
            service: session.service.as_deref().map(str::to_owned),
            outcome: session.outcome,
            failed_step: session.failed_step.map(|step| step.number()),
            failed_exchange: session.failed_exchange,
            expected_next: session.expected_next.map(str::to_owned),
            steps: Step::ALL
                .iter()
                .map(|&step| StepRow {
                    step: step.number(),
                    title: step.title().to_owned(),
                    exchanges: session.exchanges_of(step).to_vec(),
                    in_scheme: session.scheme.has_step(step),
                    status: session.step_status(step),
                })
                .collect(),
            exchanges: session.exchanges.to_vec(),
            title: session.title(),
            failed_finding: session.failed_finding.and_then(|index| {
                let finding = analysis.findings.get(index)?;
                Some(FindingRef { index, code: finding.code })
            }),
        }
    }
}

impl FindingRow {
    fn new(finding: &Finding, secrets: Secrets) -> FindingRow {
        let info = finding.code.info();
        FindingRow {
            code: finding.code,
            severity: finding.severity,
            title: info.title.to_owned(),
            session: finding.session,
            step: finding.step.map(|step| step.number()),
            exchanges: finding.exchanges.to_vec(),
            message: secrets.url_text(&finding.message),
            fix: info.fix.to_owned(),
        }
    }
}

impl ClockRow {
    fn new(clock: &ClockEstimate) -> ClockRow {
        ClockRow {
            host: clock.host.to_string(),
            role: clock.role,
            offset_seconds: clock.offset_s,
            uncertainty_seconds: clock.uncertainty_s,
            observations: clock.observations,
            exchanges: clock.exchanges.to_vec(),
        }
    }
}

impl TokenRow {
    fn new(index: usize, record: &TokenRecord, secrets: Secrets) -> TokenRow {
        let reveal = secrets == Secrets::Revealed;
        let raw = record.raw.expose();
        let decoded = record.decoded();
        let token = if reveal {
            raw.to_owned()
        } else {
            match decoded.jwt() {
                Some(jwt) => jwt.masked(),
                None => record.raw.masked(),
            }
        };
        let kind = match &decoded.kind {
            TokenKind::Jwt(_) => "jwt",
            TokenKind::Opaque(OpaqueKind::GoogleOAuth) => "opaque:google-oauth",
            TokenKind::Opaque(OpaqueKind::EcrJson) => "opaque:ecr",
            TokenKind::Opaque(OpaqueKind::BasicPair) => "opaque:basic-pair",
            TokenKind::Opaque(OpaqueKind::Unknown) => "opaque",
        };
        let jwt = decoded.jwt().map(|jwt| {
            let (signature_check, signature_detail) = match &record.signature {
                SignatureCheck::Valid { chain, anchored } => (
                    "valid",
                    format!(
                        "verified with the x5c chain {}{}",
                        chain.join(" <- "),
                        if *anchored {
                            " (anchored at a trusted root)"
                        } else {
                            " (not anchored: no trusted root given)"
                        }
                    ),
                ),
                SignatureCheck::Invalid { reason } => ("invalid", reason.to_string()),
                SignatureCheck::NotChecked { reason } => {
                    ("not-checked", not_checked_detail(reason, jwt.header.kid.as_deref()))
                }
                SignatureCheck::Unsupported { reason } => ("unsupported", reason.to_string()),
            };
            JwtRow {
                header: JwtHeaderRow {
                    alg: jwt.header.alg.clone(),
                    kid: jwt.header.kid.clone(),
                    typ: jwt.header.typ.clone(),
                    x5c_certificates: jwt.header.x5c.len(),
                },
                claims: ClaimsRow {
                    iss: jwt.claims.iss.clone(),
                    sub: jwt.claims.sub.clone(),
                    aud: jwt.claims.aud.clone(),
                    exp: jwt.claims.exp,
                    nbf: jwt.claims.nbf,
                    iat: jwt.claims.iat,
                    jti: jwt.claims.jti.clone(),
                    access: jwt
                        .claims
                        .access
                        .iter()
                        .map(|entry| AccessRow {
                            resource_type: entry.resource_type.clone(),
                            name: entry.name.clone(),
                            actions: entry.actions.clone(),
                        })
                        .collect(),
                },
                exp_at: jwt.claims.exp.and_then(unix_to_rfc3339),
                nbf_at: jwt.claims.nbf.and_then(unix_to_rfc3339),
                iat_at: jwt.claims.iat.and_then(unix_to_rfc3339),
                signature: match jwt.signature {
                    SignatureState::Present => "present",
                    SignatureState::Missing => "missing",
                    SignatureState::Redacted => "redacted",
                }
                .to_owned(),
                signature_check: signature_check.to_owned(),
                signature_detail,
            }
        });
        TokenRow {
            index,
            issued_by: record.issued_by,
            session: record.session,
            token,
            kind: kind.to_owned(),
            credential: record.credential_kind().to_owned(),
            username: record.request.credential.username().map(str::to_owned),
            requested_scopes: record.request.scopes.iter().map(ToString::to_string).collect(),
            expires_in: record.expires_in,
            effective_lifetime_seconds: record.effective_lifetime_s,
            issued_at: record.issued_at.as_ref().map(rfc3339),
            refresh_token: record
                .refresh_token
                .as_ref()
                .map(|secret| if reveal { secret.expose().to_owned() } else { secret.masked() }),
            uses: record.uses.clone(),
            rejected_uses: record.rejected_uses.clone(),
            jwt,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled<T: Serialize>(value: T) -> String {
        serde_json::to_string(&value).unwrap_or_default()
    }

    #[test]
    fn vocabulary_enums_keep_their_wire_spelling() {
        for (outcome, text) in [
            (Outcome::Success, "success"),
            (Outcome::Failure, "failure"),
            (Outcome::Incomplete, "incomplete"),
        ] {
            assert_eq!(spelled(outcome), format!("\"{text}\""));
            assert_eq!(outcome.as_str(), text);
        }
        for (scheme, text) in [
            (AuthScheme::Bearer, "bearer"),
            (AuthScheme::Basic, "basic"),
            (AuthScheme::None, "none"),
        ] {
            assert_eq!(spelled(scheme), format!("\"{text}\""));
            assert_eq!(scheme.as_str(), text);
        }
        for (role, text) in [
            (ClockRole::Registry, "registry"),
            (ClockRole::TokenService, "token-service"),
            (ClockRole::TokenIssuer, "token-issuer"),
            (ClockRole::Storage, "storage"),
        ] {
            assert_eq!(spelled(role), format!("\"{text}\""));
            assert_eq!(role.as_str(), text);
            assert_eq!(serde_json::from_str::<ClockRole>(&spelled(role)).ok(), Some(role));
        }
        for (status, text) in [
            (StepStatus::Done, "done"),
            (StepStatus::Failed, "failed"),
            (StepStatus::NotReached, "not-reached"),
            (StepStatus::Skipped, "skipped"),
            (StepStatus::NotSeen, "not-seen"),
        ] {
            assert_eq!(spelled(status), format!("\"{text}\""));
            assert_eq!(status.as_str(), text);
        }
        assert_eq!(spelled(Secrets::Masked), "\"masked\"");
        assert_eq!(spelled(Secrets::Revealed), "\"revealed\"");
    }
}
