//! `regauth config`: finds and reads the clients' config files, checks `PATH` for credential
//! helpers, and prints what the core concluded. The lookup rules live in
//! `regauth_core::client_config`.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Result;
use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::client_config::{
    ConfigInputs, ConfigSource, FileFormat, FileState, analyze_config, observed_credentials,
    parse_docker_auth_config_env,
};
use regauth_core::report::config::{ConfigReport, render_text};

use crate::Status;
use crate::args::{ClientChoice, ConfigArgs, OutputFormat};
use crate::input::read_capture;

pub fn run(args: &ConfigArgs) -> Result<Status> {
    let (mut inputs, explicit) = discover(args);
    for (idx, source) in inputs.files.iter_mut().enumerate() {
        *source = load(source.path.as_str(), source.format);
        if explicit && idx == 0 && matches!(source.state, FileState::Missing) {
            source.state = FileState::Unreadable("no such file".to_owned());
        }
    }
    if inputs.docker_view {
        if let Some(value) = std::env::var_os("DOCKER_AUTH_CONFIG") {
            match parse_docker_auth_config_env(&value.to_string_lossy()) {
                Ok(entries) => inputs.docker_env.auth_config_env = entries,
                Err(error) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "regauth: warning: DOCKER_AUTH_CONFIG is set but unusable ({error}); docker ignores it too"
                    );
                }
            }
        }
        inputs.docker_env.default_store = docker_default_store();
    }
    let helpers: BTreeMap<String, bool> = inputs
        .helper_names()
        .into_iter()
        .map(|name| {
            let found = on_path(&format!("docker-credential-{name}"));
            (name, found)
        })
        .collect();

    let mut capture_unreadable = false;
    let observed = if args.capture.is_empty() {
        Vec::new()
    } else {
        let (capture, errors) = read_capture(&args.capture, &args.limits.read_limits())?;
        capture_unreadable = !errors.is_empty();
        let analysis = analyze(&capture, &AnalysisConfig::default());
        observed_credentials(&capture, &analysis)
    };

    let analysis = analyze_config(&inputs, &helpers, &observed);
    let report = ConfigReport::new(&inputs, &helpers, &analysis);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &report)?;
            writeln!(stdout)?;
        }
        OutputFormat::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            write!(stdout, "{}", render_text(&report, color))?;
        }
    }
    stdout.flush()?;
    let unreadable = inputs
        .files
        .iter()
        .any(|source| matches!(source.state, FileState::Unreadable(_) | FileState::Invalid(_)));
    Ok(if unreadable || capture_unreadable {
        Status::Error
    } else if analysis.has_problems() {
        Status::Failure
    } else {
        Status::Success
    })
}

/// The files each client reads, unread yet; `true` when the user named one.
fn discover(args: &ConfigArgs) -> (ConfigInputs, bool) {
    let mut inputs = ConfigInputs::default();
    if let Some(path) = &args.path {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned());
        let format = if name.as_deref() == Some(".dockercfg") {
            FileFormat::LegacyDockercfg
        } else {
            FileFormat::ConfigJson
        };
        let podman_only = matches!(name.as_deref(), Some("auth.json" | ".dockercfg"));
        let (docker, podman) = match args.client {
            ClientChoice::Auto => (!podman_only, true),
            ClientChoice::Docker => (true, false),
            ClientChoice::Podman => (false, true),
            ClientChoice::Both => (true, true),
        };
        inputs.files.push(unread(path, format));
        inputs.docker_view = docker;
        inputs.docker_file = docker.then_some(0);
        if podman {
            inputs.podman_chain.push(0);
        }
        return (inputs, true);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let env_path =
        |name: &str| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
    let docker_path = match env_path("DOCKER_CONFIG") {
        Some(dir) => dir.join("config.json"),
        None => home.join(".docker").join("config.json"),
    };
    let want_docker =
        matches!(args.client, ClientChoice::Auto | ClientChoice::Both | ClientChoice::Docker);
    let want_podman =
        matches!(args.client, ClientChoice::Auto | ClientChoice::Both | ClientChoice::Podman);
    let index_of = |inputs: &mut ConfigInputs, path: PathBuf, format: FileFormat| {
        let shown = path.display().to_string();
        match inputs.files.iter().position(|source| source.path == shown) {
            Some(index) => index,
            None => {
                inputs.files.push(unread(&path, format));
                inputs.files.len() - 1
            }
        }
    };
    if want_docker {
        inputs.docker_view = true;
        inputs.docker_file =
            Some(index_of(&mut inputs, docker_path.clone(), FileFormat::ConfigJson));
    }
    if want_podman {
        let chain: Vec<(PathBuf, FileFormat)> = match env_path("REGISTRY_AUTH_FILE") {
            Some(path) => vec![(path, FileFormat::ConfigJson)],
            None => {
                let runtime = match env_path("XDG_RUNTIME_DIR") {
                    Some(dir) => dir.join("containers").join("auth.json"),
                    None => PathBuf::from(format!("/run/containers/{}/auth.json", uid())),
                };
                let config_home =
                    env_path("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config"));
                vec![
                    (runtime, FileFormat::ConfigJson),
                    (config_home.join("containers").join("auth.json"), FileFormat::ConfigJson),
                    (docker_path, FileFormat::ConfigJson),
                    (home.join(".dockercfg"), FileFormat::LegacyDockercfg),
                ]
            }
        };
        for (path, format) in chain {
            let index = index_of(&mut inputs, path, format);
            inputs.podman_chain.push(index);
        }
    }
    (inputs, false)
}

fn unread(path: &Path, format: FileFormat) -> ConfigSource {
    ConfigSource { path: path.display().to_string(), format, state: FileState::Missing }
}

fn load(path: &str, format: FileFormat) -> ConfigSource {
    match std::fs::read(path) {
        Ok(bytes) => ConfigSource::load(path, format, Some(&bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            ConfigSource::load(path, format, None)
        }
        Err(error) => ConfigSource {
            path: path.to_owned(),
            format,
            state: FileState::Unreadable(error.to_string()),
        },
    }
}

#[cfg(unix)]
fn uid() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").map(|meta| meta.uid()).unwrap_or(0)
}

#[cfg(not(unix))]
fn uid() -> u32 {
    0
}

/// docker's `DetectDefaultStore`: the platform's helper, when installed.
fn docker_default_store() -> Option<String> {
    let platform = if cfg!(target_os = "macos") {
        "osxkeychain"
    } else if cfg!(windows) {
        "wincred"
    } else if cfg!(target_os = "linux") {
        if on_path("pass") { "pass" } else { "secretservice" }
    } else {
        return None;
    };
    on_path(&format!("docker-credential-{platform}")).then(|| platform.to_owned())
}

/// Whether an executable of this name is in a `PATH` directory (Go's `exec.LookPath`).
fn on_path(program: &str) -> bool {
    // A helper name from a config file is not a path: `credsStore: "../x"` must not escape PATH.
    if program.contains(['/', '\\']) {
        return false;
    }
    let Some(path) = std::env::var_os("PATH") else { return false };
    std::env::split_paths(&path).any(|dir| {
        let candidate = dir.join(program);
        is_executable(&candidate)
            || (cfg!(windows) && is_executable(&candidate.with_extension("exe")))
    })
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}
