//! Hostile input: every recorded sample and test capture, truncated and with flipped bytes,
//! goes through reading, analysis and both report layers without panicking.
//!
//! Offsets and positions come from a fixed-seed xorshift, so a failure names a reproducible
//! case. The amount of work is bounded by the number of cases, not by timing.

use std::path::{Path, PathBuf};

use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::capture::{self, Input};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::text::{TextStyle, render};

/// Cases per file and kind (truncation, flips): about 2 200 runs over the ~90 files, which
/// keeps a debug run well under half a minute on two cores (signature checks dominate).
const TRUNCATIONS: usize = 12;
const FLIPS: usize = 12;
/// Files larger than this are cut to their first part before mutation so a debug run stays quick.
const MAX_BYTES: usize = 256 * 1024;

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [root.join("../../samples"), root.join("tests/data")] {
        collect(&dir, &mut files);
    }
    files.retain(|path| {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
        name.ends_with(".har")
            || name.ends_with(".flow")
            || name.ends_with(".har.gz")
            || name.ends_with(".flow.gz")
    });
    files.sort();
    files
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Most cases render masked (the default); every fourth reveals secrets.
fn secrets(case: usize) -> Secrets {
    if case % 4 == 3 { Secrets::Revealed } else { Secrets::Masked }
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

fn run(name: &str, bytes: Vec<u8>, secrets: Secrets) {
    let (capture, _errors) = capture::read(&[Input::new(name, bytes)]);
    let analysis = analyze(&capture, &AnalysisConfig::default());
    {
        let report = AnalysisReport::new(&capture, &analysis, secrets);
        let text = render(&report, &capture, TextStyle { color: true });
        assert!(!text.is_empty(), "{name}: empty report");
        assert!(serde_json::to_string(&report).is_ok(), "{name}: report does not serialise");
    }
}

fn mutate_file(path: &Path, seed: u64) {
    let original = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let file = path.file_name().and_then(|name| name.to_str()).unwrap_or("?").to_owned();
    let mut rng = XorShift(seed ^ 0x9E37_79B9_7F4A_7C15 ^ original.len() as u64);
    let base: Vec<u8> = original[..original.len().min(MAX_BYTES)].to_vec();
    if base.is_empty() {
        return;
    }
    for case in 0..TRUNCATIONS {
        // Half the cuts near the start (headers, first entries), half anywhere.
        let at =
            if case % 2 == 0 { rng.below(base.len().min(4096)) } else { rng.below(base.len()) };
        let name = format!("{file} truncated at {at}");
        run(&name, base[..at].to_vec(), secrets(case));
    }
    for case in 0..FLIPS {
        let mut bytes = base.clone();
        let flips = 1 + case % 4;
        let mut positions = Vec::new();
        for _ in 0..flips {
            let at = rng.below(bytes.len());
            let mask = (rng.next() as u8) | 1;
            bytes[at] ^= mask;
            positions.push((at, mask));
        }
        run(&format!("{file} with bytes flipped at {positions:?}"), bytes, secrets(case));
    }
}

/// Half of the corpus per test, so the two halves run in parallel.
fn mutate_half(half: usize) {
    let files = corpus();
    assert!(files.len() >= 70, "corpus shrank to {} files", files.len());
    for (idx, path) in files.iter().enumerate().filter(|(idx, _)| idx % 2 == half) {
        mutate_file(path, idx as u64 + 1);
    }
}

#[test]
fn mutated_captures_never_panic_even() {
    mutate_half(0);
}

#[test]
fn mutated_captures_never_panic_odd() {
    mutate_half(1);
}

#[test]
fn whole_samples_render_in_both_secret_modes() {
    for path in corpus() {
        let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        for secrets in [Secrets::Masked, Secrets::Revealed] {
            run(&path.display().to_string(), bytes.clone(), secrets);
        }
    }
}
