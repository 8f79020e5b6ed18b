//! Chooses how to build for wasm32 on this machine (see shared notes, "wasm-toolchain"):
//!
//! - rustup mode: the rustup toolchain has (or can download) the wasm32 target.
//! - debian mode: Debian's `rustc-web` 1.96, linked as rustup toolchain `debian-web`, builds
//!   std from `rust-web-src` (build-std). Used when the target cannot be had, or when
//!   `WASM_MODE_FORCE=debian` asks for it so the fallback is exercised on purpose.
//!
//! The mode only changes the environment of wasm commands; native builds always use rustup.

use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use xshell::{Cmd, Shell, cmd};

use crate::tools;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmMode {
    Rustup,
    Debian,
}

impl std::fmt::Display for WasmMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WasmMode::Rustup => "rustup",
            WasmMode::Debian => "debian",
        })
    }
}

/// Environment for wasm builds in one mode.
#[derive(Clone, Debug)]
pub struct WasmEnv {
    pub mode: WasmMode,
    pub vars: Vec<(&'static str, String)>,
}

impl WasmEnv {
    /// Applies this environment to a command (and clears what the other mode would set).
    pub fn apply<'a>(&self, mut command: Cmd<'a>) -> Cmd<'a> {
        for var in MODE_VARS {
            command = command.env_remove(var);
        }
        for (key, value) in &self.vars {
            command = command.env(key, value);
        }
        command
    }
}

/// Variables a wasm mode may set; cleared before applying a mode and for native tool builds.
pub const MODE_VARS: [&str; 4] =
    ["RUSTUP_TOOLCHAIN", "RUSTC_BOOTSTRAP", "CARGO_UNSTABLE_BUILD_STD", "CARGO_TARGET_DIR"];

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Detects the mode (honouring `WASM_MODE_FORCE`) and installs what that mode needs.
pub fn detect(sh: &Shell) -> Result<WasmEnv> {
    let forced = std::env::var("WASM_MODE_FORCE").ok();
    match forced.as_deref() {
        Some("debian") => return debian(sh),
        Some("rustup") => {
            if rustup_target_ready(sh) || rustup_add_target(sh) {
                return Ok(rustup_env());
            }
            bail!("WASM_MODE_FORCE=rustup but `rustup target add {WASM_TARGET}` failed");
        }
        Some(other) if !other.is_empty() => {
            bail!("WASM_MODE_FORCE must be `rustup` or `debian`, not {other:?}")
        }
        _ => {}
    }
    if rustup_target_ready(sh) || rustup_add_target(sh) {
        Ok(rustup_env())
    } else {
        eprintln!(
            "xtask: the rustup wasm32 target is not available; using Debian's rustc-web (debian mode)"
        );
        debian(sh)
    }
}

fn rustup_env() -> WasmEnv {
    WasmEnv { mode: WasmMode::Rustup, vars: Vec::new() }
}

/// Builds the debian-mode environment, installing the packages and toolchain link if needed.
pub fn debian(sh: &Shell) -> Result<WasmEnv> {
    let ready = [
        "/usr/bin/rustc",
        "/usr/bin/lld-22",
        "/usr/bin/cargo-clippy",
        "/usr/lib/rustlib/src/rust/library",
    ]
    .iter()
    .all(|path| std::path::Path::new(path).exists());
    if !ready {
        tools::apt_install(
            sh,
            &[
                "rustc-web",
                "cargo-web",
                "rust-web-src",
                "rust-web-llvm",
                "lld-22",
                "rust-web-clippy",
                "rustfmt-web",
            ],
            true,
        )?;
    }
    let toolchains =
        cmd!(sh, "rustup toolchain list").read().context("listing rustup toolchains")?;
    if !toolchains.lines().any(|line| line.starts_with("debian-web")) {
        cmd!(sh, "rustup toolchain link debian-web /usr")
            .run()
            .context("linking Debian's rustc-web")?;
    }
    Ok(WasmEnv {
        mode: WasmMode::Debian,
        vars: vec![
            ("RUSTUP_TOOLCHAIN", "debian-web".to_owned()),
            // rustc-web rejects -Z (build-std) unless bootstrapping is allowed.
            ("RUSTC_BOOTSTRAP", "1".to_owned()),
            ("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort".to_owned()),
            // Keep debian-mode artifacts apart so the two modes do not invalidate each other.
            (
                "CARGO_TARGET_DIR",
                crate::project_root().join("target/debian-web").display().to_string(),
            ),
        ],
    })
}

fn rustup_target_ready(sh: &Shell) -> bool {
    // `--print target-libdir` prints a path even when the target is missing; test the directory.
    cmd!(sh, "rustc --print target-libdir --target {WASM_TARGET}")
        .env_remove("RUSTUP_TOOLCHAIN")
        .quiet()
        .ignore_stderr()
        .read()
        .map(|dir| std::path::Path::new(dir.trim()).is_dir())
        .unwrap_or(false)
}

fn rustup_add_target(sh: &Shell) -> bool {
    eprintln!("xtask: trying `rustup target add {WASM_TARGET}` (timeout 120 s)");
    let Ok(mut child) = std::process::Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .env_remove("RUSTUP_TOOLCHAIN")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        return false;
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success() && rustup_target_ready(sh),
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}
