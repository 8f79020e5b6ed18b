//! Property tests (proptest): challenge print/parse round trips, scope `covers`, URL masking and
//! display-safe text, over generated inputs rather than the handful of cases the unit tests
//! spell out. Native only (proptest's RNG does not build for wasm32).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use regauth_core::display::{is_unsafe_char, safe};
use regauth_core::protocol::challenge::{Challenge, parse_challenges};
use regauth_core::protocol::scope::{Scope, parse_scope, parse_scope_list};
use regauth_core::secret::{is_secret_parameter, mask_url_secrets};

/// An RFC 7230 `token` (scheme or parameter name).
fn token(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{{0,{max}}}"))
        .expect("regex")
}

/// Any parameter value: printable text including quotes, backslashes, commas, `=` and spaces.
fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(r#"[ -~]{0,24}"#).expect("regex"),
        "\\PC{0,12}",
        Just("https://auth.example/token?a=1,b=\"2\"".to_owned()),
    ]
}

fn challenge() -> impl Strategy<Value = Challenge> {
    let params = proptest::collection::vec(
        (token(8).prop_map(|name| name.to_ascii_lowercase()), param_value()),
        0..5,
    );
    let token68 = proptest::string::string_regex("[A-Za-z0-9._~+/-]{1,16}=*").expect("regex");
    (
        token(10),
        prop_oneof![
            params.prop_map(|params| (params, None)),
            token68.prop_map(|t| (Vec::new(), Some(t)))
        ],
    )
        .prop_map(|(scheme, (params, token68))| Challenge { scheme, params, token68 })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A challenge printed with `Display` parses back to itself, alone or among others.
    #[test]
    fn challenges_round_trip(challenges in proptest::collection::vec(challenge(), 1..4)) {
        for challenge in &challenges {
            let printed = challenge.to_string();
            let (parsed, problems) = parse_challenges([printed.as_str()]);
            prop_assert!(problems.is_empty(), "{:?}: {:?}", printed, problems);
            prop_assert_eq!(&parsed, std::slice::from_ref(challenge), "{:?}", printed);
        }
        // Several in one header value (as recorders fold them), and one per header value.
        let joined: Vec<String> = challenges.iter().map(ToString::to_string).collect();
        let (parsed, problems) = parse_challenges([joined.join(", ").as_str()]);
        prop_assert!(problems.is_empty(), "{:?}: {:?}", joined, problems);
        prop_assert_eq!(&parsed, &challenges);
        let (parsed, _) = parse_challenges(joined.iter().map(String::as_str));
        prop_assert_eq!(&parsed, &challenges);
    }
}

fn scope() -> impl Strategy<Value = Scope> {
    let resource_type = proptest::string::string_regex("[a-z][a-z0-9._-]{0,8}").expect("regex");
    let class = proptest::option::of(proptest::string::string_regex("[a-z]{1,6}").expect("regex"));
    let host = proptest::option::of(
        proptest::string::string_regex("[a-z0-9.-]{1,10}(:[0-9]{1,5})?/").expect("regex"),
    );
    let path =
        proptest::string::string_regex("[a-z0-9._-]{1,8}(/[a-z0-9._-]{1,8}){0,3}").expect("regex");
    let actions = proptest::collection::vec(
        prop_oneof![
            Just("pull".to_owned()),
            Just("push".to_owned()),
            Just("delete".to_owned()),
            Just("*".to_owned()),
            proptest::string::string_regex("[a-z]{1,6}").expect("regex")
        ],
        0..4,
    );
    (resource_type, class, host, path, actions).prop_map(
        |(resource_type, resource_class, host, path, actions)| {
            let mut unique: Vec<String> = Vec::new();
            for action in actions {
                if !unique.contains(&action) {
                    unique.push(action);
                }
            }
            Scope {
                resource_type,
                resource_class,
                name: format!("{}{path}", host.unwrap_or_default()),
                actions: unique,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Printing and parsing a scope gives it back; a list of them too.
    #[test]
    fn scopes_round_trip(scopes in proptest::collection::vec(scope(), 1..5)) {
        for scope in &scopes {
            let parsed = parse_scope(&scope.to_string());
            prop_assert_eq!(parsed.as_ref(), Ok(scope));
        }
        let joined: Vec<String> = scopes.iter().map(ToString::to_string).collect();
        let (parsed, errors) = parse_scope_list(&joined.join(" "));
        prop_assert!(errors.is_empty());
        prop_assert_eq!(parsed, scopes);
    }

    /// `covers` is "same resource, and every asked action granted (`*` grants all)": reflexive,
    /// blind to action order, transitive, and never true across resources.
    #[test]
    fn covers_means_same_resource_and_a_superset_of_actions(a in scope(), b in scope(), seed in any::<u64>()) {
        prop_assert!(a.covers(&a));
        let expected = a.same_resource(&b)
            && (a.has_action("*") || b.actions.iter().all(|action| a.has_action(action)));
        prop_assert_eq!(a.covers(&b), expected);
        prop_assert_eq!(a.missing_actions(&b).is_empty() || !a.same_resource(&b), a.covers(&b) || !a.same_resource(&b));
        // Same resource as `a`, `b`'s actions in a shuffled order.
        let mut same = Scope { actions: b.actions.clone(), ..a.clone() };
        let mut reordered = same.clone();
        let n = reordered.actions.len();
        if n > 1 {
            reordered.actions.rotate_left((seed as usize) % n);
        }
        prop_assert_eq!(a.covers(&same), a.covers(&reordered));
        prop_assert_eq!(same.covers(&a), reordered.covers(&a));
        // Transitivity: a ⊇ same ⊇ fewer implies a ⊇ fewer.
        same.actions.truncate(n / 2);
        let fewer = same.clone();
        if a.covers(&same) && same.covers(&fewer) {
            prop_assert!(a.covers(&fewer));
        }
    }
}

/// Parameter names: secret ones in any case and spelling, and harmless ones.
fn parameter() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        prop_oneof![
            Just("password"),
            Just("access_token"),
            Just("Refresh_Token"),
            Just("client_secret"),
            Just("X-Amz-Signature"),
            Just("x-amz-security-token"),
            Just("X-Goog-Signature"),
            Just("sig"),
            Just("Signature"),
            Just("token"),
            Just("code"),
            Just("verify")
        ]
        .prop_map(|name| (name.to_owned(), true)),
        prop_oneof![
            Just("service"),
            Just("scope"),
            Just("account"),
            Just("client_id"),
            Just("offline_token"),
            Just("n"),
            Just("last"),
            Just("X-Amz-Expires")
        ]
        .prop_map(|name| (name.to_owned(), false)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// No secret value survives masking, every harmless parameter does, names are kept, and
    /// masking twice changes nothing.
    #[test]
    fn url_masking_hides_exactly_the_secrets(
        params in proptest::collection::vec((parameter(), "[A-Za-z0-9._~%-]{1,16}"), 0..6),
        password in proptest::option::of("[A-Za-z0-9._~%!$-]{1,12}"),
        fragment in any::<bool>(),
    ) {
        let userinfo = password.as_ref().map(|password| format!("user:{password}@")).unwrap_or_default();
        let query: Vec<String> = params.iter().enumerate()
            .map(|(idx, ((name, _), value))| format!("{name}=V{idx}{value}"))
            .collect();
        let separator = if fragment { "#" } else { "?" };
        let url = format!("https://{userinfo}reg.example/v2/token{separator}{}", query.join("&"));
        let masked = mask_url_secrets(&url).into_owned();
        for (idx, ((name, secret), value)) in params.iter().enumerate() {
            prop_assert_eq!(is_secret_parameter(name), *secret);
            let shown = format!("{name}=V{idx}{value}");
            if *secret {
                prop_assert!(!masked.contains(&format!("V{}{}", idx, value)), "{}", masked);
                prop_assert!(masked.contains(&format!("{}=***", name)), "{}", masked);
            } else {
                prop_assert!(masked.contains(&shown), "{}", masked);
            }
        }
        if let Some(password) = &password {
            prop_assert!(masked.starts_with("https://user:***@reg.example/"), "{}", masked);
            let revealed = format!(":{password}@");
            prop_assert!(!masked.contains(&revealed), "{}", masked);
        }
        let twice = mask_url_secrets(&masked).into_owned();
        prop_assert_eq!(twice, masked);
    }

    /// The masking's scan, which skips from one `:` or parameter start to the next, masks
    /// what looking at every byte in turn (the scan it replaced, below) masks.
    #[test]
    fn url_masking_masks_what_a_byte_by_byte_scan_masks(
        pieces in proptest::collection::vec(prop_oneof![
            proptest::string::string_regex(r"[a-z0-9_@:/?&#;= -]{1,6}").expect("regex"),
            Just("password=".to_owned()),
            Just("access_token=".to_owned()),
            Just("://u:p@".to_owned()),
            Just("https://".to_owned()),
            Just("\"".to_owned()),
            Just("é".to_owned()),
        ], 0..12),
    ) {
        let text = pieces.concat();
        prop_assert_eq!(mask_url_secrets(&text).into_owned(), mask_byte_by_byte(&text), "{:?}", text);
    }

    /// Display-safe text has no unsafe character left and keeps every safe one in order.
    #[test]
    fn safe_text_escapes_only_unsafe_characters(text in "(\\PC|[\\x00-\\x1f\\x7f-\\x9f\\u{200b}-\\u{200f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}\\u{feff}]){0,40}") {
        let shown = safe(&text);
        prop_assert!(!shown.chars().any(is_unsafe_char));
        let kept: String = text.chars().filter(|&ch| !is_unsafe_char(ch)).collect();
        let shown_without_escapes: String = shown.chars().filter(|&ch| !is_unsafe_char(ch)).collect();
        // Every safe character appears, in order (escapes only add text between them).
        let mut rest = shown_without_escapes.as_str();
        for ch in kept.chars() {
            let at = rest.find(ch);
            prop_assert!(at.is_some(), "{:?} lost from {:?}", ch, shown);
            rest = &rest[at.unwrap_or(0) + ch.len_utf8()..];
        }
    }
}

/// The masking scan as it was before it skipped ahead: every byte looked at in turn. Kept as the
/// reference the faster scan must agree with.
fn mask_byte_by_byte(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut masked: Vec<(usize, usize)> = Vec::new();
    let ends_value = |byte: u8| {
        byte.is_ascii_whitespace()
            || matches!(byte, b'&' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`' | b';')
    };
    let mut pos = 0;
    while pos < bytes.len() {
        if bytes[pos..].starts_with(b"://") {
            let start = pos + 3;
            let authority_end = bytes[start..]
                .iter()
                .position(|&byte| matches!(byte, b'/' | b'?' | b'#') || ends_value(byte))
                .map_or(bytes.len(), |offset| start + offset);
            if let Some(at) = bytes[start..authority_end].iter().rposition(|&byte| byte == b'@')
                && let Some(colon) = bytes[start..start + at].iter().position(|&byte| byte == b':')
                && colon + 1 < at
            {
                masked.push((start + colon + 1, start + at));
            }
            pos = start;
            continue;
        }
        let starts_parameter = pos == 0 || matches!(bytes[pos - 1], b'?' | b'&' | b'#' | b';');
        if starts_parameter {
            let name_end = bytes[pos..]
                .iter()
                .position(|&byte| byte == b'=' || ends_value(byte) || byte == b'?' || byte == b'/')
                .map_or(bytes.len(), |offset| pos + offset);
            if name_end < bytes.len() && bytes[name_end] == b'=' && name_end > pos {
                let value_start = name_end + 1;
                let value_end = bytes[value_start..]
                    .iter()
                    .position(|&byte| ends_value(byte))
                    .map_or(bytes.len(), |offset| value_start + offset);
                if value_end > value_start && is_secret_parameter(&text[pos..name_end]) {
                    masked.push((value_start, value_end));
                }
                pos = value_end.max(pos + 1);
                continue;
            }
        }
        pos += 1;
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in masked {
        out.push_str(&text[copied..start]);
        out.push_str("***");
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

fn finding() -> impl Strategy<Value = regauth_core::analysis::Finding> {
    use regauth_core::analysis::{CODES, Finding, Severity};
    let severity =
        prop_oneof![Just(Severity::Info), Just(Severity::Warning), Just(Severity::Error)];
    (0..CODES.len(), severity, proptest::collection::vec(0usize..4, 0..3), 0u32..1000).prop_map(
        |(code, severity, exchanges, tag)| Finding {
            code: CODES[code].code,
            severity,
            session: None,
            step: None,
            exchanges: exchanges.into(),
            // Tells findings with equal keys apart, so the order among them is checked.
            message: tag.to_string(),
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// `order` sorts positions instead of the findings; it must give what a stable sort by
    /// the documented key gives, ties in their first order.
    #[test]
    fn findings_are_ordered_as_a_stable_sort_orders_them(
        mut findings in proptest::collection::vec(finding(), 0..40)
    ) {
        let mut expected = findings.clone();
        expected.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.exchanges.first().cmp(&b.exchanges.first()))
                .then(a.code.as_str().cmp(b.code.as_str()))
        });
        regauth_core::analysis::findings::order(&mut findings);
        prop_assert_eq!(findings, expected);
    }
}
