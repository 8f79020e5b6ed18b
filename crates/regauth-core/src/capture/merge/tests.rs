use chrono::DateTime;
use proptest::prelude::*;

use super::*;
use crate::capture::Compression;
use crate::model::{EntryRef, Headers, Request, Response, Timing};

fn source(name: &str, format: Format) -> SourceInfo {
    SourceInfo {
        name: name.to_owned(),
        format,
        compression: Compression::None,
        producer: None,
        size: 0,
    }
}

// hand-written fixture: an exchange with just what the merge looks at
fn exchange(source: usize, index: usize, start_ms: Option<i64>, path: &str) -> Exchange {
    Exchange {
        index,
        origin: EntryRef { source, index, byte_offset: None },
        request: Request {
            method: "GET".into(),
            scheme: "https".into(),
            host: "registry.example".into(),
            port: 443,
            path: path.to_owned(),
            http_version: "HTTP/1.1".into(),
            headers: Headers::default(),
            body: Default::default(),
        },
        response: Some(Response {
            status: 200,
            reason: Default::default(),
            http_version: Default::default(),
            headers: Headers::default(),
            body: Default::default(),
        }),
        timing: Timing {
            request_start: start_ms.and_then(DateTime::from_timestamp_millis),
            response_end: None,
        },
        server_address: None,
        client_address: None,
        tls: None,
        error: None,
        connection: None,
    }
}

fn origins(exchanges: &[Exchange]) -> Vec<(usize, usize)> {
    exchanges.iter().map(|exchange| (exchange.origin.source, exchange.origin.index)).collect()
}

proptest! {
    /// Any mix of timed and untimed exchanges from several sources: the order is total (no
    /// panic, the same whatever order the exchanges come in), timed exchanges are in time
    /// order, and a source whose own times are in order keeps its order exactly.
    #[test]
    fn merge_order_is_total_and_keeps_each_source_in_place(
        sources in prop::collection::vec(prop::collection::vec(prop::option::weighted(0.7, 0i64..20), 0..25), 1..4),
        rotation in 0usize..100,
    ) {
        let infos: Vec<SourceInfo> =
            (0..sources.len()).map(|idx| source(&format!("s{idx}"), Format::Har)).collect();
        let mut exchanges = Vec::new();
        for (source_idx, starts) in sources.iter().enumerate() {
            for (index, start) in starts.iter().enumerate() {
                // Distinct paths: nothing here is a duplicate of anything else.
                exchanges.push(exchange(source_idx, index, *start, &format!("/{source_idx}/{index}")));
            }
        }
        let n = exchanges.len();
        let (merged, notes) = merge(exchanges.clone(), &infos);
        prop_assert!(notes.is_empty());
        prop_assert_eq!(merged.len(), n);
        let mut seen = origins(&merged);
        seen.sort_unstable();
        seen.dedup();
        prop_assert_eq!(seen.len(), n, "every exchange exactly once");
        for (position, exchange) in merged.iter().enumerate() {
            prop_assert_eq!(exchange.index, position);
        }
        let times: Vec<_> = merged.iter().filter_map(|exchange| exchange.timing.request_start).collect();
        prop_assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "timed exchanges in time order");
        for (source_idx, starts) in sources.iter().enumerate() {
            let timed: Vec<i64> = starts.iter().flatten().copied().collect();
            if timed.windows(2).all(|pair| pair[0] <= pair[1]) {
                let order: Vec<usize> = merged
                    .iter()
                    .filter(|exchange| exchange.origin.source == source_idx)
                    .map(|exchange| exchange.origin.index)
                    .collect();
                prop_assert_eq!(order, (0..starts.len()).collect::<Vec<_>>(), "source {} reordered", source_idx);
            }
        }
        // The same exchanges in another order merge to the same timeline.
        let mut rotated = exchanges;
        if n > 0 {
            rotated.rotate_left(rotation % n);
        }
        let (again, _) = merge(rotated, &infos);
        prop_assert_eq!(origins(&again), origins(&merged));
    }
}

#[test]
fn an_untimed_exchange_stays_after_the_timed_one_before_it() {
    let infos = [source("a", Format::Har), source("b", Format::Har)];
    let exchanges = vec![
        exchange(0, 0, Some(10), "/a0"),
        exchange(0, 1, None, "/a1"),
        exchange(0, 2, Some(30), "/a2"),
        exchange(1, 0, None, "/b0"),
        exchange(1, 1, Some(20), "/b1"),
    ];
    let (merged, _) = merge(exchanges, &infos);
    assert_eq!(origins(&merged), [(1, 0), (0, 0), (0, 1), (1, 1), (0, 2)]);
}

#[test]
fn the_same_exchange_in_two_inputs_is_kept_once_from_the_flow() {
    let infos = [source("session.har", Format::Har), source("session.flow", Format::MitmproxyFlow)];
    let mut from_har = exchange(0, 0, Some(1000), "/v2/");
    from_har.request.headers.push("Authorization", "Bearer abc");
    let mut from_flow = exchange(1, 0, Some(1001), "/v2/");
    from_flow.request.headers.push("Authorization", "Bearer abc");
    from_flow.tls = Some(std::sync::Arc::default());
    let other = exchange(0, 1, Some(5000), "/v2/other");
    let (merged, notes) = merge(vec![from_har, other, from_flow], &infos);
    assert_eq!(origins(&merged), [(1, 0), (0, 1)]);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].source, "session.har");
    assert!(
        notes[0].message.starts_with("1 of its 2 exchanges are also in session.flow"),
        "{}",
        notes[0]
    );
}

#[test]
fn look_alikes_that_differ_are_both_kept() {
    let infos = [source("a.har", Format::Har), source("b.har", Format::Har)];
    let mut first = exchange(0, 0, Some(1000), "/token");
    first.request.headers.push("Authorization", "Basic YTpi");
    let mut other_credentials = exchange(1, 0, Some(1000), "/token");
    other_credentials.request.headers.push("Authorization", "Basic Yzpk");
    let later = exchange(1, 1, Some(1010), "/v2/");
    let earlier = exchange(0, 1, Some(1000), "/v2/");
    let (merged, notes) = merge(vec![first, other_credentials, later, earlier], &infos);
    assert_eq!(merged.len(), 4, "different credentials, or 10 ms apart: not the same exchange");
    assert!(notes.is_empty());
}

#[test]
fn one_session_given_three_times_is_counted_once() {
    let infos =
        [source("a.har", Format::Har), source("b.har", Format::Har), source("c.har", Format::Har)];
    let exchanges: Vec<Exchange> = (0..3)
        .flat_map(|source_idx| {
            (0..4).map(move |index| exchange(source_idx, index, Some(index as i64 * 100), "/v2/x"))
        })
        .collect();
    let (merged, notes) = merge(exchanges, &infos);
    assert_eq!(origins(&merged), [(0, 0), (0, 1), (0, 2), (0, 3)]);
    assert_eq!(notes.len(), 2);
    assert!(
        notes.iter().all(|note| note.message.starts_with("4 of its 4 exchanges are also in a.har"))
    );
}

proptest! {
    /// `permute` puts at each position what the order names, for any permutation.
    #[test]
    fn permute_places_each_item_where_the_order_says(keys in prop::collection::vec(0u8..8, 0..60)) {
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by_key(|&idx| keys[idx]);
        let expected: Vec<usize> = order.clone();
        let mut items: Vec<usize> = (0..keys.len()).collect();
        permute(&mut items, order);
        prop_assert_eq!(items, expected);
    }
}
