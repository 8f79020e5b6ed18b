//! Clock offsets: each server's `Date` header and each token issuer's `iat`/`issued_at`
//! against the capture clock (the recorder's timestamps).
//!
//! Every observation gives an interval, not a point: a server stamps `Date` (truncated to whole
//! seconds) somewhere between the request leaving and the response arriving. So for one
//! exchange, `offset = server_time - capture_time` lies in
//! `[date - response_end, date + 1 s - request_start]`. Intersecting the intervals of many
//! exchanges narrows the estimate; an empty intersection (a clock that jumped) falls back to
//! the hull of all intervals, which the uncertainty then shows.

use crate::model::Timestamp;

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
