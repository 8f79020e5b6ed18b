//! `cargo xtask ci`, `web` and `serve`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use xshell::{Cmd, Shell, cmd};

use crate::wasm_env::{self, WasmEnv, WasmMode};
use crate::{project_root, tools};

/// Crates regauth-core must never depend on (browser, terminal and application-error crates).
const CORE_FORBIDDEN_DEPS: &[&str] =
    &["yew", "web-sys", "gloo", "clap", "indicatif", "anyhow", "js-sys"];
const WASM_TARGET: &str = "wasm32-unknown-unknown";

struct Steps {
    results: Vec<(String, std::time::Duration, bool)>,
}

impl Steps {
    fn run(&mut self, name: &str, step: impl FnOnce() -> Result<()>) -> Result<()> {
        eprintln!("\n==> {name}");
        let started = Instant::now();
        let result = step();
        let elapsed = started.elapsed();
        self.results.push((name.to_owned(), elapsed, result.is_ok()));
        eprintln!(
            "<== {name}: {} in {:.1} s",
            if result.is_ok() { "ok" } else { "FAILED" },
            elapsed.as_secs_f64()
        );
        result.with_context(|| format!("step `{name}` failed"))
    }

    fn summary(&self) {
        eprintln!("\nxtask ci summary:");
        for (name, elapsed, ok) in &self.results {
            eprintln!(
                "  {:6} {:>7.1} s  {name}",
                if *ok { "ok" } else { "FAILED" },
                elapsed.as_secs_f64()
            );
        }
        let passed = self.results.iter().filter(|(_, _, ok)| *ok).count();
        let failed = self.results.len() - passed;
        println!("xtask-ci: {passed} passed, {failed} failed");
    }
}

pub fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask ci` takes no arguments, got {arg:?}");
    }
    let root = project_root();
    let sh = Shell::new()?;
    sh.change_dir(&root);
    let started = Instant::now();
    let mut steps = Steps { results: Vec::new() };
    let result = run_steps(&sh, &root, &mut steps);
    steps.summary();
    eprintln!("xtask ci: wall time {:.0} s", started.elapsed().as_secs_f64());
    result
}

fn run_steps(sh: &Shell, root: &Path, steps: &mut Steps) -> Result<()> {
    steps.run("install tools (apt, crates.io, npm) where missing", || tools::ensure_all(root))?;
    steps.run("cargo fmt --check", || Ok(cmd!(sh, "cargo fmt --all --check").run()?))?;
    steps.run("clippy, native, -D warnings", || {
        Ok(cmd!(sh, "cargo clippy --workspace --all-targets --locked -- -D warnings").run()?)
    })?;
    steps.run("native tests (unit, golden, CLI, tidy)", || {
        Ok(cmd!(sh, "cargo test --workspace --all-targets --locked").run()?)
    })?;
    steps.run("doc tests", || Ok(cmd!(sh, "cargo test --workspace --doc --locked").run()?))?;
    steps.run("core has no browser/terminal/app dependencies", || check_core_dependencies(sh))?;
    steps.run("mitmproxy's own reader agrees with the committed flow readings", || {
        let python = tools::ensure_mitmproxy_venv(sh)?;
        Ok(cmd!(sh, "{python} tests/mitm_diff/check_committed.py .").run()?)
    })?;
    steps.run("mitmproxy's own reader reads regauth's redacted flows", || {
        let python = tools::ensure_mitmproxy_venv(sh)?;
        // Built already by the native tests (the CLI tests run the binary); this is a no-op then.
        cmd!(sh, "cargo build --locked -p regauth-cli").run()?;
        let regauth = root.join("target/debug/regauth");
        Ok(cmd!(sh, "{python} tests/mitm_diff/check_redacted.py {regauth} samples").run()?)
    })?;

    let detected = wasm_env::detect(sh)?;
    eprintln!("xtask: wasm toolchain mode: {}", detected.mode);
    wasm_pipeline(sh, root, steps, &detected, &root.join("dist"), true)?;
    if detected.mode == WasmMode::Rustup {
        // The Debian fallback is what a machine without the rustup target gets: build it on
        // purpose so it cannot rot unseen.
        let debian = wasm_env::debian(sh)?;
        wasm_pipeline(sh, root, steps, &debian, &root.join("target/debian-web/dist"), false)?;
    }
    Ok(())
}

fn wasm_pipeline(
    sh: &Shell,
    root: &Path,
    steps: &mut Steps,
    env: &WasmEnv,
    dist: &Path,
    primary: bool,
) -> Result<()> {
    let mode = env.mode;
    let path = path_with_node_modules(root);
    let wasm =
        |command: Cmd<'_>| -> Result<()> { Ok(env.apply(command).env("PATH", &path).run()?) };
    steps.run(&format!("[{mode}] cargo fetch for wasm32 (build-std needs std's deps)"), || {
        wasm(cmd!(sh, "cargo fetch --locked --target {WASM_TARGET}"))
    })?;
    // In the fallback pass, clippy has already judged the same code for wasm32 in the primary
    // pass, and the trunk build below proves that core and web build with Debian's toolchain:
    // a second build of std for clippy would double the pass's cost for no new finding.
    if primary {
        steps.run(&format!("[{mode}] clippy wasm32 (core, web), -D warnings"), || {
            wasm(cmd!(sh, "cargo clippy --locked --target {WASM_TARGET} -p regauth-core -p regauth-web -- -D warnings"))
        })?;
        steps.run(&format!("[{mode}] build regauth-core for wasm32"), || {
            wasm(cmd!(sh, "cargo build --locked --target {WASM_TARGET} -p regauth-core"))
        })?;
    }
    let dist_arg = dist.display().to_string();
    steps.run(&format!("[{mode}] trunk build --release"), || {
        wasm(cmd!(sh, "trunk build --release true --offline true --dist {dist_arg}"))
    })?;
    steps.run(&format!("[{mode}] browser tests (headless chromium)"), || {
        // The export test compares the page's JSON with the CLI's own output for the same file.
        cmd!(sh, "cargo build --locked --quiet -p regauth-cli").run()?;
        let regauth = root.join("target/debug/regauth");
        Ok(cmd!(sh, "node tests/e2e/run.mjs {dist_arg}").env("REGAUTH_BIN", regauth).run()?)
    })?;
    Ok(())
}

fn path_with_node_modules(root: &Path) -> String {
    let node_bin = root.join("node_modules/.bin");
    let path = std::env::var("PATH").unwrap_or_default();
    // binaryen's wasm-opt 132 must come before Debian's (108 cannot parse our wasm).
    format!("{}:{path}", node_bin.display())
}

fn check_core_dependencies(sh: &Shell) -> Result<()> {
    let format = "{p}";
    let tree = cmd!(sh, "cargo tree --locked -p regauth-core -e normal,build --target all --prefix none --format {format}")
        .quiet()
        .read()?;
    let offenders: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| CORE_FORBIDDEN_DEPS.contains(name))
        .collect();
    if !offenders.is_empty() {
        bail!(
            "regauth-core depends on {offenders:?}; the core must stay free of browser, terminal and app crates"
        );
    }
    eprintln!("regauth-core dependency tree is free of {CORE_FORBIDDEN_DEPS:?}");
    Ok(())
}

/// `cargo xtask web`: the web steps of `ci` alone, in one wasm mode (the detected one, or
/// `WASM_MODE_FORCE`'s), writing `dist/` (rustup) or `target/debian-web/dist/` (debian) as
/// `ci` does. For working on the web app, and for checking the Debian fallback on purpose.
pub fn web(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask web` takes no arguments, got {arg:?}");
    }
    let root = project_root();
    let sh = Shell::new()?;
    sh.change_dir(&root);
    let started = Instant::now();
    let mut steps = Steps { results: Vec::new() };
    let result = (|| {
        steps.run("install web tools where missing", || {
            tools::ensure_web_build(&root)?;
            tools::ensure_chromium(&sh)
        })?;
        let env = wasm_env::detect(&sh)?;
        eprintln!("xtask: wasm toolchain mode: {}", env.mode);
        let dist = match env.mode {
            WasmMode::Rustup => root.join("dist"),
            WasmMode::Debian => root.join("target/debian-web/dist"),
        };
        wasm_pipeline(&sh, &root, &mut steps, &env, &dist, true)
    })();
    steps.summary();
    eprintln!("xtask web: wall time {:.0} s", started.elapsed().as_secs_f64());
    result
}

pub fn serve(args: &[String]) -> Result<()> {
    let root = project_root();
    let sh = Shell::new()?;
    sh.change_dir(&root);
    // First the CLI on a bundled sample, so the main job shows an analysis even without a browser.
    cmd!(sh, "cargo build --locked --quiet -p regauth-cli").run()?;
    let regauth = root.join("target/debug/regauth");
    let sample = root.join("samples/clock-ahead.flow");
    eprintln!("xtask: regauth analyze {} (a bundled sample):\n", sample.display());
    // Exit status 1 just means the sample's session failed, which is the point of this sample.
    let _ = cmd!(sh, "{regauth} analyze {sample}").ignore_status().run();
    tools::ensure_web_build(&root)?;
    let env = wasm_env::detect(&sh)?;
    eprintln!("xtask: wasm toolchain mode: {}", env.mode);
    let path = path_with_node_modules(&root);
    env.apply(cmd!(sh, "cargo fetch --locked --target {WASM_TARGET}")).env("PATH", &path).run()?;
    eprintln!("xtask: serving the web app on http://127.0.0.1:8080 (Ctrl-C stops it)");
    env.apply(cmd!(sh, "trunk serve --release true --offline true {args...}"))
        .env("PATH", &path)
        .run()?;
    Ok(())
}
