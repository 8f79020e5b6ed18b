//! Redaction throughput: `redact::redact` on bytes already in memory (both passes, the
//! rewrite and the final leak check), as the CLI and the web app call it.
//!
//!   cargo bench -p regauth-core --bench redact
//!
//! Inputs: a recorded docker login/pull/push flow file (both legs; 38 values masked per
//! copy, 7 distinct secrets) repeated into one ~18 MB flow file, and the generated body-heavy
//! and header-heavy HARs of `har_corpus` (the latter with a distinct token in every entry).

#[path = "har_corpus/mod.rs"]
mod har_corpus;

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use regauth_core::redact::{RedactConfig, redact};

fn redact_bench(c: &mut Criterion) {
    // `cargo test --all-targets` runs each benchmark once in a debug build: small inputs then.
    let full_size = std::env::args().any(|arg| arg == "--bench");
    let (n_copies, body_bytes, n_entries) =
        if full_size { (100, 50_000_000, 10_000) } else { (2, 1_000_000, 200) };
    let sample = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../samples/docker-login-pull-push.flow"),
    )
    .expect("sample flow file");
    let inputs = [
        ("flow_auth_heavy", sample.repeat(n_copies)),
        ("har_body_heavy", har_corpus::body_heavy(body_bytes)),
        ("har_header_heavy", har_corpus::header_heavy(n_entries)),
    ];
    for (name, bytes) in &inputs {
        let mut group = c.benchmark_group("redact");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5))
            .throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(*name, |bencher| {
            bencher.iter(|| redact(bytes, &RedactConfig::default()).expect("redacts"));
        });
        group.finish();
    }
}

criterion_group!(benches, redact_bench);
criterion_main!(benches);
