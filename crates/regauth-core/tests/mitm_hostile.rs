//! Damaged flow files: every committed generated flow file and every recorded sample under
//! `samples/` (when it exists) is cut short and has bytes flipped at many places. Each damaged
//! copy must read without panicking or hanging, and whatever it reports must be located.
//!
//! The exhaustive versions (every offset, every byte) run on one small file in the unit tests
//! of `capture::mitm`; here the offsets are spread over each file to bound the run time.

use std::path::{Path, PathBuf};

use regauth_core::capture::{self, CaptureError, Input};

/// Damaged copies tried per file for each kind of damage.
const VARIANTS_PER_FILE: usize = 100;

fn flow_files() -> Vec<PathBuf> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut pending =
        vec![manifest_dir.join("tests/data/mitm"), manifest_dir.join("../../samples")];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "flow") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn assert_located(name: &str, bytes: Vec<u8>, what: &str) {
    let (capture, errors) = capture::read(&[Input::new(name, bytes)]);
    for problem in &capture.problems {
        assert!(problem.location.byte_offset.is_some(), "{what}: unlocated problem {problem}");
    }
    for error in &errors {
        match error {
            CaptureError::Malformed { location, .. } => {
                assert!(location.byte_offset.is_some(), "{what}: unlocated error {error}")
            }
            // A cut or flip in the first bytes can make the input unrecognisable or empty.
            CaptureError::UnknownFormat { .. } | CaptureError::Empty { .. } => {}
            // A cut inside the first flow leaves nothing to read; the problem says where.
            CaptureError::NoExchanges { .. } => assert!(
                capture.exchanges.is_empty() && !capture.problems.is_empty(),
                "{what}: no exchanges without a located problem"
            ),
            other => panic!("{what}: unexpected error {other}"),
        }
    }
}

fn spread(len: usize) -> impl Iterator<Item = usize> {
    let step = (len / VARIANTS_PER_FILE).max(1);
    // An odd offset within each step, so cuts and flips land on digits, tags and payloads alike.
    (0..len).step_by(step).map(move |base| (base + step / 2 + 1).min(len - 1))
}

fn check_file(path: &Path) {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).unwrap();
    if bytes.is_empty() {
        return;
    }
    let (intact, errors) = capture::read(&[Input::new(name.clone(), bytes.clone())]);
    assert!(errors.is_empty(), "{name}: {errors:?}");
    for problem in &intact.problems {
        assert!(problem.location.byte_offset.is_some(), "{name}: unlocated problem {problem}");
    }
    for cut_at in spread(bytes.len()) {
        assert_located(&name, bytes[..cut_at].to_vec(), &format!("{name} cut at {cut_at}"));
    }
    for (flip_idx, byte_idx) in spread(bytes.len()).enumerate() {
        let mut damaged = bytes.clone();
        damaged[byte_idx] ^= [0x01, 0x08, 0x20, 0x80][flip_idx % 4];
        assert_located(&name, damaged, &format!("{name} flip at {byte_idx}"));
    }
}

#[test]
fn damaged_flow_files_never_panic_and_report_located_problems() {
    let files = flow_files();
    assert!(files.len() >= 7, "expected the generated flow files");
    for path in &files {
        check_file(path);
    }
}
