//! Hostile inputs from issue 9, generated at sizes a CI run affords: every limit is reached,
//! keeps what was read before it, and says which limit it was and how to raise it. The
//! full-size reproductions (14 MB bombs, a million entries, 2,000 brotli streams) with their
//! times and peak memory are `examples/hostile_inputs.rs`.

use std::io::Write as _;

use regauth_core::capture::{self, CaptureError, Input, ReadLimits};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A gzip stream inflating to `n_mib` MiB of `fill` after `head`: gzip members concatenated
/// (as `cat a.gz b.gz` makes), so a large bomb costs one small compression.
fn bomb(head: &[u8], fill: u8, n_mib: usize) -> Vec<u8> {
    let mut out = gzip(head);
    let member = gzip(&vec![fill; 1 << 20]);
    for _ in 0..n_mib {
        out.extend_from_slice(&member);
    }
    out
}

const ONE_ENTRY: &str = r#"{"log":{"entries":[{"startedDateTime":"2024-05-01T10:00:00Z","request":{"method":"GET","url":"https://r.example/v2/","headers":[]},"response":{"status":401,"headers":[]}},"#;

#[test]
fn r9_a_gzip_bomb_of_zeros_is_refused_after_its_first_kilobytes() {
    let input = bomb(b"", 0, 200);
    assert!(input.len() < 1 << 20);
    let (capture, errors) = capture::read(&[Input::new("zeros.har.gz", input)]);
    assert!(capture.exchanges.is_empty());
    match &errors[..] {
        [CaptureError::UnknownFormat { found, .. }] => {
            assert_eq!(found, "starts with binary data, not JSON or a flow file")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn r9_a_gzip_bomb_behind_a_har_entry_stops_at_the_inflate_limit() {
    // 70 MiB of spaces from ~70 KiB: past the 64 MiB floor and far past 32x the input.
    let input = bomb(ONE_ENTRY.as_bytes(), b' ', 70);
    let (capture, errors) = capture::read(&[Input::new("bomb.har.gz", input.clone())]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(capture.exchanges.len(), 1, "the entry before the bomb is kept");
    let first = &capture.problems[0];
    assert!(first.message.contains("stopped inflating at 67108864 bytes"), "{first}");
    assert!(first.message.contains("--max-inflate-ratio"), "{first}");
    assert!(first.location.byte_offset.is_some());
    // Raised, the whole stream inflates (and the HAR is then cut where the bomb ends).
    let raised = ReadLimits { max_inflate_ratio: 10_000, ..ReadLimits::DEFAULT };
    let (capture, _) = capture::read_with(&[Input::new("bomb.har.gz", input.clone())], &raised);
    assert!(capture.problems.iter().all(|problem| !problem.message.contains("stopped inflating")));
    // The size limit has its own message and flag.
    let small = ReadLimits { max_input_bytes: 1 << 20, ..ReadLimits::DEFAULT };
    let (capture, _) = capture::read_with(&[Input::new("bomb.har.gz", input)], &small);
    assert!(capture.problems[0].message.contains("--max-input-size"), "{:?}", capture.problems);
    let plain = vec![b' '; 2 << 20];
    let (_, errors) = capture::read_with(&[Input::new("big.har", plain)], &small);
    assert!(matches!(&errors[..], [CaptureError::TooLarge { limit: 1048576, .. }]), "{errors:?}");
    assert!(errors[0].to_string().contains("--max-input-size"));
}

#[test]
fn r9_a_cut_gzip_stream_keeps_what_inflated_before_the_cut() {
    let har = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/pull-success.har"))
        .unwrap();
    let (whole, _) = capture::read(&[Input::new("whole.har", har.clone())]);
    let compressed = gzip(&har);
    let cut = &compressed[..compressed.len() * 6 / 10];
    let (capture, errors) = capture::read(&[Input::new("cut.har.gz", cut.to_vec())]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!capture.exchanges.is_empty() && capture.exchanges.len() < whole.exchanges.len());
    let gzip_problem = &capture.problems[0];
    assert!(gzip_problem.message.contains("Gzip stream is cut short"), "{gzip_problem}");
    assert!(gzip_problem.location.byte_offset.is_some_and(|offset| offset <= cut.len() as u64));
    assert!(capture.problems.iter().any(|problem| problem.message.contains("cut short; the")));
}

#[test]
fn r9_many_tiny_entries_stop_at_the_memory_limit() {
    let entry = r#"{"request":{"method":"GET","url":"http://a/"}}"#;
    let n_entries = 150_000;
    let mut har = String::from(r#"{"log":{"entries":["#);
    for idx in 0..n_entries {
        if idx > 0 {
            har.push(',');
        }
        har.push_str(entry);
    }
    har.push_str("]}}");
    let no_ratio = ReadLimits { max_exchange_memory_ratio: 0, ..ReadLimits::DEFAULT };
    let (capture, errors) = capture::read_with(&[Input::new("tiny.har", har.clone())], &no_ratio);
    assert!(errors.is_empty());
    let n_read = capture.exchanges.len();
    assert!(n_read > 10_000 && n_read < n_entries, "{n_read}");
    let stop = capture.problems.iter().find(|problem| problem.message.contains("stopped reading"));
    let stop = stop.expect("a problem names the limit");
    assert!(stop.message.contains("--max-memory-ratio") && stop.location.entry.is_some(), "{stop}");
    let rest = format!("{} entries after that were not read", n_entries - n_read);
    assert!(
        capture.problems.iter().any(|problem| problem.message == rest),
        "{:?}",
        capture.problems
    );
    // On two threads (the second reading ahead from the middle, 3.5 MB on), it stops at the
    // same entry with the same problems; the calling thread drops what the other read past
    // the limit as it goes, one entry at a time (this once went quadratic).
    let on_two = ReadLimits { max_threads: 2, ..no_ratio };
    let (on_two, _) = capture::read_with(&[Input::new("tiny.har", har.clone())], &on_two);
    assert_eq!(on_two.exchanges.len(), n_read);
    assert_eq!(on_two.problems, capture.problems);
    // Raised, it reads them all.
    let raised = ReadLimits { max_exchange_memory_ratio: 100, ..ReadLimits::DEFAULT };
    let (capture, _) = capture::read_with(&[Input::new("tiny.har", har)], &raised);
    assert_eq!(capture.exchanges.len(), n_entries);
}

#[test]
fn r9_a_huge_count_of_broken_entries_gives_a_bounded_list_of_problems() {
    let har = format!(r#"{{"log":{{"entries":[{}{{}}]}}}}"#, "{},".repeat(300_000));
    let (capture, errors) = capture::read(&[Input::new("empty-entries.har", har)]);
    assert!(matches!(&errors[..], [CaptureError::NoExchanges { .. }]), "{errors:?}");
    assert!(capture.problems.len() <= 1001, "{}", capture.problems.len());
    assert_eq!(capture.problems.last().unwrap().message, "299001 more problems not listed");
}

#[test]
fn r9_a_flow_cut_after_100_bytes_yields_no_exchange() {
    let flow =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/pull-success.flow"))
            .unwrap();
    let (capture, errors) = capture::read(&[Input::new("cut.flow", flow[..100].to_vec())]);
    assert!(capture.exchanges.is_empty());
    let [CaptureError::NoExchanges { why, .. }] = &errors[..] else { panic!("{errors:?}") };
    assert!(why.contains("(byte ") && why.contains("copied whole"), "{why}");
}

#[test]
fn r9_errors_describe_input_and_never_quote_it() {
    let (_, errors) = capture::read(&[Input::new("creds.txt", "alice:S3cretPass\n")]);
    let message = errors[0].to_string();
    assert!(message.contains("starts with printable text, not JSON or a flow file"), "{message}");
    assert!(!message.contains("S3cret"), "{message}");
    let har = r#"{"log":{"entries":[{"request":{"method":"GET","url":"https://alice:S3cret@[::1/v2/"}},{"request":{"method":"GET","url":5}}]}}"#;
    let (capture, _) = capture::read(&[Input::new("userinfo.har", har)]);
    let text: Vec<String> = capture.problems.iter().map(ToString::to_string).collect();
    assert!(text.iter().all(|line| !line.contains("S3cret")), "{text:?}");
    assert!(
        text.iter().any(|line| line.contains("entries[1].request.url: expected a string, found 5")),
        "{text:?}"
    );
}
