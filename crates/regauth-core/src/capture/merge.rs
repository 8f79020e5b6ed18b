//! Several inputs into one timeline: a total order, and exchanges recorded twice counted once.
//!
//! # Order
//!
//! Exchanges sort by when their request started. One without a start time keeps its place in
//! its own input: it sorts as if it started with the timed exchange before it in that input
//! (or before everything, when none is). The sort key is then
//! `(effective start, input, position in the input)`, a lexicographic key over totally
//! ordered parts, so the order is total and ties are impossible (positions are unique
//! within an input). (A comparator that says
//! "equal" whenever one side has no time is not transitive, and `sort_by` may panic on such
//! a comparator since Rust 1.81.)
//!
//! # Duplicates
//!
//! A session is often given twice: the same file under two names, or a mitmproxy flow file
//! and the HAR mitmproxy wrote from it. Counting both would double every token, use and clock
//! observation. Two exchanges from different inputs are the same exchange when they have the
//! same request line (method, scheme, host, port, path), the same status (or both none), start
//! within [`SAME_TIME`] of each other (recorders round to the microsecond or the millisecond)
//! and agree on the headers that carry the auth story (`Authorization`, `WWW-Authenticate`,
//! `Date`, `Location`) wherever both have them. Of each such group the exchange from the
//! richer input is kept: a flow file (it carries TLS facts HAR lacks) before a HAR, then the
//! input given first. An [`InputNote`] says how many were merged from which input.

use std::collections::HashMap;

use chrono::TimeDelta;

use super::{Format, InputNote, SourceInfo};
use crate::model::{Exchange, Timestamp};

/// How far apart the start times of one exchange recorded twice can be: HAR producers round
/// to the millisecond, flows keep microseconds; one rounding plus one truncation is < 2 ms.
const SAME_TIME: TimeDelta = TimeDelta::milliseconds(2);

/// Most candidates looked at for one exchange, so that a hostile capture of a million
/// identical requests in the same millisecond stays linear.
const MAX_CANDIDATES: usize = 64;

/// Headers that must agree (where both copies have them) for two exchanges to be one.
const KEY_REQUEST_HEADERS: &[&str] = &["authorization"];
const KEY_RESPONSE_HEADERS: &[&str] = &["www-authenticate", "date", "location"];

/// The effective start of every exchange, by source and position: its own start, else that
/// of the timed exchange before it in its source (see the module docs).
fn effective_starts(exchanges: &[Exchange]) -> Vec<Vec<Option<Timestamp>>> {
    let n_sources = exchanges.iter().map(|exchange| exchange.origin.source + 1).max().unwrap_or(0);
    let mut own: Vec<Vec<Option<Timestamp>>> = vec![Vec::new(); n_sources];
    for exchange in exchanges {
        let starts = &mut own[exchange.origin.source];
        if starts.len() <= exchange.origin.index {
            starts.resize(exchange.origin.index + 1, None);
        }
        starts[exchange.origin.index] = exchange.timing.request_start;
    }
    for starts in &mut own {
        let mut last = None;
        for start in starts.iter_mut() {
            match start {
                Some(time) => last = Some(*time),
                None => *start = last,
            }
        }
    }
    own
}

/// Orders `exchanges` into one timeline, drops the copies of exchanges found in several
/// inputs, and numbers the rest. Sorts in place: the exchanges are most of a capture's memory.
pub(super) fn merge(
    mut exchanges: Vec<Exchange>,
    sources: &[SourceInfo],
) -> (Vec<Exchange>, Vec<InputNote>) {
    let effective = effective_starts(&exchanges);
    let keys: Vec<SortKey> = exchanges
        .iter()
        .map(|exchange| {
            let origin = &exchange.origin;
            SortKey::new(effective[origin.source][origin.index], origin.source, origin.index)
        })
        .collect();
    drop(effective);
    // Most captures are in time order already. Otherwise the keys are sorted and the
    // exchanges moved once each: sorting the exchanges themselves moved each (hundreds of
    // bytes) many times, which was most of the merge's cost.
    if !keys.is_sorted() {
        let mut keyed: Vec<(SortKey, usize)> = keys.into_iter().zip(0..).collect();
        // Keys are unique (source and position are), so an unstable sort is deterministic.
        keyed.sort_unstable();
        permute(&mut exchanges, keyed.into_iter().map(|(_, position)| position).collect());
    }
    let notes =
        if sources.len() > 1 { drop_duplicates(&mut exchanges, sources) } else { Vec::new() };
    for (idx, exchange) in exchanges.iter_mut().enumerate() {
        exchange.index = idx;
    }
    (exchanges, notes)
}

/// `(effective start, input, position in the input)` as plain integers, which compare faster
/// than the timestamps they stand for: no start sorts first, then seconds and nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SortKey {
    start: Option<(i64, u32)>,
    source: usize,
    position: usize,
}

impl SortKey {
    fn new(start: Option<Timestamp>, source: usize, position: usize) -> SortKey {
        let start = start.map(|start| (start.timestamp(), start.timestamp_subsec_nanos()));
        SortKey { start, source, position }
    }
}

/// Reorders `items` so that position `i` holds what was at `order[i]` (a permutation of
/// the positions), in place: one swap per element, following the permutation's cycles.
pub(crate) fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut current = start;
        loop {
            let from = order[current];
            order[current] = current;
            if from == start || from == current {
                break;
            }
            items.swap(current, from);
            current = from;
        }
    }
}

/// Rank of a source when two copies of an exchange compete: lower wins.
fn source_rank(sources: &[SourceInfo], source: usize) -> (u8, usize) {
    let format_rank = match sources.get(source).map(|info| info.format) {
        Some(Format::MitmproxyFlow) => 0,
        Some(Format::Har) => 1,
        _ => 2,
    };
    (format_rank, source)
}

fn same_exchange(a: &Exchange, b: &Exchange) -> bool {
    let (request_a, request_b) = (&a.request, &b.request);
    if request_a.method != request_b.method
        || request_a.scheme != request_b.scheme
        || request_a.host != request_b.host
        || request_a.port != request_b.port
        || request_a.path != request_b.path
    {
        return false;
    }
    let agree =
        |headers_a: &crate::model::Headers, headers_b: &crate::model::Headers, names: &[&str]| {
            names.iter().all(|name| match (headers_a.get(name), headers_b.get(name)) {
                (Some(value_a), Some(value_b)) => value_a.trim() == value_b.trim(),
                _ => true,
            })
        };
    if !agree(&request_a.headers, &request_b.headers, KEY_REQUEST_HEADERS) {
        return false;
    }
    match (&a.response, &b.response) {
        (Some(response_a), Some(response_b)) => {
            response_a.status == response_b.status
                && agree(&response_a.headers, &response_b.headers, KEY_RESPONSE_HEADERS)
        }
        (None, None) => true,
        _ => false,
    }
}

/// Method, scheme, host, port, path and status: what two copies of an exchange share.
type RequestLine<'a> = (&'a str, &'a str, &'a str, u16, &'a str, Option<u16>);

/// Finds groups of one exchange recorded in several inputs, keeps the best copy of each and
/// returns one note per (dropped input, kept input) pair.
fn drop_duplicates(sorted: &mut Vec<Exchange>, sources: &[SourceInfo]) -> Vec<InputNote> {
    // Exchanges with the same request line and status, in time order (untimed ones never
    // match: nothing says they happened at the same moment).
    let mut groups: HashMap<RequestLine<'_>, Vec<usize>> = HashMap::new();
    for (idx, exchange) in sorted.iter().enumerate() {
        if exchange.timing.request_start.is_none() {
            continue;
        }
        let request = &exchange.request;
        let key = (
            request.method.as_str(),
            request.scheme.as_str(),
            request.host.as_str(),
            request.port,
            request.path.as_str(),
            exchange.response.as_ref().map(|response| response.status),
        );
        groups.entry(key).or_default().push(idx);
    }
    let mut drop = vec![false; sorted.len()];
    let mut matched = vec![false; sorted.len()];
    // (dropped source, kept source) -> count
    let mut merged: HashMap<(usize, usize), usize> = HashMap::new();
    let mut group_list: Vec<Vec<usize>> = groups.into_values().collect();
    group_list.sort_unstable();
    for members in group_list {
        for (pos, &head) in members.iter().enumerate() {
            if matched[head] {
                continue;
            }
            let Some(head_start) = sorted[head].timing.request_start else { continue };
            let mut cluster = vec![head];
            for &candidate in members[pos + 1..].iter().take(MAX_CANDIDATES) {
                let Some(start) = sorted[candidate].timing.request_start else { continue };
                if start - head_start > SAME_TIME {
                    break;
                }
                let candidate_source = sorted[candidate].origin.source;
                if matched[candidate]
                    || cluster
                        .iter()
                        .any(|&member| sorted[member].origin.source == candidate_source)
                    || !same_exchange(&sorted[head], &sorted[candidate])
                {
                    continue;
                }
                cluster.push(candidate);
            }
            if cluster.len() < 2 {
                continue;
            }
            let keep = cluster
                .iter()
                .copied()
                .min_by_key(|&member| source_rank(sources, sorted[member].origin.source))
                .unwrap_or(head);
            for &member in &cluster {
                matched[member] = true;
                if member != keep {
                    drop[member] = true;
                    *merged
                        .entry((sorted[member].origin.source, sorted[keep].origin.source))
                        .or_default() += 1;
                }
            }
        }
    }
    if merged.is_empty() {
        return Vec::new();
    }
    let mut in_source = vec![0usize; sources.len()];
    for exchange in sorted.iter() {
        if let Some(count) = in_source.get_mut(exchange.origin.source) {
            *count += 1;
        }
    }
    let mut pairs: Vec<((usize, usize), usize)> = merged.into_iter().collect();
    pairs.sort_unstable();
    let notes = pairs
        .into_iter()
        .map(|((dropped, kept), count)| {
            let name = |idx: usize| sources.get(idx).map_or("?", |info| info.name.as_str());
            InputNote {
                source: name(dropped).to_owned(),
                message: format!(
                    "{count} of its {} exchanges are also in {} (the same session given twice, or a flow file and \
                     the HAR written from it); each is counted once, from {}",
                    in_source.get(dropped).copied().unwrap_or(0),
                    name(kept),
                    name(kept),
                ),
            }
        })
        .collect();
    let mut idx = 0;
    sorted.retain(|_| {
        let keep = !drop[idx];
        idx += 1;
        keep
    });
    notes
}

#[cfg(test)]
mod tests;
