//! Issue 9, item 1 (peak memory bounded by the input), for the engine's 100,000-session shapes
//! scaled down: a counting global allocator measures the heap while the pipeline of
//! `regauth analyze` runs (read, analyse, then the JSON and text reports written row by row),
//! phase by phase. Allocation sizes do not depend on the machine or its load, so the bounds
//! are exact functional limits, not timings; `examples/hostile_engine.rs` and
//! `docs/hostile-inputs.md` give the resident-memory figures at full size.
//!
//! What is asserted:
//! - writing a report (JSON or text, analysis or exchange list) adds at most a few rows to
//!   the heap, whereas the whole report would add megabytes (also asserted, so the bound means
//!   something);
//! - the analysis, on top of the capture, stays within a multiple of the input, shape by
//!   shape (see [`Bounds::analysis_per_input_byte`] for why not 2 ×), and the whole pipeline
//!   within [`PIPELINE_PER_INPUT_BYTE`].
#![cfg(not(target_arch = "wasm32"))]
// A global allocator implements the unsafe trait `GlobalAlloc`: this test binary only, each
// method forwarding to `System` unchanged and counting bytes in atomics. No crate offers a
// peak counter without a profiler's cost (dhat records a backtrace per allocation), and the
// workspace only denies unsafe code (the core crate forbids it; this is not the core crate).
#![allow(unsafe_code, reason = "a counting global allocator; see the comment above")]

#[path = "hostile_shapes/mod.rs"]
mod hostile_shapes;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::capture::{self, Input};
use regauth_core::report::analysis::{AnalysisReport, Secrets, StreamedReport};
use regauth_core::report::exchanges::StreamedExchangeList;
use regauth_core::report::text::{TextStyle, write_text};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every method calls `System` with the caller's arguments and returns its result
// unchanged; the counting touches only the atomics above.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (the caller upholds `alloc`'s contract).
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            // Counted as the old block and the new one side by side, as a moving realloc is.
            grew(new_size);
            shrank(layout.size());
        }
        new_ptr
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `phase`; returns its result and how far the heap rose above where it started.
fn rise<T>(phase: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let value = phase();
    (value, PEAK.load(Ordering::Relaxed).saturating_sub(before))
}

/// What writing a report may add to the heap besides its largest row: a few small rows and
/// the writers' own buffers.
const ROW_SLACK: usize = 64 << 10;

/// A session row copies its session's exchange numbers twice (by step, and all of them):
/// the largest session's row is that many bytes per exchange of it.
const ROW_BYTES_PER_SESSION_EXCHANGE: usize = 2 * size_of::<usize>();

/// What one shape may cost.
struct Bounds {
    /// The analysis's heap on top of the capture's, per input byte: what was measured (in
    /// the comment at each shape) with a margin of about a sixth, so a regression fails.
    /// Issue 9 asks for the whole pipeline within 2 × the input; the exchange model alone
    /// takes about 1.2–2.3 × (`capture/`), so the analysis is held to what it now costs.
    analysis_per_input_byte: f64,
    /// Whether the report has enough rows (sessions, findings) for a whole report to be
    /// megabytes: only then does "written row by row" mean something to assert.
    many_rows: bool,
}

/// The whole pipeline's peak per input byte, the input's own bytes included. Measured:
/// 2.5 (`redirect_chain`) to 5.4 (`distinct_clocks`) at the sizes below (`tokens_used_once`
/// 5.5 before tokens were decoded on demand) (5.3, 4.2 and 6.1
/// for the first three shapes before the analysis kept indexes instead of copies).
const PIPELINE_PER_INPUT_BYTE: f64 = 6.0;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// A `fmt::Write` that keeps nothing.
struct Discard;

impl std::fmt::Write for Discard {
    fn write_str(&mut self, _: &str) -> std::fmt::Result {
        Ok(())
    }
}

fn check_shape(
    name: &str,
    generate: impl FnOnce() -> Vec<u8>,
    bounds: Bounds,
    failures: &mut Vec<String>,
) {
    let bytes = generate();
    let input = bytes.len();
    let start = LIVE.load(Ordering::Relaxed);
    let ((capture, errors), read) =
        rise(|| capture::read(&[Input::new(format!("{name}.har"), bytes)]));
    assert!(errors.is_empty(), "{name}: {errors:?}");
    let (analysis, analysed) = rise(|| analyze(&capture, &AnalysisConfig::default()));
    assert!(capture.exchanges.len() >= 2000, "{name}");

    let streamed = StreamedReport::new(&capture, &analysis, Secrets::Masked);
    let (json, json_rise) = rise(|| serde_json::to_writer_pretty(std::io::sink(), &streamed));
    json.expect("serialises");
    let (text, text_rise) =
        rise(|| write_text(&mut Discard, &streamed, TextStyle { color: false }));
    text.expect("writes");
    let exchanges = StreamedExchangeList::new(&capture, Secrets::Masked);
    let (list, list_rise) = rise(|| serde_json::to_writer_pretty(std::io::sink(), &exchanges));
    list.expect("serialises");
    let (whole, whole_rise) = rise(|| AnalysisReport::new(&capture, &analysis, Secrets::Masked));
    drop(whole);
    // The input's own bytes count: the core keeps slices of them.
    let pipeline = input + PEAK.load(Ordering::Relaxed).max(start + read + analysed) - start;

    let figures = format!(
        "{name}: input {:.2} MiB; reading +{:.2} MiB, analysis +{:.2} MiB ({:.2} x), JSON +{} KiB, text +{} KiB, exchanges +{} KiB (a whole report: +{:.2} MiB); pipeline {:.2} MiB ({:.2} x)",
        mib(input),
        mib(read),
        mib(analysed),
        analysed as f64 / input as f64,
        json_rise >> 10,
        text_rise >> 10,
        list_rise >> 10,
        mib(whole_rise),
        mib(pipeline),
        pipeline as f64 / input as f64,
    );
    let largest_session =
        analysis.sessions.iter().map(|session| session.exchanges.len()).max().unwrap_or(0);
    let row_bound = ROW_SLACK + ROW_BYTES_PER_SESSION_EXCHANGE * largest_session;
    for (what, rose) in [
        ("the JSON report", json_rise),
        ("the text report", text_rise),
        ("the exchange list", list_rise),
    ] {
        if rose > row_bound {
            failures.push(format!("{what} held more than a few rows: {figures}"));
        }
    }
    if bounds.many_rows && whole_rise < 8 * row_bound {
        failures.push(format!("the whole report is too small to tell streaming apart: {figures}"));
    }
    let analysis_bound = bounds.analysis_per_input_byte;
    if analysed as f64 > analysis_bound * input as f64 {
        failures.push(format!("the analysis is over {analysis_bound} x the input: {figures}"));
    }
    if pipeline as f64 > PIPELINE_PER_INPUT_BYTE * input as f64 {
        failures
            .push(format!("the pipeline is over {PIPELINE_PER_INPUT_BYTE} x the input: {figures}"));
    }
}

/// Writes one shape's input.
type Generator = fn() -> Vec<u8>;

fn bound(analysis_per_input_byte: f64, many_rows: bool) -> Bounds {
    Bounds { analysis_per_input_byte, many_rows }
}

/// One test, its shapes in turn: the counters are process-wide, so nothing may run beside it.
#[test]
fn r9_reports_are_written_row_by_row_and_the_analysis_stays_within_a_multiple_of_the_input() {
    let mut failures = Vec::new();
    let shapes: [(&str, Generator, Bounds); 7] = [
        // Measured 0.82 (a session, a challenge and a finding per 800-byte exchange; 0.94
        // while the challenges and every exchange's object lived through the findings, 1.35
        // with a map per realm and each challenge's scopes kept, 1.44 while each exchange's
        // object was kept to the end, 1.86 while each session kept six step lists and its own
        // copy of its names, 2.8 before the challenges, verdicts and findings were kept
        // compactly).
        ("separate-401s", || hostile_shapes::separate_challenges(2000), bound(0.92, true)),
        // Measured 0.73 (0.80 with a heap list per session, step list and finding, 1.05 with
        // the objects kept and unshared small text, 1.31 with six step lists per session, 2.0
        // before).
        ("refused-sessions", || hostile_shapes::refused_sessions(2000), bound(0.78, true)),
        // Measured 0.56: a token's record per 900-byte response, its text shared with the
        // input and the alike requests parsed once (0.76 while token answers kept their
        // decoded text, 1.09 with a copy of the text, 2.46 while each token was kept decoded
        // and each request parsed apart, 3.4 before that).
        ("tokens-used-once", || hostile_shapes::tokens_used_once(1000), bound(0.68, true)),
        // Measured 0.96: a session and a clock per 500-byte exchange (1.17 with heap lists of
        // one exchange and 16-byte names, 1.62 with two lists of observations per clock and
        // each exchange's object kept, 1.83 with six step lists per session and two copies of
        // each clock's host).
        ("distinct-clocks", || hostile_shapes::distinct_clocks(2000), bound(1.1, true)),
        // Measured 0.28: the refusals are one finding as they are made, and each challenge
        // and request shares the names it repeats (0.36 while the challenges lived through
        // the findings, 0.41 with 16-byte names, 0.45 before that, 0.56 with a copy each).
        ("refused-token", || hostile_shapes::refused_token(2000), bound(0.33, false)),
        // Measured 0.34: token requests that read alike share one parsed value (1.41 with a
        // parsed token request per exchange).
        ("oauth-fallbacks", || hostile_shapes::oauth_fallbacks(2000), bound(0.4, false)),
        // Measured 0.22 (0.24 before the last pass).
        ("redirect-chain", || hostile_shapes::redirect_chain(2000), bound(0.3, false)),
    ];
    for (name, generate, bounds) in shapes {
        check_shape(name, generate, bounds, &mut failures);
    }
    check_decoded_bodies_are_not_kept(&mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Compressed token answers are decompressed to be read, not kept: what the analysis holds
/// when it is done is its results, not the decoded bodies (issue 9: 2,000 gzip answers of
/// 1 MiB each held the whole decoding budget, 89 MiB for a 6.3 MiB input, to the end).
fn check_decoded_bodies_are_not_kept(failures: &mut Vec<String>) {
    const ANSWERS: usize = 40;
    const INFLATED: usize = 1 << 20;
    let bytes = hostile_shapes::encoded_token_responses(ANSWERS, INFLATED);
    let input = bytes.len();
    let (capture, errors) = capture::read(&[Input::new("encoded-token-responses.har", bytes)]);
    assert!(errors.is_empty(), "{errors:?}");
    let before = LIVE.load(Ordering::Relaxed);
    let (analysis, peak_rise) = rise(|| analyze(&capture, &AnalysisConfig::default()));
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    // Every answer was decoded and read: 40 MiB decompressed in all.
    assert_eq!(analysis.tokens.len(), ANSWERS, "every answer's token read");
    let figures = format!(
        "encoded-token-responses: input {:.2} MiB, analysis peak +{:.2} MiB, held after it +{:.2} MiB",
        mib(input),
        mib(peak_rise),
        mib(held),
    );
    // Measured 0.04 MiB held and a 4 MiB peak (one answer decoded at a time, its buffer
    // grown as it inflates); 80 MiB held and an 82 MiB peak while each body kept its copy.
    if held > input.max(1 << 20) || peak_rise > 8 * INFLATED {
        failures.push(format!("decoded bodies were kept: {figures}"));
    }
}
