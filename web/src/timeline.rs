//! Geometry of the clock chart and the token timelines (pure, tested natively).
//!
//! - The clock chart: each server's clock offset from the capture clock, with its
//!   uncertainty, on a scale symmetric around zero.
//! - A token timeline, on the capture clock: when the issuer considers the token valid
//!   (`nbf`..`exp` moved by the issuer's offset), when the registry accepts it (moved by the
//!   registry's offset, widened by distribution's 60 s leeway), the requests that used it
//!   (accepted or refused), and the moment of expiry. So "the push failed at 99%" shows as a
//!   refused use right of the expiry mark.

use chrono::DateTime;
use regauth_core::analysis::ClockRole;
use regauth_core::protocol::{Scope, parse_scope, parse_scope_list};
use regauth_core::report::analysis::{AnalysisReport, ClockRow, TokenRow};
use regauth_core::report::exchanges::ExchangeRow;
use serde::{Deserialize, Serialize};

use crate::diagram::{authority_of, row_of};

/// distribution's tolerance on `nbf`/`exp` (`registry/auth/token/token.go`).
pub const LEEWAY_S: f64 = 60.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OffsetBar {
    pub host: String,
    pub role: ClockRole,
    /// `+7200.0 s ± 0.5 s`.
    pub label: String,
    /// Percent of the chart width: the offset, and the uncertainty interval around it.
    pub x: f64,
    pub x_low: f64,
    pub x_high: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockChart {
    pub bars: Vec<OffsetBar>,
    /// Half the width of the scale, in seconds (`±7920 s`).
    pub half_range_s: f64,
}

/// A position in percent of a chart's width, 0 to 100, to a thousandth: finer than any screen
/// draws, and a value that crosses the worker boundary as JSON and back unchanged.
fn percent(value: f64) -> f64 {
    (value.clamp(0.0, 100.0) * 1000.0).round() / 1000.0
}

/// The offsets of every clock the report estimated; `None` when there is none.
pub fn clock_chart(clocks: &[ClockRow]) -> Option<ClockChart> {
    if clocks.is_empty() {
        return None;
    }
    let widest = clocks
        .iter()
        .map(|clock| clock.offset_seconds.abs() + clock.uncertainty_seconds)
        .fold(0.0_f64, f64::max);
    let half_range_s = (widest * 1.15).max(5.0);
    let x = |seconds: f64| percent(50.0 + 50.0 * seconds / half_range_s);
    let bars = clocks
        .iter()
        .map(|clock| OffsetBar {
            host: clock.host.clone(),
            role: clock.role,
            label: format!("{:+.1} s ± {:.1} s", clock.offset_seconds, clock.uncertainty_seconds),
            x: x(clock.offset_seconds),
            x_low: x(clock.offset_seconds - clock.uncertainty_seconds),
            x_high: x(clock.offset_seconds + clock.uncertainty_seconds),
        })
        .collect();
    Some(ClockChart { bars, half_range_s })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UseMark {
    pub exchange: usize,
    pub x: f64,
    pub refused: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenTimeline {
    /// Capture-clock instants at the chart's left and right edges (RFC 3339).
    pub start: String,
    pub end: String,
    /// Valid by the issuer's own clock (`nbf` or `iat` to `exp`), on the capture clock.
    pub issuer_window: Option<(f64, f64)>,
    /// Accepted by the registry (its clock, 60 s leeway), on the capture clock.
    pub registry_window: Option<(f64, f64)>,
    /// When the registry's clock passes `exp`.
    pub expiry_x: Option<f64>,
    pub uses: Vec<UseMark>,
    /// How the clocks were placed, in words (`issuer +7200.0 s, registry +0.0 s`).
    pub clocks_note: String,
}

fn seconds_of(rfc3339: &str) -> Option<f64> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|at| at.timestamp() as f64 + f64::from(at.timestamp_subsec_micros()) / 1e6)
}

/// The offset of the clock with `role` named `name` (a host, `host:port`, or for an issuer its
/// `iss`).
fn offset_for(clocks: &[ClockRow], name: Option<&str>, role: ClockRole) -> Option<f64> {
    let name = name?;
    clocks
        .iter()
        .filter(|clock| clock.role == role)
        .find(|clock| clock.host == name || name.starts_with(&format!("{}:", clock.host)))
        .map(|clock| clock.offset_seconds)
}

/// The timeline of `token`, or `None` when the capture gives no instant to place it on.
pub fn token_timeline(
    token: &TokenRow,
    report: &AnalysisReport,
    exchanges: &[ExchangeRow],
) -> Option<TokenTimeline> {
    let issued_row = row_of(exchanges, token.issued_by);
    let issuer_authority = issued_row.map(|row| authority_of(&row.url).to_owned());
    let registry = token
        .session
        .and_then(|session| report.sessions.get(session))
        .map(|session| session.registry.clone());
    // The issuer's own clock (its `iat`) if estimated, else the token service's `Date`.
    let iss = token.jwt.as_ref().and_then(|jwt| jwt.claims.iss.as_deref());
    let issuer_offset = offset_for(&report.clocks, iss, ClockRole::TokenIssuer).or_else(|| {
        offset_for(&report.clocks, issuer_authority.as_deref(), ClockRole::TokenService)
    });
    let registry_offset = offset_for(&report.clocks, registry.as_deref(), ClockRole::Registry);
    let issued_at = issued_row
        .and_then(|row| row.ended_at.as_deref().or(row.started_at.as_deref()))
        .and_then(seconds_of);
    let claims = token.jwt.as_ref().map(|jwt| &jwt.claims);
    let from_issuer =
        |unix: Option<i64>| unix.map(|unix| unix as f64 - issuer_offset.unwrap_or(0.0));
    let valid_from = from_issuer(claims.and_then(|claims| claims.nbf.or(claims.iat))).or(issued_at);
    let valid_to = from_issuer(claims.and_then(|claims| claims.exp))
        .or_else(|| issued_at.map(|at| at + token.effective_lifetime_seconds as f64));
    // The registry judges with its own clock: on the capture clock, its window moves by its offset.
    let registry_shift = registry_offset.unwrap_or(0.0);
    let registry_window = match (valid_from, valid_to) {
        (Some(from), Some(to)) if claims.is_some() => Some((
            from + issuer_offset.unwrap_or(0.0) - registry_shift - LEEWAY_S,
            to + issuer_offset.unwrap_or(0.0) - registry_shift + LEEWAY_S,
        )),
        _ => None,
    };
    let uses: Vec<(usize, f64, bool)> = token
        .uses
        .iter()
        .filter_map(|&index| {
            let at = row_of(exchanges, index)?.started_at.as_deref().and_then(seconds_of)?;
            Some((index, at, token.rejected_uses.contains(&index)))
        })
        .collect();
    let mut points: Vec<f64> = uses.iter().map(|(_, at, _)| *at).collect();
    points.extend(issued_at);
    points.extend(valid_from);
    points.extend(valid_to);
    if let Some((from, to)) = registry_window {
        points.extend([from, to]);
    }
    let start = points.iter().copied().fold(f64::INFINITY, f64::min);
    let end = points.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !start.is_finite() || !end.is_finite() {
        return None;
    }
    let padding = ((end - start) * 0.04).max(1.0);
    let (start, end) = (start - padding, end + padding);
    let x = |at: f64| percent((at - start) / (end - start) * 100.0);
    let instant = |at: f64| {
        DateTime::from_timestamp_millis((at * 1000.0) as i64)
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let describe = |what: &str, offset: Option<f64>| match offset {
        Some(offset) => format!("{what} clock {offset:+.1} s"),
        None => format!("{what} clock not estimated (drawn as agreeing with the capture)"),
    };
    Some(TokenTimeline {
        start: instant(start),
        end: instant(end),
        issuer_window: valid_from.zip(valid_to).map(|(from, to)| (x(from), x(to))),
        registry_window: registry_window.map(|(from, to)| (x(from), x(to))),
        expiry_x: registry_window.map(|(_, to)| x(to - LEEWAY_S)),
        uses: uses
            .into_iter()
            .map(|(exchange, at, refused)| UseMark { exchange, x: x(at), refused })
            .collect(),
        clocks_note: format!(
            "{}; {}",
            describe("issuer", issuer_offset),
            describe("registry", registry_offset)
        ),
    })
}

/// The TLS facts of the connection that carried exchange `index` (from the report's `tls`
/// section): endpoint, SNI, versions, ciphers, the host check and each certificate of the
/// chains with its validity over the connection's time span.
pub fn tls_facts(report: &AnalysisReport, index: usize) -> Vec<(String, String)> {
    let Some(connection) =
        report.tls.connections.iter().find(|connection| connection.exchanges.contains(&index))
    else {
        return Vec::new();
    };
    let mut rows = vec![
        ("endpoint".to_owned(), format!("{}:{}", connection.host, connection.port)),
        (
            "handshake".to_owned(),
            if connection.established { "completed" } else { "failed" }.to_owned(),
        ),
    ];
    let mut push = |name: &str, values: &[String]| {
        if !values.is_empty() {
            rows.push((name.to_owned(), values.join(", ")));
        }
    };
    push("SNI", connection.sni.as_slice());
    push("versions", &connection.versions);
    push("ciphers", &connection.ciphers);
    push("ALPN", &connection.alpn);
    push("errors", &connection.errors);
    if let Some(check) = &connection.host_check {
        let name = connection
            .host_check_name
            .as_deref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        rows.push(("host name check".to_owned(), format!("{check}{name}")));
    }
    for (what, chain) in [
        ("server certificate", &connection.server_chain),
        ("client certificate", &connection.client_chain),
    ] {
        for (position, link) in chain.iter().enumerate() {
            let certificate = report.tls.certificates.get(link.certificate);
            let subject = certificate
                .and_then(|certificate| certificate.subject.clone())
                .unwrap_or_else(|| "?".to_owned());
            let until = certificate
                .and_then(|certificate| certificate.not_after.clone())
                .unwrap_or_default();
            rows.push((
                format!("{what} {}", position + 1),
                format!("{subject}: {} (until {until})", link.validity),
            ));
        }
    }
    if let Some(subject) =
        connection.server_summary.as_ref().and_then(|summary| summary.subject.as_ref())
    {
        rows.push(("server certificate".to_owned(), subject.clone()));
    }
    rows
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessLine {
    /// `repository:private/app`.
    pub resource: String,
    pub requested: String,
    pub granted: String,
    /// Actions asked for and not granted (`push`).
    pub missing: Vec<String>,
}

/// The token's `access` claim against the scopes the client asked for.
pub fn access_lines(token: &TokenRow) -> Vec<AccessLine> {
    let granted: Vec<Scope> = token
        .jwt
        .as_ref()
        .map(|jwt| {
            jwt.claims
                .access
                .iter()
                .filter_map(|entry| {
                    parse_scope(&format!(
                        "{}:{}:{}",
                        entry.resource_type,
                        entry.name,
                        entry.actions.join(",")
                    ))
                    .ok()
                })
                .collect()
        })
        .unwrap_or_default();
    let (requested, _) = parse_scope_list(&token.requested_scopes.join(" "));
    let resource = |scope: &Scope| match &scope.resource_class {
        Some(class) => format!("{}({class}):{}", scope.resource_type, scope.name),
        None => format!("{}:{}", scope.resource_type, scope.name),
    };
    let mut lines: Vec<AccessLine> = requested
        .iter()
        .map(|asked| {
            let given = granted.iter().find(|scope| resource(scope) == resource(asked));
            let given_actions = given.map(|scope| scope.actions.clone()).unwrap_or_default();
            let missing = asked
                .actions
                .iter()
                .filter(|action| !given_actions.iter().any(|have| have == *action || have == "*"))
                .cloned()
                .collect();
            AccessLine {
                resource: resource(asked),
                requested: asked.actions.join(", "),
                granted: if given.is_some() {
                    given_actions.join(", ")
                } else {
                    "nothing".to_owned()
                },
                missing,
            }
        })
        .collect();
    // Granted without being asked for (a token service's extras) are shown too.
    for scope in &granted {
        if !lines.iter().any(|line| line.resource == resource(scope)) {
            lines.push(AccessLine {
                resource: resource(scope),
                requested: "-".to_owned(),
                granted: scope.actions.join(", "),
                missing: Vec::new(),
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view_model::tests::analysed_sample;

    #[test]
    fn the_clock_ahead_issuer_sits_far_right_of_the_capture_clock() {
        let analysed = analysed_sample("clock-ahead.flow");
        let chart = clock_chart(&analysed.report.clocks).unwrap();
        let issuer = chart.bars.iter().find(|bar| bar.role == ClockRole::TokenIssuer).unwrap();
        assert!(issuer.x > 90.0, "{issuer:?}");
        assert!(issuer.label.starts_with("+7"), "{}", issuer.label);
        assert!(chart.half_range_s > 7200.0);
        assert!(chart.bars.iter().all(|bar| bar.x_low <= bar.x && bar.x <= bar.x_high));
    }

    #[test]
    fn a_not_yet_valid_token_is_used_left_of_the_registry_s_window() {
        let analysed = analysed_sample("clock-ahead.flow");
        let token = &analysed.report.tokens[0];
        let timeline = token_timeline(token, &analysed.report, &analysed.exchanges).unwrap();
        let (from, _) = timeline.registry_window.unwrap();
        let refused: Vec<&UseMark> = timeline.uses.iter().filter(|mark| mark.refused).collect();
        assert!(!refused.is_empty());
        assert!(refused.iter().all(|mark| mark.x < from), "{timeline:?}");
        assert!(timeline.clocks_note.starts_with("issuer clock +7"), "{}", timeline.clocks_note);
    }

    #[test]
    fn an_expired_token_is_refused_right_of_the_expiry_mark() {
        let analysed = analysed_sample("token-expired-mid-push-recovered.flow");
        // The token the `token-expired` finding names (another one was refused for its scope).
        let expired = analysed
            .report
            .findings
            .iter()
            .find(|finding| finding.code.as_str() == "token-expired")
            .unwrap();
        let refused_token = analysed
            .report
            .tokens
            .iter()
            .find(|token| expired.exchanges.contains(&token.issued_by))
            .unwrap();
        let timeline =
            token_timeline(refused_token, &analysed.report, &analysed.exchanges).unwrap();
        let expiry = timeline.expiry_x.unwrap();
        let refused: Vec<&UseMark> = timeline.uses.iter().filter(|mark| mark.refused).collect();
        assert!(refused.iter().all(|mark| mark.x > expiry), "{timeline:?}");
        assert!(timeline.uses.iter().any(|mark| !mark.refused && mark.x < expiry));
    }

    #[test]
    fn access_marks_what_was_asked_and_not_granted() {
        let analysed = analysed_sample("push-insufficient-scope.flow");
        let lines: Vec<AccessLine> = analysed.report.tokens.iter().flat_map(access_lines).collect();
        let push = lines.iter().find(|line| line.missing.iter().any(|action| action == "push"));
        assert!(push.is_some(), "{lines:?}");
        let line = push.unwrap();
        assert!(line.requested.contains("push") && !line.granted.contains("push"), "{line:?}");
    }

    #[test]
    fn an_exchange_shows_the_tls_connection_it_used() {
        let analysed = analysed_sample("clock-ahead.flow");
        let with_tls =
            analysed.report.tls.connections.first().expect("a TLS connection in a mitmproxy flow");
        let rows = tls_facts(&analysed.report, with_tls.exchanges[0]);
        assert!(rows.iter().any(|(name, _)| name == "endpoint"), "{rows:?}");
        assert!(
            rows.iter()
                .any(|(name, value)| name.starts_with("server certificate") && !value.is_empty()),
            "{rows:?}"
        );
        assert!(tls_facts(&analysed.report, usize::MAX).is_empty());
    }
}
