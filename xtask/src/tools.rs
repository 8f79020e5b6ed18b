//! Installs the tools the build and the tests need, from the package registries only, and
//! reuses what is already installed at the right version so warm runs stay fast.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use xshell::{Cmd, Shell, cmd};

pub const TRUNK_VERSION: &str = "0.21.14";

/// Everything `ci` and `serve` need.
pub fn ensure_all(root: &Path) -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    ensure_rustup_components(&sh)?;
    ensure_wasm_bindgen(&sh, root)?;
    ensure_trunk(&sh)?;
    ensure_node_modules(&sh, root)?;
    ensure_chromium(&sh)?;
    Ok(())
}

/// Tools for building the web app (no browser).
pub fn ensure_web_build(root: &Path) -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    ensure_wasm_bindgen(&sh, root)?;
    ensure_trunk(&sh)?;
    ensure_node_modules(&sh, root)?;
    Ok(())
}

fn ensure_rustup_components(sh: &Shell) -> Result<()> {
    let have_fmt =
        cmd!(sh, "cargo fmt --version").quiet().ignore_stdout().ignore_stderr().run().is_ok();
    let have_clippy =
        cmd!(sh, "cargo clippy --version").quiet().ignore_stdout().ignore_stderr().run().is_ok();
    if !(have_fmt && have_clippy) {
        cmd!(sh, "rustup component add rustfmt clippy")
            .run()
            .context("installing rustfmt and clippy")?;
    }
    Ok(())
}

/// The `wasm-bindgen` version in Cargo.lock; the CLI must match it exactly.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|next| next.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

fn installed_version(sh: &Shell, program: &str) -> Option<String> {
    cmd!(sh, "{program} --version").quiet().ignore_stderr().read().ok()
}

fn ensure_wasm_bindgen(sh: &Shell, root: &Path) -> Result<()> {
    let version = locked_wasm_bindgen_version(root)?;
    if installed_version(sh, "wasm-bindgen")
        .is_some_and(|out| out.trim() == format!("wasm-bindgen {version}"))
    {
        return Ok(());
    }
    eprintln!(
        "xtask: installing wasm-bindgen-cli {version} from crates.io (a few minutes on a cold machine)"
    );
    // Not --locked: its lock file names a webpki-roots release that the reachable index lacks.
    native(cmd!(sh, "cargo install wasm-bindgen-cli --version {version}"))
        .run()
        .context("installing wasm-bindgen-cli")
}

fn ensure_trunk(sh: &Shell) -> Result<()> {
    if installed_version(sh, "trunk")
        .is_some_and(|out| out.trim() == format!("trunk {TRUNK_VERSION}"))
    {
        return Ok(());
    }
    eprintln!(
        "xtask: installing trunk {TRUNK_VERSION} from crates.io (debug build: ~4 min instead of ~9)"
    );
    // Newer trunk releases need a newer rustc than this machine has; a debug build of trunk
    // produces the same dist and installs in less than half the time.
    native(cmd!(sh, "cargo install trunk --version {TRUNK_VERSION} --locked --debug"))
        .run()
        .context("installing trunk")
}

/// Tools are built with the machine's rustup toolchain, never the wasm-mode one.
fn native(mut command: Cmd<'_>) -> Cmd<'_> {
    for var in crate::wasm_env::MODE_VARS {
        command = command.env_remove(var);
    }
    command
}

/// npm packages (binaryen's wasm-opt, playwright-core), pinned exactly by package-lock.json.
fn ensure_node_modules(sh: &Shell, root: &Path) -> Result<()> {
    if installed_version(sh, "npm").is_none() {
        apt_install(sh, &["nodejs", "npm"], false)?;
    }
    let lock =
        std::fs::read(root.join("package-lock.json")).context("reading package-lock.json")?;
    let installed = std::fs::read(root.join("node_modules/.package-lock.json")).ok();
    // npm writes node_modules/.package-lock.json; when its packages match ours nothing changed.
    let up_to_date = installed.is_some_and(|installed| same_npm_packages(&installed, &lock));
    if !up_to_date {
        cmd!(sh, "npm ci --no-audit --no-fund").run().context("npm ci")?;
    }
    Ok(())
}

fn same_npm_packages(installed: &[u8], lock: &[u8]) -> bool {
    let packages = |text: &[u8]| {
        let text = String::from_utf8_lossy(text).into_owned();
        text.split_once("\"packages\"").map(|(_, rest)| rest.split_whitespace().collect::<String>())
    };
    packages(installed).is_some() && packages(installed) == packages(lock)
}

/// mitmproxy's Python reader, for the differential test. 11.0.2 is the newest release that runs
/// on the machine's Python 3.11, and it reads every flow format from 7.x to 12.x.
pub const MITMPROXY_VERSION: &str = "11.0.2";

/// A venv with mitmproxy from PyPI, kept under ~/.cache so warm runs reuse it.
pub fn ensure_mitmproxy_venv(sh: &Shell) -> Result<std::path::PathBuf> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".to_owned());
    let venv = Path::new(&home).join(format!(".cache/regauth/mitmproxy-{MITMPROXY_VERSION}-venv"));
    let python = venv.join("bin/python");
    let ready = cmd!(sh, "{python} -c 'import mitmproxy.version as v; print(v.VERSION)'")
        .quiet()
        .ignore_stderr()
        .read()
        .is_ok_and(|version| version.trim() == MITMPROXY_VERSION);
    if !ready {
        eprintln!(
            "xtask: installing mitmproxy {MITMPROXY_VERSION} from PyPI into {}",
            venv.display()
        );
        let _ = std::fs::remove_dir_all(&venv);
        cmd!(sh, "python3 -m venv {venv}").run().context("creating the mitmproxy venv")?;
        let pin = format!("mitmproxy=={MITMPROXY_VERSION}");
        cmd!(sh, "{python} -m pip install --quiet --disable-pip-version-check {pin}")
            .run()
            .context("installing mitmproxy from PyPI")?;
    }
    Ok(python)
}

pub fn ensure_chromium(sh: &Shell) -> Result<()> {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    apt_install(sh, &["chromium", "chromium-driver"], false)
}

/// `apt-get install` (as root, or through sudo), updating the package lists first.
pub fn apt_install(sh: &Shell, packages: &[&str], no_recommends: bool) -> Result<()> {
    // As root run apt-get directly; otherwise through sudo.
    let (program, prefix): (&str, &[&str]) =
        if is_root(sh) { ("apt-get", &[]) } else { ("sudo", &["apt-get"]) };
    eprintln!("xtask: apt-get install {}", packages.join(" "));
    cmd!(sh, "{program} {prefix...} update -o DPkg::Lock::Timeout=600")
        .run()
        .context("apt-get update")?;
    let recommends: &[&str] = if no_recommends { &["--no-install-recommends"] } else { &[] };
    cmd!(
        sh,
        "{program} {prefix...} install -y -o DPkg::Lock::Timeout=600 {recommends...} {packages...}"
    )
    .env("DEBIAN_FRONTEND", "noninteractive")
    .run()
    .with_context(|| format!("apt-get install {}", packages.join(" ")))
}

fn is_root(sh: &Shell) -> bool {
    cmd!(sh, "id -u").quiet().read().is_ok_and(|uid| uid.trim() == "0")
}
