//! Token refusals: why a registry refused a bearer token as invalid, judged with the
//! registry's own clock: expired (and outlived by the operation), not yet valid, issued for
//! another audience, or for a reason the capture does not show.

use std::collections::HashMap;

use super::clock::{describe_offset, parse_http_date, unix_seconds};
use super::explain::session_label;
use super::findings::{Code, Finding, Merger, Severity};
use super::session::{Built, InvalidTokenRefusal};
use super::verdict::Verdict;
use super::{ClockEstimate, ClockRole, Session, Step, TokenRecord};
use crate::capture::Capture;
use crate::model::Exchange;
use crate::token::{DISTRIBUTION_LEEWAY_S, Jwt};

/// Explains each invalid-token refusal the sessions collected.
pub fn explain_refusals(
    capture: &Capture,
    built: &Built,
    clocks: &[ClockEstimate],
    findings: &mut Merger,
) {
    if built.invalid_token_refusals.is_empty() {
        return;
    }
    // Looked up once here rather than per refusal: a capture may hold a hundred thousand
    // refusals, and as many clocks or uses of one token.
    let registry_offsets: HashMap<&str, f64> = clocks
        .iter()
        .rev()
        .filter(|clock| clock.role == ClockRole::Registry)
        .map(|clock| (&*clock.host, clock.offset_s))
        .collect();
    let first_served_use: Vec<Option<usize>> = built
        .tokens
        .iter()
        .map(|record| {
            record
                .uses
                .iter()
                .copied()
                .filter(|use_idx| built.verdicts.get(use_idx) == Some(&Verdict::Ok))
                .min()
        })
        .collect();
    for refusal in &built.invalid_token_refusals {
        let session = &built.sessions[refusal.session];
        let explainer = Explainer {
            capture,
            built,
            registry_offsets: &registry_offsets,
            first_served_use: &first_served_use,
            refusal,
            session,
            where_: session_label(session),
            exchange: &capture.exchanges[refusal.exchange],
            severity: if refusal.final_failure { Severity::Error } else { Severity::Warning },
            recovered: if refusal.final_failure {
                ""
            } else {
                " The client re-authenticated and recovered."
            },
        };
        findings.extend(explainer.explain());
    }
}

struct Explainer<'a> {
    capture: &'a Capture,
    built: &'a Built,
    /// Registry host → its clock's offset (the first estimate for a host wins, as a search
    /// of the clock list in order would find it).
    registry_offsets: &'a HashMap<&'a str, f64>,
    /// Per token, its first use the registry served.
    first_served_use: &'a [Option<usize>],
    refusal: &'a InvalidTokenRefusal,
    session: &'a Session,
    where_: String,
    exchange: &'a Exchange,
    severity: Severity,
    recovered: &'static str,
}

impl Explainer<'_> {
    fn finding(&self, code: Code, message: String, evidence: Vec<usize>) -> Finding {
        Finding {
            code,
            severity: self.severity,
            session: Some(self.refusal.session),
            step: Some(Step::RegistryVerdict),
            exchanges: evidence.into(),
            message,
        }
    }

    /// The first explanation that fits, in order: expired, not yet valid, wrong audience,
    /// unknown.
    fn explain(&self) -> Vec<Finding> {
        let (where_, recovered, idx) = (&self.where_, self.recovered, self.refusal.exchange);
        let Some((token_idx, record)) = self
            .refusal
            .token
            .and_then(|token_idx| Some((token_idx, self.built.tokens.get(token_idx)?)))
        else {
            return vec![self.finding(
                Code::TokenRejected,
                format!(
                    "{where_}: the registry refused a bearer token that this capture never shows being issued, so regauth cannot say why.{recovered}"
                ),
                vec![idx],
            )];
        };
        let decoded = self.built.last_decoded.get(token_idx, record);
        let Some(jwt) = decoded.jwt() else {
            return vec![self.finding(
                Code::TokenRejected,
                format!(
                    "{where_}: the registry refused an opaque token (not a JWT), so its validity cannot be read from the token.{recovered}"
                ),
                vec![idx, record.issued_by],
            )];
        };
        let at_registry = self.registry_time();
        if let Some(expired) = self.expired(record, jwt, at_registry) {
            return expired;
        }
        let explained = self
            .not_yet_valid(record, jwt, at_registry)
            .or_else(|| self.wrong_audience(record, jwt))
            .unwrap_or_else(|| {
                self.finding(
                    Code::TokenRejected,
                    format!(
                        "{where_}: the registry refused the token issued at exchange #{} although it is within its validity window and names the registry's service.{recovered}",
                        record.issued_by
                    ),
                    vec![idx, record.issued_by],
                )
            });
        vec![explained]
    }

    /// The registry's clock when it judged the token: the refusal's own `Date` (whole seconds,
    /// so the middle of that second), else the capture time shifted by the registry's offset.
    /// `Date` matters when a slow link delays the request.
    fn registry_time(&self) -> Option<f64> {
        let registry_clock_offset =
            self.registry_offsets.get(&*self.session.registry).copied().unwrap_or(0.0);
        self.exchange
            .response
            .as_ref()
            .and_then(|response| response.headers.get("date"))
            .as_deref()
            .and_then(parse_http_date)
            .map(|date| date + 0.5)
            .or_else(|| {
                exchange_midpoint(self.exchange)
                    .map(|capture_time| capture_time + registry_clock_offset)
            })
    }

    /// Past `exp` beyond the leeway; when the token had worked before, the operation outlived
    /// it too.
    fn expired(&self, record: &TokenRecord, jwt: &Jwt, at: Option<f64>) -> Option<Vec<Finding>> {
        let (Some(at), Some(exp)) = (at, jwt.claims.exp) else { return None };
        (at > exp.saturating_add(DISTRIBUTION_LEEWAY_S) as f64).then_some(())?;
        let (where_, recovered, idx) = (&self.where_, self.recovered, self.refusal.exchange);
        let mut findings = vec![self.finding(
            Code::TokenExpired,
            format!(
                "{where_}: the registry refused the token issued at exchange #{} because it had expired: by the registry's clock the request came {} after the token's `exp`, beyond the 60 s leeway.{recovered}",
                record.issued_by,
                describe_offset(at - exp as f64).trim_start_matches('+')
            ),
            vec![idx, record.issued_by],
        )];
        let earlier_success = self
            .refusal
            .token
            .and_then(|token_idx| self.first_served_use.get(token_idx).copied().flatten())
            .is_some_and(|served| served < idx);
        if earlier_success {
            findings.push(self.outlived(record));
        }
        Some(findings)
    }

    fn outlived(&self, record: &TokenRecord) -> Finding {
        let idx = self.refusal.exchange;
        let first_use = record.uses.first().copied().unwrap_or(idx);
        // Until the refusal came: a slow upload is refused when it arrives, long after it
        // started.
        let refused_at = self.exchange.timing.response_end.or(self.exchange.timing.request_start);
        let span = match (self.capture.exchanges[first_use].timing.request_start, refused_at) {
            (Some(first), Some(last)) => format!(
                " {:.0} s passed between its first use and this refusal;",
                unix_seconds(&last) - unix_seconds(&first)
            ),
            _ => String::new(),
        };
        self.finding(
            Code::TokenOutlivedByOperation,
            format!(
                "{}: the token worked at first, then the operation outlasted it:{span} its lifetime is {} s (`expires_in` as clients use it).{}",
                self.where_, record.effective_lifetime_s, self.recovered
            ),
            vec![first_use, idx],
        )
    }

    /// Before `nbf` (or `iat`) beyond the leeway.
    fn not_yet_valid(&self, record: &TokenRecord, jwt: &Jwt, at: Option<f64>) -> Option<Finding> {
        let (Some(at), Some(nbf)) = (at, jwt.claims.nbf.or(jwt.claims.iat)) else { return None };
        (at < nbf.saturating_sub(DISTRIBUTION_LEEWAY_S) as f64).then_some(())?;
        Some(self.finding(
            Code::TokenNotYetValid,
            format!(
                "{}: the registry refused the token issued at exchange #{} because it was not valid yet: its `nbf` lies {} ahead of the registry's clock, beyond the 60 s leeway.{}",
                self.where_,
                record.issued_by,
                describe_offset(nbf as f64 - at).trim_start_matches('+'),
                self.recovered
            ),
            vec![self.refusal.exchange, record.issued_by],
        ))
    }

    /// An `aud` that does not name the service the registry announced.
    fn wrong_audience(&self, record: &TokenRecord, jwt: &Jwt) -> Option<Finding> {
        let service = self.session.service.as_deref()?;
        if jwt.claims.aud.is_empty() || jwt.has_audience(service) {
            return None;
        }
        Some(self.finding(
            Code::AudienceMismatch,
            format!(
                "{}: the token's audience is {:?} but the registry's service is `{service}`; the registry refused it.{}",
                self.where_, jwt.claims.aud, self.recovered
            ),
            vec![self.refusal.exchange, record.issued_by],
        ))
    }
}

fn exchange_midpoint(exchange: &Exchange) -> Option<f64> {
    match (exchange.timing.request_start, exchange.timing.response_end) {
        (Some(start), Some(end)) => Some((unix_seconds(&start) + unix_seconds(&end)) / 2.0),
        (Some(start), None) => Some(unix_seconds(&start)),
        _ => None,
    }
}
