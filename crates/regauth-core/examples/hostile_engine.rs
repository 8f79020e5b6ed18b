//! Issue 9's hostile captures for the engine, at full size: each generated in memory by the
//! parent, written to a temporary file, and run by a child process of its own through the
//! whole pipeline `regauth analyze` runs (read, analyse, JSON report, text report, each
//! written row by row as the CLI writes them), so the child's peak memory is the pipeline's
//! plus the input it holds, as for the CLI.
//!
//!   cargo run --release -p regauth-core --example hostile_engine [--scale F] [CASE...]
//!
//! `--write DIR` only writes the inputs of the cases to DIR (named `CASE.har`, `CASE.flow`),
//! for running the release `regauth` on them (`/usr/bin/time -v regauth analyze DIR/CASE.har`).
//! `--timeout S` stops a case after S seconds (default 600). `--scale 0.1` runs every case at
//! a tenth of its size (for `valgrind --tool=callgrind`, whose instruction counts do not depend
//! on the machine's load). Peak memory is reported whole and as it stood after reading, so
//! the readers' share and the analysis and reports' share can be told apart. The same shapes run at
//! CI sizes, checked for their results, in `tests/hostile_engine.rs`.
#![expect(clippy::print_stdout, reason = "an example reports to its terminal")]
#![allow(clippy::disallowed_methods, reason = "an example may read files, /proc and the clock")]

#[path = "../tests/hostile_shapes/mod.rs"]
mod hostile_shapes;

use std::io::Write;
use std::time::Instant;

use hostile_shapes::ChallengeFill;
use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::capture::{self, Input};
use regauth_core::report::analysis::{Secrets, StreamedReport};
use regauth_core::report::text::{TextStyle, write_text};
use regauth_core::report::token::TokenReport;

/// Every case: its name and its input at `scale` (1.0: the size).
const CASES: &[(&str, &str)] = &[
    ("realms-one-response", "100k Bearer challenges with distinct realms in one 401"),
    ("separate-401s", "1e5 401s, each with its own realm and repository"),
    ("huge-challenge-params", "a 100 MB WWW-Authenticate of `a=b` parameters"),
    ("huge-challenge-schemes", "a 20 MB WWW-Authenticate of `x` challenges"),
    ("huge-challenge-problems", "a 20 MB WWW-Authenticate of `=` elements (problems)"),
    ("encoded-token-responses", "2,000 gzip token responses inflating to 1 MiB each"),
    ("brotli-engine", "2,000 brotli Docker Engine push streams of 4 MiB each (flow)"),
    ("refused-sessions", "1e5 repositories, each push refused: 1e5 failed sessions"),
    ("tokens-used-once", "1e5 tokens without challenge, half used once in reverse order"),
    ("big-jwt", "a token response with a 10 MB JWT, and its use"),
    ("token-access-entries", "`regauth token` on a JWT with 1e5 access entries"),
    ("many-scopes", "1e5 scopes challenged, 1e5 asked, 1,000 insufficient_scope refusals"),
    ("redirect-chain", "a blob download redirected 1e5 times with Authorization"),
    ("distinct-clocks", "1e5 registries whose Date is an hour off"),
    ("refused-token", "one expired token refused 1e5 times"),
    ("oauth-fallbacks", "1e5 OAuth2 POSTs refused with 400, then the GET fallback"),
];

fn scaled(full: usize, scale: f64) -> usize {
    ((full as f64 * scale) as usize).max(1)
}

/// The input of `case` (name, bytes), or the token text for `token-access-entries`.
fn generate(case: &str, scale: f64) -> (String, Vec<u8>) {
    let n = |full: usize| scaled(full, scale);
    let har = |bytes: Vec<u8>| (format!("{case}.har"), bytes);
    match case {
        "realms-one-response" => har(hostile_shapes::realms_in_one_response(n(100_000))),
        "separate-401s" => har(hostile_shapes::separate_challenges(n(100_000))),
        "huge-challenge-params" => {
            har(hostile_shapes::huge_challenge(n(100_000_000), ChallengeFill::Params))
        }
        "huge-challenge-schemes" => {
            har(hostile_shapes::huge_challenge(n(20_000_000), ChallengeFill::Schemes))
        }
        "huge-challenge-problems" => {
            har(hostile_shapes::huge_challenge(n(20_000_000), ChallengeFill::Problems))
        }
        "encoded-token-responses" => har(hostile_shapes::encoded_token_responses(n(2000), 1 << 20)),
        "brotli-engine" => {
            (format!("{case}.flow"), hostile_shapes::brotli_engine_answers(n(2000), 4 << 20))
        }
        "refused-sessions" => har(hostile_shapes::refused_sessions(n(100_000))),
        "tokens-used-once" => har(hostile_shapes::tokens_used_once(n(50_000))),
        "big-jwt" => har(hostile_shapes::big_jwt(n(10_000_000))),
        "token-access-entries" => (
            format!("{case}.jwt"),
            hostile_shapes::token_with_access_entries(n(100_000)).into_bytes(),
        ),
        "many-scopes" => har(hostile_shapes::many_scopes(n(100_000), n(1000))),
        "redirect-chain" => har(hostile_shapes::redirect_chain(n(100_000))),
        "distinct-clocks" => har(hostile_shapes::distinct_clocks(n(100_000))),
        "refused-token" => har(hostile_shapes::refused_token(n(100_000))),
        "oauth-fallbacks" => har(hostile_shapes::oauth_fallbacks(n(100_000))),
        other => panic!("unknown case {other}"),
    }
}

/// Peak resident memory of this process so far, MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kib as f64 / 1024.0
}

/// User + system CPU time of this process so far, seconds (less load-dependent than wall time).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; clock
    // ticks of 1/100 s on Linux.
    let ticks = |at: usize| fields.get(at).and_then(|field| field.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// Counts what a writer is given, keeping nothing.
struct Counter(usize);

impl std::fmt::Write for Counter {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0 += text.len();
        Ok(())
    }
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn child(case: &str, path: &str) {
    let input = std::fs::read(path).unwrap();
    let input_mib = input.len() as f64 / f64::from(1 << 20);
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    if case == "token-access-entries" {
        let text = String::from_utf8(input).unwrap();
        let report = TokenReport::new(&text, &[], Secrets::Masked);
        let mut json = Counter(0);
        serde_json::to_writer_pretty(&mut json, &report).unwrap();
        let rendered = report.render_text();
        println!(
            "{case}: {input_mib:.1} MiB token; decoded and rendered (JSON {:.1} MiB, text {:.1} MiB) in {:.2} s wall, {:.2} s CPU; peak memory {:.0} MiB",
            json.0 as f64 / f64::from(1 << 20),
            rendered.len() as f64 / f64::from(1 << 20),
            started.elapsed().as_secs_f64(),
            cpu_seconds() - cpu_before,
            peak_rss_mib()
        );
        return;
    }
    let (capture, errors) = capture::read(&[Input::new(path.rsplit('/').next().unwrap(), input)]);
    let read_s = started.elapsed().as_secs_f64();
    let peak_after_read = peak_rss_mib();
    let analysis = analyze(&capture, &AnalysisConfig::default());
    let analyze_s = started.elapsed().as_secs_f64() - read_s;
    // As `regauth analyze` writes them: row by row, never the whole report in memory.
    let report = StreamedReport::new(&capture, &analysis, Secrets::Masked);
    let mut json = Counter(0);
    serde_json::to_writer_pretty(&mut json, &report).unwrap();
    let mut text = Counter(0);
    write_text(&mut text, &report, TextStyle { color: false }).unwrap();
    let total_s = started.elapsed().as_secs_f64();
    let report_s = total_s - read_s - analyze_s;
    println!(
        "{case}: {input_mib:.1} MiB, {} exchanges, {} errors, {} problems -> {} sessions, {} findings, {} tokens, {} clocks; JSON {:.1} MiB, text {:.1} MiB",
        capture.exchanges.len(),
        errors.len(),
        capture.problems.len(),
        analysis.sessions.len(),
        analysis.findings.len(),
        analysis.tokens.len(),
        analysis.clocks.len(),
        json.0 as f64 / f64::from(1 << 20),
        text.0 as f64 / f64::from(1 << 20),
    );
    let peak = peak_rss_mib();
    println!(
        "    {total_s:.2} s wall (read {read_s:.2}, analyse {analyze_s:.2}, reports {report_s:.2}), {:.2} s CPU; peak memory {peak:.0} MiB ({:.1}x the input; {peak_after_read:.0} MiB after reading)",
        cpu_seconds() - cpu_before,
        peak / input_mib.max(f64::MIN_POSITIVE),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, case, path] = args.as_slice()
        && flag == "--child"
    {
        child(case, path);
        return;
    }
    let mut scale = 1.0;
    let mut timeout_s = 600.0;
    let mut write_to: Option<std::path::PathBuf> = None;
    let mut wanted = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--scale" => scale = rest.next().and_then(|value| value.parse().ok()).unwrap_or(1.0),
            "--timeout" => {
                timeout_s = rest.next().and_then(|value| value.parse().ok()).unwrap_or(600.0);
            }
            "--write" => write_to = rest.next().map(std::path::PathBuf::from),
            "--list" => {
                for (case, what) in CASES {
                    println!("{case:<26} {what}");
                }
                return;
            }
            case => wanted.push(case.to_owned()),
        }
    }
    if wanted.is_empty() {
        wanted = CASES.iter().map(|(case, _)| (*case).to_owned()).collect();
    }
    if let Some(dir) = write_to {
        // Only the inputs, for running the release `regauth` on them under `/usr/bin/time -v`.
        std::fs::create_dir_all(&dir).unwrap();
        for case in wanted {
            let (name, bytes) = generate(&case, scale);
            let path = dir.join(&name);
            std::fs::write(&path, &bytes).unwrap();
            println!("{}: {:.1} MiB", path.display(), bytes.len() as f64 / f64::from(1 << 20));
        }
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let uptime = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "scale {scale}; load average at start: {}",
        uptime.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    for case in wanted {
        let (name, bytes) = generate(&case, scale);
        let path =
            std::env::temp_dir().join(format!("regauth-hostile-{}-{name}", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        drop(bytes);
        let started = Instant::now();
        let mut running = std::process::Command::new(&exe)
            .args(["--child", &case, path.to_str().unwrap()])
            .spawn()
            .unwrap();
        let status = loop {
            if let Some(status) = running.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed().as_secs_f64() > timeout_s {
                let _ = running.kill();
                let _ = running.wait();
                println!("{case}: stopped after {timeout_s:.0} s (--timeout)");
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let _ = std::fs::remove_file(&path);
        let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!(
            "    load average after: {}{}",
            loadavg.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
            match status {
                Some(status) if !status.success() => format!("; child failed: {status}"),
                _ => String::new(),
            }
        );
    }
}
