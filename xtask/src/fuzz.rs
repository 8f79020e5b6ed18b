//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs the cargo-fuzz targets in `fuzz/`, each for
//! N seconds (default 60), after writing their seed corpora from `samples/`.
//!
//! Needs a nightly toolchain (libFuzzer's sanitizer flags) and cargo-fuzz; installs cargo-fuzz
//! from crates.io when it is missing. Not part of `cargo xtask ci`: fuzzing is open-ended, and
//! every input it finds a problem with becomes a regression test in
//! `crates/regauth-core/tests/data/fuzz/`, which the ordinary test run replays.

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::project_root;

/// The targets in `fuzz/Cargo.toml`, in the order `cargo xtask fuzz` runs them. The tidy test
/// `fuzz_targets_are_listed_everywhere` keeps this list, `fuzz/` and the harnesses in step.
pub const TARGETS: &[&str] = &[
    "tnetstring",
    "flow",
    "har",
    "challenge",
    "scope",
    "token_response",
    "jwt",
    "registry_auth",
    "pipeline",
];

/// libFuzzer options for every run: a 10 s timeout per input (an input that takes that long is a
/// hang worth a regression test) and a 2 GiB memory ceiling.
const LIBFUZZER_OPTIONS: &[&str] = &["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"];

pub fn run(args: &[String]) -> Result<()> {
    let mut seconds: u64 = 60;
    let mut targets: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = args.next().context("--seconds needs a number")?;
                seconds = value.parse().with_context(|| format!("--seconds {value:?}"))?;
            }
            name if TARGETS.contains(&name) => targets.push(name.to_owned()),
            other => {
                bail!("unknown fuzz target or option {other:?} (targets: {})", TARGETS.join(", "))
            }
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|name| (*name).to_owned()).collect();
    }
    let root = project_root();
    let sh = Shell::new()?;
    sh.change_dir(&root);
    ensure_tools(&sh)?;
    eprintln!("xtask: writing seed corpora from samples/ to fuzz/corpus/");
    cmd!(
        sh,
        "cargo run --locked --quiet -p regauth-core --example fuzz_seeds -- samples fuzz/corpus"
    )
    .run()?;
    let max_time = format!("-max_total_time={seconds}");
    // A known false leak of thread exit, and only that (see the file).
    let suppressions = root.join("fuzz/lsan.supp");
    sh.set_var("LSAN_OPTIONS", format!("suppressions={}", suppressions.display()));
    for target in &targets {
        eprintln!("\nxtask: fuzzing {target} for {seconds} s");
        let corpus = format!("fuzz/corpus/{target}");
        sh.create_dir(&corpus)?;
        let options = LIBFUZZER_OPTIONS;
        cmd!(sh, "cargo +nightly fuzz run {target} {corpus} -- {max_time} {options...}")
            .run()
            .with_context(|| {
                format!(
                    "fuzz target {target} failed: the input is in fuzz/artifacts/{target}/; minimize it with `cargo +nightly fuzz tmin {target} <file>` and add it to crates/regauth-core/tests/data/fuzz/{target}/"
                )
            })?;
    }
    Ok(())
}

fn ensure_tools(sh: &Shell) -> Result<()> {
    let toolchains = cmd!(sh, "rustup toolchain list").quiet().read().unwrap_or_default();
    if !toolchains.lines().any(|line| line.starts_with("nightly")) {
        eprintln!("xtask: installing the nightly toolchain (cargo-fuzz needs it)");
        cmd!(sh, "rustup toolchain install nightly --profile minimal")
            .run()
            .context("installing nightly (cargo fuzz needs -Zsanitizer)")?;
    }
    if cmd!(sh, "cargo fuzz --version").quiet().ignore_stderr().read().is_err() {
        eprintln!("xtask: installing cargo-fuzz from crates.io");
        cmd!(sh, "cargo install cargo-fuzz --locked").run().context("installing cargo-fuzz")?;
    }
    Ok(())
}
