//! Finding codes: stable identifiers with a plain-language explanation and a fix.
//!
//! Codes are part of every output format. Add codes freely; never rename or remove one.

use serde::{Deserialize, Serialize};

use crate::analysis::{ExchangeList, Step};

/// Serialised as `info`, `warning`, `error`; ordered by weight (`Error` is the greatest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A finding's stable identifier. Serialised as its kebab-case string (`clock-skew`); part of
/// every output format, so a variant is never renamed or removed (the unit test below lists
/// every string literally).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    BadCredentials,
    TokenExpired,
    TokenNotYetValid,
    ClockSkew,
    TokenOutlivedByOperation,
    InsufficientScope,
    AnonymousDenied,
    CredentialsOverPlainHttp,
    SecretInUrl,
    AudienceMismatch,
    ScopeMismatch,
    TokenForOtherHost,
    AuthForwardedOnRedirect,
    MalformedChallenge,
    RateLimited,
    RegistryError,
    CaptureIncomplete,
    TlsUntrustedCertificate,
    TlsCertificateExpired,
    TlsIntercepted,
    TokenRejected,
    ConnectionFailed,
    TokenServiceError,
    TlsCertificateNotYetValid,
    TlsHostnameMismatch,
    TlsClientCertificateExpiring,
    ConfigPlaintextPassword,
    ConfigPlaintextIdentityToken,
    ConfigHelperMissing,
    ConfigInvalidEntry,
    ConfigAmbiguousKey,
    ConfigKeyNeverUsed,
    ConfigCredsStoreIgnored,
    ConfigCredentialsMismatch,
    InsecureRegistryFallback,
    RequestAbandoned,
    /// A token answer that does not follow the token specification (its types, its fields).
    MalformedTokenResponse,
}

impl Code {
    /// Every code, in the order `regauth explain` lists them.
    pub const ALL: [Code; 37] = [
        Code::BadCredentials,
        Code::TokenExpired,
        Code::TokenNotYetValid,
        Code::ClockSkew,
        Code::TokenOutlivedByOperation,
        Code::InsufficientScope,
        Code::AnonymousDenied,
        Code::CredentialsOverPlainHttp,
        Code::SecretInUrl,
        Code::AudienceMismatch,
        Code::ScopeMismatch,
        Code::TokenForOtherHost,
        Code::AuthForwardedOnRedirect,
        Code::MalformedChallenge,
        Code::RateLimited,
        Code::RegistryError,
        Code::CaptureIncomplete,
        Code::TlsUntrustedCertificate,
        Code::TlsCertificateExpired,
        Code::TlsIntercepted,
        Code::TokenRejected,
        Code::ConnectionFailed,
        Code::TokenServiceError,
        Code::TlsCertificateNotYetValid,
        Code::TlsHostnameMismatch,
        Code::TlsClientCertificateExpiring,
        Code::ConfigPlaintextPassword,
        Code::ConfigPlaintextIdentityToken,
        Code::ConfigHelperMissing,
        Code::ConfigInvalidEntry,
        Code::ConfigAmbiguousKey,
        Code::ConfigKeyNeverUsed,
        Code::ConfigCredsStoreIgnored,
        Code::ConfigCredentialsMismatch,
        Code::InsecureRegistryFallback,
        Code::RequestAbandoned,
        Code::MalformedTokenResponse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadCredentials => "bad-credentials",
            Code::TokenExpired => "token-expired",
            Code::TokenNotYetValid => "token-not-yet-valid",
            Code::ClockSkew => "clock-skew",
            Code::TokenOutlivedByOperation => "token-outlived-by-operation",
            Code::InsufficientScope => "insufficient-scope",
            Code::AnonymousDenied => "anonymous-denied",
            Code::CredentialsOverPlainHttp => "credentials-over-plain-http",
            Code::SecretInUrl => "secret-in-url",
            Code::AudienceMismatch => "audience-mismatch",
            Code::ScopeMismatch => "scope-mismatch",
            Code::TokenForOtherHost => "token-for-other-host",
            Code::AuthForwardedOnRedirect => "auth-forwarded-on-redirect",
            Code::MalformedChallenge => "malformed-challenge",
            Code::MalformedTokenResponse => "malformed-token-response",
            Code::RateLimited => "rate-limited",
            Code::RegistryError => "registry-error",
            Code::CaptureIncomplete => "capture-incomplete",
            Code::TlsUntrustedCertificate => "tls-untrusted-certificate",
            Code::TlsCertificateExpired => "tls-certificate-expired",
            Code::TlsIntercepted => "tls-intercepted",
            Code::TokenRejected => "token-rejected",
            Code::ConnectionFailed => "connection-failed",
            Code::TokenServiceError => "token-service-error",
            Code::TlsCertificateNotYetValid => "tls-certificate-not-yet-valid",
            Code::TlsHostnameMismatch => "tls-hostname-mismatch",
            Code::TlsClientCertificateExpiring => "tls-client-certificate-expiring",
            Code::ConfigPlaintextPassword => "config-plaintext-password",
            Code::ConfigPlaintextIdentityToken => "config-plaintext-identity-token",
            Code::ConfigHelperMissing => "config-helper-missing",
            Code::ConfigInvalidEntry => "config-invalid-entry",
            Code::ConfigAmbiguousKey => "config-ambiguous-key",
            Code::ConfigKeyNeverUsed => "config-key-never-used",
            Code::ConfigCredsStoreIgnored => "config-creds-store-ignored",
            Code::ConfigCredentialsMismatch => "config-credentials-mismatch",
            Code::InsecureRegistryFallback => "insecure-registry-fallback",
            Code::RequestAbandoned => "request-abandoned",
        }
    }

    /// The code spelled `text`, if regauth knows it.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|code| code.as_str() == text)
    }

    /// The long explanation and fix of this code.
    pub fn info(self) -> &'static CodeInfo {
        // `CODES` lists every code in `Code::ALL` order (checked by a unit test).
        &CODES[self as usize]
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad` so that `{:<28}` aligns codes in tables.
        f.pad(self.as_str())
    }
}

/// One thing regauth noticed, tied to the exchanges that show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// Index into [`crate::analysis::Analysis::sessions`], when the finding belongs to one.
    pub session: Option<usize>,
    pub step: Option<Step>,
    /// Exchange indexes (capture timeline) that are the evidence.
    pub exchanges: ExchangeList,
    /// What happened here, with the specifics of this capture.
    pub message: String,
}

/// The long, general explanation of a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: Code,
    pub title: &'static str,
    pub explanation: &'static str,
    pub fix: &'static str,
}

/// Every code regauth can emit, in the order `regauth explain` lists them.
pub const CODES: &[CodeInfo] = &[
    CodeInfo {
        code: Code::BadCredentials,
        title: "The username or password was refused",
        explanation: "The client sent credentials (HTTP Basic to the token service or to a Basic-auth registry, or a password/refresh token in an OAuth2 form) and the server answered 401 or 403. Registries word this as 'unauthorized: incorrect username or password'; Docker Engine's /auth answers 500 with the registry's message.",
        fix: "Check the username and password (or access token) for this registry: `docker login <registry>` / `podman login <registry>` again. If a credential helper is configured (credsStore/credHelpers in ~/.docker/config.json), make sure it returns the right secret for this host (`docker-credential-<name> get <<< <registry>`). Tokens from cloud registries (ECR: 12 h, GCR: 1 h) expire and must be refreshed.",
    },
    CodeInfo {
        code: Code::TokenExpired,
        title: "The registry rejected a bearer token that had expired",
        explanation: "A bearer token carries an expiry time (`exp`, issuer clock). The registry compares it with its own clock, with distribution's 60 s leeway, and answers 401 error=\"invalid_token\" once it has passed. Clients cache tokens for `expires_in` seconds counted from `issued_at` or from their own clock, so a slow operation or a clock disagreement can make them send a token the registry already considers expired.",
        fix: "If the clocks disagree, fix them first (see clock-skew). Otherwise raise the token lifetime on the token service (Docker Hub uses 300 s), or use a client that re-authenticates on 401 invalid_token (current docker, containerd, skopeo/podman do).",
    },
    CodeInfo {
        code: Code::TokenNotYetValid,
        title: "The registry rejected a bearer token that was not valid yet",
        explanation: "The token's `nbf` (not before) lies in the future by the registry's clock, beyond distribution's 60 s leeway. That happens when the token service's clock is ahead of the registry's, or the registry's clock is behind.",
        fix: "Synchronise the clocks of the token service and the registry hosts (NTP: `chronyc makestep`, `timedatectl set-ntp true`; on VMs after suspend, resync the guest clock).",
    },
    CodeInfo {
        code: Code::ClockSkew,
        title: "Clocks disagree",
        explanation: "regauth compares the capture machine's clock (the recorder's timestamps) with each server's `Date` header and with the token issuer's `iat`/`issued_at`. An offset beyond the threshold shifts token validity windows: a token service running ahead issues tokens the registry sees as not yet valid; one running behind issues tokens that are already expired.",
        fix: "Synchronise the clock that is off (NTP: `chronyc makestep`, `timedatectl set-ntp true`; for VMs and WSL, resync after suspend: `hwclock -s`).",
    },
    CodeInfo {
        code: Code::TokenOutlivedByOperation,
        title: "The operation lasted longer than its token",
        explanation: "A token that worked earlier in the session was later rejected because it had expired: the pull or push took longer than the token's lifetime and the client kept using the cached token.",
        fix: "Raise the token lifetime on the token service, or use a client that re-authenticates when the registry answers 401 invalid_token. For very slow uploads, split them or speed up the link.",
    },
    CodeInfo {
        code: Code::InsufficientScope,
        title: "The token does not grant the action the client needed",
        explanation: "The registry answered 401/403 with error=\"insufficient_scope\": the token's `access` claim lacks the action (e.g. `push`) for this repository. The token service grants only what the account may do, even when the client asks for more.",
        fix: "Give the account the missing right (e.g. push on the repository) in the registry's access control, or log in as an account that has it.",
    },
    CodeInfo {
        code: Code::AnonymousDenied,
        title: "An anonymous client was denied",
        explanation: "The client asked for a token without credentials, and the registry then refused access. The repository is private (or does not exist: registries answer the same to hide private names).",
        fix: "Log in first (`docker login` / `podman login` / `skopeo login`), or check that the credential helper is actually called for this registry host (a config entry for a different host name or port is not used).",
    },
    CodeInfo {
        code: Code::CredentialsOverPlainHttp,
        title: "Credentials travelled without TLS",
        explanation: "A password, Basic credential, refresh token or bearer token was sent over plain HTTP, where anyone on the path can read it. For Docker Engine API captures this means the connection to the daemon itself (tcp:// without TLS) carried the registry credentials. A token handed out without credentials that grants at most pull is not counted: anyone can ask for the same one.",
        fix: "Serve the registry and the token realm over HTTPS. For the Docker daemon, use TLS with client certificates (`DOCKER_TLS_VERIFY=1`, `--tlsverify`) or an SSH/unix socket instead of plain tcp://.",
    },
    CodeInfo {
        code: Code::SecretInUrl,
        title: "A secret is in a URL",
        explanation: "A password or token appears in a query string. URLs end up in proxy logs, browser history and server access logs.",
        fix: "Send credentials in the Authorization header or in a POST body instead, and rotate the secret that was exposed.",
    },
    CodeInfo {
        code: Code::AudienceMismatch,
        title: "The token was issued for a different service",
        explanation: "The token's `aud` claim does not name the service the registry announced in its challenge. distribution rejects such tokens with 401 invalid_token.",
        fix: "Make the token service's audience match the registry's `auth.token.service` setting (and the client send `service=` from the challenge unchanged).",
    },
    CodeInfo {
        code: Code::ScopeMismatch,
        title: "The client asked for a different scope than the registry challenged",
        explanation: "The registry's challenge named one scope and the client requested a token for another (different repository or fewer actions), so the token cannot authorise the request.",
        fix: "Usually a client or proxy bug (rewritten repository names, a mirror prefix); check repository names and mirror configuration.",
    },
    CodeInfo {
        code: Code::TokenForOtherHost,
        title: "A token obtained for one registry was sent to another",
        explanation: "The bearer token was issued for a different registry service than the one it was sent to.",
        fix: "Check registry mirrors and credential configuration: a token must be requested from the realm that the receiving registry names.",
    },
    CodeInfo {
        code: Code::AuthForwardedOnRedirect,
        title: "The Authorization header followed a redirect to another host",
        explanation: "The registry redirected a request (usually a blob download) to another host, and the client sent its Authorization header there too. Go's net/http (docker, containerd, skopeo, podman) keeps the header when the new host is the same host or a subdomain, so storage on e.g. cdn.<registry> receives registry tokens.",
        fix: "Serve storage from a host that is not a subdomain of the registry, or use pre-signed URLs only; treat the storage host as able to use the registry token until it expires.",
    },
    CodeInfo {
        code: Code::MalformedChallenge,
        title: "The registry's challenge could not be understood",
        explanation: "A 401 came without a usable WWW-Authenticate header (missing, unparseable, or a Bearer challenge without realm), so a client cannot know where to get a token.",
        fix: "Fix the registry or the proxy in front of it so that 401 responses carry `WWW-Authenticate: Bearer realm=\"...\",service=\"...\"` (quoted values).",
    },
    CodeInfo {
        code: Code::RateLimited,
        title: "The registry is rate limiting",
        explanation: "The registry answered 429 / TOOMANYREQUESTS, or its rate-limit headers show no remaining requests.",
        fix: "Authenticate (anonymous limits are lower), wait for the window in Retry-After / ratelimit-limit, or use a pull-through cache.",
    },
    CodeInfo {
        code: Code::RegistryError,
        title: "The registry answered with an error",
        explanation: "The registry returned an error response (e.g. NAME_UNKNOWN, MANIFEST_UNKNOWN, or a server error) that is not an authentication failure.",
        fix: "Read the error code and message: check the repository and tag names, and the registry's logs for server errors.",
    },
    CodeInfo {
        code: Code::CaptureIncomplete,
        title: "The capture is missing parts",
        explanation: "Some requests have no response (aborted, or the recorder stopped), the file is truncated, or a session ends before the registry answered.",
        fix: "Record again and let the operation finish before stopping the recorder.",
    },
    CodeInfo {
        code: Code::TlsUntrustedCertificate,
        title: "A TLS certificate was not trusted",
        explanation: "A TLS handshake failed because the server's certificate chain did not verify, typically a private CA that is not installed where the client looks. In a mitmproxy capture, the failing verification may be mitmproxy's own check of the upstream server.",
        fix: "Install the CA for this registry: docker reads /etc/docker/certs.d/<host:port>/ca.crt, containerd /etc/containerd/certs.d/<host:port>/hosts.toml (ca = ...), podman and skopeo /etc/containers/certs.d/<host:port>/ca.crt; or add it system-wide (update-ca-certificates). When recording with mitmproxy, give it the CA: `--set ssl_verify_upstream_trusted_ca=ca.pem`.",
    },
    CodeInfo {
        code: Code::TlsCertificateExpired,
        title: "A TLS certificate was expired",
        explanation: "A certificate of the TLS connection (the server's, an intermediate it sends, or the client certificate a mutual-TLS client presented) was past its `notAfter` at the time of the exchange (capture clock), or the handshake failed because of it. Clients refuse expired server certificates; servers such as dockerd with --tlsverify refuse expired client certificates.",
        fix: "Renew the certificate (for a Docker daemon: the server's `--tlscert` or the client's `~/.docker/cert.pem`), and check the clock of the machine that judged it: a clock far ahead makes valid certificates look expired.",
    },
    CodeInfo {
        code: Code::TlsIntercepted,
        title: "TLS was intercepted by the recorder",
        explanation: "The client's HTTPS connections were terminated by an intercepting proxy (such as mitmproxy) whose CA the client trusted; that is how the capture was made. TLS trust problems between the client and the real registry therefore cannot show in this capture.",
        fix: "Nothing to fix for the capture itself. Remove the interception CA from the client's trust store when you are done.",
    },
    CodeInfo {
        code: Code::TokenRejected,
        title: "The registry rejected the token for a reason the capture does not show",
        explanation: "The registry answered 401 error=\"invalid_token\" but the token is within its validity window and names the right audience. Remaining causes: the registry does not trust the token's signing certificate (rootcertbundle), the issuer (`iss`) differs from the registry's configured issuer, or the token was altered.",
        fix: "Compare the registry's auth.token settings (issuer, rootcertbundle, service) with the token's header and claims (`regauth token`).",
    },
    CodeInfo {
        code: Code::ConnectionFailed,
        title: "A request got no answer",
        explanation: "The connection failed before any HTTP answer from the server: the host name did not resolve, the port refused, the TLS handshake failed (a plain-HTTP server answering on an https:// URL), the proxy or recorder could not reach the server (and answered 502 itself), it timed out, or the connection broke. An HTTPS attempt that the client then repeated over plain HTTP is not this (see insecure-registry-fallback), nor is a request the client gave up itself (see request-abandoned).",
        fix: "Check the registry address and port, DNS, proxy settings (HTTPS_PROXY/NO_PROXY) and firewalls between the client and the server. When the error says the server does not speak TLS, the registry serves plain HTTP on that port: tell the client it is insecure (registries.conf `insecure = true` or `--tls-verify=false` for podman, buildah and skopeo; `insecure-registries` for dockerd), or better, serve it over HTTPS.",
    },
    CodeInfo {
        code: Code::TokenServiceError,
        title: "The token service did not hand out a token",
        explanation: "The token request got an answer other than 200 with a token (and not 401/403, which mean refused credentials): a server error, a bad request, or a 200 whose body has no token. containerd's OAuth2 POST is answered 400/404/405 by services that only know GET; containerd then falls back to GET, which is normal when it succeeds.",
        fix: "Check the token service's logs and the realm URL; if only GET is supported, make sure the client falls back to it.",
    },
    CodeInfo {
        code: Code::TlsCertificateNotYetValid,
        title: "A TLS certificate was not valid yet",
        explanation: "A certificate of the TLS connection had a `notBefore` later than the time of the exchange (capture clock). Either it was issued with a start date in the future, or the clock of the machine that recorded (usually also running the client) is behind, which also makes tokens look not yet valid.",
        fix: "Check the clock of the client machine first (`timedatectl`, `chronyc makestep`); if it is right, reissue the certificate with a start date in the past (issuers usually backdate by an hour).",
    },
    CodeInfo {
        code: Code::TlsHostnameMismatch,
        title: "The server certificate does not name the host",
        explanation: "The certificate the server presented does not cover the host name the client connected to. Go clients (docker, podman, skopeo, containerd) check only the subjectAltName entries: a `*` matches exactly one leftmost label (`*.example.com` covers `registry.example.com`, not `example.com` nor `a.b.example.com`), IP addresses need IP entries, and a certificate without subjectAltName is refused whatever its Common Name says.",
        fix: "Reissue the certificate with the registry's host name (and IP, if clients use it) in subjectAltName (`openssl req -addext \"subjectAltName=DNS:registry.example.com\"`), or connect by a name the certificate covers.",
    },
    CodeInfo {
        code: Code::TlsClientCertificateExpiring,
        title: "A client certificate expires within 30 days",
        explanation: "A mutual-TLS client (typically the docker CLI talking to dockerd with --tlsverify, or a client with a certificate for a registry) presented a certificate that expires within 30 days of the capture. When it does, the daemon or registry refuses the handshake and every command fails with a TLS error. dockerd does not check revocation (CRL or OCSP) itself, which is why the report lists the endpoints the certificate names.",
        fix: "Issue a new client certificate before the date shown and install it where the client reads it (`DOCKER_CERT_PATH`, `~/.docker/cert.pem` and `key.pem`; for registries `/etc/docker/certs.d/<host:port>/client.cert` and `client.key`).",
    },
    CodeInfo {
        code: Code::ConfigPlaintextPassword,
        title: "A registry password is stored in clear in a config file",
        explanation: "An `auths` entry holds `auth` (base64 of `user:password`) or a `password` field. Base64 is an encoding, not encryption: anyone who can read the file, a backup of it or a container image it was copied into can log in as that user. docker writes it when no credential store is configured; podman and skopeo write it to auth.json by default.",
        fix: "Configure a credential helper (`\"credsStore\": \"pass\"`, `secretservice`, `osxkeychain`, `wincred`, or a `credHelpers` entry per registry), then `docker logout <registry>` and `docker login <registry>` so the secret moves into the helper; for podman, add a `credHelpers` entry for the registry to auth.json (podman ignores `credsStore`) and `podman login` again. Rotate the password if the file was ever shared.",
    },
    CodeInfo {
        code: Code::ConfigPlaintextIdentityToken,
        title: "An identity (refresh) token is stored in clear in a config file",
        explanation: "An `auths` entry holds an `identitytoken`: the refresh token a token service handed out at `docker login`. It is not the password, and it can be revoked, but until then it gets new access tokens for the account, so anyone who can read the file can use the registry as that user.",
        fix: "Use a credential helper (`credsStore` or `credHelpers`) so `docker login` stores the token there, then `docker logout`/`docker login` again; revoke the token at the registry if the file was shared.",
    },
    CodeInfo {
        code: Code::ConfigHelperMissing,
        title: "The configured credential helper is not installed",
        explanation: "The lookup for this registry ends at `credHelpers` or `credsStore`, so the client runs `docker-credential-<name>`, and that program is not on PATH. docker then fails with `error getting credentials - err: exec: \"docker-credential-<name>\": executable file not found in $PATH`; podman's lookup fails the same way. A config copied from another machine (Docker Desktop's `desktop`, `osxkeychain`) is the usual cause.",
        fix: "Install the helper (e.g. Debian `golang-docker-credential-helpers` for `pass`/`secretservice`), or remove the `credsStore`/`credHelpers` entry and log in again.",
    },
    CodeInfo {
        code: Code::ConfigInvalidEntry,
        title: "A config entry cannot be decoded",
        explanation: "A value in the file has the wrong type, or an `auth` value is not standard base64 of `user:password`. docker refuses the whole file when an `auth` value does not decode (`invalid auth configuration file`) and carries on without it; podman fails the lookup for that registry (bad base64) or skips the entry (no `user:` part).",
        fix: "Remove the broken entry (or the whole `auths` entry for that registry) and log in again; when writing `auth` by hand use `printf '%s' 'user:password' | base64 -w0`.",
    },
    CodeInfo {
        code: Code::ConfigAmbiguousKey,
        title: "Several entries match the same registry",
        explanation: "No `auths` key names the registry exactly, and several keys do once scheme and path are stripped (`https://registry.example/v1/`, `registry.example/v2/`). The clients walk a Go map, so which entry they use changes from run to run.",
        fix: "Keep one entry per registry, keyed by its plain host[:port] (`https://index.docker.io/v1/` for Docker Hub in docker's config).",
    },
    CodeInfo {
        code: Code::ConfigKeyNeverUsed,
        title: "A config key is never matched",
        explanation: "Clients look registries up by exact keys: docker by host[:port] (Docker Hub as `https://index.docker.io/v1/`) in `credHelpers`, and by host after stripping scheme and path in `auths`; podman by host (Docker Hub as `docker.io`) in `credHelpers`. A key in another spelling (`docker.io` for docker, `https://…` in `credHelpers`, `index.docker.io`) is silently skipped and the client falls back to `credsStore` or goes anonymous.",
        fix: "Rename the key to the spelling the client looks up (docker: `https://index.docker.io/v1/` for Docker Hub, `host:port` otherwise; podman: `docker.io`, `host:port`); keep both spellings if both clients share the file.",
    },
    CodeInfo {
        code: Code::ConfigCredsStoreIgnored,
        title: "podman and skopeo ignore credsStore",
        explanation: "`credsStore` is a docker-only setting: containers/image (podman, skopeo, buildah) reads only `auths` and `credHelpers`. A registry whose secret docker keeps in the store has no credentials for podman, which then goes anonymous, or uses a stale plaintext `auths` entry that docker no longer reads.",
        fix: "Add a `credHelpers` entry for each registry both clients use (`\"registry.example\": \"pass\"`; `docker.io` for Docker Hub in podman's spelling), or `podman login` separately.",
    },
    CodeInfo {
        code: Code::ConfigCredentialsMismatch,
        title: "The capture's credentials did not come from the configured source",
        explanation: "For this registry the config leads to one credential (a user name, an identity token, or none), and the capture shows the client sending another: a different user, a password instead of an identity token, credentials where the config has none, or none where it has some. The client read another file (`DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`, `--authfile`, root's config under sudo), took credentials from flags (`--creds`, `-u`), or did not match the key (host vs host:port, Docker Hub's spelling).",
        fix: "Check which config the client really reads (`DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`, sudo's HOME) and the exact key spelling; run `regauth config` with that file, and log in again with the intended user.",
    },
    CodeInfo {
        code: Code::InsecureRegistryFallback,
        title: "The client fell back from HTTPS to plain HTTP",
        explanation: "A client told that a registry is insecure (podman, buildah and skopeo: `insecure = true` in registries.conf or `--tls-verify=false`; dockerd: `insecure-registries`, and every registry on 127.0.0.0/8) first tries `https://host:port/v2/`. Against a registry that speaks only plain HTTP that attempt fails at TLS (mitmproxy records \"The remote server does not speak TLS\", a browser HAR a failed entry, a recorder may answer 502) and the client repeats the request over `http://`. That probe is normal and no failure. It does show that the registry is reached without TLS, so whatever the client sends there (passwords, tokens) can be read on the path.",
        fix: "Nothing to fix for the auth sequence. To stop sending credentials in clear, serve the registry over HTTPS (a private CA installed on the clients is enough) and take it off the insecure list.",
    },
    CodeInfo {
        code: Code::RequestAbandoned,
        title: "The client gave up on a request",
        explanation: "A request got no answer because the client went away, not because the server could not be reached: the client was killed or exited (often after another request failed, cancelling its uploads still in flight), or a browser aborted the request. mitmproxy records such requests as \"Client disconnected.\" (HTTP/1) or \"stream reset by client\" (HTTP/2); Chromium writes `net::ERR_ABORTED`, Firefox `NS_BINDING_ABORTED`. When the client gave up in the middle of an operation and nothing had failed, the session is incomplete: it never reached its end.",
        fix: "Nothing to fix on the server. If the client was stopped on purpose (a timeout, Ctrl-C), let the operation finish before stopping it; if it gave up after another request failed, fix that failure (the session's failing step).",
    },
    CodeInfo {
        code: Code::MalformedTokenResponse,
        title: "The token service's answer does not follow the token specification",
        explanation: "The token service answered with a token, but its JSON is not what the distribution token specification describes: `expires_in` not a whole number of seconds (or sent as a string), `issued_at` not an RFC 3339 time, a token field that is empty or not a string, or `token` and `access_token` that differ (Docker-style clients use `token`, OAuth2 libraries `access_token`, so two clients of one registry hold different tokens). Clients that decode the answer into typed fields, as the Go clients do (docker, containerd, podman, skopeo), fail on a field of the wrong type and reject the whole answer (\"unable to decode token response\"), then never send the token; lenient clients guess.",
        fix: "Fix the token service, or the proxy that rewrites its answers, to answer `{\"token\": \"...\", \"access_token\": the same, \"expires_in\": 300, \"issued_at\": \"2025-01-01T00:00:00Z\"}`: lifetimes as JSON integers, times in RFC 3339.",
    },
];

/// The long explanation of `code`, if regauth knows it.
pub fn explain(code: &str) -> Option<&'static CodeInfo> {
    Code::parse(code).map(Code::info)
}

/// How many different messages a merged finding spells out before it summarises the rest.
const MERGED_MESSAGES_SHOWN: usize = 5;

/// Merges findings with the same code, session and step into one: evidence united, the
/// strongest severity kept, and every different message kept (the strongest first), so a
/// merged finding still names every host, file and request it is about. Then orders them:
/// errors first, then by first evidence.
pub fn merge(findings: Vec<Finding>) -> Vec<Finding> {
    let mut merger = Merger::default();
    merger.extend(findings);
    merger.finish()
}

/// [`merge`] as findings are made: each stage of the analysis pushes its findings here, so
/// a hundred thousand refusals of one token are one finding as soon as they are made rather
/// than a hundred thousand held until the end (issue 9: memory bounded by the input).
#[derive(Default)]
pub struct Merger {
    merged: Vec<Finding>,
    /// Per merged finding, its messages past the first (which is the finding's own).
    more: Vec<MoreMessages>,
    /// Merged finding by [`merge_key`] of its code, session and step.
    slot_of: std::collections::HashMap<u64, usize>,
    fingerprint: MessageFingerprint,
}

/// The messages of one merged finding besides the first. Most merged findings have one
/// message: it stays in the finding and this is a severity and an empty box.
struct MoreMessages {
    /// The severity the first message came with.
    first_severity: Severity,
    more: Option<Box<Distinct>>,
}

/// A merged finding's distinct messages: the first few of each severity spelled out (what
/// [`join_messages`] can show: [`MERGED_MESSAGES_SHOWN`] of the strongest first), and a
/// fingerprint of every one to find repeats and count them.
struct Distinct {
    /// In order of first sight, at most [`MERGED_MESSAGES_SHOWN`] per severity (the first
    /// message, in the finding, counts for its severity).
    shown: Vec<(Severity, String)>,
    seen: std::collections::HashSet<(u64, u64)>,
}

/// Two independently keyed hashes of a message: 128 bits, so counting distinct messages by
/// them is exact unless two messages collide in both (about n² / 2¹²⁸), and no message text
/// is kept past the few that are shown.
#[derive(Default)]
struct MessageFingerprint {
    first: std::hash::RandomState,
    second: std::hash::RandomState,
}

impl MessageFingerprint {
    fn of(&self, message: &str) -> (u64, u64) {
        use std::hash::BuildHasher as _;
        (self.first.hash_one(message), self.second.hash_one(message))
    }
}

impl Merger {
    pub fn push(&mut self, mut finding: Finding) {
        let key = merge_key(finding.code, finding.session, finding.step);
        let Some(&slot) = self.slot_of.get(&key) else {
            // Kept to the end of the analysis: without the room `format!` left to grow in
            // (a third of a typical message; a hundred thousand findings, issue 9).
            finding.message.shrink_to_fit();
            finding.exchanges.shrink_to_fit();
            self.slot_of.insert(key, self.merged.len());
            self.more.push(MoreMessages { first_severity: finding.severity, more: None });
            self.merged.push(finding);
            return;
        };
        let existing = &mut self.merged[slot];
        existing.severity = existing.severity.max(finding.severity);
        existing.exchanges.append(&mut finding.exchanges);
        let more = &mut self.more[slot];
        match &mut more.more {
            None if finding.message == existing.message => {}
            None => {
                let mut seen = std::collections::HashSet::new();
                seen.insert(self.fingerprint.of(&existing.message));
                seen.insert(self.fingerprint.of(&finding.message));
                let shown = vec![(finding.severity, finding.message)];
                more.more = Some(Box::new(Distinct { shown, seen }));
            }
            Some(distinct) => {
                if distinct.seen.insert(self.fingerprint.of(&finding.message)) {
                    let of_severity = usize::from(more.first_severity == finding.severity)
                        + distinct
                            .shown
                            .iter()
                            .filter(|(severity, _)| *severity == finding.severity)
                            .count();
                    if of_severity < MERGED_MESSAGES_SHOWN {
                        distinct.shown.push((finding.severity, finding.message));
                    }
                }
            }
        }
    }

    /// The merged findings, ordered ([`order`]).
    pub fn finish(self) -> Vec<Finding> {
        let mut merged = self.merged;
        for (finding, more) in merged.iter_mut().zip(self.more) {
            finding.exchanges.sort_unstable();
            finding.exchanges.dedup();
            finding.exchanges.shrink_to_fit();
            let Some(distinct) = more.more else { continue };
            let mut shown = Vec::with_capacity(distinct.shown.len() + 1);
            shown.push((more.first_severity, std::mem::take(&mut finding.message)));
            shown.extend(distinct.shown);
            // Stable: among equals, the first seen first.
            shown.sort_by_key(|(severity, _)| std::cmp::Reverse(*severity));
            finding.message = join_messages(&shown, distinct.seen.len());
        }
        merged.shrink_to_fit();
        order(&mut merged);
        merged
    }
}

/// What [`Merger`] merges by, `(code, session, step)`, packed in 64 bits: 16 bytes an entry
/// instead of 32, in a map with an entry per failed session (issue 9). A session index takes
/// 48 bits; no capture that fits in memory has 2⁴⁸ sessions.
fn merge_key(code: Code, session: Option<usize>, step: Option<Step>) -> u64 {
    const SESSION_BITS: u32 = 48;
    let session = session.map_or(0, |session| (session as u64 + 1) & ((1 << SESSION_BITS) - 1));
    let step = step.map_or(0, |step| step as u64);
    (code as u64) << 56 | step << SESSION_BITS | session
}

impl Extend<Finding> for Merger {
    fn extend<T: IntoIterator<Item = Finding>>(&mut self, findings: T) {
        for finding in findings {
            self.push(finding);
        }
    }
}

/// The order findings are shown in: errors first, then by first evidence, then by code.
///
/// Sorts positions, not the findings: a stable sort of a hundred thousand findings borrowed
/// a buffer of half their size at the analysis' peak. Among equals the earlier position
/// comes first, as a stable sort would have it.
pub fn order(findings: &mut [Finding]) {
    let mut positions: Vec<usize> = (0..findings.len()).collect();
    positions.sort_unstable_by(|&a, &b| {
        let (a_finding, b_finding) = (&findings[a], &findings[b]);
        b_finding
            .severity
            .cmp(&a_finding.severity)
            .then(a_finding.exchanges.first().cmp(&b_finding.exchanges.first()))
            // By spelling, not declaration order: the order outputs have always had.
            .then(a_finding.code.as_str().cmp(b_finding.code.as_str()))
            .then(a.cmp(&b))
    });
    crate::capture::merge::permute(findings, positions);
}

/// The messages of a merged finding as one text: the first few in full (a `label: ` prefix
/// they share with the first, such as the session's name, said once), then how many more of
/// the `distinct` messages there are.
fn join_messages(shown: &[(Severity, String)], distinct: usize) -> String {
    let Some((_, first)) = shown.first() else { return String::new() };
    let label = first.find(": ").map(|at| &first[..at + 2]);
    let mut text = first.clone();
    for (_, message) in shown.iter().take(MERGED_MESSAGES_SHOWN).skip(1) {
        text.push(' ');
        match label.and_then(|label| message.strip_prefix(label)) {
            Some(rest) => {
                let mut chars = rest.chars();
                if let Some(initial) = chars.next() {
                    text.extend(initial.to_uppercase());
                    text.push_str(chars.as_str());
                }
            }
            None => text.push_str(message),
        }
    }
    if distinct > MERGED_MESSAGES_SHOWN {
        text.push_str(&format!(
            " And {} more like these (see the exchanges).",
            distinct - MERGED_MESSAGES_SHOWN
        ));
    }
    text
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and<T: AsRef<str>>(items: &[T]) -> String {
    match items {
        [] => String::new(),
        [only] => only.as_ref().to_owned(),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", "),
            last.as_ref()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keys_differ_whenever_code_session_or_step_differ() {
        let steps = [None, Some(Step::TryRegistry), Some(Step::RegistryVerdict)];
        let sessions = [None, Some(0), Some(1), Some((1 << 48) - 2)];
        let mut keys = std::collections::HashSet::new();
        for code in Code::ALL {
            for session in sessions {
                for step in steps {
                    assert!(keys.insert(merge_key(code, session, step)), "{code:?} {session:?}");
                }
            }
        }
        assert!(Code::ALL.len() < 256, "codes take the key's top 8 bits");
    }

    /// Every code regauth has ever emitted, spelled out: removing or renaming one fails here.
    const STABLE_CODES: [&str; 37] = [
        "bad-credentials",
        "token-expired",
        "token-not-yet-valid",
        "clock-skew",
        "token-outlived-by-operation",
        "insufficient-scope",
        "anonymous-denied",
        "credentials-over-plain-http",
        "secret-in-url",
        "audience-mismatch",
        "scope-mismatch",
        "token-for-other-host",
        "auth-forwarded-on-redirect",
        "malformed-challenge",
        "rate-limited",
        "registry-error",
        "capture-incomplete",
        "tls-untrusted-certificate",
        "tls-certificate-expired",
        "tls-intercepted",
        "token-rejected",
        "connection-failed",
        "token-service-error",
        "tls-certificate-not-yet-valid",
        "tls-hostname-mismatch",
        "tls-client-certificate-expiring",
        "config-plaintext-password",
        "config-plaintext-identity-token",
        "config-helper-missing",
        "config-invalid-entry",
        "config-ambiguous-key",
        "config-key-never-used",
        "config-creds-store-ignored",
        "config-credentials-mismatch",
        "insecure-registry-fallback",
        "request-abandoned",
        "malformed-token-response",
    ];

    #[test]
    fn every_stable_code_round_trips() {
        for text in STABLE_CODES {
            let code = Code::parse(text).unwrap_or_else(|| panic!("code {text} disappeared"));
            assert_eq!(code.as_str(), text);
            assert_eq!(code.to_string(), text);
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), code);
            assert_eq!(explain(text).map(|info| info.code), Some(code));
        }
        // New codes are welcome, but each must be added to the list above.
        for code in Code::ALL {
            assert!(STABLE_CODES.contains(&code.as_str()), "{code} is missing from STABLE_CODES");
        }
    }

    #[test]
    fn codes_are_unique_kebab_case_and_explained() {
        assert_eq!(CODES.len(), Code::ALL.len());
        let mut seen = std::collections::HashSet::new();
        for (info, code) in CODES.iter().zip(Code::ALL) {
            assert_eq!(info.code, code, "CODES must follow Code::ALL order");
            assert_eq!(code.info(), info);
            assert!(seen.insert(info.code), "duplicate code {}", info.code);
            assert!(
                info.code.as_str().chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{}",
                info.code
            );
            assert!(
                info.explanation.len() > 60 && info.fix.len() > 20,
                "{} is under-explained",
                info.code
            );
        }
        assert_eq!(explain("clock-skew").map(|info| info.code), Some(Code::ClockSkew));
        assert_eq!(explain("no-such-code"), None);
    }

    fn found(severity: Severity, exchange: usize, message: &str) -> Finding {
        Finding {
            code: Code::RegistryError,
            severity,
            session: Some(0),
            step: Some(Step::RegistryVerdict),
            exchanges: smallvec::smallvec![exchange],
            message: message.to_owned(),
        }
    }

    // hand-written fixture: one kind of finding seen at several exchanges.
    #[test]
    fn a_merged_finding_keeps_every_message_the_strongest_first() {
        let merged = merge(vec![
            found(Severity::Warning, 3, "r/app: GET /v2/a answered NAME_UNKNOWN."),
            found(Severity::Error, 7, "r/app: GET /v2/b answered 500."),
            found(Severity::Warning, 5, "r/app: GET /v2/a answered NAME_UNKNOWN."),
        ]);
        assert_eq!(merged.len(), 1);
        let finding = &merged[0];
        assert_eq!(
            (finding.severity, finding.exchanges.to_vec()),
            (Severity::Error, vec![3, 5, 7])
        );
        // The shared `r/app: ` label is said once; the repeated message once.
        assert_eq!(
            finding.message,
            "r/app: GET /v2/b answered 500. GET /v2/a answered NAME_UNKNOWN."
        );
    }

    #[test]
    fn a_merged_finding_with_many_messages_says_how_many_more() {
        let many: Vec<Finding> = (0..8)
            .map(|idx| found(Severity::Warning, idx, &format!("GET /v2/{idx} answered 404.")))
            .collect();
        let merged = merge(many);
        assert_eq!(merged.len(), 1);
        assert!(merged[0].message.starts_with("GET /v2/0 answered 404. GET /v2/1 answered 404."));
        assert!(merged[0].message.ends_with(" And 3 more like these (see the exchanges)."));
        assert_eq!(merged[0].exchanges.len(), 8);
    }

    /// The merge as it was before [`Merger`]: every distinct message kept, sorted by
    /// severity (stable), the first few joined.
    fn merged_message_by_keeping_every_message(messages: &[(Severity, String)]) -> String {
        let mut distinct: Vec<(Severity, String)> = Vec::new();
        for (severity, message) in messages {
            if distinct.iter().all(|(_, seen)| seen != message) {
                distinct.push((*severity, message.clone()));
            }
        }
        distinct.sort_by_key(|(severity, _)| std::cmp::Reverse(*severity));
        match distinct.len() {
            1 => distinct[0].1.clone(),
            count => join_messages(&distinct, count),
        }
    }

    // hand-written fixture: repeats and severities interleaved, more of each than are shown.
    #[test]
    fn merging_as_findings_come_keeps_the_message_of_keeping_every_message() {
        let severities = [Severity::Warning, Severity::Info, Severity::Error];
        let mut messages = Vec::new();
        for idx in 0..40_usize {
            let severity = severities[(idx * 7 / 3) % 3];
            // Every third message repeats an earlier one, with another severity at times.
            let text = format!("r/app: GET /v2/{} answered {}.", idx % 13, idx % 2);
            messages.push((severity, text));
        }
        for count in [1, 2, 5, 6, 12, 40] {
            let findings: Vec<Finding> = messages[..count]
                .iter()
                .enumerate()
                .map(|(idx, (severity, text))| found(*severity, idx, text))
                .collect();
            let merged = merge(findings);
            assert_eq!(merged.len(), 1);
            assert_eq!(
                merged[0].message,
                merged_message_by_keeping_every_message(&messages[..count]),
                "{count} findings"
            );
            assert_eq!(merged[0].exchanges.to_vec(), (0..count).collect::<Vec<_>>());
        }
    }

    #[test]
    fn severities_keep_their_spelling_and_order() {
        for (severity, text) in
            [(Severity::Info, "info"), (Severity::Warning, "warning"), (Severity::Error, "error")]
        {
            assert_eq!(severity.as_str(), text);
            assert_eq!(serde_json::to_string(&severity).unwrap(), format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Severity>(&format!("\"{text}\"")).unwrap(), severity);
        }
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
    }
}
