//! The fuzz harnesses (`regauth_core::fuzzing`, wrapped by the targets in `fuzz/`) run here on
//! ordinary inputs, so the properties they assert are checked by every test run, not only while
//! someone fuzzes:
//!
//! - every input fuzzing found a crash, hang or broken property with, kept minimized in
//!   `tests/data/fuzz/<target>/` and listed with what it found in `tests/data/fuzz/README.md`;
//! - the seeds `cargo xtask fuzz` derives from `samples/` (header values, bodies, tokens, files).

use std::path::{Path, PathBuf};

use regauth_core::fuzzing::{TARGETS, seeds};

fn harness(target: &str) -> fn(&[u8]) {
    TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, harness)| *harness)
        .unwrap_or_else(|| panic!("no fuzz target named {target}"))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    entries_in(dir).into_iter().filter(|path| path.is_file()).collect()
}

fn entries_in(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

#[test]
fn every_regression_input_holds_its_targets_properties() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let readme = std::fs::read_to_string(root.join("README.md"))
        .unwrap_or_else(|err| panic!("tests/data/fuzz/README.md: {err}"));
    for dir in entries_in(&root).into_iter().filter(|path| path.is_dir()) {
        let target = dir.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_owned();
        let run = harness(&target);
        for file in files_in(&dir) {
            let file_name = file.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            assert!(
                readme.contains(&format!("{target}/{file_name}")),
                "tests/data/fuzz/README.md must say what {target}/{file_name} found"
            );
            run(&std::fs::read(&file).unwrap_or_default());
        }
    }
}

#[test]
fn harnesses_hold_on_seeds_from_every_sample() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
    let mut per_target = std::collections::BTreeMap::<&str, usize>::new();
    for file in files_in(&samples) {
        let name = file.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        if !(name.ends_with(".har") || name.ends_with(".flow")) {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap_or_default();
        for (target, seed) in seeds(name, &bytes) {
            // The whole path over every sample is the golden and truth tests' job.
            if target == "pipeline" {
                continue;
            }
            harness(target)(&seed);
            *per_target.entry(target).or_default() += 1;
        }
    }
    for (target, _) in TARGETS {
        if *target == "pipeline" {
            continue;
        }
        assert!(
            per_target.get(target).copied().unwrap_or(0) > 0,
            "no seed for fuzz target {target} in samples/ ({per_target:?})"
        );
    }
}
