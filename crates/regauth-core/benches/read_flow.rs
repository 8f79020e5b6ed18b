//! Throughput of the mitmproxy flow reader on large generated flow files.
//!
//! The files are generated in memory by a small tnetstring writer (`flow_corpus`, the layout
//! of mitmproxy 11's format 21), not committed: one body-heavy (registry blob traffic, ~200 MB)
//! and one header-heavy (many small API exchanges, ~140 MB). Measured: `capture::read` on the
//! bytes already in memory (sniffing, framing, decoding, merging), as the CLI and the web app
//! call it.
//!
//! Run: `cargo bench -p regauth-core --bench read_flow`.

mod flow_corpus;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use regauth_core::capture::{self, Input};

fn read_flow(c: &mut Criterion) {
    // `cargo test --all-targets` runs benches once as a smoke test (no `--bench` argument);
    // a hundredth of the data keeps that quick in a debug build.
    let scale = if std::env::args().any(|arg| arg == "--bench") { 1 } else { 100 };
    let cases = [
        // Blob pulls: 20,000 flows with 8 KiB bodies (~210 MB).
        ("body_heavy", flow_corpus::flow_file(20_000 / scale, 4, 8 * 1024)),
        // API chatter: 30,000 flows with 30 extra headers each way and tiny bodies (~140 MB).
        ("header_heavy", flow_corpus::flow_file(30_000 / scale, 30, 64)),
    ];
    let mut group = c.benchmark_group("read_flow");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (name, file) in cases {
        let bytes = bytes::Bytes::from(file);
        let n_bytes = bytes.len() as u64;
        // Sanity: everything reads, so the figure is for real work.
        let (capture, errors) = capture::read(&[Input::new(name, bytes.clone())]);
        assert!(
            errors.is_empty() && capture.problems.is_empty(),
            "{errors:?} {:?}",
            capture.problems
        );
        assert!(capture.exchanges.len() >= 20_000 / scale);
        group.throughput(Throughput::Bytes(n_bytes));
        group.bench_function(format!("{name} ({} MB)", n_bytes / 1_000_000), |bench| {
            bench.iter(|| capture::read(black_box(&[Input::new(name, bytes.clone())])));
        });
    }
    group.finish();
}

criterion_group!(benches, read_flow);
criterion_main!(benches);
