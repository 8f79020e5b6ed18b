//! HAR reading throughput: regauth's reader against the `har` crate on the same bytes.
//!
//!   cargo bench -p regauth-core --bench read_har
//!
//! Inputs are generated in memory (`har_corpus`): a ≥ 200 MB body-heavy HAR (a few hundred
//! entries with 0.5–3 MB bodies, 3/4 base64, 1/8 text, 1/8 JSON) and a header-heavy one
//! (44 000 entries, 30 headers each, small JSON bodies). Sample sizes are small so the whole
//! run takes a few minutes on two cores.

mod har_corpus;

use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use regauth_core::capture::{self, Input};

fn read_har(c: &mut Criterion) {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` (CI) runs each benchmark
    // once in a debug build, where small inputs prove the same code paths in seconds.
    let full_size = std::env::args().any(|arg| arg == "--bench");
    let (body_bytes, n_entries) = if full_size { (200_000_000, 44_000) } else { (2_000_000, 400) };
    let inputs = [
        ("body_heavy", Bytes::from(har_corpus::body_heavy(body_bytes))),
        ("header_heavy", Bytes::from(har_corpus::header_heavy(n_entries))),
    ];
    for (name, bytes) in &inputs {
        let mut group = c.benchmark_group(*name);
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5))
            .throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("regauth", |bencher| {
            bencher.iter(|| {
                let (capture, errors) = capture::read(&[Input::new("bench.har", bytes.clone())]);
                assert!(errors.is_empty() && !capture.exchanges.is_empty());
                capture
            });
        });
        // The oracle must really parse these bytes, or its figure would mean nothing.
        assert!(har::from_slice(bytes).is_ok(), "the har crate rejects the {name} input");
        group.bench_function("har_crate", |bencher| {
            bencher.iter(|| har::from_slice(bytes).map_err(|err| err.to_string()));
        });
        group.finish();
    }
}

criterion_group!(benches, read_har);
criterion_main!(benches);
