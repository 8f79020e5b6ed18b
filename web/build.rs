//! Compresses the bundled samples (`src/samples.rs`) into `OUT_DIR` so the worker's wasm carries
//! ≈45 KiB of deflate instead of ≈230 KiB of raw recordings; the worker inflates one when it
//! is opened. The files in `samples/` stay the only source: nothing compressed is committed.
//! Also writes `bundled.rs`, the table of names and deflated bytes `samples::bytes` looks in.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::DeflateEncoder;

/// Every sample `src/samples.rs` bundles (its `GALLERY`, checked by a unit test there).
const BUNDLED: &[&str] = &[
    "pull-success.flow",
    "wrong-password.har",
    "clock-ahead.flow",
    "push-insufficient-scope.flow",
    "token-expired-mid-push-recovered.flow",
    "basic-plain-http.har",
];

fn main() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let mut table = String::from("&[\n");
    for name in BUNDLED {
        let source = samples.join(name);
        println!("cargo::rerun-if-changed={}", source.display());
        let raw = std::fs::read(&source)
            .unwrap_or_else(|error| panic!("reading {}: {error}", source.display()));
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&raw).expect("deflating into memory cannot fail");
        let deflated = encoder.finish().expect("deflating into memory cannot fail");
        let target = Path::new(&out_dir).join(format!("{name}.deflate"));
        std::fs::write(&target, deflated)
            .unwrap_or_else(|error| panic!("writing {}: {error}", target.display()));
        table.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", target.display()));
    }
    table.push(']');
    let table_path = Path::new(&out_dir).join("bundled.rs");
    std::fs::write(&table_path, table)
        .unwrap_or_else(|error| panic!("writing {}: {error}", table_path.display()));
}
