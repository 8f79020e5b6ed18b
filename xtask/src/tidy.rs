//! Repository hygiene checks, run by `cargo test` (rust-analyzer's tidy pattern).

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if name == "target" || name == "node_modules" || name == "dist" || name == ".git" {
                continue;
            }
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }

    /// No ignored or should_panic tests, no todo!/dbg!: a test either runs and can fail, or is not there.
    #[test]
    fn no_hidden_or_unfinished_tests() {
        let root = crate::project_root();
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        assert!(files.len() > 5, "tidy found too few Rust files under {}", root.display());
        let banned = [
            ["#[", "ignore"].concat(),
            ["#[", "should_panic"].concat(),
            ["todo", "!("].concat(),
            ["dbg", "!("].concat(),
            ["unimplemented", "!("].concat(),
        ];
        let mut offences = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            for (line_idx, line) in text.lines().enumerate() {
                for pattern in &banned {
                    if line.contains(pattern.as_str()) {
                        offences.push(format!("{}:{}: {pattern}", file.display(), line_idx + 1));
                    }
                }
            }
        }
        assert!(offences.is_empty(), "banned test/debug markers:\n{}", offences.join("\n"));
    }

    /// `.ci/run` must run exactly the README's test command.
    #[test]
    fn ci_runs_the_readme_test_command() {
        let root = crate::project_root();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap_or_default();
        let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap_or_default();
        assert!(readme.contains("cargo xtask ci"), "README must show `cargo xtask ci`");
        assert!(readme.contains("cargo xtask serve"), "README must show `cargo xtask serve`");
        assert!(
            ci.lines().any(|line| line.trim() == "cargo xtask ci"),
            ".ci/run must call `cargo xtask ci` on a line of its own"
        );
    }

    /// The auth engine and the report layer only know the normalized model, never a reader's types.
    #[test]
    fn engine_does_not_import_reader_internals() {
        let root = crate::project_root().join("crates/regauth-core/src");
        let mut files = Vec::new();
        rust_files(&root.join("analysis"), &mut files);
        rust_files(&root.join("report"), &mut files);
        assert!(files.len() >= 5, "engine sources not found");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for banned in ["capture::har", "capture::mitm", "mitm::", "har::"] {
                assert!(
                    !text.contains(banned),
                    "{} uses {banned}: the engine must only see the model",
                    file.display()
                );
            }
        }
    }

    /// Every cargo-fuzz target is a `[[bin]]` of `fuzz/Cargo.toml`, wraps the core harness of the
    /// same name, is run by `cargo xtask fuzz`, and is named in the README; and the other way round.
    #[test]
    fn fuzz_targets_are_listed_everywhere() {
        let root = crate::project_root();
        let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap_or_default();
        let harnesses = std::fs::read_to_string(root.join("crates/regauth-core/src/fuzzing.rs"))
            .unwrap_or_default();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap_or_default();
        let mut files: Vec<String> = std::fs::read_dir(root.join("fuzz/fuzz_targets"))
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|entry| {
                        entry.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let mut listed: Vec<String> =
            crate::fuzz::TARGETS.iter().map(|name| (*name).to_owned()).collect();
        listed.sort();
        assert_eq!(files, listed, "fuzz/fuzz_targets/*.rs and xtask's fuzz::TARGETS differ");
        for target in crate::fuzz::TARGETS {
            let source =
                std::fs::read_to_string(root.join(format!("fuzz/fuzz_targets/{target}.rs")))
                    .unwrap_or_default();
            assert!(
                source.contains(&format!("regauth_core::fuzzing::{target}(data)")),
                "fuzz/fuzz_targets/{target}.rs must call regauth_core::fuzzing::{target}"
            );
            assert!(
                manifest
                    .contains(&format!("name = \"{target}\"\npath = \"fuzz_targets/{target}.rs\"")),
                "fuzz/Cargo.toml has no [[bin]] for {target}"
            );
            assert!(
                harnesses.contains(&format!("(\"{target}\", {target})")),
                "regauth_core::fuzzing::TARGETS does not list {target}"
            );
            assert!(
                readme.contains(&format!("`{target}`")),
                "README's fuzzing section does not name `{target}`"
            );
        }
    }
}
