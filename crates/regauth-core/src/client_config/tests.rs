//! Precedence rules of docker and podman, one test per rule, on hand-written config files.

use std::collections::BTreeMap;

use super::parse::MAX_CONFIG_BYTES;
use super::*;

/// base64 of `user:password`, as `docker login` writes it.
fn auth(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn parsed(json: &str) -> ConfigFile {
    parse_config(json.as_bytes(), FileFormat::ConfigJson).expect("hand-written fixture parses")
}

/// Helpers on PATH: the listed ones are present, every other one is checked and absent.
struct Path(&'static [&'static str]);

impl HelperPresence for Path {
    fn on_path(&self, helper: &str) -> Option<bool> {
        Some(self.0.contains(&helper))
    }
}

fn docker(config: &ConfigFile, domain: &str) -> Lookup {
    docker_lookup(
        Some((0, config)),
        domain,
        &DockerEnvironment::default(),
        &Path(&["pass", "gcloud", "ecr-login"]),
    )
}

fn podman(files: &[&ConfigFile], name: &str) -> Lookup {
    let chain: Vec<ChainFile<'_>> = files
        .iter()
        .enumerate()
        .map(|(index, config)| ChainFile {
            index,
            format: FileFormat::ConfigJson,
            config: Some(config),
            unreadable: false,
        })
        .collect();
    podman_lookup(&chain, name, &Path(&["pass", "gcloud", "ecr-login"]))
}

/// One docker config.json read by both clients (the usual single-file case).
fn analyze_one(json: &str, observed: &[ObservedCredential]) -> (ConfigInputs, ConfigAnalysis) {
    let inputs = ConfigInputs {
        files: vec![ConfigSource::load(
            "config.json",
            FileFormat::ConfigJson,
            Some(json.as_bytes()),
        )],
        docker_file: Some(0),
        docker_view: true,
        podman_chain: vec![0],
        docker_env: DockerEnvironment::default(),
    };
    let analysis = analyze_config(&inputs, &Path(&["pass", "gcloud", "ecr-login"]), observed);
    (inputs, analysis)
}

fn codes(analysis: &ConfigAnalysis) -> Vec<&'static str> {
    analysis.findings.iter().map(|finding| finding.code.as_str()).collect()
}

fn row<'a>(analysis: &'a ConfigAnalysis, name: &str) -> &'a RegistryRow {
    analysis.rows.iter().find(|row| row.name == name).unwrap_or_else(|| {
        panic!("no row {name}: {:?}", analysis.rows.iter().map(|row| &row.name).collect::<Vec<_>>())
    })
}

#[test]
fn docker_cred_helper_beats_creds_store_and_auths() {
    // hand-written fixture
    let config = parsed(&format!(
        r#"{{"auths": {{"gcr.io": {{"auth": "{}"}}}}, "credsStore": "pass", "credHelpers": {{"gcr.io": "gcloud"}}}}"#,
        auth("oauth2accesstoken", "ya29.secret")
    ));
    let lookup = docker(&config, "gcr.io");
    assert_eq!(
        lookup.source,
        Source::CredHelper { helper: "gcloud".into(), config_key: "gcr.io".into() }
    );
    assert_eq!(lookup.helper_key.as_deref(), Some("gcr.io"));
    assert_eq!(lookup.helper_on_path, Some(true));
}

#[test]
fn docker_creds_store_shadows_auths_entries() {
    // hand-written fixture: a plaintext leftover from before the store was configured.
    let json = format!(
        r#"{{"auths": {{"registry.example:5000": {{"auth": "{}"}}}}, "credsStore": "pass"}}"#,
        auth("alice", "hunter2")
    );
    let config = parsed(&json);
    let lookup = docker(&config, "registry.example:5000");
    assert_eq!(lookup.source, Source::CredsStore { helper: "pass".into() });
    assert_eq!(lookup.passed_over.len(), 1, "{:?}", lookup.passed_over);
    // podman ignores credsStore and uses the leftover.
    let podman_lookup = podman(&[&config], "registry.example:5000/app");
    assert_eq!(
        podman_lookup.source,
        Source::AuthsEntry {
            key: "registry.example:5000".into(),
            stored: StoredCredential::Password { username: "alice".into() }
        }
    );
    let (_, analysis) = analyze_one(&json, &[]);
    let plaintext = analysis
        .findings
        .iter()
        .find(|finding| finding.code == Code::ConfigPlaintextPassword)
        .expect("plaintext flagged");
    assert!(plaintext.message.contains("Used by podman"), "{}", plaintext.message);
    assert!(
        plaintext.message.contains("docker asks credsStore \"pass\" instead"),
        "{}",
        plaintext.message
    );
    assert!(codes(&analysis).contains(&"config-creds-store-ignored"));
}

#[test]
fn docker_auths_exact_key_then_host_of_legacy_url_keys() {
    // hand-written fixture
    let config = parsed(&format!(
        r#"{{"auths": {{"https://registry.example:5000/v2/": {{"auth": "{}"}}, "other.example": {{"auth": "{}"}}}}}}"#,
        auth("legacy", "x"),
        auth("bob", "y")
    ));
    assert_eq!(
        docker(&config, "other.example").source,
        Source::AuthsEntry {
            key: "other.example".into(),
            stored: StoredCredential::Password { username: "bob".into() }
        }
    );
    assert_eq!(
        docker(&config, "registry.example:5000").source,
        Source::AuthsEntry {
            key: "https://registry.example:5000/v2/".into(),
            stored: StoredCredential::Password { username: "legacy".into() }
        }
    );
    // host:port is a different key from host.
    assert_eq!(docker(&config, "registry.example").source, Source::None);
}

#[test]
fn docker_hub_is_looked_up_as_the_v1_url() {
    // hand-written fixture
    let json = format!(
        r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{}"}}, "docker.io": {{"auth": "{}"}}}}}}"#,
        auth("hubuser", "p1"),
        auth("other", "p2")
    );
    let config = parsed(&json);
    let lookup = docker(&config, "docker.io");
    assert_eq!(
        lookup.source,
        Source::AuthsEntry {
            key: DOCKER_HUB_KEY.into(),
            stored: StoredCredential::Password { username: "hubuser".into() }
        }
    );
    assert_eq!(docker(&config, "index.docker.io").source, lookup.source);
    // podman's exact key `docker.io` wins over the normalised v1 URL.
    assert_eq!(
        podman(&[&config], "docker.io/library/alpine").source,
        Source::AuthsEntry {
            key: "docker.io".into(),
            stored: StoredCredential::Password { username: "other".into() }
        }
    );
    let (_, analysis) = analyze_one(&json, &[]);
    assert!(codes(&analysis).contains(&"config-key-never-used"), "{:?}", analysis.findings);
    // Rows use the clients' common name.
    assert!(analysis.rows.iter().any(|row| row.name == "docker.io"));
    assert!(!analysis.rows.iter().any(|row| row.name.contains("index.docker.io")));
}

#[test]
fn podman_finds_docker_hub_under_the_v1_url_by_normalising() {
    // hand-written fixture: what `docker login` writes, read by podman.
    let config = parsed(&format!(
        r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{}"}}}}}}"#,
        auth("hubuser", "p1")
    ));
    assert_eq!(
        podman(&[&config], "docker.io/library/alpine").source,
        Source::AuthsEntry {
            key: DOCKER_HUB_KEY.into(),
            stored: StoredCredential::Password { username: "hubuser".into() }
        }
    );
}

#[test]
fn cred_helpers_key_docker_io_is_podman_spelling_only() {
    // hand-written fixture
    let json =
        r#"{"credHelpers": {"docker.io": "pass", "https://index.docker.io/v1/": "ecr-login"}}"#;
    let config = parsed(json);
    assert_eq!(
        docker(&config, "docker.io").source,
        Source::CredHelper { helper: "ecr-login".into(), config_key: DOCKER_HUB_KEY.into() }
    );
    let lookup = podman(&[&config], "docker.io/library/alpine");
    assert_eq!(
        lookup.source,
        Source::CredHelper { helper: "pass".into(), config_key: "docker.io".into() }
    );
    assert_eq!(lookup.helper_key.as_deref(), Some("docker.io"));
    let (_, analysis) = analyze_one(json, &[]);
    let never_used: Vec<&str> = analysis
        .findings
        .iter()
        .filter(|finding| finding.code == Code::ConfigKeyNeverUsed)
        .map(|finding| finding.message.as_str())
        .collect();
    assert_eq!(never_used.len(), 2, "{never_used:?}");
    assert!(never_used.iter().any(|message| {
        message.contains("docker never matches the `credHelpers` key \"docker.io\"")
    }));
    assert!(
        never_used.iter().any(|message| message.contains(
            "podman never matches the `credHelpers` key \"https://index.docker.io/v1/\""
        ))
    );
}

#[test]
fn docker_falls_back_to_the_platform_store_only_without_any_auth() {
    // hand-written fixtures
    let empty = parsed(r#"{"psFormat": "table"}"#);
    let env =
        DockerEnvironment { default_store: Some("secretservice".into()), ..Default::default() };
    let lookup = docker_lookup(Some((0, &empty)), "registry.example", &env, &Path(&[]));
    assert_eq!(lookup.source, Source::DefaultStore { helper: "secretservice".into() });
    assert_eq!(lookup.helper_on_path, Some(false));
    let with_auths = parsed(r#"{"auths": {"other.example": {}}}"#);
    let lookup = docker_lookup(Some((0, &with_auths)), "registry.example", &env, &Path(&[]));
    assert_eq!(lookup.source, Source::None);
}

#[test]
fn docker_auth_config_environment_comes_first() {
    // hand-written fixture
    let config = parsed(r#"{"credHelpers": {"registry.example": "pass"}}"#);
    let env_value = format!(
        r#"{{"auths": {{"registry.example": {{"auth": "{}"}}}}}}"#,
        auth("ci-bot", "s3cret")
    );
    let env = DockerEnvironment {
        auth_config_env: parse_docker_auth_config_env(&env_value).expect("parses"),
        default_store: None,
    };
    let lookup = docker_lookup(Some((0, &config)), "registry.example", &env, &Path(&["pass"]));
    assert_eq!(
        lookup.source,
        Source::EnvAuthConfig { key: "registry.example".into(), username: Some("ci-bot".into()) }
    );
    assert!(!format!("{lookup:?}").contains("s3cret"));
}

#[test]
fn several_keys_for_one_registry_are_ambiguous() {
    // hand-written fixture
    let json = format!(
        r#"{{"auths": {{"https://registry.example/v1/": {{"auth": "{}"}}, "http://registry.example/v2/": {{"auth": "{}"}}}}}}"#,
        auth("one", "a"),
        auth("two", "b")
    );
    let config = parsed(&json);
    assert_eq!(docker(&config, "registry.example").ambiguous_keys.len(), 2);
    let (_, analysis) = analyze_one(&json, &[]);
    assert!(codes(&analysis).contains(&"config-ambiguous-key"));
}

#[test]
fn missing_helper_is_an_error() {
    // hand-written fixture: a Docker Desktop config copied to a Linux box.
    let (_, analysis) =
        analyze_one(r#"{"auths": {"registry.example": {}}, "credsStore": "desktop"}"#, &[]);
    let missing: Vec<&ConfigFinding> = analysis
        .findings
        .iter()
        .filter(|finding| finding.code == Code::ConfigHelperMissing)
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", analysis.findings);
    assert_eq!(missing[0].severity, Severity::Error);
    assert!(missing[0].message.contains("docker-credential-desktop"));
    assert!(analysis.has_problems());
    // podman does not run credsStore, so only docker's lookup fails.
    assert_eq!(
        row(&analysis, "registry.example").podman.as_ref().map(|lookup| &lookup.source),
        Some(&Source::None)
    );
}

#[test]
fn podman_reads_files_in_order_and_skips_empty_entries() {
    // hand-written fixtures: runtime auth.json, then ~/.config/containers/auth.json.
    let runtime = parsed(r#"{"auths": {"registry.example": {}}}"#);
    let user = parsed(&format!(
        r#"{{"auths": {{"registry.example": {{"auth": "{}"}}}}}}"#,
        auth("carol", "pw")
    ));
    let lookup = podman(&[&runtime, &user], "registry.example/app");
    assert_eq!(lookup.file, Some(1));
    assert_eq!(
        lookup.source,
        Source::AuthsEntry {
            key: "registry.example".into(),
            stored: StoredCredential::Password { username: "carol".into() }
        }
    );
    assert_eq!(lookup.passed_over.len(), 1);
    // The first file that has credentials wins.
    let first = parsed(&format!(
        r#"{{"auths": {{"registry.example": {{"auth": "{}"}}}}}}"#,
        auth("dave", "pw")
    ));
    assert_eq!(podman(&[&first, &user], "registry.example/app").file, Some(0));
}

#[test]
fn podman_cred_helper_in_a_file_comes_before_its_auths() {
    // hand-written fixture
    let config = parsed(&format!(
        r#"{{"auths": {{"quay.io": {{"auth": "{}"}}}}, "credHelpers": {{"quay.io": "pass"}}}}"#,
        auth("erin", "pw")
    ));
    assert_eq!(
        podman(&[&config], "quay.io/org/app").source,
        Source::CredHelper { helper: "pass".into(), config_key: "quay.io".into() }
    );
}

#[test]
fn podman_namespace_keys_longest_first() {
    // hand-written fixture
    let json = format!(
        r#"{{"auths": {{"quay.io": {{"auth": "{}"}}, "quay.io/org": {{"auth": "{}"}}, "quay.io/org/app": {{"auth": "{}"}}}}}}"#,
        auth("everyone", "a"),
        auth("org-robot", "b"),
        auth("app-robot", "c")
    );
    let config = parsed(&json);
    let user_of = |name: &str| match podman(&[&config], name).source {
        Source::AuthsEntry { stored, .. } => stored.username().map(str::to_owned),
        other => panic!("{other:?}"),
    };
    assert_eq!(user_of("quay.io/org/app").as_deref(), Some("app-robot"));
    assert_eq!(user_of("quay.io/org/other").as_deref(), Some("org-robot"));
    assert_eq!(user_of("quay.io/elsewhere/x").as_deref(), Some("everyone"));
    // docker has no namespaces: only the exact host key counts.
    assert_eq!(
        docker(&config, "quay.io").source,
        Source::AuthsEntry {
            key: "quay.io".into(),
            stored: StoredCredential::Password { username: "everyone".into() }
        }
    );
    let (_, analysis) = analyze_one(&json, &[]);
    let namespace = row(&analysis, "quay.io/org");
    assert!(namespace.docker.is_none(), "docker has no namespace rows");
    assert!(namespace.podman.is_some());
}

#[test]
fn identity_tokens_are_named_and_flagged() {
    // hand-written fixture: what `docker login` stores when the token service hands out a
    // refresh token (`auth` is base64 of `user:`).
    let json = format!(
        r#"{{"auths": {{"registry.example": {{"auth": "{}", "identitytoken": "refresh-SECRET"}}}}}}"#,
        auth("frank", "")
    );
    let config = parsed(&json);
    let expected = Source::AuthsEntry {
        key: "registry.example".into(),
        stored: StoredCredential::IdentityToken { username: Some("frank".into()) },
    };
    assert_eq!(docker(&config, "registry.example").source, expected);
    assert_eq!(podman(&[&config], "registry.example").source, expected);
    let (_, analysis) = analyze_one(&json, &[]);
    assert_eq!(codes(&analysis), vec!["config-plaintext-identity-token"]);
    assert!(!format!("{analysis:?}").contains("refresh-SECRET"));
}

#[test]
fn identity_token_without_user_part_is_ignored_by_podman() {
    // hand-written fixture
    let config = parsed(r#"{"auths": {"registry.example": {"identitytoken": "tok"}}}"#);
    assert_eq!(
        docker(&config, "registry.example").source,
        Source::AuthsEntry {
            key: "registry.example".into(),
            stored: StoredCredential::IdentityToken { username: None }
        }
    );
    assert_eq!(podman(&[&config], "registry.example").source, Source::None);
}

#[test]
fn legacy_dockercfg_is_keyed_by_urls() {
    // hand-written fixture: `~/.dockercfg` is the auths map alone.
    let json = format!(
        r#"{{"https://registry.example/v1/": {{"auth": "{}", "email": "x@y"}}}}"#,
        auth("gina", "pw")
    );
    let config = parse_config(json.as_bytes(), FileFormat::LegacyDockercfg).expect("parses");
    let chain = [ChainFile {
        index: 0,
        format: FileFormat::LegacyDockercfg,
        config: Some(&config),
        unreadable: false,
    }];
    assert_eq!(
        podman_lookup(&chain, "registry.example/app", &Path(&[])).source,
        Source::AuthsEntry {
            key: "https://registry.example/v1/".into(),
            stored: StoredCredential::Password { username: "gina".into() }
        }
    );
}

#[test]
fn plaintext_password_is_flagged_without_printing_it() {
    // hand-written fixture: `auth` and the `username`/`password` fields docker also reads.
    let json = format!(
        r#"{{"auths": {{"a.example": {{"auth": "{}"}}, "b.example": {{"username": "ivy", "password": "Pa55-IVY"}}}}}}"#,
        auth("hank", "Pa55-HANK")
    );
    let (_, analysis) = analyze_one(&json, &[]);
    assert_eq!(codes(&analysis), vec!["config-plaintext-password", "config-plaintext-password"]);
    assert!(analysis.has_problems());
    let everything = format!("{analysis:?}");
    for secret in ["Pa55-HANK", "Pa55-IVY", &auth("hank", "Pa55-HANK")] {
        assert!(!everything.contains(secret), "secret {secret} leaked");
    }
    assert!(everything.contains("hank") && everything.contains("ivy"), "user names are shown");
}

#[test]
fn invalid_auth_values() {
    // hand-written fixtures
    let config = parsed(
        r#"{"auths": {"a": {"auth": "not base64!"}, "b": {"auth": "bm9jb2xvbg=="}, "c": {"auth": "OnB3"}}}"#,
    );
    assert_eq!(
        docker(&config, "a").source,
        Source::AuthsEntry {
            key: "a".into(),
            stored: StoredCredential::Invalid(AuthFieldProblem::NotBase64)
        }
    );
    assert_eq!(
        docker(&config, "b").source,
        Source::AuthsEntry {
            key: "b".into(),
            stored: StoredCredential::Invalid(AuthFieldProblem::NoColon)
        }
    );
    // ":pw": docker refuses, containers/image accepts an empty user.
    assert_eq!(
        docker(&config, "c").source,
        Source::AuthsEntry {
            key: "c".into(),
            stored: StoredCredential::Invalid(AuthFieldProblem::EmptyUsername)
        }
    );
    assert_eq!(
        podman(&[&config], "c").source,
        Source::AuthsEntry {
            key: "c".into(),
            stored: StoredCredential::Password { username: String::new() }
        }
    );
    assert_eq!(podman(&[&config], "b").source, Source::None, "no user part: skipped");
    // Unpadded base64 is invalid to Go's StdEncoding.
    let unpadded = parsed(r#"{"auths": {"d": {"auth": "dTpw"}, "e": {"auth": "dTpwdw"}}}"#);
    assert!(matches!(
        unpadded.auth_entry("d").map(|entry| &entry.auth),
        Some(AuthField::Pair { .. })
    ));
    assert_eq!(
        unpadded.auth_entry("e").map(|entry| &entry.auth),
        Some(&AuthField::Invalid(AuthFieldProblem::NotBase64))
    );
}

#[test]
fn keys_match_case_insensitively_like_go() {
    // hand-written fixture
    let config = parsed(&format!(
        r#"{{"Auths": {{"r.example": {{"Auth": "{}", "IdentityToken": "t"}}}}, "CredsStore": "pass", "credhelpers": {{"x.example": "gcloud"}}}}"#,
        auth("jo", "")
    ));
    assert_eq!(config.creds_store.as_deref(), Some("pass"));
    assert_eq!(config.cred_helper("x.example"), Some("gcloud"));
    assert!(config.auth_entry("r.example").is_some_and(AuthEntry::stores_identity_token));
}

#[test]
fn bad_files_are_errors_or_problems() {
    assert!(matches!(
        parse_config(b"{not json", FileFormat::ConfigJson),
        Err(ConfigError::NotJson(_))
    ));
    assert_eq!(parse_config(b"[1]", FileFormat::ConfigJson).err(), Some(ConfigError::NotAnObject));
    assert!(
        parse_config(b"  \n", FileFormat::ConfigJson).is_ok_and(|config| !config.contains_auth())
    );
    let huge = vec![b' '; MAX_CONFIG_BYTES + 1];
    assert!(matches!(
        parse_config(&huge, FileFormat::ConfigJson),
        Err(ConfigError::TooLarge { .. })
    ));
    // hand-written fixture: wrong types are problems, the rest still counts.
    let config = parsed(
        r#"{"auths": {"a": 3, "b": {"auth": 5}}, "credHelpers": {"c": 1, "d": "pass"}, "credsStore": []}"#,
    );
    assert_eq!(config.problems.len(), 4, "{:?}", config.problems);
    assert_eq!(config.cred_helper("d"), Some("pass"));
    // Never a panic on mangled input.
    let sample = format!(
        r#"{{"auths":{{"https://r.example:5000/v1/":{{"auth":"{}","identitytoken":"t"}}}},"credHelpers":{{"docker.io":"pass"}},"credsStore":"x"}}"#,
        auth("u", "p")
    );
    for end in 0..sample.len() {
        for format in [FileFormat::ConfigJson, FileFormat::LegacyDockercfg] {
            let _ = parse_config(&sample.as_bytes()[..end], format);
        }
        let mut mangled = sample.as_bytes().to_vec();
        mangled[end] = b'"';
        if let Ok(config) = parse_config(&mangled, FileFormat::ConfigJson) {
            let _ = docker(&config, "r.example:5000");
            let _ = podman(&[&config], "r.example:5000/a/b");
        }
    }
}

fn observed(
    registry: &str,
    kind: ObservedKind,
    via: Via,
    client: Option<Client>,
) -> ObservedCredential {
    ObservedCredential {
        registry: registry.into(),
        repository: Some("team/app".into()),
        kind,
        via,
        client,
        login: false,
        exchanges: vec![3, 4],
    }
}

#[test]
fn capture_credentials_match_or_not() {
    // hand-written fixture
    let json = format!(
        r#"{{"auths": {{"registry.example": {{"auth": "{}"}}, "idt.example": {{"auth": "{}", "identitytoken": "t"}}, "helped.example": {{}}}}, "credHelpers": {{"helped.example": "pass"}}}}"#,
        auth("kim", "pw"),
        auth("lee", "")
    );
    let seen = [
        observed(
            "registry.example",
            ObservedKind::Password { username: "kim".into() },
            Via::TokenRequest,
            Some(Client::Podman),
        ),
        observed(
            "registry.example",
            ObservedKind::Password { username: "mallory".into() },
            Via::TokenRequest,
            Some(Client::Docker),
        ),
        observed(
            "idt.example",
            ObservedKind::IdentityToken { username: None },
            Via::OAuth2RefreshToken,
            Some(Client::Docker),
        ),
        observed(
            "idt.example",
            ObservedKind::Password { username: "lee".into() },
            Via::OAuth2Password,
            Some(Client::Podman),
        ),
        observed(
            "helped.example",
            ObservedKind::Password { username: "x".into() },
            Via::TokenRequest,
            Some(Client::Docker),
        ),
        observed(
            "nothing.example",
            ObservedKind::Anonymous,
            Via::TokenRequest,
            Some(Client::Docker),
        ),
        observed(
            "nothing.example",
            ObservedKind::Password { username: "z".into() },
            Via::RegistryBasic,
            Some(Client::Podman),
        ),
    ];
    let (_, analysis) = analyze_one(&json, &seen);
    let verdicts = |name: &str| -> Vec<(Client, Verdict)> {
        row(&analysis, name).checks.iter().map(|check| (check.client, check.verdict)).collect()
    };
    assert_eq!(
        verdicts("registry.example"),
        vec![(Client::Podman, Verdict::Match), (Client::Docker, Verdict::Mismatch)]
    );
    assert_eq!(
        verdicts("idt.example"),
        vec![(Client::Docker, Verdict::Match), (Client::Podman, Verdict::Mismatch)]
    );
    assert_eq!(verdicts("helped.example"), vec![(Client::Docker, Verdict::Unverifiable)]);
    assert_eq!(
        verdicts("nothing.example"),
        vec![(Client::Docker, Verdict::Match), (Client::Podman, Verdict::Mismatch)]
    );
    assert!(row(&analysis, "nothing.example").in_capture);
    let mismatches: Vec<&ConfigFinding> = analysis
        .findings
        .iter()
        .filter(|finding| finding.code == Code::ConfigCredentialsMismatch)
        .collect();
    assert_eq!(mismatches.len(), 3, "{mismatches:?}");
    assert!(mismatches.iter().any(|finding| finding.message.contains("\"mallory\"")
        && finding.message.contains("a different user")
        && finding.message.contains("#3 #4")));
    // An unknown client is compared with both views.
    let (_, analysis) = analyze_one(
        &json,
        &[observed("registry.example", ObservedKind::Anonymous, Via::TokenRequest, None)],
    );
    assert_eq!(row(&analysis, "registry.example").checks.len(), 2);
}

#[test]
fn helper_presence_map_answers_unknown_for_unchecked_helpers() {
    let mut map = BTreeMap::new();
    map.insert("pass".to_owned(), true);
    assert_eq!(map.on_path("pass"), Some(true));
    assert_eq!(map.on_path("gcloud"), None);
}

#[test]
fn helper_names_cover_every_file_and_the_default_store() {
    // hand-written fixtures
    let inputs = ConfigInputs {
        files: vec![
            ConfigSource::load(
                "a",
                FileFormat::ConfigJson,
                Some(br#"{"credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"}}"#),
            ),
            ConfigSource::load(
                "b",
                FileFormat::ConfigJson,
                Some(br#"{"credHelpers": {"quay.io": "pass"}}"#),
            ),
            ConfigSource::load("c", FileFormat::ConfigJson, None),
        ],
        docker_file: Some(0),
        docker_view: true,
        podman_chain: vec![1, 2, 0],
        docker_env: DockerEnvironment {
            default_store: Some("secretservice".into()),
            ..Default::default()
        },
    };
    assert_eq!(inputs.helper_names(), vec!["desktop", "gcloud", "pass", "secretservice"]);
}
