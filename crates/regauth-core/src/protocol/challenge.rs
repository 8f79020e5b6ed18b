//! `WWW-Authenticate` challenges (RFC 7235 §2.1 and §4.1, RFC 6750 §3).
//!
//! ```text
//! WWW-Authenticate = 1#challenge
//! challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param       = token BWS "=" BWS ( token / quoted-string )
//! token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! Hand-written rather than built on the `http-auth` crate: `http_auth::parser::ChallengeParser`
//! handles several challenges in one value, but it stops ("fuses") at the first syntax error and
//! rejects non-ASCII text, whereas a diagnostic tool must keep every challenge it can read after a
//! broken one, say where each problem is (header index and byte offset) and accept what real
//! servers send (unquoted URLs, stray whitespace). The grammar is small; the tricky part is that
//! commas separate both challenges and parameters, which is resolved element by element: a
//! `token BWS "="` element is a parameter of the current challenge, anything else starts a new one.

use crate::protocol::scope::{Scope, ScopeError, parse_scope_list};

/// One challenge of a `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme as written (`Bearer`, `basic`, ...); compare with [`Challenge::is_bearer`] etc.
    pub scheme: String,
    /// Parameters in order, names lower-cased, values unquoted and unescaped. Repeats are kept.
    pub params: Vec<(String, String)>,
    /// The token68 form (`Negotiate abc==`), if the challenge used it instead of parameters.
    pub token68: Option<String>,
}

/// Something wrong in a challenge header, located in the header it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeProblem {
    /// Position of the header value among the values passed to [`parse_challenges`].
    pub header_index: usize,
    /// Byte offset in that header value where the problem starts.
    pub byte_offset: usize,
    pub message: String,
    /// How many further problems the header had that were not kept (on the last problem kept,
    /// when there were more than [`MAX_CHALLENGE_PROBLEMS`]).
    pub unlisted: usize,
}

/// The most problems [`parse_challenges`] keeps for one header: a hostile header of a million
/// stray `=` would otherwise cost far more memory as problems than it takes as text. The rest
/// are only counted ([`ChallengeProblem::unlisted`]).
pub const MAX_CHALLENGE_PROBLEMS: usize = 100;

/// The most challenges [`parse_challenges`] keeps from one response's headers, and the most
/// parameters it keeps of one challenge. Real registries send one to three challenges of two
/// to five parameters; a hostile header of a million tiny elements would take tens of times
/// its size in memory as parsed values. What is past these limits is counted and reported as
/// a problem that names the limit.
pub const MAX_CHALLENGES: usize = 1000;
/// See [`MAX_CHALLENGES`].
pub const MAX_CHALLENGE_PARAMS: usize = 1000;

/// What [`parse_challenges`] read but did not keep (past [`MAX_CHALLENGES`] or
/// [`MAX_CHALLENGE_PARAMS`]), and where the first of it was.
#[derive(Default)]
struct Dropped {
    challenges: usize,
    params: usize,
    /// Header index and byte offset of the first element not kept.
    first: Option<(usize, usize)>,
}

impl Challenge {
    /// The first value of the parameter `name` (ASCII case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of the parameter `name` (ASCII case-insensitive), in order.
    pub fn params_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn is_bearer(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("bearer")
    }

    pub fn is_basic(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("basic")
    }

    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    pub fn service(&self) -> Option<&str> {
        self.param("service")
    }

    /// RFC 6750 §3 `error` (`invalid_token`, `insufficient_scope`, `invalid_request`).
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }

    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }

    /// Every scope the challenge asks for: space-separated inside one `scope` parameter, and
    /// across repeated `scope` parameters. Unparseable scopes are left out; see
    /// [`Challenge::scopes_with_errors`].
    pub fn scopes(&self) -> Vec<Scope> {
        self.scopes_with_errors().0
    }

    pub fn scopes_with_errors(&self) -> (Vec<Scope>, Vec<ScopeError>) {
        let mut scopes = Vec::new();
        let mut errors = Vec::new();
        for value in self.params_named("scope") {
            let (mut more_scopes, mut more_errors) = parse_scope_list(value);
            scopes.append(&mut more_scopes);
            errors.append(&mut more_errors);
        }
        (scopes, errors)
    }
}

/// Writes the challenge back in canonical form: `Scheme token68`, or `Scheme name="value", …`
/// with every value quoted and escaped, so it parses back to the same challenge. A token68
/// followed by parameters (which the grammar does not allow, but the parser keeps:
/// `Scheme abc, name=value`) is written the same way, with a comma after the token68.
impl std::fmt::Display for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(token68) = &self.token68 {
            write!(f, " {token68}")?;
        }
        for (idx, (name, value)) in self.params.iter().enumerate() {
            // After a token68, a space alone would make the parameter name part of it.
            f.write_str(if idx == 0 && self.token68.is_none() { " " } else { ", " })?;
            write!(f, "{name}=\"")?;
            for ch in value.chars() {
                if ch == '"' || ch == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{ch}")?;
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

/// Parses every challenge in the given `WWW-Authenticate` (or `Proxy-Authenticate`) header
/// values, in order. Several challenges may share one value (recorders that fold repeated headers
/// join them with `", "`) or come in separate values. Never fails: what cannot be read is reported
/// as a located [`ChallengeProblem`] and parsing resumes at the next comma.
pub fn parse_challenges(
    header_values: impl IntoIterator<Item = impl AsRef<str>>,
) -> (Vec<Challenge>, Vec<ChallengeProblem>) {
    let mut challenges = Vec::new();
    let mut problems = Vec::new();
    let mut dropped = Dropped::default();
    for (header_index, value) in header_values.into_iter().enumerate() {
        let mut parser = Parser {
            input: value.as_ref().as_bytes(),
            pos: 0,
            header_index,
            problems: &mut problems,
            dropped: &mut dropped,
        };
        parser.parse_into(&mut challenges);
    }
    if let Some((header_index, byte_offset)) = dropped.first {
        // Past the problem limit too: this one says which limit was reached.
        let mut not_kept = Vec::new();
        if dropped.challenges > 0 {
            not_kept
                .push(format!("{} challenges past the first {MAX_CHALLENGES}", dropped.challenges));
        }
        if dropped.params > 0 {
            not_kept.push(format!(
                "{} parameters past the first {MAX_CHALLENGE_PARAMS} of a challenge",
                dropped.params
            ));
        }
        problems.push(ChallengeProblem {
            header_index,
            byte_offset,
            message: format!(
                "too many elements: {} were not kept (regauth's fixed limits for a WWW-Authenticate; real registries send a few challenges of a few parameters)",
                not_kept.join(" and ")
            ),
            unlisted: 0,
        });
    }
    (challenges, problems)
}

struct Parser<'i, 'p> {
    input: &'i [u8],
    pos: usize,
    header_index: usize,
    problems: &'p mut Vec<ChallengeProblem>,
    dropped: &'p mut Dropped,
}

fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn is_token68_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte)
}

fn is_ows(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn note_dropped(&mut self, at: usize) {
        self.dropped.first.get_or_insert((self.header_index, at));
    }

    /// Adds a challenge, or counts it past [`MAX_CHALLENGES`]; its index if kept.
    fn push_challenge(
        &mut self,
        challenges: &mut Vec<Challenge>,
        scheme: String,
        at: usize,
    ) -> Option<usize> {
        if challenges.len() >= MAX_CHALLENGES {
            self.dropped.challenges += 1;
            self.note_dropped(at);
            return None;
        }
        challenges.push(Challenge { scheme, params: Vec::new(), token68: None });
        Some(challenges.len() - 1)
    }

    /// Adds a parameter to a challenge, or counts it past [`MAX_CHALLENGE_PARAMS`].
    fn push_param(&mut self, challenge: &mut Challenge, param: (String, String), at: usize) {
        if challenge.params.len() >= MAX_CHALLENGE_PARAMS {
            self.dropped.params += 1;
            self.note_dropped(at);
            return;
        }
        challenge.params.push(param);
    }

    /// Records a problem; its message is formatted only when it is kept (a hostile header
    /// may have millions, past [`MAX_CHALLENGE_PROBLEMS`]).
    fn problem(&mut self, byte_offset: usize, message: std::fmt::Arguments<'_>) {
        if self.problems.len() >= MAX_CHALLENGE_PROBLEMS {
            if let Some(last) = self.problems.last_mut() {
                last.unlisted += 1;
            }
            return;
        }
        self.problems.push(ChallengeProblem {
            header_index: self.header_index,
            byte_offset,
            message: message.to_string(),
            unlisted: 0,
        });
    }

    /// The character at `pos` for messages (the whole UTF-8 character, not its first byte).
    fn char_at(&self, pos: usize) -> char {
        let rest = self.input.get(pos..).unwrap_or_default();
        let prefix = &rest[..rest.len().min(4)];
        let decoded = match std::str::from_utf8(prefix) {
            Ok(text) => text.chars().next(),
            Err(error) => std::str::from_utf8(&prefix[..error.valid_up_to()])
                .ok()
                .and_then(|text| text.chars().next()),
        };
        decoded.unwrap_or(char::REPLACEMENT_CHARACTER)
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.pos += 1;
        }
    }

    fn text(&self, start: usize, end: usize) -> String {
        String::from_utf8_lossy(&self.input[start..end]).into_owned()
    }

    fn read_token(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        (self.pos > start).then(|| self.text(start, self.pos))
    }

    /// Skips to the next comma that is not inside a quoted string (or to the end).
    fn recover(&mut self) {
        let mut in_quotes = false;
        while let Some(byte) = self.peek() {
            match byte {
                b'\\' if in_quotes => self.pos += 1,
                b'"' => in_quotes = !in_quotes,
                b',' if !in_quotes => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn parse_into(&mut self, challenges: &mut Vec<Challenge>) {
        // Index in `challenges` of the challenge that parameters attach to (none at the start of
        // each header value: a challenge never spans two header fields).
        let mut current: Option<usize> = None;
        // Whether the current challenge was past the limit: its parameters go with it.
        let mut dropping = false;
        loop {
            // Empty list elements are allowed (`#rule`), so skip any run of commas.
            while self.peek().is_some_and(|byte| is_ows(byte) || byte == b',') {
                self.pos += 1;
            }
            if self.peek().is_none() {
                break;
            }
            let element_start = self.pos;
            let Some(token) = self.read_token() else {
                self.problem(
                    element_start,
                    format_args!(
                        "expected an auth scheme or parameter name, found {:?}",
                        self.char_at(element_start)
                    ),
                );
                self.recover();
                continue;
            };
            let after_token = self.pos;
            self.skip_ows();
            match self.peek() {
                Some(b'=') => {
                    // `name = value`: a parameter of the current challenge.
                    let param = self.parse_param_value(token);
                    match (current, param) {
                        (Some(idx), Some(param)) => {
                            self.push_param(&mut challenges[idx], param, element_start);
                        }
                        (None, Some(_)) if dropping => {}
                        (None, Some(_)) => {
                            self.problem(
                                element_start,
                                format_args!("parameter without a preceding auth scheme"),
                            );
                        }
                        (_, None) => {}
                    }
                }
                None | Some(b',') => {
                    current = self.push_challenge(challenges, token, element_start);
                    dropping = current.is_none();
                }
                Some(_) if self.pos > after_token => {
                    // `scheme 1*SP ( token68 / auth-param )`.
                    current = self.push_challenge(challenges, token, element_start);
                    dropping = current.is_none();
                    let Some(idx) = current else {
                        // Not kept: skip its first element (a later `name=value` is skipped
                        // as its parameter).
                        self.recover();
                        continue;
                    };
                    if let Some(token68) = self.try_token68() {
                        challenges[idx].token68 = Some(token68);
                        continue;
                    }
                    let param_start = self.pos;
                    match self.read_token() {
                        Some(name) => {
                            self.skip_ows();
                            if self.peek() == Some(b'=') {
                                if let Some(param) = self.parse_param_value(name) {
                                    self.push_param(&mut challenges[idx], param, param_start);
                                }
                            } else {
                                self.problem(
                                    param_start,
                                    format_args!("expected '=' after parameter name {name:?}"),
                                );
                                self.recover();
                            }
                        }
                        None => {
                            self.problem(
                                param_start,
                                format_args!(
                                    "expected a parameter or token68 after the auth scheme"
                                ),
                            );
                            self.recover();
                        }
                    }
                }
                Some(_) => {
                    self.problem(
                        after_token,
                        format_args!("unexpected {:?} after {token:?}", self.char_at(self.pos)),
                    );
                    self.recover();
                }
            }
        }
    }

    /// At the first byte after `scheme 1*SP`: reads a token68 if that is what follows (it must
    /// end the list element), else leaves the position unchanged.
    fn try_token68(&mut self) -> Option<String> {
        let start = self.pos;
        let mut end = start;
        while self.input.get(end).copied().is_some_and(is_token68_char) {
            end += 1;
        }
        if end == start {
            return None;
        }
        while self.input.get(end) == Some(&b'=') {
            end += 1;
        }
        let mut after = end;
        while self.input.get(after).copied().is_some_and(is_ows) {
            after += 1;
        }
        match self.input.get(after) {
            None | Some(b',') => {
                self.pos = after;
                Some(self.text(start, end))
            }
            _ => None,
        }
    }

    /// At `=` after a parameter name: reads the value and the separator after it.
    fn parse_param_value(&mut self, name: String) -> Option<(String, String)> {
        self.pos += 1; // '='
        self.skip_ows();
        let value_start = self.pos;
        let value = match self.peek() {
            Some(b'"') => match self.read_quoted_string() {
                Some(value) => value,
                None => {
                    self.problem(
                        value_start,
                        format_args!("unterminated quoted string in parameter {name:?}"),
                    );
                    return None;
                }
            },
            None | Some(b',') => {
                self.problem(value_start, format_args!("parameter {name:?} has no value"));
                String::new()
            }
            Some(_) => {
                // RFC 7235 allows only a token here, but servers send unquoted URLs; read up to
                // the next separator and say so.
                while self.peek().is_some_and(|byte| byte != b',' && !is_ows(byte)) {
                    self.pos += 1;
                }
                let value = self.text(value_start, self.pos);
                if !value.bytes().all(is_tchar) {
                    self.problem(
                        value_start,
                        format_args!("value of parameter {name:?} should be quoted: {value:?} is not a token (some clients misread it)"),
                    );
                }
                value
            }
        };
        self.skip_ows();
        match self.peek() {
            None | Some(b',') => {}
            Some(_) => {
                self.problem(
                    self.pos,
                    format_args!(
                        "expected ',' after the value of parameter {name:?}, found {:?}",
                        self.char_at(self.pos)
                    ),
                );
                self.recover();
            }
        }
        Some((name.to_ascii_lowercase(), value))
    }

    /// At an opening quote: the unescaped content, or `None` if the string never closes.
    fn read_quoted_string(&mut self) -> Option<String> {
        let mut content = Vec::new();
        let mut pos = self.pos + 1;
        loop {
            match self.input.get(pos).copied() {
                None => {
                    self.pos = self.input.len();
                    return None;
                }
                Some(b'"') => {
                    self.pos = pos + 1;
                    return Some(String::from_utf8_lossy(&content).into_owned());
                }
                Some(b'\\') => {
                    if let Some(&escaped) = self.input.get(pos + 1) {
                        content.push(escaped);
                        pos += 2;
                    } else {
                        pos += 1;
                    }
                }
                Some(byte) => {
                    content.push(byte);
                    pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Renders what the parser read, one challenge or problem per line, and compares it with
    /// `expect` (re-bless with `UPDATE_EXPECT=1`).
    fn check(values: &[&str], expect: Expect) {
        let (challenges, problems) = parse_challenges(values.iter().copied());
        let mut rendered = String::new();
        for challenge in &challenges {
            rendered.push_str(&challenge.scheme);
            if let Some(token68) = &challenge.token68 {
                rendered.push_str(&format!(" token68={token68:?}"));
            }
            for (name, value) in &challenge.params {
                rendered.push_str(&format!(" {name}={value:?}"));
            }
            rendered.push('\n');
        }
        for problem in &problems {
            rendered.push_str(&format!(
                "problem header {} byte {}: {}\n",
                problem.header_index, problem.byte_offset, problem.message
            ));
        }
        expect.assert_eq(&rendered);
    }

    #[test]
    fn rendered_examples() {
        check(
            &[
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull""#,
            ],
            expect![[r#"
                Bearer realm="https://auth.docker.io/token" service="registry.docker.io" scope="repository:library/ubuntu:pull"
            "#]],
        );
        // hand-written fixture
        check(
            &[r#"Basic realm="x", Bearer realm="y",service="z""#, "Negotiate YII=="],
            expect![[r#"
            Basic realm="x"
            Bearer realm="y" service="z"
            Negotiate token68="YII=="
        "#]],
        );
        // hand-written fixture
        check(
            &[
                r#"Bearer realm="a\"b,c", error=invalid_token ; x, , Basic"#,
                r#"Digest realm=unquoted/path, nonce="#,
            ],
            expect![[r#"
            Bearer realm="a\"b,c" error="invalid_token"
            Basic
            Digest realm="unquoted/path" nonce=""
            problem header 0 byte 43: expected ',' after the value of parameter "error", found ';'
            problem header 1 byte 13: value of parameter "realm" should be quoted: "unquoted/path" is not a token (some clients misread it)
            problem header 1 byte 34: parameter "nonce" has no value
        "#]],
        );
    }

    fn parse_ok(values: &[&str]) -> Vec<Challenge> {
        let (challenges, problems) = parse_challenges(values.iter().copied());
        assert_eq!(problems, [], "unexpected problems for {values:?}");
        challenges
    }

    fn params(challenge: &Challenge) -> Vec<(&str, &str)> {
        challenge.params.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect()
    }

    #[test]
    fn display_round_trips() {
        // hand-written fixture
        let values = [
            r#"Newauth realm="a \"b\" \\ c, d", type=1, Basic realm="x""#,
            "Negotiate abc==, Bearer",
        ];
        let (challenges, _) = parse_challenges(values);
        let rendered: Vec<String> = challenges.iter().map(ToString::to_string).collect();
        assert_eq!(
            rendered,
            [
                r#"Newauth realm="a \"b\" \\ c, d", type="1""#,
                r#"Basic realm="x""#,
                "Negotiate abc==",
                "Bearer"
            ]
        );
        let (reparsed, problems) = parse_challenges(rendered.iter().map(String::as_str));
        assert!(problems.is_empty());
        assert_eq!(reparsed, challenges);
    }

    #[test]
    fn r9_token68_then_a_parameter_round_trips() {
        // Found by the `challenge` fuzz target (minimized input `e e,h=`): the parser keeps a
        // parameter after a token68 on the same challenge, and Display wrote `e e h=""`, which
        // reads as a broken parameter list.
        let (challenges, _) = parse_challenges(["e e,h="]);
        assert_eq!(challenges[0].token68.as_deref(), Some("e"));
        assert_eq!(params(&challenges[0]), [("h", "")]);
        let printed = challenges[0].to_string();
        assert_eq!(printed, r#"e e, h="""#);
        let (reparsed, problems) = parse_challenges([printed.as_str()]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(reparsed, challenges);
    }

    #[test]
    fn other_registries_challenge_shapes() {
        // hand-written fixtures, in the shapes Quay, ECR, Artifact Registry and GitLab send.
        let cases: [(&str, &str, Option<&str>, Option<&str>); 4] = [
            (
                r#"Bearer realm="https://quay.io/v2/auth",service="quay.io""#,
                "Bearer",
                Some("https://quay.io/v2/auth"),
                Some("quay.io"),
            ),
            (
                r#"Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com""#,
                "Basic",
                Some("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/"),
                Some("ecr.amazonaws.com"),
            ),
            (
                r#"Bearer realm="https://europe-docker.pkg.dev/v2/token",service="europe-docker.pkg.dev",scope="repository:proj/repo/img:pull""#,
                "Bearer",
                Some("https://europe-docker.pkg.dev/v2/token"),
                Some("europe-docker.pkg.dev"),
            ),
            (
                r#"Bearer realm="https://gitlab.example.com/jwt/auth",service="container_registry",scope="repository:group/project:push,pull""#,
                "Bearer",
                Some("https://gitlab.example.com/jwt/auth"),
                Some("container_registry"),
            ),
        ];
        for (value, scheme, realm, service) in cases {
            let challenges = parse_ok(&[value]);
            assert_eq!(challenges.len(), 1, "{value}");
            assert_eq!(
                (challenges[0].scheme.as_str(), challenges[0].realm(), challenges[0].service()),
                (scheme, realm, service)
            );
        }
    }

    #[test]
    fn docker_hub_pull_challenge() {
        let challenges = parse_ok(&[
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull""#,
        ]);
        assert_eq!(challenges.len(), 1);
        let hub = &challenges[0];
        assert!(hub.is_bearer() && !hub.is_basic());
        assert_eq!(hub.realm(), Some("https://auth.docker.io/token"));
        assert_eq!(hub.service(), Some("registry.docker.io"));
        assert_eq!(hub.scopes(), [Scope::new("repository", "library/ubuntu", &["pull"])]);
        assert_eq!(hub.error(), None);
        assert_eq!(hub.token68, None);
    }

    #[test]
    fn distribution_insufficient_scope_with_two_scopes() {
        // distribution's registry/auth/token/accesscontroller.go joins scopes with a space.
        let challenges = parse_ok(&[
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",error="insufficient_scope",scope="repository:samalba/my-app:pull,push repository:samalba/base:pull""#,
        ]);
        let challenge = &challenges[0];
        assert_eq!(challenge.error(), Some("insufficient_scope"));
        assert_eq!(
            challenge.scopes().iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["repository:samalba/my-app:pull,push", "repository:samalba/base:pull"]
        );
    }

    #[test]
    fn distribution_invalid_token() {
        let challenges = parse_ok(&[
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",error="invalid_token""#,
        ]);
        assert_eq!(challenges[0].error(), Some("invalid_token"));
        assert!(challenges[0].scopes().is_empty());
    }

    #[test]
    fn ghcr_challenge() {
        let challenges = parse_ok(&[
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull""#,
        ]);
        assert_eq!(challenges[0].realm(), Some("https://ghcr.io/token"));
        assert_eq!(challenges[0].scopes()[0].name, "user/image");
    }

    #[test]
    fn harbor_basic_realm() {
        let challenges = parse_ok(&[r#"Basic realm="harbor""#]);
        assert!(challenges[0].is_basic());
        assert_eq!(challenges[0].realm(), Some("harbor"));
    }

    #[test]
    fn folded_challenges_in_one_value_and_across_values() {
        // hand-written fixture
        let folded = parse_ok(&[r#"Basic realm="x", Bearer realm="y",service="z""#]);
        assert_eq!(folded.len(), 2);
        assert!(folded[0].is_basic());
        assert_eq!(params(&folded[0]), [("realm", "x")]);
        assert!(folded[1].is_bearer());
        assert_eq!(params(&folded[1]), [("realm", "y"), ("service", "z")]);

        let separate = parse_ok(&[r#"Basic realm="x""#, r#"Bearer realm="y",service="z""#]);
        assert_eq!(separate, folded);
    }

    #[test]
    fn rfc7235_example_with_escapes_and_commas() {
        // RFC 7235 §4.1 example, plus a comma inside a quoted string.
        let challenges = parse_ok(&[
            r#"Newauth realm="apps", type=1, title="Login to \"apps\", please", Basic realm="simple""#,
        ]);
        assert_eq!(challenges.len(), 2);
        assert_eq!(challenges[0].scheme, "Newauth");
        assert_eq!(
            params(&challenges[0]),
            [("realm", "apps"), ("type", "1"), ("title", r#"Login to "apps", please"#)]
        );
        assert_eq!(challenges[1].realm(), Some("simple"));
    }

    #[test]
    fn case_insensitive_names_and_whitespace_around_equals() {
        // hand-written fixture
        let challenges =
            parse_ok(&["bEaReR Realm = \"r\" ,\tSERVICE=s ,,  , Scope=\"repository:a:pull\""]);
        assert_eq!(challenges.len(), 1);
        assert!(challenges[0].is_bearer());
        assert_eq!(challenges[0].scheme, "bEaReR");
        assert_eq!(
            params(&challenges[0]),
            [("realm", "r"), ("service", "s"), ("scope", "repository:a:pull")]
        );
        assert_eq!(challenges[0].param("SCOPE"), Some("repository:a:pull"));
    }

    #[test]
    fn repeated_scope_params_are_all_used() {
        // hand-written fixture
        let challenges = parse_ok(&[
            r#"Bearer realm="r",scope="repository:a:pull",scope="repository:b:push registry:catalog:*""#,
        ]);
        assert_eq!(
            challenges[0].scopes().iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["repository:a:pull", "repository:b:push", "registry:catalog:*"]
        );
    }

    #[test]
    fn token68_and_bare_schemes() {
        // hand-written fixture
        let challenges = parse_ok(&["Negotiate abc+/def==, Bearer, NTLM"]);
        assert_eq!(challenges.len(), 3);
        assert_eq!(challenges[0].token68.as_deref(), Some("abc+/def=="));
        assert!(challenges[0].params.is_empty());
        assert!(challenges[1].is_bearer() && challenges[1].params.is_empty());
        assert_eq!(challenges[2].scheme, "NTLM");
    }

    #[test]
    fn unquoted_url_is_kept_with_a_problem() {
        // hand-written fixture
        let value = "Bearer realm=https://auth.example/token,service=registry";
        let (challenges, problems) = parse_challenges([value]);
        assert_eq!(challenges[0].realm(), Some("https://auth.example/token"));
        assert_eq!(challenges[0].service(), Some("registry"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].byte_offset, value.find("https").unwrap());
    }

    #[test]
    fn garbage_is_located_and_parsing_resumes() {
        // hand-written fixture
        let values = [
            "Bearer realm=\"a\" junk, service=\"s\", Basic realm=\"b\"",
            "\"quoted\", Basic",
            "=oops",
        ];
        let (challenges, problems) = parse_challenges(values);
        assert_eq!(challenges.len(), 3);
        assert_eq!(challenges[0].realm(), Some("a"));
        assert_eq!(challenges[0].service(), Some("s"), "parsing resumes after the bad element");
        assert_eq!(challenges[1].realm(), Some("b"));
        assert_eq!(challenges[2].scheme, "Basic");
        let located: Vec<(usize, usize)> =
            problems.iter().map(|p| (p.header_index, p.byte_offset)).collect();
        assert_eq!(located, [(0, values[0].find("junk").unwrap()), (1, 0), (2, 0)]);
    }

    #[test]
    fn parameter_before_any_scheme_and_unterminated_quote() {
        // hand-written fixture
        let (challenges, problems) = parse_challenges(["realm=\"x\", Bearer realm=\"never closed"]);
        assert_eq!(challenges.len(), 1);
        assert!(challenges[0].params.is_empty());
        assert_eq!(problems.len(), 2);
        assert!(problems[0].message.contains("without a preceding auth scheme"));
        assert!(problems[1].message.contains("unterminated"));
        assert_eq!(problems[1].byte_offset, 24);
    }

    #[test]
    fn r9_problems_of_a_huge_header_are_kept_up_to_the_limit_and_counted() {
        let value = format!("Bearer realm=\"x\"{}", ",=".repeat(10_000));
        let (challenges, problems) = parse_challenges([value.as_str()]);
        assert_eq!(challenges.len(), 1);
        assert_eq!(problems.len(), MAX_CHALLENGE_PROBLEMS);
        assert_eq!(problems.iter().map(|problem| problem.unlisted).sum::<usize>(), 10_000 - 100);
        assert_eq!(problems.last().unwrap().unlisted, 10_000 - 100);
    }

    #[test]
    fn r9_challenges_and_parameters_past_the_limits_are_counted_not_kept() {
        let many_params = format!("Bearer realm=\"x\"{}", ",a=b".repeat(5000));
        let (challenges, problems) = parse_challenges([many_params.as_str()]);
        assert_eq!(challenges[0].params.len(), MAX_CHALLENGE_PARAMS);
        assert_eq!(challenges[0].realm(), Some("x"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.ends_with("4001 parameters past the first 1000 of a challenge were not kept (regauth's fixed limits for a WWW-Authenticate; real registries send a few challenges of a few parameters)"),
            "{}",
            problems[0].message
        );
        assert_eq!(problems[0].byte_offset, many_params.len() - 4001 * 4 + 1);

        let many_schemes = format!("Bearer realm=\"x\"{}", ", X y=z".repeat(5000));
        let (challenges, problems) = parse_challenges([many_schemes.as_str(), "Basic realm=r"]);
        assert_eq!(challenges.len(), MAX_CHALLENGES);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains(": 4002 challenges past the first 1000 were not kept"),
            "{}",
            problems[0].message
        );
        assert_eq!((problems[0].header_index, problems[0].byte_offset), (0, 16 + 999 * 7 + 2));
    }

    #[test]
    fn problems_quote_whole_characters() {
        // hand-written fixture
        let (_, problems) = parse_challenges(["Bearer realm=\"x\"é, ünïcode"]);
        let messages: Vec<&str> = problems.iter().map(|problem| problem.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "expected ',' after the value of parameter \"realm\", found 'é'",
                "expected an auth scheme or parameter name, found 'ü'"
            ]
        );
    }

    #[test]
    fn empty_and_whitespace_headers_give_nothing() {
        let (challenges, problems) = parse_challenges(["", "  ", ","]);
        assert!(challenges.is_empty() && problems.is_empty());
    }

    #[test]
    fn non_ascii_inside_quotes_survives() {
        // hand-written fixture
        let challenges = parse_ok(&["Basic realm=\"Zürich \\\\ registry\""]);
        assert_eq!(challenges[0].realm(), Some("Zürich \\ registry"));
    }

    #[test]
    fn never_panics_on_truncations_of_real_headers() {
        let value = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull", Basic realm="x\"y", Negotiate a=="#;
        for end in 0..=value.len() {
            let _ = parse_challenges([&value[..end]]);
            let _ = parse_challenges([&value[end..]]);
        }
        for byte in [b'"', b'\\', b',', b'=', b' '] {
            for idx in 0..value.len() {
                let mut bytes = value.as_bytes().to_vec();
                bytes[idx] = byte;
                let mutated = String::from_utf8_lossy(&bytes).into_owned();
                let _ = parse_challenges([mutated.as_str()]);
            }
        }
    }
}
