//! Requests to a token service (distribution `docs/spec/auth/token.md` and `oauth.md`).
//!
//! Two shapes: `GET realm?service=…&scope=…&scope=…[&account=…][&offline_token=true][&client_id=…]`
//! with an optional `Authorization: Basic` header, and an OAuth2 `POST realm` with an
//! `application/x-www-form-urlencoded` body (`grant_type=password|refresh_token`, `service`,
//! `scope` (space-separated), `client_id`, `access_type=offline`, `username`/`password` or
//! `refresh_token`).

use crate::model::Request;
use crate::protocol::authorization::{Authorization, parse_authorization};
use crate::protocol::scope::{Scope, parse_scope_list};
use crate::secret::Secret;

/// Bodies larger than this are not read for form fields (a token request is a few hundred bytes).
const MAX_FORM_BODY: usize = 1 << 20;

/// Query or form fields whose presence in a URL leaks a secret into logs and proxies.
const SECRET_FIELDS: [&str; 5] =
    ["password", "refresh_token", "access_token", "token", "client_secret"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenRequestKind {
    /// `GET realm?…` (the token spec).
    Get,
    /// `POST realm` with an OAuth2 form (the oauth spec).
    OAuthPost,
}

/// How the client proved who it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Credential {
    Anonymous,
    /// `Authorization: Basic` on a GET (or POST) token request.
    Basic {
        username: String,
        password: Secret,
    },
    /// `grant_type=password` in an OAuth2 form (or, wrongly, `username`/`password` in a query).
    Password {
        username: String,
        password: Secret,
    },
    /// `grant_type=refresh_token` in an OAuth2 form (dockerd's identity token).
    RefreshToken(Secret),
    /// `Authorization: Bearer` on the token request.
    Bearer(Secret),
}

impl Credential {
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Credential::Anonymous)
    }

    pub fn username(&self) -> Option<&str> {
        match self {
            Credential::Basic { username, .. } | Credential::Password { username, .. } => {
                Some(username)
            }
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenRequest {
    pub kind: TokenRequestKind,
    pub service: Option<String>,
    /// Every scope asked for, in order (repeated `scope` fields and space-separated lists).
    pub scopes: Vec<Scope>,
    pub account: Option<String>,
    pub client_id: Option<String>,
    /// `offline_token=true` (GET) or `access_type=offline` (POST): the client wants a refresh token.
    pub offline_token: bool,
    pub grant_type: Option<String>,
    pub credential: Credential,
    /// A password or token travels in the query string, where proxies and logs keep it.
    pub secret_in_url: bool,
    /// What was odd or unreadable, in plain words.
    pub problems: Vec<String>,
}

#[derive(Default)]
struct Fields {
    service: Option<String>,
    scopes: Vec<Scope>,
    account: Option<String>,
    client_id: Option<String>,
    offline_token: bool,
    grant_type: Option<String>,
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
}

impl Fields {
    fn take(&mut self, key: &str, value: String, problems: &mut Vec<String>) {
        match key {
            "service" => self.service = Some(value),
            "scope" => {
                let (mut scopes, errors) = parse_scope_list(&value);
                self.scopes.append(&mut scopes);
                problems.extend(errors.iter().map(ToString::to_string));
            }
            "account" => self.account = Some(value),
            "client_id" => self.client_id = Some(value),
            "offline_token" => self.offline_token |= value.eq_ignore_ascii_case("true"),
            "access_type" => self.offline_token |= value == "offline",
            "grant_type" => self.grant_type = Some(value),
            "username" => self.username = Some(value),
            "password" => self.password = Some(value),
            "refresh_token" => self.refresh_token = Some(value),
            _ => {}
        }
    }
}

/// Reads a token request. Never fails: anything odd goes to [`TokenRequest::problems`].
pub fn parse_token_request(request: &Request) -> TokenRequest {
    let mut problems = Vec::new();
    let kind = if request.method.eq_ignore_ascii_case("POST") {
        TokenRequestKind::OAuthPost
    } else {
        if !request.method.eq_ignore_ascii_case("GET") {
            problems.push(format!("token requests use GET or POST, not {}", request.method));
        }
        TokenRequestKind::Get
    };

    let mut fields = Fields::default();
    let mut secret_in_url = false;
    if let Some(query) = request.query() {
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if SECRET_FIELDS.contains(&key.as_ref()) && !value.is_empty() {
                secret_in_url = true;
            }
            fields.take(&key, value.into_owned(), &mut problems);
        }
    }

    if kind == TokenRequestKind::OAuthPost {
        let content_type = request.headers.get("content-type").unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            problems.push(if content_type.is_empty() {
                "OAuth2 token request has no Content-Type (expected application/x-www-form-urlencoded)".to_owned()
            } else {
                format!("OAuth2 token request has Content-Type {content_type} (expected application/x-www-form-urlencoded)")
            });
        }
        match request.body.decoded(MAX_FORM_BODY) {
            Ok(body) if body.is_empty() && !request.body.is_absent() => {
                problems.push("OAuth2 token request has an empty body".to_owned());
            }
            Ok(body) => {
                for (key, value) in form_urlencoded::parse(&body) {
                    fields.take(&key, value.into_owned(), &mut problems);
                }
            }
            Err(error) => problems.push(format!("cannot read the token request body: {error}")),
        }
        if request.body.is_absent() {
            problems.push("the capture has no body for this OAuth2 token request".to_owned());
        }
    }

    let header_credential = match request
        .headers
        .get("authorization")
        .as_deref()
        .map(parse_authorization)
    {
        None => None,
        Some(Ok(Authorization::Basic { username, password })) => {
            Some(Credential::Basic { username, password })
        }
        Some(Ok(Authorization::Bearer(token))) => Some(Credential::Bearer(token)),
        Some(Ok(Authorization::Other { scheme })) => {
            problems.push(format!("token request uses the {scheme} authorization scheme, which registries do not expect"));
            None
        }
        Some(Err(error)) => {
            problems.push(format!("unreadable Authorization header: {error}"));
            None
        }
    };

    let form_credential = match fields.grant_type.as_deref() {
        Some("refresh_token") => match fields.refresh_token.take() {
            Some(token) => Some(Credential::RefreshToken(Secret::new(token))),
            None => {
                problems.push("grant_type=refresh_token without a refresh_token".to_owned());
                None
            }
        },
        Some("password") => match (fields.username.take(), fields.password.take()) {
            (Some(username), Some(password)) => {
                Some(Credential::Password { username, password: Secret::new(password) })
            }
            _ => {
                problems.push("grant_type=password without both username and password".to_owned());
                None
            }
        },
        Some(other) => {
            problems
                .push(format!("unknown grant_type {other:?} (expected password or refresh_token)"));
            None
        }
        None if kind == TokenRequestKind::OAuthPost => {
            problems.push("OAuth2 token request has no grant_type".to_owned());
            None
        }
        None => None,
    };
    // Credentials in a GET query are not part of any spec, but when they are there they are what
    // the client sent.
    let loose_credential =
        match (fields.username.take(), fields.password.take(), fields.refresh_token.take()) {
            (Some(username), Some(password), _) => {
                Some(Credential::Password { username, password: Secret::new(password) })
            }
            (_, _, Some(token)) => Some(Credential::RefreshToken(Secret::new(token))),
            _ => None,
        };
    if kind == TokenRequestKind::OAuthPost && fields.client_id.is_none() {
        problems.push("OAuth2 token request has no client_id (the spec requires one)".to_owned());
    }
    if kind == TokenRequestKind::OAuthPost && fields.service.is_none() {
        problems.push("OAuth2 token request has no service".to_owned());
    }

    let credential =
        form_credential.or(header_credential).or(loose_credential).unwrap_or(Credential::Anonymous);
    TokenRequest {
        kind,
        service: fields.service,
        scopes: fields.scopes,
        account: fields.account,
        client_id: fields.client_id,
        offline_token: fields.offline_token,
        grant_type: fields.grant_type,
        credential,
        secret_in_url,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Body, BodyData};
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    fn request(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Request {
        Request {
            method: method.into(),
            scheme: "https".into(),
            host: "auth.docker.io".into(),
            port: 443,
            path: path.to_owned(),
            http_version: "HTTP/1.1".into(),
            headers: headers.iter().copied().collect(),
            body: Body {
                data: body.map_or(BodyData::Absent, |text| {
                    BodyData::Raw(bytes::Bytes::copy_from_slice(text.as_bytes()))
                }),
                ..Body::default()
            },
        }
    }

    fn scopes(token_request: &TokenRequest) -> Vec<String> {
        token_request.scopes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn anonymous_docker_hub_get() {
        let parsed = parse_token_request(&request(
            "GET",
            "/token?scope=repository%3Alibrary%2Fubuntu%3Apull&service=registry.docker.io",
            &[],
            None,
        ));
        assert_eq!(parsed.kind, TokenRequestKind::Get);
        assert_eq!(parsed.service.as_deref(), Some("registry.docker.io"));
        assert_eq!(scopes(&parsed), ["repository:library/ubuntu:pull"]);
        assert_eq!(parsed.credential, Credential::Anonymous);
        assert!(!parsed.secret_in_url && !parsed.offline_token);
        assert_eq!(parsed.problems, Vec::<String>::new());
    }

    #[test]
    fn get_with_basic_repeated_scopes_and_plus_decoding() {
        // Shape of a containers/image request: account=, several scope=, Basic credentials.
        let basic = format!("Basic {}", STANDARD.encode("alice:pw"));
        let parsed = parse_token_request(&request(
            "GET",
            "/token?account=alice&scope=repository%3Aa%2Fb%3Apull%2Cpush&scope=repository:c/d:pull+repository:e/f:pull&service=registry.example&offline_token=true&client_id=containers%2Fimage",
            &[("Authorization", &basic)],
            None,
        ));
        assert_eq!(
            scopes(&parsed),
            ["repository:a/b:pull,push", "repository:c/d:pull", "repository:e/f:pull"]
        );
        assert_eq!(parsed.account.as_deref(), Some("alice"));
        assert_eq!(parsed.client_id.as_deref(), Some("containers/image"));
        assert!(parsed.offline_token);
        assert_eq!(
            parsed.credential,
            Credential::Basic { username: "alice".into(), password: Secret::new("pw") }
        );
        assert_eq!(parsed.credential.username(), Some("alice"));
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    }

    #[test]
    fn containerd_oauth_password_post() {
        let parsed = parse_token_request(&request(
            "POST",
            "/token",
            &[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            Some(
                "client_id=containerd-client&grant_type=password&password=p%40ss+word&scope=repository%3Aa%2Fb%3Apull+repository%3Aa%2Fb%3Apush&service=registry.example&username=bob",
            ),
        ));
        assert_eq!(parsed.kind, TokenRequestKind::OAuthPost);
        assert_eq!(parsed.grant_type.as_deref(), Some("password"));
        assert_eq!(parsed.client_id.as_deref(), Some("containerd-client"));
        assert_eq!(
            parsed.credential,
            Credential::Password { username: "bob".into(), password: Secret::new("p@ss word") }
        );
        assert_eq!(scopes(&parsed), ["repository:a/b:pull", "repository:a/b:push"]);
        assert!(!parsed.secret_in_url);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    }

    #[test]
    fn dockerd_refresh_token_post() {
        let parsed = parse_token_request(&request(
            "POST",
            "/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(
                "access_type=offline&client_id=docker&grant_type=refresh_token&refresh_token=rt-123&scope=repository%3Aa%2Fb%3Apull&service=registry.example",
            ),
        ));
        assert_eq!(parsed.credential, Credential::RefreshToken(Secret::new("rt-123")));
        assert!(parsed.offline_token);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    }

    #[test]
    fn login_without_scope_and_bearer_header() {
        // hand-written fixture
        let parsed = parse_token_request(&request(
            "GET",
            "/token?service=registry.example",
            &[("authorization", "Bearer abc")],
            None,
        ));
        assert!(parsed.scopes.is_empty());
        assert_eq!(parsed.credential, Credential::Bearer(Secret::new("abc")));
    }

    #[test]
    fn secret_in_url_is_flagged() {
        // hand-written fixture
        let parsed = parse_token_request(&request(
            "GET",
            "/token?service=s&username=u&password=hunter2",
            &[],
            None,
        ));
        assert!(parsed.secret_in_url);
        assert_eq!(
            parsed.credential,
            Credential::Password { username: "u".into(), password: Secret::new("hunter2") }
        );
        let parsed =
            parse_token_request(&request("GET", "/token?service=s&refresh_token=rt", &[], None));
        assert!(parsed.secret_in_url);
        assert_eq!(parsed.credential, Credential::RefreshToken(Secret::new("rt")));
    }

    #[test]
    fn malformed_requests_collect_problems() {
        // hand-written fixture
        let parsed = parse_token_request(&request(
            "POST",
            "/token",
            &[("Content-Type", "application/json")],
            Some("{}"),
        ));
        assert_eq!(parsed.credential, Credential::Anonymous);
        let joined = parsed.problems.join("\n");
        for expected in
            ["Content-Type application/json", "no grant_type", "no client_id", "no service"]
        {
            assert!(joined.contains(expected), "missing {expected:?} in {joined}");
        }

        let parsed = parse_token_request(&request(
            "POST",
            "/token",
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Authorization", "Basic !!")],
            Some("grant_type=password&username=x&client_id=c&service=s&scope=bad"),
        ));
        let joined = parsed.problems.join("\n");
        assert!(joined.contains("without both username and password"), "{joined}");
        assert!(joined.contains("unreadable Authorization header"), "{joined}");
        assert!(joined.contains("\"bad\""), "{joined}");

        let parsed = parse_token_request(&request("POST", "/token", &[], None));
        assert!(parsed.problems.iter().any(|problem| problem.contains("no body")));
        let parsed = parse_token_request(&request("PUT", "/token?grant_type=magic", &[], None));
        assert!(parsed.problems.iter().any(|problem| problem.contains("not PUT")));
        assert!(parsed.problems.iter().any(|problem| problem.contains("unknown grant_type")));
    }
}
