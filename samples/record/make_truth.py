#!/usr/bin/env python3
"""Write samples/truth.json and the table in samples/README.md from one list.

The truth is what record-all.sh injected (token service clock offset, token
lifetime, credentials, ACLs, delays), not what an analyser concluded.

usage: make_truth.py            (run from anywhere; paths are relative to this file)
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.dirname(HERE)

SKOPEO = "skopeo 1.9.3 (Debian 12)"
PODMAN = "podman 4.3.1 (Debian 12)"
DXF = "python-dxf 12.1.1 (requests 2.34.2, Python 3.11.7)"
CONTAINERD = "ctr/containerd 1.6.20 (Debian 12)"
DOCKER = "docker CLI + dockerd 20.10.24 (Debian 12 docker.io)"
SCRIPTED = "scripted OAuth2 client (samples/record/oauth2_client.py; requests 2.34.2) - not a real registry client"
CHROMIUM = "Chromium 156.0.8078.79 (Debian 12) via playwright-core 1.65.1"
M = "mitmproxy {}"
M11 = M.format("11.0.2")
M12 = M.format("12.2.3")
BUILDAH = "buildah 1.28.2 (Debian 12)"
DXF12 = "python-dxf 12.1.1 (requests 2.34.2, Python 3.11.7)"
ORAS = "oras-py 0.2.43 (PyPI oras; requests 2.34.2, Python 3.12.1)"
TI = "tls-intercepted"
CP = "credentials-over-plain-http"

# name, formats, client, outcome, failed_step, offset, lifetime, findings, scenario, notes
ROWS = [
    ("pull-success", "flow har", SKOPEO, "success", None, 0, 300, [TI],
     "skopeo copy docker://registry.regauth.test:5000/private/app:1.0 -> oci: as reader (token auth)",
     "Clean six-step pull: /v2/ 401, GET realm with Basic + account=, Bearer on manifest and blobs."),
    ("push-success", "flow har", SKOPEO, "success", None, 0, 300, [TI],
     "skopeo copy oci: -> registry.regauth.test:5000/private/new:1.0 as writer",
     "Token scope repository:private/new:pull,push; HEAD/POST/PATCH/PUT per blob, manifest PUT."),
    ("wrong-password", "flow har", SKOPEO, "failure", 4, 0, 300, [TI, "bad-credentials"],
     "skopeo pull with a wrong password for reader",
     "Token service answers 401 with a JSON error; the registry is never retried with a token."),
    ("login-success", "flow har", SKOPEO, "success", None, 0, 300, [TI],
     "skopeo login as writer",
     "Token requested without scope (login); token has an empty access list, /v2/ then 200."),
    ("login-wrong-password", "flow har", SKOPEO, "failure", 4, 0, 300, [TI, "bad-credentials"],
     "skopeo login with a wrong password", "Token service 401."),
    ("clock-behind", "flow har", SKOPEO, "failure", 6, -7200, 300, [TI, "clock-skew", "token-expired"],
     "skopeo pull; token service clock 2 h behind",
     "iat/nbf/exp, issued_at and the token service's Date header are all 2 h behind; the registry "
     "rejects the token as expired (401 error=\"invalid_token\") and skopeo gives up."),
    ("clock-ahead", "flow har", SKOPEO, "failure", 6, 7200, 300, [TI, "clock-skew", "token-not-yet-valid"],
     "skopeo pull; token service clock 2 h ahead",
     "nbf is 2 h in the registry's future: 401 error=\"invalid_token\" (distribution gives no reason)."),
    ("clock-ahead-within-leeway", "flow har", SKOPEO, "success", None, 30, 300, [TI, "clock-skew"],
     "skopeo pull; token service clock 30 s ahead",
     "nbf is 30 s in the registry's future, inside distribution's 60 s leeway: the pull works. The skew is "
     "real and visible (token service Date header, iat/nbf vs capture time) but harmless here."),
    ("clock-ahead-beyond-leeway", "flow har", SKOPEO, "failure", 6, 90, 300,
     [TI, "clock-skew", "token-not-yet-valid"],
     "skopeo pull; token service clock 90 s ahead",
     "nbf is 90 s in the registry's future, 30 s beyond the 60 s leeway: 401 error=\"invalid_token\"."),
    ("token-expired-mid-push", "flow har", SKOPEO, "failure", 6, -40, 10,
     [TI, "token-expired", "token-outlived-by-operation", "clock-skew"],
     "skopeo push as writer; short-lived token, issuer clock 40 s behind, uploads slowed 12 s each by a mitmproxy addon",
     "Token service omits issued_at, so skopeo counts from its own receipt time and clamps expires_in 10 to 60 s; "
     "exp is 30 s before issue on the registry's clock, so with the 60 s leeway the registry accepts the token "
     "for ~30 s. The first blob's PUT reaches the registry ~36 s after issue: 401 invalid_token; skopeo gives up. "
     "The 12 s delays happen inside mitmproxy after the request was received (HAR/flow request start times are "
     "the client's send times)."),
    ("token-expired-mid-push-recovered", "flow har", DXF, "success", None, 0, 5,
     [TI, "token-expired", "token-outlived-by-operation"],
     "python-dxf push as writer; 5 s token, no clock offset, uploads slowed 25 s each by a mitmproxy addon",
     "python-dxf ignores expires_in and reuses a token until it gets a 401. The first POST upgrades pull to "
     "pull,push after error=\"insufficient_scope\" (normal). The second blob's POST reaches the registry ~75 s after "
     "that token was issued (exp + 60 s leeway passed): 401 error=\"invalid_token\" at step 6, python-dxf fetches "
     "a new token and the push completes. Overall success with one recovered step-6 rejection."),
    ("push-insufficient-scope", "flow har", SKOPEO, "failure", 6, 0, 300, [TI, "insufficient-scope"],
     "skopeo push to private/app as reader (ACL: pull only)",
     "Token asked for pull,push, granted pull only; POST /blobs/uploads/ gets 401 error=\"insufficient_scope\"; "
     "skopeo re-asks (same result) and fails with 'denied'."),
    ("anonymous-pull-private", "flow har", SKOPEO, "failure", 6, 0, 300, [TI, "anonymous-denied"],
     "skopeo pull of private/app with --src-no-creds",
     "Anonymous token request (no Authorization, no account=) is answered 200 with an empty actions list; the "
     "registry answers 401 error=\"insufficient_scope\". The registry's wording is insufficient scope; the "
     "specific diagnosis is anonymous-denied."),
    ("anonymous-pull-public", "flow har", SKOPEO, "success", None, 0, 300, [TI],
     "skopeo pull of public/hello with --src-no-creds", "Anonymous token with pull on public/*."),
    ("basic-success", "flow har", SKOPEO, "success", None, None, None, [TI],
     "skopeo pull from basic.regauth.test:5002 (htpasswd Basic auth over TLS) as alice",
     "Basic challenge on /v2/, then Basic on every request. No token service."),
    ("basic-wrong-password", "flow har", SKOPEO, "failure", 6, None, None, [TI, "bad-credentials"],
     "skopeo pull from the Basic-auth registry with a wrong password",
     "The registry's credential check is step 6: manifest GET with Basic answered 401 Basic challenge."),
    ("basic-plain-http", "flow har", SKOPEO, "success", None, None, None, ["credentials-over-plain-http"],
     "skopeo pull from plain.regauth.test:5003 (htpasswd Basic over plain HTTP), --src-tls-verify=false",
     "skopeo first tries HTTPS (fails: the server does not speak TLS; HAR status 0), falls back to http; "
     "alice's password goes in clear on every request."),
    ("noauth-pull", "flow har", SKOPEO, "success", None, None, None, [],
     "skopeo pull from open.regauth.test:5004 (no auth, plain HTTP)",
     "Failed HTTPS attempt then HTTP fallback; no credentials anywhere."),
    ("two-registries", "flow har", SKOPEO, "success", None, 0, 300, [TI],
     "skopeo copy registry.regauth.test:5000/private/app:1.0 (token, reader) -> basic.regauth.test:5002/team/copied:1.0 (Basic, alice)",
     "Two auth sessions in one capture: Bearer on the source, Basic on the destination."),
    ("realm-plain-http", "flow har", SKOPEO, "success", None, 0, 300, [TI, "credentials-over-plain-http"],
     "skopeo pull from registry.regauth.test:5007 (HTTPS) whose token realm is http://auth.regauth.test:5011/token",
     "The registry is TLS but the Bearer challenge points at a plain-HTTP realm: reader's Basic credentials go "
     "to the token service in clear (and the token comes back in clear)."),
    ("audience-mismatch", "flow har", SKOPEO, "failure", 6, 0, 300, [TI, "audience-mismatch"],
     "skopeo pull; token service misconfigured to put aud=hub.regauth.test in every token",
     "Registry expects aud registry.regauth.test (the service in its challenge): 401 error=\"invalid_token\"."),
    ("token-answer-string-lifetime", "flow har", SKOPEO, "failure", 4, 0, 300, [TI, "malformed-token-response"],
     "skopeo pull as reader; token service misconfigured to send expires_in as the JSON string \"300\"",
     "containers/image decodes the answer into an int field and fails on the whole answer (\"json: cannot "
     "unmarshal string into Go struct field bearerToken.expires_in of type int\", skopeo exit 1): the token is "
     "never sent, the session stops at step 4."),
    ("tls-upstream-untrusted", "flow har", SKOPEO, "failure", 1, 0, 300, [TI, "tls-untrusted-certificate"],
     "skopeo pull through a mitmproxy that does not trust the registry's private CA",
     "mitmproxy cannot verify registry.regauth.test's certificate and answers the client 502; the flows carry "
     "the error 'Certificate verify failed: unable to get local issuer certificate' (HAR: status 0 + _error). "
     "skopeo also probes /v1/_ping. The registry and the token service were never reached."),
    ("redirect-auth-forwarded", "flow har", SKOPEO, "success", None, 0, 300, [TI, "auth-forwarded-on-redirect"],
     "skopeo pull from store.regauth.test:5005 whose blobs redirect (307) to cdn.store.regauth.test:5005",
     "distribution 2.8 with the `redirect` storage middleware behind a TLS front (record/front_proxy.py) that "
     "serves both names on one port; the CDN name serves the storage files. Go's net/http (Go 1.19) keeps "
     "Authorization on a redirect to a subdomain with the same port, so the Bearer token reaches the CDN host. "
     "The pull succeeds; the storage requests belong to the pull, not to the token sequence. Token service "
     "service name store.regauth.test."),
    ("redirect-auth-dropped", "flow har", DXF, "success", None, 0, 300, [TI],
     "python-dxf pull from the same redirecting registry (control for redirect-auth-forwarded)",
     "requests drops Authorization when the redirect changes host: the CDN requests carry no Authorization. "
     "No finding about the redirect."),
    ("oauth2-post", "flow har", SCRIPTED, "success", None, 0, 300, [TI],
     "OAuth2 token flow: POST realm grant_type=password access_type=offline, then grant_type=refresh_token",
     "Labelled scripted client (containerd-pull-push is the real POST client; this one adds the offline "
     "refresh_token round trip, which containerd does not do without a stored identity token). Password in the form body; refresh_token "
     "returned and used for the second access token."),
    ("containerd-pull-push", "flow har", CONTAINERD, "success", None, 0, 300, [TI],
     "ctr content fetch private/app:1.0 as reader, ctr images tag, ctr images push private/containerd:1.0 as writer",
     "Real OAuth2 POST client: grant_type=password, client_id=containerd-client, password in the form body. "
     "No /v2/ ping (starts with HEAD manifest); re-asks for a token per phase (resolve, fetch, push) and sends "
     "the first request of a phase without Authorization, getting a fresh 401 each time (normal); push asks for "
     "several scopes and mounts the blobs from private/app."),
    ("containerd-wrong-password", "flow har", CONTAINERD, "failure", 4, 0, 300, [TI, "bad-credentials"],
     "ctr content fetch with a wrong password",
     "OAuth2 POST answered 401 invalid_grant, containerd falls back to GET with Basic, also 401."),
    ("docker-login-pull-push", "flow har", DOCKER, "success", None, 0, 300, [TI, "credentials-over-plain-http"],
     "docker login, pull private/app:1.0, tag, push private/docker:1.0 as writer; both legs recorded",
     "One mitmproxy, two modes: CLI -> daemon on plain tcp:// (reverse:http://127.0.0.1:2375 on :2376) and "
     "daemon -> registry/token service (regular proxy on :8080). POST /v1.41/auth carries writer's password in a "
     "JSON body over plain HTTP (credentials-over-plain-http, on the daemon leg); the daemon asks the token "
     "service with offline_token=true&client_id=docker, gets a refresh_token and returns it as IdentityToken; "
     "pull and push then send X-Registry-Auth with that identity token and the daemon trades it for access "
     "tokens by OAuth2 POST grant_type=refresh_token (no Basic). The push mounts layers from private/app."),
    ("docker-wrong-password", "flow har", DOCKER, "failure", 4, 0, 300,
     [TI, "bad-credentials", "credentials-over-plain-http"],
     "docker login with a wrong password; both legs recorded",
     "Token service 401 (step 4); the daemon answers the CLI's POST /v1.41/auth with 500 carrying the "
     "registry's message (not 401). The wrong password still crossed the plain tcp:// daemon connection."),
    ("dxf-pull-success", "flow har", DXF, "success", None, 0, 300, [TI],
     "python-dxf pull of private/app as reader",
     "No /v2/ ping: the first request is the manifest GET, whose 401 carries the scope."),
    ("dxf-push-success", "flow har", DXF, "success", None, 0, 300, [TI],
     "python-dxf push of two blobs + manifest to private/dxf as writer",
     "Starts with a pull token from the HEAD challenge, gets 401 error=\"insufficient_scope\" on POST and upgrades "
     "to pull,push: a normal upgrade, not a failure."),
    ("podman-login-pull-push", "flow har", PODMAN, "success", None, 0, 300, [TI],
     "podman login, pull private/app:1.0, tag, push private/podman:1.0 as writer (vfs storage, scratch root)",
     "Three token sessions; the push asks for two scopes (pull,push on the target and pull on the source) and "
     "mounts the layers cross-repository (POST ?mount=&from= -> 201); parallel identical token requests."),
    ("podman-login-wrong-password", "flow har", PODMAN, "failure", 4, 0, 300, [TI, "bad-credentials"],
     "podman login with a wrong password", "Token service 401."),
    ("chromium-via-mitmproxy", "flow har", CHROMIUM, "success", None, 0, 300, [TI, "registry-error"],
     "Chromium walks the flow by hand: /v2/, realm with Basic (browser answers a Basic challenge), manifest "
     "navigation with Bearer, then fetch() of manifest and config blob",
     "Token service challenges (account= but no credentials), Chromium retries with Basic. The manifest "
     "navigation gets 404 MANIFEST_UNKNOWN (browser Accept has no OCI type): registry-error, not an auth "
     "failure; the following fetch() with Accept succeeds. Also favicon 404s and two Chromium phone-home "
     "requests (clients2.google.com, update.googleapis.com) answered 403 by the recorder's loopback guard."),
    ("chromium-playwright", "har", CHROMIUM + ", recorded by Playwright recordHar (same session as chromium-via-mitmproxy)",
     "success", None, 0, 300, [TI, "registry-error"],
     "Same session as chromium-via-mitmproxy, HAR written by Playwright",
     "Chromium/Playwright HAR quirk: the 401 Basic challenge from the token service and the retry are folded "
     "into one entry that shows no Authorization header but a 200 with a pull token for private/app. "
     "_securityDetails shows mitmproxy's certificate. No phone-home entries here."),
]

# Issue 8 item 9 (and issue 11 item 5): clients configured the way users configure them,
# mitmproxy 12.2.3 as an explicit proxy (HTTP_PROXY/HTTPS_PROXY) writing flow + HAR.
# Same shape as ROWS plus the issue-8 behaviours each sample shows ("8.1" = HTTPS-first
# probe, "8.2" = outcome after re-authentication, "8.3" = Engine API stream errors,
# "8.4" = abandoned requests); recorder mitmproxy 12.2.3.
# lab.regauth.test:5012 is distribution on plain HTTP with token auth, realm
# http://auth.regauth.test:5011/token (plain HTTP too): the usual local setup.
PROBE = ("The client first tries https://lab.regauth.test:5012/v2/; mitmproxy's TLS handshake with the plain-HTTP "
         "registry fails (flow error \"The remote server does not speak TLS.\", HAR status 0 + _error) and the client "
         "falls back to http:// (normal for a registry declared insecure: not a failure, not connection-failed). ")
ROWS12 = [
    ("insecure-skopeo-wrong-password", "flow har", SKOPEO, "failure", 4, 0, 300, ["bad-credentials", CP],
     "skopeo copy --src-tls-verify=false from the plain-HTTP token registry lab.regauth.test:5012, wrong password for reader",
     PROBE + "Then /v2/ 401 Bearer challenge, token GET with Basic (wrong password) over plain HTTP answered 401: "
     "the failure is step 4, bad credentials; the password crossed plain HTTP. [issue 8: 8.1]", ["8.1"]),
    ("insecure-podman-login-pull-push", "flow har", PODMAN, "success", None, 0, 300, [CP],
     "podman login, pull, tag, push as writer against lab.regauth.test:5012 declared insecure in a private registries.conf "
     "(CONTAINERS_REGISTRIES_CONF, [[registry]] insecure = true)",
     PROBE + "podman probes once per operation (login, pull, push: three failed https:// entries), each followed by the "
     "http:// fallback. writer's password goes to the plain-HTTP realm and the Bearer tokens to the plain-HTTP "
     "registry. Cross-repository mounts on push. Overall success. [issue 8: 8.1]", ["8.1"]),
    ("insecure-podman-clock-ahead", "flow har", PODMAN, "failure", 6, 7200, 300,
     ["clock-skew", "token-not-yet-valid", CP],
     "podman pull --creds reader from lab.regauth.test:5012 (insecure = true); token service clock 2 h ahead",
     PROBE + "The token's nbf/iat (and the token service's Date) are 2 h in the registry's future: the manifest GET "
     "with Bearer is answered 401 (distribution gives no reason); podman gives up. Failure at step 6, not step 1. "
     "[issue 8: 8.1]", ["8.1"]),
    ("insecure-buildah-clock-behind", "flow har", BUILDAH, "failure", 6, -7200, 300,
     ["clock-skew", "token-expired", CP],
     "buildah pull --creds reader from lab.regauth.test:5012 (insecure = true in registries.conf); token service clock 2 h behind",
     PROBE + "The token expired 2 h ago on the registry's clock (exp = issue time + 300 s, issuer 2 h behind): 401 "
     "on the manifest GET with Bearer. Failure at step 6, not step 1. [issue 8: 8.1]", ["8.1"]),
    ("insecure-not-configured", "flow har", PODMAN, "failure", 1, 0, 300, ["connection-failed"],
     "podman pull from the plain-HTTP registry lab.regauth.test:5012 without declaring it insecure (registries.conf "
     "without the entry)",
     "podman tries https://lab.regauth.test:5012/v2/ and then /v1/_ping; both fail at TLS (\"The remote server does "
     "not speak TLS.\", mitmproxy answers podman 502) and podman, not allowed to use http, stops: \"pinging "
     "container registry ... invalid status code from registry 502\". No fallback follows, so this probe is a real "
     "connection failure at step 1. Nothing reached the registry or the token service. [issue 8: 8.1, the "
     "no-fallback case]", ["8.1"]),
    ("insecure-docker-login-pull-push", "flow har", DOCKER, "success", None, 0, 300, [CP],
     "docker login, pull, tag, push as writer against lab.regauth.test:5012 listed in dockerd's insecure-registries; both legs recorded",
     "dockerd tries https://lab.regauth.test:5012/v2/ first (without verifying), the TLS handshake fails (flow error "
     "\"The remote server does not speak TLS.\") and dockerd falls back to http://, once per operation. The "
     "recorder ran samples/record/tls_fail_closed.py so that dockerd saw the failed handshake as a dropped "
     "connection, as it would without mitmproxy (plain mitmproxy answers 502 and stops the pull's fallback: see "
     "insecure-docker-pull-recorder-502). /auth carries writer's password over plain tcp://, the daemon sends it "
     "to the plain-HTTP realm (offline_token=true) and later trades the refresh token by OAuth2 POST over plain "
     "HTTP; Bearer tokens go to the plain-HTTP registry. Push mounts from private/app. [issue 8: 8.1]", ["8.1"]),
    ("insecure-docker-wrong-password", "flow har", DOCKER, "failure", 4, 0, 300, ["bad-credentials", CP],
     "docker login with a wrong password against lab.regauth.test:5012 (insecure-registries); both legs recorded",
     "HTTPS probe as in insecure-docker-login-pull-push, then the http:// fallback, 401 challenge, token GET with "
     "Basic answered 401; /auth answers the CLI 500 with the registry's message. Failure at step 4. [issue 8: 8.1]",
     ["8.1"]),
    ("insecure-docker-pull-recorder-502", "flow har", DOCKER, "failure", 1, 0, 300, ["connection-failed", CP],
     "docker login then pull against lab.regauth.test:5012 (insecure-registries) through plain mitmproxy 12",
     "How a user's own mitmproxy recording of this setup looks: mitmproxy completes the TLS handshake with dockerd "
     "even though the registry does not speak TLS, and answers the https:// request 502 (the flow records only the "
     "error \"The remote server does not speak TLS.\"). docker login tries every endpoint and falls back to http "
     "(its session succeeds), but the pull takes an HTTP answer as \"this endpoint speaks HTTPS\": /v2/, HEAD and "
     "GET manifest over https all fail and /images/create answers 500 \"received unexpected HTTP status: 502 Bad "
     "Gateway\". The pull's probe has no fallback: failure at step 1 (caused by the recorder in the path). "
     "[issue 8: 8.1, both the normal probe (login) and the no-fallback case (pull)]", ["8.1"]),
    ("insecure-docker-slow-push", "flow har", DOCKER, "success", None, 0, 300, [CP],
     "docker login as writer, docker load of a three-layer image, tag, push to lab.regauth.test:5012 "
     "(insecure-registries) over a link limited to 400 B/s by a mitmproxy addon; both legs recorded",
     "HTTPS probe and http:// fallback per operation as in insecure-docker-login-pull-push (tls_fail_closed.py). "
     "The three layer PATCHes run in parallel and take ~11, ~21 and ~41 s; the push completes well inside the 300 s "
     "token lifetime. No retry: dockerd retries an upload only after a network or server error, and the slow link "
     "caused none. A long but successful push; the password and tokens crossed plain HTTP. [issue 8: 8.1]",
     ["8.1"]),
    ("docker-push-denied", "flow har", DOCKER, "failure", 6, 0, 300, [TI, "insufficient-scope", CP],
     "docker login as reader, pull private/app:1.0, tag private/app:2.0, push (reader may pull, not push); both legs recorded",
     "The daemon asks for repository:private/app:pull,push, the token grants pull only; blob HEADs succeed (the "
     "layers exist), the manifest PUT is answered 401 error=\"insufficient_scope\". The Engine API answers the push "
     "200 and reports the failure only in the JSON stream: errorDetail \"denied: requested access to the resource is "
     "denied\". A refused permission, not bad credentials (login and pull with the same account succeeded). "
     "reader's password crossed the plain tcp:// daemon connection in /auth. [issue 8: 8.3]", ["8.3"]),
    ("docker-pull-anonymous-private", "flow har", DOCKER, "failure", 6, 0, 300, [TI, "anonymous-denied"],
     "docker pull of private/app:1.0 without docker login; both legs recorded",
     "X-Registry-Auth is e30= ({}), the daemon asks for an anonymous token (granted nothing), HEAD and GET manifest "
     "401 insufficient_scope; /images/create answers 404 \"pull access denied ... repository does not exist or may "
     "require 'docker login'\" although the repository exists. [issue 8: 8.3]", ["8.3"]),
    ("docker-push-token-expired", "flow har", DOCKER, "failure", 6, 0, 5,
     [TI, "token-expired", "token-outlived-by-operation", CP],
     "docker login as writer, docker load of a three-layer image (4, 8, 16 KiB), tag, push; 5 s token; uploads slowed "
     "to 60 B/s by a mitmproxy addon; both legs recorded",
     "The daemon trades its identity token for a 5 s access token (OAuth2 POST grant_type=refresh_token) and counts "
     "60 s from issued_at (expires_in is clamped up to 60). POST /blobs/uploads/ x3 succeed; the PATCHes reach the "
     "registry ~70, ~140 and ~275 s later, after exp + distribution's 60 s leeway: each is answered 401 "
     "error=\"invalid_token\". dockerd does not retry an auth error and does not ask for a new token; it lets the "
     "other uploads finish, then the Engine API push stream (HTTP 200) ends with errorDetail \"unauthorized: "
     "authentication required\". The cause, from the daemon's registry leg, is an expired token (the push outlived "
     "it), not bad credentials. writer's password crossed the plain tcp:// daemon connection in /auth. "
     "[issue 8: 8.3]", ["8.3"]),
    ("buildah-login-pull-push", "flow har", BUILDAH, "success", None, 0, 300, [TI],
     "buildah login, pull private/app:1.0, tag, push private/buildah:1.0 as writer (vfs, scratch root)",
     "containers/image like podman: login without scope, pull, push with cross-repository mounts and parallel "
     "identical token requests.", []),
    ("buildah-push-insufficient-scope", "flow har", BUILDAH, "failure", 6, 0, 300, [TI, "insufficient-scope"],
     "buildah push --creds reader to private/buildah-denied (reader has no right there)",
     "Token asked for pull,push on private/buildah-denied, granted nothing; blob HEADs answered 401 "
     "error=\"insufficient_scope\"; buildah re-asks (same answer) and fails \"denied: requested access to the "
     "resource is denied\".", []),
    ("oras-py-pull", "flow har", ORAS, "success", None, 0, 300, [TI],
     "oras-py pull of private/app:1.0 as reader (oras.client.OrasClient, Basic credentials set on its token auth)",
     "No /v2/ ping: the manifest GET's 401 challenge gives the scope; oras-py sends Basic to the realm (no account=) "
     "and reuses the token for the blobs.", []),
    ("oras-py-push-token-not-upgraded", "flow har", ORAS, "failure", 6, 0, 300, [TI, "scope-mismatch"],
     "oras-py push of a two-file artifact to private/oras:1.0 as writer (who may push)",
     "oras-py 0.2.43 keeps the first token it got and, on a 401, sends that same token again (it asks anew only "
     "after a 403). Its push starts with HEAD blob (challenge scope pull: token for pull), then POST "
     "/blobs/uploads/ is answered 401 error=\"insufficient_scope\" (scope pull,push), re-sent with the same pull "
     "token, 401 again; oras-py fails. The account had the right: the client never asked for push, so this is "
     "scope-mismatch (the only token request asked for fewer actions than the registry's challenge needs), not an "
     "account lacking a right (giving writer more rights would change nothing). A client that does not upgrade "
     "its token (compare dxf-push-success, where python-dxf upgrades).", []),
    ("oras-py-wrong-password", "flow har", ORAS, "failure", 4, 0, 300, [TI, "bad-credentials"],
     "oras-py pull of private/app:1.0 with a wrong password",
     "Token GET with Basic answered 401; oras-py's retry decorator repeats the whole request, 6 tries with growing "
     "sleeps between them (3, 5, 11, 29, 83 s), each time manifest GET 401 then token 401: repeated bad "
     "credentials, one failure.", []),
    ("containerd-push-token-expired-abandoned", "flow har", CONTAINERD, "failure", 6, 0, 5,
     [TI, "token-expired", "token-outlived-by-operation"],
     "ctr images push as writer of a locally imported three-layer image (layer tars of 10, 10 and 20 KB); 5 s token; "
     "uploads slowed to 60 B/s by a mitmproxy addon",
     "OAuth2 POST token (pull,push; 5 s), blob HEADs 404, four POST /blobs/uploads/ 202, the config PUT (643 bytes) "
     "201 at once. The layer PUTs carry their bodies and reach the registry ~170 s (10 KB) and ~340 s (20 KB) later, "
     "past exp + distribution's 60 s leeway: 401 error=\"invalid_token\". containerd re-sends the refused PUTs "
     "with the same token (it never asks for a new one); the second 401 for the same request makes it fail "
     "(\"server message: invalid_token: authorization failed\") and it cancels the uploads still in flight: two "
     "re-sent PUTs are recorded with \"Client disconnected.\" and no response. Those were abandoned by the client, "
     "not connection failures; the failure is the expired token at step 6 (the push outlived it). "
     "[issue 8: 8.4; the outcome after retries, 8.2]", ["8.2", "8.4"]),
    ("dxf-push-token-expired-digest-invalid", "flow har", DXF12, "failure", 6, 0, 5,
     [TI, "token-expired", "token-outlived-by-operation", "registry-error"],
     "python-dxf push_blob(filename) as writer; 5 s token, no clock offset; the link is limited to 28 B/s by a "
     "mitmproxy addon, so the 1,920-byte PUT takes ~69 s",
     "HEAD 401 -> token (pull) -> HEAD 404 -> POST 401 insufficient_scope -> token (pull,push) -> POST 202 (a normal "
     "scope upgrade). The monolithic PUT carries the open file; it reaches the registry ~70 s after its token was "
     "issued (exp + distribution's 60 s leeway passed): 401 error=\"invalid_token\". python-dxf re-authenticates (new "
     "token, 200) and re-sends the PUT with the same file object, already read to its end: Transfer-Encoding chunked, "
     "0 bytes, same ?digest=, answered 400 DIGEST_INVALID \"provided digest did not match uploaded content\"; "
     "python-dxf raises. The push failed at step 6 after a successful re-authentication: the client did not "
     "recover (no later request for that blob succeeded). Cause: the operation outlived the token, and the client's "
     "body could not be sent twice. [issue 8: 8.2]", ["8.2"]),
    ("push-killed-mid-upload", "flow har", SKOPEO, "incomplete", None, 0, 300, [TI],
     "skopeo push of a three-layer image as writer, killed by timeout(1) after 8 s while a layer upload crawls over "
     "a link limited to 400 B/s (mitmproxy addon)",
     "Auth completes (401 challenge, token with pull,push, HEAD 404, POST 202 with Bearer); the PATCH carrying the "
     "first layer is still on the slow link when timeout(1) kills skopeo: mitmproxy records it with \"Client "
     "disconnected.\" and no response. The client gave up; no server failed, nothing was refused: not "
     "connection-failed, and the push never reached its end (incomplete). skopeo 1.9.3 copied this image's "
     "layers one at a time here, so one upload was in flight. [issue 8: 8.4]", ["8.4"]),
    ("docker-mtls-login-pull", "flow har", DOCKER, "success", None, 0, 300,
     {"flow": [TI, "tls-client-certificate-expiring"], "har": [TI]},
     "docker login + pull as reader, CLI -> dockerd over mutual TLS (--tlsverify) through mitmproxy in reverse mode "
     "with a client certificate; client certificate expires 20 days after the recording",
     "dockerd listens on tcp://127.0.0.1:2376 with --tlsverify (server cert and client CA: the regauth test CA). "
     "mitmproxy listens on :2377 in reverse mode (reverse:https://127.0.0.1:2376), presents its own certificate to the "
     "CLI (DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH with mitmproxy's CA as ca.pem), asks the CLI for its client "
     "certificate (request_client_cert=true: the flow's client connection carries it) and presents the same client "
     "certificate to dockerd (client_certs). Client certificate: CN \"regauth docker client\", issuer \"regauth test "
     "CA\", extendedKeyUsage clientAuth, valid from 1 h before to 20 days after the recording: it expires within "
     "30 days (issue 11 item 5: \"tls-client-certificate-expiring\", flow only: a HAR has "
     "no client certificate). The /auth body (reader's password) travels inside TLS: no plain-HTTP credential "
     "finding. Daemon leg through the regular proxy as in the other docker samples.", []),
]

VERSIONS = ["8.1.1", "9.0.1", "10.4.2", "11.0.2", "12.2.3"]
FORMAT_VERSION = {"8.1.1": 17, "9.0.1": 18, "10.4.2": 20, "11.0.2": 21, "12.2.3": 21}


def entries():
    out = []
    rows = [row + ([], None) for row in ROWS] + [row[:10] + (row[10], M12) for row in ROWS12]
    for (name, fmts, client, outcome, step, offset, lifetime, findings, scenario, notes, shows, rec) in rows:
        rec = rec or ("Playwright 1.65.1 recordHar" if name == "chromium-playwright" else M11)
        per_format = findings if isinstance(findings, dict) else None
        for ext in fmts.split():
            if per_format is not None:  # e.g. a client certificate only a flow file records
                findings = per_format[ext]
            out.append({
                "file": f"{name}.{ext}", "outcome": outcome, "failed_step": step,
                "clock_offsets": {} if offset is None else {"token-issuer": offset},
                "token_lifetime_s": lifetime, "findings": findings, "client": client,
                "recorder": rec, "scenario": scenario, "notes": notes,
                "issue8_behaviours": shows,
            })
    for v in VERSIONS:
        for ext in (["flow"] if v in ("8.1.1", "9.0.1") else ["flow", "har"]):
            out.append({
                "file": f"mitmproxy-versions/pull-success-mitmproxy-{v}.{ext}", "outcome": "success",
                "failed_step": None, "clock_offsets": {"token-issuer": 0}, "token_lifetime_s": 300,
                "findings": [TI], "client": SKOPEO, "recorder": M.format(v),
                "scenario": "skopeo pull of private/app as reader (same as pull-success)",
                "notes": (f"flow format version {FORMAT_VERSION[v]}" if ext == "flow" else "mitmproxy hardump HAR")
                + ("; this mitmproxy has no HAR export" if v in ("8.1.1", "9.0.1") else ""),
                "issue8_behaviours": [],
            })
    return out


def md_table(es):
    lines = ["| files | client | recorder | scenario | outcome | failed step | issuer clock offset (s) | token lifetime (s) | expected findings |",
             "|---|---|---|---|---|---|---|---|---|"]
    rows = []  # one row per capture session: .flow and .har of one session share it
    for e in es:
        base, ext = e["file"].rsplit(".", 1)
        key = (base, e["recorder"])
        if rows and rows[-1][0] == key:
            rows[-1][1].append(ext)
            rows[-1][3][ext] = e["findings"]
        else:
            rows.append((key, [ext], e, {ext: e["findings"]}))
    for (base, _), exts, e, per_ext in rows:
        codes = []
        for ext, findings in per_ext.items():
            for f in findings:
                if f not in codes:
                    codes.append(f)

        def label(code):
            only = [x for x in per_ext if code in per_ext[x]]
            return f"`{code}`" + (f" ({', '.join(only)} only)" if len(only) < len(per_ext) else "")
        off = e["clock_offsets"].get("token-issuer", "-")
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            ", ".join(f"`{base}.{x}`" for x in exts), e["client"], e["recorder"],
            e["scenario"].replace("|", "\\|"), e["outcome"],
            e["failed_step"] if e["failed_step"] is not None else "-", off,
            e["token_lifetime_s"] if e["token_lifetime_s"] is not None else "-",
            ", ".join(label(f) for f in codes) or "(none)"))
    return "\n".join(lines)


def main():
    es = entries()
    missing = [e["file"] for e in es if not os.path.exists(os.path.join(SAMPLES, e["file"]))]
    if missing:
        raise SystemExit(f"missing sample files: {missing}")
    with open(os.path.join(SAMPLES, "truth.json"), "w") as f:
        json.dump({"schema": 1, "samples": es}, f, indent=1)
        f.write("\n")
    readme = os.path.join(SAMPLES, "README.md")
    text = open(readme).read()
    text, n = re.subn(r"(<!-- truth-table:begin -->\n).*?(<!-- truth-table:end -->)",
                      lambda m: m.group(1) + md_table(es) + "\n" + m.group(2), text, flags=re.S)
    if n != 1:
        raise SystemExit("README.md has no truth-table markers")
    with open(readme, "w") as f:
        f.write(text)
    print(f"{len(es)} entries")


if __name__ == "__main__":
    main()
