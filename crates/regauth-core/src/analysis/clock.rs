//! Clock offsets: each server's `Date` header and each token issuer's `iat`/`issued_at`
//! against the capture clock (the recorder's timestamps).
//!
//! Every observation gives an interval, not a point: a server stamps `Date` (truncated to whole
//! seconds) somewhere between the request leaving and the response arriving. So for one
//! exchange, `offset = server_time - capture_time` lies in
//! `[date - response_end, date + 1 s - request_start]`. Intersecting the intervals of many
//! exchanges narrows the estimate; an empty intersection (a clock that jumped) falls back to
//! the hull of all intervals, which the uncertainty then shows.
//!
//! [`estimate_clocks`] gathers those observations per host and role; [`skew_findings`] says
//! which clock is off, and by how much.

use std::collections::{HashMap, HashSet};

use super::classify::{Classified, Role};
use super::findings::{Code, Finding, Merger, Severity, join_and};
use super::{AnalysisConfig, ClockEstimate, ClockRole, TokenRecord};
use crate::capture::Capture;
use crate::model::{ArcStr, Timestamp};
use crate::token::DISTRIBUTION_LEEWAY_S;

/// Offset of one clock from the capture clock, as an interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OffsetInterval {
    /// Seconds; that clock minus the capture clock.
    pub low: f64,
    pub high: f64,
}

impl OffsetInterval {
    /// The interval for one timestamp `stamp` (resolution `resolution_s`) that the other side
    /// wrote between `sent` and `received` (capture clock).
    pub fn from_observation(
        stamp: f64,
        resolution_s: f64,
        sent: &Timestamp,
        received: &Timestamp,
    ) -> OffsetInterval {
        let sent = unix_seconds(sent);
        let received = unix_seconds(received).max(sent);
        OffsetInterval { low: stamp - received, high: stamp + resolution_s - sent }
    }

    pub fn midpoint(&self) -> f64 {
        (self.low + self.high) / 2.0
    }

    pub fn half_width(&self) -> f64 {
        (self.high - self.low).abs() / 2.0
    }

    /// Distance of the interval from zero (0 when it contains zero).
    pub fn distance_from_zero(&self) -> f64 {
        if self.low > 0.0 {
            self.low
        } else if self.high < 0.0 {
            -self.high
        } else {
            0.0
        }
    }
}

/// Narrows many observations of one clock into one interval.
pub fn combine(observations: &[OffsetInterval]) -> Option<OffsetInterval> {
    let first = observations.first()?;
    let mut intersection = *first;
    let mut hull = *first;
    for observation in &observations[1..] {
        intersection.low = intersection.low.max(observation.low);
        intersection.high = intersection.high.min(observation.high);
        hull.low = hull.low.min(observation.low);
        hull.high = hull.high.max(observation.high);
    }
    Some(if intersection.low <= intersection.high { intersection } else { hull })
}

pub fn unix_seconds(at: &Timestamp) -> f64 {
    at.timestamp() as f64 + f64::from(at.timestamp_subsec_nanos()) / 1e9
}

/// Reads an HTTP `Date` header (IMF-fixdate, and the obsolete RFC 850 / asctime forms).
pub fn parse_http_date(value: &str) -> Option<f64> {
    let value = value.trim();
    if let Ok(parsed) = chrono::DateTime::parse_from_rfc2822(value) {
        return Some(parsed.timestamp() as f64);
    }
    for format in ["%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
    {
        if let Ok(parsed) = chrono::NaiveDateTime::parse_from_str(value, format) {
            return Some(parsed.and_utc().timestamp() as f64);
        }
    }
    None
}

/// Formats an offset for people: `+2 h 0 min 3 s`, `-40.2 s`, `+0.3 s`.
pub fn describe_offset(seconds: f64) -> String {
    let sign = if seconds < 0.0 { "-" } else { "+" };
    let magnitude = seconds.abs();
    if magnitude < 120.0 {
        return format!("{sign}{magnitude:.1} s");
    }
    let total = magnitude.round() as i64;
    let (hours, minutes, secs) = (total / 3600, (total % 3600) / 60, total % 60);
    if hours > 0 {
        format!("{sign}{hours} h {minutes} min {secs} s")
    } else {
        format!("{sign}{minutes} min {secs} s")
    }
}

/// Where a role's position is kept in [`Observations::position`].
fn role_slot(role: ClockRole) -> usize {
    match role {
        ClockRole::Registry => 0,
        ClockRole::TokenService => 1,
        ClockRole::TokenIssuer => 2,
        ClockRole::Storage => 3,
    }
}

/// No clock at this slot of [`Observations::position`].
const NO_CLOCK: u32 = u32::MAX;

/// One observation of a clock: which clock (its position in [`Observations::clocks`]), the
/// offset interval it shows, and the exchange it came from.
struct Observation {
    clock: u32,
    /// Position among all observations, so they sort in place into observation order
    /// within a clock (a stable sort's buffer was as large as the list). It takes padding
    /// the struct had anyway.
    order: u32,
    interval: OffsetInterval,
    exchange: usize,
}

/// Observations grouped by host and role, in order of first observation.
///
/// One flat list of observations rather than a list per clock: a capture may show a hundred
/// thousand clocks seen once each, and two small lists per clock were most of the analysis'
/// memory on such a capture (issue 9).
#[derive(Default)]
struct Observations {
    /// Each clock's host and role, in order of first observation.
    clocks: Vec<(ArcStr, ClockRole)>,
    /// Host → position in `clocks` for each role ([`role_slot`]; [`NO_CLOCK`] for none). The
    /// host is the one copy `clocks` keeps too.
    position: HashMap<ArcStr, [u32; 4]>,
    seen: Vec<Observation>,
}

impl Observations {
    /// `host` is kept as the clock's name when it is new (a request's `host` is shared this
    /// way, not copied: a capture may name a hundred thousand hosts).
    fn push(&mut self, host: ArcStr, role: ClockRole, interval: OffsetInterval, idx: usize) {
        let known = self
            .position
            .get(host.as_str())
            .map(|slots| slots[role_slot(role)])
            .filter(|&clock| clock != NO_CLOCK);
        let clock = match known {
            Some(clock) => clock,
            None => {
                // More than 2^32 - 1 clocks cannot come from an input regauth reads.
                let Ok(clock) = u32::try_from(self.clocks.len()) else { return };
                let host = match self.position.get_key_value(host.as_str()) {
                    Some((shared, _)) => shared.clone(),
                    None => host,
                };
                self.position.entry(host.clone()).or_insert([NO_CLOCK; 4])[role_slot(role)] = clock;
                self.clocks.push((host, role));
                clock
            }
        };
        // Past 2^32 - 1 observations the order within a clock is no longer kept.
        let order = u32::try_from(self.seen.len()).unwrap_or(u32::MAX);
        self.seen.push(Observation { clock, order, interval, exchange: idx });
    }

    /// Each clock's estimate, in order of first observation (`None` where the observations
    /// do not combine).
    fn into_estimates(self) -> Vec<ClockEstimate> {
        let Observations { clocks, position, mut seen } = self;
        drop(position);
        // Grouped by clock, in order of observation within one.
        seen.sort_unstable_by_key(|observation| (observation.clock, observation.order));
        let mut intervals = Vec::new();
        let mut rest = seen.as_slice();
        let mut estimates = Vec::with_capacity(clocks.len());
        for (clock, (host, role)) in clocks.into_iter().enumerate() {
            let n_own = rest.partition_point(|observation| observation.clock as usize == clock);
            let (own, after) = rest.split_at(n_own);
            rest = after;
            intervals.clear();
            intervals.extend(own.iter().map(|observation| observation.interval));
            let Some(combined) = combine(&intervals) else { continue };
            estimates.push(ClockEstimate {
                host,
                role,
                offset_s: round3(combined.midpoint()),
                uncertainty_s: round3(combined.half_width()),
                observations: own.len(),
                exchanges: own.iter().map(|observation| observation.exchange).collect(),
            });
        }
        estimates
    }

    /// Every server's `Date`: registries, token services and storage hosts.
    fn add_dates(&mut self, capture: &Capture, classified: &Classified) {
        for (idx, exchange) in capture.exchanges.iter().enumerate() {
            let role = match classified.roles[idx] {
                Role::Registry { .. } => ClockRole::Registry,
                Role::Token { .. } => ClockRole::TokenService,
                Role::Storage { .. } => ClockRole::Storage,
                _ => continue,
            };
            let (Some(response), Some(sent), Some(received)) =
                (&exchange.response, exchange.timing.request_start, exchange.timing.response_end)
            else {
                continue;
            };
            let Some(date) = response.headers.get("date").as_deref().and_then(parse_http_date)
            else {
                continue;
            };
            self.push(
                exchange.request.authority_arc(),
                role,
                OffsetInterval::from_observation(date, 1.0, &sent, &received),
                idx,
            );
        }
    }

    /// Each token issuer's `issued_at` and `iat`, stamped while the token response was made.
    fn add_issuers(&mut self, capture: &Capture, tokens: &[TokenRecord]) {
        for token in tokens {
            let exchange = &capture.exchanges[token.issued_by];
            let (Some(sent), Some(received)) =
                (exchange.timing.request_start, exchange.timing.response_end)
            else {
                continue;
            };
            let issuer =
                token.summary.issuer.clone().unwrap_or_else(|| exchange.request.authority_arc());
            // `issued_at` may have sub-second precision; distribution's token server writes
            // whole seconds (truncated, like `iat`), and then it says no more than `iat` does.
            if let Some(issued_at) = token.issued_at {
                let stamp = unix_seconds(&issued_at);
                let resolution = if issued_at.timestamp_subsec_nanos() == 0 { 1.0 } else { 0.0 };
                self.push(
                    issuer.clone(),
                    ClockRole::TokenIssuer,
                    OffsetInterval::from_observation(stamp, resolution, &sent, &received),
                    token.issued_by,
                );
            }
            if let Some(iat) = token.summary.issued_at {
                self.push(
                    issuer,
                    ClockRole::TokenIssuer,
                    OffsetInterval::from_observation(iat as f64, 1.0, &sent, &received),
                    token.issued_by,
                );
            }
        }
    }
}

/// Every clock the capture shows, relative to the capture clock.
pub fn estimate_clocks(
    capture: &Capture,
    classified: &Classified,
    tokens: &[TokenRecord],
) -> Vec<ClockEstimate> {
    let mut observations = Observations::default();
    observations.add_dates(capture, classified);
    observations.add_issuers(capture, tokens);
    observations.into_estimates()
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// `clock-skew` for every clock off by more than the threshold (beyond its uncertainty); or,
/// when every server agrees with the others but not with the capture, one finding that the
/// capture machine's clock is the odd one out.
pub fn skew_findings(config: &AnalysisConfig, clocks: &[ClockEstimate], findings: &mut Merger) {
    let off: Vec<&ClockEstimate> = clocks
        .iter()
        .filter(|clock| {
            OffsetInterval {
                low: clock.offset_s - clock.uncertainty_s,
                high: clock.offset_s + clock.uncertainty_s,
            }
            .distance_from_zero()
                > config.max_clock_skew_s
        })
        .collect();
    if off.is_empty() {
        return;
    }
    let in_sync: Vec<&ClockEstimate> = clocks
        .iter()
        .filter(|clock| clock.offset_s.abs() <= clock.uncertainty_s + config.max_clock_skew_s)
        .collect();
    let all_off_alike = in_sync.is_empty()
        && off.len() >= 2
        && off
            .iter()
            .all(|clock| (clock.offset_s - off[0].offset_s).abs() <= config.max_clock_skew_s);
    if all_off_alike {
        findings.push(capture_clock_off(&off));
        return;
    }
    let reference = if in_sync.is_empty() {
        "the capture machine's clock".to_owned()
    } else {
        let names: Vec<String> = in_sync
            .iter()
            .map(|clock| format!("{} ({})", clock.host, clock.role.as_str()))
            .collect();
        format!("the capture machine's clock and {}, which agree", names.join(", "))
    };
    findings.push(match off.as_slice() {
        [clock] => clock_off(clock, &reference),
        several => clocks_off(several, &reference),
    });
}

/// Every server is off by about the same amount: the capture machine's clock is the one off.
fn capture_clock_off(off: &[&ClockEstimate]) -> Finding {
    Finding {
        code: Code::ClockSkew,
        severity: Severity::Warning,
        session: None,
        step: None,
        exchanges: off.iter().flat_map(|clock| clock.exchanges.iter().copied()).take(20).collect(),
        message: format!(
            "Every server agrees with the others but not with the capture machine: the capture machine's clock (where the recorder, and usually the client, ran) is off by {} (servers are {} from it). Clients that count token lifetimes on their own clock (containerd) will misjudge expiry.",
            describe_offset(-off[0].offset_s),
            describe_offset(off[0].offset_s),
        ),
    }
}

/// An error beyond the registry's 60 s leeway (tokens then fail), else a warning.
fn skew_severity(clock: &ClockEstimate) -> Severity {
    if clock.offset_s.abs() > DISTRIBUTION_LEEWAY_S as f64 {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// Several clocks off `reference` (typically a token service's `Date` and its tokens' `iat`):
/// one finding naming each, by how much, and what that does to tokens.
fn clocks_off(off: &[&ClockEstimate], reference: &str) -> Finding {
    let named: Vec<String> = off
        .iter()
        .map(|clock| {
            format!(
                "{} ({}, {} ±{:.1} s)",
                clock.host,
                clock.role.as_str(),
                describe_offset(clock.offset_s),
                clock.uncertainty_s
            )
        })
        .collect();
    // What the skew does, said once per kind of clock and direction, naming the hosts.
    let hosts_where = |wanted: &dyn Fn(&ClockEstimate) -> bool| -> Option<String> {
        let mut hosts: Vec<&str> = Vec::new();
        let mut named: HashSet<&str> = HashSet::new();
        for clock in off.iter().filter(|clock| wanted(clock)) {
            if named.insert(&clock.host) {
                hosts.push(&clock.host);
            }
        }
        (!hosts.is_empty()).then(|| join_and(&hosts))
    };
    let issues_tokens = |clock: &ClockEstimate| {
        matches!(clock.role, ClockRole::TokenIssuer | ClockRole::TokenService)
    };
    let mut consequences = String::new();
    if let Some(hosts) = hosts_where(&|clock| issues_tokens(clock) && clock.offset_s > 0.0) {
        consequences.push_str(&format!(" Tokens issued by {hosts} start in the registry's future: the registry sees them as not yet valid."));
    }
    if let Some(hosts) = hosts_where(&|clock| issues_tokens(clock) && clock.offset_s <= 0.0) {
        consequences.push_str(&format!(" Tokens issued by {hosts} end early by the registry's clock: they look expired sooner than their lifetime."));
    }
    if let Some(hosts) =
        hosts_where(&|clock| clock.role == ClockRole::Registry && clock.offset_s > 0.0)
    {
        consequences.push_str(&format!(" {hosts} sees tokens expire early."));
    }
    if let Some(hosts) =
        hosts_where(&|clock| clock.role == ClockRole::Registry && clock.offset_s <= 0.0)
    {
        consequences.push_str(&format!(" {hosts} sees fresh tokens as not yet valid."));
    }
    Finding {
        code: Code::ClockSkew,
        severity: off.iter().map(|clock| skew_severity(clock)).max().unwrap_or(Severity::Warning),
        session: None,
        step: None,
        exchanges: off.iter().flat_map(|clock| clock.exchanges.iter().copied().take(20)).collect(),
        message: format!("The clocks of {} are off {reference}.{consequences}", join_and(&named)),
    }
}

/// One clock off `reference`, with what that does to tokens.
fn clock_off(clock: &ClockEstimate, reference: &str) -> Finding {
    let severity = skew_severity(clock);
    let consequence = match clock.role {
        ClockRole::TokenIssuer | ClockRole::TokenService if clock.offset_s > 0.0 => {
            " Tokens it issues start in the registry's future: the registry sees them as not yet valid."
        }
        ClockRole::TokenIssuer | ClockRole::TokenService => {
            " Tokens it issues end early by the registry's clock: they look expired sooner than their lifetime."
        }
        ClockRole::Registry if clock.offset_s > 0.0 => " It sees tokens expire early.",
        ClockRole::Registry => " It sees fresh tokens as not yet valid.",
        ClockRole::Storage => "",
    };
    Finding {
        code: Code::ClockSkew,
        severity,
        session: None,
        step: None,
        exchanges: clock.exchanges.iter().copied().take(20).collect(),
        message: format!(
            "The clock of {} ({}) is {} (±{:.1} s) off {reference}.{consequence}",
            clock.host,
            clock.role.as_str(),
            describe_offset(clock.offset_s),
            clock.uncertainty_s
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(secs: i64, millis: u32) -> Timestamp {
        chrono::Utc.timestamp_opt(secs, millis * 1_000_000).single().unwrap_or_default()
    }

    // hand-written fixture: a server 2 h ahead, observed by two exchanges.
    #[test]
    fn intervals_narrow_when_combined() {
        let first =
            OffsetInterval::from_observation(7200.0 + 100.0, 1.0, &at(100, 200), &at(100, 300));
        let second =
            OffsetInterval::from_observation(7200.0 + 105.0, 1.0, &at(104, 900), &at(105, 100));
        let combined = combine(&[first, second]).unwrap();
        assert!(combined.low >= first.low && combined.high <= first.high);
        assert!((combined.midpoint() - 7200.3).abs() < 0.5, "{combined:?}");
        assert!(combined.half_width() <= 0.5);
    }

    #[test]
    fn disjoint_observations_fall_back_to_the_hull() {
        let a = OffsetInterval { low: 0.0, high: 1.0 };
        let b = OffsetInterval { low: 10.0, high: 11.0 };
        assert_eq!(combine(&[a, b]), Some(OffsetInterval { low: 0.0, high: 11.0 }));
        assert_eq!(combine(&[]), None);
    }

    #[test]
    fn http_dates_in_all_three_forms() {
        let expected = Some(784_111_777.0);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn offsets_read_well() {
        assert_eq!(describe_offset(-40.24), "-40.2 s");
        assert_eq!(describe_offset(7203.4), "+2 h 0 min 3 s");
        assert_eq!(describe_offset(-600.0), "-10 min 0 s");
    }
}
