//! The analysis as text for people. Rendered from the same [`AnalysisReport`] as the JSON,
//! so both always say the same thing (and mask the same secrets).
//!
//! Every string that came from the capture (names, hosts, realms, paths, messages, claims,
//! tokens) is written through [`Safe`], so control and bidi characters show as escapes and
//! cannot drive the terminal; only this module's own colour codes are raw escapes.

use std::borrow::Borrow;

use super::analysis::{
    AnalysisReport, ClockRow, FindingRow, Secrets, SessionRow, StreamedReport, TokenRow,
};
use super::exchanges::{ProblemRow, SourceRow};
use crate::analysis::{Outcome, Severity, StepStatus};
use crate::capture::Capture;
use crate::display::Safe;

/// How to decorate the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextStyle {
    /// ANSI colours (only when the output is a terminal).
    pub color: bool,
}

struct Paint {
    color: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn severity(&self, severity: Severity) -> String {
        let padded = format!("{:<7}", severity.as_str());
        match severity {
            Severity::Error => self.wrap("1;31", &padded),
            Severity::Warning => self.wrap("33", &padded),
            Severity::Info => self.wrap("36", &padded),
        }
    }
    fn outcome(&self, outcome: Outcome) -> String {
        match outcome {
            Outcome::Success => self.wrap("1;32", "SUCCESS"),
            Outcome::Failure => self.wrap("1;31", "FAILURE"),
            Outcome::Incomplete => self.wrap("1;33", "INCOMPLETE"),
        }
    }
}

/// `#3`, or `#3-#9 (7)` style compressed lists for long runs.
fn exchange_list(exchanges: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut idx = 0;
    while idx < exchanges.len() {
        let start = exchanges[idx];
        let mut end_idx = idx;
        while end_idx + 1 < exchanges.len() && exchanges[end_idx + 1] == exchanges[end_idx] + 1 {
            end_idx += 1;
        }
        if end_idx - idx >= 2 {
            parts.push(format!("#{start}-#{}", exchanges[end_idx]));
        } else {
            parts.extend(exchanges[idx..=end_idx].iter().map(|n| format!("#{n}")));
        }
        idx = end_idx + 1;
    }
    if parts.len() > 8 {
        let shown = parts[..8].join(" ");
        return format!("{shown} ... ({} exchanges)", exchanges.len());
    }
    parts.join(" ")
}

fn exchange_line(capture: &Capture, idx: usize) -> String {
    let Some(exchange) = capture.exchanges.get(idx) else { return format!("#{idx}") };
    let answer = match (&exchange.response, &exchange.error) {
        (Some(response), _) => response.status.to_string(),
        (None, Some(_)) => "no answer".to_owned(),
        (None, None) => "no response recorded".to_owned(),
    };
    let mut path = exchange.request.path_only().to_owned();
    if path.len() > 72 {
        path =
            format!("{}…", &path[..path.char_indices().nth(71).map_or(path.len(), |(at, _)| at)]);
    }
    format!(
        "#{idx} {} {}{} → {answer}",
        Safe(&exchange.request.method),
        Safe(&exchange.request.authority()),
        Safe(&path)
    )
}

/// Keeps a long token readable in a terminal: the start of each part and the total length.
fn abbreviate_token(token: &str) -> String {
    if token.chars().count() <= 100 {
        return token.to_owned();
    }
    let parts: Vec<String> = token
        .split('.')
        .map(|part| {
            if part.len() > 24 {
                format!(
                    "{}…",
                    &part[..part.char_indices().nth(20).map_or(part.len(), |(at, _)| at)]
                )
            } else {
                part.to_owned()
            }
        })
        .collect();
    format!("{} ({} chars)", parts.join("."), token.chars().count())
}

/// The analysis as one string. For a large capture prefer [`write_text`], which writes the
/// same text without holding every row.
pub fn render(report: &AnalysisReport, capture: &Capture, style: TextStyle) -> String {
    let mut out = String::new();
    let parts = Parts {
        outcome: report.outcome,
        secrets: report.secrets,
        sources: &report.sources,
        n_failed: report
            .sessions
            .iter()
            .filter(|session| session.outcome == Outcome::Failure)
            .count(),
        sessions: report.sessions.iter(),
        findings: report.findings.iter(),
        clocks: report.clocks.iter(),
        tokens: report.tokens.iter(),
        problems: &report.problems,
    };
    let _ = write_parts(&mut out, parts, capture, style);
    out
}

/// Writes what [`render`] returns for `AnalysisReport::new(capture, analysis, secrets)`, each
/// session, finding, clock and token row built, written and dropped in turn: memory stays that
/// of the analysis (what `regauth analyze` prints with).
pub fn write_text(
    out: &mut (impl std::fmt::Write + ?Sized),
    report: &StreamedReport<'_>,
    style: TextStyle,
) -> std::fmt::Result {
    let sources = report.sources();
    let problems = report.problems();
    let parts = Parts {
        outcome: report.outcome(),
        secrets: report.secrets(),
        sources: &sources,
        n_failed: report.n_failed_sessions(),
        sessions: report.sessions(),
        findings: report.findings(),
        clocks: report.clocks(),
        tokens: report.tokens(),
        problems: &problems,
    };
    write_parts(out, parts, report.capture(), style)
}

/// A report's parts, its long lists as iterators of rows (owned or borrowed).
struct Parts<'a, S, F, C, T> {
    outcome: Outcome,
    secrets: Secrets,
    sources: &'a [SourceRow],
    n_failed: usize,
    sessions: S,
    findings: F,
    clocks: C,
    tokens: T,
    problems: &'a [ProblemRow],
}

fn write_parts<S, F, C, T>(
    out: &mut (impl std::fmt::Write + ?Sized),
    report: Parts<'_, S, F, C, T>,
    capture: &Capture,
    style: TextStyle,
) -> std::fmt::Result
where
    S: ExactSizeIterator<Item: Borrow<SessionRow>>,
    F: ExactSizeIterator<Item: Borrow<FindingRow>>,
    C: ExactSizeIterator<Item: Borrow<ClockRow>>,
    T: ExactSizeIterator<Item: Borrow<TokenRow>>,
{
    let paint = Paint { color: style.color };
    let failed = report.n_failed;
    let n_tokens = report.tokens.len();
    writeln!(
        out,
        "{} {}: {} session(s), {failed} failed; {} exchange(s) read from {}",
        paint.bold("regauth analysis"),
        paint.outcome(report.outcome),
        report.sessions.len(),
        capture.exchanges.len(),
        report
            .sources
            .iter()
            .map(|source| Safe(&source.name).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )?;

    for session in report.sessions {
        let session = session.borrow();
        let verdict = match (session.outcome, session.failed_step) {
            (Outcome::Failure, Some(step)) => {
                format!("{} at step {step}", paint.outcome(Outcome::Failure))
            }
            (outcome, _) => paint.outcome(outcome),
        };
        writeln!(
            out,
            "\n{} {}  [{} auth]  {verdict}",
            paint.bold(&format!("Session {}", session.index + 1)),
            Safe(&session.title),
            session.scheme.as_str()
        )?;
        if let Some(realm) = &session.realm {
            writeln!(
                out,
                "  realm {}  service {}",
                Safe(realm),
                Safe(session.service.as_deref().unwrap_or("?"))
            )?;
        }
        for step in &session.steps {
            if step.exchanges.is_empty() {
                continue;
            }
            let marker = if step.status == StepStatus::Failed { " ✗" } else { "" };
            let first =
                step.exchanges.first().map(|&idx| exchange_line(capture, idx)).unwrap_or_default();
            let more = if step.exchanges.len() > 1 {
                format!(
                    "  (+{} more: {})",
                    step.exchanges.len() - 1,
                    exchange_list(&step.exchanges[1..])
                )
            } else {
                String::new()
            };
            writeln!(out, "  {} {:<46}{marker} {first}{more}", step.step, step.title)?;
        }
        if let Some(next) = &session.expected_next {
            writeln!(out, "  waiting for: {next}")?;
        }
    }

    if report.findings.len() > 0 {
        writeln!(out, "\n{}", paint.bold("Findings"))?;
        for finding in report.findings {
            let finding = finding.borrow();
            let place = match (finding.session, finding.step) {
                (Some(session), Some(step)) => format!("session {}, step {step}", session + 1),
                (Some(session), None) => format!("session {}", session + 1),
                (None, Some(step)) => format!("step {step}"),
                (None, None) => "capture".to_owned(),
            };
            writeln!(
                out,
                "  {} {}  ({place}; {})",
                paint.severity(finding.severity),
                paint.bold(finding.code.as_str()),
                exchange_list(&finding.exchanges)
            )?;
            writeln!(out, "          {}", Safe(&finding.message))?;
            if finding.severity != Severity::Info {
                writeln!(out, "          fix: {}", finding.fix)?;
            }
        }
    }

    if report.clocks.len() > 0 {
        writeln!(out, "\n{}", paint.bold("Clocks (offset from the capture clock)"))?;
        for clock in report.clocks {
            let clock = clock.borrow();
            writeln!(
                out,
                "  {:<36} {:<13} {:>+10.1} s ± {:.1} s  ({} observation(s))",
                Safe(&clock.host).to_string(),
                clock.role.as_str(),
                clock.offset_seconds,
                clock.uncertainty_seconds,
                clock.observations
            )?;
        }
    }

    if n_tokens > 0 {
        writeln!(out, "\n{}", paint.bold("Tokens"))?;
        for token in report.tokens {
            let token = token.borrow();
            let who = token.username.as_deref().map_or_else(
                || token.credential.to_owned(),
                |user| format!("{} ({})", Safe(user), token.credential),
            );
            writeln!(
                out,
                "  token {} from #{} for {who}; asked {}; lifetime {} s; used {} time(s), refused {}",
                token.index + 1,
                token.issued_by,
                if token.requested_scopes.is_empty() {
                    "no scope".to_owned()
                } else {
                    Safe(&token.requested_scopes.join(" ")).to_string()
                },
                token.effective_lifetime_seconds,
                token.uses.len(),
                token.rejected_uses.len()
            )?;
            if let Some(jwt) = &token.jwt {
                let access: Vec<String> = jwt
                    .claims
                    .access
                    .iter()
                    .map(|entry| {
                        format!(
                            "{}:{}:{}",
                            Safe(&entry.resource_type),
                            Safe(&entry.name),
                            Safe(&entry.actions.join(","))
                        )
                    })
                    .collect();
                writeln!(
                    out,
                    "    JWT {} iss={} aud={} grants [{}]",
                    Safe(&jwt.header.alg),
                    Safe(jwt.claims.iss.as_deref().unwrap_or("-")),
                    Safe(&jwt.claims.aud.join(",")),
                    access.join(" ")
                )?;
                writeln!(
                    out,
                    "    iat {}  nbf {}  exp {}  (issuer clock)",
                    jwt.iat_at.as_deref().unwrap_or("-"),
                    jwt.nbf_at.as_deref().unwrap_or("-"),
                    jwt.exp_at.as_deref().unwrap_or("-")
                )?;
                writeln!(
                    out,
                    "    signature {} ({}): {}",
                    jwt.signature,
                    jwt.signature_check,
                    Safe(&jwt.signature_detail)
                )?;
            } else {
                writeln!(out, "    {} token", token.kind)?;
            }
            writeln!(out, "    {}", Safe(&abbreviate_token(&token.token)))?;
        }
    }

    if !report.problems.is_empty() {
        writeln!(out, "\n{}", paint.bold("Input problems"))?;
        for problem in report.problems {
            writeln!(
                out,
                "  {}{}{}: {}",
                Safe(&problem.source),
                problem.entry.map(|entry| format!(": entry {entry}")).unwrap_or_default(),
                problem.byte_offset.map(|offset| format!(" (byte {offset})")).unwrap_or_default(),
                Safe(&problem.message)
            )?;
        }
    }
    if report.secrets == Secrets::Masked && n_tokens > 0 {
        writeln!(
            out,
            "\nSecrets are masked (token signatures, refresh tokens); --show-secrets reveals them."
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::exchange_list;

    #[test]
    fn exchange_lists_compress_runs() {
        assert_eq!(exchange_list(&[1, 2, 3, 4, 7, 9, 10]), "#1-#4 #7 #9 #10");
        assert_eq!(exchange_list(&[]), "");
    }
}
