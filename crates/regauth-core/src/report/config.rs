//! `regauth.config/v1`: what `regauth config --format json` prints.
//!
//! # Wire format
//!
//! ```text
//! {
//!   "schema": "regauth.config/v1",
//!   "outcome": "ok" | "problems",          // problems: a warning or error finding
//!   "files": [{index, path, format: "config.json"|"legacy-dockercfg",
//!              state: "read"|"missing"|"unreadable"|"invalid", error|null,
//!              read_by: ["docker"|"podman", ..]}],   // podman's files in its search order
//!   "docker_auth_config_env": bool,         // DOCKER_AUTH_CONFIG was set (docker reads it first)
//!   "helpers": [{name, program, on_path: bool|null}],  // every docker-credential-<name> a lookup may run
//!   "registries": [{name, in_capture,
//!                   docker: Lookup|null,    // null for podman namespace rows (docker has none)
//!                   podman: Lookup|null,
//!                   capture: [{client, via, credential, username|null, exchanges: [..],
//!                              verdict: "match"|"mismatch"|"unverifiable", message}]}],
//!   "findings": [{code, severity: "error"|"warning"|"info", title, registry|null, file|null,
//!                 message, fix}]
//! }
//! Lookup = {source: "docker-auth-config-env"|"cred-helper"|"creds-store"|"default-store"|"auths"|"none",
//!           description, file|null, key|null, credential: "password"|"identity-token"|
//!           "registry-token"|"empty"|"invalid"|null, username|null, helper|null,
//!           helper_key|null, helper_on_path: bool|null, ambiguous_keys: [..], passed_over: [..]}
//! ```
//! `name` is the registry as clients name it (`docker.io` for Docker Hub) or a podman namespace
//! (`quay.io/org`). `via` is `token-request`, `oauth2-password`, `oauth2-refresh-token`,
//! `registry-basic`, `x-registry-auth` or `engine-auth-body`; `credential` in a capture check is
//! `password`, `identity-token`, `registry-token` or `anonymous`. No secret is ever part of this
//! report: user names, keys and helper names only. Fields are only ever added, never renamed or
//! removed; a breaking change gets a new schema version.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::printable;

use crate::analysis::{Code, Severity};
use crate::client_config::{
    Client, ConfigAnalysis, ConfigInputs, FileState, Lookup, Source, describe_source,
};

pub const SCHEMA: &str = "regauth.config/v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigReport {
    pub schema: String,
    pub outcome: String,
    pub files: Vec<FileRow>,
    pub docker_auth_config_env: bool,
    pub helpers: Vec<HelperRow>,
    pub registries: Vec<RegistryRowDto>,
    pub findings: Vec<ConfigFindingRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRow {
    pub index: usize,
    pub path: String,
    pub format: String,
    pub state: String,
    pub error: Option<String>,
    pub read_by: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelperRow {
    pub name: String,
    pub program: String,
    pub on_path: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistryRowDto {
    pub name: String,
    pub in_capture: bool,
    pub docker: Option<LookupRow>,
    pub podman: Option<LookupRow>,
    pub capture: Vec<CheckRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LookupRow {
    pub source: String,
    pub description: String,
    pub file: Option<usize>,
    pub key: Option<String>,
    pub credential: Option<String>,
    pub username: Option<String>,
    pub helper: Option<String>,
    pub helper_key: Option<String>,
    pub helper_on_path: Option<bool>,
    pub ambiguous_keys: Vec<String>,
    pub passed_over: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckRow {
    pub client: String,
    pub via: String,
    pub credential: String,
    pub username: Option<String>,
    pub exchanges: Vec<usize>,
    pub verdict: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigFindingRow {
    pub code: Code,
    pub severity: Severity,
    pub title: String,
    pub registry: Option<String>,
    pub file: Option<usize>,
    pub message: String,
    pub fix: String,
}

impl LookupRow {
    fn new(lookup: &Lookup) -> LookupRow {
        let (key, credential, username) = match &lookup.source {
            Source::AuthsEntry { key, stored } => (
                Some(key.clone()),
                Some(stored.as_str().to_owned()),
                stored.username().map(str::to_owned),
            ),
            Source::EnvAuthConfig { key, username } => {
                (Some(key.clone()), Some("password".to_owned()), username.clone())
            }
            Source::CredHelper { config_key, .. } => (Some(config_key.clone()), None, None),
            _ => (None, None, None),
        };
        LookupRow {
            source: lookup.source.kind().to_owned(),
            description: describe_source(lookup),
            file: lookup.file,
            key,
            credential,
            username,
            helper: lookup.source.helper().map(str::to_owned),
            helper_key: lookup.helper_key.clone(),
            helper_on_path: lookup.helper_on_path,
            ambiguous_keys: lookup.ambiguous_keys.clone(),
            passed_over: lookup.passed_over.clone(),
        }
    }
}

impl ConfigReport {
    pub fn new(
        inputs: &ConfigInputs,
        helpers: &dyn crate::client_config::HelperPresence,
        analysis: &ConfigAnalysis,
    ) -> ConfigReport {
        let files = inputs
            .files
            .iter()
            .enumerate()
            .map(|(index, source)| {
                let mut read_by = Vec::new();
                if inputs.docker_view && inputs.docker_file == Some(index) {
                    read_by.push(Client::Docker.as_str().to_owned());
                }
                if inputs.podman_chain.contains(&index) {
                    read_by.push(Client::Podman.as_str().to_owned());
                }
                FileRow {
                    index,
                    path: source.path.clone(),
                    format: source.format.as_str().to_owned(),
                    state: source.state.as_str().to_owned(),
                    error: match &source.state {
                        FileState::Unreadable(reason) => Some(reason.clone()),
                        FileState::Invalid(error) => Some(error.to_string()),
                        _ => None,
                    },
                    read_by,
                }
            })
            .collect();
        let helper_rows = inputs
            .helper_names()
            .into_iter()
            .map(|name| HelperRow {
                program: format!("docker-credential-{name}"),
                on_path: helpers.on_path(&name),
                name,
            })
            .collect();
        let registries = analysis
            .rows
            .iter()
            .map(|row| RegistryRowDto {
                name: row.name.clone(),
                in_capture: row.in_capture,
                docker: row.docker.as_ref().map(LookupRow::new),
                podman: row.podman.as_ref().map(LookupRow::new),
                capture: row
                    .checks
                    .iter()
                    .map(|check| CheckRow {
                        client: check.client.as_str().to_owned(),
                        via: check.observed.via.as_str().to_owned(),
                        credential: check.observed.kind.as_str().to_owned(),
                        username: check.observed.kind.username().map(str::to_owned),
                        exchanges: check.observed.exchanges.clone(),
                        verdict: check.verdict.as_str().to_owned(),
                        message: check.message.clone(),
                    })
                    .collect(),
            })
            .collect();
        let findings = analysis
            .findings
            .iter()
            .map(|finding| {
                let info = finding.code.info();
                ConfigFindingRow {
                    code: finding.code,
                    severity: finding.severity,
                    title: info.title.to_owned(),
                    registry: finding.registry.clone(),
                    file: finding.file,
                    message: finding.message.clone(),
                    fix: info.fix.to_owned(),
                }
            })
            .collect();
        ConfigReport {
            schema: SCHEMA.to_owned(),
            outcome: if analysis.has_problems() { "problems" } else { "ok" }.to_owned(),
            files,
            docker_auth_config_env: !inputs.docker_env.auth_config_env.is_empty(),
            helpers: helper_rows,
            registries,
            findings,
        }
    }
}

/// The report as text for people.
pub fn render_text(report: &ConfigReport, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint("1", "Config files"));
    for file in &report.files {
        let readers = if file.read_by.is_empty() { "-".to_owned() } else { file.read_by.join("+") };
        let _ = writeln!(
            out,
            "  {:<13} {} ({}){}",
            readers,
            printable(&file.path),
            file.state,
            file.error
                .as_deref()
                .map(|error| format!(": {}", printable(error)))
                .unwrap_or_default()
        );
    }
    if report.docker_auth_config_env {
        let _ = writeln!(out, "  docker        DOCKER_AUTH_CONFIG (environment; read first)");
    }
    if !report.helpers.is_empty() {
        let _ = writeln!(out, "\n{}", paint("1", "Credential helpers"));
        for helper in &report.helpers {
            let state = match helper.on_path {
                Some(true) => paint("32", "on PATH"),
                Some(false) => paint("1;31", "not on PATH"),
                None => "not checked".to_owned(),
            };
            let _ = writeln!(out, "  {:<36} {state}", printable(&helper.program));
        }
    }
    let _ = writeln!(out, "\n{}", paint("1", "Registries"));
    if report.registries.is_empty() {
        let _ = writeln!(out, "  (none configured)");
    }
    for registry in &report.registries {
        let _ = writeln!(
            out,
            "  {}{}",
            paint("1", &printable(&registry.name)),
            if registry.in_capture { "  [in capture]" } else { "" }
        );
        for (client, lookup) in [("docker", &registry.docker), ("podman", &registry.podman)] {
            let Some(lookup) = lookup else { continue };
            let _ = writeln!(out, "    {client}: {}", printable(&lookup.description));
            for passed in &lookup.passed_over {
                let _ = writeln!(out, "            passed over {}", printable(passed));
            }
        }
        for check in &registry.capture {
            let verdict = match check.verdict.as_str() {
                "match" => paint("32", "match"),
                "mismatch" => paint("1;31", "MISMATCH"),
                other => paint("33", other),
            };
            let _ = writeln!(
                out,
                "    capture ({}): {verdict}: {}",
                check.client,
                printable(&check.message)
            );
        }
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out, "\n{}", paint("1", "Findings"));
        let mut fixed = std::collections::BTreeSet::new();
        for finding in &report.findings {
            let severity_text = format!("{:<7}", finding.severity.as_str());
            let severity = match finding.severity {
                Severity::Error => paint("1;31", &severity_text),
                Severity::Warning => paint("33", &severity_text),
                Severity::Info => paint("36", &severity_text),
            };
            let _ = writeln!(out, "  {severity} {}", finding.code);
            let _ = writeln!(out, "          {}", printable(&finding.message));
            // The fix is the same for every finding of a code: say it once.
            if fixed.insert(finding.code) {
                let _ = writeln!(out, "          fix: {}", finding.fix);
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        if report.outcome == "ok" {
            paint("1;32", "No problems found.")
        } else {
            paint("1;31", "Problems found.")
        }
    );
    out
}
